/* ponty/openapi.h — an OpenAPI 3.1 document describing the routes.
 *
 * Generated from the route tables: every route's method and path (with its
 * table's prefix), its declared fields (ponty/fields.h) as parameters —
 * route, query, header and cookie, with their types, defaults, allowed
 * values and patterns — and its body (the JSON Schema of PT_BODY_SCHEMA,
 * the schema generated for PT_BODY_STRUCT, any JSON for PT_BODY_JSON,
 * text for PT_BODY_TEXT). A route's .summary becomes the operation's
 * summary. Responses: the envelope {"now", "data", "elapsed"} for 200, a
 * text 400 for routes with declared fields, 415 for routes with .mimetype.
 *
 * Served by pt_run at .openapi_path (e.g. "/openapi.json"), generated once
 * at start-up; or printed by a program's own switch:
 *
 *     int main(int argc, char **argv)
 *     {
 *         if (argc > 1 && strcmp(argv[1], "--openapi") == 0)
 *             return pt_openapi_print(stdout, .title = "notes");
 *         return pt_run(.port = 8080, .openapi_path = "/openapi.json");
 *     }
 */
#ifndef PONTY_OPENAPI_H
#define PONTY_OPENAPI_H

#include <stdio.h>
#include <jansson.h>

#include "ponty/route.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct pt_openapi_opts {
    const char               *title;         /* info.title; default "ponty service" */
    const char               *version;       /* info.version; default "0.1.0" */
    pt_route_table_t *const  *route_tables;  /* besides the default table, as for pt_run */
} pt_openapi_opts_t;

/* The document (a new reference), or NULL with a message on stderr when a
 * route's schema file cannot be read. */
json_t *pt_openapi_opts(const pt_openapi_opts_t *opts);
#define pt_openapi(...) pt_openapi_opts(&(const pt_openapi_opts_t){ __VA_ARGS__ })

/* Writes the document, indented, to f. Returns 0, or 1 when it cannot be
 * generated (a return value for main). */
int pt_openapi_print_opts(FILE *f, const pt_openapi_opts_t *opts);
#define pt_openapi_print(f, ...) pt_openapi_print_opts((f), &(const pt_openapi_opts_t){ __VA_ARGS__ })

#ifdef __cplusplus
}
#endif

#endif
