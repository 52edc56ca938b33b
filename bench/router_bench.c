/* Micro-benchmark for the route matcher: ns per pt__router_match with a
 * 10-route table and a 10,000-route table, for the same request paths.
 *
 * Not a test and not built by default. From the repository root:
 *
 *   gcc -O2 -g -std=gnu11 -Isrc bench/router_bench.c \
 *       src/route/router.c src/route/route_pattern.c src/route/route_regex.c \
 *       $(pkg-config --cflags --libs libpcre2-8) -lpthread -o build/router_bench
 *   ./build/router_bench            # or: ./build/router_bench <iterations>
 *
 * Both tables hold the same four route shapes, repeated under more
 * prefixes in the big one:
 *   GET  /api/v1/r<k>                      static
 *   GET  /api/v1/r<k>/items/{id:\d+}       fast \d+
 *   POST /api/v1/r<k>/items/{slug}         fast \w+ (after backtracking from \d+)
 *   GET  /api/v1/r<k>/f/{name}.json        PCRE2 JIT (mixed segment)
 * The probes hit prefixes present in both tables, so the difference is the
 * cost of table size alone (the static lookups are hashed). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "route/router.h"

typedef struct probe {
    const char *label;
    const char *method;
    const char *path;
    int         status;
} probe_t;

static const probe_t probes[] = {
    {"static",        "GET",    "/api/v1/r1",                 200},
    {"{id:\\d+}",     "GET",    "/api/v1/r1/items/12345",     200},
    {"{slug}",        "POST",   "/api/v1/r1/items/abc_def",   200},
    {"{name}.json",   "GET",    "/api/v1/r1/f/report.json",   200},
    {"404",           "GET",    "/api/v1/nope/x",             404},
    {"405",           "DELETE", "/api/v1/r1",                 405},
};
#define NPROBES (sizeof probes / sizeof probes[0])

static pt__router_t *build(int nroutes)
{
    pt__router_t *r = pt__router_new();
    char path[128], err[256];
    for (int i = 0; i < nroutes; i++) {
        int k = i / 4;
        const char *method = "GET";
        switch (i % 4) {
        case 0: snprintf(path, sizeof path, "/api/v1/r%d", k); break;
        case 1: snprintf(path, sizeof path, "/api/v1/r%d/items/{id:\\d+}", k); break;
        case 2: snprintf(path, sizeof path, "/api/v1/r%d/items/{slug}", k); method = "POST"; break;
        default: snprintf(path, sizeof path, "/api/v1/r%d/f/{name}.json", k); break;
        }
        if (pt__router_add(r, method, path, (void *)(uintptr_t)(i + 1), err, sizeof err) != 0) {
            fprintf(stderr, "%s\n", err);
            exit(1);
        }
    }
    return r;
}

static double now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e9 + ts.tv_nsec;
}

/* One timed run of iters matches, in ns per match. */
static double time_run(const pt__router_t *r, const probe_t *p, long iters)
{
    size_t mlen = strlen(p->method), plen = strlen(p->path);
    pt__route_match_t m;
    unsigned sink = 0;
    double t0 = now_ns();
    for (long i = 0; i < iters; i++) {
        pt__router_match(r, p->method, mlen, p->path, plen, &m);
        sink += (unsigned)m.status + m.ncaptures;
    }
    double dt = (now_ns() - t0) / (double)iters;
    if (m.status != p->status) {
        fprintf(stderr, "%s %s: status %d, want %d\n", p->method, p->path, m.status, p->status);
        exit(1);
    }
    __asm__ volatile("" : : "r"(sink));
    return dt;
}

/* Runs on the two tables alternate, and each keeps its best: on a shared
 * machine the minimum is the run least disturbed, and alternating exposes
 * both tables to the same disturbances. */
#define PT_BENCH_RUNS 15

static void ns_per_match(const pt__router_t *small, const pt__router_t *big, const probe_t *p,
                         long iters, double *s, double *b)
{
    *s = *b = 1e30;
    for (int run = 0; run < PT_BENCH_RUNS; run++) {
        double ts = time_run(small, p, iters), tb = time_run(big, p, iters);
        if (ts < *s)
            *s = ts;
        if (tb < *b)
            *b = tb;
    }
}

int main(int argc, char **argv)
{
    long iters = argc > 1 ? atol(argv[1]) : 300000;
    pt__router_t *small = build(10), *big = build(10000);
    pt__router_thread_prepare(small);
    pt__router_thread_prepare(big);

    printf("%-14s %12s %12s %8s\n", "probe", "10 routes", "10k routes", "ratio");
    double sum_s = 0, sum_b = 0;
    for (size_t i = 0; i < NPROBES; i++) {
        double s, b;
        ns_per_match(small, big, &probes[i], iters, &s, &b);
        sum_s += s;
        sum_b += b;
        printf("%-14s %9.1f ns %9.1f ns %8.2f\n", probes[i].label, s, b, b / s);
    }
    printf("%-14s %9.1f ns %9.1f ns %8.2f\n", "mean", sum_s / NPROBES, sum_b / NPROBES,
           sum_b / sum_s);

    pt__router_free(small);
    pt__router_free(big);
    pt__router_thread_release();
    return 0;
}
