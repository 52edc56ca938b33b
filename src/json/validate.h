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

#include "jdoc.h"
#include "schema.h"

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
    const pt_jv_t *cur;   /* the value being validated */
    const char *stack_base; /* the entry point's frame, for max_stack */
    bool too_deep, oom, out_of_stack;
    pt_schema_error_t *first;
    pt_schema_errors_t *all;
    pt_schema_fail_t *fail; /* M_LOC */
} vctx_t;

/* ---------------------------------------------------------------- walker */

/* validate.c */
bool pt__v_node(vctx_t *c, const sch_t *n, const pt_jv_t *x, const seg_t *ip, const seg_t *sp);

/* validate_errors.c */
void pt__v_locate(vctx_t *c, const char *kw, const seg_t *ip, const seg_t *sp);
void pt__v_emit(vctx_t *c, const char *kw, const seg_t *ip, const seg_t *sp, sbuf_t *msg);

/* validate_values.c */
int pt__num_cmp(const pt_jv_t *a, const pt_jv_t *b);
bool pt__multiple_of(const pt_jv_t *x, const pt_jv_t *d);
bool pt__v_unique(vctx_t *c, const pt_jv_t *arr);

/* validate_plan.c */
uint64_t pt__plan_gather(const objplan_t *p, const pt_jv_t *x, const pt_jv_t **vals);
bool pt__run_plan(vctx_t *c, const objplan_t *p, const pt_jv_t *x);
bool pt__flat_tail(const objplan_t *p, const pt_jmember_t *m, const pt_jmember_t *end, uint64_t seen);
int pt__flat_report(const objplan_t *p, int r, const plan_entry_t *bad, const pt_jv_t *badv, uint64_t seen,
                pt_schema_error_t *first);
bool pt__flat_locate(const pt_schema_t *s, const pt_jv_t *x, const json_t *jx, pt_schema_fail_t *f);

/* ------------------------------------------------------------ type tests */

static inline bool is_integral(const pt_jv_t *x)
{
    if (x->type == PT_JV_INT || x->type == PT_JV_BIGINT)
        return true;
    if (x->type == PT_JV_REAL) {
        double d = x->u.d;
        return isfinite(d) && floor(d) == d;
    }
    return false;
}

/* Type bits each value type satisfies outright; a real also satisfies
 * "integer" when it is integral (1.0), checked separately. */
static const unsigned char type_bits[] = {
    [PT_JV_OBJECT] = T_OBJECT,   [PT_JV_ARRAY] = T_ARRAY,  [PT_JV_STRING] = T_STRING,
    [PT_JV_INT] = T_INTEGER | T_NUMBER, [PT_JV_BIGINT] = T_INTEGER | T_NUMBER, [PT_JV_REAL] = T_NUMBER,
    [PT_JV_TRUE] = T_BOOLEAN,    [PT_JV_FALSE] = T_BOOLEAN, [PT_JV_NULL] = T_NULL,
};

static inline bool type_ok(unsigned bits, const pt_jv_t *x)
{
    if (bits & type_bits[x->type])
        return true;
    return x->type == PT_JV_REAL && (bits & T_INTEGER) && is_integral(x);
}


/* ------------------------------------------------------------- flat walk */

/* The walk over flat objects lives here, inline, because the entry points
 * (validate.c) inline it: a valid flat document then costs no call. Its
 * out-of-line rest (flat_tail) is in validate_plan.c.
 *
 * Flat nodes (see sch_t.flat) on an object: one pass, a mask test per
 * member and no calls while members come in declaration order (the usual
 * case: clients serialise what the schema declares, in that order). */
static inline __attribute__((always_inline)) bool flat_run(const objplan_t *p, const pt_jv_t *x)
{
    const pt_jmember_t *m = x->u.members, *end = m + x->len;
    const plan_entry_t *e = p->v;
    uint64_t seen = 0;
    for (; m != end; m++) {
        if (__builtin_expect(!plan_key_eq(e, m->key, m->klen), 0)) /* the sentinel never matches */
            return pt__flat_tail(p, m, end, seen);
        seen |= e->bit;
        if (__builtin_expect(!((e->jmask >> m->v.type) & 1), 0) && !type_ok(e->tmask, &m->v))
            return false;
        e++;
    }
    return (seen & p->required) == p->required;
}

/* flat_run for pt_schema_check: 0 valid; 1 the first failing property (in
 * declaration order) is *bad; 3 only "required" fails; 2 not settled here
 * (members out of order, a failing property with "required" declared
 * first...): locate otherwise. */
static inline __attribute__((always_inline)) int flat_find(const objplan_t *p, const pt_jv_t *x,
                                                           const plan_entry_t **bad, const pt_jv_t **badv,
                                                           uint64_t *seenp)
{
    const pt_jmember_t *m = x->u.members, *end = m + x->len;
    const plan_entry_t *e = p->v;
    uint64_t seen = 0;
    for (; m != end; m++) {
        if (__builtin_expect(!plan_key_eq(e, m->key, m->klen), 0)) /* the sentinel never matches */
            return pt__flat_tail(p, m, end, seen) ? 0 : 2;
        seen |= e->bit;
        if (__builtin_expect(!((e->jmask >> m->v.type) & 1), 0) && !type_ok(e->tmask, &m->v)) {
            *bad = e;
            *badv = &m->v;
            return p->req_first ? 2 : 1;
        }
        e++;
    }
    *seenp = seen;
    return (seen & p->required) == p->required ? 0 : 3;
}

/* ----------------------------------------------- flat walk on json_t */

/* A json_t failing e's mask may still pass: a real that is integral (1.0)
 * satisfies "integer". */
static inline bool json_integral_ok(unsigned tmask, const json_t *v)
{
    if (!(tmask & T_INTEGER) || !json_is_real(v))
        return false;
    double d = json_real_value(v);
    return isfinite(d) && floor(d) == d;
}

/* The flat root's walk on a json_t object in place, through the member
 * layout objiter.c probed (offsets given; the usual ones are compile-time
 * constants, so the loop makes no call): 0 valid; 1 the first failing
 * property in declaration order is *bad; 3 only "required" fails; 2 not
 * settled here (members out of declaration order, or more members than
 * the schema names): convert and validate the tree. */
static inline __attribute__((always_inline)) int flat_walk_json(const objplan_t *p, const json_t *x,
                                                                ptrdiff_t onext, ptrdiff_t okey, ptrdiff_t olen,
                                                                ptrdiff_t oval, ptrdiff_t ohead,
                                                                const plan_entry_t **bad)
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
            return 2;
        memcpy(&v, it + oval, sizeof v);
        seen |= e->bit;
        if (__builtin_expect(!((e->jsmask >> json_typeof(v)) & 1), 0) && !json_integral_ok(e->tmask, v)) {
            *bad = e;
            return 1;
        }
        e++;
        memcpy(&it, it + onext, sizeof it);
    }
    return (seen & p->required) == p->required ? 0 : 3;
}

/* flat_walk_json on s's layout. Needs s->fast_json and an object x. */
static inline __attribute__((always_inline)) int flat_json(const pt_schema_t *s, const json_t *x,
                                                           const plan_entry_t **bad)
{
    if (__builtin_expect(s->fast_json == 1, 1))
        return flat_walk_json(s->fast_plan, x, OI_NEXT, OI_KEY, OI_KEYLEN, OI_VALUE, OI_HEAD, bad);
    const objiter_layout_t *L = &pt__objiter_layout;
    return flat_walk_json(s->fast_plan, x, L->next, L->key, L->keylen, L->value, L->head, bad);
}

#endif
