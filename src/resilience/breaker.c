/* Circuit breaker: see include/ponty/resilience.h.
 *
 * The state and a generation number share one atomic word (state in the low
 * two bits), so the closed-circuit path is a load on enter and a load of
 * `fails` on a successful leave, with no lock. Every change of state happens
 * under `lk` and bumps the generation; a ticket remembers the word it
 * entered under, and an outcome is applied only if the word is still the
 * same, i.e. to the period the call entered in. */
#define _GNU_SOURCE
#include "resilience/common.h"
#include "core/context.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>

#include "ponty/request.h"

struct pt_breaker {
    _Atomic uint64_t word;           /* generation << 2 | state */
    _Atomic unsigned fails;          /* consecutive counted failures */
    _Atomic int64_t  open_until_ns;  /* when OPEN: the end of the reset timeout */
    pthread_mutex_t  lk;             /* serializes every change of the above */
    unsigned         trials;         /* HALF_OPEN: trial calls inside */
    unsigned         max_fails, max_half_open;
    int64_t          reset_ns;
    char            *name;
    pt_outcome_t   (*classify)(int rc, void *arg);
    void            *classify_arg;
    void            *fallback;
    void           (*on_state)(pt_breaker_t *, pt_breaker_state_t, pt_breaker_state_t, void *);
    void            *on_state_arg;
    const pt_clock_t *clock;
};

#define STATE(w) ((pt_breaker_state_t)((w) & 3u))

pt_breaker_t *pt_breaker_new_opts(const pt_breaker_opts_t *o)
{
    if (o->reset_ms < 0)
        return NULL;
    pt_breaker_t *b = calloc(1, sizeof *b);
    if (!b)
        return NULL;
    b->name = pt__res_strdup(o->name, "breaker");
    if (!b->name) {
        free(b);
        return NULL;
    }
    pthread_mutex_init(&b->lk, NULL);
    atomic_init(&b->word, PT_BREAKER_CLOSED);
    atomic_init(&b->fails, 0);
    atomic_init(&b->open_until_ns, 0);
    b->max_fails = o->max_fails ? o->max_fails : 3;
    b->max_half_open = o->max_half_open ? o->max_half_open : 5;
    b->reset_ns = (o->reset_ms ? o->reset_ms : 30000) * 1000000;
    b->classify = o->classify;
    b->classify_arg = o->classify_arg;
    b->fallback = o->fallback;
    b->on_state = o->on_state;
    b->on_state_arg = o->on_state_arg;
    b->clock = o->clock;
    return b;
}

void pt_breaker_free(pt_breaker_t *b)
{
    if (!b)
        return;
    pthread_mutex_destroy(&b->lk);
    free(b->name);
    free(b);
}

/* Under lk: moves to `to`, a new generation. */
static void set_state(pt_breaker_t *b, pt_breaker_state_t to)
{
    uint64_t w = atomic_load_explicit(&b->word, memory_order_relaxed);
    pt_breaker_state_t from = STATE(w);
    b->trials = 0;
    if (to == PT_BREAKER_OPEN)
        atomic_store(&b->open_until_ns, pt__res_now_ns(b->clock) + b->reset_ns);
    if (to == PT_BREAKER_CLOSED)
        atomic_store(&b->fails, 0);
    atomic_store_explicit(&b->word, ((w >> 2) + 1) << 2 | (uint64_t)to, memory_order_release);
    if (b->on_state && from != to)
        b->on_state(b, from, to, b->on_state_arg);
}

int pt_breaker_enter(pt_breaker_t *b, pt_breaker_ticket_t *t)
{
    uint64_t w = atomic_load_explicit(&b->word, memory_order_acquire);
    if (STATE(w) == PT_BREAKER_CLOSED) {
        t->word = w;
        return 0;
    }
    /* Open and not yet due: refuse without the lock, so a flood of callers
     * failing fast does not contend on it. */
    if (STATE(w) == PT_BREAKER_OPEN &&
        pt__res_now_ns(b->clock) < atomic_load_explicit(&b->open_until_ns, memory_order_relaxed))
        return PT_ECIRCUIT_OPEN;
    int rc = 0;
    pthread_mutex_lock(&b->lk);
    w = atomic_load_explicit(&b->word, memory_order_relaxed);
    if (STATE(w) == PT_BREAKER_OPEN) {
        if (pt__res_now_ns(b->clock) < atomic_load(&b->open_until_ns)) {
            pthread_mutex_unlock(&b->lk);
            return PT_ECIRCUIT_OPEN;
        }
        set_state(b, PT_BREAKER_HALF_OPEN);
        w = atomic_load_explicit(&b->word, memory_order_relaxed);
    }
    if (STATE(w) == PT_BREAKER_HALF_OPEN) {
        if (b->trials < b->max_half_open)
            b->trials++;
        else
            rc = PT_ECIRCUIT_OPEN;
    }
    t->word = w;
    pthread_mutex_unlock(&b->lk);
    return rc;
}

void pt_breaker_leave(pt_breaker_t *b, const pt_breaker_ticket_t *t, pt_outcome_t outcome)
{
    pt_breaker_state_t entered = STATE(t->word);
    if (entered == PT_BREAKER_CLOSED &&
        (outcome == PT_OUTCOME_IGNORED ||
         (outcome == PT_OUTCOME_SUCCESS && atomic_load_explicit(&b->fails, memory_order_relaxed) == 0)))
        return;
    pthread_mutex_lock(&b->lk);
    if (atomic_load_explicit(&b->word, memory_order_relaxed) != t->word) {
        /* The circuit changed state since this call entered: its outcome
         * belongs to a period that is over (and a trial's slot went with
         * it). */
        pthread_mutex_unlock(&b->lk);
        return;
    }
    if (entered == PT_BREAKER_HALF_OPEN)
        b->trials--;
    if (outcome == PT_OUTCOME_SUCCESS) {
        if (entered == PT_BREAKER_HALF_OPEN)
            set_state(b, PT_BREAKER_CLOSED);
        else
            atomic_store(&b->fails, 0);
    } else if (outcome == PT_OUTCOME_FAILURE) {
        unsigned f = atomic_load(&b->fails) + 1;
        atomic_store(&b->fails, f);
        if (entered == PT_BREAKER_HALF_OPEN || f >= b->max_fails)
            set_state(b, PT_BREAKER_OPEN);
    }
    pthread_mutex_unlock(&b->lk);
}

void pt_breaker_enter_or_raise(pt_breaker_t *b, pt_breaker_ticket_t *t)
{
    if (pt_breaker_enter(b, t) == 0)
        return;
    int64_t ms = pt_breaker_until_half_open_ms(b);
    const char *text = pt__task_strf("circuit %s is open", b->name);
    if (ms > 0) {
        /* Retry-After is whole seconds: round up so a client that obeys it
         * does not arrive early. */
        const char *secs = pt__task_strf("%lld", (long long)((ms + 999) / 1000));
        pt_raise(PT_CIRCUIT_OPEN, .text = text,
                 .headers = (const char *const[]){ "Retry-After", secs, NULL });
    }
    pt_raise(PT_CIRCUIT_OPEN, .text = text);
}

static pt_outcome_t default_classify(int rc) { return rc == 0 ? PT_OUTCOME_SUCCESS : PT_OUTCOME_FAILURE; }

int pt_breaker_call(pt_breaker_t *b, int (*fn)(void *arg, void **out), void *arg, void **out)
{
    pt_breaker_ticket_t t;
    if (pt_breaker_enter(b, &t) != 0) {
        if (b->fallback) {
            if (out)
                *out = b->fallback;
            return 0;
        }
        return PT_ECIRCUIT_OPEN;
    }
    int rc = fn(arg, out);
    pt_outcome_t oc = b->classify ? b->classify(rc, b->classify_arg) : default_classify(rc);
    pt_breaker_leave(b, &t, oc);
    if (oc == PT_OUTCOME_FAILURE && b->fallback) {
        if (out)
            *out = b->fallback;
        return 0;
    }
    return rc;
}

pt_breaker_state_t pt_breaker_state(const pt_breaker_t *b)
{
    pt_breaker_state_t s = STATE(atomic_load(&b->word));
    if (s == PT_BREAKER_OPEN && pt_breaker_until_half_open_ms(b) == 0)
        return PT_BREAKER_HALF_OPEN;
    return s;
}

unsigned pt_breaker_fails(const pt_breaker_t *b) { return atomic_load(&b->fails); }

int64_t pt_breaker_until_half_open_ms(const pt_breaker_t *b)
{
    if (STATE(atomic_load(&b->word)) != PT_BREAKER_OPEN)
        return 0;
    int64_t left = atomic_load(&b->open_until_ns) - pt__res_now_ns(b->clock);
    return left > 0 ? (left + 999999) / 1000000 : 0;
}

const char *pt_breaker_name(const pt_breaker_t *b) { return b->name; }

const char *pt_breaker_state_name(pt_breaker_state_t s)
{
    switch (s) {
    case PT_BREAKER_CLOSED: return "closed";
    case PT_BREAKER_HALF_OPEN: return "half-open";
    case PT_BREAKER_OPEN: return "open";
    }
    return "?";
}
