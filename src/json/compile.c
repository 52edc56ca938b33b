/* Schema compiler: jansson schema document -> graph of sch_t nodes.
 *
 * Two passes. The indexer walks every known document (the root, the
 * registry's documents, the built-in meta-schema) and records, for each
 * subschema, its base URI and every "$id" it declares. The compiler then
 * turns subschemas into nodes, resolving each "$ref" to the node of its
 * target right away; a cache keyed by the subschema's address makes a
 * subschema compile once and lets recursive references close into cycles.
 * Every problem is reported with the JSON Pointer of the bad keyword.
 */
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compile_internal.h"

void cfail(cctx_t *c, const char *path, const char *fmt, ...)
{
    if (c->failed)
        return;
    c->failed = true;
    if (!c->err)
        return;
    va_list ap;
    va_start(ap, fmt);
    char *m = NULL;
    if (vasprintf(&m, fmt, ap) < 0)
        m = NULL;
    va_end(ap);
    sbuf_t b = {0};
    sb_puts(&b, "invalid schema at '");
    sb_puts(&b, path);
    sb_puts(&b, "': ");
    sb_puts(&b, m ? m : "out of memory");
    free(m);
    char *msg = sb_take(&b);
    err_set(c->err, msg ? msg : "out of memory", NULL, path, NULL);
    free(msg);
}

void oom(cctx_t *c) { cfail(c, "", "out of memory"); }

/* JSON Pointer of path + "/" + token (escaped). Malloc'd. */
char *path_join(const char *path, const char *tok)
{
    sbuf_t b = {0};
    sb_puts(&b, path);
    sb_putn(&b, "/", 1);
    for (const char *p = tok; *p; p++) {
        if (*p == '~')
            sb_puts(&b, "~0");
        else if (*p == '/')
            sb_puts(&b, "~1");
        else
            sb_putn(&b, p, 1);
    }
    return sb_take(&b);
}

char *path_idx(const char *path, size_t i)
{
    char tmp[32];
    snprintf(tmp, sizeof tmp, "%zu", i);
    return path_join(path, tmp);
}

/* --------------------------------------------------------------- keywords */

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
        cfail(c, path, "'%s' is not a valid regular expression: %s at offset %zu", pat, (char *)msg,
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
            oom(c);
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
    char *p = path_join(path, tok);
    if (!p) {
        oom(c);
        return NULL;
    }
    sch_t *r = compile_node(c, v, base, p);
    free(p);
    return r;
}

static sch_t *sub_idx(cctx_t *c, const json_t *v, const char *base, const char *path, size_t i)
{
    char *p = path_idx(path, i);
    if (!p) {
        oom(c);
        return NULL;
    }
    sch_t *r = compile_node(c, v, base, p);
    free(p);
    return r;
}

static bool compile_list(cctx_t *c, kw_t *k, const json_t *v, const char *base, const char *kpath,
                         bool nonempty)
{
    if (!json_is_array(v) || (nonempty && json_array_size(v) == 0)) {
        cfail(c, kpath, "%s must be a non-empty array of schemas", k->name);
        return false;
    }
    size_t n = json_array_size(v);
    k->u.list.n = n;
    k->u.list.v = pool_alloc(&c->s->pool, (n ? n : 1) * sizeof(sch_t *));
    if (!k->u.list.v) {
        oom(c);
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
        cfail(c, kpath, "properties must be an object of schemas");
        return false;
    }
    size_t n = json_object_size(v), tn = 4;
    while (tn < n * 2)
        tn *= 2;
    k->u.props.n = n;
    k->u.props.v = pool_alloc(&c->s->pool, (n ? n : 1) * sizeof(prop_t));
    k->u.props.table = pool_alloc(&c->s->pool, tn * sizeof(int32_t));
    k->u.props.mask = (uint32_t)tn - 1;
    if (!k->u.props.v || !k->u.props.table) {
        oom(c);
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

const prop_t *props_find(const kw_t *k, const char *name, size_t len)
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
    const char **r = pool_alloc(&c->s->pool, (n ? n : 1) * sizeof(char *));
    if (!r) {
        oom(c);
        return NULL;
    }
    for (size_t i = 0; i < n; i++)
        r[i] = json_string_value(json_array_get(v, i));
    return r;
}

static bool is_number(const json_t *v) { return json_is_integer(v) || json_is_real(v); }

/* Fills k from the keyword (name, v). Returns false on error (reported). */
static bool compile_kw(cctx_t *c, const json_t *s, kw_t *k, const char *name, const json_t *v,
                       const char *base, const char *path, const char *kpath)
{
    k->name = name;
    k->value = v;
    if (!strcmp(name, "type")) {
        k->kind = KW_TYPE;
        unsigned bits = 0;
        if (json_is_string(v)) {
            bits = type_bit(json_string_value(v));
            if (!bits) {
                cfail(c, kpath, "'%s' is not a JSON Schema type (null, boolean, object, array, number, "
                      "integer, string)", json_string_value(v));
                return false;
            }
        } else if (string_array(v, true)) {
            for (size_t i = 0; i < json_array_size(v); i++) {
                unsigned b = type_bit(json_string_value(json_array_get(v, i)));
                if (!b) {
                    cfail(c, kpath, "'%s' is not a JSON Schema type", json_string_value(json_array_get(v, i)));
                    return false;
                }
                bits |= b;
            }
        } else {
            cfail(c, kpath, "type must be a type name or an array of unique type names");
            return false;
        }
        /* "number" admits integers; checking "integer" on numbers is done
         * by value, so both bits stay distinct */
        k->u.types = bits;
    } else if (!strcmp(name, "enum")) {
        if (!json_is_array(v)) {
            cfail(c, kpath, "enum must be an array");
            return false;
        }
        k->kind = KW_ENUM;
    } else if (!strcmp(name, "const")) {
        k->kind = KW_CONST;
    } else if (!strcmp(name, "multipleOf")) {
        if (!is_number(v) || json_number_value(v) <= 0) {
            cfail(c, kpath, "multipleOf must be a number greater than 0");
            return false;
        }
        k->kind = KW_MULTIPLE_OF;
    } else if (!strcmp(name, "maximum") || !strcmp(name, "exclusiveMaximum") || !strcmp(name, "minimum") ||
               !strcmp(name, "exclusiveMinimum")) {
        if (!is_number(v)) {
            cfail(c, kpath, "%s must be a number", name);
            return false;
        }
        k->kind = !strcmp(name, "maximum")            ? KW_MAXIMUM
                  : !strcmp(name, "exclusiveMaximum") ? KW_EXCL_MAXIMUM
                  : !strcmp(name, "minimum")          ? KW_MINIMUM
                                                      : KW_EXCL_MINIMUM;
    } else if (!strcmp(name, "maxLength") || !strcmp(name, "minLength") || !strcmp(name, "maxItems") ||
               !strcmp(name, "minItems") || !strcmp(name, "maxProperties") || !strcmp(name, "minProperties")) {
        if (!get_count(v, &k->u.limit)) {
            cfail(c, kpath, "%s must be a non-negative integer", name);
            return false;
        }
        k->kind = !strcmp(name, "maxLength")       ? KW_MAX_LENGTH
                  : !strcmp(name, "minLength")     ? KW_MIN_LENGTH
                  : !strcmp(name, "maxItems")      ? KW_MAX_ITEMS
                  : !strcmp(name, "minItems")      ? KW_MIN_ITEMS
                  : !strcmp(name, "maxProperties") ? KW_MAX_PROPERTIES
                                                   : KW_MIN_PROPERTIES;
    } else if (!strcmp(name, "pattern")) {
        if (!json_is_string(v)) {
            cfail(c, kpath, "pattern must be a string");
            return false;
        }
        k->kind = KW_PATTERN;
        if (!(k->u.re = compile_regex(c, json_string_value(v), kpath)))
            return false;
    } else if (!strcmp(name, "format")) {
        if (!json_is_string(v)) {
            cfail(c, kpath, "format must be a string");
            return false;
        }
        k->kind = KW_FORMAT;
        k->u.format = fmt_lookup(json_string_value(v));
        if (k->u.format == FMT_NONE || !c->s->formats)
            k->kind = 0; /* annotation only */
    } else if (!strcmp(name, "items")) {
        if (json_is_array(v)) {
            k->kind = KW_ITEMS_TUPLE;
            return compile_list(c, k, v, base, kpath, false);
        }
        k->kind = KW_ITEMS;
        return (k->u.sub = compile_node(c, v, base, kpath)) != NULL;
    } else if (!strcmp(name, "additionalItems") || !strcmp(name, "contains") ||
               !strcmp(name, "additionalProperties") || !strcmp(name, "propertyNames") || !strcmp(name, "not")) {
        k->kind = !strcmp(name, "additionalItems")        ? KW_ADDITIONAL_ITEMS
                  : !strcmp(name, "contains")             ? KW_CONTAINS
                  : !strcmp(name, "additionalProperties") ? KW_ADDITIONAL_PROPERTIES
                  : !strcmp(name, "propertyNames")        ? KW_PROPERTY_NAMES
                                                          : KW_NOT;
        if (k->kind == KW_ADDITIONAL_ITEMS) {
            const json_t *items = json_object_get(s, "items");
            /* without an array "items" every item is already covered */
            k->tuple_len = json_is_array(items) ? json_array_size(items) : SIZE_MAX;
        }
        return (k->u.sub = compile_node(c, v, base, kpath)) != NULL;
    } else if (!strcmp(name, "uniqueItems")) {
        if (!json_is_boolean(v)) {
            cfail(c, kpath, "uniqueItems must be a boolean");
            return false;
        }
        k->kind = json_is_true(v) ? KW_UNIQUE_ITEMS : 0;
    } else if (!strcmp(name, "required")) {
        if (!string_array(v, true)) {
            cfail(c, kpath, "required must be an array of unique strings");
            return false;
        }
        k->kind = KW_REQUIRED;
        k->u.names.n = json_array_size(v);
        return (k->u.names.v = names_of(c, v)) != NULL;
    } else if (!strcmp(name, "properties")) {
        k->kind = KW_PROPERTIES;
        return compile_props(c, k, v, base, kpath);
    } else if (!strcmp(name, "patternProperties")) {
        if (!json_is_object(v)) {
            cfail(c, kpath, "patternProperties must be an object of schemas");
            return false;
        }
        k->kind = KW_PATTERN_PROPERTIES;
        size_t n = json_object_size(v), i = 0;
        k->u.pats.n = n;
        if (!(k->u.pats.v = pool_alloc(&c->s->pool, (n ? n : 1) * sizeof(pattern_prop_t)))) {
            oom(c);
            return false;
        }
        const char *key;
        json_t *sub;
        json_object_foreach((json_t *)v, key, sub) {
            char *p = path_join(kpath, key);
            if (!p) {
                oom(c);
                return false;
            }
            k->u.pats.v[i].source = key;
            k->u.pats.v[i].code = compile_regex(c, key, p);
            k->u.pats.v[i].schema = k->u.pats.v[i].code ? compile_node(c, sub, base, p) : NULL;
            free(p);
            if (!k->u.pats.v[i].schema)
                return false;
            i++;
        }
    } else if (!strcmp(name, "dependencies")) {
        if (!json_is_object(v)) {
            cfail(c, kpath, "dependencies must be an object");
            return false;
        }
        k->kind = KW_DEPENDENCIES;
        size_t n = json_object_size(v), i = 0;
        k->u.deps.n = n;
        if (!(k->u.deps.v = pool_alloc(&c->s->pool, (n ? n : 1) * sizeof(dep_t)))) {
            oom(c);
            return false;
        }
        const char *key;
        json_t *sub;
        json_object_foreach((json_t *)v, key, sub) {
            dep_t *d = &k->u.deps.v[i++];
            d->name = key;
            if (json_is_array(sub)) {
                if (!string_array(sub, true)) {
                    char *p = path_join(kpath, key);
                    cfail(c, p ? p : kpath, "a property dependency must be an array of unique strings");
                    free(p);
                    return false;
                }
                d->nrequired = json_array_size(sub);
                if (!(d->required = names_of(c, sub)))
                    return false;
            } else if (!(d->schema = sub_at(c, sub, base, kpath, key))) {
                return false;
            }
        }
    } else if (!strcmp(name, "if")) {
        k->kind = KW_IF;
        if (!(k->u.cond.if_ = compile_node(c, v, base, kpath)))
            return false;
        /* then/else are siblings of if: their paths hang off the node */
        const json_t *t = json_object_get(s, "then"), *e = json_object_get(s, "else");
        if (t && !(k->u.cond.then_ = sub_at(c, t, base, path, "then")))
            return false;
        if (e && !(k->u.cond.else_ = sub_at(c, e, base, path, "else")))
            return false;
    } else if (!strcmp(name, "allOf") || !strcmp(name, "anyOf") || !strcmp(name, "oneOf")) {
        k->kind = name[0] == 'o' ? KW_ONE_OF : name[1] == 'l' ? KW_ALL_OF : KW_ANY_OF;
        return compile_list(c, k, v, base, kpath, true);
    } else if (!strcmp(name, "then") || !strcmp(name, "else")) {
        /* compiled with "if"; alone they mean nothing, but must be schemas */
        if (!json_object_get(s, "if"))
            return compile_node(c, v, base, kpath) != NULL;
    } else if (!strcmp(name, "definitions") || !strcmp(name, "$defs")) {
        /* not applied, but a broken definition is still a broken schema */
        if (!json_is_object(v)) {
            cfail(c, kpath, "%s must be an object of schemas", name);
            return false;
        }
        const char *key;
        json_t *sub;
        json_object_foreach((json_t *)v, key, sub) if (!sub_at(c, sub, base, kpath, key)) return false;
    } else if (!strcmp(name, "$id") || !strcmp(name, "$schema")) {
        if (!json_is_string(v)) {
            cfail(c, kpath, "%s must be a string", name);
            return false;
        }
    }
    return true;
}

/* ------------------------------------------------------------------ nodes */

sch_t *compile_node(cctx_t *c, const json_t *s, const char *base, const char *path)
{
    if (c->failed)
        return NULL;
    sch_t *n = pmap_get(&c->nodes, s);
    if (n)
        return n;
    if (!json_is_object(s) && !json_is_boolean(s)) {
        char *r = pt_json_repr(s, 80);
        cfail(c, path, "a schema must be an object or a boolean, not %s", r ? r : "?");
        free(r);
        return NULL;
    }
    if (c->depth >= MAX_SCHEMA_NESTING) {
        cfail(c, path, "schema nesting deeper than %d levels", MAX_SCHEMA_NESTING);
        return NULL;
    }
    if (!(n = pool_alloc(&c->s->pool, sizeof *n)) || !pmap_put(&c->nodes, s, n)) {
        oom(c);
        return NULL;
    }
    n->json = s;
    if (json_is_boolean(s)) {
        n->boolean = json_is_true(s) ? 1 : 2;
        return n;
    }
    const char *own_base = pmap_get(&c->bases, s);
    if (own_base)
        base = own_base;
    c->depth++;
    const json_t *ref = json_object_get(s, "$ref");
    if (ref) {
        /* draft 7: "$ref" overrides every sibling keyword */
        char *kp = path_join(path, "$ref");
        if (!kp) {
            oom(c);
            goto out;
        }
        if (!json_is_string(ref)) {
            cfail(c, kp, "$ref must be a string");
        } else if ((n->kw = pool_alloc(&c->s->pool, sizeof(kw_t)))) {
            n->nkw = 1;
            n->kw[0].kind = KW_REF;
            n->kw[0].name = "$ref";
            n->kw[0].value = ref;
            n->kw[0].u.sub = compile_ref(c, base, json_string_value(ref), kp);
        } else {
            oom(c);
        }
        free(kp);
        goto out;
    }
    size_t cap = json_object_size(s);
    if (!(n->kw = pool_alloc(&c->s->pool, (cap ? cap : 1) * sizeof(kw_t)))) {
        oom(c);
        goto out;
    }
    const char *key;
    json_t *v;
    json_object_foreach((json_t *)s, key, v) {
        char *kp = path_join(path, key);
        if (!kp) {
            oom(c);
            goto out;
        }
        kw_t *k = &n->kw[n->nkw];
        memset(k, 0, sizeof *k);
        bool ok = compile_kw(c, s, k, key, v, base, path, kp);
        free(kp);
        if (!ok || c->failed)
            goto out;
        if (k->kind)
            n->nkw++;
    }
    /* additionalProperties is decided by its siblings wherever they are */
    for (size_t i = 0; i < n->nkw; i++) {
        if (n->kw[i].kind != KW_ADDITIONAL_PROPERTIES)
            continue;
        for (size_t j = 0; j < n->nkw; j++) {
            if (n->kw[j].kind == KW_PROPERTIES)
                n->kw[i].sib_props = &n->kw[j];
            else if (n->kw[j].kind == KW_PATTERN_PROPERTIES)
                n->kw[i].sib_pats = &n->kw[j];
        }
    }
out:
    c->depth--;
    return c->failed ? NULL : n;
}

/* ------------------------------------------------------------ public API */

static void cctx_free(cctx_t *c)
{
    for (size_t i = 0; i < c->nids; i++)
        free(c->ids[i].uri);
    free(c->ids);
    pmap_free(&c->bases);
    pmap_free(&c->nodes);
}

void pt_schema_free(pt_schema_t *s)
{
    if (!s)
        return;
    for (size_t i = 0; i < s->regexes.n; i++)
        pcre2_code_free(s->regexes.v[i]);
    free(s->regexes.v);
    for (size_t i = 0; i < s->ndocs; i++)
        json_decref(s->docs[i]);
    free(s->docs);
    json_decref(s->doc);
    pool_free(&s->pool);
    free(s);
}

json_t *pt_schema_json(const pt_schema_t *s) { return s ? s->doc : NULL; }

pt_schema_t *pt_schema_compile(json_t *schema, const pt_schema_opts_t *opts, pt_schema_error_t *err)
{
    static const pt_schema_opts_t defaults;
    if (!opts)
        opts = &defaults;
    if (err)
        pt_schema_error_clear(err);
    if (!schema) {
        set_error(err, "", "no schema given (NULL)");
        return NULL;
    }
    pt_schema_t *s = calloc(1, sizeof *s);
    if (!s) {
        set_error(err, "", "out of memory");
        return NULL;
    }
    objiter_init();
    s->doc = json_incref(schema);
    s->formats = !opts->no_format;
    s->max_depth = opts->max_depth > 0 ? opts->max_depth : PT_SCHEMA_DEFAULT_MAX_DEPTH;
    cctx_t c = {.s = s, .err = err};

    /* The root's base: its own "$id" (applied by the indexer) over the
     * configured base URI. */
    const char *root_base = opts->base_uri ? opts->base_uri : "";
    index_doc(&c, root_base, schema);
    if (opts->registry) {
        for (size_t i = 0; i < opts->registry->n && !c.failed; i++) {
            const reg_entry_t *e = &opts->registry->v[i];
            if (e->doc == schema) {
                /* the root itself, registered under a name: just alias it */
                char *u = uri_strip_fragment(e->uri);
                if (!u || !add_id(&c, u, schema))
                    oom(&c);
                free(u);
                continue;
            }
            if (!add_doc(&c, e->doc))
                oom(&c);
            index_doc(&c, e->uri, e->doc);
        }
    }
    json_t *meta = metaschema_doc();
    if (meta && !c.failed)
        index_doc(&c, METASCHEMA_URI, meta);
    if (!c.failed)
        s->root = compile_node(&c, schema, root_base, "");
    if (!c.failed && s->root) {
        mark_simple(&c);
        build_plans(&c);
        if (s->root->flat && objiter_layout.ok && s->max_depth > 0) {
            s->fast_root = objiter_layout_usual() ? 1 : 2;
            s->fast_plan = s->root->plan;
            locate_root_plan(&c);
        }
    }
    cctx_free(&c);
    if (c.failed || !s->root) {
        if (err && !err->message)
            set_error(err, "", "invalid schema");
        pt_schema_free(s);
        return NULL;
    }
    return s;
}

pt_schema_t *pt_schema_compile_file(const char *path, const pt_schema_opts_t *opts, pt_schema_error_t *err)
{
    json_t *doc = pt_schema_load_file(path, opts ? opts->search_path : NULL, err);
    if (!doc)
        return NULL;
    pt_schema_t *s = pt_schema_compile(doc, opts, err);
    if (!s && err && err->message) {
        /* name the file: start-up errors must say which schema is bad */
        sbuf_t b = {0};
        sb_printf(&b, "%s: %s", path, err->message);
        char *m = sb_take(&b), *sp = strdup(err->schema_path ? err->schema_path : "");
        if (m && sp)
            err_set(err, m, NULL, sp, NULL);
        free(m);
        free(sp);
    }
    json_decref(doc);
    return s;
}
