/* pt_test_server: routes for the black-box HTTP tests (tests/http) that the
 * examples do not have. Limits come from the environment so one binary serves
 * every test configuration:
 *
 *   PORT, PONTY_WORKERS, PT_MAX_BODY, PT_MAX_URI, PT_MAX_HEADER_BYTES,
 *   PT_MAX_HEADERS, PT_MAX_CONNS, PT_HEADER_TIMEOUT_MS, PT_IDLE_TIMEOUT_MS,
 *   PT_SHUTDOWN_TIMEOUT_MS (unset or 0: the framework's default). */
#define _GNU_SOURCE
#include <ponty.h>

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

/* /sleep handlers between their start and their answer: tests wait on it
 * to know a request is in flight before they signal or race it. */
static atomic_int sleeping;

/* GET /sleep/{ms} → {"slept": ms} after suspending for ms milliseconds. */
PT_GET("/sleep/{ms:\\d+}", sleep_ms)
{
    long ms = strtol(pt_req_param(req, "ms"), NULL, 10);
    atomic_fetch_add(&sleeping, 1);
    pt_sleep_ms(ms);
    atomic_fetch_sub(&sleeping, 1);
    return json_pack("{s:i}", "slept", (json_int_t)ms);
}

/* GET /sleeping → {"sleeping": n}: /sleep requests now suspended. */
PT_GET("/sleeping", sleeping_now)
{
    (void)req;
    return json_pack("{s:i}", "sleeping", (json_int_t)atomic_load(&sleeping));
}

/* POST /echo → the request body, with the request's Content-Type. */
PT_POST("/echo", echo)
{
    size_t len;
    const char *body = pt_req_body(req, &len);
    pt_reply(req, 200, pt_req_header(req, "Content-Type"), body, len);
    return NULL;
}

/* GET /headers → {"<name as received>": "<value>", ...} in arrival order. */
PT_GET("/headers", headers)
{
    json_t *o = json_object();
    const char *name, *value;
    for (size_t i = 0; pt_req_header_at(req, i, &name, &value); i++)
        json_object_set_new(o, name, json_string(value));
    return o;
}

/* GET /request → what the handler sees of its request line. */
PT_GET("/request/{rest:.*}", request_info)
{
    const char *q = pt_req_query(req, "q");
    return json_pack("{s:s,s:s,s:s,s:s,s:i,s:s?}", "method", pt_req_method(req),
                     "path", pt_req_path(req), "target", pt_req_target(req),
                     "query_string", pt_req_query_string(req),
                     "http_minor", pt_req_http_minor(req), "q", q);
}

/* GET /raise/{status}: ?text=... → text; ?body=json → {"status": n};
 * ?ct=... overrides the media type; ?hdr=v adds X-Test: v. */
PT_GET("/raise/{status:\\d+}", raise_status)
{
    int status = (int)strtol(pt_req_param(req, "status"), NULL, 10);
    const char *text = pt_req_query(req, "text");
    const char *body = pt_req_query(req, "body");
    const char *ct = pt_req_query(req, "ct");
    const char *hdr = pt_req_query(req, "hdr");
    const char *const headers[] = { "X-Test", hdr, NULL };
    json_t *jb = body && strcmp(body, "json") == 0 ? json_pack("{s:i,s:s}", "status", status, "detail", "raised") : NULL;
    pt_raise_status(status, .text = text, .body = jb, .content_type = ct, .headers = hdr ? headers : NULL);
}

/* GET /raise_both: .text and .body together is a programming error → 500. */
PT_GET("/raise_both", raise_both)
{
    pt_raise_status(400, .text = "text", .body = json_pack("{s:i}", "a", 1));
}

/* GET /null: the handler returns NULL without answering → 500. */
PT_GET("/null", null_handler)
{
    return NULL;
}

/* GET /kinds/{kind}: raise an error kind without text. */
PT_GET("/kinds/{kind}", kinds)
{
    const char *k = pt_req_param(req, "kind");
    if (strcmp(k, "does_not_exist") == 0) pt_raise(PT_DOES_NOT_EXIST);
    if (strcmp(k, "validation") == 0) pt_raise(PT_VALIDATION);
    if (strcmp(k, "locked") == 0) pt_raise(PT_LOCKED);
    if (strcmp(k, "stampede") == 0) pt_raise(PT_STAMPEDE);
    if (strcmp(k, "error") == 0) pt_raise(PT_ERROR);
    if (strcmp(k, "custom") == 0) {
        static const pt_error_kind_t teapot = { "Teapot", 418, PT_ERROR };
        pt_raise(&teapot, .text = pt_strf("kind %s", k));
    }
    return json_pack("{s:s}", "unknown", k);
}

/* GET /defer: registers a cleanup, then raises; /defer_count tells how many
 * cleanups have run. */
static atomic_long defer_count;
static void count_cleanup(void *arg) { atomic_fetch_add((atomic_long *)arg, 1); }

PT_GET("/defer", defer_then_raise)
{
    pt_req_defer(req, count_cleanup, &defer_count);
    /* Arena memory from the abandoned frame must be released too (ASan checks). */
    (void)pt_strf("%s", "scratch that dies with the request");
    pt_raise(PT_VALIDATION, .text = "deferred");
}

/* The same, raising from a coroutine that was suspended and resumed. */
PT_GET("/defer_sleep", defer_sleep_then_raise)
{
    pt_req_defer(req, count_cleanup, &defer_count);
    (void)pt_strf("%s", "scratch that dies with the request");
    pt_sleep_ms(1);
    pt_raise(PT_VALIDATION, .text = "deferred");
}

PT_GET("/defer_ok", defer_then_return)
{
    pt_req_defer(req, count_cleanup, &defer_count);
    return json_pack("{s:b}", "ok", 1);
}

PT_GET("/defer_count", defer_count_get)
{
    return json_pack("{s:I}", "count", (json_int_t)atomic_load(&defer_count));
}

/* One path, several methods: 405 with Allow for the others. */
PT_GET("/methods", m_get) { return json_pack("{s:s}", "method", pt_req_method(req)); }
PT_PUT("/methods", m_put) { return json_pack("{s:s}", "method", pt_req_method(req)); }
PT_DELETE("/methods", m_delete) { return json_pack("{s:s}", "method", pt_req_method(req)); }
PT_PATCH("/methods", m_patch) { return json_pack("{s:s}", "method", pt_req_method(req)); }
/* "*" answers any method; an exact route on the same path wins. */
PT_ANY("/any", any_method) { return json_pack("{s:s,s:s}", "route", "any", "method", pt_req_method(req)); }
PT_POST("/any", any_post) { return json_pack("{s:s,s:s}", "route", "post", "method", pt_req_method(req)); }

/* GET /whoami → the worker thread serving the connection. */
PT_GET("/whoami", whoami)
{
    char name[32] = "";
    pthread_getname_np(pthread_self(), name, sizeof name);
    return json_pack("{s:s}", "thread", name);
}

/* GET /mutex: a read-sleep-write increment of a shared counter under a
 * process-wide mutex. Without mutual exclusion concurrent requests would lose
 * increments; with it N requests leave the counter at exactly N. */
static pt_mutex_t mu = PT_MUTEX_INIT;
static long mutex_counter;

PT_GET("/mutex", mutex_incr)
{
    char name[32] = "";
    pthread_getname_np(pthread_self(), name, sizeof name);
    pt_mutex_lock(&mu);
    long v = mutex_counter;
    pt_sleep_ms(50);
    mutex_counter = v + 1;
    pt_mutex_unlock(&mu);
    return json_pack("{s:i,s:s}", "value", (json_int_t)(v + 1), "thread", name);
}

PT_GET("/mutex_count", mutex_count)
{
    pt_mutex_lock(&mu);
    long v = mutex_counter;
    pt_mutex_unlock(&mu);
    return json_pack("{s:i}", "count", (json_int_t)v);
}

/* GET /unicode: strings and reals as Python's json.dumps writes them. */
PT_GET("/unicode", unicode)
{
    json_t *o = json_object();
    json_object_set_new(o, "e_acute", json_string("\xc3\xa9"));
    json_object_set_new(o, "snowman", json_string("\xe2\x98\x83"));
    json_object_set_new(o, "emoji", json_string("\xf0\x9f\x98\x80"));
    json_object_set_new(o, "controls", json_string("tab\there\nnl \"q\" \\ \x01\x1f\x7f"));
    json_object_set_new(o, "caf\xc3\xa9", json_string("key"));
    json_object_set_new(o, "tenth", json_real(0.1));
    json_object_set_new(o, "third", json_real(1.0 / 3.0));
    json_object_set_new(o, "one", json_real(1.0));
    json_object_set_new(o, "big", json_real(1e100));
    json_object_set_new(o, "e16", json_real(1e16));
    json_object_set_new(o, "under16", json_real(123456789012345.6));
    json_object_set_new(o, "small", json_real(1e-7));
    json_object_set_new(o, "milli", json_real(0.0001));
    json_object_set_new(o, "neg", json_real(-2.5));
    json_object_set_new(o, "negzero", json_real(-0.0));
    json_object_set_new(o, "maxint", json_integer(9223372036854775807LL));
    json_object_set_new(o, "minint", json_integer(-9223372036854775807LL - 1));
    json_object_set_new(o, "list", json_pack("[i,f,n,b,b,{}, []]", 1, 2.5, 1, 0));
    return o;
}

/* GET /big/{n} → n bytes of text/plain (a pattern the test can recompute). */
PT_GET("/big/{n:\\d+}", big)
{
    long n = strtol(pt_req_param(req, "n"), NULL, 10);
    if (n > 16L << 20)
        pt_raise(PT_VALIDATION, .text = "too big");
    char *buf = pt_arena_alloc(pt_req_arena(req), (size_t)n + 1);
    for (long i = 0; i < n; i++)
        buf[i] = (char)('a' + i % 26);
    pt_reply(req, 200, "text/plain; charset=utf-8", buf, (size_t)n);
    return NULL;
}

/* GET /resp_header then raise: headers added with pt_resp_header apply to
 * the error response too. */
PT_GET("/resp_header", resp_header)
{
    pt_resp_header(req, "X-Added", "yes");
    if (pt_req_query(req, "raise"))
        pt_raise_status(409, .text = "conflict");
    return json_pack("{s:b}", "ok", 1);
}

/* tests/unit/test_tc_errors.c serves these routes through the test client:
 * it compiles this file without its main. */
#ifndef PT_SERVER_NO_MAIN
static unsigned env_u(const char *name) { long v = pt_env_long(name, 0); return v > 0 ? (unsigned)v : 0; }

int main(void)
{
    return pt_run(.port = (int)pt_env_long("PORT", 8080),
                  .limits = {
                      .max_body = (size_t)env_u("PT_MAX_BODY"),
                      .max_uri = (size_t)env_u("PT_MAX_URI"),
                      .max_header_bytes = (size_t)env_u("PT_MAX_HEADER_BYTES"),
                      .max_headers = env_u("PT_MAX_HEADERS"),
                      .max_connections = env_u("PT_MAX_CONNS"),
                      .max_output_backlog = (size_t)env_u("PT_MAX_OUTPUT_BACKLOG"),
                      .header_timeout_ms = env_u("PT_HEADER_TIMEOUT_MS"),
                      .idle_timeout_ms = env_u("PT_IDLE_TIMEOUT_MS"),
                      .shutdown_timeout_ms = env_u("PT_SHUTDOWN_TIMEOUT_MS"),
                  });
}
#endif

/* ---- caches whose loader or invalidation block raises ------------------- */

static atomic_int raising_loads;

/* Every other load raises: the flight must fail cleanly, not stay "loading". */
static json_t *raising_loader(pt_cache_call_t *call)
{
    (void)call;
    int n = atomic_fetch_add(&raising_loads, 1);
    if (n % 2 == 0)
        pt_raise_status(503, .text = "loader raised");
    return json_pack("{s:i}", "load", n);
}

PT_LOCALCACHE(raising_cache, .load = raising_loader, .maxwait_ms = PT_MEMO_NOWAIT, .single_key = true);

PT_GET("/cache_raise", cache_raise)
{
    return pt_cache_get_or_raise(raising_cache, NULL, NULL);
}

static atomic_int counting_loads;

static json_t *counting_loader(pt_cache_call_t *call)
{
    (void)call;
    return json_pack("{s:i}", "load", atomic_fetch_add(&counting_loads, 1));
}

PT_LOCALCACHE(counting_cache, .name = "counting_cache", .load = counting_loader, .maxwait_ms = PT_MEMO_NOWAIT,
              .single_key = true);

PT_GET("/counting", counting)
{
    return pt_cache_get_or_raise(counting_cache, NULL, NULL);
}

/* Raises inside an invalidation block: the key's lock must still be let go. */
PT_GET("/invalidate_raise", invalidate_raise)
{
    pt_cache_invalidation_t inv;
    if (pt_cache_invalidate_begin(counting_cache, NULL, NULL, &inv) != PT_MEMO_OK)
        pt_raise(PT_LOCKED);
    pt_raise_status(500, .text = "raised inside an invalidation");
}

/* The scoped macros left by pt_raise: the key must be free for the next
 * request (PT_MEMO_NOWAIT would answer 409 otherwise). */
PT_LOCALLOCK(scoped_lock, .maxwait_ms = PT_MEMO_NOWAIT);

PT_GET("/with_lock_raise", with_lock_raise)
{
    pt_memo_err_t rc;
    PT_WITH_LOCK(rc, scoped_lock, "k") {
        if (pt_req_query(req, "raise"))
            pt_raise_status(500, .text = "raised holding the lock");
        pt_sleep_ms(pt_env_long("PT_HOLD_MS", 0));
    }
    if (rc != PT_MEMO_OK)
        pt_raise(PT_LOCKED);
    return json_pack("{s:b}", "held", pt_lock_is_held(scoped_lock, "k"));
}

PT_GET("/invalidate_block_raise", invalidate_block_raise)
{
    pt_memo_err_t rc;
    json_t *none = NULL;
    PT_INVALIDATE(rc, "counting_cache", none, NULL) {
        pt_raise_status(500, .text = "raised inside PT_INVALIDATE");
    }
    pt_raise(PT_LOCKED);
}

/* GET /lock_held/{key} → {"held": bool}: whether a request holds the scoped
 * lock's key now (tests wait for it before they send the conflicting one). */
PT_GET("/lock_held/{key}", lock_held)
{
    return json_pack("{s:b}", "held", pt_lock_is_held(scoped_lock, pt_req_param(req, "key")));
}

/* pt_lock_hold's 409 carries the key as its body. */
PT_GET("/hold/{key}", hold_key)
{
    pt_lock_hold(scoped_lock, pt_req_param(req, "key"));
    pt_sleep_ms(pt_env_long("PT_HOLD_MS", 0));
    return json_pack("{s:b}", "held", 1);
}
