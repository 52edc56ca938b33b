/* Blocking-call offload: see include/ponty/offload.h.
 *
 * One process-wide pool. A call is a job on the caller's (coroutine) stack:
 * it is queued under the pool lock, a pool thread is signalled, and the
 * caller parks its waiter; the pool thread runs fn and wakes the waiter,
 * which puts the coroutine back on its worker's ready queue. The job is not
 * touched after that wake: the caller's frame may be gone the moment its
 * coroutine runs again.
 *
 * Room in a full queue is handed over like a mutex: the thread that takes a
 * job off the queue reserves the freed slot for the longest waiter (counts
 * it in `queued`) before waking it, so a newcomer cannot steal it. */
#define _GNU_SOURCE
#include "ponty/offload.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#include "ponty/error.h"
#include "core/offload.h"
#include "core/sched.h"
#include "core/wait.h"

enum { DEFAULT_THREADS = 16, DEFAULT_QUEUE = 1024, DEFAULT_QUEUE_TIMEOUT_MS = 5000 };

typedef struct job {
    struct job *next;
    void      (*fn)(void *arg);
    void       *arg;
    pt__waiter_t w;
} job_t;

static pthread_mutex_t lk = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t  work = PTHREAD_COND_INITIALIZER;
static job_t          *qhead, *qtail;
static unsigned        queued;        /* jobs on the list + slots reserved for woken waiters */
static unsigned        running;
static unsigned        idle;          /* threads waiting on `work` */
static pt_waitq_t      room;          /* callers waiting for queue room */
static pthread_t      *threads;
static unsigned        nthreads;
static uintptr_t       generation;    /* bumped by pt__offload_stop: threads of older ones exit */
static pt_offload_opts_t opts = { DEFAULT_THREADS, DEFAULT_QUEUE, DEFAULT_QUEUE_TIMEOUT_MS };

static void *pool_main(void *arg)
{
    uintptr_t gen = (uintptr_t)arg;
    pthread_setname_np(pthread_self(), "ponty-offload");
    pthread_mutex_lock(&lk);
    for (;;) {
        while (!qhead && gen == generation) {
            idle++;
            pthread_cond_wait(&work, &lk);
            idle--;
        }
        if (!qhead)
            break;
        job_t *j = qhead;
        qhead = j->next;
        if (!qhead)
            qtail = NULL;
        queued--;
        running++;
        pt__waiter_t *next = pt__waitq_pop(&room);
        if (next) {
            queued++;
            next->signaled = true;
            pt__waiter_wake(next);
        }
        pthread_mutex_unlock(&lk);
        j->fn(j->arg);
        /* running drops before the wake: once the caller resumes, its
         * request can end and pt_run reach pt__offload_stop, which must not
         * count this call as still running. */
        pthread_mutex_lock(&lk);
        running--;
        j->w.signaled = true;
        pt__waiter_wake(&j->w);   /* last touch of j */
    }
    pthread_mutex_unlock(&lk);
    return NULL;
}

/* Under lk: the pool's threads, started at the first call. 0 or PT_ENOMEM. */
static int start_locked(void)
{
    if (nthreads)
        return 0;
    threads = calloc(opts.threads, sizeof *threads);
    if (!threads)
        return -1;
    for (unsigned i = 0; i < opts.threads; i++) {
        if (pthread_create(&threads[nthreads], NULL, pool_main, (void *)generation) != 0)
            break;
        nthreads++;
    }
    if (!nthreads) {
        free(threads);
        threads = NULL;
        return -1;
    }
    if (nthreads < opts.threads)
        fprintf(stderr, "ponty: offload pool: started %u of %u threads\n", nthreads, opts.threads);
    return 0;
}

int pt_offload_timed(void (*fn)(void *arg), void *arg, int64_t queue_timeout_ms)
{
    if (!fn)
        return PT_EINVAL;
    if (!pt__coro_self() || !pt__sched_self()) {
        fn(arg);
        return 0;
    }
    job_t j = { .fn = fn, .arg = arg };
    pt__waiter_init(&j.w);
    pthread_mutex_lock(&lk);
    if (start_locked() != 0) {
        pthread_mutex_unlock(&lk);
        fprintf(stderr, "ponty: offload pool: cannot start a thread\n");
        return PT_EBUSY;
    }
    /* Waiters first: a newcomer does not pass callers already waiting. */
    if (queued >= opts.queue || !pt__waitq_empty(&room)) {
        if (queue_timeout_ms == 0) {
            pthread_mutex_unlock(&lk);
            return PT_EBUSY;
        }
        pt__waiter_t w;
        pt__waiter_init(&w);
        pt__waitq_push(&room, &w);
        pthread_mutex_unlock(&lk);
        pt__waiter_park(&w, pt__deadline_after(queue_timeout_ms));
        pthread_mutex_lock(&lk);
        if (!w.signaled) {
            pt__waitq_remove(&room, &w);
            pthread_mutex_unlock(&lk);
            return PT_EBUSY;
        }
        /* The waker reserved our slot in `queued`. */
    } else {
        queued++;
    }
    if (qtail)
        qtail->next = &j;
    else
        qhead = &j;
    qtail = &j;
    if (idle)
        pthread_cond_signal(&work);
    pthread_mutex_unlock(&lk);
    pt__waiter_park(&j.w, -1);
    return 0;
}

int pt_offload(void (*fn)(void *arg), void *arg)
{
    pthread_mutex_lock(&lk);
    int64_t timeout = opts.queue_timeout_ms;
    pthread_mutex_unlock(&lk);
    return pt_offload_timed(fn, arg, timeout);
}

void pt_offload_or_raise(void (*fn)(void *arg), void *arg)
{
    int rc = pt_offload(fn, arg);
    if (rc == PT_EBUSY)
        pt_raise_status(503, .text = "offload queue full");
    if (rc != 0) {
        fprintf(stderr, "ponty: pt_offload_or_raise: no function to call\n");
        abort();
    }
}

pt_offload_stats_t pt_offload_stats(void)
{
    pthread_mutex_lock(&lk);
    pt_offload_stats_t s = { running, queued, nthreads };
    pthread_mutex_unlock(&lk);
    return s;
}

void pt__offload_configure(const pt_offload_opts_t *o)
{
    pthread_mutex_lock(&lk);
    opts.threads = o->threads ? o->threads : DEFAULT_THREADS;
    opts.queue = o->queue ? o->queue : DEFAULT_QUEUE;
    opts.queue_timeout_ms = o->queue_timeout_ms ? o->queue_timeout_ms : DEFAULT_QUEUE_TIMEOUT_MS;
    pthread_mutex_unlock(&lk);
}

int pt__offload_stop(void)
{
    pthread_mutex_lock(&lk);
    if (!nthreads) {
        pthread_mutex_unlock(&lk);
        return 0;
    }
    if (running || queued) {
        /* Calls of abandoned requests: their threads cannot be joined. */
        unsigned busy = running + queued;
        pthread_mutex_unlock(&lk);
        fprintf(stderr, "ponty: offload pool: %u call(s) still running at exit\n", busy);
        return -1;
    }
    generation++;
    pthread_cond_broadcast(&work);
    pthread_t *ts = threads;
    unsigned n = nthreads;
    threads = NULL;
    nthreads = 0;
    pthread_mutex_unlock(&lk);
    for (unsigned i = 0; i < n; i++)
        pthread_join(ts[i], NULL);
    free(ts);
    return 0;
}
