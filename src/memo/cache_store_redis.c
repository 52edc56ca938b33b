/* The Redis cache store: each value is one Redis string, the JSON text
 * {"v": value, "e": is_error, "f": fetched_ms, "x": expires_ms}, under
 * prefix+key, with its TTL set in Redis (PX) so Redis drops it when it
 * expires. */
#define _GNU_SOURCE
#include <stdlib.h>
#include <string.h>

#include <hiredis/hiredis.h>

#include "memo/memo.h"
#include "memo/redis_conn.h"

typedef struct redis_cache_store {
    pt_cache_store_t base;
    pt__redis_t      *redis;
    char            *prefix;
    size_t           plen;
} redis_cache_store_t;

static int rs_get(pt_cache_store_t *b, const char *key, size_t len, pt_cache_item_t *out)
{
    redis_cache_store_t *s = (redis_cache_store_t *)b;
    const char *argv[] = { "GET", NULL };
    size_t lens[] = { 3, 0 };
    pt__redis_reply_t rep;
    if (pt__redis_command_key(s->redis, &rep, 2, argv, lens, 1, s->prefix, s->plen, key, len) != 0)
        return -1;
    if (rep.type != REDIS_REPLY_STRING) {
        pt__redis_reply_free(&rep);
        return 0;
    }
    json_error_t je;
    json_t *doc = json_loadb(rep.str, rep.len, JSON_DECODE_ANY, &je);
    pt__redis_reply_free(&rep);
    json_t *v = doc ? json_object_get(doc, "v") : NULL;
    if (!v) {
        /* Not ours or damaged: a miss, and the load will overwrite it. */
        json_decref(doc);
        return 0;
    }
    out->value = json_incref(v);
    out->is_error = json_is_true(json_object_get(doc, "e"));
    out->fetched_ms = json_integer_value(json_object_get(doc, "f"));
    json_t *x = json_object_get(doc, "x");
    out->expires_ms = json_is_integer(x) ? json_integer_value(x) : PT_EXPIRY_NEVER_MS;
    json_decref(doc);
    return 1;
}

static int rs_set(pt_cache_store_t *b, const char *key, size_t len, const pt_cache_item_t *item)
{
    redis_cache_store_t *s = (redis_cache_store_t *)b;
    int64_t ttl = 0;
    if (item->expires_ms != PT_EXPIRY_NEVER_MS) {
        ttl = item->expires_ms - pt__memo_now_ms();
        if (ttl <= 0)
            return 0; /* already stale: nothing to share */
    }
    json_t *doc = json_pack("{s:O,s:b,s:I}", "v", item->value, "e", item->is_error, "f",
                            (json_int_t)item->fetched_ms);
    if (!doc)
        return -1;
    if (item->expires_ms != PT_EXPIRY_NEVER_MS)
        json_object_set_new(doc, "x", json_integer(item->expires_ms));
    char *text = json_dumps(doc, JSON_COMPACT | JSON_ENCODE_ANY);
    json_decref(doc);
    if (!text)
        return -1;
    char ttls[32];
    snprintf(ttls, sizeof ttls, "%lld", (long long)ttl);
    const char *argv[] = { "SET", NULL, text, "PX", ttls };
    size_t lens[] = { 3, 0, strlen(text), 2, strlen(ttls) };
    pt__redis_reply_t rep;
    int rc = pt__redis_command_key(s->redis, &rep, ttl ? 5 : 3, argv, lens, 1, s->prefix, s->plen,
                                  key, len);
    if (rc == 0)
        pt__redis_reply_free(&rep);
    free(text);
    return rc;
}

static int rs_remove(pt_cache_store_t *b, const char *key, size_t len)
{
    redis_cache_store_t *s = (redis_cache_store_t *)b;
    const char *argv[] = { "DEL", NULL };
    size_t lens[] = { 3, 0 };
    pt__redis_reply_t rep;
    if (pt__redis_command_key(s->redis, &rep, 2, argv, lens, 1, s->prefix, s->plen, key, len) != 0)
        return -1;
    return pt__redis_reply_positive(&rep);
}

/* Clearing deletes prefix*: KEYS inside a script, which blocks Redis for the
 * scan. Meant for tests and maintenance, not for a hot path. */
static int rs_clear(pt_cache_store_t *b)
{
    redis_cache_store_t *s = (redis_cache_store_t *)b;
    static const char script[] =
        "local n = 0 for _, k in ipairs(redis.call('KEYS', ARGV[1])) do "
        "redis.call('DEL', k) n = n + 1 end return n";
    char *pattern = malloc(s->plen * 2 + 2);
    if (!pattern)
        return -1;
    /* escape glob characters of the prefix */
    size_t n = 0;
    for (size_t i = 0; i < s->plen; i++) {
        if (strchr("*?[]\\", s->prefix[i]))
            pattern[n++] = '\\';
        pattern[n++] = s->prefix[i];
    }
    pattern[n++] = '*';
    const char *argv[] = { "EVAL", script, "0", pattern };
    size_t lens[] = { 4, sizeof script - 1, 1, n };
    pt__redis_reply_t rep;
    int rc = pt__redis_command(s->redis, &rep, 4, argv, lens);
    free(pattern);
    if (rc == 0)
        pt__redis_reply_free(&rep);
    return rc;
}

static void rs_free(pt_cache_store_t *b)
{
    redis_cache_store_t *s = (redis_cache_store_t *)b;
    pt__redis_unref(s->redis);
    free(s->prefix);
    free(s);
}

static const pt_cache_store_ops_t redis_ops = {
    .get = rs_get, .set = rs_set, .remove = rs_remove, .clear = rs_clear, .free = rs_free,
};

pt_cache_store_t *pt_cache_store_redis_new(const char *url, const char *prefix)
{
    pt__redis_t *r = pt__redis_new(url);
    if (!r)
        return NULL;
    redis_cache_store_t *s = calloc(1, sizeof *s);
    if (!s) {
        pt__redis_unref(r);
        return NULL;
    }
    s->base.ops = &redis_ops;
    s->redis = r;
    s->prefix = strdup(prefix ? prefix : "ponty:cache:");
    s->plen = strlen(s->prefix);
    return &s->base;
}
