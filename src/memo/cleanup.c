/* Cleanups of values that left a cache: at once on the releasing thread, or
 * after .cleanup_delay_ms on one background thread (started on first use),
 * so a client that is still finishing a request is closed only later. */
#include <pthread.h>
#include <stdlib.h>

#include "memo/memo.h"
#include "core/sched.h"

typedef struct job {
    struct job         *next;
    int64_t             due_ms;  /* monotonic */
    pt_cache_cleanup_fn fn;
    void               *value;
    void               *ud;
    json_t             *json;
} job_t;

static pthread_mutex_t lk = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t  cv;      /* monotonic clock; initialised with the thread */
static pthread_cond_t  idle_cv = PTHREAD_COND_INITIALIZER;
static job_t          *jobs;    /* sorted by due_ms */
static size_t          njobs;
static int             running; /* jobs being run right now by the thread */
static bool            started;

static void run_job(job_t *j)
{
    if (j->fn)
        j->fn(j->value, j->ud);
    json_decref(j->json);
    free(j);
}

static void *cleanup_main(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&lk);
    for (;;) {
        if (!jobs) {
            pthread_cond_wait(&cv, &lk);
            continue;
        }
        int64_t now = pt_now_mono_ms();
        if (jobs->due_ms > now) {
            struct timespec ts;
            clock_gettime(CLOCK_MONOTONIC, &ts);
            int64_t left = jobs->due_ms - now;
            ts.tv_sec += left / 1000;
            ts.tv_nsec += (left % 1000) * 1000000;
            if (ts.tv_nsec >= 1000000000) {
                ts.tv_sec++;
                ts.tv_nsec -= 1000000000;
            }
            pthread_cond_timedwait(&cv, &lk, &ts);
            continue;
        }
        job_t *j = jobs;
        jobs = j->next;
        njobs--;
        running++;
        pthread_mutex_unlock(&lk);
        run_job(j);
        pthread_mutex_lock(&lk);
        running--;
        pthread_cond_broadcast(&idle_cv);
    }
    return NULL;
}

void pt__memo_cleanup_schedule(pt_cache_cleanup_fn fn, void *value, void *ud, json_t *json,
                              int64_t delay_ms)
{
    if (delay_ms <= 0) {
        if (fn)
            fn(value, ud);
        json_decref(json);
        return;
    }
    job_t *j = malloc(sizeof *j);
    if (!j) { /* out of memory: better early than never */
        if (fn)
            fn(value, ud);
        json_decref(json);
        return;
    }
    *j = (job_t){ .due_ms = pt_now_mono_ms() + delay_ms, .fn = fn, .value = value, .ud = ud, .json = json };
    pthread_mutex_lock(&lk);
    if (!started) {
        pthread_condattr_t a;
        pthread_condattr_init(&a);
        pthread_condattr_setclock(&a, CLOCK_MONOTONIC);
        pthread_cond_init(&cv, &a);
        pthread_condattr_destroy(&a);
        pthread_t th;
        pthread_attr_t ta;
        pthread_attr_init(&ta);
        pthread_attr_setdetachstate(&ta, PTHREAD_CREATE_DETACHED);
        if (pthread_create(&th, &ta, cleanup_main, NULL) == 0)
            started = true;
        pthread_attr_destroy(&ta);
        if (!started) {
            pthread_mutex_unlock(&lk);
            run_job(j);
            return;
        }
    }
    job_t **pp = &jobs;
    while (*pp && (*pp)->due_ms <= j->due_ms)
        pp = &(*pp)->next;
    j->next = *pp;
    *pp = j;
    njobs++;
    pthread_cond_signal(&cv);
    pthread_mutex_unlock(&lk);
}

size_t pt_memo_cleanups_pending(void)
{
    pthread_mutex_lock(&lk);
    size_t n = njobs + (size_t)running;
    pthread_mutex_unlock(&lk);
    return n;
}

size_t pt_memo_cleanups_flush(int64_t timeout_ms)
{
    int64_t deadline = timeout_ms < 0 ? -1 : pt_now_mono_ms() + timeout_ms;
    pthread_mutex_lock(&lk);
    /* Run the queued ones here, now, one at a time so a timeout can stop us. */
    while (jobs && (deadline < 0 || pt_now_mono_ms() < deadline)) {
        job_t *j = jobs;
        jobs = j->next;
        njobs--;
        pthread_mutex_unlock(&lk);
        run_job(j);
        pthread_mutex_lock(&lk);
    }
    /* ...and wait for the one the thread may be running. */
    while (running && (deadline < 0 || pt_now_mono_ms() < deadline)) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_nsec += 10 * 1000000;
        if (ts.tv_nsec >= 1000000000) {
            ts.tv_sec++;
            ts.tv_nsec -= 1000000000;
        }
        pthread_cond_timedwait(&idle_cv, &lk, &ts);
    }
    size_t left = njobs + (size_t)running;
    pthread_mutex_unlock(&lk);
    return left;
}

size_t pt_memo_cleanups_cancel(void)
{
    pthread_mutex_lock(&lk);
    job_t *j = jobs;
    jobs = NULL;
    size_t n = njobs;
    njobs = 0;
    pthread_mutex_unlock(&lk);
    while (j) {
        job_t *next = j->next;
        json_decref(j->json); /* the cleanup is cancelled, our reference still goes */
        free(j);
        j = next;
    }
    return n;
}
