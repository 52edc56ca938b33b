/* ponty/resilience.h — resilience and coordination primitives: circuit
 * breaker, adaptive throttle, resource guards, releasing a lock for a block,
 * stateful barrier, state machine, limited-concurrency gather, callback
 * accumulator.
 *
 *     PT_BREAKER(upstream, .name = "upstream", .max_fails = 3, .reset_ms = 30000);
 *
 *     PT_GET("/price", price)
 *     {
 *         pt_breaker_ticket_t t;
 *         pt_breaker_enter_or_raise(upstream, &t);   // 503 at once while open
 *         int rc = ask_upstream();
 *         pt_breaker_leave(upstream, &t, rc == 0 ? PT_OUTCOME_SUCCESS : PT_OUTCOME_FAILURE);
 *         ...
 *     }
 *
 * (examples/breaker.c is this example in full.)
 *
 * Everything here is process-wide and thread-safe, and works from request
 * coroutines (waiting suspends only the calling coroutine) and from plain
 * threads (waiting blocks the thread). Waits are woken by whoever ends them
 * (the waiter protocol of ponty/sync.h): nothing polls.
 *
 * Functions that can fail return 0 or one of the codes below; the *_or_raise
 * variants are for request handlers and raise the matching HTTP error.
 * Time can be faked for tests through a pt_clock_t in the options.
 * docs/resilience.md states every rule precisely. */
#ifndef PONTY_RESILIENCE_H
#define PONTY_RESILIENCE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "ponty/error.h"
#include "ponty/sync.h"

/* The guard's counters are atomics in both languages (the same layout on
 * the platforms ponty supports). */
#ifdef __cplusplus
#include <atomic>
#define PT__ATOMIC(T) std::atomic<T>
#else
#define PT__ATOMIC(T) _Atomic T
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* ---- errors -------------------------------------------------------------- */

#define PT_ECIRCUIT_OPEN 2001 /* a breaker refused the call: open, or half-open and full */
#define PT_EGUARDED      2002 /* a resource guard is already held */
#define PT_EBROKEN       2003 /* a barrier was aborted or broken */
#define PT_ECANCELED     125  /* a gather item that never started (ECANCELED on Linux) */
#define PT_EFULL         2004 /* an accumulator is full */
#define PT_EINVAL        22   /* bad arguments (EINVAL on Linux) */
#define PT_ELOAD         2005 /* a refresh cache's loader failed, or there is no loader */

/* "circuit open", "resource busy", ... for the codes above and PT_ETIMEDOUT. */
const char *pt_res_strerror(int err);

/* Raised by pt_breaker_enter_or_raise: CircuitOpen, 503. */
extern const pt_error_kind_t pt_error_circuit_open;
#define PT_CIRCUIT_OPEN (&pt_error_circuit_open)
/* Raised by pt_guard_enter_or_raise: Busy, 409, a kind of Locked. */
extern const pt_error_kind_t pt_error_busy;
#define PT_BUSY (&pt_error_busy)

/* ---- clock ---------------------------------------------------------------- */

/* Where a primitive reads the time and how it sleeps. NULL in the options
 * means the real ones: CLOCK_MONOTONIC, and pt_sleep_ms (a coroutine
 * suspends) or nanosleep (a plain thread). A test clock advances its own
 * time in sleep_ns. Both functions must be thread-safe. */
typedef struct pt_clock {
    int64_t (*now_ns)(void *arg);
    void    (*sleep_ns)(int64_t ns, void *arg); /* NULL: really sleep that long */
    void     *arg;
} pt_clock_t;

/* ---- circuit breaker -------------------------------------------------------
 *
 * Closed: calls run. Each counted failure adds one to `fails`; a success sets
 * it back to 0; at max_fails consecutive failures the circuit opens.
 * Open: calls are refused at once (PT_ECIRCUIT_OPEN) until reset_ms after it
 * opened; the first call after that turns it half-open.
 * Half-open: at most max_half_open calls run at a time as trials (more are
 * refused); a trial's success closes the circuit (fails = 0), its failure
 * opens it again for another reset_ms. A trial slot is given back when its
 * call leaves, whatever the outcome.
 * An outcome only counts against the period it entered in: a call that
 * entered while closed and ends after the circuit opened changes nothing. */

typedef enum pt_breaker_state {
    PT_BREAKER_CLOSED = 0,
    PT_BREAKER_HALF_OPEN = 1,
    PT_BREAKER_OPEN = 2,
} pt_breaker_state_t;

typedef enum pt_outcome {
    PT_OUTCOME_SUCCESS = 0,
    PT_OUTCOME_FAILURE = 1,
    PT_OUTCOME_IGNORED = 2, /* neither: changes no count; a trial gives its slot back */
} pt_outcome_t;

typedef struct pt_breaker pt_breaker_t;

typedef struct pt_breaker_opts {
    const char *name;           /* in messages; default "breaker"; copied */
    unsigned    max_fails;      /* default 3 consecutive counted failures open the circuit */
    int64_t     reset_ms;       /* default 30000: open → half-open */
    unsigned    max_half_open;  /* default 5 concurrent trial calls */
    /* pt_breaker_call: which return codes count. Default: 0 is a success,
     * anything else a failure. */
    pt_outcome_t (*classify)(int rc, void *arg);
    void        *classify_arg;
    /* pt_breaker_call: when set, a refused call or a counted failure gives
     * *out = fallback and returns 0. (Borrowed; NULL means no fallback.) */
    void        *fallback;
    /* Called on every state change, in order, under the breaker's lock: keep
     * it short, do not wait in it; it may read the breaker (state, fails,
     * name, until_half_open), nothing else. */
    void       (*on_state)(pt_breaker_t *b, pt_breaker_state_t from, pt_breaker_state_t to,
                           void *arg);
    void        *on_state_arg;
    const pt_clock_t *clock;    /* borrowed; must outlive the breaker */
} pt_breaker_opts_t;

/* NULL on bad options (negative reset_ms) or out of memory. */
pt_breaker_t *pt_breaker_new_opts(const pt_breaker_opts_t *opts);
#define pt_breaker_new(...) pt_breaker_new_opts(&(const pt_breaker_opts_t){ __VA_ARGS__ })
/* No call may be inside. */
void pt_breaker_free(pt_breaker_t *b);

/* A process-wide breaker, created before main and freed at exit. */
#define PT_BREAKER(name_, ...)                                                 \
    static pt_breaker_t *name_;                                                \
    __attribute__((constructor)) static void pt__breaker_init_##name_(void)    \
    {                                                                          \
        name_ = pt_breaker_new(__VA_ARGS__);                                   \
        pt__res_check_init(name_, #name_);                                     \
    }                                                                          \
    __attribute__((destructor)) static void pt__breaker_fini_##name_(void)     \
    {                                                                          \
        pt_breaker_free(name_);                                                \
    }                                                                          \
    struct pt__breaker_decl_##name_

/* What entering gave; pass it to pt_breaker_leave. */
typedef struct pt_breaker_ticket { uint64_t word; } pt_breaker_ticket_t;

/* 0: the call may run, and must be followed by exactly one pt_breaker_leave.
 * PT_ECIRCUIT_OPEN: refused; do not call leave. On a closed circuit this is
 * two atomic loads, no lock and no clock read. */
int  pt_breaker_enter(pt_breaker_t *b, pt_breaker_ticket_t *t);
void pt_breaker_leave(pt_breaker_t *b, const pt_breaker_ticket_t *t, pt_outcome_t outcome);
/* In a handler: enter, or raise PT_CIRCUIT_OPEN (503, text "circuit <name>
 * is open", Retry-After in whole seconds when the reset time is known). */
void pt_breaker_enter_or_raise(pt_breaker_t *b, pt_breaker_ticket_t *t);

/* Runs fn(arg, out) through the breaker and returns its result, classified
 * by opts.classify; PT_ECIRCUIT_OPEN without running it when refused. With
 * a fallback, refusals and counted failures give *out = fallback and 0. */
int pt_breaker_call(pt_breaker_t *b, int (*fn)(void *arg, void **out), void *arg, void **out);

/* Lock-free reads. An open circuit whose reset time has passed reads as
 * half-open (it turns half-open for real, with its on_state call, at the
 * next enter). */
pt_breaker_state_t pt_breaker_state(const pt_breaker_t *b);
unsigned           pt_breaker_fails(const pt_breaker_t *b);
/* Milliseconds until an open circuit lets a trial through; 0 otherwise. */
int64_t            pt_breaker_until_half_open_ms(const pt_breaker_t *b);
const char        *pt_breaker_name(const pt_breaker_t *b);
/* "closed", "half-open", "open". */
const char        *pt_breaker_state_name(pt_breaker_state_t s);

/* ---- adaptive throttle -----------------------------------------------------
 *
 * Calls are spaced 1/rate seconds apart, each gap stretched or shrunk by a
 * random factor in [1 - jitter, 1 + jitter]. Entrants take consecutive
 * slots under a short lock and then sleep until theirs, so concurrent
 * callers from any thread keep the rate together without holding a lock
 * while they wait. Every `window` finished calls the success ratio of that
 * window moves the rate: above upper → rate × up_factor (at most max_rate),
 * below lower → rate × down_factor (at least min_rate); then the counts
 * start again. */

typedef struct pt_throttle pt_throttle_t;

#define PT_THROTTLE_NO_JITTER (-1.0)

typedef struct pt_throttle_opts {
    double   rate;        /* required: initial calls per second, > 0 */
    double   min_rate;    /* default rate / 10 */
    double   max_rate;    /* default rate * 10 */
    unsigned window;      /* default 100 calls */
    double   upper;       /* default 0.75 */
    double   lower;       /* default 0.25 */
    double   up_factor;   /* default 1.25 */
    double   down_factor; /* default 0.75 */
    double   jitter;      /* default 0.2; PT_THROTTLE_NO_JITTER for none */
    double (*rand)(void *arg); /* uniform in [0, 1); default: a thread-local xorshift */
    void    *rand_arg;
    const pt_clock_t *clock;
} pt_throttle_opts_t;

/* NULL on bad options (rate <= 0, min > max, lower > upper, factors <= 0,
 * jitter >= 1). */
pt_throttle_t *pt_throttle_new_opts(const pt_throttle_opts_t *opts);
#define pt_throttle_new(...) pt_throttle_new_opts(&(const pt_throttle_opts_t){ __VA_ARGS__ })
void pt_throttle_free(pt_throttle_t *t);

#define PT_THROTTLE(name_, ...)                                                \
    static pt_throttle_t *name_;                                               \
    __attribute__((constructor)) static void pt__throttle_init_##name_(void)   \
    {                                                                          \
        name_ = pt_throttle_new(__VA_ARGS__);                                  \
        pt__res_check_init(name_, #name_);                                     \
    }                                                                          \
    __attribute__((destructor)) static void pt__throttle_fini_##name_(void)    \
    {                                                                          \
        pt_throttle_free(name_);                                               \
    }                                                                          \
    struct pt__throttle_decl_##name_

/* Waits for the caller's slot; returns the nanoseconds waited. */
int64_t pt_throttle_enter(pt_throttle_t *t);
/* Records the call's outcome and adjusts the rate at the end of a window. */
void    pt_throttle_leave(pt_throttle_t *t, bool success);
/* Forgets the counts of the current window. */
void    pt_throttle_reset(pt_throttle_t *t);

double   pt_throttle_rate(const pt_throttle_t *t);
unsigned pt_throttle_successes(const pt_throttle_t *t);
unsigned pt_throttle_fails(const pt_throttle_t *t);
double   pt_throttle_jitter(const pt_throttle_t *t);

/* ---- resource guards -------------------------------------------------------
 *
 * A guard marks a resource as in use. Entering a held guard fails at once
 * with PT_EGUARDED and the message "another caller is already <action>
 * <name>": it never waits. */

typedef struct pt_guard {
    PT__ATOMIC(bool)     held;
    PT__ATOMIC(uint64_t) attempts, entries;
    const char      *action;   /* e.g. "using", "reading from"; default "using" */
    const char      *name;     /* e.g. "connection 3"; default "the resource" */
} pt_guard_t;
#define PT_GUARD_INIT(action_, name_) { false, 0, 0, (action_), (name_) }

/* 0 or PT_EGUARDED. */
int  pt_guard_enter(pt_guard_t *g);
void pt_guard_leave(pt_guard_t *g);
/* In a handler: enter, or raise PT_BUSY (409) with the message. */
void pt_guard_enter_or_raise(pt_guard_t *g);
bool pt_guard_held(const pt_guard_t *g);
/* Entries over attempts (1.0 before the first attempt). */
double pt_guard_success_ratio(const pt_guard_t *g);
/* The PT_EGUARDED message, into buf (truncated to n); returns buf. */
char *pt_guard_message(const pt_guard_t *g, char *buf, size_t n);

/* The body runs with the guard held; rc_var gets enter's result and the body
 * is skipped unless it is 0. `break` leaves early; the guard is left either
 * way (but not by pt_raise or return: leave it first).
 *     int rc;
 *     PT_GUARDED(rc, &conn_guard) { use(conn); } */
#define PT_GUARDED(rc_var, g)                                                           \
    for (pt_guard_t *pt__g = ((rc_var) = pt_guard_enter(g)) == 0 ? (g) : NULL; pt__g;   \
         pt_guard_leave(pt__g), pt__g = NULL)                                           \
        for (int pt__g_once = 1; pt__g_once; pt__g_once = 0)

/* Unique guards: one guard per object, process-wide. The first call for obj
 * creates its guard (not held) with action and name (copied; NULL for the
 * defaults); later calls return that same guard and ignore them. NULL only
 * when out of memory. The registry owns the guards. */
pt_guard_t *pt_guard_for(const void *obj, const char *action, const char *name);
/* Drops obj's guard (it must not be held or in use); false if it had none. */
bool        pt_guard_forget(const void *obj);
/* Drops every unique guard; call only when none is in use. */
void        pt_guard_for_clear(void);

/* ---- releasing -------------------------------------------------------------
 *
 * Runs a block with a lock the caller holds released, and holds it again
 * after. The lock is described by its unlock/lock pair. */

typedef struct pt_lockable {
    void  (*lock)(void *obj);
    void  (*unlock)(void *obj);
    void   *obj;
} pt_lockable_t;

pt_lockable_t pt_lockable_mutex(pt_mutex_t *m);
pt_lockable_t pt_lockable_sem(pt_sem_t *s);

/* fn(arg) with l released; l is held again when this returns. */
void pt_releasing_run(pt_lockable_t l, void (*fn)(void *arg), void *arg);

/* The block runs with l released; l is held again after it, and after a
 * `break` or `continue` out of it. A `return`, goto or pt_raise out of the
 * block skips the re-acquire: leave with break instead.
 *     pt_mutex_lock(&m);
 *     PT_RELEASING(pt_lockable_mutex(&m)) { slow_io(); }
 *     pt_mutex_unlock(&m); */
#define PT_RELEASING(l)                                                                  \
    for (pt_lockable_t pt__rl = (l), *pt__rlp = (pt__rl.unlock(pt__rl.obj), &pt__rl);    \
         pt__rlp; pt__rl.lock(pt__rl.obj), pt__rlp = NULL)                               \
        for (int pt__rl_once = 1; pt__rl_once; pt__rl_once = 0)

/* ---- stateful barrier ------------------------------------------------------
 *
 * `parties` callers meet. Each may add one item of state on arrival; items
 * go into a bounded queue (max_state, oldest dropped first) that persists
 * across rounds, seeded with `init`. When the last party of a round
 * arrives, every party of that round gets its arrival position (0 for the
 * first) and the same snapshot of the queue, and the barrier is ready for
 * the next round. Items are borrowed pointers; the barrier does not own
 * them. abort() breaks the barrier: the parties waiting get PT_EBROKEN and
 * so does every later wait until reset(). A wait whose timeout passes breaks
 * it too (that party gets PT_ETIMEDOUT, the others PT_EBROKEN). */

typedef struct pt_barrier pt_barrier_t;

typedef struct pt_barrier_opts {
    unsigned     parties;   /* required, >= 1 */
    const char  *name;      /* default "barrier"; copied */
    void *const *init;      /* initial items, oldest first */
    size_t       ninit;
    size_t       max_state; /* default: unbounded */
} pt_barrier_opts_t;

pt_barrier_t *pt_barrier_new_opts(const pt_barrier_opts_t *opts);
#define pt_barrier_new(...) pt_barrier_new_opts(&(const pt_barrier_opts_t){ __VA_ARGS__ })
/* Nobody may be waiting. */
void pt_barrier_free(pt_barrier_t *b);

typedef struct pt_barrier_arrival {
    unsigned     pos;      /* how many parties of the round arrived before this one */
    void *const *states;   /* the queue when the round completed, oldest first */
    size_t       nstates;
    void        *snap;     /* internal: the shared snapshot */
} pt_barrier_arrival_t;

/* item NULL adds nothing. timeout_ms < 0 waits forever. Returns 0 (then
 * release *a with pt_barrier_arrival_release), PT_EBROKEN or PT_ETIMEDOUT. */
int  pt_barrier_wait(pt_barrier_t *b, void *item, int64_t timeout_ms, pt_barrier_arrival_t *a);
void pt_barrier_arrival_release(pt_barrier_arrival_t *a);
void pt_barrier_abort(pt_barrier_t *b);
/* Mends a broken barrier: a new round with nobody arrived; the state stays. */
void pt_barrier_reset(pt_barrier_t *b);
bool        pt_barrier_broken(pt_barrier_t *b);
unsigned    pt_barrier_waiting(pt_barrier_t *b);
unsigned    pt_barrier_parties(const pt_barrier_t *b);
unsigned    pt_barrier_remaining(pt_barrier_t *b);
const char *pt_barrier_name(const pt_barrier_t *b);

/* ---- state machine ---------------------------------------------------------
 *
 * String states. A transition from→to is allowed when an edge from→to was
 * added and at least one of its conditions holds (an edge added without a
 * condition always holds). An allowed transition runs the on-exit handlers
 * of the current state, changes the state, then runs the on-enter handlers
 * of the new one, in the order they were added. Transitions are serialized
 * (a coroutine-aware mutex, so conditions and handlers may wait); a refused
 * one returns false and changes nothing. Handlers and conditions must not
 * call pt_fsm_transition or add edges or handlers on the same machine. */

typedef struct pt_fsm pt_fsm_t;

/* Strings are copied. NULL on out of memory or a NULL state. */
pt_fsm_t   *pt_fsm_new(const char *initial);
void        pt_fsm_free(pt_fsm_t *f);
/* 0, or PT_EINVAL for NULL states. */
int         pt_fsm_allow(pt_fsm_t *f, const char *from, const char *to,
                         bool (*cond)(const char *from, const char *to, void *arg), void *arg);
int         pt_fsm_on_enter(pt_fsm_t *f, const char *state, void (*fn)(const char *state, void *arg),
                            void *arg);
int         pt_fsm_on_exit(pt_fsm_t *f, const char *state, void (*fn)(const char *state, void *arg),
                           void *arg);
bool        pt_fsm_transition(pt_fsm_t *f, const char *to);
/* The current state; the pointer stays valid as long as the machine. */
const char *pt_fsm_state(const pt_fsm_t *f);

/* ---- limited-concurrency gather --------------------------------------------
 *
 * Runs fn(i, arg, &results[i]) for i in [0, n), at most `limit` at a time,
 * and returns when every started item has finished. Called from a
 * coroutine, items run in coroutines on the caller's worker (they overlap
 * while they wait); from a plain thread, on up to `limit` threads. Results
 * land in input order whatever the completion order.
 *
 * Returns 0 when every item returned 0. Otherwise the first non-zero result
 * to happen: without .return_errors, no item starts after it (those get
 * PT_ECANCELED in errors[]); with .return_errors, all items run and errors[]
 * holds each result. Items must not pt_raise: return a code instead. */

typedef int (*pt_gather_fn)(size_t i, void *arg, void **result);

typedef struct pt_gather_opts {
    unsigned limit;          /* default 8 */
    bool     return_errors;
} pt_gather_opts_t;

/* results and errors: arrays of n, or NULL. */
int pt_gather_opts(size_t n, pt_gather_fn fn, void *arg, void **results, int *errors,
                   const pt_gather_opts_t *opts);
#define pt_gather(n, fn, arg, results, errors, ...) \
    pt_gather_opts((n), (fn), (arg), (results), (errors), &(const pt_gather_opts_t){ __VA_ARGS__ })

/* ---- background-refresh cache ----------------------------------------------
 *
 * Values (JSON) by string key, each loaded by the key's loader (or the
 * default one) and kept ttl_ms. A get
 *   - on a fresh entry (younger than ttl_ms - refresh_ms) returns it;
 *   - inside the refresh window (the last refresh_ms of its life) returns the
 *     current value at once and starts one background reload of the key
 *     (never two at a time for one key);
 *   - on a missing or expired entry loads it in the caller; concurrent gets
 *     of that key wait for that one load and share its result (no polling).
 * Background reloads run as background tasks (ponty/task.h, pt_spawn) when
 * a server or a scheduler runs, else on a short-lived thread. A failed load
 * calls on_error (with background true for a reload) and keeps whatever
 * value the entry had until it expires; a failed get returns PT_ELOAD. Once
 * shutdown begins (pt_stopping), no new reload starts. Loaders run without
 * any lock held and may wait. */

typedef struct pt_refresh_cache pt_refresh_cache_t;

/* Returns a new reference, or NULL for a failure. */
typedef json_t *(*pt_refresh_loader_fn)(const char *key, void *arg);

typedef struct pt_refresh_opts {
    int64_t              ttl_ms;      /* default 60000 */
    int64_t              refresh_ms;  /* default 15000; must be < ttl_ms */
    pt_refresh_loader_fn loader;      /* default loader, or NULL: keys need their own */
    void                *loader_arg;
    void               (*on_error)(const char *key, bool background, void *arg);
    void                *on_error_arg;
    const pt_clock_t    *clock;       /* only now_ns is used */
} pt_refresh_opts_t;

pt_refresh_cache_t *pt_refresh_cache_new_opts(const pt_refresh_opts_t *opts);
#define pt_refresh_cache_new(...) pt_refresh_cache_new_opts(&(const pt_refresh_opts_t){ __VA_ARGS__ })
/* Drops the entries. Reloads still running finish on their own and free
 * the rest when they end; no get may be in progress. */
void pt_refresh_cache_free(pt_refresh_cache_t *c);
/* A loader for one key, before the default. 0, PT_EINVAL or PT_EFULL. */
int  pt_refresh_register(pt_refresh_cache_t *c, const char *key, pt_refresh_loader_fn loader, void *arg);
/* 0 with *out a new reference, or PT_ELOAD. */
int  pt_refresh_get(pt_refresh_cache_t *c, const char *key, json_t **out);
/* Removes the key; returns the value it had (a reference the caller now
 * owns) or NULL. A load in flight for it still answers its waiters, but its
 * value is not kept. */
json_t *pt_refresh_invalidate(pt_refresh_cache_t *c, const char *key);
void    pt_refresh_clear(pt_refresh_cache_t *c);
/* Milliseconds since the key's value was loaded, or -1 when it has none. */
int64_t pt_refresh_age_ms(pt_refresh_cache_t *c, const char *key);
/* Background reloads started and not yet finished. */
unsigned pt_refresh_pending(pt_refresh_cache_t *c);

/* ---- callback accumulator --------------------------------------------------
 *
 * A queue of callbacks run in order when a scope ends. */

typedef struct pt_accum pt_accum_t;

typedef struct pt_accum_opts {
    size_t maxlen; /* default: unbounded */
    bool   keep;   /* run them at every scope end until cleared; default: run once, then drop */
} pt_accum_opts_t;

pt_accum_t *pt_accum_new_opts(const pt_accum_opts_t *opts);
#define pt_accum_new(...) pt_accum_new_opts(&(const pt_accum_opts_t){ __VA_ARGS__ })
void   pt_accum_free(pt_accum_t *a);
/* Appends; when full, drops the oldest callback. 0 or PT_EINVAL (NULL fn),
 * or PT_EFULL only when out of memory. */
int    pt_accum_add(pt_accum_t *a, void (*fn)(void *arg), void *arg);
/* Appends only if there is room; returns whether it did. */
bool   pt_accum_offer(pt_accum_t *a, void (*fn)(void *arg), void *arg);
/* Runs the callbacks, oldest first, on the calling thread; returns how many
 * ran. Callbacks added while running wait for the next run. */
size_t pt_accum_run(pt_accum_t *a);
size_t pt_accum_len(pt_accum_t *a);
void   pt_accum_clear(pt_accum_t *a);

/* The body, then pt_accum_run (also after a `break` out of the body). */
#define PT_ACCUM_SCOPE(a)                                                        \
    for (pt_accum_t *pt__acc = (a); pt__acc; pt_accum_run(pt__acc), pt__acc = NULL) \
        for (int pt__acc_once = 1; pt__acc_once; pt__acc_once = 0)

/* Internal: aborts with a message when a PT_BREAKER/PT_THROTTLE failed. */
void pt__res_check_init(const void *p, const char *what);

#ifdef __cplusplus
}
#endif

#endif
