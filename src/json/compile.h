/* Internals shared by the schema compiler's files: compile.c (nodes,
 * public entry points), compile_keywords.c (one function per keyword, see
 * keywords.h), resolve.c (documents, "$id" index, references) and plan.c
 * (validation fast paths). */
#ifndef PT_JSON_COMPILE_INTERNAL_H
#define PT_JSON_COMPILE_INTERNAL_H

#include "schema.h"

/* Nesting of subschemas inside one document; deeper is rejected rather than
 * risking the stack. */
#define MAX_SCHEMA_NESTING 256

/* ---------------------------------------------------------- pointer map */

typedef struct pmap {
    const void **keys;
    void **vals;
    size_t cap, n;
} pmap_t;

bool pt__pmap_put(pmap_t *m, const void *k, void *v);
void *pt__pmap_get(const pmap_t *m, const void *k);
void pt__pmap_free(pmap_t *m);

/* --------------------------------------------------------------- context */

typedef struct id_entry {
    char *uri;          /* absolute, without an empty fragment */
    const json_t *node;
} id_entry_t;

typedef struct cctx {
    pt_schema_t *s;
    pt_schema_error_t *err;
    bool failed;
    id_entry_t *ids;
    size_t nids, capids;
    pmap_t bases; /* subschema -> base URI (char *, owned by the pool) */
    pmap_t nodes; /* subschema -> sch_t * */
    int depth;
} cctx_t;

/* Records the first compile error (later ones are ignored). */
void pt__cfail(cctx_t *c, const char *path, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
void pt__cfail_oom(cctx_t *c);
/* JSON Pointer of path plus one token (escaped) or index. Malloc'd. */
char *pt__path_join(const char *path, const char *tok);
char *pt__path_idx(const char *path, size_t i);

/* resolve.c */
bool pt__add_id(cctx_t *c, const char *uri, const json_t *node);
bool pt__add_doc(cctx_t *c, json_t *doc);
void pt__index_doc(cctx_t *c, const char *uri, const json_t *doc);
sch_t *pt__compile_ref(cctx_t *c, const char *base, const char *ref, const char *path);

/* compile.c */
sch_t *pt__compile_node(cctx_t *c, const json_t *s, const char *base, const char *path);

/* plan.c */
void pt__mark_simple(cctx_t *c);
/* Static error locations for the flat root's plan (pt_schema_check). */
void pt__locate_root_plan(cctx_t *c);
void pt__build_plans(cctx_t *c);

#endif
