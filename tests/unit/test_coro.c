/* Coroutine switch: resume/yield order, argument passing, callee-saved state,
 * floating-point control state, exit from deep frames, pooling, and a stack
 * overflow hitting the guard page. */
#define _GNU_SOURCE
#include <fenv.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "core/coro.h"

static int trace[16];
static int ntrace;

static void ping(void *arg)
{
    int base = *(int *)arg;
    trace[ntrace++] = base + 1;
    pt__coro_yield();
    trace[ntrace++] = base + 2;
    pt__coro_yield();
    trace[ntrace++] = base + 3;
}

static void test_resume_yield_order(void **state)
{
    (void)state;
    pt__coro_pool_t *pool = pt__coro_pool_new(0, 4);
    int a = 10, b = 20;
    ntrace = 0;
    pt__coro_t *x = pt__coro_new(pool, ping, &a);
    pt__coro_t *y = pt__coro_new(pool, ping, &b);
    assert_true(pt__coro_resume(x));
    assert_true(pt__coro_resume(y));
    assert_true(pt__coro_resume(x));
    assert_true(pt__coro_resume(y));
    assert_false(pt__coro_resume(x));
    assert_false(pt__coro_resume(y));
    int want[] = { 11, 21, 12, 22, 13, 23 };
    assert_int_equal(ntrace, 6);
    assert_memory_equal(trace, want, sizeof want);
    assert_null(pt__coro_self());
    pt__coro_release(x);
    pt__coro_release(y);
    pt__coro_pool_free(pool);
}

/* The compiler keeps these in callee-saved registers across the resume. */
static void spin(void *arg) { (void)arg; for (int i = 0; i < 3; i++) pt__coro_yield(); }

static void test_callee_saved_survive(void **state)
{
    (void)state;
    pt__coro_pool_t *pool = pt__coro_pool_new(0, 4);
    pt__coro_t *co = pt__coro_new(pool, spin, NULL);
    volatile uint64_t k = 0x1234;
    uint64_t r1 = k * 3, r2 = k * 5, r3 = k * 7, r4 = k * 11, r5 = k * 13;
    double d1 = (double)k * 1.5, d2 = (double)k * 2.5;
    while (pt__coro_resume(co)) {
        r1 += 1; r2 += 2; r3 += 3; r4 += 4; r5 += 5; d1 += 0.5; d2 += 0.25;
    }
    assert_int_equal(r1, 0x1234 * 3 + 3);
    assert_int_equal(r2, 0x1234 * 5 + 6);
    assert_int_equal(r3, 0x1234 * 7 + 9);
    assert_int_equal(r4, 0x1234 * 11 + 12);
    assert_int_equal(r5, 0x1234 * 13 + 15);
    assert_true(d1 == 0x1234 * 1.5 + 1.5);
    assert_true(d2 == 0x1234 * 2.5 + 0.75);
    pt__coro_release(co);
    pt__coro_pool_free(pool);
}

static int seen_round;
static void set_round(void *arg)
{
    (void)arg;
    seen_round = fegetround();
    fesetround(FE_UPWARD); /* the coroutine's own mode */
    pt__coro_yield();
    seen_round = fegetround();
}

static void test_fp_control_per_context(void **state)
{
    (void)state;
    pt__coro_pool_t *pool = pt__coro_pool_new(0, 4);
    fesetround(FE_TOWARDZERO);
    pt__coro_t *co = pt__coro_new(pool, set_round, NULL);
    assert_true(pt__coro_resume(co));
    /* A new coroutine starts in the default mode, and its change stays its own. */
    assert_int_equal(seen_round, FE_TONEAREST);
    assert_int_equal(fegetround(), FE_TOWARDZERO);
    assert_false(pt__coro_resume(co));
    assert_int_equal(seen_round, FE_UPWARD);
    assert_int_equal(fegetround(), FE_TOWARDZERO);
    fesetround(FE_TONEAREST);
    pt__coro_release(co);
    pt__coro_pool_free(pool);
}

/* gcc cannot see that pt__coro_exit ends the recursion. */
#pragma GCC diagnostic ignored "-Winfinite-recursion"
static int after_exit;
static void deep(int n) { if (n > 0) deep(n - 1); else pt__coro_exit(); after_exit++; }
static void exit_deep(void *arg) { (void)arg; deep(50); after_exit++; }

static void test_exit_from_deep_frames(void **state)
{
    (void)state;
    pt__coro_pool_t *pool = pt__coro_pool_new(0, 4);
    after_exit = 0;
    for (int i = 0; i < 100; i++) {
        pt__coro_t *co = pt__coro_new(pool, exit_deep, NULL);
        assert_false(pt__coro_resume(co));
        pt__coro_release(co); /* back to the pool: the next round reuses the stack */
    }
    assert_int_equal(after_exit, 0);
    pt__coro_pool_free(pool);
}

static void test_pool_reuses_stacks(void **state)
{
    (void)state;
    pt__coro_pool_t *pool = pt__coro_pool_new(64 * 1024, 2);
    pt__coro_t *a = pt__coro_new(pool, spin, NULL);
    void *lo_a; size_t sz;
    pt__coro_stack(a, &lo_a, &sz);
    assert_int_equal(sz, 64 * 1024);
    while (pt__coro_resume(a)) {}
    pt__coro_release(a);
    pt__coro_t *b = pt__coro_new(pool, spin, NULL);
    void *lo_b;
    pt__coro_stack(b, &lo_b, &sz);
    assert_ptr_equal(lo_a, lo_b);
    while (pt__coro_resume(b)) {}
    pt__coro_release(b);
    pt__coro_pool_free(pool);
}

static void overflow(void *arg)
{
    volatile char *lo = arg;
    lo[-1] = 1; /* one byte below the stack: the guard page */
}

static void test_guard_page_faults(void **state)
{
    (void)state;
    pid_t pid = fork();
    if (pid == 0) {
        signal(SIGSEGV, SIG_DFL);
        pt__coro_pool_t *pool = pt__coro_pool_new(0, 1);
        pt__coro_t *co = pt__coro_new(pool, overflow, NULL);
        void *lo; size_t sz;
        pt__coro_stack(co, &lo, &sz);
        pt__coro_release(co);
        co = pt__coro_new(pool, overflow, lo);
        pt__coro_resume(co);
        _exit(0);
    }
    int st = 0;
    waitpid(pid, &st, 0);
    /* Killed by SIGSEGV, or (under ASan) reported and exited non-zero. */
    assert_true(WIFSIGNALED(st) || (WIFEXITED(st) && WEXITSTATUS(st) != 0));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_resume_yield_order),
        cmocka_unit_test(test_callee_saved_survive),
        cmocka_unit_test(test_fp_control_per_context),
        cmocka_unit_test(test_exit_from_deep_frames),
        cmocka_unit_test(test_pool_reuses_stacks),
        cmocka_unit_test(test_guard_page_faults),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
