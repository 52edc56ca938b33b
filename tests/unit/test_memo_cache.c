/* The cache: keys, stats, failures and retries, size and LRU, clearing,
 * cleanups, pointer values, the declared cache. Expiration is
 * test_memo_cache_expiry.c, invalidation and single flight
 * test_memo_cache_flight.c. */
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
        expect_load(c, "a", 1);
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
    /* 300 ms: the second get finds the failure cached even on a loaded machine */
    pt_cache_t *c = pt_cache_new(.load = echo_load, .negative = true, .negative_expiration = "0.3");
    json_t *v;
    atomic_store(&fail_next, 1);
    assert_int_equal(pt_cache_get_key(c, "a", NULL, &v), PT_MEMO_LOAD_FAILED);
    json_decref(v);
    assert_int_equal(pt_cache_get_key(c, "a", NULL, &v), PT_MEMO_LOAD_FAILED); /* cached failure */
    assert_string_equal(json_string_value(json_object_get(v, "error")), "boom");
    json_decref(v);
    assert_int_equal(atomic_load(&loads), 1);
    pt_sleep_ms(350);
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
    /* 10*2^0 + 10*2^1 plus jitter in [0, 10) each (the upper bound has
     * slack for a loaded machine's late timers) */
    assert_true(took >= 30 && took < 1000);
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
    expect_load(c, "a", 1);
    expect_load(c, "b", 4);
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
    /* 300 ms: nothing has expired yet at the first sweep, however slow */
    pt_cache_t *c = pt_cache_new(.load = echo_load, .ttl_ms = 300);
    json_t *v;
    pt_cache_get_key(c, "a", NULL, &v); json_decref(v);
    pt_cache_get_key(c, "b", NULL, &v); json_decref(v);
    assert_int_equal(pt_cache_remove_expired(c), 0);
    assert_true(pt_cache_info(c).last_expiration_check_ms > 0);
    pt_sleep_ms(350);
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
    /* A 1 s delay: the checks right after a clear run well before it, on a
     * loaded machine too. */
    enum { DELAY_MS = 1000 };
    pt_cache_t *c = pt_cache_new(.load = echo_load, .cleanup = count_cleanup, .cleanup_delay_ms = DELAY_MS);
    json_t *v;
    pt_cache_get_key(c, "a", NULL, &v); json_decref(v);
    int64_t t0 = pt_now_mono_ms();
    pt_cache_clear(c);
    assert_int_equal(atomic_load(&cleaned), 0);
    assert_int_equal(pt_memo_cleanups_pending(), 1);
    for (int64_t until = t0 + 10000; atomic_load(&cleaned) == 0 && pt_now_mono_ms() < until;)
        pt_sleep_ms(5);
    assert_int_equal(atomic_load(&cleaned), 1); /* the thread ran it ... */
    assert_true(pt_now_mono_ms() - t0 >= DELAY_MS - 50); /* ... once the delay passed */

    pt_cache_get_key(c, "a", NULL, &v); json_decref(v);
    pt_cache_get_key(c, "b", NULL, &v); json_decref(v);
    pt_cache_clear(c);
    assert_int_equal(pt_memo_cleanups_flush(-1), 0); /* run now */
    assert_int_equal(atomic_load(&cleaned), 3);

    pt_cache_get_key(c, "a", NULL, &v); json_decref(v);
    pt_cache_clear(c);
    assert_int_equal(pt_memo_cleanups_cancel(), 1);
    pt_sleep_ms(DELAY_MS + 200);
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
        cmocka_unit_test_setup(test_failure_does_not_poison, setup),
        cmocka_unit_test_setup(test_negative_caching, setup),
        cmocka_unit_test_setup(test_retries_with_backoff, setup),
        cmocka_unit_test_setup(test_disabled, setup),
        cmocka_unit_test_setup(test_lru_eviction, setup),
        cmocka_unit_test_setup(test_lru_exact_at_every_size, setup),
        cmocka_unit_test_setup(test_stats_count_each_get_once, setup),
        cmocka_unit_test_setup(test_clear_and_clear_all, setup),
        cmocka_unit_test_setup(test_remove_expired, setup),
        cmocka_unit_test_setup(test_cleanup_on_evict_replace_clear, setup),
        cmocka_unit_test_setup(test_delayed_cleanup_flush_and_cancel, setup),
        cmocka_unit_test_setup(test_pointer_values, setup),
        cmocka_unit_test_setup(test_declared_cache, setup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
