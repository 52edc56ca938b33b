/* pt_run: providers, router, listening socket, workers, signals, shutdown. */
#define _GNU_SOURCE
#include "ponty/server.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/offload.h"
#include "core/tasks.h"
#include "http/resource.h"
#include "http/worker.h"
#include "route/router.h"
#include "route/table.h"
#include "request/fields_rt.h"

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

static void pt_limits_defaults(pt_limits_t *l)
{
    if (!l->max_uri) l->max_uri = 8192;
    if (!l->max_header_bytes) l->max_header_bytes = 16384;
    if (!l->max_headers) l->max_headers = 100;
    if (!l->max_body) l->max_body = 1u << 20;
    if (!l->max_connections) l->max_connections = 10000;
    if (!l->max_json_depth) l->max_json_depth = 64;
    if (!l->header_timeout_ms) l->header_timeout_ms = 10000;
    if (!l->idle_timeout_ms) l->idle_timeout_ms = 60000;
    if (!l->shutdown_timeout_ms) l->shutdown_timeout_ms = 10000;
}

static int pt_listen_socket(const char *host, int port, int backlog)
{
    struct sockaddr_in6 a6;
    struct sockaddr_in a4;
    struct sockaddr *sa;
    socklen_t len;
    int family;
    memset(&a4, 0, sizeof a4);
    memset(&a6, 0, sizeof a6);
    if (inet_pton(AF_INET, host, &a4.sin_addr) == 1) {
        a4.sin_family = AF_INET;
        a4.sin_port = htons((uint16_t)port);
        sa = (struct sockaddr *)&a4, len = sizeof a4, family = AF_INET;
    } else if (inet_pton(AF_INET6, host, &a6.sin6_addr) == 1) {
        a6.sin6_family = AF_INET6;
        a6.sin6_port = htons((uint16_t)port);
        sa = (struct sockaddr *)&a6, len = sizeof a6, family = AF_INET6;
    } else {
        errno = EINVAL;
        return -1;
    }
    int fd = socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one);
    if (bind(fd, sa, len) != 0 || listen(fd, backlog) != 0) {
        int e = errno;
        close(fd);
        errno = e;
        return -1;
    }
    return fd;
}

/* Tears providers n-1..0 down, each one's resources forgotten after it. */
static void pt_teardown(const pt_provider_t *p, size_t n)
{
    while (n-- > 0) {
        if (p[n].teardown)
            p[n].teardown(p[n].arg);
        pt__resources_drop((long)n);
    }
}

/* Every served route, prepared at start-up (router data points here). */
static pt_route_rt_t *pt_rts;
static size_t pt_nrts, pt_caprts;

static int pt_add_table(pt_router_t *router, const pt_route_table_t *t)
{
    char err[512];
    for (size_t i = 0; i < t->n; i++) {
        pt_route_entry_t *e = &t->routes[i];
        if (!e->def.handler) {
            fprintf(stderr, "ponty: cannot start: %s %s: route has no handler\n", e->def.method, e->full_path);
            return -1;
        }
        if (pt_nrts == pt_caprts) {
            /* Sized before serving; never reallocated while workers run. */
            fprintf(stderr, "ponty: internal error: route table grew during start-up\n");
            return -1;
        }
        pt_route_rt_t *rt = &pt_rts[pt_nrts++];
        if (pt_route_rt_init(rt, &e->def, e->full_path, err, sizeof err) != 0 ||
            pt_router_add(router, e->def.method, rt->path, rt, err, sizeof err) != 0) {
            fprintf(stderr, "ponty: cannot start: %s (handler %s)\n", err, e->def.name);
            return -1;
        }
    }
    return 0;
}

static void pt_free_rts(void)
{
    for (size_t i = 0; i < pt_nrts; i++)
        pt_route_rt_free(&pt_rts[i]);
    free(pt_rts);
    pt_rts = NULL;
    pt_nrts = pt_caprts = 0;
}

static void pt_print_routes(void)
{
    for (size_t i = 0; i < pt_nrts; i++)
        printf("%s\t%s\n", pt_rts[i].def->method, pt_rts[i].path);
}

static pt_worker_t *pt_workers;
static unsigned pt_nworkers;

static void pt_on_signal(uv_signal_t *s, int signum)
{
    pt__tasks_stop();
    for (unsigned i = 0; i < pt_nworkers; i++)
        pt_worker_request_stop(&pt_workers[i]);
    uv_close((uv_handle_t *)s->data, NULL);          /* the other signal */
    uv_close((uv_handle_t *)s, NULL);
}

int pt_run_opts(const pt_run_opts_t *o)
{
    if (o->port <= 0 || o->port > 65535) {
        fprintf(stderr, "ponty: pt_run: .port is required (1-65535), got %d\n", o->port);
        return 1;
    }
    signal(SIGPIPE, SIG_IGN);
    pt_limits_t limits = o->limits;
    pt_limits_defaults(&limits);
    unsigned nworkers = o->workers;
    if (!nworkers) {
        long env = pt_env_long("PONTY_WORKERS", 0);
        nworkers = env > 0 ? (unsigned)env : (unsigned)sysconf(_SC_NPROCESSORS_ONLN);
    }
    if (nworkers < 1)
        nworkers = 1;
    const char *host = o->host ? o->host : "0.0.0.0";

    /* Routes first: a bad pattern should stop us before anything starts. */
    pt_router_t *router = pt_router_new();
    pt_caprts = pt_route_count(pt_route_table_default());
    for (pt_route_table_t *const *t = o->route_tables; t && *t; t++)
        pt_caprts += pt_route_count(*t);
    pt_rts = calloc(pt_caprts + 1, sizeof *pt_rts);
    int rc = pt_add_table(router, pt_route_table_default());
    for (pt_route_table_t *const *t = o->route_tables; rc == 0 && t && *t; t++)
        rc = pt_add_table(router, *t);
    if (rc != 0) {
        pt_router_free(router);
        pt_free_rts();
        return 1;
    }

    int fd0 = pt_listen_socket(host, o->port, o->backlog > 0 ? o->backlog : 1024);
    if (fd0 < 0) {
        fprintf(stderr, "ponty: cannot listen on %s:%d: %s\n", host, o->port, strerror(errno));
        pt_router_free(router);
        pt_free_rts();
        return 1;
    }

    pt__offload_configure(&o->offload);
    pt__tasks_begin();
    size_t nprov = 0;
    for (const pt_provider_t *p = o->providers; p && (p->startup || p->teardown); p++) {
        size_t failures = pt__resources_failures();
        pt__resources_owner((long)nprov);
        int failed = p->startup && p->startup(p->arg) != 0;
        /* A failed publication (a duplicate name) fails the start even if
         * the startup ignored pt_resource_publish's answer; that provider did
         * start, so it is torn down with the others. A startup that returns
         * non-zero cleans up after itself: only the ones before it are torn
         * down. */
        if (failed || pt__resources_failures() != failures) {
            fprintf(stderr, "ponty: provider '%s' failed to start\n", p->name ? p->name : "?");
            pt__resources_owner(PT_RES_PROCESS);
            pt__resources_drop((long)nprov);
            pt__tasks_end();
            pt_teardown(o->providers, failed ? nprov : nprov + 1);
            pt__offload_stop();
            close(fd0);
            pt_router_free(router);
            pt_free_rts();
            return 1;
        }
        nprov++;
    }
    pt__resources_owner(PT_RES_NONE);

    uv_loop_t loop;
    uv_loop_init(&loop);
    uv_signal_t sigint, sigterm;
    uv_signal_init(&loop, &sigint);
    uv_signal_init(&loop, &sigterm);
    sigint.data = &sigterm;
    sigterm.data = &sigint;
    /* Handlers first: a signal that arrives once workers serve must find them. */
    uv_signal_start(&sigint, pt_on_signal, SIGINT);
    uv_signal_start(&sigterm, pt_on_signal, SIGTERM);
    pt_workers = calloc(nworkers, sizeof *pt_workers);
    pt_nworkers = 0;
    rc = 0;
    for (unsigned i = 0; i < nworkers && rc == 0; i++) {
        pt_worker_t *w = &pt_workers[i];
        w->id = i;
        w->router = router;
        w->limits = &limits;
        w->stack_size = o->stack_size;
        w->backlog = o->backlog > 0 ? o->backlog : 1024;
        w->listen_fd = i == 0 ? fd0 : pt_listen_socket(host, o->port, w->backlog);
        if (w->listen_fd < 0 || pt_worker_start(w) != 0) {
            fprintf(stderr, "ponty: cannot start worker %u: %s\n", i, strerror(errno));
            rc = 1;
            break;
        }
        pt_nworkers++;
    }

    pt_sched_t **scheds = calloc(nworkers, sizeof *scheds);
    if (!scheds)
        rc = 1;
    if (rc == 0) {
        for (unsigned i = 0; i < pt_nworkers; i++)
            scheds[i] = pt_workers[i].sched;
        pt__tasks_serve(scheds, pt_nworkers);
    } else {
        pt__tasks_stop();
    }

    if (rc == 0 && !o->quiet) {
        printf("serving:\n");
        pt_print_routes();
        fflush(stdout);
    }

    if (rc == 0) {
        uv_run(&loop, UV_RUN_DEFAULT);
    } else {
        for (unsigned i = 0; i < pt_nworkers; i++)
            pt_worker_request_stop(&pt_workers[i]);
        uv_close((uv_handle_t *)&sigint, NULL);
        uv_close((uv_handle_t *)&sigterm, NULL);
        uv_run(&loop, UV_RUN_DEFAULT);
    }
    uv_loop_close(&loop);
    for (unsigned i = 0; i < pt_nworkers; i++) {
        pt_worker_join(&pt_workers[i]);
        pt_sem_destroy(&pt_workers[i].ready);
    }
    pt__tasks_end();
    /* Providers' teardowns may offload too (from this plain thread that is
     * a direct call); the pool goes after every worker stopped. */
    pt__offload_stop();
    free(scheds);
    free(pt_workers);
    pt_workers = NULL;
    pt_nworkers = 0;
    pt__resources_owner(PT_RES_PROCESS);
    pt_teardown(o->providers, nprov);
    pt_router_free(router);
    pt_free_rts();
    pt_router_thread_release();
    return rc;
}
