/* Shared by the expiration grammar tests (test_expiry*.c): the "now" they
 * use and checks that name the failing input and line. Expected epoch
 * values were computed with Python's datetime, not with the code under
 * test. Include after cmocka.h's prerequisites; it includes cmocka.h. */
#ifndef EXPIRY_TEST_H
#define EXPIRY_TEST_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "ponty/expiry.h"

#define S_US  INT64_C(1000000)
#define MS    INT64_C(1000)
/* 2023-06-15T10:00:00Z, the "now" of most tests */
#define DAY0_MS INT64_C(1686787200000) /* 2023-06-15T00:00:00Z */
#define NOW (DAY0_MS + 10 * 3600 * MS)

/* ---- helpers that name the failing input ------------------------------- */

#define check_dur(s, want) check_dur_(s, want, __LINE__)
static inline void check_dur_(const char *s, int64_t want, int line)
{
    int64_t got = -12345;
    char err[256] = "";
    int rc = pt_duration_parse_us(s, &got, err, sizeof err);
    if (rc != 0 || got != want) {
        print_error("line %d: duration '%s': rc=%d got=%lld want=%lld (%s)\n", line, s, rc,
                    (long long)got, (long long)want, err);
        fail();
    }
}

#define check_dt(s, want) check_dt_(s, want, __LINE__)
static inline void check_dt_(const char *s, int64_t want, int line)
{
    int64_t got = -12345;
    char err[256] = "";
    int rc = pt_datetime_parse_us(s, &got, err, sizeof err);
    if (rc != 0 || got != want) {
        print_error("line %d: datetime '%s': rc=%d got=%lld want=%lld (%s)\n", line, s, rc,
                    (long long)got, (long long)want, err);
        fail();
    }
}

#define check_date(s, want) check_date_(s, want, __LINE__)
static inline void check_date_(const char *s, int64_t want, int line)
{
    int64_t got = -12345;
    char err[256] = "";
    int rc = pt_date_parse_us(s, &got, err, sizeof err);
    if (rc != 0 || got != want) {
        print_error("line %d: date '%s': rc=%d got=%lld want=%lld (%s)\n", line, s, rc,
                    (long long)got, (long long)want, err);
        fail();
    }
}

#define check_tod(s, h, m, sec, us, has_off, off) check_tod_(s, h, m, sec, us, has_off, off, __LINE__)
static inline void check_tod_(const char *s, int h, int m, int sec, int us, bool has_off, int off, int line)
{
    pt_timeofday_t t = { 0 };
    char err[256] = "";
    int rc = pt_timeofday_parse(s, &t, err, sizeof err);
    int64_t want = ((int64_t)h * 3600 + m * 60 + sec) * S_US + us;
    if (rc != 0 || t.us != want || t.has_offset != has_off || t.offset_min != off) {
        print_error("line %d: time '%s': rc=%d us=%lld/%lld off=%d/%d has=%d (%s)\n", line, s, rc,
                    (long long)t.us, (long long)want, t.offset_min, off, t.has_offset, err);
        fail();
    }
}

/* The entry point: kind and absolute expiry at NOW. */
#define check_exp(s, kind, at) check_exp_(s, kind, at, __LINE__)
static inline void check_exp_(const char *s, pt_expiry_kind_t kind, int64_t at, int line)
{
    pt_expiry_t e;
    memset(&e, 0x5a, sizeof e);
    char err[256] = "";
    int rc = pt_expiry_parse(s, NOW, &e, err, sizeof err);
    if (rc != 0 || e.kind != kind || e.at_ms != at) {
        print_error("line %d: expiration '%s': rc=%d kind=%d/%d at=%lld/%lld (%s)\n", line, s, rc,
                    e.kind, kind, (long long)e.at_ms, (long long)at, err);
        fail();
    }
}
#define check_ttl(s, ttl) check_exp(s, PT_EXPIRY_DURATION, NOW + (ttl))

/* Every parser refuses s with exactly this message. */
#define check_err(rc_expr, want) check_err_(#rc_expr, (rc_expr), err, want, __LINE__)
static inline void check_err_(const char *expr, int rc, const char *err, const char *want, int line)
{
    if (rc != -1 || strcmp(err, want) != 0) {
        print_error("line %d: %s: rc=%d err=\"%s\" want \"%s\"\n", line, expr, rc, err, want);
        fail();
    }
}

#endif
