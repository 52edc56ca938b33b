/* The memo module linked with src/core's objects only — no src/http, no
 * libponty — used from plain threads: a single-flight load shared by
 * threads, a keyed lock held across threads, and the codes' names. It
 * fails to link if memo reaches for anything of the server. */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ponty/memo.h"
#include "ponty/sync.h"

#define CHECK(cond)                                                             \
    do {                                                                        \
        if (!(cond)) {                                                          \
            fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
            exit(1);                                                            \
        }                                                                       \
    } while (0)

static atomic_int loads;

static json_t *slow_load(pt_cache_call_t *call)
{
    atomic_fetch_add(&loads, 1);
    pt_sleep_ms(100); /* long enough for every thread to ask meanwhile */
    return json_pack("{s:s}", "k", call->key);
}

static pt_cache_t *cache;

static void *getter(void *arg)
{
    json_t *v = NULL;
    pt_memo_err_t rc = pt_cache_get_key(cache, "same", NULL, &v);
    *(int *)arg = rc == PT_MEMO_OK && strcmp(json_string_value(json_object_get(v, "k")), "same") == 0;
    json_decref(v);
    return NULL;
}

static pt_lock_t *lock;
static atomic_int inside, overlap;

static void *locker(void *arg)
{
    for (int i = 0; i < 20; i++) {
        pt_lock_guard_t g;
        if (pt_lock_acquire(lock, "k", &g) != PT_MEMO_OK) {
            *(int *)arg = 0;
            return NULL;
        }
        if (atomic_fetch_add(&inside, 1) != 0)
            atomic_store(&overlap, 1);
        pt_sleep_ms(1);
        atomic_fetch_sub(&inside, 1);
        pt_lock_release(&g);
    }
    *(int *)arg = 1;
    return NULL;
}

int main(void)
{
    cache = pt_cache_new(.load = slow_load, .maxwait_ms = 10000);
    CHECK(cache);
    enum { N = 8 };
    pthread_t t[N];
    int ok[N];
    for (int i = 0; i < N; i++)
        CHECK(pthread_create(&t[i], NULL, getter, &ok[i]) == 0);
    for (int i = 0; i < N; i++) {
        pthread_join(t[i], NULL);
        CHECK(ok[i]);
    }
    CHECK(atomic_load(&loads) == 1); /* one load served all eight threads */
    pt_cache_free(cache);

    lock = pt_lock_new(.maxwait_ms = PT_MEMO_FOREVER);
    CHECK(lock);
    for (int i = 0; i < 4; i++)
        CHECK(pthread_create(&t[i], NULL, locker, &ok[i]) == 0);
    for (int i = 0; i < 4; i++) {
        pthread_join(t[i], NULL);
        CHECK(ok[i]);
    }
    CHECK(atomic_load(&overlap) == 0);
    pt_lock_free(lock);

    CHECK(strcmp(pt_memo_strerror(PT_MEMO_NO_MEMORY), "out of memory") == 0);
    CHECK(strcmp(pt_memo_strerror(PT_MEMO_INVALID), "invalid argument") == 0);
    puts("memo without http: ok");
    return 0;
}
