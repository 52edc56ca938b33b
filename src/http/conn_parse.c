/* HTTP/1.1 connections, the reading half: llhttp's callbacks turn input
 * into the connection's pt_req_t (the request taken from the worker's
 * parked ones, tokens used where they lie in the input, headers, body,
 * trailers, the limits), and a request is given back when its connection
 * idles. conn.c reads, feeds llhttp, dispatches and writes. */
#define _GNU_SOURCE
#include "http/conn.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "http/framing.h"
#include "http/observe.h"
#include "http/worker.h"

static inline pt__conn_t *conn_of(llhttp_t *p) { return p->data; }

/* A callback failing with a status: the request is answered with it and the
 * connection closed. */
int pt__conn_fail(pt__conn_t *c, int status, const char *text)
{
    c->parse_error = status;
    c->parse_error_text = text;
    return -1;
}

/* ---- the token being parsed (URL, header name or value) ----
 *
 * llhttp hands a token over in pieces, one per input buffer it spans. A
 * token that lies whole in one buffer (nearly all) is used where it lies:
 * `span` points into the input, which stays valid until conn_feed returns.
 * Only a token cut by the end of the input is copied into `tok` (pt__conn_tok_keep),
 * to be completed by the next read. */

/* A token's second piece: the token moves into `tok`. Out of line, so that
 * the callbacks' usual path (a token whole in the input) saves no
 * registers for the copying. */
__attribute__((noinline)) static void tok_add_piece(pt__conn_t *c, const char *at, size_t len)
{
    if (c->span) {
        pt__buf_append(&c->tok, c->span, c->span_len);
        c->span = NULL;
    }
    pt__buf_append(&c->tok, at, len);
}

static inline void tok_add(pt__conn_t *c, const char *at, size_t len)
{
    if (!c->span && !c->tok.len) {
        c->span = at;
        c->span_len = len;
        return;
    }
    tok_add_piece(c, at, len);
}

static inline size_t tok_len(const pt__conn_t *c) { return c->span ? c->span_len : c->tok.len; }

static inline const char *tok_data(const pt__conn_t *c)
{
    return c->span ? c->span : c->tok.data ? c->tok.data : "";
}

static inline void tok_clear(pt__conn_t *c)
{
    c->span = NULL;
    c->tok.len = 0;
}

/* The input is about to go: a token still open moves into `tok`, and a
 * field name still waiting in the input for its value (see
 * conn_on_header_field_complete) into the request's arena. */
void pt__conn_tok_keep_slow(pt__conn_t *c)
{
    if (c->span) {
        pt__buf_append(&c->tok, c->span, c->span_len);
        c->span = NULL;
    }
    if (c->field_in_input) {
        c->cur_field = pt_arena_strndup(&c->req->arena, c->cur_field, c->cur_field_len);
        c->field_in_input = false;
    }
}

/* ---- llhttp callbacks ---- */

/* The connection's request, taken on first use (see conn.h): the one an
 * idle connection of this worker parked last (reset, still in the CPU
 * cache), else a new one. */
pt_req_t *pt__conn_req(pt__conn_t *c)
{
    if (c->req)
        return c->req;
    pt__worker_t *w = c->worker;
    pt_req_t *r = w->req_parked;
    if (r) {
        w->req_parked = r->next_parked;
        w->nreq_parked--;
        r->conn = c;
    } else {
        r = malloc(sizeof *r);
        if (!r) {
            fprintf(stderr, "ponty: out of memory (request)\n");
            abort();
        }
        pt__req_init(r, c);
    }
    c->req = r;
    return r;
}

/* Requests a worker keeps for its next ones: bounded, so that the memory
 * held for idle connections stays what their structs take. */
#define PT_REQ_PARKED_MAX 32

/* The request of a connection going idle, already reset when its response
 * was queued: parked on the worker without its body buffer, or freed when
 * PT_REQ_PARKED_MAX wait already. */
static void conn_req_release(pt__conn_t *c)
{
    pt_req_t *r = c->req;
    pt__worker_t *w = c->worker;
    c->req = NULL;
    if (w->nreq_parked >= PT_REQ_PARKED_MAX) {
        pt__req_destroy(r);
        free(r);
        return;
    }
    pt__buf_free(&r->body);
    r->conn = NULL;
    r->next_parked = w->req_parked;
    w->req_parked = r;
    w->nreq_parked++;
}

void pt__conn_parked_free(pt__worker_t *w)
{
    while (w->req_parked) {
        pt_req_t *r = w->req_parked;
        w->req_parked = r->next_parked;
        pt__req_destroy(r);
        free(r);
    }
    w->nreq_parked = 0;
}

/* Idle with nothing waiting: give back the request and every buffer. A
 * keep-alive connection may idle for a minute; its next request allocates
 * them again. */
void pt__conn_trim(pt__conn_t *c)
{
    if (c->state != PT_CONN_IDLE || c->in_feed || c->pending.len || c->closed)
        return;
    if (c->req)
        conn_req_release(c);
    pt__buf_free(&c->tok);
    pt__buf_free(&c->pending);
    if (!c->out.len)
        pt__buf_free(&c->out);
    if (!c->writing)
        pt__buf_free(&c->wbuf);
}

static int conn_on_message_begin(llhttp_t *p)
{
    pt__conn_t *c = conn_of(p);
    pt__conn_req(c);
    c->state = PT_CONN_READING;
    c->header_bytes = 0;
    c->nhost = 0;
    c->field_in_input = false;
    tok_clear(c);
    /* The header timeout runs from here; conn_feed puts the connection
     * on the list its state calls for once its input is parsed. */
    c->since = (int64_t)uv_now(&c->worker->loop);
    return 0;
}

static int conn_on_url(llhttp_t *p, const char *at, size_t len)
{
    pt__conn_t *c = conn_of(p);
    if (tok_len(c) + len > c->worker->limits->max_uri)
        return pt__conn_fail(c, 414, NULL);
    tok_add(c, at, len);
    return 0;
}

static int conn_on_url_complete(llhttp_t *p)
{
    pt__conn_t *c = conn_of(p);
    c->req->target = pt_arena_strndup(&c->req->arena, tok_data(c), tok_len(c));
    tok_clear(c);
    return 0;
}

static int conn_header_bytes(pt__conn_t *c, size_t len)
{
    c->header_bytes += len;
    if (c->header_bytes > c->worker->limits->max_header_bytes)
        return pt__conn_fail(c, 431, NULL);
    return 0;
}

/* A piece of a header's name or value: both count against the head's limit. */
static int conn_on_header_piece(llhttp_t *p, const char *at, size_t len)
{
    pt__conn_t *c = conn_of(p);
    if (conn_header_bytes(c, len))
        return -1;
    tok_add(c, at, len);
    return 0;
}

/* Whether the 4 bytes at f spell "host" in any case. Every request has a
 * Host: one word compare instead of a call to strncasecmp. A byte with
 * bit 5 (0x20) set equals a lower-case letter only if it was that letter
 * in either case, so setting it in all four bytes is an exact test. */
static bool is_host(const char *f)
{
    uint32_t w;
    memcpy(&w, f, 4);
    uint32_t want;
    memcpy(&want, "host", 4);
    return (w | 0x20202020u) == want;
}

/* Fields after a chunked body are trailers (RFC 9110 6.5): once the head
 * is complete, fields no longer go into the request's headers. */
static bool in_trailers(const pt__conn_t *c) { return c->state == PT_CONN_BODY; }

static int conn_on_header_field_complete(llhttp_t *p)
{
    pt__conn_t *c = conn_of(p);
    if (!in_trailers(c) && c->req->nheaders >= c->worker->limits->max_headers)
        return pt__conn_fail(c, 431, NULL);
    /* "Host" (every request has one) is a token: one word compare instead
     * of the byte loop. */
    size_t nlen = tok_len(c);
    if (!(nlen == 4 && is_host(tok_data(c))) && !pt__is_token(tok_data(c), nlen))
        return pt__conn_fail(c, 400, "400: Bad Request (invalid header name)");
    /* A name that lies in the input stays there until its value is
     * complete, and both are then copied in one allocation; one in `tok`
     * would be overwritten by the value's bytes, so it is copied now. */
    c->field_in_input = c->span != NULL;
    c->cur_field_len = tok_len(c);
    c->cur_field = c->field_in_input ? c->span : pt_arena_strndup(&c->req->arena, tok_data(c), tok_len(c));
    tok_clear(c);
    return 0;
}

/* pt__host_valid, remembered for the connection's next requests. */
static bool conn_host_valid(pt__conn_t *c, const char *d, size_t n)
{
    if (n && n == c->host_ok_len && memcmp(d, c->host_ok, n) == 0)
        return true;
    if (!pt__host_valid(d, n))
        return false;
    if (n <= sizeof c->host_ok) {
        memcpy(c->host_ok, d, n);
        c->host_ok_len = (unsigned char)n;
    }
    return true;
}

static int conn_on_header_value_complete(llhttp_t *p)
{
    pt__conn_t *c = conn_of(p);
    /* llhttp leaves trailing whitespace in values: trim it (RFC 9110 5.5). */
    const char *d = tok_data(c);
    size_t n = tok_len(c);
    while (n && (d[n - 1] == ' ' || d[n - 1] == '\t'))
        n--;
    /* d stays readable until the next token begins: tok_clear only forgets. */
    tok_clear(c);
    bool copy_name = c->field_in_input;
    c->field_in_input = false;
    if (in_trailers(c))
        return 0; /* read and dropped: a trailer never stands in for a header */
    if (c->cur_field_len == 4 && is_host(c->cur_field)) {
        if (c->nhost++ || !conn_host_valid(c, d, n))
            return pt__conn_fail(c, 400, c->nhost > 1 ? "400: Bad Request (more than one Host)"
                                                : "400: Bad Request (invalid Host)");
    }
    /* An empty Transfer-Encoding names no coding; llhttp does not flag it
     * as present, so the message would be read as having no body while a
     * proxy that takes the field as present frames it otherwise. */
    if (n == 0 && c->cur_field_len == 17 && strncasecmp(c->cur_field, "transfer-encoding", 17) == 0)
        return pt__conn_fail(c, 400, "400: Bad Request (empty transfer coding)");
    /* The value, NUL-terminated, and behind it the name when it still lies
     * in the input: one allocation. */
    size_t nl = c->cur_field_len;
    char *v = pt_arena_alloc(&c->req->arena, n + 1 + (copy_name ? nl + 1 : 0));
    memcpy(v, d, n);
    v[n] = '\0';
    const char *name = c->cur_field;
    if (copy_name) {
        char *cn = v + n + 1;
        memcpy(cn, name, nl);
        cn[nl] = '\0';
        name = cn;
    }
    pt__req_add_header(c->req, name, nl, v, n);
    return 0;
}


static int conn_on_headers_complete(llhttp_t *p)
{
    pt__conn_t *c = conn_of(p);
    pt_req_t *r = c->req;
    if (!r->target)
        r->target = "/";
    /* The parser's fields are read directly: llhttp's getters are calls
     * into another unit, each request. */
    if (p->http_major != 1)
        return pt__conn_fail(c, 505, NULL);
    /* RFC 9112 3.2: exactly one Host in HTTP/1.1; at most one in 1.0. */
    if (p->http_minor >= 1 && c->nhost == 0)
        return pt__conn_fail(c, 400, "400: Bad Request (missing Host)");
    if (p->flags & F_TRANSFER_ENCODING) {
        /* RFC 9112 6.1: HTTP/1.0 has no chunked framing; a 1.0 message with
         * Transfer-Encoding cannot be delimited safely. */
        if (p->http_minor == 0)
            return pt__conn_fail(c, 400, "400: Bad Request (Transfer-Encoding in HTTP/1.0)");
        const char *why = NULL;
        int st = pt__transfer_coding_check(c->req, &why);
        if (st)
            return pt__conn_fail(c, st, why);
    }
    r->method = llhttp_method_name((llhttp_method_t)p->method);
    r->http_minor = p->http_minor; /* the major is 1 (checked above) */
    r->is_head = p->method == HTTP_HEAD;
    if ((p->flags & F_CONTENT_LENGTH) && p->content_length > c->worker->limits->max_body)
        return pt__conn_fail(c, 413, NULL);
    /* Answer Expect: 100-continue now, or clients such as curl stall. */
    if (r->http_minor == 1 && (p->flags & (F_CONTENT_LENGTH | F_CHUNKED))) {
        const char *ex = pt_req_header(r, "Expect");
        if (ex && strcasecmp(ex, "100-continue") == 0)
            pt__buf_puts(&c->out, "HTTP/1.1 100 Continue\r\n\r\n");
    }
    c->state = PT_CONN_BODY;
    c->since = (int64_t)uv_now(&c->worker->loop);
    if (p->flags & F_CHUNKED) {
        c->chunk_line = true;
        return HPE_PAUSED; /* the first chunk-size line is ours to read */
    }
    return 0;
}

static int conn_on_body(llhttp_t *p, const char *at, size_t len)
{
    pt__conn_t *c = conn_of(p);
    if (c->req->body.len + len > c->worker->limits->max_body)
        return pt__conn_fail(c, 413, NULL);
    pt__buf_append(&c->req->body, at, len);
    c->since = (int64_t)uv_now(&c->worker->loop); /* still alive */
    /* A chunk's data ends here: the CRLF after it is ours to check (llhttp
     * outside its strict mode skips any two bytes there; its strict mode
     * would also refuse raw UTF-8 in paths, which nginx and aiohttp take). */
    if ((p->flags & F_CHUNKED) && p->content_length == 0) {
        c->chunk_crlf = 1;
        return HPE_PAUSED;
    }
    return 0;
}

/* A chunk that would take the body past its limit is refused as soon as
 * its size is read, as a Content-Length over the limit is. */
static int conn_on_chunk_header(llhttp_t *p)
{
    pt__conn_t *c = conn_of(p);
    if (p->content_length > c->worker->limits->max_body - c->req->body.len)
        return pt__conn_fail(c, 413, NULL);
    c->last_chunk = p->content_length == 0;
    return 0;
}

/* After a chunk's data and CRLF comes the next chunk-size line (after the
 * last chunk, its trailers were read and the message completes). */
static int conn_on_chunk_complete(llhttp_t *p)
{
    pt__conn_t *c = conn_of(p);
    if (c->last_chunk)
        return 0;
    c->chunk_line = true;
    return HPE_PAUSED;
}

static int conn_on_message_complete(llhttp_t *p)
{
    pt__conn_t *c = conn_of(p);
    /* HTTP/0.9 (a request line without a version) has no head: llhttp
     * completes it without on_headers_complete. */
    if (p->http_major != 1)
        return pt__conn_fail(c, 505, NULL);
    c->head_scan = true; /* the next bytes begin the next request's head */
    c->head_lf = c->head_seen = false;
    /* RFC 9112 9.3: an HTTP/1.1 connection persists unless the request
     * says "Connection: close", an HTTP/1.0 one only if it says
     * "Connection: keep-alive". This is llhttp_should_keep_alive's rule for
     * requests (which never need the connection's end to end), read from
     * the same flags without its two calls. No protocol switching (Upgrade,
     * CONNECT): answer, then close. */
    bool keep = p->http_minor > 0 ? !(p->flags & F_CONNECTION_CLOSE) : (p->flags & F_CONNECTION_KEEP_ALIVE) != 0;
    c->req->keep_alive = keep && !p->upgrade;
    return HPE_PAUSED; /* one request at a time: see conn.h */
}

llhttp_settings_t pt__conn_settings;

__attribute__((constructor)) static void settings_init(void)
{
    llhttp_settings_init(&pt__conn_settings);
    pt__conn_settings.on_message_begin = conn_on_message_begin;
    pt__conn_settings.on_url = conn_on_url;
    pt__conn_settings.on_url_complete = conn_on_url_complete;
    pt__conn_settings.on_header_field = conn_on_header_piece;
    pt__conn_settings.on_header_field_complete = conn_on_header_field_complete;
    pt__conn_settings.on_header_value = conn_on_header_piece;
    pt__conn_settings.on_header_value_complete = conn_on_header_value_complete;
    pt__conn_settings.on_headers_complete = conn_on_headers_complete;
    pt__conn_settings.on_body = conn_on_body;
    pt__conn_settings.on_chunk_header = conn_on_chunk_header;
    pt__conn_settings.on_chunk_complete = conn_on_chunk_complete;
    pt__conn_settings.on_message_complete = conn_on_message_complete;
}
