/* The response writer's JSON: the same bytes Python's json.dumps writes with
 * default arguments (the seed's envelope and error bodies). The expected
 * strings were produced by CPython 3.11 json.dumps. */
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <setjmp.h>
#include <cmocka.h>

#include "http/json_write.h"
#include "ponty/jsonschema.h"

static void expect_json(const char *in, const char *want)
{
    json_error_t err;
    json_t *v = json_loads(in, JSON_DECODE_ANY, &err);
    assert_non_null(v);
    pt__buf_t b = { 0 };
    assert_int_equal(pt__json_write(&b, v, NULL), 0);
    pt__buf_append(&b, "", 1);
    assert_string_equal(b.data, want);
    pt__buf_free(&b);
    json_decref(v);
}

static void test_separators_and_order(void **state)
{
    (void)state;
    expect_json("{\"a\":1,\"b\":[1,2,{\"c\":null}],\"z\":true,\"y\":false}",
                "{\"a\": 1, \"b\": [1, 2, {\"c\": null}], \"z\": true, \"y\": false}");
    expect_json("{}", "{}");
    expect_json("[]", "[]");
    expect_json("\"x\"", "\"x\"");
    expect_json("-9223372036854775808", "-9223372036854775808");
}

static void test_strings_ensure_ascii(void **state)
{
    (void)state;
    expect_json("\"caf\\u00e9 \\u4e2d \\ud83d\\ude00\"", "\"caf\\u00e9 \\u4e2d \\ud83d\\ude00\"");
    expect_json("\"q\\\"b\\\\s/\\n\\r\\t\\b\\f\\u0001\\u001f\\u007f\"",
                "\"q\\\"b\\\\s/\\n\\r\\t\\b\\f\\u0001\\u001f\\u007f\"");
}

static void test_float_repr(void **state)
{
    (void)state;
    struct { double d; const char *py; } cases[] = {
        { 0.1, "0.1" }, { 1.0, "1.0" }, { -2.5, "-2.5" }, { 1e100, "1e+100" },
        { 1e16, "1e+16" }, { 1e15, "1000000000000000.0" }, { 0.0001, "0.0001" },
        { 0.00001, "1e-05" }, { 123456789.123, "123456789.123" },
        { 1.7976931348623157e308, "1.7976931348623157e+308" }, { 5e-324, "5e-324" },
        { 0.30000000000000004, "0.30000000000000004" }, { -0.0, "-0.0" },
        { 2.5e-7, "2.5e-07" }, { 12345678901234567890.0, "1.2345678901234567e+19" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char buf[32];
        int n = pt_py_float_repr(cases[i].d, buf, true);
        assert_string_equal(buf, cases[i].py);
        assert_int_equal(n, strlen(cases[i].py));
        /* finite values are spelled alike for repr() and json.dumps */
        pt_py_float_repr(cases[i].d, buf, false);
        assert_string_equal(buf, cases[i].py);
    }
    /* non-finite: json.dumps spells them as JavaScript does, repr() does not */
    struct { double d; const char *json, *repr; } special[] = {
        { NAN, "NaN", "nan" }, { INFINITY, "Infinity", "inf" }, { -INFINITY, "-Infinity", "-inf" },
    };
    for (size_t i = 0; i < sizeof special / sizeof special[0]; i++) {
        char buf[32];
        assert_int_equal(pt_py_float_repr(special[i].d, buf, true), strlen(special[i].json));
        assert_string_equal(buf, special[i].json);
        assert_int_equal(pt_py_float_repr(special[i].d, buf, false), strlen(special[i].repr));
        assert_string_equal(buf, special[i].repr);
    }
}

static void test_depth_limit(void **state)
{
    (void)state;
    json_t *root = json_array(), *cur = root;
    for (int i = 0; i < 1100; i++) {
        json_t *next = json_array();
        json_array_append_new(cur, next);
        cur = next;
    }
    pt__buf_t b = { 0 };
    assert_int_equal(pt__json_write(&b, root, NULL), -1);
    pt__buf_free(&b);
    json_decref(root);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_separators_and_order),
        cmocka_unit_test(test_strings_ensure_ascii),
        cmocka_unit_test(test_float_repr),
        cmocka_unit_test(test_depth_limit),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
