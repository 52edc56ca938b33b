/* Stateful barrier: see include/ponty/resilience.h.
 *
 * Parties of the current round park on `q`. The last arrival takes one
 * snapshot of the state queue, shared by the whole round through a
 * reference count, and wakes everyone with it as the waiter's payload. A
 * wake without a payload means the barrier broke. */
#define _GNU_SOURCE
#include "resilience/common.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "core/wait.h"

typedef struct snap {
    _Atomic unsigned refs;
    size_t           n;
    void            *items[];
} snap_t;

struct pt_barrier {
    pthread_mutex_t lk;
    pt_waitq_t      q;
    unsigned        parties, arrived;
    bool            broken;
    char           *name;
    void          **ring;      /* the state queue */
    size_t          cap, head, len, max;
};

static bool ring_push(pt_barrier_t *b, void *item)
{
    if (b->len == b->max) {
        b->head = (b->head + 1) % b->cap;
        b->len--;
    }
    if (b->len == b->cap) {
        size_t cap = b->cap ? b->cap * 2 : 8;
        if (cap > b->max)
            cap = b->max;
        void **r = malloc(cap * sizeof *r);
        if (!r)
            return false;
        for (size_t i = 0; i < b->len; i++)
            r[i] = b->ring[(b->head + i) % b->cap];
        free(b->ring);
        b->ring = r;
        b->cap = cap;
        b->head = 0;
    }
    b->ring[(b->head + b->len) % b->cap] = item;
    b->len++;
    return true;
}

pt_barrier_t *pt_barrier_new_opts(const pt_barrier_opts_t *o)
{
    if (o->parties < 1 || (o->ninit && !o->init))
        return NULL;
    pt_barrier_t *b = calloc(1, sizeof *b);
    if (!b)
        return NULL;
    b->name = pt__res_strdup(o->name, "barrier");
    pthread_mutex_init(&b->lk, NULL);
    b->parties = o->parties;
    b->max = o->max_state ? o->max_state : SIZE_MAX;
    bool ok = b->name != NULL;
    for (size_t i = 0; ok && i < o->ninit; i++)
        ok = ring_push(b, o->init[i]);
    if (!ok) {
        pt_barrier_free(b);
        return NULL;
    }
    return b;
}

void pt_barrier_free(pt_barrier_t *b)
{
    if (!b)
        return;
    pthread_mutex_destroy(&b->lk);
    free(b->ring);
    free(b->name);
    free(b);
}

/* Under lk: wake every waiter of the round with payload (NULL: broken). */
static void wake_all(pt_barrier_t *b, snap_t *s)
{
    pt__waiter_t *w;
    while ((w = pt__waitq_pop(&b->q))) {
        w->signaled = true;
        w->payload = s;
        pt__waiter_wake(w);
    }
    b->arrived = 0;
}

static void fill(pt_barrier_arrival_t *a, unsigned pos, snap_t *s)
{
    a->pos = pos;
    a->states = s->items;
    a->nstates = s->n;
    a->snap = s;
}

int pt_barrier_wait(pt_barrier_t *b, void *item, int64_t timeout_ms, pt_barrier_arrival_t *a)
{
    memset(a, 0, sizeof *a);
    pthread_mutex_lock(&b->lk);
    if (b->broken) {
        pthread_mutex_unlock(&b->lk);
        return PT_EBROKEN;
    }
    if (item && !ring_push(b, item)) {
        /* Out of memory: the round cannot deliver what it promised. */
        b->broken = true;
        wake_all(b, NULL);
        pthread_mutex_unlock(&b->lk);
        return PT_EBROKEN;
    }
    unsigned pos = b->arrived++;
    if (b->arrived == b->parties) {
        snap_t *s = malloc(sizeof *s + (b->len ? b->len : 1) * sizeof(void *));
        if (!s) {
            b->broken = true;
            wake_all(b, NULL);
            pthread_mutex_unlock(&b->lk);
            return PT_EBROKEN;
        }
        atomic_init(&s->refs, b->parties);
        s->n = b->len;
        for (size_t i = 0; i < b->len; i++)
            s->items[i] = b->ring[(b->head + i) % b->cap];
        wake_all(b, s);
        pthread_mutex_unlock(&b->lk);
        fill(a, pos, s);
        return 0;
    }
    if (timeout_ms == 0) {
        /* Nobody can arrive within no time: the round is over. */
        b->broken = true;
        b->arrived--;
        wake_all(b, NULL);
        pthread_mutex_unlock(&b->lk);
        return PT_ETIMEDOUT;
    }
    pt__waiter_t w;
    pt__waiter_init(&w);
    pt__waitq_push(&b->q, &w);
    pthread_mutex_unlock(&b->lk);
    int64_t deadline = pt__deadline_after(timeout_ms);
    if (!pt__waiter_park(&w, deadline)) {
        pthread_mutex_lock(&b->lk);
        if (!w.signaled) {
            pt__waitq_remove(&b->q, &w);
            b->broken = true;
            wake_all(b, NULL);
            pthread_mutex_unlock(&b->lk);
            return PT_ETIMEDOUT;
        }
        pthread_mutex_unlock(&b->lk);
    }
    if (!w.payload)
        return PT_EBROKEN;
    fill(a, pos, w.payload);
    return 0;
}

void pt_barrier_arrival_release(pt_barrier_arrival_t *a)
{
    snap_t *s = a->snap;
    if (s && atomic_fetch_sub(&s->refs, 1) == 1)
        free(s);
    memset(a, 0, sizeof *a);
}

void pt_barrier_abort(pt_barrier_t *b)
{
    pthread_mutex_lock(&b->lk);
    b->broken = true;
    wake_all(b, NULL);
    pthread_mutex_unlock(&b->lk);
}

void pt_barrier_reset(pt_barrier_t *b)
{
    pthread_mutex_lock(&b->lk);
    wake_all(b, NULL); /* anyone of the round being abandoned learns it broke */
    b->broken = false;
    pthread_mutex_unlock(&b->lk);
}

bool pt_barrier_broken(pt_barrier_t *b)
{
    pthread_mutex_lock(&b->lk);
    bool r = b->broken;
    pthread_mutex_unlock(&b->lk);
    return r;
}

unsigned pt_barrier_waiting(pt_barrier_t *b)
{
    pthread_mutex_lock(&b->lk);
    unsigned r = b->arrived;
    pthread_mutex_unlock(&b->lk);
    return r;
}

unsigned pt_barrier_parties(const pt_barrier_t *b) { return b->parties; }

unsigned pt_barrier_remaining(pt_barrier_t *b)
{
    pthread_mutex_lock(&b->lk);
    unsigned r = b->parties - b->arrived;
    pthread_mutex_unlock(&b->lk);
    return r;
}

const char *pt_barrier_name(const pt_barrier_t *b) { return b->name; }
