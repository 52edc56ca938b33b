/* Waiting primitives across coroutines on several schedulers and plain
 * threads: mutual exclusion, FIFO hand-off, timeouts, semaphores, condition
 * variables, sleep, and no lost wake-ups under contention. */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <setjmp.h>
#include <cmocka.h>

#include "ponty/sync.h"
#include "core/sched.h"

/* A scheduler on its own thread running `ntasks` copies of fn. */
typedef struct task_slot {
    pt__task_t task;
    void    (*fn)(int idx);
    int       idx;
    atomic_int *done;
} task_slot_t;

static void slot_run(pt__task_t *t) { task_slot_t *s = (task_slot_t *)t; s->fn(s->idx); }
static void slot_done(pt__task_t *t) { atomic_fetch_add(((task_slot_t *)t)->done, 1); }

typedef struct sched_thread {
    pthread_t   th;
    void      (*fn)(int idx);
    int         ntasks, base;
    atomic_int  done;
} sched_thread_t;

static void noop_timer(uv_timer_t *t) { (void)t; }

static void *sched_main(void *arg)
{
    sched_thread_t *st = arg;
    uv_loop_t loop;
    uv_loop_init(&loop);
    pt__sched_t *s = pt__sched_new(&loop, 64 * 1024);
    task_slot_t *slots = calloc((size_t)st->ntasks, sizeof *slots);
    for (int i = 0; i < st->ntasks; i++) {
        slots[i] = (task_slot_t){ .fn = st->fn, .idx = st->base + i, .done = &st->done };
        slots[i].task.run = slot_run;
        slots[i].task.done = slot_done;
        pt__sched_start(s, &slots[i].task);
    }
    /* Keep the loop alive until every task is done: cross-thread wakes come
     * through an unref'd async handle, so a bare uv_run could return early. */
    uv_timer_t keepalive;
    uv_timer_init(&loop, &keepalive);
    while (atomic_load(&st->done) < st->ntasks) {
        uv_timer_start(&keepalive, noop_timer, 5, 0);
        uv_run(&loop, UV_RUN_ONCE);
    }
    uv_close((uv_handle_t *)&keepalive, NULL);
    free(slots);
    pt__sched_free(s);
    uv_loop_close(&loop);
    return NULL;
}

static void spawn(sched_thread_t *st, void (*fn)(int), int ntasks, int base)
{
    st->fn = fn;
    st->ntasks = ntasks;
    st->base = base;
    atomic_init(&st->done, 0);
    pthread_create(&st->th, NULL, sched_main, st);
}

typedef struct plain_thread { pthread_t th; void (*fn)(int); int idx; } plain_thread_t;
static void *plain_main(void *arg) { plain_thread_t *p = arg; p->fn(p->idx); return NULL; }

/* ---- mutex: coroutines on two schedulers plus plain threads ---- */

static pt_mutex_t mx = PT_MUTEX_INIT;
static long shared_counter;
static atomic_int inside;
static atomic_int overlap;

static void locked_increment(int idx)
{
    (void)idx;
    for (int k = 0; k < 20; k++) {
        pt_mutex_lock(&mx);
        if (atomic_fetch_add(&inside, 1) != 0)
            atomic_store(&overlap, 1);
        long v = shared_counter;
        if (k % 5 == 0)
            pt_sleep_ms(1); /* hold it across a suspension */
        shared_counter = v + 1;
        atomic_fetch_sub(&inside, 1);
        pt_mutex_unlock(&mx);
    }
}

static void test_mutex_excludes_everyone(void **state)
{
    (void)state;
    shared_counter = 0;
    atomic_store(&overlap, 0);
    sched_thread_t a, b;
    plain_thread_t p[2] = { { .fn = locked_increment }, { .fn = locked_increment } };
    spawn(&a, locked_increment, 20, 0);
    spawn(&b, locked_increment, 20, 100);
    for (int i = 0; i < 2; i++)
        pthread_create(&p[i].th, NULL, plain_main, &p[i]);
    pthread_join(a.th, NULL);
    pthread_join(b.th, NULL);
    for (int i = 0; i < 2; i++)
        pthread_join(p[i].th, NULL);
    assert_int_equal(atomic_load(&overlap), 0);
    assert_int_equal(shared_counter, (20 + 20 + 2) * 20);
}

/* ---- FIFO hand-off ---- */

static pt_mutex_t fifo_mx = PT_MUTEX_INIT;
static int order[16];
static atomic_int norder;

static void fifo_waiter(int idx)
{
    pt_mutex_lock(&fifo_mx);
    if (idx == 0)
        pt_sleep_ms(30); /* everyone else queues behind us, in start order */
    order[atomic_fetch_add(&norder, 1)] = idx;
    pt_mutex_unlock(&fifo_mx);
}

static void test_mutex_is_fifo(void **state)
{
    (void)state;
    atomic_store(&norder, 0);
    sched_thread_t a;
    spawn(&a, fifo_waiter, 8, 0);
    pthread_join(a.th, NULL);
    assert_int_equal(atomic_load(&norder), 8);
    for (int i = 0; i < 8; i++)
        assert_int_equal(order[i], i);
}

/* ---- timeouts ---- */

static pt_mutex_t held = PT_MUTEX_INIT;
static atomic_int timed_out;
static int64_t waited_ms[8];

static void try_for_50ms(int idx)
{
    int64_t t0 = pt_now_mono_ms();
    if (pt_mutex_timedlock(&held, 50) == PT_ETIMEDOUT)
        atomic_fetch_add(&timed_out, 1);
    waited_ms[idx] = pt_now_mono_ms() - t0;
}

static void test_timedlock_deadline(void **state)
{
    (void)state;
    atomic_store(&timed_out, 0);
    pt_mutex_lock(&held); /* held by this plain thread throughout */
    sched_thread_t a;
    spawn(&a, try_for_50ms, 4, 0);
    plain_thread_t p = { .fn = try_for_50ms, .idx = 4 };
    pthread_create(&p.th, NULL, plain_main, &p);
    pthread_join(a.th, NULL);
    pthread_join(p.th, NULL);
    assert_int_equal(atomic_load(&timed_out), 5);
    for (int i = 0; i < 5; i++) {
        assert_true(waited_ms[i] >= 49);
        assert_true(waited_ms[i] < 1000);
    }
    assert_false(pt_mutex_trylock(&held));
    pt_mutex_unlock(&held);
    /* The withdrawn waiters left the queue: the mutex is free now. */
    assert_true(pt_mutex_trylock(&held));
    pt_mutex_unlock(&held);
}

/* ---- semaphore: at most N inside ---- */

static pt_sem_t sem = PT_SEM_INIT(3);
static atomic_int in_sem, max_in_sem;

static void sem_user(int idx)
{
    (void)idx;
    pt_sem_wait(&sem);
    int now = atomic_fetch_add(&in_sem, 1) + 1;
    int m = atomic_load(&max_in_sem);
    while (now > m && !atomic_compare_exchange_weak(&max_in_sem, &m, now))
        ;
    pt_sleep_ms(5);
    atomic_fetch_sub(&in_sem, 1);
    pt_sem_post(&sem);
}

static void test_semaphore_bounds_concurrency(void **state)
{
    (void)state;
    sched_thread_t a, b;
    spawn(&a, sem_user, 15, 0);
    spawn(&b, sem_user, 15, 0);
    pthread_join(a.th, NULL);
    pthread_join(b.th, NULL);
    assert_int_equal(atomic_load(&max_in_sem), 3);
    assert_int_equal(sem.count, 3);
    assert_true(pt_sem_trywait(&sem));
    assert_int_equal(pt_sem_timedwait(&sem, 0), 0);
    assert_int_equal(pt_sem_timedwait(&sem, 0), 0);
    assert_int_equal(pt_sem_timedwait(&sem, 10), PT_ETIMEDOUT);
    pt_sem_post(&sem); pt_sem_post(&sem); pt_sem_post(&sem);
}

/* ---- condition variable: producer on a plain thread, consumers in coroutines ---- */

static pt_mutex_t q_mx = PT_MUTEX_INIT;
static pt_cond_t q_cv = PT_COND_INIT;
static int queue_items;
static atomic_int consumed;

static void consumer(int idx)
{
    (void)idx;
    for (int k = 0; k < 10; k++) {
        pt_mutex_lock(&q_mx);
        while (queue_items == 0)
            pt_cond_wait(&q_cv, &q_mx);
        queue_items--;
        pt_mutex_unlock(&q_mx);
        atomic_fetch_add(&consumed, 1);
    }
}

static void test_cond_no_lost_wakeups(void **state)
{
    (void)state;
    sched_thread_t a, b;
    spawn(&a, consumer, 10, 0);
    spawn(&b, consumer, 10, 0);
    for (int i = 0; i < 200; i++) {
        pt_mutex_lock(&q_mx);
        queue_items++;
        pt_cond_signal(&q_cv);
        pt_mutex_unlock(&q_mx);
        if (i % 50 == 0)
            pt_sleep_ms(1);
    }
    pthread_join(a.th, NULL);
    pthread_join(b.th, NULL);
    assert_int_equal(atomic_load(&consumed), 200);
    assert_int_equal(queue_items, 0);
    pt_mutex_lock(&q_mx);
    assert_int_equal(pt_cond_timedwait(&q_cv, &q_mx, 20), PT_ETIMEDOUT);
    pt_mutex_unlock(&q_mx);
}

/* ---- sleep suspends only its coroutine ---- */

static int64_t slept_end[64];
static void sleeper(int idx) { pt_sleep_ms(100); slept_end[idx] = pt_now_mono_ms(); }

static void test_sleep_is_concurrent(void **state)
{
    (void)state;
    int64_t t0 = pt_now_mono_ms();
    sched_thread_t a;
    spawn(&a, sleeper, 64, 0);
    pthread_join(a.th, NULL);
    int64_t total = pt_now_mono_ms() - t0;
    /* 64 sleeps of 100 ms on one thread overlap: far less than 6.4 s. */
    assert_true(total < 2000);
    for (int i = 0; i < 64; i++)
        assert_true(slept_end[i] - t0 >= 99);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_mutex_excludes_everyone),
        cmocka_unit_test(test_mutex_is_fifo),
        cmocka_unit_test(test_timedlock_deadline),
        cmocka_unit_test(test_semaphore_bounds_concurrency),
        cmocka_unit_test(test_cond_no_lost_wakeups),
        cmocka_unit_test(test_sleep_is_concurrent),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
