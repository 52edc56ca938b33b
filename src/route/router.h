/* Internal: the route matcher. Built once at start-up from the route tables,
 * then read-only and shared by every worker thread. */
#ifndef PT_ROUTER_H
#define PT_ROUTER_H

#include <stddef.h>
#include <stdbool.h>

#define PT_ROUTE_MAX_PARAMS 16

typedef struct pt__router pt__router_t;

/* One captured placeholder: points into the path passed to pt__router_match. */
typedef struct pt__route_capture {
    const char *name;        /* placeholder name, owned by the router */
    const char *value;       /* start of the value inside the matched path */
    size_t      len;
} pt__route_capture_t;

typedef struct pt__route_match {
    int         status;      /* 200 matched, 404 no path, 405 path but not method */
    void       *data;        /* the value given to pt__router_add, when status is 200 */
    const char *allow;       /* 405: "GET, HEAD, POST" (registration order, HEAD after GET), owned by the router */
    unsigned    ncaptures;
    pt__route_capture_t captures[PT_ROUTE_MAX_PARAMS];
} pt__route_match_t;

pt__router_t *pt__router_new(void);
void         pt__router_free(pt__router_t *r);

/* Path syntax and matching rules (router.c, route_pattern.c):
 *  - Paths are matched per '/'-separated segment. A segment is static text,
 *    "{name}" (\w+), "{name:regex}" (PCRE2, UTF + UCP, anchored to the whole
 *    placeholder) or a mix ("/files/{name}.json"). Regex text may hold
 *    balanced braces ("{id:[a-zA-Z]{5}}").
 *  - A placeholder's value never holds '/', except in a regex in the last
 *    segment, which is matched against the rest of the path so that
 *    "/static/{path:.*}" works.
 *  - Trailing slash is significant: "/a" and "/a/" are different routes.
 *  - At each segment the static child is tried first, then the placeholders
 *    in registration order, backtracking when nothing deeper matches.
 *  - At a path's end the exact method wins, then GET for HEAD, then "*".
 *    If the path matches but not the method, the search goes on through the
 *    remaining branches; if none has the method the answer is 405 with the
 *    Allow list of the first node whose path matched.
 *  - "{x}", "{x:\w+}" are the same pattern; so are "{x:\d+}", "{x:[0-9]+}".
 *
 * Adds a route. method is an upper-case token ("GET", ...) or "*" for any
 * method. Returns 0, or -1 with a message in err that names the route
 * ("GET /a/{x:(}: bad regex ... at offset 1", "GET /a/{x}: duplicate route",
 * "GET /a/{x}/{x}: placeholder 'x' used twice", ...). */
int pt__router_add(pt__router_t *r, const char *method, const char *path, void *data,
                  char *err, size_t errlen);

/* Matches a decoded path (no query string). Thread-safe once building is done.
 * HEAD falls back to the GET route; "*" routes match any method after the
 * exact-method route. */
void pt__router_match(const pt__router_t *r, const char *method, size_t mlen,
                     const char *path, size_t plen, pt__route_match_t *m);

/* Optional, for worker threads: creates the calling thread's PCRE2 match
 * state (match data sized for r's largest regex, JIT stack) now, so that no
 * pt__router_match on this thread ever allocates. Without it the first regex
 * match on a thread does that allocation. Returns 0, or -1 if out of memory. */
int  pt__router_thread_prepare(const pt__router_t *r);
/* Frees the calling thread's match state now. It is freed automatically when
 * a thread exits; call this on the main thread or before dlclose. */
void pt__router_thread_release(void);

#endif
