/* Resource guards, releasing, the stateful barrier, the state machine,
 * gather and the callback accumulator, from coroutines on schedulers of
 * their own and from plain threads. */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <setjmp.h>
#include <cmocka.h>

#include "ponty/resilience.h"
#include "memo_test_util.h"

/* Runs fn once in a coroutine on a scheduler thread and waits for it. */
static void in_coroutine(void (*fn)(int))
{
    mt_sched_t s;
    mt_spawn(&s, fn, 1, 0);
    pthread_join(s.th, NULL);
}

/* ---- guards ---- */

static pt_guard_t conn_guard = PT_GUARD_INIT("reading from", "connection 3");

static void test_guard_fails_at_once_when_held(void **state)
{
    (void)state;
    assert_int_equal(pt_guard_enter(&conn_guard), 0);
    assert_true(pt_guard_held(&conn_guard));
    assert_int_equal(pt_guard_enter(&conn_guard), PT_EGUARDED);
    char msg[128];
    assert_string_equal(pt_guard_message(&conn_guard, msg, sizeof msg),
                        "another caller is already reading from connection 3");
    pt_guard_leave(&conn_guard);
    assert_false(pt_guard_held(&conn_guard));
    assert_true(pt_guard_success_ratio(&conn_guard) == 0.5);
    int rc, ran = 0;
    PT_GUARDED(rc, &conn_guard) {
        assert_true(pt_guard_held(&conn_guard));
        ran++;
        break; /* leaves the guard too */
    }
    assert_int_equal(rc, 0);
    assert_int_equal(ran, 1);
    assert_false(pt_guard_held(&conn_guard));
    pt_guard_t plain = PT_GUARD_INIT(NULL, NULL);
    assert_true(pt_guard_success_ratio(&plain) == 1.0);
    assert_string_equal(pt_guard_message(&plain, msg, sizeof msg),
                        "another caller is already using the resource");
}

static pt_guard_t race_guard = PT_GUARD_INIT(NULL, NULL);
static atomic_int inside, overlap, got;
static void guard_racer(int idx)
{
    (void)idx;
    for (int k = 0; k < 200; k++) {
        if (pt_guard_enter(&race_guard) != 0)
            continue;
        atomic_fetch_add(&got, 1);
        if (atomic_fetch_add(&inside, 1) != 0)
            atomic_store(&overlap, 1);
        if (k % 50 == 0)
            pt_sleep_ms(1);
        atomic_fetch_sub(&inside, 1);
        pt_guard_leave(&race_guard);
    }
}

static void test_guard_excludes_across_threads(void **state)
{
    (void)state;
    mt_sched_t a;
    mt_thread_t th[3];
    mt_spawn(&a, guard_racer, 4, 0);
    mt_threads(th, 3, guard_racer, 0);
    pthread_join(a.th, NULL);
    mt_join(th, 3);
    assert_int_equal(atomic_load(&overlap), 0);
    assert_true(atomic_load(&got) > 0);
    double ratio = pt_guard_success_ratio(&race_guard);
    assert_true(ratio > 0 && ratio <= 1);
    assert_true(ratio == (double)atomic_load(&got) / (7 * 200));
}

static void test_unique_guard_per_object(void **state)
{
    (void)state;
    static char obj1, obj2;
    pt_guard_t *g1 = pt_guard_for(&obj1, "closing", "file a");
    assert_non_null(g1);
    assert_ptr_equal(pt_guard_for(&obj1, "ignored", "ignored"), g1);
    pt_guard_t *g2 = pt_guard_for(&obj2, NULL, NULL);
    assert_ptr_not_equal(g1, g2);
    assert_int_equal(pt_guard_enter(g1), 0);
    assert_int_equal(pt_guard_enter(pt_guard_for(&obj1, NULL, NULL)), PT_EGUARDED);
    assert_int_equal(pt_guard_enter(g2), 0); /* another object: its own guard */
    char msg[128];
    assert_string_equal(pt_guard_message(g1, msg, sizeof msg), "another caller is already closing file a");
    pt_guard_leave(g1);
    pt_guard_leave(g2);
    assert_true(pt_guard_forget(&obj1));
    assert_false(pt_guard_forget(&obj1));
    /* Many objects: the registry grows and still finds each one. */
    static char objs[1000];
    pt_guard_t *gs[1000];
    for (int i = 0; i < 1000; i++)
        gs[i] = pt_guard_for(&objs[i], NULL, NULL);
    for (int i = 0; i < 1000; i++)
        assert_ptr_equal(pt_guard_for(&objs[i], NULL, NULL), gs[i]);
    pt_guard_for_clear();
}

/* ---- releasing ---- */

static pt_mutex_t rel_mx = PT_MUTEX_INIT;
static atomic_int other_had_it;
static void *take_briefly(void *arg)
{
    (void)arg;
    if (pt_mutex_timedlock(&rel_mx, 5000) == 0) {
        atomic_store(&other_had_it, 1);
        pt_mutex_unlock(&rel_mx);
    }
    return NULL;
}

static void releasing_body(int idx)
{
    (void)idx;
    pt_mutex_lock(&rel_mx);
    int loops = 0;
    for (int round = 0; round < 3; round++) {
        PT_RELEASING(pt_lockable_mutex(&rel_mx)) {
            /* Released: another thread can take the mutex and give it back. */
            pthread_t th;
            pthread_create(&th, NULL, take_briefly, NULL);
            pthread_join(th, NULL);
            loops++;
            if (round == 1)
                break;    /* re-acquired on break */
            if (round == 2)
                continue; /* and on continue */
        }
        /* Held again here. */
        assert_false(pt_mutex_trylock(&rel_mx));
    }
    assert_int_equal(loops, 3);
    pt_mutex_unlock(&rel_mx);
}

static void run_released(void *arg)
{
    (void)arg;
    pthread_t th;
    pthread_create(&th, NULL, take_briefly, NULL);
    pthread_join(th, NULL);
}

static void test_releasing_from_thread_and_coroutine(void **state)
{
    (void)state;
    atomic_store(&other_had_it, 0);
    releasing_body(0);
    assert_int_equal(atomic_load(&other_had_it), 1);
    atomic_store(&other_had_it, 0);
    in_coroutine(releasing_body);
    assert_int_equal(atomic_load(&other_had_it), 1);
    /* The callback form, with a semaphore of one unit. */
    pt_sem_t sem;
    pt_sem_init(&sem, 1);
    pt_sem_wait(&sem);
    pt_releasing_run(pt_lockable_sem(&sem), run_released, NULL);
    assert_false(pt_sem_trywait(&sem)); /* held again */
    pt_sem_post(&sem);
    pt_sem_destroy(&sem);
}

/* ---- stateful barrier ---- */

static pt_barrier_t *bar;
static char items[8][8];
static unsigned positions[8];
static size_t nseen[8];
static void *const *seen[8];
static atomic_int bar_rc[8];
static pt_barrier_arrival_t arrivals[8];

static void party(int idx)
{
    snprintf(items[idx], sizeof items[idx], "p%d", idx);
    pt_barrier_arrival_t a;
    int rc = pt_barrier_wait(bar, items[idx], 10000, &a);
    atomic_store(&bar_rc[idx], rc);
    if (rc == 0) {
        positions[idx] = a.pos;
        nseen[idx] = a.nstates;
        seen[idx] = a.states;
        arrivals[idx] = a;
    }
}

static void test_barrier_positions_and_state(void **state)
{
    (void)state;
    static char init0[] = "seed";
    void *init[] = { init0 };
    bar = pt_barrier_new(.parties = 4, .name = "meet", .init = init, .ninit = 1, .max_state = 4);
    assert_string_equal(pt_barrier_name(bar), "meet");
    assert_int_equal(pt_barrier_parties(bar), 4);
    mt_sched_t a;
    mt_thread_t th[2];
    mt_spawn(&a, party, 2, 0);          /* parties 0, 1: coroutines */
    mt_threads(th, 2, party, 2);        /* parties 2, 3: threads */
    pthread_join(a.th, NULL);
    mt_join(th, 2);
    unsigned seen_pos = 0;
    for (int i = 0; i < 4; i++) {
        assert_int_equal(atomic_load(&bar_rc[i]), 0);
        seen_pos |= 1u << positions[i];
        /* Everyone got the same snapshot: the 4 newest of seed + 4 items. */
        assert_int_equal(nseen[i], 4);
        assert_ptr_equal(seen[i], seen[0]);
    }
    assert_int_equal(seen_pos, 0xf); /* positions 0..3, each once */
    /* The seed was dropped (max_state 4); the items are in arrival order. */
    for (int i = 0; i < 4; i++)
        assert_ptr_equal(seen[0][positions[i]], items[i]);
    for (int i = 0; i < 4; i++)
        pt_barrier_arrival_release(&arrivals[i]);
    assert_int_equal(pt_barrier_waiting(bar), 0);
    assert_int_equal(pt_barrier_remaining(bar), 4);
    pt_barrier_free(bar);
}

static void waits_then_broken(int idx)
{
    pt_barrier_arrival_t a;
    atomic_store(&bar_rc[idx], pt_barrier_wait(bar, NULL, -1, &a));
}

static void test_barrier_abort_and_timeout(void **state)
{
    (void)state;
    bar = pt_barrier_new(.parties = 3);
    assert_null(pt_barrier_new(.parties = 0));
    for (int i = 0; i < 3; i++)
        atomic_store(&bar_rc[i], -1);
    mt_sched_t a;
    mt_thread_t th[1];
    mt_spawn(&a, waits_then_broken, 1, 0);
    mt_threads(th, 1, waits_then_broken, 1);
    while (pt_barrier_waiting(bar) < 2)
        pt_sleep_ms(1);
    pt_barrier_abort(bar);
    pthread_join(a.th, NULL);
    mt_join(th, 1);
    assert_int_equal(atomic_load(&bar_rc[0]), PT_EBROKEN);
    assert_int_equal(atomic_load(&bar_rc[1]), PT_EBROKEN);
    assert_true(pt_barrier_broken(bar));
    pt_barrier_arrival_t arr;
    assert_int_equal(pt_barrier_wait(bar, NULL, -1, &arr), PT_EBROKEN); /* stays broken */
    pt_barrier_reset(bar);
    assert_false(pt_barrier_broken(bar));

    /* A timeout breaks the round: the timed-out party gets PT_ETIMEDOUT,
     * the one waiting with it PT_EBROKEN. */
    mt_spawn(&a, waits_then_broken, 1, 0);
    while (pt_barrier_waiting(bar) < 1)
        pt_sleep_ms(1);
    assert_int_equal(pt_barrier_wait(bar, NULL, 30, &arr), PT_ETIMEDOUT);
    pthread_join(a.th, NULL);
    assert_int_equal(atomic_load(&bar_rc[0]), PT_EBROKEN);
    pt_barrier_reset(bar);
    pt_barrier_free(bar);
}

static void test_barrier_rounds_accumulate(void **state)
{
    (void)state;
    bar = pt_barrier_new(.parties = 1);
    static int x, y;
    pt_barrier_arrival_t a;
    assert_int_equal(pt_barrier_wait(bar, &x, -1, &a), 0);
    assert_int_equal(a.pos, 0);
    assert_int_equal(a.nstates, 1);
    pt_barrier_arrival_t b2;
    assert_int_equal(pt_barrier_wait(bar, &y, -1, &b2), 0);
    assert_int_equal(b2.nstates, 2); /* state persists across rounds */
    assert_ptr_equal(b2.states[0], &x);
    assert_ptr_equal(b2.states[1], &y);
    assert_int_equal(a.nstates, 1);  /* an earlier snapshot does not change */
    pt_barrier_arrival_release(&a);
    pt_barrier_arrival_release(&b2);
    pt_barrier_free(bar);
}

/* ---- state machine ---- */

static char trace[256];
static void note(const char *what, const char *st)
{
    strcat(trace, what);
    strcat(trace, st);
    strcat(trace, " ");
}
static void note_enter(const char *st, void *arg) { (void)arg; note("+", st); }
static void note_exit(const char *st, void *arg) { (void)arg; note("-", st); }
static bool allow_flag;
static bool cond_flag(const char *from, const char *to, void *arg)
{
    (void)arg;
    note("?", to);
    (void)from;
    return allow_flag;
}

static void test_fsm_transitions(void **state)
{
    (void)state;
    pt_fsm_t *f = pt_fsm_new("idle");
    assert_string_equal(pt_fsm_state(f), "idle");
    assert_int_equal(pt_fsm_allow(f, "idle", "running", NULL, NULL), 0);
    assert_int_equal(pt_fsm_allow(f, "running", "done", cond_flag, NULL), 0);
    assert_int_equal(pt_fsm_allow(f, NULL, "x", NULL, NULL), PT_EINVAL);
    pt_fsm_on_exit(f, "idle", note_exit, NULL);
    pt_fsm_on_enter(f, "running", note_enter, NULL);
    pt_fsm_on_exit(f, "running", note_exit, NULL);
    pt_fsm_on_enter(f, "done", note_enter, NULL);
    trace[0] = 0;
    assert_false(pt_fsm_transition(f, "done"));    /* no edge idle→done */
    assert_false(pt_fsm_transition(f, "idle"));    /* not even to itself */
    assert_true(pt_fsm_transition(f, "running"));
    assert_string_equal(pt_fsm_state(f), "running");
    allow_flag = false;
    assert_false(pt_fsm_transition(f, "done"));    /* the condition says no */
    assert_string_equal(pt_fsm_state(f), "running");
    allow_flag = true;
    assert_true(pt_fsm_transition(f, "done"));
    assert_string_equal(trace, "-idle +running ?done ?done -running +done ");
    /* Another edge without a condition: any one that holds is enough. */
    pt_fsm_allow(f, "done", "idle", cond_flag, NULL);
    pt_fsm_allow(f, "done", "idle", NULL, NULL);
    allow_flag = false;
    assert_true(pt_fsm_transition(f, "idle"));
    pt_fsm_free(f);
    assert_null(pt_fsm_new(NULL));
}

static pt_fsm_t *fsm;
static atomic_int in_handler, fsm_overlap, fsm_moves;
static void slow_enter(const char *st, void *arg)
{
    (void)st;
    (void)arg;
    if (atomic_fetch_add(&in_handler, 1) != 0)
        atomic_store(&fsm_overlap, 1);
    pt_sleep_ms(1); /* handlers may wait; transitions still do not overlap */
    atomic_fetch_sub(&in_handler, 1);
}
static void flipper(int idx)
{
    for (int k = 0; k < 20; k++)
        if (pt_fsm_transition(fsm, (k + idx) % 2 ? "a" : "b"))
            atomic_fetch_add(&fsm_moves, 1);
}

static void test_fsm_serialized_across_threads(void **state)
{
    (void)state;
    fsm = pt_fsm_new("a");
    pt_fsm_allow(fsm, "a", "b", NULL, NULL);
    pt_fsm_allow(fsm, "b", "a", NULL, NULL);
    pt_fsm_on_enter(fsm, "a", slow_enter, NULL);
    pt_fsm_on_enter(fsm, "b", slow_enter, NULL);
    mt_sched_t s;
    mt_thread_t th[2];
    mt_spawn(&s, flipper, 3, 0);
    mt_threads(th, 2, flipper, 1);
    pthread_join(s.th, NULL);
    mt_join(th, 2);
    assert_int_equal(atomic_load(&fsm_overlap), 0);
    assert_true(atomic_load(&fsm_moves) > 0);
    /* Every successful move flips the state: the parity tells where it is. */
    assert_string_equal(pt_fsm_state(fsm), atomic_load(&fsm_moves) % 2 ? "b" : "a");
    pt_fsm_free(fsm);
}

/* ---- gather ---- */

static atomic_int g_running, g_peak;
static int sleepy(size_t i, void *arg, void **result)
{
    int now = atomic_fetch_add(&g_running, 1) + 1;
    int p = atomic_load(&g_peak);
    while (now > p && !atomic_compare_exchange_weak(&g_peak, &p, now))
        ;
    pt_sleep_ms((int64_t)(20 - i % 7)); /* finish out of order */
    atomic_fetch_sub(&g_running, 1);
    int *fail_at = arg;
    if (fail_at && (int)i == *fail_at)
        return 42;
    *result = (void *)(uintptr_t)(i * 10);
    return 0;
}

static void check_gather(int idx)
{
    (void)idx;
    void *res[20];
    int errs[20];
    atomic_store(&g_peak, 0);
    assert_int_equal(pt_gather(20, sleepy, NULL, res, errs, .limit = 5), 0);
    assert_int_equal(atomic_load(&g_peak), 5);
    for (uintptr_t i = 0; i < 20; i++) {
        assert_int_equal((uintptr_t)res[i], i * 10); /* input order */
        assert_int_equal(errs[i], 0);
    }
    /* Default limit 8. */
    atomic_store(&g_peak, 0);
    assert_int_equal(pt_gather(20, sleepy, NULL, res, NULL), 0);
    assert_int_equal(atomic_load(&g_peak), 8);
    /* Errors returned per item: everything runs. */
    int fail_at = 3;
    assert_int_equal(pt_gather(20, sleepy, &fail_at, res, errs, .limit = 4, .return_errors = true), 42);
    for (int i = 0; i < 20; i++)
        assert_int_equal(errs[i], i == 3 ? 42 : 0);
    /* First error raised: nothing starts after it. */
    fail_at = 0;
    assert_int_equal(pt_gather(20, sleepy, &fail_at, res, errs, .limit = 2), 42);
    assert_int_equal(errs[0], 42);
    assert_int_equal(errs[19], PT_ECANCELED);
    assert_int_equal(pt_gather(0, sleepy, NULL, NULL, NULL), 0);
    assert_int_equal(pt_gather(3, NULL, NULL, NULL, NULL), PT_EINVAL);
}

static atomic_int gather_checked;
static void check_gather_counted(int idx)
{
    check_gather(idx);
    atomic_fetch_add(&gather_checked, 1);
}

static void test_gather_from_thread_and_coroutine(void **state)
{
    (void)state;
    check_gather(0);
    atomic_store(&gather_checked, 0);
    in_coroutine(check_gather_counted);
    assert_int_equal(atomic_load(&gather_checked), 1);
}

/* ---- accumulator ---- */

static char acc_trace[64];
static void acc_note(void *arg) { strcat(acc_trace, arg); }

static void test_accumulator(void **state)
{
    (void)state;
    pt_accum_t *a = pt_accum_new(.maxlen = 3);
    acc_trace[0] = 0;
    PT_ACCUM_SCOPE(a) {
        pt_accum_add(a, acc_note, "a");
        pt_accum_add(a, acc_note, "b");
        pt_accum_add(a, acc_note, "c");
        assert_false(pt_accum_offer(a, acc_note, "x")); /* full: refused */
        pt_accum_add(a, acc_note, "d");                 /* full: the oldest goes */
        assert_int_equal(pt_accum_len(a), 3);
        assert_string_equal(acc_trace, "");             /* nothing runs before the end */
    }
    assert_string_equal(acc_trace, "bcd");
    assert_int_equal(pt_accum_len(a), 0);               /* run once, then dropped */
    PT_ACCUM_SCOPE(a) {
        pt_accum_add(a, acc_note, "e");
        break;
    }
    assert_string_equal(acc_trace, "bcde");             /* runs after break too */
    assert_int_equal(pt_accum_add(a, NULL, NULL), PT_EINVAL);
    pt_accum_free(a);

    a = pt_accum_new(.keep = true);
    acc_trace[0] = 0;
    pt_accum_add(a, acc_note, "k");
    assert_int_equal(pt_accum_run(a), 1);
    assert_int_equal(pt_accum_run(a), 1);
    assert_string_equal(acc_trace, "kk");
    pt_accum_clear(a);
    assert_int_equal(pt_accum_run(a), 0);
    pt_accum_free(a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_guard_fails_at_once_when_held),
        cmocka_unit_test(test_guard_excludes_across_threads),
        cmocka_unit_test(test_unique_guard_per_object),
        cmocka_unit_test(test_releasing_from_thread_and_coroutine),
        cmocka_unit_test(test_barrier_positions_and_state),
        cmocka_unit_test(test_barrier_abort_and_timeout),
        cmocka_unit_test(test_barrier_rounds_accumulate),
        cmocka_unit_test(test_fsm_transitions),
        cmocka_unit_test(test_fsm_serialized_across_threads),
        cmocka_unit_test(test_gather_from_thread_and_coroutine),
        cmocka_unit_test(test_accumulator),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
