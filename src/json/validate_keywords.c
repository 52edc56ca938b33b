/* The validator's keywords: one function per keyword (pt__kw_defs in
 * keywords.c names them), with Python jsonschema's wording of each failure.
 * Messages are built only in the modes that word them (M_FIRST, M_ALL); in
 * M_BOOL a keyword returns at its first failure without building anything. */
#include <stdlib.h>
#include <string.h>

#include "keywords.h"

/* Python's is_valid: a branch check that never reports. */
static bool sub_valid(vctx_t *c, const sch_t *n, const pt_jv_t *x)
{
    int mode = c->mode;
    c->mode = M_BOOL;
    bool ok = pt__v_node(c, n, x, NULL, NULL);
    c->mode = mode;
    return ok;
}

static bool prop_is_additional(const kw_t *k, const char *key, size_t len)
{
    if (k->sib_props && pt__props_find(k->sib_props, key, len))
        return false;
    if (k->sib_pats)
        for (size_t i = 0; i < k->sib_pats->u.pats.n; i++)
            if (pt__re_search(k->sib_pats->u.pats.v[i].code, key, len))
                return false;
    return true;
}

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

static int cmp_json_sortable(const void *a, const void *b)
{
    const pt_jv_t *x = *(const pt_jv_t *const *)a, *y = *(const pt_jv_t *const *)b;
    if (jv_is_string(x)) {
        size_t n = x->len < y->len ? x->len : y->len;
        int r = memcmp(x->u.s, y->u.s, n);
        return r ? r : (x->len > y->len) - (x->len < y->len);
    }
    return pt__num_cmp(x, y);
}

/* Python's extras_msg over instance[from:], sorted as Python would when
 * the values are all numbers or all strings. */
static void extra_items_msg(sbuf_t *b, const pt_jv_t *arr, size_t from)
{
    size_t n = arr->len - from;
    const pt_jv_t **v = malloc(n * sizeof *v);
    if (!v) {
        b->oom = true;
        return;
    }
    bool all_num = true, all_str = true;
    for (size_t i = 0; i < n; i++) {
        v[i] = jv_item(arr, from + i);
        all_num &= jv_is_number(v[i]);
        all_str &= jv_is_string(v[i]);
    }
    if (all_num || all_str)
        qsort(v, n, sizeof *v, cmp_json_sortable);
    pt__sb_puts(b, "Additional items are not allowed (");
    for (size_t i = 0; i < n; i++) {
        if (i)
            pt__sb_puts(b, ", ");
        pt__sb_jrepr(b, v[i]);
    }
    pt__sb_puts(b, n == 1 ? " was unexpected)" : " were unexpected)");
    free(v);
}

/* ------------------------------------------------------------ reporting */

/* Whether failures are worded: M_FIRST and M_ALL build messages, M_BOOL
 * only answers and M_LOC only records where the failure is. */
static inline bool wording(const vctx_t *c) { return c->mode == M_FIRST || c->mode == M_ALL; }

/* Records a failure of keyword k on the value at ip; msg holds its wording
 * (left empty unless wording(c)) and is consumed. Returns whether the
 * keyword goes on looking for more failures: only M_ALL collects them all. */
static bool report(vctx_t *c, const kw_t *k, const seg_t *ip, const seg_t *sp, sbuf_t *msg)
{
    if (c->mode == M_LOC)
        pt__v_locate(c, k->name, ip, sp);
    else if (c->mode != M_BOOL)
        pt__v_emit(c, k->name, ip, sp, msg);
    return c->mode == M_ALL;
}

/* The usual failure, worded "<repr x><words>[<repr also>]". Returns false
 * (the keyword failed), for the caller to return. */
static bool fail_repr(vctx_t *c, const kw_t *k, const seg_t *ip, const seg_t *sp, const pt_jv_t *x, const char *words,
                      const json_t *also)
{
    sbuf_t b = {0};
    if (wording(c)) {
        pt__sb_jrepr(&b, x);
        pt__sb_puts(&b, words);
        if (also)
            pt__sb_repr(&b, also);
    }
    report(c, k, ip, sp, &b);
    return false;
}

/* Applies subschema sub to x. A failure clears *ok. Returns whether the
 * caller goes on: after a failure only M_ALL does, and never once the walk
 * is aborted (too deep, out of memory). */
static inline bool descend(vctx_t *c, const sch_t *sub, const pt_jv_t *x, const seg_t *ip, const seg_t *sp, bool *ok)
{
    if (pt__v_node(c, sub, x, ip, sp))
        return true;
    *ok = false;
    return c->mode == M_ALL && !c->too_deep && !c->oom;
}


/* Plans up to this size are gathered on the stack in error modes. */
#define GATHER_MAX 16

/* "properties" in error modes: declaration order, as Python reports. Kept
 * out of line so the gathered values only take stack space here. */
static __attribute__((noinline)) bool properties_in_order(vctx_t *c, const sch_t *n, const kw_t *k,
                                                           const pt_jv_t *x, const seg_t *ip, const seg_t *ks)
{
    bool ok = true;
    const pt_jv_t *vals[GATHER_MAX];
    bool gathered = n->plan && n->plan->n <= GATHER_MAX;
    if (gathered)
        pt__plan_gather(n->plan, x, vals);
    for (size_t i = 0; i < k->u.props.n; i++) {
        const prop_t *p = &k->u.props.v[i];
        const pt_jv_t *v = gathered ? vals[i] : jv_get(x, p->name, p->len);
        if (v && !(p->schema->simple && type_ok(p->schema->tmask, v))) { /* a simple pass reports nothing */
            seg_t is = {ip, p->name, 0}, ss = {ks, p->name, 0};
            if (!descend(c, p->schema, v, &is, &ss, &ok))
                return false;
        }
    }
    return ok;
}

/* ------------------------------------------------------------- keywords
 *
 * One function per keyword, each called through pt__kw_defs (keywords.c)
 * by the node walker: n is the node the keyword belongs to, x the value,
 * ip its instance path and sp the node's schema path (the keyword's own
 * path is sp plus k->name). Each returns whether x passes. */

bool pt__kw_validate_ref(vctx_t *c, const sch_t *n, const kw_t *k, const pt_jv_t *x, const seg_t *ip, const seg_t *sp)
{
    const seg_t ks = {sp, k->name, 0};
    return pt__v_node(c, k->u.sub, x, ip, &ks);
}

bool pt__kw_validate_type(vctx_t *c, const sch_t *n, const kw_t *k, const pt_jv_t *x, const seg_t *ip, const seg_t *sp)
{
    if (type_ok(k->u.types, x))
        return true;
    sbuf_t b = {0};
    if (wording(c)) {
        pt__sb_jrepr(&b, x);
        pt__sb_puts(&b, " is not of type ");
        if (json_is_string(k->value)) {
            pt__sb_repr(&b, k->value);
        } else {
            for (size_t i = 0; i < json_array_size(k->value); i++) {
                if (i)
                    pt__sb_puts(&b, ", ");
                pt__sb_repr(&b, json_array_get(k->value, i));
            }
        }
    }
    report(c, k, ip, sp, &b);
    return false;
}

bool pt__kw_validate_enum(vctx_t *c, const sch_t *n, const kw_t *k, const pt_jv_t *x, const seg_t *ip, const seg_t *sp)
{
    for (size_t i = 0, m = k->jval.len; i < m; i++)
        if (pt__js_equal(x, jv_item(&k->jval, i)))
            return true;
    return fail_repr(c, k, ip, sp, x, " is not one of ", k->value);
}

bool pt__kw_validate_const(vctx_t *c, const sch_t *n, const kw_t *k, const pt_jv_t *x, const seg_t *ip, const seg_t *sp)
{
    if (pt__js_equal(x, &k->jval))
        return true;
    return fail_repr(c, k, ip, sp, &k->jval, " was expected", NULL);
}

bool pt__kw_validate_multiple_of(vctx_t *c, const sch_t *n, const kw_t *k, const pt_jv_t *x, const seg_t *ip,
                                 const seg_t *sp)
{
    if (!jv_is_number(x) || pt__multiple_of(x, &k->jval))
        return true;
    return fail_repr(c, k, ip, sp, x, " is not a multiple of ", k->value);
}

bool pt__kw_validate_maximum(vctx_t *c, const sch_t *n, const kw_t *k, const pt_jv_t *x, const seg_t *ip,
                             const seg_t *sp)
{
    if (!jv_is_number(x) || pt__num_cmp(x, &k->jval) <= 0)
        return true;
    return fail_repr(c, k, ip, sp, x, " is greater than the maximum of ", k->value);
}

bool pt__kw_validate_excl_maximum(vctx_t *c, const sch_t *n, const kw_t *k, const pt_jv_t *x, const seg_t *ip,
                                  const seg_t *sp)
{
    if (!jv_is_number(x) || pt__num_cmp(x, &k->jval) < 0)
        return true;
    return fail_repr(c, k, ip, sp, x, " is greater than or equal to the maximum of ", k->value);
}

bool pt__kw_validate_minimum(vctx_t *c, const sch_t *n, const kw_t *k, const pt_jv_t *x, const seg_t *ip,
                             const seg_t *sp)
{
    if (!jv_is_number(x) || pt__num_cmp(x, &k->jval) >= 0)
        return true;
    return fail_repr(c, k, ip, sp, x, " is less than the minimum of ", k->value);
}

bool pt__kw_validate_excl_minimum(vctx_t *c, const sch_t *n, const kw_t *k, const pt_jv_t *x, const seg_t *ip,
                                  const seg_t *sp)
{
    if (!jv_is_number(x) || pt__num_cmp(x, &k->jval) > 0)
        return true;
    return fail_repr(c, k, ip, sp, x, " is less than or equal to the minimum of ", k->value);
}

/* Lengths count code points; the byte length bounds them from above, so
 * most strings are settled without counting. */
bool pt__kw_validate_max_length(vctx_t *c, const sch_t *n, const kw_t *k, const pt_jv_t *x, const seg_t *ip,
                                const seg_t *sp)
{
    if (!jv_is_string(x) || x->len <= k->u.limit ||
        pt__utf8_len(x->u.s, x->len) <= k->u.limit)
        return true;
    return fail_repr(c, k, ip, sp, x, " is too long", NULL);
}

bool pt__kw_validate_min_length(vctx_t *c, const sch_t *n, const kw_t *k, const pt_jv_t *x, const seg_t *ip,
                                const seg_t *sp)
{
    if (!jv_is_string(x) || (x->len >= k->u.limit &&
                               pt__utf8_len(x->u.s, x->len) >= k->u.limit))
        return true;
    return fail_repr(c, k, ip, sp, x, " is too short", NULL);
}

bool pt__kw_validate_pattern(vctx_t *c, const sch_t *n, const kw_t *k, const pt_jv_t *x, const seg_t *ip,
                             const seg_t *sp)
{
    if (!jv_is_string(x) || pt__re_search(k->u.re, x->u.s, x->len))
        return true;
    return fail_repr(c, k, ip, sp, x, " does not match ", k->value);
}

bool pt__kw_validate_format(vctx_t *c, const sch_t *n, const kw_t *k, const pt_jv_t *x, const seg_t *ip,
                            const seg_t *sp)
{
    if (!jv_is_string(x) || pt__fmt_check(k->u.format, x->u.s, x->len))
        return true;
    return fail_repr(c, k, ip, sp, x, " is not a ", k->value);
}

bool pt__kw_validate_items(vctx_t *c, const sch_t *n, const kw_t *k, const pt_jv_t *x, const seg_t *ip, const seg_t *sp)
{
    if (!jv_is_array(x))
        return true;
    const seg_t ks = {sp, k->name, 0};
    bool ok = true;
    for (size_t i = 0, m = x->len; i < m; i++) {
        seg_t is = {ip, NULL, i};
        if (!descend(c, k->u.sub, jv_item(x, i), &is, &ks, &ok))
            return false;
    }
    return ok;
}

bool pt__kw_validate_items_tuple(vctx_t *c, const sch_t *n, const kw_t *k, const pt_jv_t *x, const seg_t *ip,
                                 const seg_t *sp)
{
    if (!jv_is_array(x))
        return true;
    const seg_t ks = {sp, k->name, 0};
    bool ok = true;
    size_t m = x->len;
    for (size_t i = 0; i < m && i < k->u.list.n; i++) {
        seg_t is = {ip, NULL, i}, ss = {&ks, NULL, i};
        if (!descend(c, k->u.list.v[i], jv_item(x, i), &is, &ss, &ok))
            return false;
    }
    return ok;
}

bool pt__kw_validate_additional_items(vctx_t *c, const sch_t *n, const kw_t *k, const pt_jv_t *x, const seg_t *ip,
                                      const seg_t *sp)
{
    if (!jv_is_array(x) || k->tuple_len == SIZE_MAX || x->len <= k->tuple_len)
        return true;
    if (k->u.sub->boolean == 2) {
        sbuf_t b = {0};
        if (wording(c))
            extra_items_msg(&b, x, k->tuple_len);
        report(c, k, ip, sp, &b);
        return false;
    }
    if (k->u.sub->boolean == 1)
        return true;
    const seg_t ks = {sp, k->name, 0};
    bool ok = true;
    for (size_t i = k->tuple_len, m = x->len; i < m; i++) {
        seg_t is = {ip, NULL, i};
        if (!descend(c, k->u.sub, jv_item(x, i), &is, &ks, &ok))
            return false;
    }
    return ok;
}

bool pt__kw_validate_max_items(vctx_t *c, const sch_t *n, const kw_t *k, const pt_jv_t *x, const seg_t *ip,
                               const seg_t *sp)
{
    if (!jv_is_array(x) || x->len <= k->u.limit)
        return true;
    return fail_repr(c, k, ip, sp, x, " is too long", NULL);
}

bool pt__kw_validate_min_items(vctx_t *c, const sch_t *n, const kw_t *k, const pt_jv_t *x, const seg_t *ip,
                               const seg_t *sp)
{
    if (!jv_is_array(x) || x->len >= k->u.limit)
        return true;
    return fail_repr(c, k, ip, sp, x, " is too short", NULL);
}

bool pt__kw_validate_unique_items(vctx_t *c, const sch_t *n, const kw_t *k, const pt_jv_t *x, const seg_t *ip,
                                  const seg_t *sp)
{
    if (!jv_is_array(x) || pt__v_unique(c, x))
        return true;
    return fail_repr(c, k, ip, sp, x, " has non-unique elements", NULL);
}

bool pt__kw_validate_contains(vctx_t *c, const sch_t *n, const kw_t *k, const pt_jv_t *x, const seg_t *ip,
                              const seg_t *sp)
{
    if (!jv_is_array(x))
        return true;
    for (size_t i = 0, m = x->len; i < m; i++)
        if (sub_valid(c, k->u.sub, jv_item(x, i)))
            return true;
    sbuf_t b = {0};
    if (wording(c)) {
        pt__sb_puts(&b, "None of ");
        pt__sb_jrepr(&b, x);
        pt__sb_puts(&b, " are valid under the given schema");
    }
    report(c, k, ip, sp, &b);
    return false;
}

bool pt__kw_validate_max_properties(vctx_t *c, const sch_t *n, const kw_t *k, const pt_jv_t *x, const seg_t *ip,
                                    const seg_t *sp)
{
    if (!jv_is_object(x) || x->len <= k->u.limit)
        return true;
    return fail_repr(c, k, ip, sp, x, " has too many properties", NULL);
}

bool pt__kw_validate_min_properties(vctx_t *c, const sch_t *n, const kw_t *k, const pt_jv_t *x, const seg_t *ip,
                                    const seg_t *sp)
{
    if (!jv_is_object(x) || x->len >= k->u.limit)
        return true;
    return fail_repr(c, k, ip, sp, x, " does not have enough properties", NULL);
}

bool pt__kw_validate_required(vctx_t *c, const sch_t *n, const kw_t *k, const pt_jv_t *x, const seg_t *ip,
                              const seg_t *sp)
{
    if (!jv_is_object(x))
        return true;
    bool ok = true;
    uint64_t seen = n->plan ? pt__plan_gather(n->plan, x, NULL) : 0;
    for (size_t i = 0; i < k->u.names.n; i++) {
        if (n->plan ? seen >> i & 1 : jv_get(x, k->u.names.v[i], strlen(k->u.names.v[i])) != NULL)
            continue;
        sbuf_t b = {0};
        if (wording(c)) {
            pt__sb_pystr(&b, k->u.names.v[i], strlen(k->u.names.v[i]));
            pt__sb_puts(&b, " is a required property");
        }
        ok = false;
        if (!report(c, k, ip, sp, &b))
            return false;
    }
    return ok;
}

bool pt__kw_validate_properties(vctx_t *c, const sch_t *n, const kw_t *k, const pt_jv_t *x, const seg_t *ip,
                                const seg_t *sp)
{
    if (!jv_is_object(x))
        return true;
    if (c->mode == M_BOOL && x->len < k->u.props.n) {
        /* fewer instance keys than declared properties: walk the keys */
        for (const pt_jmember_t *m = x->u.members, *end = m + x->len; m != end; m++) {
            const prop_t *p = pt__props_find(k, m->key, m->klen);
            if (p && !pt__v_node(c, p->schema, &m->v, NULL, NULL))
                return false;
        }
        return true;
    }
    const seg_t ks = {sp, k->name, 0};
    return properties_in_order(c, n, k, x, ip, &ks);
}

bool pt__kw_validate_pattern_properties(vctx_t *c, const sch_t *n, const kw_t *k, const pt_jv_t *x, const seg_t *ip,
                                        const seg_t *sp)
{
    if (!jv_is_object(x))
        return true;
    const seg_t ks = {sp, k->name, 0};
    bool ok = true;
    for (size_t i = 0; i < k->u.pats.n; i++) {
        const pattern_prop_t *r = &k->u.pats.v[i];
        for (const pt_jmember_t *m = x->u.members, *end = m + x->len; m != end; m++) {
            if (!pt__re_search(r->code, m->key, m->klen))
                continue;
            seg_t is = {ip, m->key, 0}, ss = {&ks, r->source, 0};
            if (!descend(c, r->schema, &m->v, &is, &ss, &ok))
                return false;
        }
    }
    return ok;
}

/* "additionalProperties": false, worded: every additional key in one
 * message, sorted, as Python reports them. keys[nx] are consumed. */
static void additional_msg(sbuf_t *b, const kw_t *k, const char **keys, size_t nx)
{
    qsort(keys, nx, sizeof *keys, cmp_str);
    if (!k->sib_pats)
        pt__sb_puts(b, "Additional properties are not allowed (");
    for (size_t i = 0; i < nx; i++) {
        if (i)
            pt__sb_puts(b, ", ");
        pt__sb_pystr(b, keys[i], strlen(keys[i]));
    }
    if (!k->sib_pats) {
        pt__sb_puts(b, nx == 1 ? " was unexpected)" : " were unexpected)");
        return;
    }
    pt__sb_puts(b, nx == 1 ? " does not match any of the regexes: " : " do not match any of the regexes: ");
    size_t np = k->sib_pats->u.pats.n;
    const char **pats = malloc((np ? np : 1) * sizeof *pats);
    if (!pats) {
        b->oom = true;
        return;
    }
    for (size_t i = 0; i < np; i++)
        pats[i] = k->sib_pats->u.pats.v[i].source;
    qsort(pats, np, sizeof *pats, cmp_str);
    for (size_t i = 0; i < np; i++) {
        if (i)
            pt__sb_puts(b, ", ");
        pt__sb_pystr(b, pats[i], strlen(pats[i]));
    }
    free(pats);
}

bool pt__kw_validate_additional_properties(vctx_t *c, const sch_t *n, const kw_t *k, const pt_jv_t *x,
                                           const seg_t *ip, const seg_t *sp)
{
    if (!jv_is_object(x) || k->u.sub->boolean == 1)
        return true;
    if (k->u.sub->boolean == 0) {
        const seg_t ks = {sp, k->name, 0};
        bool ok = true;
        for (const pt_jmember_t *m = x->u.members, *end = m + x->len; m != end; m++) {
            if (!prop_is_additional(k, m->key, m->klen))
                continue;
            seg_t is = {ip, m->key, 0};
            if (!descend(c, k->u.sub, &m->v, &is, &ks, &ok))
                return false;
        }
        return ok;
    }
    /* false: every additional key is an error, reported together */
    size_t nx = 0;
    for (const pt_jmember_t *m = x->u.members, *end = m + x->len; m != end; m++)
        if (prop_is_additional(k, m->key, m->klen)) {
            nx++;
            if (c->mode == M_BOOL)
                return false;
        }
    if (!nx)
        return true;
    if (c->mode == M_LOC) {
        pt__v_locate(c, k->name, ip, sp);
        return false;
    }
    const char **keys = malloc(nx * sizeof *keys);
    if (!keys) {
        c->oom = true;
        return false;
    }
    size_t j = 0;
    for (const pt_jmember_t *m = x->u.members, *end = m + x->len; m != end; m++)
        if (prop_is_additional(k, m->key, m->klen))
            keys[j++] = m->key;
    sbuf_t b = {0};
    additional_msg(&b, k, keys, nx);
    free(keys);
    report(c, k, ip, sp, &b);
    return false;
}

bool pt__kw_validate_dependencies(vctx_t *c, const sch_t *n, const kw_t *k, const pt_jv_t *x, const seg_t *ip,
                                  const seg_t *sp)
{
    if (!jv_is_object(x))
        return true;
    const seg_t ks = {sp, k->name, 0};
    bool ok = true;
    for (size_t i = 0; i < k->u.deps.n; i++) {
        const dep_t *d = &k->u.deps.v[i];
        if (!jv_get(x, d->name, strlen(d->name)))
            continue;
        if (d->schema) {
            seg_t ss = {&ks, d->name, 0};
            if (!descend(c, d->schema, x, ip, &ss, &ok))
                return false;
            continue;
        }
        for (size_t j = 0; j < d->nrequired; j++) {
            if (jv_get(x, d->required[j], strlen(d->required[j])))
                continue;
            sbuf_t b = {0};
            if (wording(c)) {
                pt__sb_pystr(&b, d->required[j], strlen(d->required[j]));
                pt__sb_puts(&b, " is a dependency of ");
                pt__sb_pystr(&b, d->name, strlen(d->name));
            }
            ok = false;
            if (!report(c, k, ip, sp, &b))
                return false;
        }
    }
    return ok;
}

bool pt__kw_validate_property_names(vctx_t *c, const sch_t *n, const kw_t *k, const pt_jv_t *x, const seg_t *ip,
                                    const seg_t *sp)
{
    if (!jv_is_object(x))
        return true;
    const seg_t ks = {sp, k->name, 0};
    bool ok = true;
    for (const pt_jmember_t *m = x->u.members, *end = m + x->len; m != end; m++) {
        /* the name is validated as a string instance of its own */
        pt_jv_t name = {.type = PT_JV_STRING, .len = (uint32_t)m->klen, .u.s = m->key};
        if (!descend(c, k->u.sub, &name, ip, &ks, &ok))
            return false;
    }
    return ok;
}

/* "then" and "else" are compiled into "if"; their schema paths hang off the
 * node, beside "if". */
bool pt__kw_validate_if(vctx_t *c, const sch_t *n, const kw_t *k, const pt_jv_t *x, const seg_t *ip, const seg_t *sp)
{
    if (sub_valid(c, k->u.cond.if_, x)) {
        if (!k->u.cond.then_)
            return true;
        seg_t ss = {sp, "then", 0};
        return pt__v_node(c, k->u.cond.then_, x, ip, &ss);
    }
    if (!k->u.cond.else_)
        return true;
    seg_t ss = {sp, "else", 0};
    return pt__v_node(c, k->u.cond.else_, x, ip, &ss);
}

bool pt__kw_validate_all_of(vctx_t *c, const sch_t *n, const kw_t *k, const pt_jv_t *x, const seg_t *ip,
                            const seg_t *sp)
{
    const seg_t ks = {sp, k->name, 0};
    bool ok = true;
    for (size_t i = 0; i < k->u.list.n; i++) {
        seg_t ss = {&ks, NULL, i};
        if (!descend(c, k->u.list.v[i], x, ip, &ss, &ok))
            return false;
    }
    return ok;
}

bool pt__kw_validate_any_of(vctx_t *c, const sch_t *n, const kw_t *k, const pt_jv_t *x, const seg_t *ip,
                            const seg_t *sp)
{
    for (size_t i = 0; i < k->u.list.n; i++)
        if (sub_valid(c, k->u.list.v[i], x))
            return true;
    return fail_repr(c, k, ip, sp, x, " is not valid under any of the given schemas", NULL);
}

bool pt__kw_validate_one_of(vctx_t *c, const sch_t *n, const kw_t *k, const pt_jv_t *x, const seg_t *ip,
                            const seg_t *sp)
{
    size_t first, m = k->u.list.n;
    for (first = 0; first < m; first++)
        if (sub_valid(c, k->u.list.v[first], x))
            break;
    if (first == m)
        return fail_repr(c, k, ip, sp, x, " is not valid under any of the given schemas", NULL);
    bool more = false;
    for (size_t j = first + 1; j < m && !more; j++)
        more = sub_valid(c, k->u.list.v[j], x);
    if (!more)
        return true;
    sbuf_t b = {0};
    if (wording(c)) {
        /* Python lists the other valid branches, then the first one */
        pt__sb_jrepr(&b, x);
        pt__sb_puts(&b, " is valid under each of ");
        bool any = false;
        for (size_t j = first + 1; j < m; j++) {
            if (!sub_valid(c, k->u.list.v[j], x))
                continue;
            if (any)
                pt__sb_puts(&b, ", ");
            any = true;
            pt__sb_repr(&b, k->u.list.v[j]->json);
        }
        pt__sb_puts(&b, ", ");
        pt__sb_repr(&b, k->u.list.v[first]->json);
    }
    report(c, k, ip, sp, &b);
    return false;
}

bool pt__kw_validate_not(vctx_t *c, const sch_t *n, const kw_t *k, const pt_jv_t *x, const seg_t *ip, const seg_t *sp)
{
    if (!sub_valid(c, k->u.sub, x))
        return true;
    return fail_repr(c, k, ip, sp, x, " should not be valid under ", k->value);
}
