/* Keyed locks (the seeds' locallock and Lock). In-process, a held key is an
 * entry with a FIFO queue of waiters; release hands the lock to the oldest
 * waiter and wakes it (no polling). With a store, the in-process lock is
 * taken first (so a process sends one poller per key to the store) and then
 * the store's, polled every pulse_ms as in the seeds. */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "memo/keytab.h"
#include "memo/memo.h"
#include "core/context.h"
#include "memo/redis_conn.h"
#include "core/sched.h"
#include "core/wait.h"
#include "ponty/request.h"
#include "ponty/sync.h"

#define NSHARDS 16

typedef struct lentry {
    pt__keynode_t  node;            /* first: the shard's table */
    pt_waitq_t     waiters;
    char           key[];
} lentry_t;

typedef struct lshard {
    pthread_mutex_t lk;
    pt__keytab_t    tab;
} __attribute__((aligned(64))) lshard_t;

struct pt_lock {
    pt_lock_opts_t o;
    uint64_t       seed;
    char          *name;            /* copy of o.name */
    struct pt_lock *next_named;     /* the registry of named locks (metrics) */
    _Atomic uint64_t acquired, waited, timeouts;
    lshard_t       shards[NSHARDS];
};

/* Named locks, for the metrics endpoint. */
static pthread_mutex_t named_lk = PTHREAD_MUTEX_INITIALIZER;
static pt_lock_t *named;

void pt__memo_each_lock(void (*fn)(pt_lock_t *l, const char *name, void *arg), void *arg);
void pt__memo_each_lock(void (*fn)(pt_lock_t *l, const char *name, void *arg), void *arg)
{
    pthread_mutex_lock(&named_lk);
    for (pt_lock_t *l = named; l; l = l->next_named)
        fn(l, l->name, arg);
    pthread_mutex_unlock(&named_lk);
}

pt_lock_info_t pt_lock_info(const pt_lock_t *l)
{
    return (pt_lock_info_t){ atomic_load(&l->acquired), atomic_load(&l->waited), atomic_load(&l->timeouts) };
}

const char *pt_lock_name(const pt_lock_t *l) { return l->name; }

/* label names the lock in messages (the variable of a PT_LOCALLOCK). */
static pt_lock_t *lock_create(const pt_lock_opts_t *opts, const char *label)
{
    char who[160] = "lock";
    if (label)
        snprintf(who, sizeof who, "lock '%s'", label);
    if (!opts) {
        pt_memo_set_error("%s: no options", who);
        return NULL;
    }
    if (opts->timeout_error && !pt_error_kind_is(opts->timeout_error, PT_LOCKED)) {
        pt_memo_set_error("%s: timeout_error '%s' is not a kind of Locked", who,
                          opts->timeout_error->name ? opts->timeout_error->name : "?");
        return NULL;
    }
    if (opts->maxwait_ms < PT_MEMO_NOWAIT) {
        pt_memo_set_error("%s: bad maxwait_ms %lld: expected milliseconds > 0, 0 or "
                          "PT_MEMO_NOWAIT (fail at once when held), or PT_MEMO_FOREVER",
                          who, (long long)opts->maxwait_ms);
        return NULL;
    }
    if (opts->pulse_ms < 0 || opts->lease_ms < 0) {
        pt_memo_set_error("%s: bad %s %lld: expected milliseconds > 0, or 0 for the default",
                          who, opts->pulse_ms < 0 ? "pulse_ms" : "lease_ms",
                          (long long)(opts->pulse_ms < 0 ? opts->pulse_ms : opts->lease_ms));
        return NULL;
    }
    pt_lock_t *l = aligned_alloc(64, sizeof *l);
    if (!l) {
        pt_memo_set_error("%s: out of memory", who);
        return NULL;
    }
    memset(l, 0, sizeof *l);
    /* Zero means the default: l->o holds the options in effect. */
    l->o = *opts;
    if (l->o.maxwait_ms == 0)
        l->o.maxwait_ms = PT_MEMO_NOWAIT;
    if (!l->o.timeout_error)
        l->o.timeout_error = PT_LOCKED;
    if (l->o.pulse_ms <= 0)
        l->o.pulse_ms = 100;
    if (l->o.lease_ms <= 0)
        l->o.lease_ms = 60000;
    l->seed = pt__memo_random();
    if (opts->name && *opts->name) {
        l->name = strdup(opts->name);
        if (!l->name) { /* nothing else is held yet (the shards come below) */
            pt_memo_set_error("%s: out of memory", who);
            free(l);
            return NULL;
        }
        l->o.name = l->name;
        pthread_mutex_lock(&named_lk);
        l->next_named = named;
        named = l;
        pthread_mutex_unlock(&named_lk);
    }
    for (int i = 0; i < NSHARDS; i++) {
        pthread_mutex_init(&l->shards[i].lk, NULL);
        if (pt__keytab_init(&l->shards[i].tab) != 0) {
            pt_memo_set_error("lock: out of memory");
            pt_lock_free(l);
            return NULL;
        }
    }
    return l;
}

pt_lock_t *pt_lock_new_opts(const pt_lock_opts_t *opts) { return lock_create(opts, NULL); }

pt_lock_t *pt__lock_new_decl(const pt_lock_opts_t *opts, const char *label)
{
    return lock_create(opts, label);
}

void pt_lock_free(pt_lock_t *l)
{
    if (!l)
        return;
    if (l->name) {
        pthread_mutex_lock(&named_lk);
        for (pt_lock_t **p = &named; *p; p = &(*p)->next_named)
            if (*p == l) {
                *p = l->next_named;
                break;
            }
        pthread_mutex_unlock(&named_lk);
        free(l->name);
    }
    for (int i = 0; i < NSHARDS; i++) {
        lshard_t *s = &l->shards[i];
        if (s->tab.buckets)
            for (pt__keynode_t *n = pt__keytab_take_all(&s->tab), *next; n; n = next) {
                next = n->hnext;
                free(n); /* the entry: its node is its first member */
            }
        pt__keytab_destroy(&s->tab);
        pthread_mutex_destroy(&s->lk);
    }
    free(l);
}

const pt_error_kind_t *pt_lock_timeout_error(const pt_lock_t *l) { return l->o.timeout_error; }

static lentry_t *lfind(lshard_t *s, uint64_t h, const char *key, size_t len)
{
    return (lentry_t *)pt__keytab_find(&s->tab, h, key, len);
}

static lentry_t *linsert(lshard_t *s, uint64_t h, const char *key, size_t len)
{
    lentry_t *e = calloc(1, sizeof *e + len + 1);
    if (!e)
        return NULL;
    memcpy(e->key, key, len);
    e->node.hash = h;
    e->node.key = e->key;
    e->node.klen = len;
    pt__keytab_insert(&s->tab, &e->node);
    return e;
}

static void lunlink(lshard_t *s, lentry_t *e) { pt__keytab_unlink(&s->tab, &e->node); }

static lshard_t *lshard(pt_lock_t *l, uint64_t h) { return &l->shards[h >> 60]; }

/* Releases the in-process part: hand-off to the oldest waiter or drop. */
static void local_release(pt_lock_t *l, lentry_t *e)
{
    lshard_t *s = lshard(l, e->node.hash);
    pthread_mutex_lock(&s->lk);
    pt__waiter_t *w = pt__waitq_pop(&e->waiters);
    if (w) {
        w->signaled = true; /* w owns the entry now (FIFO) */
        pt__waiter_wake(w);
        pthread_mutex_unlock(&s->lk);
        return;
    }
    lunlink(s, e);
    pthread_mutex_unlock(&s->lk);
    free(e);
}

/* Inside a request the holder may leave by pt_raise, which never returns to
 * release the guard (it may live on the abandoned coroutine stack): a copy in
 * the request arena, released by a request cleanup, covers that path. A
 * normal release disarms the copy. */
static void guard_abandoned(void *arg) { pt_lock_release(arg); }

static void arm_guard(pt_lock_guard_t *g)
{
    pt_arena_t *arena = pt__task_arena();
    if (!arena)
        return;
    pt_lock_guard_t *copy = pt_arena_alloc(arena, sizeof *copy);
    if (!copy)
        return;
    *copy = *g;
    copy->armed = NULL;
    g->armed = copy;
    pt_arena_defer(arena, guard_abandoned, copy);
}

int pt__store_lock_poll(pt_lock_store_t *st, const char *key, size_t len, const char *token, int64_t lease_ms,
                        int64_t pulse_ms, int64_t deadline, int (*until)(void *ctx), void *ctx)
{
    for (;;) {
        /* A Redis store gives up on a hung server by the deadline, so
         * maxwait holds when the store fails too. */
        pt__redis_deadline = deadline;
        int r = st->ops->add(st, key, len, token, lease_ms);
        pt__redis_deadline = -1;
        if (r == 1)
            return PT__POLL_LOCKED;
        if (r < 0)
            return PT__POLL_ERROR;
        if (until) {
            /* until may ask the store too (the cache reads the key): the
             * same deadline bounds it. */
            pt__redis_deadline = deadline;
            int u = until(ctx);
            pt__redis_deadline = -1;
            if (u)
                return u;
        }
        int64_t now = pt_now_mono_ms();
        if (deadline >= 0 && now >= deadline)
            return PT__POLL_TIMEOUT;
        int64_t nap = pulse_ms;
        if (deadline >= 0 && now + nap > deadline)
            nap = deadline - now;
        pt_sleep_ms(nap);
    }
}

static pt_memo_err_t acquire(pt_lock_t *l, const char *key, int64_t maxwait_ms, pt_lock_guard_t *g);

pt_memo_err_t pt_lock_acquire_for(pt_lock_t *l, const char *key, int64_t maxwait_ms,
                                  pt_lock_guard_t *g)
{
    pt_memo_err_t rc = acquire(l, key, maxwait_ms, g);
    if (rc == PT_MEMO_OK)
        atomic_fetch_add_explicit(&l->acquired, 1, memory_order_relaxed);
    else if (rc == PT_MEMO_LOCKED)
        atomic_fetch_add_explicit(&l->timeouts, 1, memory_order_relaxed);
    return rc;
}

static pt_memo_err_t acquire(pt_lock_t *l, const char *key, int64_t maxwait_ms, pt_lock_guard_t *g)
{
    memset(g, 0, sizeof *g);
    size_t len = strlen(key);
    uint64_t h = pt_key_hash(key, len, l->seed);
    lshard_t *s = lshard(l, h);
    /* 0 and NOWAIT try once: the store too gets a single attempt. */
    bool nowait = maxwait_ms == 0 || maxwait_ms == PT_MEMO_NOWAIT;
    int64_t deadline = nowait ? pt_now_mono_ms() : pt__deadline_after(maxwait_ms);

    pthread_mutex_lock(&s->lk);
    lentry_t *e = lfind(s, h, key, len);
    if (!e) {
        e = linsert(s, h, key, len);
        pthread_mutex_unlock(&s->lk);
        if (!e) {
            pt_memo_set_error("lock: out of memory");
            return PT_MEMO_NO_MEMORY;
        }
    } else if (nowait) {
        pthread_mutex_unlock(&s->lk);
        pt_memo_set_error("locked: '%.200s' is held", key);
        return PT_MEMO_LOCKED;
    } else {
        atomic_fetch_add_explicit(&l->waited, 1, memory_order_relaxed);
        pt__waiter_t w;
        pt__waiter_init(&w);
        /* Signalled: local_release handed the entry over to us. */
        if (!pt__wait_on(&e->waiters, &s->lk, &w, deadline)) {
            pt_memo_set_error("locked: '%.200s' was held for more than %lld ms", key,
                              (long long)maxwait_ms);
            return PT_MEMO_LOCKED;
        }
    }
    g->lock = l;
    g->entry = e;
    g->held = true;

    if (l->o.store) {
        pt_lock_store_t *st = l->o.store;
        pt__memo_token(g->token);
        int r = pt__store_lock_poll(st, key, len, g->token, l->o.lease_ms, l->o.pulse_ms, deadline, NULL, NULL);
        if (r != PT__POLL_LOCKED) {
            local_release(l, e);
            memset(g, 0, sizeof *g);
            if (r == PT__POLL_ERROR)
                return PT_MEMO_STORE_ERROR;
            pt_memo_set_error("locked: '%.200s' is held in the store", key);
            return PT_MEMO_LOCKED;
        }
        g->key = strdup(key);
        if (!g->key) {
            st->ops->remove(st, key, len, g->token);
            local_release(l, e);
            memset(g, 0, sizeof *g);
            pt_memo_set_error("lock: out of memory");
            return PT_MEMO_NO_MEMORY;
        }
        g->store_held = true;
    }
    arm_guard(g);
    return PT_MEMO_OK;
}

pt_memo_err_t pt_lock_acquire(pt_lock_t *l, const char *key, pt_lock_guard_t *g)
{
    return pt_lock_acquire_for(l, key, l->o.maxwait_ms, g);
}

void pt_lock_release(pt_lock_guard_t *g)
{
    if (!g || !g->held)
        return;
    pt_lock_t *l = g->lock;
    if (g->store_held && l->o.store)
        l->o.store->ops->remove(l->o.store, g->key, strlen(g->key), g->token);
    free(g->key);
    if (g->armed)
        memset(g->armed, 0, sizeof *g->armed); /* disarm the request's copy */
    lentry_t *e = g->entry;
    memset(g, 0, sizeof *g);
    local_release(l, e);
}

bool pt_lock_is_held(pt_lock_t *l, const char *key)
{
    size_t len = strlen(key);
    uint64_t h = pt_key_hash(key, len, l->seed);
    lshard_t *s = lshard(l, h);
    pthread_mutex_lock(&s->lk);
    bool held = lfind(s, h, key, len) != NULL;
    pthread_mutex_unlock(&s->lk);
    if (!held && l->o.store && l->o.store->ops->exists)
        held = l->o.store->ops->exists(l->o.store, key, len) == 1;
    return held;
}

pt_lock_guard_t *pt_lock_hold(pt_lock_t *l, const char *key)
{
    pt_arena_t *arena = pt__task_arena();
    pt_lock_guard_t *g = arena ? pt_arena_alloc(arena, sizeof *g) : NULL;
    if (!g)
        pt_raise(PT_ERROR);
    /* The acquire arms the request cleanup that releases it. */
    pt_memo_err_t rc = pt_lock_acquire(l, key, g);
    if (rc != PT_MEMO_OK)
        pt__memo_raise(rc, l->o.timeout_error, key);
    return g;
}

void pt_lock_store_free(pt_lock_store_t *s)
{
    if (s && s->ops->free)
        s->ops->free(s);
}

void pt_cache_store_free(pt_cache_store_t *s)
{
    if (s && s->ops->free)
        s->ops->free(s);
}
