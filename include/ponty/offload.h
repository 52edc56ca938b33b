/* ponty/offload.h — blocking calls without blocking the worker.
 *
 * A handler that calls a blocking function (sqlite3_step, PQexec, read(2) on
 * a slow disk, a CPU-heavy loop) freezes every other request of its worker
 * for as long as the call lasts. pt_offload runs the function on a thread of
 * a bounded pool instead and suspends only the calling coroutine until it
 * returns:
 *
 *     typedef struct { const char *path; long size; } stat_call;
 *
 *     static void stat_file(void *arg)          // on a pool thread: may block
 *     {
 *         stat_call *c = arg;
 *         struct stat st;
 *         c->size = stat(c->path, &st) == 0 ? (long)st.st_size : -1;
 *     }
 *
 *     PT_GET("/size", size) {
 *         stat_call c = { .path = "/etc/hostname" };
 *         pt_offload_or_raise(stat_file, &c);     // 503 if the pool stays full
 *         return json_pack("{s:i}", "size", c.size);
 *     }
 *
 * fn runs on another thread: thread-local state (errno, a library's
 * per-thread handles) is that thread's, not the worker's; what fn needs goes
 * through arg, which may live on the caller's stack since the caller waits.
 * docs/offload.md tells which library state is safe to share and what must
 * not be held across the wait.
 *
 * Called from a plain thread (no coroutine: main, a provider's startup, a
 * pool thread itself), pt_offload simply calls fn(arg) and returns 0.
 *
 * The pool. pt_run's .offload options size it; outside pt_run the defaults
 * apply. Its threads start at the first offloaded call (a service that never
 * offloads has none) and are joined when pt_run returns; a later call starts
 * them again. At most .queue calls wait for a thread; a call that finds the
 * queue full waits (suspended) for room, up to .queue_timeout_ms, then gives
 * up with PT_EBUSY without running fn. At shutdown a worker's drain waits for
 * its requests and tasks, including those inside pt_offload, within
 * limits.shutdown_timeout_ms; a call still running after that is abandoned
 * with its request, and its pool thread is left to the process's exit. */
#ifndef PONTY_OFFLOAD_H
#define PONTY_OFFLOAD_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define PT_EBUSY  16 /* EBUSY on Linux: the queue stayed full for the whole wait
                        (or no pool thread could be started) */
#define PT_EINVAL 22 /* EINVAL on Linux: fn is NULL */

typedef struct pt_offload_opts {
    unsigned threads;          /* pool threads; default 16 */
    unsigned queue;            /* calls waiting for a free thread; default 1024 */
    int64_t  queue_timeout_ms; /* wait for room in a full queue; default 5000, < 0 forever */
} pt_offload_opts_t;

/* Runs fn(arg) on a pool thread and suspends the calling coroutine until it
 * returned. 0 once fn ran; PT_EBUSY (fn did not run); PT_EINVAL. */
int  pt_offload(void (*fn)(void *arg), void *arg);
/* The same with this call's own wait for queue room (< 0 forever, 0 none). */
int  pt_offload_timed(void (*fn)(void *arg), void *arg, int64_t queue_timeout_ms);
/* In a handler: pt_offload, answering 503 "offload queue full" on PT_EBUSY
 * (and aborting on PT_EINVAL, a programming error). */
void pt_offload_or_raise(void (*fn)(void *arg), void *arg);

/* What the pool is doing now: calls running on its threads, calls queued,
 * threads started. For metrics and tests. */
typedef struct pt_offload_stats {
    unsigned running, queued, threads;
} pt_offload_stats_t;
pt_offload_stats_t pt_offload_stats(void);

#ifdef __cplusplus
}
#endif

#endif
