/* Internal: parsed documents (pt_jv_t trees, parse.c) and the accessors the
 * validator and struct binding read them with. */
#ifndef PT_JSON_JDOC_H
#define PT_JSON_JDOC_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "ponty/jsonschema.h"

/* Chunked bump allocation for one document. Chunks come from malloc (and
 * are freed with the document) or from the caller's allocator. */
typedef struct jchunk {
    struct jchunk *next;
    size_t cap;
    _Alignas(16) unsigned char data[];
} jchunk_t;

typedef struct jalloc {
    unsigned char *p, *end;
    jchunk_t *chunks;            /* malloc'd ones only */
    size_t next_size;
    void *(*alloc)(void *ctx, size_t n);
    void *ctx;
} jalloc_t;

struct pt_jdoc {
    pt_jv_t root;
    jalloc_t mem;
    bool owned; /* the record itself is malloc'd */
};

void *pt__jalloc_slow(jalloc_t *a, size_t n);
static inline void *jalloc(jalloc_t *a, size_t n)
{
    n = (n + 7) & ~(size_t)7;
    if ((size_t)(a->end - a->p) >= n) {
        void *r = a->p;
        a->p += n;
        return r;
    }
    return pt__jalloc_slow(a, n);
}
void pt__jalloc_free(jalloc_t *a);

/* Where and why a parse failed: reason is a static string in Python's
 * wording ("Expecting value"), pos a byte offset, line and col 1-based;
 * too_deep set when the nesting limit stopped it; oom when memory did. */
typedef struct jperr {
    const char *reason;
    size_t pos, line, col;
    bool too_deep, oom;
} jperr_t;

/* Parses into a (the chunks stay in a). 0, or -1 with *pe filled. */
int pt__jparse(jalloc_t *a, const char *s, size_t n, int max_depth, pt_jv_t *out, jperr_t *pe);

/* The document-tree copy of a jansson value, allocated from a. NULL only
 * on out of memory. */
bool pt__jv_from_json(jalloc_t *a, const json_t *j, pt_jv_t *out);

/* pt_jv_to_json that reports every big integer it turns into a real:
 * on_big(ctx, the new real, the integer); and a real beyond double's range
 * (which json_t cannot hold: the conversion fails) as on_big(ctx, NULL, it). */
json_t *pt__jv_to_json_cb(const pt_jv_t *v, void (*on_big)(void *ctx, const json_t *real, const pt_jv_t *big),
                          void *ctx);

/* Per-thread scratch document for the json_t entry points: reset on each
 * use, so converting costs no malloc once warm. */
jalloc_t *pt__tls_jalloc(void);
void pt__jalloc_reset(jalloc_t *a);

/* ------------------------------------------------------------ accessors */

static inline bool jv_is_object(const pt_jv_t *v) { return v->type == PT_JV_OBJECT; }
static inline bool jv_is_array(const pt_jv_t *v) { return v->type == PT_JV_ARRAY; }
static inline bool jv_is_string(const pt_jv_t *v) { return v->type == PT_JV_STRING; }
static inline bool jv_is_int(const pt_jv_t *v) { return v->type == PT_JV_INT || v->type == PT_JV_BIGINT; }
static inline bool jv_is_number(const pt_jv_t *v)
{
    return v->type == PT_JV_INT || v->type == PT_JV_BIGINT || v->type == PT_JV_REAL;
}
static inline bool jv_is_null(const pt_jv_t *v) { return v->type == PT_JV_NULL; }
static inline bool jv_is_bool(const pt_jv_t *v) { return v->type == PT_JV_TRUE || v->type == PT_JV_FALSE; }
static inline size_t jv_size(const pt_jv_t *v) { return v->len; }
static inline const pt_jv_t *jv_item(const pt_jv_t *v, size_t i) { return &v->u.items[i]; }
/* The value of a big integer as the nearest double (±inf past its range). */
double pt__jv_big_double(const pt_jv_t *v);
static inline double jv_number(const pt_jv_t *v)
{
    return v->type == PT_JV_INT ? (double)v->u.i : v->type == PT_JV_REAL ? v->u.d : pt__jv_big_double(v);
}
/* Member named key, or NULL (a linear scan: members are few, or looked up
 * through a compiled plan). */
static inline const pt_jv_t *jv_get(const pt_jv_t *o, const char *key, size_t len)
{
    for (size_t i = 0; i < o->len; i++)
        if (o->u.members[i].klen == len && memcmp(o->u.members[i].key, key, len) == 0)
            return &o->u.members[i].v;
    return NULL;
}

#endif
