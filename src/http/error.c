/* Raising HTTP errors in a request: how the answer to a raise is recorded
 * (the request task's ops, core/context.h). The raise itself, which leaves
 * the coroutine, is src/core/error.c. */
#include "ponty/error.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "ponty/request.h"
#include "http/conn.h"

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

/* The ops' raise for a request task: records the answer; pt_raise_status
 * (src/core/error.c) then leaves the coroutine. */
void pt__req_raise(pt__task_t *t, int status, const pt_raise_opts_t *o)
{
    pt_req_t *r = (pt_req_t *)t;
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
}

