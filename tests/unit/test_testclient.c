/* The in-process test client (ponty/testclient.h): requests go through the
 * route tables, declared fields, hooks, raises and waits as under pt_run,
 * from a plain cmocka test. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include <ponty.h>

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

static int setup(void **state)
{
    pt_route_add(admin(), &(const pt_route_def_t){ .method = "GET", .path = "/admin/secret",
                                                    .handler = secret, .name = "secret" });
    assert_int_equal(pt_hooks_add(admin(), &(pt_hooks_t){ .before = need_token }), 0);
    assert_int_equal(pt_hooks_add(NULL, &(pt_hooks_t){ .after = tag, .arg = "global" }), 0);
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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(envelope),
        cmocka_unit_test(fields_and_errors),
        cmocka_unit_test(body_status_and_headers),
        cmocka_unit_test(table_hooks),
        cmocka_unit_test(head_and_close),
        cmocka_unit_test(limits_apply),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
