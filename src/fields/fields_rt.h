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

/* What extraction reads from a request, given by src/http (request.c):
 * declared fields see the request only through these, never through
 * http's structs. Each gets the request back as its first argument. */
typedef struct pt__fields_req_ops {
    /* First header with this name (case-insensitive), or NULL. */
    const char *(*header)(const pt_req_t *r, const char *name);
    /* A route placeholder's value and its length (which counts any %00
     * inside), or NULL. */
    const char *(*param)(const pt_req_t *r, const char *name, size_t *len);
    /* First value of a query key: 1 found (*value, NUL-terminated, its
     * length in *len), 0 absent, -1 malformed escape. */
    int (*query)(const pt_req_t *r, const char *key, const char **value, size_t *len);
    /* A cookie's value (its length in *len), or NULL. */
    const char *(*cookie)(pt_req_t *r, const char *name, size_t *len);
    /* The body as UTF-8, decoded from its charset; raises 415/400 when it
     * cannot be. */
    const char *(*body_text)(pt_req_t *r, size_t *len);
    /* The body parsed as JSON once, a tree in the request arena; raises 400
     * (malformed, nested too deep) or 500. */
    const struct pt_jv *(*body_tree)(pt_req_t *r);
    /* The body as jansson values, built from the tree once and owned by the
     * request; raises like body_tree. */
    json_t *(*body_json)(pt_req_t *r);
} pt__fields_req_ops_t;

typedef struct pt__fields_req {
    const pt__fields_req_ops_t *ops;
    pt_req_t   *req;        /* handed to ops; the value of a PT_SRC_RAW field */
    pt_arena_t *arena;      /* the request's: the input struct, casts, messages */
    /* Where extraction writes, in the request, what outlives a raise: the
     * input struct (pt_req_input), the field being extracted and, for a
     * body, the JSON Pointer of the failing value (pt_req_error_origin). */
    void                     **input;
    const struct pt_reqfield **err_field;
    const char               **err_path;
} pt__fields_req_t;

/* Fills the request's input struct (*r->input); raises the first failure's
 * status. */
void pt__fields_extract(pt__fields_req_t *r, const pt__route_rt_t *rt);

/* The schema search path pt_fields_schema_path set (for the OpenAPI
 * generator, src/http/openapi.c). */
const char *const *pt__fields_schema_dirs(void);

#endif
