/* Per-request observation: timing, request ids, in-flight counts, and the
 * routes serving /metrics and /health. See ponty/observe.h. */
#define _GNU_SOURCE
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <uv.h>

#include "ponty/openapi.h"
#include "http/observe.h"

bool pt__observe_on;
pt__observe_cfg_t pt__obs;

/* Request ids: a random 48-bit prefix per pt_run, a per-thread number and a
 * per-thread counter, so no two workers share a counter's cache line. */
static uint64_t id_prefix;
static atomic_uint id_threads;
static _Thread_local unsigned id_thread;
static _Thread_local unsigned id_thread_gen;
static _Thread_local uint64_t id_counter;
static unsigned id_gen;

static pt_route_table_t *ops_table;
static char *openapi_text;   /* generated once at start-up */
static size_t openapi_len;

int pt__observe_start(const pt_run_opts_t *o, const pt__route_rt_t *rts, size_t nrts)
{
    pt__obs = (pt__observe_cfg_t){
        .log = o->access_log,
        .log_fd = o->access_log_fd > 0 ? o->access_log_fd : 2,
        .metrics = o->metrics_path != NULL,
        .request_ids = o->request_ids != 0,
        .rts = rts,
        .nrts = nrts,
    };
    if (pt__obs.log && pt__access_log_start(pt__obs.log_fd) != 0)
        return -1;
    if (pt__obs.metrics && pt__metrics_start(nrts) != 0) {
        pt__access_log_stop();
        return -1;
    }
    if (pt__obs.request_ids) {
        if (getrandom(&id_prefix, sizeof id_prefix, 0) != (ssize_t)sizeof id_prefix)
            id_prefix = uv_hrtime() ^ ((uint64_t)getpid() << 32);
        id_prefix &= 0xffffffffffffULL;
        id_gen++;
        atomic_store(&id_threads, 0);
    }
    pt__observe_on = pt__obs.log || pt__obs.metrics || pt__obs.request_ids;
    pt__hooks_serving(true);
    pt__health_serving(2);
    return 0;
}

void pt__observe_stop(void)
{
    pt__observe_on = false;
    pt__hooks_serving(false);
    pt__health_serving(0);
    pt__health_drop_run();
    if (pt__obs.log)
        pt__access_log_stop();
    if (pt__obs.metrics)
        pt__metrics_stop();
    pt__obs = (pt__observe_cfg_t){ 0 };
    if (ops_table) {
        pt_route_table_free(ops_table);
        ops_table = NULL;
    }
    free(openapi_text);
    openapi_text = NULL;
}

/* An incoming id is kept when it is 1-128 characters of a conservative set:
 * nothing that could split a log line or a header. */
static bool id_ok(const char *s)
{
    size_t n = 0;
    for (; s[n]; n++) {
        unsigned char ch = (unsigned char)s[n];
        bool ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
                  strchr("._:+/=-", ch);
        if (!ok || n >= 128)
            return false;
    }
    return n > 0;
}

void pt__observe_begin(pt_req_t *r)
{
    r->t0_ns = uv_hrtime();
    if (pt__obs.request_ids) {
        const char *in = pt_req_header(r, "X-Request-Id");
        if (in && id_ok(in)) {
            r->request_id = in;
        } else {
            if (id_thread_gen != id_gen) {
                id_thread_gen = id_gen;
                id_thread = atomic_fetch_add(&id_threads, 1);
                id_counter = 0;
            }
            /* 12 hex digits of prefix, 4 of thread, 8 of counter, by hand:
             * snprintf would be most of the cost of an id. */
            static const char hex[] = "0123456789abcdef";
            char *id = pt_arena_alloc(&r->arena, 25);
            uint64_t words[3] = { id_prefix, id_thread & 0xffffu, ++id_counter & 0xffffffffu };
            const int digits[3] = { 12, 4, 8 };
            char *o = id;
            for (int w = 0; w < 3; w++)
                for (int d = digits[w] - 1; d >= 0; d--)
                    *o++ = hex[(words[w] >> (4 * d)) & 15];
            *o = '\0';
            r->request_id = id;
        }
        pt_resp_header(r, "X-Request-Id", r->request_id);
    }
    if (pt__obs.metrics) {
        r->observed = true;
        pt__metrics_inflight(1);
    }
}

void pt__observe_end(pt_req_t *r, size_t bytes)
{
    if (!r->t0_ns)
        return; /* observation was switched on while this request ran */
    uint64_t ns = uv_hrtime() - r->t0_ns;
    int status = r->status ? r->status : 500;
    if (r->observed) {
        r->observed = false;
        pt__metrics_inflight(-1);
        pt__metrics_count(r, status, ns);
    }
    if (pt__obs.log && bytes)
        pt__access_log_line(r, status, bytes, ns / 1000);
}

void pt__observe_conn(const pt__conn_t *c, int delta)
{
    pt__peer_forget(c);
    if (pt__obs.metrics)
        pt__metrics_conn(delta);
}

/* ---- the endpoints ---- */

static json_t *metrics_handler(pt_req_t *req)
{
    pt__buf_t out = { 0 };
    if (pt__metrics_render(&out) != 0) {
        pt__buf_free(&out);
        pt_raise_status(500);
    }
    pt_reply(req, 200, "text/plain; version=0.0.4; charset=utf-8", out.data, out.len);
    pt__buf_free(&out);
    return NULL;
}

static json_t *health_handler(pt_req_t *req)
{
    int status = 200;
    json_t *body = pt__health_run(&status);
    pt_reply_json(req, status, body);
    return NULL;
}

static json_t *openapi_handler(pt_req_t *req)
{
    pt_reply(req, 200, "application/json; charset=utf-8", openapi_text, openapi_len);
    return NULL;
}

pt_route_table_t *pt__observe_table(const pt_run_opts_t *o)
{
    if (!o->metrics_path && !o->health_path && !o->openapi_path)
        return NULL;
    ops_table = pt_route_table_new();
    if (o->metrics_path) {
        pt_route_add(ops_table, &(const pt_route_def_t){ .method = "GET", .path = o->metrics_path,
                                                          .handler = metrics_handler, .name = "metrics" });
    }
    if (o->health_path) {
        pt_route_add(ops_table, &(const pt_route_def_t){ .method = "GET", .path = o->health_path,
                                                          .handler = health_handler, .name = "health" });
    }
    if (o->openapi_path) {
        /* Generated once: the routes do not change while serving. */
        json_t *doc = pt_openapi(.title = o->openapi_title, .route_tables = o->route_tables);
        openapi_text = doc ? json_dumps(doc, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
        json_decref(doc);
        if (openapi_text) {
            openapi_len = strlen(openapi_text);
            pt_route_add(ops_table, &(const pt_route_def_t){ .method = "GET", .path = o->openapi_path,
                                                              .handler = openapi_handler, .name = "openapi" });
        }
    }
    return ops_table;
}
