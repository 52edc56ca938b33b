/* The in-process test client (ponty/testclient.h): a worker of its own on
 * the calling thread and one connection with no socket behind it. Request
 * bytes go straight into the connection's input (pt__conn_input, what its
 * read callback calls); the bytes it would write come back through a sink
 * (conn.h) and are read by the client's response reader (client/resp_read.h).
 * No descriptor is opened. */
#define _GNU_SOURCE
#include "ponty/testclient.h"

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "client/resp_read.h"
#include "http/worker.h"
#include "fields/fields_rt.h"
#include "route/router.h"
#include "route/table.h"

void pt__limits_defaults(pt_limits_t *l); /* server.c */

/* Clients alive on this thread: the route matcher's per-thread state is
 * given back when the last one goes. */
static __thread unsigned live_clients;

/* Request bytes are handed over in slices of the size one read takes. */
#define TC_SLICE sizeof(((pt__worker_t *)0)->readbuf)

/* A connection's sink. It lives as long as the connection (freed when the
 * connection says it closed); the client lets go of it when it hangs up, so
 * a handler that answers after that writes into nothing. */
typedef struct tc_link {
    pt__conn_sink_t     sink;   /* ctx: this link */
    pt_test_client_t   *client; /* NULL once the client hung up */
} tc_link_t;

struct pt_test_client {
    pt__worker_t  *w;
    pt_limits_t   limits;
    pt__router_t  *router;
    pt__route_rt_t *rts;
    size_t        nrts, caprts;
    struct tc_link *link;     /* the connection's sink, NULL when none */
    pt__conn_t    *conn;      /* NULL once closed (the server frees it) */

    /* the exchange in progress */
    pt__buf_t      in;        /* response bytes the connection wrote, not yet parsed */
    pt__resp_read_t rd;       /* reads them into rb */
    pt__http_resp_buf_t rb;
    bool          closed, failed;
    bool          counted;    /* in live_clients */
};

static int add_table(pt_test_client_t *c, const pt_route_table_t *t)
{
    char err[512];
    for (size_t i = 0; i < t->n; i++) {
        pt__route_entry_t *e = &t->routes[i];
        pt__route_rt_t *rt = &c->rts[c->nrts++];
        if (!e->def.handler) {
            fprintf(stderr, "ponty: test client: %s %s: route has no handler\n", e->def.method, e->full_path);
            return -1;
        }
        if (pt__route_rt_init(rt, &e->def, e->full_path, err, sizeof err) != 0 ||
            pt__router_add(c->router, e->def.method, rt->path, rt, err, sizeof err) != 0) {
            fprintf(stderr, "ponty: test client: %s (handler %s)\n", err, e->def.name);
            return -1;
        }
        rt->table = t;
        rt->template_path = pt_arena_strdup(&rt->arena, e->full_path);
        rt->index = (unsigned)(rt - c->rts);
    }
    return 0;
}

static void sink_write(void *ctx, const char *data, size_t len)
{
    tc_link_t *l = ctx;
    if (l->client)
        pt__buf_append(&l->client->in, data, len);
}

static void sink_closed(void *ctx)
{
    tc_link_t *l = ctx;
    if (l->client) {
        l->client->conn = NULL;
        l->client->link = NULL;
        l->client->closed = true;
    }
    free(l);
}

static int open_conn(pt_test_client_t *c)
{
    tc_link_t *l = malloc(sizeof *l);
    if (!l)
        return -1;
    *l = (tc_link_t){ .sink = { .write = sink_write, .closed = sink_closed, .ctx = l }, .client = c };
    c->link = l;
    c->closed = false;
    pt__conn_t *conn = pt__conn_open_sink(c->w, &l->sink);
    if (!conn) {
        free(l);
        c->link = NULL;
        return -1;
    }
    /* Unless it closed already (a 503 over the connection limit): then
     * sink_closed freed the link and the answer waits in `in`. */
    if (c->link == l)
        c->conn = conn;
    return 0;
}

/* The client hangs up: the connection reads the end of its input, as it
 * would read EOF on a socket, and closes (at once, or after the answer of a
 * handler still running). */
static void close_client_end(pt_test_client_t *c)
{
    pt__conn_t *conn = c->conn;
    if (!conn)
        return;
    c->link->client = NULL;
    c->link = NULL;
    c->conn = NULL;
    pt__conn_input(conn, NULL, UV_EOF);
}

/* ---- the client end ---- */

/* Parses what the connection wrote so far. */
static void take_output(pt_test_client_t *c)
{
    if (!c->in.len || c->rd.complete || c->failed)
        return;
    llhttp_errno_t e = pt__resp_read_feed(&c->rd, c->in.data, c->in.len);
    if (e != HPE_OK && !((e == HPE_PAUSED || e == HPE_PAUSED_UPGRADE) && c->rd.complete))
        c->failed = true;
    c->in.len = 0; /* after the response: bytes of no request of ours */
}

pt_test_client_t *pt_test_client_new_opts(const pt_test_client_opts_t *o)
{
    pt_test_client_t *c = calloc(1, sizeof *c);
    pt__worker_t *w = calloc(1, sizeof *w);
    if (!c || !w) {
        free(c);
        free(w);
        return NULL;
    }
    c->w = w;
    c->limits = o->limits;
    pt__limits_defaults(&c->limits);
    c->router = pt__router_new();
    size_t cap = pt_route_count(pt_route_table_default());
    for (pt_route_table_t *const *t = o->route_tables; t && *t; t++)
        cap += pt_route_count(*t);
    c->rts = calloc(cap + 1, sizeof *c->rts);
    c->caprts = cap;
    bool ok = c->router && c->rts && add_table(c, pt_route_table_default()) == 0;
    for (pt_route_table_t *const *t = o->route_tables; ok && t && *t; t++)
        ok = add_table(c, *t) == 0;
    if (!ok || uv_loop_init(&w->loop) != 0) {
        c->w = NULL;
        free(w);
        pt_test_client_free(c);
        return NULL;
    }
    w->router = c->router;
    w->limits = &c->limits;
    w->stack_size = o->stack_size;
    pt__sched_t *prev = pt__sched_bind(NULL);
    w->sched = pt__sched_new(&w->loop, o->stack_size); /* binds itself */
    pt__sched_bind(prev);
    if (!w->sched) {
        pt_test_client_free(c);
        return NULL;
    }
    live_clients++;
    c->counted = true;
    return c;
}

void pt_test_client_free(pt_test_client_t *c)
{
    if (!c)
        return;
    if (c->w) {
        pt__worker_t *w = c->w;
        pt__sched_t *prev = pt__sched_bind(w->sched);
        close_client_end(c);
        /* The connection sees the end of its input and closes (after the
         * answer of a handler still running); run until it is gone. */
        while (w->nconns)
            uv_run(&w->loop, UV_RUN_ONCE);
        if (w->sched)
            pt__sched_free(w->sched);
        uv_run(&w->loop, UV_RUN_DEFAULT);
        pt__sched_bind(prev == w->sched ? NULL : prev);
        pt__worker_free_buffers(w);
        uv_loop_close(&w->loop);
        free(w);
    }
    for (size_t i = 0; i < c->nrts; i++)
        pt__route_rt_free(&c->rts[i]);
    free(c->rts);
    if (c->router)
        pt__router_free(c->router);
    if (c->counted && --live_clients == 0)
        pt__router_thread_release();
    pt__buf_free(&c->in);
    free(c);
}

/* The response read into c->rb, in malloc'd strings the caller frees with
 * pt_test_response_free; NULL when out of memory. */
static pt_test_response_t *response_of(pt_test_client_t *c)
{
    const pt__http_resp_buf_t *b = &c->rb;
    pt_test_response_t *res = calloc(1, sizeof *res);
    if (!res)
        return NULL;
    res->status = c->rd.parser.status_code;
    res->len = b->body_len;
    res->body = malloc(b->body_len + 1);
    res->names = calloc(b->nheaders + 1, sizeof *res->names);
    res->values = calloc(b->nheaders + 1, sizeof *res->values);
    if (!res->body || !res->names || !res->values) {
        pt_test_response_free(res);
        return NULL;
    }
    memcpy(res->body, b->body, b->body_len);
    res->body[b->body_len] = '\0';
    const char *h = b->hdr;
    for (size_t i = 0; i < b->nheaders; i++) {
        const char *v = h + strlen(h) + 1;
        res->names[i] = strdup(h);
        res->values[i] = strdup(v);
        res->nheaders = i + 1;
        if (!res->names[i] || !res->values[i]) {
            pt_test_response_free(res);
            return NULL;
        }
        h = v + strlen(v) + 1;
    }
    return res;
}

static void on_timeout(uv_timer_t *t) { *(bool *)t->data = true; }

pt_test_response_t *pt_test_request_opts(pt_test_client_t *c, const char *method, const char *target,
                                         const pt_test_request_opts_t *o)
{
    c->in.len = 0;
    /* A fresh connection when the last one closed (or this is the first). */
    if (!c->conn && open_conn(c) != 0) {
        fprintf(stderr, "ponty: test client: out of memory\n");
        return NULL;
    }
    size_t blen = o->body ? (o->len ? o->len : strlen(o->body)) : 0;
    pt__buf_t req = { 0 };
    pt__buf_puts(&req, method);
    pt__buf_puts(&req, " ");
    pt__buf_puts(&req, target);
    pt__buf_puts(&req, " HTTP/1.1\r\nHost: test\r\n");
    for (const char *const *h = o->headers; h && h[0] && h[1]; h += 2) {
        pt__buf_puts(&req, h[0]);
        pt__buf_puts(&req, ": ");
        pt__buf_puts(&req, h[1]);
        pt__buf_puts(&req, "\r\n");
    }
    if (o->body) {
        char cl[48];
        snprintf(cl, sizeof cl, "Content-Length: %zu\r\n", blen);
        pt__buf_puts(&req, cl);
    }
    pt__buf_puts(&req, "\r\n");
    pt__buf_append(&req, o->body, blen);

    c->failed = false;
    memset(&c->rb, 0, offsetof(pt__http_resp_buf_t, inl_hdr));
    pt__http_resp_buf_init(&c->rb);
    c->rb.max_body = SIZE_MAX;
    pt__resp_read_init(&c->rd, &c->rb, strcasecmp(method, "HEAD") == 0);

    /* This client's scheduler is the thread's while it runs (another client
     * may have been made or freed since), and the route matcher's state is
     * sized for its routes. */
    pt__sched_t *prev = pt__sched_bind(c->w->sched);
    pt__router_thread_prepare(c->w->router);
    bool timed_out = false;
    uv_timer_t timer;
    uv_timer_init(&c->w->loop, &timer);
    timer.data = &timed_out;
    uv_timer_start(&timer, on_timeout, 30000, 0);
    /* Input goes in while the connection wants it (a handler that is still
     * running may hold it back); what it wrote is parsed after each step. */
    size_t sent = 0;
    for (;;) {
        while (c->conn && c->conn->reading && sent < req.len) {
            size_t n = req.len - sent < TC_SLICE ? req.len - sent : TC_SLICE;
            pt__conn_input(c->conn, req.data + sent, (ssize_t)n);
            sent += n;
        }
        take_output(c);
        if (c->rd.complete || c->failed || c->closed || timed_out)
            break;
        uv_run(&c->w->loop, UV_RUN_ONCE);
    }
    uv_close((uv_handle_t *)&timer, NULL);
    uv_run(&c->w->loop, UV_RUN_NOWAIT); /* the timer's close */
    pt__sched_bind(prev);
    if (!c->rd.complete && c->closed && !c->failed)
        pt__resp_read_eof(&c->rd); /* a response that ends with the connection (no length) */
    pt__buf_free(&req);

    pt_test_response_t *res = NULL;
    if (c->rd.complete && !(res = response_of(c))) {
        fprintf(stderr, "ponty: test client: out of memory\n");
        abort();
    }
    pt__http_resp_buf_free(&c->rb);
    if (!res) {
        fprintf(stderr, "ponty: test client: %s %s: %s\n", method, target,
                timed_out  ? "no response within 30 s"
                : c->failed ? "the response is not valid HTTP"
                            : "connection closed before a complete response");
        close_client_end(c);
        return NULL;
    }
    /* The server closes after "Connection: close": start afresh next time. */
    const char *conn = pt_test_header(res, "Connection");
    if (conn && strcasecmp(conn, "close") == 0)
        close_client_end(c);
    return res;
}

const char *pt_test_header(const pt_test_response_t *r, const char *name)
{
    for (size_t i = 0; i < r->nheaders; i++)
        if (strcasecmp(r->names[i], name) == 0)
            return r->values[i];
    return NULL;
}

void pt_test_response_free(pt_test_response_t *r)
{
    if (!r)
        return;
    for (size_t i = 0; i < r->nheaders; i++) {
        free(r->names[i]);
        free(r->values[i]);
    }
    free(r->names);
    free(r->values);
    free(r->body);
    free(r);
}
