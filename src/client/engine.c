/* The per-thread engine of the HTTP client (see engine.h): one curl multi
 * handle per scheduler thread, driven from that thread's libuv loop
 * (CURLMOPT_SOCKETFUNCTION feeding uv_poll handles kept per socket,
 * CURLMOPT_TIMERFUNCTION feeding one uv_timer). A coroutine adds its easy
 * handle and parks on a waiter; the loop's completion pass wakes it. */
#define _GNU_SOURCE
#include "client/engine.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/sched.h"
#include "core/wait.h"

/* A coroutine waiting for its transfer (the easy handle's CURLOPT_PRIVATE). */
typedef struct wait {
    pt__waiter_t w;
    CURLcode     result;
} wait_t;

#define SPARE_EASY 64

typedef struct sockctx sockctx_t;
typedef pt__http_engine_t engine_t;

struct pt__http_engine {
    CURLM      *multi;
    uv_loop_t  *loop;
    uv_timer_t  timer;
    sockctx_t **byfd;               /* poll handle per socket number, kept across transfers */
    size_t      nbyfd;
    CURL       *spare[SPARE_EASY];  /* reset easy handles, ready for reuse */
    unsigned    nspare;
};

struct sockctx {
    uv_poll_t      poll;
    curl_socket_t  fd;
    engine_t      *e;
    int            events; /* UV_READABLE|UV_WRITABLE being watched, 0 when stopped */
    bool           ours;   /* opened and closed through our callbacks: we see its close */
    bool           idle;   /* curl does not watch it now (a pooled connection) */
};

static __thread engine_t *tls_engine;

static void free_handle(uv_handle_t *h) { free(h->data); }

/* Wakes the coroutine of every finished transfer. */
static void engine_collect(engine_t *e)
{
    CURLMsg *m;
    int left;
    while ((m = curl_multi_info_read(e->multi, &left))) {
        if (m->msg != CURLMSG_DONE)
            continue;
        CURL *easy = m->easy_handle;
        CURLcode result = m->data.result;
        wait_t *x = NULL;
        curl_easy_getinfo(easy, CURLINFO_PRIVATE, (char **)&x);
        curl_multi_remove_handle(e->multi, easy); /* m is invalid from here */
        x->result = result;
        x->w.signaled = true;
        pt__waiter_wake(&x->w);
    }
}

static void on_poll(uv_poll_t *h, int status, int events)
{
    sockctx_t *sc = h->data;
    engine_t *e = sc->e;
    if (sc->idle) {
        /* A pooled connection the peer closed (or sent stray bytes on): stop
         * watching; curl finds it dead when it next looks and closes it. */
        uv_poll_stop(&sc->poll);
        sc->events = 0;
        return;
    }
    int flags = 0;
    if (status < 0) {
        flags = CURL_CSELECT_ERR;
    } else {
        if (events & UV_READABLE)
            flags |= CURL_CSELECT_IN;
        if (events & UV_WRITABLE)
            flags |= CURL_CSELECT_OUT;
    }
    int running;
    curl_multi_socket_action(e->multi, sc->fd, flags, &running);
    engine_collect(e);
}

static void on_timeout(uv_timer_t *t)
{
    engine_t *e = t->data;
    int running;
    curl_multi_socket_action(e->multi, CURL_SOCKET_TIMEOUT, 0, &running);
    engine_collect(e);
}

static int on_timer_set(CURLM *multi, long timeout_ms, void *userp)
{
    engine_t *e = userp;
    if (timeout_ms < 0)
        uv_timer_stop(&e->timer);
    else
        uv_timer_start(&e->timer, on_timeout, (uint64_t)timeout_ms, 0);
    return 0;
}

/* The poll handle of socket fd, made on first sight. */
static sockctx_t *sock_get(engine_t *e, curl_socket_t fd)
{
    if ((size_t)fd < e->nbyfd && e->byfd[fd])
        return e->byfd[fd];
    if ((size_t)fd >= e->nbyfd) {
        size_t n = e->nbyfd ? e->nbyfd : 64;
        while (n <= (size_t)fd)
            n *= 2;
        sockctx_t **t = realloc(e->byfd, n * sizeof *t);
        if (!t)
            return NULL;
        memset(t + e->nbyfd, 0, (n - e->nbyfd) * sizeof *t);
        e->byfd = t;
        e->nbyfd = n;
    }
    sockctx_t *sc = pt__http_xmalloc(sizeof *sc);
    memset(sc, 0, sizeof *sc);
    if (uv_poll_init_socket(e->loop, &sc->poll, fd) != 0) {
        free(sc);
        return NULL;
    }
    sc->fd = fd;
    sc->e = e;
    sc->poll.data = sc;
    /* Pooled connections must not keep a stopping worker's loop alive: the
     * worker's own handles decide when it ends. */
    uv_unref((uv_handle_t *)&sc->poll);
    e->byfd[fd] = sc;
    return sc;
}

/* Connection sockets are opened and closed through these two, so their poll
 * handle lives exactly as long as the socket: between transfers it keeps
 * watching (see on_socket) and is closed just before the socket is. */
static curl_socket_t on_open_socket(void *clientp, curlsocktype purpose, struct curl_sockaddr *a)
{
    engine_t *e = clientp;
    curl_socket_t fd = socket(a->family, a->socktype | SOCK_CLOEXEC, a->protocol);
    if (fd < 0)
        return CURL_SOCKET_BAD;
    sockctx_t *sc = sock_get(e, fd);
    if (!sc) {
        close(fd);
        return CURL_SOCKET_BAD;
    }
    sc->ours = true;
    sc->idle = true;
    return fd;
}

static int on_close_socket(void *clientp, curl_socket_t fd)
{
    engine_t *e = clientp;
    sockctx_t *sc = (size_t)fd < e->nbyfd ? e->byfd[fd] : NULL;
    if (sc) {
        e->byfd[fd] = NULL;
        uv_close((uv_handle_t *)&sc->poll, free_handle); /* unregisters fd while it is still open */
    }
    return close(fd);
}

/* curl tells which sockets to watch for what. Between transfers it stops
 * watching a pooled connection (CURL_POLL_REMOVE) and starts again when the
 * next transfer takes it. For connection sockets (ours) the handle keeps
 * its registration meanwhile, marked idle, so a keep-alive request that
 * wants the same events costs no epoll_ctl; an event on an idle socket
 * stops it (on_poll). Other sockets
 * (the resolver's) are stopped, and their handle is kept by socket number:
 * a stopped libuv watcher registers its fd afresh when started again, so a
 * number curl closed and got back for a new socket is safe to reuse. */
static int on_socket(CURL *easy, curl_socket_t fd, int what, void *userp, void *socketp)
{
    engine_t *e = userp;
    if (fd < 0)
        return -1;
    if (what == CURL_POLL_REMOVE) {
        sockctx_t *sc = (size_t)fd < e->nbyfd ? e->byfd[fd] : NULL;
        if (sc) {
            sc->idle = true;
            if (!sc->ours) {
                uv_poll_stop(&sc->poll);
                sc->events = 0;
            }
        }
        return 0;
    }
    sockctx_t *sc = sock_get(e, fd);
    if (!sc)
        return -1;
    sc->idle = false;
    int ev = 0;
    if (what & CURL_POLL_IN)
        ev |= UV_READABLE;
    if (what & CURL_POLL_OUT)
        ev |= UV_WRITABLE;
    /* uv_poll_start unregisters and registers the fd again even when the
     * events are unchanged: skip it when they are. */
    if (ev != sc->events) {
        uv_poll_start(&sc->poll, ev, on_poll);
        sc->events = ev;
    }
    return 0;
}

static void engine_free_closed(uv_handle_t *h) { free(h->data); }

/* Runs when the thread's scheduler is freed: closes every pooled connection
 * (curl_multi_cleanup) and the uv handles that watched sockets. */
static void engine_free(void *arg)
{
    engine_t *e = arg;
    curl_multi_cleanup(e->multi);
    for (size_t fd = 0; fd < e->nbyfd; fd++)
        if (e->byfd[fd])
            uv_close((uv_handle_t *)&e->byfd[fd]->poll, free_handle);
    free(e->byfd);
    for (unsigned i = 0; i < e->nspare; i++)
        curl_easy_cleanup(e->spare[i]);
    uv_timer_stop(&e->timer);
    e->timer.data = e;
    uv_close((uv_handle_t *)&e->timer, engine_free_closed);
    if (tls_engine == e)
        tls_engine = NULL;
}

pt__http_engine_t *pt__http_engine_get(void)
{
    if (tls_engine)
        return tls_engine;
    pt__sched_t *s = pt__sched_self();
    engine_t *e = pt__http_xmalloc(sizeof *e);
    memset(e, 0, sizeof *e);
    e->multi = curl_multi_init();
    if (!e->multi) {
        free(e);
        return NULL;
    }
    e->loop = pt__sched_loop(s);
    uv_timer_init(e->loop, &e->timer);
    e->timer.data = e;
    uv_unref((uv_handle_t *)&e->timer);
    curl_multi_setopt(e->multi, CURLMOPT_SOCKETFUNCTION, on_socket);
    curl_multi_setopt(e->multi, CURLMOPT_SOCKETDATA, e);
    curl_multi_setopt(e->multi, CURLMOPT_TIMERFUNCTION, on_timer_set);
    curl_multi_setopt(e->multi, CURLMOPT_TIMERDATA, e);
    /* curl's default keeps 4 idle connections per easy handle currently
     * added, and we add handles only for the length of a transfer: a burst
     * would then end with most connections closed. Keep as many as all the
     * clients together may use at once. */
    curl_multi_setopt(e->multi, CURLMOPT_MAXCONNECTS, pt__http_total_limit());
    pt__sched_on_free(s, engine_free, e);
    tls_engine = e;
    return e;
}

CURL *pt__http_engine_easy(pt__http_engine_t *e)
{
    return e->nspare ? e->spare[--e->nspare] : curl_easy_init();
}

void pt__http_engine_easy_put(pt__http_engine_t *e, CURL *easy)
{
    if (e->nspare < SPARE_EASY) {
        curl_easy_reset(easy);
        e->spare[e->nspare++] = easy;
    } else {
        curl_easy_cleanup(easy);
    }
}

void pt__http_engine_watch_sockets(pt__http_engine_t *e, CURL *easy)
{
    curl_easy_setopt(easy, CURLOPT_OPENSOCKETFUNCTION, on_open_socket);
    curl_easy_setopt(easy, CURLOPT_OPENSOCKETDATA, e);
    curl_easy_setopt(easy, CURLOPT_CLOSESOCKETFUNCTION, on_close_socket);
    curl_easy_setopt(easy, CURLOPT_CLOSESOCKETDATA, e);
}

CURLcode pt__http_engine_perform(pt__http_engine_t *e, CURL *easy, char *errbuf)
{
    wait_t x = { .result = CURLE_OK };
    pt__waiter_init(&x.w);
    curl_easy_setopt(easy, CURLOPT_PRIVATE, &x);
    CURLMcode mc = curl_multi_add_handle(e->multi, easy);
    if (mc != CURLM_OK) {
        snprintf(errbuf, CURL_ERROR_SIZE, "%s", curl_multi_strerror(mc));
        return CURLE_FAILED_INIT;
    }
    /* No deadline of our own: curl enforces the timeout and always
     * completes the transfer. */
    pt__waiter_park(&x.w, -1);
    return x.result;
}
