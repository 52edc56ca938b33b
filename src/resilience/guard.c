/* Resource guards and the registry of unique guards: see
 * include/ponty/resilience.h. A guard is one atomic flag: entering is a
 * compare-and-swap that never waits. */
#define _GNU_SOURCE
#include "resilience/common.h"
#include "core/context.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ponty/request.h"

int pt_guard_enter(pt_guard_t *g)
{
    atomic_fetch_add_explicit(&g->attempts, 1, memory_order_relaxed);
    bool expect = false;
    if (!atomic_compare_exchange_strong(&g->held, &expect, true))
        return PT_EGUARDED;
    atomic_fetch_add_explicit(&g->entries, 1, memory_order_relaxed);
    return 0;
}

void pt_guard_leave(pt_guard_t *g) { atomic_store(&g->held, false); }

bool pt_guard_held(const pt_guard_t *g) { return atomic_load(&g->held); }

double pt_guard_success_ratio(const pt_guard_t *g)
{
    uint64_t a = atomic_load(&g->attempts), e = atomic_load(&g->entries);
    return a ? (double)e / (double)a : 1.0;
}

char *pt_guard_message(const pt_guard_t *g, char *buf, size_t n)
{
    snprintf(buf, n, "another caller is already %s %s", g->action ? g->action : "using",
             g->name ? g->name : "the resource");
    return buf;
}

void pt_guard_enter_or_raise(pt_guard_t *g)
{
    if (pt_guard_enter(g) == 0)
        return;
    char msg[256];
    pt_raise(PT_BUSY, .text = pt__task_strf("%s", pt_guard_message(g, msg, sizeof msg)));
}

/* ---- unique guards: a small open hash keyed by the object's address ---- */

typedef struct uentry {
    const void    *obj;
    pt_guard_t     guard;
    struct uentry *next;
} uentry_t;

static pthread_mutex_t ulk = PTHREAD_MUTEX_INITIALIZER;
static uentry_t      **ubuckets;
static size_t          unbuckets, ucount;

static size_t uhash(const void *p, size_t n)
{
    uint64_t x = (uint64_t)(uintptr_t)p;
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdull;
    x ^= x >> 33;
    return (size_t)(x & (n - 1));
}

static bool ugrow(void)
{
    size_t n = unbuckets ? unbuckets * 2 : 64;
    uentry_t **nb = calloc(n, sizeof *nb);
    if (!nb)
        return false;
    for (size_t i = 0; i < unbuckets; i++)
        for (uentry_t *e = ubuckets[i], *next; e; e = next) {
            next = e->next;
            size_t h = uhash(e->obj, n);
            e->next = nb[h];
            nb[h] = e;
        }
    free(ubuckets);
    ubuckets = nb;
    unbuckets = n;
    return true;
}

static void ufree(uentry_t *e)
{
    free((char *)e->guard.action);
    free((char *)e->guard.name);
    free(e);
}

pt_guard_t *pt_guard_for(const void *obj, const char *action, const char *name)
{
    pthread_mutex_lock(&ulk);
    if (unbuckets)
        for (uentry_t *e = ubuckets[uhash(obj, unbuckets)]; e; e = e->next)
            if (e->obj == obj) {
                pthread_mutex_unlock(&ulk);
                return &e->guard;
            }
    if (ucount >= unbuckets / 2 * 3 && !ugrow()) {
        pthread_mutex_unlock(&ulk);
        return NULL;
    }
    uentry_t *e = calloc(1, sizeof *e);
    char *a = pt__res_strdup(action, "using"), *nm = pt__res_strdup(name, "the resource");
    if (!e || !a || !nm) {
        free(e);
        free(a);
        free(nm);
        pthread_mutex_unlock(&ulk);
        return NULL;
    }
    e->obj = obj;
    e->guard = (pt_guard_t)PT_GUARD_INIT(a, nm);
    size_t h = uhash(obj, unbuckets);
    e->next = ubuckets[h];
    ubuckets[h] = e;
    ucount++;
    pthread_mutex_unlock(&ulk);
    return &e->guard;
}

bool pt_guard_forget(const void *obj)
{
    pthread_mutex_lock(&ulk);
    if (unbuckets)
        for (uentry_t **pp = &ubuckets[uhash(obj, unbuckets)]; *pp; pp = &(*pp)->next)
            if ((*pp)->obj == obj) {
                uentry_t *e = *pp;
                *pp = e->next;
                ucount--;
                pthread_mutex_unlock(&ulk);
                ufree(e);
                return true;
            }
    pthread_mutex_unlock(&ulk);
    return false;
}

void pt_guard_for_clear(void)
{
    pthread_mutex_lock(&ulk);
    for (size_t i = 0; i < unbuckets; i++)
        for (uentry_t *e = ubuckets[i], *next; e; e = next) {
            next = e->next;
            ufree(e);
        }
    free(ubuckets);
    ubuckets = NULL;
    unbuckets = ucount = 0;
    pthread_mutex_unlock(&ulk);
}

/* Guards still registered at exit are the registry's to free. */
__attribute__((destructor)) static void guards_at_exit(void) { pt_guard_for_clear(); }
