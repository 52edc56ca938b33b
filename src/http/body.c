/* The request body as declared fields read it (through fields_rt.h's
 * pt__fields_req_ops_t): decoded from its charset, parsed once into a JSON
 * tree with the nesting limit checked while parsing, and as jansson values.
 * Also the media-type comparison for a route's declared Content-Type. */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "ponty/error.h"
#include "http/conn.h"
#include "http/json_write.h"
#include "http/worker.h"
#include "json/jdoc.h"

_Noreturn static void bad(pt_req_t *r, int status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
_Noreturn static void bad(pt_req_t *r, int status, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *text = pt_arena_vprintf(&r->arena, fmt, ap);
    va_end(ap);
    pt_raise_status(status, .text = text);
}

static void *arena_alloc_cb(void *ctx, size_t n) { return pt_arena_alloc(ctx, n); }

/* A body in another charset is read as UTF-8 after decoding. */
static void body_decode(pt_req_t *r)
{
    const char *why;
    int status = pt__req_body_decode(r, &why);
    if (status)
        bad(r, status, "%s", why);
}

const char *pt__req_body_text(pt_req_t *r, size_t *len)
{
    body_decode(r);
    return pt_req_body(r, len);
}

/* The body parsed once per request into a tree in the request's arena:
 * no allocation per value, and the nesting limit is checked by the parser
 * as containers open (it does not recurse), so nothing that walks the tree
 * afterwards can go deeper than max_json_depth levels. */

const pt_jv_t *pt__req_body_tree(pt_req_t *r)
{
    if (r->body_tree)
        return r->body_tree;
    body_decode(r);
    size_t len;
    const char *body = pt_req_body(r, &len);
    unsigned limit = r->conn->worker->limits->max_json_depth;
    jalloc_t *a = pt_arena_calloc(&r->arena, sizeof *a);
    a->alloc = arena_alloc_cb;
    a->ctx = &r->arena;
    a->next_size = len + len / 2 + 64; /* most bodies take one chunk */
    pt_jv_t *v = pt_arena_alloc(&r->arena, sizeof *v);
    jperr_t pe;
    if (pt__jparse(a, body, len, (int)limit, v, &pe) != 0) {
        if (pe.too_deep)
            bad(r, 400, "JSON body nested deeper than %u levels", limit);
        if (pe.oom)
            pt_raise_status(500);
        bad(r, 400, "malformed JSON body: %s: line %zu column %zu (char %zu)", pe.reason, pe.line, pe.col,
               pe.pos);
    }
    r->body_tree = v;
    return v;
}

typedef struct big_ctx {
    pt_req_t *r;
    bool nonfinite;
} big_ctx_t;

static void note_big(void *ctx, const json_t *real, const pt_jv_t *big)
{
    big_ctx_t *c = ctx;
    if (!real) { /* the conversion fails; reported once it has unwound */
        c->nonfinite = true;
        return;
    }
    pt__bignum_t *g = pt_arena_alloc(&c->r->arena, sizeof *g);
    *g = (pt__bignum_t){real, json_real_value(real), big->u.s, big->len, c->r->bigs};
    c->r->bigs = g;
}

/* jansson values only for handlers that take them (PT_BODY_JSON,
 * PT_BODY_SCHEMA), built from the parsed tree. A big integer becomes a
 * real (json_t holds no wider integer); the response writer prints it with
 * its digits again if it comes back unchanged in this request's response. */
json_t *pt__req_body_json(pt_req_t *r)
{
    if (r->body_json)
        return r->body_json;
    big_ctx_t c = {r, false};
    json_t *v = pt__jv_to_json_cb(pt__req_body_tree(r), note_big, &c);
    if (!v && c.nonfinite)
        bad(r, 400, "JSON body holds a number beyond the range of a double");
    if (!v)
        pt_raise_status(500);
    r->body_json = v; /* released with the request (pt__req_reset) */
    return v;
}

bool pt__media_type_is(const char *ct, const char *want)
{
    if (!ct)
        return false;
    while (*ct == ' ' || *ct == '\t')
        ct++;
    size_t n = strcspn(ct, ";");
    while (n && (ct[n - 1] == ' ' || ct[n - 1] == '\t'))
        n--;
    return strlen(want) == n && strncasecmp(ct, want, n) == 0;
}

