/* The object plans (objplan_t, built by plan.c) at validation time:
 * member lookup in declaration order, the one-pass check of properties,
 * required and additionalProperties (run_plan, M_BOOL), the values the
 * error modes gather, and the flat root's errors located at compile time
 * (locate_root_plan), which pt_schema_validate and pt_schema_check report
 * without walking. The inline flat walk is in validate.h. */
#include <stdlib.h>
#include <string.h>

#include "validate.h"

/* The plan entry for key, or NULL. Clients usually send members in the
 * order the schema declares them, so the entry after the previous match is
 * tried first: a hit costs one length and two word compares, no hashing.
 * Any other order falls back to the hash table. */
static inline const plan_entry_t *plan_lookup(const objplan_t *p, const char *key, size_t len, size_t *guess)
{
    if (*guess < p->n) {
        const plan_entry_t *e = &p->v[*guess];
        if (plan_key_eq(e, key, len)) {
            ++*guess;
            return e;
        }
    }
    uint32_t h = prop_hash(key, len), j = h & p->mask;
    int32_t ix;
    while ((ix = p->table[j]) >= 0) {
        const plan_entry_t *e = &p->v[ix];
        if (e->hash == h && plan_key_eq(e, key, len)) {
            *guess = (size_t)ix + 1;
            return e;
        }
        j = (j + 1) & p->mask;
    }
    return NULL;
}

static inline bool sub_ok(vctx_t *c, const sch_t *n, const pt_jv_t *v)
{
    return n->simple ? type_ok(n->tmask, v) : pt__v_node(c, n, v, NULL, NULL);
}
/* Error modes: the value of every plan entry (NULL when absent) and the
 * required bits seen, in one pass over the members. */
uint64_t pt__plan_gather(const objplan_t *p, const pt_jv_t *x, const pt_jv_t **vals)
{
    uint64_t seen = 0;
    size_t guess = 0;
    if (vals)
        memset(vals, 0, p->n * sizeof *vals);
    for (const pt_jmember_t *m = x->u.members, *end = m + x->len; m != end; m++) {
        const plan_entry_t *e = plan_lookup(p, m->key, m->klen, &guess);
        if (e) {
            seen |= e->bit;
            if (vals)
                vals[e - p->v] = &m->v;
        }
    }
    return seen;
}

/* M_BOOL only: properties + required + additionalProperties in one pass. */
bool pt__run_plan(vctx_t *c, const objplan_t *p, const pt_jv_t *x)
{
    uint64_t seen = 0;
    size_t guess = 0;
    for (const pt_jmember_t *m = x->u.members, *end = m + x->len; m != end; m++) {
        const pt_jv_t *v = &m->v;
        const plan_entry_t *e = plan_lookup(p, m->key, m->klen, &guess);
        if (e) {
            seen |= e->bit;
            if (e->schema && !sub_ok(c, e->schema, v))
                return false;
        } else if (p->closed || (p->extra && !sub_ok(c, p->extra, v))) {
            return false;
        }
    }
    return (seen & p->required) == p->required;
}
/* flat_walk once members leave declaration order: the rest of the members
 * from it on, through the hash table. */
__attribute__((noinline)) bool pt__flat_tail(const objplan_t *p, const pt_jmember_t *m, const pt_jmember_t *end,
                                             uint64_t seen)
{
    size_t guess = SIZE_MAX;
    for (; m != end; m++) {
        const pt_jv_t *v = &m->v;
        const plan_entry_t *e = plan_lookup(p, m->key, m->klen, &guess);
        if (e) {
            seen |= e->bit;
            if (!type_ok(e->tmask, v))
                return false;
        } else if (!type_ok(p->extra_tmask, v)) {
            return false;
        }
    }
    return (seen & p->required) == p->required;
}

/* ------------------------------------------- statically located errors */

/* pt_schema_validate on a flat root whose first error flat_find settled
 * (r 1: property bad failed with value badv; r 3: a required name is
 * missing): the record is worded here, as the walker would word it, in
 * one allocation. 1 done, -1 out of memory, 0 not settled: walk. */
__attribute__((noinline)) int pt__flat_report(const objplan_t *p, int r, const plan_entry_t *bad,
                                           const pt_jv_t *badv, uint64_t seen, pt_schema_error_t *first)
{
    if (!p->located || (r != 1 && r != 3) || (r == 1 && !bad->fail_sp) || (r == 3 && !p->req_names))
        return 0;
    sbuf_t b = {0};
    const char *kw, *ip, *sp;
    if (r == 3) {
        const char *name = p->req_names[__builtin_ctzll(p->required & ~seen)];
        pt__sb_pystr(&b, name, strlen(name));
        pt__sb_puts(&b, " is a required property");
        kw = "required";
        ip = "";
        sp = "/required";
    } else {
        kw = bad->fail_kw;
        ip = bad->fail_ip;
        sp = bad->fail_sp;
        if (!kw) {
            pt__sb_puts(&b, "False schema does not allow ");
            pt__sb_jrepr(&b, badv);
        } else if (kw[0] == 'a') { /* "anyOf" (else "type": see locate_root_plan) */
            pt__sb_jrepr(&b, badv);
            pt__sb_puts(&b, " is not valid under any of the given schemas");
        } else { /* type */
            const json_t *tv = bad->schema->kw[0].value;
            pt__sb_jrepr(&b, badv);
            pt__sb_puts(&b, " is not of type ");
            if (json_is_string(tv)) {
                pt__sb_repr(&b, tv);
            } else {
                for (size_t i = 0; i < json_array_size(tv); i++) {
                    if (i)
                        pt__sb_puts(&b, ", ");
                    pt__sb_repr(&b, json_array_get(tv, i));
                }
            }
        }
    }
    sb_putn(&b, "", 1);
    size_t ioff = b.len;
    pt__sb_puts(&b, ip);
    sb_putn(&b, "", 1);
    size_t soff = b.len;
    pt__sb_puts(&b, sp);
    if (!pt__err_take(first, &b, ioff, soff, kw)) {
        pt__set_error(first, "", "out of memory while reporting a validation error");
        return -1;
    }
    return 1;
}

/* pt_schema_check on a flat root found invalid: the first error in keyword
 * order from the locations computed at compile time (locate_root_plan),
 * without walking. false: not known statically, let the walker locate. */
__attribute__((noinline)) bool pt__flat_locate(const pt_schema_t *s, const pt_jv_t *x, const json_t *jx, pt_schema_fail_t *f)
{
    const objplan_t *p = s->root->plan;
    const pt_jv_t *vals[64];
    if (!p->located || p->n > 64)
        return false;
    uint64_t missing = p->required & ~pt__plan_gather(p, x, vals);
    const plan_entry_t *bad = NULL;
    for (size_t i = 0; i < p->n && p->v[i].schema; i++)
        if (vals[i] && !type_ok(p->v[i].tmask, vals[i])) {
            bad = &p->v[i];
            break;
        }
    if (missing && (p->req_first || !bad)) {
        f->keyword = "required";
        f->instance_path = "";
        f->schema_path = "/required";
    } else if (bad && bad->fail_sp) {
        f->keyword = bad->fail_kw;
        f->instance_path = bad->fail_ip;
        f->schema_path = bad->fail_sp;
    } else {
        return false; /* a $ref'd property schema, additionalProperties... */
    }
    f->schema_ = s;
    f->instance_ = jx;
    f->jv_ = jx ? NULL : x;
    f->rc_ = 1;
    return true;
}
