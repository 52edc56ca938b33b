/* Internal: the running task's context, as the modules below src/http see
 * it.
 *
 * A task that stands for a request (the only kind with a context today)
 * sets t->ops: the arena that lives as long as the request, and how a raise
 * is answered. memo, client, resilience and offload reach "the current
 * request" only through these, so they link and work without src/http; on
 * a plain thread or in a background task there is no context (NULL). */
#ifndef PT_CORE_CONTEXT_H
#define PT_CORE_CONTEXT_H

#include <stdarg.h>

#include "ponty/arena.h"
#include "ponty/error.h"
#include "core/sched.h"

struct pt__task_ops {
    pt_arena_t *(*arena)(pt__task_t *t);
    /* Records the answer to a raise; pt_raise_status_opts (error.c) then
     * leaves the coroutine. */
    void (*raise)(pt__task_t *t, int status, const pt_raise_opts_t *o);
};

/* The task of the running coroutine, or NULL on a loop's or a plain
 * thread's own stack. */
pt__task_t *pt__task_current(void);
/* The running task's arena (freed with the request; cleanups registered on
 * it with pt_arena_defer run then, also after a raise), or NULL when the
 * caller runs outside a request. */
pt_arena_t *pt__task_arena(void);
/* pt_strf (ponty/request.h) for the modules below http: a string in the
 * running task's arena. Outside a request it is a programming error: it
 * says so and aborts. */
char *pt__task_vstrf(const char *fmt, va_list ap);
char *pt__task_strf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
