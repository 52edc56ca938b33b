/* The Redis lock store: SET key token NX PX lease takes the lock; a script
 * deletes the key only if it still holds our token, so a holder whose lease
 * lapsed cannot release the next holder's lock. */
#define _GNU_SOURCE
#include <stdlib.h>
#include <string.h>

#include <hiredis/hiredis.h>

#include "memo/memo_internal.h"
#include "memo/redis_conn.h"

typedef struct redis_lock_store {
    pt_lock_store_t base;
    pt_redis_t     *redis;
    char           *prefix;
    size_t          plen;
} redis_lock_store_t;

static int rl_add(pt_lock_store_t *b, const char *key, size_t len, const char *token, int64_t lease)
{
    redis_lock_store_t *s = (redis_lock_store_t *)b;
    char ms[32];
    snprintf(ms, sizeof ms, "%lld", (long long)(lease > 0 ? lease : 60000));
    const char *argv[] = { "SET", NULL, token, "NX", "PX", ms };
    size_t lens[] = { 3, 0, strlen(token), 2, 2, strlen(ms) };
    pt_redis_reply_t rep;
    if (pt_redis_command_key(s->redis, &rep, 6, argv, lens, 1, s->prefix, s->plen, key, len) != 0)
        return -1;
    int rc = rep.type == REDIS_REPLY_STATUS; /* "OK"; nil when held */
    pt_redis_reply_free(&rep);
    return rc;
}

static int rl_exists(pt_lock_store_t *b, const char *key, size_t len)
{
    redis_lock_store_t *s = (redis_lock_store_t *)b;
    const char *argv[] = { "EXISTS", NULL };
    size_t lens[] = { 6, 0 };
    pt_redis_reply_t rep;
    if (pt_redis_command_key(s->redis, &rep, 2, argv, lens, 1, s->prefix, s->plen, key, len) != 0)
        return -1;
    return pt_redis_reply_positive(&rep);
}

static int rl_remove(pt_lock_store_t *b, const char *key, size_t len, const char *token)
{
    static const char script[] =
        "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) "
        "else return 0 end";
    redis_lock_store_t *s = (redis_lock_store_t *)b;
    const char *argv[] = { "EVAL", script, "1", NULL, token };
    size_t lens[] = { 4, sizeof script - 1, 1, 0, strlen(token) };
    pt_redis_reply_t rep;
    if (pt_redis_command_key(s->redis, &rep, 5, argv, lens, 3, s->prefix, s->plen, key, len) != 0)
        return -1;
    return pt_redis_reply_positive(&rep);
}

static void rl_free(pt_lock_store_t *b)
{
    redis_lock_store_t *s = (redis_lock_store_t *)b;
    pt_redis_unref(s->redis);
    free(s->prefix);
    free(s);
}

static const pt_lock_store_ops_t redis_lock_ops = {
    .add = rl_add, .exists = rl_exists, .remove = rl_remove, .free = rl_free,
};

pt_lock_store_t *pt_lock_store_redis_new(const char *url, const char *prefix)
{
    pt_redis_t *r = pt_redis_new(url);
    if (!r)
        return NULL;
    redis_lock_store_t *s = calloc(1, sizeof *s);
    if (!s) {
        pt_redis_unref(r);
        return NULL;
    }
    s->base.ops = &redis_lock_ops;
    s->redis = r;
    s->prefix = strdup(prefix ? prefix : "ponty:lock:");
    s->plen = strlen(s->prefix);
    return &s->base;
}
