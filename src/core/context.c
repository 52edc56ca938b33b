/* The running task's context (context.h): the request's arena and raise,
 * reached by the modules below src/http without knowing the request. */
#include "core/context.h"

#include <stdio.h>
#include <stdlib.h>

#include "core/coro.h"

pt__task_t *pt__task_current(void)
{
    pt__coro_t *co = pt__coro_self();
    return co ? pt__coro_data(co) : NULL;
}

pt_arena_t *pt__task_arena(void)
{
    pt__task_t *t = pt__task_current();
    return t && t->ops ? t->ops->arena(t) : NULL;
}

char *pt__task_vstrf(const char *fmt, va_list ap)
{
    pt_arena_t *a = pt__task_arena();
    if (!a) {
        fprintf(stderr, "ponty: pt_strf called outside a request\n");
        abort();
    }
    return pt_arena_vprintf(a, fmt, ap);
}

char *pt__task_strf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *s = pt__task_vstrf(fmt, ap);
    va_end(ap);
    return s;
}
