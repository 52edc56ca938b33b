/* The examples of docs/resilience.md and include/ponty/resilience.h, filled
 * out into programs that run (under ASan in CI): each block below is a doc
 * snippet with the names it leaves open defined around it. */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <setjmp.h>
#include <cmocka.h>

#include <ponty.h>

/* ---- breaker (without the handler: pt_breaker_enter instead of _or_raise) ---- */

PT_BREAKER(upstream, .name = "upstream");

static int upstream_rc = 0;
static int ask_upstream(void) { return upstream_rc; }

static void test_breaker_snippet(void **state)
{
    (void)state;
    for (int i = 0; i < 4; i++) {
        upstream_rc = i < 3 ? 1 : 0;
        pt_breaker_ticket_t t;
        if (pt_breaker_enter(upstream, &t) != 0) {
            assert_int_equal(i, 3); /* the 4th call is refused: open after 3 */
            break;
        }
        int rc = ask_upstream();
        pt_breaker_leave(upstream, &t, rc == 0 ? PT_OUTCOME_SUCCESS : PT_OUTCOME_FAILURE);
    }
    assert_int_equal(pt_breaker_state(upstream), PT_BREAKER_OPEN);
}

/* ---- throttle ---- */

PT_THROTTLE(api, .rate = 50, .min_rate = 20, .max_rate = 100, .window = 10);
static bool do_call(void) { return true; }

static void test_throttle_snippet(void **state)
{
    (void)state;
    for (int i = 0; i < 10; i++) {
        pt_throttle_enter(api);          /* waits for this call's slot */
        bool ok = do_call();
        pt_throttle_leave(api, ok);
    }
    assert_true(pt_throttle_rate(api) == 62.5);
}

/* ---- guard ---- */

static pt_guard_t conn_guard = PT_GUARD_INIT("reading from", "connection 3");
static int reads;
static void read_more(void) { reads++; }

static void test_guard_snippet(void **state)
{
    (void)state;
    int rc;
    PT_GUARDED(rc, &conn_guard) { read_more(); }
    assert_int_equal(rc, 0);
    assert_int_equal(reads, 1);
}

/* ---- releasing ---- */

static pt_mutex_t m = PT_MUTEX_INIT;
static bool was_free;
static void slow_io(void) { was_free = pt_mutex_trylock(&m); if (was_free) pt_mutex_unlock(&m); }

static void test_releasing_snippet(void **state)
{
    (void)state;
    pt_mutex_lock(&m);
    PT_RELEASING(pt_lockable_mutex(&m)) { slow_io(); }    /* m is free meanwhile */
    pt_mutex_unlock(&m);
    assert_true(was_free);
}

/* ---- barrier (one party, so it completes at once) ---- */

static void test_barrier_snippet(void **state)
{
    (void)state;
    static int my_item;
    pt_barrier_t *b = pt_barrier_new(.parties = 1, .name = "shards", .max_state = 10);
    pt_barrier_arrival_t a;
    if (pt_barrier_wait(b, &my_item, 5000, &a) == 0) {
        assert_int_equal(a.pos, 0);
        assert_int_equal(a.nstates, 1);
        pt_barrier_arrival_release(&a);
    }
    pt_barrier_free(b);
}

/* ---- refresh cache ---- */

static json_t *fetch_json(const char *key) { return json_pack("{s:s}", "currency", key); }
static json_t *load_rates(const char *key, void *arg) { (void)arg; return fetch_json(key); }
static void use(json_t *v) { assert_string_equal(json_string_value(json_object_get(v, "currency")), "EUR"); }

static void test_refresh_snippet(void **state)
{
    (void)state;
    pt_refresh_cache_t *rates = pt_refresh_cache_new(.ttl_ms = 60000, .refresh_ms = 15000,
                                                     .loader = load_rates);
    json_t *v;
    if (pt_refresh_get(rates, "EUR", &v) == 0) { use(v); json_decref(v); }
    pt_refresh_cache_free(rates);
}

/* ---- state machine ---- */

static bool all_parts_ready(const char *from, const char *to, void *ctx) { (void)from; (void)to; return ctx != NULL; }
static int notified;
static void notify(const char *st, void *ctx) { (void)st; (void)ctx; notified++; }

static void test_fsm_snippet(void **state)
{
    (void)state;
    int ctx_obj, *ctx = &ctx_obj;
    pt_fsm_t *f = pt_fsm_new("idle");
    pt_fsm_allow(f, "idle", "running", NULL, NULL);
    pt_fsm_allow(f, "running", "done", all_parts_ready, ctx);
    pt_fsm_on_enter(f, "done", notify, ctx);
    assert_false(pt_fsm_transition(f, "done")); /* refused: no edge idle → done */
    assert_true(pt_fsm_transition(f, "running"));
    assert_true(pt_fsm_transition(f, "done"));
    assert_int_equal(notified, 1);
    pt_fsm_free(f);
}

/* ---- gather ---- */

static int fetch_one(size_t i, void *arg, void **result)
{
    *result = ((char **)arg)[i];
    return 0;
}

static void test_gather_snippet(void **state)
{
    (void)state;
    char *urls[20];
    char buf[20][16];
    for (int i = 0; i < 20; i++) {
        snprintf(buf[i], sizeof buf[i], "/item/%d", i);
        urls[i] = buf[i];
    }
    void *results[20];
    int errs[20];
    int rc = pt_gather(20, fetch_one, urls, results, errs, .limit = 5);
    assert_int_equal(rc, 0);
    assert_string_equal(results[13], "/item/13");
}

/* ---- accumulator ---- */

static char closed[8];
static void close_file(void *f) { strcat(closed, f); }

static void test_accum_snippet(void **state)
{
    (void)state;
    char f1[] = "1", f2[] = "2";
    pt_accum_t *a = pt_accum_new(.maxlen = 100);
    PT_ACCUM_SCOPE(a) {
        pt_accum_add(a, close_file, f1);
        pt_accum_add(a, close_file, f2);
    }                                    /* close_file(f1), close_file(f2) run here */
    assert_string_equal(closed, "12");
    pt_accum_free(a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_breaker_snippet),
        cmocka_unit_test(test_throttle_snippet),
        cmocka_unit_test(test_guard_snippet),
        cmocka_unit_test(test_releasing_snippet),
        cmocka_unit_test(test_barrier_snippet),
        cmocka_unit_test(test_refresh_snippet),
        cmocka_unit_test(test_fsm_snippet),
        cmocka_unit_test(test_gather_snippet),
        cmocka_unit_test(test_accum_snippet),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
