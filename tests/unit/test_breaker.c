/* Circuit breaker and adaptive throttle: every state change and timing rule
 * on a fake clock, then the same objects hammered from coroutines on two
 * schedulers and from plain threads on the real clock. */
#define _GNU_SOURCE
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <setjmp.h>
#include <cmocka.h>

#include "ponty/resilience.h"
#include "memo_test_util.h"

/* ---- a fake clock: time moves only when a test (or a sleep) moves it ---- */

static _Atomic int64_t fake_ns;
static int64_t fake_now(void *arg) { (void)arg; return atomic_load(&fake_ns); }
static void fake_sleep(int64_t ns, void *arg) { (void)arg; atomic_fetch_add(&fake_ns, ns); }
static const pt_clock_t fake_clock = { fake_now, fake_sleep, NULL };
#define MS 1000000LL

/* ---- state-change log ---- */

#define MAXLOG 64
static int logged;
static pt_breaker_state_t log_from[MAXLOG], log_to[MAXLOG];
static void on_state(pt_breaker_t *b, pt_breaker_state_t from, pt_breaker_state_t to, void *arg)
{
    (void)arg;
    /* Reads are allowed in the callback and see the new state. */
    assert_int_equal(pt_breaker_state(b), to == PT_BREAKER_OPEN && pt_breaker_until_half_open_ms(b) == 0
                                              ? PT_BREAKER_HALF_OPEN : to);
    if (logged < MAXLOG) {
        log_from[logged] = from;
        log_to[logged] = to;
    }
    logged++;
}

static pt_breaker_t *fake_breaker(void)
{
    atomic_store(&fake_ns, 1000 * MS);
    logged = 0;
    pt_breaker_t *b = pt_breaker_new(.name = "db", .reset_ms = 1000, .max_half_open = 2,
                                     .on_state = on_state, .clock = &fake_clock);
    assert_non_null(b);
    return b;
}

static void run_one(pt_breaker_t *b, pt_outcome_t oc)
{
    pt_breaker_ticket_t t;
    assert_int_equal(pt_breaker_enter(b, &t), 0);
    pt_breaker_leave(b, &t, oc);
}

static void test_defaults_and_names(void **state)
{
    (void)state;
    pt_breaker_t *b = pt_breaker_new(0);
    assert_non_null(b);
    assert_string_equal(pt_breaker_name(b), "breaker");
    assert_int_equal(pt_breaker_state(b), PT_BREAKER_CLOSED);
    for (int i = 0; i < 2; i++)
        run_one(b, PT_OUTCOME_FAILURE);
    assert_int_equal(pt_breaker_state(b), PT_BREAKER_CLOSED);
    run_one(b, PT_OUTCOME_FAILURE); /* the third opens: default max_fails 3 */
    assert_int_equal(pt_breaker_state(b), PT_BREAKER_OPEN);
    int64_t left = pt_breaker_until_half_open_ms(b);
    assert_true(left > 25000 && left <= 30000); /* default reset 30 s */
    pt_breaker_free(b);
    assert_null(pt_breaker_new(.reset_ms = -1));
    assert_string_equal(pt_breaker_state_name(PT_BREAKER_HALF_OPEN), "half-open");
    assert_string_equal(pt_res_strerror(PT_ECIRCUIT_OPEN), "circuit open");
    assert_int_equal(pt_error_circuit_open.status, 503);
}

static void test_success_resets_consecutive_failures(void **state)
{
    (void)state;
    pt_breaker_t *b = fake_breaker();
    run_one(b, PT_OUTCOME_FAILURE);
    run_one(b, PT_OUTCOME_FAILURE);
    assert_int_equal(pt_breaker_fails(b), 2);
    run_one(b, PT_OUTCOME_SUCCESS);
    assert_int_equal(pt_breaker_fails(b), 0);
    run_one(b, PT_OUTCOME_FAILURE);
    run_one(b, PT_OUTCOME_IGNORED); /* neither: the count stays */
    run_one(b, PT_OUTCOME_FAILURE);
    assert_int_equal(pt_breaker_fails(b), 2);
    assert_int_equal(pt_breaker_state(b), PT_BREAKER_CLOSED);
    assert_int_equal(logged, 0);
    run_one(b, PT_OUTCOME_FAILURE);
    assert_int_equal(pt_breaker_state(b), PT_BREAKER_OPEN);
    assert_int_equal(logged, 1);
    pt_breaker_free(b);
}

static void test_open_half_open_closed_cycle(void **state)
{
    (void)state;
    pt_breaker_t *b = fake_breaker();
    for (int i = 0; i < 3; i++)
        run_one(b, PT_OUTCOME_FAILURE);
    pt_breaker_ticket_t t;
    assert_int_equal(pt_breaker_enter(b, &t), PT_ECIRCUIT_OPEN);
    assert_int_equal(pt_breaker_until_half_open_ms(b), 1000);
    atomic_fetch_add(&fake_ns, 999 * MS);
    assert_int_equal(pt_breaker_until_half_open_ms(b), 1);
    assert_int_equal(pt_breaker_enter(b, &t), PT_ECIRCUIT_OPEN);
    atomic_fetch_add(&fake_ns, 1 * MS);
    /* Due: reads as half-open before anyone enters. */
    assert_int_equal(pt_breaker_state(b), PT_BREAKER_HALF_OPEN);
    assert_int_equal(logged, 1);
    /* A trial that fails opens it for another full reset. */
    run_one(b, PT_OUTCOME_FAILURE);
    assert_int_equal(pt_breaker_state(b), PT_BREAKER_OPEN);
    assert_int_equal(pt_breaker_until_half_open_ms(b), 1000);
    assert_int_equal(pt_breaker_fails(b), 4);
    atomic_fetch_add(&fake_ns, 1000 * MS);
    run_one(b, PT_OUTCOME_SUCCESS); /* the trial's success closes it */
    assert_int_equal(pt_breaker_state(b), PT_BREAKER_CLOSED);
    assert_int_equal(pt_breaker_fails(b), 0);
    static const pt_breaker_state_t from[] = { PT_BREAKER_CLOSED, PT_BREAKER_OPEN, PT_BREAKER_HALF_OPEN,
                                               PT_BREAKER_OPEN, PT_BREAKER_HALF_OPEN };
    static const pt_breaker_state_t to[] = { PT_BREAKER_OPEN, PT_BREAKER_HALF_OPEN, PT_BREAKER_OPEN,
                                             PT_BREAKER_HALF_OPEN, PT_BREAKER_CLOSED };
    assert_int_equal(logged, 5);
    for (int i = 0; i < 5; i++) {
        assert_int_equal(log_from[i], from[i]);
        assert_int_equal(log_to[i], to[i]);
    }
    pt_breaker_free(b);
}

static void test_half_open_limits_and_drains_trials(void **state)
{
    (void)state;
    pt_breaker_t *b = fake_breaker(); /* max_half_open 2 */
    for (int i = 0; i < 3; i++)
        run_one(b, PT_OUTCOME_FAILURE);
    atomic_fetch_add(&fake_ns, 1000 * MS);
    pt_breaker_ticket_t t1, t2, t3;
    assert_int_equal(pt_breaker_enter(b, &t1), 0);
    assert_int_equal(pt_breaker_enter(b, &t2), 0);
    assert_int_equal(pt_breaker_enter(b, &t3), PT_ECIRCUIT_OPEN); /* full */
    /* Trials that end without a verdict give their slot back, again and
     * again: the count drains. */
    for (int round = 0; round < 10; round++) {
        pt_breaker_leave(b, &t1, PT_OUTCOME_IGNORED);
        assert_int_equal(pt_breaker_enter(b, &t1), 0);
    }
    assert_int_equal(pt_breaker_enter(b, &t3), PT_ECIRCUIT_OPEN);
    assert_int_equal(pt_breaker_state(b), PT_BREAKER_HALF_OPEN);
    /* One trial succeeds: closed. The other trial, still running, belongs
     * to a period that is over: its failure changes nothing. */
    pt_breaker_leave(b, &t1, PT_OUTCOME_SUCCESS);
    assert_int_equal(pt_breaker_state(b), PT_BREAKER_CLOSED);
    pt_breaker_leave(b, &t2, PT_OUTCOME_FAILURE);
    assert_int_equal(pt_breaker_state(b), PT_BREAKER_CLOSED);
    assert_int_equal(pt_breaker_fails(b), 0);
    pt_breaker_free(b);
}

static void test_stale_closed_outcomes_ignored(void **state)
{
    (void)state;
    pt_breaker_t *b = fake_breaker();
    pt_breaker_ticket_t slow;
    assert_int_equal(pt_breaker_enter(b, &slow), 0); /* enters while closed */
    for (int i = 0; i < 3; i++)
        run_one(b, PT_OUTCOME_FAILURE);
    assert_int_equal(pt_breaker_state(b), PT_BREAKER_OPEN);
    pt_breaker_leave(b, &slow, PT_OUTCOME_SUCCESS); /* too late to close it */
    assert_int_equal(pt_breaker_state(b), PT_BREAKER_OPEN);
    assert_int_equal(pt_breaker_fails(b), 3);
    pt_breaker_free(b);
}

/* ---- the call wrapper ---- */

static int calls;
static int call_rc(void *arg, void **out)
{
    calls++;
    int rc = *(int *)arg;
    if (rc == 0)
        *out = "real";
    return rc;
}
static pt_outcome_t only_5xx(int rc, void *arg)
{
    (void)arg;
    return rc == 0 ? PT_OUTCOME_SUCCESS : rc >= 500 ? PT_OUTCOME_FAILURE : PT_OUTCOME_IGNORED;
}

static void test_call_classify_and_fallback(void **state)
{
    (void)state;
    atomic_store(&fake_ns, 0);
    pt_breaker_t *b = pt_breaker_new(.max_fails = 2, .classify = only_5xx, .clock = &fake_clock);
    void *out = NULL;
    int rc404 = 404, rc503 = 503, ok = 0;
    calls = 0;
    for (int i = 0; i < 5; i++)
        assert_int_equal(pt_breaker_call(b, call_rc, &rc404, &out), 404); /* not counted */
    assert_int_equal(pt_breaker_fails(b), 0);
    assert_int_equal(pt_breaker_call(b, call_rc, &rc503, &out), 503);
    assert_int_equal(pt_breaker_call(b, call_rc, &rc503, &out), 503);
    assert_int_equal(pt_breaker_state(b), PT_BREAKER_OPEN);
    assert_int_equal(pt_breaker_call(b, call_rc, &ok, &out), PT_ECIRCUIT_OPEN);
    assert_int_equal(calls, 7); /* the refused call did not run */
    pt_breaker_free(b);

    static char fb[] = "fallback";
    b = pt_breaker_new(.max_fails = 1, .fallback = fb, .clock = &fake_clock);
    out = NULL;
    assert_int_equal(pt_breaker_call(b, call_rc, &ok, &out), 0);
    assert_string_equal(out, "real");
    int fail = 1;
    assert_int_equal(pt_breaker_call(b, call_rc, &fail, &out), 0); /* failure → fallback */
    assert_ptr_equal(out, fb);
    out = NULL;
    calls = 0;
    assert_int_equal(pt_breaker_call(b, call_rc, &ok, &out), 0); /* open → fallback */
    assert_ptr_equal(out, fb);
    assert_int_equal(calls, 0);
    pt_breaker_free(b);
}

/* ---- concurrency: coroutines on two schedulers and plain threads ---- */

static pt_breaker_t *shared;
static atomic_int ran, refused, transitions, out_of_order;
static _Atomic int last_to;

static void count_transition(pt_breaker_t *b, pt_breaker_state_t from, pt_breaker_state_t to, void *arg)
{
    (void)b;
    (void)arg;
    /* Under the breaker's lock: every change starts where the last ended. */
    if ((int)from != atomic_load(&last_to))
        atomic_store(&out_of_order, 1);
    atomic_store(&last_to, (int)to);
    atomic_fetch_add(&transitions, 1);
}

static void hammer(int idx)
{
    for (int k = 0; k < 50; k++) {
        pt_breaker_ticket_t t;
        if (pt_breaker_enter(shared, &t) != 0) {
            atomic_fetch_add(&refused, 1);
            pt_sleep_ms(1);
            continue;
        }
        atomic_fetch_add(&ran, 1);
        if ((k + idx) % 7 == 0)
            pt_sleep_ms(1); /* overlap with others */
        /* Mostly failures, some successes: the circuit keeps cycling. */
        pt_breaker_leave(shared, &t, (k + idx) % 4 == 0 ? PT_OUTCOME_SUCCESS : PT_OUTCOME_FAILURE);
    }
}

static void test_concurrent_cycles_stay_consistent(void **state)
{
    (void)state;
    atomic_store(&ran, 0);
    atomic_store(&refused, 0);
    atomic_store(&transitions, 0);
    atomic_store(&out_of_order, 0);
    atomic_store(&last_to, PT_BREAKER_CLOSED);
    shared = pt_breaker_new(.max_fails = 3, .reset_ms = 2, .max_half_open = 2,
                            .on_state = count_transition);
    mt_sched_t a, b;
    mt_thread_t th[3];
    mt_spawn(&a, hammer, 8, 0);
    mt_spawn(&b, hammer, 8, 100);
    mt_threads(th, 3, hammer, 200);
    pthread_join(a.th, NULL);
    pthread_join(b.th, NULL);
    mt_join(th, 3);
    assert_int_equal(atomic_load(&ran) + atomic_load(&refused), (8 + 8 + 3) * 50);
    assert_true(atomic_load(&refused) > 0);
    assert_true(atomic_load(&transitions) >= 3); /* opened, went half-open, ... */
    assert_int_equal(atomic_load(&out_of_order), 0);
    pt_breaker_free(shared);
}

/* ---- throttle ---- */

static void test_throttle_spacing_on_fake_clock(void **state)
{
    (void)state;
    atomic_store(&fake_ns, 0);
    pt_throttle_t *t = pt_throttle_new(.rate = 10, .jitter = PT_THROTTLE_NO_JITTER, .clock = &fake_clock);
    assert_non_null(t);
    assert_int_equal(pt_throttle_enter(t), 0);
    assert_int_equal(pt_throttle_enter(t), 100 * MS);
    assert_int_equal(atomic_load(&fake_ns), 100 * MS);
    assert_int_equal(pt_throttle_enter(t), 100 * MS);
    /* A caller that comes late does not bank the time it was away. */
    atomic_fetch_add(&fake_ns, 1000 * MS);
    assert_int_equal(pt_throttle_enter(t), 0);
    assert_int_equal(pt_throttle_enter(t), 100 * MS);
    pt_throttle_free(t);
}

static double r_zero(void *arg) { (void)arg; return 0.0; }
static double r_almost_one(void *arg) { (void)arg; return 0.999999; }

static void test_throttle_jitter_bounds(void **state)
{
    (void)state;
    atomic_store(&fake_ns, 0);
    pt_throttle_t *t = pt_throttle_new(.rate = 10, .rand = r_zero, .clock = &fake_clock);
    assert_true(fabs(pt_throttle_jitter(t) - 0.2) < 1e-12); /* default */
    pt_throttle_enter(t);
    assert_int_equal(pt_throttle_enter(t), 80 * MS); /* 100 ms × (1 − 0.2) */
    pt_throttle_free(t);
    atomic_store(&fake_ns, 0);
    t = pt_throttle_new(.rate = 10, .rand = r_almost_one, .jitter = 0.5, .clock = &fake_clock);
    pt_throttle_enter(t);
    int64_t w = pt_throttle_enter(t);
    assert_true(w > 149 * MS && w <= 150 * MS); /* 100 ms × (1 + 0.5) */
    pt_throttle_free(t);
}

static void leave_n(pt_throttle_t *t, int n, bool ok)
{
    for (int i = 0; i < n; i++)
        pt_throttle_leave(t, ok);
}

static void test_throttle_adapts_within_bounds(void **state)
{
    (void)state;
    pt_throttle_t *t = pt_throttle_new(.rate = 100, .min_rate = 50, .max_rate = 200, .window = 4,
                                       .clock = &fake_clock);
    leave_n(t, 3, false);
    assert_int_equal(pt_throttle_fails(t), 3);
    assert_true(pt_throttle_rate(t) == 100); /* the window is not full yet */
    leave_n(t, 1, false);
    assert_true(pt_throttle_rate(t) == 75); /* ratio 0 < 0.25: × 0.75 */
    assert_int_equal(pt_throttle_fails(t), 0);
    leave_n(t, 4, false);
    assert_true(pt_throttle_rate(t) == 56.25);
    leave_n(t, 4, false);
    assert_true(pt_throttle_rate(t) == 50); /* clamped at min */
    leave_n(t, 2, true);
    leave_n(t, 2, false);
    assert_true(pt_throttle_rate(t) == 50); /* 0.5 is within the bounds */
    leave_n(t, 4, true);
    assert_true(pt_throttle_rate(t) == 62.5); /* ratio 1 > 0.75: × 1.25 */
    for (int i = 0; i < 10; i++)
        leave_n(t, 4, true);
    assert_true(pt_throttle_rate(t) == 200); /* clamped at max */
    leave_n(t, 3, true);
    pt_throttle_reset(t);
    assert_int_equal(pt_throttle_successes(t), 0);
    pt_throttle_free(t);

    t = pt_throttle_new(.rate = 10);
    assert_true(pt_throttle_rate(t) == 10);
    pt_throttle_free(t);
    assert_null(pt_throttle_new(.rate = 0));
    assert_null(pt_throttle_new(.rate = 10, .min_rate = 20, .max_rate = 5));
    assert_null(pt_throttle_new(.rate = 10, .jitter = 1.5));
    assert_null(pt_throttle_new(.rate = 10, .lower = 0.9, .upper = 0.5));
}

/* Real clock: 40 entrants from coroutines and threads at 500/s must take
 * at least 39 gaps of 2 ms between the first and the last admission. */
static pt_throttle_t *thr;
static _Atomic int64_t first_ns = INT64_MAX, last_ns;
static int64_t mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}
static void throttled(int idx)
{
    (void)idx;
    for (int k = 0; k < 5; k++) {
        pt_throttle_enter(thr);
        int64_t now = mono_ns();
        int64_t f = atomic_load(&first_ns);
        while (now < f && !atomic_compare_exchange_weak(&first_ns, &f, now))
            ;
        int64_t l = atomic_load(&last_ns);
        while (now > l && !atomic_compare_exchange_weak(&last_ns, &l, now))
            ;
        pt_throttle_leave(thr, true);
    }
}

static void test_throttle_rate_holds_across_callers(void **state)
{
    (void)state;
    thr = pt_throttle_new(.rate = 500, .jitter = PT_THROTTLE_NO_JITTER, .window = 1000);
    mt_sched_t a, b;
    mt_thread_t th[2];
    mt_spawn(&a, throttled, 3, 0);
    mt_spawn(&b, throttled, 3, 0);
    mt_threads(th, 2, throttled, 0);
    pthread_join(a.th, NULL);
    pthread_join(b.th, NULL);
    mt_join(th, 2);
    /* Slot times are exact; a coroutine may wake up to 1 ms past its slot,
     * so allow that much off the span. */
    assert_true(atomic_load(&last_ns) - atomic_load(&first_ns) >= 39 * 2 * MS - 1 * MS);
    assert_int_equal(pt_throttle_successes(thr), 40);
    pt_throttle_free(thr);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults_and_names),
        cmocka_unit_test(test_success_resets_consecutive_failures),
        cmocka_unit_test(test_open_half_open_closed_cycle),
        cmocka_unit_test(test_half_open_limits_and_drains_trials),
        cmocka_unit_test(test_stale_closed_outcomes_ignored),
        cmocka_unit_test(test_call_classify_and_fallback),
        cmocka_unit_test(test_concurrent_cycles_stay_consistent),
        cmocka_unit_test(test_throttle_spacing_on_fake_clock),
        cmocka_unit_test(test_throttle_jitter_bounds),
        cmocka_unit_test(test_throttle_adapts_within_bounds),
        cmocka_unit_test(test_throttle_rate_holds_across_callers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
