/* Internals shared by the validator's files:
 *
 *   validate.c           entry points, the node walker (v_node), depth limits
 *   validate_keywords.c  one function per keyword (keywords.h), Python's wording
 *   validate_values.c    value comparisons the keywords need (numbers,
 *                        uniqueness, regex search)
 *   validate_plan.c      the one-pass object plans at validation time, and the
 *                        flat root's statically located errors
 *   validate_errors.c    error records: paths, pt_schema_check's located
 *                        failure, the lazy pt_schema_fail_t
 */
#ifndef PT_JSON_VALIDATE_INTERNAL_H
#define PT_JSON_VALIDATE_INTERNAL_H


#include <math.h>

#include "schema_internal.h"

/* M_LOC is M_FIRST that records where the first error is (keyword and
 * paths) without wording it: pt_schema_check. */
enum { M_BOOL, M_FIRST, M_ALL, M_LOC };

typedef struct seg {
    const struct seg *up;
    const char *key; /* NULL: index segment */
    size_t idx;
} seg_t;

typedef struct vctx {
    const pt_schema_t *s;
    int mode;
    int depth;            /* levels of the instance entered */
    int same;             /* schemas applied in a chain to the current value */
    const json_t *cur;    /* the value being validated */
    bool too_deep, oom;
    pt_schema_error_t *first;
    pt_schema_errors_t *all;
    pt_schema_fail_t *fail; /* M_LOC */
} vctx_t;

/* ---------------------------------------------------------------- walker */

/* validate.c */
bool pt__v_node(vctx_t *c, const sch_t *n, const json_t *x, const seg_t *ip, const seg_t *sp);

/* validate_errors.c */
void pt__v_locate(vctx_t *c, const char *kw, const seg_t *ip, const seg_t *sp);
void pt__v_emit(vctx_t *c, const char *kw, const seg_t *ip, const seg_t *sp, sbuf_t *msg);

/* validate_values.c */
int pt__num_cmp(const json_t *a, const json_t *b);
bool pt__multiple_of(const json_t *x, const json_t *d);
bool pt__v_unique(vctx_t *c, const json_t *arr);

/* validate_plan.c */
uint64_t pt__plan_gather(const objplan_t *p, const json_t *x, const json_t **vals);
bool pt__run_plan(vctx_t *c, const objplan_t *p, const json_t *x);
bool pt__flat_tail(const objplan_t *p, const json_t *x, void *it, uint64_t seen);
int pt__flat_report(const objplan_t *p, int r, const plan_entry_t *bad, const json_t *badv, uint64_t seen,
                pt_schema_error_t *first);
bool pt__flat_locate(const pt_schema_t *s, const json_t *x, pt_schema_fail_t *f);

/* ------------------------------------------------------------ type tests */

static inline bool is_integral(const json_t *x)
{
    if (json_is_integer(x))
        return true;
    if (json_is_real(x)) {
        double d = json_real_value(x);
        return isfinite(d) && floor(d) == d;
    }
    return false;
}

/* Type bits each jansson type satisfies outright; a real also satisfies
 * "integer" when it is integral (1.0), checked separately. */
static const unsigned char type_bits[] = {
    [JSON_OBJECT] = T_OBJECT,   [JSON_ARRAY] = T_ARRAY,  [JSON_STRING] = T_STRING,
    [JSON_INTEGER] = T_INTEGER | T_NUMBER, [JSON_REAL] = T_NUMBER,
    [JSON_TRUE] = T_BOOLEAN,    [JSON_FALSE] = T_BOOLEAN, [JSON_NULL] = T_NULL,
};

static inline bool type_ok(unsigned bits, const json_t *x)
{
    json_type t = json_typeof(x);
    if (bits & type_bits[t])
        return true;
    return t == JSON_REAL && (bits & T_INTEGER) && is_integral(x);
}


/* ------------------------------------------------------------- flat walk */

/* The walk over flat objects lives here, inline, because the entry points
 * (validate.c) inline it: a valid flat document then costs no call. Its
 * out-of-line rest (flat_tail) is in validate_plan.c. */

/* Flat nodes (see sch_t.flat) on an object: one pass, a mask test per
 * member and no calls while members come in declaration order (the usual
 * case: clients serialise what the schema declares, in that order).
 * Written once over the member layout's offsets and instantiated with the
 * usual jansson layout as constants, and with the probed offsets. */
static inline __attribute__((always_inline)) bool flat_walk(const objplan_t *p, const json_t *x, ptrdiff_t onext,
                                                            ptrdiff_t okey, ptrdiff_t olen, ptrdiff_t oval,
                                                            ptrdiff_t ohead)
{
    const char *end = (const char *)x + ohead;
    const char *it;
    memcpy(&it, end + onext, sizeof it);
    const plan_entry_t *e = p->v;
    uint64_t seen = 0;
    while (it != end) {
        size_t len;
        const json_t *v;
        memcpy(&len, it + olen, sizeof len);
        if (__builtin_expect(!plan_key_eq(e, it + okey, len), 0)) /* the sentinel never matches */
            return pt__flat_tail(p, x, (void *)it, seen);
        memcpy(&v, it + oval, sizeof v);
        seen |= e->bit;
        if (__builtin_expect(!((e->jmask >> json_typeof(v)) & 1), 0) && !type_ok(e->tmask, v))
            return false;
        e++;
        memcpy(&it, it + onext, sizeof it);
    }
    return (seen & p->required) == p->required;
}

/* flat_walk for pt_schema_check on the usual layout: 0 valid; 1 the first
 * failing property (in declaration order) is *bad; 3 only "required"
 * fails; 2 not settled here (members out of order, a failing property
 * with "required" declared first...): locate otherwise. */
static inline __attribute__((always_inline)) int flat_find(const objplan_t *p, const json_t *x,
                                                           const plan_entry_t **bad, const json_t **badv,
                                                           uint64_t *seenp)
{
    const char *end = (const char *)x + OI_HEAD;
    const char *it;
    memcpy(&it, end + OI_NEXT, sizeof it);
    const plan_entry_t *e = p->v;
    uint64_t seen = 0;
    while (it != end) {
        size_t len;
        const json_t *v;
        memcpy(&len, it + OI_KEYLEN, sizeof len);
        if (__builtin_expect(!plan_key_eq(e, it + OI_KEY, len), 0)) /* the sentinel never matches */
            return pt__flat_tail(p, x, (void *)it, seen) ? 0 : 2;
        memcpy(&v, it + OI_VALUE, sizeof v);
        seen |= e->bit;
        if (__builtin_expect(!((e->jmask >> json_typeof(v)) & 1), 0) && !type_ok(e->tmask, v)) {
            *bad = e;
            *badv = v;
            return p->req_first ? 2 : 1;
        }
        e++;
        memcpy(&it, it + OI_NEXT, sizeof it);
    }
    *seenp = seen;
    return (seen & p->required) == p->required ? 0 : 3;
}

static inline bool flat_run_usual(const objplan_t *p, const json_t *x)
{
    return flat_walk(p, x, OI_NEXT, OI_KEY, OI_KEYLEN, OI_VALUE, OI_HEAD);
}

/* Needs the probed member layout (pt__objiter_layout.ok). */
static inline bool flat_run(const objplan_t *p, const json_t *x)
{
    if (objiter_layout_usual())
        return flat_run_usual(p, x);
    const objiter_layout_t *L = &pt__objiter_layout;
    return flat_walk(p, x, L->next, L->key, L->keylen, L->value, L->head);
}

#endif
