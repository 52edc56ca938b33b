/* Background-refresh cache: see include/ponty/resilience.h.
 *
 * One hash table of entries under one mutex; loaders always run outside it.
 * An entry's `epoch` changes when it is invalidated or cleared, so a load
 * that started before that delivers its result to whoever waits for it but
 * does not store it. Entries are only freed when nothing is loading them,
 * and the cache itself is reference-counted by its owner and by each
 * background reload, so pt_refresh_cache_free never waits for a reload. */
#define _GNU_SOURCE
#include "resilience/common.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "ponty/task.h"
#include "core/wait.h"

typedef struct rentry {
    struct rentry       *next;
    char                *key;
    json_t              *value;        /* NULL: none */
    int64_t              loaded_ns;
    uint64_t             epoch;
    pt_refresh_loader_fn loader;       /* registered for this key, or NULL */
    void                *loader_arg;
    bool                 loading;      /* a get is loading it; others wait on q */
    bool                 refreshing;   /* a background reload is in flight */
    pt_waitq_t           q;
} rentry_t;

struct pt_refresh_cache {
    pthread_mutex_t      lk;
    rentry_t           **buckets;
    size_t               nbuckets, count;
    unsigned             refs;         /* the owner + one per reload in flight */
    unsigned             reloads;
    bool                 closed;
    int64_t              ttl_ns, refresh_ns;
    pt_refresh_loader_fn loader;
    void                *loader_arg;
    void               (*on_error)(const char *, bool, void *);
    void                *on_error_arg;
    const pt_clock_t    *clock;
};

static size_t hash_str(const char *s)
{
    uint64_t h = 1469598103934665603ull;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ull;
    return (size_t)h;
}

pt_refresh_cache_t *pt_refresh_cache_new_opts(const pt_refresh_opts_t *o)
{
    int64_t ttl = o->ttl_ms ? o->ttl_ms : 60000, refresh = o->refresh_ms ? o->refresh_ms : 15000;
    if (ttl <= 0 || refresh < 0 || refresh >= ttl)
        return NULL;
    pt_refresh_cache_t *c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    c->nbuckets = 64;
    c->buckets = calloc(c->nbuckets, sizeof *c->buckets);
    if (!c->buckets) {
        free(c);
        return NULL;
    }
    pthread_mutex_init(&c->lk, NULL);
    c->refs = 1;
    c->ttl_ns = ttl * 1000000;
    c->refresh_ns = refresh * 1000000;
    c->loader = o->loader;
    c->loader_arg = o->loader_arg;
    c->on_error = o->on_error;
    c->on_error_arg = o->on_error_arg;
    c->clock = o->clock;
    return c;
}

static void entry_free(rentry_t *e)
{
    json_decref(e->value);
    free(e->key);
    free(e);
}

static void destroy(pt_refresh_cache_t *c)
{
    for (size_t i = 0; i < c->nbuckets; i++)
        for (rentry_t *e = c->buckets[i], *next; e; e = next) {
            next = e->next;
            entry_free(e);
        }
    free(c->buckets);
    pthread_mutex_destroy(&c->lk);
    free(c);
}

/* Under lk: drops a reference; true when the caller must destroy. */
static bool unref(pt_refresh_cache_t *c) { return --c->refs == 0; }

void pt_refresh_cache_free(pt_refresh_cache_t *c)
{
    if (!c)
        return;
    pthread_mutex_lock(&c->lk);
    c->closed = true;
    bool last = unref(c);
    pthread_mutex_unlock(&c->lk);
    if (last)
        destroy(c);
}

/* Under lk. */
static rentry_t *find(pt_refresh_cache_t *c, const char *key)
{
    for (rentry_t *e = c->buckets[hash_str(key) & (c->nbuckets - 1)]; e; e = e->next)
        if (strcmp(e->key, key) == 0)
            return e;
    return NULL;
}

/* Under lk; NULL when out of memory. */
static rentry_t *find_or_add(pt_refresh_cache_t *c, const char *key)
{
    rentry_t *e = find(c, key);
    if (e)
        return e;
    if (c->count >= c->nbuckets) {
        size_t n = c->nbuckets * 2;
        rentry_t **nb = calloc(n, sizeof *nb);
        if (nb) {
            for (size_t i = 0; i < c->nbuckets; i++)
                for (rentry_t *x = c->buckets[i], *next; x; x = next) {
                    next = x->next;
                    size_t h = hash_str(x->key) & (n - 1);
                    x->next = nb[h];
                    nb[h] = x;
                }
            free(c->buckets);
            c->buckets = nb;
            c->nbuckets = n;
        }
    }
    e = calloc(1, sizeof *e);
    if (!e || !(e->key = strdup(key))) {
        free(e);
        return NULL;
    }
    size_t h = hash_str(key) & (c->nbuckets - 1);
    e->next = c->buckets[h];
    c->buckets[h] = e;
    c->count++;
    return e;
}

int pt_refresh_register(pt_refresh_cache_t *c, const char *key, pt_refresh_loader_fn loader, void *arg)
{
    if (!key || !loader)
        return PT_EINVAL;
    pthread_mutex_lock(&c->lk);
    rentry_t *e = find_or_add(c, key);
    if (e) {
        e->loader = loader;
        e->loader_arg = arg;
    }
    pthread_mutex_unlock(&c->lk);
    return e ? 0 : PT_EFULL;
}

/* ---- background reloads ---- */

typedef struct reload {
    pt_refresh_cache_t  *c;
    rentry_t            *e;
    uint64_t             epoch;
    pt_refresh_loader_fn loader;
    void                *arg;
} reload_t;

static void reload_run(void *arg)
{
    reload_t *r = arg;
    pt_refresh_cache_t *c = r->c;
    rentry_t *e = r->e;
    /* Shutdown has begun: leave the entry as it is, it expires on its own. */
    json_t *v = pt_stopping() ? NULL : r->loader(e->key, r->arg);
    bool failed = !v && !pt_stopping();
    if (failed && c->on_error)
        c->on_error(e->key, true, c->on_error_arg);
    pthread_mutex_lock(&c->lk);
    e->refreshing = false;
    c->reloads--;
    if (v && e->epoch == r->epoch && !c->closed) {
        json_decref(e->value);
        e->value = v;
        e->loaded_ns = pt__res_now_ns(c->clock);
        v = NULL;
    }
    bool last = unref(c);
    pthread_mutex_unlock(&c->lk);
    json_decref(v);
    free(r);
    if (last)
        destroy(c);
}

static void *reload_thread(void *arg)
{
    reload_run(arg);
    return NULL;
}

/* Starts r, on a background task when there is a scheduler to run it, else
 * on a thread of its own; false if neither could start. */
static bool reload_start(reload_t *r)
{
    if (pt_spawn(reload_run, r) == 0)
        return true;
    pthread_t th;
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    bool ok = pthread_create(&th, &attr, reload_thread, r) == 0;
    pthread_attr_destroy(&attr);
    return ok;
}

/* ---- get ---- */

int pt_refresh_get(pt_refresh_cache_t *c, const char *key, json_t **out)
{
    *out = NULL;
    if (!key)
        return PT_EINVAL;
    pthread_mutex_lock(&c->lk);
    rentry_t *e = find_or_add(c, key);
    if (!e) {
        pthread_mutex_unlock(&c->lk);
        return PT_ELOAD;
    }
    pt_refresh_loader_fn loader = e->loader ? e->loader : c->loader;
    void *larg = e->loader ? e->loader_arg : c->loader_arg;
    int64_t now = pt__res_now_ns(c->clock);
    if (e->value && now - e->loaded_ns < c->ttl_ns) {
        *out = json_incref(e->value);
        reload_t *r = NULL;
        if (now - e->loaded_ns >= c->ttl_ns - c->refresh_ns && !e->refreshing && !e->loading &&
            loader && !pt_stopping() && (r = malloc(sizeof *r))) {
            *r = (reload_t){ c, e, e->epoch, loader, larg };
            e->refreshing = true;
            c->refs++;
            c->reloads++;
        }
        pthread_mutex_unlock(&c->lk);
        if (r && !reload_start(r)) {
            pthread_mutex_lock(&c->lk);
            e->refreshing = false;
            c->reloads--;
            unref(c); /* the owner still holds one */
            pthread_mutex_unlock(&c->lk);
            free(r);
        }
        return 0;
    }
    if (e->loading) {
        /* Someone is loading this key: wait for that load's result. */
        pt__waiter_t w;
        pt__waiter_init(&w);
        pt__waitq_push(&e->q, &w);
        pthread_mutex_unlock(&c->lk);
        pt__waiter_park(&w, -1);
        *out = w.payload;
        return w.payload ? 0 : PT_ELOAD;
    }
    if (!loader) {
        pthread_mutex_unlock(&c->lk);
        if (c->on_error)
            c->on_error(key, false, c->on_error_arg);
        return PT_ELOAD;
    }
    e->loading = true;
    uint64_t epoch = e->epoch;
    pthread_mutex_unlock(&c->lk);

    json_t *v = loader(e->key, larg);

    pthread_mutex_lock(&c->lk);
    e->loading = false;
    if (v && e->epoch == epoch) {
        json_decref(e->value);
        e->value = json_incref(v);
        e->loaded_ns = pt__res_now_ns(c->clock);
    }
    pt__waiter_t *w;
    while ((w = pt__waitq_pop(&e->q))) {
        w->payload = json_incref(v);
        w->signaled = true;
        pt__waiter_wake(w);
    }
    pthread_mutex_unlock(&c->lk);
    if (!v) {
        if (c->on_error)
            c->on_error(key, false, c->on_error_arg);
        return PT_ELOAD;
    }
    *out = v;
    return 0;
}

/* ---- invalidation ---- */

json_t *pt_refresh_invalidate(pt_refresh_cache_t *c, const char *key)
{
    if (!key)
        return NULL;
    pthread_mutex_lock(&c->lk);
    rentry_t *e = find(c, key);
    json_t *v = NULL;
    if (e) {
        v = e->value;
        e->value = NULL;
        e->epoch++;
    }
    pthread_mutex_unlock(&c->lk);
    return v;
}

void pt_refresh_clear(pt_refresh_cache_t *c)
{
    pthread_mutex_lock(&c->lk);
    for (size_t i = 0; i < c->nbuckets; i++)
        for (rentry_t **pp = &c->buckets[i]; *pp;) {
            rentry_t *e = *pp;
            json_decref(e->value);
            e->value = NULL;
            e->epoch++;
            /* Keep entries that carry a loader or that a load still uses. */
            if (!e->loader && !e->loading && !e->refreshing) {
                *pp = e->next;
                c->count--;
                entry_free(e);
            } else {
                pp = &e->next;
            }
        }
    pthread_mutex_unlock(&c->lk);
}

int64_t pt_refresh_age_ms(pt_refresh_cache_t *c, const char *key)
{
    pthread_mutex_lock(&c->lk);
    rentry_t *e = key ? find(c, key) : NULL;
    int64_t age = e && e->value ? (pt__res_now_ns(c->clock) - e->loaded_ns) / 1000000 : -1;
    pthread_mutex_unlock(&c->lk);
    return age;
}

unsigned pt_refresh_pending(pt_refresh_cache_t *c)
{
    pthread_mutex_lock(&c->lk);
    unsigned n = c->reloads;
    pthread_mutex_unlock(&c->lk);
    return n;
}
