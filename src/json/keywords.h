/* Internal: the keyword table, shared by the compiler and the validator.
 *
 * Every draft-07 keyword ponty knows is one row of pt__kw_defs (keywords.c),
 * indexed by its kw_kind_t: the name it is spelled with, the function that
 * compiles its value (compile_keywords.c) and the function that applies it
 * to a value (validate_keywords.c; NULL for keywords that apply only
 * through another one, such as "then"). The compiler looks a name up once
 * per schema member; the validator indexes the table by the compiled kind,
 * so validation does no name lookup. */
#ifndef PT_JSON_KEYWORDS_H
#define PT_JSON_KEYWORDS_H

#include "compile.h"
#include "validate.h"

/* Where a keyword sits, for its compiler. */
typedef struct kw_site {
    const json_t *node; /* the schema object holding it (siblings) */
    const json_t *v;    /* its value */
    const char *base;   /* base URI in effect */
    const char *path;   /* JSON Pointer of the node */
    const char *kpath;  /* JSON Pointer of the keyword */
} kw_site_t;

/* Fills k from its value; false on an error reported with pt__cfail. */
typedef bool kw_compile_fn(cctx_t *c, kw_t *k, const kw_site_t *at);
/* Whether x passes k, a keyword of node n; ip is x's instance path, sp the
 * node's schema path. Reports failures as c->mode asks. */
typedef bool kw_validate_fn(vctx_t *c, const sch_t *n, const kw_t *k, const pt_jv_t *x, const seg_t *ip,
                            const seg_t *sp);

typedef struct kw_def {
    const char *name;
    kw_compile_fn *compile;
    kw_validate_fn *validate;
} kw_def_t;

extern const kw_def_t pt__kw_defs[KW_COUNT];

/* The row spelled name (the first, for "items"), or NULL for a keyword
 * draft 07 does not define (ignored, as the specification asks). */
const kw_def_t *pt__kw_lookup(const char *name);

static inline bool kw_validate(vctx_t *c, const sch_t *n, const kw_t *k, const pt_jv_t *x, const seg_t *ip,
                               const seg_t *sp)
{
    return pt__kw_defs[k->kind].validate(c, n, k, x, ip, sp);
}

/* compile_keywords.c */
kw_compile_fn pt__kw_compile_ref;
kw_compile_fn pt__kw_compile_type;
kw_compile_fn pt__kw_compile_enum;
kw_compile_fn pt__kw_compile_const;
kw_compile_fn pt__kw_compile_multiple_of;
kw_compile_fn pt__kw_compile_bound;
kw_compile_fn pt__kw_compile_count;
kw_compile_fn pt__kw_compile_pattern;
kw_compile_fn pt__kw_compile_format;
kw_compile_fn pt__kw_compile_items;
kw_compile_fn pt__kw_compile_additional_items;
kw_compile_fn pt__kw_compile_unique_items;
kw_compile_fn pt__kw_compile_subschema;
kw_compile_fn pt__kw_compile_required;
kw_compile_fn pt__kw_compile_properties;
kw_compile_fn pt__kw_compile_pattern_properties;
kw_compile_fn pt__kw_compile_dependencies;
kw_compile_fn pt__kw_compile_if;
kw_compile_fn pt__kw_compile_schema_list;
kw_compile_fn pt__kw_compile_then_else;
kw_compile_fn pt__kw_compile_definitions;
kw_compile_fn pt__kw_compile_string;

/* validate_keywords.c */
kw_validate_fn pt__kw_validate_ref;
kw_validate_fn pt__kw_validate_type;
kw_validate_fn pt__kw_validate_enum;
kw_validate_fn pt__kw_validate_const;
kw_validate_fn pt__kw_validate_multiple_of;
kw_validate_fn pt__kw_validate_maximum;
kw_validate_fn pt__kw_validate_excl_maximum;
kw_validate_fn pt__kw_validate_minimum;
kw_validate_fn pt__kw_validate_excl_minimum;
kw_validate_fn pt__kw_validate_max_length;
kw_validate_fn pt__kw_validate_min_length;
kw_validate_fn pt__kw_validate_pattern;
kw_validate_fn pt__kw_validate_format;
kw_validate_fn pt__kw_validate_items;
kw_validate_fn pt__kw_validate_items_tuple;
kw_validate_fn pt__kw_validate_additional_items;
kw_validate_fn pt__kw_validate_max_items;
kw_validate_fn pt__kw_validate_min_items;
kw_validate_fn pt__kw_validate_unique_items;
kw_validate_fn pt__kw_validate_contains;
kw_validate_fn pt__kw_validate_max_properties;
kw_validate_fn pt__kw_validate_min_properties;
kw_validate_fn pt__kw_validate_required;
kw_validate_fn pt__kw_validate_properties;
kw_validate_fn pt__kw_validate_pattern_properties;
kw_validate_fn pt__kw_validate_additional_properties;
kw_validate_fn pt__kw_validate_dependencies;
kw_validate_fn pt__kw_validate_property_names;
kw_validate_fn pt__kw_validate_if;
kw_validate_fn pt__kw_validate_all_of;
kw_validate_fn pt__kw_validate_any_of;
kw_validate_fn pt__kw_validate_one_of;
kw_validate_fn pt__kw_validate_not;

#endif
