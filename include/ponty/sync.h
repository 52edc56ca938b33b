/* ponty/sync.h — waiting that suspends a coroutine or blocks a thread.
 *
 * Every primitive here works from a request coroutine (it suspends just that
 * request; its worker goes on serving others) and from a plain thread (it
 * blocks that thread). They are process-wide and thread-safe: a coroutine on
 * one worker can wait for a mutex held by a coroutine on another worker, or
 * by a plain thread. Waiters are queued FIFO and woken by the releaser: there
 * is no polling.
 *
 * Timeouts are in milliseconds: a negative timeout waits forever, 0 tries
 * once. Timed calls return 0 on success and PT_ETIMEDOUT otherwise. */
#ifndef PONTY_SYNC_H
#define PONTY_SYNC_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define PT_ETIMEDOUT 110 /* same value as ETIMEDOUT on Linux */

/* Suspends the calling coroutine (or sleeps the thread) for ms milliseconds. */
void pt_sleep_ms(int64_t ms);

/* Milliseconds on a monotonic clock (deadlines, durations), and on the wall
 * clock since the epoch (timestamps). ponty's own code reads these two. */
int64_t pt_now_mono_ms(void);
int64_t pt_now_ms(void);

struct pt__link;
/* The FIFO of waiters every primitive embeds: the library's one intrusive
 * list (src/core/list.h); internal, public only so the primitives can be
 * declared and statically initialised. */
typedef struct pt_waitq { struct pt__link *head, *tail; } pt_waitq_t;

/* Mutex. Not recursive. Unlock hands the mutex to the longest waiter. */
typedef struct pt_mutex {
    pthread_mutex_t lk;
    bool            locked;
    pt_waitq_t      q;
} pt_mutex_t;
#define PT_MUTEX_INIT { PTHREAD_MUTEX_INITIALIZER, false, { 0, 0 } }

void pt_mutex_init(pt_mutex_t *m);
void pt_mutex_destroy(pt_mutex_t *m);
void pt_mutex_lock(pt_mutex_t *m);
int  pt_mutex_timedlock(pt_mutex_t *m, int64_t timeout_ms);
bool pt_mutex_trylock(pt_mutex_t *m);
void pt_mutex_unlock(pt_mutex_t *m);

/* Counting semaphore. */
typedef struct pt_sem {
    pthread_mutex_t lk;
    int64_t         count;
    pt_waitq_t      q;
} pt_sem_t;
#define PT_SEM_INIT(n) { PTHREAD_MUTEX_INITIALIZER, (n), { 0, 0 } }

void pt_sem_init(pt_sem_t *s, int64_t count);
void pt_sem_destroy(pt_sem_t *s);
void pt_sem_wait(pt_sem_t *s);
int  pt_sem_timedwait(pt_sem_t *s, int64_t timeout_ms);
bool pt_sem_trywait(pt_sem_t *s);
void pt_sem_post(pt_sem_t *s);

/* Condition variable, used with a pt_mutex_t. Spurious wake-ups do not
 * happen, but as with any condition variable, re-check the predicate: another
 * waiter may have consumed the state between the signal and the wake-up. */
typedef struct pt_cond {
    pthread_mutex_t lk;
    pt_waitq_t      q;
} pt_cond_t;
#define PT_COND_INIT { PTHREAD_MUTEX_INITIALIZER, { 0, 0 } }

void pt_cond_init(pt_cond_t *c);
void pt_cond_destroy(pt_cond_t *c);
void pt_cond_wait(pt_cond_t *c, pt_mutex_t *m);
int  pt_cond_timedwait(pt_cond_t *c, pt_mutex_t *m, int64_t timeout_ms);
void pt_cond_signal(pt_cond_t *c);
void pt_cond_broadcast(pt_cond_t *c);

#ifdef __cplusplus
}
#endif

#endif
