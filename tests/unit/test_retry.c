/* pt_retry: the delay rule, bounded attempts, which errors are retried, the
 * last error returned unchanged, and sleeping that suspends a coroutine. */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "ponty/retry.h"
#include "ponty/sync.h"
#include "core/sched.h"

static void delays_follow_the_rule(void **state)
{
    (void)state;
    pt_retry_opts_t o = { .backoff_factor = 2 };
    const int64_t want[] = { 100, 200, 400, 800, 1600, 3200, 4000, 4000 };
    for (unsigned n = 0; n < 8; n++)
        assert_int_equal(pt_retry_delay_ms(&o, n, 0), want[n]);
    /* defaults: t1 100, t2 4000, b 1 → constant */
    pt_retry_opts_t d = { 0 };
    for (unsigned n = 0; n < 5; n++)
        assert_int_equal(pt_retry_delay_ms(&d, n, 12345), 100);
    /* b < 1 accelerates; t2 caps */
    pt_retry_opts_t fast = { .t1_ms = 1000, .t2_ms = 1500, .backoff_factor = 0.5 };
    assert_int_equal(pt_retry_delay_ms(&fast, 0, 0), 1000);
    assert_int_equal(pt_retry_delay_ms(&fast, 1, 0), 500);
    pt_retry_opts_t capped = { .t1_ms = 1000, .t2_ms = 1500, .backoff_factor = 3 };
    assert_int_equal(pt_retry_delay_ms(&capped, 1, 0), 1500);
    /* huge exponents do not overflow */
    assert_int_equal(pt_retry_delay_ms(&o, 5000, 0), 4000);
}

static void anticollision_draws_k_below_b_to_the_n(void **state)
{
    (void)state;
    pt_retry_opts_t o = { .backoff_factor = 2, .anticollision = true, .t2_ms = 1000000 };
    /* n = 3: k in [0, 8) → k * 100 */
    for (uint64_t rnd = 0; rnd < 64; rnd++)
        assert_int_equal(pt_retry_delay_ms(&o, 3, rnd), (int64_t)(rnd % 8) * 100);
    /* n = 0: [0, 1) → always 0 */
    assert_int_equal(pt_retry_delay_ms(&o, 0, 999), 0);
    /* b = 1: [0, 1) → 0 */
    pt_retry_opts_t one = { .anticollision = true };
    assert_int_equal(pt_retry_delay_ms(&one, 7, 123456789), 0);
    /* b < 1: empty range → 0 */
    pt_retry_opts_t half = { .anticollision = true, .backoff_factor = 0.5 };
    assert_int_equal(pt_retry_delay_ms(&half, 3, 5), 0);
    /* still capped by t2 */
    pt_retry_opts_t c = { .backoff_factor = 2, .anticollision = true, .t2_ms = 250 };
    assert_int_equal(pt_retry_delay_ms(&c, 10, 1000), 250);
    assert_int_equal(pt_retry_delay_ms(&o, 200, UINT64_MAX), 1000000);
}

typedef struct counter {
    int calls;
    int fail_times;   /* fail this many calls, then succeed */
    const int *codes; /* error of call i (cycled); NULL: 7 */
    int ncodes;
} counter_t;

static int flaky(void *arg)
{
    counter_t *c = arg;
    int i = c->calls++;
    if (i >= c->fail_times)
        return 0;
    return c->codes ? c->codes[i % c->ncodes] : 7;
}

static void retries_are_bounded_and_return_the_last_error(void **state)
{
    (void)state;
    static const int codes[] = { 3, 4, 5 };
    counter_t c = { .fail_times = 100, .codes = codes, .ncodes = 3 };
    int64_t t0 = pt_now_mono_ms();
    int rc = pt_retry(flaky, &c, .max_retries = 4, .t1_ms = 10);
    assert_int_equal(c.calls, 5);
    assert_int_equal(rc, 4); /* fifth call: codes[4 % 3] */
    assert_true(pt_now_mono_ms() - t0 >= 40);

    counter_t dflt = { .fail_times = 100 };
    assert_int_equal(pt_retry(flaky, &dflt, .t1_ms = 1), 7);
    assert_int_equal(dflt.calls, 2); /* default: one retry */

    counter_t ok = { .fail_times = 2 };
    assert_int_equal(pt_retry(flaky, &ok, .max_retries = 5, .t1_ms = 1), 0);
    assert_int_equal(ok.calls, 3);
}

static bool only_five(int err, void *arg)
{
    (void)arg;
    return err == 5;
}

static void only_listed_errors_are_retried(void **state)
{
    (void)state;
    static const int codes[] = { 3, 4 };
    counter_t c = { .fail_times = 100, .codes = codes, .ncodes = 2 };
    /* 3 is retryable, 4 is not: stops at the second call with 4 */
    assert_int_equal(pt_retry(flaky, &c, .max_retries = 10, .t1_ms = 1, .errors = PT_ERRORS(3)), 4);
    assert_int_equal(c.calls, 2);

    static const int fives[] = { 5, 5, 6 };
    counter_t p = { .fail_times = 100, .codes = fives, .ncodes = 3 };
    assert_int_equal(pt_retry(flaky, &p, .max_retries = 10, .t1_ms = 1, .retry_if = only_five), 6);
    assert_int_equal(p.calls, 3);

    /* either the list or the predicate may allow a retry */
    static const int mixed[] = { 5, 3, 9 };
    counter_t m = { .fail_times = 100, .codes = mixed, .ncodes = 3 };
    assert_int_equal(pt_retry(flaky, &m, .max_retries = 10, .t1_ms = 1, .errors = PT_ERRORS(3),
                              .retry_if = only_five), 9);
    assert_int_equal(m.calls, 3);
}

/* Two coroutines on one scheduler: while one sleeps between attempts, the
 * other runs, so the retry's sleep suspended instead of blocking. */
typedef struct co_task {
    pt__task_t task;
    int       which;
} co_task_t;

static int order[16], norder;
static int done_tasks;

static int record_fail(void *arg)
{
    (void)arg;
    order[norder++] = 1;
    return 1;
}

static void co_run(pt__task_t *t)
{
    co_task_t *c = (co_task_t *)t;
    if (c->which == 0) {
        assert_int_equal(pt_retry(record_fail, NULL, .max_retries = 2, .t1_ms = 30), 1);
    } else {
        for (int i = 0; i < 3; i++) {
            order[norder++] = 2;
            pt_sleep_ms(20);
        }
    }
}

static void co_done(pt__task_t *t)
{
    (void)t;
    done_tasks++;
}

static void noop_timer(uv_timer_t *t) { (void)t; }

static void sleeping_suspends_a_coroutine(void **state)
{
    (void)state;
    uv_loop_t loop;
    uv_loop_init(&loop);
    pt__sched_t *s = pt__sched_new(&loop, 64 * 1024);
    co_task_t a = { .task = { .run = co_run, .done = co_done }, .which = 0 };
    co_task_t b = { .task = { .run = co_run, .done = co_done }, .which = 1 };
    pt__sched_start(s, &a.task);
    pt__sched_start(s, &b.task);
    uv_timer_t keepalive;
    uv_timer_init(&loop, &keepalive);
    while (done_tasks < 2) {
        uv_timer_start(&keepalive, noop_timer, 5, 0);
        uv_run(&loop, UV_RUN_ONCE);
    }
    uv_close((uv_handle_t *)&keepalive, NULL);
    pt__sched_free(s);
    uv_loop_close(&loop);
    /* attempt, the other task, attempt, ... interleaved */
    assert_int_equal(norder, 6);
    assert_int_equal(order[0], 1);
    assert_int_equal(order[1], 2);
    int attempts = 0;
    for (int i = 0; i < norder; i++)
        attempts += order[i] == 1;
    assert_int_equal(attempts, 3);
    assert_true(order[2] == 1 || order[3] == 1); /* an attempt came back before the other finished */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(delays_follow_the_rule),
        cmocka_unit_test(anticollision_draws_k_below_b_to_the_n),
        cmocka_unit_test(retries_are_bounded_and_return_the_last_error),
        cmocka_unit_test(only_listed_errors_are_retried),
        cmocka_unit_test(sleeping_suspends_a_coroutine),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
