/* Retry with backoff: see include/ponty/retry.h. */
#include "ponty/retry.h"

#include <math.h>
#include <stdint.h>

#include "ponty/sync.h"

static int64_t or_default(int64_t v, int64_t dflt) { return v > 0 ? v : dflt; }

int64_t pt_retry_delay_ms(const pt_retry_opts_t *o, unsigned n, uint64_t rnd)
{
    int64_t t1 = or_default(o->t1_ms, 100), t2 = or_default(o->t2_ms, 4000);
    double b = o->backoff_factor > 0 ? o->backoff_factor : 1.0;
    double k = pow(b, (double)n);
    if (o->anticollision) {
        double range = floor(k);
        /* Past 2^62 every k gives t2 anyway; the cap keeps the modulus exact. */
        if (range > 4611686018427387904.0)
            range = 4611686018427387904.0;
        k = range >= 1 ? (double)(rnd % (uint64_t)range) : 0;
    }
    double d = k * (double)t1;
    return d >= (double)t2 ? t2 : (int64_t)d;
}

static bool retryable(const pt_retry_opts_t *o, int err, void *arg)
{
    if (!o->errors && !o->retry_if)
        return true;
    for (const int *e = o->errors; e && *e; e++)
        if (*e == err)
            return true;
    return o->retry_if && o->retry_if(err, arg);
}

/* splitmix64: per-thread, seeded from the clock and the thread's own
 * address, so threads and processes started together draw differently. */
static uint64_t next_random(void)
{
    static __thread uint64_t state;
    if (!state)
        state = (uint64_t)pt_now_ms() ^ ((uint64_t)(uintptr_t)&state << 16) ^ 0x9e3779b97f4a7c15u;
    uint64_t z = (state += 0x9e3779b97f4a7c15u);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
    return z ^ (z >> 31);
}

int pt_retry_opts(pt_retry_fn fn, void *arg, const pt_retry_opts_t *o)
{
    int max = o->max_retries > 0 ? o->max_retries : 1;
    for (int failures = 0;; failures++) {
        int err = fn(arg);
        if (err == 0 || failures >= max || !retryable(o, err, arg))
            return err;
        pt_sleep_ms(pt_retry_delay_ms(o, (unsigned)failures, next_random()));
    }
}
