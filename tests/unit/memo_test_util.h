/* Shared by the unit tests of what waits (memo, offload, resilience): run N
 * copies of a function as coroutines on a scheduler thread of their own, or
 * as plain threads. A scheduler thread ends when its coroutines and every
 * task spawned onto it (pt_spawn) are done. */
#ifndef MEMO_TEST_UTIL_H
#define MEMO_TEST_UTIL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <uv.h>

#include "core/sched.h"

typedef struct mt_slot {
    pt__task_t   task;
    void      (*fn)(int idx);
    int         idx;
    atomic_int *done;
} mt_slot_t;

typedef struct mt_sched {
    pthread_t   th;
    void      (*fn)(int idx);
    void      (*before_close)(void);
    int         ntasks, base;
    atomic_int  done;
} mt_sched_t;

static inline void mt_slot_run(pt__task_t *t) { mt_slot_t *s = (mt_slot_t *)t; s->fn(s->idx); }
static inline void mt_slot_done(pt__task_t *t) { atomic_fetch_add(((mt_slot_t *)t)->done, 1); }
static inline void mt_noop_timer(uv_timer_t *t) { (void)t; }

static inline void *mt_sched_main(void *arg)
{
    mt_sched_t *st = arg;
    uv_loop_t loop;
    uv_loop_init(&loop);
    pt__sched_t *s = pt__sched_new(&loop, 128 * 1024);
    mt_slot_t *slots = calloc((size_t)st->ntasks, sizeof *slots);
    uv_timer_t keepalive;
    uv_timer_init(&loop, &keepalive);
    for (int i = 0; i < st->ntasks; i++) {
        slots[i] = (mt_slot_t){ .fn = st->fn, .idx = st->base + i, .done = &st->done };
        slots[i].task.run = mt_slot_run;
        slots[i].task.done = mt_slot_done;
        pt__sched_start(s, &slots[i].task);
    }
    /* Cross-thread wakes come through an unref'd async handle: keep the
     * loop turning until everything is done. */
    while (atomic_load(&st->done) < st->ntasks || pt__sched_live(s) > 0) {
        uv_timer_start(&keepalive, mt_noop_timer, 5, 0);
        uv_run(&loop, UV_RUN_ONCE);
    }
    if (st->before_close)
        st->before_close();
    uv_close((uv_handle_t *)&keepalive, NULL);
    free(slots);
    pt__sched_free(s);
    uv_loop_close(&loop);
    return NULL;
}

/* before_close (may be NULL) runs on the scheduler thread after the tasks. */
static inline void mt_spawn_with(mt_sched_t *st, void (*fn)(int), int ntasks, int base,
                          void (*before_close)(void))
{
    st->before_close = before_close;
    st->fn = fn;
    st->ntasks = ntasks;
    st->base = base;
    atomic_init(&st->done, 0);
    pthread_create(&st->th, NULL, mt_sched_main, st);
}

static inline void mt_spawn(mt_sched_t *st, void (*fn)(int), int ntasks, int base)
{
    mt_spawn_with(st, fn, ntasks, base, NULL);
}

typedef struct mt_thread { pthread_t th; void (*fn)(int); int idx; } mt_thread_t;
static inline void *mt_thread_main(void *arg) { mt_thread_t *p = arg; p->fn(p->idx); return NULL; }

static inline void mt_threads(mt_thread_t *t, int n, void (*fn)(int), int base)
{
    for (int i = 0; i < n; i++) {
        t[i].fn = fn;
        t[i].idx = base + i;
        pthread_create(&t[i].th, NULL, mt_thread_main, &t[i]);
    }
}

/* Runs n coroutines of fn on a scheduler thread and waits for it. */
static inline void mt_run(void (*fn)(int), int ntasks)
{
    mt_sched_t st;
    mt_spawn(&st, fn, ntasks, 0);
    pthread_join(st.th, NULL);
}

static inline void mt_join(mt_thread_t *t, int n)
{
    for (int i = 0; i < n; i++)
        pthread_join(t[i].th, NULL);
}

#endif
