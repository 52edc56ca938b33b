/* Expirations given as data: JSON pointers into a loaded value, and
 * pt_expiry_resolve with callbacks (the README's is_item_expired). */
#include "expiry_test.h"

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
        cmocka_unit_test(test_pointer_readme),
        cmocka_unit_test(test_pointer_errors),
        cmocka_unit_test(test_resolve_and_callbacks),
    };
    return cmocka_run_group_tests_name("expiry", tests, NULL, NULL);
}
