/* Limited-concurrency gather: see include/ponty/resilience.h.
 *
 * `limit` runners pull the next index from a shared counter until the items
 * run out (or, without return_errors, until one fails). From a coroutine the
 * runners are coroutines started on the caller's scheduler, so they overlap
 * whenever an item waits; from a plain thread they are threads. The caller
 * parks on a waiter that the last runner to finish wakes. */
#define _GNU_SOURCE
#include "resilience/common.h"

#include <pthread.h>
#include <stdlib.h>

#include "core/sched.h"
#include "core/wait.h"

typedef struct gather {
    pthread_mutex_t lk;
    size_t          n, next;
    unsigned        running;      /* runners not finished */
    bool            stop;         /* an item failed and errors are not collected */
    int             first_err;
    pt_gather_fn    fn;
    void           *arg;
    void          **results;
    int            *errors;
    bool            return_errors;
    pt__waiter_t    *caller;       /* parked caller, or NULL */
} gather_t;

typedef struct runner {
    pt__task_t  task;              /* first: the scheduler hands us &task */
    gather_t  *g;
    pthread_t  th;
} runner_t;

static void run_items(gather_t *g)
{
    for (;;) {
        pthread_mutex_lock(&g->lk);
        if (g->stop || g->next >= g->n) {
            pthread_mutex_unlock(&g->lk);
            return;
        }
        size_t i = g->next++;
        pthread_mutex_unlock(&g->lk);
        void *res = NULL;
        int rc = g->fn(i, g->arg, &res);
        if (g->results)
            g->results[i] = res;
        if (g->errors)
            g->errors[i] = rc;
        if (rc != 0) {
            pthread_mutex_lock(&g->lk);
            if (!g->first_err)
                g->first_err = rc;
            if (!g->return_errors)
                g->stop = true;
            pthread_mutex_unlock(&g->lk);
        }
    }
}

static void runner_finished(gather_t *g)
{
    pthread_mutex_lock(&g->lk);
    if (--g->running == 0 && g->caller) {
        g->caller->signaled = true;
        pt__waiter_wake(g->caller);
    }
    pthread_mutex_unlock(&g->lk);
}

static void task_run(pt__task_t *t) { run_items(((runner_t *)t)->g); }
/* Counted in `done`, which runs once the coroutine is finished and
 * released, so the caller cannot return (and free the runners) while a
 * runner's coroutine still uses them. */
static void task_done(pt__task_t *t) { runner_finished(((runner_t *)t)->g); }

static void *thread_main(void *arg)
{
    runner_t *r = arg;
    run_items(r->g);
    return NULL;
}

int pt_gather_opts(size_t n, pt_gather_fn fn, void *arg, void **results, int *errors,
                   const pt_gather_opts_t *o)
{
    if (!fn)
        return PT_EINVAL;
    if (n == 0)
        return 0;
    unsigned limit = o->limit ? o->limit : 8;
    size_t k = n < limit ? n : limit;
    gather_t g = { .n = n, .fn = fn, .arg = arg, .results = results, .errors = errors,
                   .return_errors = o->return_errors };
    pthread_mutex_init(&g.lk, NULL);
    for (size_t i = 0; i < n; i++) {
        if (results)
            results[i] = NULL;
        if (errors)
            errors[i] = PT_ECANCELED; /* until the item runs */
    }
    runner_t *rs = calloc(k, sizeof *rs);
    if (!rs) {
        /* No room for runners: run the items one by one right here. */
        run_items(&g);
        pthread_mutex_destroy(&g.lk);
        return g.first_err;
    }
    pt__sched_t *s = pt__coro_self() ? pt__sched_self() : NULL;
    if (s) {
        pt__waiter_t w;
        pt__waiter_init(&w);
        g.running = (unsigned)k;
        for (size_t i = 0; i < k; i++) {
            rs[i].g = &g;
            rs[i].task.run = task_run;
            rs[i].task.done = task_done;
            if (pt__sched_start(s, &rs[i].task) != 0) {
                /* No stack for it: this runner's share is done by the others. */
                pthread_mutex_lock(&g.lk);
                g.running--;
                pthread_mutex_unlock(&g.lk);
            }
        }
        pthread_mutex_lock(&g.lk);
        if (g.running == 0 && g.next < g.n && !g.stop) {
            /* Not a single runner could start: do the work here. */
            pthread_mutex_unlock(&g.lk);
            run_items(&g);
            pthread_mutex_lock(&g.lk);
        }
        if (g.running > 0) {
            g.caller = &w;
            pthread_mutex_unlock(&g.lk);
            pt__waiter_park(&w, -1);
        } else {
            pthread_mutex_unlock(&g.lk);
        }
    } else {
        size_t started = 0;
        for (size_t i = 0; i < k; i++) {
            rs[i].g = &g;
            if (pthread_create(&rs[i].th, NULL, thread_main, &rs[i]) != 0)
                break;
            started++;
        }
        if (started == 0)
            run_items(&g);
        for (size_t i = 0; i < started; i++)
            pthread_join(rs[i].th, NULL);
    }
    free(rs);
    pthread_mutex_destroy(&g.lk);
    return g.first_err;
}
