/* Shared by the memo cache tests (test_memo_cache*.c): loaders that count
 * their loads, and the per-test reset. */
#ifndef MEMO_CACHE_TEST_H
#define MEMO_CACHE_TEST_H

#include <stdatomic.h>

#include "ponty/memo.h"
#include "ponty/sync.h"

static atomic_int loads;
static atomic_int fail_next; /* loads that should fail before one succeeds */

/* Echoes the key: {"k": key, "n": load number}. */
static inline json_t *echo_load(pt_cache_call_t *call)
{
    int n = atomic_fetch_add(&loads, 1) + 1;
    if (atomic_load(&fail_next) > 0) {
        atomic_fetch_sub(&fail_next, 1);
        call->error = json_pack("{s:s}", "error", "boom");
        return NULL;
    }
    return json_pack("{s:s,s:i}", "k", call->key, "n", n);
}

static int slow_ms = 100;
static inline json_t *slow_load(pt_cache_call_t *call)
{
    atomic_fetch_add(&loads, 1);
    pt_sleep_ms(slow_ms);
    return json_pack("{s:s}", "k", call->key);
}

static inline int setup(void **state)
{
    (void)state;
    atomic_store(&loads, 0);
    atomic_store(&fail_next, 0);
    return 0;
}

static inline int load_no(json_t *v) { return (int)json_integer_value(json_object_get(v, "n")); }

/* Gets key from c (an echo_load cache) and checks that the value came from
 * load number want; failures name the caller's line. */
#define expect_load(c, key, want) expect_load_((c), (key), (want), __LINE__)
static inline void expect_load_(pt_cache_t *c, const char *key, int want, int line)
{
    json_t *v;
    pt_memo_err_t rc = pt_cache_get_key(c, key, NULL, &v);
    int got = rc == PT_MEMO_OK ? load_no(v) : -1;
    json_decref(v);
    if (got != want)
        fail_msg("line %d: get %s: rc %d, load %d, expected load %d", line, key, rc, got, want);
}

#endif
