/* Internal: the cache object, its lock-striped table and single-flight
 * entries, shared by cache.c (get/load), cache_admin.c (stats, clear,
 * invalidate) and cache_table.c (hash table and LRU). */
#ifndef PT_CACHE_INTERNAL_H
#define PT_CACHE_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>

#include "core/list.h"
#include "memo/keytab.h"
#include "memo/memo.h"
#include "core/wait.h"

/* A loaded value. JSON caches: refs counts the cache's hold only (callers
 * hold the json_t itself). Pointer caches: the cache's hold plus one per
 * pt_cache_ref_t handed out; the cleanup runs when the last goes. */
struct pt_cache_ref {
    _Atomic long         refs;
    json_t              *json;     /* JSON value or error (NULL for a pointer value) */
    void                *ptr;      /* pointer caches */
    bool                 is_error;
    int64_t              fetched_ms;
    pt_cache_cleanup_fn  cleanup;  /* copied from the cache: the vref may outlive it */
    void                *ud;
    int64_t              cleanup_delay_ms;
}; /* pt_cache_ref_t (ponty/memo.h) */

enum { E_READY = 0, E_LOADING = 1 };

/* One key in the table: a cached value (READY), or a load or invalidation in
 * flight (LOADING) with the callers parked on it. LOADING entries are not
 * in the LRU and never evicted. */
typedef struct entry {
    pt__keynode_t node;           /* first: the shard's table; once unlinked,
                                   * node.hnext chains entries to free */
    pt__link_t    lru;            /* the shard's LRU, READY only; head = most recent */
    uint64_t      stamp;          /* READY, bounded multi-shard caches: last use */
    uint8_t       state;
    bool          invalidating;   /* held by pt_cache_invalidate_begin */
    pt_waitq_t    waiters;        /* LOADING: flight_waiter_t */
    pt_cache_ref_t *vref;         /* READY */
    int64_t       expires_ms;     /* READY */
    char          key[];
} entry_t;

typedef struct shard {
    pthread_mutex_t lk;
    pt__keytab_t    tab;          /* entries, READY and LOADING */
    size_t          ready;        /* READY entries in this shard */
    pt__list_t      lru;
    uint64_t        hits, misses;
    struct pt_cache *cache;
    /* The stamp of the LRU tail (UINT64_MAX when empty), written under lk and
     * read without it by eviction to find the least recently used entry of
     * the whole cache. */
    _Atomic uint64_t tail_stamp;
} __attribute__((aligned(64))) shard_t;

/* What a call ends with; handed from a loader to its waiters. */
enum { RC_RETRY = -1 };
typedef struct result {
    int             rc;    /* pt_memo_err_t, or RC_RETRY: look again (an invalidation ended) */
    json_t         *json;  /* new reference (value or error) */
    pt_cache_ref_t *vref;  /* pointer caches: a held reference */
} result_t;

typedef struct flight_waiter {
    pt__waiter_t w;   /* first: the queue holds &w */
    result_t    res;
} flight_waiter_t;

struct pt_cache {
    pt_cache_opts_t    o;           /* strings below are our copies */
    char              *name, *expiration, *negative_expiration, *key_src;
    pt_expiry_t        expiry;      /* of values */
    pt_expiry_t        neg_expiry;  /* of failures (negative caching) */
    pt_key_template_t *tmpl;
    bool               ptr_mode;
    uint64_t           seed;
    unsigned           nshards, mask;
    shard_t           *shards;
    /* LRU bound over the whole cache (maxsize applies to the sum of the
     * shards, not to each): a global count of READY entries, and with
     * several shards a global use clock that stamps entries, so eviction
     * takes the oldest shard tail, which is the cache's LRU entry. */
    bool               bounded;     /* maxsize != PT_CACHE_UNBOUNDED */
    bool               stamped;     /* bounded and nshards > 1 */
    /* Written by loads (size) and every PT_LRU_PUBLISH stamps (clock): on
     * their own cache line, away from the fields every hit reads. */
    _Alignas(64) _Atomic size_t size; /* READY entries, all shards */
    _Atomic uint64_t   clock;
    char               pad_[64 - sizeof(size_t) - sizeof(uint64_t)];
    _Atomic uint64_t   shared_hits, shared_misses; /* store mode: hits do not take a shard lock */
    _Atomic uint64_t   loads, stampedes;           /* loader calls; gets answered PT_MEMO_STAMPEDE */
    _Atomic int64_t    next_sweep_ms;
    _Atomic int64_t    last_check_ms;
};

/* cache_table.c: all with s->lk held. */
entry_t *pt__tab_find(shard_t *s, uint64_t h, const char *key, size_t len);
entry_t *pt__tab_insert(shard_t *s, uint64_t h, const char *key, size_t len); /* a LOADING entry */
void     pt__tab_unlink(shard_t *s, entry_t *e);     /* from the hash (and the LRU if READY) */
/* A LOADING entry becomes READY (most recent) / a READY one leaves the LRU
 * and the count (it stays in the hash as LOADING, or is unlinked). */
void     pt__ready_add(shard_t *s, entry_t *e);
void     pt__ready_remove(shard_t *s, entry_t *e);
void     pt__lru_remove(shard_t *s, entry_t *e);
void     pt__lru_push(shard_t *s, entry_t *e);

static inline entry_t *pt__lru_entry(pt__link_t *l) { return l ? PT__ELEM(l, entry_t, lru) : NULL; }
static inline entry_t *pt__lru_tail(shard_t *s) { return pt__lru_entry(s->lru.tail); }

static inline void pt__tail_stamp_sync(shard_t *s)
{
    entry_t *t = pt__lru_tail(s);
    atomic_store_explicit(&s->tail_stamp, t ? t->stamp : UINT64_MAX, memory_order_relaxed);
}

/* Use stamps: a Lamport clock per thread, raised to the cache's published
 * clock. One thread's stamps strictly increase, so its uses are ordered
 * exactly; the cache's clock is written once every PT_LRU_PUBLISH stamps
 * (not on every hit, which would make every hit on every thread write one
 * shared cache line), so a thread's stamps run at most that far behind the
 * busiest thread's, and eviction across threads is LRU within that window. */
#define PT_LRU_PUBLISH 32
/* initial-exec: libponty is a static library, so the hit path reads the
 * clock at a fixed offset from the thread pointer (no __tls_get_addr). */
extern _Thread_local uint64_t pt__lru_clock __attribute__((tls_model("initial-exec")));
static inline uint64_t pt__lru_stamp(pt_cache_t *c)
{
    uint64_t g = atomic_load_explicit(&c->clock, memory_order_relaxed);
    uint64_t t = (pt__lru_clock > g ? pt__lru_clock : g) + 1;
    pt__lru_clock = t;
    if (t >= g + PT_LRU_PUBLISH)
        atomic_store_explicit(&c->clock, t, memory_order_relaxed);
    return t;
}

/* A hit on a bounded cache: e becomes its shard's most recent entry and,
 * with several shards, takes a new stamp. Unbounded caches keep no order
 * (nothing is evicted), so their hits write nothing here. */
static inline void pt__lru_touch(shard_t *s, entry_t *e)
{
    if (s->cache->stamped) {
        e->stamp = pt__lru_stamp(s->cache);
        if (s->lru.head != &e->lru) {
            pt__lru_remove(s, e);
            pt__lru_push(s, e);
        }
        pt__tail_stamp_sync(s);
    } else if (s->lru.head != &e->lru) {
        /* Already the most recent: the common case for a hot key costs a compare. */
        pt__lru_remove(s, e);
        pt__lru_push(s, e);
    }
}
/* Evicts least recently used entries until the cache holds maxsize.
 * Takes the shard locks one at a time: call with none held. */
void     pt__cache_evict_over(pt_cache_t *c);
int      pt__tab_init(shard_t *s, pt_cache_t *c);
void     pt__tab_destroy(shard_t *s);

/* Value references (pt_cache_ref_t). */
pt_cache_ref_t *pt__cache_ref_new(pt_cache_t *c, json_t *json, void *ptr, bool is_error, int64_t fetched_ms);
void            pt__cache_ref_unref(pt_cache_ref_t *b);
static inline void pt__cache_ref_hold(pt_cache_ref_t *b) { atomic_fetch_add_explicit(&b->refs, 1, memory_order_relaxed); }

/* Puts an unlinked entry on a chain of entries to free. */
static inline void pt__entry_chain(entry_t **chain, entry_t *e)
{
    e->node.hnext = (pt__keynode_t *)*chain; /* node is an entry's first member */
    *chain = e;
}

/* Frees a chain of unlinked entries (pt__entry_chain), dropping their values.
 * Never call with a shard lock held: cleanups are user code. */
void pt__entries_free(entry_t *e);

/* Wakes everyone parked on e (LOADING) with res (references are added per
 * waiter). s->lk held. */
void pt__flight_wake_all(pt_cache_t *c, entry_t *e, const result_t *res);
/* A call's deadline before its first wait: maxwait counts from the moment a
 * call first finds its key busy, not from the call's start. */
#define PT__DEADLINE_UNSET INT64_MIN

/* The one way a call meets a key another caller holds (a load or an
 * invalidation), found under s->lk, which this releases. A cache that does
 * not wait (maxwait PT_MEMO_NOWAIT) fails at once: PT_MEMO_STAMPEDE with
 * "stampede: key '<key>' <busy>". Otherwise the call parks until the holder
 * is done or *deadline passes (PT_MEMO_STAMPEDE); *deadline starts as
 * PT__DEADLINE_UNSET and is fixed at the call's first wait, so looking
 * again (RC_RETRY: an invalidation ended) does not extend it. Returns the
 * holder's result (out) or RC_RETRY. */
int  pt__flight_wait(pt_cache_t *c, shard_t *s, entry_t *e, int64_t *deadline, const char *key, const char *busy,
                     result_t *out);

static inline shard_t *pt__shard_of(pt_cache_t *c, uint64_t h)
{
    return &c->shards[(h >> 58) & c->mask]; /* top bits; low bits pick the bucket */
}

/* The pt_now_mono_ms deadline of a wait of maxwait_ms (-1: none; NOWAIT: now,
 * so the wait tries once) (cache.c). */
int64_t pt__cache_wait_deadline(int64_t maxwait_ms);

/* The cross-process lock of a shared store (cache.c). */
int  pt__cache_store_lock(pt_cache_t *c, const char *key, size_t len, const char *token,
                         int64_t deadline, pt_cache_item_t *found);

#endif
