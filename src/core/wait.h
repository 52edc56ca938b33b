/* Internal: the one way anything in ponty waits.
 *
 * A waiter stands for the caller: the running coroutine (which suspends) or a
 * plain thread (which blocks on a futex). A primitive (mutex, semaphore,
 * cache entry, barrier...) queues the waiter under its own lock, drops the
 * lock, and parks. Whoever satisfies the wait sets `signaled` under the
 * primitive's lock and calls pt__waiter_wake. A wake and a deadline can race;
 * an atomic state makes sure the coroutine is resumed exactly once, and the
 * primitive decides the outcome from `signaled` (under its lock), so a wake
 * that lands just after the deadline still hands over what it carried. */
#ifndef PT_WAIT_H
#define PT_WAIT_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "ponty/sync.h"
#include "core/coro.h"
#include "core/list.h"
#include "core/sched.h"

typedef struct pt__waiter {
    pt__link_t        link;         /* the primitive's queue */
    pt__coro_t        *co;           /* NULL: a plain thread */
    pt__sched_t       *sched;
    _Atomic uint32_t  state;        /* 0 parked, 1 woken, 2 deadline passed */
    bool              signaled;     /* written under the primitive's lock */
    void             *payload;      /* what the waker hands over, if anything */
} pt__waiter_t;

/* pt_waitq_t, the queue, is declared in ponty/sync.h (embedded in
 * pt_mutex_t and friends). */

/* Binds w to the caller. */
void pt__waiter_init(pt__waiter_t *w);
/* Suspends or blocks until woken or until deadline (pt_now_mono_ms scale;
 * < 0 waits forever). Returns true if woken by pt__waiter_wake. */
bool pt__waiter_park(pt__waiter_t *w, int64_t deadline_ms);
/* Any thread; at most one effective wake per park. */
void pt__waiter_wake(pt__waiter_t *w);

/* FIFO queue helpers; the caller holds the primitive's lock. */
void         pt__waitq_push(pt_waitq_t *q, pt__waiter_t *w);
pt__waiter_t *pt__waitq_pop(pt_waitq_t *q);
void         pt__waitq_remove(pt_waitq_t *q, pt__waiter_t *w);
static inline bool pt__waitq_empty(const pt_waitq_t *q) { return q->head == NULL; }

/* The waiting half of every primitive, written once. Call with lk (the
 * primitive's lock) held and w initialised (pt__waiter_init, plus whatever
 * the waker fills in). Queues w on q, releases lk and parks until a waker
 * pops w, sets w->signaled and wakes it, or until deadline passes. On a
 * missed deadline it relocks lk and withdraws w from q unless a waker
 * signalled it first (the waker decides under lk, so what it handed over is
 * kept). Returns with lk released: true if signalled, false if the deadline
 * passed first. */
bool pt__wait_on(pt_waitq_t *q, pthread_mutex_t *lk, pt__waiter_t *w, int64_t deadline_ms);

/* Deadline helper: timeout_ms < 0 means none. */
int64_t pt__deadline_after(int64_t timeout_ms);

#endif
