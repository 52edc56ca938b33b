/* Background tasks: see include/ponty/task.h.
 *
 * A task is a pt__task_t handed to a scheduler with pt__sched_spawn, so it
 * counts in that scheduler's live tasks and a worker's drain waits for it
 * like for a request. Which scheduler is decided here from the server's
 * state, which pt_run drives through core/tasks.h. */
#define _GNU_SOURCE
#include "ponty/task.h"

#include <pthread.h>
#include <stdlib.h>

#include "core/sched.h"
#include "core/tasks.h"
#include "core/wait.h"

typedef struct bg_task {
    pt__task_t task;        /* first: the scheduler hands us back this */
    void    (*fn)(void *arg);
    void     *arg;
    int64_t   every_ms;    /* 0: run once */
} bg_task_t;

enum { ST_IDLE, ST_STARTING, ST_SERVING, ST_STOPPING };

static pthread_mutex_t lk = PTHREAD_MUTEX_INITIALIZER;
static int state = ST_IDLE;
static bool stopping;
static pt_waitq_t stop_waiters;
static pt__sched_t *const *workers;
static unsigned nworkers, next_worker;
static pt__task_t *pending_head, *pending_tail;  /* spawned before the workers run */

static void bg_run(pt__task_t *t)
{
    bg_task_t *b = (bg_task_t *)t;
    if (!b->every_ms) {
        b->fn(b->arg);
        return;
    }
    while (!pt_stopping()) {
        b->fn(b->arg);
        if (pt_wait_stop_ms(b->every_ms))
            break;
    }
}

static void bg_done(pt__task_t *t) { free(t); }

static int dispatch(int64_t every_ms, void (*fn)(void *), void *arg)
{
    if (!fn)
        return PT_ENOTRUNNING;
    bg_task_t *b = calloc(1, sizeof *b);
    if (!b)
        return PT_ENOMEM;
    b->task.run = bg_run;
    b->task.done = bg_done;
    b->fn = fn;
    b->arg = arg;
    b->every_ms = every_ms;

    pt__sched_t *target = pt__sched_self();
    pthread_mutex_lock(&lk);
    if (state == ST_STOPPING || (!target && state == ST_IDLE)) {
        pthread_mutex_unlock(&lk);
        free(b);
        return PT_ENOTRUNNING;
    }
    if (!target && state == ST_STARTING) {
        b->task.spawn_next = NULL;
        if (pending_tail)
            pending_tail->spawn_next = &b->task;
        else
            pending_head = &b->task;
        pending_tail = &b->task;
        pthread_mutex_unlock(&lk);
        return 0;
    }
    if (!target)
        target = workers[next_worker++ % nworkers];
    pthread_mutex_unlock(&lk);
    pt__sched_spawn(target, &b->task);
    return 0;
}

int pt_spawn(void (*fn)(void *arg), void *arg) { return dispatch(0, fn, arg); }

int pt_every(int64_t ms, void (*fn)(void *arg), void *arg)
{
    if (ms <= 0)
        return -1;
    return dispatch(ms, fn, arg);
}

bool pt_stopping(void)
{
    pthread_mutex_lock(&lk);
    bool s = stopping;
    pthread_mutex_unlock(&lk);
    return s;
}

bool pt_wait_stop_ms(int64_t ms)
{
    pthread_mutex_lock(&lk);
    if (stopping || ms == 0) {
        bool s = stopping;
        pthread_mutex_unlock(&lk);
        return s;
    }
    pt__waiter_t w;
    pt__waiter_init(&w);
    pt__waitq_push(&stop_waiters, &w);
    pthread_mutex_unlock(&lk);
    pt__waiter_park(&w, pt__deadline_after(ms));
    pthread_mutex_lock(&lk);
    if (!w.signaled)
        pt__waitq_remove(&stop_waiters, &w);
    bool s = stopping;
    pthread_mutex_unlock(&lk);
    return s;
}

void pt__tasks_begin(void)
{
    pthread_mutex_lock(&lk);
    state = ST_STARTING;
    stopping = false;
    pthread_mutex_unlock(&lk);
}

void pt__tasks_serve(pt__sched_t *const *scheds, unsigned n)
{
    pthread_mutex_lock(&lk);
    workers = scheds;
    nworkers = n;
    next_worker = 0;
    state = ST_SERVING;
    pt__task_t *t = pending_head;
    pending_head = pending_tail = NULL;
    while (t) {
        pt__task_t *next = t->spawn_next;
        pt__sched_spawn(workers[next_worker++ % nworkers], t);
        t = next;
    }
    pthread_mutex_unlock(&lk);
}

void pt__tasks_stop(void)
{
    pthread_mutex_lock(&lk);
    state = ST_STOPPING;
    stopping = true;
    pt__waiter_t *w;
    while ((w = pt__waitq_pop(&stop_waiters))) {
        w->signaled = true;
        pt__waiter_wake(w);
    }
    pthread_mutex_unlock(&lk);
}

void pt__tasks_end(void)
{
    pthread_mutex_lock(&lk);
    pt__task_t *t = pending_head;
    pending_head = pending_tail = NULL;
    workers = NULL;
    nworkers = 0;
    state = ST_IDLE;
    pthread_mutex_unlock(&lk);
    while (t) {
        pt__task_t *next = t->spawn_next;
        free(t);
        t = next;
    }
}
