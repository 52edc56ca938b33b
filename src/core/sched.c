/* Per-thread coroutine scheduler: see sched.h. */
#define _GNU_SOURCE
#include "core/sched.h"

#include "core/json_alloc.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>

typedef struct pt__timer_slot {
    uv_timer_t             timer;
    struct pt__timer_slot  *next;
} pt__timer_slot_t;

typedef struct pt__free_hook {
    void                (*fn)(void *);
    void                 *arg;
    struct pt__free_hook  *next;
} pt__free_hook_t;

struct pt__sched {
    uv_loop_t       *loop;
    pt__coro_pool_t  *pool;
    uv_idle_t        idle;       /* active while the local ready queue is non-empty */
    uv_async_t       async;      /* other threads kick us through this */
    pthread_mutex_t  remote_lk;
    pt__coro_t       *remote_head, *remote_tail;
    pt__coro_t       *ready_head, *ready_tail;
    pt__timer_slot_t *timers_free;
    unsigned         live;
    pt__task_t       *spawn_head, *spawn_tail;   /* under remote_lk */
    _Atomic unsigned spawning;                  /* spawned, not yet started */
    pt__free_hook_t  *free_hooks;  /* LIFO */
    pt__coro_t       *warm;        /* parked coroutines, waiting for a task (LIFO) */
    unsigned         nwarm;
};

/* Coroutines kept parked for the next task: enough for the tasks one loop
 * turn starts back to back; more go back to the pool. */
#define PT_SCHED_WARM 4

static __thread pt__sched_t *sched_current;

static void sched_finish(pt__sched_t *s, pt__coro_t *co, pt__task_t *t)
{
    s->live--;
    t->co = NULL;
    pt__coro_release(co);
    t->done(t);
}

/* The task of co returned and co parked itself (task_loop): keep it for
 * the next task, then finish the task. */
static void sched_park(pt__sched_t *s, pt__coro_t *co, pt__task_t *t)
{
    s->live--;
    t->co = NULL;
    if (s->nwarm < PT_SCHED_WARM) {
        *pt__coro_link(co) = s->warm;
        s->warm = co;
        s->nwarm++;
    } else {
        pt__coro_discard(co);
    }
    t->done(t);
}

static void sched_run(pt__sched_t *s, pt__coro_t *co)
{
    pt__task_t *t = pt__coro_data(co);
    if (!pt__coro_resume(co))
        sched_finish(s, co, t); /* left through pt__coro_exit */
    else if (!pt__coro_data(co))
        sched_park(s, co, t);
}

static void drain_ready(pt__sched_t *s)
{
    /* Only what is queued now: coroutines woken while we drain wait for the
     * next turn, so I/O is not starved by ping-ponging coroutines. */
    pt__coro_t *co = s->ready_head, *last = s->ready_tail;
    s->ready_head = s->ready_tail = NULL;
    while (co) {
        pt__coro_t *next = *pt__coro_link(co);
        *pt__coro_link(co) = NULL;
        sched_run(s, co);
        if (co == last)
            break;
        co = next;
    }
    if (!s->ready_head)
        uv_idle_stop(&s->idle);
}

static void start_spawned(pt__sched_t *s, pt__task_t *t)
{
    while (t) {
        pt__task_t *next = t->spawn_next;
        t->spawn_next = NULL;
        atomic_fetch_sub(&s->spawning, 1);
        if (pt__sched_start(s, t) != 0) {
            fprintf(stderr, "ponty: no coroutine stack for a spawned task\n");
            t->co = NULL;
            t->sched = s;
            t->done(t);
        }
        t = next;
    }
}

static void on_idle(uv_idle_t *h) { drain_ready(h->data); }

static void on_async(uv_async_t *h)
{
    pt__sched_t *s = h->data;
    pthread_mutex_lock(&s->remote_lk);
    pt__coro_t *head = s->remote_head, *tail = s->remote_tail;
    s->remote_head = s->remote_tail = NULL;
    pt__task_t *spawned = s->spawn_head;
    s->spawn_head = s->spawn_tail = NULL;
    pthread_mutex_unlock(&s->remote_lk);
    start_spawned(s, spawned);
    if (head) {
        if (s->ready_tail)
            *pt__coro_link(s->ready_tail) = head;
        else
            s->ready_head = head;
        s->ready_tail = tail;
    }
    if (s->ready_head)
        drain_ready(s);
}

pt__sched_t *pt__sched_new(uv_loop_t *loop, size_t stack_size)
{
    pt__sched_t *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    /* Values built by handlers on this thread reuse freed blocks. */
    pt__json_alloc_install();
    s->loop = loop;
    s->pool = pt__coro_pool_new(stack_size, 1024);
    pthread_mutex_init(&s->remote_lk, NULL);
    uv_idle_init(loop, &s->idle);
    s->idle.data = s;
    uv_async_init(loop, &s->async, on_async);
    s->async.data = s;
    /* The async handle must not keep the loop alive on its own. */
    uv_unref((uv_handle_t *)&s->async);
    sched_current = s;
    return s;
}

static void free_slot(uv_handle_t *h) { free(h->data); }

void pt__sched_free(pt__sched_t *s)
{
    if (!s)
        return;
    while (s->free_hooks) {
        pt__free_hook_t *h = s->free_hooks;
        s->free_hooks = h->next;
        h->fn(h->arg);
        free(h);
    }
    while (s->warm) {
        pt__coro_t *co = s->warm;
        s->warm = *pt__coro_link(co);
        pt__coro_discard(co);
    }
    s->nwarm = 0;
    uv_close((uv_handle_t *)&s->idle, NULL);
    uv_close((uv_handle_t *)&s->async, NULL);
    while (s->timers_free) {
        pt__timer_slot_t *t = s->timers_free;
        s->timers_free = t->next;
        t->timer.data = t;
        uv_close((uv_handle_t *)&t->timer, free_slot);
    }
    uv_run(s->loop, UV_RUN_DEFAULT);
    pt__coro_pool_free(s->pool);
    pthread_mutex_destroy(&s->remote_lk);
    if (sched_current == s)
        sched_current = NULL;
    free(s);
}

void pt__sched_on_free(pt__sched_t *s, void (*fn)(void *), void *arg)
{
    pt__free_hook_t *h = malloc(sizeof *h);
    if (!h) {
        fprintf(stderr, "ponty: out of memory for a scheduler hook\n");
        abort();
    }
    h->fn = fn;
    h->arg = arg;
    h->next = s->free_hooks;
    s->free_hooks = h;
}

pt__sched_t *pt__sched_self(void) { return sched_current; }

pt__sched_t *pt__sched_bind(pt__sched_t *s)
{
    pt__sched_t *prev = sched_current;
    sched_current = s;
    return prev;
}
uv_loop_t *pt__sched_loop(pt__sched_t *s) { return s->loop; }
unsigned pt__sched_live(const pt__sched_t *s)
{
    return s->live + atomic_load(&((pt__sched_t *)s)->spawning);
}

void pt__sched_spawn(pt__sched_t *s, pt__task_t *t)
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
 * sched_run knows it is done, not waiting) until the scheduler hands it
 * the next task. A warm coroutine thus serves task after task on a stack
 * that is already mapped and cached, without being prepared again. A task
 * that leaves through pt__coro_exit ends the coroutine instead. */
static void task_loop(void *arg)
{
    (void)arg;
    pt__coro_t *co = pt__coro_self();
    for (;;) {
        pt__task_t *t = pt__coro_data(co);
        t->run(t);
        pt__coro_set_data(co, NULL);
        pt__coro_yield();
    }
}

int pt__sched_start(pt__sched_t *s, pt__task_t *t)
{
    pt__coro_t *co = s->warm;
    if (co) {
        s->warm = *pt__coro_link(co);
        *pt__coro_link(co) = NULL;
        s->nwarm--;
    } else {
        co = pt__coro_new(s->pool, task_loop, NULL);
        if (!co)
            return -1;
    }
    t->co = co;
    t->sched = s;
    pt__coro_set_data(co, t);
    s->live++;
    sched_run(s, co);
    return 0;
}

void pt__sched_ready(pt__sched_t *s, pt__coro_t *co)
{
    *pt__coro_link(co) = NULL;
    if (s == sched_current) {
        if (s->ready_tail)
            *pt__coro_link(s->ready_tail) = co;
        else
            s->ready_head = co;
        s->ready_tail = co;
        if (!uv_is_active((uv_handle_t *)&s->idle))
            uv_idle_start(&s->idle, on_idle);
        return;
    }
    pthread_mutex_lock(&s->remote_lk);
    if (s->remote_tail)
        *pt__coro_link(s->remote_tail) = co;
    else
        s->remote_head = co;
    s->remote_tail = co;
    pthread_mutex_unlock(&s->remote_lk);
    uv_async_send(&s->async);
}

uv_timer_t *pt__sched_timer_get(pt__sched_t *s)
{
    pt__timer_slot_t *t = s->timers_free;
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

void pt__sched_timer_put(pt__sched_t *s, uv_timer_t *timer)
{
    pt__timer_slot_t *t = (pt__timer_slot_t *)timer; /* timer is the first member */
    uv_timer_stop(timer);
    t->next = s->timers_free;
    s->timers_free = t;
}
