/* pt_run: providers, router, listening socket, workers, signals, shutdown. */
#define _GNU_SOURCE
#include "ponty/server.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdbool.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/offload.h"
#include "core/tasks.h"
#include "core/coro.h"
#include "http/listen.h"
#include "http/observe.h"
#include "http/resource.h"
#include "http/worker.h"
#include "route/router.h"
#include "route/table.h"
#include "fields/fields_rt.h"

long pt_env_long(const char *name, long dflt)
{
    const char *s = getenv(name);
    if (!s || !*s)
        return dflt;
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    return (errno || *end) ? dflt : v;
}

static void limits_defaults(pt_limits_t *l)
{
    if (!l->max_uri) l->max_uri = 8192;
    if (!l->max_header_bytes) l->max_header_bytes = 16384;
    if (!l->max_headers) l->max_headers = 100;
    if (!l->max_body) l->max_body = 1u << 20;
    if (!l->max_connections) l->max_connections = 10000;
    if (!l->max_output_backlog) l->max_output_backlog = 1u << 20;
    if (!l->max_request_memory) l->max_request_memory = (size_t)64 << 20;
    if (l->max_request_memory == SIZE_MAX) l->max_request_memory = 0; /* the arena's "no limit" */
    if (!l->max_json_depth) l->max_json_depth = 256;
    if (!l->header_timeout_ms) l->header_timeout_ms = 10000;
    if (!l->idle_timeout_ms) l->idle_timeout_ms = 60000;
    if (!l->shutdown_timeout_ms) l->shutdown_timeout_ms = 10000;
}

/* For the test client (testclient.c): the same defaults. */
void pt__limits_defaults(pt_limits_t *l);
void pt__limits_defaults(pt_limits_t *l) { limits_defaults(l); }

/* Tears providers n-1..0 down, each one's resources forgotten after it. */
static void teardown_providers(const pt_provider_t *p, size_t n)
{
    while (n-- > 0) {
        if (p[n].teardown)
            p[n].teardown(p[n].arg);
        pt__resources_drop((long)n);
    }
}

/* Every served route, prepared at start-up (router data points here). */
static pt__route_rt_t *rts;
static size_t pt__nrts, pt__caprts;

static int add_table(pt__router_t *router, const pt_route_table_t *t)
{
    char err[512];
    for (size_t i = 0; i < t->n; i++) {
        pt__route_entry_t *e = &t->routes[i];
        if (!e->def.handler) {
            fprintf(stderr, "ponty: cannot start: %s %s: route has no handler\n", e->def.method, e->full_path);
            return -1;
        }
        if (pt__nrts == pt__caprts) {
            /* Sized before serving; never reallocated while workers run. */
            fprintf(stderr, "ponty: internal error: route table grew during start-up\n");
            return -1;
        }
        pt__route_rt_t *rt = &rts[pt__nrts++];
        if (pt__route_rt_init(rt, &e->def, e->full_path, err, sizeof err) != 0 ||
            pt__router_add(router, e->def.method, rt->path, rt, err, sizeof err) != 0) {
            fprintf(stderr, "ponty: cannot start: %s (handler %s)\n", err, e->def.name);
            return -1;
        }
        rt->table = t;
        /* The path as declared ("/items/{id}", not the pattern-filled one
         * the router serves): the label metrics and OpenAPI show. */
        const char *pre = t->prefix ? t->prefix : "";
        size_t plen = strlen(pre);
        if (plen && pre[plen - 1] == '/' && e->def.path[0] == '/')
            plen--;
        rt->template_path = pt_arena_printf(&rt->arena, "%.*s%s", (int)plen, pre, e->def.path);
        rt->index = (unsigned)(rt - rts);
    }
    return 0;
}

static void free_rts(void)
{
    for (size_t i = 0; i < pt__nrts; i++)
        pt__route_rt_free(&rts[i]);
    free(rts);
    rts = NULL;
    pt__nrts = pt__caprts = 0;
}

static void print_routes(void)
{
    for (size_t i = 0; i < pt__nrts; i++)
        printf("%s\t%s\n", rts[i].def->method, rts[i].path);
}

static pt__worker_t *pt__workers;
static unsigned pt__nworkers;

static void on_signal(uv_signal_t *s, int signum)
{
    pt__tasks_stop();
    for (unsigned i = 0; i < pt__nworkers; i++)
        pt__worker_request_stop(&pt__workers[i]);
    uv_close((uv_handle_t *)s->data, NULL);          /* the other signal */
    uv_close((uv_handle_t *)s, NULL);
}

/* What pt_run has set up so far; unwind() releases exactly that. */
typedef struct run {
    uv_loop_t     loop;
    uv_signal_t   sigint, sigterm;
    bool          loop_ready;
    pt__router_t  *router;
    int          *fds;          /* listening sockets not yet handed to a worker */
    unsigned      nfds;
    size_t        nprov;        /* providers to tear down */
    bool          tasks_begun;  /* background tasks and the offload pool set up */
    pt__sched_t  **scheds;       /* the workers' schedulers, for background tasks */
    bool          observing;    /* access log, metrics, hooks frozen */
    pt_limits_t   limits;
} run_t;

/* Start-up steps, in order; each returns 0 or prints why and returns 1. */

/* Signal handlers come first: the port accepts connections as soon as its
 * sockets listen, and a SIGTERM sent by whoever saw it accept must find a
 * handler (it is acted on once the main loop runs). */
static int start_signals(run_t *r)
{
    if (uv_loop_init(&r->loop) != 0) {
        fprintf(stderr, "ponty: cannot start: no event loop\n");
        return 1;
    }
    r->loop_ready = true;
    uv_signal_init(&r->loop, &r->sigint);
    uv_signal_init(&r->loop, &r->sigterm);
    r->sigint.data = &r->sigterm;
    r->sigterm.data = &r->sigint;
    uv_signal_start(&r->sigint, on_signal, SIGINT);
    uv_signal_start(&r->sigterm, on_signal, SIGTERM);
    return 0;
}

/* Routes before anything is bound: a bad pattern stops us first. */
static int start_routes(run_t *r, const pt_run_opts_t *o)
{
    r->router = pt__router_new();
    pt__fields_stack_size(o->stack_size ? o->stack_size : PT_CORO_DEFAULT_STACK);
    pt__caprts = pt_route_count(pt_route_table_default());
    for (pt_route_table_t *const *t = o->route_tables; t && *t; t++)
        pt__caprts += pt_route_count(*t);
    pt_route_table_t *ops = pt__observe_table(o);
    if (ops)
        pt__caprts += pt_route_count(ops);
    rts = calloc(pt__caprts + 1, sizeof *rts);
    if (!r->router || !rts) {
        fprintf(stderr, "ponty: cannot start: out of memory\n");
        return 1;
    }
    if (add_table(r->router, pt_route_table_default()) != 0)
        return 1;
    for (pt_route_table_t *const *t = o->route_tables; t && *t; t++)
        if (add_table(r->router, *t) != 0)
            return 1;
    if (ops && add_table(r->router, ops) != 0)
        return 1;
    return 0;
}

static int start_listening(run_t *r, const pt_run_opts_t *o, const char *host, unsigned n, int backlog)
{
    char err[256];
    r->fds = calloc(n, sizeof *r->fds);
    if (!r->fds) {
        fprintf(stderr, "ponty: cannot start: out of memory\n");
        return 1;
    }
    if (pt__listen_group(host, o->port, backlog, n, r->fds, err, sizeof err) != 0) {
        fprintf(stderr, "ponty: cannot start: %s\n", err);
        return 1;
    }
    r->nfds = n;
    return 0;
}

static int start_providers(run_t *r, const pt_run_opts_t *o)
{
    pt__offload_configure(&o->offload);
    pt__health_serving(1);
    pt__tasks_begin();
    r->tasks_begun = true;
    for (const pt_provider_t *p = o->providers; p && (p->startup || p->teardown); p++) {
        size_t failures = pt__resources_failures();
        pt__resources_owner((long)r->nprov);
        bool failed = p->startup && p->startup(p->arg) != 0;
        /* A failed publication (a duplicate name) fails the start even if
         * the startup ignored pt_resource_publish's answer; that provider did
         * start, so it is torn down with the others. A startup that returns
         * non-zero cleans up after itself: only the ones before it are torn
         * down. */
        if (failed || pt__resources_failures() != failures) {
            fprintf(stderr, "ponty: cannot start: provider '%s' failed to start\n", p->name ? p->name : "?");
            pt__resources_owner(PT_RES_PROCESS);
            pt__resources_drop((long)r->nprov);
            if (!failed)
                r->nprov++;
            return 1;
        }
        r->nprov++;
    }
    pt__resources_owner(PT_RES_NONE);
    return 0;
}

static int start_observing(run_t *r, const pt_run_opts_t *o)
{
    if (pt__observe_start(o, rts, pt__nrts) != 0)
        return 1;
    r->observing = true;
    return 0;
}

static int start_workers(run_t *r, const pt_run_opts_t *o, int backlog)
{
    pt__workers = calloc(r->nfds, sizeof *pt__workers);
    pt__nworkers = 0;
    if (!pt__workers) {
        fprintf(stderr, "ponty: cannot start: out of memory\n");
        return 1;
    }
    for (unsigned i = 0; i < r->nfds; i++) {
        pt__worker_t *w = &pt__workers[i];
        w->id = i;
        w->router = r->router;
        w->limits = &r->limits;
        w->stack_size = o->stack_size;
        w->backlog = backlog;
        w->listen_fd = r->fds[i];
        r->fds[i] = -1; /* the worker owns it now */
        if (pt__worker_start(w) != 0) {
            fprintf(stderr, "ponty: cannot start worker %u: %s\n", i, strerror(errno));
            return 1;
        }
        pt__nworkers++;
    }
    /* Tasks spawned by the providers go out to the workers now. */
    r->scheds = calloc(pt__nworkers, sizeof *r->scheds);
    if (!r->scheds) {
        fprintf(stderr, "ponty: cannot start: out of memory\n");
        return 1;
    }
    for (unsigned i = 0; i < pt__nworkers; i++)
        r->scheds[i] = pt__workers[i].sched;
    pt__tasks_serve(r->scheds, pt__nworkers);
    return 0;
}

/* Releases what the steps set up, newest first. Workers are stopped (if the
 * start failed) and joined before the teardowns run. */
static void unwind(run_t *r, const pt_run_opts_t *o, bool failed)
{
    if (failed && r->tasks_begun)
        pt__tasks_stop();
    if (r->loop_ready) {
        if (failed) {
            for (unsigned i = 0; i < pt__nworkers; i++)
                pt__worker_request_stop(&pt__workers[i]);
            uv_close((uv_handle_t *)&r->sigint, NULL);
            uv_close((uv_handle_t *)&r->sigterm, NULL);
            uv_run(&r->loop, UV_RUN_DEFAULT);
        }
        uv_loop_close(&r->loop);
    }
    for (unsigned i = 0; i < pt__nworkers; i++) {
        pt__worker_join(&pt__workers[i]);
        pt_sem_destroy(&pt__workers[i].ready);
    }
    if (r->tasks_begun) {
        pt__tasks_end();
        /* Providers' teardowns may offload too (from this plain thread that
         * is a direct call); the pool goes after every worker stopped. */
        pt__offload_stop();
    }
    /* After the workers: the log thread writes their last lines. */
    pt__observe_stop();
    free(r->scheds);
    free(pt__workers);
    pt__workers = NULL;
    pt__nworkers = 0;
    for (unsigned i = 0; i < r->nfds; i++)
        if (r->fds[i] >= 0)
            close(r->fds[i]);
    free(r->fds);
    pt__resources_owner(PT_RES_PROCESS);
    teardown_providers(o->providers, r->nprov);
    if (r->router)
        pt__router_free(r->router);
    free_rts();
    pt__router_thread_release();
}

int pt_run_opts(const pt_run_opts_t *o)
{
    if (o->port <= 0 || o->port > 65535) {
        fprintf(stderr, "ponty: pt_run: .port is required (1-65535), got %d\n", o->port);
        return 1;
    }
    signal(SIGPIPE, SIG_IGN);
    run_t r = { .limits = o->limits };
    limits_defaults(&r.limits);
    unsigned nworkers = o->workers;
    if (!nworkers) {
        long env = pt_env_long("PONTY_WORKERS", 0);
        nworkers = env > 0 ? (unsigned)env : (unsigned)sysconf(_SC_NPROCESSORS_ONLN);
    }
    if (nworkers < 1)
        nworkers = 1;
    const char *host = o->host ? o->host : "0.0.0.0";
    int backlog = o->backlog > 0 ? o->backlog : 1024;

    int rc = start_signals(&r);
    if (rc == 0) rc = start_routes(&r, o);
    if (rc == 0) rc = start_listening(&r, o, host, nworkers, backlog);
    if (rc == 0) rc = start_providers(&r, o);
    if (rc == 0) rc = start_observing(&r, o);
    if (rc == 0) rc = start_workers(&r, o, backlog);
    if (rc == 0) {
        if (!o->quiet) {
            printf("serving:\n");
            print_routes();
            fflush(stdout);
        }
        /* Until a signal stops the workers and closes the signal handles. */
        uv_run(&r.loop, UV_RUN_DEFAULT);
    }
    unwind(&r, o, rc != 0);
    return rc;
}
