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
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jdoc.h"
#include "keywords.h"

void pt__cfail(cctx_t *c, const char *path, const char *fmt, ...)
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
    pt__sb_puts(&b, "invalid schema at '");
    pt__sb_puts(&b, path);
    pt__sb_puts(&b, "': ");
    pt__sb_puts(&b, m ? m : "out of memory");
    free(m);
    char *msg = pt__sb_take(&b);
    pt__err_set(c->err, msg ? msg : "out of memory", NULL, path, NULL);
    free(msg);
}

void pt__cfail_oom(cctx_t *c) { pt__cfail(c, "", "out of memory"); }

/* JSON Pointer of path + "/" + token (escaped). Malloc'd. */
char *pt__path_join(const char *path, const char *tok)
{
    sbuf_t b = {0};
    pt__sb_puts(&b, path);
    sb_putn(&b, "/", 1);
    for (const char *p = tok; *p; p++) {
        if (*p == '~')
            pt__sb_puts(&b, "~0");
        else if (*p == '/')
            pt__sb_puts(&b, "~1");
        else
            sb_putn(&b, p, 1);
    }
    return pt__sb_take(&b);
}

char *pt__path_idx(const char *path, size_t i)
{
    char tmp[32];
    snprintf(tmp, sizeof tmp, "%zu", i);
    return pt__path_join(path, tmp);
}

/* ------------------------------------------------------------------ nodes */

/* Compiles member (key, v) of schema object s into the next keyword of n;
 * unknown keywords, and keywords that turn out to assert nothing, take no
 * slot. Returns false on an error (reported). */
static bool compile_member(cctx_t *c, sch_t *n, const json_t *s, const char *key, const json_t *v,
                           const char *base, const char *path)
{
    const kw_def_t *def = pt__kw_lookup(key);
    if (!def)
        return true;
    char *kp = pt__path_join(path, key);
    if (!kp) {
        pt__cfail_oom(c);
        return false;
    }
    kw_t *k = &n->kw[n->nkw];
    memset(k, 0, sizeof *k);
    k->kind = (kw_kind_t)(def - pt__kw_defs);
    k->name = key;
    k->value = v;
    const kw_site_t at = {.node = s, .v = v, .base = base, .path = path, .kpath = kp};
    bool ok = def->compile(c, k, &at);
    free(kp);
    if (!ok || c->failed)
        return false;
    switch (k->kind) {
    case KW_ENUM: case KW_CONST: case KW_MULTIPLE_OF:
    case KW_MAXIMUM: case KW_EXCL_MAXIMUM: case KW_MINIMUM: case KW_EXCL_MINIMUM:
        /* compared with instances: held as instances are */
        if (!c->s->jmem && !(c->s->jmem = calloc(1, sizeof *c->s->jmem))) {
            pt__cfail_oom(c);
            return false;
        }
        if (!pt__jv_from_json(c->s->jmem, v, &k->jval)) {
            pt__cfail_oom(c);
            return false;
        }
        break;
    default:
        break;
    }
    if (pt__kw_defs[k->kind].validate)
        n->nkw++;
    return true;
}

sch_t *pt__compile_node(cctx_t *c, const json_t *s, const char *base, const char *path)
{
    if (c->failed)
        return NULL;
    sch_t *n = pt__pmap_get(&c->nodes, s);
    if (n)
        return n;
    if (!json_is_object(s) && !json_is_boolean(s)) {
        char *r = pt_json_repr(s, 80);
        pt__cfail(c, path, "a schema must be an object or a boolean, not %s", r ? r : "?");
        free(r);
        return NULL;
    }
    if (c->depth >= MAX_SCHEMA_NESTING) {
        pt__cfail(c, path, "schema nesting deeper than %d levels", MAX_SCHEMA_NESTING);
        return NULL;
    }
    if (!(n = pt__pool_alloc(&c->s->pool, sizeof *n)) || !pt__pmap_put(&c->nodes, s, n)) {
        pt__cfail_oom(c);
        return NULL;
    }
    n->json = s;
    if (json_is_boolean(s)) {
        n->boolean = json_is_true(s) ? 1 : 2;
        return n;
    }
    const char *own_base = pt__pmap_get(&c->bases, s);
    if (own_base)
        base = own_base;
    c->depth++;
    /* draft 7: "$ref" overrides every sibling keyword */
    const json_t *ref = json_object_get(s, "$ref");
    size_t cap = ref ? 1 : json_object_size(s);
    if (!(n->kw = pt__pool_alloc(&c->s->pool, (cap ? cap : 1) * sizeof(kw_t)))) {
        pt__cfail_oom(c);
        goto out;
    }
    if (ref) {
        compile_member(c, n, s, "$ref", ref, base, path);
        goto out;
    }
    const char *key;
    json_t *v;
    json_object_foreach((json_t *)s, key, v) {
        if (!compile_member(c, n, s, key, v, base, path))
            goto out;
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
    pt__pmap_free(&c->bases);
    pt__pmap_free(&c->nodes);
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
    pt__pool_free(&s->pool);
    if (s->jmem)
        pt__jalloc_free(s->jmem);
    free(s->jmem);
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
        pt__set_error(err, "", "no schema given (NULL)");
        return NULL;
    }
    pt_schema_t *s = calloc(1, sizeof *s);
    if (!s) {
        pt__set_error(err, "", "out of memory");
        return NULL;
    }
    s->doc = json_incref(schema);
    s->formats = !opts->no_format;
    s->max_depth = opts->max_depth > 0 ? opts->max_depth : PT_SCHEMA_DEFAULT_MAX_DEPTH;
    s->max_stack = opts->max_stack;
    cctx_t c = {.s = s, .err = err};

    /* The root's base: its own "$id" (applied by the indexer) over the
     * configured base URI. */
    const char *root_base = opts->base_uri ? opts->base_uri : "";
    pt__index_doc(&c, root_base, schema);
    if (opts->registry) {
        for (size_t i = 0; i < opts->registry->n && !c.failed; i++) {
            const reg_entry_t *e = &opts->registry->v[i];
            if (e->doc == schema) {
                /* the root itself, registered under a name: just alias it */
                char *u = pt__uri_strip_fragment(e->uri);
                if (!u || !pt__add_id(&c, u, schema))
                    pt__cfail_oom(&c);
                free(u);
                continue;
            }
            if (!pt__add_doc(&c, e->doc))
                pt__cfail_oom(&c);
            pt__index_doc(&c, e->uri, e->doc);
        }
    }
    json_t *meta = pt__metaschema_doc();
    if (meta && !c.failed)
        pt__index_doc(&c, METASCHEMA_URI, meta);
    if (!c.failed)
        s->root = pt__compile_node(&c, schema, root_base, "");
    if (!c.failed && s->root) {
        pt__objiter_init(); /* the json_t walk and conversion read members through it */
        pt__mark_simple(&c);
        pt__build_plans(&c);
        if (s->root->flat && s->max_depth > 0) {
            s->fast_root = 1;
            s->fast_plan = s->root->plan;
            s->fast_json = pt__objiter_layout.ok ? (objiter_layout_usual() ? 1 : 2) : 0;
            pt__locate_root_plan(&c);
        }
    }
    cctx_free(&c);
    if (c.failed || !s->root) {
        if (err && !err->message)
            pt__set_error(err, "", "invalid schema");
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
        pt__sb_printf(&b, "%s: %s", path, err->message);
        char *m = pt__sb_take(&b), *sp = strdup(err->schema_path ? err->schema_path : "");
        if (m && sp)
            pt__err_set(err, m, NULL, sp, NULL);
        free(m);
        free(sp);
    }
    json_decref(doc);
    return s;
}
