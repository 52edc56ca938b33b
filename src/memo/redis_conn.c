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
#include "memo/memo_internal.h"
#include "core/sched.h"
#include "core/wait.h"

#define CMD_TIMEOUT_MS 5000
#define CONNECT_TIMEOUT_MS 2000
/* After a connection fails, commands fail at once for this long instead of
 * each paying for a connection attempt; the first command after it tries
 * again. */
#define RETRY_AFTER_MS 500
/* The least time a command is given when its caller's deadline is near. */
#define MIN_CMD_MS 250

__thread int64_t pt__redis_deadline = -1;

struct pt__redis {
    _Atomic long refs;
    uint64_t     id;        /* never reused: a thread's cached connection names it */
    char        *host;
    int          port;
    int          db;
    char        *password;
};

static _Atomic uint64_t next_id = 1;

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
    r->id = atomic_fetch_add(&next_id, 1);
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

typedef struct tconn {
    struct tconn       *next;
    uint64_t            redis_id;
    redisAsyncContext  *ac;    /* worker threads */
    uv_loop_t          *loop;
    redisContext       *sc;    /* plain threads */
    int64_t             down_until; /* mono ms: fail fast until then */
    char                down_err[200];
} tconn_t;

static __thread tconn_t *tconns;
static pthread_key_t tkey;
static pthread_once_t tkey_once = PTHREAD_ONCE_INIT;

static void close_all(tconn_t *list)
{
    while (list) {
        tconn_t *t = list;
        list = t->next;
        if (t->ac) {
            uv_loop_t *loop = t->loop;
            redisAsyncContext *ac = t->ac;
            t->ac = NULL;
            ac->data = NULL;
            redisAsyncFree(ac); /* fails pending commands, closes the poll handle */
            /* Let the loop finish closing the handle. If that was the last
             * thing keeping the loop busy (a worker whose uv_loop_close
             * failed because of it), close the loop now. */
            uv_run(loop, UV_RUN_NOWAIT);
        }
        if (t->sc)
            redisFree(t->sc);
        free(t);
    }
}

static void thread_exit(void *arg)
{
    (void)arg;
    tconn_t *list = tconns;
    tconns = NULL;
    /* A worker's loop is still allocated at thread exit: close our handles
     * on it, then the loop itself, which the worker could not close while
     * our handle was open. */
    uv_loop_t *loops[8];
    int nl = 0;
    for (tconn_t *t = list; t; t = t->next)
        if (t->ac && nl < 8)
            loops[nl++] = t->loop;
    close_all(list);
    for (int i = 0; i < nl; i++)
        if (!uv_loop_alive(loops[i]))
            uv_loop_close(loops[i]);
}

static void make_key(void) { pthread_key_create(&tkey, thread_exit); }

void pt__redis_thread_close(void)
{
    tconn_t *list = tconns;
    tconns = NULL;
    close_all(list);
}

static tconn_t *tconn_get(pt__redis_t *r)
{
    for (tconn_t *t = tconns; t; t = t->next)
        if (t->redis_id == r->id)
            return t;
    pthread_once(&tkey_once, make_key);
    tconn_t *t = calloc(1, sizeof *t);
    if (!t)
        return NULL;
    t->redis_id = r->id;
    t->next = tconns;
    tconns = t;
    pthread_setspecific(tkey, (void *)1); /* so thread_exit runs */
    return t;
}

/* ---- the connection down: fail fast ------------------------------------------- */

static void mark_down(tconn_t *t, const char *err)
{
    t->down_until = pt_now_mono_ms() + RETRY_AFTER_MS;
    snprintf(t->down_err, sizeof t->down_err, "%s", err);
}

/* True (message set) while a recent failure stands for the connection. */
static bool still_down(pt__redis_t *r, tconn_t *t)
{
    int64_t left = t->down_until - pt_now_mono_ms();
    if (left <= 0)
        return false;
    pt_memo_set_error("%s (next attempt in %lld ms)", t->down_err, (long long)left);
    (void)r;
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

static void on_connect(const redisAsyncContext *ac, int status)
{
    if (status != REDIS_OK && ac->data)
        ((tconn_t *)ac->data)->ac = NULL; /* hiredis frees it */
}

static void on_disconnect(const redisAsyncContext *ac, int status)
{
    (void)status;
    if (ac->data)
        ((tconn_t *)ac->data)->ac = NULL; /* the next command reconnects */
}

static redisAsyncContext *async_connect(pt__redis_t *r, tconn_t *t, uv_loop_t *loop)
{
    redisAsyncContext *ac = redisAsyncConnect(r->host, r->port);
    if (!ac)
        return NULL;
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
    /* The connection must not keep a worker's loop running at shutdown:
     * requests waiting on it keep the loop alive by themselves. */
    uv_unref((uv_handle_t *)&((uvev_t *)ac->ev.data)->poll);
    ac->data = t;
    redisAsyncSetConnectCallback(ac, on_connect);
    redisAsyncSetDisconnectCallback(ac, on_disconnect);
    /* Queued before any command, sent in order once connected. */
    if (r->password)
        redisAsyncCommand(ac, NULL, NULL, "AUTH %s", r->password);
    if (r->db)
        redisAsyncCommand(ac, NULL, NULL, "SELECT %d", r->db);
    t->ac = ac;
    t->loop = loop;
    return ac;
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
    if (!t->ac && still_down(r, t))
        return -1;
    uv_loop_t *loop = pt__sched_loop(sched);
    if (!t->ac && !async_connect(r, t, loop)) {
        mark_down(t, pt_memo_last_error());
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
        mark_down(t, pt_memo_last_error());
        redisAsyncContext *ac = t->ac;
        if (ac) {
            t->ac = NULL;
            ac->data = NULL;
            redisAsyncFree(ac);
        }
        return -1;
    }
    int rc = 0;
    if (!op->ok) {
        pt_memo_set_error("%s", op->err);
        mark_down(t, op->err);
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
    if (!t->sc && still_down(r, t))
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
