/* The in-process store: a lock-striped chained hash table per cache, with
 * an LRU list per shard. Small maxsizes get one shard; large or unbounded
 * caches spread over up to 64 shards so hits on different keys rarely share
 * a lock. maxsize bounds the whole cache: eviction takes the shard tail with
 * the oldest use stamp, which is the cache's least recently used entry, so
 * a cache of maxsize N holds N entries however the keys hash. */
#include <stdlib.h>
#include <string.h>

#include "memo/cache.h"

_Thread_local uint64_t pt__lru_clock __attribute__((tls_model("initial-exec")));

int pt__tab_init(shard_t *s, pt_cache_t *c)
{
    memset(s, 0, sizeof *s);
    s->cache = c;
    atomic_init(&s->tail_stamp, UINT64_MAX);
    pthread_mutexattr_t a;
    pthread_mutexattr_init(&a);
    /* Critical sections are a few dozen instructions: spin a little before
     * sleeping under contention. */
    pthread_mutexattr_settype(&a, PTHREAD_MUTEX_ADAPTIVE_NP);
    pthread_mutex_init(&s->lk, &a);
    pthread_mutexattr_destroy(&a);
    return pt__keytab_init(&s->tab);
}

void pt__tab_destroy(shard_t *s)
{
    pt__keytab_destroy(&s->tab);
    pthread_mutex_destroy(&s->lk);
}

entry_t *pt__tab_find(shard_t *s, uint64_t h, const char *key, size_t len)
{
    return (entry_t *)pt__keytab_find(&s->tab, h, key, len);
}

entry_t *pt__tab_insert(shard_t *s, uint64_t h, const char *key, size_t len)
{
    entry_t *e = malloc(sizeof *e + len + 1);
    if (!e)
        return NULL;
    memset(e, 0, sizeof *e);
    memcpy(e->key, key, len);
    e->key[len] = 0;
    e->node.hash = h;
    e->node.key = e->key;
    e->node.klen = len;
    e->state = E_LOADING;
    pt__keytab_insert(&s->tab, &e->node);
    return e;
}

void pt__lru_push(shard_t *s, entry_t *e) { pt__list_push_front(&s->lru, &e->lru); }

void pt__lru_remove(shard_t *s, entry_t *e) { pt__list_remove(&s->lru, &e->lru); }

void pt__ready_add(shard_t *s, entry_t *e)
{
    pt_cache_t *c = s->cache;
    e->state = E_READY;
    if (c->stamped)
        e->stamp = pt__lru_stamp(c);
    pt__lru_push(s, e);
    s->ready++;
    atomic_fetch_add_explicit(&c->size, 1, memory_order_relaxed);
    pt__tail_stamp_sync(s);
}

void pt__ready_remove(shard_t *s, entry_t *e)
{
    pt__lru_remove(s, e);
    s->ready--;
    atomic_fetch_sub_explicit(&s->cache->size, 1, memory_order_relaxed);
    pt__tail_stamp_sync(s);
    e->state = E_LOADING;
}

void pt__cache_evict_over(pt_cache_t *c)
{
    if (!c->bounded)
        return;
    entry_t *dead = NULL;
    while (atomic_load_explicit(&c->size, memory_order_relaxed) > c->o.maxsize) {
        /* The oldest tail, read without locks; then confirm it under its
         * shard's lock (a hit may have moved it meanwhile: look again). */
        shard_t *victim = NULL;
        uint64_t best = UINT64_MAX;
        for (unsigned i = 0; i < c->nshards; i++) {
            uint64_t t = atomic_load_explicit(&c->shards[i].tail_stamp, memory_order_relaxed);
            if (t < best) {
                best = t;
                victim = &c->shards[i];
            }
        }
        if (!victim)
            break; /* nothing READY: the excess is being removed by others */
        pthread_mutex_lock(&victim->lk);
        entry_t *v = pt__lru_tail(victim);
        if (v && v->stamp == best) {
            pt__tab_unlink(victim, v);
            pt__entry_chain(&dead, v);
        }
        pthread_mutex_unlock(&victim->lk);
    }
    pt__entries_free(dead); /* cleanups are user code: outside the locks */
}

void pt__tab_unlink(shard_t *s, entry_t *e)
{
    pt__keytab_unlink(&s->tab, &e->node);
    if (e->state == E_READY)
        pt__ready_remove(s, e);
}

void pt__entries_free(entry_t *e)
{
    while (e) {
        entry_t *next = (entry_t *)e->node.hnext;
        if (e->vref)
            pt__cache_ref_unref(e->vref);
        free(e);
        e = next;
    }
}

pt_cache_ref_t *pt__cache_ref_new(pt_cache_t *c, json_t *json, void *ptr, bool is_error, int64_t fetched_ms)
{
    pt_cache_ref_t *b = malloc(sizeof *b);
    if (!b)
        return NULL;
    atomic_init(&b->refs, 1);
    b->json = json;
    b->ptr = ptr;
    b->is_error = is_error;
    b->fetched_ms = fetched_ms;
    b->cleanup = c->o.cleanup;
    b->ud = c->o.ud;
    b->cleanup_delay_ms = c->o.cleanup_delay_ms;
    return b;
}

void pt__cache_ref_unref(pt_cache_ref_t *b)
{
    if (atomic_fetch_sub_explicit(&b->refs, 1, memory_order_acq_rel) != 1)
        return;
    /* A failure is not a resource: only values get the cleanup. */
    pt_cache_cleanup_fn fn = b->is_error ? NULL : b->cleanup;
    void *value = b->ptr ? b->ptr : (void *)b->json;
    if (b->ptr && !fn) {
        /* pointer value without a cleanup: nothing to do */
    }
    pt__memo_cleanup_schedule(value ? fn : NULL, value, b->ud, b->json, b->cleanup_delay_ms);
    free(b);
}
