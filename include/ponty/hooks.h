/* ponty/hooks.h — code around every handler: hooks before it, after it and
 * on errors; the request id and the client's address; the JSON error format
 * and CORS, both written as hooks.
 *
 *     static void need_token(pt_req_t *req, void *arg)
 *     {
 *         const char *auth = pt_req_header(req, "Authorization");
 *         if (!auth || strcmp(auth, "Bearer s3cret") != 0)
 *             pt_raise_status(401, .headers = (const char *const[]){ "WWW-Authenticate", "Bearer", NULL });
 *     }
 *
 *     int main(void)
 *     {
 *         pt_hooks_add(pt_route_table_named("admin"), &(pt_hooks_t){ .before = need_token });
 *         pt_hooks_add(NULL, &pt_hooks_json_errors);   // every error answer as JSON
 *         pt_hooks_add(NULL, pt_cors(.origins = "https://app.example"));
 *         return pt_run(.port = 8080, .route_tables = PT_ROUTE_TABLES(pt_route_table_named("admin")));
 *     }
 *
 * A hook set is added to one route table (its routes only) or, with NULL,
 * globally (every request, including those no route matches: 404, 405 and
 * a malformed path). Hooks run in the request's coroutine, so they may wait
 * (pt_sleep_ms, the HTTP client, locks), raise, and use pt_strf.
 *
 *   before    runs before the declared fields are extracted and before the
 *             handler: global sets first, then the table's, each in the
 *             order added. Answering (pt_reply, pt_reply_json, pt_raise)
 *             skips the remaining before hooks and the handler.
 *   on_error  runs once the answer is decided, when its status is 400 or
 *             more: the table's sets first, then the global ones. It may
 *             replace the answer (pt_reply_json, pt_reply) and read what
 *             failed: pt_resp_text, pt_req_error_origin.
 *   after     runs last, for every answer (table's, then global): it may add
 *             headers (pt_resp_header) and read pt_resp_get_status.
 *
 * A raise inside on_error or after replaces the answer and ends the hooks.
 * Hooks are added before pt_run (or in a provider's startup); the lists are
 * read without locks while the workers serve. A request no route matches
 * costs a coroutine only when global hooks exist; requests refused by the
 * connection layer before they are parsed (413, 414, 431, a malformed
 * request line) are answered there and run no hook. */
#ifndef PONTY_HOOKS_H
#define PONTY_HOOKS_H

#include <stddef.h>

#include "ponty/request.h"
#include "ponty/route.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct pt_hooks {
    void (*before)(pt_req_t *req, void *arg);
    void (*after)(pt_req_t *req, void *arg);
    void (*on_error)(pt_req_t *req, void *arg);
    void  *arg;
} pt_hooks_t;

/* Adds a set of hooks (copied) to table t, or globally when t is NULL.
 * Returns 0, or -1 with a message on stderr while pt_run serves or when
 * every member is NULL. */
int pt_hooks_add(pt_route_table_t *t, const pt_hooks_t *hooks);
/* Forgets every hook set (tests). Not while serving. */
void pt_hooks_clear(void);

/* The status the answer has now: the raise's or reply's, else the envelope
 * status (pt_resp_status, default 200). 0 in a before hook that runs before
 * anything was decided. */
int         pt_resp_get_status(const pt_req_t *r);
/* The answer's text body when it is text: a raise's .text, pt_reply's body,
 * or "<code>: <Reason>" for an error answered without one. NULL for the
 * envelope and JSON bodies. */
const char *pt_resp_text(const pt_req_t *r, size_t *len);

/* Where a declared field failed (ponty/fields.h): the field's key (query
 * key, header or cookie name, route placeholder or the body member), where
 * it was ("route", "query", "header", "cookie", "body") and, for a body
 * validated against a schema or struct, the JSON Pointer of the failing
 * value ("" for the whole body). All NULL when the answer did not come from
 * a field. */
typedef struct pt_error_origin {
    const char *field;
    const char *in;
    const char *path;
} pt_error_origin_t;
pt_error_origin_t pt_req_error_origin(const pt_req_t *r);

/* The opt-in JSON error format: an on_error hook that answers every error
 * whose body is text as
 *   {"error": {"status": 400, "message": "<the same text>",
 *              "field": "lang", "in": "query", "path": "/height"}}
 * (field/in/path only when known), with the same status and headers.
 * Errors whose body is already JSON are left alone. */
extern const pt_hooks_t pt_hooks_json_errors;

/* The request id: an incoming X-Request-Id of 1-128 characters from
 * [A-Za-z0-9._:+/=-] is kept, anything else is replaced by a generated one
 * (24 hex digits, unique per process run). Enabled by pt_run's .request_ids
 * (then echoed as an X-Request-Id response header on every answer a route
 * or hook gives); NULL when disabled. */
const char *pt_req_id(const pt_req_t *r);

/* The client's address ("203.0.113.7", "::1") and, when port is not NULL,
 * its port; NULL (port 0) when it cannot be had (the socket went away).
 * Computed on first call (one getpeername; once per connection while
 * pt_run's observation is on), kept in the request arena. */
const char *pt_req_peer(pt_req_t *r, int *port);

/* CORS, as an example of what hooks are for. Lists are comma-separated;
 * zero means the default shown. */
typedef struct pt_cors_opts {
    const char *origins;     /* allowed origins, or "*" (default "*") */
    const char *methods;     /* preflight answer (default "GET, POST, PUT, PATCH, DELETE, OPTIONS") */
    const char *headers;     /* allowed request headers (default: whatever the preflight asks for) */
    const char *expose;      /* Access-Control-Expose-Headers on actual requests (default none) */
    int         max_age;     /* preflight cache seconds (default 600) */
    int         credentials; /* 1: Access-Control-Allow-Credentials: true (the origin is echoed, never "*") */
} pt_cors_opts_t;

/* A hook set answering preflights (OPTIONS with Access-Control-Request-Method
 * from an allowed origin: 204 with the Allow-* headers) and adding
 * Access-Control-Allow-Origin (and Vary: Origin) to actual requests from
 * allowed origins. Requests from other origins get no CORS headers (the
 * browser then refuses them). The returned set lives for the process. */
const pt_hooks_t *pt_cors_opts(const pt_cors_opts_t *opts);
#define pt_cors(...) pt_cors_opts(&(const pt_cors_opts_t){ __VA_ARGS__ })

#ifdef __cplusplus
}
#endif

#endif
