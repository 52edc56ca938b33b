/* The native HTTP/1.1 path of the client (see native.h): per scheduler
 * thread, keep-alive TCP connections on the worker's libuv loop, pooled by
 * "host:port"; a request is written with one write and its response parsed
 * with llhttp (HTTP_RESPONSE). Bodies may be delimited by Content-Length,
 * chunked, or the connection's close.
 *
 * Everything here runs on the worker's thread: the coroutine that asks
 * (pt__http_native_perform) and the libuv callbacks that carry the request
 * out. The transfer (xfer_t) lives on the coroutine's stack; a connection
 * points to it only while the transfer is attached, and a coroutine that
 * leaves (its deadline passed) detaches it first, so no callback touches a
 * transfer that is gone. */
#define _GNU_SOURCE
#include "client/native.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <llhttp.h>
#include <netdb.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <uv.h>

#include "ponty/client.h"
#include "ponty/sync.h"
#include "client/engine.h"
#include "core/list.h"
#include "core/sched.h"
#include "core/wait.h"

#define MAX_HOST 255
#define READ_BUF 65536
#define INLINE_REQ 2048

typedef struct nconn nconn_t;
typedef struct xfer xfer_t;

typedef struct nengine {
    uv_loop_t *loop;
    pt__list_t all;       /* every open connection, for the teardown */
    pt__list_t idle;      /* pooled connections, most recently used first */
    unsigned   nidle, max_idle;
    bool       off;       /* the environment sends everything to libcurl */
    char       rbuf[READ_BUF]; /* every read lands here: read callbacks consume it at once */
} nengine_t;

struct nconn {
    uv_tcp_t     tcp;
    uv_connect_t creq;
    uv_write_t   wreq;
    nengine_t   *e;
    pt__link_t   in_all;         /* e->all */
    pt__link_t   in_idle;        /* e->idle, while idle */
    xfer_t      *x;              /* the transfer using it; NULL when pooled or abandoned */
    char        *wbuf;           /* the unwritten rest of a request, while uv_write has it */
    bool         idle, closing, reading;
    char         key[MAX_HOST + 10]; /* "host:port" */
};

/* A name being resolved; owned by the resolver callback, which frees it. */
typedef struct gai {
    uv_getaddrinfo_t req;
    xfer_t          *x;          /* NULL once the transfer left */
    char             host[MAX_HOST + 1];
} gai_t;

typedef struct url {
    const char *host;            /* without brackets */
    size_t      host_len;
    int         port;
    const char *path;            /* from '/' or '?' to '#' or the end */
    size_t      path_len;
    bool        v6;
} url_t;

struct xfer {
    pt__waiter_t         w;
    pt__http_native_req_t *q;
    nengine_t           *e;
    pt__resp_read_t      rd;             /* the response being read into q->r */
    nconn_t             *conn;
    gai_t               *gai;
    struct addrinfo     *ai, *ai_next;   /* the resolver's answer (owned) and the next to try */
    const url_t         *u;
    const char          *key;
    const char          *out;            /* the request's bytes */
    size_t               out_len;
    int                  error;
    bool                 parked, done, got_bytes, reused, keep;
    bool                 close_asked;    /* the request said Connection: close */
};

static __thread nengine_t *tls_native;

/* Whether the environment sends everything to libcurl. */
static bool native_disabled(void)
{
    const char *v = getenv("PONTY_HTTP_CLIENT");
    if (v && strcmp(v, "curl") == 0)
        return true;
    /* libcurl honours these; the native path has no proxy support. */
    static const char *const proxies[] = { "http_proxy", "HTTP_PROXY", "all_proxy", "ALL_PROXY" };
    for (size_t i = 0; i < sizeof proxies / sizeof *proxies; i++) {
        const char *p = getenv(proxies[i]);
        if (p && *p)
            return true;
    }
    return false;
}


/* ---------------------------------------------------------------------------
 * URLs
 * ------------------------------------------------------------------------- */

static bool host_char(char c) { return isalnum((unsigned char)c) || c == '-' || c == '.' || c == '_'; }

/* The plain forms only: http://host[:port][/path][?query][#fragment] with a
 * host name, an IPv4 or a bracketed IPv6 address, no user info, no bytes
 * outside printable ASCII and no dot segments (which libcurl would
 * normalise). Anything else goes to libcurl, which accepts or refuses it. */
static bool url_parse(const char *s, url_t *u)
{
    if (strncasecmp(s, "http://", 7) != 0)
        return false;
    for (const char *p = s; *p; p++)
        if ((unsigned char)*p <= 0x20 || (unsigned char)*p >= 0x7f)
            return false;
    const char *a = s + 7;
    size_t alen = strcspn(a, "/?#");
    const char *aend = a + alen, *port = NULL;
    memset(u, 0, sizeof *u);
    if (alen == 0)
        return false;
    if (*a == '[') {
        const char *rb = memchr(a, ']', alen);
        if (!rb)
            return false;
        u->host = a + 1;
        u->host_len = (size_t)(rb - a - 1);
        u->v6 = true;
        if (rb + 1 < aend) {
            if (rb[1] != ':')
                return false;
            port = rb + 2;
        }
        for (size_t i = 0; i < u->host_len; i++)
            if (!isxdigit((unsigned char)u->host[i]) && u->host[i] != ':' && u->host[i] != '.')
                return false;
    } else {
        const char *colon = memchr(a, ':', alen);
        u->host = a;
        u->host_len = colon ? (size_t)(colon - a) : alen;
        if (colon)
            port = colon + 1;
        for (size_t i = 0; i < u->host_len; i++)
            if (!host_char(u->host[i]))
                return false;
    }
    if (u->host_len == 0 || u->host_len > MAX_HOST)
        return false;
    u->port = 80;
    if (port) {
        if (port == aend || aend - port > 5)
            return false;
        int n = 0;
        for (const char *p = port; p < aend; p++) {
            if (!isdigit((unsigned char)*p))
                return false;
            n = n * 10 + (*p - '0');
        }
        if (n < 1 || n > 65535)
            return false;
        u->port = n;
    }
    u->path = aend;
    u->path_len = strcspn(aend, "#");
    /* Dot segments in the path part. */
    size_t plen = strcspn(u->path, "?#");
    for (size_t i = 0; i < plen; i++) {
        if (u->path[i] != '/' || i + 1 >= plen || u->path[i + 1] != '.')
            continue;
        size_t j = i + 2;
        if (j < plen && u->path[j] == '.')
            j++;
        if (j == plen || u->path[j] == '/')
            return false;
    }
    return true;
}

/* ---------------------------------------------------------------------------
 * The per-thread engine and its connections
 * ------------------------------------------------------------------------- */

static void conn_closed(uv_handle_t *h)
{
    nconn_t *c = h->data;
    free(c->wbuf);
    free(c);
}

static void idle_remove(nengine_t *e, nconn_t *c)
{
    pt__list_remove(&e->idle, &c->in_idle);
    c->idle = false;
    e->nidle--;
}

static void conn_close(nconn_t *c)
{
    if (c->closing)
        return;
    nengine_t *e = c->e;
    c->closing = true;
    c->x = NULL;
    if (c->idle)
        idle_remove(e, c);
    pt__list_remove(&e->all, &c->in_all);
    /* Pending connect and write callbacks run (with UV_ECANCELED) before
     * conn_closed frees c. */
    uv_close((uv_handle_t *)&c->tcp, conn_closed);
}

static void engine_free(void *arg)
{
    nengine_t *e = arg;
    while (e->all.head)
        conn_close(PT__ELEM(e->all.head, nconn_t, in_all));
    if (tls_native == e)
        tls_native = NULL;
    free(e);
}

static nengine_t *engine_get(void)
{
    if (tls_native)
        return tls_native;
    pt__sched_t *s = pt__sched_self();
    if (!s)
        return NULL;
    nengine_t *e = pt__http_xmalloc(sizeof *e);
    memset(e, 0, offsetof(nengine_t, rbuf));
    e->loop = pt__sched_loop(s);
    /* As many idle connections as all the clients together may use at once:
     * a burst then leaves its connections pooled for the next one. */
    e->max_idle = (unsigned)pt__http_total_limit();
    e->off = native_disabled();
    pt__sched_on_free(s, engine_free, e);
    tls_native = e;
    return e;
}

static nconn_t *pool_take(nengine_t *e, const char *key)
{
    for (pt__link_t *l = e->idle.head; l; l = l->next) {
        nconn_t *c = PT__ELEM(l, nconn_t, in_idle);
        if (strcmp(c->key, key) == 0) {
            idle_remove(e, c);
            return c;
        }
    }
    return NULL;
}

static void pool_put(nengine_t *e, nconn_t *c)
{
    if (e->nidle >= e->max_idle) {
        conn_close(c);
        return;
    }
    c->idle = true;
    pt__list_push_front(&e->idle, &c->in_idle);
    e->nidle++;
}

/* ---------------------------------------------------------------------------
 * A transfer's end
 * ------------------------------------------------------------------------- */

static void xfer_end(xfer_t *x, int error, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Ends the transfer: its connection goes back to the pool (a whole answer
 * on a connection both sides keep alive, with nothing left over) or is
 * closed, and the coroutine is woken if it waits. */
static void xfer_end(xfer_t *x, int error, const char *fmt, ...)
{
    if (x->done)
        return;
    x->done = true;
    x->error = error;
    if (error && fmt) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(x->q->detail, sizeof x->q->detail, fmt, ap);
        va_end(ap);
    }
    nconn_t *c = x->conn;
    x->conn = NULL;
    if (c) {
        c->x = NULL;
        if (!error && x->keep && !c->wbuf)
            pool_put(x->e, c);
        else
            conn_close(c);
    }
    if (x->parked)
        pt__waiter_wake(&x->w);
}


/* ---------------------------------------------------------------------------
 * I/O callbacks
 * ------------------------------------------------------------------------- */

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
    (void)suggested;
    nconn_t *c = h->data;
    buf->base = c->e->rbuf;
    buf->len = READ_BUF;
}

static void on_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf)
{
    nconn_t *c = s->data;
    xfer_t *x = c->x;
    if (nread == 0)
        return;
    if (!x) {
        /* A pooled connection the peer closed, or sent bytes nobody asked
         * for: it cannot carry another request. */
        conn_close(c);
        return;
    }
    if (nread > 0) {
        x->got_bytes = true;
        llhttp_errno_t err = pt__resp_read_feed(&x->rd, buf->base, (size_t)nread);
        if (err == HPE_OK)
            return;
        if ((err == HPE_PAUSED || err == HPE_PAUSED_UPGRADE) && x->rd.complete) {
            /* Bytes after the answer: the connection is out of step. After
             * a 101 it speaks another protocol. */
            x->keep = x->rd.keep && !x->close_asked && err == HPE_PAUSED &&
                      llhttp_get_error_pos(&x->rd.parser) == buf->base + nread;
            xfer_end(x, 0, NULL);
        } else if (x->q->r->too_big) {
            xfer_end(x, PT_HTTP_ETOOBIG, NULL);
        } else {
            xfer_end(x, PT_HTTP_EPROTO, "%s", llhttp_get_error_reason(&x->rd.parser)
                                                  ? llhttp_get_error_reason(&x->rd.parser)
                                                  : llhttp_errno_name(err));
        }
        return;
    }
    if (nread == UV_EOF) {
        if (x->got_bytes) {
            pt__resp_read_eof(&x->rd); /* ends a body delimited by the close */
            if (x->rd.complete) {
                x->keep = false;
                xfer_end(x, 0, NULL);
                return;
            }
            xfer_end(x, PT_HTTP_ECONNRESET, "the connection closed before the response was complete");
        } else {
            xfer_end(x, PT_HTTP_ECONNRESET, "Empty reply from server");
        }
        return;
    }
    xfer_end(x, PT_HTTP_ECONNRESET, "Recv failure: %s", uv_strerror((int)nread));
}

static void on_written(uv_write_t *req, int status)
{
    nconn_t *c = req->data;
    free(c->wbuf);
    c->wbuf = NULL;
    if (status < 0 && !c->closing && c->x)
        xfer_end(c->x, PT_HTTP_ECONNRESET, "Send failure: %s", uv_strerror(status));
}

/* Writes the request: one write when the socket takes it all (as it does
 * for a request that fits its buffer), else the rest is copied and queued. */
static void xfer_send(xfer_t *x)
{
    nconn_t *c = x->conn;
    uv_buf_t b = uv_buf_init((char *)x->out, (unsigned)x->out_len);
    int n = uv_try_write((uv_stream_t *)&c->tcp, &b, 1);
    if (n == UV_EAGAIN)
        n = 0;
    if (n < 0) {
        xfer_end(x, PT_HTTP_ECONNRESET, "Send failure: %s", uv_strerror(n));
        return;
    }
    if ((size_t)n == x->out_len)
        return;
    size_t rest = x->out_len - (size_t)n;
    c->wbuf = pt__http_xmalloc(rest);
    memcpy(c->wbuf, x->out + n, rest);
    b = uv_buf_init(c->wbuf, (unsigned)rest);
    c->wreq.data = c;
    int rc = uv_write(&c->wreq, (uv_stream_t *)&c->tcp, &b, 1, on_written);
    if (rc < 0) {
        free(c->wbuf);
        c->wbuf = NULL;
        xfer_end(x, PT_HTTP_ECONNRESET, "Send failure: %s", uv_strerror(rc));
    }
}

static void xfer_connect(xfer_t *x, const struct sockaddr *sa);

static void xfer_connect_next(xfer_t *x, int last_error)
{
    while (x->ai_next) {
        struct addrinfo *a = x->ai_next;
        x->ai_next = a->ai_next;
        if (a->ai_family == AF_INET || a->ai_family == AF_INET6) {
            xfer_connect(x, a->ai_addr);
            return;
        }
    }
    const url_t *u = x->u;
    xfer_end(x, PT_HTTP_ECONNECT, "Failed to connect to %.*s port %d: %s", (int)u->host_len, u->host, u->port,
             last_error ? uv_strerror(last_error) : "no address");
}

static void on_connect(uv_connect_t *req, int status)
{
    nconn_t *c = req->data;
    if (c->closing)
        return;
    xfer_t *x = c->x;
    if (!x) {
        conn_close(c);
        return;
    }
    if (status < 0) {
        x->conn = NULL;
        conn_close(c);
        xfer_connect_next(x, status);
        return;
    }
    int rc = uv_read_start((uv_stream_t *)&c->tcp, on_alloc, on_read);
    if (rc < 0) {
        xfer_end(x, PT_HTTP_ECONNECT, "%s", uv_strerror(rc));
        return;
    }
    c->reading = true;
    xfer_send(x);
}

static void xfer_connect(xfer_t *x, const struct sockaddr *sa)
{
    nengine_t *e = x->e;
    nconn_t *c = pt__http_xmalloc(sizeof *c);
    memset(c, 0, sizeof *c);
    c->e = e;
    snprintf(c->key, sizeof c->key, "%s", x->key);
    int rc = uv_tcp_init(e->loop, &c->tcp);
    if (rc < 0) {
        free(c);
        xfer_end(x, PT_HTTP_EFAILED, "%s", uv_strerror(rc));
        return;
    }
    c->tcp.data = c;
    c->creq.data = c;
    /* Pooled connections must not keep a stopping worker's loop alive. */
    uv_unref((uv_handle_t *)&c->tcp);
    pt__list_push_front(&e->all, &c->in_all);
    c->x = x;
    x->conn = c;
    rc = uv_tcp_connect(&c->creq, &c->tcp, sa, on_connect);
    if (rc < 0) {
        x->conn = NULL;
        conn_close(c);
        xfer_connect_next(x, rc);
        return;
    }
    uv_tcp_nodelay(&c->tcp, 1);
}

static void on_resolved(uv_getaddrinfo_t *req, int status, struct addrinfo *res)
{
    gai_t *g = req->data;
    xfer_t *x = g->x;
    if (!x) {
        if (res)
            uv_freeaddrinfo(res);
        free(g);
        return;
    }
    x->gai = NULL;
    if (status < 0 || !res) {
        if (res)
            uv_freeaddrinfo(res);
        xfer_end(x, PT_HTTP_ERESOLVE, "Could not resolve host: %s", g->host);
        free(g);
        return;
    }
    free(g);
    x->ai = x->ai_next = res;
    xfer_connect_next(x, 0);
}

/* A new connection: numeric addresses directly, names through the loop's
 * resolver (uv_getaddrinfo, on libuv's thread pool). */
static void xfer_open(xfer_t *x)
{
    const url_t *u = x->u;
    char host[MAX_HOST + 1];
    memcpy(host, u->host, u->host_len);
    host[u->host_len] = '\0';
    struct sockaddr_storage ss;
    memset(&ss, 0, sizeof ss);
    if (uv_ip4_addr(host, u->port, (struct sockaddr_in *)&ss) == 0 ||
        (u->v6 && uv_ip6_addr(host, u->port, (struct sockaddr_in6 *)&ss) == 0)) {
        xfer_connect(x, (const struct sockaddr *)&ss);
        return;
    }
    gai_t *g = pt__http_xmalloc(sizeof *g);
    memset(g, 0, sizeof *g);
    memcpy(g->host, host, u->host_len + 1);
    g->req.data = g;
    g->x = x;
    char port[8];
    snprintf(port, sizeof port, "%d", u->port);
    struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM, .ai_flags = AI_ADDRCONFIG };
    x->gai = g;
    int rc = uv_getaddrinfo(x->e->loop, &g->req, on_resolved, g->host, port, &hints);
    if (rc < 0) {
        x->gai = NULL;
        free(g);
        xfer_end(x, PT_HTTP_ERESOLVE, "Could not resolve host: %s (%s)", host, uv_strerror(rc));
    }
}

/* ---------------------------------------------------------------------------
 * The request
 * ------------------------------------------------------------------------- */

typedef struct obuf {
    char  *p;
    size_t len, cap;
    char  *heap;   /* p when it had to leave the inline buffer */
} obuf_t;

static void put(obuf_t *o, const void *s, size_t n)
{
    if (o->len + n > o->cap) {
        size_t cap = o->cap * 2;
        while (cap < o->len + n)
            cap *= 2;
        char *np = pt__http_xmalloc(cap);
        memcpy(np, o->p, o->len);
        free(o->heap);
        o->p = o->heap = np;
        o->cap = cap;
    }
    memcpy(o->p + o->len, s, n);
    o->len += n;
}

static void puts_(obuf_t *o, const char *s) { put(o, s, strlen(s)); }

static bool method_is(const char *m, const char *name) { return strcmp(m, name) == 0; }

static bool idempotent(const char *m)
{
    return method_is(m, "GET") || method_is(m, "HEAD") || method_is(m, "PUT") || method_is(m, "DELETE") ||
           method_is(m, "OPTIONS") || method_is(m, "TRACE");
}

static void build(obuf_t *o, const pt__http_native_req_t *q, const url_t *u, const char *key)
{
    puts_(o, q->method);
    put(o, " ", 1);
    if (u->path_len == 0 || u->path[0] == '?')
        put(o, "/", 1);
    put(o, u->path, u->path_len);
    put(o, " HTTP/1.1\r\n", 11);
    unsigned has = q->fixed_flags;
    bool has_len = false, has_ctype = false;
    for (const char *const *h = q->headers; h && h[0]; h += 2) {
        if (strcasecmp(h[0], "Host") == 0)
            has |= PT__HTTP_HAS_HOST;
        else if (strcasecmp(h[0], "Accept") == 0)
            has |= PT__HTTP_HAS_ACCEPT;
        else if (strcasecmp(h[0], "Content-Length") == 0)
            has_len = true;
        else if (strcasecmp(h[0], "Content-Type") == 0)
            has_ctype = true;
    }
    if (!(has & PT__HTTP_HAS_HOST)) {
        put(o, "Host: ", 6);
        puts_(o, key);
        put(o, "\r\n", 2);
    }
    if (!(has & PT__HTTP_HAS_ACCEPT))
        put(o, "Accept: */*\r\n", 13);
    if (q->fixed)
        put(o, q->fixed, q->fixed_len);
    for (const char *const *h = q->headers; h && h[0]; h += 2) {
        puts_(o, h[0]);
        put(o, ": ", 2);
        puts_(o, h[1]);
        put(o, "\r\n", 2);
    }
    if (q->json_ctype && !has_ctype)
        put(o, "Content-Type: application/json\r\n", 32);
    if (!has_len && (q->has_body || method_is(q->method, "POST") || method_is(q->method, "PUT") ||
                     method_is(q->method, "PATCH"))) {
        char n[40];
        int k = snprintf(n, sizeof n, "Content-Length: %zu\r\n", q->has_body ? q->body_len : 0);
        put(o, n, (size_t)k);
    }
    put(o, "\r\n", 2);
    if (q->has_body && q->body_len)
        put(o, q->body, q->body_len);
}

/* "host", "host:port", "[v6]:port": the Host header and the pool's key. */
static void make_key(char *key, const url_t *u)
{
    char *k = key;
    if (u->v6)
        *k++ = '[';
    memcpy(k, u->host, u->host_len);
    k += u->host_len;
    if (u->v6)
        *k++ = ']';
    if (u->port != 80) {
        char digits[6];
        int n = 0;
        for (int p = u->port; p; p /= 10)
            digits[n++] = (char)('0' + p % 10);
        *k++ = ':';
        while (n)
            *k++ = digits[--n];
    }
    *k = '\0';
}

int pt__http_native_perform(pt__http_native_req_t *q)
{
    nengine_t *e = engine_get();
    url_t u;
    if (!e || e->off || !url_parse(q->url, &u))
        return PT__HTTP_NATIVE_DECLINED;
    /* A request that frames its own body is libcurl's to send. */
    bool close_asked = false;
    for (const char *const *h = q->headers; h && h[0]; h += 2) {
        if (strcasecmp(h[0], "Transfer-Encoding") == 0)
            return PT__HTTP_NATIVE_DECLINED;
        if (strcasecmp(h[0], "Connection") == 0 && strcasestr(h[1], "close"))
            close_asked = true;
    }
    char key[MAX_HOST + 10];
    make_key(key, &u);

    char inline_buf[INLINE_REQ];
    obuf_t o = { .p = inline_buf, .cap = sizeof inline_buf };
    build(&o, q, &u, key);

    int64_t deadline = q->start_ms + (int64_t)q->timeout_ms;
    bool retried = false;
    int error;
    for (;;) {
        xfer_t x;
        memset(&x, 0, sizeof x);
        x.q = q;
        x.e = e;
        x.u = &u;
        x.key = key;
        x.out = o.p;
        x.out_len = o.len;
        x.close_asked = close_asked;
        pt__waiter_init(&x.w);
        pt__resp_read_init(&x.rd, q->r, method_is(q->method, "HEAD"));

        nconn_t *c = retried ? NULL : pool_take(e, key);
        if (c) {
            x.reused = true;
            x.conn = c;
            c->x = &x;
            xfer_send(&x);
        } else {
            xfer_open(&x);
        }
        if (!x.done) {
            x.parked = true;
            pt__waiter_park(&x.w, deadline);
            x.parked = false;
        }
        if (!x.done) {
            /* The deadline passed first: leave, detaching what still
             * points here. */
            if (x.gai) {
                /* Its callback frees it; a lookup not yet started on
                 * libuv's thread pool is called off. */
                x.gai->x = NULL;
                uv_cancel((uv_req_t *)&x.gai->req);
            }
            if (x.conn)
                conn_close(x.conn);
            x.conn = NULL;
            x.done = true;
            x.error = PT_HTTP_ETIMEDOUT;
        }
        if (x.ai)
            uv_freeaddrinfo(x.ai);
        error = x.error;
        q->status = error ? 0 : x.rd.parser.status_code;
        /* A pooled connection the upstream had closed: once, on a fresh
         * connection, when the request may be sent twice. */
        if (error == PT_HTTP_ECONNRESET && x.reused && !x.got_bytes && !retried && idempotent(q->method) &&
            pt_now_mono_ms() < deadline) {
            retried = true;
            q->r->body_len = q->r->hdr_len = q->r->nheaders = 0;
            q->r->too_big = false;
            q->detail[0] = '\0';
            continue;
        }
        break;
    }
    free(o.heap);
    return error;
}
