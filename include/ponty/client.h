/* ponty/client.h — the pooled outbound HTTP client.
 *
 * A named client is created by a provider and lives from pt_run's start-up
 * to its teardown:
 *
 *     return pt_run(.port = 8080,
 *                   .providers = PT_PROVIDERS(pt_http_client_provider(
 *                       .base_url = "http://inventory:8000", .timeout_ms = 2000)));
 *
 * A handler leases one of the client's request positions (at most .limit are
 * out at a time, counted across all workers; the next lease suspends the
 * calling coroutine until one is given back), makes one or more requests
 * with it, and gives it back:
 *
 *     pt_http_lease_t *l = pt_http_lease_or_raise(NULL);   // "_default"
 *     pt_http_response_t *r = pt_http_get(l, "/items/42");
 *     pt_http_release(l);
 *     if (r->error)
 *         pt_raise_status(pt_http_error_status(r->error), .text = r->message);
 *     return pt_http_response_json(r, NULL);   // NULL when the body is not JSON
 *
 * In a request, a lease and a response not released or freed by the handler
 * are released when the request ends, on every path including pt_raise, so
 * the early release above is an optimisation for the lease (it frees the
 * position while the handler goes on) and never required for correctness.
 *
 * Transfers run on the calling worker's libuv loop, with connections kept
 * alive and pooled per worker, and the calling coroutine suspends until its
 * transfer completes, so a worker goes on serving other requests meanwhile.
 * Plain http:// URLs go through a native HTTP/1.1 client; https:// and
 * anything it does not take go through a curl multi handle per worker
 * (docs/client.md states the rule; PONTY_HTTP_CLIENT=curl sends everything
 * to libcurl). From a plain thread (no coroutine) a request blocks that
 * thread in curl_easy_perform instead. TLS is libcurl's (OpenSSL), with
 * peer and host verification on.
 *
 * Failures never raise: the response's .error is a PT_HTTP_E* code and
 * .message says what went wrong, naming the method and URL. An HTTP error
 * status (4xx, 5xx) is not a failure: .error is 0 and .status tells. */
#ifndef PONTY_CLIENT_H
#define PONTY_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <jansson.h>

#include "ponty/server.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- clients ---- */

typedef struct pt_http_client_opts {
    const char        *name;          /* default "_default"; unique among started clients */
    const char        *base_url;      /* prefix of relative URLs; NULL: URLs must be absolute */
    unsigned           timeout_ms;    /* 5000: total time for one request, connect to last byte */
    unsigned           limit;         /* 100 leases out at once, process-wide */
    const char *const *headers;       /* { "Name", "value", ..., NULL }: sent with every request */
    const char *const *cookies;       /* { "name", "value", ..., NULL }: sent with every request */
    size_t             max_body;      /* 16 MiB: a longer response body fails with PT_HTTP_ETOOBIG */
    /* Optional, borrowed (ponty/resilience.h); they must outlive the client.
     * With a breaker, an open circuit fails a request at once with
     * PT_HTTP_ECIRCUIT and no connection attempt; timeouts, connection,
     * TLS and protocol failures and 5xx answers count as failures, other
     * answers as successes, our own mistakes (bad URL, bad request) as
     * neither. With a throttle, requests are paced by its rate, which
     * adapts to the same success/failure outcome. */
    struct pt_breaker *breaker;
    struct pt_throttle *throttle;
} pt_http_client_opts_t;

/* A provider whose startup registers the client and whose teardown removes
 * it (workers have closed their connections by then). The options and the
 * strings they point to are copied. Starting a second client with a name in
 * use fails the start-up with a message. */
pt_provider_t pt_http_client_provider_opts(const pt_http_client_opts_t *opts);
#define pt_http_client_provider(...) \
    pt_http_client_provider_opts(&(const pt_http_client_opts_t){ __VA_ARGS__ })

/* What a started client is doing (found: false for an unknown name):
 * leases out now, and requests made and failed since it started. */
typedef struct pt_http_client_stats {
    bool     found;
    unsigned limit;
    int64_t  leased;
    uint64_t requests;
    uint64_t errors;
} pt_http_client_stats_t;
pt_http_client_stats_t pt_http_client_stats(const char *name);

/* ---- errors ---- */

enum {
    PT_HTTP_OK = 0,
    PT_HTTP_ENOCLIENT,    /* no started client has that name */
    PT_HTTP_ETIMEDOUT,    /* the request took longer than its timeout */
    PT_HTTP_ERESOLVE,     /* the host name could not be resolved */
    PT_HTTP_ECONNECT,     /* the connection was refused or the host unreachable */
    PT_HTTP_ECONNRESET,   /* the connection broke or closed before a whole response */
    PT_HTTP_ETLS,         /* TLS handshake or certificate verification failed */
    PT_HTTP_EURL,         /* malformed or unsupported URL (or no base URL for a relative one) */
    PT_HTTP_EPROTO,       /* the peer's answer was not valid HTTP */
    PT_HTTP_ETOOBIG,      /* the response body exceeded the client's max_body */
    PT_HTTP_EINVAL,       /* the request itself is malformed (method, header, JSON body) */
    PT_HTTP_EFAILED,      /* anything else; .message has the details */
    PT_HTTP_ECIRCUIT,     /* the client's circuit breaker is open: nothing was sent */
};

/* "timed out", "connection refused", ... for a PT_HTTP_E* code. */
const char *pt_http_strerror(int error);
/* The status a gateway answers for a failed upstream call: 504 for
 * PT_HTTP_ETIMEDOUT, 500 for PT_HTTP_ENOCLIENT and PT_HTTP_EINVAL (our own
 * mistakes), 503 for PT_HTTP_ECIRCUIT, 502 otherwise, 0 for 0. */
int         pt_http_error_status(int error);

/* ---- leases ---- */

typedef struct pt_http_lease pt_http_lease_t;

/* Takes one request position of the named client (NULL: "_default"),
 * suspending the calling coroutine (or blocking a plain thread) while all
 * .limit positions are out; waiters are served first come, first served.
 * Returns NULL when no started client has that name. */
pt_http_lease_t *pt_http_lease(const char *name);
/* In a handler: as pt_http_lease, but an unknown name raises 500 with the
 * text "no HTTP client named '<name>'". */
pt_http_lease_t *pt_http_lease_or_raise(const char *name);
/* Gives the position back. Outside a request call it exactly once; in a
 * request a second call, and the release at the end of the request, do
 * nothing. NULL is ignored. */
void             pt_http_release(pt_http_lease_t *lease);

/* ---- requests ---- */

typedef struct pt_http_request_opts {
    const char        *method;       /* default "GET" */
    const char        *url;          /* absolute, or appended to the client's base_url */
    const char *const *headers;      /* { "Name", "value", ..., NULL }, after the client's */
    const void        *body;         /* request body bytes, body_len of them */
    size_t             body_len;
    json_t            *json;         /* borrowed: sent as the body, with Content-Type:
                                        application/json unless .headers give one */
    unsigned           timeout_ms;   /* default: the client's */
} pt_http_request_opts_t;

typedef struct pt_http_response {
    int          error;      /* 0 or PT_HTTP_E* */
    const char  *message;    /* what failed, "" when error is 0 */
    int          status;     /* HTTP status, 0 when error is set */
    const char  *body;       /* NUL-terminated after body_len bytes; never NULL */
    size_t       body_len;
    size_t       nheaders;
    int64_t      elapsed_ms; /* from the request's start to its end */
} pt_http_response_t;

/* Sends one request and waits for the whole response. Never NULL. In a
 * request the response is released when the request ends at the latest;
 * outside one, pt_http_response_free it. A NULL lease answers
 * PT_HTTP_ENOCLIENT. */
pt_http_response_t *pt_http_request_opts(pt_http_lease_t *lease, const pt_http_request_opts_t *opts);
#define pt_http_request(lease, ...) \
    pt_http_request_opts((lease), &(const pt_http_request_opts_t){ __VA_ARGS__ })
#define pt_http_get(lease, url_, ...) \
    pt_http_request((lease), .method = "GET", .url = (url_), __VA_ARGS__)
#define pt_http_post(lease, url_, ...) \
    pt_http_request((lease), .method = "POST", .url = (url_), __VA_ARGS__)

/* First response header with this name (case-insensitive), or NULL. */
const char *pt_http_response_header(const pt_http_response_t *r, const char *name);
/* Headers in arrival order; returns 0 past the end. */
int         pt_http_response_header_at(const pt_http_response_t *r, size_t i,
                                       const char **name, const char **value);
/* The body parsed as JSON (a new reference), or NULL when it is not JSON
 * (err, if given, says why). */
json_t     *pt_http_response_json(const pt_http_response_t *r, json_error_t *err);
/* Frees the response now (see pt_http_request_opts). NULL is ignored. */
void        pt_http_response_free(pt_http_response_t *r);

#ifdef __cplusplus
}
#endif

#endif
