"""The OpenAPI 3.1 document: generated from the route tables and declared
fields, served at .openapi_path, printed by --openapi, and valid according
to @seriousme/openapi-schema-validator (installed from npm by this test into
the build directory)."""
import json
import os
import subprocess

import pytest

from conftest import BUILD_DIR, binary_path

NPM_DIR = os.path.join(BUILD_DIR, "npm-openapi")
VALIDATOR = "@seriousme/openapi-schema-validator@2"


@pytest.fixture(scope="module")
def validate():
    cli = os.path.join(NPM_DIR, "node_modules", "@seriousme", "openapi-schema-validator", "bin",
                       "validate-api-cli.js")
    if not os.path.exists(cli):
        os.makedirs(NPM_DIR, exist_ok=True)
        subprocess.run(["npm", "install", "--silent", "--no-audit", "--no-fund", "--no-save",
                        "--prefix", NPM_DIR, VALIDATOR], check=True, timeout=240)

    def run(doc, tmp_path):
        path = os.path.join(tmp_path, "doc.json")
        with open(path, "w") as f:
            json.dump(doc, f)
        out = subprocess.run(["node", cli, path], capture_output=True, text=True, timeout=60)
        result = json.loads(out.stdout)
        return result
    return run


def refs(v):
    if isinstance(v, dict):
        for k, x in v.items():
            if k == "$ref":
                yield x
            else:
                yield from refs(x)
    elif isinstance(v, list):
        for x in v:
            yield from refs(x)


def check_refs(doc):
    for r in refs(doc):
        assert r.startswith("#/components/schemas/"), r
        node = doc
        for part in r[2:].split("/"):
            node = node[part]


def test_validator_rejects_a_broken_document(validate, tmp_path):
    # The validator is real: a path parameter without "required" and a
    # missing info.version fail.
    bad = {"openapi": "3.1.0", "info": {"title": "x"},
           "paths": {"/a/{id}": {"get": {"parameters": [{"name": "id", "in": "path"}]}}}}
    assert validate(bad, str(tmp_path))["valid"] is False


def test_ops_document_served_printed_and_valid(start_server, validate, tmp_path):
    printed = json.loads(subprocess.run([binary_path("pt_ops_server"), "--openapi"], capture_output=True,
                                        check=True, timeout=30).stdout)
    s = start_server("pt_ops_server")
    status, headers, body = s.get("/openapi.json")
    assert status == 200 and headers["Content-Type"] == "application/json; charset=utf-8"
    served = json.loads(body)
    assert served == printed
    result = validate(served, str(tmp_path))
    assert result["valid"] is True, result
    check_refs(served)

    assert served["openapi"] == "3.1.0" and served["info"]["title"] == "ops"
    paths = served["paths"]
    assert paths["/hello"]["get"]["summary"] == "Says hello"
    assert "/admin/stats" in paths
    item = paths["/items/{id}"]["get"]
    params = {(p["in"], p["name"]): p for p in item["parameters"]}
    assert params[("path", "id")] == {"in": "path", "name": "id", "required": True,
                                      "schema": {"type": "integer", "minimum": 0}}
    assert params[("query", "lang")]["schema"] == {"type": "string", "default": "en", "enum": ["en", "es"]}
    assert params[("query", "lang")]["required"] is False
    assert params[("header", "X-Token")]["schema"] == {"type": "string"}
    assert "400" in item["responses"]
    things = paths["/things"]["post"]
    ref = things["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    assert served["components"]["schemas"][ref.rsplit("/", 1)[1]]["required"] == ["name"]


def test_showcase_document_valid(start_server, validate, tmp_path):
    s = start_server("showcase", NOTES_DB=os.path.join(str(tmp_path), "notes.db"))
    status, _, body = s.get("/openapi.json")
    assert status == 200
    doc = json.loads(body)
    result = validate(doc, str(tmp_path))
    assert result["valid"] is True, result
    check_refs(doc)
    # Every served route is described (the showcase's index lists them).
    _, _, index = s.get_json("/")
    for r in index["data"]["routes"]:
        assert any(p.startswith(r["path"].split("{")[0]) for p in doc["paths"]), r
    # Struct-generated body schemas are components.
    assert any("$ref" in json.dumps(op.get("requestBody", {}))
               for item in doc["paths"].values() for op in item.values())
