/* The expiration grammar's details: standard and ISO durations, unit sums,
 * offsets, the calendar and leap years, number boundaries, infinity, the
 * next occurrence of a time of day. */
#include "expiry_test.h"

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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_timeofday_next_occurrence),
        cmocka_unit_test(test_infinity),
        cmocka_unit_test(test_standard_duration_details),
        cmocka_unit_test(test_iso_duration_details),
        cmocka_unit_test(test_unit_sums),
        cmocka_unit_test(test_offsets),
        cmocka_unit_test(test_calendar),
        cmocka_unit_test(test_number_boundaries),
    };
    return cmocka_run_group_tests_name("expiry", tests, NULL, NULL);
}
