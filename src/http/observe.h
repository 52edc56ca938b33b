/* Internal: hooks (hooks.c) and observation (observe.c, access_log.c,
 * metrics.c) as the request path and pt_run call them. Every call on the
 * request path is behind a flag tested inline, so a server with nothing
 * switched on pays one predictable branch. */
#ifndef PT_HTTP_OBSERVE_INTERNAL_H
#define PT_HTTP_OBSERVE_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ponty/hooks.h"
#include "ponty/memo.h"
#include "ponty/observe.h"
#include "ponty/server.h"
#include "core/buf.h"
#include "http/conn.h"
#include "fields/fields_rt.h"

/* ---- hooks.c ---- */
extern bool pt__hooks_any;     /* some hook set exists */
extern bool pt__hooks_global;  /* a global hook set exists */
/* Runs the before hooks that apply to r (rt NULL: no route matched). */
void pt__hooks_before(pt_req_t *r, const pt__route_rt_t *rt);
/* Whether on_error/after hooks apply to r. */
bool pt__hooks_after_wanted(const pt_req_t *r);
/* on_error (status >= 400) then after hooks. */
void pt__hooks_after(pt_req_t *r);
/* pt_run's start and end: hooks may not be added in between. */
void pt__hooks_serving(bool serving);

/* ---- observe.c: per-request bookkeeping ---- */
extern bool pt__observe_on;    /* access log, metrics or request ids on */
typedef struct pt__observe_cfg {
    pt_access_log_t log;
    int             log_fd;
    bool            metrics;
    bool            request_ids;
    const pt__route_rt_t *rts;  /* the served routes, for labels */
    size_t          nrts;
} pt__observe_cfg_t;
extern pt__observe_cfg_t pt__obs;

/* Before pt_run's workers start / after they were joined. */
int  pt__observe_start(const pt_run_opts_t *o, const pt__route_rt_t *rts, size_t nrts);
void pt__observe_stop(void);
/* A table holding the /metrics and /health routes, or NULL when neither is
 * on; freed by pt__observe_stop. */
pt_route_table_t *pt__observe_table(const pt_run_opts_t *o);

/* Dispatch: start time, request id, in flight. */
void pt__observe_begin(pt_req_t *r);
/* The answer is queued (bytes of it, 0 when the client went away). */
void pt__observe_end(pt_req_t *r, size_t bytes);
/* Connection c opened (+1) or freed (-1). */
void pt__observe_conn(const pt__conn_t *c, int delta);
/* hooks.c: forgets what pt_req_peer cached for c. */
void pt__peer_forget(const pt__conn_t *c);

/* ---- access_log.c ---- */
int  pt__access_log_start(int fd);
void pt__access_log_stop(void);
/* The worker's own buffer: fn appends one line under its lock. */
void pt__access_log_line(const pt_req_t *r, int status, size_t bytes, uint64_t us);

/* ---- metrics.c ---- */
int  pt__metrics_start(size_t nroutes);
void pt__metrics_stop(void);
void pt__metrics_count(const pt_req_t *r, int status, uint64_t ns);
void pt__metrics_inflight(int delta);
void pt__metrics_conn(int delta);
/* The metrics page into out: 0, or -1 when out of memory (docs/errors.md). */
int  pt__metrics_render(pt__buf_t *out);

/* ---- health.c ---- */
json_t *pt__health_run(int *status);
void    pt__health_drop_run(void);
void    pt__health_serving(int state); /* 0 idle, 1 starting, 2 serving */

/* ---- memo/registry.c ---- */
void pt__memo_each_named(void (*fn)(pt_cache_t *c, const char *name, void *arg), void *arg);
struct pt_http_client_stats;
void pt__http_each_client(void (*fn)(const char *name, struct pt_http_client_stats st, void *arg), void *arg);
void pt__memo_each_lock(void (*fn)(pt_lock_t *l, const char *name, void *arg), void *arg);

#endif
