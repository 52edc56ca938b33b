/* The OpenAPI 3.1 document of the route tables (ponty/openapi.h). */
#define _GNU_SOURCE
#include "ponty/openapi.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "ponty/fields.h"
#include "ponty/jsonschema.h"
#include "fields/fields_rt.h"
#include "route/table.h"

/* Body schemas become components; their own $defs/definitions are hoisted
 * next to them (under "<component>.<def>") and every local $ref rewritten,
 * because a "#/..." reference inside an OpenAPI document points at the
 * document's root. */

static char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static char *xasprintf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *s = NULL;
    if (vasprintf(&s, fmt, ap) < 0) {
        fprintf(stderr, "ponty: out of memory\n");
        abort();
    }
    va_end(ap);
    return s;
}

static void rewrite_refs(json_t *v, const char *comp)
{
    if (json_is_object(v)) {
        const char *k;
        json_t *x;
        json_object_foreach(v, k, x) {
            if (strcmp(k, "$ref") == 0 && json_is_string(x)) {
                const char *ref = json_string_value(x);
                char *to = NULL;
                if (strncmp(ref, "#/$defs/", 8) == 0)
                    to = xasprintf("#/components/schemas/%s.%s", comp, ref + 8);
                else if (strncmp(ref, "#/definitions/", 14) == 0)
                    to = xasprintf("#/components/schemas/%s.%s", comp, ref + 14);
                else if (strcmp(ref, "#") == 0)
                    to = xasprintf("#/components/schemas/%s", comp);
                else if (strncmp(ref, "#/", 2) == 0)
                    to = xasprintf("#/components/schemas/%s/%s", comp, ref + 2);
                if (to) {
                    json_object_set_new(v, "$ref", json_string(to));
                    free(to);
                }
            } else {
                rewrite_refs(x, comp);
            }
        }
    } else if (json_is_array(v)) {
        size_t i;
        json_t *x;
        json_array_foreach(v, i, x)
            rewrite_refs(x, comp);
    }
}

static void add_component(json_t *schemas, const char *name, json_t *schema)
{
    json_object_del(schema, "$schema");
    json_object_del(schema, "$id");
    rewrite_refs(schema, name);
    for (int pass = 0; pass < 2; pass++) {
        const char *key = pass ? "definitions" : "$defs";
        json_t *defs = json_object_get(schema, key);
        if (!json_is_object(defs))
            continue;
        const char *k;
        json_t *d;
        json_object_foreach(defs, k, d) {
            char *n = xasprintf("%s.%s", name, k);
            json_object_set(schemas, n, d);
            free(n);
        }
        json_object_del(schema, key);
    }
    json_object_set_new(schemas, name, schema);
}

static json_t *field_schema(const pt_reqfield_t *f)
{
    json_t *s = json_object();
    switch (f->type) {
    case PT_V_POSINT:
        json_object_set_new(s, "type", json_string("integer"));
        json_object_set_new(s, "minimum", json_integer(0));
        if (f->dflt)
            json_object_set_new(s, "default", json_integer(strtoll(f->dflt, NULL, 10)));
        break;
    case PT_V_BOOL:
        json_object_set_new(s, "type", json_string("boolean"));
        if (f->dflt) {
            const char *d = f->dflt;
            bool t = !strcasecmp(d, "1") || !strcasecmp(d, "yes") || !strcasecmp(d, "true") || !strcasecmp(d, "t");
            json_object_set_new(s, "default", json_boolean(t));
        }
        break;
    default:
        json_object_set_new(s, "type", json_string("string"));
        if (f->dflt)
            json_object_set_new(s, "default", json_string(f->dflt));
        if (f->values) {
            json_t *e = json_array();
            for (const char *v = f->values; *v; v += strlen(v) + 1)
                json_array_append_new(e, json_string(v));
            json_object_set_new(s, "enum", e);
        }
        if (f->pattern) {
            char *p = NULL;
            p = xasprintf("^(?:%s)$", f->pattern);
            json_object_set_new(s, "pattern", json_string(p));
            free(p);
        }
        break;
    }
    return s;
}

/* OpenAPI ignores these as header parameters (they are described
 * elsewhere); some validators warn about them. */
static bool reserved_header(const char *name)
{
    return !strcasecmp(name, "Accept") || !strcasecmp(name, "Content-Type") ||
           !strcasecmp(name, "Authorization");
}

/* "/a/{id:\\d+}/b" → "/a/{id}/b", the placeholders' names into params
 * (those without a declared field get a string schema with their
 * pattern). */
static char *openapi_path(const char *full, const pt_expect_t *e, json_t *params)
{
    char *out = malloc(strlen(full) + 1), *o = out;
    if (!out)
        abort();
    for (const char *p = full; *p;) {
        if (*p != '{') {
            *o++ = *p++;
            continue;
        }
        const char *name = p + 1, *end = name;
        while (*end && *end != '}' && *end != ':')
            end++;
        size_t n = (size_t)(end - name);
        const char *pat = NULL;
        size_t plen = 0;
        const char *close = end;
        if (*end == ':') {
            /* A regex may hold braces: count them. */
            int depth = 0;
            pat = end + 1;
            for (close = pat; *close && !(*close == '}' && depth == 0); close++) {
                if (*close == '\\' && close[1])
                    close++;
                else if (*close == '{')
                    depth++;
                else if (*close == '}')
                    depth--;
            }
            plen = (size_t)(close - pat);
        }
        *o++ = '{';
        memcpy(o, name, n);
        o += n;
        *o++ = '}';
        bool declared = false;
        for (size_t i = 0; e && i < e->nfields; i++)
            if (e->fields[i].src == PT_SRC_ROUTE && strlen(e->fields[i].name) == n &&
                strncmp(e->fields[i].name, name, n) == 0)
                declared = true;
        if (!declared) {
            json_t *s = json_pack("{s:s}", "type", "string");
            char *re = NULL;
            re = xasprintf("^(?:%.*s)$", pat ? (int)plen : 3, pat ? pat : "\\w+");
            json_object_set_new(s, "pattern", json_string(re));
            free(re);
            json_array_append_new(params, json_pack("{s:s%,s:s,s:b,s:o}", "name", name, n, "in", "path",
                                                    "required", 1, "schema", s));
        }
        p = *close ? close + 1 : close;
    }
    *o = '\0';
    return out;
}

static const char *const any_methods[] = { "get", "post", "put", "patch", "delete", NULL };

static int add_route(json_t *paths, json_t *schemas, json_t *opids, const pt_route_table_t *t,
                     const pt__route_entry_t *en)
{
    const pt_route_def_t *def = &en->def;
    const pt_expect_t *e = def->expect;
    /* The declared path with the table's prefix, as the router serves it. */
    const char *pre = t->prefix ? t->prefix : "";
    size_t alen = strlen(pre);
    if (alen && pre[alen - 1] == '/' && def->path[0] == '/')
        alen--;
    char *full = NULL;
    full = xasprintf("%.*s%s", (int)alen, pre, def->path);
    json_t *params = json_array();
    char *path = openapi_path(full, e, params);
    free(full);
    json_t *body = NULL;
    for (size_t i = 0; e && i < e->nfields; i++) {
        const pt_reqfield_t *f = &e->fields[i];
        const char *in = NULL;
        switch (f->src) {
        case PT_SRC_ROUTE: in = "path"; break;
        case PT_SRC_QUERY: in = "query"; break;
        case PT_SRC_HEADER: in = "header"; break;
        case PT_SRC_COOKIE: in = "cookie"; break;
        default: break;
        }
        const char *key = f->key ? f->key : f->name;
        if (in) {
            if (f->src == PT_SRC_HEADER && reserved_header(key))
                continue;
            json_array_append_new(params, json_pack("{s:s,s:s,s:b,s:o}", "name", key, "in", in,
                                                    "required", f->src == PT_SRC_ROUTE || f->required,
                                                    "schema", field_schema(f)));
            continue;
        }
        json_t *schema = NULL;
        const char *media = def->mimetype ? def->mimetype : "application/json";
        if (f->src == PT_SRC_BODY_TEXT) {
            media = def->mimetype ? def->mimetype : "text/plain";
            schema = json_pack("{s:s}", "type", "string");
        } else if (f->src == PT_SRC_BODY_JSON) {
            schema = json_object();
        } else if (f->src == PT_SRC_BODY_SCHEMA || f->src == PT_SRC_BODY_STRUCT) {
            pt_schema_error_t se = { 0 };
            json_t *doc = NULL;
            if (f->schema_file)
                doc = pt_schema_load_file(f->schema_file, pt__fields_schema_dirs(), &se);
            else if (f->schema_text)
                doc = json_loads(f->schema_text, 0, NULL);
            else if (f->desc)
                doc = pt_struct_schema(f->desc, &se);
            if (!json_is_object(doc)) {
                fprintf(stderr, "ponty: openapi: %s %s: body schema of '%s': %s\n", def->method, def->path,
                        f->name, se.message ? se.message : "not a JSON object");
                pt_schema_error_clear(&se);
                json_decref(doc);
                json_decref(params);
                free(path);
                return -1;
            }
            const char *cname = f->src == PT_SRC_BODY_STRUCT && f->desc ? f->desc->name : e->type_name;
            char *comp = NULL;
            if (json_object_get(schemas, cname)) {
                /* Another route's body under the same name: keep both. */
                comp = xasprintf("%s.%s", cname, def->name);
            } else {
                comp = strdup(cname);
            }
            add_component(schemas, comp, doc);
            char *ref = NULL;
            ref = xasprintf("#/components/schemas/%s", comp);
            schema = json_pack("{s:s}", "$ref", ref);
            free(ref);
            free(comp);
        } else {
            continue;
        }
        body = json_pack("{s:b,s:{s:{s:o}}}", "required", 1, "content", media, "schema", schema);
    }

    json_t *item = json_object_get(paths, path);
    if (!item) {
        item = json_object();
        json_object_set_new(paths, path, item);
    }
    const char *one[2] = { NULL, NULL };
    const char *const *methods = any_methods;
    char lower[16];
    if (strcmp(def->method, "*") != 0) {
        size_t i = 0;
        for (; def->method[i] && i + 1 < sizeof lower; i++)
            lower[i] = (char)(def->method[i] >= 'A' && def->method[i] <= 'Z' ? def->method[i] + 32 : def->method[i]);
        lower[i] = '\0';
        one[0] = lower;
        methods = one;
    }
    for (const char *const *m = methods; *m; m++) {
        /* operationId is unique in a document: a repeated handler name
         * (two examples' "hello") gets a number. */
        const char *base = def->name ? def->name : "op";
        char *opid = strdup(base);
        for (int n = 2; json_object_get(opids, opid); n++) {
            free(opid);
            opid = xasprintf("%s_%d", base, n);
        }
        json_object_set_new(opids, opid, json_true());
        json_t *envelope = json_pack(
            "{s:s,s:{s:{s:{s:s,s:{s:{s:s},s:{},s:{s:s}},s:[s,s,s]}}}}", "description", "the JSON envelope",
            "content", "application/json", "schema", "type", "object", "properties", "now", "type", "integer",
            "data", "elapsed", "type", "integer", "required", "now", "data", "elapsed");
        json_t *responses = json_pack("{s:o}", "200", envelope);
        if (e && e->nfields)
            json_object_set_new(responses, "400",
                                json_pack("{s:s,s:{s:{s:{s:s}}}}", "description", "a declared field failed",
                                          "content", "text/plain", "schema", "type", "string"));
        if (def->mimetype)
            json_object_set_new(responses, "415", json_pack("{s:s}", "description", "wrong media type"));
        json_t *op = json_pack("{s:s,s:o}", "operationId", opid, "responses", responses);
        free(opid);
        if (def->summary)
            json_object_set_new(op, "summary", json_string(def->summary));
        if (json_array_size(params))
            json_object_set(op, "parameters", params);
        if (body && strcmp(*m, "get") != 0 && strcmp(*m, "delete") != 0)
            json_object_set(op, "requestBody", body);
        json_object_set_new(item, *m, op);
    }
    json_decref(params);
    json_decref(body);
    free(path);
    return 0;
}

static int add_table(json_t *paths, json_t *schemas, json_t *opids, const pt_route_table_t *t)
{
    for (size_t i = 0; i < t->n; i++)
        if (add_route(paths, schemas, opids, t, &t->routes[i]) != 0)
            return -1;
    return 0;
}

json_t *pt_openapi_opts(const pt_openapi_opts_t *o)
{
    json_t *paths = json_object(), *schemas = json_object(), *opids = json_object();
    int rc = add_table(paths, schemas, opids, pt_route_table_default());
    for (pt_route_table_t *const *t = o->route_tables; rc == 0 && t && *t; t++)
        rc = add_table(paths, schemas, opids, *t);
    json_decref(opids);
    if (rc != 0) {
        json_decref(paths);
        json_decref(schemas);
        return NULL;
    }
    json_t *doc = json_pack("{s:s,s:{s:s,s:s},s:o}", "openapi", "3.1.0", "info", "title",
                            o->title ? o->title : "ponty service", "version", o->version ? o->version : "0.1.0",
                            "paths", paths);
    if (json_object_size(schemas))
        json_object_set_new(doc, "components", json_pack("{s:o}", "schemas", schemas));
    else
        json_decref(schemas);
    return doc;
}

int pt_openapi_print_opts(FILE *f, const pt_openapi_opts_t *o)
{
    json_t *doc = pt_openapi_opts(o);
    if (!doc)
        return 1;
    int rc = json_dumpf(doc, f, JSON_INDENT(2) | JSON_SORT_KEYS) == 0 ? 0 : 1;
    fputc('\n', f);
    json_decref(doc);
    return rc;
}
