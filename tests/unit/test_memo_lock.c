/* Keyed locks: exclusion across coroutines and threads, mandatory locks,
 * deadlines, FIFO hand-off, error kinds, and a polled sentinel store. */
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

static void test_acquire_release(void **state)
{
    (void)state;
    pt_lock_t *l = pt_lock_new();
    assert_non_null(l);
    assert_ptr_equal(pt_lock_timeout_error(l), PT_LOCKED);
    pt_lock_guard_t a, b, c;
    assert_int_equal(pt_lock_acquire(l, "x", &a), PT_MEMO_OK);
    assert_true(pt_lock_is_held(l, "x"));
    /* default maxwait (PT_MEMO_NOWAIT): a mandatory lock */
    assert_int_equal(pt_lock_acquire(l, "x", &b), PT_MEMO_LOCKED);
    assert_false(b.held);
    /* other keys are independent */
    assert_int_equal(pt_lock_acquire(l, "y", &c), PT_MEMO_OK);
    pt_lock_release(&a);
    assert_false(pt_lock_is_held(l, "x"));
    assert_int_equal(pt_lock_acquire(l, "x", &b), PT_MEMO_OK);
    pt_lock_release(&b);
    pt_lock_release(&c);
    pt_lock_release(&c); /* twice is harmless */
    pt_memo_err_t rc;
    int ran = 0;
    PT_WITH_LOCK(rc, l, "z") {
        ran++;
        assert_true(pt_lock_is_held(l, "z"));
    }
    assert_int_equal(rc, PT_MEMO_OK);
    assert_int_equal(ran, 1);
    assert_false(pt_lock_is_held(l, "z"));
    pt_lock_free(l);
}

static const pt_error_kind_t my_locked = { "MyLocked", 409, &pt_error_locked };
static const pt_error_kind_t not_locked = { "NotLocked", 400, &pt_error_validation };

static void test_timeout_error_kinds(void **state)
{
    (void)state;
    pt_lock_t *l = pt_lock_new(.timeout_error = &my_locked);
    assert_non_null(l);
    assert_ptr_equal(pt_lock_timeout_error(l), &my_locked);
    pt_lock_free(l);
    l = pt_lock_new(.timeout_error = PT_STAMPEDE); /* a kind of Locked */
    assert_non_null(l);
    pt_lock_free(l);
    assert_null(pt_lock_new(.timeout_error = &not_locked));
    assert_non_null(strstr(pt_memo_last_error(), "NotLocked"));
}

static void test_deadline_honoured(void **state)
{
    (void)state;
    pt_lock_t *l = pt_lock_new(.maxwait_ms = 80);
    pt_lock_guard_t a, b;
    assert_int_equal(pt_lock_acquire(l, "x", &a), PT_MEMO_OK);
    int64_t t0 = pt_now_mono_ms();
    assert_int_equal(pt_lock_acquire(l, "x", &b), PT_MEMO_LOCKED);
    int64_t took = pt_now_mono_ms() - t0;
    assert_true(took >= 78 && took < 1000); /* the maxwait, not forever; slack for a loaded machine */
    assert_int_equal(pt_lock_acquire_for(l, "x", 0, &b), PT_MEMO_LOCKED);
    pt_lock_release(&a);
    pt_lock_free(l);
}

/* ---- exclusion and FIFO under concurrency ---- */

static pt_lock_t *ex_lock;
static atomic_int inside, overlap, done_count;
static long counter;

static void excl_worker(int idx)
{
    (void)idx;
    for (int k = 0; k < 10; k++) {
        pt_lock_guard_t g;
        assert_int_equal(pt_lock_acquire(ex_lock, "shared", &g), PT_MEMO_OK);
        if (atomic_fetch_add(&inside, 1) != 0)
            atomic_store(&overlap, 1);
        long v = counter;
        if (k % 3 == 0)
            pt_sleep_ms(1);
        counter = v + 1;
        atomic_fetch_sub(&inside, 1);
        pt_lock_release(&g);
    }
    atomic_fetch_add(&done_count, 1);
}

static void test_exclusion_coroutines_and_threads(void **state)
{
    (void)state;
    ex_lock = pt_lock_new(.maxwait_ms = PT_MEMO_FOREVER);
    counter = 0;
    mt_sched_t a, b;
    mt_thread_t t[4];
    mt_spawn(&a, excl_worker, 30, 0);
    mt_spawn(&b, excl_worker, 30, 100);
    mt_threads(t, 4, excl_worker, 200);
    pthread_join(a.th, NULL);
    pthread_join(b.th, NULL);
    mt_join(t, 4);
    assert_int_equal(atomic_load(&overlap), 0);
    assert_int_equal(counter, 64 * 10);
    assert_false(pt_lock_is_held(ex_lock, "shared"));
    pt_lock_free(ex_lock);
}

static int order[16];
static atomic_int norder;

static void fifo_worker(int idx)
{
    pt_lock_guard_t g;
    assert_int_equal(pt_lock_acquire(ex_lock, "f", &g), PT_MEMO_OK);
    if (idx == 0)
        pt_sleep_ms(30); /* the rest queue behind, in start order */
    order[atomic_fetch_add(&norder, 1)] = idx;
    pt_lock_release(&g);
}

static void test_fifo(void **state)
{
    (void)state;
    ex_lock = pt_lock_new(.maxwait_ms = 2000);
    atomic_store(&norder, 0);
    mt_sched_t a;
    mt_spawn(&a, fifo_worker, 8, 0);
    pthread_join(a.th, NULL);
    for (int i = 0; i < 8; i++)
        assert_int_equal(order[i], i);
    pt_lock_free(ex_lock);
}

/* The seed's locktest: five callers, sleeps 1, 3, 4, 2, 5 (scaled to
 * 1/4 s), maxwait 5: the first three get it, the last two time out. The
 * third gets the lock a second (4 units) before its maxwait: the sum of the
 * timer delays a loaded machine adds must stay below that. */
#define LT_UNIT_MS 250
static const int secs[] = { 1, 3, 4, 2, 5 };
static atomic_int success_mask;
static int64_t started;

static void locktest_worker(int idx)
{
    pt_lock_guard_t g;
    pt_sleep_ms(idx); /* arrive in order */
    if (pt_lock_acquire(ex_lock, "ponty", &g) == PT_MEMO_OK) {
        pt_sleep_ms(secs[idx] * LT_UNIT_MS);
        pt_lock_release(&g);
        atomic_fetch_or(&success_mask, 1 << idx);
    } else {
        int64_t at = pt_now_mono_ms() - started;
        assert_true(at >= 5 * LT_UNIT_MS && at < 7 * LT_UNIT_MS);
    }
}

static void test_locktest_transcript(void **state)
{
    (void)state;
    ex_lock = pt_lock_new(.maxwait_ms = 5 * LT_UNIT_MS);
    atomic_store(&success_mask, 0);
    started = pt_now_mono_ms();
    mt_sched_t a;
    mt_spawn(&a, locktest_worker, 5, 0);
    pthread_join(a.th, NULL);
    assert_int_equal(atomic_load(&success_mask), 0x7);
    pt_lock_free(ex_lock);
}

/* ---- a polled store ---- */

/* No wait (the default, 0, or PT_MEMO_NOWAIT, per lock or per call) tries
 * the store once too: a key held in the store fails at once. */
static void test_nowait_over_a_store_tries_once(void **state)
{
    (void)state;
    pt_lock_store_t *st = pt_lock_store_local_new();
    pt_lock_t *l = pt_lock_new(.store = st, .pulse_ms = 20);
    assert_int_equal(st->ops->add(st, "k", 1, "other-process", 60000), 1);
    pt_lock_guard_t g;
    int64_t t0 = pt_now_mono_ms();
    assert_int_equal(pt_lock_acquire(l, "k", &g), PT_MEMO_LOCKED);
    assert_int_equal(pt_lock_acquire_for(l, "k", PT_MEMO_NOWAIT, &g), PT_MEMO_LOCKED);
    assert_int_equal(pt_lock_acquire_for(l, "k", 0, &g), PT_MEMO_LOCKED);
    assert_true(pt_now_mono_ms() - t0 < 1000);
    assert_false(g.held);
    assert_int_equal(st->ops->remove(st, "k", 1, "other-process"), 1);
    assert_int_equal(pt_lock_acquire_for(l, "k", PT_MEMO_NOWAIT, &g), PT_MEMO_OK);
    pt_lock_release(&g);
    pt_lock_free(l);
    pt_lock_store_free(st);
}

static void test_sentinel_store_polling(void **state)
{
    (void)state;
    pt_lock_store_t *st = pt_lock_store_local_new();
    /* two locks on one store behave like two processes sharing Redis */
    pt_lock_t *p1 = pt_lock_new(.store = st, .maxwait_ms = 300, .pulse_ms = 20);
    pt_lock_t *p2 = pt_lock_new(.store = st, .maxwait_ms = 100, .pulse_ms = 20);
    pt_lock_guard_t a, b;
    assert_int_equal(pt_lock_acquire(p1, "k", &a), PT_MEMO_OK);
    assert_int_equal(st->ops->exists(st, "k", 1), 1);
    assert_true(pt_lock_is_held(p2, "k")); /* seen through the store */
    int64_t t0 = pt_now_mono_ms();
    assert_int_equal(pt_lock_acquire(p2, "k", &b), PT_MEMO_LOCKED);
    assert_true(pt_now_mono_ms() - t0 >= 95);
    assert_false(b.held);
    /* a wrong token does not release */
    assert_int_equal(st->ops->remove(st, "k", 1, "not-mine"), 0);
    pt_lock_release(&a);
    assert_int_equal(st->ops->exists(st, "k", 1), 0);
    assert_int_equal(pt_lock_acquire(p2, "k", &b), PT_MEMO_OK);
    pt_lock_release(&b);
    /* leases lapse */
    assert_int_equal(st->ops->add(st, "z", 1, "t1", 30), 1);
    assert_int_equal(st->ops->add(st, "z", 1, "t2", 30), 0);
    pt_sleep_ms(40);
    assert_int_equal(st->ops->add(st, "z", 1, "t2", 30), 1);
    pt_lock_free(p1);
    pt_lock_free(p2);
    pt_lock_store_free(st);
}

/* The cache over a shared (here in-process) store and sentinel store: two
 * caches stand for two processes; one loads, the other polls and finds it. */
typedef struct mem_store {
    pt_cache_store_t base;
    pthread_mutex_t  lk;
    json_t          *map; /* key -> [value, is_error, fetched, expires] */
} mem_store_t;

static int ms_get(pt_cache_store_t *b, const char *key, size_t len, pt_cache_item_t *out)
{
    mem_store_t *s = (mem_store_t *)b;
    (void)len;
    pthread_mutex_lock(&s->lk);
    json_t *x = json_object_get(s->map, key);
    if (x) {
        out->value = json_incref(json_array_get(x, 0));
        out->is_error = json_is_true(json_array_get(x, 1));
        out->fetched_ms = json_integer_value(json_array_get(x, 2));
        out->expires_ms = json_integer_value(json_array_get(x, 3));
    }
    pthread_mutex_unlock(&s->lk);
    return x ? 1 : 0;
}

static int ms_set(pt_cache_store_t *b, const char *key, size_t len, const pt_cache_item_t *it)
{
    mem_store_t *s = (mem_store_t *)b;
    (void)len;
    pthread_mutex_lock(&s->lk);
    json_object_set_new(s->map, key, json_pack("[O,b,I,I]", it->value, it->is_error,
                                               (json_int_t)it->fetched_ms, (json_int_t)it->expires_ms));
    pthread_mutex_unlock(&s->lk);
    return 0;
}

static int ms_remove(pt_cache_store_t *b, const char *key, size_t len)
{
    mem_store_t *s = (mem_store_t *)b;
    (void)len;
    pthread_mutex_lock(&s->lk);
    int r = json_object_del(s->map, key) == 0;
    pthread_mutex_unlock(&s->lk);
    return r;
}

static const pt_cache_store_ops_t mem_ops = { .get = ms_get, .set = ms_set, .remove = ms_remove };

static atomic_int loads;
static json_t *slow_load(pt_cache_call_t *call)
{
    atomic_fetch_add(&loads, 1);
    pt_sleep_ms(100);
    return json_pack("{s:s}", "k", call->key);
}

static pt_cache_t *proc[2];
static atomic_int got;
static void shared_get(int idx)
{
    json_t *v;
    assert_int_equal(pt_cache_get_key(proc[idx % 2], "hot", NULL, &v), PT_MEMO_OK);
    assert_string_equal(json_string_value(json_object_get(v, "k")), "hot");
    json_decref(v);
    atomic_fetch_add(&got, 1);
}

static void test_user_store_single_load_across_caches(void **state)
{
    (void)state;
    mem_store_t ms = { .base.ops = &mem_ops, .map = json_object() };
    pthread_mutex_init(&ms.lk, NULL);
    pt_lock_store_t *ls = pt_lock_store_local_new();
    proc[0] = pt_cache_new(.load = slow_load, .store = &ms.base, .lock_store = ls, .maxwait_ms = 20000, .pulse_ms = 10);
    proc[1] = pt_cache_new(.load = slow_load, .store = &ms.base, .lock_store = ls, .maxwait_ms = 20000, .pulse_ms = 10);
    atomic_store(&loads, 0);
    atomic_store(&got, 0);
    mt_sched_t a, b;
    mt_thread_t t[4];
    mt_spawn(&a, shared_get, 50, 0);
    mt_spawn(&b, shared_get, 50, 1);
    mt_threads(t, 4, shared_get, 0);
    pthread_join(a.th, NULL);
    pthread_join(b.th, NULL);
    mt_join(t, 4);
    assert_int_equal(atomic_load(&loads), 1);
    assert_int_equal(atomic_load(&got), 104);
    /* invalidation removes it from the store */
    assert_int_equal(pt_cache_invalidate_key(proc[0], "hot"), PT_MEMO_OK);
    assert_null(json_object_get(ms.map, "hot"));
    /* PT_MEMO_NOWAIT over the store: a held store lock is a stampede at once */
    pt_cache_t *mand = pt_cache_new(.load = slow_load, .store = &ms.base, .lock_store = ls, .maxwait_ms = PT_MEMO_NOWAIT);
    assert_int_equal(ls->ops->add(ls, "cold", 4, "other", 10000), 1);
    json_t *v;
    assert_int_equal(pt_cache_get_key(mand, "cold", NULL, &v), PT_MEMO_STAMPEDE);
    assert_null(v);
    pt_cache_free(mand);
    pt_cache_free(proc[0]);
    pt_cache_free(proc[1]);
    pt_lock_store_free(ls);
    json_decref(ms.map);
    pthread_mutex_destroy(&ms.lk);
}


/* Every way out of PT_WITH_LOCK releases the lock. */
static int with_lock_return(pt_lock_t *l, pt_memo_err_t *rc)
{
    PT_WITH_LOCK(*rc, l, "r") {
        assert_true(pt_lock_is_held(l, "r"));
        return 7;
    }
    return 0;
}

static void test_with_lock_every_exit_releases(void **state)
{
    (void)state;
    pt_lock_t *l = pt_lock_new();
    pt_memo_err_t rc;
    int ran = 0;

    PT_WITH_LOCK(rc, l, "b") { /* break */
        ran++;
        break;
    }
    assert_int_equal(ran, 1);
    assert_false(pt_lock_is_held(l, "b"));

    for (int i = 0; i < 3; i++) {
        PT_WITH_LOCK(rc, l, "c") { /* continue: the lock's own loop ends */
            ran++;
            continue;
        }
        assert_false(pt_lock_is_held(l, "c"));
    }
    assert_int_equal(ran, 4);

    assert_int_equal(with_lock_return(l, &rc), 7); /* return */
    assert_int_equal(rc, PT_MEMO_OK);
    assert_false(pt_lock_is_held(l, "r"));

    PT_WITH_LOCK(rc, l, "g") { /* goto out of the block */
        ran++;
        goto out;
    }
    fail_msg("the goto skipped this");
out:
    assert_int_equal(ran, 5);
    assert_false(pt_lock_is_held(l, "g"));

    /* nested, two keys, inner break */
    pt_memo_err_t rc2;
    PT_WITH_LOCK(rc, l, "outer") {
        PT_WITH_LOCK(rc2, l, "inner") {
            assert_true(pt_lock_is_held(l, "outer") && pt_lock_is_held(l, "inner"));
            break;
        }
        assert_false(pt_lock_is_held(l, "inner"));
        assert_true(pt_lock_is_held(l, "outer"));
    }
    assert_false(pt_lock_is_held(l, "outer"));

    /* a held key: the block does not run, nothing is released twice */
    pt_lock_guard_t g;
    assert_int_equal(pt_lock_acquire(l, "held", &g), PT_MEMO_OK);
    PT_WITH_LOCK(rc, l, "held") fail_msg("ran without the lock");
    assert_int_equal(rc, PT_MEMO_LOCKED);
    assert_true(pt_lock_is_held(l, "held"));
    pt_lock_release(&g);
    assert_false(pt_lock_is_held(l, "held"));
    pt_lock_free(l);
}

int main(int argc, char **argv)
{
    if (argc > 1)
        cmocka_set_test_filter(argv[1]);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_acquire_release),
        cmocka_unit_test(test_nowait_over_a_store_tries_once),
        cmocka_unit_test(test_with_lock_every_exit_releases),
        cmocka_unit_test(test_timeout_error_kinds),
        cmocka_unit_test(test_deadline_honoured),
        cmocka_unit_test(test_exclusion_coroutines_and_threads),
        cmocka_unit_test(test_fifo),
        cmocka_unit_test(test_locktest_transcript),
        cmocka_unit_test(test_sentinel_store_polling),
        cmocka_unit_test(test_user_store_single_load_across_caches),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
