/* HTTP/1.1 connections: reading, feeding llhttp (its callbacks are in
 * conn_parse.c), dispatch, pipelining, keep-alive, writing and closing.
 * See conn.h for the model. */
#define _GNU_SOURCE
#include "http/conn.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <errno.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "http/framing.h"
#include "http/observe.h"
#include "http/worker.h"

static void conn_flush(pt__conn_t *c);
static void conn_resume_pending(pt__conn_t *c);
static void conn_feed(pt__conn_t *c, const char *data, size_t len);
static void conn_read_start(pt__conn_t *c);
static void conn_read_stop(pt__conn_t *c);


/* ---- lifecycle ---- */

static void conn_free(pt__conn_t *c)
{
    pt__worker_t *w = c->worker;
    if (c->req) {
        pt__req_destroy(c->req);
        free(c->req);
    }
    if (pt__observe_on)
        pt__observe_conn(c, -1);
    pt__buf_free(&c->tok);
    pt__buf_free(&c->pending);
    pt__buf_free(&c->out);
    pt__buf_free(&c->wbuf);
    w->nconns--;
    free(c);
}

static void on_close(uv_handle_t *h)
{
    pt__conn_t *c = (pt__conn_t *)h;
    c->handle_closed = true;
    /* A handler may still run for this connection; it frees it when done. */
    if (c->state == PT_CONN_HANDLING)
        return;
    conn_free(c);
}

void pt__conn_close(pt__conn_t *c)
{
    if (c->closed)
        return;
    c->closed = true;
    pt__conn_list_put(c->worker, c, PT_LIST_NONE);
    if (c->sink)
        c->sink->closed(c->sink->ctx);
    uv_close((uv_handle_t *)&c->tcp, on_close);
}

static void alloc_cb(uv_handle_t *h, size_t hint, uv_buf_t *buf)
{
    pt__conn_t *c = (pt__conn_t *)h;
    /* Input is copied into the request as it is parsed, so one buffer per
     * worker serves every connection. */
    buf->base = c->worker->readbuf;
    buf->len = sizeof c->worker->readbuf;
}

/* Input that arrives while a handler runs waits, unparsed, behind it: one
 * request is in flight per connection. */
#define PT_PENDING_MAX (64u << 10)

static void conn_hold_input(pt__conn_t *c, const char *data, size_t len)
{
    pt__buf_append(&c->pending, data, len);
    if (c->pending.len >= PT_PENDING_MAX)
        conn_read_stop(c);
}

static void on_read(uv_stream_t *s, ssize_t n, const uv_buf_t *buf)
{
    pt__conn_input((pt__conn_t *)s, buf->base, n);
}

void pt__conn_input(pt__conn_t *c, const char *data, ssize_t n)
{
    if (n > 0) {
        if (c->state == PT_CONN_HANDLING)
            conn_hold_input(c, data, (size_t)n);
        else
            conn_feed(c, data, (size_t)n);
        return;
    }
    if (n < 0) {
        /* EOF or error: nothing more will come; a half-read request is
         * dropped. A client that half-closed after its request still gets
         * the responses already queued: close once they are written. */
        conn_read_stop(c);
        if (c->state == PT_CONN_HANDLING) {
            /* A socket reports its end again once reading restarts; a sink
             * gives it once: close after the answer. */
            if (c->sink)
                c->close_after_write = true;
            return;
        }
        if (n == UV_EOF && (c->writing || c->out.len)) {
            c->state = PT_CONN_CLOSING;
            c->close_after_write = true;
            c->since = (int64_t)uv_now(&c->worker->loop);
            pt__conn_list_put(c->worker, c, PT_LIST_IDLE); /* bounded by the idle timeout */
            return;
        }
        pt__conn_close(c);
    }
}

static void conn_read_start(pt__conn_t *c)
{
    if (c->reading || c->closed)
        return;
    c->reading = true;
    if (c->sink)
        return; /* its input is pushed by pt__conn_input */
    uv_read_start((uv_stream_t *)&c->tcp, alloc_cb, on_read);
}

static void conn_read_stop(pt__conn_t *c)
{
    if (!c->reading)
        return;
    c->reading = false;
    if (c->sink)
        return;
    uv_read_stop((uv_stream_t *)&c->tcp);
}

/* A new connection on the worker's loop, not yet bound to a socket. */
static pt__conn_t *conn_new(pt__worker_t *w)
{
    pt__conn_t *c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    uv_tcp_init(&w->loop, &c->tcp);
    c->worker = w;
    w->nconns++;
    if (pt__observe_on)
        pt__observe_conn(c, 1);
    return c;
}

/* The socket is open: set up parsing and start reading, or answer 503 when
 * over the connection limit. */
static void conn_begin(pt__conn_t *c)
{
    pt__worker_t *w = c->worker;
    uv_tcp_nodelay(&c->tcp, 1);
    uv_os_fd_t fd = -1;
    uv_fileno((uv_handle_t *)&c->tcp, &fd);
    c->fd = fd;
    llhttp_init(&c->parser, HTTP_REQUEST, &pt__conn_settings);
    c->parser.data = c;
    c->head_scan = true;
    c->state = PT_CONN_IDLE;
    if (w->nconns > w->limits->max_connections) {
        pt__resp_simple(c, 503, NULL, true);
        conn_flush(c);
        return;
    }
    c->since = (int64_t)uv_now(&w->loop);
    pt__conn_list_put(w, c, PT_LIST_IDLE);
    conn_read_start(c);
}

void pt__conn_accept(pt__worker_t *w, uv_stream_t *server)
{
    pt__conn_t *c = conn_new(w);
    if (!c)
        return;
    if (uv_accept(server, (uv_stream_t *)&c->tcp) != 0) {
        c->closed = true;
        uv_close((uv_handle_t *)&c->tcp, on_close);
        return;
    }
    /* During the drain too: its answer carries Connection: close. */
    conn_begin(c);
}

int pt__conn_adopt(pt__worker_t *w, int fd)
{
    pt__conn_t *c = conn_new(w);
    if (!c)
        return -1;
    if (uv_tcp_open(&c->tcp, fd) != 0) {
        c->closed = true;
        uv_close((uv_handle_t *)&c->tcp, on_close);
        return -1;
    }
    /* Served like any connection; draining makes its answer close it. */
    conn_begin(c);
    return 0;
}

pt__conn_t *pt__conn_open_sink(pt__worker_t *w, const pt__conn_sink_t *sink)
{
    pt__conn_t *c = conn_new(w);
    if (!c)
        return NULL;
    /* The handle stays unopened (no descriptor): uv_close still runs its
     * callback, which keeps one path for freeing connections. */
    c->sink = sink;
    conn_begin(c);
    return c;
}

static ssize_t conn_try_write(pt__conn_t *c, const char *p, size_t n);

void pt__conn_abandon(pt__conn_t *c)
{
    if (c->closed)
        return;
    /* Its handler is still running: answer 503 now, with what was queued
     * before it, unless a write in flight would be overtaken. The loop stops
     * right after, so the write is attempted once, synchronously. */
    if (c->state == PT_CONN_HANDLING && !c->writing) {
        pt__resp_simple(c, 503, NULL, true);
        if (c->sink) {
            c->sink->write(c->sink->ctx, c->out.data, c->out.len);
        } else {
            (void)conn_try_write(c, c->out.data, c->out.len);
            shutdown(c->fd, SHUT_WR);
        }
    }
    pt__conn_close(c);
}

/* ---- writing ---- */

static void on_shutdown(uv_shutdown_t *req, int status)
{
    pt__conn_t *c = req->data;
    free(req);
    pt__conn_close(c);
}

/* Half-close after the last response so the client reads it before the
 * connection goes, instead of a reset racing the data. */
static void conn_finish(pt__conn_t *c)
{
    if (c->closed)
        return;
    conn_read_stop(c);
    if (c->sink) {
        pt__conn_close(c); /* every byte was handed over: nothing to half-close */
        return;
    }
    uv_shutdown_t *req = malloc(sizeof *req);
    if (!req || uv_shutdown(req, (uv_stream_t *)&c->tcp, on_shutdown) != 0) {
        free(req);
        pt__conn_close(c);
        return;
    }
    req->data = c;
    /* The shutdown waits for queued writes: a client that stops reading must
     * not hold the connection forever, so the idle timeout still applies. */
    c->since = (int64_t)uv_now(&c->worker->loop);
    pt__conn_list_put(c->worker, c, PT_LIST_IDLE);
}

/* Every byte of response this connection holds for its client: what waits
 * behind the write in flight and the write itself. */
static size_t conn_backlog(const pt__conn_t *c)
{
    return c->out.len + (c->writing ? c->wbuf.len : 0);
}

/* Over the limit, the client is not reading what it asked for: parsing its
 * pipelined requests would only grow the backlog, so input waits until it
 * drains. Without this, a client that sends and never reads grows the
 * server without bound. */
static bool conn_backlogged(const pt__conn_t *c)
{
    return conn_backlog(c) > c->worker->limits->max_output_backlog;
}

/* Between requests, or inside one whose bytes are still arriving, with no
 * unparsed input waiting and no output backlog: time to read. */
static bool conn_wants_input(const pt__conn_t *c)
{
    return !c->closed && !c->pending.len &&
           (c->state == PT_CONN_IDLE || c->state == PT_CONN_READING || c->state == PT_CONN_BODY) &&
           !conn_backlogged(c);
}

static void on_write(uv_write_t *req, int status)
{
    pt__conn_t *c = req->data;
    c->writing = false;
    c->wbuf.len = 0;
    if (status < 0) {
        if (c->state != PT_CONN_HANDLING)
            pt__conn_close(c);
        else
            c->close_after_write = true;
        return;
    }
    conn_flush(c);
    /* Pipelined requests held back while the client was behind. */
    if (c->state == PT_CONN_IDLE && c->pending.len && !conn_backlogged(c)) {
        conn_resume_pending(c);
        return;
    }
    pt__conn_trim(c);
    if (conn_wants_input(c))
        conn_read_start(c);
}

/* Writes what the kernel takes now: bytes written, 0 when it takes
 * nothing, a negative errno on failure. Only called with nothing queued in
 * libuv (c->writing false), so the bytes cannot overtake a queued write.
 * The system call is made directly: the C library's write() is a thread
 * cancellation point and brackets the call with two atomic updates of the
 * thread's cancellation state, on every response. */
static ssize_t conn_try_write(pt__conn_t *c, const char *p, size_t n)
{
    for (;;) {
        long r = syscall(SYS_write, c->fd, p, n);
        if (r >= 0)
            return r;
        if (errno == EINTR)
            continue;
        return errno == EAGAIN || errno == EWOULDBLOCK ? 0 : -errno;
    }
}

/* A response about to be queued on an empty output buffer is written into
 * the worker's spare buffer instead, which the previous response left and
 * is still in the CPU cache; the connection's own buffer waits in its
 * place. out_return swaps them back once the kernel took every byte. */
static void out_borrow(pt__conn_t *c)
{
    pt__worker_t *w = c->worker;
    if (c->out.len || c->out_borrowed || c->writing)
        return;
    pt__buf_t own = c->out;
    c->out = w->out_spare;
    w->out_spare = own;
    c->out_borrowed = true;
}

static inline void out_return(pt__conn_t *c)
{
    if (!c->out_borrowed)
        return;
    pt__worker_t *w = c->worker;
    c->out_borrowed = false;
    if (c->out.cap > 65536)
        pt__buf_free(&c->out); /* one big response does not pin its buffer */
    pt__buf_t spare = c->out;
    c->out = w->out_spare;
    w->out_spare = spare;
}

static void conn_flush(pt__conn_t *c)
{
    if (c->closed || c->writing)
        return;
    if (c->out.len && c->sink) {
        /* The sink takes every byte at once: never a backlog. */
        c->sink->write(c->sink->ctx, c->out.data, c->out.len);
        c->out.len = 0;
        out_return(c);
    }
    if (c->out.len) {
        uv_buf_t b;
        ssize_t n = conn_try_write(c, c->out.data, c->out.len);
        if (n < 0) {
            c->out.len = 0;
            out_return(c);
            if (c->state != PT_CONN_HANDLING)
                pt__conn_close(c);
            return;
        }
        size_t done = (size_t)n;
        if (done < c->out.len) {
            /* The kernel is full: hand the rest to libuv and keep `out` free
             * for the next responses. */
            pt__buf_t tmp = c->wbuf;
            c->wbuf = c->out;
            c->out = tmp;
            c->out.len = 0;
            c->out_borrowed = false; /* the spare went along: it is this connection's now */
            memmove(c->wbuf.data, c->wbuf.data + done, c->wbuf.len - done);
            c->wbuf.len -= done;
            b = uv_buf_init(c->wbuf.data, (unsigned)c->wbuf.len);
            c->wreq.data = c;
            c->writing = true;
            c->queued_at_check = SIZE_MAX;
            if (uv_write(&c->wreq, (uv_stream_t *)&c->tcp, &b, 1, on_write) != 0) {
                c->writing = false;
                pt__conn_close(c);
                return;
            }
            if (conn_backlogged(c))
                conn_read_stop(c);
            return;
        }
        c->out.len = 0;
        out_return(c);
    }
    if (c->close_after_write && c->state != PT_CONN_HANDLING)
        conn_finish(c);
}

/* ---- the request cycle ---- */

/* Called when a request's response has been decided: queue it, reset for the
 * next request, and go on with whatever input waits. */
void pt__conn_request_done(pt__conn_t *c)
{
    pt_req_t *r = c->req;
    if (c->worker->draining)
        r->keep_alive = false;
    bool keep = r->keep_alive;
    if (c->closed) {
        /* The connection went away while the handler ran. Free it now if
         * libuv is done with the handle, else from its close callback. */
        if (pt__observe_on)
            pt__observe_end(r, 0);
        pt__req_reset(r);
        c->state = PT_CONN_IDLE;
        if (c->handle_closed)
            conn_free(c);
        return;
    }
    size_t out_before = c->out.len;
    out_borrow(c);
    pt__resp_write(c, r);
    if (pt__observe_on)
        pt__observe_end(r, c->out.len - out_before);
    c->answered_one = true;
    pt__req_reset(r);
    if (!keep) {
        c->state = PT_CONN_CLOSING;
        c->close_after_write = true;
        c->pending.len = 0;
        /* Until its last bytes are written, the idle timeout guards it. */
        c->since = (int64_t)uv_now(&c->worker->loop);
        pt__conn_list_put(c->worker, c, PT_LIST_IDLE);
    } else {
        c->state = PT_CONN_IDLE;
        c->since = (int64_t)uv_now(&c->worker->loop);
        pt__conn_list_put(c->worker, c, PT_LIST_IDLE);
    }
    if (c->in_feed)
        return; /* conn_feed goes on with the rest of its input */
    if (keep && c->pending.len) {
        conn_resume_pending(c);
        return;
    }
    conn_flush(c);
    pt__conn_trim(c);
    if (conn_wants_input(c))
        conn_read_start(c);
}

/* Parses the input held in `pending` (behind a suspended handler or a
 * backlogged client), then reads again if nothing holds it back. */
static void conn_resume_pending(pt__conn_t *c)
{
    pt__buf_t in = c->pending;
    c->pending = (pt__buf_t){ 0 };
    conn_feed(c, in.data, in.len);
    pt__buf_free(&in);
    pt__conn_trim(c);
    if (conn_wants_input(c))
        conn_read_start(c);
}

/* "400: Bad Request (<llhttp's reason>)", in the request arena. */
static const char *conn_parse_error_text(pt__conn_t *c)
{
    const char *why = llhttp_get_error_reason(&c->parser);
    return why && *why ? pt_arena_printf(&c->req->arena, "400: Bad Request (%s)", why) : NULL;
}





static void conn_feed(pt__conn_t *c, const char *data, size_t len)
{
    const char *p = data, *end = data + len;
    c->in_feed = true;
    while (p < end && !c->closed && c->state != PT_CONN_CLOSING) {
        llhttp_errno_t e;
        if (c->chunk_crlf) {
            e = pt__chunk_crlf(c, &p, end);
            if (e == HPE_OK)
                continue;
        } else if (c->chunk_line) {
            e = pt__chunk_line(c, &p, end);
            if (e == HPE_OK)
                continue;
        } else if (c->head_scan && pt__head_folds(c, p, end)) {
            pt__conn_fail(c, 400, "400: Bad Request (obsolete line folding)");
            e = HPE_USER;
        } else {
            e = llhttp_execute(&c->parser, p, (size_t)(end - p));
        }
        if (e == HPE_PAUSED && (c->chunk_line || c->chunk_crlf)) {
            /* Paused where a chunk-size line or a chunk's CRLF begins. */
            p = llhttp_get_error_pos(&c->parser);
            llhttp_resume(&c->parser);
            continue;
        }
        if (e == HPE_OK)
            break;
        if (e == HPE_PAUSED_UPGRADE) {
            /* The upgrade request was answered (it closes the connection);
             * what follows it is not HTTP we parse. */
            break;
        }
        if (e == HPE_PAUSED) {
            p = llhttp_get_error_pos(&c->parser);
            llhttp_resume(&c->parser);
            c->state = PT_CONN_HANDLING;
            /* No timeout can fire while the handler runs on this stack: the
             * connection leaves its list only if the handler waits. */
            pt__req_dispatch(c->req);
            if (c->state == PT_CONN_HANDLING) {
                pt__conn_list_put(c->worker, c, PT_LIST_NONE);
                /* The handler is waiting: keep the rest for when it is done.
                 * Reading goes on (stopping and restarting it costs two
                 * epoll_ctl per suspended request) until PT_PENDING_MAX
                 * bytes wait. */
                conn_hold_input(c, p, (size_t)(end - p));
                break;
            }
            if (p < end && c->state == PT_CONN_IDLE && conn_backlogged(c)) {
                /* Try to hand the backlog to the kernel; if the client is
                 * still behind, the rest of its pipeline waits for it. */
                conn_flush(c);
                if (conn_backlogged(c)) {
                    pt__buf_append(&c->pending, p, (size_t)(end - p));
                    conn_read_stop(c);
                    break;
                }
            }
            continue;
        }
        int status = c->parse_error ? c->parse_error : 400;
        /* A well-formed "HTTP/d.d" that llhttp does not speak (HTTP/3.0,
         * HTTP/1.2): the version, not the syntax, is what is refused. */
        const char *reason = llhttp_get_error_reason(&c->parser);
        if (!c->parse_error && llhttp_get_errno(&c->parser) == HPE_INVALID_VERSION && reason &&
            strcmp(reason, "Invalid HTTP version") == 0)
            status = 505;
        pt__req_reset(pt__conn_req(c));
        const char *text = c->parse_error ? c->parse_error_text
                           : status == 505 ? NULL : conn_parse_error_text(c);
        pt__resp_simple(c, status, text, true);
        c->state = PT_CONN_CLOSING;
        break;
    }
    c->in_feed = false;
    pt__conn_tok_keep(c);
    /* Inside a request whose bytes are still to come: the header timeout
     * (from its first byte) or the idle timeout (body) guards it. */
    if (!c->closed && c->state == PT_CONN_READING)
        pt__conn_list_put(c->worker, c, PT_LIST_HEADERS);
    else if (!c->closed && c->state == PT_CONN_BODY)
        pt__conn_list_put(c->worker, c, PT_LIST_IDLE);
    conn_flush(c);
    if (conn_backlogged(c))
        conn_read_stop(c);
    pt__conn_trim(c);
}

void pt__conn_expire(pt__conn_t *c)
{
    /* A response still being written is given more time as long as the
     * client keeps taking bytes (like nginx's send_timeout): only a client
     * that read nothing for a whole timeout is dropped. */
    if (c->writing) {
        size_t queued = uv_stream_get_write_queue_size((uv_stream_t *)&c->tcp);
        if (queued < c->queued_at_check) {
            c->queued_at_check = queued;
            c->since = (int64_t)uv_now(&c->worker->loop);
            pt__conn_list_put(c->worker, c, PT_LIST_IDLE);
            return;
        }
        pt__conn_close(c);
        return;
    }
    if (c->state == PT_CONN_READING || c->state == PT_CONN_BODY) {
        pt__req_reset(c->req);
        pt__resp_simple(c, 408, NULL, true);
        c->state = PT_CONN_CLOSING;
        conn_flush(c);
    } else {
        pt__conn_close(c);
    }
}
