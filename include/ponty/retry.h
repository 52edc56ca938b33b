/* ponty/retry.h — calling a function again after it fails, with backoff.
 *
 *     static int fetch_price(void *arg) { ... return 0 or an error code ... }
 *
 *     int rc = pt_retry(fetch_price, &price, .errors = PT_ERRORS(PT_HTTP_ETIMEDOUT, PT_HTTP_ECONNECT),
 *                       .max_retries = 3, .backoff_factor = 2);
 *
 * fn returns 0 on success and an error code otherwise; what it produces goes
 * through its argument. A retryable error is followed by a sleep and another
 * call, up to .max_retries more calls; the caller then gets the last error
 * unchanged. A non-retryable error is returned at once. Sleeping uses
 * pt_sleep_ms: a coroutine suspends (its worker goes on serving), a plain
 * thread sleeps.
 *
 * The sleep after failure n (n = 0 for the first failure) is
 *     min(t1_ms * backoff_factor^n, t2_ms)
 * and with .anticollision, so that clients failing together do not retry
 * together,
 *     min(k * t1_ms, t2_ms), k a uniformly random integer in [0, floor(backoff_factor^n))
 * (k is 0 when that range is empty). */
#ifndef PONTY_RETRY_H
#define PONTY_RETRY_H

#include <stdbool.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef int (*pt_retry_fn)(void *arg);

typedef struct pt_retry_opts {
    const int *errors;                        /* 0-terminated codes to retry (PT_ERRORS) */
    bool     (*retry_if)(int error, void *arg); /* predicate on the error; gets fn's arg */
                                              /* neither given: every non-zero code is retried;
                                                 both: either may allow a retry */
    int        max_retries;                   /* default 1 */
    int64_t    t1_ms;                         /* default 100: first interval */
    int64_t    t2_ms;                         /* default 4000: longest interval */
    double     backoff_factor;                /* default 1 (constant intervals); 2 doubles them */
    bool       anticollision;
} pt_retry_opts_t;

#define PT_ERRORS(...) ((const int[]){ __VA_ARGS__, 0 })

int pt_retry_opts(pt_retry_fn fn, void *arg, const pt_retry_opts_t *opts);
#define pt_retry(fn, arg, ...) pt_retry_opts((fn), (arg), &(const pt_retry_opts_t){ __VA_ARGS__ })

/* The sleep in ms after failure n under opts (defaults applied as above);
 * rnd picks k with .anticollision (k = rnd mod floor(b^n)). */
int64_t pt_retry_delay_ms(const pt_retry_opts_t *opts, unsigned n, uint64_t rnd);

#ifdef __cplusplus
}
#endif

#endif
