/* Errors as statuses through the in-process test client: pt_raise with
 * text, JSON bodies, media types and headers; bare statuses and error
 * kinds; NULL handlers; 404 and 405 with Allow; routes per method and for
 * any method; percent-decoding of the path; cleanups on the raise and
 * return paths; and the envelope's JSON as Python's json.dumps writes it.
 *
 * The routes are tests/servers/test_server.c's, compiled in without its
 * main (PT_SERVER_NO_MAIN); tests/http/test_errors.py keeps what needs the
 * socket (pipelined answers after a 204 or a 1xx raise, the server's
 * stderr, the mutex across two workers). */
#include "tc_util.h"

/* http.HTTPStatus(code).phrase, "Unknown" for a code it has not. */
static const char *reason(int code)
{
    switch (code) {
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 409: return "Conflict";
    case 410: return "Gone";
    case 500: return "Internal Server Error";
    case 502: return "Bad Gateway";
    case 503: return "Service Unavailable";
    default: return "Unknown";
    }
}

static void raise_status_with_text(void **state)
{
    const int codes[] = { 400, 401, 403, 404, 409, 418, 422, 429, 500, 503 };
    for (size_t i = 0; i < sizeof codes / sizeof *codes; i++) {
        char path[96], text[32];
        snprintf(path, sizeof path, "/raise/%d?text=custom%%20%%C3%%A9%%20%d", codes[i], codes[i]);
        snprintf(text, sizeof text, "custom \xc3\xa9 %d", codes[i]);
        TC_ERR(tc_group, codes[i], text, "GET", path);
    }
}

static void raise_status_with_json_body(void **state)
{
    const int codes[] = { 400, 404, 409, 451, 500 };
    for (size_t i = 0; i < sizeof codes / sizeof *codes; i++) {
        char path[64], body[64];
        snprintf(path, sizeof path, "/raise/%d?body=json", codes[i]);
        snprintf(body, sizeof body, "{\"status\": %d, \"detail\": \"raised\"}", codes[i]);
        pt_test_response_t *r = pt_test_request(tc_group, "GET", path);
        assert_int_equal(r->status, codes[i]);
        assert_string_equal(pt_test_header(r, "Content-Type"), TC_JSON_CT);
        assert_string_equal(r->body, body);
        pt_test_response_free(r);
    }
}

static void raise_status_bare(void **state)
{
    const int codes[] = { 400, 401, 404, 405, 409, 410, 500, 502, 503, 599 };
    for (size_t i = 0; i < sizeof codes / sizeof *codes; i++) {
        char path[64], body[64];
        snprintf(path, sizeof path, "/raise/%d", codes[i]);
        snprintf(body, sizeof body, "%d: %s", codes[i], reason(codes[i]));
        TC_ERR(tc_group, codes[i], body, "GET", path);
    }
}

static void raise_with_content_type_and_headers(void **state)
{
    pt_test_response_t *r = pt_test_request(tc_group, "GET", "/raise/402?text=%3Cb%3Ex%3C%2Fb%3E&ct=text%2Fhtml&hdr=v1");
    assert_int_equal(r->status, 402);
    assert_string_equal(r->body, "<b>x</b>");
    assert_string_equal(pt_test_header(r, "Content-Type"), "text/html; charset=utf-8"); /* text bodies are UTF-8 */
    assert_string_equal(pt_test_header(r, "X-Test"), "v1");
    pt_test_response_free(r);
}

static void raise_invalid_status_is_500(void **state)
{
    const char *paths[] = { "/raise/0", "/raise/99", "/raise/1000" };
    for (size_t i = 0; i < 3; i++)
        tc_status_body(pt_test_request(tc_group, "GET", paths[i]), 500, "500: Internal Server Error");
}

static void null_handler_is_500(void **state)
{
    TC_ERR(tc_group, 500, "500: Internal Server Error", "GET", "/null");
}

static void error_kinds(void **state)
{
    static const struct { const char *kind; int code; } cases[] = {
        { "does_not_exist", 404 }, { "validation", 400 }, { "locked", 409 }, { "stampede", 409 }, { "error", 500 },
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        char path[64], body[64];
        snprintf(path, sizeof path, "/kinds/%s", cases[i].kind);
        snprintf(body, sizeof body, "%d: %s", cases[i].code, reason(cases[i].code));
        TC_ERR(tc_group, cases[i].code, body, "GET", path);
    }
}

static void user_defined_error_kind(void **state)
{
    tc_status_body(pt_test_request(tc_group, "GET", "/kinds/custom"), 418, "kind custom");
}

static void resp_header_applies_to_envelope_and_error(void **state)
{
    pt_test_response_t *r = pt_test_request(tc_group, "GET", "/resp_header");
    assert_int_equal(r->status, 200);
    assert_string_equal(pt_test_header(r, "X-Added"), "yes");
    pt_test_response_free(r);
    r = pt_test_request(tc_group, "GET", "/resp_header?raise=1");
    assert_int_equal(r->status, 409);
    assert_string_equal(r->body, "conflict");
    assert_string_equal(pt_test_header(r, "X-Added"), "yes");
    pt_test_response_free(r);
}

static void not_found(void **state)
{
    const char *paths[] = { "/nope", "/raise/abc", "/sleep/-1", "/methods/", "/METHODS", "//whoami" };
    for (size_t i = 0; i < sizeof paths / sizeof *paths; i++)
        TC_ERR(tc_group, 404, "404: Not Found", "GET", paths[i]);
}

static void method_not_allowed_with_allow(void **state)
{
    const char *methods[] = { "POST", "OPTIONS", "PROPFIND", "TRACE" };
    for (size_t i = 0; i < 4; i++) {
        pt_test_response_t *r = pt_test_request(tc_group, methods[i], "/methods", .body = "");
        assert_int_equal(r->status, 405);
        assert_string_equal(r->body, "405: Method Not Allowed");
        assert_string_equal(pt_test_header(r, "Allow"), "GET, HEAD, PUT, DELETE, PATCH");
        pt_test_response_free(r);
    }
}

static void each_registered_method(void **state)
{
    const char *methods[] = { "GET", "PUT", "DELETE", "PATCH" };
    for (size_t i = 0; i < 4; i++) {
        char want[64];
        snprintf(want, sizeof want, "{\"method\": \"%s\"}", methods[i]);
        TC_OK_IS(tc_group, want, methods[i], "/methods", .body = "");
    }
}

static void any_method_route(void **state)
{
    static const char *const cases[][2] = { { "GET", "any" }, { "DELETE", "any" }, { "PROPFIND", "any" },
                                            { "POST", "post" } };
    for (size_t i = 0; i < 4; i++) {
        char want[96];
        snprintf(want, sizeof want, "{\"route\": \"%s\", \"method\": \"%s\"}", cases[i][1], cases[i][0]);
        pt_test_response_t *r = pt_test_request(tc_group, cases[i][0], "/any", .body = "");
        assert_int_equal(r->status, 200);
        json_t *env = json_loadb(r->body, r->len, 0, NULL);
        tc_assert_json(json_object_get(env, "data"), want);
        json_decref(env);
        pt_test_response_free(r);
    }
}

static void percent_decoding_of_path(void **state)
{
    static const char *const cases[][2] = {
        { "/hello/%79ou", "/hello/you" }, { "/a%20b/%C3%A9", "/a b/\xc3\xa9" }, { "/a+b", "/a+b" },
        { "/%7e%7E", "/~~" },
    };
    for (size_t i = 0; i < 4; i++) {
        char target[96], path[96];
        snprintf(target, sizeof target, "/request%s?q=a%%20b+c", cases[i][0]);
        snprintf(path, sizeof path, "/request%s", cases[i][1]);
        pt_test_response_t *r = pt_test_request(tc_group, "GET", target);
        assert_int_equal(r->status, 200);
        json_t *env = json_loadb(r->body, r->len, 0, NULL);
        json_t *d = json_object_get(env, "data");
        assert_string_equal(json_string_value(json_object_get(d, "path")), path);
        assert_string_equal(json_string_value(json_object_get(d, "target")), target);
        assert_string_equal(json_string_value(json_object_get(d, "query_string")), "q=a%20b+c");
        assert_string_equal(json_string_value(json_object_get(d, "q")), "a b c");
        json_decref(env);
        pt_test_response_free(r);
    }
}

static void malformed_percent_encoding_400(void **state)
{
    const char *paths[] = { "/request/%zz", "/request/%4", "/request/a%", "/request/%g1" };
    for (size_t i = 0; i < 4; i++) {
        pt_test_response_t *r = pt_test_request(tc_group, "GET", paths[i]);
        assert_int_equal(r->status, 400);
        assert_memory_equal(r->body, "400: Bad Request", 16);
        assert_string_equal(pt_test_header(r, "Content-Type"), TC_TEXT_CT);
        pt_test_response_free(r);
    }
}

static json_int_t defer_count(pt_test_client_t *c)
{
    json_t *d = TC_OK(c, "GET", "/defer_count");
    json_int_t n = json_integer_value(json_object_get(d, "count"));
    json_decref(d);
    return n;
}

/* Cleanups run when the request ends, before its response is written. */
static void cleanups_run_on_raise_and_return_paths(void **state)
{
    json_int_t before = defer_count(tc_group);
    for (int i = 0; i < 5; i++)
        tc_status_body(pt_test_request(tc_group, "GET", "/defer"), 400, "deferred");
    pt_test_response_t *r = pt_test_request(tc_group, "GET", "/defer_ok");
    assert_int_equal(r->status, 200);
    pt_test_response_free(r);
    assert_int_equal(defer_count(tc_group), before + 5 + 1);
}

static void cleanups_run_when_raising_after_a_suspension(void **state)
{
    pt_test_client_t *c = pt_test_client_new();
    json_int_t before = defer_count(c);
    for (int i = 0; i < 3; i++)
        tc_status_body(pt_test_request(c, "GET", "/defer_sleep"), 400, "deferred");
    assert_int_equal(defer_count(c), before + 3);
    pt_test_client_free(c);
}

/* The data part is exactly what Python writes for the same values
 * (ensure_ascii escapes, lower-case hex, repr of floats): the envelope
 * check compares the bytes with json.dumps of the parsed value. */
static void python_compatible_json(void **state)
{
    json_t *d = TC_OK(tc_group, "GET", "/unicode");
    char *got = tc_py_dumps(d);
    assert_string_equal(got,
                        "{\"e_acute\": \"\\u00e9\", \"snowman\": \"\\u2603\", \"emoji\": \"\\ud83d\\ude00\", "
                        "\"controls\": \"tab\\there\\nnl \\\"q\\\" \\\\ \\u0001\\u001f\\u007f\", "
                        "\"caf\\u00e9\": \"key\", \"tenth\": 0.1, \"third\": 0.3333333333333333, \"one\": 1.0, "
                        "\"big\": 1e+100, \"e16\": 1e+16, \"under16\": 123456789012345.6, \"small\": 1e-07, "
                        "\"milli\": 0.0001, \"neg\": -2.5, \"negzero\": -0.0, \"maxint\": 9223372036854775807, "
                        "\"minint\": -9223372036854775808, \"list\": [1, 2.5, null, true, false, {}, []]}");
    free(got);
    json_decref(d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(raise_status_with_text),
        cmocka_unit_test(raise_status_with_json_body),
        cmocka_unit_test(raise_status_bare),
        cmocka_unit_test(raise_with_content_type_and_headers),
        cmocka_unit_test(raise_invalid_status_is_500),
        cmocka_unit_test(null_handler_is_500),
        cmocka_unit_test(error_kinds),
        cmocka_unit_test(user_defined_error_kind),
        cmocka_unit_test(resp_header_applies_to_envelope_and_error),
        cmocka_unit_test(not_found),
        cmocka_unit_test(method_not_allowed_with_allow),
        cmocka_unit_test(each_registered_method),
        cmocka_unit_test(any_method_route),
        cmocka_unit_test(percent_decoding_of_path),
        cmocka_unit_test(malformed_percent_encoding_400),
        cmocka_unit_test(cleanups_run_on_raise_and_return_paths),
        cmocka_unit_test(cleanups_run_when_raising_after_a_suspension),
        cmocka_unit_test(python_compatible_json),
    };
    return cmocka_run_group_tests(tests, tc_setup, tc_teardown);
}
