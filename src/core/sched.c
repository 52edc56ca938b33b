/* Per-thread coroutine scheduler: see sched.h. */
#define _GNU_SOURCE
#include "core/sched.h"

#include "core/json_alloc.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>

typedef struct pt_timer_slot {
    uv_timer_t             timer;
    struct pt_timer_slot  *next;
} pt_timer_slot_t;

typedef struct pt_free_hook {
    void                (*fn)(void *);
    void                 *arg;
    struct pt_free_hook  *next;
} pt_free_hook_t;

struct pt_sched {
    uv_loop_t       *loop;
    pt_coro_pool_t  *pool;
    uv_idle_t        idle;       /* active while the local ready queue is non-empty */
    uv_async_t       async;      /* other threads kick us through this */
    pthread_mutex_t  remote_lk;
    pt_coro_t       *remote_head, *remote_tail;
    pt_coro_t       *ready_head, *ready_tail;
    pt_timer_slot_t *timers_free;
    unsigned         live;
    pt_task_t       *spawn_head, *spawn_tail;   /* under remote_lk */
    _Atomic unsigned spawning;                  /* spawned, not yet started */
    pt_free_hook_t  *free_hooks;  /* LIFO */
    pt_coro_t       *warm;        /* parked coroutines, waiting for a task (LIFO) */
    unsigned         nwarm;
};

/* Coroutines kept parked for the next task: enough for the tasks one loop
 * turn starts back to back; more go back to the pool. */
#define PT_SCHED_WARM 4

static __thread pt_sched_t *pt_sched_current;

static void pt_sched_finish(pt_sched_t *s, pt_coro_t *co, pt_task_t *t)
{
    s->live--;
    t->co = NULL;
    pt_coro_release(co);
    t->done(t);
}

/* The task of co returned and co parked itself (pt_task_loop): keep it for
 * the next task, then finish the task. */
static void pt_sched_park(pt_sched_t *s, pt_coro_t *co, pt_task_t *t)
{
    s->live--;
    t->co = NULL;
    if (s->nwarm < PT_SCHED_WARM) {
        *pt_coro_link(co) = s->warm;
        s->warm = co;
        s->nwarm++;
    } else {
        pt_coro_discard(co);
    }
    t->done(t);
}

static void pt_sched_run(pt_sched_t *s, pt_coro_t *co)
{
    pt_task_t *t = pt_coro_data(co);
    if (!pt_coro_resume(co))
        pt_sched_finish(s, co, t); /* left through pt_coro_exit */
    else if (!pt_coro_data(co))
        pt_sched_park(s, co, t);
}

static void pt_drain(pt_sched_t *s)
{
    /* Only what is queued now: coroutines woken while we drain wait for the
     * next turn, so I/O is not starved by ping-ponging coroutines. */
    pt_coro_t *co = s->ready_head, *last = s->ready_tail;
    s->ready_head = s->ready_tail = NULL;
    while (co) {
        pt_coro_t *next = *pt_coro_link(co);
        *pt_coro_link(co) = NULL;
        pt_sched_run(s, co);
        if (co == last)
            break;
        co = next;
    }
    if (!s->ready_head)
        uv_idle_stop(&s->idle);
}

static void pt_start_spawned(pt_sched_t *s, pt_task_t *t)
{
    while (t) {
        pt_task_t *next = t->spawn_next;
        t->spawn_next = NULL;
        atomic_fetch_sub(&s->spawning, 1);
        if (pt_sched_start(s, t) != 0) {
            fprintf(stderr, "ponty: no coroutine stack for a spawned task\n");
            t->co = NULL;
            t->sched = s;
            t->done(t);
        }
        t = next;
    }
}

static void pt_on_idle(uv_idle_t *h) { pt_drain(h->data); }

static void pt_on_async(uv_async_t *h)
{
    pt_sched_t *s = h->data;
    pthread_mutex_lock(&s->remote_lk);
    pt_coro_t *head = s->remote_head, *tail = s->remote_tail;
    s->remote_head = s->remote_tail = NULL;
    pt_task_t *spawned = s->spawn_head;
    s->spawn_head = s->spawn_tail = NULL;
    pthread_mutex_unlock(&s->remote_lk);
    pt_start_spawned(s, spawned);
    if (head) {
        if (s->ready_tail)
            *pt_coro_link(s->ready_tail) = head;
        else
            s->ready_head = head;
        s->ready_tail = tail;
    }
    if (s->ready_head)
        pt_drain(s);
}

pt_sched_t *pt_sched_new(uv_loop_t *loop, size_t stack_size)
{
    pt_sched_t *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    /* Values built by handlers on this thread reuse freed blocks. */
    pt__json_alloc_install();
    s->loop = loop;
    s->pool = pt_coro_pool_new(stack_size, 1024);
    pthread_mutex_init(&s->remote_lk, NULL);
    uv_idle_init(loop, &s->idle);
    s->idle.data = s;
    uv_async_init(loop, &s->async, pt_on_async);
    s->async.data = s;
    /* The async handle must not keep the loop alive on its own. */
    uv_unref((uv_handle_t *)&s->async);
    pt_sched_current = s;
    return s;
}

static void pt_free_slot(uv_handle_t *h) { free(h->data); }

void pt_sched_free(pt_sched_t *s)
{
    if (!s)
        return;
    while (s->free_hooks) {
        pt_free_hook_t *h = s->free_hooks;
        s->free_hooks = h->next;
        h->fn(h->arg);
        free(h);
    }
    while (s->warm) {
        pt_coro_t *co = s->warm;
        s->warm = *pt_coro_link(co);
        pt_coro_discard(co);
    }
    s->nwarm = 0;
    uv_close((uv_handle_t *)&s->idle, NULL);
    uv_close((uv_handle_t *)&s->async, NULL);
    while (s->timers_free) {
        pt_timer_slot_t *t = s->timers_free;
        s->timers_free = t->next;
        t->timer.data = t;
        uv_close((uv_handle_t *)&t->timer, pt_free_slot);
    }
    uv_run(s->loop, UV_RUN_DEFAULT);
    pt_coro_pool_free(s->pool);
    pthread_mutex_destroy(&s->remote_lk);
    if (pt_sched_current == s)
        pt_sched_current = NULL;
    free(s);
}

void pt_sched_on_free(pt_sched_t *s, void (*fn)(void *), void *arg)
{
    pt_free_hook_t *h = malloc(sizeof *h);
    if (!h) {
        fprintf(stderr, "ponty: out of memory for a scheduler hook\n");
        abort();
    }
    h->fn = fn;
    h->arg = arg;
    h->next = s->free_hooks;
    s->free_hooks = h;
}

pt_sched_t *pt_sched_self(void) { return pt_sched_current; }
uv_loop_t *pt_sched_loop(pt_sched_t *s) { return s->loop; }
unsigned pt_sched_live(const pt_sched_t *s)
{
    return s->live + atomic_load(&((pt_sched_t *)s)->spawning);
}

void pt_sched_spawn(pt_sched_t *s, pt_task_t *t)
{
    /* Always through the async handle, even from s's own thread: the task
     * must not start on the spawner's stack, and the loop's turn is cheap. */
    t->spawn_next = NULL;
    atomic_fetch_add(&s->spawning, 1);
    pthread_mutex_lock(&s->remote_lk);
    if (s->spawn_tail)
        s->spawn_tail->spawn_next = t;
    else
        s->spawn_head = t;
    s->spawn_tail = t;
    pthread_mutex_unlock(&s->remote_lk);
    uv_async_send(&s->async);
}

/* The body of every task coroutine: run the task, then park (no data, so
 * pt_sched_run knows it is done, not waiting) until the scheduler hands it
 * the next task. A warm coroutine thus serves task after task on a stack
 * that is already mapped and cached, without being prepared again. A task
 * that leaves through pt_coro_exit ends the coroutine instead. */
static void pt_task_loop(void *arg)
{
    (void)arg;
    pt_coro_t *co = pt_coro_self();
    for (;;) {
        pt_task_t *t = pt_coro_data(co);
        t->run(t);
        pt_coro_set_data(co, NULL);
        pt_coro_yield();
    }
}

int pt_sched_start(pt_sched_t *s, pt_task_t *t)
{
    pt_coro_t *co = s->warm;
    if (co) {
        s->warm = *pt_coro_link(co);
        *pt_coro_link(co) = NULL;
        s->nwarm--;
    } else {
        co = pt_coro_new(s->pool, pt_task_loop, NULL);
        if (!co)
            return -1;
    }
    t->co = co;
    t->sched = s;
    pt_coro_set_data(co, t);
    s->live++;
    pt_sched_run(s, co);
    return 0;
}

void pt_sched_ready(pt_sched_t *s, pt_coro_t *co)
{
    *pt_coro_link(co) = NULL;
    if (s == pt_sched_current) {
        if (s->ready_tail)
            *pt_coro_link(s->ready_tail) = co;
        else
            s->ready_head = co;
        s->ready_tail = co;
        if (!uv_is_active((uv_handle_t *)&s->idle))
            uv_idle_start(&s->idle, pt_on_idle);
        return;
    }
    pthread_mutex_lock(&s->remote_lk);
    if (s->remote_tail)
        *pt_coro_link(s->remote_tail) = co;
    else
        s->remote_head = co;
    s->remote_tail = co;
    pthread_mutex_unlock(&s->remote_lk);
    uv_async_send(&s->async);
}

uv_timer_t *pt_sched_timer_get(pt_sched_t *s)
{
    pt_timer_slot_t *t = s->timers_free;
    if (t) {
        s->timers_free = t->next;
        return &t->timer;
    }
    t = calloc(1, sizeof *t);
    if (!t) {
        fprintf(stderr, "ponty: out of memory for a timer\n");
        abort();
    }
    uv_timer_init(s->loop, &t->timer);
    return &t->timer;
}

void pt_sched_timer_put(pt_sched_t *s, uv_timer_t *timer)
{
    pt_timer_slot_t *t = (pt_timer_slot_t *)timer; /* timer is the first member */
    uv_timer_stop(timer);
    t->next = s->timers_free;
    s->timers_free = t;
}
