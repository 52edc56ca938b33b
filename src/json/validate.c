/* The validator: walks a compiled node graph against a parsed instance
 * (pt_jv_t; json_t instances are converted first, at the end of this file).
 *
 * One walker, three modes. M_BOOL answers valid/invalid and stops at the
 * first failure without building anything; it is what pt_schema_is_valid
 * runs and what anyOf/oneOf/not/if/contains use for their branches (as
 * Python's jsonschema does with is_valid). M_FIRST and M_ALL build error
 * records; they only run once the document is known to be invalid, so the
 * success path allocates nothing. Paths are kept as chains of stack-held
 * segments and only turned into strings when an error is recorded.
 *
 * This file holds the entry points and the node walker; the keywords, the
 * object plans and the error records are in the files validate.h
 * lists.
 */
#include <stdlib.h>
#include <string.h>

#include "keywords.h"

/* Depth accounting. The limit counts levels of the instance, so a schema
 * may be as recursive as it likes over a bounded document; schemas applied
 * to one value in a chain (allOf, $ref, anyOf...) are bounded separately,
 * which only a reference loop such as {"allOf": [{"$ref": "#"}]} reaches. */
#define SAME_VALUE_MAX 128

typedef struct frame {
    const pt_jv_t *cur;
    int same;
} frame_t;

static inline bool enter(vctx_t *c, const pt_jv_t *x, frame_t *f)
{
    f->cur = c->cur;
    f->same = c->same;
    /* the stack grows down on every target ponty supports */
    if (c->s->max_stack && c->stack_base &&
        (size_t)(c->stack_base - (const char *)__builtin_frame_address(0)) > c->s->max_stack) {
        c->out_of_stack = true;
        return false;
    }
    if (x != c->cur) {
        if (c->depth >= c->s->max_depth)
            return false;
        c->depth++;
        c->same = 0;
        c->cur = x;
    } else if (c->same >= SAME_VALUE_MAX) {
        return false;
    } else {
        c->same++;
    }
    return true;
}

static inline void leave(vctx_t *c, const pt_jv_t *x, const frame_t *f)
{
    if (x != f->cur)
        c->depth--;
    c->cur = f->cur;
    c->same = f->same;
}

static bool too_deep(vctx_t *c, const pt_jv_t *x, const seg_t *ip, const seg_t *sp)
{
    if (!c->too_deep && c->mode != M_BOOL) {
        sbuf_t b = {0};
        if (c->out_of_stack)
            pt__sb_printf(&b, "document nested too deeply for this schema (more than %zu bytes of stack)",
                          c->s->max_stack);
        else if (x != c->cur)
            pt__sb_printf(&b, "document nested too deeply for this schema (more than %d levels)", c->s->max_depth);
        else
            pt__sb_printf(&b, "more than %d schemas applied in a chain to one value (a $ref loop?)", SAME_VALUE_MAX);
        pt__v_emit(c, NULL, ip, sp, &b);
    }
    c->too_deep = true;
    return false;
}

bool pt__v_node(vctx_t *c, const sch_t *n, const pt_jv_t *x, const seg_t *ip, const seg_t *sp)
{
    frame_t f;
    if (c->mode == M_BOOL) {
        if (n->simple)
            return type_ok(n->tmask, x);
        if (n->flat && jv_is_object(x) &&
            (x == c->cur ? c->same < SAME_VALUE_MAX : c->depth < c->s->max_depth))
            return flat_run(n->plan, x);
        if (n->plan && jv_is_object(x)) {
            if (!enter(c, x, &f))
                return too_deep(c, x, ip, sp);
            bool ok = pt__run_plan(c, n->plan, x);
            for (size_t i = 0; ok && i < n->nkw; i++) {
                const kw_t *k = &n->kw[i];
                if (k->fused)
                    continue;
                ok = k->kind == KW_TYPE ? type_ok(k->u.types, x) : kw_validate(c, n, k, x, NULL, NULL);
            }
            leave(c, x, &f);
            return ok;
        }
    }
    if (n->boolean == 1)
        return true;
    bool ok = true;
    if (n->boolean == 2) {
        if (c->mode != M_BOOL) {
            sbuf_t b = {0};
            pt__sb_puts(&b, "False schema does not allow ");
            pt__sb_jrepr(&b, x);
            pt__v_emit(c, NULL, ip, sp, &b);
        }
        return false;
    }
    if (!enter(c, x, &f))
        return too_deep(c, x, ip, sp);
    for (size_t i = 0; i < n->nkw; i++) {
        if (!kw_validate(c, n, &n->kw[i], x, ip, sp)) {
            ok = false;
            if (c->mode != M_ALL || c->too_deep || c->oom)
                break;
        }
    }
    leave(c, x, &f);
    return ok;
}

/* ------------------------------------------------------------ public API */

/* The fast verdict: true when x is valid. For a flat root on an object the
 * walk is inlined here, with no context to set up. */
static inline __attribute__((always_inline)) bool fast_valid(const pt_schema_t *s, const pt_jv_t *x, bool *oom)
{
    if (s->fast_root == 1 && x->type == PT_JV_OBJECT)
        return flat_run(s->fast_plan, x);
    vctx_t c = {.s = s, .mode = M_BOOL, .stack_base = __builtin_frame_address(0)};
    bool ok = pt__v_node(&c, s->root, x, NULL, NULL);
    *oom = c.oom;
    return ok && !c.oom;
}

/* pt_schema_validate once x is known to be invalid (or oom is set). */
static __attribute__((noinline)) int validate_report(const pt_schema_t *s, const pt_jv_t *x, pt_schema_error_t *first,
                                                     bool oom)
{
    if (!first)
        return oom ? -1 : 1;
    /* walk again, this time describing the first failure */
    vctx_t c = {.s = s, .mode = M_FIRST, .first = first, .stack_base = __builtin_frame_address(0)};
    pt__v_node(&c, s->root, x, NULL, NULL);
    if (c.oom || !first->message) {
        pt__set_error(first, "", "out of memory while reporting a validation error");
        return -1;
    }
    return 1;
}

bool pt_schema_is_valid_jv(const pt_schema_t *s, const pt_jv_t *x)
{
    if (!s || !x)
        return false;
    bool oom = false;
    return fast_valid(s, x, &oom);
}

int pt_schema_validate_jv(const pt_schema_t *s, const pt_jv_t *x, pt_schema_error_t *first)
{
    if (first && first->message)
        pt_schema_error_clear(first);
    if (!s || !x) {
        pt__set_error(first, "", "no %s given (NULL)", s ? "instance" : "schema");
        return -1;
    }
    if (s->fast_root == 1 && x->type == PT_JV_OBJECT) {
        const plan_entry_t *bad = NULL;
        const pt_jv_t *badv = NULL;
        uint64_t seen = 0;
        int r = flat_find(s->fast_plan, x, &bad, &badv, &seen);
        if (!r)
            return 0;
        if (!first)
            return 1;
        int rr = pt__flat_report(s->fast_plan, r, bad, badv, seen, first);
        return rr ? rr : validate_report(s, x, first, false);
    }
    bool oom = false;
    if (fast_valid(s, x, &oom))
        return 0;
    return validate_report(s, x, first, oom);
}

/* pt_schema_check once x is known to be invalid (or oom is set). */
static __attribute__((noinline)) int check_locate(const pt_schema_t *s, const pt_jv_t *x, const json_t *jx,
                                                  pt_schema_fail_t *f, bool oom)
{
    if (!f)
        return oom ? -1 : 1;
    vctx_t c = {.s = s, .mode = M_LOC, .fail = f, .stack_base = __builtin_frame_address(0)};
    pt__v_node(&c, s->root, x, NULL, NULL);
    if (c.oom || !f->rc_) {
        pt_schema_fail_clear(f);
        f->keyword = NULL;
        f->instance_path = f->schema_path = f->buf_;
        f->buf_[0] = 0;
        f->schema_ = s;
        f->instance_ = jx;
        f->jv_ = jx ? NULL : x;
        f->rc_ = -1;
        return -1;
    }
    f->schema_ = s;
    f->instance_ = jx;
    f->jv_ = jx ? NULL : x;
    return f->rc_; /* 1, as pt_schema_validate returns for a depth limit too */
}

static int check_jv(const pt_schema_t *s, const pt_jv_t *x, const json_t *jx, pt_schema_fail_t *f)
{
    if (f && (f->heap_ || f->rc_))
        pt_schema_fail_clear(f);
    if (s && x && s->fast_root == 1 && x->type == PT_JV_OBJECT) {
        const plan_entry_t *bad = NULL;
        const pt_jv_t *badv = NULL;
        uint64_t seen = 0;
        int r = flat_find(s->fast_plan, x, &bad, &badv, &seen);
        if (!r)
            return 0;
        if (!f)
            return 1;
        if (s->fast_plan->located && (r == 3 || (r == 1 && bad->fail_sp))) {
            f->keyword = r == 3 ? "required" : bad->fail_kw;
            f->instance_path = r == 3 ? "" : bad->fail_ip;
            f->schema_path = r == 3 ? "/required" : bad->fail_sp;
            f->schema_ = s;
            f->instance_ = jx;
            f->jv_ = jx ? NULL : x;
            f->rc_ = 1;
            return 1;
        }
        if (pt__flat_locate(s, x, jx, f))
            return 1;
        return check_locate(s, x, jx, f, false);
    }
    if (!s || !x) {
        if (f) {
            f->keyword = NULL;
            f->instance_path = f->schema_path = f->buf_;
            f->buf_[0] = 0;
            f->schema_ = s;
            f->instance_ = jx;
            f->jv_ = jx ? NULL : x;
            f->rc_ = -1;
        }
        return -1;
    }
    bool oom = false;
    if (fast_valid(s, x, &oom))
        return 0;
    if (f && s->fast_root && x->type == PT_JV_OBJECT && pt__flat_locate(s, x, jx, f))
        return 1;
    return check_locate(s, x, jx, f, oom);
}
static int validate_all_jv(const pt_schema_t *s, const pt_jv_t *x, pt_schema_errors_t *errs)
{
    if (!s || !x || !errs)
        return -1;
    vctx_t c = {.s = s, .mode = M_BOOL, .stack_base = __builtin_frame_address(0)};
    if (pt__v_node(&c, s->root, x, NULL, NULL) && !c.oom)
        return 0;
    size_t before = errs->count;
    c = (vctx_t){.s = s, .mode = M_ALL, .all = errs, .stack_base = __builtin_frame_address(0)};
    pt__v_node(&c, s->root, x, NULL, NULL);
    if (c.oom)
        return -1;
    return errs->count > before ? 1 : -1;
}

/* ------------------------------------------------- json_t instances
 *
 * An object against a flat root is walked in place (flat_json: no copy, no
 * call per member) whenever that settles it: valid, or a failure whose
 * location the compiler worked out. Everything else validates the tree
 * copy of the instance, made in this thread's scratch document (reused,
 * so warm calls allocate nothing). The walk never re-enters these entry
 * points. */

static const pt_jv_t *as_jv(const json_t *x, pt_jv_t *out)
{
    jalloc_t *a = pt__tls_jalloc();
    if (!a)
        return NULL;
    pt__jalloc_reset(a);
    return pt__jv_from_json(a, x, out) ? out : NULL;
}

/* flat_json when it applies to s and x, else 2 (not settled). */
static inline __attribute__((always_inline)) int json_fast(const pt_schema_t *s, const json_t *x,
                                                           const plan_entry_t **bad)
{
    if (s->fast_json && json_is_object(x))
        return flat_json(s, x, bad);
    return 2;
}

bool pt_schema_is_valid(const pt_schema_t *s, const json_t *x)
{
    if (!s || !x)
        return false;
    const plan_entry_t *bad = NULL;
    int r = json_fast(s, x, &bad);
    if (r != 2)
        return r == 0;
    pt_jv_t v;
    return as_jv(x, &v) && pt_schema_is_valid_jv(s, &v);
}

int pt_schema_validate(const pt_schema_t *s, const json_t *x, pt_schema_error_t *first)
{
    pt_jv_t v;
    if (!s || !x)
        return pt_schema_validate_jv(s, NULL, first);
    const plan_entry_t *bad = NULL;
    int r = json_fast(s, x, &bad);
    if (r == 0 || (r != 2 && !first)) {
        if (first && first->message)
            pt_schema_error_clear(first);
        return r ? 1 : 0;
    }
    /* the message quotes the failing value: word it from the tree */
    if (!as_jv(x, &v)) {
        if (first && first->message)
            pt_schema_error_clear(first);
        pt__set_error(first, "", "out of memory while validating");
        return -1;
    }
    return pt_schema_validate_jv(s, &v, first);
}

int pt_schema_check(const pt_schema_t *s, const json_t *x, pt_schema_fail_t *f)
{
    pt_jv_t v;
    if (!s || !x)
        return check_jv(s, NULL, x, f);
    const plan_entry_t *bad = NULL;
    int r = json_fast(s, x, &bad);
    if (r != 2) {
        if (f && (f->heap_ || f->rc_))
            pt_schema_fail_clear(f);
        if (r == 0 || !f)
            return r ? 1 : 0;
        /* located at compile time: the first error in keyword order is
         * "required" when only it fails, else the bad property's unless
         * "required" comes first and might fail too (not known: walk) */
        const objplan_t *p = s->fast_plan;
        if (p->located && (r == 3 || (!p->req_first && bad->fail_sp))) {
            f->keyword = r == 3 ? "required" : bad->fail_kw;
            f->instance_path = r == 3 ? "" : bad->fail_ip;
            f->schema_path = r == 3 ? "/required" : bad->fail_sp;
            f->schema_ = s;
            f->instance_ = x;
            f->jv_ = NULL;
            f->rc_ = 1;
            return 1;
        }
    }
    if (!as_jv(x, &v)) {
        if (f && (f->heap_ || f->rc_))
            pt_schema_fail_clear(f);
        if (f) {
            f->keyword = NULL;
            f->instance_path = f->schema_path = f->buf_;
            f->buf_[0] = 0;
            f->schema_ = s;
            f->instance_ = x;
            f->rc_ = -1;
        }
        return -1;
    }
    return check_jv(s, &v, x, f);
}

int pt_schema_validate_all(const pt_schema_t *s, const json_t *x, pt_schema_errors_t *errs)
{
    pt_jv_t v;
    if (!s || !x || !errs)
        return -1;
    const plan_entry_t *bad = NULL;
    if (json_fast(s, x, &bad) == 0)
        return 0;
    if (!as_jv(x, &v))
        return -1;
    return validate_all_jv(s, &v, errs);
}

int pt_schema_check_jv(const pt_schema_t *s, const pt_jv_t *x, pt_schema_fail_t *f)
{
    return check_jv(s, x, NULL, f);
}

int pt_schema_validate_all_jv(const pt_schema_t *s, const pt_jv_t *x, pt_schema_errors_t *errs)
{
    if (!s || !x || !errs)
        return -1;
    return validate_all_jv(s, x, errs);
}
