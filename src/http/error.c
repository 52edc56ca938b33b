/* Raising HTTP errors: record the answer on the request, then leave the
 * request's coroutine for good (core/coro.h pt__coro_exit). */
#include "ponty/error.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "ponty/request.h"
#include "http/conn.h"

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

/* Text bodies are UTF-8: a media type given without a charset parameter
 * gets "; charset=utf-8", one that names a charset is kept as written. */
static const char *text_type(pt_req_t *r, const char *ct)
{
    if (!ct)
        return "text/plain; charset=utf-8";
    for (const char *p = strchr(ct, ';'); p; p = strchr(p + 1, ';')) {
        p++;
        while (*p == ' ' || *p == '\t')
            p++;
        if (strncasecmp(p, "charset=", 8) == 0)
            return ct;
    }
    return pt_arena_printf(&r->arena, "%s; charset=utf-8", ct);
}

_Noreturn void pt_raise_status_opts(int status, const pt_raise_opts_t *o)
{
    pt_req_t *r = pt_req_current();
    if (!r) {
        fprintf(stderr, "ponty: pt_raise_status(%d%s%s) outside a request\n", status,
                o->text ? ", " : "", o->text ? o->text : "");
        abort();
    }
    /* An invalid status (1xx, > 999) is turned into 500 by the response
     * writer, for pt_reply as for raises. */
    if (o->text && o->body) {
        fprintf(stderr, "ponty: %s %s (%s): pt_raise with both .text and .body; answering 500\n",
                r->method, r->path, r->route ? r->route->name : "?");
        json_decref(o->body);
        pt_reply(r, 500, NULL, NULL, 0);
        r->resp_body = NULL; /* "500: Internal Server Error" */
    } else if (o->body) {
        pt_reply_json(r, status, o->body);
        if (o->content_type)
            r->content_type = pt_arena_strdup(&r->arena, o->content_type);
    } else if (o->text) {
        pt_reply(r, status, text_type(r, o->content_type), o->text, strlen(o->text));
    } else {
        pt_reply(r, status, o->content_type ? text_type(r, o->content_type) : NULL, NULL, 0);
        r->resp_body = NULL; /* "<code>: <Reason>" */
    }
    if (o->headers)
        for (const char *const *h = o->headers; h[0] && h[1]; h += 2)
            pt_resp_header(r, h[0], h[1]);
    pt__coro_exit();
}

_Noreturn void pt_raise_kind_opts(const pt_error_kind_t *kind, const pt_raise_opts_t *o)
{
    pt_raise_status_opts(kind ? kind->status : 500, o);
}
