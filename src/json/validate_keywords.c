/* One keyword against one value (v_kw), with Python jsonschema's wording
 * of each failure. The messages are built only in the error modes; M_BOOL
 * returns at the first failure without building anything. */
#include <stdlib.h>
#include <string.h>

#include "validate_internal.h"

/* Python's is_valid: a branch check that never reports. */
static bool sub_valid(vctx_t *c, const sch_t *n, const json_t *x)
{
    int mode = c->mode;
    c->mode = M_BOOL;
    bool ok = v_node(c, n, x, NULL, NULL);
    c->mode = mode;
    return ok;
}

static bool prop_is_additional(const kw_t *k, const char *key, size_t len)
{
    if (k->sib_props && props_find(k->sib_props, key, len))
        return false;
    if (k->sib_pats)
        for (size_t i = 0; i < k->sib_pats->u.pats.n; i++)
            if (re_search(k->sib_pats->u.pats.v[i].code, key, len))
                return false;
    return true;
}

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

static int cmp_json_sortable(const void *a, const void *b)
{
    const json_t *x = *(const json_t *const *)a, *y = *(const json_t *const *)b;
    if (json_is_string(x))
        return strcmp(json_string_value(x), json_string_value(y));
    return num_cmp(x, y);
}

/* Python's extras_msg over instance[from:], sorted as Python would when
 * the values are all numbers or all strings. */
static void extra_items_msg(sbuf_t *b, const json_t *arr, size_t from)
{
    size_t n = json_array_size(arr) - from;
    const json_t **v = malloc(n * sizeof *v);
    if (!v) {
        b->oom = true;
        return;
    }
    bool all_num = true, all_str = true;
    for (size_t i = 0; i < n; i++) {
        v[i] = json_array_get(arr, from + i);
        all_num &= json_is_integer(v[i]) || json_is_real(v[i]);
        all_str &= json_is_string(v[i]);
    }
    if (all_num || all_str)
        qsort(v, n, sizeof *v, cmp_json_sortable);
    sb_puts(b, "Additional items are not allowed (");
    for (size_t i = 0; i < n; i++) {
        if (i)
            sb_puts(b, ", ");
        sb_repr(b, v[i]);
    }
    sb_puts(b, n == 1 ? " was unexpected)" : " were unexpected)");
    free(v);
}

/* ---------------------------------------------------------------- keywords */

static bool kw_properties(vctx_t *c, const sch_t *n, const kw_t *k, const json_t *x, const seg_t *ip,
                          const seg_t *ks);

/* Plans up to this size are gathered on the stack in error modes. */
#define GATHER_MAX 16

#define INVALID(...)                                                      \
    do {                                                                  \
        if (c->mode == M_LOC) {                                           \
            locate(c, k->name, ip, sp);                                   \
        } else if (c->mode != M_BOOL) {                                   \
            sbuf_t b_ = {0};                                              \
            __VA_ARGS__;                                                  \
            emit(c, k->name, ip, sp, &b_);                                \
        }                                                                 \
        if (c->mode != M_ALL)                                             \
            return false;                                                 \
        ok = false;                                                       \
    } while (0)
#define MB (&b_)

/* Descends into a subschema; in M_FIRST/M_BOOL stops at the first failure. */
#define DESCEND(node, inst, ipath, spath)                                 \
    do {                                                                  \
        if (!v_node(c, (node), (inst), (ipath), (spath))) {               \
            if (c->mode != M_ALL || c->too_deep || c->oom)                \
                return false;                                             \
            ok = false;                                                   \
        }                                                                 \
    } while (0)
bool v_kw(vctx_t *c, const sch_t *n, const kw_t *k, const json_t *x, const seg_t *ip, const seg_t *psp)
{
    bool ok = true;
    const seg_t ks = {psp, k->name, 0}; /* schema path of this keyword */
    const seg_t *sp = psp;              /* INVALID appends k->name itself */
    json_type t = json_typeof(x);
    switch (k->kind) {
    case KW_REF:
        DESCEND(k->u.sub, x, ip, &ks);
        break;
    case KW_TYPE:
        if (!type_ok(k->u.types, x))
            INVALID(sb_repr(MB, x); sb_puts(MB, " is not of type "); if (json_is_string(k->value)) sb_repr(MB, k->value);
                    else for (size_t i = 0; i < json_array_size(k->value); i++) {
                        if (i) sb_puts(MB, ", ");
                        sb_repr(MB, json_array_get(k->value, i));
                    });
        break;
    case KW_ENUM: {
        size_t m = json_array_size(k->value), i;
        for (i = 0; i < m; i++)
            if (js_equal(x, json_array_get(k->value, i)))
                break;
        if (i == m)
            INVALID(sb_repr(MB, x); sb_puts(MB, " is not one of "); sb_repr(MB, k->value));
        break;
    }
    case KW_CONST:
        if (!js_equal(x, k->value))
            INVALID(sb_repr(MB, k->value); sb_puts(MB, " was expected"));
        break;
    case KW_MULTIPLE_OF:
        if ((t == JSON_INTEGER || t == JSON_REAL) && !multiple_of(x, k->value))
            INVALID(sb_repr(MB, x); sb_puts(MB, " is not a multiple of "); sb_repr(MB, k->value));
        break;
    case KW_MAXIMUM:
        if ((t == JSON_INTEGER || t == JSON_REAL) && num_cmp(x, k->value) > 0)
            INVALID(sb_repr(MB, x); sb_puts(MB, " is greater than the maximum of "); sb_repr(MB, k->value));
        break;
    case KW_EXCL_MAXIMUM:
        if ((t == JSON_INTEGER || t == JSON_REAL) && num_cmp(x, k->value) >= 0)
            INVALID(sb_repr(MB, x); sb_puts(MB, " is greater than or equal to the maximum of ");
                    sb_repr(MB, k->value));
        break;
    case KW_MINIMUM:
        if ((t == JSON_INTEGER || t == JSON_REAL) && num_cmp(x, k->value) < 0)
            INVALID(sb_repr(MB, x); sb_puts(MB, " is less than the minimum of "); sb_repr(MB, k->value));
        break;
    case KW_EXCL_MINIMUM:
        if ((t == JSON_INTEGER || t == JSON_REAL) && num_cmp(x, k->value) <= 0)
            INVALID(sb_repr(MB, x); sb_puts(MB, " is less than or equal to the minimum of ");
                    sb_repr(MB, k->value));
        break;
    case KW_MAX_LENGTH:
        if (t == JSON_STRING && json_string_length(x) > k->u.limit &&
            utf8_len(json_string_value(x), json_string_length(x)) > k->u.limit)
            INVALID(sb_repr(MB, x); sb_puts(MB, " is too long"));
        break;
    case KW_MIN_LENGTH:
        if (t == JSON_STRING && (json_string_length(x) < k->u.limit ||
                                 utf8_len(json_string_value(x), json_string_length(x)) < k->u.limit))
            INVALID(sb_repr(MB, x); sb_puts(MB, " is too short"));
        break;
    case KW_PATTERN:
        if (t == JSON_STRING && !re_search(k->u.re, json_string_value(x), json_string_length(x)))
            INVALID(sb_repr(MB, x); sb_puts(MB, " does not match "); sb_repr(MB, k->value));
        break;
    case KW_FORMAT:
        if (t == JSON_STRING && !fmt_check(k->u.format, json_string_value(x), json_string_length(x)))
            INVALID(sb_repr(MB, x); sb_puts(MB, " is not a "); sb_repr(MB, k->value));
        break;
    case KW_ITEMS:
        if (t == JSON_ARRAY) {
            for (size_t i = 0, m = json_array_size(x); i < m; i++) {
                seg_t is = {ip, NULL, i};
                DESCEND(k->u.sub, json_array_get(x, i), &is, &ks);
            }
        }
        break;
    case KW_ITEMS_TUPLE:
        if (t == JSON_ARRAY) {
            size_t m = json_array_size(x);
            for (size_t i = 0; i < m && i < k->u.list.n; i++) {
                seg_t is = {ip, NULL, i}, ss = {&ks, NULL, i};
                DESCEND(k->u.list.v[i], json_array_get(x, i), &is, &ss);
            }
        }
        break;
    case KW_ADDITIONAL_ITEMS:
        if (t == JSON_ARRAY && k->tuple_len != SIZE_MAX && json_array_size(x) > k->tuple_len) {
            if (k->u.sub->boolean == 2) {
                INVALID(extra_items_msg(MB, x, k->tuple_len));
            } else if (k->u.sub->boolean == 0) {
                for (size_t i = k->tuple_len, m = json_array_size(x); i < m; i++) {
                    seg_t is = {ip, NULL, i};
                    DESCEND(k->u.sub, json_array_get(x, i), &is, &ks);
                }
            }
        }
        break;
    case KW_MAX_ITEMS:
        if (t == JSON_ARRAY && json_array_size(x) > k->u.limit)
            INVALID(sb_repr(MB, x); sb_puts(MB, " is too long"));
        break;
    case KW_MIN_ITEMS:
        if (t == JSON_ARRAY && json_array_size(x) < k->u.limit)
            INVALID(sb_repr(MB, x); sb_puts(MB, " is too short"));
        break;
    case KW_UNIQUE_ITEMS:
        if (t == JSON_ARRAY && !unique(c, x))
            INVALID(sb_repr(MB, x); sb_puts(MB, " has non-unique elements"));
        break;
    case KW_CONTAINS:
        if (t == JSON_ARRAY) {
            size_t i, m = json_array_size(x);
            for (i = 0; i < m; i++)
                if (sub_valid(c, k->u.sub, json_array_get(x, i)))
                    break;
            if (i == m)
                INVALID(sb_puts(MB, "None of "); sb_repr(MB, x); sb_puts(MB, " are valid under the given schema"));
        }
        break;
    case KW_MAX_PROPERTIES:
        if (t == JSON_OBJECT && json_object_size(x) > k->u.limit)
            INVALID(sb_repr(MB, x); sb_puts(MB, " has too many properties"));
        break;
    case KW_MIN_PROPERTIES:
        if (t == JSON_OBJECT && json_object_size(x) < k->u.limit)
            INVALID(sb_repr(MB, x); sb_puts(MB, " does not have enough properties"));
        break;
    case KW_REQUIRED:
        if (t == JSON_OBJECT) {
            uint64_t seen = n->plan ? plan_gather(n->plan, x, NULL) : 0;
            for (size_t i = 0; i < k->u.names.n; i++)
                if (n->plan ? !(seen >> i & 1) : !json_object_get(x, k->u.names.v[i]))
                    INVALID(sb_pystr(MB, k->u.names.v[i], strlen(k->u.names.v[i]));
                            sb_puts(MB, " is a required property"));
        }
        break;
    case KW_PROPERTIES:
        if (t != JSON_OBJECT)
            break;
        if (c->mode == M_BOOL && json_object_size(x) < k->u.props.n) {
            /* fewer instance keys than declared properties: walk the keys */
            for (void *it = json_object_iter((json_t *)x); it; it = json_object_iter_next((json_t *)x, it)) {
                const char *key = json_object_iter_key(it);
                const prop_t *p = props_find(k, key, json_object_iter_key_len(it));
                if (p && !v_node(c, p->schema, json_object_iter_value(it), NULL, NULL))
                    return false;
            }
        } else if (!kw_properties(c, n, k, x, ip, &ks)) {
            return false;
        }
        break;
    case KW_PATTERN_PROPERTIES:
        if (t == JSON_OBJECT) {
            for (size_t i = 0; i < k->u.pats.n; i++) {
                const pattern_prop_t *r = &k->u.pats.v[i];
                for (void *it = json_object_iter((json_t *)x); it; it = json_object_iter_next((json_t *)x, it)) {
                    const char *key = json_object_iter_key(it);
                    if (!re_search(r->code, key, json_object_iter_key_len(it)))
                        continue;
                    seg_t is = {ip, key, 0}, ss = {&ks, r->source, 0};
                    DESCEND(r->schema, json_object_iter_value(it), &is, &ss);
                }
            }
        }
        break;
    case KW_ADDITIONAL_PROPERTIES: {
        if (t != JSON_OBJECT || k->u.sub->boolean == 1)
            break;
        if (k->u.sub->boolean == 0) {
            for (void *it = json_object_iter((json_t *)x); it; it = json_object_iter_next((json_t *)x, it)) {
                const char *key = json_object_iter_key(it);
                if (!prop_is_additional(k, key, json_object_iter_key_len(it)))
                    continue;
                seg_t is = {ip, key, 0};
                DESCEND(k->u.sub, json_object_iter_value(it), &is, &ks);
            }
            break;
        }
        /* false: every additional key is an error, reported together */
        size_t nx = 0;
        for (void *it = json_object_iter((json_t *)x); it; it = json_object_iter_next((json_t *)x, it))
            if (prop_is_additional(k, json_object_iter_key(it), json_object_iter_key_len(it))) {
                nx++;
                if (c->mode == M_BOOL)
                    return false;
            }
        if (!nx)
            break;
        if (c->mode == M_LOC) {
            locate(c, k->name, ip, sp);
            return false;
        }
        const char **keys = malloc(nx * sizeof *keys);
        if (!keys) {
            c->oom = true;
            return false;
        }
        size_t j = 0;
        for (void *it = json_object_iter((json_t *)x); it; it = json_object_iter_next((json_t *)x, it))
            if (prop_is_additional(k, json_object_iter_key(it), json_object_iter_key_len(it)))
                keys[j++] = json_object_iter_key(it);
        qsort(keys, nx, sizeof *keys, cmp_str);
        sbuf_t b_ = {0};
        if (k->sib_pats) {
            for (size_t i = 0; i < nx; i++) {
                if (i)
                    sb_puts(&b_, ", ");
                sb_pystr(&b_, keys[i], strlen(keys[i]));
            }
            sb_puts(&b_, nx == 1 ? " does not match any of the regexes: " : " do not match any of the regexes: ");
            size_t np = k->sib_pats->u.pats.n;
            const char **pats = malloc((np ? np : 1) * sizeof *pats);
            if (pats) {
                for (size_t i = 0; i < np; i++)
                    pats[i] = k->sib_pats->u.pats.v[i].source;
                qsort(pats, np, sizeof *pats, cmp_str);
                for (size_t i = 0; i < np; i++) {
                    if (i)
                        sb_puts(&b_, ", ");
                    sb_pystr(&b_, pats[i], strlen(pats[i]));
                }
                free(pats);
            } else {
                b_.oom = true;
            }
        } else {
            sb_puts(&b_, "Additional properties are not allowed (");
            for (size_t i = 0; i < nx; i++) {
                if (i)
                    sb_puts(&b_, ", ");
                sb_pystr(&b_, keys[i], strlen(keys[i]));
            }
            sb_puts(&b_, nx == 1 ? " was unexpected)" : " were unexpected)");
        }
        free(keys);
        emit(c, k->name, ip, sp, &b_);
        if (c->mode != M_ALL)
            return false;
        ok = false;
        break;
    }
    case KW_DEPENDENCIES:
        if (t == JSON_OBJECT) {
            for (size_t i = 0; i < k->u.deps.n; i++) {
                const dep_t *d = &k->u.deps.v[i];
                if (!json_object_get(x, d->name))
                    continue;
                if (d->schema) {
                    seg_t ss = {&ks, d->name, 0};
                    DESCEND(d->schema, x, ip, &ss);
                    continue;
                }
                for (size_t j = 0; j < d->nrequired; j++)
                    if (!json_object_get(x, d->required[j]))
                        INVALID(sb_pystr(MB, d->required[j], strlen(d->required[j]));
                                sb_puts(MB, " is a dependency of "); sb_pystr(MB, d->name, strlen(d->name)));
            }
        }
        break;
    case KW_PROPERTY_NAMES:
        if (t == JSON_OBJECT) {
            for (void *it = json_object_iter((json_t *)x); it; it = json_object_iter_next((json_t *)x, it)) {
                /* the name is validated as a string instance of its own */
                json_t *name = json_stringn_nocheck(json_object_iter_key(it), json_object_iter_key_len(it));
                if (!name) {
                    c->oom = true;
                    return false;
                }
                bool good = v_node(c, k->u.sub, name, ip, &ks);
                json_decref(name);
                if (!good) {
                    if (c->mode != M_ALL || c->too_deep || c->oom)
                        return false;
                    ok = false;
                }
            }
        }
        break;
    case KW_IF:
        if (sub_valid(c, k->u.cond.if_, x)) {
            if (k->u.cond.then_) {
                seg_t ss = {psp, "then", 0};
                DESCEND(k->u.cond.then_, x, ip, &ss);
            }
        } else if (k->u.cond.else_) {
            seg_t ss = {psp, "else", 0};
            DESCEND(k->u.cond.else_, x, ip, &ss);
        }
        break;
    case KW_ALL_OF:
        for (size_t i = 0; i < k->u.list.n; i++) {
            seg_t ss = {&ks, NULL, i};
            DESCEND(k->u.list.v[i], x, ip, &ss);
        }
        break;
    case KW_ANY_OF: {
        size_t i;
        for (i = 0; i < k->u.list.n; i++)
            if (sub_valid(c, k->u.list.v[i], x))
                break;
        if (i == k->u.list.n)
            INVALID(sb_repr(MB, x); sb_puts(MB, " is not valid under any of the given schemas"));
        break;
    }
    case KW_ONE_OF: {
        size_t i, m = k->u.list.n;
        for (i = 0; i < m; i++)
            if (sub_valid(c, k->u.list.v[i], x))
                break;
        if (i == m) {
            INVALID(sb_repr(MB, x); sb_puts(MB, " is not valid under any of the given schemas"));
            break;
        }
        size_t first = i;
        bool more = false;
        for (size_t j = first + 1; j < m && !more; j++)
            more = sub_valid(c, k->u.list.v[j], x);
        if (more) {
            /* Python lists the other valid branches, then the first one */
            INVALID(sb_repr(MB, x); sb_puts(MB, " is valid under each of "); bool any = false;
                    for (size_t j = first + 1; j < m; j++) if (sub_valid(c, k->u.list.v[j], x)) {
                        if (any) sb_puts(MB, ", ");
                        any = true;
                        sb_repr(MB, k->u.list.v[j]->json);
                    } sb_puts(MB, ", ");
                    sb_repr(MB, k->u.list.v[first]->json));
        }
        break;
    }
    case KW_NOT:
        if (sub_valid(c, k->u.sub, x))
            INVALID(sb_repr(MB, x); sb_puts(MB, " should not be valid under "); sb_repr(MB, k->value));
        break;
    }
    return ok;
}

/* "properties" in error modes: declaration order, as Python reports. Kept
 * out of v_kw so the gathered values only take stack space here. */
static __attribute__((noinline)) bool kw_properties(vctx_t *c, const sch_t *n, const kw_t *k, const json_t *x,
                                                     const seg_t *ip, const seg_t *ks)
{
    bool ok = true;
    const json_t *vals[GATHER_MAX];
    bool gathered = n->plan && n->plan->n <= GATHER_MAX;
    if (gathered)
        plan_gather(n->plan, x, vals);
    for (size_t i = 0; i < k->u.props.n; i++) {
        const prop_t *p = &k->u.props.v[i];
        const json_t *v = gathered ? vals[i] : json_object_getn(x, p->name, p->len);
        if (v && !(p->schema->simple && type_ok(p->schema->tmask, v))) { /* a simple pass reports nothing */
            seg_t is = {ip, p->name, 0}, ss = {ks, p->name, 0};
            DESCEND(p->schema, v, &is, &ss);
        }
    }
    return ok;
}
