/* Callback accumulator: see include/ponty/resilience.h. A ring of
 * (fn, arg) pairs under a mutex; running takes a copy out of the lock so a
 * callback may add to the accumulator (for the next run) without
 * deadlocking. */
#include "resilience/common.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

typedef struct cb { void (*fn)(void *); void *arg; } cb_t;

struct pt_accum {
    pthread_mutex_t lk;
    cb_t           *ring;
    size_t          cap, head, len, maxlen;
    bool            keep;
};

pt_accum_t *pt_accum_new_opts(const pt_accum_opts_t *o)
{
    pt_accum_t *a = calloc(1, sizeof *a);
    if (!a)
        return NULL;
    pthread_mutex_init(&a->lk, NULL);
    a->maxlen = o->maxlen ? o->maxlen : SIZE_MAX;
    a->keep = o->keep;
    return a;
}

void pt_accum_free(pt_accum_t *a)
{
    if (!a)
        return;
    pthread_mutex_destroy(&a->lk);
    free(a->ring);
    free(a);
}

/* Under lk: room for one more, growing the ring if needed. */
static bool reserve(pt_accum_t *a)
{
    if (a->len < a->cap)
        return true;
    size_t cap = a->cap ? a->cap * 2 : 8;
    if (cap > a->maxlen)
        cap = a->maxlen;
    cb_t *r = malloc(cap * sizeof *r);
    if (!r)
        return false;
    for (size_t i = 0; i < a->len; i++)
        r[i] = a->ring[(a->head + i) % a->cap];
    free(a->ring);
    a->ring = r;
    a->cap = cap;
    a->head = 0;
    return true;
}

static int push(pt_accum_t *a, void (*fn)(void *), void *arg, bool drop_oldest)
{
    if (!fn)
        return PT_EINVAL;
    int rc = 0;
    pthread_mutex_lock(&a->lk);
    if (a->len == a->maxlen) {
        if (!drop_oldest) {
            rc = PT_EFULL;
        } else {
            a->head = (a->head + 1) % a->cap;
            a->len--;
        }
    }
    if (rc == 0 && !reserve(a))
        rc = PT_EFULL;
    if (rc == 0) {
        a->ring[(a->head + a->len) % a->cap] = (cb_t){ fn, arg };
        a->len++;
    }
    pthread_mutex_unlock(&a->lk);
    return rc;
}

int  pt_accum_add(pt_accum_t *a, void (*fn)(void *arg), void *arg) { return push(a, fn, arg, true); }
bool pt_accum_offer(pt_accum_t *a, void (*fn)(void *arg), void *arg) { return push(a, fn, arg, false) == 0; }

size_t pt_accum_run(pt_accum_t *a)
{
    pthread_mutex_lock(&a->lk);
    size_t n = a->len;
    cb_t *copy = n ? malloc(n * sizeof *copy) : NULL;
    if (n && !copy) {
        pthread_mutex_unlock(&a->lk);
        return 0;
    }
    for (size_t i = 0; i < n; i++)
        copy[i] = a->ring[(a->head + i) % a->cap];
    if (!a->keep)
        a->head = a->len = 0;
    pthread_mutex_unlock(&a->lk);
    for (size_t i = 0; i < n; i++)
        copy[i].fn(copy[i].arg);
    free(copy);
    return n;
}

size_t pt_accum_len(pt_accum_t *a)
{
    pthread_mutex_lock(&a->lk);
    size_t n = a->len;
    pthread_mutex_unlock(&a->lk);
    return n;
}

void pt_accum_clear(pt_accum_t *a)
{
    pthread_mutex_lock(&a->lk);
    a->head = a->len = 0;
    pthread_mutex_unlock(&a->lk);
}
