/* Validator API: compile errors that point at the bad keyword, schema files
 * and search paths, remote references through the registry, "$id"
 * resolution, format switch, depth limits, error ordering, threads. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "ponty/jsonschema.h"
#include "schema.h" /* white-box: the json_t walk's three layouts (test_layout_fallbacks) */

/* test data: $PT_JSON_TEST_DATA, else the source tree's tests/json/data */
#define PT_DATA_DIR (getenv("PT_JSON_TEST_DATA") ? getenv("PT_JSON_TEST_DATA") : PT_JSON_TEST_DATA_DIR)

static json_t *J(const char *text)
{
    json_error_t je;
    json_t *v = json_loads(text, JSON_DECODE_ANY, &je);
    if (!v)
        fail_msg("bad test JSON %s: %s", text, je.text);
    return v;
}

static pt_schema_t *compile_text(const char *text, const pt_schema_opts_t *opts, pt_schema_error_t *err)
{
    json_t *s = J(text);
    pt_schema_t *r = pt_schema_compile(s, opts, err);
    json_decref(s);
    return r;
}

/* 1 invalid / 0 valid, first message in *msg (static buffer). */
static int check(const pt_schema_t *s, const char *inst, char *msg, size_t cap)
{
    json_t *x = J(inst);
    pt_schema_error_t e = {0};
    int rc = pt_schema_validate(s, x, &e);
    if (msg)
        snprintf(msg, cap, "%s", e.message ? e.message : "");
    pt_schema_error_clear(&e);
    json_decref(x);
    return rc;
}

/* ----------------------------------------------------------- bad schemas */

static void test_bad_schemas(void **state)
{
    (void)state;
    static const struct {
        const char *schema, *path, *words;
    } bad[] = {
        {"{\"type\": \"strin\"}", "/type", "'strin' is not a JSON Schema type"},
        {"{\"type\": 7}", "/type", "type must be"},
        {"{\"properties\": {\"a\": {\"minimum\": \"x\"}}}", "/properties/a/minimum", "minimum must be a number"},
        {"{\"pattern\": \"([\"}", "/pattern", "not a valid regular expression"},
        {"{\"items\": [1]}", "/items/0", "a schema must be an object or a boolean, not 1"},
        {"{\"$ref\": \"#/definitions/missing\"}", "/$ref", "points at nothing"},
        {"{\"$ref\": \"http://example.com/x.json\"}", "/$ref", "pt_schema_registry_add"},
        {"{\"required\": \"a\"}", "/required", "required must be an array of unique strings"},
        {"{\"required\": [\"a\", \"a\"]}", "/required", "unique"},
        {"{\"allOf\": []}", "/allOf", "non-empty array"},
        {"{\"patternProperties\": {\"[\": {}}}", "/patternProperties/[", "regular expression"},
        {"{\"dependencies\": {\"a\": [1]}}", "/dependencies/a", "array of unique strings"},
        {"{\"minLength\": -1}", "/minLength", "non-negative integer"},
        {"{\"maxItems\": 1.5}", "/maxItems", "non-negative integer"},
        {"{\"multipleOf\": 0}", "/multipleOf", "greater than 0"},
        {"{\"enum\": 3}", "/enum", "enum must be an array"},
        {"{\"uniqueItems\": 1}", "/uniqueItems", "boolean"},
        {"5", "", "a schema must be an object or a boolean"},
        {"{\"definitions\": {\"x\": {\"type\": 7}}}", "/definitions/x/type", "type must be"},
        {"{\"properties\": {\"a/b\": {\"not\": 3}}}", "/properties/a~1b/not", "not 3"},
        {"{\"if\": {}, \"then\": 1}", "/then", "not 1"},
        {"{\"$ref\": 1}", "/$ref", "$ref must be a string"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        pt_schema_error_t e = {0};
        pt_schema_t *s = compile_text(bad[i].schema, NULL, &e);
        if (s)
            fail_msg("%s compiled", bad[i].schema);
        assert_non_null(e.message);
        if (strcmp(e.schema_path, bad[i].path) || !strstr(e.message, bad[i].words))
            fail_msg("%s: got path '%s' message '%s'", bad[i].schema, e.schema_path, e.message);
        assert_null(e.instance_path);
        pt_schema_error_clear(&e);
    }
    /* NULL schema, NULL err: no crash */
    assert_null(pt_schema_compile(NULL, NULL, NULL));
    assert_null(compile_text("{\"type\": 1}", NULL, NULL));
}

static void test_deep_schema_rejected(void **state)
{
    (void)state;
    json_t *s = json_object(), *cur = s;
    for (int i = 0; i < 400; i++) {
        json_t *n = json_object();
        json_object_set_new(cur, "not", n);
        cur = n;
    }
    pt_schema_error_t e = {0};
    assert_null(pt_schema_compile(s, NULL, &e));
    assert_non_null(strstr(e.message, "nesting deeper"));
    pt_schema_error_clear(&e);
    json_decref(s);
}

/* ------------------------------------------------------------------ files */

static void test_files(void **state)
{
    (void)state;
    const char *data = PT_DATA_DIR;
    assert_non_null(data);
    pt_schema_error_t e = {0};

    /* missing file: the message names the path */
    assert_null(pt_schema_compile_file("no/such/schema.json", NULL, &e));
    assert_non_null(strstr(e.message, "'no/such/schema.json'"));
    assert_non_null(strstr(e.message, "No such file"));
    pt_schema_error_clear(&e);
    assert_null(pt_schema_compile_file("/no/such/abs.json", NULL, &e));
    assert_non_null(strstr(e.message, "/no/such/abs.json"));
    pt_schema_error_clear(&e);

    /* relative to the search path */
    const char *path[] = {"/nonexistent-dir", data, NULL};
    pt_schema_opts_t o = {.search_path = path};
    pt_schema_t *s = pt_schema_compile_file("person.schema.json", &o, &e);
    if (!s)
        fail_msg("%s", e.message);
    char msg[256];
    assert_int_equal(check(s, "{\"first_name\": \"a\", \"last_name\": \"b\", \"favorite_color\": null}", msg,
                           sizeof msg), 1);
    assert_string_equal(msg, "'height' is a required property");
    pt_schema_free(s);

    /* a directory, broken JSON, a bad schema in a file */
    assert_null(pt_schema_compile_file(data, NULL, &e));
    assert_non_null(strstr(e.message, "is a directory"));
    char tmp[] = "/tmp/pt_json_testXXXXXX";
    int fd = mkstemp(tmp);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, "{\"type\": ", 9), 9);
    close(fd);
    assert_null(pt_schema_compile_file(tmp, NULL, &e));
    assert_non_null(strstr(e.message, "not valid JSON"));
    assert_non_null(strstr(e.message, tmp));
    FILE *f = fopen(tmp, "w");
    fputs("{\"properties\": {\"x\": {\"type\": \"strin\"}}}", f);
    fclose(f);
    assert_null(pt_schema_compile_file(tmp, NULL, &e));
    assert_non_null(strstr(e.message, tmp));
    assert_string_equal(e.schema_path, "/properties/x/type");
    unlink(tmp);
    assert_null(pt_schema_compile_file(NULL, NULL, &e));
    assert_null(pt_schema_compile_file("", NULL, &e));
    pt_schema_error_clear(&e);

    json_t *doc = pt_schema_load_file("person.schema.json", path, &e);
    assert_non_null(doc);
    json_decref(doc);
}

/* ------------------------------------------------------------ references */

static void test_registry(void **state)
{
    (void)state;
    pt_schema_registry_t *reg = pt_schema_registry_new();
    json_t *remote = J("{\"definitions\": {\"pos\": {\"type\": \"integer\", \"minimum\": 1}}}");
    assert_int_equal(pt_schema_registry_add(reg, "http://example.com/defs.json", remote), 0);
    json_decref(remote);
    assert_int_equal(pt_schema_registry_add(reg, "", remote), -1);
    assert_int_equal(pt_schema_registry_add(NULL, "x", remote), -1);
    pt_schema_opts_t o = {.registry = reg};
    pt_schema_error_t e = {0};
    pt_schema_t *s = compile_text("{\"properties\": {\"n\": {\"$ref\": \"http://example.com/defs.json#/definitions/pos\"}}}",
                                  &o, &e);
    if (!s)
        fail_msg("%s", e.message);
    /* the compiled schema keeps what it needs: the registry can go */
    pt_schema_registry_free(reg);
    char msg[256];
    assert_int_equal(check(s, "{\"n\": 0}", msg, sizeof msg), 1);
    assert_string_equal(msg, "0 is less than the minimum of 1");
    assert_int_equal(check(s, "{\"n\": 5}", NULL, 0), 0);
    pt_schema_free(s);

    /* relative references against a configured base URI */
    reg = pt_schema_registry_new();
    remote = J("{\"type\": \"string\"}");
    pt_schema_registry_add(reg, "http://x.test/schemas/name.json", remote);
    json_decref(remote);
    o = (pt_schema_opts_t){.registry = reg, .base_uri = "http://x.test/schemas/root.json"};
    s = compile_text("{\"items\": {\"$ref\": \"name.json\"}}", &o, &e);
    assert_non_null(s);
    assert_int_equal(check(s, "[\"a\", 1]", msg, sizeof msg), 1);
    assert_string_equal(msg, "1 is not of type 'string'");
    pt_schema_free(s);
    pt_schema_registry_free(reg);

    /* the draft-07 meta-schema is built in */
    s = compile_text("{\"$ref\": \"http://json-schema.org/draft-07/schema#\"}", NULL, &e);
    assert_non_null(s);
    assert_int_equal(check(s, "{\"type\": \"string\"}", NULL, 0), 0);
    assert_int_equal(check(s, "{\"minLength\": -1}", msg, sizeof msg), 1);
    assert_string_equal(msg, "-1 is less than the minimum of 0");
    pt_schema_free(s);
}

static void test_ids_and_recursion(void **state)
{
    (void)state;
    char msg[256];
    pt_schema_error_t e = {0};
    /* plain-name fragment via $id, and $defs */
    pt_schema_t *s = compile_text("{\"properties\": {\"x\": {\"$ref\": \"#foo\"}, \"y\": {\"$ref\": \"#/$defs/s\"}},"
                                  " \"definitions\": {\"A\": {\"$id\": \"#foo\", \"type\": \"integer\"}},"
                                  " \"$defs\": {\"s\": {\"type\": \"string\"}}}", NULL, &e);
    if (!s)
        fail_msg("%s", e.message);
    assert_int_equal(check(s, "{\"x\": \"no\"}", msg, sizeof msg), 1);
    assert_string_equal(msg, "'no' is not of type 'integer'");
    assert_int_equal(check(s, "{\"y\": 2}", msg, sizeof msg), 1);
    assert_string_equal(msg, "2 is not of type 'string'");
    pt_schema_free(s);

    /* a recursive tree, nested 100 deep, is fine */
    s = compile_text("{\"type\": \"object\", \"properties\": {\"v\": {\"type\": \"integer\"},"
                     " \"kids\": {\"type\": \"array\", \"items\": {\"$ref\": \"#\"}}}}", NULL, &e);
    assert_non_null(s);
    json_t *root = json_object(), *cur = root;
    for (int i = 0; i < 100; i++) {
        json_t *kid = json_object();
        json_object_set_new(cur, "kids", json_pack("[o]", kid));
        cur = kid;
    }
    json_object_set_new(cur, "v", json_string("x"));
    pt_schema_error_t first = {0};
    assert_int_equal(pt_schema_validate(s, root, &first), 1);
    assert_string_equal(first.message, "'x' is not of type 'integer'");
    assert_int_equal(strncmp(first.instance_path, "/kids/0/kids/0/", 15), 0);
    pt_schema_error_clear(&first);
    json_decref(root);

    /* nested past the depth limit: an error, not a crash */
    root = json_array();
    cur = root;
    for (int i = 0; i < 5000; i++) {
        json_t *n = json_array();
        json_array_append_new(cur, n);
        cur = n;
    }
    pt_schema_t *arr = compile_text("{\"items\": {\"$ref\": \"#\"}}", NULL, &e);
    assert_false(pt_schema_is_valid(arr, root));
    assert_int_equal(pt_schema_validate(arr, root, &first), 1);
    assert_non_null(strstr(first.message, "nested too deeply"));
    pt_schema_error_clear(&first);
    pt_schema_errors_t all = {0};
    assert_int_equal(pt_schema_validate_all(arr, root, &all), 1);
    assert_int_equal(all.count, 1);
    pt_schema_errors_clear(&all);
    pt_schema_free(arr);
    json_decref(root);
    pt_schema_free(s);

    /* a reference cycle that never consumes the instance terminates */
    s = compile_text("{\"allOf\": [{\"$ref\": \"#\"}]}", NULL, &e);
    assert_non_null(s);
    assert_int_equal(check(s, "1", msg, sizeof msg), 1);
    assert_string_equal(msg, "more than 128 schemas applied in a chain to one value (a $ref loop?)");
    pt_schema_free(s);
}

/* --------------------------------------------------------------- keywords */

static void test_keyword_semantics(void **state)
{
    (void)state;
    static const struct {
        const char *schema, *inst;
        int invalid;
    } t[] = {
        {"{\"multipleOf\": 0.0001}", "0.0075", 0},
        {"{\"multipleOf\": 0.123456789}", "1e308", 1},
        {"{\"maxLength\": 2}", "\"\\u65e5\\u672c\"", 0},
        {"{\"minLength\": 3}", "\"\\u65e5\\u672c\"", 1},
        {"{\"type\": \"integer\"}", "1.0", 0},
        {"{\"type\": \"number\"}", "true", 1},
        {"{\"enum\": [1]}", "1.0", 0},
        {"{\"enum\": [1]}", "true", 1},
        {"{\"const\": false}", "0", 1},
        {"{\"const\": {\"a\": [1, {\"b\": null}]}}", "{\"a\": [1.0, {\"b\": null}]}", 0},
        {"{\"uniqueItems\": true}", "[1, 1.0]", 1},
        {"{\"uniqueItems\": true}", "[1, true]", 0},
        {"{\"uniqueItems\": true}", "[{\"a\": 1, \"b\": 2}, {\"b\": 2, \"a\": 1}]", 1},
        {"{\"pattern\": \"^a$\"}", "\"a\\n\"", 1},
        {"{\"pattern\": \"\\\\d+\"}", "\"x12y\"", 0},
        {"{\"pattern\": \"^\\\\w+$\"}", "\"\\u00e9\"", 1},
        {"{\"maximum\": 9007199254740992}", "9007199254740993", 1},
        {"{\"exclusiveMinimum\": 0}", "0.0", 1},
        {"{\"format\": \"date-time\"}", "\"2020-01-01T10:00:00.5+01:00\"", 0},
        {"{\"format\": \"date-time\"}", "\"2020-01-01 10:00:00Z\"", 1},
        {"{\"format\": \"time\"}", "\"23:59:60Z\"", 0},
        {"{\"format\": \"uuid\"}", "\"123e4567-e89b-12d3-a456-426614174000\"", 0},
        {"{\"format\": \"uuid\"}", "\"123e4567e89b12d3a456426614174000\"", 1},
        {"{\"format\": \"ipv6\"}", "\"::1\"", 0},
        {"{\"format\": \"ipv6\"}", "\"12345::\"", 1},
        {"{\"format\": \"hostname\"}", "\"-bad.example\"", 1},
        {"{\"format\": \"uri\"}", "\"relative/path\"", 1},
        {"{\"format\": \"uri-reference\"}", "\"relative/path\"", 0},
        {"{\"format\": \"json-pointer\"}", "\"/a~2\"", 1},
        {"{\"format\": \"relative-json-pointer\"}", "\"0#\"", 0},
        {"{\"format\": \"regex\"}", "\"([\"", 1},
        {"{\"format\": \"no-such-format\"}", "\"anything\"", 0},
        {"{\"format\": \"email\"}", "42", 0},
        {"{\"contains\": {\"const\": 1}}", "[]", 1},
        {"{\"propertyNames\": {\"pattern\": \"^[a-z]+$\"}}", "{\"ok\": 1, \"NO\": 2}", 1},
        {"{\"dependencies\": {\"a\": false}}", "{\"a\": 1}", 1},
        {"{\"if\": false, \"else\": {\"type\": \"string\"}}", "\"x\"", 0},
        {"{\"then\": false}", "1", 0},
        {"{\"additionalItems\": false}", "[1, 2]", 0},
        {"{\"items\": true, \"additionalItems\": false}", "[1, 2]", 0},
        {"{\"$ref\": \"#/definitions/a\", \"type\": \"string\", \"definitions\": {\"a\": {}}}", "1", 0},
        {"true", "{}", 0},
        {"false", "null", 1},
    };
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
        pt_schema_error_t e = {0};
        pt_schema_t *s = compile_text(t[i].schema, NULL, &e);
        if (!s)
            fail_msg("%s: %s", t[i].schema, e.message);
        char msg[256];
        int rc = check(s, t[i].inst, msg, sizeof msg);
        if (rc != t[i].invalid)
            fail_msg("%s on %s: rc %d (%s)", t[i].schema, t[i].inst, rc, msg);
        pt_schema_free(s);
    }
}

static void test_format_switch(void **state)
{
    (void)state;
    pt_schema_opts_t off = {.no_format = true};
    pt_schema_t *on = compile_text("{\"format\": \"email\"}", NULL, NULL);
    pt_schema_t *no = compile_text("{\"format\": \"email\"}", &off, NULL);
    char msg[128];
    assert_int_equal(check(on, "\"nope\"", msg, sizeof msg), 1);
    assert_string_equal(msg, "'nope' is not a 'email'");
    assert_int_equal(check(no, "\"nope\"", NULL, 0), 0);
    pt_schema_free(on);
    pt_schema_free(no);
}

static void test_error_order_and_paths(void **state)
{
    (void)state;
    pt_schema_t *s = compile_text("{\"required\": [\"a\"], \"type\": \"object\", \"properties\": {\"b\": {\"type\": "
                                  "\"string\"}, \"c\": {\"items\": {\"maximum\": 1}}}}", NULL, NULL);
    json_t *x = J("{\"b\": 1, \"c\": [0, 5]}");
    pt_schema_errors_t all = {0};
    assert_int_equal(pt_schema_validate_all(s, x, &all), 1);
    assert_int_equal(all.count, 3);
    assert_string_equal(all.items[0].message, "'a' is a required property");
    assert_string_equal(all.items[0].schema_path, "/required");
    assert_string_equal(all.items[1].instance_path, "/b");
    assert_string_equal(all.items[1].schema_path, "/properties/b/type");
    assert_string_equal(all.items[2].instance_path, "/c/1");
    assert_string_equal(all.items[2].schema_path, "/properties/c/items/maximum");
    assert_string_equal(all.items[2].keyword, "maximum");
    /* appending to a non-empty list keeps what was there */
    assert_int_equal(pt_schema_validate_all(s, x, &all), 1);
    assert_int_equal(all.count, 6);
    pt_schema_errors_clear(&all);
    pt_schema_errors_clear(&all);
    assert_int_equal(pt_schema_validate(s, NULL, NULL), -1);
    assert_false(pt_schema_is_valid(NULL, x));
    assert_int_equal(pt_schema_validate(s, x, NULL), 1);
    assert_ptr_not_equal(pt_schema_json(s), NULL);
    json_decref(x);
    pt_schema_free(s);
    pt_schema_free(NULL);
}

/* ---------------------------------------------------------------- threads */

typedef struct tjob {
    const pt_schema_t *s;
    json_t *good, *bad;
    int failures;
} tjob_t;

static void *worker(void *arg)
{
    tjob_t *j = arg;
    for (int i = 0; i < 3000; i++) {
        pt_schema_error_t e = {0};
        if (pt_schema_validate(j->s, j->good, &e) != 0)
            j->failures++;
        if (pt_schema_validate(j->s, j->bad, &e) != 1 || strcmp(e.message, "'x-1' does not match '^[a-z]+$'"))
            j->failures++;
        pt_schema_error_clear(&e);
    }
    return NULL;
}

static void test_threads(void **state)
{
    (void)state;
    pt_schema_t *s = compile_text("{\"items\": {\"type\": \"string\", \"pattern\": \"^[a-z]+$\"}}", NULL, NULL);
    tjob_t jobs[4];
    pthread_t th[4];
    for (int i = 0; i < 4; i++) {
        jobs[i] = (tjob_t){s, J("[\"abc\", \"def\"]"), J("[\"abc\", \"x-1\"]"), 0};
        pthread_create(&th[i], NULL, worker, &jobs[i]);
    }
    for (int i = 0; i < 4; i++) {
        pthread_join(th[i], NULL);
        assert_int_equal(jobs[i].failures, 0);
        json_decref(jobs[i].good);
        json_decref(jobs[i].bad);
    }
    pt_schema_free(s);
}

/* -1: each schema walks json_t objects the way compile chose; 2: through
 * the probed member offsets read at run time; 0: through jansson's public
 * iterator API (what a jansson with another layout gets). */
static int force_fast_json = -1;

/* pt_schema_check against pt_schema_validate on object roots of the
 * flat shape (properties with type-only schemas, required) and near it:
 * the same code, keyword and paths, and the same message on request. */
static void test_check_matches_validate(void **state)
{
    (void)state;
    static const char *const schemas[] = {
        "{\"type\": \"object\", \"properties\": {\"first_name\": {\"type\": \"string\"}, \"last_name\": {\"type\": "
        "\"string\"}, \"favorite_color\": {\"anyOf\": [{\"type\": \"string\"}, {\"type\": \"null\"}]}, \"height\": "
        "{\"type\": \"integer\", \"description\": \"cm\"}}, \"required\": [\"first_name\", \"last_name\", "
        "\"favorite_color\", \"height\"]}",
        /* required before properties */
        "{\"required\": [\"a\", \"b~/c\"], \"properties\": {\"a\": {\"type\": \"integer\"}, \"b~/c\": {\"type\": "
        "[\"string\", \"null\"]}}}",
        /* closed, a false property, a $ref'd one, a long name */
        "{\"definitions\": {\"n\": {\"type\": \"number\"}}, \"properties\": {\"x\": false, \"r\": {\"$ref\": "
        "\"#/definitions/n\"}, \"a-rather-long-property-name-over-16\": {\"type\": \"boolean\"}}, "
        "\"additionalProperties\": false, \"required\": [\"r\"]}",
        /* simple additionalProperties */
        "{\"properties\": {\"k\": {\"type\": \"string\"}}, \"additionalProperties\": {\"type\": \"integer\"}}",
        /* properties first: a type list, an anyOf, a false schema */
        "{\"properties\": {\"t\": {\"type\": [\"string\", \"null\"]}, \"u\": {\"anyOf\": [{\"type\": "
        "\"integer\"}]}, \"f\": false}, \"required\": [\"t\", \"u\"]}",
        /* type that is not object */
        "{\"type\": [\"object\", \"array\"], \"properties\": {\"k\": {\"type\": \"string\"}}}",
    };
    static const char *const insts[] = {
        "{\"first_name\": \"Mickey\", \"last_name\": \"Mouse\", \"favorite_color\": \"blue\", \"height\": 1000}",
        "{\"first_name\": \"Mickey\", \"last_name\": \"Mouse\", \"favorite_color\": \"blue\", \"height\": \"abc\"}",
        "{\"first_name\": \"Mickey\", \"last_name\": 1, \"favorite_color\": 2, \"height\": \"abc\"}",
        "{\"height\": \"abc\", \"favorite_color\": 3, \"first_name\": \"M\", \"last_name\": \"M\"}",
        "{\"first_name\": \"Mickey\", \"last_name\": \"Mouse\", \"height\": 1.0}",
        "{\"first_name\": \"Mickey\", \"last_name\": \"Mouse\", \"height\": 1.5, \"favorite_color\": null}",
        "{\"last_name\": \"Mouse\"}",
        "{\"first_name\": 7}",
        /* in declaration order: only "required" fails; one member too many */
        "{\"first_name\": \"M\", \"last_name\": \"M\", \"favorite_color\": null}",
        "{\"first_name\": \"M\", \"last_name\": \"M\", \"favorite_color\": null, \"height\": 2, \"x\": 1}",
        "{\"first_name\": \"M\", \"last_name\": \"M\", \"favorite_color\": null, \"height\": 2.0}",
        "{\"first_name\": \"M\", \"last_name\": \"M\", \"favorite_color\": null, \"height\": 1e300}",
        "{\"first_name\": \"M\", \"last_name\": \"M\", \"favorite_color\": [], \"height\": 2}",
        "{}",
        "{\"a\": 1, \"b~/c\": null}",
        "{\"a\": \"1\", \"b~/c\": null}",
        "{\"a\": \"1\"}",
        "{\"b~/c\": 5, \"a\": 1}",
        "{\"x\": 1, \"r\": 2}",
        "{\"r\": \"2\"}",
        "{\"r\": 2, \"zz\": 1}",
        "{\"a-rather-long-property-name-over-16\": 1, \"r\": 1}",
        "{\"k\": \"s\", \"other\": 1, \"more\": \"no\"}",
        "{\"other\": 1.5}",
        "{\"t\": 1}",
        "{\"t\": \"a\", \"u\": \"x\"}",
        "{\"t\": \"a\", \"u\": 1, \"f\": 0}",
        "{\"t\": \"a\"}",
        "{\"t\": null, \"u\": 2}",
        "[1]",
        "\"str\"",
        "null",
    };
    for (size_t i = 0; i < sizeof schemas / sizeof *schemas; i++) {
        pt_schema_error_t err = {0};
        pt_schema_t *s = compile_text(schemas[i], NULL, &err);
        if (!s)
            fail_msg("schema %zu: %s", i, err.message);
        if (force_fast_json >= 0 && s->fast_json)
            s->fast_json = (unsigned char)force_fast_json;
        for (size_t j = 0; j < sizeof insts / sizeof *insts; j++) {
            json_t *x = J(insts[j]);
            pt_schema_error_t e = {0};
            pt_schema_fail_t f = {0};
            int rc = pt_schema_validate(s, x, &e), rcc = pt_schema_check(s, x, &f);
            if (rc != rcc)
                fail_msg("schema %zu inst %zu: validate %d, check %d", i, j, rc, rcc);
            assert_int_equal(pt_schema_check(s, x, NULL), rc);
            assert_int_equal(pt_schema_is_valid(s, x), rc == 0);
            if (rc) {
                if (strcmp(e.instance_path, f.instance_path) || strcmp(e.schema_path, f.schema_path) ||
                    (e.keyword != f.keyword && (!e.keyword || !f.keyword || strcmp(e.keyword, f.keyword))))
                    fail_msg("schema %zu inst %zu: validate %s %s %s, check %s %s %s", i, j, e.keyword,
                             e.instance_path, e.schema_path, f.keyword, f.instance_path, f.schema_path);
                char *m = pt_schema_fail_message(&f);
                assert_non_null(m);
                assert_string_equal(m, e.message);
                /* and the walker's wording (validate_all never takes the flat shortcuts) */
                pt_schema_errors_t all = {0};
                assert_int_equal(pt_schema_validate_all(s, x, &all), 1);
                assert_string_equal(all.items[0].message, e.message);
                assert_string_equal(all.items[0].instance_path, e.instance_path);
                assert_string_equal(all.items[0].schema_path, e.schema_path);
                pt_schema_errors_clear(&all);
                free(m);
                pt_schema_error_t e2 = {0};
                assert_int_equal(pt_schema_fail_error(&f, &e2), rc);
                assert_string_equal(e2.message, e.message);
                pt_schema_error_clear(&e2);
            }
            /* the json_t entry points (walked in place or converted) agree
             * with the parsed tree's */
            pt_jdoc_t *doc = pt_json_parse(insts[j], strlen(insts[j]), NULL, NULL);
            assert_non_null(doc);
            pt_schema_fail_t ft = {0};
            if (pt_schema_check_jv(s, pt_jdoc_root(doc), &ft) != rc)
                fail_msg("schema %zu inst %zu: json_t %d, tree %d", i, j, rc, 1 - rc);
            assert_int_equal(pt_schema_is_valid_jv(s, pt_jdoc_root(doc)), rc == 0);
            if (rc) {
                if (ft.keyword != f.keyword && (!ft.keyword || !f.keyword || strcmp(ft.keyword, f.keyword)))
                    fail_msg("schema %zu inst %zu: json_t %s, tree %s", i, j, f.keyword, ft.keyword);
                assert_string_equal(ft.instance_path, f.instance_path);
                assert_string_equal(ft.schema_path, f.schema_path);
            }
            pt_schema_fail_clear(&ft);
            pt_jdoc_free(doc);
            /* a reused record is cleared by the next check */
            assert_int_equal(pt_schema_check(s, x, &f), rc);
            pt_schema_fail_clear(&f);
            pt_schema_fail_clear(&f);
            assert_null(pt_schema_fail_message(&f));
            pt_schema_error_clear(&e);
            json_decref(x);
        }
        pt_schema_free(s);
    }
    /* long paths go to the heap */
    pt_schema_t *s = compile_text("{\"properties\": {\"" /* 300-byte name */
                                  "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
                                  "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
                                  "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
                                  "aaaaaaaaaaaa\": {\"items\": {\"minimum\": 3}}}}",
                                  NULL, NULL);
    assert_non_null(s);
    json_t *x = J("{\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
                  "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
                  "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
                  "aaaaaaaaaaaa\": [5, 1]}");
    pt_schema_fail_t f = {0};
    pt_schema_error_t e = {0};
    assert_int_equal(pt_schema_check(s, x, &f), 1);
    assert_int_equal(pt_schema_validate(s, x, &e), 1);
    assert_string_equal(f.instance_path, e.instance_path);
    assert_string_equal(f.schema_path, e.schema_path);
    assert_string_equal(f.keyword, "minimum");
    pt_schema_fail_clear(&f);
    pt_schema_error_clear(&e);
    json_decref(x);
    pt_schema_free(s);
}

/* The json_t walk has three ways through an object's members: compiled-in
 * offsets (this jansson's usual layout), offsets probed at run time, and
 * jansson's public API when the probe does not trust the layout. Only the
 * first runs on this machine by itself; the same cases through the other
 * two must give the same answers, paths and messages. */
static void test_layout_fallbacks(void **state)
{
    pt__objiter_init();
    assert_true(pt__objiter_layout.ok); /* the probe trusts this jansson */
    force_fast_json = 2;
    test_check_matches_validate(state);
    objiter_layout_t saved = pt__objiter_layout;
    pt__objiter_layout.ok = false; /* as if the probe had failed */
    force_fast_json = 0;
    test_check_matches_validate(state);
    pt__objiter_layout = saved;
    force_fast_json = -1;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bad_schemas),
        cmocka_unit_test(test_deep_schema_rejected),
        cmocka_unit_test(test_files),
        cmocka_unit_test(test_registry),
        cmocka_unit_test(test_ids_and_recursion),
        cmocka_unit_test(test_keyword_semantics),
        cmocka_unit_test(test_format_switch),
        cmocka_unit_test(test_error_order_and_paths),
        cmocka_unit_test(test_threads),
        cmocka_unit_test(test_check_matches_validate),
        cmocka_unit_test(test_layout_fallbacks),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
