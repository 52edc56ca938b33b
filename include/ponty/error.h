/* ponty/error.h — answering with an HTTP error from anywhere in a handler.
 *
 * pt_raise_status(status, ...) and pt_raise(kind, ...) never return: they
 * unwind the request's coroutine to its entry, and the framework writes the
 * response. The request arena and the cleanups registered for the request
 * (pt_req_defer) are released on that path too; anything else the abandoned
 * frames owned must be registered as a cleanup first.
 *
 * The response body is, as in the Python seed:
 *   .text    → that text, Content-Type: text/plain; charset=utf-8
 *   .body    → the JSON value (the reference is stolen), application/json; charset=utf-8
 *   neither  → "<code>: <Reason>", e.g. "404: Not Found", as text/plain
 * .content_type overrides the media type (with .text or neither, a type
 * without a charset parameter gets "; charset=utf-8"); .headers adds response headers as
 * a NULL-terminated list of name, value pairs. Giving both .text and .body is
 * a programming error: it is logged with the route and answered with 500.
 *
 *   pt_raise_status(400, .body = json_pack("{s:i}", "a", 1));
 *   pt_raise(PT_DOES_NOT_EXIST, .text = pt_strf("no user %d", id));
 *
 * Outside a request (a plain thread, a provider) raising is a programming
 * error: it prints the status and text and aborts. Library functions that can
 * fail outside requests (caches, locks) return error codes instead and offer
 * a raising variant for handlers. */
#ifndef PONTY_ERROR_H
#define PONTY_ERROR_H

#include <stdbool.h>
#include <jansson.h>

#ifdef __cplusplus
extern "C" {
#endif

/* An error kind maps to a status and may refine another kind. Users define
 * their own as `const pt_error_kind_t my_kind = { "MyLocked", 409, PT_LOCKED };` */
typedef struct pt_error_kind {
    const char                 *name;
    int                         status;
    const struct pt_error_kind *base;
} pt_error_kind_t;

extern const pt_error_kind_t pt_error_generic;        /* PontyError, 500 */
extern const pt_error_kind_t pt_error_does_not_exist; /* DoesNotExist, 404 */
extern const pt_error_kind_t pt_error_validation;     /* ValidationError, 400 */
extern const pt_error_kind_t pt_error_locked;         /* Locked, 409 */
extern const pt_error_kind_t pt_error_stampede;       /* Stampede, 409, a kind of Locked */

#define PT_ERROR          (&pt_error_generic)
#define PT_DOES_NOT_EXIST (&pt_error_does_not_exist)
#define PT_VALIDATION     (&pt_error_validation)
#define PT_LOCKED         (&pt_error_locked)
#define PT_STAMPEDE       (&pt_error_stampede)

/* True if kind is base or derives from it. */
bool pt_error_kind_is(const pt_error_kind_t *kind, const pt_error_kind_t *base);

typedef struct pt_raise_opts {
    const char        *text;
    json_t            *body;          /* stolen */
    const char        *content_type;
    const char *const *headers;       /* { "Name", "value", ..., NULL } */
} pt_raise_opts_t;

/* C11's _Noreturn is not C++: C++ spells it [[noreturn]]. */
#ifdef __cplusplus
#define PT_NORETURN [[noreturn]]
#else
#define PT_NORETURN _Noreturn
#endif

PT_NORETURN void pt_raise_status_opts(int status, const pt_raise_opts_t *opts);
PT_NORETURN void pt_raise_kind_opts(const pt_error_kind_t *kind, const pt_raise_opts_t *opts);

#ifdef __cplusplus
#define PT__RAISE_OPTS(...) (&static_cast<const pt_raise_opts_t &>(pt_raise_opts_t{ __VA_ARGS__ }))
#else
#define PT__RAISE_OPTS(...) (&(const pt_raise_opts_t){ __VA_ARGS__ })
#endif
#define pt_raise_status(status, ...) pt_raise_status_opts((status), PT__RAISE_OPTS(__VA_ARGS__))
#define pt_raise(kind, ...) pt_raise_kind_opts((kind), PT__RAISE_OPTS(__VA_ARGS__))

/* The standard reason phrase ("Not Found"), or "Unknown" for unregistered codes. */
const char *pt_status_reason(int status);

#ifdef __cplusplus
}
#endif

#endif
