/* Documents, the "$id" index and reference resolution for the compiler.
 *
 * Before compiling, every known document (the root, the registry's, the
 * built-in meta-schema) is indexed: each subschema's base URI and each
 * "$id" it declares. A "$ref" is then resolved against its base URI into a
 * document, then into a subschema by JSON Pointer or plain-name fragment,
 * and compiled (once: nodes are cached by subschema address).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "compile.h"

static size_t ptr_hash(const void *p)
{
    uintptr_t x = (uintptr_t)p;
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdULL;
    x ^= x >> 33;
    return (size_t)x;
}

bool pt__pmap_put(pmap_t *m, const void *k, void *v)
{
    if ((m->n + 1) * 2 > m->cap) {
        size_t cap = m->cap ? m->cap * 2 : 64;
        const void **keys = calloc(cap, sizeof *keys);
        void **vals = calloc(cap, sizeof *vals);
        if (!keys || !vals) {
            free(keys);
            free(vals);
            return false;
        }
        for (size_t i = 0; i < m->cap; i++) {
            if (!m->keys[i])
                continue;
            size_t j = ptr_hash(m->keys[i]) & (cap - 1);
            while (keys[j])
                j = (j + 1) & (cap - 1);
            keys[j] = m->keys[i];
            vals[j] = m->vals[i];
        }
        free(m->keys);
        free(m->vals);
        m->keys = keys;
        m->vals = vals;
        m->cap = cap;
    }
    size_t j = ptr_hash(k) & (m->cap - 1);
    while (m->keys[j] && m->keys[j] != k)
        j = (j + 1) & (m->cap - 1);
    if (!m->keys[j])
        m->n++;
    m->keys[j] = k;
    m->vals[j] = v;
    return true;
}

void *pt__pmap_get(const pmap_t *m, const void *k)
{
    if (!m->cap)
        return NULL;
    size_t j = ptr_hash(k) & (m->cap - 1);
    while (m->keys[j]) {
        if (m->keys[j] == k)
            return m->vals[j];
        j = (j + 1) & (m->cap - 1);
    }
    return NULL;
}

void pt__pmap_free(pmap_t *m)
{
    free(m->keys);
    free(m->vals);
    *m = (pmap_t){0};
}

/* ----------------------------------------------------------------- index */

bool pt__add_id(cctx_t *c, const char *uri, const json_t *node)
{
    for (size_t i = 0; i < c->nids; i++)
        if (!strcmp(c->ids[i].uri, uri))
            return true; /* first declaration wins */
    if (c->nids == c->capids) {
        size_t cap = c->capids ? c->capids * 2 : 16;
        id_entry_t *v = realloc(c->ids, cap * sizeof *v);
        if (!v)
            return false;
        c->ids = v;
        c->capids = cap;
    }
    char *u = strdup(uri);
    if (!u)
        return false;
    c->ids[c->nids++] = (id_entry_t){u, node};
    return true;
}

static const json_t *find_id(cctx_t *c, const char *uri)
{
    for (size_t i = 0; i < c->nids; i++)
        if (!strcmp(c->ids[i].uri, uri))
            return c->ids[i].node;
    return NULL;
}

static void index_schema(cctx_t *c, const json_t *s, const char *base, int depth);

static void index_map(cctx_t *c, const json_t *obj, const char *base, int depth)
{
    const char *k;
    json_t *v;
    if (!json_is_object(obj))
        return;
    json_object_foreach((json_t *)obj, k, v) index_schema(c, v, base, depth);
}

static void index_list(cctx_t *c, const json_t *arr, const char *base, int depth)
{
    if (!json_is_array(arr))
        return;
    for (size_t i = 0; i < json_array_size(arr); i++)
        index_schema(c, json_array_get(arr, i), base, depth);
}

/* Records s's base URI and its "$id", then walks the keywords that hold
 * subschemas. Bad shapes are left for the compiler to report. */
static void index_schema(cctx_t *c, const json_t *s, const char *base, int depth)
{
    if (!json_is_object(s) || depth > MAX_SCHEMA_NESTING || c->failed)
        return;
    if (pt__pmap_get(&c->bases, s))
        return;
    const json_t *id = json_object_get(s, "$id");
    char *own = NULL;
    /* In draft 7 "$ref" makes its siblings, "$id" included, be ignored. */
    if (json_is_string(id) && !json_object_get(s, "$ref")) {
        own = pt__uri_resolve(base, json_string_value(id));
        if (!own) {
            pt__cfail_oom(c);
            return;
        }
        const char *h = strchr(own, '#');
        if (h && h[1] == 0)
            *(char *)h = 0; /* "x#" names the same resource as "x" */
        if (!pt__add_id(c, own, s)) {
            free(own);
            pt__cfail_oom(c);
            return;
        }
        if (h && h[1]) {
            /* plain-name fragment: "#foo" identifies s; the base is unchanged */
            char *nb = strndup(own, (size_t)(h - own));
            free(own);
            own = nb;
        }
        base = own;
    }
    char *pb = pt__pool_strdup(&c->s->pool, base ? base : "");
    if (!pb || !pt__pmap_put(&c->bases, s, pb)) {
        free(own);
        pt__cfail_oom(c);
        return;
    }
    static const char *const single[] = {"items", "additionalItems", "contains", "additionalProperties",
                                         "propertyNames", "if", "then", "else", "not"};
    static const char *const maps[] = {"properties", "patternProperties", "definitions", "$defs",
                                       "dependencies"};
    static const char *const lists[] = {"allOf", "anyOf", "oneOf", "items"};
    for (size_t i = 0; i < sizeof single / sizeof *single; i++)
        index_schema(c, json_object_get(s, single[i]), pb, depth + 1);
    for (size_t i = 0; i < sizeof maps / sizeof *maps; i++)
        index_map(c, json_object_get(s, maps[i]), pb, depth + 1);
    for (size_t i = 0; i < sizeof lists / sizeof *lists; i++)
        index_list(c, json_object_get(s, lists[i]), pb, depth + 1);
    free(own);
}

bool pt__add_doc(cctx_t *c, json_t *doc)
{
    json_t **v = realloc(c->s->docs, (c->s->ndocs + 1) * sizeof *v);
    if (!v)
        return false;
    c->s->docs = v;
    v[c->s->ndocs++] = json_incref(doc);
    return true;
}

/* Registers a whole document under uri (fragment stripped) and indexes it. */
void pt__index_doc(cctx_t *c, const char *uri, const json_t *doc)
{
    char *u = pt__uri_strip_fragment(uri);
    if (!u || !pt__add_id(c, u, doc)) {
        free(u);
        pt__cfail_oom(c);
        return;
    }
    index_schema(c, doc, u, 0);
    free(u);
}

/* ----------------------------------------------------------- references */

/* Percent-decodes then walks a JSON Pointer from root. */
static const json_t *walk_pointer(const json_t *root, const char *frag)
{
    size_t n = strlen(frag);
    char *dec = malloc(n + 1), *tok = malloc(n + 1);
    const json_t *cur = root;
    if (!dec || !tok)
        goto fail;
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        if (frag[i] == '%' && i + 2 < n) {
            char hx[3] = {frag[i + 1], frag[i + 2], 0};
            char *end;
            long v = strtol(hx, &end, 16);
            if (*end == 0) {
                dec[o++] = (char)v;
                i += 2;
                continue;
            }
        }
        dec[o++] = frag[i];
    }
    dec[o] = 0;
    const char *p = dec;
    while (*p == '/') {
        p++;
        size_t t = 0;
        while (*p && *p != '/') {
            if (p[0] == '~' && p[1] == '0') {
                tok[t++] = '~';
                p += 2;
            } else if (p[0] == '~' && p[1] == '1') {
                tok[t++] = '/';
                p += 2;
            } else {
                tok[t++] = *p++;
            }
        }
        tok[t] = 0;
        if (json_is_object(cur)) {
            cur = json_object_get(cur, tok);
        } else if (json_is_array(cur)) {
            char *end;
            errno = 0;
            unsigned long idx = strtoul(tok, &end, 10);
            if (!t || *end || errno || (t > 1 && tok[0] == '0'))
                goto fail;
            cur = json_array_get(cur, idx);
        } else {
            goto fail;
        }
        if (!cur)
            goto fail;
    }
    if (*p)
        goto fail;
    free(dec);
    free(tok);
    return cur;
fail:
    free(dec);
    free(tok);
    return NULL;
}

sch_t *pt__compile_ref(cctx_t *c, const char *base, const char *ref, const char *path)
{
    char *abs = pt__uri_resolve(base, ref);
    if (!abs) {
        pt__cfail_oom(c);
        return NULL;
    }
    char *h = strchr(abs, '#');
    const char *frag = "";
    if (h) {
        *h = 0;
        frag = h + 1;
    }
    const json_t *res = find_id(c, abs), *target = NULL;
    if (!res) {
        pt__cfail(c, path, "unresolvable reference '%s': no document '%s' is known (register it with "
              "pt_schema_registry_add)", ref, abs);
        free(abs);
        return NULL;
    }
    if (frag[0] == 0) {
        target = res;
    } else if (frag[0] == '/') {
        target = walk_pointer(res, frag);
    } else {
        *h = '#';
        target = find_id(c, abs);
    }
    if (!target) {
        if (h)
            *h = '#';
        pt__cfail(c, path, "unresolvable reference '%s': '%s' points at nothing", ref, abs);
        free(abs);
        return NULL;
    }
    const char *tbase = pt__pmap_get(&c->bases, target);
    if (!tbase)
        tbase = pt__pmap_get(&c->bases, res);
    /* Compile errors inside the target are reported at the target's own
     * location when it is in the root document, else under the ref. */
    char *tpath = NULL;
    if (res == c->s->doc && frag[0] == '/')
        tpath = strdup(frag);
    free(abs);
    sch_t *r = pt__compile_node(c, target, tbase ? tbase : "", tpath ? tpath : path);
    free(tpath);
    return r;
}

