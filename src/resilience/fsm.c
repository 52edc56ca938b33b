/* State machine: see include/ponty/resilience.h.
 *
 * State names are interned (one copy per distinct name, owned by the
 * machine), so the current state is a pointer that can be read without a
 * lock and stays valid for the machine's life. Edges and handlers are short
 * lists, walked in the order they were added. */
#define _GNU_SOURCE
#include "resilience/common.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

typedef struct name { struct name *next; char s[]; } name_t;

typedef struct edge {
    struct edge *next;
    const char  *from, *to;
    bool       (*cond)(const char *, const char *, void *);
    void        *arg;
} edge_t;

typedef struct handler {
    struct handler *next;
    const char     *state;
    bool            enter;
    void          (*fn)(const char *, void *);
    void           *arg;
} handler_t;

struct pt_fsm {
    pt_mutex_t            mx;      /* serializes transitions and changes */
    const char *_Atomic   state;
    name_t               *names;
    edge_t               *edges, **edges_tail;
    handler_t            *handlers, **handlers_tail;
};

/* Under mx (or before the machine is shared). */
static const char *intern(pt_fsm_t *f, const char *s)
{
    for (name_t *n = f->names; n; n = n->next)
        if (strcmp(n->s, s) == 0)
            return n->s;
    size_t len = strlen(s);
    name_t *n = malloc(sizeof *n + len + 1);
    if (!n)
        return NULL;
    memcpy(n->s, s, len + 1);
    n->next = f->names;
    f->names = n;
    return n->s;
}

pt_fsm_t *pt_fsm_new(const char *initial)
{
    if (!initial)
        return NULL;
    pt_fsm_t *f = calloc(1, sizeof *f);
    if (!f)
        return NULL;
    pt_mutex_init(&f->mx);
    f->edges_tail = &f->edges;
    f->handlers_tail = &f->handlers;
    const char *s = intern(f, initial);
    if (!s) {
        pt_fsm_free(f);
        return NULL;
    }
    atomic_init(&f->state, s);
    return f;
}

void pt_fsm_free(pt_fsm_t *f)
{
    if (!f)
        return;
    for (name_t *n = f->names, *next; n; n = next) {
        next = n->next;
        free(n);
    }
    for (edge_t *e = f->edges, *next; e; e = next) {
        next = e->next;
        free(e);
    }
    for (handler_t *h = f->handlers, *next; h; h = next) {
        next = h->next;
        free(h);
    }
    pt_mutex_destroy(&f->mx);
    free(f);
}

int pt_fsm_allow(pt_fsm_t *f, const char *from, const char *to,
                 bool (*cond)(const char *, const char *, void *), void *arg)
{
    if (!from || !to)
        return PT_EINVAL;
    pt_mutex_lock(&f->mx);
    edge_t *e = malloc(sizeof *e);
    const char *a = intern(f, from), *b = intern(f, to);
    if (!e || !a || !b) {
        free(e);
        pt_mutex_unlock(&f->mx);
        return PT_EFULL;
    }
    *e = (edge_t){ NULL, a, b, cond, arg };
    *f->edges_tail = e;
    f->edges_tail = &e->next;
    pt_mutex_unlock(&f->mx);
    return 0;
}

static int add_handler(pt_fsm_t *f, const char *state, bool enter, void (*fn)(const char *, void *),
                       void *arg)
{
    if (!state || !fn)
        return PT_EINVAL;
    pt_mutex_lock(&f->mx);
    handler_t *h = malloc(sizeof *h);
    const char *s = intern(f, state);
    if (!h || !s) {
        free(h);
        pt_mutex_unlock(&f->mx);
        return PT_EFULL;
    }
    *h = (handler_t){ NULL, s, enter, fn, arg };
    *f->handlers_tail = h;
    f->handlers_tail = &h->next;
    pt_mutex_unlock(&f->mx);
    return 0;
}

int pt_fsm_on_enter(pt_fsm_t *f, const char *state, void (*fn)(const char *, void *), void *arg)
{
    return add_handler(f, state, true, fn, arg);
}

int pt_fsm_on_exit(pt_fsm_t *f, const char *state, void (*fn)(const char *, void *), void *arg)
{
    return add_handler(f, state, false, fn, arg);
}

static void run_handlers(pt_fsm_t *f, const char *state, bool enter)
{
    for (handler_t *h = f->handlers; h; h = h->next)
        if (h->enter == enter && h->state == state)
            h->fn(state, h->arg);
}

bool pt_fsm_transition(pt_fsm_t *f, const char *to)
{
    if (!to)
        return false;
    pt_mutex_lock(&f->mx);
    const char *from = atomic_load(&f->state);
    const char *target = NULL;
    bool allowed = false;
    for (edge_t *e = f->edges; e && !allowed; e = e->next) {
        if (e->from != from || strcmp(e->to, to) != 0)
            continue;
        target = e->to;
        allowed = !e->cond || e->cond(from, e->to, e->arg);
    }
    if (allowed) {
        run_handlers(f, from, false);
        atomic_store(&f->state, target);
        run_handlers(f, target, true);
    }
    pt_mutex_unlock(&f->mx);
    return allowed;
}

const char *pt_fsm_state(const pt_fsm_t *f) { return atomic_load(&((pt_fsm_t *)f)->state); }
