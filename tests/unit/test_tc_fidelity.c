/* Behaviour matched byte for byte with Python ponty on aiohttp 3.8 (the
 * expected bytes were taken from it), through the in-process test client:
 * Unicode decimal digits in a digits placeholder, NUL in text bodies, query
 * and route values, repr() of non-printable characters in schema messages,
 * "format" as an annotation unless asked for, charset on raised text,
 * OPTIONS *, cookies read as SimpleCookie reads them, and text and JSON
 * bodies decoded from their charset.
 *
 * The routes are tests/servers/fields_server.c's, compiled in without its
 * main; tests/http/test_fidelity.py keeps the cases on the examples (greet,
 * bangs), run as processes. */
#include "tc_util.h"

#define H PT_TEST_HEADERS

/* ---- route placeholders ---- */

static void digits_placeholder_takes_unicode_decimal_digits(void **state)
{
    static const struct { const char *target; const char *want; } cases[] = {
        { "/items/\xd9\xa3", "{\"id\": 3}" }, { "/items/\xef\xbc\x93", "{\"id\": 3}" },
        { "/items/\xe0\xa5\xa8", "{\"id\": 2}" }, { "/items/%D9%A3%D9%A0", "{\"id\": 30}" },
        { "/items/7", "{\"id\": 7}" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++)
        TC_OK_IS(tc_group, cases[i].want, "GET", cases[i].target);
}

static void digits_placeholder_refuses_other_numerics(void **state)
{
    const char *targets[] = { "/items/\xc2\xbd", "/items/\xc2\xb2", "/items/\xe2\x85\xab", "/items/3a" };
    for (size_t i = 0; i < 4; i++)
        TC_ERR(tc_group, 404, "404: Not Found", "GET", targets[i]);
}

/* ---- NUL ---- */

static void nul_in_text_body_is_text(void **state)
{
    pt_test_response_t *r = pt_test_request(tc_group, "POST", "/text", .body = "a\0b\0", .len = 4);
    assert_int_equal(r->status, 200);
    assert_non_null(strstr(r->body, "{\"text\": \"a\\u0000b\\u0000\", \"bytes\": 4}"));
    pt_test_response_free(r);
}

static void nul_in_string_query_value_is_named(void **state)
{
    TC_ERR(tc_group, 400, "query param 'q' contains a NUL character, which a C string cannot hold", "GET", "/iso/x?q=a%00b");
}

static void nul_in_route_value_is_named(void **state)
{
    TC_ERR(tc_group, 400, "route param 'seg' contains a NUL character, which a C string cannot hold", "GET", "/any/a%00b");
}

/* Other query values and paths around an escaped NUL still work. */
static void encoded_nul_is_not_a_malformed_escape(void **state)
{
    TC_OK_IS(tc_group,
             "{\"name\": \"x\", \"q\": \"ok\", \"h\": \"dh\", \"c\": \"dc\", \"undeclared\": null, \"also_undeclared\": 0}",
             "GET", "/iso/x?z=%00&q=ok");
}

/* ---- repr() in messages ---- */

static void schema_messages_escape_what_repr_escapes(void **state)
{
    static const struct { const char *payload, *message; } cases[] = {
        { "{\"n\": 1, \"tag\": \"\\u200babc\"}", "'\\u200babc' is too long" },
        { "{\"n\": 1, \"tag\": \"\\u00a0\\u00ad!x\"}", "'\\xa0\\xad!x' is too long" },
        { "{\"n\": 1, \"tag\": \"\\u2028abc\"}", "'\\u2028abc' is too long" },
        { "{\"n\": 1, \"tag\": \"\\udb40\\udc01abc\"}", "'\\U000e0001abc' is too long" },
        { "{\"n\": 1, \"tag\": \"\\u0085abc\"}", "'\\x85abc' is too long" },
        { "{\"n\": 1, \"tag\": \"\\u00e9\\u20ac\\ud83d\\ude00x\"}",
          "'\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80x' is too long" },
        { "{\"n\": 1, \"tag\": \"it's\"}", "\"it's\" is too long" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++)
        TC_ERR(tc_group, 400, cases[i].message, "POST", "/schema", .body = cases[i].payload,
               .headers = H("Content-Type", "application/json"));
}

/* ---- "format" ---- */

static void format_is_an_annotation_by_default(void **state)
{
    TC_OK_IS(tc_group, "{\"body\": {\"e\": \"nope\"}}", "POST", "/format", .body = "{\"e\": \"nope\"}");
}

static void format_checked_when_asked(void **state)
{
    TC_ERR(tc_group, 400, "'nope' is not a 'email'", "POST", "/format_checked", .body = "{\"e\": \"nope\"}");
    TC_OK_IS(tc_group, "{\"body\": {\"e\": \"a@b.c\"}}", "POST", "/format_checked", .body = "{\"e\": \"a@b.c\"}");
}

/* ---- raises, OPTIONS * ---- */

static void raise_text_with_media_type_gets_charset(void **state)
{
    pt_test_response_t *r = pt_test_request(tc_group, "GET", "/teapot");
    assert_int_equal(r->status, 418);
    assert_string_equal(pt_test_header(r, "Content-Type"), "text/html; charset=utf-8");
    assert_string_equal(r->body, "teapot");
    pt_test_response_free(r);
}

static void options_asterisk_is_404(void **state)
{
    TC_ERR(tc_group, 404, "404: Not Found", "OPTIONS", "*");
}

/* ---- cookies ---- */

static void cookies_as_simplecookie(void **state)
{
    static const struct { const char *cookie, *session; } cases[] = {
        { "session=\"a\\101b\"", "aAb" },
        { "session=1; session=2", "2" },
        { "session=\"x\\\"y\"; Path=/; session=\"q\\\\\"", "q\\" },
        { "session=\"\\303\\251\"", "\xc3\x83\xc2\xa9" },
        { "$Version=1; session=v; $Path=/", "v" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        json_t *d = TC_OK(tc_group, "GET", "/cookie", .headers = H("Cookie", cases[i].cookie));
        assert_string_equal(json_string_value(json_object_get(d, "session")), cases[i].session);
        json_decref(d);
    }
}

static void cookie_octal_nul_is_named(void **state)
{
    TC_ERR(tc_group, 400, "cookie 'session' contains a NUL character, which a C string cannot hold", "GET", "/cookie",
           .headers = H("Cookie", "session=\"a\\000b\""));
}

/* ---- charsets ---- */

/* aiohttp's request.text() decodes with the Content-Type's charset. */
static void text_body_decoded_from_its_charset(void **state)
{
    static const struct { const char *ctype, *body; size_t len; const char *want; } cases[] = {
        { "text/plain; charset=latin-1", "caf\xe9 \xff", 6, "{\"text\": \"caf\\u00e9 \\u00ff\", \"bytes\": 8}" },
        { "text/plain; charset=ISO-8859-1", "na\xefve", 5, "{\"text\": \"na\\u00efve\", \"bytes\": 6}" },
        /* with its BOM */
        { "text/plain; charset=\"utf-16\"", "\xff\xfe\xa9\x03m\x00\x65\x00g\x00\x61\x00 \x00\xac ", 16,
          "{\"text\": \"\\u03a9mega \\u20ac\", \"bytes\": 10}" },
        /* no BOM: little-endian */
        { "text/plain; charset=utf_16", "l\x00\x65\x00", 4, "{\"text\": \"le\", \"bytes\": 2}" },
        { "text/plain; charset=cp1252", "\x80uro", 4, "{\"text\": \"\\u20acuro\", \"bytes\": 6}" },
        { "text/plain; charset=utf-8", "\xc3\xa9", 2, "{\"text\": \"\\u00e9\", \"bytes\": 2}" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++)
        TC_OK_IS(tc_group, cases[i].want, "POST", "/text", .body = cases[i].body, .len = cases[i].len,
                 .headers = H("Content-Type", cases[i].ctype));
}

/* request.json() reads request.text(): the charset applies to JSON too. */
static void json_body_decoded_from_its_charset(void **state)
{
    static const struct { const char *ctype, *body; size_t len; } cases[] = {
        { "application/json; charset=latin-1", "{\"name\": \"Jos\xe9\"}", 16 },
        { "application/json; charset=utf-16",
          "\xff\xfe{\x00\"\x00n\x00\x61\x00m\x00\x65\x00\"\x00:\x00 \x00\"\x00J\x00o\x00s\x00\xe9\x00\"\x00}\x00", 34 },
    };
    for (size_t i = 0; i < 2; i++)
        TC_OK_IS(tc_group, "{\"kind\": \"object\", \"body\": {\"name\": \"Jos\\u00e9\"}}", "POST", "/json",
                 .body = cases[i].body, .len = cases[i].len, .headers = H("Content-Type", cases[i].ctype));
}

/* Python answers 500 (LookupError); a client's mistake is a 4xx here. */
static void unknown_charset_is_415(void **state)
{
    TC_ERR(tc_group, 415, "unsupported charset 'klingon'", "POST", "/text", .body = "x",
           .headers = H("Content-Type", "text/plain; charset=klingon"));
}

/* An odd number of bytes is no UTF-16 text (Python: UnicodeDecodeError, 500). */
static void bytes_invalid_in_the_charset_are_400(void **state)
{
    TC_ERR(tc_group, 400, "request body is not valid utf-16le text", "POST", "/text", .body = "abc",
           .headers = H("Content-Type", "text/plain; charset=utf-16le"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(digits_placeholder_takes_unicode_decimal_digits),
        cmocka_unit_test(digits_placeholder_refuses_other_numerics),
        cmocka_unit_test(nul_in_text_body_is_text),
        cmocka_unit_test(nul_in_string_query_value_is_named),
        cmocka_unit_test(nul_in_route_value_is_named),
        cmocka_unit_test(encoded_nul_is_not_a_malformed_escape),
        cmocka_unit_test(schema_messages_escape_what_repr_escapes),
        cmocka_unit_test(format_is_an_annotation_by_default),
        cmocka_unit_test(format_checked_when_asked),
        cmocka_unit_test(raise_text_with_media_type_gets_charset),
        cmocka_unit_test(options_asterisk_is_404),
        cmocka_unit_test(cookies_as_simplecookie),
        cmocka_unit_test(cookie_octal_nul_is_named),
        cmocka_unit_test(text_body_decoded_from_its_charset),
        cmocka_unit_test(json_body_decoded_from_its_charset),
        cmocka_unit_test(unknown_charset_is_415),
        cmocka_unit_test(bytes_invalid_in_the_charset_are_400),
    };
    return cmocka_run_group_tests(tests, tc_setup, tc_teardown);
}
