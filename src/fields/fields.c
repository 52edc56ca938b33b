/* Declared request fields: start-up preparation of a route (patterns,
 * schemas, defaults) and per-request extraction in declaration order. */
#define _GNU_SOURCE
#include "fields/fields_rt.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "ponty/error.h"
#include "core/buf.h"
#include "fields/cast.h"
#include "route/table.h"
#include "json/jdoc.h"

static const char *const *schema_dirs;

void pt_fields_schema_path(const char *const *dirs) { schema_dirs = dirs; }

static size_t req_stack = 256 * 1024;

void pt__fields_stack_size(size_t bytes) { req_stack = bytes; }

static const char *field_key(const pt_reqfield_t *f) { return f->key ? f->key : f->name; }

/* ---- start-up ---- */

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
        return rt->path ? 0 : pt__route_fail(err, errlen, def, "out of memory");
    }
    rt->fields = calloc(e->nfields, sizeof *rt->fields);
    if (!rt->fields)
        return pt__route_fail(err, errlen, def, "out of memory");
    if (pt__route_render_path(def, full_path, &rt->path, err, errlen) != 0)
        return -1;
    for (size_t i = 0; i < e->nfields; i++) {
        const pt_reqfield_t *f = &e->fields[i];
        pt__field_rt_t *fr = &rt->fields[i];
        if (f->type == PT_V_CUSTOM && !f->cast &&
            (f->src == PT_SRC_ROUTE || f->src == PT_SRC_QUERY))
            return pt__route_fail(err, errlen, def, "field '%s' needs a .cast function", f->name);
        if (f->src == PT_SRC_QUERY && !f->required && !f->dflt)
            return pt__route_fail(err, errlen, def,
                           "query field '%s' must be .required or have a .dflt", f->name);
        if ((f->src == PT_SRC_HEADER || f->src == PT_SRC_COOKIE || f->src == PT_SRC_QUERY) && !f->required) {
            /* Headers and cookies default to "" as in the seed. */
            const char *d = f->dflt ? f->dflt : "";
            fr->dflt = pt_arena_calloc(&rt->arena, f->size);
            if (cast_value(f, pt_arena_strdup(&rt->arena, d), fr->dflt, &rt->arena) != 0)
                return pt__route_fail(err, errlen, def, "default '%s' of field '%s' does not cast", d, f->name);
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
                    pt__route_fail(err, errlen, def, "schema of field '%s' is not JSON: %s", f->name, je.text);
                    return -1;
                }
                fr->schema = pt_schema_compile(doc, &opts, &se);
                json_decref(doc);
            } else if (f->src == PT_SRC_BODY_STRUCT && f->desc) {
                fr->schema = pt_struct_compile(f->desc, &se);
            } else {
                return pt__route_fail(err, errlen, def, "body field '%s' needs .schema_file or .schema_text", f->name);
            }
            if (!fr->schema) {
                pt__route_fail(err, errlen, def, "field '%s': %s%s%s", f->name,
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

static void *arena_alloc_cb(void *ctx, size_t n) { return pt_arena_alloc(ctx, n); }

_Noreturn static void bad(pt__fields_req_t *r, int status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
_Noreturn static void bad(pt__fields_req_t *r, int status, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *text = pt_arena_vprintf(r->arena, fmt, ap);
    va_end(ap);
    pt_raise_status(status, .text = text);
}


static void values_check(pt__fields_req_t *r, const pt_reqfield_t *f, const char *raw, size_t len)
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
    char *list = pt_arena_strdup(r->arena, b.data);
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

static void store(pt__fields_req_t *r, const pt_reqfield_t *f, const char *raw, size_t len, void *dst)
{
    if (memchr(raw, '\0', len)) {
        /* Integers and booleans never hold a NUL: the cast fails, as it
         * would on any other stray character. Strings and custom casts are
         * handed C strings, which cannot carry one. */
        if (f->type == PT_V_POSINT || f->type == PT_V_BOOL)
            bad(r, 400, "%s could not be cast", pt__py_repr_str(r->arena, raw, len));
        bad(r, 400, "%s '%s' contains a NUL character, which a C string cannot hold",
               src_word(f->src), field_key(f));
    }
    if (cast_value(f, raw, dst, r->arena) != 0)
        bad(r, 400, "%s could not be cast", pt__py_repr_str(r->arena, raw, len));
    if (f->type == PT_V_POSINT && *(int64_t *)dst < 0)
        bad(r, 400, "%lld less than 0", (long long)*(int64_t *)dst);
}

/* What reading a field from its source leaves to do. */
typedef enum field_read {
    FIELD_STORED, /* the value is in the input struct (bodies, the raw request) */
    FIELD_TEXT,   /* *raw holds the text (NULL: absent); the caller defaults, checks and casts it */
} field_read_t;

/* Reads field f from its source; raises 400 (or the field's errorcode)
 * when a required value is missing or a body does not validate. */
static field_read_t field_read(pt__fields_req_t *r, const pt_reqfield_t *f, const pt__field_rt_t *fr,
                               void *dst, const char **raw, size_t *rawlen)
{
    switch (f->src) {
    case PT_SRC_ROUTE:
        *raw = r->ops->param(r->req, f->name, rawlen);
        return FIELD_TEXT;
    case PT_SRC_QUERY:
        if (r->ops->query(r->req, field_key(f), raw, rawlen) < 0)
            bad(r, 400, "query param '%s' has a malformed %%-escape", field_key(f));
        if (!*raw && f->required)
            bad(r, f->errorcode ? f->errorcode : 400, "required query param '%s' is missing", field_key(f));
        return FIELD_TEXT;
    case PT_SRC_HEADER:
        *raw = r->ops->header(r->req, field_key(f));
        if (!*raw && f->required)
            bad(r, f->errorcode ? f->errorcode : 400, "required header '%s' is missing", field_key(f));
        return FIELD_TEXT;
    case PT_SRC_COOKIE:
        *raw = r->ops->cookie(r->req, field_key(f), rawlen);
        if (!*raw && f->required)
            bad(r, f->errorcode ? f->errorcode : 400, "required cookie '%s' is missing", field_key(f));
        return FIELD_TEXT;
    case PT_SRC_BODY_TEXT: {
        size_t len;
        const char *b = r->ops->body_text(r->req, &len);
        /* NUL is valid text; the handler has the length from pt_req_body. */
        if (!pt__utf8_valid(b, len))
            bad(r, 400, "request body is not valid UTF-8 text");
        *(const char **)dst = b;
        return FIELD_STORED;
    }
    case PT_SRC_BODY_JSON:
        *(json_t **)dst = r->ops->body_json(r->req);
        return FIELD_STORED;
    case PT_SRC_BODY_SCHEMA: {
        const pt_jv_t *v = r->ops->body_tree(r->req);
        pt_schema_error_t se = { 0 };
        if (pt_schema_validate_jv(fr->schema, v, &se) != 0) {
            char *msg = pt_arena_strdup(r->arena, se.message ? se.message : "invalid body");
            *r->err_path = pt_arena_strdup(r->arena, se.instance_path ? se.instance_path : "");
            pt_schema_error_clear(&se);
            pt_raise_status(400, .text = msg);
        }
        *(json_t **)dst = r->ops->body_json(r->req);
        return FIELD_STORED;
    }
    case PT_SRC_BODY_STRUCT: {
        const pt_jv_t *v = r->ops->body_tree(r->req);
        void *obj = pt_arena_calloc(r->arena, f->desc->size);
        pt_alloc_t alloc = { arena_alloc_cb, r->arena };
        pt_schema_error_t se = { 0 };
        if (pt_struct_decode_jv(f->desc, fr->schema, v, obj, &alloc, &se) != 0) {
            char *msg = pt_arena_strdup(r->arena, se.message ? se.message : "invalid body");
            *r->err_path = pt_arena_strdup(r->arena, se.instance_path ? se.instance_path : "");
            pt_schema_error_clear(&se);
            pt_raise_status(400, .text = msg);
        }
        *(void **)dst = obj;
        return FIELD_STORED;
    }
    case PT_SRC_BODY_TREE: {
        const pt_jv_t *v = r->ops->body_tree(r->req);
        pt_schema_error_t se = { 0 };
        if (fr->schema && pt_schema_validate_jv(fr->schema, v, &se) != 0) {
            char *msg = pt_arena_strdup(r->arena, se.message ? se.message : "invalid body");
            pt_schema_error_clear(&se);
            pt_raise_status(400, .text = msg);
        }
        *(const pt_jv_t **)dst = v;
        return FIELD_STORED;
    }
    case PT_SRC_RAW:
        *(pt_req_t **)dst = r->req;
        return FIELD_STORED;
    }
    return FIELD_TEXT;
}

/* A field given as text: its default when absent, else checked (UTF-8,
 * .values) and cast into dst. */
static void field_text(pt__fields_req_t *r, const pt_reqfield_t *f, const pt__field_rt_t *fr,
                       const char *raw, size_t rawlen, void *dst)
{
    if (!raw) {
        if (fr->has_dflt)
            memcpy(dst, fr->dflt, f->size);
        return;
    }
    if (f->src == PT_SRC_HEADER)
        rawlen = strlen(raw);
    if (f->type == PT_V_STR && !pt__utf8_valid(raw, rawlen))
        bad(r, 400, "%s '%s' is not valid UTF-8", src_word(f->src), field_key(f));
    values_check(r, f, raw, rawlen);
    store(r, f, raw, rawlen, dst);
}

void pt__fields_extract(pt__fields_req_t *r, const pt__route_rt_t *rt)
{
    const pt_route_def_t *def = rt->def;
    const pt_expect_t *e = def->expect;
    if (!e)
        return;
    char *in = pt_arena_calloc(r->arena, e->size);
    *r->input = in;
    for (size_t i = 0; i < e->nfields; i++) {
        const pt_reqfield_t *f = &e->fields[i];
        const pt__field_rt_t *fr = &rt->fields[i];
        void *dst = in + f->offset;
        *r->err_field = f; /* where a failure came from (pt_req_error_origin) */
        const char *raw = NULL;
        size_t rawlen = 0;   /* route, query and cookie values may hold NUL */
        switch (field_read(r, f, fr, dst, &raw, &rawlen)) {
        case FIELD_STORED:
            break;
        case FIELD_TEXT:
            field_text(r, f, fr, raw, rawlen, dst);
            break;
        }
    }
    *r->err_field = NULL;
}

const char *const *pt__fields_schema_dirs(void) { return schema_dirs; }
