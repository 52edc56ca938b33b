/* The cache under concurrency: invalidation holding a key, and
 * single-flight loads from coroutines on two schedulers and plain threads
 * (waiters, maxwait, lost wake-ups, failures). */
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

/* Waits (up to 10 s) until n loads have begun: a loader is running. A
 * fixed sleep would not do: a loaded machine (TSan) can take longer than
 * any short sleep to start the leading thread. */
static void wait_loads(int n)
{
    for (int64_t until = pt_now_mono_ms() + 10000; atomic_load(&loads) < n && pt_now_mono_ms() < until;)
        pt_sleep_ms(1);
    assert_int_equal(atomic_load(&loads), n);
}

/* sf_get, then waits (up to 10 s) until sf_total callers have had their
 * answer: callers answered at once would otherwise let one scheduler thread
 * finish, and its loop's descriptors be reused by the next thread's loop
 * before TSan sees the two threads synchronise (a report about libuv). */
static atomic_int sf_answered;
static int sf_total;
static void sf_get_together(int idx)
{
    sf_get(idx);
    atomic_fetch_add(&sf_answered, 1);
    for (int64_t until = pt_now_mono_ms() + 10000; atomic_load(&sf_answered) < sf_total && pt_now_mono_ms() < until;)
        pt_sleep_ms(1);
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
    /* The others ask once the lead's 2 s load runs: all of them meet it. */
    slow_ms = 2000;
    sf_cache = pt_cache_new(.load = slow_load, .maxwait_ms = PT_MEMO_NOWAIT);
    mt_thread_t lead;
    mt_threads(&lead, 1, sf_get, 0);
    wait_loads(1);
    atomic_store(&sf_answered, 0);
    sf_total = 20 + 20 + 4;
    int64_t t0 = pt_now_mono_ms();
    run_everywhere(sf_get_together, 20, 4);
    /* declined at once, not after the load */
    assert_true(pt_now_mono_ms() - t0 < slow_ms / 3);
    mt_join(&lead, 1);
    assert_int_equal(atomic_load(&loads), 1);
    assert_int_equal(atomic_load(&sf_ok), 1);
    assert_int_equal(atomic_load(&sf_stampede), 44);
    pt_cache_free(sf_cache);
}

static void test_maxwait_deadline_honoured(void **state)
{
    (void)state;
    atomic_store(&sf_ok, 0);
    atomic_store(&sf_stampede, 0);
    slow_ms = 2000;
    sf_cache = pt_cache_new(.load = slow_load, .maxwait_ms = 100);
    int64_t t0 = pt_now_mono_ms();
    mt_thread_t lead;
    mt_threads(&lead, 1, sf_get, 0);
    wait_loads(1);
    int64_t t1 = pt_now_mono_ms();
    run_everywhere(sf_get, 10, 4);
    int64_t waited = pt_now_mono_ms() - t1;
    mt_join(&lead, 1);
    assert_int_equal(atomic_load(&sf_ok), 1);
    assert_int_equal(atomic_load(&sf_stampede), 24);
    /* gave up at maxwait (100 ms), not at the end of the 2 s load */
    assert_true(waited >= 95 && waited < slow_ms / 3);
    assert_true(pt_now_mono_ms() - t0 >= slow_ms);
    assert_int_equal(atomic_load(&loads), 1);
    pt_cache_free(sf_cache);
}

/* Hits on other keys go on while a key loads. */
static void test_hits_do_not_wait(void **state)
{
    (void)state;
    slow_ms = 1500;
    sf_cache = pt_cache_new(.load = slow_load, .maxwait_ms = 5000);
    json_t *v;
    pt_cache_get_key(sf_cache, "warm", NULL, &v);
    json_decref(v);
    mt_thread_t lead;
    mt_threads(&lead, 1, sf_get, 0); /* loads "hot" for 1.5 s */
    wait_loads(2);
    int64_t t0 = pt_now_mono_ms();
    for (int i = 0; i < 1000; i++) {
        assert_int_equal(pt_cache_get_key(sf_cache, "warm", NULL, &v), PT_MEMO_OK);
        json_decref(v);
    }
    assert_true(pt_now_mono_ms() - t0 < slow_ms / 3);
    assert_int_equal(atomic_load(&loads), 2); /* "hot" still loading: the hits did not wait for it */
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
enum { FL_CALLERS = 50 * 2 + 4 };
static json_t *slow_fail_load(pt_cache_call_t *call)
{
    int n = atomic_fetch_add(&loads, 1);
    if (n == 0) {
        /* Fail only once every caller is parked on the flight: a caller
         * that came after the failure would start a load of its own. A
         * caller counts its miss and joins the flight's waiters under one
         * hold of the shard lock, so FL_CALLERS misses (this load's own
         * included) mean every caller waits. No fixed sleep is enough for a
         * slow machine (TSan) to start the threads. */
        for (int64_t until = pt_now_mono_ms() + 20000;
             pt_cache_info(sf_cache).misses < FL_CALLERS && pt_now_mono_ms() < until;)
            pt_sleep_ms(5);
    } else {
        pt_sleep_ms(80);
    }
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
    /* The waiters outlast the load's wait for every caller to park. */
    sf_cache = pt_cache_new(.load = slow_fail_load, .maxwait_ms = 30000);
    run_everywhere(fl_get, 50, 4);
    assert_int_equal(atomic_load(&loads), 1);
    assert_int_equal(atomic_load(&fl_failed), FL_CALLERS);
    assert_int_equal(pt_cache_info(sf_cache).current_size, 0);
    run_everywhere(fl_get, 50, 4); /* not poisoned: one more load, all succeed */
    assert_int_equal(atomic_load(&loads), 2);
    assert_int_equal(atomic_load(&fl_ok), FL_CALLERS);
    pt_cache_free(sf_cache);
}

int main(int argc, char **argv)
{
    if (argc > 1)
        cmocka_set_test_filter(argv[1]);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_invalidate_holds_the_key, setup),
        cmocka_unit_test_setup(test_invalidate_every_exit_ends, setup),
        cmocka_unit_test_setup(test_single_flight_many_waiters, setup),
        cmocka_unit_test_setup(test_mandatory_lock_maxwait_0, setup),
        cmocka_unit_test_setup(test_maxwait_deadline_honoured, setup),
        cmocka_unit_test_setup(test_hits_do_not_wait, setup),
        cmocka_unit_test_setup(test_no_lost_wakeups_many_keys, setup),
        cmocka_unit_test_setup(test_failed_load_wakes_waiters, setup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
