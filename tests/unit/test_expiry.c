/* The expiration grammar against every example in aquiche's README (its
 * duration, datetime, date and time tables and the decorator examples), and
 * the entry point's kinds and errors. Grammar details are
 * test_expiry_grammar.c, data pointers and callbacks test_expiry_values.c. */
#include "expiry_test.h"

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
        cmocka_unit_test(test_readme_bad_date),
        cmocka_unit_test(test_entry_kinds),
        cmocka_unit_test(test_entry_errors),
        cmocka_unit_test(test_specific_parser_errors),
    };
    return cmocka_run_group_tests_name("expiry", tests, NULL, NULL);
}
