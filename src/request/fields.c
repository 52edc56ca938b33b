/* Declared request fields: start-up preparation of a route (patterns,
 * schemas, defaults) and per-request extraction in declaration order. */
#define _GNU_SOURCE
#include "request/fields_rt.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "ponty/error.h"
#include "http/conn.h"
#include "http/json_write.h"
#include "http/worker.h"
#include "request/cast.h"
#include "json/jdoc.h"

static const char *const *schema_dirs;

void pt_fields_schema_path(const char *const *dirs) { schema_dirs = dirs; }

static size_t req_stack = 256 * 1024;

void pt__fields_stack_size(size_t bytes) { req_stack = bytes; }

void *pt_req_input(pt_req_t *r) { return r->input; }

static const char *field_key(const pt_reqfield_t *f) { return f->key ? f->key : f->name; }

/* ---- start-up ---- */

static int decl_fail(char *err, size_t errlen, const pt_route_def_t *def, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static int decl_fail(char *err, size_t errlen, const pt_route_def_t *def, const char *fmt, ...)
{
    int n = snprintf(err, errlen, "%s %s: ", def->method, def->path);
    va_list ap;
    va_start(ap, fmt);
    if (n >= 0 && (size_t)n < errlen)
        vsnprintf(err + n, errlen - (size_t)n, fmt, ap);
    va_end(ap);
    return -1;
}

static const pt_reqfield_t *route_field(const pt_expect_t *e, const char *name, size_t n)
{
    for (size_t i = 0; i < e->nfields; i++)
        if (e->fields[i].src == PT_SRC_ROUTE && strlen(e->fields[i].name) == n &&
            memcmp(e->fields[i].name, name, n) == 0)
            return &e->fields[i];
    return NULL;
}

/* Fills {name} placeholders with the declared fields' patterns and checks
 * that placeholders and route fields match one to one. Rendering a rendered
 * path changes nothing, so the table (for route_iter) and pt_run share it. */
int pt__fields_render_path(const pt_route_def_t *def, const char *full, char **rendered,
                          char *err, size_t errlen)
{
    const pt_expect_t *e = def->expect;
    pt__buf_t out = { 0 };
    bool *seen = calloc(e->nfields + 1, 1);
    int rc = 0;
    for (const char *p = full; *p;) {
        if (*p != '{') {
            pt__buf_append(&out, p++, 1);
            continue;
        }
        /* Find the matching brace: regexes may hold their own {m,n}. */
        int depth = 0;
        const char *q = p;
        for (; *q; q++) {
            if (*q == '\\' && q[1]) { q++; continue; }
            if (*q == '{') depth++;
            else if (*q == '}' && --depth == 0) break;
        }
        if (!*q) {
            pt__buf_append(&out, p, strlen(p)); /* the router reports it */
            break;
        }
        const char *colon = memchr(p + 1, ':', (size_t)(q - p - 1));
        const char *name = p + 1;
        size_t nlen = (size_t)((colon ? colon : q) - name);
        const pt_reqfield_t *f = route_field(e, name, nlen);
        if (!f) {
            rc = decl_fail(err, errlen, def, "placeholder '%.*s' has no declared route field in %s",
                         (int)nlen, name, e->type_name);
            break;
        }
        seen[f - e->fields] = true;
        const char *pattern = f->pattern ? f->pattern
                            : f->type == PT_V_STR ? "\\w+" : f->type == PT_V_POSINT ? "\\d+" : NULL;
        if (colon || !pattern) {
            if (!colon) {
                rc = decl_fail(err, errlen, def, "route field '%s' has no .pattern", f->name);
                break;
            }
            pt__buf_append(&out, p, (size_t)(q - p + 1));
        } else {
            pt__buf_append(&out, "{", 1);
            pt__buf_append(&out, name, nlen);
            pt__buf_append(&out, ":", 1);
            pt__buf_puts(&out, pattern);
            pt__buf_append(&out, "}", 1);
        }
        p = q + 1;
    }
    for (size_t i = 0; rc == 0 && i < e->nfields; i++)
        if (e->fields[i].src == PT_SRC_ROUTE && !seen[i])
            rc = decl_fail(err, errlen, def, "route field '%s' of %s has no {%s} placeholder in the path",
                         e->fields[i].name, e->type_name, e->fields[i].name);
    free(seen);
    pt__buf_append(&out, "", 1);
    *rendered = out.data;
    return rc;
}

static int cast_value(const pt_reqfield_t *f, const char *raw, void *out, pt_arena_t *a)
{
    switch (f->type) {
    case PT_V_STR:
        *(const char **)out = raw;
        return 0;
    case PT_V_POSINT:
        return pt__cast_int(raw, (int64_t *)out);
    case PT_V_BOOL:
        return pt__cast_bool(raw, (bool *)out);
    case PT_V_CUSTOM:
        return f->cast ? f->cast(raw, out, a) : -1;
    }
    return -1;
}

int pt__route_rt_init(pt__route_rt_t *rt, const pt_route_def_t *def, const char *full_path,
                     char *err, size_t errlen)
{
    memset(rt, 0, sizeof *rt);
    rt->def = def;
    pt_arena_init(&rt->arena, 1024);
    const pt_expect_t *e = def->expect;
    if (!e) {
        rt->path = strdup(full_path);
        return 0;
    }
    rt->fields = calloc(e->nfields, sizeof *rt->fields);
    if (pt__fields_render_path(def, full_path, &rt->path, err, errlen) != 0)
        return -1;
    for (size_t i = 0; i < e->nfields; i++) {
        const pt_reqfield_t *f = &e->fields[i];
        pt__field_rt_t *fr = &rt->fields[i];
        if (f->type == PT_V_CUSTOM && !f->cast &&
            (f->src == PT_SRC_ROUTE || f->src == PT_SRC_QUERY))
            return decl_fail(err, errlen, def, "field '%s' needs a .cast function", f->name);
        if (f->src == PT_SRC_QUERY && !f->required && !f->dflt)
            return decl_fail(err, errlen, def,
                           "query field '%s' must be .required or have a .dflt", f->name);
        if ((f->src == PT_SRC_HEADER || f->src == PT_SRC_COOKIE || f->src == PT_SRC_QUERY) && !f->required) {
            /* Headers and cookies default to "" as in the seed. */
            const char *d = f->dflt ? f->dflt : "";
            fr->dflt = pt_arena_calloc(&rt->arena, f->size);
            if (cast_value(f, pt_arena_strdup(&rt->arena, d), fr->dflt, &rt->arena) != 0)
                return decl_fail(err, errlen, def, "default '%s' of field '%s' does not cast", d, f->name);
            fr->has_dflt = true;
        }
        if (f->src == PT_SRC_BODY_TREE && !f->schema_file && !f->schema_text)
            continue; /* a tree without a schema: any JSON */
        if (f->src == PT_SRC_BODY_SCHEMA || f->src == PT_SRC_BODY_STRUCT || f->src == PT_SRC_BODY_TREE) {
            pt_schema_error_t se = { 0 };
            pt_schema_opts_t opts = { 0 };
            opts.search_path = schema_dirs;
            /* "format" is an annotation unless the field asks for checks. */
            opts.no_format = !f->check_format;
            /* Recursive schemas recurse per level too; bodies are already
             * bounded to max_json_depth by the parser. */
            opts.max_depth = 1024;
            /* Validation runs on the request's coroutine stack: leave room
             * for what runs below it and for wording an error. */
            opts.max_stack = req_stack > 128 * 1024 ? req_stack - 64 * 1024 : req_stack / 2;
            if (f->schema_file)
                fr->schema = pt_schema_compile_file(f->schema_file, &opts, &se);
            else if (f->schema_text) {
                json_error_t je;
                json_t *doc = json_loads(f->schema_text, 0, &je);
                if (!doc) {
                    decl_fail(err, errlen, def, "schema of field '%s' is not JSON: %s", f->name, je.text);
                    return -1;
                }
                fr->schema = pt_schema_compile(doc, &opts, &se);
                json_decref(doc);
            } else if (f->src == PT_SRC_BODY_STRUCT && f->desc) {
                fr->schema = pt_struct_compile(f->desc, &se);
            } else {
                return decl_fail(err, errlen, def, "body field '%s' needs .schema_file or .schema_text", f->name);
            }
            if (!fr->schema) {
                decl_fail(err, errlen, def, "field '%s': %s%s%s", f->name,
                        se.message ? se.message : "schema error",
                        se.schema_path && *se.schema_path ? " at " : "",
                        se.schema_path ? se.schema_path : "");
                pt_schema_error_clear(&se);
                return -1;
            }
        }
    }
    return 0;
}

void pt__route_rt_free(pt__route_rt_t *rt)
{
    if (rt->fields && rt->def->expect)
        for (size_t i = 0; i < rt->def->expect->nfields; i++)
            pt_schema_free(rt->fields[i].schema);
    free(rt->fields);
    free(rt->path);
    pt_arena_destroy(&rt->arena);
    memset(rt, 0, sizeof *rt);
}

/* ---- per request ---- */

_Noreturn static void bad(pt_req_t *r, int status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
_Noreturn static void bad(pt_req_t *r, int status, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *text = pt_arena_vprintf(&r->arena, fmt, ap);
    va_end(ap);
    pt_raise_status(status, .text = text);
}


static void *arena_alloc_cb(void *ctx, size_t n) { return pt_arena_alloc(ctx, n); }

/* The body parsed once per request into a tree in the request's arena:
 * no allocation per value, and the nesting limit is checked by the parser
 * as containers open (it does not recurse), so nothing that walks the tree
 * afterwards can go deeper than max_json_depth levels. */
/* A body in another charset is read as UTF-8 after decoding. */
static void body_decode(pt_req_t *r)
{
    const char *why;
    int status = pt__req_body_decode(r, &why);
    if (status)
        bad(r, status, "%s", why);
}

static const pt_jv_t *body_tree(pt_req_t *r)
{
    if (r->body_jv)
        return r->body_jv;
    body_decode(r);
    size_t len;
    const char *body = pt_req_body(r, &len);
    unsigned limit = r->conn->worker->limits->max_json_depth;
    jalloc_t *a = pt_arena_calloc(&r->arena, sizeof *a);
    a->alloc = arena_alloc_cb;
    a->ctx = &r->arena;
    a->next_size = len + len / 2 + 64; /* most bodies take one chunk */
    pt_jv_t *v = pt_arena_alloc(&r->arena, sizeof *v);
    jperr_t pe;
    if (pt__jparse(a, body, len, (int)limit, v, &pe) != 0) {
        if (pe.too_deep)
            bad(r, 400, "JSON body nested deeper than %u levels", limit);
        if (pe.oom)
            pt_raise_status(500);
        bad(r, 400, "malformed JSON body: %s: line %zu column %zu (char %zu)", pe.reason, pe.line, pe.col,
               pe.pos);
    }
    r->body_jv = v;
    return v;
}

typedef struct big_ctx {
    pt_req_t *r;
    bool nonfinite;
} big_ctx_t;

static void note_big(void *ctx, const json_t *real, const pt_jv_t *big)
{
    big_ctx_t *c = ctx;
    if (!real) { /* the conversion fails; reported once it has unwound */
        c->nonfinite = true;
        return;
    }
    pt__bignum_t *g = pt_arena_alloc(&c->r->arena, sizeof *g);
    *g = (pt__bignum_t){real, json_real_value(real), big->u.s, big->len, c->r->bigs};
    c->r->bigs = g;
}

/* jansson values only for handlers that take them (PT_BODY_JSON,
 * PT_BODY_SCHEMA), built from the parsed tree. A big integer becomes a
 * real (json_t holds no wider integer); the response writer prints it with
 * its digits again if it comes back unchanged in this request's response. */
static json_t *body_as_json(pt_req_t *r)
{
    if (r->body_json)
        return r->body_json;
    big_ctx_t c = {r, false};
    json_t *v = pt__jv_to_json_cb(body_tree(r), note_big, &c);
    if (!v && c.nonfinite)
        bad(r, 400, "JSON body holds a number beyond the range of a double");
    if (!v)
        pt_raise_status(500);
    r->body_json = v; /* released with the request (pt__req_reset) */
    return v;
}

bool pt__media_type_is(const char *ct, const char *want)
{
    if (!ct)
        return false;
    while (*ct == ' ' || *ct == '\t')
        ct++;
    size_t n = strcspn(ct, ";");
    while (n && (ct[n - 1] == ' ' || ct[n - 1] == '\t'))
        n--;
    return strlen(want) == n && strncasecmp(ct, want, n) == 0;
}

static void values_check(pt_req_t *r, const pt_reqfield_t *f, const char *raw, size_t len)
{
    if (!f->values)
        return;
    for (const char *v = f->values; *v; v += strlen(v) + 1)
        if (strlen(v) == len && memcmp(v, raw, len) == 0)
            return;
    pt__buf_t b = { 0 };
    for (const char *v = f->values; *v; v += strlen(v) + 1) {
        if (v != f->values)
            pt__buf_append(&b, ",", 1);
        pt__buf_puts(&b, v);
    }
    pt__buf_append(&b, "", 1);
    char *list = pt_arena_strdup(&r->arena, b.data);
    pt__buf_free(&b);
    bad(r, 400, "%s must be one of {%s}", field_key(f), list);
}

static const char *src_word(pt_src_t src)
{
    switch (src) {
    case PT_SRC_ROUTE: return "route param";
    case PT_SRC_QUERY: return "query param";
    case PT_SRC_HEADER: return "header";
    case PT_SRC_COOKIE: return "cookie";
    default: return "field";
    }
}

static void store(pt_req_t *r, const pt_reqfield_t *f, const char *raw, size_t len, void *dst)
{
    if (memchr(raw, '\0', len)) {
        /* Integers and booleans never hold a NUL: the cast fails, as it
         * would on any other stray character. Strings and custom casts are
         * handed C strings, which cannot carry one. */
        if (f->type == PT_V_POSINT || f->type == PT_V_BOOL)
            bad(r, 400, "%s could not be cast", pt__py_repr_str(&r->arena, raw, len));
        bad(r, 400, "%s '%s' contains a NUL character, which a C string cannot hold",
               src_word(f->src), field_key(f));
    }
    if (cast_value(f, raw, dst, &r->arena) != 0)
        bad(r, 400, "%s could not be cast", pt__py_repr_str(&r->arena, raw, len));
    if (f->type == PT_V_POSINT && *(int64_t *)dst < 0)
        bad(r, 400, "%lld less than 0", (long long)*(int64_t *)dst);
}

void pt__fields_extract(pt_req_t *r, const pt__route_rt_t *rt)
{
    const pt_route_def_t *def = rt->def;
    if (def->mimetype && !pt__media_type_is(pt_req_header(r, "Content-Type"), def->mimetype))
        pt_raise_status(415);
    const pt_expect_t *e = def->expect;
    if (!e)
        return;
    char *in = pt_arena_calloc(&r->arena, e->size);
    r->input = in;
    for (size_t i = 0; i < e->nfields; i++) {
        const pt_reqfield_t *f = &e->fields[i];
        const pt__field_rt_t *fr = &rt->fields[i];
        void *dst = in + f->offset;
        r->err_field = f; /* where a failure came from (pt_req_error_origin) */
        const char *raw = NULL;
        size_t rawlen = 0;   /* route, query and cookie values may hold NUL */
        switch (f->src) {
        case PT_SRC_ROUTE:
            raw = pt__req_param_n(r, f->name, &rawlen);
            break;
        case PT_SRC_QUERY:
            if (pt__req_query_lookup(r, field_key(f), &raw, &rawlen) < 0)
                bad(r, 400, "query param '%s' has a malformed %%-escape", field_key(f));
            if (!raw && f->required)
                bad(r, f->errorcode ? f->errorcode : 400, "required query param '%s' is missing", field_key(f));
            break;
        case PT_SRC_HEADER:
            raw = pt_req_header(r, field_key(f));
            if (!raw && f->required)
                bad(r, f->errorcode ? f->errorcode : 400, "required header '%s' is missing", field_key(f));
            break;
        case PT_SRC_COOKIE:
            raw = pt__cookie_value(r, field_key(f), &rawlen);
            if (!raw && f->required)
                bad(r, f->errorcode ? f->errorcode : 400, "required cookie '%s' is missing", field_key(f));
            break;
        case PT_SRC_BODY_TEXT: {
            body_decode(r);
            size_t len;
            const char *b = pt_req_body(r, &len);
            /* NUL is valid text; the handler has the length from pt_req_body. */
            if (!pt__utf8_valid(b, len))
                bad(r, 400, "request body is not valid UTF-8 text");
            *(const char **)dst = b;
            continue;
        }
        case PT_SRC_BODY_JSON:
            *(json_t **)dst = body_as_json(r);
            continue;
        case PT_SRC_BODY_SCHEMA: {
            const pt_jv_t *v = body_tree(r);
            pt_schema_error_t se = { 0 };
            if (pt_schema_validate_jv(fr->schema, v, &se) != 0) {
                char *msg = pt_arena_strdup(&r->arena, se.message ? se.message : "invalid body");
                r->err_path = pt_arena_strdup(&r->arena, se.instance_path ? se.instance_path : "");
                pt_schema_error_clear(&se);
                pt_raise_status(400, .text = msg);
            }
            *(json_t **)dst = body_as_json(r);
            continue;
        }
        case PT_SRC_BODY_STRUCT: {
            const pt_jv_t *v = body_tree(r);
            void *obj = pt_arena_calloc(&r->arena, f->desc->size);
            pt_alloc_t alloc = { arena_alloc_cb, &r->arena };
            pt_schema_error_t se = { 0 };
            if (pt_struct_decode_jv(f->desc, fr->schema, v, obj, &alloc, &se) != 0) {
                char *msg = pt_arena_strdup(&r->arena, se.message ? se.message : "invalid body");
                r->err_path = pt_arena_strdup(&r->arena, se.instance_path ? se.instance_path : "");
                pt_schema_error_clear(&se);
                pt_raise_status(400, .text = msg);
            }
            *(void **)dst = obj;
            continue;
        }
        case PT_SRC_BODY_TREE: {
            const pt_jv_t *v = body_tree(r);
            pt_schema_error_t se = { 0 };
            if (fr->schema && pt_schema_validate_jv(fr->schema, v, &se) != 0) {
                char *msg = pt_arena_strdup(&r->arena, se.message ? se.message : "invalid body");
                pt_schema_error_clear(&se);
                pt_raise_status(400, .text = msg);
            }
            *(const pt_jv_t **)dst = v;
            continue;
        }
        case PT_SRC_RAW:
            *(pt_req_t **)dst = r;
            continue;
        }
        if (!raw) {
            if (fr->has_dflt)
                memcpy(dst, fr->dflt, f->size);
            continue;
        }
        if (f->src == PT_SRC_HEADER)
            rawlen = strlen(raw);
        if (f->type == PT_V_STR && !pt__utf8_valid(raw, rawlen))
            bad(r, 400, "%s '%s' is not valid UTF-8", src_word(f->src), field_key(f));
        values_check(r, f, raw, rawlen);
        store(r, f, raw, rawlen, dst);
    }
    r->err_field = NULL;
}

/* The schema search path, for the OpenAPI generator (src/http/openapi.c). */
const char *const *pt__fields_schema_dirs(void);
const char *const *pt__fields_schema_dirs(void) { return schema_dirs; }
