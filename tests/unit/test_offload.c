/* pt_offload and background tasks on a scheduler outside pt_run: direct
 * calls from plain threads, calls on the (lazily started) pool from
 * coroutines, the queue bound and its deadline, stopping and restarting the
 * pool, pt_spawn onto the caller's own scheduler. */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <setjmp.h>
#include <unistd.h>
#include <cmocka.h>

#include "ponty/offload.h"
#include "ponty/sync.h"
#include "ponty/task.h"
#include "core/offload.h"
#include "core/sched.h"
#include "memo_test_util.h"

/* ---- plain threads call directly ---- */

static void record_thread(void *arg) { *(pthread_t *)arg = pthread_self(); }

static void test_plain_thread_calls_directly(void **state)
{
    (void)state;
    pthread_t who = 0;
    assert_int_equal(pt_offload(record_thread, &who), 0);
    assert_true(pthread_equal(who, pthread_self()));
    assert_int_equal(pt_offload(NULL, NULL), PT_EINVAL);
}

/* ---- coroutines go to the pool, side by side ---- */

static atomic_int inside, most_inside;
static pthread_t sched_tid[64], ran_on[64];

static void slow_call(void *arg)
{
    int idx = (int)(intptr_t)arg;
    ran_on[idx] = pthread_self();
    int now = atomic_fetch_add(&inside, 1) + 1;
    int seen = atomic_load(&most_inside);
    while (now > seen && !atomic_compare_exchange_weak(&most_inside, &seen, now))
        ;
    usleep(50000);
    atomic_fetch_sub(&inside, 1);
}

static void offloading(int idx)
{
    sched_tid[idx] = pthread_self();
    assert_int_equal(pt_offload(slow_call, (void *)(intptr_t)idx), 0);
    /* Back on the scheduler's thread after the call. */
    assert_true(pthread_equal(pthread_self(), sched_tid[idx]));
}

static void test_coroutines_offload_concurrently(void **state)
{
    (void)state;
    pt__offload_configure(&(pt_offload_opts_t){ .threads = 8 });
    atomic_store(&most_inside, 0);
    mt_run(offloading, 8);
    for (int i = 0; i < 8; i++)
        assert_false(pthread_equal(ran_on[i], sched_tid[i]));
    /* All eight calls were in their blocking sleep at once at some point
     * (each takes 50 ms; the scheduler started them all without waiting). */
    assert_true(atomic_load(&most_inside) >= 2);
    pt_offload_stats_t s = pt_offload_stats();
    assert_int_equal(s.running, 0);
    assert_int_equal(s.queued, 0);
    assert_int_equal(s.threads, 8);
    assert_int_equal(pt__offload_stop(), 0);
    assert_int_equal(pt_offload_stats().threads, 0);
}

/* ---- the queue bound ---- */

static atomic_int release_gate;
static atomic_int results[4];
static int64_t waited_ms[4];

static void gated_call(void *arg)
{
    (void)arg;
    while (!atomic_load(&release_gate))
        usleep(1000);
}

static void quick_call(void *arg) { (void)arg; }

static void bounded(int idx)
{
    /* 0 holds the only thread, 1 fills the only queue slot, 2 finds no room
     * and does not wait, 3 waits 1 s for room and gives up. (A wait long
     * against the bound on "does not wait": a loaded machine may preempt
     * the scheduler for a good part of 100 ms.) */
    if (idx > 0)
        pt_sleep_ms(20 * idx);
    int64_t t0 = pt_now_mono_ms();
    int rc;
    if (idx == 0)
        rc = pt_offload(gated_call, NULL);
    else if (idx == 1)
        rc = pt_offload(quick_call, NULL);
    else if (idx == 2)
        rc = pt_offload_timed(quick_call, NULL, 0);
    else
        rc = pt_offload_timed(quick_call, NULL, 1000);
    waited_ms[idx] = pt_now_mono_ms() - t0;
    atomic_store(&results[idx], rc);
    if (idx == 3)
        atomic_store(&release_gate, 1);
}

static void test_full_queue_gives_up_at_its_deadline(void **state)
{
    (void)state;
    pt__offload_configure(&(pt_offload_opts_t){ .threads = 1, .queue = 1 });
    atomic_store(&release_gate, 0);
    mt_run(bounded, 4);
    assert_int_equal(atomic_load(&results[0]), 0);
    assert_int_equal(atomic_load(&results[1]), 0);
    assert_int_equal(atomic_load(&results[2]), PT_EBUSY);
    assert_true(waited_ms[2] < 1000 / 3);
    assert_int_equal(atomic_load(&results[3]), PT_EBUSY);
    assert_true(waited_ms[3] >= 1000);
    assert_int_equal(pt__offload_stop(), 0);
}

/* ---- a waiter for room gets the slot the pool frees ---- */

static void handoff(int idx)
{
    if (idx > 0)
        pt_sleep_ms(20 * idx);
    if (idx == 0)
        atomic_store(&results[0], pt_offload(gated_call, NULL));
    else
        atomic_store(&results[idx], pt_offload_timed(quick_call, NULL, 10000));
}

static void *open_gate_later(void *arg)
{
    (void)arg;
    usleep(150000);
    atomic_store(&release_gate, 1);
    return NULL;
}

static void test_room_is_handed_to_the_waiter(void **state)
{
    (void)state;
    pt__offload_configure(&(pt_offload_opts_t){ .threads = 1, .queue = 1 });
    atomic_store(&release_gate, 0);
    for (int i = 0; i < 4; i++)
        atomic_store(&results[i], -1);
    pthread_t opener;
    pthread_create(&opener, NULL, open_gate_later, NULL);
    mt_run(handoff, 3);
    pthread_join(opener, NULL);
    for (int i = 0; i < 3; i++)
        assert_int_equal(atomic_load(&results[i]), 0);
    assert_int_equal(pt__offload_stop(), 0);
    /* Configured back to the defaults, the pool starts again on demand. */
    pt__offload_configure(&(pt_offload_opts_t){ 0 });
}

/* ---- pt_spawn outside pt_run: onto the caller's scheduler ---- */

static atomic_int spawned_ran;
static pthread_t spawner_tid, spawned_tid;

static void spawned(void *arg)
{
    spawned_tid = pthread_self();
    /* No server: nobody stops us, so the wait runs its full time. */
    int64_t t0 = pt_now_mono_ms();
    bool stop = pt_wait_stop_ms(30);
    assert_false(stop);
    assert_true(pt_now_mono_ms() - t0 >= 30);
    atomic_store(&spawned_ran, *(int *)arg);
}

static int spawn_arg = 7;

static void spawner(int idx)
{
    (void)idx;
    spawner_tid = pthread_self();
    assert_int_equal(pt_spawn(spawned, &spawn_arg), 0);
    assert_int_equal(pt_every(0, spawned, &spawn_arg), -1);
    /* It has not started inside our call. */
    assert_int_equal(atomic_load(&spawned_ran), 0);
}

static void test_spawn_on_own_scheduler(void **state)
{
    (void)state;
    atomic_store(&spawned_ran, 0);
    /* A plain thread with no server has nowhere to run a task. */
    assert_int_equal(pt_spawn(spawned, &spawn_arg), PT_ENOTRUNNING);
    assert_false(pt_stopping());
    mt_run(spawner, 1); /* the scheduler thread ends once the spawned task is done too */
    assert_int_equal(atomic_load(&spawned_ran), 7);
    assert_true(pthread_equal(spawner_tid, spawned_tid));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_plain_thread_calls_directly),
        cmocka_unit_test(test_coroutines_offload_concurrently),
        cmocka_unit_test(test_full_queue_gives_up_at_its_deadline),
        cmocka_unit_test(test_room_is_handed_to_the_waiter),
        cmocka_unit_test(test_spawn_on_own_scheduler),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
