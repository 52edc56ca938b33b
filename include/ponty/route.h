/* ponty/route.h — routes: the decorator analog.
 *
 * A handler takes the request and returns the JSON value to send inside the
 * envelope {"now": ..., "data": <value>, "elapsed": ...} (the reference is
 * stolen). Returning NULL without having answered (pt_reply, pt_raise) is a
 * failure: the client gets 500 "500: Internal Server Error".
 *
 * File-scope registration, run at load time, into the default route table:
 *
 *     PT_GET("/hello", hello) {
 *         return json_pack("{s:s}", "greeting", "hello world");
 *     }
 *
 * Paths: static text, {name} (matches \w+), {name:regex} (PCRE2, anchored to
 * the placeholder). A placeholder never spans a '/' unless its regex does.
 * Compile a file with -DPT_ROUTE_TABLE='"name"' to register its routes in the
 * named table pt_route_table_named("name") instead (the showcase does this to
 * mount each example under its own prefix). */
#ifndef PONTY_ROUTE_H
#define PONTY_ROUTE_H

#include <stdbool.h>
#include <stddef.h>
#include <jansson.h>

#include "ponty/request.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef json_t *(*pt_handler_fn)(pt_req_t *req);

typedef struct pt_route_def {
    const char   *method;   /* "GET", "POST", ... or "*" for any method */
    const char   *path;
    pt_handler_fn handler;
    const char   *name;     /* the handler's name, for messages */
    const struct pt_expect *expect; /* declared request fields (ponty/fields.h) */
    const char   *mimetype; /* expected media type: 415 when the request's differs */
    const char   *summary;  /* one line for the OpenAPI document (ponty/openapi.h); kept as given */
} pt_route_def_t;

typedef struct pt_route_table pt_route_table_t;

/* The table the registration macros fill by default. */
pt_route_table_t *pt_route_table_default(void);
/* A process-wide table by name, created on first use. */
pt_route_table_t *pt_route_table_named(const char *name);
/* A table you own: free it after pt_run returns. */
pt_route_table_t *pt_route_table_new(void);
void              pt_route_table_free(pt_route_table_t *t);
/* Every path of t is served under prefix ("/v1"). Returns t. */
pt_route_table_t *pt_route_table_prefix(pt_route_table_t *t, const char *prefix);

/* Adds a route; def is copied. Bad patterns are reported by pt_run at
 * start-up; the router is built then, so routes added to a table while
 * pt_run serves are not served until the next pt_run. */
void   pt_route_add(pt_route_table_t *t, const pt_route_def_t *def);
size_t pt_route_count(const pt_route_table_t *t);

/* route_iter: (method, path) pairs of a table in registration order, paths
 * with the table's prefix. NULL iterates the default table. */
typedef struct pt_route_iter {
    const pt_route_table_t *table;
    size_t                  i;
} pt_route_iter_t;

pt_route_iter_t pt_route_iter(const pt_route_table_t *t);
bool            pt_route_next(pt_route_iter_t *it, const char **method, const char **path);

#define PT__CAT2(a, b) a##b
#define PT__CAT(a, b) PT__CAT2(a, b)

/* The address of a constant T built from designated initialisers, valid
 * until the end of the full expression: a compound literal in C; in C++
 * (which has none) a temporary bound to a const reference. C++20 requires
 * the designators in declaration order. */
#ifndef PT__LIT
#ifdef __cplusplus
#define PT__LIT(T, ...) (&static_cast<const T &>(T{ __VA_ARGS__ }))
#else
#define PT__LIT(T, ...) (&(const T){ __VA_ARGS__ })
#endif
#endif

#ifdef PT_ROUTE_TABLE
#define PT__CURRENT_TABLE() pt_route_table_named(PT_ROUTE_TABLE)
#else
#define PT__CURRENT_TABLE() pt_route_table_default()
#endif

/* PT_ROUTE(method, path, fn, .expect = ...) registers the body that follows
 * as the handler named fn (in messages, metrics, OpenAPI). The C function
 * is pt__handler_<fn>, so a name such as `index` cannot collide with libc. */
/* `req` is marked unused: many handlers never look at it. */
#define PT_ROUTE(method_, path_, fn, ...)                                          \
    static json_t *PT__CAT(pt__handler_, fn)(pt_req_t *req __attribute__((unused))); \
    __attribute__((constructor)) static void PT__CAT(pt__register_, fn)(void)      \
    {                                                                              \
        pt_route_add(PT__CURRENT_TABLE(), PT__LIT(pt_route_def_t,                  \
            .method = (method_), .path = (path_), .handler = PT__CAT(pt__handler_, fn), \
            .name = #fn, __VA_ARGS__));                                            \
    }                                                                              \
    static json_t *PT__CAT(pt__handler_, fn)(pt_req_t *req __attribute__((unused)))

#define PT_GET(path, fn, ...)    PT_ROUTE("GET", path, fn, __VA_ARGS__)
#define PT_POST(path, fn, ...)   PT_ROUTE("POST", path, fn, __VA_ARGS__)
#define PT_PUT(path, fn, ...)    PT_ROUTE("PUT", path, fn, __VA_ARGS__)
#define PT_DELETE(path, fn, ...) PT_ROUTE("DELETE", path, fn, __VA_ARGS__)
#define PT_PATCH(path, fn, ...)  PT_ROUTE("PATCH", path, fn, __VA_ARGS__)
#define PT_ANY(path, fn, ...)    PT_ROUTE("*", path, fn, __VA_ARGS__)

#ifdef __cplusplus
}
#endif

#endif
