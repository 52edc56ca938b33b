/* Hooks around the handler through the in-process test client: a table's
 * before hook answering early or letting through, its after hook, a global
 * after hook seeing raises and the router's own answers, field errors in
 * plain text, the envelope with 201 and Location, CORS, and the JSON error
 * format.
 *
 * The service is tests/servers/ops_server.c, compiled in without its main
 * (PT_SERVER_NO_MAIN): the same routes, admin table and hooks, configured by
 * the same environment variables. tests/http/test_ops.py keeps what
 * belongs to pt_run or the socket: request ids, the peer's address, the
 * access log, metrics, health, pipelining. */
#include "tc_util.h"

void ops_server_routes(void); /* ops_server.c */
void ops_server_hooks(void);

static pt_test_client_t *ops;

static pt_test_client_t *ops_client(void)
{
    return pt_test_client_new(.route_tables = PT_ROUTE_TABLES(pt_route_table_named("admin")));
}

/* As tests/http/test_ops.py's "ops": CORS for two origins. */
static int setup_cors(void **state)
{
    (void)state;
    setenv("PT_CORS", "https://app.example, https://b.example", 1);
    unsetenv("PT_JSON_ERRORS");
    ops_server_hooks();
    ops = ops_client();
    return ops ? 0 : -1;
}

/* As "ops_json": the JSON error format. */
static int setup_json(void **state)
{
    (void)state;
    unsetenv("PT_CORS");
    setenv("PT_JSON_ERRORS", "1", 1);
    ops_server_hooks();
    ops = ops_client();
    return ops ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    pt_test_client_free(ops);
    pt_hooks_clear();
    return 0;
}

#define H PT_TEST_HEADERS

static void table_before_hook_answers_early(void **state)
{
    pt_test_response_t *r = pt_test_request(ops, "GET", "/admin/stats");
    assert_int_equal(r->status, 401);
    assert_string_equal(r->body, "token required");
    assert_string_equal(pt_test_header(r, "WWW-Authenticate"), "Bearer");
    /* The table's after hook and the global one still ran on the early answer. */
    assert_string_equal(pt_test_header(r, "X-Admin"), "1");
    assert_string_equal(pt_test_header(r, "X-Status-Seen"), "401");
    pt_test_response_free(r);
}

static void table_before_hook_lets_through(void **state)
{
    pt_test_response_t *r = pt_test_request(ops, "GET", "/admin/stats", .headers = H("Authorization", "Bearer s3cret"));
    assert_int_equal(r->status, 200);
    json_t *env = json_loadb(r->body, r->len, 0, NULL);
    tc_assert_json(json_object_get(env, "data"), "{\"admin\": true}");
    json_decref(env);
    assert_string_equal(pt_test_header(r, "X-Admin"), "1");
    assert_string_equal(pt_test_header(r, "X-Status-Seen"), "200");
    pt_test_response_free(r);
}

static void table_hooks_do_not_apply_elsewhere(void **state)
{
    pt_test_response_t *r = pt_test_request(ops, "GET", "/hello");
    assert_int_equal(r->status, 200);
    assert_null(pt_test_header(r, "X-Admin"));
    assert_string_equal(pt_test_header(r, "X-Status-Seen"), "200");
    pt_test_response_free(r);
}

static void after_hook_sees_raises_and_router_answers(void **state)
{
    pt_test_response_t *r = pt_test_request(ops, "GET", "/boom");
    assert_int_equal(r->status, 404);
    assert_string_equal(r->body, "no such boom");
    assert_string_equal(pt_test_header(r, "X-Status-Seen"), "404");
    pt_test_response_free(r);
    r = pt_test_request(ops, "GET", "/no/such/route");
    assert_int_equal(r->status, 404);
    assert_string_equal(pt_test_header(r, "X-Status-Seen"), "404");
    pt_test_response_free(r);
    r = pt_test_request(ops, "DELETE", "/hello");
    assert_int_equal(r->status, 405);
    assert_non_null(strstr(pt_test_header(r, "Allow"), "GET"));
    assert_string_equal(pt_test_header(r, "X-Status-Seen"), "405");
    pt_test_response_free(r);
}

static void field_errors_keep_plain_text_by_default(void **state)
{
    TC_ERR(ops, 400, "lang must be one of {en,es}", "GET", "/items/3?lang=xx");
}

static void envelope_with_201_and_location(void **state)
{
    int64_t t0 = tc_now_ms();
    pt_test_response_t *r = pt_test_request(ops, "POST", "/things", .body = "{\"name\": \"box\"}",
                                            .headers = H("Content-Type", "application/json"));
    int64_t t1 = tc_now_ms();
    assert_string_equal(pt_test_header(r, "Location"), "/things/box");
    json_t *d = tc_envelope(r, 201, t0, t1);
    tc_assert_json(d, "{\"name\": \"box\"}");
    json_decref(d);
    pt_test_response_free(r);
}

static void cors_preflight_answered(void **state)
{
    pt_test_response_t *r = pt_test_request(ops, "OPTIONS", "/things",
                                            .headers = H("Origin", "https://app.example",
                                                         "Access-Control-Request-Method", "POST",
                                                         "Access-Control-Request-Headers", "Content-Type, X-Token"));
    assert_int_equal(r->status, 204);
    assert_int_equal(r->len, 0);
    assert_string_equal(pt_test_header(r, "Access-Control-Allow-Origin"), "https://app.example");
    assert_non_null(strstr(pt_test_header(r, "Access-Control-Allow-Methods"), "POST"));
    assert_string_equal(pt_test_header(r, "Access-Control-Allow-Headers"), "Content-Type, X-Token");
    assert_string_equal(pt_test_header(r, "Access-Control-Max-Age"), "600");
    assert_string_equal(pt_test_header(r, "Vary"), "Origin");
    pt_test_response_free(r);
}

static void cors_actual_request_and_other_origins(void **state)
{
    pt_test_response_t *r = pt_test_request(ops, "GET", "/hello", .headers = H("Origin", "https://b.example"));
    assert_string_equal(pt_test_header(r, "Access-Control-Allow-Origin"), "https://b.example");
    assert_string_equal(pt_test_header(r, "Access-Control-Expose-Headers"), "X-Request-Id");
    pt_test_response_free(r);
    r = pt_test_request(ops, "GET", "/hello", .headers = H("Origin", "https://evil.example"));
    assert_null(pt_test_header(r, "Access-Control-Allow-Origin"));
    pt_test_response_free(r);
    r = pt_test_request(ops, "OPTIONS", "/things",
                        .headers = H("Origin", "https://evil.example", "Access-Control-Request-Method", "POST"));
    assert_int_equal(r->status, 405);
    assert_null(pt_test_header(r, "Access-Control-Allow-Origin"));
    pt_test_response_free(r);
}

/* ---- the JSON error format ---- */

static void json_body_is(pt_test_response_t *r, int status, const char *want)
{
    assert_int_equal(r->status, status);
    json_t *doc = json_loadb(r->body, r->len, 0, NULL);
    assert_non_null(doc);
    tc_assert_json(doc, want);
    json_decref(doc);
}

static void json_errors_name_field_and_place(void **state)
{
    pt_test_response_t *r = pt_test_request(ops, "GET", "/items/3?lang=xx");
    assert_string_equal(pt_test_header(r, "Content-Type"), TC_JSON_CT);
    json_body_is(r, 400, "{\"error\": {\"status\": 400, \"message\": \"lang must be one of {en,es}\","
                         " \"field\": \"lang\", \"in\": \"query\"}}");
    pt_test_response_free(r);
}

static void json_errors_body_path(void **state)
{
    pt_test_response_t *r = pt_test_request(ops, "POST", "/things", .body = "{\"name\": \"x\", \"size\": \"big\"}",
                                            .headers = H("Content-Type", "application/json"));
    assert_int_equal(r->status, 400);
    json_t *doc = json_loadb(r->body, r->len, 0, NULL);
    json_t *e = json_object_get(doc, "error");
    assert_string_equal(json_string_value(json_object_get(e, "in")), "body");
    assert_string_equal(json_string_value(json_object_get(e, "path")), "/size");
    assert_string_equal(json_string_value(json_object_get(e, "field")), "body");
    assert_string_equal(json_string_value(json_object_get(e, "message")), "'big' is not of type 'integer'");
    json_decref(doc);
    pt_test_response_free(r);
}

static void json_errors_without_field(void **state)
{
    pt_test_response_t *r = pt_test_request(ops, "GET", "/boom");
    json_body_is(r, 404, "{\"error\": {\"status\": 404, \"message\": \"no such boom\"}}");
    pt_test_response_free(r);
    r = pt_test_request(ops, "GET", "/nowhere");
    json_body_is(r, 404, "{\"error\": {\"status\": 404, \"message\": \"404: Not Found\"}}");
    pt_test_response_free(r);
    /* Hook-raised errors are reshaped too, their headers kept. */
    r = pt_test_request(ops, "GET", "/admin/stats");
    assert_string_equal(pt_test_header(r, "WWW-Authenticate"), "Bearer");
    json_body_is(r, 401, "{\"error\": {\"status\": 401, \"message\": \"token required\"}}");
    pt_test_response_free(r);
}

int main(void)
{
    ops_server_routes();
    const struct CMUnitTest with_cors[] = {
        cmocka_unit_test(table_before_hook_answers_early),
        cmocka_unit_test(table_before_hook_lets_through),
        cmocka_unit_test(table_hooks_do_not_apply_elsewhere),
        cmocka_unit_test(after_hook_sees_raises_and_router_answers),
        cmocka_unit_test(field_errors_keep_plain_text_by_default),
        cmocka_unit_test(envelope_with_201_and_location),
        cmocka_unit_test(cors_preflight_answered),
        cmocka_unit_test(cors_actual_request_and_other_origins),
    };
    const struct CMUnitTest with_json_errors[] = {
        cmocka_unit_test(json_errors_name_field_and_place),
        cmocka_unit_test(json_errors_body_path),
        cmocka_unit_test(json_errors_without_field),
    };
    int failed = cmocka_run_group_tests_name("ops", with_cors, setup_cors, teardown);
    failed += cmocka_run_group_tests_name("ops_json", with_json_errors, setup_json, teardown);
    return failed;
}
