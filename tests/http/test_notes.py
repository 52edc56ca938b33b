"""examples/notes.c against a real SQLite file in a temporary directory."""
import json
import os
import sqlite3
import subprocess
import threading

import pytest

from conftest import JSON_CT, binary_path, free_port

H = {"Content-Type": "application/json"}


@pytest.fixture
def db_path(tmp_path):
    return str(tmp_path / "notes.db")


@pytest.fixture
def notes(start_server, db_path):
    return start_server("notes", NOTES_DB=db_path)


def post(s, note):
    status, headers, body = s.request("POST", "/notes", body=json.dumps(note), headers=H)
    return status, headers, body


def data(body):
    return json.loads(body)["data"]


def test_create_answers_201_with_the_stored_note(notes, db_path):
    status, headers, body = post(notes, {"title": "first", "body": "hello", "tags": ["a", "b"]})
    assert status == 201, body
    assert headers["Content-Type"] == JSON_CT
    note = data(body)
    assert note == {"id": note["id"], "title": "first", "body": "hello", "tags": ["a", "b"]}
    assert isinstance(note["id"], int)
    # It is in the SQLite file itself.
    with sqlite3.connect(db_path) as db:
        assert db.execute("SELECT title, body FROM notes WHERE id=?", (note["id"],)).fetchall() == [("first", "hello")]
        assert [t for (t,) in db.execute("SELECT tag FROM note_tags WHERE note_id=? ORDER BY pos", (note["id"],))] == ["a", "b"]
    # tags defaults to [].
    status, _, body = post(notes, {"title": "t", "body": ""})
    assert status == 201 and data(body)["tags"] == []


def test_get_and_404(notes):
    _, _, body = post(notes, {"title": "x", "body": "y", "tags": ["t"]})
    nid = data(body)["id"]
    status, _, body = notes.get(f"/notes/{nid}")
    assert status == 200 and data(body) == {"id": nid, "title": "x", "body": "y", "tags": ["t"]}
    status, _, body = notes.get("/notes/999999")
    assert status == 404 and body == b"no note 999999"


@pytest.mark.parametrize("note, message", [
    ({"body": "b"}, b"'title' is a required property"),
    ({"title": "", "body": "b"}, b"'' is too short"),
    ({"title": "t", "body": "b", "tags": [1]}, b"1 is not of type 'string'"),
    ({"title": "t", "body": "b", "extra": 1}, None),
])
def test_invalid_bodies_are_400(notes, note, message):
    status, _, body = post(notes, note)
    assert status == 400, body
    if message:
        assert message in body, body


def test_list_paginates_and_filters_by_tag(notes):
    ids = [data(post(notes, {"title": f"n{i}", "body": "", "tags": ["even" if i % 2 == 0 else "odd", "all"]})[2])["id"]
           for i in range(5)]
    status, _, body = notes.get("/notes?limit=2&offset=1")
    assert status == 200
    assert [n["id"] for n in data(body)["notes"]] == ids[1:3]
    assert [n["title"] for n in data(notes.get("/notes?tag=even")[2])["notes"]] == ["n0", "n2", "n4"]
    assert [n["id"] for n in data(notes.get("/notes?tag=odd&limit=1&offset=1")[2])["notes"]] == [ids[3]]
    assert data(notes.get("/notes?tag=none")[2]) == {"notes": []}
    assert len(data(notes.get("/notes")[2])["notes"]) == 5
    assert notes.get("/notes?limit=0")[0] == 400
    assert notes.get("/notes?limit=101")[0] == 400
    assert notes.get("/notes?offset=-1")[0] == 400


def test_put_replaces_and_404s(notes, db_path):
    nid = data(post(notes, {"title": "old", "body": "b", "tags": ["a", "b"]})[2])["id"]
    status, _, body = notes.request("PUT", f"/notes/{nid}", body=json.dumps({"title": "new", "body": "c", "tags": ["z"]}), headers=H)
    assert status == 200 and data(body) == {"id": nid, "title": "new", "body": "c", "tags": ["z"]}
    assert data(notes.get(f"/notes/{nid}")[2])["tags"] == ["z"]
    status, _, body = notes.request("PUT", "/notes/424242", body=json.dumps({"title": "t", "body": "b"}), headers=H)
    assert status == 404 and body == b"no note 424242"
    with sqlite3.connect(db_path) as db:
        assert db.execute("SELECT count(*) FROM notes").fetchone() == (1,)


def test_concurrent_puts_of_one_note_leave_it_consistent(notes):
    nid = data(post(notes, {"title": "t", "body": "b"})[2])["id"]
    statuses = []

    def put(i):
        st, _, _ = notes.request("PUT", f"/notes/{nid}",
                                 body=json.dumps({"title": f"v{i}", "body": f"v{i}", "tags": [f"v{i}", "x"]}), headers=H)
        statuses.append(st)

    ts = [threading.Thread(target=put, args=(i,)) for i in range(8)]
    for t in ts:
        t.start()
    for t in ts:
        t.join(30)
    assert statuses == [200] * 8
    n = data(notes.get(f"/notes/{nid}")[2])
    # One writer's note, whole: title, body and tags from the same PUT.
    assert n["body"] == n["title"] and n["tags"] == [n["title"], "x"], n


def count(s, tag=None):
    status, _, body = s.get("/notes/count" + (f"?tag={tag}" if tag else ""))
    assert status == 200, body
    return data(body)["count"]


def loads(s):
    return data(s.get("/notes/stats")[2])["count_loads"]


def test_counts_are_memoized_and_invalidated_by_writes(notes):
    post(notes, {"title": "a", "body": "", "tags": ["red"]})
    l0 = loads(notes)
    assert count(notes, "red") == 1
    assert count(notes, "red") == 1
    assert count(notes) == 1
    assert loads(notes) == l0 + 2      # one load per key, the repeat was a hit
    nid = data(post(notes, {"title": "b", "body": "", "tags": ["red", "blue"]})[2])["id"]
    assert count(notes, "red") == 2 and count(notes) == 2 and count(notes, "blue") == 1
    l1 = loads(notes)
    assert count(notes, "red") == 2 and loads(notes) == l1
    # An update moves the note from red/blue to green: all three keys change.
    notes.request("PUT", f"/notes/{nid}", body=json.dumps({"title": "b", "body": "", "tags": ["green"]}), headers=H)
    assert (count(notes, "red"), count(notes, "blue"), count(notes, "green"), count(notes)) == (1, 0, 1, 2)


def test_notes_survive_a_restart(start_server, db_path):
    s = start_server("notes", NOTES_DB=db_path)
    nid = data(post(s, {"title": "kept", "body": "", "tags": ["k"]})[2])["id"]
    s.stop()
    s2 = start_server("notes", NOTES_DB=db_path)
    assert data(s2.get(f"/notes/{nid}")[2])["title"] == "kept"


def test_unopenable_database_fails_the_start(tmp_path):
    env = dict(os.environ, PORT=str(free_port()), PONTY_WORKERS="1",
               NOTES_DB=str(tmp_path / "no" / "such" / "dir" / "notes.db"))
    p = subprocess.run([binary_path("notes")], env=env, stdin=subprocess.DEVNULL, capture_output=True, timeout=30)
    assert p.returncode == 1
    assert b"ponty: provider 'notes.db' failed to start" in p.stderr, p.stderr
