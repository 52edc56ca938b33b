/* The schema compiler's keywords: one function per keyword, named by
 * pt__kw_defs (keywords.c), and the helpers they share. compile_node
 * (compile.c) calls them for each member of a schema object. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "keywords.h"

/* ---------------------------------------------------------------- helpers */

static bool get_count(const json_t *v, size_t *out)
{
    if (json_is_integer(v) && json_integer_value(v) >= 0) {
        *out = (size_t)json_integer_value(v);
        return true;
    }
    if (json_is_real(v) && json_real_value(v) >= 0 && floor(json_real_value(v)) == json_real_value(v) &&
        json_real_value(v) < 1e18) {
        *out = (size_t)json_real_value(v);
        return true;
    }
    return false;
}

static pcre2_code *compile_regex(cctx_t *c, const char *pat, const char *path)
{
    int ec;
    PCRE2_SIZE eo;
    /* ECMA 262 "$" matches only at the very end; PCRE2's default also
     * matches before a final newline. */
    pcre2_code *re = pcre2_compile((PCRE2_SPTR)pat, PCRE2_ZERO_TERMINATED, PCRE2_UTF | PCRE2_DOLLAR_ENDONLY,
                                   &ec, &eo, NULL);
    if (!re) {
        PCRE2_UCHAR msg[256];
        pcre2_get_error_message(ec, msg, sizeof msg);
        pt__cfail(c, path, "'%s' is not a valid regular expression: %s at offset %zu", pat, (char *)msg,
              (size_t)eo);
        return NULL;
    }
    pcre2_jit_compile(re, PCRE2_JIT_COMPLETE); /* falls back to the interpreter if JIT is unavailable */
    pcre_list_t *l = &c->s->regexes;
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 8;
        pcre2_code **v = realloc(l->v, cap * sizeof *v);
        if (!v) {
            pcre2_code_free(re);
            pt__cfail_oom(c);
            return NULL;
        }
        l->v = v;
        l->cap = cap;
    }
    l->v[l->n++] = re;
    return re;
}

static unsigned type_bit(const char *name)
{
    static const struct { const char *n; unsigned b; } t[] = {
        {"null", T_NULL},     {"boolean", T_BOOLEAN}, {"object", T_OBJECT}, {"array", T_ARRAY},
        {"number", T_NUMBER}, {"integer", T_INTEGER}, {"string", T_STRING},
    };
    for (size_t i = 0; i < sizeof t / sizeof *t; i++)
        if (!strcmp(t[i].n, name))
            return t[i].b;
    return 0;
}

static sch_t *sub_at(cctx_t *c, const json_t *v, const char *base, const char *path, const char *tok)
{
    char *p = pt__path_join(path, tok);
    if (!p) {
        pt__cfail_oom(c);
        return NULL;
    }
    sch_t *r = pt__compile_node(c, v, base, p);
    free(p);
    return r;
}

static sch_t *sub_idx(cctx_t *c, const json_t *v, const char *base, const char *path, size_t i)
{
    char *p = pt__path_idx(path, i);
    if (!p) {
        pt__cfail_oom(c);
        return NULL;
    }
    sch_t *r = pt__compile_node(c, v, base, p);
    free(p);
    return r;
}

static bool compile_list(cctx_t *c, kw_t *k, const json_t *v, const char *base, const char *kpath,
                         bool nonempty)
{
    if (!json_is_array(v) || (nonempty && json_array_size(v) == 0)) {
        pt__cfail(c, kpath, "%s must be a non-empty array of schemas", k->name);
        return false;
    }
    size_t n = json_array_size(v);
    k->u.list.n = n;
    k->u.list.v = pt__pool_alloc(&c->s->pool, (n ? n : 1) * sizeof(sch_t *));
    if (!k->u.list.v) {
        pt__cfail_oom(c);
        return false;
    }
    for (size_t i = 0; i < n; i++)
        if (!(k->u.list.v[i] = sub_idx(c, json_array_get(v, i), base, kpath, i)))
            return false;
    return true;
}


static bool compile_props(cctx_t *c, kw_t *k, const json_t *v, const char *base, const char *kpath)
{
    if (!json_is_object(v)) {
        pt__cfail(c, kpath, "properties must be an object of schemas");
        return false;
    }
    size_t n = json_object_size(v), tn = 4;
    while (tn < n * 2)
        tn *= 2;
    k->u.props.n = n;
    k->u.props.v = pt__pool_alloc(&c->s->pool, (n ? n : 1) * sizeof(prop_t));
    k->u.props.table = pt__pool_alloc(&c->s->pool, tn * sizeof(int32_t));
    k->u.props.mask = (uint32_t)tn - 1;
    if (!k->u.props.v || !k->u.props.table) {
        pt__cfail_oom(c);
        return false;
    }
    for (size_t i = 0; i < tn; i++)
        k->u.props.table[i] = -1;
    const char *key;
    json_t *sub;
    size_t i = 0;
    json_object_foreach((json_t *)v, key, sub) {
        prop_t *p = &k->u.props.v[i];
        p->name = key;
        p->len = strlen(key);
        p->hash = prop_hash(key, p->len);
        if (!(p->schema = sub_at(c, sub, base, kpath, key)))
            return false;
        uint32_t j = p->hash & k->u.props.mask;
        while (k->u.props.table[j] >= 0)
            j = (j + 1) & k->u.props.mask;
        k->u.props.table[j] = (int32_t)i;
        i++;
    }
    return true;
}

const prop_t *pt__props_find(const kw_t *k, const char *name, size_t len)
{
    uint32_t h = prop_hash(name, len), j = h & k->u.props.mask;
    int32_t ix;
    while ((ix = k->u.props.table[j]) >= 0) {
        const prop_t *p = &k->u.props.v[ix];
        if (p->hash == h && p->len == len && key_eq(p->name, name, len))
            return p;
        j = (j + 1) & k->u.props.mask;
    }
    return NULL;
}

static bool string_array(const json_t *v, bool unique)
{
    if (!json_is_array(v))
        return false;
    for (size_t i = 0; i < json_array_size(v); i++) {
        if (!json_is_string(json_array_get(v, i)))
            return false;
        if (unique)
            for (size_t j = 0; j < i; j++)
                if (json_equal(json_array_get(v, i), json_array_get(v, j)))
                    return false;
    }
    return true;
}

static const char **names_of(cctx_t *c, const json_t *v)
{
    size_t n = json_array_size(v);
    const char **r = pt__pool_alloc(&c->s->pool, (n ? n : 1) * sizeof(char *));
    if (!r) {
        pt__cfail_oom(c);
        return NULL;
    }
    for (size_t i = 0; i < n; i++)
        r[i] = json_string_value(json_array_get(v, i));
    return r;
}

static bool is_number(const json_t *v) { return json_is_integer(v) || json_is_real(v); }

/* --------------------------------------------------------------- keywords
 *
 * One function per keyword (pt__kw_defs in keywords.c names them). Each
 * checks the keyword's value, fills k (compile_node has set k->name,
 * k->value and k->kind from the table; a compiler may change the kind, or
 * clear it when the keyword turns out to assert nothing) and returns false
 * on an error it has reported with pt__cfail. */

bool pt__kw_compile_ref(cctx_t *c, kw_t *k, const kw_site_t *at)
{
    if (!json_is_string(at->v)) {
        pt__cfail(c, at->kpath, "$ref must be a string");
        return false;
    }
    return (k->u.sub = pt__compile_ref(c, at->base, json_string_value(at->v), at->kpath)) != NULL;
}

bool pt__kw_compile_type(cctx_t *c, kw_t *k, const kw_site_t *at)
{
    const json_t *v = at->v;
    unsigned bits = 0;
    if (json_is_string(v)) {
        bits = type_bit(json_string_value(v));
        if (!bits) {
            pt__cfail(c, at->kpath, "'%s' is not a JSON Schema type (null, boolean, object, array, number, "
                      "integer, string)", json_string_value(v));
            return false;
        }
    } else if (string_array(v, true)) {
        for (size_t i = 0; i < json_array_size(v); i++) {
            unsigned b = type_bit(json_string_value(json_array_get(v, i)));
            if (!b) {
                pt__cfail(c, at->kpath, "'%s' is not a JSON Schema type", json_string_value(json_array_get(v, i)));
                return false;
            }
            bits |= b;
        }
    } else {
        pt__cfail(c, at->kpath, "type must be a type name or an array of unique type names");
        return false;
    }
    /* "number" admits integers; checking "integer" on numbers is done by
     * value, so both bits stay distinct */
    k->u.types = bits;
    return true;
}

bool pt__kw_compile_enum(cctx_t *c, kw_t *k, const kw_site_t *at)
{
    if (!json_is_array(at->v)) {
        pt__cfail(c, at->kpath, "enum must be an array");
        return false;
    }
    return true;
}

/* "const": any value will do. */
bool pt__kw_compile_const(cctx_t *c, kw_t *k, const kw_site_t *at) { return true; }

bool pt__kw_compile_multiple_of(cctx_t *c, kw_t *k, const kw_site_t *at)
{
    if (!is_number(at->v) || json_number_value(at->v) <= 0) {
        pt__cfail(c, at->kpath, "multipleOf must be a number greater than 0");
        return false;
    }
    return true;
}

/* maximum, exclusiveMaximum, minimum, exclusiveMinimum */
bool pt__kw_compile_bound(cctx_t *c, kw_t *k, const kw_site_t *at)
{
    if (!is_number(at->v)) {
        pt__cfail(c, at->kpath, "%s must be a number", k->name);
        return false;
    }
    return true;
}

/* maxLength, minLength, maxItems, minItems, maxProperties, minProperties */
bool pt__kw_compile_count(cctx_t *c, kw_t *k, const kw_site_t *at)
{
    if (!get_count(at->v, &k->u.limit)) {
        pt__cfail(c, at->kpath, "%s must be a non-negative integer", k->name);
        return false;
    }
    return true;
}

bool pt__kw_compile_pattern(cctx_t *c, kw_t *k, const kw_site_t *at)
{
    if (!json_is_string(at->v)) {
        pt__cfail(c, at->kpath, "pattern must be a string");
        return false;
    }
    return (k->u.re = compile_regex(c, json_string_value(at->v), at->kpath)) != NULL;
}

bool pt__kw_compile_format(cctx_t *c, kw_t *k, const kw_site_t *at)
{
    if (!json_is_string(at->v)) {
        pt__cfail(c, at->kpath, "format must be a string");
        return false;
    }
    k->u.format = pt__fmt_lookup(json_string_value(at->v));
    if (k->u.format == FMT_NONE || !c->s->formats)
        k->kind = 0; /* annotation only */
    return true;
}

/* "items": one schema for every item, or an array of schemas (a tuple). */
bool pt__kw_compile_items(cctx_t *c, kw_t *k, const kw_site_t *at)
{
    if (json_is_array(at->v)) {
        k->kind = KW_ITEMS_TUPLE;
        return compile_list(c, k, at->v, at->base, at->kpath, false);
    }
    k->kind = KW_ITEMS;
    return (k->u.sub = pt__compile_node(c, at->v, at->base, at->kpath)) != NULL;
}

/* contains, additionalProperties, propertyNames, not: one subschema. */
bool pt__kw_compile_subschema(cctx_t *c, kw_t *k, const kw_site_t *at)
{
    return (k->u.sub = pt__compile_node(c, at->v, at->base, at->kpath)) != NULL;
}

bool pt__kw_compile_additional_items(cctx_t *c, kw_t *k, const kw_site_t *at)
{
    const json_t *items = json_object_get(at->node, "items");
    /* without an array "items" every item is already covered */
    k->tuple_len = json_is_array(items) ? json_array_size(items) : SIZE_MAX;
    return pt__kw_compile_subschema(c, k, at);
}

bool pt__kw_compile_unique_items(cctx_t *c, kw_t *k, const kw_site_t *at)
{
    if (!json_is_boolean(at->v)) {
        pt__cfail(c, at->kpath, "uniqueItems must be a boolean");
        return false;
    }
    if (!json_is_true(at->v))
        k->kind = 0; /* false asserts nothing */
    return true;
}

bool pt__kw_compile_required(cctx_t *c, kw_t *k, const kw_site_t *at)
{
    if (!string_array(at->v, true)) {
        pt__cfail(c, at->kpath, "required must be an array of unique strings");
        return false;
    }
    k->u.names.n = json_array_size(at->v);
    return (k->u.names.v = names_of(c, at->v)) != NULL;
}

bool pt__kw_compile_properties(cctx_t *c, kw_t *k, const kw_site_t *at)
{
    return compile_props(c, k, at->v, at->base, at->kpath);
}

bool pt__kw_compile_pattern_properties(cctx_t *c, kw_t *k, const kw_site_t *at)
{
    if (!json_is_object(at->v)) {
        pt__cfail(c, at->kpath, "patternProperties must be an object of schemas");
        return false;
    }
    size_t n = json_object_size(at->v), i = 0;
    k->u.pats.n = n;
    if (!(k->u.pats.v = pt__pool_alloc(&c->s->pool, (n ? n : 1) * sizeof(pattern_prop_t)))) {
        pt__cfail_oom(c);
        return false;
    }
    const char *key;
    json_t *sub;
    json_object_foreach((json_t *)at->v, key, sub) {
        char *p = pt__path_join(at->kpath, key);
        if (!p) {
            pt__cfail_oom(c);
            return false;
        }
        k->u.pats.v[i].source = key;
        k->u.pats.v[i].code = compile_regex(c, key, p);
        k->u.pats.v[i].schema = k->u.pats.v[i].code ? pt__compile_node(c, sub, at->base, p) : NULL;
        free(p);
        if (!k->u.pats.v[i].schema)
            return false;
        i++;
    }
    return true;
}

bool pt__kw_compile_dependencies(cctx_t *c, kw_t *k, const kw_site_t *at)
{
    if (!json_is_object(at->v)) {
        pt__cfail(c, at->kpath, "dependencies must be an object");
        return false;
    }
    size_t n = json_object_size(at->v), i = 0;
    k->u.deps.n = n;
    if (!(k->u.deps.v = pt__pool_alloc(&c->s->pool, (n ? n : 1) * sizeof(dep_t)))) {
        pt__cfail_oom(c);
        return false;
    }
    const char *key;
    json_t *sub;
    json_object_foreach((json_t *)at->v, key, sub) {
        dep_t *d = &k->u.deps.v[i++];
        d->name = key;
        if (json_is_array(sub)) {
            if (!string_array(sub, true)) {
                char *p = pt__path_join(at->kpath, key);
                pt__cfail(c, p ? p : at->kpath, "a property dependency must be an array of unique strings");
                free(p);
                return false;
            }
            d->nrequired = json_array_size(sub);
            if (!(d->required = names_of(c, sub)))
                return false;
        } else if (!(d->schema = sub_at(c, sub, at->base, at->kpath, key))) {
            return false;
        }
    }
    return true;
}

/* "if" compiles its siblings "then" and "else" too: they apply only with
 * it, and their paths hang off the node. */
bool pt__kw_compile_if(cctx_t *c, kw_t *k, const kw_site_t *at)
{
    if (!(k->u.cond.if_ = pt__compile_node(c, at->v, at->base, at->kpath)))
        return false;
    const json_t *t = json_object_get(at->node, "then"), *e = json_object_get(at->node, "else");
    if (t && !(k->u.cond.then_ = sub_at(c, t, at->base, at->path, "then")))
        return false;
    if (e && !(k->u.cond.else_ = sub_at(c, e, at->base, at->path, "else")))
        return false;
    return true;
}

/* allOf, anyOf, oneOf */
bool pt__kw_compile_schema_list(cctx_t *c, kw_t *k, const kw_site_t *at)
{
    return compile_list(c, k, at->v, at->base, at->kpath, true);
}

/* "then", "else": compiled with "if"; alone they mean nothing, but must be
 * schemas. */
bool pt__kw_compile_then_else(cctx_t *c, kw_t *k, const kw_site_t *at)
{
    if (json_object_get(at->node, "if"))
        return true;
    return pt__compile_node(c, at->v, at->base, at->kpath) != NULL;
}

/* "definitions", "$defs": not applied, but a broken definition is still a
 * broken schema. */
bool pt__kw_compile_definitions(cctx_t *c, kw_t *k, const kw_site_t *at)
{
    if (!json_is_object(at->v)) {
        pt__cfail(c, at->kpath, "%s must be an object of schemas", k->name);
        return false;
    }
    const char *key;
    json_t *sub;
    json_object_foreach((json_t *)at->v, key, sub) {
        if (!sub_at(c, sub, at->base, at->kpath, key))
            return false;
    }
    return true;
}

/* "$id", "$schema": read by the indexer; here only their type is checked. */
bool pt__kw_compile_string(cctx_t *c, kw_t *k, const kw_site_t *at)
{
    if (!json_is_string(at->v)) {
        pt__cfail(c, at->kpath, "%s must be a string", k->name);
        return false;
    }
    return true;
}
