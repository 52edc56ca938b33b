/* The cache: creation, the hit path, single-flight loads, retries,
 * expiration and the shared-store path. See include/ponty/memo.h. */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "memo/cache.h"
#include "core/context.h"
#include "core/sched.h"
#include "ponty/request.h"
#include "ponty/sync.h"

#define KEYBUF 256

/* ---- creation ---------------------------------------------------------- */

static char *dup_or_null(const char *s) { return s ? strdup(s) : NULL; }

static void cache_destroy(pt_cache_t *c)
{
    if (c->shards) {
        for (unsigned i = 0; i < c->nshards; i++)
            if (c->shards[i].tab.buckets)
                pt__tab_destroy(&c->shards[i]);
        free(c->shards);
    }
    pt_key_template_free(c->tmpl);
    free(c->name);
    free(c->expiration);
    free(c->negative_expiration);
    free(c->key_src);
    free(c);
}

/* "cache 'users'" or, for a cache with no name, "cache". */
static void cache_fail(const char *who, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void cache_fail(const char *who, const char *fmt, ...)
{
    char msg[768];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (who)
        pt_memo_set_error("cache '%s': %s", who, msg);
    else
        pt_memo_set_error("cache: %s", msg);
}

/* Parses one of the expiration options; on failure the message quotes the
 * value, keeps the parser's reason when it has one ("duration out of
 * range") and lists the accepted forms. */
static int parse_expiration(const char *who, const char *option, const char *src, int64_t now,
                            pt_expiry_t *out)
{
    char err[256];
    if (pt_expiry_parse(src, now, out, err, sizeof err) == 0)
        return 0;
    size_t n = strlen(err);
    const char *why = NULL;
    if (n > 0 && err[n - 1] != '\'') {
        /* "invalid expiration '<src>': <why>" */
        for (const char *p = err; (p = strstr(p, "': ")); p++)
            why = p + 3;
    }
    cache_fail(who, "bad %s '%.200s'%s: %s%s" PT_EXPIRY_EXPECTED, option, src,
               strlen(src) > 200 ? "..." : "", why ? why : "", why ? "; " : "");
    return -1;
}

/* Creates the cache; label names it in messages when .name is not given
 * (the variable of a PT_LOCALCACHE declaration). */
static pt_cache_t *cache_create(const pt_cache_opts_t *opts, const char *label)
{
    char err[256];
    pt_cache_t *c = NULL;
    const char *who = opts && opts->name && *opts->name ? opts->name : label;
    if (!opts) {
        cache_fail(who, "no options");
        return NULL;
    }
    if (!opts->load == !opts->load_ptr) {
        cache_fail(who, "give exactly one of .load and .load_ptr");
        goto fail;
    }
    if (opts->load_ptr && opts->store) {
        cache_fail(who, "pointer values (.load_ptr) cannot go to a shared store");
        goto fail;
    }
    if (opts->ttl_ms < 0) {
        cache_fail(who, "bad ttl_ms %lld: expected milliseconds > 0, or 0 for never",
                   (long long)opts->ttl_ms);
        goto fail;
    }
    if (opts->maxwait_ms < PT_MEMO_NOWAIT) {
        cache_fail(who, "bad maxwait_ms %lld: expected milliseconds > 0, 0 for the default "
                        "(1000), PT_MEMO_NOWAIT or PT_MEMO_FOREVER", (long long)opts->maxwait_ms);
        goto fail;
    }
    if (opts->pulse_ms < 0 || opts->lock_lease_ms < 0) {
        cache_fail(who, "bad %s %lld: expected milliseconds > 0, or 0 for the default",
                   opts->pulse_ms < 0 ? "pulse_ms" : "lock_lease_ms",
                   (long long)(opts->pulse_ms < 0 ? opts->pulse_ms : opts->lock_lease_ms));
        goto fail;
    }
    c = aligned_alloc(64, sizeof *c); /* sizeof is a multiple of 64 (the counters' line) */
    if (!c) {
        cache_fail(who, "out of memory");
        goto fail;
    }
    memset(c, 0, sizeof *c);
    /* Zero means the documented default: c->o holds the options in effect. */
    c->o = *opts;
    c->ptr_mode = opts->load_ptr != NULL;
    c->o.name = c->name = dup_or_null(opts->name && *opts->name ? opts->name : NULL);
    c->o.expiration = c->expiration = dup_or_null(opts->expiration);
    c->o.negative_expiration = c->negative_expiration =
        strdup(opts->negative_expiration ? opts->negative_expiration : "10 seconds");
    c->o.key = c->key_src = dup_or_null(opts->key);
    if (c->o.maxsize == 0)
        c->o.maxsize = 128;
    if (c->o.maxwait_ms == 0)
        c->o.maxwait_ms = 1000;
    if (c->o.pulse_ms == 0)
        c->o.pulse_ms = 50;
    if (c->o.lock_lease_ms == 0)
        c->o.lock_lease_ms = 60000;

    int64_t now = pt__memo_now_ms();
    if (opts->expiry_fn) {
        c->expiry = pt_expiry_callback(opts->expiry_fn, opts->ud);
    } else if (c->expiration) {
        /* the pointer form borrows from c->expiration, which we keep */
        if (parse_expiration(who, "expiration", c->expiration, now, &c->expiry) != 0)
            goto fail;
    } else if (opts->ttl_ms > 0) {
        c->expiry = pt_expiry_ttl_ms(opts->ttl_ms, now);
    } else {
        c->expiry = pt_expiry_never();
    }
    if (parse_expiration(who, "negative_expiration", c->negative_expiration, now,
                         &c->neg_expiry) != 0)
        goto fail;
    if (c->key_src && !opts->single_key) {
        c->tmpl = pt_key_template_compile(c->key_src, err, sizeof err);
        if (!c->tmpl) {
            cache_fail(who, "%s", err);
            goto fail;
        }
    }

    /* Small caches get one shard; big ones spread out so that hits on
     * different keys rarely share a lock (maxsize stays a global bound). */
    c->bounded = c->o.maxsize != PT_CACHE_UNBOUNDED;
    unsigned n = 1;
    while (n < 64 && (size_t)n * 2 * 512 <= c->o.maxsize)
        n *= 2;
    c->nshards = n;
    c->mask = n - 1;
    c->stamped = c->bounded && n > 1;
    c->shards = aligned_alloc(64, sizeof(shard_t) * n);
    if (!c->shards) {
        cache_fail(who, "out of memory");
        goto fail;
    }
    memset(c->shards, 0, sizeof(shard_t) * n);
    for (unsigned i = 0; i < n; i++)
        if (pt__tab_init(&c->shards[i], c) != 0) {
            cache_fail(who, "out of memory");
            goto fail;
        }
    c->seed = pt__memo_random();
    if (c->o.remove_expired_every_ms > 0)
        atomic_store(&c->next_sweep_ms, now + c->o.remove_expired_every_ms);
    if (pt__memo_registry_add(c, c->name) != 0) {
        pt_memo_set_error("cache name '%s' is already registered", c->name);
        goto fail;
    }
    return c;
fail:
    if (opts->own_stores) { /* ownership passed to us, even on failure */
        pt_cache_store_free(opts->store);
        pt_lock_store_free(opts->lock_store);
    }
    if (c)
        cache_destroy(c);
    return NULL;
}

pt_cache_t *pt_cache_new_opts(const pt_cache_opts_t *opts) { return cache_create(opts, NULL); }

pt_cache_t *pt__cache_new_decl(const pt_cache_opts_t *opts, const char *label)
{
    return cache_create(opts, label);
}

void pt_cache_free(pt_cache_t *c)
{
    if (!c)
        return;
    pt__memo_registry_remove(c);
    for (unsigned i = 0; i < c->nshards; i++) {
        shard_t *s = &c->shards[i];
        pt__entries_free((entry_t *)pt__keytab_take_all(&s->tab));
    }
    if (c->o.own_stores) {
        pt_cache_store_free(c->o.store);
        pt_lock_store_free(c->o.lock_store);
    }
    cache_destroy(c);
}

const pt_cache_opts_t *pt_cache_parameters(const pt_cache_t *c) { return &c->o; }
const char *pt_cache_name(const pt_cache_t *c) { return c->name ? c->name : ""; }

/* ---- keys ---------------------------------------------------------------- */

/* Renders the call's key into buf, or into *heap when it does not fit. */
static ptrdiff_t build_key(pt_cache_t *c, const json_t *args, const json_t *kwargs, char *buf,
                           size_t cap, char **heap)
{
    char err[256];
    ptrdiff_t n;
    *heap = NULL;
    if (c->o.single_key) {
        buf[0] = 0;
        return 0;
    }
    if (c->tmpl)
        n = pt_key_template_render(c->tmpl, args, kwargs, buf, cap, err, sizeof err);
    else
        n = pt_key_default(args, kwargs, buf, cap, err, sizeof err);
    if (n < 0) {
        pt_memo_set_error("%s", err);
        return -1;
    }
    if ((size_t)n >= cap) {
        *heap = c->tmpl ? pt_key_template_render_dup(c->tmpl, args, kwargs, err, sizeof err)
                        : pt_key_default_dup(args, kwargs, err, sizeof err);
        if (!*heap) {
            pt_memo_set_error("%s", err);
            return -1;
        }
    }
    return n;
}

char *pt_cache_key(pt_cache_t *c, const json_t *args, const json_t *kwargs)
{
    char buf[KEYBUF], *heap;
    ptrdiff_t n = build_key(c, args, kwargs, buf, sizeof buf, &heap);
    if (n < 0)
        return NULL;
    return heap ? heap : strndup(buf, (size_t)n);
}

/* ---- results ------------------------------------------------------------- */

/* Hands the caller its share of a value: the json (new ref) or a held reference. */
static void give_ref(pt_cache_t *c, pt_cache_ref_t *b, result_t *r)
{
    r->rc = b->is_error ? PT_MEMO_LOAD_FAILED : PT_MEMO_OK;
    if (c->ptr_mode && !b->is_error) {
        pt__cache_ref_hold(b);
        r->vref = b;
        r->json = NULL;
    } else {
        r->json = json_incref(b->json);
        r->vref = NULL;
    }
}

static void copy_result(const result_t *from, result_t *to)
{
    to->rc = from->rc;
    to->json = json_incref(from->json);
    to->vref = from->vref;
    if (to->vref)
        pt__cache_ref_hold(to->vref);
}

static void drop_result(result_t *r)
{
    json_decref(r->json);
    if (r->vref)
        pt__cache_ref_unref(r->vref);
    r->json = NULL;
    r->vref = NULL;
}

void pt__flight_wake_all(pt_cache_t *c, entry_t *e, const result_t *res)
{
    (void)c;
    pt__waiter_t *w;
    while ((w = pt__waitq_pop(&e->waiters))) {
        flight_waiter_t *fw = (flight_waiter_t *)w;
        copy_result(res, &fw->res);
        w->signaled = true;
        pt__waiter_wake(w);
    }
}

int pt__flight_wait(pt_cache_t *c, shard_t *s, entry_t *e, int64_t *deadline, const char *key, const char *busy,
                    result_t *out)
{
    if (c->o.maxwait_ms == PT_MEMO_NOWAIT) {
        pthread_mutex_unlock(&s->lk);
        pt_memo_set_error("stampede: key '%.200s' %s", key, busy);
        *out = (result_t){ .rc = PT_MEMO_STAMPEDE };
        return PT_MEMO_STAMPEDE;
    }
    if (*deadline == PT__DEADLINE_UNSET)
        *deadline = pt__deadline_after(c->o.maxwait_ms);
    flight_waiter_t fw;
    pt__waiter_init(&fw.w);
    fw.res = (result_t){ .rc = PT_MEMO_STAMPEDE };
    /* e stays alive while we are queued: the loader frees it only after
     * waking its waiters. */
    if (!pt__wait_on(&e->waiters, &s->lk, &fw.w, *deadline)) {
        pt_memo_set_error("stampede: maxwait passed while another caller loads the key");
        *out = (result_t){ .rc = PT_MEMO_STAMPEDE };
        return PT_MEMO_STAMPEDE;
    }
    *out = fw.res;
    return out->rc;
}

/* ---- loading --------------------------------------------------------------- */

typedef struct call_ctx {
    const char   *key;
    size_t        len;
    const json_t *args, *kwargs;
    void         *arg;
} call_ctx_t;

/* Runs the loader with retries. On success r->json or r->vref holds the
 * value (vref not yet shared); on failure r->json is the error. *fetched_ms
 * is when the last attempt finished. */
static void run_loader(pt_cache_t *c, const call_ctx_t *x, result_t *r, int64_t *fetched_ms)
{
    *r = (result_t){ 0 };
    atomic_fetch_add_explicit(&c->loads, 1, memory_order_relaxed);
    for (unsigned attempt = 0;; attempt++) {
        pt_cache_call_t call = {
            .cache = c, .key = x->key, .key_len = x->len, .args = x->args,
            .kwargs = x->kwargs, .arg = x->arg, .ud = c->o.ud, .attempt = attempt,
        };
        json_t *json = NULL;
        void *ptr = NULL;
        if (c->ptr_mode)
            ptr = c->o.load_ptr(&call);
        else
            json = c->o.load(&call);
        *fetched_ms = pt__memo_now_ms();
        if (json || ptr) {
            json_decref(call.error);
            json_decref(r->json);
            r->rc = PT_MEMO_OK;
            r->json = json;
            r->vref = ptr ? pt__cache_ref_new(c, NULL, ptr, false, *fetched_ms) : NULL;
            if (ptr && !r->vref) { /* out of memory: the value is lost */
                if (c->o.cleanup)
                    c->o.cleanup(ptr, c->o.ud);
                r->rc = PT_MEMO_LOAD_FAILED;
                r->json = json_pack("{s:s}", "error", "out of memory");
            }
            return;
        }
        json_decref(r->json);
        r->rc = PT_MEMO_LOAD_FAILED;
        r->json = call.error ? call.error : json_pack("{s:s}", "error", "load failed");
        if (attempt >= c->o.retries)
            break;
        /* aquiche: backoff * 2^i plus jitter. Its jitter is up to a second;
         * ours is up to one backoff, so short backoffs stay short. */
        int64_t b = c->o.backoff_ms > 0 ? c->o.backoff_ms : 0;
        int64_t wait = (attempt < 30 ? b << attempt : b << 30);
        if (b > 0)
            wait += (int64_t)(pt__memo_random() % (uint64_t)b);
        if (wait > 0)
            pt_sleep_ms(wait);
    }
    pt_memo_set_error("load failed for key '%.200s'", x->key);
}

/* When the loaded value (or error) expires; PT_EXPIRY_ALWAYS_MS means do not
 * cache it. A bad expiration (pointer to a missing field...) is reported
 * and the value is served but not cached. */
static int64_t expiry_of(pt_cache_t *c, const result_t *r, int64_t fetched_ms)
{
    char err[256];
    int64_t at;
    bool is_error = r->rc != PT_MEMO_OK;
    const pt_expiry_t *e = is_error ? &c->neg_expiry : &c->expiry;
    if (e->kind == PT_EXPIRY_NEVER)
        return PT_EXPIRY_NEVER_MS;
    if (pt_expiry_resolve(e, r->json, fetched_ms, is_error, pt__memo_now_ms(), &at, err,
                          sizeof err) != 0) {
        pt_memo_set_error("cache '%s': %s", pt_cache_name(c), err);
        return PT_EXPIRY_ALWAYS_MS;
    }
    return at;
}

/* A loader inside a request may raise (pt_raise never returns). Then the
 * flight must not stay "loading" forever: a request cleanup, armed for the
 * load's duration, fails the flight, wakes its waiters and frees the key. */
typedef struct flight_guard {
    pt_cache_t *c;
    shard_t    *s;
    entry_t    *e;
    bool        done;
} flight_guard_t;

static void flight_abandoned(void *arg)
{
    flight_guard_t *g = arg;
    if (g->done)
        return;
    result_t r = { .rc = PT_MEMO_LOAD_FAILED, .json = json_pack("{s:s}", "error", "loader raised") };
    pthread_mutex_lock(&g->s->lk);
    pt__flight_wake_all(g->c, g->e, &r);
    pt__tab_unlink(g->s, g->e);
    pthread_mutex_unlock(&g->s->lk);
    g->e->node.hnext = NULL;
    pt__entries_free(g->e);
    drop_result(&r);
}

/* Loads as the key's single flight (e is our LOADING entry in s), caches,
 * wakes the waiters, and returns the result to our caller. */
static int lead_local(pt_cache_t *c, shard_t *s, entry_t *e, const call_ctx_t *x, result_t *out)
{
    result_t r;
    int64_t fetched;
    flight_guard_t *guard = NULL;
    pt_arena_t *arena = pt__task_arena();
    if (arena) {
        guard = pt_arena_alloc(arena, sizeof *guard);
        *guard = (flight_guard_t){ c, s, e, false };
        pt_arena_defer(arena, flight_abandoned, guard);
    }
    run_loader(c, x, &r, &fetched);
    if (guard)
        guard->done = true;
    bool ok = r.rc == PT_MEMO_OK;
    int64_t at = (ok || c->o.negative) ? expiry_of(c, &r, fetched) : PT_EXPIRY_ALWAYS_MS;
    bool keep = (ok || c->o.negative) && at != PT_EXPIRY_ALWAYS_MS && at > pt__memo_now_ms();

    pt_cache_ref_t *vref = r.vref;
    if (keep && !vref) {
        vref = pt__cache_ref_new(c, json_incref(r.json), NULL, !ok, fetched);
        if (!vref) {
            json_decref(r.json);
            keep = false;
        }
    }
    entry_t *dead = NULL;
    pthread_mutex_lock(&s->lk);
    pt__flight_wake_all(c, e, &r);
    if (keep) {
        e->vref = vref;
        if (r.vref)
            pt__cache_ref_hold(vref); /* the cache's hold; r keeps the caller's */
        e->expires_ms = at;
        pt__ready_add(s, e);
    } else {
        pt__tab_unlink(s, e);
        pt__entry_chain(&dead, e);
    }
    pthread_mutex_unlock(&s->lk);
    pt__entries_free(dead);
    if (keep)
        pt__cache_evict_over(c);
    *out = r;
    return r.rc;
}

/* ---- the shared-store path ------------------------------------------------ */

static bool item_fresh(const pt_cache_item_t *it)
{
    return it->expires_ms == PT_EXPIRY_NEVER_MS || pt__memo_now_ms() < it->expires_ms;
}

typedef struct {
    pt_cache_t      *c;
    const char      *key;
    size_t           len;
    pt_cache_item_t *found;
} value_appears_t;

/* Between store-lock tries: a fresh value in the store ends the wait. */
static int value_appears(void *arg)
{
    value_appears_t *v = arg;
    pt_cache_item_t it = { 0 };
    int g = v->c->o.store->ops->get(v->c->o.store, v->key, v->len, &it);
    if (g < 0)
        return PT__POLL_ERROR;
    if (g == 1 && item_fresh(&it)) {
        *v->found = it;
        return PT__POLL_ENDED;
    }
    if (g == 1)
        json_decref(it.value);
    return 0;
}

/* Takes the shared store's lock for key, trying every pulse until deadline.
 * With `found`, a fresh value that appears in the store meanwhile ends the
 * wait. Returns 0: locked; 1: *found holds the value; -PT_MEMO_STORE_ERROR
 * or -PT_MEMO_STAMPEDE (deadline passed). */
int pt__cache_store_lock(pt_cache_t *c, const char *key, size_t len, const char *token,
                        int64_t deadline, pt_cache_item_t *found)
{
    value_appears_t v = { c, key, len, found };
    int r = pt__store_lock_poll(c->o.lock_store, key, len, token, c->o.lock_lease_ms, c->o.pulse_ms, deadline,
                                found ? value_appears : NULL, &v);
    switch (r) {
    case PT__POLL_LOCKED: return 0;
    case PT__POLL_ENDED: return 1;
    case PT__POLL_TIMEOUT:
        pt_memo_set_error("stampede: key '%.200s' is locked in the shared store", key);
        return -PT_MEMO_STAMPEDE;
    default: return -PT_MEMO_STORE_ERROR;
    }
}

/* The absolute deadline (pt_now_mono_ms) of a wait of maxwait_ms: -1 for
 * PT_MEMO_FOREVER; for PT_MEMO_NOWAIT already passed, so a wait tries once. */
static int64_t wait_deadline(int64_t maxwait_ms)
{
    if (maxwait_ms == PT_MEMO_FOREVER)
        return -1;
    return pt_now_mono_ms() + (maxwait_ms > 0 ? maxwait_ms : 0);
}

int64_t pt__cache_wait_deadline(int64_t maxwait_ms) { return wait_deadline(maxwait_ms); }

static int lead_shared(pt_cache_t *c, const call_ctx_t *x, result_t *r)
{
    pt_cache_store_t *st = c->o.store;
    char token[33];
    bool locked = false;
    pt_cache_item_t it = { 0 };
    *r = (result_t){ 0 };
    if (c->o.lock_store) {
        int64_t deadline = wait_deadline(c->o.maxwait_ms);
        pt__memo_token(token);
        int l = pt__cache_store_lock(c, x->key, x->len, token, deadline, &it);
        if (l < 0) {
            r->rc = -l;
            return r->rc;
        }
        if (l == 1)
            goto found; /* another process loaded it while we polled */
        locked = true;
    }
    /* Double check under the lock: the holder before us may have stored it. */
    int g = st->ops->get(st, x->key, x->len, &it);
    if (g < 0) {
        r->rc = PT_MEMO_STORE_ERROR;
        goto out;
    }
    if (g == 1 && item_fresh(&it))
        goto found;
    if (g == 1)
        json_decref(it.value);

    int64_t fetched;
    run_loader(c, x, r, &fetched);
    bool ok = r->rc == PT_MEMO_OK;
    if (ok || c->o.negative) {
        int64_t at = expiry_of(c, r, fetched);
        if (at != PT_EXPIRY_ALWAYS_MS && at > pt__memo_now_ms()) {
            pt_cache_item_t put = { .value = r->json, .is_error = !ok, .fetched_ms = fetched,
                                    .expires_ms = at };
            if (st->ops->set(st, x->key, x->len, &put) != 0) {
                /* The value is good; only sharing it failed. Serve it. */
            }
        }
    }
    goto out;
found:
    r->rc = it.is_error ? PT_MEMO_LOAD_FAILED : PT_MEMO_OK;
    r->json = it.value;
out:
    if (locked)
        c->o.lock_store->ops->remove(c->o.lock_store, x->key, x->len, token);
    return r->rc;
}

/* ---- get ------------------------------------------------------------------ */

static void maybe_sweep(pt_cache_t *c)
{
    int64_t next = atomic_load_explicit(&c->next_sweep_ms, memory_order_relaxed);
    if (!next)
        return;
    int64_t now = pt__memo_now_ms();
    if (now < next)
        return;
    if (atomic_compare_exchange_strong(&c->next_sweep_ms, &next, now + c->o.remove_expired_every_ms))
        pt_cache_remove_expired(c);
}

static int get_disabled(pt_cache_t *c, const call_ctx_t *x, result_t *r)
{
    int64_t fetched;
    atomic_fetch_add_explicit(&c->shared_misses, 1, memory_order_relaxed);
    run_loader(c, x, r, &fetched);
    return r->rc;
}

static int get_shared(pt_cache_t *c, uint64_t h, const call_ctx_t *x, result_t *r)
{
    pt_cache_store_t *st = c->o.store;
    pt_cache_item_t it = { 0 };
    int g = st->ops->get(st, x->key, x->len, &it);
    if (g < 0) {
        *r = (result_t){ .rc = PT_MEMO_STORE_ERROR };
        return r->rc;
    }
    if (g == 1 && item_fresh(&it)) {
        atomic_fetch_add_explicit(&c->shared_hits, 1, memory_order_relaxed);
        *r = (result_t){ .rc = it.is_error ? PT_MEMO_LOAD_FAILED : PT_MEMO_OK, .json = it.value };
        return r->rc;
    }
    if (g == 1)
        json_decref(it.value);
    atomic_fetch_add_explicit(&c->shared_misses, 1, memory_order_relaxed);

    /* In-process single flight first: one process sends one load (and one
     * lock poller) to the store per key, however many of its callers miss. */
    shard_t *s = pt__shard_of(c, h);
    int64_t deadline = PT__DEADLINE_UNSET;
    for (;;) {
        pthread_mutex_lock(&s->lk);
        entry_t *e = pt__tab_find(s, h, x->key, x->len);
        if (e) {
            if (pt__flight_wait(c, s, e, &deadline, x->key, "is being loaded", r) == RC_RETRY)
                continue;
            return r->rc;
        }
        e = pt__tab_insert(s, h, x->key, x->len);
        pthread_mutex_unlock(&s->lk);
        if (!e) {
            *r = (result_t){ .rc = PT_MEMO_NO_MEMORY };
            pt_memo_set_error("cache: out of memory");
            return r->rc;
        }
        lead_shared(c, x, r);
        pthread_mutex_lock(&s->lk);
        pt__flight_wake_all(c, e, r);
        pt__tab_unlink(s, e);
        pthread_mutex_unlock(&s->lk);
        free(e);
        return r->rc;
    }
}

static int get_local(pt_cache_t *c, uint64_t h, const call_ctx_t *x, result_t *r)
{
    shard_t *s = pt__shard_of(c, h);
    int64_t deadline = PT__DEADLINE_UNSET;
    /* A get that waits and looks again (an invalidation ended) is still one
     * get: it counts one miss, once. */
    uint64_t miss = 1;
    for (;;) {
        pthread_mutex_lock(&s->lk);
        entry_t *e = pt__tab_find(s, h, x->key, x->len);
        if (e && e->state == E_READY) {
            /* The hit: no clock read for values that never expire. */
            if (e->expires_ms == PT_EXPIRY_NEVER_MS || pt__memo_now_ms() < e->expires_ms) {
                if (miss)
                    s->hits++;
                if (c->bounded)
                    pt__lru_touch(s, e);
                give_ref(c, e->vref, r);
                pthread_mutex_unlock(&s->lk);
                return r->rc;
            }
            /* Expired: this call reloads it; the stale value goes now. */
            pt_cache_ref_t *old = e->vref;
            pt__ready_remove(s, e);
            e->vref = NULL;
            s->misses += miss;
            pthread_mutex_unlock(&s->lk);
            pt__cache_ref_unref(old);
            return lead_local(c, s, e, x, r);
        }
        if (e) {
            s->misses += miss;
            miss = 0;
            if (pt__flight_wait(c, s, e, &deadline, x->key, "is being loaded", r) == RC_RETRY)
                continue;
            return r->rc;
        }
        e = pt__tab_insert(s, h, x->key, x->len);
        if (!e) {
            pthread_mutex_unlock(&s->lk);
            pt_memo_set_error("cache: out of memory");
            *r = (result_t){ .rc = PT_MEMO_NO_MEMORY };
            return r->rc;
        }
        s->misses += miss;
        pthread_mutex_unlock(&s->lk);
        return lead_local(c, s, e, x, r);
    }
}

static int get_any(pt_cache_t *c, const call_ctx_t *x, result_t *r)
{
    if (c->o.disabled)
        return get_disabled(c, x, r);
    if (c->o.remove_expired_every_ms > 0)
        maybe_sweep(c);
    uint64_t h = pt_key_hash(x->key, x->len, c->seed);
    int rc = c->o.store ? get_shared(c, h, x, r) : get_local(c, h, x, r);
    if (rc == PT_MEMO_STAMPEDE)
        atomic_fetch_add_explicit(&c->stampedes, 1, memory_order_relaxed);
    return rc;
}

pt_memo_err_t pt_cache_get_keyn(pt_cache_t *c, const char *key, size_t len, const json_t *args,
                                const json_t *kwargs, void *arg, json_t **out)
{
    *out = NULL;
    if (c->ptr_mode) {
        pt_memo_set_error("cache '%s' holds pointers: use pt_cache_get_ptr", pt_cache_name(c));
        return PT_MEMO_INVALID;
    }
    call_ctx_t x = { key, len, args, kwargs, arg };
    result_t r;
    get_any(c, &x, &r);
    *out = r.json;
    return (pt_memo_err_t)r.rc;
}

pt_memo_err_t pt_cache_get_key(pt_cache_t *c, const char *key, void *arg, json_t **out)
{
    return pt_cache_get_keyn(c, key, strlen(key), NULL, NULL, arg, out);
}

pt_memo_err_t pt_cache_get(pt_cache_t *c, const json_t *args, const json_t *kwargs, json_t **out)
{
    char buf[KEYBUF], *heap;
    *out = NULL;
    ptrdiff_t n = build_key(c, args, kwargs, buf, sizeof buf, &heap);
    if (n < 0)
        return PT_MEMO_KEY_ERROR;
    pt_memo_err_t rc = pt_cache_get_keyn(c, heap ? heap : buf, (size_t)n, args, kwargs, NULL, out);
    free(heap);
    return rc;
}

json_t *pt_cache_get_or_raise(pt_cache_t *c, const json_t *args, const json_t *kwargs)
{
    char buf[KEYBUF], *heap;
    ptrdiff_t n = build_key(c, args, kwargs, buf, sizeof buf, &heap);
    if (n < 0)
        pt__memo_raise(PT_MEMO_KEY_ERROR, PT_STAMPEDE, NULL);
    /* The key goes to the arena before the lookup, so that a stampede's
     * 409 can name it without leaking heap on the unwind. */
    pt_arena_t *arena = pt__task_arena();
    char *key = arena ? pt_arena_alloc(arena, (size_t)n + 1) : NULL;
    if (key) {
        memcpy(key, heap ? heap : buf, (size_t)n);
        key[n] = '\0';
    }
    json_t *v;
    pt_memo_err_t rc = pt_cache_get_keyn(c, heap ? heap : buf, (size_t)n, args, kwargs, NULL, &v);
    free(heap);
    if (rc == PT_MEMO_OK)
        return v;
    json_decref(v);
    pt__memo_raise(rc, PT_STAMPEDE, key);
}

json_t *pt_cache_get_key_or_raise(pt_cache_t *c, const char *key, void *arg)
{
    json_t *v;
    pt_memo_err_t rc = pt_cache_get_key(c, key, arg, &v);
    if (rc == PT_MEMO_OK)
        return v;
    json_decref(v);
    pt__memo_raise(rc, PT_STAMPEDE, key);
}

pt_memo_err_t pt_cache_get_ptr(pt_cache_t *c, const char *key, void *arg, pt_cache_ref_t **ref)
{
    *ref = NULL;
    if (!c->ptr_mode) {
        pt_memo_set_error("cache '%s' holds JSON values: use pt_cache_get", pt_cache_name(c));
        return PT_MEMO_INVALID;
    }
    call_ctx_t x = { key, strlen(key), NULL, NULL, arg };
    result_t r;
    get_any(c, &x, &r);
    json_decref(r.json); /* the error value, if any */
    *ref = r.vref;
    return (pt_memo_err_t)r.rc;
}

void *pt_cache_ref_ptr(const pt_cache_ref_t *ref) { return ref ? ref->ptr : NULL; }

void pt_cache_ref_release(pt_cache_ref_t *ref)
{
    if (ref)
        pt__cache_ref_unref(ref);
}

/* used by cache_admin.c */
void pt__cache_drop_result(result_t *r);
void pt__cache_drop_result(result_t *r) { drop_result(r); }
