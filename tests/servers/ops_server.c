/* pt_ops_server: hooks, request ids, the client's address, CORS, the JSON
 * error format, the access log, metrics and health, for
 * tests/http/test_ops.py.
 *
 * Environment: PORT, PONTY_WORKERS;
 *   PT_JSON_ERRORS=1  the JSON error format (global on_error hook)
 *   PT_CORS=<origins> CORS for those origins
 *   PT_LOG=common|json the access log on stderr
 *   PT_NO_IDS=1       request ids off
 *   PT_NO_HOOKS=1     none of the hooks below
 *
 * The "admin" table (under /admin) has a before hook demanding
 * "Authorization: Bearer s3cret" (401 otherwise) and an after hook adding
 * "X-Admin: 1". A global after hook adds "X-Status-Seen: <status>". */
#include <ponty.h>

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

/* ---- default table ---- */

PT_GET("/hello", hello, .summary = "Says hello")
{
    return json_pack("{s:s}", "greeting", "hello world");
}

PT_GET("/whoami", whoami)
{
    int port = 0;
    const char *peer = pt_req_peer(req, &port);
    const char *id = pt_req_id(req);
    return json_pack("{s:s?,s:i,s:s?}", "peer", peer, "port", port, "id", id);
}

typedef struct { int64_t id; const char *lang; const char *token; } item_in;

PT_FIELDS(item_in,
          PT_ROUTE_POSINT(id),
          PT_QUERY_STR(lang, .values = PT_VALUES("en", "es"), .dflt = "en"),
          PT_HEADER(token, .key = "X-Token"));

PT_GET_IN("/items/{id}", item, item_in)
{
    return json_pack("{s:I,s:s}", "id", (json_int_t)in->id, "lang", in->lang);
}

typedef struct { json_t *body; } thing_in;

PT_FIELDS(thing_in,
          PT_BODY_SCHEMA(body, .schema_text = "{\"type\": \"object\", \"required\": [\"name\"],"
                                              " \"properties\": {\"name\": {\"type\": \"string\"},"
                                              " \"size\": {\"type\": \"integer\"}}}"));

PT_POST_IN("/things", make_thing, thing_in)
{
    json_t *name = json_object_get(in->body, "name");
    pt_req_t *req = pt_req_current();
    pt_resp_status(req, 201);
    pt_resp_header(req, "Location", pt_strf("/things/%s", json_string_value(name)));
    return json_pack("{s:O}", "name", name);
}

PT_GET("/boom", boom)
{
    pt_raise(PT_DOES_NOT_EXIST, .text = "no such boom");
}

PT_GET("/slow", slow)
{
    pt_sleep_ms(300);
    return json_true();
}

/* ---- the admin table ---- */

#define ADMIN_TABLE pt_route_table_named("admin")

static json_t *admin_stats(pt_req_t *req)
{
    return json_pack("{s:b}", "admin", 1);
}

static void need_token(pt_req_t *req, void *arg)
{
    const char *auth = pt_req_header(req, "Authorization");
    if (!auth || strcmp(auth, "Bearer s3cret") != 0)
        pt_raise_status(401, .text = "token required",
                        .headers = (const char *const[]){ "WWW-Authenticate", "Bearer", NULL });
}

static void admin_after(pt_req_t *req, void *arg)
{
    pt_resp_header(req, "X-Admin", "1");
}

static void status_seen(pt_req_t *req, void *arg)
{
    pt_resp_header(req, "X-Status-Seen", pt_strf("%d", pt_resp_get_status(req)));
}

/* ---- a breaker in the metrics ---- */

PT_BREAKER(upstream, .name = "upstream", .max_fails = 2, .reset_ms = 600000);

PT_POST("/fail_upstream", fail_upstream)
{
    pt_breaker_ticket_t t;
    if (pt_breaker_enter(upstream, &t) == 0)
        pt_breaker_leave(upstream, &t, PT_OUTCOME_FAILURE);
    return json_string(pt_breaker_state_name(pt_breaker_state(upstream)));
}

/* ---- health ---- */

static atomic_int sick;

PT_POST("/sick", make_sick)
{
    atomic_store(&sick, 1);
    return json_true();
}

/* The admin table under /admin (once), then the hooks the environment asks
 * for. tests/unit/test_tc_hooks.c calls these to serve the same service
 * through the test client; it compiles this file without main. */
void ops_server_routes(void);
void ops_server_hooks(void);

void ops_server_routes(void)
{
    pt_route_add(ADMIN_TABLE, &(const pt_route_def_t){ .method = "GET", .path = "/stats",
                                                        .handler = admin_stats, .name = "admin_stats" });
    pt_route_table_prefix(ADMIN_TABLE, "/admin");
}

void ops_server_hooks(void)
{
    if (!getenv("PT_NO_HOOKS")) {
        pt_hooks_add(ADMIN_TABLE, &(pt_hooks_t){ .before = need_token, .after = admin_after });
        pt_hooks_add(NULL, &(pt_hooks_t){ .after = status_seen });
    }
    if (getenv("PT_JSON_ERRORS"))
        pt_hooks_add(NULL, &pt_hooks_json_errors);
    if (getenv("PT_CORS"))
        pt_hooks_add(NULL, pt_cors(.origins = getenv("PT_CORS"), .expose = "X-Request-Id"));
}

#ifndef PT_SERVER_NO_MAIN
static const char *always_ok(void *arg) { return NULL; }

static const char *sickness(void *arg)
{
    pt_sleep_ms(1); /* checks run in a coroutine: they may wait */
    return atomic_load(&sick) ? pt_strf("sick since %s", "POST /sick") : NULL;
}

static int checks_start(void *arg)
{
    return pt_health_check_add("flag", sickness, NULL);
}

int main(int argc, char **argv)
{
    ops_server_routes();
    if (argc > 1 && strcmp(argv[1], "--openapi") == 0)
        return pt_openapi_print(stdout, .title = "ops", .route_tables = PT_ROUTE_TABLES(ADMIN_TABLE));
    ops_server_hooks();
    pt_health_check_add("static", always_ok, NULL);
    pt_metrics_breaker(upstream);
    const char *log = getenv("PT_LOG");
    pt_access_log_t mode = !log ? PT_ACCESS_LOG_OFF
                         : strcmp(log, "json") == 0 ? PT_ACCESS_LOG_JSON : PT_ACCESS_LOG_COMMON;
    return pt_run(.port = (int)pt_env_long("PORT", 8080), .quiet = 1,
                  .route_tables = PT_ROUTE_TABLES(ADMIN_TABLE),
                  .providers = PT_PROVIDERS({ "checks", checks_start, NULL, NULL }),
                  .access_log = mode, .metrics_path = "/metrics", .health_path = "/health",
                  .openapi_path = "/openapi.json", .openapi_title = "ops",
                  .request_ids = !getenv("PT_NO_IDS"));
}
#endif

/* A named cache and a named lock, for their metrics. */
static json_t *slow_value(pt_cache_call_t *call)
{
    (void)call;
    pt_sleep_ms(2000); /* long enough for tests to send requests that meet the load */
    return json_pack("{s:i}", "v", 1);
}

PT_LOCALCACHE(ops_cache, .name = "ops", .load = slow_value, .maxwait_ms = PT_MEMO_NOWAIT, .single_key = true);
PT_LOCALLOCK(ops_lock, .name = "ops_lock", .maxwait_ms = 100);

PT_GET("/cached", cached)
{
    (void)req;
    return pt_cache_get_or_raise(ops_cache, NULL, NULL);
}

PT_GET("/locked", locked)
{
    pt_lock_hold(ops_lock, "k");
    /* ?hold=MS: keeps the lock that long. */
    const char *hold = pt_req_query(req, "hold");
    pt_sleep_ms(hold ? strtol(hold, NULL, 10) : 0);
    return json_pack("{s:b}", "ok", 1);
}
