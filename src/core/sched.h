/* Internal: one scheduler per worker thread, on that thread's libuv loop.
 *
 * A task is a unit of work run in its own coroutine. pt__sched_start runs it at
 * once until it first suspends, so a handler that never waits costs no queue
 * round trip. Suspended coroutines come back through the ready queue, which
 * any thread may feed (pt__sched_ready); a cross-thread wake costs one
 * uv_async_send. */
#ifndef PT_SCHED_H
#define PT_SCHED_H

#include <stdint.h>
#include <uv.h>

#include "core/coro.h"
#include "ponty/sync.h"

typedef struct pt__sched pt__sched_t;
typedef struct pt__task pt__task_t;
typedef struct pt__task_ops pt__task_ops_t; /* core/context.h */

struct pt__task {
    void (*run)(pt__task_t *t);   /* runs in the coroutine */
    void (*done)(pt__task_t *t);  /* runs on the loop's stack once run returned or the coroutine exited */
    pt__coro_t  *co;
    pt__sched_t *sched;
    pt__task_t  *spawn_next;      /* pt__sched_spawn's inbox */
    const pt__task_ops_t *ops;    /* a request's context (context.h); NULL for other tasks */
};

/* Binds a scheduler to loop and to the calling thread. */
pt__sched_t *pt__sched_new(uv_loop_t *loop, size_t stack_size);
/* Closes the scheduler's handles (runs the loop until they are closed). */
void        pt__sched_free(pt__sched_t *s);
/* The scheduler of the calling thread, or NULL on a plain thread. */
pt__sched_t *pt__sched_self(void);
/* Makes s (NULL: none) the calling thread's scheduler and returns the one
 * before: a thread that drives several loops in turn (test clients,
 * testclient.c) binds the one it is about to run. */
pt__sched_t *pt__sched_bind(pt__sched_t *s);
uv_loop_t  *pt__sched_loop(pt__sched_t *s);

/* Starts t in a coroutine and runs it until it suspends or finishes. The
 * coroutine is one parked by a task that finished before (warm stack, no
 * set-up), else a new one from the pool. Returns -1 if no stack could be
 * had (t->done is not called then). */
int         pt__sched_start(pt__sched_t *s, pt__task_t *t);
/* Any thread: t starts in a new coroutine on s's loop at its next turn
 * (never inside the caller's own stack, so a coroutine may spawn). It counts
 * in pt__sched_live from this call on. If no stack can be had when its turn
 * comes, t->done runs without t->run and t->co stays NULL. */
void        pt__sched_spawn(pt__sched_t *s, pt__task_t *t);
/* Puts a suspended coroutine of s back to run. Any thread. */
void        pt__sched_ready(pt__sched_t *s, pt__coro_t *co);

/* Timers for waits with a deadline, pooled per scheduler. */
uv_timer_t *pt__sched_timer_get(pt__sched_t *s);
void        pt__sched_timer_put(pt__sched_t *s, uv_timer_t *t);

/* fn(arg) runs on s's thread when s is freed, before its handles are
 * closed, last registered first: per-worker state built on the loop (the
 * HTTP client's curl multi handle and its uv handles) is released there. */
void        pt__sched_on_free(pt__sched_t *s, void (*fn)(void *), void *arg);

/* Number of tasks spawned or started and not yet done. */
unsigned    pt__sched_live(const pt__sched_t *s);

/* The clocks are pt_now_mono_ms and pt_now_ms (ponty/sync.h). */

#endif
