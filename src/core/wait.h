/* Internal: the one way anything in ponty waits.
 *
 * A waiter stands for the caller: the running coroutine (which suspends) or a
 * plain thread (which blocks on a futex). A primitive (mutex, semaphore,
 * cache entry, barrier...) queues the waiter under its own lock, drops the
 * lock, and parks. Whoever satisfies the wait sets `signaled` under the
 * primitive's lock and calls pt_waiter_wake. A wake and a deadline can race;
 * an atomic state makes sure the coroutine is resumed exactly once, and the
 * primitive decides the outcome from `signaled` (under its lock), so a wake
 * that lands just after the deadline still hands over what it carried. */
#ifndef PT_WAIT_H
#define PT_WAIT_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "ponty/sync.h"
#include "core/coro.h"
#include "core/sched.h"

typedef struct pt_waiter {
    struct pt_waiter *next, *prev;  /* the primitive's queue */
    pt_coro_t        *co;           /* NULL: a plain thread */
    pt_sched_t       *sched;
    _Atomic uint32_t  state;        /* 0 parked, 1 woken, 2 deadline passed */
    bool              signaled;     /* written under the primitive's lock */
    void             *payload;      /* what the waker hands over, if anything */
} pt_waiter_t;

/* The queue type is public (embedded in pt_mutex_t and friends). */
typedef pt_waitlist_t pt_waitq_t;

/* Binds w to the caller. */
void pt_waiter_init(pt_waiter_t *w);
/* Suspends or blocks until woken or until deadline (pt_mono_ms scale; < 0
 * waits forever). Returns true if woken by pt_waiter_wake. */
bool pt_waiter_park(pt_waiter_t *w, int64_t deadline_ms);
/* Any thread; at most one effective wake per park. */
void pt_waiter_wake(pt_waiter_t *w);

/* FIFO queue helpers; the caller holds the primitive's lock. */
void         pt_waitq_push(pt_waitq_t *q, pt_waiter_t *w);
pt_waiter_t *pt_waitq_pop(pt_waitq_t *q);
void         pt_waitq_remove(pt_waitq_t *q, pt_waiter_t *w);
static inline bool pt_waitq_empty(const pt_waitq_t *q) { return q->head == 0; }

/* Deadline helper: timeout_ms < 0 means none. */
int64_t pt_deadline_after(int64_t timeout_ms);

#endif
