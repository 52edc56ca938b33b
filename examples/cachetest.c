/* GET /cachetest → {"key": "value"}, memoized with stampede control: the
 * seed's localcache example. The load takes a second. With no wait (the
 * default here, CACHE_MAXWAIT_MS=0; set it to wait that long) the cache's lock is
 * mandatory: of five simultaneous first requests one loads (200 after ~1 s)
 * and four get "409: Conflict" at once; then every request is a hit. With
 * CACHE_MAXWAIT_MS=2000 the four wait for the one load and all succeed.
 *
 * With PONTY_REDIS_URL=redis://host:port/db the value and the load lock live
 * in Redis, so several processes share one cache (and one load).
 * GET /cachetest/loads tells how many loads this process ran. */
#include <ponty.h>
#include <stdatomic.h>
#include <stdlib.h>

static atomic_long loads;

static json_t *fetch(pt_cache_call_t *call)
{
    (void)call;
    atomic_fetch_add(&loads, 1);
    pt_sleep_ms(pt_env_long("CACHE_LOAD_MS", 1000)); /* some expensive operation */
    return json_pack("{s:s}", "key", "value");
}

/* Shared stores when PONTY_REDIS_URL is set, else NULL (in-process). */
static pt_cache_store_t *redis_values(void)
{
    const char *url = getenv("PONTY_REDIS_URL");
    return url && *url ? pt_cache_store_redis_new(url, "cachetest:") : NULL;
}

static pt_lock_store_t *redis_locks(void)
{
    const char *url = getenv("PONTY_REDIS_URL");
    return url && *url ? pt_lock_store_redis_new(url, "cachetest:lock:") : NULL;
}

/* CACHE_MAXWAIT_MS: 0 (default) is the mandatory lock, PT_MEMO_NOWAIT (a
 * 0 in the options would mean the cache's default wait of 1000 ms). */
static int64_t cache_maxwait(void)
{
    long ms = pt_env_long("CACHE_MAXWAIT_MS", 0);
    return ms == 0 ? PT_MEMO_NOWAIT : ms;
}

PT_LOCALCACHE(fetch_cache, .load = fetch, .single_key = true, .maxwait_ms = cache_maxwait(),
              .store = redis_values(), .lock_store = redis_locks(), .own_stores = true);

PT_GET("/cachetest", cachetest)
{
    return pt_cache_get_or_raise(fetch_cache, NULL, NULL);
}

PT_GET("/cachetest/loads", cachetest_loads)
{
    return json_pack("{s:I}", "loads", (json_int_t)atomic_load(&loads));
}

#ifndef PT_SHOWCASE
int main(void)
{
    return pt_run(.port = (int)pt_env_long("PORT", 8080));
}
#endif
