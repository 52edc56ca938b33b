/* Worker threads: one libuv loop, one scheduler and one SO_REUSEPORT
 * listener each; the kernel spreads connections across them. */
#define _GNU_SOURCE
#include "http/worker.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "route/router.h"

void pt_conn_list_put(pt_worker_t *w, pt_conn_t *c, int list)
{
    if (c->list) {
        pt_conn_list_t *l = &w->lists[c->list];
        if (c->prev) c->prev->next = c->next; else l->head = c->next;
        if (c->next) c->next->prev = c->prev; else l->tail = c->prev;
        c->prev = c->next = NULL;
    }
    c->list = list;
    if (!list)
        return;
    /* Every connection on a list has the same timeout, so appending keeps
     * each list sorted by deadline and the sweep stops at the first live one. */
    pt_conn_list_t *l = &w->lists[list];
    c->prev = l->tail;
    if (l->tail) l->tail->next = c; else l->head = c;
    l->tail = c;
}

static void pt_sweep_list(pt_worker_t *w, int list, uint64_t timeout, uint64_t now)
{
    pt_conn_list_t *l = &w->lists[list];
    while (l->head && (uint64_t)l->head->since + timeout <= now) {
        pt_conn_t *c = l->head;
        pt_conn_list_put(w, c, PT_LIST_NONE);
        pt_conn_expire(c);
    }
}

static void pt_on_sweep(uv_timer_t *t)
{
    pt_worker_t *w = t->data;
    uint64_t now = uv_now(&w->loop);
    pt_sweep_list(w, PT_LIST_HEADERS, w->limits->header_timeout_ms, now);
    pt_sweep_list(w, PT_LIST_IDLE, w->limits->idle_timeout_ms, now);
}

static void pt_on_connection(uv_stream_t *server, int status)
{
    pt_worker_t *w = server->data;
    if (status < 0)
        return;
    pt_conn_accept(w, server);
}

/* Closes every connection handle (the listener is closed already). */
static void pt_walk_close(uv_handle_t *h, void *listener)
{
    if (h->type == UV_TCP && h != listener && !uv_is_closing(h))
        pt_conn_close((pt_conn_t *)h);
}

/* The shutdown deadline passed: close whatever is still open. Requests still
 * inside handlers are abandoned with their coroutines (the process is about
 * to exit). */
static void pt_on_deadline(uv_timer_t *t)
{
    pt_worker_t *w = t->data;
    uv_walk(&w->loop, pt_walk_close, &w->listener);
    /* Handlers still suspended hold timers and stacks we cannot unwind:
     * leave the loop now and let the process exit without them. */
    w->abandoned = true;
    uv_stop(&w->loop);
}

static void pt_maybe_finish(pt_worker_t *w)
{
    /* Live tasks are requests (which hold connections) and background tasks
     * (ponty/task.h), which the drain waits for just the same. */
    if (w->draining && w->nconns == 0 && pt_sched_live(w->sched) == 0 &&
        !uv_is_closing((uv_handle_t *)&w->sweep)) {
        uv_close((uv_handle_t *)&w->sweep, NULL);
        uv_close((uv_handle_t *)&w->deadline, NULL);
    }
}

static void pt_on_drain_check(uv_timer_t *t)
{
    pt_worker_t *w = t->data;
    pt_on_sweep(t);
    pt_maybe_finish(w);
}

static void pt_on_stop(uv_async_t *a)
{
    pt_worker_t *w = a->data;
    uv_close((uv_handle_t *)a, NULL);
    if (w->draining)
        return;
    w->draining = true;
    if (w->listening)
        uv_close((uv_handle_t *)&w->listener, NULL);
    w->listening = false;
    /* Idle keep-alive connections have nothing in flight: close them now.
     * Connections mid-request finish it and close after the response. */
    pt_conn_list_t *l = &w->lists[PT_LIST_IDLE];
    pt_conn_t *c = l->head;
    while (c) {
        pt_conn_t *next = c->next;
        if (c->state == PT_CONN_IDLE)
            pt_conn_close(c);
        c = next;
    }
    uv_timer_start(&w->deadline, pt_on_deadline, w->limits->shutdown_timeout_ms, 0);
    uv_timer_stop(&w->sweep);
    uv_timer_start(&w->sweep, pt_on_drain_check, 10, 10);
    uv_ref((uv_handle_t *)&w->sweep);
}

static void *pt_worker_main(void *arg)
{
    pt_worker_t *w = arg;
    char name[16];
    snprintf(name, sizeof name, "ponty-w%u", w->id);
    pthread_setname_np(pthread_self(), name);
    w->sched = pt_sched_new(&w->loop, w->stack_size);
    pt_router_thread_prepare(w->router);
    pt_sem_post(&w->ready);
    uv_run(&w->loop, UV_RUN_DEFAULT);
    if (w->abandoned) {
        fprintf(stderr, "ponty: worker %u: %u request(s) or task(s) abandoned at the shutdown deadline\n",
                w->id, pt_sched_live(w->sched));
        return NULL;
    }
    pt_sched_free(w->sched);
    w->sched = NULL;
    pt_buf_free(&w->scratch);
    uv_loop_close(&w->loop);
    return NULL;
}

int pt_worker_start(pt_worker_t *w)
{
    if (uv_loop_init(&w->loop) != 0)
        return -1;
    uv_tcp_init(&w->loop, &w->listener);
    w->listener.data = w;
    if (uv_tcp_open(&w->listener, w->listen_fd) != 0 ||
        uv_listen((uv_stream_t *)&w->listener, w->backlog, pt_on_connection) != 0) {
        fprintf(stderr, "ponty: worker %u cannot listen\n", w->id);
        return -1;
    }
    w->listening = true;
    uv_timer_init(&w->loop, &w->sweep);
    w->sweep.data = w;
    unsigned tick = w->limits->header_timeout_ms < w->limits->idle_timeout_ms
                        ? w->limits->header_timeout_ms : w->limits->idle_timeout_ms;
    tick /= 4;
    if (tick < 10) tick = 10;
    if (tick > 1000) tick = 1000;
    uv_timer_start(&w->sweep, pt_on_sweep, tick, tick);
    uv_unref((uv_handle_t *)&w->sweep);
    uv_timer_init(&w->loop, &w->deadline);
    w->deadline.data = w;
    uv_async_init(&w->loop, &w->stop, pt_on_stop);
    w->stop.data = w;
    pt_sem_init(&w->ready, 0);
    if (pthread_create(&w->thread, NULL, pt_worker_main, w) != 0)
        return -1;
    /* Background tasks are spawned onto w->sched from this thread. */
    pt_sem_wait(&w->ready);
    return 0;
}

void pt_worker_request_stop(pt_worker_t *w) { uv_async_send(&w->stop); }

void pt_worker_join(pt_worker_t *w) { pthread_join(w->thread, NULL); }
