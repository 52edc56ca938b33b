/* Raising HTTP errors: the running task records the answer (its ops, set
 * by src/http for a request), then its coroutine is left for good
 * (core/coro.h pt__coro_exit). In core so that every module can raise
 * without linking src/http. */
#include "ponty/error.h"

#include <stdio.h>
#include <stdlib.h>

#include "core/context.h"
#include "core/coro.h"

const pt_error_kind_t pt_error_generic = { "PontyError", 500, NULL };
const pt_error_kind_t pt_error_does_not_exist = { "DoesNotExist", 404, &pt_error_generic };
const pt_error_kind_t pt_error_validation = { "ValidationError", 400, &pt_error_generic };
const pt_error_kind_t pt_error_locked = { "Locked", 409, &pt_error_generic };
const pt_error_kind_t pt_error_stampede = { "Stampede", 409, &pt_error_locked };

bool pt_error_kind_is(const pt_error_kind_t *kind, const pt_error_kind_t *base)
{
    for (; kind; kind = kind->base)
        if (kind == base)
            return true;
    return false;
}

_Noreturn void pt_raise_status_opts(int status, const pt_raise_opts_t *o)
{
    pt__task_t *t = pt__task_current();
    if (!t || !t->ops) {
        fprintf(stderr, "ponty: pt_raise_status(%d%s%s) outside a request\n", status,
                o->text ? ", " : "", o->text ? o->text : "");
        abort();
    }
    t->ops->raise(t, status, o);
    pt__coro_exit();
}

_Noreturn void pt_raise_kind_opts(const pt_error_kind_t *kind, const pt_raise_opts_t *o)
{
    pt_raise_status_opts(kind ? kind->status : 500, o);
}
