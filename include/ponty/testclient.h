/* ponty/testclient.h — testing a service in-process, from a plain C test.
 *
 *     pt_test_client_t *tc = pt_test_client_new(.route_tables = PT_ROUTE_TABLES(admin));
 *     pt_test_response_t *res = pt_test_request(tc, "GET", "/hello/you?lang=xx",
 *                                               .headers = PT_TEST_HEADERS("X-Token", "t"));
 *     assert_int_equal(res->status, 400);
 *     assert_string_equal(res->body, "lang must be one of {en,es,no}");
 *     pt_test_response_free(res);
 *     pt_test_client_free(tc);
 *
 * The client serves the default route table plus .route_tables with the
 * hooks added so far (ponty/hooks.h), on a scheduler and event loop of its
 * own running on the calling thread: each request runs in a coroutine
 * exactly as under pt_run (declared fields, raises, waits, pt_strf). No
 * socket is involved: the request's bytes are handed to the server's own
 * connection code as if read from one (its HTTP parser, framing checks and
 * limits), and the bytes that code would write are captured in memory and
 * parsed into the response. No port is bound and no socket is made; the
 * only descriptors are the client's event loop's own (epoll, eventfd,
 * signal pipe, and the spare /dev/null libuv keeps from its first
 * connection), all closed by pt_test_client_free. pt_test_request returns
 * once the response is complete (a handler that waits makes it wait).
 *
 * Providers are not run (start what the routes need yourself, e.g. publish
 * resources before creating the client). Metrics, the access log, request
 * ids and the header and idle timeouts belong to pt_run and are off;
 * pt_req_peer is NULL (there is no peer). A client serves one request at a
 * time on one connection, kept alive between requests unless a response
 * closes it (then the next request opens another). Several clients may
 * live on one thread, used one at a time. Not thread-safe: a client is used
 * by the thread that made it, never while pt_run serves in the same
 * process. */
#ifndef PONTY_TESTCLIENT_H
#define PONTY_TESTCLIENT_H

#include <stddef.h>

#include "ponty/route.h"
#include "ponty/server.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct pt_test_client pt_test_client_t;

typedef struct pt_test_client_opts {
    pt_route_table_t *const *route_tables; /* NULL-terminated, besides the default table */
    pt_limits_t              limits;       /* as pt_run's; 0 = its defaults */
    size_t                   stack_size;   /* per request coroutine; default 256 KiB */
} pt_test_client_opts_t;

/* NULL with a message on stderr when a route cannot be prepared (the same
 * start-up errors pt_run reports). */
pt_test_client_t *pt_test_client_new_opts(const pt_test_client_opts_t *opts);
#define pt_test_client_new(...) pt_test_client_new_opts(&(const pt_test_client_opts_t){ __VA_ARGS__ })
void              pt_test_client_free(pt_test_client_t *c);

typedef struct pt_test_response {
    int          status;
    char        *body;      /* NUL-terminated after len bytes (may hold NULs) */
    size_t       len;
    size_t       nheaders;
    char       **names;     /* nheaders each, in arrival order */
    char       **values;
} pt_test_response_t;

typedef struct pt_test_request_opts {
    const char *const *headers;  /* { "Name", "value", ..., NULL } */
    const void        *body;
    size_t             len;      /* body bytes; 0 with a body: strlen(body) */
} pt_test_request_opts_t;

#define PT_TEST_HEADERS(...) ((const char *const[]){ __VA_ARGS__, NULL })

/* Sends one request (HTTP/1.1, Host: test, Content-Length when a body is
 * given) and returns the response, or NULL with a message on stderr when no
 * complete response came (the connection closed, or 30 s passed). */
pt_test_response_t *pt_test_request_opts(pt_test_client_t *c, const char *method, const char *target,
                                         const pt_test_request_opts_t *opts);
#define pt_test_request(c, method, target, ...) \
    pt_test_request_opts((c), (method), (target), &(const pt_test_request_opts_t){ __VA_ARGS__ })

/* First header with this name (case-insensitive), or NULL. */
const char *pt_test_header(const pt_test_response_t *r, const char *name);
void        pt_test_response_free(pt_test_response_t *r);

#ifdef __cplusplus
}
#endif

#endif
