/* Coroutine switch smoke test with no dependencies beyond libc, so it can be
 * cross-compiled and run under qemu-user for the architectures this machine
 * is not (make aarch64-check). Checks resume/yield order, callee-saved
 * integer and FP registers across switches, FP control per context, and exit
 * from deep frames. */
#define _GNU_SOURCE
#include <fenv.h>
#include <stdio.h>
#include <stdlib.h>

#include "core/coro.h"

#define CHECK(c) do { if (!(c)) { fprintf(stderr, "FAIL %s:%d: %s\n", __FILE__, __LINE__, #c); exit(1); } } while (0)

static int trace[8], ntrace;

static void ping(void *arg)
{
    int base = *(int *)arg;
    for (int i = 1; i <= 3; i++) {
        trace[ntrace++] = base + i;
        if (i < 3)
            pt__coro_yield();
    }
}

/* Work the FP and integer callee-saved registers hard on both sides. */
static __attribute__((noinline)) double churn(int n)
{
    double a = 1.0, b = 2.0, c = 3.0, d = 4.0, e = 5.0, f = 6.0, g = 7.0, h = 8.0;
    for (int i = 0; i < n; i++) {
        a += b * 0.5; b += c * 0.25; c += d * 0.125; d += e * 0.0625;
        e += f * 0.5; f += g * 0.25; g += h * 0.125; h += a * 0.0625;
        pt__coro_yield();
    }
    return a + b + c + d + e + f + g + h;
}

static double churn_result;
static void churner(void *arg) { (void)arg; churn_result = churn(5); }

static int round_seen;
static void rounding(void *arg)
{
    (void)arg;
    round_seen = fegetround();
    fesetround(FE_UPWARD);
    pt__coro_yield();
    round_seen = fegetround();
}

static void deep(int n) { if (n > 0) deep(n - 1); else pt__coro_exit(); abort(); }
static void exiter(void *arg) { (void)arg; deep(40); }

int main(void)
{
    pt__coro_pool_t *pool = pt__coro_pool_new(0, 4);
    int a = 10, b = 20;
    pt__coro_t *x = pt__coro_new(pool, ping, &a), *y = pt__coro_new(pool, ping, &b);
    while (pt__coro_resume(x) | pt__coro_resume(y)) {}
    int want[] = { 11, 21, 12, 22, 13, 23 };
    for (int i = 0; i < 6; i++)
        CHECK(trace[i] == want[i]);
    pt__coro_release(x);
    pt__coro_release(y);

    /* Reference value computed without switching. */
    double ref;
    {
        double s1 = 1.0, s2 = 2.0, s3 = 3.0, s4 = 4.0, s5 = 5.0, s6 = 6.0, s7 = 7.0, s8 = 8.0;
        for (int i = 0; i < 5; i++) {
            s1 += s2 * 0.5; s2 += s3 * 0.25; s3 += s4 * 0.125; s4 += s5 * 0.0625;
            s5 += s6 * 0.5; s6 += s7 * 0.25; s7 += s8 * 0.125; s8 += s1 * 0.0625;
        }
        ref = s1 + s2 + s3 + s4 + s5 + s6 + s7 + s8;
    }
    pt__coro_t *c = pt__coro_new(pool, churner, NULL);
    volatile double mine = 0.5;
    double m1 = mine * 3, m2 = mine * 5, m3 = mine * 7, m4 = mine * 9;
    while (pt__coro_resume(c)) { m1 += 1; m2 += 2; m3 += 3; m4 += 4; }
    CHECK(churn_result == ref);
    CHECK(m1 == 1.5 + 5 && m2 == 2.5 + 10 && m3 == 3.5 + 15 && m4 == 4.5 + 20);
    pt__coro_release(c);

    fesetround(FE_TOWARDZERO);
    c = pt__coro_new(pool, rounding, NULL);
    CHECK(pt__coro_resume(c));
    CHECK(round_seen == FE_TONEAREST);
    CHECK(fegetround() == FE_TOWARDZERO);
    CHECK(!pt__coro_resume(c));
    CHECK(round_seen == FE_UPWARD);
    CHECK(fegetround() == FE_TOWARDZERO);
    fesetround(FE_TONEAREST);
    pt__coro_release(c);

    for (int i = 0; i < 10; i++) {
        c = pt__coro_new(pool, exiter, NULL);
        CHECK(!pt__coro_resume(c));
        pt__coro_release(c);
    }
    pt__coro_pool_free(pool);
    puts("coro_smoke: 1 passed, 0 failed");
    return 0;
}
