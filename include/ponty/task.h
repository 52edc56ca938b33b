/* ponty/task.h — background coroutines not tied to a request.
 *
 *     static atomic_long refreshed;
 *     static void refresh(void *arg) {                  // may sleep, lock, offload
 *         atomic_fetch_add(&refreshed, 1);
 *     }
 *
 *     static int start(void *arg) {                     // a provider's startup
 *         return pt_every(60000, refresh, NULL);        // now, then every minute until shutdown
 *     }
 *
 * pt_spawn(fn, arg) runs fn(arg) once in its own coroutine on a worker;
 * pt_every(ms, fn, arg) runs fn(arg) at once and then every ms milliseconds
 * (measured from the end of one run to the start of the next) until shutdown.
 * Inside fn, everything a handler can do that waits works the same way:
 * pt_sleep_ms, the sync.h primitives, caches and locks, pt_offload. What
 * belongs to a request does not exist there: pt_req_current() is NULL,
 * pt_strf and pt_raise abort.
 *
 * Where they run:
 *   - from a worker (a handler or another task): on that worker;
 *   - from a provider's startup (before the workers run): queued, then
 *     spread round-robin over the workers once they all run; if pt_run then
 *     fails to start, queued tasks are dropped without running;
 *   - from any other thread while pt_run serves: round-robin over the workers;
 *   - outside pt_run, from a thread that runs a scheduler of its own (unit
 *     tests): on that scheduler;
 *   - anywhere else (no server, or after shutdown began): not at all, the
 *     call returns PT_ENOTRUNNING.
 * A task starts at its worker's next loop turn, never inside the caller.
 *
 * Shutdown. On SIGINT/SIGTERM pt_stopping() becomes true, pt_wait_stop_ms
 * returns at once in every task, pt_every stops scheduling new runs (a run
 * in progress finishes) and pt_spawn/pt_every return PT_ENOTRUNNING. A worker's
 * drain waits for its tasks exactly as for its requests: until they return,
 * at most limits.shutdown_timeout_ms, after which they are abandoned with
 * the worker. A plain pt_sleep_ms is NOT cut short at shutdown (a handler's
 * sleep is part of its answer): a task that waits for long should wait with
 * pt_wait_stop_ms instead.
 *
 * fn's arg is the caller's: it must outlive the task (static data, or memory
 * the task frees itself). */
#ifndef PONTY_TASK_H
#define PONTY_TASK_H

#include <stdbool.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define PT_ENOTRUNNING 108 /* ESHUTDOWN on Linux: no server to run on, or shutdown has begun */
#define PT_ENOMEM      12  /* ENOMEM on Linux */

/* 0, or PT_ENOTRUNNING (fn does not run), or PT_ENOMEM. */
int  pt_spawn(void (*fn)(void *arg), void *arg);
/* ms must be > 0; 0, PT_ENOTRUNNING, PT_ENOMEM, or -1 for a bad interval. */
int  pt_every(int64_t ms, void (*fn)(void *arg), void *arg);

/* True from the shutdown signal until the next pt_run starts. */
bool pt_stopping(void);
/* Waits up to ms (< 0: forever) or until shutdown begins, whichever is
 * first; returns pt_stopping(). The loop of a background task:
 *     while (!pt_wait_stop_ms(1000)) poll();                              */
bool pt_wait_stop_ms(int64_t ms);

#ifdef __cplusplus
}
#endif

#endif
