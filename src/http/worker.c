/* Worker threads: one libuv loop, one scheduler and one SO_REUSEPORT
 * listener each; the kernel spreads connections across them. */
#define _GNU_SOURCE
#include "http/worker.h"

#include <errno.h>
#include <linux/filter.h>
#include <stdio.h>
#include <sys/socket.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "route/router.h"

void pt__conn_list_put(pt__worker_t *w, pt__conn_t *c, int list)
{
    /* Already on that list: the caller moved `since` forward and the entry
     * keeps its place; the sweep moves it to the tail when it reaches the
     * head (at most once per timeout). Moving it on every request would
     * unlink and append it, writing to two neighbouring connections each
     * time. */
    if (list && c->list == list)
        return;
    if (c->list)
        pt__list_remove(&w->lists[c->list], &c->in_list);
    c->list = list;
    if (!list)
        return;
    /* Every connection on a list has the same timeout and `since` only
     * grows, so appending keeps each list sorted by `queued`; the sweep
     * stops at the first entry queued within the timeout. */
    c->queued = c->since;
    pt__list_push_back(&w->lists[list], &c->in_list);
}

static void sweep_list(pt__worker_t *w, int list, uint64_t timeout, uint64_t now)
{
    pt__list_t *l = &w->lists[list];
    pt__conn_t *c;
    while ((c = pt__conn_of_link(l->head)) && (uint64_t)c->queued + timeout <= now) {
        pt__conn_list_put(w, c, PT_LIST_NONE);
        if ((uint64_t)c->since + timeout > now) {
            /* Active since it was queued: to the tail, with its newer time. */
            pt__conn_list_put(w, c, list);
            continue;
        }
        pt__conn_expire(c);
    }
}

static void on_sweep(uv_timer_t *t)
{
    pt__worker_t *w = t->data;
    uint64_t now = uv_now(&w->loop);
    sweep_list(w, PT_LIST_HEADERS, w->limits->header_timeout_ms, now);
    sweep_list(w, PT_LIST_IDLE, w->limits->idle_timeout_ms, now);
}

static void on_connection(uv_stream_t *server, int status)
{
    pt__worker_t *w = server->data;
    if (status < 0)
        return;
    pt__conn_accept(w, server);
}

/* Closes every connection handle (the listener is closed already); one
 * whose handler still runs is answered 503 first. */
static void walk_close(uv_handle_t *h, void *listener)
{
    if (h->type == UV_TCP && h != listener && !uv_is_closing(h))
        pt__conn_abandon((pt__conn_t *)h);
}

/* The shutdown deadline passed: close whatever is still open. Requests still
 * inside handlers are answered 503 and abandoned with their coroutines (the
 * process is about to exit). */
static void on_deadline(uv_timer_t *t)
{
    pt__worker_t *w = t->data;
    uv_walk(&w->loop, walk_close, &w->listener);
    /* Handlers still suspended hold timers and stacks we cannot unwind:
     * leave the loop now and let the process exit without them. */
    w->abandoned = true;
    uv_stop(&w->loop);
}

static void maybe_finish(pt__worker_t *w)
{
    /* Live tasks are requests (which hold connections) and background tasks
     * (ponty/task.h), which the drain waits for just the same. */
    if (w->draining && !w->listening && w->nconns == 0 && pt__sched_live(w->sched) == 0 &&
        !uv_is_closing((uv_handle_t *)&w->sweep)) {
        uv_close((uv_handle_t *)&w->sweep, NULL);
        uv_close((uv_handle_t *)&w->deadline, NULL);
    }
}

/* Closing a listener resets the connections waiting in its accept queue
 * (the kernel completed their handshake; the client thinks it is
 * connected), and a handshake still in flight when it closes ends in a
 * reset too. So the stop does not close the listener at once: it first
 * makes the listener drop new SYNs (a socket filter: the client's SYN is
 * unanswered, and its retransmission, a second later, finds the port
 * closed and is refused), keeps accepting while the handshakes already
 * begun complete (one round trip; PT_HANDSHAKE_GRACE_MS), then takes what
 * is queued and closes. Every connection the kernel completed is served,
 * with Connection: close. */
#define PT_HANDSHAKE_GRACE_MS 100

static int refuse_new_handshakes(int fd)
{
    /* The filter runs with the TCP header at offset 0: drop when SYN is set. */
    struct sock_filter code[] = {
        BPF_STMT(BPF_LD | BPF_B | BPF_ABS, 13),          /* TCP flags */
        BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, 0x02, 0, 1), /* SYN? */
        BPF_STMT(BPF_RET | BPF_K, 0),                     /* drop */
        BPF_STMT(BPF_RET | BPF_K, 0xffffffffu),           /* keep */
    };
    struct sock_fprog prog = { .len = (unsigned short)(sizeof code / sizeof code[0]), .filter = code };
    return setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &prog, sizeof prog);
}

static void drain_accept_queue(pt__worker_t *w)
{
    for (;;) {
        int fd = accept4(w->listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) {
            if (errno == EINTR || errno == ECONNABORTED)
                continue;
            return; /* EAGAIN: the queue is empty */
        }
        if (pt__conn_adopt(w, fd) != 0)
            close(fd);
    }
}

static void close_listener(pt__worker_t *w)
{
    if (!w->listening)
        return;
    drain_accept_queue(w);
    uv_close((uv_handle_t *)&w->listener, NULL);
    w->listening = false;
}

/* How long a connection taken from the listener's queue at shutdown may stay
 * silent before it is closed (it sent nothing, so closing it is clean). */
#define PT_DRAIN_SILENCE_MS 1000

static void on_drain_check(uv_timer_t *t)
{
    pt__worker_t *w = t->data;
    on_sweep(t);
    uint64_t now = uv_now(&w->loop);
    if (w->listening && now >= w->stop_at + PT_HANDSHAKE_GRACE_MS)
        close_listener(w);
    for (pt__conn_t *c = pt__conn_of_link(w->lists[PT_LIST_IDLE].head); c;) {
        pt__conn_t *next = pt__conn_of_link(c->in_list.next);
        if (c->state == PT_CONN_IDLE && (uint64_t)c->since + PT_DRAIN_SILENCE_MS <= now)
            pt__conn_close(c);
        c = next;
    }
    maybe_finish(w);
}

static void on_stop(uv_async_t *a)
{
    pt__worker_t *w = a->data;
    uv_close((uv_handle_t *)a, NULL);
    if (w->draining)
        return;
    w->draining = true;
    /* Idle keep-alive connections have nothing in flight: close them now.
     * Connections mid-request finish it and close after the response. A
     * connection that has not been answered yet was accepted an instant
     * ago and its request is likely in the socket buffer unread (closing
     * would reset it): it is served, or closed once silent for
     * PT_DRAIN_SILENCE_MS. */
    pt__conn_t *c = pt__conn_of_link(w->lists[PT_LIST_IDLE].head);
    while (c) {
        pt__conn_t *next = pt__conn_of_link(c->in_list.next);
        if (c->state == PT_CONN_IDLE && c->answered_one)
            pt__conn_close(c);
        c = next;
    }
    w->stop_at = uv_now(&w->loop);
    /* Without the filter, a later close would only widen the window in
     * which new handshakes complete and are then reset: close now. */
    if (w->listening && refuse_new_handshakes(w->listen_fd) != 0)
        close_listener(w);
    uv_timer_start(&w->deadline, on_deadline, w->limits->shutdown_timeout_ms, 0);
    uv_timer_stop(&w->sweep);
    uv_timer_start(&w->sweep, on_drain_check, 10, 10);
    uv_ref((uv_handle_t *)&w->sweep);
}

static void *worker_main(void *arg)
{
    pt__worker_t *w = arg;
    char name[16];
    snprintf(name, sizeof name, "ponty-w%u", w->id);
    pthread_setname_np(pthread_self(), name);
    w->sched = pt__sched_new(&w->loop, w->stack_size);
    pt__router_thread_prepare(w->router);
    pt_sem_post(&w->ready);
    uv_run(&w->loop, UV_RUN_DEFAULT);
    if (w->abandoned) {
        fprintf(stderr, "ponty: worker %u: %u request(s) or task(s) abandoned at the shutdown deadline\n",
                w->id, pt__sched_live(w->sched));
        return NULL;
    }
    pt__sched_free(w->sched);
    w->sched = NULL;
    pt__worker_free_buffers(w);
    uv_loop_close(&w->loop);
    return NULL;
}

void pt__worker_free_buffers(pt__worker_t *w)
{
    pt__buf_free(&w->scratch);
    pt__buf_free(&w->out_spare);
    pt__conn_parked_free(w);
}

int pt__worker_start(pt__worker_t *w)
{
    if (uv_loop_init(&w->loop) != 0)
        return -1;
    uv_tcp_init(&w->loop, &w->listener);
    w->listener.data = w;
    if (uv_tcp_open(&w->listener, w->listen_fd) != 0 ||
        uv_listen((uv_stream_t *)&w->listener, w->backlog, on_connection) != 0) {
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
    uv_timer_start(&w->sweep, on_sweep, tick, tick);
    uv_unref((uv_handle_t *)&w->sweep);
    uv_timer_init(&w->loop, &w->deadline);
    w->deadline.data = w;
    uv_async_init(&w->loop, &w->stop, on_stop);
    w->stop.data = w;
    pt_sem_init(&w->ready, 0);
    if (pthread_create(&w->thread, NULL, worker_main, w) != 0)
        return -1;
    /* Background tasks are spawned onto w->sched from this thread. */
    pt_sem_wait(&w->ready);
    return 0;
}

void pt__worker_request_stop(pt__worker_t *w) { uv_async_send(&w->stop); }

void pt__worker_join(pt__worker_t *w) { pthread_join(w->thread, NULL); }
