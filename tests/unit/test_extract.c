/* The extractors behind declared fields, on hand-built requests: headers
 * (case-insensitive, first wins), query lookup (decoding, '+', first wins,
 * malformed escapes), route params, cookies (several headers, quotes,
 * prefixes), media types, and the JSON depth pre-scan. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <setjmp.h>
#include <cmocka.h>

#include <ponty.h>
#include "http/conn.h"
#include "fields/fields_rt.h"

static pt_req_t *new_req(void)
{
    pt_req_t *r = test_calloc(1, sizeof *r);
    pt__req_init(r, NULL);
    return r;
}

static void free_req(pt_req_t *r)
{
    pt__req_destroy(r);
    test_free(r);
}

static void hdr(pt_req_t *r, const char *n, const char *v)
{
    pt__req_add_header(r, n, strlen(n), v, strlen(v));
}

static void test_headers(void **state)
{
    (void)state;
    pt_req_t *r = new_req();
    hdr(r, "Content-Type", "application/json");
    hdr(r, "X-Token", "first");
    hdr(r, "x-token", "second");
    assert_string_equal(pt_req_header(r, "content-type"), "application/json");
    assert_string_equal(pt_req_header(r, "X-TOKEN"), "first");
    assert_null(pt_req_header(r, "X-Missing"));
    assert_int_equal(pt_req_header_count(r), 3);
    free_req(r);
}

static void test_query_lookup(void **state)
{
    (void)state;
    pt_req_t *r = new_req();
    const char *v;
    size_t n;
    r->query = "a=1&b=x+y&a=2&c&e%20k=%41%42&empty=&bad=%ZZ&tail=%4&nul=a%00b&k%00=z";
    assert_int_equal(pt__req_query_lookup(r, "a", &v, &n), 1); assert_string_equal(v, "1");
    assert_int_equal(pt__req_query_lookup(r, "b", &v, &n), 1); assert_string_equal(v, "x y");
    assert_int_equal(pt__req_query_lookup(r, "c", &v, &n), 1); assert_string_equal(v, "");
    assert_int_equal(pt__req_query_lookup(r, "e k", &v, &n), 1); assert_string_equal(v, "AB");
    assert_int_equal(pt__req_query_lookup(r, "empty", &v, &n), 1); assert_string_equal(v, "");
    assert_int_equal(pt__req_query_lookup(r, "bad", &v, &n), -1);
    assert_int_equal(pt__req_query_lookup(r, "tail", &v, &n), -1);
    assert_int_equal(pt__req_query_lookup(r, "nope", &v, &n), 0);
    /* %00 is a byte: the value keeps it and its length counts it */
    assert_int_equal(pt__req_query_lookup(r, "nul", &v, &n), 1);
    assert_int_equal(n, 3); assert_memory_equal(v, "a\0b", 4);
    assert_string_equal(pt_req_query(r, "nul"), "a");
    /* a key holding NUL matches no C-string key, not even its prefix */
    assert_int_equal(pt__req_query_lookup(r, "k", &v, &n), 0);
    assert_null(pt_req_query(r, "bad"));
    assert_string_equal(pt_req_query(r, "a"), "1");
    free_req(r);
}

static void test_route_params(void **state)
{
    (void)state;
    pt_req_t *r = new_req();
    const char *path = "/hello/world/42";
    r->match.ncaptures = 2;
    r->match.captures[0] = (pt__route_capture_t){ "name", path + 7, 5 };
    r->match.captures[1] = (pt__route_capture_t){ "id", path + 13, 2 };
    assert_string_equal(pt_req_param(r, "name"), "world");
    assert_string_equal(pt_req_param(r, "id"), "42");
    assert_null(pt_req_param(r, "other"));
    free_req(r);
}

static void test_cookies(void **state)
{
    (void)state;
    pt_req_t *r = new_req();
    hdr(r, "Cookie", "theme=dark; session=abc123;sid=\"quoted value\"");
    hdr(r, "Cookie", "session=second; extra=1");
    size_t n;
    assert_string_equal(pt__cookie_value(r, "session", &n), "abc123"); /* the first header answers */
    assert_string_equal(pt__cookie_value(r, "theme", &n), "dark");
    assert_string_equal(pt__cookie_value(r, "sid", &n), "quoted value");
    assert_string_equal(pt__cookie_value(r, "extra", &n), "1");
    assert_null(pt__cookie_value(r, "sess", &n));   /* no prefix matches */
    assert_null(pt__cookie_value(r, "absent", &n));
    free_req(r);

    /* SimpleCookie's grammar: the last of a repeated name wins, octal and
     * backslash escapes in quotes, attributes belong to the cookie before */
    r = new_req();
    hdr(r, "Cookie", "a=1; a=2; q=\"x\\101\\\"y\\377\"; Path=/p; b=3; z=\"\\000\"");
    assert_string_equal(pt__cookie_value(r, "a", &n), "2");
    assert_string_equal(pt__cookie_value(r, "q", &n), "xA\"y\xc3\xbf");
    assert_string_equal(pt__cookie_value(r, "b", &n), "3");
    assert_null(pt__cookie_value(r, "Path", &n));
    assert_non_null(pt__cookie_value(r, "z", &n));
    assert_int_equal(n, 1);
    free_req(r);

    /* a header the grammar rejects (a bare word) is read leniently */
    r = new_req();
    hdr(r, "Cookie", "flag; a=1; a=2");
    assert_string_equal(pt__cookie_value(r, "a", &n), "1");
    free_req(r);
}

static void test_media_types(void **state)
{
    (void)state;
    assert_true(pt__media_type_is("application/json", "application/json"));
    assert_true(pt__media_type_is("Application/JSON; charset=utf-8", "application/json"));
    assert_true(pt__media_type_is("  application/json ;q=1", "application/json"));
    assert_false(pt__media_type_is("application/jsonx", "application/json"));
    assert_false(pt__media_type_is("text/plain", "application/json"));
    assert_false(pt__media_type_is("", "application/json"));
    assert_false(pt__media_type_is(NULL, "application/json"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_headers),
        cmocka_unit_test(test_query_lookup),
        cmocka_unit_test(test_route_params),
        cmocka_unit_test(test_cookies),
        cmocka_unit_test(test_media_types),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
