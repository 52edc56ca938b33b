/* pt_refresh_server: a background-refresh cache behind HTTP, for
 * tests/http/test_refresh_cache.py.
 *
 * GET /value?key=K answers {"value": n, "loads": total loads} from a cache
 * with ttl $TTL_MS (default 1000) and refresh window $REFRESH_MS (default
 * 800); the loader sleeps $LOAD_MS (default 100) and returns the number of
 * loads so far ("started" counts loader calls begun). GET /fail?key=K goes through a loader that always fails.
 * The cache is made before pt_run and freed after it returns. */
#define _GNU_SOURCE
#include <ponty.h>

#include <stdatomic.h>
#include <stdio.h>

static pt_refresh_cache_t *cache;
static atomic_long loads, load_errors, started;
static int64_t load_ms;

static json_t *slow_counter(const char *key, void *arg)
{
    (void)key;
    (void)arg;
    atomic_fetch_add(&started, 1);
    pt_sleep_ms(load_ms);
    return json_integer(atomic_fetch_add(&loads, 1) + 1);
}

static json_t *always_fails(const char *key, void *arg)
{
    (void)key;
    (void)arg;
    return NULL;
}

static void count_error(const char *key, bool background, void *arg)
{
    (void)key;
    (void)background;
    (void)arg;
    atomic_fetch_add(&load_errors, 1);
}

PT_GET("/value", value)
{
    const char *key = pt_req_query(req, "key");
    json_t *v;
    if (pt_refresh_get(cache, key ? key : "default", &v) != 0)
        pt_raise_status(502, .text = "load failed");
    return json_pack("{s:o,s:I,s:I,s:I}", "value", v, "loads", (json_int_t)atomic_load(&loads),
                     "started", (json_int_t)atomic_load(&started),
                     "pending", (json_int_t)pt_refresh_pending(cache));
}

PT_GET("/fail", fail)
{
    const char *key = pt_req_query(req, "key");
    json_t *v;
    if (pt_refresh_get(cache, key ? pt_strf("fail:%s", key) : "fail:", &v) != 0)
        pt_raise_status(502, .body = json_pack("{s:s,s:I}", "error", "load failed",
                                               "errors", (json_int_t)atomic_load(&load_errors)));
    return v;
}

static int register_failing(void *arg)
{
    (void)arg;
    return pt_refresh_register(cache, "fail:x", always_fails, NULL);
}

int main(void)
{
    load_ms = pt_env_long("LOAD_MS", 100);
    cache = pt_refresh_cache_new(.ttl_ms = pt_env_long("TTL_MS", 1000),
                                 .refresh_ms = pt_env_long("REFRESH_MS", 800),
                                 .loader = slow_counter, .on_error = count_error);
    if (!cache)
        return 1;
    int rc = pt_run(.port = (int)pt_env_long("PORT", 8080),
                    .providers = PT_PROVIDERS({ "failing loader", register_failing, NULL, NULL }));
    pt_refresh_cache_free(cache);
    printf("loads %ld\n", atomic_load(&loads));
    return rc;
}
