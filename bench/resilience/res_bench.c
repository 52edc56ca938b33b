/* Overhead per call of the circuit breaker and the adaptive throttle, next
 * to peers measured in the same run: an empty call through a function
 * pointer (what any wrapper costs at least) and an uncontended
 * pthread_mutex lock/unlock pair (the cheapest lock-based wrapper).
 *   res_bench [seconds-per-case] */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "ponty/resilience.h"

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static volatile long sink;
static void __attribute__((noinline)) work(void) { sink++; }
static void (*volatile work_fn)(void) = work;

static pt_breaker_t *closed_b, *open_b;
static pt_throttle_t *thr;
static pthread_mutex_t mx = PTHREAD_MUTEX_INITIALIZER;

static void case_plain(long n)
{
    for (long i = 0; i < n; i++)
        work_fn();
}

static void case_mutex(long n)
{
    for (long i = 0; i < n; i++) {
        pthread_mutex_lock(&mx);
        work_fn();
        pthread_mutex_unlock(&mx);
    }
}

static void case_closed(long n)
{
    for (long i = 0; i < n; i++) {
        pt_breaker_ticket_t t;
        if (pt_breaker_enter(closed_b, &t) == 0) {
            work_fn();
            pt_breaker_leave(closed_b, &t, PT_OUTCOME_SUCCESS);
        }
    }
}

static int call_ok(void *arg, void **out)
{
    (void)arg;
    (void)out;
    work_fn();
    return 0;
}

static void case_call(long n)
{
    for (long i = 0; i < n; i++)
        (void)pt_breaker_call(closed_b, call_ok, NULL, NULL);
}

static void case_open(long n)
{
    for (long i = 0; i < n; i++) {
        pt_breaker_ticket_t t;
        if (pt_breaker_enter(open_b, &t) == 0) {
            work_fn();
            pt_breaker_leave(open_b, &t, PT_OUTCOME_SUCCESS);
        }
    }
}

static void case_throttle(long n)
{
    for (long i = 0; i < n; i++) {
        pt_throttle_enter(thr);
        work_fn();
        pt_throttle_leave(thr, true);
    }
}

/* ns per call of fn on one thread, over about secs seconds. */
static double measure(void (*fn)(long), double secs)
{
    fn(100000); /* warm up */
    long n = 1000000, total = 0;
    double t0 = now_s(), el;
    do {
        fn(n);
        total += n;
        el = now_s() - t0;
    } while (el < secs);
    return el * 1e9 / (double)total;
}

typedef struct par { void (*fn)(long); long n; } par_t;
static void *par_main(void *arg) { par_t *p = arg; p->fn(p->n); return NULL; }

/* ns per call per thread with `threads` threads on the same object. */
static double measure_par(void (*fn)(long), int threads, long n)
{
    pthread_t th[8];
    par_t p = { fn, n };
    double t0 = now_s();
    for (int i = 0; i < threads; i++)
        pthread_create(&th[i], NULL, par_main, &p);
    for (int i = 0; i < threads; i++)
        pthread_join(th[i], NULL);
    return (now_s() - t0) * 1e9 / (double)n;
}

int main(int argc, char **argv)
{
    double secs = argc > 1 ? atof(argv[1]) : 0.5;
    closed_b = pt_breaker_new(.name = "closed");
    open_b = pt_breaker_new(.name = "open", .max_fails = 1, .reset_ms = 3600000);
    pt_breaker_ticket_t t;
    pt_breaker_enter(open_b, &t);
    pt_breaker_leave(open_b, &t, PT_OUTCOME_FAILURE);
    /* A rate no caller can reach: the throttle's bookkeeping without waits. */
    thr = pt_throttle_new(.rate = 1e15, .max_rate = 1e15);
    if (!closed_b || !open_b || !thr || pt_breaker_state(open_b) != PT_BREAKER_OPEN) {
        fprintf(stderr, "res_bench: set-up failed\n");
        return 1;
    }

    double plain = measure(case_plain, secs);
    double mutex = measure(case_mutex, secs);
    double closed = measure(case_closed, secs);
    double call = measure(case_call, secs);
    double open = measure(case_open, secs);
    double throttle = measure(case_throttle, secs);
    double closed2 = measure_par(case_closed, 2, (long)(secs * 2e7));
    double mutex2 = measure_par(case_mutex, 2, (long)(secs * 5e6));

    printf("%-52s %10s %12s %12s\n", "case (one thread unless noted)", "ns/call", "overhead ns", "vs mutex");
    printf("%-52s %10.1f %12s %12s\n", "peer: empty call through a function pointer", plain, "-", "-");
    printf("%-52s %10.1f %12.1f %12s\n", "peer: pthread_mutex lock+unlock around it", mutex, mutex - plain, "1.00x");
#define ROW(label, v) \
    printf("%-52s %10.1f %12.1f %11.2fx\n", label, v, (v) - plain, ((v) - plain) / (mutex - plain))
    ROW("breaker closed: enter + leave(success)", closed);
    ROW("breaker closed: pt_breaker_call", call);
    ROW("breaker open: enter refused (fail fast)", open);
    ROW("throttle: enter + leave, rate never reached", throttle);
    printf("%-52s %10.1f %12.1f %12s\n", "breaker closed, 2 threads on one breaker", closed2, closed2 - plain, "-");
    printf("%-52s %10.1f %12.1f %12s\n", "peer: mutex, 2 threads on one mutex", mutex2, mutex2 - plain, "-");
    printf("closed-circuit overhead target < 50 ns: %s (%.1f ns)\n",
           closed - plain < 50 ? "met" : "NOT met", closed - plain);

    pt_breaker_free(closed_b);
    pt_breaker_free(open_b);
    pt_throttle_free(thr);
    return 0;
}
