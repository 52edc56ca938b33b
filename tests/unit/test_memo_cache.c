/* The cache: every option, stats, invalidation, cleanups, and single-flight
 * loads under concurrency from coroutines on two schedulers and plain
 * threads. */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>

#include "ponty/memo.h"
#include "ponty/sync.h"
#include "memo_test_util.h"

static atomic_int loads;
static atomic_int fail_next; /* loads that should fail before one succeeds */

/* Echoes the key: {"k": key, "n": load number}. */
static json_t *echo_load(pt_cache_call_t *call)
{
    int n = atomic_fetch_add(&loads, 1) + 1;
    if (atomic_load(&fail_next) > 0) {
        atomic_fetch_sub(&fail_next, 1);
        call->error = json_pack("{s:s}", "error", "boom");
        return NULL;
    }
    return json_pack("{s:s,s:i}", "k", call->key, "n", n);
}

static int slow_ms = 100;
static json_t *slow_load(pt_cache_call_t *call)
{
    atomic_fetch_add(&loads, 1);
    pt_sleep_ms(slow_ms);
    return json_pack("{s:s}", "k", call->key);
}

static int setup(void **state)
{
    (void)state;
    atomic_store(&loads, 0);
    atomic_store(&fail_next, 0);
    return 0;
}

static int load_no(json_t *v) { return (int)json_integer_value(json_object_get(v, "n")); }

/* ---- basics ---- */

static void test_hit_miss_and_stats(void **state)
{
    (void)state;
    pt_cache_t *c = pt_cache_new(.load = echo_load);
    assert_non_null(c);
    json_t *v;
    assert_int_equal(pt_cache_get_key(c, "a", NULL, &v), PT_MEMO_OK);
    assert_string_equal(json_string_value(json_object_get(v, "k")), "a");
    json_decref(v);
    for (int i = 0; i < 3; i++) {
        assert_int_equal(pt_cache_get_key(c, "a", NULL, &v), PT_MEMO_OK);
        assert_int_equal(load_no(v), 1);
        json_decref(v);
    }
    assert_int_equal(pt_cache_get_key(c, "b", NULL, &v), PT_MEMO_OK);
    json_decref(v);
    pt_cache_info_t info = pt_cache_info(c);
    assert_int_equal(info.hits, 3);
    assert_int_equal(info.misses, 2);
    assert_int_equal(info.current_size, 2);
    assert_int_equal(info.maxsize, 128);
    assert_int_equal(atomic_load(&loads), 2);
    /* the defaults, as parameters */
    const pt_cache_opts_t *p = pt_cache_parameters(c);
    assert_int_equal(p->maxwait_ms, 1000);
    assert_int_equal(p->pulse_ms, 50);
    assert_false(p->disabled);
    assert_int_equal(p->maxsize, 128);
    assert_int_equal(p->lock_lease_ms, 60000);
    assert_string_equal(p->negative_expiration, "10 seconds");
    pt_cache_free(c);
}

static void test_keys_from_arguments(void **state)
{
    (void)state;
    pt_cache_t *c = pt_cache_new(.load = echo_load, .maxsize = PT_CACHE_UNBOUNDED);
    json_t *v, *a1 = json_pack("[i]", 1), *a1f = json_pack("[f]", 1.0), *kw = json_pack("{s:i}", "x", 1);
    assert_int_equal(pt_cache_get(c, a1, NULL, &v), PT_MEMO_OK);
    assert_string_equal(json_string_value(json_object_get(v, "k")), "[[1],{}]");
    json_decref(v);
    assert_int_equal(pt_cache_get(c, a1f, NULL, &v), PT_MEMO_OK); /* 1 and 1.0 differ */
    json_decref(v);
    assert_int_equal(pt_cache_get(c, NULL, kw, &v), PT_MEMO_OK);  /* f(1) and f(x=1) differ */
    json_decref(v);
    assert_int_equal(pt_cache_get(c, a1, NULL, &v), PT_MEMO_OK);
    assert_int_equal(load_no(v), 1);
    json_decref(v);
    assert_int_equal(atomic_load(&loads), 3);
    /* a long key (beyond the stack buffer) is compared whole */
    json_t *big = json_array();
    for (int i = 0; i < 200; i++)
        json_array_append_new(big, json_integer(i));
    assert_int_equal(pt_cache_get(c, big, NULL, &v), PT_MEMO_OK);
    json_decref(v);
    json_array_set_new(big, 199, json_integer(-1));
    assert_int_equal(pt_cache_get(c, big, NULL, &v), PT_MEMO_OK);
    json_decref(v);
    assert_int_equal(atomic_load(&loads), 5);
    json_decref(big);
    json_decref(a1);
    json_decref(a1f);
    json_decref(kw);
    pt_cache_free(c);
}

static void test_key_template_and_single_key(void **state)
{
    (void)state;
    pt_cache_t *c = pt_cache_new(.load = echo_load, .key = "env:{environment.id}:id:{user[id]}");
    assert_non_null(c);
    json_t *v, *args = json_pack("[{s:i},{s:i,s:s}]", "id", 7, "id", 3, "name", "x");
    json_t *kw = json_pack("{s:O,s:O}", "environment", json_array_get(args, 0), "user",
                           json_array_get(args, 1));
    assert_int_equal(pt_cache_get(c, args, kw, &v), PT_MEMO_OK);
    assert_string_equal(json_string_value(json_object_get(v, "k")), "env:7:id:3");
    json_decref(v);
    char *k = pt_cache_key(c, args, kw);
    assert_string_equal(k, "env:7:id:3");
    free(k);
    /* a missing argument is a key error that names it */
    assert_int_equal(pt_cache_get(c, args, NULL, &v), PT_MEMO_KEY_ERROR);
    assert_null(v);
    assert_non_null(strstr(pt_memo_last_error(), "environment"));
    json_decref(args);
    json_decref(kw);
    pt_cache_free(c);

    c = pt_cache_new(.load = echo_load, .single_key = true);
    json_t *a = json_pack("[i]", 1), *b = json_pack("[i]", 2);
    assert_int_equal(pt_cache_get(c, a, NULL, &v), PT_MEMO_OK);
    json_decref(v);
    assert_int_equal(pt_cache_get(c, b, NULL, &v), PT_MEMO_OK);
    assert_int_equal(atomic_load(&loads), 2);
    json_decref(v);
    assert_int_equal(pt_cache_info(c).current_size, 1);
    json_decref(a);
    json_decref(b);
    pt_cache_free(c);

    /* a bad template is refused at creation, quoting it */
    assert_null(pt_cache_new(.load = echo_load, .key = "{a"));
    assert_non_null(strstr(pt_memo_last_error(), "'{a'"));
}

static void test_bad_options(void **state)
{
    (void)state;
    assert_null(pt_cache_new(.maxsize = 3));
    assert_null(pt_cache_new(.load = echo_load, .expiration = "1x2y"));
    assert_non_null(strstr(pt_memo_last_error(), "'1x2y'"));
    assert_null(pt_cache_new(.load = echo_load, .negative = true, .negative_expiration = "soon"));
    assert_non_null(strstr(pt_memo_last_error(), "'soon'"));
    pt_cache_t *a = pt_cache_new(.load = echo_load, .name = "dup");
    assert_non_null(a);
    assert_null(pt_cache_new(.load = echo_load, .name = "dup"));
    assert_non_null(strstr(pt_memo_last_error(), "dup"));
    assert_ptr_equal(pt_cache_find("dup"), a);
    pt_cache_free(a);
    assert_null(pt_cache_find("dup"));
    a = pt_cache_new(.load = echo_load, .name = "dup"); /* the name is free again */
    assert_non_null(a);
    pt_cache_free(a);
}

/* ---- expiration ---- */

static void test_ttl_expires(void **state)
{
    (void)state;
    pt_cache_t *c = pt_cache_new(.load = echo_load, .ttl_ms = 60);
    json_t *v;
    pt_cache_get_key(c, "a", NULL, &v);
    json_decref(v);
    pt_cache_get_key(c, "a", NULL, &v);
    assert_int_equal(load_no(v), 1);
    json_decref(v);
    pt_sleep_ms(80);
    pt_cache_get_key(c, "a", NULL, &v);
    assert_int_equal(load_no(v), 2);
    json_decref(v);
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
    /* expires in 50 ms, as an epoch-ms timestamp read by "$.token.expiration" */
    return json_pack("{s:{s:s,s:I}}", "token", "value", call->key, "expiration",
                     (json_int_t)(pt_now_ms() + 50));
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
    pt_sleep_ms(70);
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
    pt_cache_get_key(c, "a", NULL, &v);
    assert_int_equal(load_no(v), 1);
    json_decref(v);
    pt_cache_get_key(c, "b", NULL, &v); /* n = 2: expired at once */
    json_decref(v);
    pt_cache_get_key(c, "b", NULL, &v);
    assert_int_equal(load_no(v), 3);
    json_decref(v);
    assert_int_equal(atomic_load(&cb_calls), 3);
    pt_cache_free(c);
}

/* ---- failures, negative caching, retries ---- */

static void test_failure_does_not_poison(void **state)
{
    (void)state;
    pt_cache_t *c = pt_cache_new(.load = echo_load);
    json_t *v;
    atomic_store(&fail_next, 1);
    assert_int_equal(pt_cache_get_key(c, "a", NULL, &v), PT_MEMO_LOAD_FAILED);
    assert_string_equal(json_string_value(json_object_get(v, "error")), "boom");
    json_decref(v);
    assert_int_equal(pt_cache_info(c).current_size, 0);
    assert_int_equal(pt_cache_get_key(c, "a", NULL, &v), PT_MEMO_OK);
    json_decref(v);
    assert_int_equal(atomic_load(&loads), 2);
    pt_cache_free(c);
}

static void test_negative_caching(void **state)
{
    (void)state;
    pt_cache_t *c = pt_cache_new(.load = echo_load, .negative = true, .negative_expiration = "0.06");
    json_t *v;
    atomic_store(&fail_next, 1);
    assert_int_equal(pt_cache_get_key(c, "a", NULL, &v), PT_MEMO_LOAD_FAILED);
    json_decref(v);
    assert_int_equal(pt_cache_get_key(c, "a", NULL, &v), PT_MEMO_LOAD_FAILED); /* cached failure */
    assert_string_equal(json_string_value(json_object_get(v, "error")), "boom");
    json_decref(v);
    assert_int_equal(atomic_load(&loads), 1);
    pt_sleep_ms(80);
    assert_int_equal(pt_cache_get_key(c, "a", NULL, &v), PT_MEMO_OK);
    json_decref(v);
    pt_cache_free(c);
}

static void test_retries_with_backoff(void **state)
{
    (void)state;
    pt_cache_t *c = pt_cache_new(.load = echo_load, .retries = 3, .backoff_ms = 10);
    json_t *v;
    atomic_store(&fail_next, 2);
    int64_t t0 = pt_now_mono_ms();
    assert_int_equal(pt_cache_get_key(c, "a", NULL, &v), PT_MEMO_OK);
    int64_t took = pt_now_mono_ms() - t0;
    /* 10*2^0 + 10*2^1 plus jitter in [0, 10) each */
    assert_true(took >= 30 && took < 200);
    assert_int_equal(load_no(v), 3);
    json_decref(v);
    atomic_store(&fail_next, 10);
    assert_int_equal(pt_cache_get_key(c, "b", NULL, &v), PT_MEMO_LOAD_FAILED); /* 1 + 3 attempts */
    json_decref(v);
    assert_int_equal(atomic_load(&loads), 3 + 4);
    pt_cache_free(c);
}

static void test_disabled(void **state)
{
    (void)state;
    pt_cache_t *c = pt_cache_new(.load = echo_load, .disabled = true);
    json_t *v;
    for (int i = 0; i < 3; i++) {
        assert_int_equal(pt_cache_get_key(c, "a", NULL, &v), PT_MEMO_OK);
        json_decref(v);
    }
    assert_int_equal(atomic_load(&loads), 3);
    assert_int_equal(pt_cache_info(c).current_size, 0);
    pt_cache_free(c);
}

/* ---- size, LRU, clearing ---- */

static void test_lru_eviction(void **state)
{
    (void)state;
    pt_cache_t *c = pt_cache_new(.load = echo_load, .maxsize = 2);
    json_t *v;
    pt_cache_get_key(c, "a", NULL, &v); json_decref(v);
    pt_cache_get_key(c, "b", NULL, &v); json_decref(v);
    pt_cache_get_key(c, "a", NULL, &v); json_decref(v); /* a is now the most recent */
    pt_cache_get_key(c, "c", NULL, &v); json_decref(v); /* evicts b */
    assert_int_equal(pt_cache_info(c).current_size, 2);
    pt_cache_get_key(c, "a", NULL, &v);
    assert_int_equal(load_no(v), 1);
    json_decref(v);
    pt_cache_get_key(c, "b", NULL, &v);
    assert_int_equal(load_no(v), 4);
    json_decref(v);
    pt_cache_free(c);
}

/* maxsize N holds exactly N entries and evicts the least recently used one,
 * at every size: sharding (from 1024 up) splits the table, not the bound. */
static void test_lru_exact_at_every_size(void **state)
{
    (void)state;
    static const size_t sizes[] = { 1, 100, 1023, 1024, 5000, 100000 };
    char k[32];
    json_t *v;
    for (size_t si = 0; si < sizeof sizes / sizeof *sizes; si++) {
        size_t n = sizes[si];
        pt_cache_t *c = pt_cache_new(.load = echo_load, .maxsize = n);
        atomic_store(&loads, 0);
        /* fill n distinct keys, then a cyclic scan over them twice more: the
         * keys all stay, so neither repeat pass reloads anything */
        for (int pass = 0; pass < 3; pass++)
            for (size_t i = 0; i < n; i++) {
                snprintf(k, sizeof k, "k%zu", i);
                assert_int_equal(pt_cache_get_key(c, k, NULL, &v), PT_MEMO_OK);
                json_decref(v);
            }
        if ((size_t)atomic_load(&loads) != n)
            fail_msg("maxsize %zu: %d loads for %zu keys scanned 3 times", n, atomic_load(&loads), n);
        assert_int_equal(pt_cache_info(c).current_size, n);
        assert_int_equal(pt_cache_info(c).maxsize, n);
        /* key n is one too many: exactly the LRU key (k0) goes */
        snprintf(k, sizeof k, "k%zu", n);
        assert_int_equal(pt_cache_get_key(c, k, NULL, &v), PT_MEMO_OK);
        json_decref(v);
        assert_int_equal(pt_cache_info(c).current_size, n);
        for (size_t i = 1; i <= n; i++) { /* all still there: no load */
            snprintf(k, sizeof k, "k%zu", i);
            assert_int_equal(pt_cache_get_key(c, k, NULL, &v), PT_MEMO_OK);
            json_decref(v);
        }
        if ((size_t)atomic_load(&loads) != n + 1)
            fail_msg("maxsize %zu: key k%zu..k%zu reloaded (%d loads)", n, (size_t)1, n,
                     atomic_load(&loads));
        assert_int_equal(pt_cache_get_key(c, "k0", NULL, &v), PT_MEMO_OK); /* k0 was evicted */
        json_decref(v);
        assert_int_equal((size_t)atomic_load(&loads), n + 2);
        assert_int_equal(pt_cache_info(c).current_size, n);
        pt_cache_free(c);
    }
}

/* Each get counts once, as a hit or a miss, even one that waits out an
 * invalidation and looks again; clearing resets the counters. */
static pt_cache_t *stat_cache;

static void *stat_get(void *arg)
{
    (void)arg;
    json_t *v;
    assert_int_equal(pt_cache_get_key(stat_cache, "a", NULL, &v), PT_MEMO_OK);
    json_decref(v);
    return NULL;
}

static void test_stats_count_each_get_once(void **state)
{
    (void)state;
    stat_cache = pt_cache_new(.load = echo_load, .maxwait_ms = PT_MEMO_FOREVER);
    json_t *v;
    for (int i = 0; i < 3; i++) { /* 1 miss, 2 hits */
        assert_int_equal(pt_cache_get_key(stat_cache, "a", NULL, &v), PT_MEMO_OK);
        json_decref(v);
    }
    pt_cache_invalidation_t inv;
    assert_int_equal(pt_cache_invalidate_key_begin(stat_cache, "a", &inv), PT_MEMO_OK);
    pthread_t th;
    pthread_create(&th, NULL, stat_get, NULL);
    /* the get is parked on the key once it has counted its miss */
    while (pt_cache_info(stat_cache).misses < 2)
        pt_sleep_ms(1);
    pt_sleep_ms(20);
    pt_cache_invalidate_end(&inv);
    pthread_join(th, NULL);
    assert_int_equal(atomic_load(&loads), 2);
    pt_cache_info_t info = pt_cache_info(stat_cache);
    assert_int_equal(info.hits, 2);
    assert_int_equal(info.misses, 2);
    assert_int_equal(info.hits + info.misses, 4); /* four gets */

    assert_int_equal(pt_cache_clear(stat_cache), PT_MEMO_OK);
    info = pt_cache_info(stat_cache);
    assert_int_equal(info.hits, 0);
    assert_int_equal(info.misses, 0);
    assert_int_equal(info.current_size, 0);
    assert_int_equal(pt_cache_get_key(stat_cache, "a", NULL, &v), PT_MEMO_OK);
    json_decref(v);
    assert_int_equal(pt_cache_info(stat_cache).misses, 1);
    pt_cache_free(stat_cache);

    /* a disabled cache: every get is a miss */
    pt_cache_t *c = pt_cache_new(.load = echo_load, .disabled = true);
    for (int i = 0; i < 3; i++) {
        assert_int_equal(pt_cache_get_key(c, "a", NULL, &v), PT_MEMO_OK);
        json_decref(v);
    }
    assert_int_equal(pt_cache_info(c).misses, 3);
    assert_int_equal(pt_cache_info(c).hits, 0);
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
    for (int i = 0; i < 3; i++) {
        assert_int_equal(pt_cache_get_key(c, "a", NULL, &v), PT_MEMO_OK);
        assert_int_equal(load_no(v), 1);
        json_decref(v);
    }
    pt_cache_free(c);

    /* a time 2 s ahead: cached until then, then reloaded once and cached
     * until the same time tomorrow */
    atomic_store(&loads, 0);
    int64_t at = (now / 1000 + 2) * 1000;
    tod_string(tod, sizeof tod, at);
    c = pt_cache_new(.load = echo_load, .negative = true, .negative_expiration = tod,
                     .expiration = tod);
    assert_int_equal(pt_cache_get_key(c, "a", NULL, &v), PT_MEMO_OK);
    assert_int_equal(load_no(v), 1);
    json_decref(v);
    assert_int_equal(pt_cache_get_key(c, "a", NULL, &v), PT_MEMO_OK);
    assert_int_equal(load_no(v), 1);
    json_decref(v);
    atomic_store(&fail_next, 1); /* the failure is cached by the same rule */
    assert_int_equal(pt_cache_get_key(c, "b", NULL, &v), PT_MEMO_LOAD_FAILED);
    json_decref(v);
    do {
        pt_sleep_ms(50);
        clock_gettime(CLOCK_REALTIME, &ts);
    } while ((int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000 < at + 50);
    for (int i = 0; i < 3; i++) {
        assert_int_equal(pt_cache_get_key(c, "a", NULL, &v), PT_MEMO_OK);
        assert_int_equal(load_no(v), 3);
        json_decref(v);
    }
    for (int i = 0; i < 2; i++) {
        assert_int_equal(pt_cache_get_key(c, "b", NULL, &v), PT_MEMO_OK);
        assert_int_equal(load_no(v), 4);
        json_decref(v);
    }
    assert_int_equal(atomic_load(&loads), 4);
    pt_cache_free(c);
}

/* "inf" caches for good, "-inf" never caches (datetime.max and .min). */
static void test_infinite_expirations(void **state)
{
    (void)state;
    json_t *v;
    pt_cache_t *c = pt_cache_new(.load = echo_load, .expiration = "Infinity");
    assert_non_null(c);
    for (int i = 0; i < 2; i++) {
        assert_int_equal(pt_cache_get_key(c, "a", NULL, &v), PT_MEMO_OK);
        assert_int_equal(load_no(v), 1);
        json_decref(v);
    }
    pt_cache_free(c);
    c = pt_cache_new(.load = echo_load, .expiration = "-INF");
    assert_non_null(c);
    for (int i = 0; i < 2; i++) {
        assert_int_equal(pt_cache_get_key(c, "a", NULL, &v), PT_MEMO_OK);
        assert_int_equal(load_no(v), 2 + i);
        json_decref(v);
    }
    assert_int_equal(pt_cache_info(c).current_size, 0);
    pt_cache_free(c);
}

static void test_clear_and_clear_all(void **state)
{
    (void)state;
    pt_cache_t *a = pt_cache_new(.load = echo_load), *b = pt_cache_new(.load = echo_load, .name = "b");
    json_t *v;
    pt_cache_get_key(a, "x", NULL, &v); json_decref(v);
    pt_cache_get_key(b, "x", NULL, &v); json_decref(v);
    pt_cache_clear(a);
    assert_int_equal(pt_cache_info(a).current_size, 0);
    assert_int_equal(pt_cache_info(b).current_size, 1);
    pt_cache_get_key(a, "x", NULL, &v); json_decref(v);
    pt_cache_clear_all();
    assert_int_equal(pt_cache_info(a).current_size, 0);
    assert_int_equal(pt_cache_info(b).current_size, 0);
    pt_cache_free(a);
    pt_cache_free(b);
}

static void test_remove_expired(void **state)
{
    (void)state;
    pt_cache_t *c = pt_cache_new(.load = echo_load, .ttl_ms = 30);
    json_t *v;
    pt_cache_get_key(c, "a", NULL, &v); json_decref(v);
    pt_cache_get_key(c, "b", NULL, &v); json_decref(v);
    assert_int_equal(pt_cache_remove_expired(c), 0);
    assert_true(pt_cache_info(c).last_expiration_check_ms > 0);
    pt_sleep_ms(50);
    assert_int_equal(pt_cache_info(c).current_size, 2); /* expired, still there */
    assert_int_equal(pt_cache_remove_expired(c), 2);
    assert_int_equal(pt_cache_info(c).current_size, 0);
    pt_cache_free(c);

    /* periodic: checked on calls */
    c = pt_cache_new(.load = echo_load, .ttl_ms = 20, .remove_expired_every_ms = 30);
    pt_cache_get_key(c, "a", NULL, &v); json_decref(v);
    pt_sleep_ms(50);
    pt_cache_get_key(c, "b", NULL, &v); json_decref(v); /* sweeps a away */
    assert_int_equal(pt_cache_info(c).current_size, 1);
    assert_true(pt_cache_info(c).last_expiration_check_ms > 0);
    pt_cache_free(c);
}

/* ---- cleanups ---- */

static atomic_int cleaned;
static void count_cleanup(void *value, void *ud)
{
    (void)ud;
    assert_non_null(value);
    atomic_fetch_add(&cleaned, 1);
}

static void test_cleanup_on_evict_replace_clear(void **state)
{
    (void)state;
    atomic_store(&cleaned, 0);
    pt_cache_t *c = pt_cache_new(.load = echo_load, .maxsize = 1, .ttl_ms = 30, .cleanup = count_cleanup);
    json_t *v;
    pt_cache_get_key(c, "a", NULL, &v); json_decref(v);
    pt_cache_get_key(c, "b", NULL, &v); json_decref(v); /* evicts a */
    assert_int_equal(atomic_load(&cleaned), 1);
    pt_sleep_ms(50);
    pt_cache_get_key(c, "b", NULL, &v); json_decref(v); /* expired b replaced */
    assert_int_equal(atomic_load(&cleaned), 2);
    pt_cache_clear(c);
    assert_int_equal(atomic_load(&cleaned), 3);
    pt_cache_get_key(c, "c", NULL, &v); json_decref(v);
    pt_cache_free(c);
    assert_int_equal(atomic_load(&cleaned), 4);
}

static void test_delayed_cleanup_flush_and_cancel(void **state)
{
    (void)state;
    atomic_store(&cleaned, 0);
    pt_cache_t *c = pt_cache_new(.load = echo_load, .cleanup = count_cleanup, .cleanup_delay_ms = 50);
    json_t *v;
    pt_cache_get_key(c, "a", NULL, &v); json_decref(v);
    pt_cache_clear(c);
    assert_int_equal(atomic_load(&cleaned), 0);
    assert_int_equal(pt_memo_cleanups_pending(), 1);
    pt_sleep_ms(120);
    assert_int_equal(atomic_load(&cleaned), 1); /* the thread ran it */

    pt_cache_get_key(c, "a", NULL, &v); json_decref(v);
    pt_cache_get_key(c, "b", NULL, &v); json_decref(v);
    pt_cache_clear(c);
    assert_int_equal(pt_memo_cleanups_flush(-1), 0); /* run now */
    assert_int_equal(atomic_load(&cleaned), 3);

    pt_cache_get_key(c, "a", NULL, &v); json_decref(v);
    pt_cache_clear(c);
    assert_int_equal(pt_memo_cleanups_cancel(), 1);
    pt_sleep_ms(80);
    assert_int_equal(atomic_load(&cleaned), 3); /* never ran */
    pt_cache_free(c);
}

/* ---- pointer values ---- */

typedef struct client { int id; } client_t;
static void *client_load(pt_cache_call_t *call)
{
    client_t *cl = malloc(sizeof *cl);
    cl->id = atomic_fetch_add(&loads, 1) + 1;
    (void)call;
    return cl;
}
static void client_free(void *p, void *ud) { (void)ud; atomic_fetch_add(&cleaned, 1); free(p); }

static void test_pointer_values(void **state)
{
    (void)state;
    atomic_store(&cleaned, 0);
    pt_cache_t *c = pt_cache_new(.load_ptr = client_load, .cleanup = client_free, .maxsize = 1);
    pt_cache_ref_t *r1, *r2, *r3;
    assert_int_equal(pt_cache_get_ptr(c, "a", NULL, &r1), PT_MEMO_OK);
    assert_int_equal(pt_cache_get_ptr(c, "a", NULL, &r2), PT_MEMO_OK);
    assert_ptr_equal(pt_cache_ref_ptr(r1), pt_cache_ref_ptr(r2));
    assert_int_equal(((client_t *)pt_cache_ref_ptr(r1))->id, 1);
    /* evicted while held: the destructor waits for the last holder */
    assert_int_equal(pt_cache_get_ptr(c, "b", NULL, &r3), PT_MEMO_OK);
    assert_int_equal(atomic_load(&cleaned), 0);
    pt_cache_ref_release(r1);
    assert_int_equal(atomic_load(&cleaned), 0);
    pt_cache_ref_release(r2);
    assert_int_equal(atomic_load(&cleaned), 1);
    pt_cache_ref_release(r3);
    json_t *v;
    assert_int_equal(pt_cache_get_key(c, "a", NULL, &v), PT_MEMO_INVALID);
    pt_cache_free(c);
    assert_int_equal(atomic_load(&cleaned), 2);
}

/* ---- invalidation ---- */

static pt_cache_t *inv_cache;
static atomic_int inv_phase;

static void invalidator(int idx)
{
    (void)idx;
    pt_memo_err_t rc;
    json_t *args = json_pack("[i]", 5);
    PT_INVALIDATE(rc, "inv", args, NULL) {
        atomic_store(&inv_phase, 1);
        pt_sleep_ms(80); /* the "update": nobody may re-cache meanwhile */
        atomic_store(&inv_phase, 2);
    }
    assert_int_equal(rc, PT_MEMO_OK);
    json_decref(args);
}

static void reader(int idx)
{
    (void)idx;
    while (atomic_load(&inv_phase) == 0)
        pt_sleep_ms(1);
    json_t *args = json_pack("[i]", 5), *v;
    assert_int_equal(pt_cache_get(inv_cache, args, NULL, &v), PT_MEMO_OK);
    /* the read waited for the invalidation to end, then reloaded */
    assert_int_equal(atomic_load(&inv_phase), 2);
    assert_true(load_no(v) >= 2);
    json_decref(v);
    json_decref(args);
}

static void test_invalidate_holds_the_key(void **state)
{
    (void)state;
    inv_cache = pt_cache_new(.load = echo_load, .name = "inv", .maxwait_ms = 2000);
    json_t *args = json_pack("[i]", 5), *v;
    pt_cache_get(inv_cache, args, NULL, &v);
    assert_int_equal(load_no(v), 1);
    json_decref(v);
    atomic_store(&inv_phase, 0);
    mt_sched_t s;
    mt_thread_t t[2];
    mt_spawn(&s, reader, 4, 0);
    mt_threads(t, 1, invalidator, 0);
    mt_threads(t + 1, 1, reader, 0);
    pthread_join(s.th, NULL);
    mt_join(t, 2);
    assert_int_equal(atomic_load(&loads), 2); /* one reload for all five readers */
    assert_int_equal(pt_cache_invalidate(inv_cache, args, NULL), PT_MEMO_OK);
    assert_int_equal(pt_cache_info(inv_cache).current_size, 0);
    pt_cache_invalidation_t inv;
    assert_int_equal(pt_invalidate_begin("nope", args, NULL, &inv), PT_MEMO_NOT_FOUND);
    json_decref(args);
    pt_cache_free(inv_cache);
}


/* Every way out of PT_INVALIDATE ends the invalidation. While it runs, a get
 * of the key (PT_MEMO_NOWAIT) is a stampede; after, it loads. */
static pt_cache_t *scoped_cache;

static bool key_free(json_t *args)
{
    json_t *v = NULL;
    pt_memo_err_t rc = pt_cache_get(scoped_cache, args, NULL, &v);
    json_decref(v);
    return rc == PT_MEMO_OK;
}

static int invalidate_return(json_t *args)
{
    pt_memo_err_t rc = PT_MEMO_OK; /* clang cannot see that the macro always sets it */
    PT_INVALIDATE(rc, "scoped", args, NULL) {
        assert_false(key_free(args));
        return 3;
    }
    return rc;
}

static void test_invalidate_every_exit_ends(void **state)
{
    (void)state;
    scoped_cache = pt_cache_new(.load = echo_load, .name = "scoped", .maxwait_ms = PT_MEMO_NOWAIT);
    json_t *args = json_pack("[i]", 9);
    pt_memo_err_t rc;
    int ran = 0;
    PT_INVALIDATE(rc, "scoped", args, NULL) {
        ran++;
        assert_false(key_free(args));
        break;
    }
    assert_true(key_free(args));
    for (int i = 0; i < 2; i++) {
        PT_INVALIDATE(rc, "scoped", args, NULL) {
            ran++;
            continue;
        }
        assert_true(key_free(args));
    }
    assert_int_equal(invalidate_return(args), 3);
    assert_true(key_free(args));
    PT_INVALIDATE(rc, "scoped", args, NULL) {
        ran++;
        goto out;
    }
    fail_msg("the goto skipped this");
out:
    assert_true(key_free(args));
    assert_int_equal(ran, 4);
    /* unknown name: the block does not run */
    PT_INVALIDATE(rc, "no such cache", args, NULL) fail_msg("ran");
    assert_int_equal(rc, PT_MEMO_NOT_FOUND);
    json_decref(args);
    pt_cache_free(scoped_cache);
}

/* ---- single flight ---- */

static pt_cache_t *sf_cache;
static atomic_int sf_ok, sf_stampede;

static void sf_get(int idx)
{
    (void)idx;
    json_t *v;
    pt_memo_err_t rc = pt_cache_get_key(sf_cache, "hot", NULL, &v);
    if (rc == PT_MEMO_OK) {
        assert_string_equal(json_string_value(json_object_get(v, "k")), "hot");
        atomic_fetch_add(&sf_ok, 1);
    } else {
        assert_int_equal(rc, PT_MEMO_STAMPEDE);
        atomic_fetch_add(&sf_stampede, 1);
    }
    json_decref(v);
}

static void run_everywhere(void (*fn)(int), int per_sched, int threads)
{
    mt_sched_t a, b;
    mt_thread_t t[16];
    mt_spawn(&a, fn, per_sched, 0);
    mt_spawn(&b, fn, per_sched, 1000);
    mt_threads(t, threads, fn, 2000);
    pthread_join(a.th, NULL);
    pthread_join(b.th, NULL);
    mt_join(t, threads);
}

static void test_single_flight_many_waiters(void **state)
{
    (void)state;
    atomic_store(&sf_ok, 0);
    atomic_store(&sf_stampede, 0);
    slow_ms = 100;
    sf_cache = pt_cache_new(.load = slow_load, .maxwait_ms = 5000);
    run_everywhere(sf_get, 300, 8);
    assert_int_equal(atomic_load(&loads), 1);
    assert_int_equal(atomic_load(&sf_ok), 608);
    pt_cache_free(sf_cache);
}

static void test_mandatory_lock_maxwait_0(void **state)
{
    (void)state;
    atomic_store(&sf_ok, 0);
    atomic_store(&sf_stampede, 0);
    slow_ms = 150;
    sf_cache = pt_cache_new(.load = slow_load, .maxwait_ms = PT_MEMO_NOWAIT);
    int64_t t0 = pt_now_mono_ms();
    run_everywhere(sf_get, 20, 4);
    assert_int_equal(atomic_load(&loads), 1);
    assert_int_equal(atomic_load(&sf_ok), 1);
    assert_int_equal(atomic_load(&sf_stampede), 43);
    assert_true(pt_now_mono_ms() - t0 < 1000);
    pt_cache_free(sf_cache);
}

static void test_maxwait_deadline_honoured(void **state)
{
    (void)state;
    atomic_store(&sf_ok, 0);
    atomic_store(&sf_stampede, 0);
    slow_ms = 400;
    sf_cache = pt_cache_new(.load = slow_load, .maxwait_ms = 100);
    int64_t t0 = pt_now_mono_ms();
    mt_thread_t lead;
    mt_threads(&lead, 1, sf_get, 0);
    pt_sleep_ms(20);
    int64_t t1 = pt_now_mono_ms();
    run_everywhere(sf_get, 10, 4);
    int64_t waited = pt_now_mono_ms() - t1;
    mt_join(&lead, 1);
    assert_int_equal(atomic_load(&sf_ok), 1);
    assert_int_equal(atomic_load(&sf_stampede), 24);
    assert_true(waited >= 95 && waited < 350);
    assert_true(pt_now_mono_ms() - t0 >= 400);
    assert_int_equal(atomic_load(&loads), 1);
    pt_cache_free(sf_cache);
}

/* Hits on other keys go on while a key loads. */
static void test_hits_do_not_wait(void **state)
{
    (void)state;
    slow_ms = 300;
    sf_cache = pt_cache_new(.load = slow_load, .maxwait_ms = 5000);
    json_t *v;
    pt_cache_get_key(sf_cache, "warm", NULL, &v);
    json_decref(v);
    mt_thread_t lead;
    mt_threads(&lead, 1, sf_get, 0); /* loads "hot" for 300 ms */
    pt_sleep_ms(20);
    int64_t t0 = pt_now_mono_ms();
    for (int i = 0; i < 1000; i++) {
        assert_int_equal(pt_cache_get_key(sf_cache, "warm", NULL, &v), PT_MEMO_OK);
        json_decref(v);
    }
    assert_true(pt_now_mono_ms() - t0 < 100);
    mt_join(&lead, 1);
    pt_cache_free(sf_cache);
}

/* Many keys, many callers, repeated: each key loads exactly once. */
static pt_cache_t *mk_cache;
static void mk_get(int idx)
{
    char k[16];
    for (int round = 0; round < 20; round++) {
        snprintf(k, sizeof k, "k%d", (idx + round) % 50);
        json_t *v;
        assert_int_equal(pt_cache_get_key(mk_cache, k, NULL, &v), PT_MEMO_OK);
        assert_string_equal(json_string_value(json_object_get(v, "k")), k);
        json_decref(v);
    }
}

static void test_no_lost_wakeups_many_keys(void **state)
{
    (void)state;
    slow_ms = 5;
    mk_cache = pt_cache_new(.load = slow_load, .maxwait_ms = PT_MEMO_FOREVER, .maxsize = PT_CACHE_UNBOUNDED);
    run_everywhere(mk_get, 200, 8);
    assert_int_equal(atomic_load(&loads), 50);
    pt_cache_info_t info = pt_cache_info(mk_cache);
    assert_int_equal(info.hits + info.misses, (200 * 2 + 8) * 20);
    pt_cache_free(mk_cache);
}

/* A failing load hands its failure to the callers parked on it, caches
 * nothing, and the next call loads again. */
static atomic_int fl_failed, fl_ok;
static json_t *slow_fail_load(pt_cache_call_t *call)
{
    int n = atomic_fetch_add(&loads, 1);
    pt_sleep_ms(80);
    if (n == 0) {
        call->error = json_pack("{s:s}", "error", "first load fails");
        return NULL;
    }
    return json_pack("{s:s}", "k", call->key);
}

static void fl_get(int idx)
{
    (void)idx;
    json_t *v;
    pt_memo_err_t rc = pt_cache_get_key(sf_cache, "f", NULL, &v);
    if (rc == PT_MEMO_LOAD_FAILED) {
        assert_string_equal(json_string_value(json_object_get(v, "error")), "first load fails");
        atomic_fetch_add(&fl_failed, 1);
    } else {
        assert_int_equal(rc, PT_MEMO_OK);
        atomic_fetch_add(&fl_ok, 1);
    }
    json_decref(v);
}

static void test_failed_load_wakes_waiters(void **state)
{
    (void)state;
    atomic_store(&fl_failed, 0);
    atomic_store(&fl_ok, 0);
    sf_cache = pt_cache_new(.load = slow_fail_load, .maxwait_ms = 2000);
    run_everywhere(fl_get, 50, 4);
    assert_int_equal(atomic_load(&loads), 1);
    assert_int_equal(atomic_load(&fl_failed), 104);
    assert_int_equal(pt_cache_info(sf_cache).current_size, 0);
    run_everywhere(fl_get, 50, 4); /* not poisoned: one more load, all succeed */
    assert_int_equal(atomic_load(&loads), 2);
    assert_int_equal(atomic_load(&fl_ok), 104);
    pt_cache_free(sf_cache);
}

/* The file-scope declaration (the decorator analog). */
static json_t *decl_load(pt_cache_call_t *call)
{
    atomic_fetch_add(&loads, 1);
    return json_pack("{s:s}", "k", call->key);
}
PT_LOCALCACHE(declared, .load = decl_load, .name = "declared", .ttl_ms = 60000);

static void test_declared_cache(void **state)
{
    (void)state;
    assert_non_null(declared);
    assert_ptr_equal(pt_cache_find("declared"), declared);
    assert_string_equal(pt_cache_name(declared), "declared");
    assert_int_equal(pt_cache_parameters(declared)->ttl_ms, 60000);
    json_t *v;
    assert_int_equal(pt_cache_get_key(declared, "a", NULL, &v), PT_MEMO_OK);
    json_decref(v);
    assert_int_equal(pt_cache_get_key(declared, "a", NULL, &v), PT_MEMO_OK);
    json_decref(v);
    assert_int_equal(atomic_load(&loads), 1);
    assert_int_equal(pt_cache_invalidate_key(declared, "a"), PT_MEMO_OK);
    assert_int_equal(pt_cache_info(declared).current_size, 0);
}

int main(int argc, char **argv)
{
    if (argc > 1)
        cmocka_set_test_filter(argv[1]);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_hit_miss_and_stats, setup),
        cmocka_unit_test_setup(test_keys_from_arguments, setup),
        cmocka_unit_test_setup(test_key_template_and_single_key, setup),
        cmocka_unit_test_setup(test_bad_options, setup),
        cmocka_unit_test_setup(test_ttl_expires, setup),
        cmocka_unit_test_setup(test_expiration_strings, setup),
        cmocka_unit_test_setup(test_expiration_pointer, setup),
        cmocka_unit_test_setup(test_expiration_callback, setup),
        cmocka_unit_test_setup(test_failure_does_not_poison, setup),
        cmocka_unit_test_setup(test_negative_caching, setup),
        cmocka_unit_test_setup(test_retries_with_backoff, setup),
        cmocka_unit_test_setup(test_disabled, setup),
        cmocka_unit_test_setup(test_lru_eviction, setup),
        cmocka_unit_test_setup(test_lru_exact_at_every_size, setup),
        cmocka_unit_test_setup(test_stats_count_each_get_once, setup),
        cmocka_unit_test_setup(test_zero_options_are_defaults, setup),
        cmocka_unit_test_setup(test_bad_numbers_named, setup),
        cmocka_unit_test_setup(test_timeofday_is_daily, setup),
        cmocka_unit_test_setup(test_infinite_expirations, setup),
        cmocka_unit_test_setup(test_clear_and_clear_all, setup),
        cmocka_unit_test_setup(test_remove_expired, setup),
        cmocka_unit_test_setup(test_cleanup_on_evict_replace_clear, setup),
        cmocka_unit_test_setup(test_delayed_cleanup_flush_and_cancel, setup),
        cmocka_unit_test_setup(test_pointer_values, setup),
        cmocka_unit_test_setup(test_invalidate_holds_the_key, setup),
        cmocka_unit_test_setup(test_invalidate_every_exit_ends, setup),
        cmocka_unit_test_setup(test_single_flight_many_waiters, setup),
        cmocka_unit_test_setup(test_mandatory_lock_maxwait_0, setup),
        cmocka_unit_test_setup(test_maxwait_deadline_honoured, setup),
        cmocka_unit_test_setup(test_hits_do_not_wait, setup),
        cmocka_unit_test_setup(test_no_lost_wakeups_many_keys, setup),
        cmocka_unit_test_setup(test_failed_load_wakes_waiters, setup),
        cmocka_unit_test_setup(test_declared_cache, setup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
