/* The expiration grammar against every example in aquiche's README (its
 * duration, datetime, date and time tables and the decorator examples),
 * plus errors, boundary numbers, offsets and leap years.
 *
 * Expected epoch values were computed with Python's datetime, not with the
 * code under test. */
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
static void check_dur_(const char *s, int64_t want, int line)
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
static void check_dt_(const char *s, int64_t want, int line)
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
static void check_date_(const char *s, int64_t want, int line)
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
static void check_tod_(const char *s, int h, int m, int sec, int us, bool has_off, int off, int line)
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
static void check_exp_(const char *s, pt_expiry_kind_t kind, int64_t at, int line)
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
static void check_err_(const char *expr, int rc, const char *err, const char *want, int line)
{
    if (rc != -1 || strcmp(err, want) != 0) {
        print_error("line %d: %s: rc=%d err=\"%s\" want \"%s\"\n", line, expr, rc, err, want);
        fail();
    }
}

/* ---- README: "Other possible refresh/timedelta values" ------------------ */

static void test_readme_durations(void **state)
{
    (void)state;
    check_dur("30", 30 * S_US);
    check_dur("15:30", (15 * 60 + 30) * S_US);
    check_dur("5:30", (5 * 60 + 30) * S_US);
    check_dur("10:15:30", (10 * 3600 + 15 * 60 + 30) * S_US);
    check_dur("1:15:30", (1 * 3600 + 15 * 60 + 30) * S_US);
    check_dur("100:200:300", (100 * 3600 + 200 * 60 + 300) * S_US);
    check_dur("4 15:30", (4 * 86400 + 15 * 60 + 30) * S_US);
    check_dur("4 10:15:30", (4 * 86400 + 10 * 3600 + 15 * 60 + 30) * S_US);
    check_dur("15:30.1", 930 * S_US + 100000);
    check_dur("15:30.01", 930 * S_US + 10000);
    check_dur("15:30.001", 930 * S_US + 1000);
    check_dur("15:30.0001", 930 * S_US + 100);
    check_dur("15:30.00001", 930 * S_US + 10);
    check_dur("15:30.000001", 930 * S_US + 1);
    check_dur("P4D", 4 * 86400 * S_US);
    check_dur("P0.5D", 12 * 3600 * S_US);
    check_dur("PT5H", 5 * 3600 * S_US);
    check_dur("PT5M", 5 * 60 * S_US);
    check_dur("PT5S", 5 * S_US);
    check_dur("PT0.000005S", 5);
    check_dur("1m 10h 10s", 36070 * S_US);
    check_dur("1minute 10hour 10second", 36070 * S_US);
    check_dur("1minutes 10hours 10seconds", 36070 * S_US);
    check_dur("1 minutes 2 days 10 hours 10 seconds", 208870 * S_US);
    check_dur("1 m 2 d 10 h 10 s", 208870 * S_US);
    check_dur("1 minute 2 day 10 hours 10 seconds", 208870 * S_US);
    /* the decorator examples */
    check_dur("1 day 42 minutes 6 seconds", 88926 * S_US);
    check_dur("1d42m6s", 88926 * S_US);
    check_dur("1m", 60 * S_US);
    check_dur("10minutes", 600 * S_US);
    check_dur("10 minutes", 600 * S_US);
    check_dur("1 day", 86400 * S_US);
    check_dur("1 hour", 3600 * S_US);
    check_dur("30seconds", 30 * S_US);
    check_dur("1minute", 60 * S_US);
    check_dur("30 minutes", 1800 * S_US);
    check_dur("12 hours", 12 * 3600 * S_US);
    check_dur("10s", 10 * S_US);
}

static void test_readme_duration_errors(void **state)
{
    (void)state;
    char err[256];
    int64_t us;
    /* years, months and weeks have no fixed length: DurationError */
    check_err(pt_duration_parse_us("P4Y", &us, err, sizeof err), "invalid duration 'P4Y'");
    check_err(pt_duration_parse_us("P4M", &us, err, sizeof err), "invalid duration 'P4M'");
    check_err(pt_duration_parse_us("P4W", &us, err, sizeof err), "invalid duration 'P4W'");
    /* and so they are not expirations at all */
    pt_expiry_t e;
    check_err(pt_expiry_parse("P4W", NOW, &e, err, sizeof err), "invalid expiration 'P4W'");
    check_err(pt_expiry_parse("P4Y", NOW, &e, err, sizeof err), "invalid expiration 'P4Y'");
}

static void test_readme_duration_numbers(void **state)
{
    (void)state;
    char err[256];
    pt_expiry_t e;
    /* 30 -> 30 s, 30.1 -> 30.1 s, 9.9e-05 -> 99 us (0 whole ms) */
    e = pt_expiry_from_int(30, NOW);
    assert_int_equal(e.kind, PT_EXPIRY_DURATION);
    assert_int_equal(e.ttl_ms, 30000);
    assert_int_equal(e.at_ms, NOW + 30000);
    assert_int_equal(pt_expiry_from_number(30.1, NOW, &e, err, sizeof err), 0);
    assert_int_equal(e.kind, PT_EXPIRY_DURATION);
    assert_int_equal(e.ttl_ms, 30100);
    assert_int_equal(pt_expiry_from_number(9.9e-05, NOW, &e, err, sizeof err), 0);
    assert_int_equal(e.ttl_ms, 0);
    assert_int_equal(pt_expiry_from_number(0.099, NOW, &e, err, sizeof err), 0);
    assert_int_equal(e.ttl_ms, 99);
    /* timedelta(seconds=30) */
    e = pt_expiry_ttl_ms(30000, NOW);
    assert_int_equal(e.kind, PT_EXPIRY_DURATION);
    assert_int_equal(e.at_ms, NOW + 30000);
    /* the same numbers as strings */
    check_ttl("30", 30000);
    check_ttl("30.1", 30100);
    check_ttl("9.9e-05", 0);
}

/* ---- README: datetime values --------------------------------------------- */

static void test_readme_datetimes(void **state)
{
    (void)state;
    check_dt("1494012444.883309", INT64_C(1494012444883309));
    check_dt("1494012444", INT64_C(1494012444000000));
    check_dt("1494012444000.883309", INT64_C(1494012444000883));
    check_dt("-1494012444000.883309", INT64_C(-1494012444000883));
    check_dt("2012-04-23T09:15:00", INT64_C(1335172500000000));
    check_dt("2012-4-9 4:8:16", INT64_C(1333944496000000));
    check_dt("2012-04-23T09:15:00Z", INT64_C(1335172500000000));
    check_dt("2012-4-9 4:8:16-0320", INT64_C(1333956496000000));
    check_dt("2012-04-23T10:20:30.400+02:30", INT64_C(1335167430400000));
    check_dt("2012-04-23T10:20:30.400+02", INT64_C(1335169230400000));
    check_dt("2012-04-23T10:20:30.400-02", INT64_C(1335183630400000));
    check_dt("0", 0);
    /* the brief's examples */
    check_dt("2023-01-31T12:00:00+02:00", INT64_C(1675159200000000));
    check_dt("2023-01-31T10:00:00Z", INT64_C(1675159200000000));
}

static void test_readme_datetime_numbers(void **state)
{
    (void)state;
    char err[256];
    pt_expiry_t e;
    /* 1_494_012_444.883_309, 1_494_012_444, 1_494_012_444_000 */
    assert_int_equal(pt_expiry_from_number(1494012444.883309, NOW, &e, err, sizeof err), 0);
    assert_int_equal(e.kind, PT_EXPIRY_AT);
    assert_int_equal(e.at_ms, INT64_C(1494012444883));
    e = pt_expiry_from_int(INT64_C(1494012444), NOW);
    assert_int_equal(e.kind, PT_EXPIRY_AT);
    assert_int_equal(e.at_ms, INT64_C(1494012444000));
    e = pt_expiry_from_int(INT64_C(1494012444000), NOW);
    assert_int_equal(e.kind, PT_EXPIRY_AT);
    assert_int_equal(e.at_ms, INT64_C(1494012444000));
    /* datetime(2017, 5, 5, 19, 27, 24, tzinfo=utc) */
    e = pt_expiry_at_ms(INT64_C(1494012444000));
    assert_int_equal(e.kind, PT_EXPIRY_AT);
    assert_int_equal(e.at_ms, INT64_C(1494012444000));
    /* numeric strings above 1e8 are timestamps, as the README's table says */
    check_exp("1494012444.883309", PT_EXPIRY_AT, INT64_C(1494012444883));
    check_exp("1494012444", PT_EXPIRY_AT, INT64_C(1494012444000));
    check_exp("1494012444000.883309", PT_EXPIRY_AT, INT64_C(1494012444000));
    check_exp("1494012444000", PT_EXPIRY_AT, INT64_C(1494012444000));
}

static void test_readme_dates(void **state)
{
    (void)state;
    const int64_t may5 = INT64_C(1493942400000000);
    check_date("1494012444.883309", may5);
    check_date("1494012444", may5);
    check_date("0", 0);
    check_date("2012-04-23", INT64_C(1335139200000000));
    check_date("2012-4-9", INT64_C(1333929600000000));
    /* a date expires at midnight UTC */
    check_exp("2012-04-23", PT_EXPIRY_AT, INT64_C(1335139200000));
    check_exp("2023-01-31", PT_EXPIRY_AT, INT64_C(1675123200000));
    check_exp("2012-04-23T09:15:00Z", PT_EXPIRY_AT, INT64_C(1335172500000));
}

static void test_readme_times(void **state)
{
    (void)state;
    check_tod("09:15:00", 9, 15, 0, 0, false, 0);
    check_tod("10:10", 10, 10, 0, 0, false, 0);
    check_tod("10:20:30.400", 10, 20, 30, 400000, false, 0);
    check_tod("4:8:16", 4, 8, 16, 0, false, 0);
    check_tod("3610", 1, 0, 10, 0, false, 0);
    check_tod("3600.5", 1, 0, 0, 500000, false, 0);
    check_tod("86399", 23, 59, 59, 0, false, 0);
    check_tod("11:05:00-05:30", 11, 5, 0, 0, true, -330);
    check_tod("11:05:00-0530", 11, 5, 0, 0, true, -330);
    check_tod("11:05:00Z", 11, 5, 0, 0, true, 0);
    check_tod("11:05:00+00", 11, 5, 0, 0, true, 0);
    check_tod("11:05-06", 11, 5, 0, 0, true, -360);
    check_tod("11:05+06", 11, 5, 0, 0, true, 360);

    char err[256];
    pt_timeofday_t t;
    check_err(pt_timeofday_parse("86400", &t, err, sizeof err),
              "invalid time '86400': seconds must be in [0, 86400)");
    check_err(pt_timeofday_parse("-1", &t, err, sizeof err),
              "invalid time '-1': seconds must be in [0, 86400)");
    check_err(pt_timeofday_parse("24:00", &t, err, sizeof err), "invalid time '24:00'");
}

/* "11:05:00Z" expires at the next 11:05Z */
static void test_readme_time_expiration(void **state)
{
    (void)state;
    check_exp("11:05:00Z", PT_EXPIRY_TIMEOFDAY, DAY0_MS + (11 * 3600 + 5 * 60) * MS);
    /* in its own offset: at 10:00Z it is 04:30 on the same day in -05:30 */
    check_exp("11:05:00-05:30", PT_EXPIRY_TIMEOFDAY, DAY0_MS + (16 * 3600 + 35 * 60) * MS);
    check_exp("11:05-06", PT_EXPIRY_TIMEOFDAY, DAY0_MS + (17 * 3600 + 5 * 60) * MS);

    /* the offset decides which calendar day is "today" */
    pt_expiry_t e;
    char err[256];
    assert_int_equal(pt_expiry_parse("23:00-05:00", DAY0_MS + 2 * 3600 * MS, &e, err, sizeof err), 0);
    assert_int_equal(e.at_ms, DAY0_MS + 4 * 3600 * MS); /* 06-14T23:00-05 */
    assert_int_equal(pt_expiry_parse("01:00+06:00", DAY0_MS + 20 * 3600 * MS, &e, err, sizeof err), 0);
    /* 06-16T01:00+06 (19:00Z) has passed: the next one is 06-17T01:00+06 */
    assert_int_equal(e.at_ms, DAY0_MS + 43 * 3600 * MS);
    assert_false(pt_expiry_is_expired(e.at_ms, DAY0_MS + 20 * 3600 * MS));

    /* a "now" at the ends of int64 saturates instead of wrapping */
    pt_timeofday_t tod = { .us = 23 * 3600 * S_US, .offset_min = 600, .has_offset = true };
    assert_int_equal(pt_timeofday_today_ms(&tod, INT64_MAX - 5), INT64_MAX - 600 * 60000);
    assert_true(pt_timeofday_today_ms(&tod, INT64_MIN + 5) < INT64_MIN + 2 * 86400000LL);
    tod.offset_min = -600;
    assert_true(pt_timeofday_today_ms(&tod, INT64_MIN + 5) < INT64_MIN + 2 * 86400000LL);

    /* a bare "H:M[:S]" is a duration for the entry point (aquiche tries
     * durations first) but a time of day for pt_time_parse_ms */
    check_ttl("12:30", (12 * 60 + 30) * MS);
    check_ttl("12:30:15", (12 * 3600 + 30 * 60 + 15) * MS);
    int64_t at;
    assert_int_equal(pt_time_parse_ms("12:30", NOW, &at, err, sizeof err), 0);
    assert_int_equal(at, DAY0_MS + (12 * 3600 + 30 * 60) * MS);
    assert_int_equal(pt_time_parse_ms("12:30:15", NOW, &at, err, sizeof err), 0);
    assert_int_equal(at, DAY0_MS + (12 * 3600 + 30 * 60 + 15) * MS);
    assert_int_equal(pt_time_parse_ms("2023-01-31", NOW, &at, err, sizeof err), 0);
    assert_int_equal(at, INT64_C(1675123200000));
    assert_int_equal(pt_time_parse_ms("2023-01-31T12:00:00+02:00", NOW, &at, err, sizeof err), 0);
    assert_int_equal(at, INT64_C(1675159200000));
    assert_int_equal(pt_time_parse_ms("1494012444000", NOW, &at, err, sizeof err), 0);
    assert_int_equal(at, INT64_C(1494012444000));
    check_err(pt_time_parse_ms("soon", NOW, &at, err, sizeof err), "invalid time 'soon'");
}

/* "2012-04-56" appears in the README as a date expiration; day 56 does not
 * exist, so aquiche raises on it too. */
static void test_readme_bad_date(void **state)
{
    (void)state;
    char err[256];
    int64_t us;
    pt_expiry_t e;
    check_err(pt_date_parse_us("2012-04-56", &us, err, sizeof err), "invalid date '2012-04-56'");
    check_err(pt_expiry_parse("2012-04-56", NOW, &e, err, sizeof err),
              "invalid expiration '2012-04-56'");
}

/* ---- the entry point ----------------------------------------------------- */

static void test_entry_kinds(void **state)
{
    (void)state;
    char err[256];
    pt_expiry_t e;
    assert_int_equal(pt_expiry_parse(NULL, NOW, &e, err, sizeof err), 0);
    assert_int_equal(e.kind, PT_EXPIRY_NEVER);
    assert_int_equal(e.at_ms, PT_EXPIRY_NEVER_MS);
    check_exp("never", PT_EXPIRY_NEVER, PT_EXPIRY_NEVER_MS);
    check_exp("  Never ", PT_EXPIRY_NEVER, PT_EXPIRY_NEVER_MS);
    check_exp("always", PT_EXPIRY_ALWAYS, PT_EXPIRY_ALWAYS_MS);
    check_exp("ALWAYS", PT_EXPIRY_ALWAYS, PT_EXPIRY_ALWAYS_MS);
    assert_true(pt_expiry_is_expired(PT_EXPIRY_ALWAYS_MS, INT64_MIN));
    assert_false(pt_expiry_is_expired(PT_EXPIRY_NEVER_MS, INT64_MAX - 1));

    e = pt_expiry_bool(true);
    assert_int_equal(e.kind, PT_EXPIRY_ALWAYS);
    e = pt_expiry_bool(false);
    assert_int_equal(e.kind, PT_EXPIRY_NEVER);
    e = pt_expiry_never();
    assert_int_equal(e.at_ms, PT_EXPIRY_NEVER_MS);

    /* the brief's examples */
    check_ttl("P3DT4H5M6S", ((3 * 24 + 4) * 3600 + 5 * 60 + 6) * MS);
    check_ttl("PT1.5S", 1500);
    check_ttl("1h 30m", 90 * 60 * MS);
    check_ttl("10s", 10 * MS);
    check_ttl("1 minute 2 days", (2 * 86400 + 60) * MS);
    check_ttl("  10 minutes\n", 600 * MS);
    check_ttl("4 days, 10:15:30", (4 * 86400 + 10 * 3600 + 15 * 60 + 30) * MS);
    check_ttl("1 day, 0:00:01", (86400 + 1) * MS);
    check_exp("2023-01-31T12:00:00+02:00", PT_EXPIRY_AT, INT64_C(1675159200000));
    check_exp("2023-01-31T12:00:00Z", PT_EXPIRY_AT, INT64_C(1675166400000));
    check_exp("2022-01-30T00:00:00+0000", PT_EXPIRY_AT, INT64_C(1643500800000));

    /* data pointer: kind only, the path borrowed from the string */
    const char *p = "$.token.expiration";
    assert_int_equal(pt_expiry_parse(p, NOW, &e, err, sizeof err), 0);
    assert_int_equal(e.kind, PT_EXPIRY_POINTER);
    assert_int_equal(e.path_len, strlen("token.expiration"));
    assert_memory_equal(e.path, "token.expiration", e.path_len);
    assert_ptr_equal(e.path, p + 2);

    /* length-delimited input */
    assert_int_equal(pt_expiry_parsen("10sXXXX", 3, NOW, &e, err, sizeof err), 0);
    assert_int_equal(e.ttl_ms, 10000);
}

static void test_entry_errors(void **state)
{
    (void)state;
    char err[256];
    pt_expiry_t e;
    check_err(pt_expiry_parse("1x2y", NOW, &e, err, sizeof err), "invalid expiration '1x2y'");
    check_err(pt_expiry_parse("", NOW, &e, err, sizeof err), "invalid expiration ''");
    check_err(pt_expiry_parse("   ", NOW, &e, err, sizeof err), "invalid expiration ''");
    check_err(pt_expiry_parse(" soon ", NOW, &e, err, sizeof err), "invalid expiration 'soon'");
    check_err(pt_expiry_parse("1.5h", NOW, &e, err, sizeof err), "invalid expiration '1.5h'");
    check_err(pt_expiry_parse("10 ms", NOW, &e, err, sizeof err), "invalid expiration '10 ms'");
    check_err(pt_expiry_parse("1w", NOW, &e, err, sizeof err), "invalid expiration '1w'");
    check_err(pt_expiry_parse("1d 2", NOW, &e, err, sizeof err), "invalid expiration '1d 2'");
    check_err(pt_expiry_parse("d1", NOW, &e, err, sizeof err), "invalid expiration 'd1'");
    check_err(pt_expiry_parse("-1d", NOW, &e, err, sizeof err), "invalid expiration '-1d'");
    check_err(pt_expiry_parse("P", NOW, &e, err, sizeof err), "invalid expiration 'P'");
    check_err(pt_expiry_parse("PT", NOW, &e, err, sizeof err), "invalid expiration 'PT'");
    check_err(pt_expiry_parse("P1DT", NOW, &e, err, sizeof err), "invalid expiration 'P1DT'");
    check_err(pt_expiry_parse("p4d", NOW, &e, err, sizeof err), "invalid expiration 'p4d'");
    check_err(pt_expiry_parse("P1,5D", NOW, &e, err, sizeof err), "invalid expiration 'P1,5D'");
    check_err(pt_expiry_parse("4  15:30", NOW, &e, err, sizeof err), "invalid expiration '4  15:30'");
    check_err(pt_expiry_parse("4 days 10:15:30", NOW, &e, err, sizeof err),
              "invalid expiration '4 days 10:15:30'");
    check_err(pt_expiry_parse("1:2:3:4", NOW, &e, err, sizeof err), "invalid expiration '1:2:3:4'");
    check_err(pt_expiry_parse("15:30.1234567890123", NOW, &e, err, sizeof err),
              "invalid expiration '15:30.1234567890123'");
    check_err(pt_expiry_parse("$.", NOW, &e, err, sizeof err),
              "invalid expiration '$.': empty data pointer");
    check_err(pt_expiry_parse("nan", NOW, &e, err, sizeof err), "invalid expiration 'nan'");
    check_err(pt_expiry_parse("infinit", NOW, &e, err, sizeof err), "invalid expiration 'infinit'");
    check_err(pt_expiry_parse("++inf", NOW, &e, err, sizeof err), "invalid expiration '++inf'");
    check_err(pt_expiry_parse("1_000", NOW, &e, err, sizeof err), "invalid expiration '1_000'");
    check_err(pt_expiry_parse("-1e30", NOW, &e, err, sizeof err),
              "invalid expiration '-1e30': duration out of range");
    check_err(pt_expiry_parse("99999999999999999999999999 days", NOW, &e, err, sizeof err),
              "invalid expiration '99999999999999999999999999 days'");
    /* Found by tests/fuzz/fuzz_expiry: a number past 2^100 times a unit
     * overflowed the 128-bit sum (UBSan). */
    check_err(pt_expiry_parse("1444444444444444444444444444443h", NOW, &e, err, sizeof err),
              "invalid expiration '1444444444444444444444444444443h'");
    check_err(pt_expiry_parse("51676933545358888888888888888888888888888888:3", NOW, &e, err, sizeof err),
              "invalid expiration '51676933545358888888888888888888888888888888:3'");
    check_err(pt_expiry_parse("3333333333333333333333333333333333333333333 5", NOW, &e, err, sizeof err),
              "invalid expiration '3333333333333333333333333333333333333333333 5'");
    check_err(pt_expiry_from_number(-NAN, NOW, &e, err, sizeof err),
              "invalid expiration 'nan': not a number");

    /* a long bad string is quoted, shortened */
    char big[1000];
    memset(big, 'x', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    assert_int_equal(pt_expiry_parse(big, NOW, &e, err, sizeof err), -1);
    assert_int_equal(strncmp(err, "invalid expiration 'xxx", 23), 0);
    assert_non_null(strstr(err, "...'"));
    /* a small err buffer is truncated, never overrun; NULL err is fine */
    char tiny[8];
    assert_int_equal(pt_expiry_parse("1x2y", NOW, &e, tiny, sizeof tiny), -1);
    assert_string_equal(tiny, "invalid");
    assert_int_equal(pt_expiry_parse("1x2y", NOW, &e, NULL, 0), -1);
}

static void test_specific_parser_errors(void **state)
{
    (void)state;
    char err[256];
    int64_t v;
    check_err(pt_duration_parse_us("soon", &v, err, sizeof err), "invalid duration 'soon'");
    check_err(pt_duration_parse_us(NULL, &v, err, sizeof err), "invalid duration ''");
    check_err(pt_duration_parse_ms("1x", &v, err, sizeof err), "invalid duration '1x'");
    check_err(pt_datetime_parse_us("2012-04-23", &v, err, sizeof err),
              "invalid datetime '2012-04-23'");
    check_err(pt_datetime_parse_us("2012-04-23t09:15", &v, err, sizeof err),
              "invalid datetime '2012-04-23t09:15'");
    check_err(pt_date_parse_us("2012-04-23T09:15", &v, err, sizeof err),
              "invalid date '2012-04-23T09:15'");
    check_err(pt_date_parse_us("12-04-23", &v, err, sizeof err), "invalid date '12-04-23'");
    assert_int_equal(pt_duration_parse_ms("1:30.9999", &v, err, sizeof err), 0);
    assert_int_equal(v, 90999);
}

/* ---- grammar details --------------------------------------------------- */

static void test_standard_duration_details(void **state)
{
    (void)state;
    check_dur("-30", -30 * S_US);
    check_dur("-1.5", -1500000);           /* the fraction takes the seconds' sign */
    check_dur("-15:30", (-15 * 60 + 30) * S_US); /* each part keeps its own sign */
    check_dur("-1:00:00", -3600 * S_US);
    check_dur("0", 0);
    check_dur("4 30", (4 * 86400 + 30) * S_US);
    check_dur("-1 days, 23:00:00", -3600 * S_US);
    check_dur("15:30.123456789", 930 * S_US + 123456); /* digits 7..12 dropped */
    check_dur("15:30.123456789012", 930 * S_US + 123456);
    check_dur("  30  ", 30 * S_US);
    int64_t v;
    char err[256];
    check_err(pt_duration_parse_us("1:-2:3", &v, err, sizeof err), "invalid duration '1:-2:3'");
    check_err(pt_duration_parse_us("1:2:-3", &v, err, sizeof err), "invalid duration '1:2:-3'");
    check_err(pt_duration_parse_us("1.5:30", &v, err, sizeof err), "invalid duration '1.5:30'");
    check_err(pt_duration_parse_us("30.", &v, err, sizeof err), "invalid duration '30.'");
    check_err(pt_duration_parse_us(".5", &v, err, sizeof err), "invalid duration '.5'");
}

static void test_iso_duration_details(void **state)
{
    (void)state;
    check_dur("P3DT4H5M6S", (((3 * 24) + 4) * 3600 + 5 * 60 + 6) * S_US);
    check_dur("PT1.5S", 1500000);
    check_dur("-PT5S", -5 * S_US);
    check_dur("+PT5S", 5 * S_US);
    check_dur("PT1H30M", 5400 * S_US);
    check_dur("PT90M", 5400 * S_US);
    check_dur("P1DT12H", 36 * 3600 * S_US);
    check_dur("PT0.5H", 1800 * S_US);
    check_dur("P0D", 0);
    int64_t v;
    char err[256];
    check_err(pt_duration_parse_us("PT5S5M", &v, err, sizeof err), "invalid duration 'PT5S5M'");
    check_err(pt_duration_parse_us("P5H", &v, err, sizeof err), "invalid duration 'P5H'");
    check_err(pt_duration_parse_us("PT.5S", &v, err, sizeof err), "invalid duration 'PT.5S'");
    check_err(pt_duration_parse_us("PT5.S", &v, err, sizeof err), "invalid duration 'PT5.S'");
}

static void test_unit_sums(void **state)
{
    (void)state;
    check_dur("1H", 3600 * S_US);
    check_dur("2 DAYS", 2 * 86400 * S_US);
    check_dur("1h30m", 5400 * S_US);
    check_dur("1 h\t30 m", 5400 * S_US);
    check_dur("1s 1s 1s", 3 * S_US); /* repeats add up */
    check_dur("0s", 0);
    int64_t v;
    char err[256];
    check_err(pt_duration_parse_us("1sec", &v, err, sizeof err), "invalid duration '1sec'");
    check_err(pt_duration_parse_us("1 min", &v, err, sizeof err), "invalid duration '1 min'");
    check_err(pt_duration_parse_us("1ms", &v, err, sizeof err), "invalid duration '1ms'");
    check_err(pt_duration_parse_us("1 d, 2 h", &v, err, sizeof err), "invalid duration '1 d, 2 h'");
    check_err(pt_duration_parse_us("h", &v, err, sizeof err), "invalid duration 'h'");
}

static void test_offsets(void **state)
{
    (void)state;
    const int64_t base = INT64_C(1335172500000000); /* 2012-04-23T09:15:00Z */
    check_dt("2012-04-23T09:15:00+00:00", base);
    check_dt("2012-04-23T09:15:00-00", base);
    check_dt("2012-04-23T11:45:00+02:30", base);
    check_dt("2012-04-23T11:45:00+0230", base);
    check_dt("2012-04-23T09:15+00", base);
    check_dt("2012-04-24T09:14:00+23:59", base); /* the widest offsets Python allows */
    check_dt("2012-04-22T09:16:00-23:59", base);
    int64_t v;
    char err[256];
    check_err(pt_datetime_parse_us("2012-04-23T09:15:00+24:00", &v, err, sizeof err),
              "invalid datetime '2012-04-23T09:15:00+24:00'");
    check_err(pt_datetime_parse_us("2012-04-23T09:15:00+02:60", &v, err, sizeof err),
              "invalid datetime '2012-04-23T09:15:00+02:60'");
    check_err(pt_datetime_parse_us("2012-04-23T09:15:00+2", &v, err, sizeof err),
              "invalid datetime '2012-04-23T09:15:00+2'");
    check_err(pt_datetime_parse_us("2012-04-23T09:15:00+023", &v, err, sizeof err),
              "invalid datetime '2012-04-23T09:15:00+023'");
    check_err(pt_datetime_parse_us("2012-04-23T09:15:00z", &v, err, sizeof err),
              "invalid datetime '2012-04-23T09:15:00z'");
    check_err(pt_datetime_parse_us("2012-04-23T09:15:00 Z", &v, err, sizeof err),
              "invalid datetime '2012-04-23T09:15:00 Z'");
}

static void test_calendar(void **state)
{
    (void)state;
    check_date("2024-02-29", INT64_C(1709164800000000));
    check_date("2000-02-29", INT64_C(951782400000000));
    check_dt("2000-02-29T23:59:59.999999", INT64_C(951868799999999));
    check_dt("9999-12-31T23:59:59.999999", INT64_C(253402300799999999));
    check_dt("0001-01-01T00:00:00", INT64_C(-62135596800000000));
    check_dt("1969-12-31T23:59:59.5", -500000);
    check_dt("1970-01-01 00:00", 0);
    int64_t v;
    char err[256];
    check_err(pt_date_parse_us("2023-02-29", &v, err, sizeof err), "invalid date '2023-02-29'");
    check_err(pt_date_parse_us("1900-02-29", &v, err, sizeof err), "invalid date '1900-02-29'");
    check_err(pt_date_parse_us("2023-04-31", &v, err, sizeof err), "invalid date '2023-04-31'");
    check_err(pt_date_parse_us("2023-13-01", &v, err, sizeof err), "invalid date '2023-13-01'");
    check_err(pt_date_parse_us("2023-00-10", &v, err, sizeof err), "invalid date '2023-00-10'");
    check_err(pt_date_parse_us("2023-01-00", &v, err, sizeof err), "invalid date '2023-01-00'");
    check_err(pt_date_parse_us("0000-01-01", &v, err, sizeof err), "invalid date '0000-01-01'");
    check_err(pt_date_parse_us("20230-01-01", &v, err, sizeof err), "invalid date '20230-01-01'");
    check_err(pt_date_parse_us("2023-001-01", &v, err, sizeof err), "invalid date '2023-001-01'");
    check_err(pt_datetime_parse_us("2023-01-01T24:00", &v, err, sizeof err),
              "invalid datetime '2023-01-01T24:00'");
    check_err(pt_datetime_parse_us("2023-01-01T23:60", &v, err, sizeof err),
              "invalid datetime '2023-01-01T23:60'");
    check_err(pt_datetime_parse_us("2023-01-01T23:59:60", &v, err, sizeof err),
              "invalid datetime '2023-01-01T23:59:60'");
    check_err(pt_datetime_parse_us("2023-01-01T1:2:3.", &v, err, sizeof err),
              "invalid datetime '2023-01-01T1:2:3.'");
    check_err(pt_datetime_parse_us("2023-01-01T1:2:3.1234567890123", &v, err, sizeof err),
              "invalid datetime '2023-01-01T1:2:3.1234567890123'");
    /* a date before the epoch floors to its own midnight */
    check_date("-1", INT64_C(-86400000000));
}

/* aquiche's numeric rule: int(v) > 1e8 is a timestamp; its unit grows by
 * 1000 each time the magnitude passes 2e10; beyond 3e20 it saturates. */
static void test_number_boundaries(void **state)
{
    (void)state;
    check_ttl("100000000", INT64_C(100000000) * MS);
    check_ttl("100000000.9", INT64_C(100000000900));
    check_exp("100000001", PT_EXPIRY_AT, INT64_C(100000001000));
    check_exp("20000000000", PT_EXPIRY_AT, INT64_C(20000000000000)); /* seconds: 2603 */
    check_exp("20000000001", PT_EXPIRY_AT, INT64_C(20000000001));    /* ms: 1970 */
    check_exp("20000000000001", PT_EXPIRY_AT, INT64_C(20000000000));  /* us */
    check_exp("1494012444000000000", PT_EXPIRY_AT, INT64_C(1494012444000)); /* ns */
    check_exp("3e20", PT_EXPIRY_AT, INT64_C(300000000000));
    check_exp("3.1e20", PT_EXPIRY_AT, INT64_C(253402300799999));
    check_exp("1e400", PT_EXPIRY_AT, INT64_C(253402300799999));
    check_exp("1.5e9", PT_EXPIRY_AT, INT64_C(1500000000000));
    check_ttl("0", 0);
    check_ttl("-1", -1000);
    check_ttl("1e-400", 0);
    check_ttl("+5", 5000);
    check_dt("3.1e20", INT64_C(253402300799999999));
    check_dt("-3.1e20", INT64_C(-62135596800000000));

    pt_expiry_t e;
    char err[256];
    e = pt_expiry_from_int(100000000, NOW);
    assert_int_equal(e.kind, PT_EXPIRY_DURATION);
    e = pt_expiry_from_int(100000001, NOW);
    assert_int_equal(e.kind, PT_EXPIRY_AT);
    assert_int_equal(e.at_ms, INT64_C(100000001000));
    e = pt_expiry_from_int(INT64_MAX, NOW); /* ns: 2262-04-11T23:47:16.854Z */
    assert_int_equal(e.kind, PT_EXPIRY_AT);
    assert_int_equal(e.at_ms, INT64_C(9223372036854));
    e = pt_expiry_from_int(INT64_MIN, NOW); /* an enormous negative duration */
    assert_int_equal(e.kind, PT_EXPIRY_DURATION);
    assert_int_equal(e.ttl_ms, INT64_MIN);
    assert_int_equal(e.at_ms, NOW + INT64_MIN);
    e = pt_expiry_from_int(-5, NOW);
    assert_int_equal(e.kind, PT_EXPIRY_DURATION);
    assert_int_equal(e.at_ms, NOW - 5000);
    e = pt_expiry_ttl_ms(INT64_MAX, NOW); /* saturates, never wraps */
    assert_int_equal(e.at_ms, INT64_MAX);
    assert_int_equal(pt_expiry_from_number(100000000.9, NOW, &e, err, sizeof err), 0);
    assert_int_equal(e.kind, PT_EXPIRY_DURATION);
    assert_int_equal(pt_expiry_from_number(1e30, NOW, &e, err, sizeof err), 0);
    assert_int_equal(e.at_ms, INT64_C(253402300799999));
    assert_int_equal(pt_expiry_from_number(1494012444000.0, NOW, &e, err, sizeof err), 0);
    assert_int_equal(e.at_ms, INT64_C(1494012444000));
    assert_int_equal(pt_expiry_from_number(-1e300, NOW, &e, err, sizeof err), 0);
    assert_int_equal(e.kind, PT_EXPIRY_DURATION);
    assert_int_equal(e.at_ms, NOW + INT64_MIN);
    /* float infinities are datetime.max and .min in aquiche */
    assert_int_equal(pt_expiry_from_number(INFINITY, NOW, &e, err, sizeof err), 0);
    assert_int_equal(e.kind, PT_EXPIRY_NEVER);
    assert_int_equal(pt_expiry_from_number(-INFINITY, NOW, &e, err, sizeof err), 0);
    assert_int_equal(e.kind, PT_EXPIRY_ALWAYS);
    assert_true(pt_expiry_is_expired(e.at_ms, INT64_MIN + 1));
}

/* "inf", "infinity" and "-inf" in any case, as strings, as JSON strings
 * behind a pointer, and resolved for a cached value: aquiche reads them as
 * datetime.max (never expires) and datetime.min (always expired). */
static void test_infinity(void **state)
{
    (void)state;
    static const char *const pos[] = { "inf", "INF", "Inf", "+inf", "infinity", "Infinity",
                                       "+INFINITY", " inf " };
    static const char *const neg[] = { "-inf", "-INF", "-infinity", "-Infinity" };
    for (size_t i = 0; i < sizeof pos / sizeof *pos; i++)
        check_exp(pos[i], PT_EXPIRY_NEVER, PT_EXPIRY_NEVER_MS);
    for (size_t i = 0; i < sizeof neg / sizeof *neg; i++)
        check_exp(neg[i], PT_EXPIRY_ALWAYS, PT_EXPIRY_ALWAYS_MS);

    char err[256];
    int64_t at;
    pt_expiry_t p, e;
    json_t *v = json_pack("{s:s, s:s}", "up", "Infinity", "down", "-inf");
    assert_int_equal(pt_expiry_parse("$.up", NOW, &p, err, sizeof err), 0);
    assert_int_equal(pt_expiry_resolve(&p, v, NOW, false, NOW, &at, err, sizeof err), 0);
    assert_int_equal(at, PT_EXPIRY_NEVER_MS);
    assert_int_equal(pt_expiry_from_json("$.down", v, NOW, &e, err, sizeof err), 0);
    assert_int_equal(e.kind, PT_EXPIRY_ALWAYS);
    assert_int_equal(pt_expiry_parse("$.down", NOW, &p, err, sizeof err), 0);
    assert_int_equal(pt_expiry_resolve(&p, v, NOW, false, NOW, &at, err, sizeof err), 0);
    assert_true(pt_expiry_is_expired(at, NOW));
    json_decref(v);
}

/* A time of day is daily: each fetch is fresh until the next occurrence of
 * that time after it, whenever the expiration was parsed. */
static void test_timeofday_next_occurrence(void **state)
{
    (void)state;
    char err[256];
    pt_expiry_t e;
    int64_t at;
    const int64_t day = 86400 * MS;
    /* parsed at NOW (10:00Z on DAY0) */
    assert_int_equal(pt_expiry_parse("12:00Z", NOW, &e, err, sizeof err), 0);
    assert_int_equal(e.kind, PT_EXPIRY_TIMEOFDAY);
    assert_int_equal(e.at_ms, DAY0_MS + 12 * 3600 * MS);
    /* fetched before noon: until noon the same day */
    assert_int_equal(pt_expiry_resolve(&e, NULL, NOW, false, NOW, &at, err, sizeof err), 0);
    assert_int_equal(at, DAY0_MS + 12 * 3600 * MS);
    /* fetched after noon: until noon the next day (not already expired) */
    int64_t f = DAY0_MS + 13 * 3600 * MS;
    assert_int_equal(pt_expiry_resolve(&e, NULL, f, false, f, &at, err, sizeof err), 0);
    assert_int_equal(at, DAY0_MS + day + 12 * 3600 * MS);
    assert_false(pt_expiry_is_expired(at, f));
    /* a week after the expiration was parsed, still daily */
    f = DAY0_MS + 7 * day + 9 * 3600 * MS;
    assert_int_equal(pt_expiry_resolve(&e, NULL, f, false, f, &at, err, sizeof err), 0);
    assert_int_equal(at, DAY0_MS + 7 * day + 12 * 3600 * MS);
    /* fetched exactly at noon: the next noon */
    f = DAY0_MS + 12 * 3600 * MS;
    assert_int_equal(pt_expiry_resolve(&e, NULL, f, false, f, &at, err, sizeof err), 0);
    assert_int_equal(at, DAY0_MS + day + 12 * 3600 * MS);
    /* in its own offset: 11:05-05:30 is 16:35Z */
    assert_int_equal(pt_expiry_parse("11:05-05:30", NOW, &e, err, sizeof err), 0);
    f = DAY0_MS + 17 * 3600 * MS;
    assert_int_equal(pt_expiry_resolve(&e, NULL, f, false, f, &at, err, sizeof err), 0);
    assert_int_equal(at, DAY0_MS + day + (16 * 3600 + 35 * 60) * MS);
    /* behind a pointer, resolved against the fetch too */
    json_t *v = json_pack("{s:s}", "exp", "12:00Z");
    assert_int_equal(pt_expiry_parse("$.exp", NOW, &e, err, sizeof err), 0);
    f = DAY0_MS + 3 * day + 15 * 3600 * MS;
    assert_int_equal(pt_expiry_resolve(&e, v, f, false, f, &at, err, sizeof err), 0);
    assert_int_equal(at, DAY0_MS + 4 * day + 12 * 3600 * MS);
    json_decref(v);
}

/* ---- data pointers --------------------------------------------------------- */

static json_t *token(const char *expiry_json)
{
    char buf[256];
    snprintf(buf, sizeof buf, "{\"token\": {\"expiration\": %s}, \"list\": [5, \"$.list.0\"]}",
             expiry_json);
    json_error_t je;
    json_t *v = json_loads(buf, 0, &je);
    assert_non_null(v);
    return v;
}

#define check_ptr(json, kind, at) check_ptr_(json, kind, at, __LINE__)
static void check_ptr_(const char *json, pt_expiry_kind_t kind, int64_t at, int line)
{
    json_t *v = token(json);
    pt_expiry_t e;
    char err[256] = "";
    int rc = pt_expiry_from_json("$.token.expiration", v, NOW, &e, err, sizeof err);
    json_decref(v);
    if (rc != 0 || e.kind != kind || e.at_ms != at) {
        print_error("line %d: pointer to %s: rc=%d kind=%d/%d at=%lld/%lld (%s)\n", line, json, rc,
                    e.kind, kind, (long long)e.at_ms, (long long)at, err);
        fail();
    }
}

/* README: "$.token.expiration" with each value the example returns */
static void test_pointer_readme(void **state)
{
    (void)state;
    check_ptr("true", PT_EXPIRY_ALWAYS, PT_EXPIRY_ALWAYS_MS);
    check_ptr("\"30 minutes\"", PT_EXPIRY_DURATION, NOW + 1800 * MS);
    check_ptr("\"12 hours\"", PT_EXPIRY_DURATION, NOW + 12 * 3600 * MS);
    check_ptr("\"2022-01-30T00:00:00+0000\"", PT_EXPIRY_AT, INT64_C(1643500800000));
    check_ptr("false", PT_EXPIRY_NEVER, PT_EXPIRY_NEVER_MS);
    check_ptr("null", PT_EXPIRY_NEVER, PT_EXPIRY_NEVER_MS);
    check_ptr("30", PT_EXPIRY_DURATION, NOW + 30 * MS);
    check_ptr("30.5", PT_EXPIRY_DURATION, NOW + 30500);
    check_ptr("1494012444", PT_EXPIRY_AT, INT64_C(1494012444000));
    check_ptr("1494012444.883309", PT_EXPIRY_AT, INT64_C(1494012444883));
    check_ptr("1494012444000", PT_EXPIRY_AT, INT64_C(1494012444000));
    check_ptr("\"11:05:00Z\"", PT_EXPIRY_TIMEOFDAY, DAY0_MS + (11 * 3600 + 5 * 60) * MS);
    check_ptr("\"$.list.0\"", PT_EXPIRY_DURATION, NOW + 5 * MS); /* pointer to a pointer */
    check_ptr("\"$.list.1\"", PT_EXPIRY_DURATION, NOW + 5 * MS); /* ... to a pointer */
}

static void test_pointer_errors(void **state)
{
    (void)state;
    char err[256];
    pt_expiry_t e;
    json_t *v = token("{\"a\": 1}");
    check_err(pt_expiry_from_json("$.token.expiry", v, NOW, &e, err, sizeof err),
              "expiration pointer '$.token.expiry' not found in the value");
    check_err(pt_expiry_from_json("$.token.expiration", v, NOW, &e, err, sizeof err),
              "expiration pointer '$.token.expiration' names an object, not an expiration");
    check_err(pt_expiry_from_json("$.list", v, NOW, &e, err, sizeof err),
              "expiration pointer '$.list' names an array, not an expiration");
    check_err(pt_expiry_from_json("$.list.7", v, NOW, &e, err, sizeof err),
              "expiration pointer '$.list.7' not found in the value");
    check_err(pt_expiry_from_json("$.token.expiration.a.b", v, NOW, &e, err, sizeof err),
              "expiration pointer '$.token.expiration.a.b' not found in the value");
    check_err(pt_expiry_from_json("token.expiration", v, NOW, &e, err, sizeof err),
              "invalid expiration pointer 'token.expiration': must start with '$.'");
    check_err(pt_expiry_from_json("10s", v, NOW, &e, err, sizeof err),
              "invalid expiration pointer '10s': must start with '$.'");
    json_decref(v);

    v = token("\"1x2y\"");
    check_err(pt_expiry_from_json("$.token.expiration", v, NOW, &e, err, sizeof err),
              "expiration pointer '$.token.expiration': invalid expiration '1x2y'");
    json_decref(v);

    /* a pointer that names itself fails instead of looping */
    v = token("\"$.token.expiration\"");
    check_err(pt_expiry_from_json("$.token.expiration", v, NOW, &e, err, sizeof err),
              "expiration pointer '$.token.expiration' is nested too deeply (a cycle?)");
    json_decref(v);

    /* not an object at all */
    v = json_string("x");
    check_err(pt_expiry_from_json("$.a", v, NOW, &e, err, sizeof err),
              "expiration pointer '$.a' not found in the value");
    json_decref(v);
}

/* ---- resolve + callbacks (README's is_item_expired) --------------------- */

static int is_item_expired(const json_t *value, int64_t fetched_ms, bool is_error, void *ud,
                           pt_expiry_t *out, char *err, size_t errlen)
{
    (void)fetched_ms;
    int *calls = ud;
    (*calls)++;
    if (is_error)
        return pt_expiry_parse("$.retry_after", 0, out, err, errlen);
    json_int_t v = json_integer_value(value);
    if (v > 10)
        return pt_expiry_parse("10s", 0, out, err, errlen);
    if (v > 5) {
        *out = pt_expiry_at_ms(INT64_C(1494012444000)); /* datetime(2017,5,5,19,27,24,utc) */
        return 0;
    }
    if (v < 0)
        return -1; /* no message: resolve supplies one */
    return pt_expiry_parse("1 day", 0, out, err, errlen);
}

static void test_resolve_and_callbacks(void **state)
{
    (void)state;
    char err[256];
    int calls = 0;
    int64_t at;
    const int64_t fetched = NOW - 60 * MS;
    pt_expiry_t cb = pt_expiry_callback(is_item_expired, &calls);
    assert_int_equal(cb.kind, PT_EXPIRY_CALLBACK);

    json_t *v = json_integer(11);
    assert_int_equal(pt_expiry_resolve(&cb, v, fetched, false, NOW, &at, err, sizeof err), 0);
    assert_int_equal(at, fetched + 10 * MS); /* a duration runs from the fetch */
    assert_true(pt_expiry_is_expired(at, NOW));
    json_integer_set(v, 6);
    assert_int_equal(pt_expiry_resolve(&cb, v, fetched, false, NOW, &at, err, sizeof err), 0);
    assert_int_equal(at, INT64_C(1494012444000));
    json_integer_set(v, 1);
    assert_int_equal(pt_expiry_resolve(&cb, v, fetched, false, NOW, &at, err, sizeof err), 0);
    assert_int_equal(at, fetched + 86400 * MS);
    assert_false(pt_expiry_is_expired(at, NOW));
    json_integer_set(v, -1);
    check_err(pt_expiry_resolve(&cb, v, fetched, false, NOW, &at, err, sizeof err),
              "expiration callback failed");
    assert_int_equal(calls, 4);
    json_decref(v);

    /* negative caching: the error value carries its own retry hint */
    json_t *errv = json_pack("{s:s}", "retry_after", "30seconds");
    assert_int_equal(pt_expiry_resolve(&cb, errv, fetched, true, NOW, &at, err, sizeof err), 0);
    assert_int_equal(at, fetched + 30 * MS);
    json_decref(errv);

    /* plain kinds */
    pt_expiry_t e = pt_expiry_never();
    assert_int_equal(pt_expiry_resolve(&e, NULL, fetched, false, NOW, &at, err, sizeof err), 0);
    assert_int_equal(at, PT_EXPIRY_NEVER_MS);
    e = pt_expiry_bool(true);
    assert_int_equal(pt_expiry_resolve(&e, NULL, fetched, false, NOW, &at, err, sizeof err), 0);
    assert_int_equal(at, PT_EXPIRY_ALWAYS_MS);
    e = pt_expiry_ttl_ms(5000, NOW);
    assert_int_equal(pt_expiry_resolve(&e, NULL, fetched, false, NOW, &at, err, sizeof err), 0);
    assert_int_equal(at, fetched + 5000);
    e = pt_expiry_at_ms(42);
    assert_int_equal(pt_expiry_resolve(&e, NULL, fetched, false, NOW, &at, err, sizeof err), 0);
    assert_int_equal(at, 42);

    /* a pointer resolved through resolve(): durations from the fetch */
    json_t *tok = token("\"30 minutes\"");
    assert_int_equal(pt_expiry_parse("$.token.expiration", NOW, &e, err, sizeof err), 0);
    assert_int_equal(pt_expiry_resolve(&e, tok, fetched, false, NOW, &at, err, sizeof err), 0);
    assert_int_equal(at, fetched + 1800 * MS);
    json_decref(tok);

    e = pt_expiry_callback(NULL, NULL);
    check_err(pt_expiry_resolve(&e, NULL, fetched, false, NOW, &at, err, sizeof err),
              "expiration callback is NULL");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_readme_durations),
        cmocka_unit_test(test_readme_duration_errors),
        cmocka_unit_test(test_readme_duration_numbers),
        cmocka_unit_test(test_readme_datetimes),
        cmocka_unit_test(test_readme_datetime_numbers),
        cmocka_unit_test(test_readme_dates),
        cmocka_unit_test(test_readme_times),
        cmocka_unit_test(test_readme_time_expiration),
        cmocka_unit_test(test_timeofday_next_occurrence),
        cmocka_unit_test(test_infinity),
        cmocka_unit_test(test_readme_bad_date),
        cmocka_unit_test(test_entry_kinds),
        cmocka_unit_test(test_entry_errors),
        cmocka_unit_test(test_specific_parser_errors),
        cmocka_unit_test(test_standard_duration_details),
        cmocka_unit_test(test_iso_duration_details),
        cmocka_unit_test(test_unit_sums),
        cmocka_unit_test(test_offsets),
        cmocka_unit_test(test_calendar),
        cmocka_unit_test(test_number_boundaries),
        cmocka_unit_test(test_pointer_readme),
        cmocka_unit_test(test_pointer_errors),
        cmocka_unit_test(test_resolve_and_callbacks),
    };
    return cmocka_run_group_tests_name("expiry", tests, NULL, NULL);
}
