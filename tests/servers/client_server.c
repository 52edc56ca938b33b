/* The pooled HTTP client under test (tests/http/test_client.py): routes that
 * lease, request, raise, retry and call from a plain thread, against the
 * upstream given in $UPSTREAM_URL. Clients: "_default" (default headers and
 * cookies), "capped" (limit 2), "fast" (300 ms timeout), "small" (5-byte
 * bodies). PT_DUP=1 registers "_default" twice, PT_BAD_HEADER=1 gives
 * "small" a header with CR LF: start-up errors. */
#define _GNU_SOURCE
#include <ponty.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *arg(pt_req_t *req, const char *name, const char *dflt)
{
    const char *v = pt_req_query(req, name);
    return v ? v : dflt;
}

static json_t *describe(pt_http_response_t *r, int64_t wait_ms)
{
    json_t *parsed = pt_http_response_json(r, NULL);
    const char *up = pt_http_response_header(r, "x-upstream");
    return json_pack("{s:i,s:s%,s:o,s:I,s:s?,s:i,s:I}", "status", r->status, "body", r->body, r->body_len,
                     "json", parsed ? parsed : json_null(), "wait_ms", (json_int_t)wait_ms,
                     "x_upstream", up, "thread", (int)gettid(), "nheaders", (json_int_t)r->nheaders);
}

PT_GET("/get", get)
{
    int64_t t0 = pt_now_mono_ms();
    pt_http_lease_t *l = pt_http_lease_or_raise(pt_req_query(req, "client"));
    int64_t wait_ms = pt_now_mono_ms() - t0;
    pt_http_response_t *r = pt_http_get(l, arg(req, "url", "/json"),
                                        .timeout_ms = (unsigned)atoi(arg(req, "timeout_ms", "0")));
    pt_http_release(l);
    if (r->error)
        pt_raise_status(pt_http_error_status(r->error), .text = r->message);
    return describe(r, wait_ms);
}

/* Any method, no body (?close=1: with Connection: close); answers what
 * came back whatever it is: the status,
 * the error and its message, the body's length and byte sum (and the body
 * itself when short), every header in order. */
PT_GET("/info", info)
{
    pt_http_lease_t *l = pt_http_lease_or_raise(pt_req_query(req, "client"));
    static const char *const close_hdr[] = { "Connection", "close", NULL };
    pt_http_response_t *r = pt_http_request(l, .method = arg(req, "method", "GET"), .url = arg(req, "url", "/json"),
                                            .timeout_ms = (unsigned)atoi(arg(req, "timeout_ms", "0")),
                                            .headers = pt_req_query(req, "close") ? close_hdr : NULL);
    pt_http_release(l);
    uint64_t sum = 0;
    for (size_t i = 0; i < r->body_len; i++)
        sum += (unsigned char)r->body[i];
    json_t *headers = json_array();
    const char *n, *v;
    for (size_t i = 0; pt_http_response_header_at(r, i, &n, &v); i++)
        json_array_append_new(headers, json_pack("[s,s]", n, v));
    /* The body's first 200 bytes, or null when they are not UTF-8 text. */
    json_t *body = json_stringn(r->body, r->body_len > 200 ? (size_t)200 : r->body_len);
    return json_pack("{s:i,s:i,s:s,s:I,s:I,s:o?,s:o,s:b}", "status", r->status, "error", r->error, "message",
                     r->message, "body_len", (json_int_t)r->body_len, "sum", (json_int_t)sum, "body",
                     body, "headers", headers, "nul_ended",
                     r->body[r->body_len] == '\0');
}

/* The request's JSON body goes upstream as .json, with a header of its own. */
PT_POST("/send", send_json)
{
    json_error_t err;
    size_t len;
    const char *body = pt_req_body(req, &len);
    json_t *in = json_loadb(body, len, 0, &err);
    if (!in)
        pt_raise_status(400, .text = err.text);
    pt_http_lease_t *l = pt_http_lease_or_raise(NULL);
    pt_http_response_t *r = pt_http_request(l, .method = arg(req, "method", "POST"),
                                            .url = arg(req, "url", "/echo"), .json = in,
                                            .headers = (const char *const[]){ "X-Test", "t", NULL });
    json_decref(in);
    if (r->error)
        pt_raise_status(pt_http_error_status(r->error), .text = r->message);
    return describe(r, 0);
}

/* POSTs n bytes ('a'..'z' repeating) as a raw body to url (?timeout_ms: the
 * request's own timeout). */
PT_GET("/sendbig", send_big)
{
    size_t n = (size_t)atol(arg(req, "n", "1000"));
    char *body = pt_arena_alloc(pt_req_arena(req), n + 1);
    for (size_t i = 0; i < n; i++)
        body[i] = (char)('a' + i % 26);
    pt_http_lease_t *l = pt_http_lease_or_raise(NULL);
    pt_http_response_t *r = pt_http_request(l, .method = "POST", .url = arg(req, "url", "/echo"), .body = body,
                                            .body_len = n,
                                            .timeout_ms = (unsigned)atoi(arg(req, "timeout_ms", "0")));
    pt_http_release(l);
    if (r->error)
        pt_raise_status(pt_http_error_status(r->error), .text = r->message);
    return describe(r, 0);
}

/* Leaves with a lease still held: the end of the request gives it back. */
PT_GET("/raise", raise_with_lease)
{
    pt_http_lease_t *l = pt_http_lease_or_raise(arg(req, "client", "capped"));
    pt_http_response_t *r = pt_http_get(l, "/json");
    pt_raise_status(418, .text = pt_strf("raised holding a lease (upstream said %d)", r->status));
}

PT_GET("/keep", return_with_lease)
{
    pt_http_lease_t *l = pt_http_lease_or_raise(arg(req, "client", "capped"));
    (void)l;
    return json_pack("{s:b}", "kept", 1);
}

PT_GET("/unknown", unknown_client)
{
    pt_http_lease_t *l = pt_http_lease("nope");
    pt_http_response_t *r = pt_http_get(l, "/json");
    if (strcmp(arg(req, "raise", "0"), "1") == 0)
        pt_http_lease_or_raise("nope");
    return json_pack("{s:b,s:i,s:s}", "lease_null", l == NULL, "error", r->error, "message", r->message);
}

typedef struct attempt_ctx {
    const char *url;
    int         attempts;
    int         status;
    const char *message;
} attempt_ctx_t;

static int attempt(void *arg_)
{
    attempt_ctx_t *a = arg_;
    a->attempts++;
    pt_http_lease_t *l = pt_http_lease_or_raise(NULL);
    pt_http_response_t *r = pt_http_get(l, a->url);
    pt_http_release(l);
    a->status = r->status;
    a->message = r->message;
    return r->error;
}

PT_GET("/retry", retry_route)
{
    attempt_ctx_t a = { .url = arg(req, "url", "/json") };
    int err = pt_retry(attempt, &a, .max_retries = atoi(arg(req, "max", "1")), .t1_ms = 50,
                       .errors = PT_ERRORS(PT_HTTP_ECONNECT, PT_HTTP_ECONNRESET, PT_HTTP_ETIMEDOUT));
    if (err)
        pt_raise_status(pt_http_error_status(err),
                        .body = json_pack("{s:i,s:s}", "attempts", a.attempts, "message", a.message));
    return json_pack("{s:i,s:i}", "attempts", a.attempts, "status", a.status);
}

/* A plain thread makes the request (blocking curl); the handler suspends on a
 * semaphore until it is done. */
typedef struct thread_job {
    const char *url;
    pt_sem_t    done;
    int         status, error;
    char        body[256];
} thread_job_t;

static void *thread_main(void *p)
{
    thread_job_t *j = p;
    pt_http_lease_t *l = pt_http_lease(NULL);
    pt_http_response_t *r = pt_http_get(l, j->url);
    pt_http_release(l);
    j->status = r->status;
    j->error = r->error;
    snprintf(j->body, sizeof j->body, "%s", r->error ? r->message : r->body);
    pt_http_response_free(r);
    pt_sem_post(&j->done);
    return NULL;
}

PT_GET("/thread", from_thread)
{
    thread_job_t j = { .url = arg(req, "url", "/json") };
    pt_sem_init(&j.done, 0);
    pthread_t t;
    if (pthread_create(&t, NULL, thread_main, &j) != 0)
        pt_raise_status(500, .text = "pthread_create failed");
    pt_sem_wait(&j.done);
    pthread_join(t, NULL); /* it has posted: only its exit is left */
    pt_sem_destroy(&j.done);
    return json_pack("{s:i,s:i,s:s}", "status", j.status, "error", j.error, "body", j.body);
}

/* A client paced by a throttle: 5 requests a second, no jitter. */
PT_THROTTLE(upstream_throttle, .rate = 5, .min_rate = 5, .max_rate = 5, .jitter = PT_THROTTLE_NO_JITTER);

PT_GET("/paced", paced)
{
    pt_http_lease_t *l = pt_http_lease_or_raise("paced");
    pt_http_response_t *r = pt_http_get(l, "/json");
    pt_http_release(l);
    if (r->error)
        pt_raise_status(pt_http_error_status(r->error), .text = r->message);
    return json_pack("{s:i}", "status", r->status);
}

/* A client behind a circuit breaker: two failures open it for a minute. */
PT_BREAKER(upstream_breaker, .name = "upstream", .max_fails = 2, .reset_ms = 60000);

PT_GET("/guarded", guarded)
{
    pt_http_lease_t *l = pt_http_lease_or_raise("guarded");
    pt_http_response_t *r = pt_http_get(l, arg(req, "url", "/json"));
    pt_http_release(l);
    if (r->error)
        pt_raise_status(pt_http_error_status(r->error), .text = r->message);
    return json_pack("{s:i,s:s}", "status", r->status, "state",
                     pt_breaker_state(upstream_breaker) == PT_BREAKER_CLOSED ? "closed" : "not closed");
}

int main(void)
{
    const char *up = getenv("UPSTREAM_URL");
    static const char *const headers[] = { "X-Default", "d", NULL };
    static const char *const cookies[] = { "sid", "abc", "lang", "en", NULL };
    int dup = pt_env_long("PT_DUP", 0) != 0;
    static const char *const bad_headers[] = { "X-Bad", "a\r\nInjected: 1", NULL };
    int bad = pt_env_long("PT_BAD_HEADER", 0) != 0;
    return pt_run(.port = (int)pt_env_long("PORT", 8080), .quiet = 1, .metrics_path = "/metrics",
                  .providers = PT_PROVIDERS(
                      pt_http_client_provider(.base_url = up, .headers = headers, .cookies = cookies),
                      pt_http_client_provider(.name = "capped", .base_url = up, .limit = 2),
                      pt_http_client_provider(.name = "fast", .base_url = up, .timeout_ms = 300),
                      pt_http_client_provider(.name = "small", .base_url = up, .max_body = 5,
                                              .headers = bad ? bad_headers : NULL),
                      pt_http_client_provider(.name = "guarded", .base_url = up, .breaker = upstream_breaker),
                      pt_http_client_provider(.name = "paced", .base_url = up, .throttle = upstream_throttle),
                      pt_http_client_provider(.name = dup ? "_default" : "other", .base_url = up)));
}
