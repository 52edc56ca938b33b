/* The in-process test client (ponty/testclient.h): a worker of its own on
 * the calling thread, one connection adopted from a socket pair, and a
 * client end that writes request bytes and parses the response with
 * llhttp. */
#define _GNU_SOURCE
#include "ponty/testclient.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include "http/worker.h"
#include "fields/fields_rt.h"
#include "route/router.h"
#include "route/table.h"

void pt__limits_defaults(pt_limits_t *l); /* server.c */

struct pt_test_client {
    pt__worker_t  *w;
    pt_limits_t   limits;
    pt__router_t  *router;
    pt__route_rt_t *rts;
    size_t        nrts, caprts;
    int           fd;         /* the client end, -1 when closed */
    uv_poll_t    *poll;       /* its own allocation: a closing one may linger */

    /* the exchange in progress */
    const char   *out;
    size_t        out_len, out_done;
    llhttp_t      parser;
    llhttp_settings_t settings;
    pt_test_response_t *res;
    pt__buf_t      tok, hname;
    bool          in_value;
    bool          complete, closed, head;
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

static void close_client_end(pt_test_client_t *c)
{
    if (c->poll) {
        uv_poll_stop(c->poll);
        uv_close((uv_handle_t *)c->poll, (uv_close_cb)free);
        c->poll = NULL;
    }
    if (c->fd >= 0) {
        close(c->fd);
        c->fd = -1;
    }
}

/* ---- the client end ---- */

static int on_status_complete(llhttp_t *p)
{
    pt_test_client_t *c = p->data;
    c->res->status = llhttp_get_status_code(p);
    return 0;
}

static int on_hfield(llhttp_t *p, const char *at, size_t n)
{
    pt_test_client_t *c = p->data;
    pt__buf_append(&c->tok, at, n);
    return 0;
}

static int on_hfield_complete(llhttp_t *p)
{
    pt_test_client_t *c = p->data;
    c->hname.len = 0;
    pt__buf_append(&c->hname, c->tok.data, c->tok.len);
    c->tok.len = 0;
    return 0;
}

static char *buf_str(pt__buf_t *b)
{
    char *s = malloc(b->len + 1);
    if (!s)
        abort();
    if (b->len)
        memcpy(s, b->data, b->len);
    s[b->len] = '\0';
    return s;
}

static int on_hvalue_complete(llhttp_t *p)
{
    pt_test_client_t *c = p->data;
    pt_test_response_t *r = c->res;
    char **names = realloc(r->names, (r->nheaders + 1) * sizeof *names);
    char **values = names ? realloc(r->values, (r->nheaders + 1) * sizeof *values) : NULL;
    if (!names || !values)
        abort();
    r->names = names;
    r->values = values;
    r->names[r->nheaders] = buf_str(&c->hname);
    r->values[r->nheaders] = buf_str(&c->tok);
    r->nheaders++;
    c->hname.len = 0;
    c->tok.len = 0;
    return 0;
}

static int on_headers_complete(llhttp_t *p)
{
    pt_test_client_t *c = p->data;
    /* 100 Continue is interim: its headers are not the response's. */
    if (c->res->status == 100) {
        for (size_t i = 0; i < c->res->nheaders; i++)
            free(c->res->names[i]), free(c->res->values[i]);
        c->res->nheaders = 0;
    }
    return c->head ? 1 : 0; /* a response to HEAD has no body */
}

static int on_body(llhttp_t *p, const char *at, size_t n)
{
    pt_test_client_t *c = p->data;
    c->res->body = realloc(c->res->body, c->res->len + n + 1);
    if (!c->res->body)
        abort();
    memcpy(c->res->body + c->res->len, at, n);
    c->res->len += n;
    c->res->body[c->res->len] = '\0';
    return 0;
}

static int on_message_complete(llhttp_t *p)
{
    pt_test_client_t *c = p->data;
    if (c->res->status == 100)
        return 0;
    c->complete = true;
    return HPE_PAUSED;
}

static void on_poll(uv_poll_t *h, int status, int events)
{
    pt_test_client_t *c = h->data;
    if (status < 0) {
        c->closed = true;
        return;
    }
    if ((events & UV_WRITABLE) && c->out_done < c->out_len) {
        ssize_t n = send(c->fd, c->out + c->out_done, c->out_len - c->out_done, MSG_NOSIGNAL);
        if (n > 0)
            c->out_done += (size_t)n;
        else if (n < 0 && errno != EAGAIN && errno != EINTR)
            c->closed = true;
        if (c->out_done == c->out_len)
            uv_poll_start(c->poll, UV_READABLE, on_poll);
    }
    if (events & UV_READABLE) {
        char buf[16384];
        ssize_t n = recv(c->fd, buf, sizeof buf, 0);
        if (n == 0) {
            c->closed = true;
            llhttp_finish(&c->parser);
        } else if (n > 0) {
            llhttp_errno_t e = llhttp_execute(&c->parser, buf, (size_t)n);
            if (e != HPE_OK && e != HPE_PAUSED)
                c->closed = true;
        } else if (errno != EAGAIN && errno != EINTR) {
            c->closed = true;
        }
    }
}

/* A fresh connection: a socket pair whose server end the worker adopts. */
static int connect_pair(pt_test_client_t *c)
{
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv) != 0) {
        fprintf(stderr, "ponty: test client: socketpair: %s\n", strerror(errno));
        return -1;
    }
    if (pt__conn_adopt(c->w, sv[0]) != 0) {
        close(sv[0]);
        close(sv[1]);
        fprintf(stderr, "ponty: test client: cannot serve the connection\n");
        return -1;
    }
    c->poll = malloc(sizeof *c->poll);
    if (!c->poll || uv_poll_init(&c->w->loop, c->poll, sv[1]) != 0) {
        free(c->poll);
        c->poll = NULL;
        close(sv[1]);
        return -1;
    }
    c->fd = sv[1];
    c->poll->data = c;
    return 0;
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
    c->fd = -1;
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
    w->sched = pt__sched_new(&w->loop, o->stack_size);
    pt__router_thread_prepare(w->router);
    return c;
}

void pt_test_client_free(pt_test_client_t *c)
{
    if (!c)
        return;
    if (c->w) {
        pt__worker_t *w = c->w;
        close_client_end(c);
        /* The server end sees EOF and closes; run until it is gone. */
        while (w->nconns)
            uv_run(&w->loop, UV_RUN_ONCE);
        pt__sched_free(w->sched);
        uv_run(&w->loop, UV_RUN_DEFAULT);
        pt__buf_free(&w->scratch);
        uv_loop_close(&w->loop);
        free(w);
    }
    for (size_t i = 0; i < c->nrts; i++)
        pt__route_rt_free(&c->rts[i]);
    free(c->rts);
    if (c->router)
        pt__router_free(c->router);
    pt__router_thread_release();
    pt__buf_free(&c->tok);
    pt__buf_free(&c->hname);
    free(c);
}

static void on_timeout(uv_timer_t *t) { *(bool *)t->data = true; }

pt_test_response_t *pt_test_request_opts(pt_test_client_t *c, const char *method, const char *target,
                                         const pt_test_request_opts_t *o)
{
    if (c->fd < 0 && connect_pair(c) != 0)
        return NULL;
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

    pt_test_response_t *res = calloc(1, sizeof *res);
    if (!res)
        abort();
    c->res = res;
    c->out = req.data;
    c->out_len = req.len;
    c->out_done = 0;
    c->complete = c->closed = false;
    c->head = strcasecmp(method, "HEAD") == 0;
    c->tok.len = c->hname.len = 0;
    llhttp_settings_init(&c->settings);
    c->settings.on_status_complete = on_status_complete;
    c->settings.on_header_field = on_hfield;
    c->settings.on_header_field_complete = on_hfield_complete;
    c->settings.on_header_value = on_hfield;
    c->settings.on_header_value_complete = on_hvalue_complete;
    c->settings.on_headers_complete = on_headers_complete;
    c->settings.on_body = on_body;
    c->settings.on_message_complete = on_message_complete;
    llhttp_init(&c->parser, HTTP_RESPONSE, &c->settings);
    c->parser.data = c;

    bool timed_out = false;
    uv_timer_t timer;
    uv_timer_init(&c->w->loop, &timer);
    timer.data = &timed_out;
    uv_timer_start(&timer, on_timeout, 30000, 0);
    uv_poll_start(c->poll, UV_READABLE | UV_WRITABLE, on_poll);
    while (!c->complete && !c->closed && !timed_out)
        uv_run(&c->w->loop, UV_RUN_ONCE);
    uv_close((uv_handle_t *)&timer, NULL);
    uv_poll_stop(c->poll);
    uv_run(&c->w->loop, UV_RUN_NOWAIT); /* the timer's close */
    pt__buf_free(&req);
    c->out = NULL;
    c->res = NULL;

    if (!c->complete) {
        fprintf(stderr, "ponty: test client: %s %s: %s\n", method, target,
                timed_out ? "no response within 30 s" : "connection closed before a complete response");
        pt_test_response_free(res);
        close_client_end(c);
        return NULL;
    }
    if (!res->body) {
        res->body = calloc(1, 1);
        if (!res->body)
            abort();
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
