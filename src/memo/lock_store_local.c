/* The in-process sentinel store: a set of (key, token, lease end) behind one
 * mutex. A pt_lock_t without a store does better (it wakes waiters); this is
 * the SentinelStore shape for composing and for testing the polling path. */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include "memo/memo.h"
#include "core/sched.h"

typedef struct sentinel {
    struct sentinel *next;
    int64_t          until_ms; /* monotonic lease end */
    char             token[33];
    size_t           klen;
    char             key[];
} sentinel_t;

typedef struct local_lock_store {
    pt_lock_store_t base;
    pthread_mutex_t lk;
    sentinel_t     *head;
} local_lock_store_t;

/* Finds key, dropping lapsed leases on the way. */
static sentinel_t **find(local_lock_store_t *s, const char *key, size_t len)
{
    int64_t now = pt_now_mono_ms();
    sentinel_t **pp = &s->head;
    while (*pp) {
        sentinel_t *x = *pp;
        if (x->until_ms <= now) {
            *pp = x->next;
            free(x);
            continue;
        }
        if (x->klen == len && memcmp(x->key, key, len) == 0)
            return pp;
        pp = &x->next;
    }
    return NULL;
}

static int ls_add(pt_lock_store_t *b, const char *key, size_t len, const char *token, int64_t lease)
{
    local_lock_store_t *s = (local_lock_store_t *)b;
    pthread_mutex_lock(&s->lk);
    if (find(s, key, len)) {
        pthread_mutex_unlock(&s->lk);
        return 0;
    }
    sentinel_t *x = malloc(sizeof *x + len + 1);
    if (!x) {
        pthread_mutex_unlock(&s->lk);
        pt_memo_set_error("lock store: out of memory");
        return -1;
    }
    x->until_ms = pt_now_mono_ms() + (lease > 0 ? lease : 60000);
    snprintf(x->token, sizeof x->token, "%s", token);
    x->klen = len;
    memcpy(x->key, key, len);
    x->key[len] = 0;
    x->next = s->head;
    s->head = x;
    pthread_mutex_unlock(&s->lk);
    return 1;
}

static int ls_exists(pt_lock_store_t *b, const char *key, size_t len)
{
    local_lock_store_t *s = (local_lock_store_t *)b;
    pthread_mutex_lock(&s->lk);
    int r = find(s, key, len) != NULL;
    pthread_mutex_unlock(&s->lk);
    return r;
}

static int ls_remove(pt_lock_store_t *b, const char *key, size_t len, const char *token)
{
    local_lock_store_t *s = (local_lock_store_t *)b;
    pthread_mutex_lock(&s->lk);
    sentinel_t **pp = find(s, key, len);
    int r = 0;
    if (pp && strcmp((*pp)->token, token) == 0) {
        sentinel_t *x = *pp;
        *pp = x->next;
        free(x);
        r = 1;
    }
    pthread_mutex_unlock(&s->lk);
    return r;
}

static void ls_free(pt_lock_store_t *b)
{
    local_lock_store_t *s = (local_lock_store_t *)b;
    for (sentinel_t *x = s->head, *n; x; x = n) {
        n = x->next;
        free(x);
    }
    pthread_mutex_destroy(&s->lk);
    free(s);
}

static const pt_lock_store_ops_t local_ops = {
    .add = ls_add, .exists = ls_exists, .remove = ls_remove, .free = ls_free,
};

pt_lock_store_t *pt_lock_store_local_new(void)
{
    local_lock_store_t *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    s->base.ops = &local_ops;
    pthread_mutex_init(&s->lk, NULL);
    return &s->base;
}
