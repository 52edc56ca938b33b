/* Requests: accessors for handlers, routing and running the handler in a
 * coroutine, pt_reply. */
#define _GNU_SOURCE
#include "ponty/request.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "ponty/error.h"
#include "ponty/jsonschema.h"
#include "core/arena_keep.h"
#include "core/context.h"
#include "http/conn.h"
#include "http/observe.h"
#include "http/worker.h"
#include "fields/fields_rt.h"

static void req_done(pt__task_t *t);

/* A request's context for the modules below http (core/context.h). */
static pt_arena_t *req_task_arena(pt__task_t *t) { return &((pt_req_t *)t)->arena; }
static const pt__task_ops_t req_ops = { req_task_arena, pt__req_raise };

/* A request that allocates past max_request_memory (or when malloc fails)
 * is answered 500, as an out-of-memory error would be. The limit is lifted
 * for the rest of the request so the answer itself can be written; the
 * next request has it again. */
static void req_arena_fail(void *ctx, size_t n)
{
    pt_req_t *r = ctx;
    if (pt_req_current() != r)
        return; /* outside the handler's coroutine: the arena aborts */
    r->arena.limit = 0;
    fprintf(stderr, "ponty: %s %s: request memory limit (%zu bytes) reached allocating %zu bytes\n",
            r->method ? r->method : "?", r->path ? r->path : "?", r->conn->worker->limits->max_request_memory, n);
    pt_raise(PT_ERROR);
}

/* Tests build requests without a connection: no limit then. */
static size_t req_memory_limit(const pt_req_t *r)
{
    return r->conn ? r->conn->worker->limits->max_request_memory : 0;
}

static void req_arena_arm(pt_req_t *r)
{
    r->arena.limit = req_memory_limit(r);
    r->arena.on_fail = req_arena_fail;
    r->arena.fail_ctx = r;
}

void pt__req_init(pt_req_t *r, pt__conn_t *c)
{
    memset(r, 0, sizeof *r);
    r->conn = c;
    pt_arena_init(&r->arena, 0); /* the default block: the one the thread's cache keeps */
    req_arena_arm(r);
    r->query = "";
}

static void req_release_values(pt_req_t *r)
{
    if (r->resp_json)
        json_decref(r->resp_json);
    if (r->body_json)
        json_decref(r->body_json);
    r->resp_json = r->body_json = NULL;
}

void pt__req_reset(pt_req_t *r)
{
    req_release_values(r);
    /* in the arena */
    r->body_tree = r->resp_tree = NULL;
    r->bigs = NULL;
    r->resp_desc = NULL;
    r->resp_obj = NULL;
    /* Runs the request's cleanups. The arena keeps a block (when the
     * request's memory limit allows one; its own limit may have been lifted
     * by req_arena_fail): the request is parked on its worker when its
     * connection idles and the next message takes it back, its block still
     * in the CPU cache, without a trip through the thread's block cache
     * each way. */
    pt__arena_reset_keep(&r->arena, req_memory_limit(r));
    pt__buf_t body = r->body;
    /* Cleared: the task and everything from the method up to the capture
     * slots. The connection and the arena, which lie between, are kept as
     * they are; the capture slots too: pt__router_match fills those it
     * reports before any is read, and clearing them would write 400 bytes a
     * request. */
    _Static_assert(offsetof(pt_req_t, conn) == sizeof(pt__task_t) &&
                   offsetof(pt_req_t, arena) == offsetof(pt_req_t, conn) + sizeof(pt__conn_t *) &&
                   offsetof(pt_req_t, method) == offsetof(pt_req_t, arena) + sizeof(pt_arena_t),
                   "pt__req_reset keeps exactly conn and arena between task and method");
    memset(&r->task, 0, sizeof r->task);
    memset(&r->method, 0, offsetof(pt_req_t, match.captures) - offsetof(pt_req_t, method));
    req_arena_arm(r);
    r->query = "";
    /* A big upload should not pin its buffer on an idle keep-alive connection. */
    if (body.cap > 65536)
        pt__buf_free(&body);
    body.len = 0;
    r->body = body;
}

void pt__req_destroy(pt_req_t *r)
{
    req_release_values(r);
    pt_arena_destroy(&r->arena);
    pt__buf_free(&r->body);
}

/* Appends to an arena-backed header array, doubling it when full. */
static void headers_push(pt_arena_t *a, pt__header_t **arr, unsigned *n, unsigned *cap, pt__header_t h)
{
    if (*n == *cap) {
        unsigned ncap = *cap ? *cap * 2 : 16;
        pt__header_t *grown = pt_arena_alloc(a, ncap * sizeof *grown);
        if (*n)
            memcpy(grown, *arr, *n * sizeof *grown);
        *arr = grown;
        *cap = ncap;
    }
    (*arr)[(*n)++] = h;
}

void pt__req_add_header(pt_req_t *r, const char *name, size_t nlen, const char *value, size_t vlen)
{
    if (!r->headers_cap) { /* the reset cleared it: start in the request itself */
        r->headers = r->headers_inline;
        r->headers_cap = PT_REQ_INLINE_HEADERS;
    }
    if (r->nheaders < r->headers_cap) { /* room: no growth, no copy through headers_push */
        r->headers[r->nheaders++] = (pt__header_t){ name, value, nlen, vlen };
        return;
    }
    headers_push(&r->arena, &r->headers, &r->nheaders, &r->headers_cap,
                    (pt__header_t){ name, value, nlen, vlen });
}

/* ---- accessors ---- */

pt_req_t *pt_req_current(void)
{
    pt__task_t *t = pt__task_current();
    /* Only request tasks carry the request's ops. */
    return t && t->ops == &req_ops ? (pt_req_t *)t : NULL;
}

const char *pt_req_method(const pt_req_t *r) { return r->method; }
const char *pt_req_path(const pt_req_t *r) { return r->path; }
const char *pt_req_target(const pt_req_t *r) { return r->target; }
const char *pt_req_query_string(const pt_req_t *r) { return r->query; }
int pt_req_http_minor(const pt_req_t *r) { return r->http_minor; }
pt_arena_t *pt_req_arena(pt_req_t *r) { return &r->arena; }
size_t pt_req_header_count(const pt_req_t *r) { return r->nheaders; }

const char *pt_req_header(const pt_req_t *r, const char *name)
{
    size_t n = strlen(name);
    for (unsigned i = 0; i < r->nheaders; i++)
        if (r->headers[i].name_len == n && strncasecmp(r->headers[i].name, name, n) == 0)
            return r->headers[i].value;
    return NULL;
}

int pt_req_header_at(const pt_req_t *r, size_t i, const char **name, const char **value)
{
    if (i >= r->nheaders)
        return 0;
    *name = r->headers[i].name;
    *value = r->headers[i].value;
    return 1;
}

const char *pt_req_body(const pt_req_t *r, size_t *len)
{
    if (len)
        *len = r->body.len;
    if (!r->body.len)
        return "";
    /* Hand out a C string: terminate after the last byte (not counted). */
    pt__buf_t *b = (pt__buf_t *)&r->body;
    pt__buf_reserve(b, 1);
    b->data[b->len] = '\0';
    return b->data;
}

const char *pt__req_param_n(const pt_req_t *r, const char *name, size_t *len)
{
    for (unsigned i = 0; i < r->match.ncaptures; i++) {
        const pt__route_capture_t *cap = &r->match.captures[i];
        if (strcmp(cap->name, name) == 0) {
            char *v = pt_arena_alloc((pt_arena_t *)&r->arena, cap->len + 1);
            memcpy(v, cap->value, cap->len);
            v[cap->len] = '\0';
            *len = cap->len;
            return v;
        }
    }
    return NULL;
}

const char *pt_req_param(const pt_req_t *r, const char *name)
{
    size_t len;
    return pt__req_param_n(r, name, &len);
}

static int hexval(int c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/* Percent-decodes s[0..n) into the arena, NUL-terminated, its length in
 * *outlen. plus_space: '+' means ' ' (query strings). %00 is a byte like any
 * other, so the result may hold NULs before its end. Returns NULL on a
 * malformed escape. */
static char *url_decode(pt_arena_t *a, const char *s, size_t n, bool plus_space, size_t *outlen)
{
    char *out = pt_arena_alloc(a, n + 1), *o = out;
    for (size_t i = 0; i < n; i++) {
        char ch = s[i];
        if (ch == '%') {
            if (i + 2 >= n)
                return NULL;
            int h = hexval((unsigned char)s[i + 1]), l = hexval((unsigned char)s[i + 2]);
            if (h < 0 || l < 0)
                return NULL;
            *o++ = (char)(h * 16 + l);
            i += 2;
        } else if (ch == '+' && plus_space) {
            *o++ = ' ';
        } else {
            *o++ = ch;
        }
    }
    *o = '\0';
    *outlen = (size_t)(o - out);
    return out;
}

const char *pt_req_query(const pt_req_t *r, const char *key)
{
    const char *v = NULL;
    size_t len;
    return pt__req_query_lookup(r, key, &v, &len) > 0 ? v : NULL;
}

int pt__req_query_lookup(const pt_req_t *r, const char *key, const char **value, size_t *len)
{
    size_t klen = strlen(key);
    const char *q = r->query;
    while (*q) {
        const char *amp = strchr(q, '&');
        size_t plen = amp ? (size_t)(amp - q) : strlen(q);
        const char *eq = memchr(q, '=', plen);
        size_t nlen = eq ? (size_t)(eq - q) : plen;
        /* Most keys have nothing to decode: compare them in place. */
        bool plain = !memchr(q, '%', nlen) && !memchr(q, '+', nlen);
        size_t dlen = 0;
        const char *name = plain ? NULL : url_decode((pt_arena_t *)&r->arena, q, nlen, true, &dlen);
        bool same = plain ? nlen == klen && memcmp(q, key, klen) == 0
                          : name && dlen == klen && memcmp(name, key, klen) == 0;
        if (same) {
            if (!eq) {
                *value = "";
                *len = 0;
                return 1;
            }
            *value = url_decode((pt_arena_t *)&r->arena, eq + 1, plen - nlen - 1, true, len);
            return *value ? 1 : -1;
        }
        q += plen;
        if (*q == '&')
            q++;
    }
    return 0;
}

void pt_req_defer(pt_req_t *r, void (*fn)(void *), void *arg) { pt_arena_defer(&r->arena, fn, arg); }

char *pt_strf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *s = pt__task_vstrf(fmt, ap);
    va_end(ap);
    return s;
}

/* ---- answering ---- */

void pt_resp_header(pt_req_t *r, const char *name, const char *value)
{
    /* CR/LF in a header would split the response: refuse them. */
    if (strpbrk(name, "\r\n:") || strpbrk(value, "\r\n")) {
        fprintf(stderr, "ponty: response header '%s' dropped: contains CR, LF or ':'\n", name);
        return;
    }
    headers_push(&r->arena, &r->resp_headers, &r->nresp_headers, &r->resp_headers_cap,
                    (pt__header_t){ pt_arena_strdup(&r->arena, name), pt_arena_strdup(&r->arena, value),
                                   strlen(name), strlen(value) });
}

void pt_resp_status(pt_req_t *r, int status)
{
    /* Checked where every status is: the response writer answers an
     * invalid one 500, as for pt_reply. */
    r->envelope_status = status;
}

void pt_reply(pt_req_t *r, int status, const char *content_type, const void *body, size_t len)
{
    req_release_values(r);
    r->answered = true;
    r->envelope = false;
    r->status = status;
    r->content_type = content_type ? pt_arena_strdup(&r->arena, content_type) : NULL;
    r->resp_body = pt_arena_strndup(&r->arena, body ? body : "", body ? len : 0);
    r->resp_len = body ? len : 0;
}


void pt_reply_json(pt_req_t *r, int status, json_t *value)
{
    req_release_values(r);
    r->answered = true;
    r->envelope = false;
    r->status = status;
    r->content_type = NULL;
    r->resp_body = NULL;
    r->resp_json = value;
}

json_t *pt_data_tree(pt_req_t *r, const pt_jv_t *v)
{
    r->resp_tree = v;
    r->resp_desc = NULL;
    return json_null();
}

json_t *pt_data_struct(pt_req_t *r, const pt_struct_desc_t *desc, const void *obj)
{
    r->resp_desc = desc;
    r->resp_obj = obj;
    r->resp_tree = NULL;
    return json_null();
}

/* ---- running a request ---- */

void *pt_req_input(pt_req_t *r) { return r->input; }

/* How declared fields read a request (fields/fields_rt.h). */
static const pt__fields_req_ops_t fields_ops = {
    .header = pt_req_header,
    .param = pt__req_param_n,
    .query = pt__req_query_lookup,
    .cookie = pt__cookie_value,
    .body_text = pt__req_body_text,
    .body_tree = pt__req_body_tree,
    .body_json = pt__req_body_json,
};

static void req_run(pt__task_t *t)
{
    pt_req_t *r = (pt_req_t *)t;
    r->now_ms = pt_now_ms();
    if (pt__hooks_any) {
        pt__hooks_before(r, r->rt);
        if (r->answered)
            return;
    }
    const pt_route_def_t *def = r->rt->def;
    if (def->mimetype && !pt__media_type_is(pt_req_header(r, "Content-Type"), def->mimetype))
        pt_raise_status(415);
    if (def->expect) { /* declared fields to read */
        pt__fields_req_t in = { &fields_ops, r, &r->arena, &r->input, &r->err_field, &r->err_path };
        pt__fields_extract(&in, r->rt);
    }
    json_t *data = r->route->handler(r);
    if (r->answered) {
        if (data)
            json_decref(data);
        return;
    }
    if (!data) {
        r->status = 500;
        return;
    }
    r->resp_json = data;
    r->envelope = true;
    r->status = r->envelope_status ? r->envelope_status : 200;
}

/* A request no route matched, when global hooks exist: they see it (a CORS
 * preflight is answered here) before the router's answer stands. */
static void req_run_unmatched(pt__task_t *t)
{
    pt_req_t *r = (pt_req_t *)t;
    r->now_ms = pt_now_ms();
    int status = r->status;
    r->status = 0;
    r->answered = false;
    pt__hooks_before(r, NULL);
    if (!r->answered) {
        r->answered = true;
        r->status = status;
    }
}

static void req_run_after(pt__task_t *t)
{
    pt__hooks_after((pt_req_t *)t);
}

static void req_done(pt__task_t *t)
{
    pt_req_t *r = (pt_req_t *)t;
    /* on_error and after hooks run in a coroutine of their own: the
     * handler's may have ended in a raise, which leaves no frame to return
     * to. A raise in them ends this second phase the same way. */
    if (pt__hooks_any && r->phase == 0 && pt__hooks_after_wanted(r)) {
        r->phase = 1;
        r->task.run = req_run_after;
        if (pt__sched_start(t->sched, t) == 0)
            return;
    }
    pt__conn_request_done(r->conn);
}

/* The router or the target refused the request (status and body set):
 * with global hooks, they run around that answer in a coroutine. */
static void req_refuse(pt_req_t *r)
{
    pt__worker_t *w = r->conn->worker;
    if (pt__hooks_global) {
        r->task.run = req_run_unmatched;
        r->task.done = req_done;
        r->task.ops = &req_ops;
        if (pt__sched_start(w->sched, &r->task) == 0)
            return;
    }
    pt__conn_request_done(r->conn);
}

/* An encoded slash in a path: "%2F" or "%2f". */
static bool has_encoded_slash(const char *t, size_t n)
{
    for (const char *p = t; (p = memchr(p, '%', n - (size_t)(p - t))) && p + 2 < t + n; p++)
        if (p[1] == '2' && (p[2] == 'F' || p[2] == 'f'))
            return true;
    return false;
}

/* True when the ".." segments of a decoded path would climb above "/"
 * ("/../x", "/a/%2e%2e/../x"). Paths are routed as they are, without
 * removing dot segments; such a path names nothing on this server, and a
 * file-serving handler or a proxy resolving it would leave the root, so it
 * is refused (nginx answers 400 too). */
static bool climbs_above_root(const char *p, size_t n)
{
    long depth = 0;
    for (size_t i = 0; i < n;) {
        while (i < n && p[i] == '/')
            i++;
        size_t j = i;
        while (j < n && p[j] != '/')
            j++;
        if (j - i == 2 && p[i] == '.' && p[i + 1] == '.') {
            if (--depth < 0)
                return true;
        } else if (j > i && !(j - i == 1 && p[i] == '.')) {
            depth++;
        }
        i = j;
    }
    return false;
}

/* The bytes decode_path's scan of a target stops at: its end (NUL or '?'),
 * a '#', a '%' and a '.'. */
enum { TB_END = 1, TB_HASH = 2, TB_PCT = 4, TB_DOT = 8 };
static const unsigned char target_byte[256] = {
    ['\0'] = TB_END, ['?'] = TB_END, ['#'] = TB_HASH, ['%'] = TB_PCT, ['.'] = TB_DOT,
};

/* The decoded path; NULL with *why set when the target cannot be routed. */
static char *decode_path(pt_req_t *r, size_t *plen, const char **why)
{
    const char *t = r->target;
    /* Absolute-form targets (GET http://host/path?q): the authority ends at
     * the first '/', '?' or '#' (RFC 3986 3.2); the path is what follows up
     * to '?' or '#', "/" when empty. */
    if (t[0] != '/' && t[0] != '*') {
        const char *s = strstr(t, "://");
        if (s) {
            s += 3;
            size_t alen = strcspn(s, "/?#");
            /* RFC 9110 4.2.4: userinfo in an http(s) URI is deprecated and
             * its presence an error (it hides the real host from a reader
             * that stops at the '@'). nginx refuses it too. */
            if (memchr(s, '@', alen)) {
                *why = "400: Bad Request (userinfo in the request target)";
                return NULL;
            }
            s += alen;
            t = *s == '/' ? s : pt_arena_printf(&r->arena, "/%s", s);
        }
    }
    /* The path ends at the first '?', or with none at the first '#'. One
     * pass: targets are short, and most have neither. It also notes whether
     * a '%' or a '.' comes before the '?' (past a '#' too: a superset of the
     * path), without which the path has nothing to decode or check below.
     * One table lookup a byte: most bytes are none of these. */
    const char *qm = NULL, *hash = NULL, *e = t;
    unsigned seen = 0;
    for (;; e++) {
        unsigned k = target_byte[(unsigned char)*e];
        if (!k)
            continue;
        if (k & TB_END)
            break;
        if ((k & TB_HASH) && !hash)
            hash = e;
        seen |= k;
    }
    if (*e == '?')
        qm = e;
    bool pct = seen & TB_PCT, dot = seen & TB_DOT;
    size_t n = qm ? (size_t)(qm - t) : hash ? (size_t)(hash - t) : (size_t)(e - t);
    if (qm) {
        const char *qe = strchr(qm + 1, '#');
        r->query = qe ? pt_arena_strndup(&r->arena, qm + 1, (size_t)(qe - qm - 1)) : qm + 1;
    }
    /* "/a%2Fb" is refused rather than routed as "/a/b": a proxy in front
     * that allows or denies by path prefix sees one segment where routing
     * would see two. */
    if (pct && has_encoded_slash(t, n)) {
        *why = "400: Bad Request (encoded slash in path)";
        return NULL;
    }
    /* A decoded path may hold NUL (%00): it is matched by length, and a
     * placeholder value holding one is refused where it is handed over. */
    char *p;
    if (pct && memchr(t, '%', n)) {
        p = url_decode(&r->arena, t, n, false, plen);
    } else {
        *plen = n;
        /* A target that is all path is already a NUL-terminated copy in
         * the arena (or one made above): the path is that string. */
        p = t[n] ? pt_arena_strndup(&r->arena, t, n) : (char *)t;
    }
    if (!p) {
        *why = "400: Bad Request (malformed percent-encoding in path)";
        return NULL;
    }
    /* The asterisk-form ("OPTIONS * HTTP/1.1") is handled by the caller. */
    if (p[0] != '/' && !(*plen == 1 && p[0] == '*')) {
        *why = "400: Bad Request (request target must be a path)";
        return NULL;
    }
    /* A dot segment needs a '.', written or percent-encoded. */
    if ((dot || pct) && climbs_above_root(p, *plen)) {
        *why = "400: Bad Request (path climbs above the root)";
        return NULL;
    }
    return p;
}

void pt__req_dispatch(pt_req_t *r)
{
    pt__conn_t *c = r->conn;
    pt__worker_t *w = c->worker;
    size_t plen = 0;
    if (pt__observe_on)
        pt__observe_begin(r);
    const char *why = NULL;
    char *path = decode_path(r, &plen, &why);
    if (path && plen == 1 && path[0] == '*') {
        /* The asterisk-form ("OPTIONS * HTTP/1.1") names the server, not a
         * resource: a valid request that no route matches. */
        r->answered = true;
        r->status = 404;
        pt__conn_request_done(c);
        return;
    }
    if (!path) {
        /* A target that cannot be routed is a bad request: answer and close,
         * as for any other malformed request. */
        r->answered = true;
        r->keep_alive = false;
        r->status = 400;
        r->resp_body = why;
        r->resp_len = strlen(r->resp_body);
        r->content_type = "text/plain; charset=utf-8";
        r->path = "";
        req_refuse(r);
        return;
    }
    r->path = path;
    pt__router_match(w->router, r->method, strlen(r->method), path, plen, &r->match);
    if (r->match.status != 200) {
        r->answered = true;
        r->status = r->match.status;
        if (r->match.status == 405)
            pt_resp_header(r, "Allow", r->match.allow);
        req_refuse(r);
        return;
    }
    r->rt = r->match.data;
    r->route = r->rt->def;
    r->task.run = req_run;
    r->task.done = req_done;
    r->task.ops = &req_ops;
    if (pt__sched_start(w->sched, &r->task) != 0) {
        r->answered = true;
        r->status = 503;
        pt__conn_request_done(c);
    }
}
