/* Background-refresh cache: fresh hits, one background reload inside the
 * refresh window, loads in the caller on a miss or expiry with concurrent
 * callers sharing one load, per-key and default loaders, errors, invalidate
 * and clear, reloads as background tasks on a scheduler, and freeing the
 * cache while a reload is still running. */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <setjmp.h>
#include <cmocka.h>

#include "ponty/resilience.h"
#include "memo_test_util.h"

static _Atomic int64_t fake_ns;
static int64_t fake_now(void *arg) { (void)arg; return atomic_load(&fake_ns); }
static const pt_clock_t fake_clock = { fake_now, NULL, NULL };
#define MS 1000000LL

static atomic_int loads;
static pt_sem_t gate;          /* a gated load waits for a unit */
static atomic_bool gated, failing;

static json_t *counting_loader(const char *key, void *arg)
{
    (void)key;
    (void)arg;
    int n = atomic_fetch_add(&loads, 1) + 1;
    if (atomic_load(&gated))
        pt_sem_wait(&gate);
    if (atomic_load(&failing))
        return NULL;
    return json_integer(n);
}

static atomic_int errors_fg, errors_bg;
static void on_error(const char *key, bool background, void *arg)
{
    (void)key;
    (void)arg;
    atomic_fetch_add(background ? &errors_bg : &errors_fg, 1);
}

static void reset_state(void)
{
    atomic_store(&fake_ns, 1000 * MS);
    atomic_store(&loads, 0);
    atomic_store(&gated, false);
    atomic_store(&failing, false);
    atomic_store(&errors_fg, 0);
    atomic_store(&errors_bg, 0);
    pt_sem_init(&gate, 0);
}

static int get_int(pt_refresh_cache_t *c, const char *key)
{
    json_t *v;
    if (pt_refresh_get(c, key, &v) != 0)
        return -1;
    int n = (int)json_integer_value(v);
    json_decref(v);
    return n;
}

static void wait_no_reloads(pt_refresh_cache_t *c)
{
    for (int i = 0; i < 10000 && pt_refresh_pending(c) > 0; i++)
        pt_sleep_ms(1);
    assert_int_equal(pt_refresh_pending(c), 0);
}

static void test_fresh_window_and_expiry(void **state)
{
    (void)state;
    reset_state();
    pt_refresh_cache_t *c = pt_refresh_cache_new(.ttl_ms = 1000, .refresh_ms = 200, .loader = counting_loader,
                                                 .on_error = on_error, .clock = &fake_clock);
    assert_int_equal(pt_refresh_age_ms(c, "k"), -1);
    assert_int_equal(get_int(c, "k"), 1);             /* miss: loaded in the caller */
    atomic_fetch_add(&fake_ns, 799 * MS);
    assert_int_equal(get_int(c, "k"), 1);             /* fresh: no load */
    assert_int_equal(atomic_load(&loads), 1);
    assert_int_equal(pt_refresh_age_ms(c, "k"), 799);

    /* In the window: the current value at once, one reload behind it, however
     * many gets arrive while it runs. */
    atomic_store(&gated, true);
    atomic_fetch_add(&fake_ns, 1 * MS);
    for (int i = 0; i < 10; i++)
        assert_int_equal(get_int(c, "k"), 1);
    for (int i = 0; i < 1000 && atomic_load(&loads) < 2; i++)
        pt_sleep_ms(1);
    assert_int_equal(atomic_load(&loads), 2);
    assert_int_equal(pt_refresh_pending(c), 1);
    atomic_store(&gated, false);
    pt_sem_post(&gate);
    wait_no_reloads(c);
    assert_int_equal(get_int(c, "k"), 2);             /* the reloaded value */
    assert_int_equal(pt_refresh_age_ms(c, "k"), 0);

    /* Expired: loaded in the caller again. */
    atomic_fetch_add(&fake_ns, 1000 * MS);
    assert_int_equal(get_int(c, "k"), 3);

    /* A reload that fails keeps the value and reports background = true. */
    atomic_fetch_add(&fake_ns, 850 * MS);
    atomic_store(&failing, true);
    assert_int_equal(get_int(c, "k"), 3);
    wait_no_reloads(c);
    assert_int_equal(atomic_load(&errors_bg), 1);
    assert_int_equal(atomic_load(&loads), 4);
    /* Still in the window: the next get tries another reload. */
    assert_int_equal(get_int(c, "k"), 3);
    wait_no_reloads(c);
    assert_int_equal(atomic_load(&errors_bg), 2);
    assert_int_equal(atomic_load(&loads), 5);
    /* Once it expires, a failing load is an error for the caller. */
    atomic_fetch_add(&fake_ns, 200 * MS);
    assert_int_equal(get_int(c, "k"), -1);
    assert_int_equal(atomic_load(&errors_fg), 1);
    pt_refresh_cache_free(c);
    pt_sem_destroy(&gate);
}

static json_t *named_loader(const char *key, void *arg)
{
    return json_pack("{s:s,s:s}", "key", key, "by", (const char *)arg);
}

static void test_loaders_invalidate_clear(void **state)
{
    (void)state;
    reset_state();
    pt_refresh_cache_t *c = pt_refresh_cache_new(.loader = named_loader, .loader_arg = "default",
                                                 .on_error = on_error);
    assert_int_equal(pt_refresh_register(c, "special", named_loader, "special"), 0);
    assert_int_equal(pt_refresh_register(c, NULL, named_loader, NULL), PT_EINVAL);
    json_t *v;
    assert_int_equal(pt_refresh_get(c, "special", &v), 0);
    assert_string_equal(json_string_value(json_object_get(v, "by")), "special");
    json_decref(v);
    assert_int_equal(pt_refresh_get(c, "other", &v), 0);
    assert_string_equal(json_string_value(json_object_get(v, "by")), "default");
    assert_string_equal(json_string_value(json_object_get(v, "key")), "other");
    json_decref(v);

    v = pt_refresh_invalidate(c, "other");
    assert_non_null(v);
    json_decref(v);
    assert_null(pt_refresh_invalidate(c, "other"));
    assert_int_equal(pt_refresh_age_ms(c, "other"), -1);
    pt_refresh_clear(c);
    assert_int_equal(pt_refresh_age_ms(c, "special"), -1);
    assert_int_equal(pt_refresh_get(c, "special", &v), 0); /* its loader survives clear */
    assert_string_equal(json_string_value(json_object_get(v, "by")), "special");
    json_decref(v);
    pt_refresh_cache_free(c);

    /* No loader at all: an error, reported as not background. */
    c = pt_refresh_cache_new(.on_error = on_error);
    assert_int_equal(pt_refresh_get(c, "x", &v), PT_ELOAD);
    assert_null(v);
    assert_int_equal(atomic_load(&errors_fg), 1);
    pt_refresh_cache_free(c);
    assert_null(pt_refresh_cache_new(.ttl_ms = 100, .refresh_ms = 100));
    pt_sem_destroy(&gate);
}

/* Concurrent misses from coroutines and threads: one load, shared. */
static pt_refresh_cache_t *shared;
static atomic_int got_one, got_other;
static json_t *slow_loader(const char *key, void *arg)
{
    (void)key;
    (void)arg;
    atomic_fetch_add(&loads, 1);
    pt_sleep_ms(100);
    return json_integer(7);
}
static void miss(int idx)
{
    (void)idx;
    atomic_fetch_add(get_int(shared, "hot") == 7 ? &got_one : &got_other, 1);
}

static void test_concurrent_misses_load_once(void **state)
{
    (void)state;
    reset_state();
    shared = pt_refresh_cache_new(.loader = slow_loader);
    mt_sched_t a;
    mt_thread_t th[4];
    mt_spawn(&a, miss, 6, 0);
    mt_threads(th, 4, miss, 0);
    pthread_join(a.th, NULL);
    mt_join(th, 4);
    assert_int_equal(atomic_load(&loads), 1);
    assert_int_equal(atomic_load(&got_one), 10);
    assert_int_equal(atomic_load(&got_other), 0);
    pt_refresh_cache_free(shared);
    pt_sem_destroy(&gate);
}

/* On a scheduler the reload is a background task on that scheduler. */
static pt_refresh_cache_t *sc;
static atomic_int coro_ok;
static void in_window_on_scheduler(int idx)
{
    (void)idx;
    assert_int_equal(get_int(sc, "k"), 1);
    atomic_fetch_add(&fake_ns, 900 * MS);
    assert_int_equal(get_int(sc, "k"), 1);
    assert_int_equal(pt_refresh_pending(sc), 1);
    wait_no_reloads(sc); /* the task runs while this coroutine sleeps */
    assert_int_equal(get_int(sc, "k"), 2);
    atomic_store(&coro_ok, 1);
}

static void test_reload_as_task_on_scheduler(void **state)
{
    (void)state;
    reset_state();
    sc = pt_refresh_cache_new(.ttl_ms = 1000, .refresh_ms = 200, .loader = counting_loader, .clock = &fake_clock);
    mt_sched_t a;
    mt_spawn(&a, in_window_on_scheduler, 1, 0);
    pthread_join(a.th, NULL);
    assert_int_equal(atomic_load(&coro_ok), 1);
    pt_refresh_cache_free(sc);
    pt_sem_destroy(&gate);
}

static void test_free_while_reloading(void **state)
{
    (void)state;
    reset_state();
    pt_refresh_cache_t *c = pt_refresh_cache_new(.ttl_ms = 1000, .refresh_ms = 200, .loader = counting_loader,
                                                 .clock = &fake_clock);
    assert_int_equal(get_int(c, "k"), 1);
    atomic_store(&gated, true);
    atomic_fetch_add(&fake_ns, 900 * MS);
    assert_int_equal(get_int(c, "k"), 1);
    for (int i = 0; i < 1000 && atomic_load(&loads) < 2; i++)
        pt_sleep_ms(1);
    pt_refresh_cache_free(c); /* returns at once; the reload frees the rest */
    pt_sem_post(&gate);
    for (int i = 0; i < 100; i++)
        pt_sleep_ms(1); /* let the reload thread finish before the gate goes */
    pt_sem_destroy(&gate);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fresh_window_and_expiry),
        cmocka_unit_test(test_loaders_invalidate_clear),
        cmocka_unit_test(test_concurrent_misses_load_once),
        cmocka_unit_test(test_reload_as_task_on_scheduler),
        cmocka_unit_test(test_free_while_reloading),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
