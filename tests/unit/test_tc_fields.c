/* Declared request fields at their edges, through the in-process test
 * client: headers and cookies (required, defaults, duplicates, quoting),
 * media types, body kinds and the body limit, the raw request, custom casts,
 * required query fields and only declared fields reaching the handler.
 *
 * The routes are tests/servers/fields_server.c's, compiled into this test
 * without its main (PT_SERVER_NO_MAIN): the same declarations the socket
 * tests in tests/http/test_fields_edges.py serve. */
#include "tc_util.h"

static pt_test_client_t *fs;    /* default limits */
static pt_test_client_t *small; /* .max_body = 64 */

static int setup(void **state)
{
    (void)state;
    fs = pt_test_client_new();
    small = pt_test_client_new(.limits = { .max_body = 64 });
    return fs && small ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    pt_test_client_free(fs);
    pt_test_client_free(small);
    return 0;
}

#define H PT_TEST_HEADERS

/* ---- headers ---- */

static void required_header_missing(void **state)
{
    TC_ERR(fs, 400, "required header 'X-Token' is missing", "GET", "/hdr");
}

static void header_defaults(void **state)
{
    TC_OK_IS(fs, "{\"token\": \"t\", \"lang\": \"en\", \"plain\": \"\", \"clen\": \"\", \"ctype\": \"\"}",
             "GET", "/hdr", .headers = H("X-Token", "t"));
}

static void header_name_case_insensitive(void **state)
{
    const char *names[] = { "X-Token", "x-token", "X-TOKEN", "x-ToKeN" };
    for (size_t i = 0; i < sizeof names / sizeof *names; i++) {
        json_t *d = TC_OK(fs, "GET", "/hdr", .headers = H(names[i], "abc"));
        assert_string_equal(json_string_value(json_object_get(d, "token")), "abc");
        json_decref(d);
    }
}

static void duplicate_header_first_wins(void **state)
{
    json_t *d = TC_OK(fs, "GET", "/hdr", .headers = H("X-Token", "first", "Accept-Language", "fr",
                                                      "x-token", "second", "Accept-Language", "de"));
    assert_string_equal(json_string_value(json_object_get(d, "token")), "first");
    assert_string_equal(json_string_value(json_object_get(d, "lang")), "fr");
    json_decref(d);
}

/* An empty required header is sent, so it is "" and not missing. */
static void empty_header_value_is_present(void **state)
{
    json_t *d = TC_OK(fs, "GET", "/hdr", .headers = H("X-Token", "", "Accept-Language", ""));
    assert_string_equal(json_string_value(json_object_get(d, "token")), "");
    assert_string_equal(json_string_value(json_object_get(d, "lang")), "");
    json_decref(d);
}

static void header_value_whitespace_trimmed(void **state)
{
    json_t *d = TC_OK(fs, "GET", "/hdr", .headers = H("X-Token", "  spaced out \t"));
    assert_string_equal(json_string_value(json_object_get(d, "token")), "spaced out");
    json_decref(d);
}

static void header_utf8_value(void **state)
{
    json_t *d = TC_OK(fs, "GET", "/hdr", .headers = H("X-Token", "caf\xc3\xa9 \xe2\x98\x83"));
    assert_string_equal(json_string_value(json_object_get(d, "token")), "caf\xc3\xa9 \xe2\x98\x83");
    json_decref(d);
}

static void header_invalid_utf8_value_is_400(void **state)
{
    pt_test_response_t *r = pt_test_request(fs, "GET", "/hdr", .headers = H("X-Token", "\xff\xfe"));
    assert_int_equal(r->status, 400);
    assert_string_equal(pt_test_header(r, "Content-Type"), TC_TEXT_CT);
    assert_non_null(strstr(r->body, "X-Token"));
    assert_non_null(strstr(r->body, "not valid UTF-8"));
    pt_test_response_free(r);
}

static void content_length_and_type_shorthands(void **state)
{
    json_t *d = TC_OK(fs, "POST", "/hdr", .body = "{\"k\": \"v\"}",
                      .headers = H("X-Token", "t", "Content-Type", "application/json; charset=utf-8"));
    assert_string_equal(json_string_value(json_object_get(d, "clen")), "10");
    assert_string_equal(json_string_value(json_object_get(d, "ctype")), "application/json; charset=utf-8");
    json_decref(d);
}

static void content_length_of_empty_post(void **state)
{
    json_t *d = TC_OK(fs, "POST", "/hdr", .headers = H("X-Token", "t"), .body = "");
    assert_string_equal(json_string_value(json_object_get(d, "clen")), "0");
    json_decref(d);
}

/* ---- cookies ---- */

#define COOKIE_IS(want, ...) TC_OK_IS(fs, want, "GET", "/cookie", .headers = H(__VA_ARGS__))

static void required_cookie_missing_uses_errorcode(void **state)
{
    TC_ERR(fs, 401, "required cookie 'session' is missing", "GET", "/cookie");
    TC_ERR(fs, 401, "required cookie 'session' is missing", "GET", "/cookie",
           .headers = H("Cookie", "theme=dark; SID=1"));
}

static void cookie_defaults(void **state)
{
    COOKIE_IS("{\"session\": \"s1\", \"theme\": \"light\", \"tracker\": \"\", \"sid\": \"\"}", "Cookie", "session=s1");
}

static void several_cookies_one_header(void **state)
{
    COOKIE_IS("{\"session\": \"abc\", \"theme\": \"dark\", \"tracker\": \"t\", \"sid\": \"42\"}",
              "Cookie", "theme=dark; session=abc; SID=42; tracker=t");
}

static void several_cookie_headers(void **state)
{
    COOKIE_IS("{\"session\": \"abc\", \"theme\": \"dark\", \"tracker\": \"\", \"sid\": \"42\"}",
              "Cookie", "theme=dark", "Cookie", "session=abc", "Cookie", "SID=42");
}

static void cookie_last_occurrence_in_a_header_wins(void **state)
{
    COOKIE_IS("{\"session\": \"2\", \"theme\": \"light\", \"tracker\": \"\", \"sid\": \"\"}",
              "Cookie", "session=1; session=2");
    COOKIE_IS("{\"session\": \"x\", \"theme\": \"a\", \"tracker\": \"\", \"sid\": \"\"}",
              "Cookie", "theme=a", "Cookie", "session=x; theme=b");
}

/* An unmatched quote ends the cookies read so far: tracker is absent. */
static void quoted_cookie_values(void **state)
{
    COOKIE_IS("{\"session\": \"quoted value\", \"theme\": \"\", \"tracker\": \"\", \"sid\": \"\"}",
              "Cookie", "session=\"quoted value\"; theme=\"\"; tracker=\"a");
}

/* Names are case-sensitive and matched whole: xsession, Session and sid
 * are other cookies. */
static void cookie_names_exact(void **state)
{
    pt_test_response_t *r = pt_test_request(fs, "GET", "/cookie",
                                            .headers = H("Cookie", "xsession=1; Session=2; sessionx=3; sid=4"));
    assert_int_equal(r->status, 401);
    pt_test_response_free(r);
    COOKIE_IS("{\"session\": \"5\", \"theme\": \"light\", \"tracker\": \"\", \"sid\": \"\"}",
              "Cookie", "sid=4; session=5");
}

static void cookie_value_with_equals_and_spaces(void **state)
{
    COOKIE_IS("{\"session\": \"a=b==\", \"theme\": \"x y\", \"tracker\": \"\", \"sid\": \"\"}",
              "Cookie", "  session=a=b==  ;theme=x y;flag; tracker=");
}

static void cookie_name_inside_other_value_not_matched(void **state)
{
    COOKIE_IS("{\"session\": \"good\", \"theme\": \"light\", \"tracker\": \"\", \"sid\": \"\"}",
              "Cookie", "other=session=evil; session=good");
}

static void cookie_header_name_case_insensitive(void **state)
{
    COOKIE_IS("{\"session\": \"z\", \"theme\": \"light\", \"tracker\": \"\", \"sid\": \"\"}", "cOOKIE", "session=z");
}

static void empty_cookie_value_is_present(void **state)
{
    COOKIE_IS("{\"session\": \"\", \"theme\": \"light\", \"tracker\": \"\", \"sid\": \"\"}", "Cookie", "session=");
}

/* A byte that is not UTF-8 is no legal cookie character: the header holds
 * no cookie, so the required one is missing. */
static void cookie_invalid_utf8_is_not_a_cookie(void **state)
{
    tc_status_body(pt_test_request(fs, "GET", "/cookie", .headers = H("Cookie", "session=\xff")), 401,
                   "required cookie 'session' is missing");
}

/* ---- media types ---- */

static void mimetype_matches_ignoring_params_and_case(void **state)
{
    const char *ctypes[] = { "application/json", "application/json; charset=utf-8", "Application/Json",
                             "APPLICATION/JSON; CHARSET=UTF-8", "application/json;charset=utf-8",
                             "application/json ;q=1", "application/json;" };
    for (size_t i = 0; i < sizeof ctypes / sizeof *ctypes; i++)
        TC_OK_IS(fs, "{\"body\": [1]}", "POST", "/json_ct", .body = "[1]", .headers = H("Content-Type", ctypes[i]));
}

static void mimetype_mismatch_415(void **state)
{
    const char *ctypes[] = { "text/plain", "application/jsonx", "application/json-patch+json",
                             "application/vnd.api+json", "application", "application/", "/json",
                             "text/plain; x=application/json", "application/ json", "" };
    for (size_t i = 0; i < sizeof ctypes / sizeof *ctypes; i++)
        TC_ERR(fs, 415, "415: Unsupported Media Type", "POST", "/json_ct", .body = "[1]",
               .headers = H("Content-Type", ctypes[i]));
}

static void mimetype_missing_415(void **state)
{
    tc_status_body(pt_test_request(fs, "POST", "/json_ct", .body = "[1]"), 415, "415: Unsupported Media Type");
}

static void duplicate_content_type_first_wins(void **state)
{
    pt_test_response_t *r = pt_test_request(fs, "POST", "/json_ct", .body = "[1]",
                                            .headers = H("Content-Type", "application/json", "Content-Type", "text/plain"));
    assert_int_equal(r->status, 200);
    pt_test_response_free(r);
    r = pt_test_request(fs, "POST", "/json_ct", .body = "[1]",
                        .headers = H("Content-Type", "text/plain", "Content-Type", "application/json"));
    assert_int_equal(r->status, 415);
    pt_test_response_free(r);
}

static void unsupported_before_body_parse(void **state)
{
    TC_ERR(fs, 415, "415: Unsupported Media Type", "POST", "/json_ct", .body = "{",
           .headers = H("Content-Type", "text/plain"));
}

/* ---- bodies ---- */

static void empty_text_body(void **state)
{
    TC_OK_IS(fs, "{\"text\": \"\", \"bytes\": 0}", "POST", "/text", .body = "", .headers = H("Content-Type", "text/plain"));
}

static void text_body_not_utf8_text_400(void **state)
{
    const char *raws[] = { "\xff", "ok\xc3", "\xed\xa0\x80" };
    for (size_t i = 0; i < sizeof raws / sizeof *raws; i++)
        TC_ERR(fs, 400, "request body is not valid UTF-8 text", "POST", "/text", .body = raws[i],
               .headers = H("Content-Type", "text/plain"));
}

/* Text bodies, then bodies of alternating sizes on one connection: each
 * comes back exactly as sent (a body shorter than the one before must not
 * carry the earlier one's stale bytes). */
static void text_body_is_exactly_the_body(void **state)
{
    pt_test_client_t *c = pt_test_client_new();
    assert_non_null(c);
    char big[5001], x1000[1001], y1023[1024];
    memset(big, 'x', 5000), big[5000] = '\0';
    memset(x1000, 'x', 1000), x1000[1000] = '\0';
    memset(y1023, 'y', 1023), y1023[1023] = '\0';
    const char *first[] = { "plain", "caf\xc3\xa9\n\xe2\x98\x83\t\xf0\x9f\x98\x80", "{not json", big };
    const char *cycle[] = { x1000, "abc", y1023, "hi" };
    for (size_t i = 0; i < 4 + 4 * 10; i++) {
        const char *body = i < 4 ? first[i] : cycle[(i - 4) % 4];
        json_t *d = TC_OK(c, "POST", "/text", .body = body, .headers = H("Content-Type", "text/plain"));
        assert_string_equal(json_string_value(json_object_get(d, "text")), body);
        assert_int_equal(json_integer_value(json_object_get(d, "bytes")), strlen(body));
        json_decref(d);
    }
    pt_test_client_free(c);
}

static void json_body_any_value(void **state)
{
    static const struct { const char *body, *kind; } cases[] = {
        { "{\"a\": [1, 2.5, null]}", "object" }, { "[]", "array" }, { "\"s\\u00e9\"", "string" },
        { "0", "integer" }, { "-7", "integer" }, { "1.5", "real" }, { "true", "boolean" },
        { "false", "boolean" }, { "null", "null" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        json_t *d = TC_OK(fs, "POST", "/json", .body = cases[i].body);
        assert_string_equal(json_string_value(json_object_get(d, "kind")), cases[i].kind);
        tc_assert_json(json_object_get(d, "body"), cases[i].body);
        json_decref(d);
    }
}

static void json_body_malformed_400(void **state)
{
    static const struct { const char *b; size_t n; } bodies[] = {
        { "", 0 }, { "{", 1 }, { "[1,]", 4 }, { "{} {}", 5 }, { "nul", 3 }, { "\"\xff\"", 3 },
        { "\xef\xbb\xbf{}", 5 }, { "{'a': 1}", 8 },
    };
    for (size_t i = 0; i < sizeof bodies / sizeof *bodies; i++) {
        /* The empty body is sent with Content-Length: 0. */
        pt_test_response_t *r = pt_test_request(fs, "POST", "/json", .body = bodies[i].b, .len = bodies[i].n,
                                                .headers = H("Content-Type", "application/json"));
        assert_int_equal(r->status, 400);
        assert_string_equal(pt_test_header(r, "Content-Type"), TC_TEXT_CT);
        tc_assert_match(r->body, "^malformed JSON body: .+: line [0-9]+ column [0-9]+ \\(char [0-9]+\\)$");
        pt_test_response_free(r);
    }
}

static void schema_text_body(void **state)
{
    static const struct { const char *body, *message; } cases[] = {
        { "{\"n\": 3, \"tag\": \"abc\"}", NULL },
        { "{\"n\": 0}", "0 is less than the minimum of 1" },
        { "{\"n\": \"3\"}", "'3' is not of type 'integer'" },
        { "{\"tag\": \"a\"}", "'n' is a required property" },
        { "{\"n\": 1, \"tag\": \"abcd\"}", "'abcd' is too long" },
        { "{\"n\": 1, \"z\": 1}", "Additional properties are not allowed ('z' was unexpected)" },
        { "{\"n\": 1, \"z\": 1, \"b\": 2}", "Additional properties are not allowed ('b', 'z' were unexpected)" },
        { "[{\"n\": 1}]", "[{'n': 1}] is not of type 'object'" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        if (!cases[i].message) {
            json_t *d = TC_OK(fs, "POST", "/schema", .body = cases[i].body);
            tc_assert_json(json_object_get(d, "body"), cases[i].body);
            json_decref(d);
        } else {
            TC_ERR(fs, 400, cases[i].message, "POST", "/schema", .body = cases[i].body);
        }
    }
}

/* 64 bytes: {"n": 1, 56 spaces, } */
static void body_at_limit_accepted(void **state)
{
    char body[65];
    snprintf(body, sizeof body, "{\"n\": 1%56s}", "");
    assert_int_equal(strlen(body), 64);
    const char *paths[] = { "/json", "/schema" };
    for (size_t i = 0; i < 2; i++) {
        pt_test_response_t *r = pt_test_request(small, "POST", paths[i], .body = body,
                                                .headers = H("Content-Type", "application/json"));
        assert_int_equal(r->status, 200);
        pt_test_response_free(r);
    }
}

static void body_over_limit_413(void **state)
{
    char body[66];
    snprintf(body, sizeof body, "{\"n\": 1%57s}", "");
    assert_int_equal(strlen(body), 65);
    const char *paths[] = { "/text", "/json", "/json_ct", "/schema" };
    for (size_t i = 0; i < 4; i++)
        tc_status_body(pt_test_request(small, "POST", paths[i], .body = body,
                                       .headers = H("Content-Type", "application/json")),
                       413, "413: Request Entity Too Large");
}

/* ---- the raw request ---- */

static void raw_field_is_the_request(void **state)
{
    TC_OK_IS(fs,
             "{\"method\": \"GET\", \"path\": \"/raw\", \"query\": \"q=v%20w&z=1\", \"q\": \"v w\","
             " \"x_anything\": \"yes\", \"same\": true}",
             "GET", "/raw?q=v%20w&z=1", .headers = H("X-Anything", "yes"));
}

/* ---- custom casts ---- */

static void route_custom_cast(void **state)
{
    static const char *const cases[][2] = {
        { "ff8000", "{\"r\": 255, \"g\": 128, \"b\": 0}" }, { "000000", "{\"r\": 0, \"g\": 0, \"b\": 0}" },
        { "ABCDEF", "{\"r\": 171, \"g\": 205, \"b\": 239}" }, { "red", "{\"r\": 255, \"g\": 0, \"b\": 0}" },
        { "blue", "{\"r\": 0, \"g\": 0, \"b\": 255}" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        char path[64];
        snprintf(path, sizeof path, "/color/%s", cases[i][0]);
        TC_OK_IS(fs, cases[i][1], "GET", path);
    }
}

static void route_custom_cast_fails_400(void **state)
{
    const char *rgbs[] = { "blurple", "abc", "zz" };
    for (size_t i = 0; i < 3; i++) {
        char path[64], msg[64];
        snprintf(path, sizeof path, "/color/%s", rgbs[i]);
        snprintf(msg, sizeof msg, "'%s' could not be cast", rgbs[i]);
        TC_ERR(fs, 400, msg, "GET", path);
    }
}

static void route_custom_pattern_404(void **state)
{
    const char *rgbs[] = { "ff80", "ff80001", "Red", "12345g" };
    for (size_t i = 0; i < 4; i++) {
        char path[64];
        snprintf(path, sizeof path, "/color/%s", rgbs[i]);
        tc_status_body(pt_test_request(fs, "GET", path), 404, "404: Not Found");
    }
}

static void query_custom_cast(void **state)
{
    TC_OK_IS(fs, "{\"span\": [3, 7], \"tags\": \"a,b\", \"ntags\": 2, \"shade\": [0, 1]}", "GET", "/range?span=3-7");
    TC_OK_IS(fs, "{\"span\": [0, 0], \"tags\": \"\", \"ntags\": 0, \"shade\": [1, 2]}", "GET",
             "/range?span=0-0&tags=&shade=1-2");
    TC_OK_IS(fs, "{\"span\": [1, 2], \"tags\": \"x,y,z\", \"ntags\": 3, \"shade\": [0, 1]}", "GET",
             "/range?span=1-2&tags=x%2Cy%2Cz");
}

static void query_custom_cast_fails_400(void **state)
{
    /* each span and its percent-encoded form */
    static const char *const spans[][2] = {
        { "7-3", "7-3" }, { "3", "3" }, { "-3-4", "-3-4" }, { "a-b", "a-b" }, { "3-", "3-" },
        { "", "" }, { "3-4x", "3-4x" }, { "3 - 4", "3%20-%204" },
    };
    for (size_t i = 0; i < sizeof spans / sizeof *spans; i++) {
        char path[64], msg[64];
        snprintf(path, sizeof path, "/range?span=%s", spans[i][1]);
        snprintf(msg, sizeof msg, "'%s' could not be cast", spans[i][0]);
        TC_ERR(fs, 400, msg, "GET", path);
    }
}

static void query_custom_required_missing(void **state)
{
    TC_ERR(fs, 400, "required query param 'span' is missing", "GET", "/range?tags=a");
}

/* 2-3 casts, but is not one of the values; 'x' is not either (no cast message). */
static void query_custom_values_checked_before_cast(void **state)
{
    TC_ERR(fs, 400, "shade must be one of {0-1,1-2}", "GET", "/range?span=1-2&shade=2-3");
    TC_ERR(fs, 400, "shade must be one of {0-1,1-2}", "GET", "/range?span=1-2&shade=x");
}

/* ---- required query fields, errorcode, order ---- */

static void required_query_missing_in_declaration_order(void **state)
{
    TC_ERR(fs, 400, "required query param 'q' is missing", "GET", "/need");
    TC_ERR(fs, 400, "required query param 'q' is missing", "GET", "/need?page=1");
    TC_ERR(fs, 422, "required query param 'page' is missing", "GET", "/need?q=x");
}

static void required_query_present_but_empty(void **state)
{
    TC_OK_IS(fs, "{\"q\": \"\", \"page\": 0, \"exact\": true}", "GET", "/need?q=&page=0");
    TC_OK_IS(fs, "{\"q\": \"\", \"page\": 2, \"exact\": false}", "GET", "/need?q&page=2&exact=f");
}

static void first_failure_answers(void **state)
{
    TC_ERR(fs, 400, "query param 'q' is not valid UTF-8", "GET", "/need?q=%FF&page=-1");
    TC_ERR(fs, 400, "-1 less than 0", "GET", "/need?q=x&page=-1&exact=maybe");
    TC_ERR(fs, 400, "exact must be one of {1,0,yes,no,true,false,t,f}", "GET", "/need?q=x&page=1&exact=maybe");
}

/* ---- only declared fields reach the handler ---- */

#define ISO(name) \
    "{\"name\": \"" name "\", \"q\": \"dq\", \"h\": \"dh\", \"c\": \"dc\", \"undeclared\": null, \"also_undeclared\": 0}"

/* Each field reads its own source: a header, cookie or query item of the
 * same name elsewhere does not fill it. */
static void declared_sources_only(void **state)
{
    TC_OK_IS(fs, ISO("nm"), "GET", "/iso/nm?h=1&c=2&X-H=3&name=4",
             .headers = H("q", "5", "c", "6", "Cookie", "q=7; h=8; X-H=9; name=10"));
}

static void declared_fields_filled(void **state)
{
    TC_OK_IS(fs,
             "{\"name\": \"nm\", \"q\": \"qq\", \"h\": \"hh\", \"c\": \"cc\", \"undeclared\": null,"
             " \"also_undeclared\": 0}",
             "GET", "/iso/nm?q=qq", .headers = H("X-H", "hh", "Cookie", "c=cc"));
}

/* Members of the struct with no field are never filled, whatever is sent. */
static void undeclared_members_stay_zero(void **state)
{
    json_t *d = TC_OK(fs, "GET", "/iso/nm?undeclared=x&also_undeclared=5",
                      .headers = H("undeclared", "x", "also_undeclared", "5",
                                   "Cookie", "undeclared=x; also_undeclared=5"));
    assert_true(json_is_null(json_object_get(d, "undeclared")));
    assert_int_equal(json_integer_value(json_object_get(d, "also_undeclared")), 0);
    json_decref(d);
}

/* On one keep-alive connection, a value sent once does not stick. */
static void fresh_struct_per_request(void **state)
{
    json_t *d = TC_OK(fs, "GET", "/iso/a?q=1", .headers = H("X-H", "2", "Cookie", "c=3"));
    assert_string_equal(json_string_value(json_object_get(d, "q")), "1");
    assert_string_equal(json_string_value(json_object_get(d, "h")), "2");
    assert_string_equal(json_string_value(json_object_get(d, "c")), "3");
    json_decref(d);
    TC_OK_IS(fs, ISO("b"), "GET", "/iso/b");
}

static void field_routes_405_and_any_method(void **state)
{
    pt_test_response_t *r = pt_test_request(fs, "POST", "/cookie", .body = "");
    assert_int_equal(r->status, 405);
    assert_string_equal(pt_test_header(r, "Allow"), "GET, HEAD");
    pt_test_response_free(r);
    const char *methods[] = { "PUT", "DELETE", "PATCH" };
    for (size_t i = 0; i < 3; i++) {
        json_t *d = TC_OK(fs, methods[i], "/hdr", .headers = H("X-Token", methods[i]), .body = "");
        assert_string_equal(json_string_value(json_object_get(d, "token")), methods[i]);
        json_decref(d);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(required_header_missing),
        cmocka_unit_test(header_defaults),
        cmocka_unit_test(header_name_case_insensitive),
        cmocka_unit_test(duplicate_header_first_wins),
        cmocka_unit_test(empty_header_value_is_present),
        cmocka_unit_test(header_value_whitespace_trimmed),
        cmocka_unit_test(header_utf8_value),
        cmocka_unit_test(header_invalid_utf8_value_is_400),
        cmocka_unit_test(content_length_and_type_shorthands),
        cmocka_unit_test(content_length_of_empty_post),
        cmocka_unit_test(required_cookie_missing_uses_errorcode),
        cmocka_unit_test(cookie_defaults),
        cmocka_unit_test(several_cookies_one_header),
        cmocka_unit_test(several_cookie_headers),
        cmocka_unit_test(cookie_last_occurrence_in_a_header_wins),
        cmocka_unit_test(quoted_cookie_values),
        cmocka_unit_test(cookie_names_exact),
        cmocka_unit_test(cookie_value_with_equals_and_spaces),
        cmocka_unit_test(cookie_name_inside_other_value_not_matched),
        cmocka_unit_test(cookie_header_name_case_insensitive),
        cmocka_unit_test(empty_cookie_value_is_present),
        cmocka_unit_test(cookie_invalid_utf8_is_not_a_cookie),
        cmocka_unit_test(mimetype_matches_ignoring_params_and_case),
        cmocka_unit_test(mimetype_mismatch_415),
        cmocka_unit_test(mimetype_missing_415),
        cmocka_unit_test(duplicate_content_type_first_wins),
        cmocka_unit_test(unsupported_before_body_parse),
        cmocka_unit_test(empty_text_body),
        cmocka_unit_test(text_body_not_utf8_text_400),
        cmocka_unit_test(text_body_is_exactly_the_body),
        cmocka_unit_test(json_body_any_value),
        cmocka_unit_test(json_body_malformed_400),
        cmocka_unit_test(schema_text_body),
        cmocka_unit_test(body_at_limit_accepted),
        cmocka_unit_test(body_over_limit_413),
        cmocka_unit_test(raw_field_is_the_request),
        cmocka_unit_test(route_custom_cast),
        cmocka_unit_test(route_custom_cast_fails_400),
        cmocka_unit_test(route_custom_pattern_404),
        cmocka_unit_test(query_custom_cast),
        cmocka_unit_test(query_custom_cast_fails_400),
        cmocka_unit_test(query_custom_required_missing),
        cmocka_unit_test(query_custom_values_checked_before_cast),
        cmocka_unit_test(required_query_missing_in_declaration_order),
        cmocka_unit_test(required_query_present_but_empty),
        cmocka_unit_test(first_failure_answers),
        cmocka_unit_test(declared_sources_only),
        cmocka_unit_test(declared_fields_filled),
        cmocka_unit_test(undeclared_members_stay_zero),
        cmocka_unit_test(fresh_struct_per_request),
        cmocka_unit_test(field_routes_405_and_any_method),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
