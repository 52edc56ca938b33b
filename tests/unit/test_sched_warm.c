/* The scheduler's warm coroutines: a task that returns leaves its coroutine
 * parked for the next one (same stack, no set-up), a task that waits keeps
 * its own while the next one gets another, a task leaving through
 * pt__coro_exit ends its coroutine, a done callback may start the next task
 * on the coroutine just parked, and pt__sched_free releases parked ones. */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include <uv.h>

#include "core/coro.h"
#include "core/sched.h"

typedef struct job {
    pt__task_t   task; /* first */
    pt__coro_t  *ran_on;
    void       *stack_lo;
    int         ran, done;
    bool        wait;   /* park until woken */
    bool        exit;   /* leave through pt__coro_exit */
    struct job *then;   /* started from the done callback */
    pt__sched_t *s;
} job_t;

static void job_run(pt__task_t *t)
{
    job_t *j = (job_t *)t;
    j->ran_on = pt__coro_self();
    size_t sz;
    pt__coro_stack(j->ran_on, &j->stack_lo, &sz);
    assert_ptr_equal(pt__coro_data(j->ran_on), t); /* the task is the coroutine's data */
    if (j->wait)
        pt__coro_yield();
    j->ran++;
    if (j->exit)
        pt__coro_exit();
}

static void job_done(pt__task_t *t)
{
    job_t *j = (job_t *)t;
    assert_null(t->co);
    assert_null(pt__coro_self()); /* on the loop's stack */
    j->done++;
    if (j->then)
        assert_int_equal(pt__sched_start(j->s, &j->then->task), 0);
}

static void job_init(job_t *j, pt__sched_t *s)
{
    memset(j, 0, sizeof *j);
    j->task.run = job_run;
    j->task.done = job_done;
    j->s = s;
}

static void test_finished_task_leaves_its_coroutine_warm(void **state)
{
    (void)state;
    uv_loop_t loop;
    uv_loop_init(&loop);
    pt__sched_t *s = pt__sched_new(&loop, 64 * 1024);
    job_t a, b;
    job_init(&a, s);
    job_init(&b, s);
    assert_int_equal(pt__sched_start(s, &a.task), 0);
    assert_int_equal(a.ran, 1);
    assert_int_equal(a.done, 1);
    assert_int_equal(pt__sched_live(s), 0);
    assert_int_equal(pt__sched_start(s, &b.task), 0);
    assert_int_equal(b.done, 1);
    assert_ptr_equal(b.ran_on, a.ran_on); /* the same coroutine, parked in between */
    assert_ptr_equal(b.stack_lo, a.stack_lo);
    pt__sched_free(s);
    uv_loop_close(&loop);
}

static void test_waiting_task_keeps_its_coroutine(void **state)
{
    (void)state;
    uv_loop_t loop;
    uv_loop_init(&loop);
    pt__sched_t *s = pt__sched_new(&loop, 64 * 1024);
    job_t w, x, y;
    job_init(&w, s);
    job_init(&x, s);
    job_init(&y, s);
    w.wait = true;
    assert_int_equal(pt__sched_start(s, &w.task), 0);
    assert_int_equal(w.ran, 0);
    assert_int_equal(pt__sched_live(s), 1);
    assert_int_equal(pt__sched_start(s, &x.task), 0);
    assert_int_equal(x.done, 1);
    assert_ptr_not_equal(x.ran_on, w.ran_on);
    /* Woken, the waiting task finishes on its own coroutine. */
    pt__sched_ready(s, w.ran_on);
    uv_run(&loop, UV_RUN_NOWAIT);
    assert_int_equal(w.ran, 1);
    assert_int_equal(w.done, 1);
    assert_int_equal(pt__sched_live(s), 0);
    /* Both are parked now; the next task takes the last one parked. */
    assert_int_equal(pt__sched_start(s, &y.task), 0);
    assert_ptr_equal(y.ran_on, w.ran_on);
    pt__sched_free(s);
    uv_loop_close(&loop);
}

static void test_exit_ends_the_coroutine_and_done_may_start_the_next(void **state)
{
    (void)state;
    uv_loop_t loop;
    uv_loop_init(&loop);
    pt__sched_t *s = pt__sched_new(&loop, 64 * 1024);
    job_t e, n1, n2;
    job_init(&e, s);
    job_init(&n1, s);
    job_init(&n2, s);
    e.exit = true;
    e.then = &n1;   /* started from e's done callback */
    n1.then = &n2;  /* and n2 from n1's, on the coroutine n1 just left */
    assert_int_equal(pt__sched_start(s, &e.task), 0);
    assert_int_equal(e.ran, 1);
    assert_int_equal(e.done, 1);
    assert_int_equal(n1.done, 1);
    assert_int_equal(n2.done, 1);
    assert_ptr_equal(n2.ran_on, n1.ran_on);
    assert_int_equal(pt__sched_live(s), 0);
    pt__sched_free(s);
    uv_loop_close(&loop);
}

static void test_many_parked_at_once(void **state)
{
    (void)state;
    enum { N = 20 };
    uv_loop_t loop;
    uv_loop_init(&loop);
    pt__sched_t *s = pt__sched_new(&loop, 64 * 1024);
    job_t j[N];
    for (int i = 0; i < N; i++) {
        job_init(&j[i], s);
        j[i].wait = true;
        assert_int_equal(pt__sched_start(s, &j[i].task), 0);
    }
    for (int i = 0; i < N; i++)
        pt__sched_ready(s, j[i].ran_on);
    uv_run(&loop, UV_RUN_NOWAIT);
    for (int i = 0; i < N; i++)
        assert_int_equal(j[i].done, 1);
    assert_int_equal(pt__sched_live(s), 0);
    /* More finished than are kept warm: the rest went back to the pool,
     * and every later task still runs. */
    for (int round = 0; round < 3; round++)
        for (int i = 0; i < N; i++) {
            job_init(&j[i], s);
            assert_int_equal(pt__sched_start(s, &j[i].task), 0);
            assert_int_equal(j[i].done, 1);
        }
    pt__sched_free(s); /* parked coroutines released (ASan: no leak) */
    uv_loop_close(&loop);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_finished_task_leaves_its_coroutine_warm),
        cmocka_unit_test(test_waiting_task_keeps_its_coroutine),
        cmocka_unit_test(test_exit_ends_the_coroutine_and_done_may_start_the_next),
        cmocka_unit_test(test_many_parked_at_once),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
