/* Benchmark server (not an example): GET /hello with hello_world's bytes,
 * built with json_pack (a jansson value per request, where hello_world
 * writes a described struct), plus
 * $PT_BENCH_ROUTES - 1 extra routes so the table holds that many, plus a
 * route with one route parameter and two query parameters:
 *   GET /hello/{name}?a=..&b=..  → {"greeting": "hello, <name>!", "a": a, "b": b}
 * bench/http/run.sh runs it with 10 and with 10,000 routes, and with
 * $PT_BENCH_OBSERVE = "metrics" (metrics counted) or "all" (metrics,
 * request ids and the access log, written to /dev/null) to measure what
 * observation costs. */
#include <ponty.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

PT_GET("/hello", hello)
{
    return json_pack("{s:s}", "greeting", "hello world");
}

typedef struct {
    const char *name;
    int64_t     a;
    const char *b;
} params_req;

PT_FIELDS(params_req,
          PT_ROUTE_STR(name),
          PT_QUERY_POSINT(a, .dflt = "0"),
          PT_QUERY_STR(b, .dflt = ""));

PT_GET_IN("/hello/{name}", params, params_req)
{
    return json_pack("{s:s,s:I,s:s}", "greeting", pt_strf("hello, %s!", in->name), "a",
                     (json_int_t)in->a, "b", in->b);
}

static json_t *filler(pt_req_t *req) { return json_null(); }

int main(void)
{
    long n = pt_env_long("PT_BENCH_ROUTES", 10);
    pt_route_table_t *extra = pt_route_table_new();
    /* A realistic mix: static API paths and parameterised ones. */
    for (long i = 2; i < n; i++) {
        char path[96];
        if (i % 2)
            snprintf(path, sizeof path, "/api/v1/resource%ld/items", i);
        else
            snprintf(path, sizeof path, "/api/v1/resource%ld/{id:\\d+}", i);
        pt_route_add(extra, &(pt_route_def_t){ .method = "GET", .path = path, .handler = filler });
    }
    const char *obs = getenv("PT_BENCH_OBSERVE");
    bool metrics = obs && (strcmp(obs, "metrics") == 0 || strcmp(obs, "all") == 0);
    bool all = obs && strcmp(obs, "all") == 0;
    int devnull = all ? open("/dev/null", O_WRONLY | O_CLOEXEC) : -1;
    int rc = pt_run(.port = (int)pt_env_long("PORT", 8080), .quiet = 1,
                    .route_tables = PT_ROUTE_TABLES(extra),
                    .metrics_path = metrics ? "/metrics" : NULL, .request_ids = all,
                    .access_log = all ? PT_ACCESS_LOG_COMMON : PT_ACCESS_LOG_OFF, .access_log_fd = devnull);
    if (devnull >= 0)
        close(devnull);
    pt_route_table_free(extra);
    return rc;
}
