/* Internal: stackful coroutines.
 *
 * A coroutine runs fn(arg) on its own mmap'd stack (guard page below it) and
 * switches back to whoever resumed it with pt__coro_yield. Coroutines are bound
 * to the thread that created them: only that thread resumes them; other
 * threads wake them through the worker's ready queue (sched.h).
 *
 * The switch is hand-written for x86_64 and aarch64 (coro_switch_*.S); build
 * with -DPT_CORO_UCONTEXT=ON to use ucontext instead. */
#ifndef PT_CORO_H
#define PT_CORO_H

#include <stdbool.h>
#include <stddef.h>

typedef struct pt__coro pt__coro_t;
typedef struct pt__coro_pool pt__coro_pool_t;
typedef void (*pt__coro_fn)(void *arg);

/* stack_size is rounded up to pages; 0 picks PT_CORO_DEFAULT_STACK.
 * max_cached bounds how many finished coroutines (with their stacks) are kept. */
#define PT_CORO_DEFAULT_STACK (256 * 1024)
pt__coro_pool_t *pt__coro_pool_new(size_t stack_size, unsigned max_cached);
/* Unmaps every cached stack. Coroutines still alive must be released first. */
void            pt__coro_pool_free(pt__coro_pool_t *pool);

/* A coroutine ready to run fn(arg) at its first resume; NULL if mmap fails. */
pt__coro_t *pt__coro_new(pt__coro_pool_t *pool, pt__coro_fn fn, void *arg);
/* Runs co until it yields (returns true) or finishes (returns false). */
bool       pt__coro_resume(pt__coro_t *co);
/* Gives the finished coroutine and its stack back to its pool. */
void       pt__coro_release(pt__coro_t *co);

/* Inside a coroutine: back to the resumer. Outside: no-op. */
void       pt__coro_yield(void);
/* Inside a coroutine: finish now, abandoning the frames above the entry, as
 * if fn had returned. Resources of those frames must be owned by cleanups. */
_Noreturn void pt__coro_exit(void);
/* The running coroutine on this thread, or NULL on a plain stack. */
pt__coro_t *pt__coro_self(void);

/* One pointer of user data per coroutine, and a link for run queues. */
void      *pt__coro_data(const pt__coro_t *co);
void       pt__coro_set_data(pt__coro_t *co, void *data);
pt__coro_t **pt__coro_link(pt__coro_t *co);

/* Stack bounds, for tests (guard page sits just below lo). */
void       pt__coro_stack(const pt__coro_t *co, void **lo, size_t *size);

#endif
