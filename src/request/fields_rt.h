/* Internal: a route prepared at start-up — its rendered path, compiled
 * schemas and cast defaults — and the extraction of declared fields. */
#ifndef PT_FIELDS_RT_H
#define PT_FIELDS_RT_H

#include <stddef.h>

#include "ponty/fields.h"
#include "ponty/route.h"

typedef struct pt__field_rt {
    pt_schema_t *schema;      /* body schema / struct fields */
    void        *dflt;        /* the default, already cast (size bytes) */
    bool         has_dflt;
} pt__field_rt_t;

typedef struct pt__route_rt {
    const pt_route_def_t *def;
    char                 *path;   /* with declared patterns filled in */
    pt__field_rt_t        *fields; /* parallel to def->expect->fields */
    pt_arena_t            arena;  /* defaults' strings */
    /* Set by pt_run: where the route came from, for hooks, metrics and
     * OpenAPI. */
    const pt_route_table_t *table;
    const char           *template_path; /* prefix + path as declared, in arena */
    unsigned              index;  /* position among the served routes */
} pt__route_rt_t;

/* Prepares rt for def served at full_path; -1 with a message naming the
 * route in err. pt__route_rt_free releases what init took, on both paths. */
int  pt__route_rt_init(pt__route_rt_t *rt, const pt_route_def_t *def, const char *full_path,
                      char *err, size_t errlen);
void pt__route_rt_free(pt__route_rt_t *rt);

/* The request coroutines' stack size, set before pt__route_rt_init: body
 * schemas are compiled to validate within it (pt_schema_opts_t.max_stack). */
void pt__fields_stack_size(size_t bytes);

/* def->path with {name} placeholders given their declared fields' patterns
 * ("/hello/{name}" → "/hello/{name:\\w+}"), as *rendered (malloc'd, set even
 * on failure); -1 with a message naming the route when placeholders and
 * route fields do not match one to one. */
int pt__fields_render_path(const pt_route_def_t *def, const char *path, char **rendered,
                          char *err, size_t errlen);

/* Fills the request's input struct; raises the first failure's status. */
void pt__fields_extract(pt_req_t *r, const pt__route_rt_t *rt);

/* Extractors, exposed for unit tests. */
/* A cookie's value (arena copy, its length in *len) or NULL. */
const char *pt__cookie_value(pt_req_t *r, const char *name, size_t *len);
bool        pt__media_type_is(const char *content_type, const char *want);
/* Converts the request body to UTF-8 from the charset its Content-Type
 * names (charset.c), once. 0, or a status (415 unknown charset, 400 bytes
 * invalid in it) with the message in *why. */
int         pt__req_body_decode(pt_req_t *r, const char **why);

#endif
