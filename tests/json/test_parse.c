/* pt_json_parse: the tree it builds, Python's json.loads language (integers
 * of any size, "\u0000", lone surrogates, repeated keys), its errors in
 * Python's wording, the nesting limit, and validation and struct binding
 * on the tree (big integers included). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "ponty/jsonschema.h"

static pt_jdoc_t *parse(const char *text)
{
    pt_schema_error_t err = {0};
    pt_jdoc_t *d = pt_json_parse(text, strlen(text), NULL, &err);
    if (!d)
        fail_msg("parse failed: %s", err.message);
    return d;
}

static char *parse_error(const char *text, size_t len, int max_depth)
{
    pt_schema_error_t err = {0};
    pt_json_parse_opts_t o = {.max_depth = max_depth};
    pt_jdoc_t *d = pt_json_parse(text, len, &o, &err);
    assert_null(d);
    assert_non_null(err.message);
    char *m = strdup(err.message);
    pt_schema_error_clear(&err);
    return m;
}

static void expect_error(const char *text, const char *want)
{
    char *m = parse_error(text, strlen(text), 0);
    assert_string_equal(m, want);
    free(m);
}

static void test_tree(void **state)
{
    (void)state;
    pt_jdoc_t *d = parse(" {\"a\": [1, -2.5, true, false, null, \"x\"], \"b\": {}, \"c\": []} ");
    const pt_jv_t *r = pt_jdoc_root(d);
    assert_int_equal(r->type, PT_JV_OBJECT);
    assert_int_equal(r->len, 3);
    assert_string_equal(r->u.members[0].key, "a");
    const pt_jv_t *a = &r->u.members[0].v;
    assert_int_equal(a->type, PT_JV_ARRAY);
    assert_int_equal(a->len, 6);
    assert_int_equal(a->u.items[0].type, PT_JV_INT);
    assert_int_equal(a->u.items[0].u.i, 1);
    assert_int_equal(a->u.items[1].type, PT_JV_REAL);
    assert_true(a->u.items[1].u.d == -2.5);
    assert_int_equal(a->u.items[2].type, PT_JV_TRUE);
    assert_int_equal(a->u.items[3].type, PT_JV_FALSE);
    assert_int_equal(a->u.items[4].type, PT_JV_NULL);
    assert_int_equal(a->u.items[5].type, PT_JV_STRING);
    assert_string_equal(a->u.items[5].u.s, "x");
    assert_int_equal(r->u.members[1].v.type, PT_JV_OBJECT);
    assert_int_equal(r->u.members[1].v.len, 0);
    assert_int_equal(r->u.members[2].v.type, PT_JV_ARRAY);
    assert_int_equal(r->u.members[2].v.len, 0);
    pt_jdoc_free(d);
}

/* Integers: int64 while they fit, digits beyond. */
static void test_big_integers(void **state)
{
    (void)state;
    pt_jdoc_t *d = parse("[9223372036854775807, -9223372036854775808, 9223372036854775808, "
                         "-9223372036854775809, 123456789012345678901234567890, 1e2, 10.0]");
    const pt_jv_t *a = pt_jdoc_root(d);
    assert_int_equal(a->u.items[0].type, PT_JV_INT);
    assert_true(a->u.items[0].u.i == INT64_MAX);
    assert_int_equal(a->u.items[1].type, PT_JV_INT);
    assert_true(a->u.items[1].u.i == INT64_MIN);
    assert_int_equal(a->u.items[2].type, PT_JV_BIGINT);
    assert_string_equal(a->u.items[2].u.s, "9223372036854775808");
    assert_int_equal(a->u.items[3].type, PT_JV_BIGINT);
    assert_string_equal(a->u.items[3].u.s, "-9223372036854775809");
    assert_int_equal(a->u.items[4].type, PT_JV_BIGINT);
    assert_int_equal(a->u.items[4].len, 30);
    assert_int_equal(a->u.items[5].type, PT_JV_REAL); /* an exponent makes a float, as in Python */
    assert_int_equal(a->u.items[6].type, PT_JV_REAL);
    /* as jansson values: the nearest double */
    json_t *j = pt_jv_to_json(&a->u.items[4]);
    assert_true(json_is_real(j));
    assert_true(json_real_value(j) == 123456789012345678901234567890.0);
    json_decref(j);
    pt_jdoc_free(d);
}

static void test_strings(void **state)
{
    (void)state;
    pt_jdoc_t *d = parse("[\"a\\u0000b\", \"\\ud800\", \"\\ud83d\\ude00\", \"\\udc00\\ud800x\", "
                         "\"\\\"\\\\\\/\\b\\f\\n\\r\\t\", \"caf\xc3\xa9\", \"\\u00e9\"]");
    const pt_jv_t *a = pt_jdoc_root(d);
    assert_int_equal(a->u.items[0].len, 3);
    assert_memory_equal(a->u.items[0].u.s, "a\0b", 4);
    /* a lone surrogate: its three-byte form */
    assert_int_equal(a->u.items[1].len, 3);
    assert_memory_equal(a->u.items[1].u.s, "\xed\xa0\x80", 3);
    /* a pair is one code point */
    assert_string_equal(a->u.items[2].u.s, "\xf0\x9f\x98\x80");
    /* a low surrogate then a high one: two lone ones */
    assert_string_equal(a->u.items[3].u.s, "\xed\xb0\x80\xed\xa0\x80x");
    assert_string_equal(a->u.items[4].u.s, "\"\\/\b\f\n\r\t");
    assert_string_equal(a->u.items[5].u.s, "caf\xc3\xa9");
    assert_string_equal(a->u.items[6].u.s, "\xc3\xa9");
    pt_jdoc_free(d);
}

/* A repeated key keeps its first position and its last value (a dict). */
static void test_repeated_keys(void **state)
{
    (void)state;
    pt_jdoc_t *d = parse("{\"a\": 1, \"b\": 2, \"a\": 3}");
    const pt_jv_t *o = pt_jdoc_root(d);
    assert_int_equal(o->len, 2);
    assert_string_equal(o->u.members[0].key, "a");
    assert_int_equal(o->u.members[0].v.u.i, 3);
    assert_string_equal(o->u.members[1].key, "b");
    pt_jdoc_free(d);
    /* many members: the hashed path */
    char text[4096];
    size_t n = 0;
    n += (size_t)snprintf(text + n, sizeof text - n, "{");
    for (int i = 0; i < 40; i++)
        n += (size_t)snprintf(text + n, sizeof text - n, "\"k%d\": %d, ", i % 30, i);
    snprintf(text + n, sizeof text - n, "\"end\": 0}");
    d = parse(text);
    o = pt_jdoc_root(d);
    assert_int_equal(o->len, 31);
    assert_string_equal(o->u.members[5].key, "k5");
    assert_int_equal(o->u.members[5].v.u.i, 35);
    assert_string_equal(o->u.members[30].key, "end");
    pt_jdoc_free(d);
}

/* Errors as Python's json.loads words and places them. */
static void test_errors(void **state)
{
    (void)state;
    expect_error("", "Expecting value: line 1 column 1 (char 0)");
    expect_error("[1,]", "Expecting value: line 1 column 4 (char 3)");
    expect_error("{\"a\": 1,}", "Expecting property name enclosed in double quotes: line 1 column 9 (char 8)");
    expect_error("{\"a", "Unterminated string starting at: line 1 column 2 (char 1)");
    expect_error("[1 2]", "Expecting ',' delimiter: line 1 column 4 (char 3)");
    expect_error("{\"a\" 1}", "Expecting ':' delimiter: line 1 column 6 (char 5)");
    expect_error("\"\\x\"", "Invalid \\escape: line 1 column 2 (char 1)");
    expect_error("\"\\u12\"", "Invalid \\uXXXX escape: line 1 column 3 (char 2)");
    expect_error("\"a\x01\"", "Invalid control character at: line 1 column 3 (char 2)");
    expect_error("{} {}", "Extra data: line 1 column 4 (char 3)");
    expect_error("[\n  nul]", "Expecting value: line 2 column 3 (char 4)");
    expect_error("NaN", "Expecting value: line 1 column 1 (char 0)");
    expect_error("-", "Expecting value: line 1 column 1 (char 0)");
    expect_error("\"\xff\"", "Invalid UTF-8 byte: line 1 column 2 (char 1)");
    expect_error("\"\xed\xa0\x80\"", "Invalid UTF-8 byte: line 1 column 2 (char 1)"); /* raw surrogates are not UTF-8 */
    /* text need not be NUL-terminated: the length bounds it */
    char *m = parse_error("[1, 2]", 4, 0);
    assert_string_equal(m, "Expecting value: line 1 column 5 (char 4)");
    free(m);
}

static char *nested(size_t levels)
{
    char *s = malloc(2 * levels + 1);
    memset(s, '[', levels);
    memset(s + levels, ']', levels);
    s[2 * levels] = 0;
    return s;
}

/* The limit counts open containers; the parser itself never recurses, so a
 * hostile depth costs an error, not the stack. */
static void test_depth(void **state)
{
    (void)state;
    pt_json_parse_opts_t o = {.max_depth = 3};
    pt_schema_error_t err = {0};
    pt_jdoc_t *d = pt_json_parse("[[{}]]", 6, &o, &err);
    assert_non_null(d);
    pt_jdoc_free(d);
    char *m = parse_error("[[[[]]]]", 8, 3);
    assert_string_equal(m, "nested deeper than 3 levels: line 1 column 4 (char 3)");
    free(m);
    char *deep = nested(PT_JSON_DEFAULT_MAX_DEPTH);
    d = pt_json_parse(deep, strlen(deep), NULL, &err);
    assert_non_null(d);
    pt_jdoc_free(d);
    free(deep);
    deep = nested(1000000);
    m = parse_error(deep, strlen(deep), 0);
    assert_non_null(strstr(m, "nested deeper than 512 levels"));
    free(m);
    free(deep);
}

/* With a caller's allocator every byte of the tree comes from it. */
typedef struct counting {
    size_t calls, bytes;
    void *blocks[64];
} counting_t;

static void *count_alloc(void *ctx, size_t n)
{
    counting_t *c = ctx;
    if (c->calls == 64)
        return NULL;
    c->bytes += n;
    return c->blocks[c->calls++] = malloc(n);
}

static void test_caller_allocator(void **state)
{
    (void)state;
    counting_t c = {0};
    pt_json_parse_opts_t o = {.alloc = count_alloc, .alloc_ctx = &c};
    const char *text = "{\"first_name\": \"Mickey\", \"last_name\": \"Mouse\", \"height\": 1000}";
    pt_jdoc_t *d = pt_json_parse(text, strlen(text), &o, NULL);
    assert_non_null(d);
    assert_int_equal(c.calls, 1); /* one chunk: the text's size and a half */
    assert_int_equal(pt_jdoc_root(d)->len, 3);
    pt_jdoc_free(d); /* frees nothing of the allocator's */
    for (size_t i = 0; i < c.calls; i++)
        free(c.blocks[i]);
    /* an allocator that fails: an error, nothing leaked */
    c = (counting_t){.calls = 64};
    pt_schema_error_t err = {0};
    assert_null(pt_json_parse(text, strlen(text), &o, &err));
    assert_string_equal(err.message, "out of memory while parsing JSON");
    pt_schema_error_clear(&err);
}

static pt_schema_t *compile(const char *text)
{
    json_t *j = json_loads(text, 0, NULL);
    assert_non_null(j);
    pt_schema_error_t err = {0};
    pt_schema_t *s = pt_schema_compile(j, NULL, &err);
    json_decref(j);
    if (!s)
        fail_msg("compile: %s", err.message);
    return s;
}

static void expect_invalid(const char *schema, const char *instance, const char *message)
{
    pt_schema_t *s = compile(schema);
    pt_jdoc_t *d = parse(instance);
    pt_schema_error_t err = {0};
    int rc = pt_schema_validate_jv(s, pt_jdoc_root(d), &err);
    if (!message) {
        assert_int_equal(rc, 0);
        assert_true(pt_schema_is_valid_jv(s, pt_jdoc_root(d)));
    } else {
        assert_int_equal(rc, 1);
        assert_false(pt_schema_is_valid_jv(s, pt_jdoc_root(d)));
        assert_string_equal(err.message, message);
    }
    pt_schema_error_clear(&err);
    pt_jdoc_free(d);
    pt_schema_free(s);
}

/* Big integers are integers for every keyword, compared exactly, worded
 * with all their digits (Python's messages). */
static void test_validate_big_integers(void **state)
{
    (void)state;
    const char *big = "12345678901234567890";
    expect_invalid("{\"type\": \"integer\"}", big, NULL);
    expect_invalid("{\"type\": \"string\"}", big, "12345678901234567890 is not of type 'string'");
    expect_invalid("{\"maximum\": 100}", big, "12345678901234567890 is greater than the maximum of 100");
    expect_invalid("{\"maximum\": 1e30}", big, NULL);
    expect_invalid("{\"minimum\": 0}", "-12345678901234567890",
                   "-12345678901234567890 is less than the minimum of 0");
    expect_invalid("{\"exclusiveMaximum\": 1e19}", big,
                   "12345678901234567890 is greater than or equal to the maximum of 1e+19");
    expect_invalid("{\"multipleOf\": 10}", big, NULL);
    expect_invalid("{\"multipleOf\": 7}", big, "12345678901234567890 is not a multiple of 7");
    expect_invalid("{\"enum\": [1, \"a\"]}", big, "12345678901234567890 is not one of [1, 'a']");
    expect_invalid("{\"const\": 5}", big, "5 was expected");
    expect_invalid("{\"uniqueItems\": true}", "[12345678901234567890, 12345678901234567891]", NULL);
    expect_invalid("{\"uniqueItems\": true}", "[12345678901234567890, 12345678901234567890]",
                   "[12345678901234567890, 12345678901234567890] has non-unique elements");
    expect_invalid("{\"properties\": {\"height\": {\"type\": \"integer\", \"maximum\": 300}}}",
                   "{\"height\": 123456789012345678901234567890}",
                   "123456789012345678901234567890 is greater than the maximum of 300");
    /* strings with NULs and surrogates: lengths in code points, reprs escaped */
    expect_invalid("{\"maxLength\": 2}", "\"a\\u0000b\"", "'a\\x00b' is too long");
    expect_invalid("{\"maxLength\": 1}", "\"\\ud800\"", NULL);
    expect_invalid("{\"type\": \"integer\"}", "\"\\ud800\"", "'\\ud800' is not of type 'integer'");
}

/* max_stack bounds the validator's own recursion: a clean error, never an
 * overflow, however the schema recurses. */
static void test_max_stack(void **state)
{
    (void)state;
    json_t *j = json_loads("{\"type\": \"array\", \"items\": {\"allOf\": [{\"$ref\": \"#\"}]}}", 0, NULL);
    pt_schema_opts_t o = {.max_depth = 100000, .max_stack = 16 * 1024};
    pt_schema_error_t err = {0};
    pt_schema_t *s = pt_schema_compile(j, &o, &err);
    json_decref(j);
    assert_non_null(s);
    char *deep = nested(5000);
    pt_json_parse_opts_t po = {.max_depth = 10000};
    pt_jdoc_t *d = pt_json_parse(deep, strlen(deep), &po, &err);
    assert_non_null(d);
    assert_false(pt_schema_is_valid_jv(s, pt_jdoc_root(d)));
    assert_int_equal(pt_schema_validate_jv(s, pt_jdoc_root(d), &err), 1);
    assert_string_equal(err.message, "document nested too deeply for this schema (more than 16384 bytes of stack)");
    pt_schema_error_clear(&err);
    pt_jdoc_free(d);
    /* a shallow one is valid */
    d = pt_json_parse("[[[]]]", 6, NULL, &err);
    assert_true(pt_schema_is_valid_jv(s, pt_jdoc_root(d)));
    pt_jdoc_free(d);
    free(deep);
    pt_schema_free(s);
}

typedef struct Person {
    const char *first_name;
    int64_t height;
    int32_t shoe;
} Person;

static const pt_field_t person_fields[] = {
    PT_FIELD_STRING(Person, first_name),
    PT_FIELD_INT(Person, height),
    PT_FIELD_INT(Person, shoe, .defval = "42"),
};
static const pt_struct_desc_t person_desc = PT_STRUCT_DESC(Person, person_fields);

static void test_struct_decode(void **state)
{
    (void)state;
    pt_schema_error_t err = {0};
    pt_schema_t *s = pt_struct_compile(&person_desc, &err);
    assert_non_null(s);
    Person p;
    pt_jdoc_t *d = parse("{\"first_name\": \"M\\u0000x\", \"height\": 9223372036854775807}");
    assert_int_equal(pt_struct_decode_jv(&person_desc, s, pt_jdoc_root(d), &p, NULL, &err), 0);
    assert_memory_equal(p.first_name, "M\0x", 4);
    assert_true(p.height == INT64_MAX);
    assert_int_equal(p.shoe, 42);
    pt_struct_release(&person_desc, &p);
    pt_jdoc_free(d);

    d = parse("{\"first_name\": \"M\", \"height\": 9223372036854775808}");
    assert_int_equal(pt_struct_decode_jv(&person_desc, s, pt_jdoc_root(d), &p, NULL, &err), -1);
    assert_string_equal(err.message, "9223372036854775808 is out of range for a 64-bit integer");
    assert_string_equal(err.instance_path, "/height");
    pt_schema_error_clear(&err);
    pt_jdoc_free(d);

    d = parse("{\"first_name\": \"M\", \"height\": 1, \"shoe\": 2147483648}");
    assert_int_equal(pt_struct_decode_jv(&person_desc, s, pt_jdoc_root(d), &p, NULL, &err), -1);
    assert_string_equal(err.message, "2147483648 is out of range for a 32-bit integer");
    pt_schema_error_clear(&err);
    pt_jdoc_free(d);
    pt_schema_free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tree),
        cmocka_unit_test(test_big_integers),
        cmocka_unit_test(test_strings),
        cmocka_unit_test(test_repeated_keys),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_depth),
        cmocka_unit_test(test_caller_allocator),
        cmocka_unit_test(test_validate_big_integers),
        cmocka_unit_test(test_struct_decode),
        cmocka_unit_test(test_max_stack),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
