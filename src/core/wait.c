/* Waiters: see wait.h. */
#define _GNU_SOURCE
#include "core/wait.h"

#include <errno.h>
#include <linux/futex.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

enum { PT_W_PARKED = 0, PT_W_WOKEN = 1, PT_W_EXPIRED = 2 };

int64_t pt__deadline_after(int64_t timeout_ms)
{
    return timeout_ms < 0 ? -1 : pt_now_mono_ms() + timeout_ms;
}

void pt__waiter_init(pt__waiter_t *w)
{
    w->link.next = w->link.prev = NULL;
    w->co = pt__coro_self();
    w->sched = w->co ? pt__sched_self() : NULL;
    if (w->co && !w->sched) {
        fprintf(stderr, "ponty: a coroutine waited outside a scheduler\n");
        abort();
    }
    atomic_store_explicit(&w->state, PT_W_PARKED, memory_order_relaxed);
    w->signaled = false;
    w->payload = NULL;
}

static void on_deadline(uv_timer_t *t)
{
    pt__waiter_t *w = t->data;
    uint32_t expect = PT_W_PARKED;
    if (atomic_compare_exchange_strong(&w->state, &expect, PT_W_EXPIRED))
        pt__sched_ready(w->sched, w->co);
}

static long futex_op(_Atomic uint32_t *addr, int op, uint32_t val, const struct timespec *ts)
{
    return syscall(SYS_futex, (uint32_t *)addr, op | FUTEX_PRIVATE_FLAG, val, ts, NULL, 0);
}

bool pt__waiter_park(pt__waiter_t *w, int64_t deadline_ms)
{
    if (w->co) {
        uv_timer_t *timer = NULL;
        if (deadline_ms >= 0) {
            int64_t left = deadline_ms - pt_now_mono_ms();
            timer = pt__sched_timer_get(w->sched);
            timer->data = w;
            uv_update_time(pt__sched_loop(w->sched));
            /* Loop time is whole milliseconds rounded down, so a timer can
             * fire up to 1 ms before its due time: add that 1 ms, so that a
             * sleep or a deadline never ends early. */
            uv_timer_start(timer, on_deadline, left > 0 ? (uint64_t)left + 1 : 0, 0);
        }
        /* Even if a wake already happened, its resume is queued: yield and
         * let the queue bring us back, exactly once. */
        pt__coro_yield();
        if (timer)
            pt__sched_timer_put(w->sched, timer);
        return atomic_load(&w->state) == PT_W_WOKEN;
    }
    for (;;) {
        uint32_t st = atomic_load(&w->state);
        if (st != PT_W_PARKED)
            return st == PT_W_WOKEN;
        struct timespec ts, *tsp = NULL;
        if (deadline_ms >= 0) {
            int64_t left = deadline_ms - pt_now_mono_ms();
            if (left <= 0) {
                uint32_t expect = PT_W_PARKED;
                if (atomic_compare_exchange_strong(&w->state, &expect, PT_W_EXPIRED))
                    return false;
                continue;
            }
            ts.tv_sec = left / 1000;
            ts.tv_nsec = (left % 1000) * 1000000;
            tsp = &ts;
        }
        futex_op(&w->state, FUTEX_WAIT, PT_W_PARKED, tsp);
    }
}

void pt__waiter_wake(pt__waiter_t *w)
{
    /* Read w before the exchange: once the state says woken, a waiting
     * thread may see it without sleeping, return, and reuse the stack w
     * lives on (a coroutine cannot: it runs again only once made ready). The
     * futex wake on a stale address is harmless: a futex waiter re-checks
     * its state and waits again. */
    pt__coro_t *co = w->co;
    pt__sched_t *sched = w->sched;
    uint32_t expect = PT_W_PARKED;
    if (!atomic_compare_exchange_strong(&w->state, &expect, PT_W_WOKEN))
        return;
    if (co)
        pt__sched_ready(sched, co);
    else
        futex_op(&w->state, FUTEX_WAKE, 1, NULL);
}

bool pt__wait_on(pt_waitq_t *q, pthread_mutex_t *lk, pt__waiter_t *w, int64_t deadline_ms)
{
    pt__waitq_push(q, w);
    pthread_mutex_unlock(lk);
    if (pt__waiter_park(w, deadline_ms))
        return true;
    /* The deadline won the race for w->state, but a waker may still have
     * popped and signalled w under lk just before: then w is no longer
     * queued and what the waker handed over is ours. */
    pthread_mutex_lock(lk);
    bool got = w->signaled;
    if (!got)
        pt__waitq_remove(q, w);
    pthread_mutex_unlock(lk);
    return got;
}

void pt__waitq_push(pt_waitq_t *q, pt__waiter_t *w) { pt__list_push_back(q, &w->link); }

pt__waiter_t *pt__waitq_pop(pt_waitq_t *q)
{
    pt__link_t *l = pt__list_pop_front(q);
    return l ? PT__ELEM(l, pt__waiter_t, link) : NULL;
}

void pt__waitq_remove(pt_waitq_t *q, pt__waiter_t *w) { pt__list_remove(q, &w->link); }
