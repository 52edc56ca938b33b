/* Internal: a worker thread: its loop, scheduler, listener and connections. */
#ifndef PT_HTTP_WORKER_H
#define PT_HTTP_WORKER_H

#include <pthread.h>
#include <stdbool.h>
#include <uv.h>

#include "ponty/server.h"
#include "ponty/sync.h"
#include "core/buf.h"
#include "core/sched.h"
#include "http/conn.h"
#include "route/router.h"

/* A worker's timeout lists (core/list.h) hold connections through in_list. */
static inline pt__conn_t *pt__conn_of_link(pt__link_t *l) { return l ? PT__ELEM(l, pt__conn_t, in_list) : NULL; }

enum { PT_LIST_NONE = 0, PT_LIST_HEADERS = 1, PT_LIST_IDLE = 2 };

struct pt__worker {
    unsigned            id;
    pthread_t           thread;
    uv_loop_t           loop;
    pt__sched_t         *sched;         /* set by the worker thread before pt__worker_start returns */
    pt_sem_t            ready;
    uv_tcp_t            listener;
    int                 listen_fd;
    uv_timer_t          sweep;
    uv_timer_t          deadline;
    uv_async_t          stop;
    const pt__router_t  *router;
    const pt_limits_t  *limits;
    size_t              stack_size;
    int                 backlog;
    unsigned            nconns;
    bool                draining;
    bool                listening;
    uint64_t            stop_at;       /* loop time the stop arrived */
    bool                abandoned;     /* shutdown deadline passed with requests in flight */
    pt__list_t           lists[3];
    pt__buf_t            scratch;       /* envelope rendering */
    pt__buf_t            out_spare;     /* output buffer lent to the connection answering now */
    pt_req_t           *req_parked;    /* reset requests of idle connections, for the next ones */
    unsigned            nreq_parked;
    char                env_head[48];  /* {"now": <env_now>, "data": */
    size_t              env_head_len;
    int64_t             env_now;
    char                date[64];      /* "Date: ...\r\nServer: ponty\r\n" */
    size_t              date_len;
    uint64_t            date_stamp;    /* loop second of `date` */
    char                readbuf[65536];
};

void pt__conn_list_put(pt__worker_t *w, pt__conn_t *c, int list);

int  pt__worker_start(pt__worker_t *w);
/* Frees what a worker keeps for its requests (envelope scratch, spare
 * output buffer, parked requests), once its connections are gone. */
void pt__worker_free_buffers(pt__worker_t *w);
void pt__worker_request_stop(pt__worker_t *w);
void pt__worker_join(pt__worker_t *w);

#endif
