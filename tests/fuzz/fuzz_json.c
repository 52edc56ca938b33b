/* libFuzzer target: JSON parsing (as request bodies are parsed), schema
 * compile, and validation with every entry point. The input is a schema
 * document, a NUL byte, then an instance; without a NUL byte the input is
 * the instance, checked against a fixed schema and compiled as a schema too. */
#include <ponty/jsonschema.h>

#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static const char fixed_schema[] =
    "{\"type\": \"object\", \"properties\": {\"a\": {\"type\": \"integer\", \"multipleOf\": 3},"
    "\"b\": {\"anyOf\": [{\"type\": \"string\", \"format\": \"date-time\"}, {\"type\": \"null\"}]},"
    "\"c\": {\"type\": \"array\", \"uniqueItems\": true, \"maxItems\": 4},"
    "\"d\": {\"propertyNames\": {\"pattern\": \"^[a-z]+$\"}, \"minProperties\": 1}},"
    "\"dependencies\": {\"a\": [\"b\"]}, \"additionalProperties\": {\"$ref\": \"#/properties/c\"}}";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(const pt_schema_t *s, const json_t *inst)
{
    bool ok = pt_schema_is_valid(s, inst);
    pt_schema_error_t first = { 0 };
    int rc = pt_schema_validate(s, inst, &first);
    if ((rc == 0) != ok && rc >= 0)
        abort(); /* the fast path and the full one disagree */
    pt_schema_error_clear(&first);
    pt_schema_errors_t all = { 0 };
    pt_schema_validate_all(s, inst, &all);
    pt_schema_errors_clear(&all);
    pt_schema_fail_t fail;
    memset(&fail, 0, sizeof fail);
    if (pt_schema_check(s, inst, &fail) > 0)
        free(pt_schema_fail_message(&fail));
    pt_schema_fail_clear(&fail);
    free(pt_json_repr(inst, 200));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const uint8_t *nul = memchr(data, 0, size);
    json_error_t je;
    json_t *schema_doc, *inst;
    if (nul) {
        schema_doc = json_loadb((const char *)data, (size_t)(nul - data), JSON_DECODE_ANY, &je);
        inst = json_loadb((const char *)nul + 1, size - (size_t)(nul - data) - 1, JSON_DECODE_ANY, &je);
    } else {
        inst = json_loadb((const char *)data, size, JSON_DECODE_ANY, &je);
        schema_doc = inst ? json_incref(inst) : NULL;
        json_t *fixed = json_loads(fixed_schema, 0, &je);
        pt_schema_t *fs = pt_schema_compile(fixed, NULL, NULL);
        json_decref(fixed);
        if (!fs)
            abort();
        if (inst)
            check(fs, inst);
        pt_schema_free(fs);
    }
    if (schema_doc) {
        pt_schema_error_t err = { 0 };
        pt_schema_t *s = pt_schema_compile(schema_doc, NULL, &err);
        pt_schema_error_clear(&err);
        if (s) {
            if (inst)
                check(s, inst);
            pt_schema_free(s);
        }
        json_decref(schema_doc);
    }
    if (inst)
        json_decref(inst);
    return 0;
}
