/* The in-process store: a lock-striped chained hash table per cache, with
 * an exact LRU list per shard. Small maxsizes get one shard so LRU order is
 * global, as lru_cache users expect; large or unbounded caches spread over
 * up to 64 shards so hits on different keys rarely share a lock. */
#include <stdlib.h>
#include <string.h>

#include "memo/cache_internal.h"

int pt_tab_init(shard_t *s, size_t cap)
{
    memset(s, 0, sizeof *s);
    pthread_mutexattr_t a;
    pthread_mutexattr_init(&a);
    /* Critical sections are a few dozen instructions: spin a little before
     * sleeping under contention. */
    pthread_mutexattr_settype(&a, PTHREAD_MUTEX_ADAPTIVE_NP);
    pthread_mutex_init(&s->lk, &a);
    pthread_mutexattr_destroy(&a);
    s->nbuckets = 16;
    s->buckets = calloc(s->nbuckets, sizeof *s->buckets);
    s->cap = cap;
    return s->buckets ? 0 : -1;
}

void pt_tab_destroy(shard_t *s)
{
    free(s->buckets);
    pthread_mutex_destroy(&s->lk);
}

entry_t *pt_tab_find(shard_t *s, uint64_t h, const char *key, size_t len)
{
    for (entry_t *e = s->buckets[h & (s->nbuckets - 1)]; e; e = e->hnext)
        if (e->hash == h && e->klen == len && memcmp(e->key, key, len) == 0)
            return e;
    return NULL;
}

static void grow(shard_t *s)
{
    size_t n = s->nbuckets * 2;
    entry_t **b = calloc(n, sizeof *b);
    if (!b)
        return; /* longer chains, still correct */
    for (size_t i = 0; i < s->nbuckets; i++) {
        entry_t *e = s->buckets[i];
        while (e) {
            entry_t *next = e->hnext;
            e->hnext = b[e->hash & (n - 1)];
            b[e->hash & (n - 1)] = e;
            e = next;
        }
    }
    free(s->buckets);
    s->buckets = b;
    s->nbuckets = n;
}

entry_t *pt_tab_insert(shard_t *s, uint64_t h, const char *key, size_t len)
{
    entry_t *e = malloc(sizeof *e + len + 1);
    if (!e)
        return NULL;
    memset(e, 0, sizeof *e);
    e->hash = h;
    e->klen = (uint32_t)len;
    e->state = E_LOADING;
    memcpy(e->key, key, len);
    e->key[len] = 0;
    if (s->count + 1 > s->nbuckets)
        grow(s);
    entry_t **b = &s->buckets[h & (s->nbuckets - 1)];
    e->hnext = *b;
    *b = e;
    s->count++;
    return e;
}

void pt_lru_push(shard_t *s, entry_t *e)
{
    e->lprev = NULL;
    e->lnext = s->lru_head;
    if (s->lru_head)
        s->lru_head->lprev = e;
    else
        s->lru_tail = e;
    s->lru_head = e;
}

void pt_lru_remove(shard_t *s, entry_t *e)
{
    if (e->lprev)
        e->lprev->lnext = e->lnext;
    else
        s->lru_head = e->lnext;
    if (e->lnext)
        e->lnext->lprev = e->lprev;
    else
        s->lru_tail = e->lprev;
    e->lprev = e->lnext = NULL;
}

void pt_tab_unlink(shard_t *s, entry_t *e)
{
    entry_t **pp = &s->buckets[e->hash & (s->nbuckets - 1)];
    while (*pp && *pp != e)
        pp = &(*pp)->hnext;
    if (*pp)
        *pp = e->hnext;
    e->hnext = NULL;
    s->count--;
    if (e->state == E_READY) {
        pt_lru_remove(s, e);
        s->ready--;
    }
}

void pt_entries_free(entry_t *e)
{
    while (e) {
        entry_t *next = e->hnext;
        if (e->box)
            pt_box_unref(e->box);
        free(e);
        e = next;
    }
}

pt_box_t *pt_box_new(pt_cache_t *c, json_t *json, void *ptr, bool is_error, int64_t fetched_ms)
{
    pt_box_t *b = malloc(sizeof *b);
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

void pt_box_unref(pt_box_t *b)
{
    if (atomic_fetch_sub_explicit(&b->refs, 1, memory_order_acq_rel) != 1)
        return;
    /* A failure is not a resource: only values get the cleanup. */
    pt_cache_cleanup_fn fn = b->is_error ? NULL : b->cleanup;
    void *value = b->ptr ? b->ptr : (void *)b->json;
    if (b->ptr && !fn) {
        /* pointer value without a cleanup: nothing to do */
    }
    pt_memo_cleanup_schedule(value ? fn : NULL, value, b->ud, b->json, b->cleanup_delay_ms);
    free(b);
}
