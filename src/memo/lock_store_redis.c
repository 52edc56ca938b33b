/* The Redis lock store: SET key token NX PX lease takes the lock; a script
 * deletes the key only if it still holds our token, so a holder whose lease
 * lapsed cannot release the next holder's lock.
 *
 * A SET that failed or timed out may still be carried out: its bytes can sit
 * in a stopped server's socket and run when it resumes, leaving the lock held
 * by nobody for a whole lease. So a failed add is remembered (key, token,
 * lease end) and undone with the same compare-and-delete once commands go
 * through again: before each later operation of the store, at most every
 * UNDO_EVERY_MS, until the delete removes the key or the lease is over (the
 * SET may arrive after a first, empty delete). */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <hiredis/hiredis.h>

#include "memo/memo.h"
#include "memo/redis_conn.h"
#include "core/wait.h"

#define UNDO_EVERY_MS 100
#define UNDO_MAX 1024

typedef struct undo {
    struct undo *next;
    int64_t      until;   /* mono ms: the lease is over, nothing to undo */
    char        *key;     /* without the prefix */
    size_t       len;
    char         token[];
} undo_t;

typedef struct redis_lock_store {
    pt_lock_store_t base;
    pt__redis_t     *redis;
    char           *prefix;
    size_t          plen;
    pthread_mutex_t mu;       /* guards the fields below */
    undo_t         *undos;
    unsigned        nundos;
    int64_t         undo_at;  /* mono ms of the last attempt */
    bool            undoing;  /* one caller runs the undos at a time */
} redis_lock_store_t;

static const char release_script[] =
    "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) "
    "else return 0 end";

/* The compare-and-delete: 1 deleted, 0 not ours (or absent), -1 failed. */
static int release(redis_lock_store_t *s, const char *key, size_t len, const char *token)
{
    const char *argv[] = { "EVAL", release_script, "1", NULL, token };
    size_t lens[] = { 4, sizeof release_script - 1, 1, 0, strlen(token) };
    pt__redis_reply_t rep;
    if (pt__redis_command_key(s->redis, &rep, 5, argv, lens, 3, s->prefix, s->plen, key, len) != 0)
        return -1;
    return pt__redis_reply_positive(&rep);
}

static void remember_undo(redis_lock_store_t *s, const char *key, size_t len, const char *token,
                          int64_t lease)
{
    size_t tl = strlen(token) + 1;
    undo_t *u = malloc(sizeof *u + tl);
    if (!u || !(u->key = malloc(len + 1))) {
        free(u);
        return;
    }
    memcpy(u->key, key, len);
    u->key[len] = '\0';
    u->len = len;
    memcpy(u->token, token, tl);
    u->until = pt_now_mono_ms() + lease;
    pthread_mutex_lock(&s->mu);
    if (s->nundos < UNDO_MAX) {
        u->next = s->undos;
        s->undos = u;
        s->nundos++;
        u = NULL;
    }
    pthread_mutex_unlock(&s->mu);
    if (u) {
        free(u->key);
        free(u);
    }
}

/* Runs the pending undos (see the top of the file), each bounded by the
 * caller's deadline (-1 none). */
static void run_undos(redis_lock_store_t *s, int64_t deadline)
{
    int64_t now = pt_now_mono_ms();
    pthread_mutex_lock(&s->mu);
    if (!s->undos || s->undoing || now - s->undo_at < UNDO_EVERY_MS) {
        pthread_mutex_unlock(&s->mu);
        return;
    }
    undo_t *list = s->undos;
    s->undos = NULL;
    s->nundos = 0;
    s->undoing = true;
    s->undo_at = now;
    pthread_mutex_unlock(&s->mu);

    undo_t *keep = NULL;
    unsigned nkeep = 0;
    bool failing = false;
    while (list) {
        undo_t *u = list;
        list = u->next;
        pt__redis_deadline = deadline;
        int rc = failing ? -1 : release(s, u->key, u->len, u->token);
        failing = rc < 0;
        if (rc == 1 || pt_now_mono_ms() >= u->until) {
            free(u->key);
            free(u);
        } else {
            u->next = keep;
            keep = u;
            nkeep++;
        }
    }
    pthread_mutex_lock(&s->mu);
    undo_t **tail = &keep;
    while (*tail)
        tail = &(*tail)->next;
    *tail = s->undos;
    s->undos = keep;
    s->nundos += nkeep;
    s->undoing = false;
    pthread_mutex_unlock(&s->mu);
}

static int rl_add(pt_lock_store_t *b, const char *key, size_t len, const char *token, int64_t lease)
{
    redis_lock_store_t *s = (redis_lock_store_t *)b;
    int64_t deadline = pt__redis_deadline; /* the caller's, for the SET */
    run_undos(s, deadline);
    if (lease <= 0)
        lease = 60000;
    char ms[32];
    snprintf(ms, sizeof ms, "%lld", (long long)lease);
    const char *argv[] = { "SET", NULL, token, "NX", "PX", ms };
    size_t lens[] = { 3, 0, strlen(token), 2, 2, strlen(ms) };
    pt__redis_reply_t rep;
    pt__redis_deadline = deadline;
    if (pt__redis_command_key(s->redis, &rep, 6, argv, lens, 1, s->prefix, s->plen, key, len) != 0) {
        remember_undo(s, key, len, token, lease);
        return -1;
    }
    int rc = rep.type == REDIS_REPLY_STATUS; /* "OK"; nil when held */
    pt__redis_reply_free(&rep);
    return rc;
}

static int rl_exists(pt_lock_store_t *b, const char *key, size_t len)
{
    redis_lock_store_t *s = (redis_lock_store_t *)b;
    run_undos(s, -1);
    const char *argv[] = { "EXISTS", NULL };
    size_t lens[] = { 6, 0 };
    pt__redis_reply_t rep;
    if (pt__redis_command_key(s->redis, &rep, 2, argv, lens, 1, s->prefix, s->plen, key, len) != 0)
        return -1;
    return pt__redis_reply_positive(&rep);
}

static int rl_remove(pt_lock_store_t *b, const char *key, size_t len, const char *token)
{
    redis_lock_store_t *s = (redis_lock_store_t *)b;
    run_undos(s, -1);
    return release(s, key, len, token);
}

static void rl_free(pt_lock_store_t *b)
{
    redis_lock_store_t *s = (redis_lock_store_t *)b;
    while (s->undos) {
        undo_t *u = s->undos;
        s->undos = u->next;
        free(u->key);
        free(u);
    }
    pthread_mutex_destroy(&s->mu);
    pt__redis_unref(s->redis);
    free(s->prefix);
    free(s);
}

static const pt_lock_store_ops_t redis_lock_ops = {
    .add = rl_add, .exists = rl_exists, .remove = rl_remove, .free = rl_free,
};

pt_lock_store_t *pt_lock_store_redis_new(const char *url, const char *prefix)
{
    pt__redis_t *r = pt__redis_new(url);
    if (!r)
        return NULL;
    redis_lock_store_t *s = calloc(1, sizeof *s);
    if (!s) {
        pt__redis_unref(r);
        return NULL;
    }
    s->base.ops = &redis_lock_ops;
    pthread_mutex_init(&s->mu, NULL);
    s->redis = r;
    s->prefix = strdup(prefix ? prefix : "ponty:lock:");
    s->plen = strlen(s->prefix);
    return &s->base;
}
