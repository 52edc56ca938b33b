/* jansson's allocator: a per-thread cache of small blocks in front of
 * malloc. See json_alloc.h. */
#define _GNU_SOURCE
#include "core/json_alloc.h"

#include <jansson.h>
#include <malloc.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define PT_JA_SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer) || __has_feature(memory_sanitizer)
#define PT_JA_SANITIZED 1
#endif
#endif

/* Class k holds blocks whose usable size is at least 16k bytes, k = 1..8:
 * the json_t structs, object hashtable buckets (128 bytes), key/value
 * pairs and short strings of a typical response value. */
#define PT_JA_CLASSES 8
/* Blocks kept per class and thread: at most 8 * 64 blocks of <= 143 bytes,
 * about 70 KiB a thread. A value bigger than the cache overflows to free(). */
#define PT_JA_CAP 64

typedef struct pt__ja_cache {
    void    *head[PT_JA_CLASSES + 1]; /* index 0 unused */
    unsigned n[PT_JA_CLASSES + 1];
    bool     registered;  /* the thread-exit destructor is armed */
    bool     dead;        /* the destructor ran: no more caching */
} pt__ja_cache_t;

static __thread pt__ja_cache_t ja;
static pthread_once_t ja_once = PTHREAD_ONCE_INIT;
static bool ja_installed;

#ifndef PT_JA_SANITIZED
static pthread_key_t ja_key;

/* At thread exit: every cached block goes back to malloc. Frees that come
 * later on this thread (other destructors) go straight to free(). */
static void ja_thread_exit(void *arg)
{
    pt__ja_cache_t *c = arg;
    for (int k = 1; k <= PT_JA_CLASSES; k++) {
        void *p = c->head[k];
        while (p) {
            void *next = *(void **)p;
            free(p);
            p = next;
        }
        c->head[k] = NULL;
        c->n[k] = 0;
    }
    c->dead = true;
}

static void *ja_malloc(size_t n)
{
    size_t k = (n + 15) >> 4;
    if (k - 1 < PT_JA_CLASSES) { /* 1..8; n == 0 wraps to a huge k */
        void *p = ja.head[k];
        if (p) {
            ja.head[k] = *(void **)p;
            ja.n[k]--;
            return p;
        }
        /* Ask for the whole class, so that the block comes back to it
         * when freed (a 17-byte request would otherwise get a block of the
         * class below and never find one of its own). */
        return malloc(k << 4);
    }
    return malloc(n);
}

static void ja_free(void *p)
{
    if (!p)
        return;
    /* Every block is a malloc block (whoever allocated it): its usable size
     * says which requests it can serve. */
    size_t k = malloc_usable_size(p) >> 4;
    pt__ja_cache_t *c = &ja;
    if (k - 1 >= PT_JA_CLASSES || c->n[k] >= PT_JA_CAP || c->dead) {
        free(p);
        return;
    }
    if (!c->registered) {
        /* Arm the destructor (pthread_setspecific needs a non-NULL value). */
        if (pthread_setspecific(ja_key, c) != 0) {
            free(p);
            return;
        }
        c->registered = true;
    }
    *(void **)p = c->head[k];
    c->head[k] = p;
    c->n[k]++;
}

static void ja_install(void)
{
    json_malloc_t m;
    json_free_t f;
    json_get_alloc_funcs(&m, &f);
    /* Only in place of jansson's defaults: functions an application set
     * itself are left alone. */
    if (m != malloc || f != free)
        return;
    if (pthread_key_create(&ja_key, ja_thread_exit) != 0)
        return;
    json_set_alloc_funcs(ja_malloc, ja_free);
    ja_installed = true;
}
#else
static void ja_install(void) {}
#endif

bool pt__json_alloc_install(void)
{
    pthread_once(&ja_once, ja_install);
    return ja_installed;
}

unsigned pt__json_alloc_cached(void)
{
    unsigned n = 0;
    for (int k = 1; k <= PT_JA_CLASSES; k++)
        n += ja.n[k];
    return n;
}
