/* Cache benchmark: hits/s on one thread and on all threads (in-process
 * store), against a peer (a pthread_rwlock-protected open-addressing table
 * with the same key compare, no LRU, no expiry), and 10,000 simultaneous
 * misses on one key from coroutines on every CPU plus plain threads.
 *
 *   memo_bench [seconds-per-run]   (default 1) */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdbool.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <uv.h>

#include "ponty/memo.h"
#include "ponty/sync.h"
#include "core/sched.h"

#define NKEYS 1024

static double secs_per_run = 1.0;
static char keys[NKEYS][16];
static size_t klen[NKEYS];

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static json_t *value_load(pt_cache_call_t *call)
{
    return json_pack("{s:s}", "k", call->key);
}

/* ---- hits ---- */

typedef struct hit_arg {
    pt_cache_t *cache;
    int         offset;
    unsigned    base, span; /* keys base .. base+span-1 (span a power of two) */
    uint64_t    hits;
    pthread_t   th;
} hit_arg_t;

static atomic_int go;

static void *hit_loop(void *p)
{
    hit_arg_t *a = p;
    while (!atomic_load(&go))
        ;
    uint64_t n = 0;
    double end = now_s() + secs_per_run;
    unsigned i = (unsigned)a->offset;
    while (1) {
        for (int k = 0; k < 4096; k++) {
            json_t *v;
            unsigned j = a->base + (i++ & (a->span - 1));
            pt_cache_get_keyn(a->cache, keys[j], klen[j], NULL, NULL, NULL, &v);
            json_decref(v);
        }
        n += 4096;
        if (now_s() >= end)
            break;
    }
    a->hits = n;
    return NULL;
}

static bool disjoint; /* each thread hits its own keys (no shared cache lines) */

static double run_hits(pt_cache_t *c, int nthreads, void *(*loop)(void *), void *peer)
{
    hit_arg_t *a = calloc((size_t)nthreads, sizeof *a);
    atomic_store(&go, 0);
    unsigned span = NKEYS;
    if (disjoint)
        while (span * (unsigned)nthreads > NKEYS)
            span /= 2;
    for (int t = 0; t < nthreads; t++) {
        a[t].cache = peer ? peer : (void *)c;
        a[t].offset = t * 97;
        a[t].span = span;
        a[t].base = disjoint ? (unsigned)t * span : 0;
        pthread_create(&a[t].th, NULL, loop, &a[t]);
    }
    double t0 = now_s();
    atomic_store(&go, 1);
    uint64_t total = 0;
    for (int t = 0; t < nthreads; t++) {
        pthread_join(a[t].th, NULL);
        total += a[t].hits;
    }
    double el = now_s() - t0;
    free(a);
    return total / el;
}

/* ---- the peer: rwlock + open addressing, no LRU, no expiry ---- */

typedef struct peer_slot { uint64_t h; size_t len; char key[16]; json_t *v; } peer_slot_t;
typedef struct peer {
    pthread_rwlock_t lk;
    peer_slot_t      slots[NKEYS * 4];
} peer_t;

static json_t *peer_get(peer_t *p, const char *key, size_t len)
{
    uint64_t h = pt_key_hash(key, len, 42);
    json_t *v = NULL;
    pthread_rwlock_rdlock(&p->lk);
    for (size_t i = h & (NKEYS * 4 - 1);; i = (i + 1) & (NKEYS * 4 - 1)) {
        peer_slot_t *s = &p->slots[i];
        if (!s->v)
            break;
        if (s->h == h && s->len == len && memcmp(s->key, key, len) == 0) {
            v = json_incref(s->v);
            break;
        }
    }
    pthread_rwlock_unlock(&p->lk);
    return v;
}

static void peer_put(peer_t *p, const char *key, size_t len, json_t *v)
{
    uint64_t h = pt_key_hash(key, len, 42);
    for (size_t i = h & (NKEYS * 4 - 1);; i = (i + 1) & (NKEYS * 4 - 1))
        if (!p->slots[i].v) {
            p->slots[i] = (peer_slot_t){ .h = h, .len = len, .v = v };
            memcpy(p->slots[i].key, key, len);
            return;
        }
}

static void *peer_loop(void *p)
{
    hit_arg_t *a = p;
    peer_t *peer = (peer_t *)(void *)a->cache;
    while (!atomic_load(&go))
        ;
    uint64_t n = 0;
    double end = now_s() + secs_per_run;
    unsigned i = (unsigned)a->offset;
    while (1) {
        for (int k = 0; k < 4096; k++) {
            unsigned j = a->base + (i++ & (a->span - 1));
            json_decref(peer_get(peer, keys[j], klen[j]));
        }
        n += 4096;
        if (now_s() >= end)
            break;
    }
    a->hits = n;
    return NULL;
}

/* ---- 10,000 simultaneous misses ---- */

static atomic_int loads, ok, failed;
static pt_cache_t *miss_cache;

static json_t *slow_load(pt_cache_call_t *call)
{
    atomic_fetch_add(&loads, 1);
    pt_sleep_ms(100);
    return json_pack("{s:s}", "k", call->key);
}

static void miss_one(void)
{
    json_t *v;
    if (pt_cache_get_key(miss_cache, "the-one-key", NULL, &v) == PT_MEMO_OK)
        atomic_fetch_add(&ok, 1);
    else
        atomic_fetch_add(&failed, 1);
    json_decref(v);
}

typedef struct slot { pt__task_t task; atomic_int *done; } slot_t;
static void slot_run(pt__task_t *t) { (void)t; miss_one(); }
static void slot_done(pt__task_t *t) { atomic_fetch_add(((slot_t *)t)->done, 1); }
static void noop_timer(uv_timer_t *t) { (void)t; }

typedef struct sched_arg { pthread_t th; int n; atomic_int done; } sched_arg_t;

static void *sched_main(void *p)
{
    sched_arg_t *a = p;
    uv_loop_t loop;
    uv_loop_init(&loop);
    pt__sched_t *s = pt__sched_new(&loop, 32 * 1024);
    slot_t *slots = calloc((size_t)a->n, sizeof *slots);
    uv_timer_t keep;
    uv_timer_init(&loop, &keep);
    while (!atomic_load(&go))
        ;
    for (int i = 0; i < a->n; i++) {
        slots[i].task.run = slot_run;
        slots[i].task.done = slot_done;
        slots[i].done = &a->done;
        pt__sched_start(s, &slots[i].task);
    }
    while (atomic_load(&a->done) < a->n) {
        uv_timer_start(&keep, noop_timer, 5, 0);
        uv_run(&loop, UV_RUN_ONCE);
    }
    uv_close((uv_handle_t *)&keep, NULL);
    pt__sched_free(s);
    uv_loop_close(&loop);
    free(slots);
    return NULL;
}

static void *thread_main(void *p)
{
    (void)p;
    while (!atomic_load(&go))
        ;
    miss_one();
    return NULL;
}

int main(int argc, char **argv)
{
    if (argc > 1)
        secs_per_run = atof(argv[1]);
    int ncpu = (int)sysconf(_SC_NPROCESSORS_ONLN);
    for (int i = 0; i < NKEYS; i++)
        klen[i] = (size_t)snprintf(keys[i], sizeof keys[i], "key:%d", i);

    pt_cache_t *c = pt_cache_new(.load = value_load, .maxsize = PT_CACHE_UNBOUNDED);
    pt_cache_t *cttl = pt_cache_new(.load = value_load, .maxsize = 4096, .ttl_ms = 3600000);
    peer_t *peer = calloc(1, sizeof *peer);
    pthread_rwlock_init(&peer->lk, NULL);
    for (int i = 0; i < NKEYS; i++) {
        json_t *v;
        pt_cache_get_key(c, keys[i], NULL, &v);
        json_decref(v);
        pt_cache_get_key(cttl, keys[i], NULL, &v);
        json_decref(v);
        peer_put(peer, keys[i], klen[i], json_pack("{s:s}", "k", keys[i]));
    }

    printf("cpus: %d, %d keys, %.1f s per run\n", ncpu, NKEYS, secs_per_run);
    printf("%-44s %14s %14s\n", "hits/s", "1 thread", "all threads");
    double a1 = run_hits(c, 1, hit_loop, NULL), an = run_hits(c, ncpu, hit_loop, NULL);
    printf("%-44s %14.0f %14.0f\n", "ponty cache (unbounded, no ttl)", a1, an);
    double b1 = run_hits(cttl, 1, hit_loop, NULL), bn = run_hits(cttl, ncpu, hit_loop, NULL);
    printf("%-44s %14.0f %14.0f\n", "ponty cache (maxsize 4096 LRU, ttl 1 h)", b1, bn);
    double p1 = run_hits(NULL, 1, peer_loop, peer), pn = run_hits(NULL, ncpu, peer_loop, peer);
    printf("%-44s %14.0f %14.0f\n", "peer: rwlock + open addressing (no LRU/ttl)", p1, pn);
    disjoint = true;
    double d1 = run_hits(c, 1, hit_loop, NULL), dn = run_hits(c, ncpu, hit_loop, NULL);
    printf("%-44s %14.0f %14.0f\n", "ponty cache, each thread its own keys", d1, dn);
    double q1 = run_hits(NULL, 1, peer_loop, peer), qn = run_hits(NULL, ncpu, peer_loop, peer);
    printf("%-44s %14.0f %14.0f\n", "peer, each thread its own keys", q1, qn);
    disjoint = false;
    pt_cache_info_t info = pt_cache_info(c);
    printf("(stats check: %llu hits, %llu misses)\n", (unsigned long long)info.hits,
           (unsigned long long)info.misses);

    /* 10,000 simultaneous misses on one key */
    miss_cache = pt_cache_new(.load = slow_load, .maxwait_ms = 30000);
    int nthreads = 16, total = 10000, per = (total - nthreads) / ncpu;
    int rest = total - nthreads - per * ncpu;
    sched_arg_t *sa = calloc((size_t)ncpu, sizeof *sa);
    pthread_t th[16];
    atomic_store(&go, 0);
    for (int i = 0; i < ncpu; i++) {
        sa[i].n = per + (i == 0 ? rest : 0);
        pthread_create(&sa[i].th, NULL, sched_main, &sa[i]);
    }
    for (int i = 0; i < nthreads; i++)
        pthread_create(&th[i], NULL, thread_main, NULL);
    double t0 = now_s();
    atomic_store(&go, 1);
    for (int i = 0; i < ncpu; i++)
        pthread_join(sa[i].th, NULL);
    for (int i = 0; i < nthreads; i++)
        pthread_join(th[i], NULL);
    double el = now_s() - t0;
    printf("10000 simultaneous misses on one key (%d coroutines on %d schedulers + %d threads, load 100 ms):\n",
           total - nthreads, ncpu, nthreads);
    printf("  loads: %d, ok: %d, failed: %d, time: %.0f ms\n", atomic_load(&loads),
           atomic_load(&ok), atomic_load(&failed), el * 1000);

    pt_cache_free(miss_cache);
    pt_cache_free(c);
    pt_cache_free(cttl);
    free(sa);
    return atomic_load(&loads) == 1 && atomic_load(&ok) == total ? 0 : 1;
}
