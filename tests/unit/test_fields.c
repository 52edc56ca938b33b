/* Request-field building blocks: Python-style int casts and reprs, the
 * boolish table, UTF-8 checks, and the start-up checks of a declared route
 * (placeholders vs fields, defaults, schema files) with their messages. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <setjmp.h>
#include <cmocka.h>

#include <ponty.h>
#include "fields/cast.h"
#include "fields/fields_rt.h"

static void test_cast_int_python_rules(void **state)
{
    (void)state;
    int64_t v;
    assert_int_equal(pt__cast_int("7", &v), 0); assert_int_equal(v, 7);
    assert_int_equal(pt__cast_int(" +12 ", &v), 0); assert_int_equal(v, 12);
    assert_int_equal(pt__cast_int("-3", &v), 0); assert_int_equal(v, -3);
    assert_int_equal(pt__cast_int("1_000", &v), 0); assert_int_equal(v, 1000);
    assert_int_equal(pt__cast_int("9223372036854775807", &v), 0); assert_int_equal(v, INT64_MAX);
    assert_int_equal(pt__cast_int("-9223372036854775808", &v), 0); assert_int_equal(v, INT64_MIN);
    const char *bad[] = { "", " ", "abc", "1a", "1__0", "_1", "1_", "--1", "+", "1 2",
                          "9223372036854775808", "99999999999999999999999", "0x10", "1.5" };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_int_equal(pt__cast_int(bad[i], &v), -1);
}

static void test_cast_bool_table(void **state)
{
    (void)state;
    bool b;
    const char *t[] = { "1", "yes", "true", "t" }, *f[] = { "0", "no", "false", "f" };
    for (int i = 0; i < 4; i++) {
        assert_int_equal(pt__cast_bool(t[i], &b), 0); assert_true(b);
        assert_int_equal(pt__cast_bool(f[i], &b), 0); assert_false(b);
    }
    assert_int_equal(pt__cast_bool("True", &b), -1); /* the seed's table is case-sensitive */
    assert_int_equal(pt__cast_bool("", &b), -1);
}

static void test_python_repr_of_strings(void **state)
{
    (void)state;
    pt_arena_t a;
    pt_arena_init(&a, 0);
    assert_string_equal(pt__py_repr_str(&a, "abc", 3), "'abc'");
    assert_string_equal(pt__py_repr_str(&a, "it's", 4), "\"it's\"");
    assert_string_equal(pt__py_repr_str(&a, "a'b\"c", 5), "'a\\'b\"c'");
    assert_string_equal(pt__py_repr_str(&a, "a\nb\\", 4), "'a\\nb\\\\'");
    assert_string_equal(pt__py_repr_str(&a, "\x01", 1), "'\\x01'");
    assert_string_equal(pt__py_repr_str(&a, "caf\xc3\xa9", 5), "'caf\xc3\xa9'");
    assert_string_equal(pt__py_repr_str(&a, "\xff", 1), "'\\xff'");
    assert_string_equal(pt__py_repr_str(&a, "", 0), "''");
    pt_arena_destroy(&a);
}

static void test_utf8_validation(void **state)
{
    (void)state;
    assert_true(pt__utf8_valid("plain", 5));
    assert_true(pt__utf8_valid("\xc3\xa9\xe4\xb8\xad\xf0\x9f\x98\x80", 9));
    assert_false(pt__utf8_valid("\xc3", 1));          /* truncated */
    assert_false(pt__utf8_valid("\xc0\xaf", 2));      /* overlong */
    assert_false(pt__utf8_valid("\xed\xa0\x80", 3));  /* surrogate */
    assert_false(pt__utf8_valid("\xf4\x90\x80\x80", 4)); /* beyond U+10FFFF */
}

/* ---- start-up checks ---- */

typedef struct { const char *name; int64_t n; } two_in;
PT_FIELDS(two_in, PT_ROUTE_STR(name), PT_QUERY_POSINT(n, .dflt = "1"));

typedef struct { const char *x; } noq_in;
PT_FIELDS(noq_in, PT_QUERY_STR(x));

typedef struct { int64_t n; } baddflt_in;
PT_FIELDS(baddflt_in, PT_QUERY_POSINT(n, .dflt = "many"));

typedef struct { json_t *body; } schema_in;
PT_FIELDS(schema_in, PT_BODY_SCHEMA(body, .schema_file = "/nonexistent/schema.json"));

static json_t *h(pt_req_t *r) { (void)r; return NULL; }

static int prepare(const pt_expect_t *e, const char *path, char *err, pt__route_rt_t *rt)
{
    pt_route_def_t def = { .method = "GET", .path = path, .handler = h, .expect = e };
    static pt_route_def_t keep;
    keep = def;
    int rc = pt__route_rt_init(rt, &keep, path, err, 512);
    return rc;
}

static void test_startup_renders_patterns(void **state)
{
    (void)state;
    char err[512] = "";
    pt__route_rt_t rt;
    assert_int_equal(prepare(two_in_fields(), "/hello/{name}", err, &rt), 0);
    assert_string_equal(rt.path, "/hello/{name:\\w+}");
    pt__route_rt_free(&rt);
    /* An explicit regex in the path wins. */
    assert_int_equal(prepare(two_in_fields(), "/hello/{name:[a-z]+}", err, &rt), 0);
    assert_string_equal(rt.path, "/hello/{name:[a-z]+}");
    pt__route_rt_free(&rt);
}

static void test_startup_errors_name_the_route(void **state)
{
    (void)state;
    char err[512];
    pt__route_rt_t rt;
    assert_int_equal(prepare(two_in_fields(), "/hello", err, &rt), -1);
    assert_string_equal(err, "GET /hello: route field 'name' of two_in has no {name} placeholder in the path");
    pt__route_rt_free(&rt);
    assert_int_equal(prepare(two_in_fields(), "/hello/{name}/{other}", err, &rt), -1);
    assert_string_equal(err, "GET /hello/{name}/{other}: placeholder 'other' has no declared route field in two_in");
    pt__route_rt_free(&rt);
    assert_int_equal(prepare(noq_in_fields(), "/q", err, &rt), -1);
    assert_string_equal(err, "GET /q: query field 'x' must be .required or have a .dflt");
    pt__route_rt_free(&rt);
    assert_int_equal(prepare(baddflt_in_fields(), "/q", err, &rt), -1);
    assert_string_equal(err, "GET /q: default 'many' of field 'n' does not cast");
    pt__route_rt_free(&rt);
    assert_int_equal(prepare(schema_in_fields(), "/s", err, &rt), -1);
    assert_non_null(strstr(err, "GET /s: field 'body': "));
    assert_non_null(strstr(err, "/nonexistent/schema.json"));
    pt__route_rt_free(&rt);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cast_int_python_rules),
        cmocka_unit_test(test_cast_bool_table),
        cmocka_unit_test(test_python_repr_of_strings),
        cmocka_unit_test(test_utf8_validation),
        cmocka_unit_test(test_startup_renders_patterns),
        cmocka_unit_test(test_startup_errors_name_the_route),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
