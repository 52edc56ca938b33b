/* Stats, clearing, removal of expired values and invalidation. */
#define _GNU_SOURCE
#include <stdlib.h>
#include <string.h>

#include "memo/cache.h"
#include "core/context.h"
#include "core/sched.h"
#include "ponty/request.h"

void pt__cache_drop_result(result_t *r);

pt_cache_info_t pt_cache_info(pt_cache_t *c)
{
    pt_cache_info_t info = { .maxsize = c->o.maxsize };
    for (unsigned i = 0; i < c->nshards; i++) {
        shard_t *s = &c->shards[i];
        pthread_mutex_lock(&s->lk);
        info.hits += s->hits;
        info.misses += s->misses;
        info.current_size += s->ready;
        pthread_mutex_unlock(&s->lk);
    }
    info.hits += atomic_load(&c->shared_hits);
    info.misses += atomic_load(&c->shared_misses);
    info.loads = atomic_load(&c->loads);
    info.stampedes = atomic_load(&c->stampedes);
    info.last_expiration_check_ms = atomic_load(&c->last_check_ms);
    return info;
}

/* Unlinks the READY entries that are expired (or all of them), shard by
 * shard, and frees them outside the lock (cleanups are user code). Clearing
 * also resets the hits and misses counters. */
static size_t sweep(pt_cache_t *c, bool only_expired)
{
    if (!only_expired) {
        atomic_store(&c->shared_hits, 0);
        atomic_store(&c->shared_misses, 0);
        atomic_store(&c->loads, 0);
        atomic_store(&c->stampedes, 0);
    }
    size_t n = 0;
    int64_t now = pt__memo_now_ms();
    for (unsigned i = 0; i < c->nshards; i++) {
        shard_t *s = &c->shards[i];
        entry_t *dead = NULL;
        pthread_mutex_lock(&s->lk);
        if (!only_expired)
            s->hits = s->misses = 0;
        for (entry_t *e = pt__lru_entry(s->lru.head); e;) {
            entry_t *next = pt__lru_entry(e->lru.next);
            if (!only_expired || now >= e->expires_ms) {
                pt__tab_unlink(s, e);
                pt__entry_chain(&dead, e);
                n++;
            }
            e = next;
        }
        pthread_mutex_unlock(&s->lk);
        pt__entries_free(dead);
    }
    return n;
}

pt_memo_err_t pt_cache_clear(pt_cache_t *c)
{
    sweep(c, false);
    if (c->o.store && c->o.store->ops->clear && c->o.store->ops->clear(c->o.store) != 0)
        return PT_MEMO_STORE_ERROR;
    return PT_MEMO_OK;
}

size_t pt_cache_remove_expired(pt_cache_t *c)
{
    atomic_store(&c->last_check_ms, pt__memo_now_ms());
    return sweep(c, true);
}

/* ---- invalidation ------------------------------------------------------- */

static void arm_invalidation_guard(pt_cache_invalidation_t *inv);

pt_memo_err_t pt_cache_invalidate_key_begin(pt_cache_t *c, const char *key,
                                            pt_cache_invalidation_t *inv)
{
    memset(inv, 0, sizeof *inv);
    size_t len = strlen(key);
    uint64_t h = pt_key_hash(key, len, c->seed);
    shard_t *s = pt__shard_of(c, h);
    int64_t deadline = PT__DEADLINE_UNSET;
    entry_t *e;
    for (;;) {
        pthread_mutex_lock(&s->lk);
        e = pt__tab_find(s, h, key, len);
        if (!e) {
            e = pt__tab_insert(s, h, key, len);
            pthread_mutex_unlock(&s->lk);
            if (!e) {
                pt_memo_set_error("cache: out of memory");
                return PT_MEMO_NO_MEMORY;
            }
            break;
        }
        if (e->state == E_READY) {
            /* Take the entry over: it becomes the key's lock, its value goes. */
            pt_cache_ref_t *old = e->vref;
            pt__ready_remove(s, e);
            e->vref = NULL;
            pthread_mutex_unlock(&s->lk);
            pt__cache_ref_unref(old);
            break;
        }
        /* A load or another invalidation holds the key: wait our turn. */
        result_t r;
        int rc = pt__flight_wait(c, s, e, &deadline, key, "is held", &r);
        pt__cache_drop_result(&r);
        if (rc == PT_MEMO_STAMPEDE)
            return PT_MEMO_STAMPEDE;
        /* the load finished (or the other invalidation ended): look again */
    }
    e->invalidating = true;
    inv->cache = c;
    inv->entry = e;
    inv->key = strdup(key);
    if (!inv->key) {
        pt_cache_invalidate_end(inv);
        pt_memo_set_error("cache: out of memory");
        return PT_MEMO_NO_MEMORY;
    }
    if (c->o.store) {
        if (c->o.lock_store) {
            pt__memo_token(inv->token);
            int64_t dl = pt__cache_wait_deadline(c->o.maxwait_ms);
            int l = pt__cache_store_lock(c, key, len, inv->token, dl, NULL);
            if (l < 0) {
                pt_cache_invalidate_end(inv);
                return (pt_memo_err_t)-l;
            }
            inv->store_locked = true;
        }
        if (c->o.store->ops->remove(c->o.store, key, len) < 0) {
            pt_cache_invalidate_end(inv);
            return PT_MEMO_STORE_ERROR;
        }
    }
    arm_invalidation_guard(inv);
    return PT_MEMO_OK;
}

/* Inside a request the block may be left by pt_raise: a cleanup holding a
 * copy ends the invalidation then; a normal end disarms it. */
static void invalidation_abandoned(void *arg) { pt_cache_invalidate_end(arg); }

static void arm_invalidation_guard(pt_cache_invalidation_t *inv)
{
    pt_arena_t *arena = pt__task_arena();
    if (!arena)
        return;
    pt_cache_invalidation_t *copy = pt_arena_alloc(arena, sizeof *copy);
    *copy = *inv;
    copy->guard = NULL;
    inv->guard = copy;
    pt_arena_defer(arena, invalidation_abandoned, copy);
}

void pt_cache_invalidate_end(pt_cache_invalidation_t *inv)
{
    pt_cache_t *c = inv->cache;
    if (!c || !inv->entry)
        return;
    if (inv->guard)
        memset(inv->guard, 0, sizeof *inv->guard);
    entry_t *e = inv->entry;
    if (inv->store_locked)
        c->o.lock_store->ops->remove(c->o.lock_store, inv->key, strlen(inv->key), inv->token);
    shard_t *s = pt__shard_of(c, e->node.hash);
    result_t retry = { .rc = RC_RETRY };
    pthread_mutex_lock(&s->lk);
    /* Waiters look again; the first becomes the loader. */
    pt__flight_wake_all(c, e, &retry);
    pt__tab_unlink(s, e);
    pthread_mutex_unlock(&s->lk);
    free(e);
    free(inv->key);
    memset(inv, 0, sizeof *inv);
}

pt_memo_err_t pt_cache_invalidate_begin(pt_cache_t *c, const json_t *args, const json_t *kwargs,
                                        pt_cache_invalidation_t *inv)
{
    memset(inv, 0, sizeof *inv);
    char *key = pt_cache_key(c, args, kwargs);
    if (!key)
        return PT_MEMO_KEY_ERROR;
    pt_memo_err_t rc = pt_cache_invalidate_key_begin(c, key, inv);
    free(key);
    return rc;
}

pt_memo_err_t pt_invalidate_begin(const char *cache_name, const json_t *args, const json_t *kwargs,
                                  pt_cache_invalidation_t *inv)
{
    memset(inv, 0, sizeof *inv);
    pt_cache_t *c = pt_cache_find(cache_name);
    if (!c) {
        pt_memo_set_error("no cache named '%s'", cache_name ? cache_name : "");
        return PT_MEMO_NOT_FOUND;
    }
    return pt_cache_invalidate_begin(c, args, kwargs, inv);
}

pt_memo_err_t pt_cache_invalidate(pt_cache_t *c, const json_t *args, const json_t *kwargs)
{
    pt_cache_invalidation_t inv;
    pt_memo_err_t rc = pt_cache_invalidate_begin(c, args, kwargs, &inv);
    if (rc == PT_MEMO_OK)
        pt_cache_invalidate_end(&inv);
    return rc;
}

pt_memo_err_t pt_cache_invalidate_key(pt_cache_t *c, const char *key)
{
    pt_cache_invalidation_t inv;
    pt_memo_err_t rc = pt_cache_invalidate_key_begin(c, key, &inv);
    if (rc == PT_MEMO_OK)
        pt_cache_invalidate_end(&inv);
    return rc;
}
