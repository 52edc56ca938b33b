/* Validation fast paths, set up once a schema graph is compiled: nodes
 * whose validity depends only on the instance's type, and the per-object
 * plans that check properties, required and additionalProperties in one
 * pass over the instance's members (see objplan_t). */
#include <stdlib.h>
#include <string.h>

#include "compile.h"

/* ------------------------------------------------------ fast-path setup */

/* A node is "simple" when its validity depends on the instance's type
 * only: true/false, {}, {"type": ...}, an anyOf of simple nodes (the
 * Optional[...] shape) or a $ref to a simple node. Checking it then costs
 * one mask test and no call. Iterated because simplicity flows up. */
void pt__mark_simple(cctx_t *c)
{
    for (int round = 0; round < 8; round++) {
        bool changed = false;
        for (size_t i = 0; i < c->nodes.cap; i++) {
            sch_t *n = c->nodes.keys[i] ? c->nodes.vals[i] : NULL;
            if (!n || n->simple)
                continue;
            unsigned m = 0;
            bool ok = false;
            if (n->boolean) {
                ok = true;
                m = n->boolean == 1 ? T_ALL : 0;
            } else if (n->nkw == 0) {
                ok = true;
                m = T_ALL;
            } else if (n->nkw == 1 && n->kw[0].kind == KW_TYPE) {
                ok = true;
                m = n->kw[0].u.types;
            } else if (n->nkw == 1 && n->kw[0].kind == KW_REF && n->kw[0].u.sub->simple) {
                ok = true;
                m = n->kw[0].u.sub->tmask;
            } else if (n->nkw == 1 && n->kw[0].kind == KW_ANY_OF) {
                ok = true;
                for (size_t j = 0; j < n->kw[0].u.list.n && ok; j++) {
                    ok = n->kw[0].u.list.v[j]->simple;
                    m |= n->kw[0].u.list.v[j]->tmask;
                }
            }
            if (ok) {
                n->simple = true;
                n->tmask = m;
                changed = true;
            }
        }
        if (!changed)
            break;
    }
}

static plan_entry_t *plan_slot(objplan_t *p, const char *name, size_t len)
{
    uint32_t h = prop_hash(name, len), j = h & p->mask;
    while (p->table[j] >= 0) {
        plan_entry_t *e = &p->v[p->table[j]];
        if (e->hash == h && e->len == len && !memcmp(e->name, name, len))
            return e;
        j = (j + 1) & p->mask;
    }
    plan_entry_t *e = &p->v[p->n];
    *e = (plan_entry_t){name, len, h, NULL, 0, 0, 0, T_ALL};
    key_words(name, len, &e->w0, &e->w1);
    p->table[j] = (int32_t)p->n++;
    return e;
}

static void build_plan(cctx_t *c, sch_t *n)
{
    kw_t *props = NULL, *req = NULL, *addl = NULL;
    bool pats = false;
    for (size_t i = 0; i < n->nkw; i++) {
        kw_t *k = &n->kw[i];
        if (k->kind == KW_PROPERTIES)
            props = k;
        else if (k->kind == KW_REQUIRED)
            req = k;
        else if (k->kind == KW_ADDITIONAL_PROPERTIES)
            addl = k;
        else if (k->kind == KW_PATTERN_PROPERTIES)
            pats = true;
    }
    if ((!props && !req) || (req && req->u.names.n > 64))
        return;
    size_t cap = (props ? props->u.props.n : 0) + (req ? req->u.names.n : 0), tn = 4;
    while (tn < cap * 2)
        tn *= 2;
    objplan_t *p = pt__pool_alloc(&c->s->pool, sizeof *p);
    if (!p || !(p->v = pt__pool_alloc(&c->s->pool, (cap + 1) * sizeof *p->v)) ||
        !(p->table = pt__pool_alloc(&c->s->pool, tn * sizeof(int32_t))))
        return; /* no plan: the keyword path still works */
    p->mask = (uint32_t)tn - 1;
    for (size_t i = 0; i < tn; i++)
        p->table[i] = -1;
    for (size_t i = 0; props && i < props->u.props.n; i++)
        plan_slot(p, props->u.props.v[i].name, props->u.props.v[i].len)->schema = props->u.props.v[i].schema;
    for (size_t i = 0; req && i < req->u.names.n; i++) {
        uint64_t bit = 1ULL << i;
        plan_slot(p, req->u.names.v[i], strlen(req->u.names.v[i]))->bit = bit;
        p->required |= bit;
    }
    /* sentinel after the last entry: a length no key has, so in-order
     * matching needs no bounds check */
    p->v[p->n].len = SIZE_MAX;
    if (props)
        props->fused = true;
    if (req)
        req->fused = true;
    if (addl && !pats) {
        addl->fused = true;
        if (addl->u.sub->boolean == 2)
            p->closed = true;
        else if (addl->u.sub->boolean == 0)
            p->extra = addl->u.sub;
    }
    n->plan = p;

    /* flat: nothing left for the keyword walk but a "type" that admits objects */
    p->extra_tmask = p->closed ? 0 : T_ALL;
    if (p->extra) {
        if (!p->extra->simple)
            return;
        p->extra_tmask = p->extra->tmask;
    }
    for (size_t i = 0; i < p->n; i++) {
        sch_t *sub = p->v[i].schema;
        if (sub && !sub->simple)
            return;
        p->v[i].tmask = sub ? sub->tmask : T_ALL;
        p->v[i].jmask = jv_mask(p->v[i].tmask);
        p->v[i].jsmask = json_type_mask(p->v[i].tmask);
    }
    p->extra_jmask = jv_mask(p->extra_tmask);
    for (size_t i = 0; i < n->nkw; i++) {
        const kw_t *k = &n->kw[i];
        if (!k->fused && !(k->kind == KW_TYPE && (k->u.types & T_OBJECT)))
            return;
    }
    n->flat = true;
}

void pt__build_plans(cctx_t *c)
{
    for (size_t i = 0; i < c->nodes.cap; i++) {
        sch_t *n = c->nodes.keys[i] ? c->nodes.vals[i] : NULL;
        if (n && !n->boolean)
            build_plan(c, n);
    }
}


/* The flat root's errors, located at compile time: a property whose
 * schema is {"type": ...} (or an anyOf of simple schemas, or false) fails
 * at a fixed instance path and schema path; so does "required". */
void pt__locate_root_plan(cctx_t *c)
{
    sch_t *n = c->s->root;
    objplan_t *p = n->plan;
    const kw_t *props = NULL;
    size_t iprops = SIZE_MAX, ireq = SIZE_MAX;
    for (size_t i = 0; i < n->nkw; i++) {
        if (n->kw[i].kind == KW_PROPERTIES) {
            props = &n->kw[i];
            iprops = i;
        } else if (n->kw[i].kind == KW_REQUIRED) {
            ireq = i;
        }
    }
    /* with additionalProperties restricting the other members, the first
     * error depends on where those are: left to the walker */
    if (p->n > 64 || p->extra_tmask != T_ALL)
        return;
    p->req_first = ireq < iprops;
    p->req_names = ireq < n->nkw ? n->kw[ireq].u.names.v : NULL;
    for (size_t i = 0; props && i < props->u.props.n; i++) {
        plan_entry_t *e = &p->v[i]; /* entries start with the properties, in order */
        const sch_t *sub = e->schema;
        const char *kw = NULL;
        if (!sub || e->name != props->u.props.v[i].name)
            return;
        if (sub->boolean == 2)
            kw = "";
        else if (sub->nkw == 1 && sub->kw[0].kind == KW_TYPE)
            kw = "type";
        else if (sub->nkw == 1 && sub->kw[0].kind == KW_ANY_OF)
            kw = "anyOf";
        if (!kw)
            continue; /* located by the walker */
        char *ip = pt__path_join("", e->name), *pp = pt__path_join("/properties", e->name);
        char *sp = pp && *kw ? pt__path_join(pp, kw) : NULL;
        e->fail_ip = ip ? pt__pool_strdup(&c->s->pool, ip) : NULL;
        e->fail_sp = pt__pool_strdup(&c->s->pool, *kw ? (sp ? sp : "") : (pp ? pp : ""));
        e->fail_kw = *kw ? kw : NULL;
        if (!ip || !pp || (*kw && !sp) || !e->fail_ip)
            e->fail_sp = NULL;
        free(ip);
        free(pp);
        free(sp);
    }
    p->located = true;
}
