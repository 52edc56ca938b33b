/* Metrics: per-thread counters, summed when /metrics is scraped.
 *
 * Each worker thread counts into a block of its own (allocated on its first
 * request, cache-line aligned), so a request touches no line another worker
 * writes. Counters are _Atomic and updated with relaxed load + store by
 * their one writer (plain moves on x86_64 and aarch64, no locked
 * instruction); the scrape reads them with relaxed loads. Blocks live until
 * pt_run returns, after every worker was joined. */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ponty/offload.h"
#include "ponty/resilience.h"
#include "ponty/client.h"
#include "http/observe.h"

#define NSTATUS 8   /* distinct statuses counted per route and thread */
#define NBUCKETS 14

/* Upper bounds in seconds; the last bucket is +Inf. */
static const double bucket_le[NBUCKETS - 1] = {
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5,
};
static uint64_t bucket_ns[NBUCKETS - 1];

typedef _Atomic uint64_t ctr_t;

typedef struct route_ctr {
    _Atomic int code[NSTATUS];  /* 0: slot free */
    ctr_t       by_status[NSTATUS];
    ctr_t       other;          /* statuses beyond NSTATUS distinct ones */
    ctr_t       bucket[NBUCKETS];
    ctr_t       sum_ns;
} route_ctr_t;

typedef struct block {
    struct block   *next;
    _Atomic int64_t inflight;   /* started - finished on this thread */
    _Atomic int64_t conns;      /* opened - freed on this thread */
    route_ctr_t     routes[];   /* nroutes + 1: the last is "(unmatched)" */
} block_t;

static pthread_mutex_t blocks_lk = PTHREAD_MUTEX_INITIALIZER;
static block_t *blocks;
static size_t nroutes;
static unsigned generation;
static _Thread_local block_t *mine;
static _Thread_local unsigned mine_gen;

static inline void bump(ctr_t *c, uint64_t by)
{
    atomic_store_explicit(c, atomic_load_explicit(c, memory_order_relaxed) + by, memory_order_relaxed);
}

static inline void bump_i(_Atomic int64_t *c, int64_t by)
{
    atomic_store_explicit(c, atomic_load_explicit(c, memory_order_relaxed) + by, memory_order_relaxed);
}

static inline uint64_t rd(ctr_t *c) { return atomic_load_explicit(c, memory_order_relaxed); }

/* Breakers to export; written only while no worker serves. */
static pt_breaker_t **breakers;
static size_t nbreakers;
static bool serving;

int pt_metrics_breaker(pt_breaker_t *b)
{
    if (!b || serving) {
        fprintf(stderr, "ponty: pt_metrics_breaker: %s\n", b ? "called while the server runs" : "NULL breaker");
        return -1;
    }
    pt_breaker_t **grown = realloc(breakers, (nbreakers + 1) * sizeof *grown);
    if (!grown)
        return -1;
    breakers = grown;
    breakers[nbreakers++] = b;
    return 0;
}

__attribute__((destructor)) static void free_breakers(void)
{
    free(breakers);
    breakers = NULL;
    nbreakers = 0;
}

int pt__metrics_start(size_t n)
{
    serving = true;
    nroutes = n;
    generation++;
    for (int i = 0; i < NBUCKETS - 1; i++)
        bucket_ns[i] = (uint64_t)(bucket_le[i] * 1e9);
    return 0;
}

void pt__metrics_stop(void)
{
    serving = false;
    pthread_mutex_lock(&blocks_lk);
    while (blocks) {
        block_t *b = blocks;
        blocks = b->next;
        free(b);
    }
    pthread_mutex_unlock(&blocks_lk);
}

static block_t *my_block(void)
{
    if (mine && mine_gen == generation)
        return mine;
    size_t size = sizeof(block_t) + (nroutes + 1) * sizeof(route_ctr_t);
    size = (size + 63) & ~(size_t)63;
    block_t *b = aligned_alloc(64, size);
    if (!b)
        return NULL;
    memset(b, 0, size);
    pthread_mutex_lock(&blocks_lk);
    b->next = blocks;
    blocks = b;
    pthread_mutex_unlock(&blocks_lk);
    mine = b;
    mine_gen = generation;
    return b;
}

void pt__metrics_inflight(int delta)
{
    block_t *b = my_block();
    if (b)
        bump_i(&b->inflight, delta);
}

void pt__metrics_conn(int delta)
{
    block_t *b = my_block();
    if (b)
        bump_i(&b->conns, delta);
}

void pt__metrics_count(const pt_req_t *r, int status, uint64_t ns)
{
    block_t *b = my_block();
    if (!b)
        return;
    size_t i = r->rt ? r->rt->index : nroutes;
    if (i > nroutes)
        i = nroutes;
    route_ctr_t *rc = &b->routes[i];
    int s;
    for (s = 0; s < NSTATUS; s++) {
        int code = atomic_load_explicit(&rc->code[s], memory_order_relaxed);
        if (code == status)
            break;
        if (code == 0) {
            atomic_store_explicit(&rc->code[s], status, memory_order_relaxed);
            break;
        }
    }
    bump(s < NSTATUS ? &rc->by_status[s] : &rc->other, 1);
    int k = 0;
    while (k < NBUCKETS - 1 && ns > bucket_ns[k])
        k++;
    bump(&rc->bucket[k], 1);
    bump(&rc->sum_ns, ns);
}

/* ---- rendering ---- */

/* A label value with \, " and newline escaped. */
static void label(pt__buf_t *o, const char *s)
{
    for (; *s; s++) {
        if (*s == '\\' || *s == '"')
            pt__buf_append(o, "\\", 1), pt__buf_append(o, s, 1);
        else if (*s == '\n')
            pt__buf_append(o, "\\n", 2);
        else
            pt__buf_append(o, s, 1);
    }
}

static void route_labels(pt__buf_t *o, size_t i)
{
    const char *method = "", *route = "(unmatched)";
    if (i < nroutes && i < pt__obs.nrts) {
        method = pt__obs.rts[i].def->method;
        route = pt__obs.rts[i].template_path ? pt__obs.rts[i].template_path : pt__obs.rts[i].path;
    }
    pt__buf_puts(o, "method=\"");
    label(o, method);
    pt__buf_puts(o, "\",route=\"");
    label(o, route);
    pt__buf_puts(o, "\"");
}

static void printf_buf(pt__buf_t *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void printf_buf(pt__buf_t *o, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *s = NULL;
    int n = vasprintf(&s, fmt, ap);
    va_end(ap);
    if (n > 0)
        pt__buf_append(o, s, (size_t)n);
    free(s);
}

/* One metric family at a time: the text format wants each family's samples
 * together, so the named caches are walked once per family. */
typedef struct cache_family {
    pt__buf_t  *o;
    const char *metric;
    int         field;   /* 0 hits, 1 misses, 2 loads, 3 stampedes, 4 size */
} cache_family_t;

static void cache_line(pt_cache_t *c, const char *name, void *arg)
{
    cache_family_t *f = arg;
    pt_cache_info_t in = pt_cache_info(c);
    uint64_t v = f->field == 0 ? in.hits : f->field == 1 ? in.misses : f->field == 2 ? in.loads
               : f->field == 3 ? in.stampedes : (uint64_t)in.current_size;
    printf_buf(f->o, "%s{cache=\"", f->metric);
    label(f->o, name);
    printf_buf(f->o, "\"} %llu\n", (unsigned long long)v);
}

typedef struct lock_family {
    pt__buf_t  *o;
    const char *metric;
    int         field;   /* 0 acquired, 1 waited, 2 timeouts */
} lock_family_t;

static void lock_line(pt_lock_t *l, const char *name, void *arg)
{
    lock_family_t *f = arg;
    pt_lock_info_t in = pt_lock_info(l);
    uint64_t v = f->field == 0 ? in.acquired : f->field == 1 ? in.waited : in.timeouts;
    printf_buf(f->o, "%s{lock=\"", f->metric);
    label(f->o, name);
    printf_buf(f->o, "\"} %llu\n", (unsigned long long)v);
}

typedef struct client_family {
    pt__buf_t  *o;
    const char *metric;
    int         field;   /* 0 leased, 1 requests, 2 errors */
} client_family_t;

static void client_line(const char *name, pt_http_client_stats_t st, void *arg)
{
    client_family_t *f = arg;
    long long v = f->field == 0 ? (long long)st.leased : f->field == 1 ? (long long)st.requests : (long long)st.errors;
    printf_buf(f->o, "%s{client=\"", f->metric);
    label(f->o, name);
    printf_buf(f->o, "\"} %lld\n", v);
}

/* Started HTTP clients: leases out now, requests and failed requests. */
static void render_clients(pt__buf_t *o)
{
    static const struct { const char *metric, *type; } families[] = {
        { "ponty_http_client_leases", "gauge" },
        { "ponty_http_client_requests_total", "counter" },
        { "ponty_http_client_errors_total", "counter" },
    };
    for (int i = 0; i < 3; i++) {
        printf_buf(o, "# TYPE %s %s\n", families[i].metric, families[i].type);
        client_family_t f = { o, families[i].metric, i };
        pt__http_each_client(client_line, &f);
    }
}

/* Named locks (pt_lock_opts_t.name): acquisitions, waits, timeouts. */
static void render_locks(pt__buf_t *o)
{
    static const char *const metrics[] = { "ponty_lock_acquired_total", "ponty_lock_waits_total",
                                           "ponty_lock_timeouts_total" };
    for (int i = 0; i < 3; i++) {
        printf_buf(o, "# TYPE %s counter\n", metrics[i]);
        lock_family_t f = { o, metrics[i], i };
        pt__memo_each_lock(lock_line, &f);
    }
}

int pt__metrics_render(pt__buf_t *o)
{
    size_t n = nroutes + 1;
    route_ctr_t *sum = calloc(n, sizeof *sum);
    /* Summed codes: per route, up to NSTATUS * threads distinct statuses. */
    typedef struct { int code; uint64_t count; } sc_t;
    size_t nsc_cap = 0, nsc = 0;
    sc_t *sc = NULL;
    size_t *sc_route = NULL;
    int64_t inflight = 0, conns = 0;
    if (!sum)
        return -1;
    pthread_mutex_lock(&blocks_lk);
    for (block_t *b = blocks; b; b = b->next) {
        inflight += atomic_load_explicit(&b->inflight, memory_order_relaxed);
        conns += atomic_load_explicit(&b->conns, memory_order_relaxed);
        for (size_t i = 0; i < n; i++) {
            route_ctr_t *rc = &b->routes[i];
            for (int s = 0; s < NSTATUS; s++) {
                int code = atomic_load_explicit(&rc->code[s], memory_order_relaxed);
                uint64_t cnt = rd(&rc->by_status[s]);
                if (!code || !cnt)
                    continue;
                size_t j;
                for (j = 0; j < nsc; j++)
                    if (sc_route[j] == i && sc[j].code == code)
                        break;
                if (j == nsc) {
                    if (nsc == nsc_cap) {
                        nsc_cap = nsc_cap ? nsc_cap * 2 : 64;
                        sc_t *nsc_arr = realloc(sc, nsc_cap * sizeof *sc);
                        if (nsc_arr)
                            sc = nsc_arr;
                        size_t *nroute = nsc_arr ? realloc(sc_route, nsc_cap * sizeof *sc_route) : NULL;
                        if (nroute)
                            sc_route = nroute;
                        if (!nsc_arr || !nroute) { /* out of memory: the page is answered 500 */
                            pthread_mutex_unlock(&blocks_lk);
                            free(sum);
                            free(sc);
                            free(sc_route);
                            return -1;
                        }
                    }
                    sc[nsc] = (sc_t){ code, 0 };
                    sc_route[nsc++] = i;
                }
                sc[j].count += cnt;
            }
            bump(&sum[i].other, rd(&rc->other));
            for (int k = 0; k < NBUCKETS; k++)
                bump(&sum[i].bucket[k], rd(&rc->bucket[k]));
            bump(&sum[i].sum_ns, rd(&rc->sum_ns));
        }
    }
    pthread_mutex_unlock(&blocks_lk);

    pt__buf_puts(o, "# HELP ponty_requests_total Requests answered, by route template and status.\n"
                   "# TYPE ponty_requests_total counter\n");
    for (size_t j = 0; j < nsc; j++) {
        pt__buf_puts(o, "ponty_requests_total{");
        route_labels(o, sc_route[j]);
        printf_buf(o, ",status=\"%d\"} %llu\n", sc[j].code, (unsigned long long)sc[j].count);
    }
    for (size_t i = 0; i < n; i++)
        if (rd(&sum[i].other)) {
            pt__buf_puts(o, "ponty_requests_total{");
            route_labels(o, i);
            printf_buf(o, ",status=\"other\"} %llu\n", (unsigned long long)rd(&sum[i].other));
        }
    pt__buf_puts(o, "# HELP ponty_request_duration_seconds From the complete request to its answer queued.\n"
                   "# TYPE ponty_request_duration_seconds histogram\n");
    for (size_t i = 0; i < n; i++) {
        uint64_t total = 0;
        for (int k = 0; k < NBUCKETS; k++)
            total += rd(&sum[i].bucket[k]);
        if (!total)
            continue;
        uint64_t cum = 0;
        for (int k = 0; k < NBUCKETS; k++) {
            cum += rd(&sum[i].bucket[k]);
            pt__buf_puts(o, "ponty_request_duration_seconds_bucket{");
            route_labels(o, i);
            if (k < NBUCKETS - 1)
                printf_buf(o, ",le=\"%g\"} %llu\n", bucket_le[k], (unsigned long long)cum);
            else
                printf_buf(o, ",le=\"+Inf\"} %llu\n", (unsigned long long)cum);
        }
        pt__buf_puts(o, "ponty_request_duration_seconds_sum{");
        route_labels(o, i);
        printf_buf(o, "} %.9f\n", (double)rd(&sum[i].sum_ns) / 1e9);
        pt__buf_puts(o, "ponty_request_duration_seconds_count{");
        route_labels(o, i);
        printf_buf(o, "} %llu\n", (unsigned long long)total);
    }
    printf_buf(o, "# HELP ponty_requests_in_flight Requests being handled.\n"
                  "# TYPE ponty_requests_in_flight gauge\nponty_requests_in_flight %lld\n",
               (long long)inflight);
    printf_buf(o, "# HELP ponty_connections_open Open client connections.\n"
                  "# TYPE ponty_connections_open gauge\nponty_connections_open %lld\n",
               (long long)conns);
    pt_offload_stats_t os = pt_offload_stats();
    printf_buf(o, "# TYPE ponty_offload_running gauge\nponty_offload_running %u\n"
                  "# TYPE ponty_offload_queued gauge\nponty_offload_queued %u\n"
                  "# TYPE ponty_offload_threads gauge\nponty_offload_threads %u\n",
               os.running, os.queued, os.threads);
    static const struct { const char *metric, *type; } families[] = {
        { "ponty_cache_hits_total", "counter" },      { "ponty_cache_misses_total", "counter" },
        { "ponty_cache_loads_total", "counter" },     { "ponty_cache_stampedes_total", "counter" },
        { "ponty_cache_size", "gauge" },
    };
    for (int i = 0; i < 5; i++) {
        printf_buf(o, "# TYPE %s %s\n", families[i].metric, families[i].type);
        cache_family_t f = { o, families[i].metric, i };
        pt__memo_each_named(cache_line, &f);
    }
    render_locks(o);
    render_clients(o);
    pt__buf_puts(o, "# HELP ponty_breaker_state 0 closed, 1 half-open, 2 open.\n# TYPE ponty_breaker_state gauge\n");
    for (size_t i = 0; i < nbreakers; i++) {
        pt__buf_puts(o, "ponty_breaker_state{breaker=\"");
        label(o, pt_breaker_name(breakers[i]));
        printf_buf(o, "\"} %d\n", (int)pt_breaker_state(breakers[i]));
    }
    free(sum);
    free(sc);
    free(sc_route);
    return 0;
}
