/* ponty/server.h — starting the server: the seeds' startmeup.
 *
 *     int main(void) {
 *         return pt_run(.port = 8080);
 *     }
 *
 * pt_run binds the port, runs the providers' startups in order, builds the
 * router from the default table plus .route_tables (a bad pattern stops the
 * start with a message naming the route), prints "serving:" and one
 * "METHOD<TAB>path" line per route, and serves with .workers threads until
 * SIGINT or SIGTERM. Then it stops accepting, lets in-flight requests finish
 * within limits.shutdown_timeout_ms, runs the teardowns in reverse order and
 * returns 0. It returns 1 (with a message on stderr) when it cannot start. */
#ifndef PONTY_SERVER_H
#define PONTY_SERVER_H

#include <stddef.h>
#ifdef __cplusplus
#include <initializer_list>
#endif

#include "ponty/observe.h"
#include "ponty/offload.h"
#include "ponty/route.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Startup/teardown pair, the analog of an async-generator provider.
 * startup returns 0 on success. A failure stops pt_run: it prints
 * "ponty: provider '<name>' failed to start", tears down the providers
 * already started in reverse order (not the failed one: its startup cleans
 * up after itself) and returns 1. Both run on the thread that called pt_run,
 * before any worker serves and after every worker stopped. */
typedef struct pt_provider {
    const char *name;
    int       (*startup)(void *arg);
    void      (*teardown)(void *arg);
    void       *arg;
} pt_provider_t;

/* Limits. 0 picks the default shown. Exceeding one answers the status shown
 * and closes the connection. */
typedef struct pt_limits {
    size_t   max_uri;              /* 8192 bytes of request target → 414 */
    size_t   max_header_bytes;     /* 16384 bytes of header names+values → 431 */
    unsigned max_headers;          /* 100 header lines → 431 */
    size_t   max_body;             /* 1 MiB → 413 */
    unsigned max_connections;      /* 10000 open connections per worker; beyond, 503 and close */
    size_t   max_output_backlog;   /* 1 MiB of responses waiting for a client that does not read
                                      them: its pipelined requests are not parsed (and the socket
                                      not read) until the backlog drains; a client that takes no
                                      bytes for idle_timeout_ms is dropped */
    size_t   max_request_memory;   /* 64 MiB of request arena (pt_strf, fields, pt_req_arena) per
                                      request → 500, like an out-of-memory error (SIZE_MAX: none) */
    unsigned max_json_depth;       /* 256 levels of [ and { in a JSON body → 400 (the parser does
                                      not recurse; the limit keeps validation and handlers that
                                      walk the body well inside a coroutine stack) */
    unsigned header_timeout_ms;    /* 10 s from a request's first byte to its last header → 408 */
    unsigned idle_timeout_ms;      /* 60 s keep-alive silence, a stalled body (408), or a response
                                      the client stopped reading → close */
    unsigned shutdown_timeout_ms;  /* 10 s for in-flight requests at shutdown */
} pt_limits_t;

typedef struct pt_run_opts {
    int                         port;          /* required */
    const char                 *host;          /* default "0.0.0.0" */
    unsigned                    workers;       /* default $PONTY_WORKERS, else the CPU count */
    const pt_provider_t        *providers;     /* array ended by an entry with startup and teardown NULL */
    pt_route_table_t *const    *route_tables;  /* NULL-terminated, served besides the default table */
    pt_limits_t                 limits;
    size_t                      stack_size;    /* per request coroutine; default 256 KiB */
    int                         backlog;       /* listen backlog; default 1024 */
    int                         quiet;         /* 1: do not print the route table */
    pt_offload_opts_t           offload;       /* the blocking-call pool (ponty/offload.h) */
    /* Observation (ponty/observe.h, ponty/hooks.h); all off by default. */
    pt_access_log_t             access_log;    /* PT_ACCESS_LOG_COMMON or _JSON */
    int                         access_log_fd; /* default 2 (stderr) */
    const char                 *metrics_path;  /* e.g. "/metrics": Prometheus text format */
    const char                 *health_path;   /* e.g. "/health" */
    int                         request_ids;   /* 1: X-Request-Id kept or generated, echoed */
    const char                 *openapi_path;  /* e.g. "/openapi.json" (ponty/openapi.h) */
    const char                 *openapi_title; /* info.title; default "ponty service" */
} pt_run_opts_t;

int pt_run_opts(const pt_run_opts_t *opts);
#define pt_run(...) pt_run_opts(PT__LIT(pt_run_opts_t, __VA_ARGS__))

#ifdef __cplusplus
/* The array behind an initializer list lives to the end of the full
 * expression, like a compound literal in pt_run(...). */
#define PT_PROVIDERS(...)    (std::initializer_list<pt_provider_t>({ __VA_ARGS__, pt_provider_t{} }).begin())
#define PT_ROUTE_TABLES(...) (std::initializer_list<pt_route_table_t *>({ __VA_ARGS__, nullptr }).begin())
#else
#define PT_PROVIDERS(...)    ((const pt_provider_t[]){ __VA_ARGS__, { 0 } })
#define PT_ROUTE_TABLES(...) ((pt_route_table_t *const[]){ __VA_ARGS__, NULL })
#endif

/* Named resources. A provider's startup publishes what it built (a database
 * handle, a client) and handlers look it up by name:
 *
 *     static int db_start(void *arg) {
 *         sqlite3 *db = open_db();
 *         return db ? pt_resource_publish("db", db) : -1;
 *     }
 *     ... in a handler: sqlite3 *db = pt_resource("db");
 *
 * pt_resource_publish copies the name, not the object: the provider keeps
 * owning ptr and frees it in its teardown, after which the name is
 * forgotten. It returns 0, or -1 with a message on stderr for an empty name,
 * a NULL ptr, a name already published, or a call while the workers serve
 * (the table is read without locks then). A failed publication inside a
 * startup fails the start even if the startup returns 0 (then that provider
 * is torn down too). Publishing before pt_run is allowed: such resources
 * live for the process.
 *
 * pt_resource returns the pointer, or NULL for an unknown (or NULL) name.
 * Any thread, any time; a lookup is a short linear scan, cheap enough per
 * request for tens of resources. */
int   pt_resource_publish(const char *name, void *ptr);
void *pt_resource(const char *name);

/* Integer from the environment, or dflt when unset or not a number. */
long pt_env_long(const char *name, long dflt);

#ifdef __cplusplus
}
#endif

#endif
