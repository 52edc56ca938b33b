/* Mutex, semaphore, condition variable and sleep: see include/ponty/sync.h.
 * All of them wait through pt__wait_on (core/wait.h) under a short
 * internal pthread mutex; the clocks every part of ponty reads are here too. */
#define _GNU_SOURCE
#include "ponty/sync.h"

#include <time.h>

#include "core/sched.h"
#include "core/wait.h"

#define Q(x) (&(x))

int64_t pt_now_mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t pt_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void pt_sleep_ms(int64_t ms)
{
    if (ms < 0)
        ms = 0;
    if (pt__coro_self()) {
        pt__waiter_t w;
        pt__waiter_init(&w);
        pt__waiter_park(&w, pt_now_mono_ms() + ms);
        return;
    }
    struct timespec ts = { ms / 1000, (ms % 1000) * 1000000 };
    while (nanosleep(&ts, &ts) != 0)
        ;
}

/* ---- mutex ---- */

void pt_mutex_init(pt_mutex_t *m)
{
    pthread_mutex_init(&m->lk, NULL);
    m->locked = false;
    m->q.head = m->q.tail = NULL;
}

void pt_mutex_destroy(pt_mutex_t *m) { pthread_mutex_destroy(&m->lk); }

int pt_mutex_timedlock(pt_mutex_t *m, int64_t timeout_ms)
{
    pthread_mutex_lock(&m->lk);
    if (!m->locked) {
        m->locked = true;
        pthread_mutex_unlock(&m->lk);
        return 0;
    }
    if (timeout_ms == 0) {
        pthread_mutex_unlock(&m->lk);
        return PT_ETIMEDOUT;
    }
    pt__waiter_t w;
    pt__waiter_init(&w);
    return pt__wait_on(Q(m->q), &m->lk, &w, pt__deadline_after(timeout_ms)) ? 0 : PT_ETIMEDOUT;
}

void pt_mutex_lock(pt_mutex_t *m) { (void)pt_mutex_timedlock(m, -1); }
bool pt_mutex_trylock(pt_mutex_t *m) { return pt_mutex_timedlock(m, 0) == 0; }

void pt_mutex_unlock(pt_mutex_t *m)
{
    pthread_mutex_lock(&m->lk);
    pt__waiter_t *w = pt__waitq_pop(Q(m->q));
    if (w) {
        /* Hand-off: the mutex stays locked and now belongs to w (FIFO). */
        w->signaled = true;
        pt__waiter_wake(w);
    } else {
        m->locked = false;
    }
    pthread_mutex_unlock(&m->lk);
}

/* ---- semaphore ---- */

void pt_sem_init(pt_sem_t *s, int64_t count)
{
    pthread_mutex_init(&s->lk, NULL);
    s->count = count;
    s->q.head = s->q.tail = NULL;
}

void pt_sem_destroy(pt_sem_t *s) { pthread_mutex_destroy(&s->lk); }

int pt_sem_timedwait(pt_sem_t *s, int64_t timeout_ms)
{
    pthread_mutex_lock(&s->lk);
    /* Queued waiters go first, so a newcomer cannot overtake them. */
    if (s->count > 0 && pt__waitq_empty(Q(s->q))) {
        s->count--;
        pthread_mutex_unlock(&s->lk);
        return 0;
    }
    if (timeout_ms == 0) {
        pthread_mutex_unlock(&s->lk);
        return PT_ETIMEDOUT;
    }
    pt__waiter_t w;
    pt__waiter_init(&w);
    return pt__wait_on(Q(s->q), &s->lk, &w, pt__deadline_after(timeout_ms)) ? 0 : PT_ETIMEDOUT;
}

void pt_sem_wait(pt_sem_t *s) { (void)pt_sem_timedwait(s, -1); }
bool pt_sem_trywait(pt_sem_t *s) { return pt_sem_timedwait(s, 0) == 0; }

void pt_sem_post(pt_sem_t *s)
{
    pthread_mutex_lock(&s->lk);
    pt__waiter_t *w = pt__waitq_pop(Q(s->q));
    if (w) {
        w->signaled = true; /* the unit goes straight to the waiter */
        pt__waiter_wake(w);
    } else {
        s->count++;
    }
    pthread_mutex_unlock(&s->lk);
}

/* ---- condition variable ---- */

void pt_cond_init(pt_cond_t *c)
{
    pthread_mutex_init(&c->lk, NULL);
    c->q.head = c->q.tail = NULL;
}

void pt_cond_destroy(pt_cond_t *c) { pthread_mutex_destroy(&c->lk); }

int pt_cond_timedwait(pt_cond_t *c, pt_mutex_t *m, int64_t timeout_ms)
{
    int64_t deadline = pt__deadline_after(timeout_ms);
    pt__waiter_t w;
    pt__waiter_init(&w);
    /* m is released while c->lk is held, and pt__wait_on queues w before it
     * releases c->lk: a signal sent right after our unlock of m finds w
     * queued. (Nothing takes c->lk while holding m's internal lock, so the
     * order c->lk then m->lk cannot deadlock.) */
    pthread_mutex_lock(&c->lk);
    pt_mutex_unlock(m);
    int rc = pt__wait_on(Q(c->q), &c->lk, &w, deadline) ? 0 : PT_ETIMEDOUT;
    pt_mutex_lock(m);
    return rc;
}

void pt_cond_wait(pt_cond_t *c, pt_mutex_t *m) { (void)pt_cond_timedwait(c, m, -1); }

void pt_cond_signal(pt_cond_t *c)
{
    pthread_mutex_lock(&c->lk);
    pt__waiter_t *w = pt__waitq_pop(Q(c->q));
    if (w) {
        w->signaled = true;
        pt__waiter_wake(w);
    }
    pthread_mutex_unlock(&c->lk);
}

void pt_cond_broadcast(pt_cond_t *c)
{
    pthread_mutex_lock(&c->lk);
    pt__waiter_t *w;
    while ((w = pt__waitq_pop(Q(c->q)))) {
        w->signaled = true;
        pt__waiter_wake(w);
    }
    pthread_mutex_unlock(&c->lk);
}
