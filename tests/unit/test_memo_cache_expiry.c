/* The cache's expiration: ttl, expiration strings and callbacks, options
 * whose zero is the default, numbers named in errors, daily and infinite
 * expirations. */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>

#include "ponty/memo.h"
#include "ponty/sync.h"
#include "memo_cache_test.h"
#include "memo_test_util.h"

/* ---- expiration ---- */

static void test_ttl_expires(void **state)
{
    (void)state;
    /* 300 ms: the second get comes before it lapses on a loaded machine too */
    pt_cache_t *c = pt_cache_new(.load = echo_load, .ttl_ms = 300);
    json_t *v;
    pt_cache_get_key(c, "a", NULL, &v);
    json_decref(v);
    expect_load(c, "a", 1);
    pt_sleep_ms(350);
    expect_load(c, "a", 2);
    pt_cache_free(c);
}

static void test_expiration_strings(void **state)
{
    (void)state;
    const char *fresh[] = { "10 minutes", "PT5M", "1d42m6s", "01:02:03", "never", "2999-01-01T00:00:00Z", "4000000000" };
    for (size_t i = 0; i < sizeof fresh / sizeof *fresh; i++) {
        atomic_store(&loads, 0);
        pt_cache_t *c = pt_cache_new(.load = echo_load, .expiration = fresh[i]);
        assert_non_null(c);
        json_t *v;
        pt_cache_get_key(c, "a", NULL, &v);
        json_decref(v);
        pt_cache_get_key(c, "a", NULL, &v);
        json_decref(v);
        assert_int_equal(atomic_load(&loads), 1);
        pt_cache_free(c);
    }
    const char *stale[] = { "always", "2012-04-23T09:15:00Z", "-5", "1494012444", "2012-04-23" };
    for (size_t i = 0; i < sizeof stale / sizeof *stale; i++) {
        atomic_store(&loads, 0);
        pt_cache_t *c = pt_cache_new(.load = echo_load, .expiration = stale[i]);
        assert_non_null(c);
        json_t *v;
        pt_cache_get_key(c, "a", NULL, &v);
        json_decref(v);
        pt_cache_get_key(c, "a", NULL, &v);
        json_decref(v);
        assert_int_equal(atomic_load(&loads), 2);
        assert_int_equal(pt_cache_info(c).current_size, 0);
        pt_cache_free(c);
    }
}

static json_t *token_load(pt_cache_call_t *call)
{
    atomic_fetch_add(&loads, 1);
    /* expires in 300 ms, as an epoch-ms timestamp read by "$.token.expiration" */
    return json_pack("{s:{s:s,s:I}}", "token", "value", call->key, "expiration",
                     (json_int_t)(pt_now_ms() + 300));
}

static void test_expiration_pointer(void **state)
{
    (void)state;
    pt_cache_t *c = pt_cache_new(.load = token_load, .expiration = "$.token.expiration");
    assert_non_null(c);
    json_t *v;
    pt_cache_get_key(c, "a", NULL, &v);
    json_decref(v);
    pt_cache_get_key(c, "a", NULL, &v);
    json_decref(v);
    assert_int_equal(atomic_load(&loads), 1);
    pt_sleep_ms(350);
    pt_cache_get_key(c, "a", NULL, &v);
    json_decref(v);
    assert_int_equal(atomic_load(&loads), 2);
    pt_cache_free(c);

    /* a pointer to a missing field: served, not cached, reported */
    c = pt_cache_new(.load = echo_load, .expiration = "$.nope");
    assert_int_equal(pt_cache_get_key(c, "a", NULL, &v), PT_MEMO_OK);
    json_decref(v);
    assert_non_null(strstr(pt_memo_last_error(), "nope"));
    assert_int_equal(pt_cache_info(c).current_size, 0);
    pt_cache_free(c);
}

static atomic_int cb_calls;
static int expire_big(const json_t *value, int64_t fetched_ms, bool is_error, void *ud,
                      pt_expiry_t *out, char *err, size_t errlen)
{
    (void)fetched_ms; (void)ud; (void)err; (void)errlen;
    atomic_fetch_add(&cb_calls, 1);
    assert_false(is_error);
    /* aquiche's example: big values expire at once, small ones in a day */
    if (json_integer_value(json_object_get(value, "n")) > 1)
        *out = pt_expiry_bool(true);
    else
        return pt_expiry_parse("1 day", pt_now_ms(), out, err, errlen);
    return 0;
}

static void test_expiration_callback(void **state)
{
    (void)state;
    pt_cache_t *c = pt_cache_new(.load = echo_load, .expiry_fn = expire_big);
    json_t *v;
    pt_cache_get_key(c, "a", NULL, &v); /* n = 1: a day */
    json_decref(v);
    expect_load(c, "a", 1);
    pt_cache_get_key(c, "b", NULL, &v); /* n = 2: expired at once */
    json_decref(v);
    expect_load(c, "b", 3);
    assert_int_equal(atomic_load(&cb_calls), 3);
    pt_cache_free(c);
}


/* One convention: a zeroed options struct is the defaults, whether it
 * comes through pt_cache_new or straight to pt_cache_new_opts. */
static void test_zero_options_are_defaults(void **state)
{
    (void)state;
    pt_cache_opts_t o;
    memset(&o, 0, sizeof o);
    o.load = echo_load;
    pt_cache_t *c = pt_cache_new_opts(&o);
    assert_non_null(c);
    const pt_cache_opts_t *p = pt_cache_parameters(c);
    assert_false(p->disabled);
    assert_int_equal(p->maxsize, 128);
    assert_int_equal(p->maxwait_ms, 1000);
    assert_int_equal(p->pulse_ms, 50);
    assert_int_equal(p->lock_lease_ms, 60000);
    assert_int_equal(pt_cache_info(c).maxsize, 128);
    json_t *v;
    for (int i = 0; i < 2; i++) {
        assert_int_equal(pt_cache_get_key(c, "a", NULL, &v), PT_MEMO_OK);
        assert_int_equal(load_no(v), 1); /* cached: enabled */
        json_decref(v);
    }
    pt_cache_free(c);

    /* explicit values stay as given */
    c = pt_cache_new(.load = echo_load, .maxsize = PT_CACHE_UNBOUNDED, .maxwait_ms = PT_MEMO_NOWAIT);
    assert_int_equal(pt_cache_parameters(c)->maxsize, SIZE_MAX);
    assert_int_equal(pt_cache_info(c).maxsize, PT_CACHE_UNBOUNDED);
    assert_int_equal(pt_cache_parameters(c)->maxwait_ms, PT_MEMO_NOWAIT);
    pt_cache_free(c);
    c = pt_cache_new(.load = echo_load, .maxwait_ms = PT_MEMO_FOREVER, .maxsize = 7);
    assert_int_equal(pt_cache_parameters(c)->maxwait_ms, PT_MEMO_FOREVER);
    assert_int_equal(pt_cache_parameters(c)->maxsize, 7);
    pt_cache_free(c);

    /* locks: zero is "fail at once when held" */
    pt_lock_opts_t lo;
    memset(&lo, 0, sizeof lo);
    pt_lock_t *l = pt_lock_new_opts(&lo);
    assert_non_null(l);
    pt_lock_guard_t a, b;
    assert_int_equal(pt_lock_acquire(l, "x", &a), PT_MEMO_OK);
    assert_int_equal(pt_lock_acquire(l, "x", &b), PT_MEMO_LOCKED);
    assert_int_equal(pt_lock_acquire_for(l, "x", PT_MEMO_NOWAIT, &b), PT_MEMO_LOCKED);
    pt_lock_release(&a);
    pt_lock_free(l);
}

/* Negative numbers are errors, named with the cache and the value. */
static void test_bad_numbers_named(void **state)
{
    (void)state;
    assert_null(pt_cache_new(.load = echo_load, .name = "neg", .ttl_ms = -5));
    assert_string_equal(pt_memo_last_error(),
                        "cache 'neg': bad ttl_ms -5: expected milliseconds > 0, or 0 for never");
    assert_null(pt_cache_new(.load = echo_load, .ttl_ms = -1));
    assert_non_null(strstr(pt_memo_last_error(), "bad ttl_ms -1"));
    assert_null(pt_cache_new(.load = echo_load, .name = "w", .maxwait_ms = -3));
    assert_non_null(strstr(pt_memo_last_error(), "cache 'w': bad maxwait_ms -3"));
    assert_null(pt_cache_new(.load = echo_load, .pulse_ms = -1));
    assert_non_null(strstr(pt_memo_last_error(), "bad pulse_ms -1"));
    assert_null(pt_lock_new(.maxwait_ms = -7));
    assert_non_null(strstr(pt_memo_last_error(), "bad maxwait_ms -7"));
    assert_null(pt_cache_new(.load = echo_load, .name = "x", .expiration = "5 mins"));
    assert_string_equal(pt_memo_last_error(), "cache 'x': bad expiration '5 mins': " PT_EXPIRY_EXPECTED);
    assert_null(pt_cache_new(.load = echo_load, .negative = true, .negative_expiration = "-1e30"));
    assert_string_equal(pt_memo_last_error(), "cache: bad negative_expiration '-1e30': duration "
                                              "out of range; " PT_EXPIRY_EXPECTED);
}

/* A time of day is a daily expiry: each value is cached until the next
 * occurrence of that time after its fetch, on any day. Times are picked
 * relative to the real clock (the cache reads wall time). */
static void tod_string(char *buf, size_t cap, int64_t epoch_ms)
{
    int64_t s = (epoch_ms / 1000) % 86400;
    snprintf(buf, cap, "%02d:%02d:%02dZ", (int)(s / 3600), (int)(s / 60 % 60), (int)(s % 60));
}

static void test_timeofday_is_daily(void **state)
{
    (void)state;
    struct timespec ts;
    char tod[32];
    json_t *v;
    clock_gettime(CLOCK_REALTIME, &ts);
    int64_t now = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;

    /* a time that passed a few seconds ago: cached until tomorrow */
    tod_string(tod, sizeof tod, now - 5000);
    pt_cache_t *c = pt_cache_new(.load = echo_load, .expiration = tod);
    assert_non_null(c);
    for (int i = 0; i < 3; i++)
        expect_load(c, "a", 1);
    pt_cache_free(c);

    /* a time 2 s ahead: cached until then, then reloaded once and cached
     * until the same time tomorrow */
    atomic_store(&loads, 0);
    int64_t at = (now / 1000 + 2) * 1000;
    tod_string(tod, sizeof tod, at);
    c = pt_cache_new(.load = echo_load, .negative = true, .negative_expiration = tod,
                     .expiration = tod);
    expect_load(c, "a", 1);
    expect_load(c, "a", 1);
    atomic_store(&fail_next, 1); /* the failure is cached by the same rule */
    assert_int_equal(pt_cache_get_key(c, "b", NULL, &v), PT_MEMO_LOAD_FAILED);
    json_decref(v);
    do {
        pt_sleep_ms(50);
        clock_gettime(CLOCK_REALTIME, &ts);
    } while ((int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000 < at + 50);
    for (int i = 0; i < 3; i++)
        expect_load(c, "a", 3);
    for (int i = 0; i < 2; i++)
        expect_load(c, "b", 4);
    assert_int_equal(atomic_load(&loads), 4);
    pt_cache_free(c);
}

/* "inf" caches for good, "-inf" never caches (datetime.max and .min). */
static void test_infinite_expirations(void **state)
{
    (void)state;
    pt_cache_t *c = pt_cache_new(.load = echo_load, .expiration = "Infinity");
    assert_non_null(c);
    for (int i = 0; i < 2; i++)
        expect_load(c, "a", 1);
    pt_cache_free(c);
    c = pt_cache_new(.load = echo_load, .expiration = "-INF");
    assert_non_null(c);
    for (int i = 0; i < 2; i++)
        expect_load(c, "a", 2 + i);
    assert_int_equal(pt_cache_info(c).current_size, 0);
    pt_cache_free(c);
}

int main(int argc, char **argv)
{
    if (argc > 1)
        cmocka_set_test_filter(argv[1]);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_ttl_expires, setup),
        cmocka_unit_test_setup(test_expiration_strings, setup),
        cmocka_unit_test_setup(test_expiration_pointer, setup),
        cmocka_unit_test_setup(test_expiration_callback, setup),
        cmocka_unit_test_setup(test_zero_options_are_defaults, setup),
        cmocka_unit_test_setup(test_bad_numbers_named, setup),
        cmocka_unit_test_setup(test_timeofday_is_daily, setup),
        cmocka_unit_test_setup(test_infinite_expirations, setup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
