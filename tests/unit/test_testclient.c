/* The in-process test client (ponty/testclient.h): requests go through the
 * route tables, declared fields, hooks, raises and waits as under pt_run,
 * from a plain cmocka test, with no socket or other descriptor. */
#include "tc_util.h"

PT_GET("/hello", hello)
{
    return json_pack("{s:s}", "greeting", "hello world");
}

typedef struct { const char *name; const char *lang; } ahoy_in;

PT_FIELDS(ahoy_in,
          PT_ROUTE_STR(name),
          PT_QUERY_STR(lang, .values = PT_VALUES("en", "es", "no"), .dflt = "en"));

PT_GET_IN("/hello/{name}", ahoy, ahoy_in)
{
    return json_pack("{s:s}", "greeting", pt_strf("%s %s!", in->lang, in->name));
}

typedef struct { json_t *body; } make_in;

PT_FIELDS(make_in, PT_BODY_SCHEMA(body, .schema_text = "{\"type\": \"object\", \"required\": [\"name\"]}"));

PT_POST_IN("/things", make_thing, make_in)
{
    pt_req_t *req = pt_req_current();
    pt_resp_status(req, 201);
    pt_resp_header(req, "Location", "/things/1");
    pt_sleep_ms(5); /* a handler that waits */
    return json_incref(in->body);
}

PT_GET("/gone", gone)
{
    pt_raise(PT_DOES_NOT_EXIST, .text = "gone away");
}

static pt_route_table_t *admin(void) { return pt_route_table_named("tc_admin"); }

static json_t *secret(pt_req_t *req) { return json_string("s3cret"); }

static void need_token(pt_req_t *req, void *arg)
{
    (void)arg;
    const char *t = pt_req_header(req, "X-Token");
    if (!t || strcmp(t, "ok") != 0)
        pt_raise_status(401);
}

static void tag(pt_req_t *req, void *arg) { pt_resp_header(req, "X-Tag", arg); }

static pt_test_client_t *tc;

static void add_suite_hooks(void)
{
    assert_int_equal(pt_hooks_add(admin(), &(pt_hooks_t){ .before = need_token }), 0);
    assert_int_equal(pt_hooks_add(NULL, &(pt_hooks_t){ .after = tag, .arg = "global" }), 0);
}

static int setup(void **state)
{
    pt_route_add(admin(), &(const pt_route_def_t){ .method = "GET", .path = "/admin/secret",
                                                    .handler = secret, .name = "secret" });
    add_suite_hooks();
    tc = pt_test_client_new(.route_tables = PT_ROUTE_TABLES(admin()));
    return tc ? 0 : -1;
}

static int teardown(void **state)
{
    pt_test_client_free(tc);
    pt_hooks_clear();
    return 0;
}

static void envelope(void **state)
{
    pt_test_response_t *r = pt_test_request(tc, "GET", "/hello");
    assert_non_null(r);
    assert_int_equal(r->status, 200);
    assert_string_equal(pt_test_header(r, "Content-Type"), "application/json; charset=utf-8");
    assert_string_equal(pt_test_header(r, "X-Tag"), "global");
    json_t *doc = json_loadb(r->body, r->len, 0, NULL);
    assert_non_null(doc);
    assert_string_equal(json_string_value(json_object_get(json_object_get(doc, "data"), "greeting")),
                        "hello world");
    json_decref(doc);
    pt_test_response_free(r);
}

static void fields_and_errors(void **state)
{
    pt_test_response_t *r = pt_test_request(tc, "GET", "/hello/you?lang=es");
    assert_int_equal(r->status, 200);
    assert_non_null(strstr(r->body, "\"es you!\""));
    pt_test_response_free(r);

    r = pt_test_request(tc, "GET", "/hello/you?lang=xx");
    assert_int_equal(r->status, 400);
    assert_string_equal(r->body, "lang must be one of {en,es,no}");
    pt_test_response_free(r);

    r = pt_test_request(tc, "GET", "/gone");
    assert_int_equal(r->status, 404);
    assert_string_equal(r->body, "gone away");
    assert_string_equal(pt_test_header(r, "X-Tag"), "global");
    pt_test_response_free(r);

    r = pt_test_request(tc, "GET", "/nowhere");
    assert_int_equal(r->status, 404);
    assert_string_equal(r->body, "404: Not Found");
    pt_test_response_free(r);
}

static void body_status_and_headers(void **state)
{
    pt_test_response_t *r = pt_test_request(tc, "POST", "/things", .body = "{\"name\": \"box\"}",
                                            .headers = PT_TEST_HEADERS("Content-Type", "application/json"));
    assert_int_equal(r->status, 201);
    assert_string_equal(pt_test_header(r, "Location"), "/things/1");
    assert_non_null(strstr(r->body, "\"data\": {\"name\": \"box\"}"));
    pt_test_response_free(r);

    r = pt_test_request(tc, "POST", "/things", .body = "[1]");
    assert_int_equal(r->status, 400);
    assert_string_equal(r->body, "[1] is not of type 'object'");
    pt_test_response_free(r);
}

static void table_hooks(void **state)
{
    pt_test_response_t *r = pt_test_request(tc, "GET", "/admin/secret");
    assert_int_equal(r->status, 401);
    pt_test_response_free(r);
    r = pt_test_request(tc, "GET", "/admin/secret", .headers = PT_TEST_HEADERS("X-Token", "ok"));
    assert_int_equal(r->status, 200);
    assert_non_null(strstr(r->body, "\"data\": \"s3cret\""));
    pt_test_response_free(r);
}

static void head_and_close(void **state)
{
    pt_test_response_t *r = pt_test_request(tc, "HEAD", "/hello");
    assert_int_equal(r->status, 200);
    assert_int_equal(r->len, 0);
    pt_test_response_free(r);
    /* The server closes this connection; the next request opens another. */
    r = pt_test_request(tc, "GET", "/hello", .headers = PT_TEST_HEADERS("Connection", "close"));
    assert_int_equal(r->status, 200);
    assert_string_equal(pt_test_header(r, "Connection"), "close");
    pt_test_response_free(r);
    r = pt_test_request(tc, "GET", "/hello");
    assert_int_equal(r->status, 200);
    pt_test_response_free(r);
}

static void limits_apply(void **state)
{
    pt_test_client_t *small = pt_test_client_new(.limits = { .max_body = 8 });
    assert_non_null(small);
    pt_test_response_t *r = pt_test_request(small, "POST", "/things", .body = "{\"name\": \"a long one\"}");
    assert_int_equal(r->status, 413);
    pt_test_response_free(r);
    pt_test_client_free(small);
}

/* No socket is opened, for the client, a connection, or a fresh connection
 * after a closing response, and requests open no descriptor: the only ones
 * are the event loop's (epoll, its signal pipe and eventfd, made with the
 * client, and the spare /dev/null libuv reserves on the first stream handle
 * of a loop), and they go with the client. */
static void no_sockets(void **state)
{
    int socks_before, socks;
    int before = tc_open_fds(&socks_before);
    pt_test_client_t *c = pt_test_client_new();
    assert_non_null(c);
    int with_client = -1;
    for (int i = 0; i < 5; i++) {
        pt_test_response_t *r = pt_test_request(c, "GET", "/hello",
                                                .headers = i == 2 ? PT_TEST_HEADERS("Connection", "close") : NULL);
        assert_int_equal(r->status, 200);
        pt_test_response_free(r);
        int n = tc_open_fds(&socks);
        if (i == 0)
            with_client = n;
        assert_int_equal(n, with_client);
        assert_int_equal(socks, socks_before);
    }
    pt_test_client_free(c);
    assert_int_equal(tc_open_fds(NULL), before);
}

/* A body bigger than one read goes in slice by slice, as from a socket. */
static void big_body(void **state)
{
    size_t n = 300000;
    char *body = malloc(n + 32);
    assert_non_null(body);
    int k = snprintf(body, 32, "{\"name\": \"");
    memset(body + k, 'b', n - (size_t)k - 2);
    memcpy(body + n - 2, "\"}", 3);
    pt_test_response_t *r = pt_test_request(tc, "POST", "/things", .body = body);
    assert_int_equal(r->status, 201);
    assert_non_null(strstr(r->body, "bbbbbbbbbbbbbbbb\"}"));
    pt_test_response_free(r);
    free(body);
}

/* ---- hook order, and the JSON error format's origins ---- */

static char trace[256];

static void note(pt_req_t *req, void *arg)
{
    (void)req;
    strncat(trace, arg, sizeof trace - strlen(trace) - 1);
}

static void note_status(pt_req_t *req, void *arg)
{
    note(req, arg);
    char s[8];
    snprintf(s, sizeof s, "%d;", pt_resp_get_status(req));
    strncat(trace, s, sizeof trace - strlen(trace) - 1);
}

typedef struct { int64_t id; const char *tok; const char *sid; } origin_in;

PT_FIELDS(origin_in,
          PT_ROUTE_POSINT(id),
          PT_HEADER(tok, .key = "X-Tok", .required = true),
          PT_COOKIE(sid, .required = true));

PT_GET_IN("/origin/{id}", origin, origin_in)
{
    return json_true();
}

static void hook_order(void **state)
{
    pt_hooks_clear();
    pt_hooks_add(NULL, &(pt_hooks_t){ .before = note, .after = note_status, .on_error = note, .arg = "G1" });
    pt_hooks_add(admin(), &(pt_hooks_t){ .before = note, .after = note_status, .on_error = note, .arg = "T" });
    pt_hooks_add(NULL, &(pt_hooks_t){ .before = note, .after = note_status, .arg = "G2" });
    pt_test_client_t *c = pt_test_client_new(.route_tables = PT_ROUTE_TABLES(admin()));
    trace[0] = '\0';
    pt_test_response_t *r = pt_test_request(c, "GET", "/admin/secret");
    assert_int_equal(r->status, 200);
    /* before: global sets, then the table's; after: the table's, then global. */
    assert_string_equal(trace, "G1G2TT200;G1200;G2200;");
    pt_test_response_free(r);
    trace[0] = '\0';
    r = pt_test_request(c, "GET", "/nowhere");
    assert_int_equal(r->status, 404);
    /* No route: only global sets; on_error before after. */
    assert_string_equal(trace, "G1G2G1G1404;G2404;");
    pt_test_response_free(r);
    pt_test_client_free(c);
    pt_hooks_clear();
    add_suite_hooks();
}

static void json_error_origins(void **state)
{
    pt_hooks_clear();
    pt_hooks_add(NULL, &pt_hooks_json_errors);
    pt_test_client_t *c = pt_test_client_new();
    pt_test_response_t *r = pt_test_request(c, "GET", "/origin/5");
    assert_int_equal(r->status, 400);
    assert_string_equal(pt_test_header(r, "Content-Type"), "application/json; charset=utf-8");
    assert_string_equal(r->body, "{\"error\": {\"status\": 400, \"message\": \"required header 'X-Tok' is missing\", "
                                 "\"field\": \"X-Tok\", \"in\": \"header\"}}");
    pt_test_response_free(r);
    r = pt_test_request(c, "GET", "/origin/5", .headers = PT_TEST_HEADERS("X-Tok", "t"));
    assert_non_null(strstr(r->body, "\"field\": \"sid\", \"in\": \"cookie\""));
    pt_test_response_free(r);
    r = pt_test_request(c, "POST", "/things", .body = "{}");
    assert_int_equal(r->status, 400);
    assert_non_null(strstr(r->body, "\"in\": \"body\", \"path\": \"\""));
    pt_test_response_free(r);
    /* A handler's own raise names no field. */
    r = pt_test_request(c, "GET", "/gone");
    assert_string_equal(r->body, "{\"error\": {\"status\": 404, \"message\": \"gone away\"}}");
    pt_test_response_free(r);
    pt_test_client_free(c);
    pt_hooks_clear();
    add_suite_hooks();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(envelope),
        cmocka_unit_test(fields_and_errors),
        cmocka_unit_test(body_status_and_headers),
        cmocka_unit_test(table_hooks),
        cmocka_unit_test(head_and_close),
        cmocka_unit_test(limits_apply),
        cmocka_unit_test(no_sockets),
        cmocka_unit_test(big_body),
        cmocka_unit_test(hook_order),
        cmocka_unit_test(json_error_origins),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
