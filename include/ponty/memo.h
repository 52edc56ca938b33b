/* ponty/memo.h — memoizing caches with anti-stampede, keyed locks, and the
 * stores behind them (in-process by default, Redis to share a fleet).
 *
 * The seeds' ponty.memo (localcache, cache, CacheStore, invalidate,
 * locallock, Lock, SentinelStore, Stampede, Locked) and aquiche's alru_cache
 * options, in C:
 *
 *     static json_t *fetch(pt_cache_call_t *call) {
 *         pt_sleep_ms(1000);                     // some expensive operation
 *         return json_pack("{s:s}", "key", "value");
 *     }
 *     PT_LOCALCACHE(fetch_cache, .load = fetch, .maxwait_ms = PT_MEMO_NOWAIT);
 *
 *     PT_GET("/cachetest", cachetest) {
 *         return pt_cache_get_or_raise(fetch_cache, NULL, NULL);  // 409 on a stampede
 *     }
 *
 * Guarantees
 *   - Concurrent misses for one key, from coroutines on any worker or from
 *     plain threads, run the loader once; the others park on the loading
 *     entry and are woken with its result (no polling in-process). A waiter
 *     whose maxwait passes gets PT_MEMO_STAMPEDE; with maxwait PT_MEMO_NOWAIT
 *     the lock is mandatory and a concurrent miss fails at once.
 *   - Hits never wait for a load: one hash lookup in a lock-striped table
 *     under a few-instruction critical section, no allocation.
 *   - A failed load does not stay cached unless negative caching is on.
 *
 * Everything here is thread-safe. Functions that can fail return a
 * pt_memo_err_t; pt_memo_last_error() then holds a message for the calling
 * thread. The *_or_raise variants are for request handlers: they raise the
 * matching HTTP error (Stampede/Locked 409, load or store failure 500).
 * docs/memo.md is the guide; ponty/expiry.h and ponty/memo_key.h hold the
 * expiration grammar and key building that the cache uses. */
#ifndef PONTY_MEMO_H
#define PONTY_MEMO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "ponty/error.h"
#include "ponty/expiry.h"
#include "ponty/memo_key.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- errors ------------------------------------------------------------ */

typedef enum pt_memo_err {
    PT_MEMO_OK = 0,
    PT_MEMO_STAMPEDE,     /* a concurrent load holds the key and maxwait passed (409) */
    PT_MEMO_LOCKED,       /* a keyed lock was not had within maxwait (409) */
    PT_MEMO_LOAD_FAILED,  /* the loader failed (or a cached failure, negative caching) */
    PT_MEMO_STORE_ERROR,  /* the store failed: Redis down, bad reply... */
    PT_MEMO_KEY_ERROR,    /* the key could not be built from the arguments */
    PT_MEMO_INVALID,      /* bad options or arguments */
    PT_MEMO_NOT_FOUND,    /* no cache registered under that name */
    PT_MEMO_EXISTS,       /* a cache is already registered under that name */
    PT_MEMO_NO_MEMORY,    /* an allocation failed (docs/errors.md); nothing was changed */
} pt_memo_err_t;

/* "stampede", "locked", ... */
const char *pt_memo_strerror(pt_memo_err_t err);
/* Details of the last failure on the calling thread ("" when none). */
const char *pt_memo_last_error(void);

/* maxwait values besides a positive number of milliseconds: wait without a
 * limit, or do not wait at all (a held key fails at once: a mandatory lock).
 * A maxwait option of 0 means that option's documented default. */
#define PT_MEMO_FOREVER (-1)
#define PT_MEMO_NOWAIT  (-2)

/* ---- stores (the seeds' CacheStore and SentinelStore) ------------------ */

/* One cached value as a store keeps it. */
typedef struct pt_cache_item {
    json_t  *value;       /* the value, or the error when is_error */
    bool     is_error;    /* negative caching */
    int64_t  fetched_ms;  /* epoch ms of the load */
    int64_t  expires_ms;  /* epoch ms, or PT_EXPIRY_NEVER_MS */
} pt_cache_item_t;

typedef struct pt_cache_store pt_cache_store_t;

/* A cache store holds JSON values shared between processes. Methods may
 * suspend the calling coroutine (I/O); they must be thread-safe. Report a
 * failure with pt_memo_set_error() and -1. */
typedef struct pt_cache_store_ops {
    /* 1: found (out->value is a new reference), 0: miss, -1: error. */
    int  (*get)(pt_cache_store_t *s, const char *key, size_t len, pt_cache_item_t *out);
    /* Stores item (borrowed) under key; a store that can expire entries
     * should drop it at item->expires_ms. 0 or -1. */
    int  (*set)(pt_cache_store_t *s, const char *key, size_t len, const pt_cache_item_t *item);
    /* 1: removed, 0: not there, -1: error. */
    int  (*remove)(pt_cache_store_t *s, const char *key, size_t len);
    /* Optional: drops every entry of this store. 0 or -1. */
    int  (*clear)(pt_cache_store_t *s);
    void (*free)(pt_cache_store_t *s);
} pt_cache_store_ops_t;

/* Embed as the first member of your own store. */
struct pt_cache_store {
    const pt_cache_store_ops_t *ops;
};

typedef struct pt_lock_store pt_lock_store_t;

/* A sentinel store marks keys as locked across processes. Unlike the seed's
 * exists-then-add, add is one atomic test-and-set (so two processes cannot
 * both see "free"); it carries a token so that only the holder releases,
 * and a lease after which a crashed holder's lock lapses. */
typedef struct pt_lock_store_ops {
    /* 1: taken, 0: held by someone else, -1: error. */
    int  (*add)(pt_lock_store_t *s, const char *key, size_t len, const char *token, int64_t lease_ms);
    /* 1: locked, 0: free, -1: error. */
    int  (*exists)(pt_lock_store_t *s, const char *key, size_t len);
    /* Releases if token still holds it. 1: released, 0: not ours, -1: error. */
    int  (*remove)(pt_lock_store_t *s, const char *key, size_t len, const char *token);
    void (*free)(pt_lock_store_t *s);
} pt_lock_store_ops_t;

struct pt_lock_store {
    const pt_lock_store_ops_t *ops;
};

/* Frees a store (NULL is fine). A store may be shared by several caches or
 * locks: free it after them. */
void pt_cache_store_free(pt_cache_store_t *s);
void pt_lock_store_free(pt_lock_store_t *s);

/* In-process sentinel store: a process-wide set of keys. A pt_lock_t does
 * not need it (with no store it locks in-process and wakes waiters without
 * polling); it exists to compose and test the polling path. */
pt_lock_store_t *pt_lock_store_local_new(void);

/* Redis stores. url is "redis://[:password@]host[:port][/db]" (port 6379,
 * db 0 by default). Values are stored as JSON under prefix+key with their
 * TTL set in Redis (PX); locks are SET NX PX with a random token, released
 * by a compare-and-delete script. Connections are made lazily: one
 * asynchronous connection per worker thread, on that worker's loop (the
 * calling coroutine is suspended until the reply), and one synchronous
 * connection per plain thread. A refused or lost connection fails the
 * commands in flight with PT_MEMO_STORE_ERROR; while it is down, commands
 * fail at once with its reason and a timer on the worker's loop reconnects
 * in the background (100 ms, doubling to 2 s between attempts), so the
 * first command after Redis is back finds it made. A plain thread's next
 * command after the same backoff reconnects. See docs/memo.md.
 * Returns NULL (message in pt_memo_last_error) if url does not parse. */
pt_cache_store_t *pt_cache_store_redis_new(const char *url, const char *prefix);
pt_lock_store_t  *pt_lock_store_redis_new(const char *url, const char *prefix);

/* ---- cache --------------------------------------------------------------- */

typedef struct pt_cache pt_cache_t;

/* What a loader is given. */
typedef struct pt_cache_call {
    pt_cache_t   *cache;
    const char   *key;        /* the cache key (NUL-terminated) */
    size_t        key_len;
    const json_t *args;       /* the caller's positional arguments, or NULL */
    const json_t *kwargs;     /* the caller's named arguments, or NULL */
    void         *arg;        /* passed through from pt_cache_get_key/_ptr */
    void         *ud;         /* the cache's .ud */
    unsigned      attempt;    /* 0, then 1.. on retries */
    /* A failing loader may set this (a new reference; stolen): it is what
     * negative caching stores and what the caller gets back with
     * PT_MEMO_LOAD_FAILED. Default: {"error": "load failed"}. */
    json_t       *error;
} pt_cache_call_t;

/* Return the value (a new reference, stolen by the cache) or NULL on failure. */
typedef json_t *(*pt_cache_load_fn)(pt_cache_call_t *call);
/* Opaque values (in-process store only): return the value or NULL. */
typedef void *(*pt_cache_load_ptr_fn)(pt_cache_call_t *call);
/* Runs when a value leaves the cache for good (evicted, expired, replaced,
 * cleared, cache freed) — aquiche's exit stack: close a client, free a
 * handle. For JSON caches value is the json_t (the cache drops its reference
 * right after); for pointer caches it is the loaded pointer, once no caller
 * holds it any more. */
typedef void (*pt_cache_cleanup_fn)(void *value, void *ud);

/* maxsize meaning "no limit" */
#define PT_CACHE_UNBOUNDED SIZE_MAX

/* Options follow the pt_run convention: name the ones you set, and a field
 * left 0 (or NULL, false) means its documented default, applied inside
 * pt_cache_new_opts. */
typedef struct pt_cache_opts {
    const char           *name;        /* registers the cache (invalidation, lookup); unique */
    pt_cache_load_fn      load;        /* JSON values: exactly one of load, load_ptr */
    pt_cache_load_ptr_fn  load_ptr;    /* opaque values (in-process store only) */
    void                 *ud;          /* given to the loader, cleanup and expiry callbacks */
    bool                  disabled;    /* true calls the loader every time, caches nothing */

    /* Expiration: the first given of expiry_fn, expiration, ttl_ms. */
    int64_t               ttl_ms;      /* 0: never (default); negative is an error */
    const char           *expiration;  /* aquiche grammar: "10 minutes", "PT5M", "11:05Z" (daily), "$.token.exp" ... */
    pt_expiry_fn          expiry_fn;   /* decides from the loaded value */

    size_t                maxsize;     /* 0: 128 (default); PT_CACHE_UNBOUNDED: no limit; LRU eviction */
    int64_t               maxwait_ms;  /* 0: 1000 (default); PT_MEMO_NOWAIT: mandatory lock; PT_MEMO_FOREVER */
    int64_t               pulse_ms;    /* default 50: how often a shared-store lock is polled */

    bool                  negative;             /* cache failures too */
    const char           *negative_expiration;  /* default "10 seconds" */

    unsigned              retries;     /* extra attempts after a failure (default 0) */
    int64_t               backoff_ms;  /* attempt i waits backoff_ms * 2^i + jitter in [0, backoff_ms) */

    int64_t               remove_expired_every_ms; /* 0: never; checked on calls, as aquiche */

    const char           *key;         /* key template over the arguments (memo_key.h) */
    bool                  single_key;  /* every call shares one key (aquiche's Key.SINGLE_KEY) */

    pt_cache_cleanup_fn   cleanup;     /* see pt_cache_cleanup_fn */
    int64_t               cleanup_delay_ms; /* run cleanups this long after the value left */

    pt_cache_store_t     *store;       /* NULL: in-process (default); borrowed */
    pt_lock_store_t      *lock_store;  /* cross-process single-flight for .store; borrowed */
    int64_t               lock_lease_ms; /* 0: 60000 (default): a crashed loader's store lock lapses */
    bool                  own_stores;  /* pt_cache_free frees .store and .lock_store too */
} pt_cache_opts_t;

/* Creates a cache, or returns NULL (message in pt_memo_last_error, naming
 * the cache): no loader, a bad expiration string (quoted, with the forms
 * accepted), a negative ttl_ms, pulse_ms or lock_lease_ms, a maxwait_ms
 * below PT_MEMO_NOWAIT, a bad key template, a duplicate name, load_ptr with
 * a shared store. */
pt_cache_t *pt_cache_new_opts(const pt_cache_opts_t *opts);

/* Named options: pt_cache_new(.load = f, .ttl_ms = 60000). */
#define pt_cache_new(...) pt_cache_new_opts(&(const pt_cache_opts_t){ __VA_ARGS__ })
/* The seeds' localcache: the in-process store (same defaults). */
#define pt_localcache(...) pt_cache_new(__VA_ARGS__)

/* File-scope declaration, the decorator analog: declares
 * `static pt_cache_t *name`, created at load time and freed at exit. A bad
 * option is reported on stderr before main runs, naming the cache (.name,
 * else the variable), and the process exits with status 1.
 *     PT_LOCALCACHE(users, .load = load_user, .ttl_ms = 60000, .name = "users"); */
#define PT_LOCALCACHE(name_, ...)                                                  \
    static pt_cache_t *name_;                                                      \
    __attribute__((constructor)) static void pt__cache_init_##name_(void)          \
    {                                                                              \
        name_ = pt__cache_new_decl(&(const pt_cache_opts_t){ __VA_ARGS__ }, #name_); \
        pt__memo_check_init(name_);                                                \
    }                                                                              \
    __attribute__((destructor)) static void pt__cache_fini_##name_(void)           \
    {                                                                              \
        pt_cache_free(name_);                                                      \
        name_ = NULL;                                                              \
    }                                                                              \
    struct pt__cache_decl_##name_
#define PT_CACHE(name_, ...) PT_LOCALCACHE(name_, __VA_ARGS__)
/* For the declaration macros: label names the cache in messages when
 * .name is not given; a NULL made prints pt_memo_last_error and exits(1). */
pt_cache_t *pt__cache_new_decl(const pt_cache_opts_t *opts, const char *label);
void pt__memo_check_init(const void *made);

/* Unregisters, releases every value (cleanups run) and frees. No call may
 * be in progress. NULL is fine. */
void pt_cache_free(pt_cache_t *c);

/* Gets the value for (args, kwargs), loading it on a miss. The key is the
 * template's rendering, the single key, or pt_key_default(args, kwargs).
 * OK: *out is a new reference. LOAD_FAILED: *out is the error value (new
 * reference). Other errors: *out is NULL. */
pt_memo_err_t pt_cache_get(pt_cache_t *c, const json_t *args, const json_t *kwargs, json_t **out);
/* Same with a key you built (the hot path: no key rendering). arg is handed
 * to the loader as call->arg. */
pt_memo_err_t pt_cache_get_key(pt_cache_t *c, const char *key, void *arg, json_t **out);
pt_memo_err_t pt_cache_get_keyn(pt_cache_t *c, const char *key, size_t len, const json_t *args,
                                const json_t *kwargs, void *arg, json_t **out);

/* For request handlers: the value (new reference), or raises Stampede (409,
 * "409: Conflict") on a stampede and 500 on any other failure. */
json_t *pt_cache_get_or_raise(pt_cache_t *c, const json_t *args, const json_t *kwargs);
json_t *pt_cache_get_key_or_raise(pt_cache_t *c, const char *key, void *arg);

/* Opaque values (caches made with .load_ptr). The reference keeps the value
 * alive (and its cleanup pending) until released, even if it is evicted
 * meanwhile. */
typedef struct pt_cache_ref pt_cache_ref_t;
pt_memo_err_t pt_cache_get_ptr(pt_cache_t *c, const char *key, void *arg, pt_cache_ref_t **ref);
void         *pt_cache_ref_ptr(const pt_cache_ref_t *ref);
void          pt_cache_ref_release(pt_cache_ref_t *ref);

/* The key a call would use: malloc'd, or NULL with PT_MEMO_KEY_ERROR's
 * message in pt_memo_last_error. */
char *pt_cache_key(pt_cache_t *c, const json_t *args, const json_t *kwargs);

/* ---- stats, parameters, clearing ---------------------------------------- */

/* Every get counts once: a hit, or a miss (it loaded, waited for a load, or
 * the cache is disabled), so hits + misses is the number of gets that got
 * as far as the cache (a key that cannot be built is not counted). */
typedef struct pt_cache_info {
    uint64_t hits;
    uint64_t misses;
    uint64_t loads;                   /* loader calls (retries of one load count once) */
    uint64_t stampedes;               /* gets answered PT_MEMO_STAMPEDE */
    size_t   maxsize;                 /* in effect; PT_CACHE_UNBOUNDED = no limit */
    size_t   current_size;            /* cached values (loads in flight excluded) */
    int64_t  last_expiration_check_ms; /* epoch ms of the last expired-items sweep, 0 if none */
} pt_cache_info_t;

pt_cache_info_t        pt_cache_info(pt_cache_t *c);
/* The options in effect: as given, with every default applied (maxsize
 * 128, maxwait_ms 1000, ...); strings are owned by the cache. */
const pt_cache_opts_t *pt_cache_parameters(const pt_cache_t *c);
const char            *pt_cache_name(const pt_cache_t *c);

/* Drops every cached value (loads in flight finish and are cached) and
 * resets the hits and misses counters to 0. With a shared store that has
 * .clear, clears it too. */
pt_memo_err_t pt_cache_clear(pt_cache_t *c);
/* pt_cache_clear on every live cache, named or not (aquiche's clear_all). */
void          pt_cache_clear_all(void);
/* Drops expired values now; returns how many. */
size_t        pt_cache_remove_expired(pt_cache_t *c);
/* The cache registered under name, or NULL. */
pt_cache_t   *pt_cache_find(const char *name);

/* ---- invalidation -------------------------------------------------------- */

/* Holds the key's lock from begin to end, as the seed's invalidate(): the
 * cached value is removed at begin (waiting up to maxwait for a load in
 * flight, else PT_MEMO_STAMPEDE), and a miss on that key waits until end,
 * so nothing re-caches the item before the caller's change is committed.
 * Do not call the same cache's get for that key between begin and end
 * (it would wait for you). */
typedef struct pt_cache_invalidation {
    pt_cache_t *cache;
    void       *entry;
    char       *key;
    char        token[40];
    bool        store_locked;
    struct pt_cache_invalidation *guard; /* request cleanup's copy, if any */
} pt_cache_invalidation_t;

pt_memo_err_t pt_cache_invalidate_begin(pt_cache_t *c, const json_t *args, const json_t *kwargs,
                                        pt_cache_invalidation_t *inv);
pt_memo_err_t pt_cache_invalidate_key_begin(pt_cache_t *c, const char *key,
                                            pt_cache_invalidation_t *inv);
void          pt_cache_invalidate_end(pt_cache_invalidation_t *inv);
/* By registered name (PT_MEMO_NOT_FOUND if none); the arguments must be the
 * ones the cached calls pass, exactly, to hit the same key. */
pt_memo_err_t pt_invalidate_begin(const char *cache_name, const json_t *args, const json_t *kwargs,
                                  pt_cache_invalidation_t *inv);
/* Begin and end at once: drop the item now. */
pt_memo_err_t pt_cache_invalidate(pt_cache_t *c, const json_t *args, const json_t *kwargs);
pt_memo_err_t pt_cache_invalidate_key(pt_cache_t *c, const char *key);

/* The block runs with the key held; rc_var receives begin's result and the
 * block does not run unless it is PT_MEMO_OK. Every way out of the block
 * ends the invalidation: its end, `break`, `continue`, `return`, a `goto`
 * out of it (the guard is a cleanup-attributed variable), and, inside a
 * request, pt_raise (a request cleanup holds a copy). args and kwargs are
 * borrowed: the caller still owns them.
 *     json_t *args = json_pack("[i]", id);
 *     pt_memo_err_t rc;
 *     PT_INVALIDATE(rc, "users", args, NULL) { update_user(id); }
 *     json_decref(args); */
#define PT_INVALIDATE(rc_var, name, args, kwargs) PT__INVALIDATE(rc_var, name, args, kwargs, __COUNTER__)
#define PT__INVALIDATE(rc_var, name, args, kwargs, n) \
    PT__INVALIDATE_(rc_var, name, args, kwargs, PT__CAT(pt__inv_, n), PT__CAT(pt__inv_once_, n))
#define PT__INVALIDATE_(rc_var, name, args, kwargs, g, once)                                   \
    for (pt_cache_invalidation_t g __attribute__((cleanup(pt_cache_invalidate_end))) = { 0 }, \
                                 *once = ((rc_var) = PT_MEMO_OK, &g); /* rc set on every path */ \
         once && ((rc_var) = pt_invalidate_begin((name), (args), (kwargs), &g),                \
                  (rc_var) == PT_MEMO_OK);                                                     \
         once = NULL)
#define PT__CAT2(a, b) a##b           /* as in ponty/route.h (identical redefinition) */
#define PT__CAT(a, b) PT__CAT2(a, b)

/* ---- cleanups ------------------------------------------------------------ */

/* Delayed cleanups (.cleanup_delay_ms) run on a background thread. At
 * shutdown: wait for the pending ones, running them now rather than at
 * their time (timeout_ms < 0: no limit; returns how many are left), or
 * cancel them (they never run; returns how many were dropped). */
size_t pt_memo_cleanups_flush(int64_t timeout_ms);
size_t pt_memo_cleanups_cancel(void);
size_t pt_memo_cleanups_pending(void);

/* ---- keyed locks (the seeds' locallock and Lock) ------------------------- */

typedef struct pt_lock pt_lock_t;

/* Zero means the default, as for caches. */
typedef struct pt_lock_opts {
    const char            *name;          /* optional: names the lock in metrics (pt_lock_info) */
    int64_t                maxwait_ms;    /* 0 or PT_MEMO_NOWAIT (default): fail at once when held;
                                           * a positive wait; PT_MEMO_FOREVER */
    int64_t                pulse_ms;      /* 0: 100 (default): store polling period */
    const pt_error_kind_t *timeout_error; /* raised by *_or_raise: PT_LOCKED (default) or a kind derived from it */
    pt_lock_store_t       *store;         /* NULL: in-process only; borrowed */
    int64_t                lease_ms;      /* 0: 60000 (default): store lock expiry */
} pt_lock_opts_t;

/* NULL on bad options (timeout_error not a kind of PT_LOCKED, a maxwait
 * below PT_MEMO_NOWAIT, a negative pulse or lease), message in
 * pt_memo_last_error. */
pt_lock_t *pt_lock_new_opts(const pt_lock_opts_t *opts);
#define pt_lock_new(...) pt_lock_new_opts(&(const pt_lock_opts_t){ __VA_ARGS__ })
#define pt_locallock(...) pt_lock_new(__VA_ARGS__)
/* File-scope `static pt_lock_t *name`, created at load time; a bad option is
 * reported before main, naming the variable, and exits with status 1. */
#define PT_LOCALLOCK(name_, ...)                                                   \
    static pt_lock_t *name_;                                                       \
    __attribute__((constructor)) static void pt__lock_init_##name_(void)           \
    {                                                                              \
        name_ = pt__lock_new_decl(&(const pt_lock_opts_t){ __VA_ARGS__ }, #name_); \
        pt__memo_check_init(name_);                                                \
    }                                                                              \
    struct pt__lock_decl_##name_
pt_lock_t *pt__lock_new_decl(const pt_lock_opts_t *opts, const char *label);

/* No lock may be held or waited for. */
void pt_lock_free(pt_lock_t *l);

/* Counts since the lock was made: acquisitions, acquisitions that had to
 * wait for a holder, and waits that ended in PT_MEMO_LOCKED. */
typedef struct pt_lock_info {
    uint64_t acquired;
    uint64_t waited;
    uint64_t timeouts;
} pt_lock_info_t;
pt_lock_info_t pt_lock_info(const pt_lock_t *l);
const char    *pt_lock_name(const pt_lock_t *l);  /* NULL when unnamed */

typedef struct pt_lock_guard {
    pt_lock_t *lock;
    void      *entry;
    char      *key;
    char       token[40];
    bool       held;
    bool       store_held;
    struct pt_lock_guard *armed; /* the request cleanup's copy, if any */
} pt_lock_guard_t;

/* Takes the lock on key, waiting up to the lock's maxwait (FIFO among this process's
 * waiters, woken by the releaser; a store is polled every pulse).
 * OK, PT_MEMO_LOCKED on timeout, PT_MEMO_STORE_ERROR. Inside a request the
 * lock is also released when the request ends (after a pt_raise too): a
 * guard taken in a request must not outlive it. */
pt_memo_err_t pt_lock_acquire(pt_lock_t *l, const char *key, pt_lock_guard_t *g);
/* Same with this call's own maxwait: milliseconds (0 tries once, as does
 * PT_MEMO_NOWAIT) or PT_MEMO_FOREVER. */
pt_memo_err_t pt_lock_acquire_for(pt_lock_t *l, const char *key, int64_t maxwait_ms,
                                  pt_lock_guard_t *g);
/* Releases (no-op if not held). */
void          pt_lock_release(pt_lock_guard_t *g);
/* For handlers: the guard lives in the request arena and is released when
 * the request ends if not before; raises the lock's timeout_error (409
 * "409: Conflict") or 500 on a store error. */
pt_lock_guard_t *pt_lock_hold(pt_lock_t *l, const char *key);
/* True while some holder has key in this process (or in the store). */
bool          pt_lock_is_held(pt_lock_t *l, const char *key);
const pt_error_kind_t *pt_lock_timeout_error(const pt_lock_t *l);

/* The block runs holding key; rc_var receives the acquire's result and the
 * block does not run unless it is PT_MEMO_OK. Every way out of the block
 * releases the lock: its end, `break`, `continue`, `return`, a `goto` out
 * of it, and, inside a request, pt_raise.
 *     pt_memo_err_t rc;
 *     PT_WITH_LOCK(rc, accounts, "alice") { move_money(); }
 *     if (rc != PT_MEMO_OK) ... */
#define PT_WITH_LOCK(rc_var, lock, key) PT__WITH_LOCK(rc_var, lock, key, __COUNTER__)
#define PT__WITH_LOCK(rc_var, lock, key, n) \
    PT__WITH_LOCK_(rc_var, lock, key, PT__CAT(pt__lock_, n), PT__CAT(pt__lock_once_, n))
#define PT__WITH_LOCK_(rc_var, lock, key, g, once)                                           \
    for (pt_lock_guard_t g __attribute__((cleanup(pt_lock_release))) = { 0 },               \
                         *once = ((rc_var) = PT_MEMO_OK, &g); /* rc set on every path */        \
         once && ((rc_var) = pt_lock_acquire((lock), (key), &g), (rc_var) == PT_MEMO_OK);    \
         once = NULL)

/* ---- for store implementers ---------------------------------------------- */

/* Sets the calling thread's pt_memo_last_error (printf-style). */
void pt_memo_set_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#ifdef __cplusplus
}
#endif

#endif /* PONTY_MEMO_H */
