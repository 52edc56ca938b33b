/* Internal: the layout of a route table (public type is opaque). */
#ifndef PT_ROUTE_TABLE_H
#define PT_ROUTE_TABLE_H

#include <stddef.h>

#include "ponty/route.h"

typedef struct pt__route_entry {
    pt_route_def_t def;        /* strings owned by the table */
    char          *full_path;  /* prefix + path */
} pt__route_entry_t;

struct pt_route_table {
    pt__route_entry_t *routes;
    size_t            n, cap;
    char             *prefix;
};

/* def->path with {name} placeholders given their declared fields' patterns
 * ("/hello/{name}" → "/hello/{name:\\w+}"), as *rendered (malloc'd, set even
 * on failure); -1 with a message naming the route when placeholders and
 * route fields do not match one to one (render.c). */
int pt__route_render_path(const pt_route_def_t *def, const char *path, char **rendered,
                          char *err, size_t errlen);

/* A start-up error about a route: "METHOD /path: <fmt...>" into err.
 * Returns -1 (render.c; declared fields report through it too). */
int pt__route_fail(char *err, size_t errlen, const pt_route_def_t *def, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

#endif
