/* Adaptive throttle: see include/ponty/resilience.h.
 *
 * Entrants reserve slots on one timeline under `lk` (slot = max(now, next);
 * next = slot + gap) and sleep outside the lock until their slot, so the
 * spacing holds across coroutines and threads while nobody waits holding a
 * lock. The timeline is kept in exact nanoseconds: a coroutine wakes up to a
 * millisecond late, but the next slot is computed from the schedule, not
 * from when the sleeper woke, so rounding does not add up. */
#define _GNU_SOURCE
#include "resilience/common.h"

#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>

struct pt_throttle {
    pthread_mutex_t  lk;
    _Atomic double   rate;
    double           min_rate, max_rate, upper, lower, up_factor, down_factor, jitter;
    unsigned         window;
    _Atomic unsigned successes, fails;
    int64_t          next_ns;   /* the first free slot */
    double         (*rand)(void *arg);
    void            *rand_arg;
    const pt_clock_t *clock;
};

/* xorshift64*, one state per thread: cheap and needs no lock. */
static double default_rand(void *arg)
{
    static __thread uint64_t s;
    (void)arg;
    if (!s)
        s = (uint64_t)(uintptr_t)&s ^ (uint64_t)pt__res_now_ns(NULL) ^ 0x9e3779b97f4a7c15ull;
    s ^= s >> 12;
    s ^= s << 25;
    s ^= s >> 27;
    return (double)((s * 0x2545f4914f6cdd1dull) >> 11) / 9007199254740992.0;
}

pt_throttle_t *pt_throttle_new_opts(const pt_throttle_opts_t *o)
{
    double rate = o->rate;
    double min = o->min_rate ? o->min_rate : rate / 10;
    double max = o->max_rate ? o->max_rate : rate * 10;
    double upper = o->upper ? o->upper : 0.75, lower = o->lower ? o->lower : 0.25;
    double uf = o->up_factor ? o->up_factor : 1.25, df = o->down_factor ? o->down_factor : 0.75;
    double jitter = o->jitter == 0 ? 0.2 : o->jitter < 0 ? 0 : o->jitter;
    if (!(rate > 0) || !isfinite(rate) || !(min > 0) || !(max >= min) || !isfinite(max) ||
        lower > upper || !(uf > 0) || !(df > 0) || jitter >= 1)
        return NULL;
    pt_throttle_t *t = calloc(1, sizeof *t);
    if (!t)
        return NULL;
    pthread_mutex_init(&t->lk, NULL);
    atomic_init(&t->rate, rate < min ? min : rate > max ? max : rate);
    t->min_rate = min;
    t->max_rate = max;
    t->upper = upper;
    t->lower = lower;
    t->up_factor = uf;
    t->down_factor = df;
    t->jitter = jitter;
    t->window = o->window ? o->window : 100;
    t->rand = o->rand ? o->rand : default_rand;
    t->rand_arg = o->rand_arg;
    t->clock = o->clock;
    t->next_ns = INT64_MIN;
    return t;
}

void pt_throttle_free(pt_throttle_t *t)
{
    if (!t)
        return;
    pthread_mutex_destroy(&t->lk);
    free(t);
}

int64_t pt_throttle_enter(pt_throttle_t *t)
{
    double u = t->jitter > 0 ? t->rand(t->rand_arg) : 0.5;
    pthread_mutex_lock(&t->lk);
    int64_t now = pt__res_now_ns(t->clock);
    int64_t slot = t->next_ns > now ? t->next_ns : now;
    double gap = 1e9 / atomic_load_explicit(&t->rate, memory_order_relaxed);
    gap *= 1 + t->jitter * (2 * u - 1);
    t->next_ns = slot + (int64_t)gap;
    pthread_mutex_unlock(&t->lk);
    pt__res_sleep_ns(t->clock, slot - now);
    return slot - now;
}

void pt_throttle_leave(pt_throttle_t *t, bool success)
{
    pthread_mutex_lock(&t->lk);
    unsigned s = atomic_load(&t->successes) + (success ? 1 : 0);
    unsigned f = atomic_load(&t->fails) + (success ? 0 : 1);
    if (s + f >= t->window) {
        double ratio = (double)s / (s + f);
        double rate = atomic_load(&t->rate);
        if (ratio > t->upper)
            rate = fmin(t->max_rate, rate * t->up_factor);
        else if (ratio < t->lower)
            rate = fmax(t->min_rate, rate * t->down_factor);
        atomic_store(&t->rate, rate);
        s = f = 0;
    }
    atomic_store(&t->successes, s);
    atomic_store(&t->fails, f);
    pthread_mutex_unlock(&t->lk);
}

void pt_throttle_reset(pt_throttle_t *t)
{
    pthread_mutex_lock(&t->lk);
    atomic_store(&t->successes, 0);
    atomic_store(&t->fails, 0);
    pthread_mutex_unlock(&t->lk);
}

double   pt_throttle_rate(const pt_throttle_t *t) { return atomic_load(&t->rate); }
unsigned pt_throttle_successes(const pt_throttle_t *t) { return atomic_load(&t->successes); }
unsigned pt_throttle_fails(const pt_throttle_t *t) { return atomic_load(&t->fails); }
double   pt_throttle_jitter(const pt_throttle_t *t) { return t->jitter; }
