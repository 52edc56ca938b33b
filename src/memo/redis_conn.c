/* Redis connections: see redis_conn.h. */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <hiredis/hiredis.h>
#include <hiredis/async.h>

#include "memo/redis_conn.h"
#include "memo/memo.h"
#include "core/sched.h"
#include "core/wait.h"

#define CMD_TIMEOUT_MS 5000
#define CONNECT_TIMEOUT_MS 2000
/* The least time a command is given when its caller's deadline is near. */
#define MIN_CMD_MS 250

__thread int64_t pt__redis_deadline = -1;

struct pt__redis {
    _Atomic long refs;
    char        *host;
    int          port;
    int          db;
    char        *password;
};

pt__redis_t *pt__redis_new(const char *url)
{
    const char *p = url;
    if (!url || strncmp(p, "redis://", 8) != 0) {
        pt_memo_set_error("redis url '%s': expected redis://[:password@]host[:port][/db]",
                          url ? url : "");
        return NULL;
    }
    p += 8;
    pt__redis_t *r = calloc(1, sizeof *r);
    if (!r)
        return NULL;
    atomic_init(&r->refs, 1);
    r->port = 6379;
    const char *at = strchr(p, '@');
    if (at) {
        const char *colon = memchr(p, ':', (size_t)(at - p));
        const char *pw = colon ? colon + 1 : p;
        r->password = strndup(pw, (size_t)(at - pw));
        p = at + 1;
    }
    size_t hl = strcspn(p, ":/");
    r->host = strndup(p, hl ? hl : 0);
    if (!hl) {
        free(r->host);
        r->host = strdup("127.0.0.1");
    }
    p += hl;
    char *end;
    if (*p == ':') {
        long port = strtol(p + 1, &end, 10);
        if (end == p + 1 || port <= 0 || port > 65535 || (*end && *end != '/'))
            goto bad;
        r->port = (int)port;
        p = end;
    }
    if (*p == '/' && p[1]) {
        long db = strtol(p + 1, &end, 10);
        if (end == p + 1 || *end || db < 0)
            goto bad;
        r->db = (int)db;
    } else if (*p && strcmp(p, "/") != 0) {
        goto bad;
    }
    return r;
bad:
    pt_memo_set_error("redis url '%s': expected redis://[:password@]host[:port][/db]", url);
    free(r->host);
    free(r->password);
    free(r);
    return NULL;
}

pt__redis_t *pt__redis_ref(pt__redis_t *r)
{
    atomic_fetch_add(&r->refs, 1);
    return r;
}

void pt__redis_unref(pt__redis_t *r)
{
    if (!r || atomic_fetch_sub(&r->refs, 1) != 1)
        return;
    free(r->host);
    free(r->password);
    free(r);
}

void pt__redis_reply_free(pt__redis_reply_t *rep)
{
    free(rep->str);
    memset(rep, 0, sizeof *rep);
}

int pt__redis_command_key(pt__redis_t *r, pt__redis_reply_t *out, int argc, const char **argv,
                         size_t *lens, int ki, const char *prefix, size_t plen,
                         const char *key, size_t len)
{
    char buf[256];
    size_t n = plen + len;
    char *k = n < sizeof buf ? buf : malloc(n + 1);
    if (!k)
        return -1;
    memcpy(k, prefix, plen);
    memcpy(k + plen, key, len);
    k[n] = '\0';
    argv[ki] = k;
    lens[ki] = n;
    int rc = pt__redis_command(r, out, argc, argv, lens);
    if (k != buf)
        free(k);
    return rc;
}

int pt__redis_reply_positive(pt__redis_reply_t *rep)
{
    int yes = rep->type == REDIS_REPLY_INTEGER && rep->integer > 0;
    pt__redis_reply_free(rep);
    return yes;
}

static void copy_reply(const redisReply *x, pt__redis_reply_t *out)
{
    memset(out, 0, sizeof *out);
    out->type = x->type;
    out->integer = x->integer;
    if (x->type == REDIS_REPLY_STRING || x->type == REDIS_REPLY_STATUS || x->type == REDIS_REPLY_ERROR) {
        out->str = malloc(x->len + 1);
        if (out->str) {
            memcpy(out->str, x->str, x->len);
            out->str[x->len] = 0;
            out->len = x->len;
        }
    }
}

/* ---- per-thread connections ------------------------------------------------- */

/* A worker's connection that failed is remade in the background by a timer
 * on its loop: after BACKOFF_MIN_MS, then doubling to BACKOFF_MAX_MS while
 * attempts keep failing. An attempt counts once Redis answers a PING within
 * CONNECT_TIMEOUT_MS (a stopped server completes the TCP handshake but does
 * not answer). A plain thread has no loop: its connection is remade by the
 * first command after the same backoff. */
#define BACKOFF_MIN_MS 100
#define BACKOFF_MAX_MS 2000

typedef struct tconn {
    struct tconn       *next;
    pt__redis_t        *redis;      /* a reference: the timer reconnects to it */
    redisAsyncContext  *ac;         /* worker threads: connecting, probing or up */
    uv_loop_t          *loop;       /* the loop ac and timer live on */
    uv_timer_t          timer;      /* background reconnect (when timer_on) */
    bool                timer_on;
    bool                down;       /* async: failed and not yet reconnected */
    bool                probing;    /* ac is a background attempt, not confirmed */
    bool                probe_failed; /* its handshake got an error reply */
    int                 backoff_ms; /* the next delay */
    int64_t             next_try;   /* mono ms of the next attempt (messages) */
    redisContext       *sc;         /* plain threads */
    int64_t             down_until; /* plain threads: mono ms, fail fast until then */
    char                down_err[200];
} tconn_t;

static __thread tconn_t *tconns;
static pthread_key_t tkey;
static pthread_once_t tkey_once = PTHREAD_ONCE_INIT;

static void tconn_free(tconn_t *t)
{
    pt__redis_unref(t->redis);
    free(t);
}

static void timer_closed(uv_handle_t *h) { tconn_free(h->data); }

/* Frees t's connections and timer; with a loop, t itself is freed by the
 * timer's close callback, which the caller runs (uv_run). */
static void tconn_close(tconn_t *t)
{
    if (t->ac) {
        redisAsyncContext *ac = t->ac;
        t->ac = NULL;
        ac->data = NULL;
        redisAsyncFree(ac); /* fails pending commands, closes the poll handle */
    }
    if (t->sc)
        redisFree(t->sc);
    t->sc = NULL;
    if (t->timer_on)
        uv_close((uv_handle_t *)&t->timer, timer_closed);
    else
        tconn_free(t);
}

/* Closes the tconns of *list on loop (all of them when loop is NULL) and
 * unlinks them. Returns how many were on a loop. */
static int close_matching(tconn_t **list, uv_loop_t *loop, uv_loop_t **loops, int maxloops)
{
    int nl = 0;
    tconn_t **pp = list;
    while (*pp) {
        tconn_t *t = *pp;
        if (loop && t->loop != loop) {
            pp = &t->next;
            continue;
        }
        *pp = t->next;
        uv_loop_t *l = t->timer_on ? t->loop : NULL;
        tconn_close(t);
        if (l) {
            /* Let the loop finish closing the handles (and free t). */
            uv_run(l, UV_RUN_NOWAIT);
            bool seen = false;
            for (int i = 0; i < nl; i++)
                seen |= loops[i] == l;
            if (!seen && nl < maxloops)
                loops[nl++] = l;
        }
    }
    return nl;
}

static void thread_exit(void *arg)
{
    (void)arg;
    /* A worker abandoned at the shutdown deadline exits with its loop still
     * open: close our handles on it, then the loop itself if nothing else
     * keeps it. */
    uv_loop_t *loops[8];
    int nl = close_matching(&tconns, NULL, loops, 8);
    for (int i = 0; i < nl; i++)
        if (!uv_loop_alive(loops[i]))
            uv_loop_close(loops[i]);
}

static void make_key(void) { pthread_key_create(&tkey, thread_exit); }

void pt__redis_thread_close(void)
{
    uv_loop_t *loops[8];
    close_matching(&tconns, NULL, loops, 8);
}

/* This thread's connections and reconnect timers on a scheduler's loop go
 * when the scheduler is freed (pt__sched_on_free), before the loop closes:
 * the worker or test client that owns the loop need not know of them. */
static __thread pt__sched_t *hooked_sched;

static void sched_freed(void *loop)
{
    uv_loop_t *loops[1];
    close_matching(&tconns, loop, loops, 1);
    hooked_sched = NULL; /* a scheduler made later at the same address is a new one */
}

static tconn_t *tconn_get(pt__redis_t *r)
{
    /* A thread's connection holds a reference to its Redis: the address
     * cannot be freed and reused while the connection names it. */
    for (tconn_t *t = tconns; t; t = t->next)
        if (t->redis == r)
            return t;
    pthread_once(&tkey_once, make_key);
    tconn_t *t = calloc(1, sizeof *t);
    if (!t)
        return NULL;
    t->redis = pt__redis_ref(r);
    t->backoff_ms = BACKOFF_MIN_MS;
    t->next = tconns;
    tconns = t;
    pthread_setspecific(tkey, (void *)1); /* so thread_exit runs */
    return t;
}

/* The next delay of the backoff, which it then doubles. */
static int next_backoff(tconn_t *t)
{
    int d = t->backoff_ms;
    t->backoff_ms = d >= BACKOFF_MAX_MS / 2 ? BACKOFF_MAX_MS : d * 2;
    return d;
}

/* ---- plain threads: fail fast, then the next command tries ---------------------- */

static void mark_down(tconn_t *t, const char *err)
{
    t->down_until = pt_now_mono_ms() + next_backoff(t);
    snprintf(t->down_err, sizeof t->down_err, "%s", err);
}

/* True (message set) while a recent failure stands for the connection. */
static bool still_down(tconn_t *t)
{
    int64_t left = t->down_until - pt_now_mono_ms();
    if (left <= 0)
        return false;
    pt_memo_set_error("%s (next attempt in %lld ms)", t->down_err, (long long)left);
    return true;
}

/* ---- hiredis on libuv ------------------------------------------------------------
 *
 * hiredis 0.14's own libuv adapter returns from its poll callback when libuv
 * reports an error on the socket: a refused connection is never noticed and
 * every command on it waits for the full timeout. Here an error is handed
 * to hiredis as readiness: its read or write then meets the error, fails
 * the connection and, with it, the pending commands. */

typedef struct uvev {
    redisAsyncContext *ac;
    uv_poll_t          poll;
    int                events;
} uvev_t;

static void uvev_poll_cb(uv_poll_t *h, int status, int events)
{
    uvev_t *e = h->data;
    if (status < 0)
        events = e->events ? e->events : UV_WRITABLE;
    if (e->ac && (events & UV_READABLE))
        redisAsyncHandleRead(e->ac);
    if (e->ac && (events & UV_WRITABLE))
        redisAsyncHandleWrite(e->ac);
}

static void uvev_update(uvev_t *e, int add, int del)
{
    e->events = (e->events | add) & ~del;
    if (e->events)
        uv_poll_start(&e->poll, e->events, uvev_poll_cb);
    else
        uv_poll_stop(&e->poll);
}

static void uvev_add_read(void *p) { uvev_update(p, UV_READABLE, 0); }
static void uvev_del_read(void *p) { uvev_update(p, 0, UV_READABLE); }
static void uvev_add_write(void *p) { uvev_update(p, UV_WRITABLE, 0); }
static void uvev_del_write(void *p) { uvev_update(p, 0, UV_WRITABLE); }
static void uvev_closed(uv_handle_t *h) { free(h->data); }

static void uvev_cleanup(void *p)
{
    uvev_t *e = p;
    e->ac = NULL; /* hiredis is freeing the context */
    uv_close((uv_handle_t *)&e->poll, uvev_closed);
}

static int uvev_attach(redisAsyncContext *ac, uv_loop_t *loop)
{
    uvev_t *e = calloc(1, sizeof *e);
    if (!e)
        return -1;
    if (uv_poll_init(loop, &e->poll, ac->c.fd) != 0) {
        free(e);
        return -1;
    }
    e->ac = ac;
    e->poll.data = e;
    ac->ev.data = e;
    ac->ev.addRead = uvev_add_read;
    ac->ev.delRead = uvev_del_read;
    ac->ev.addWrite = uvev_add_write;
    ac->ev.delWrite = uvev_del_write;
    ac->ev.cleanup = uvev_cleanup;
    return 0;
}

/* ---- asynchronous (coroutines) ------------------------------------------------- */

typedef struct rop {
    pt__waiter_t      w;
    bool             abandoned; /* the caller timed out: free on arrival */
    bool             ok;
    pt__redis_reply_t rep;
    char             err[160];
} rop_t;

static void on_reply(redisAsyncContext *ac, void *reply, void *privdata)
{
    rop_t *op = privdata;
    if (!op)
        return;
    if (op->abandoned) {
        free(op);
        return;
    }
    if (reply) {
        copy_reply(reply, &op->rep);
        op->ok = true;
    } else {
        snprintf(op->err, sizeof op->err, "redis %s:%d: %s", ac->c.tcp.host ? ac->c.tcp.host : "",
                 ac->c.tcp.port, ac->errstr[0] ? ac->errstr : "connection lost");
    }
    op->w.signaled = true;
    pt__waiter_wake(&op->w);
}

static void on_retry(uv_timer_t *h);

/* Arms the background reconnect after the backoff. */
static void schedule_retry(tconn_t *t)
{
    int d = next_backoff(t);
    t->next_try = pt_now_mono_ms() + d;
    uv_timer_start(&t->timer, on_retry, (uint64_t)d, 0);
}

/* The connection failed (err says how): commands fail at once with err
 * until the background reconnect succeeds. */
static void went_down(tconn_t *t, const char *err)
{
    t->down = true;
    t->probing = false;
    t->probe_failed = false;
    snprintf(t->down_err, sizeof t->down_err, "%s", err);
    schedule_retry(t);
}

/* hiredis is freeing ac (a failed connect or a lost connection). */
static void ac_failed(const redisAsyncContext *ac)
{
    tconn_t *t = ac->data;
    if (!t || t->ac != ac)
        return;
    t->ac = NULL;
    char err[200];
    snprintf(err, sizeof err, "redis %s:%d: %s", t->redis->host, t->redis->port,
             ac->errstr[0] ? ac->errstr : "connection lost");
    went_down(t, err);
}

static void on_connect(const redisAsyncContext *ac, int status)
{
    if (status != REDIS_OK)
        ac_failed(ac);
}

static void on_disconnect(const redisAsyncContext *ac, int status)
{
    (void)status;
    ac_failed(ac);
}

/* The replies to a background attempt's AUTH, SELECT and PING. */
static void on_probe(redisAsyncContext *ac, void *reply, void *privdata)
{
    bool last = privdata != NULL; /* the PING */
    tconn_t *t = ac->data;
    const redisReply *x = reply;
    if (!t || t->ac != ac || !t->probing || t->probe_failed || !x)
        return; /* a NULL reply: the connection failed, ac_failed has it */
    if (x->type == REDIS_REPLY_ERROR) {
        snprintf(t->down_err, sizeof t->down_err, "redis %s:%d: %.*s", t->redis->host,
                 t->redis->port, (int)x->len, x->str);
        /* ac cannot be freed inside its own callback: the timer drops it. */
        t->probe_failed = true;
        uv_timer_start(&t->timer, on_retry, 0, 0);
    } else if (last) {
        t->probing = false;
        t->down = false;
        t->backoff_ms = BACKOFF_MIN_MS;
        uv_timer_stop(&t->timer);
    }
}

static void on_probe_ping(redisAsyncContext *ac, void *reply, void *privdata)
{
    (void)privdata;
    on_probe(ac, reply, ac); /* non-NULL: the last reply of the handshake */
}

static redisAsyncContext *async_connect(pt__redis_t *r, tconn_t *t, uv_loop_t *loop)
{
    if (!t->timer_on) {
        uv_timer_init(loop, &t->timer);
        /* Neither the timer nor the connection may keep a worker's loop
         * running at shutdown: requests waiting on it keep the loop alive
         * by themselves. */
        uv_unref((uv_handle_t *)&t->timer);
        t->timer.data = t;
        t->timer_on = true;
        t->loop = loop;
    }
    redisAsyncContext *ac = redisAsyncConnect(r->host, r->port);
    if (!ac) {
        pt_memo_set_error("redis %s:%d: out of memory", r->host, r->port);
        return NULL;
    }
    if (ac->err) {
        pt_memo_set_error("redis %s:%d: %s", r->host, r->port, ac->errstr);
        redisAsyncFree(ac);
        return NULL;
    }
    if (uvev_attach(ac, loop) != 0) {
        pt_memo_set_error("redis: cannot attach to the loop");
        redisAsyncFree(ac);
        return NULL;
    }
    uv_unref((uv_handle_t *)&((uvev_t *)ac->ev.data)->poll);
    ac->data = t;
    redisAsyncSetConnectCallback(ac, on_connect);
    redisAsyncSetDisconnectCallback(ac, on_disconnect);
    /* Queued before any command, sent in order once connected. */
    redisCallbackFn *cb = t->down ? on_probe : NULL;
    if (r->password)
        redisAsyncCommand(ac, cb, NULL, "AUTH %s", r->password);
    if (r->db)
        redisAsyncCommand(ac, cb, NULL, "SELECT %d", r->db);
    if (t->down)
        redisAsyncCommand(ac, on_probe_ping, NULL, "PING");
    t->ac = ac;
    return ac;
}

/* The background reconnect's timer: the next attempt, or the end of an
 * attempt that did not complete in time (or got an error reply). */
static void on_retry(uv_timer_t *h)
{
    tconn_t *t = h->data;
    if (t->ac && t->probing) {
        redisAsyncContext *ac = t->ac;
        t->ac = NULL;
        ac->data = NULL;
        if (!t->probe_failed)
            snprintf(t->down_err, sizeof t->down_err, "redis %s:%d: no answer within %d ms",
                     t->redis->host, t->redis->port, CONNECT_TIMEOUT_MS);
        t->probing = t->probe_failed = false;
        redisAsyncFree(ac);
        schedule_retry(t);
        return;
    }
    if (t->ac || !t->down)
        return;
    if (!async_connect(t->redis, t, t->loop)) {
        snprintf(t->down_err, sizeof t->down_err, "%s", pt_memo_last_error());
        schedule_retry(t);
        return;
    }
    t->probing = true;
    t->next_try = -1;
    uv_timer_start(&t->timer, on_retry, CONNECT_TIMEOUT_MS, 0);
}

/* True (message set) while the connection is down: commands fail at once. */
static bool async_down(tconn_t *t)
{
    if (!t->down)
        return false;
    int64_t left = t->next_try < 0 ? -1 : t->next_try - pt_now_mono_ms();
    if (left < 0)
        pt_memo_set_error("%s (reconnecting in the background)", t->down_err);
    else
        pt_memo_set_error("%s (reconnecting in the background, next attempt in %lld ms)",
                          t->down_err, (long long)left);
    return true;
}

static int command_async(pt__redis_t *r, pt__sched_t *sched, pt__redis_reply_t *out, int argc,
                         const char **argv, const size_t *lens)
{
    /* The caller's deadline bounds the wait (a lock's maxwait holds even
     * when Redis hangs), though never below MIN_CMD_MS. */
    int64_t now = pt_now_mono_ms(), until = now + CMD_TIMEOUT_MS;
    if (pt__redis_deadline >= 0 && pt__redis_deadline < until)
        until = pt__redis_deadline > now + MIN_CMD_MS ? pt__redis_deadline : now + MIN_CMD_MS;
    pt__redis_deadline = -1;
    tconn_t *t = tconn_get(r);
    if (!t)
        return -1;
    if (async_down(t))
        return -1;
    uv_loop_t *loop = pt__sched_loop(sched);
    if (t->timer_on && t->loop != loop) {
        pt_memo_set_error("redis: this thread's connection belongs to another loop");
        return -1;
    }
    if (hooked_sched != sched) {
        pt__sched_on_free(sched, sched_freed, loop);
        hooked_sched = sched;
    }
    /* The first connection is made by the first command, which queues
     * behind it; after a failure the timer reconnects. */
    if (!t->ac && !async_connect(r, t, loop)) {
        went_down(t, pt_memo_last_error());
        return -1;
    }
    rop_t *op = calloc(1, sizeof *op);
    if (!op)
        return -1;
    pt__waiter_init(&op->w);
    if (redisAsyncCommandArgv(t->ac, on_reply, op, argc, argv, lens) != REDIS_OK) {
        pt_memo_set_error("redis: %s", t->ac->errstr[0] ? t->ac->errstr : "cannot send");
        free(op);
        return -1;
    }
    if (!pt__waiter_park(&op->w, until)) {
        /* No reply in time: drop the connection (a later reply would be
         * out of step); its teardown fails the other pending commands. */
        op->abandoned = true;
        pt_memo_set_error("redis %s:%d: no reply within %lld ms", r->host, r->port,
                          (long long)(until - now));
        redisAsyncContext *ac = t->ac;
        if (ac) {
            t->ac = NULL;
            ac->data = NULL;
            redisAsyncFree(ac);
        }
        went_down(t, pt_memo_last_error());
        return -1;
    }
    int rc = 0;
    if (!op->ok) {
        pt_memo_set_error("%s", op->err);
        rc = -1;
    } else if (op->rep.type == REDIS_REPLY_ERROR) {
        pt_memo_set_error("redis: %s", op->rep.str ? op->rep.str : "error");
        pt__redis_reply_free(&op->rep);
        rc = -1;
    } else {
        *out = op->rep;
    }
    free(op);
    return rc;
}

/* ---- synchronous (plain threads) ------------------------------------------------- */

static int command_sync(pt__redis_t *r, pt__redis_reply_t *out, int argc, const char **argv,
                        const size_t *lens)
{
    pt__redis_deadline = -1;
    tconn_t *t = tconn_get(r);
    if (!t)
        return -1;
    if (!t->sc && still_down(t))
        return -1;
    for (int attempt = 0; attempt < 2; attempt++) {
        if (!t->sc) {
            struct timeval tv = { CONNECT_TIMEOUT_MS / 1000, (CONNECT_TIMEOUT_MS % 1000) * 1000 };
            t->sc = redisConnectWithTimeout(r->host, r->port, tv);
            if (!t->sc || t->sc->err) {
                pt_memo_set_error("redis %s:%d: %s", r->host, r->port,
                                  t->sc ? t->sc->errstr : "cannot connect");
                if (t->sc)
                    redisFree(t->sc);
                t->sc = NULL;
                mark_down(t, pt_memo_last_error());
                return -1;
            }
            t->backoff_ms = BACKOFF_MIN_MS;
            struct timeval ct = { CMD_TIMEOUT_MS / 1000, 0 };
            redisSetTimeout(t->sc, ct);
            redisReply *x;
            if (r->password && (x = redisCommand(t->sc, "AUTH %s", r->password)))
                freeReplyObject(x);
            if (r->db && (x = redisCommand(t->sc, "SELECT %d", r->db)))
                freeReplyObject(x);
        }
        redisReply *x = redisCommandArgv(t->sc, argc, argv, lens);
        if (!x) {
            pt_memo_set_error("redis %s:%d: %s", r->host, r->port, t->sc->errstr);
            redisFree(t->sc);
            t->sc = NULL;
            /* A connection that died while idle: one fresh try. */
            continue;
        }
        int rc = 0;
        if (x->type == REDIS_REPLY_ERROR) {
            pt_memo_set_error("redis: %.*s", (int)x->len, x->str);
            rc = -1;
        } else {
            copy_reply(x, out);
        }
        freeReplyObject(x);
        return rc;
    }
    return -1;
}

int pt__redis_command(pt__redis_t *r, pt__redis_reply_t *out, int argc, const char **argv,
                     const size_t *lens)
{
    memset(out, 0, sizeof *out);
    pt__sched_t *s = pt__coro_self() ? pt__sched_self() : NULL;
    if (s)
        return command_async(r, s, out, argc, argv, lens);
    return command_sync(r, out, argc, argv, lens);
}
