/* Struct binding: the C analog of ponty's dataclass support.
 *
 * A pt_struct_desc_t field table says once what a struct holds. From it we
 * generate the JSON Schema exactly as dataclass_to_jsonschema lays it out
 * (key order included), decode validated JSON into the struct, and encode
 * the struct back to JSON.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "jdoc.h"
#include "schema.h"

/* ------------------------------------------------------------- generation */

static json_t *parse_text(const char *text, const char *what, const char *owner, pt_schema_error_t *err)
{
    json_error_t je;
    json_t *v = json_loads(text, JSON_DECODE_ANY, &je);
    if (!v)
        pt__set_error(err, "", "%s of '%s' is not valid JSON: %s", what, owner, je.text);
    return v;
}

static json_t *struct_body(const pt_struct_desc_t *d, json_t *defs, bool top, pt_schema_error_t *err);

/* Schema of one value of type t (no nullability, no annotations). */
static json_t *type_schema(pt_ftype_t t, const pt_field_t *f, json_t *defs, pt_schema_error_t *err)
{
    switch (t) {
    case PT_FT_STRING: return json_pack("{s:s}", "type", "string");
    case PT_FT_INT: return json_pack("{s:s}", "type", "integer");
    case PT_FT_DOUBLE: return json_pack("{s:s}", "type", "number");
    case PT_FT_BOOL: return json_pack("{s:s}", "type", "boolean");
    case PT_FT_ENUM: {
        json_t *e = json_array();
        for (const char *const *v = f->enum_values; v && *v; v++)
            json_array_append_new(e, json_string(*v));
        return json_pack("{s:o}", "enum", e);
    }
    case PT_FT_STRUCT: {
        if (!f->sub) {
            pt__set_error(err, "", "field '%s' is a struct without a description", f->name);
            return NULL;
        }
        /* the definition goes to $defs once; a placeholder first makes
         * self-referencing structs terminate */
        if (!json_object_get(defs, f->sub->name)) {
            json_object_set_new(defs, f->sub->name, json_true());
            json_t *body = struct_body(f->sub, defs, false, err);
            if (!body)
                return NULL;
            json_object_set_new(defs, f->sub->name, body);
        }
        char ref[512];
        snprintf(ref, sizeof ref, "#/$defs/%s", f->sub->name);
        return json_pack("{s:[{s:s}]}", "allOf", "$ref", ref);
    }
    case PT_FT_ARRAY: {
        if (f->item_type == PT_FT_ARRAY) {
            pt__set_error(err, "", "field '%s': arrays of arrays are not supported", f->name);
            return NULL;
        }
        json_t *items = type_schema(f->item_type, f, defs, err);
        return items ? json_pack("{s:s,s:o}", "type", "array", "items", items) : NULL;
    }
    }
    pt__set_error(err, "", "field '%s' has an unknown type %d", f->name, (int)t);
    return NULL;
}

static bool merge_annotation(json_t *into, const char *text, const char *owner, pt_schema_error_t *err)
{
    if (!text)
        return true;
    json_t *a = parse_text(text, "annotation", owner, err);
    if (!a)
        return false;
    if (!json_is_object(a)) {
        json_decref(a);
        pt__set_error(err, "", "annotation of '%s' must be a JSON object", owner);
        return false;
    }
    json_object_update(into, a);
    json_decref(a);
    return true;
}

static json_t *field_schema(const pt_field_t *f, json_t *defs, pt_schema_error_t *err)
{
    json_t *s = type_schema(f->type, f, defs, err);
    if (!s)
        return NULL;
    if (f->nullable) /* Optional[X] */
        s = json_pack("{s:[o,{s:s}]}", "anyOf", s, "type", "null");
    if (!s || !merge_annotation(s, f->annotation, f->name, err)) {
        json_decref(s);
        return NULL;
    }
    if (f->defval) {
        json_t *d = parse_text(f->defval, "default", f->name, err);
        if (!d) {
            json_decref(s);
            return NULL;
        }
        json_object_set_new(s, "default", d);
    }
    return s;
}

static json_t *struct_body(const pt_struct_desc_t *d, json_t *defs, bool top, pt_schema_error_t *err)
{
    json_t *s = json_object(), *props = json_object(), *req = json_array();
    if (!s || !props || !req)
        goto fail;
    if (top)
        json_object_set_new(s, "$schema", json_string("http://json-schema.org/draft-07/schema#"));
    for (size_t i = 0; i < d->nfields; i++) {
        const pt_field_t *f = &d->fields[i];
        json_t *fs = field_schema(f, defs, err);
        if (!fs)
            goto fail;
        json_object_set_new(props, f->name, fs);
        if (!f->defval)
            json_array_append_new(req, json_string(f->name));
    }
    json_object_set_new(s, "properties", props);
    props = NULL;
    json_object_set_new(s, "title", json_string(d->name));
    json_object_set_new(s, "type", json_string("object"));
    if (!merge_annotation(s, d->annotation, d->name, err))
        goto fail;
    if (json_array_size(req))
        json_object_set(s, "required", req);
    json_decref(req);
    return s;
fail:
    json_decref(s);
    json_decref(props);
    json_decref(req);
    return NULL;
}

json_t *pt_struct_schema(const pt_struct_desc_t *desc, pt_schema_error_t *err)
{
    if (err)
        pt_schema_error_clear(err);
    if (!desc || !desc->name) {
        pt__set_error(err, "", "no struct description given");
        return NULL;
    }
    json_t *defs = json_object();
    json_t *s = defs ? struct_body(desc, defs, true, err) : NULL;
    if (s && json_object_size(defs))
        json_object_set(s, "$defs", defs);
    json_decref(defs);
    if (!s && err && !err->message)
        pt__set_error(err, "", "out of memory");
    return s;
}

pt_schema_t *pt_struct_compile(const pt_struct_desc_t *desc, pt_schema_error_t *err)
{
    json_t *s = pt_struct_schema(desc, err);
    if (!s)
        return NULL;
    pt_schema_t *r = pt_schema_compile(s, NULL, err);
    json_decref(s);
    return r;
}

/* --------------------------------------------------------------- decoding */

typedef struct dseg {
    const struct dseg *up;
    const char *key;
    size_t idx;
} dseg_t;

typedef struct dctx {
    const pt_alloc_t *alloc;
    pt_schema_error_t *err;
} dctx_t;

static void dpath(sbuf_t *b, const dseg_t *s)
{
    if (!s)
        return;
    dpath(b, s->up);
    if (s->key) {
        sb_putn(b, "/", 1);
        for (const char *p = s->key; *p; p++)
            pt__sb_puts(b, *p == '~' ? "~0" : *p == '/' ? "~1" : (char[]){*p, 0});
    } else {
        pt__sb_printf(b, "/%zu", s->idx);
    }
}

/* Records a decode error at path; msg is consumed. Always returns -1. */
static int dfail(dctx_t *c, const dseg_t *path, const char *kw, sbuf_t *msg)
{
    char *m = pt__sb_take(msg);
    if (c->err) {
        sbuf_t p = {0};
        dpath(&p, path);
        char *ip = pt__sb_take(&p);
        pt__err_set(c->err, m ? m : "out of memory", ip ? ip : "", "", kw);
        free(ip);
    }
    free(m);
    return -1;
}

static int type_fail(dctx_t *c, const dseg_t *path, const pt_jv_t *v, const char *type)
{
    sbuf_t b = {0};
    pt__sb_jrepr(&b, v);
    pt__sb_printf(&b, " is not of type '%s'", type);
    return dfail(c, path, "type", &b);
}

/* The JSON Schema type name for a C field type, for messages. */
static const char *json_type_name(pt_ftype_t t)
{
    switch (t) {
    case PT_FT_STRING:
    case PT_FT_ENUM: return "string";
    case PT_FT_INT: return "integer";
    case PT_FT_DOUBLE: return "number";
    case PT_FT_BOOL: return "boolean";
    case PT_FT_STRUCT: return "object";
    case PT_FT_ARRAY: return "array";
    }
    return "?";
}

/* n bytes for the decoded value, uninitialised (the caller fills them all) */
static void *dalloc_raw(dctx_t *c, size_t n)
{
    return c->alloc && c->alloc->alloc ? c->alloc->alloc(c->alloc->ctx, n) : malloc(n);
}

static void *dalloc(dctx_t *c, size_t n)
{
    void *p = dalloc_raw(c, n);
    if (p)
        memset(p, 0, n);
    return p;
}

static int decode_struct(dctx_t *c, const pt_struct_desc_t *d, const pt_jv_t *in, void *out, const dseg_t *path);

static int oom_fail(dctx_t *c, const dseg_t *path)
{
    sbuf_t b = {0};
    pt__sb_puts(&b, "out of memory");
    return dfail(c, path, NULL, &b);
}

/* Decodes v (of C type t, described by f) into dst. */
static int decode_value(dctx_t *c, const pt_field_t *f, pt_ftype_t t, size_t size, const pt_jv_t *v, void *dst,
                        const dseg_t *path)
{
    switch (t) {
    case PT_FT_STRING: {
        if (!jv_is_string(v))
            return type_fail(c, path, v, "string");
        size_t n = v->len;
        char *s = dalloc_raw(c, n + 1);
        if (!s)
            return oom_fail(c, path);
        memcpy(s, v->u.s, n);
        s[n] = 0;
        *(const char **)dst = s;
        return 0;
    }
    case PT_FT_INT: {
        /* the usual case, an int64 that fits the member, without long double */
        if (v->type == PT_JV_INT && size <= 8 && size > 0 &&
            (size == 8 || (v->u.i >= -(INT64_C(1) << (size * 8 - 1)) && v->u.i < (INT64_C(1) << (size * 8 - 1))))) {
            switch (size) {
            case 1: *(int8_t *)dst = (int8_t)v->u.i; return 0;
            case 2: *(int16_t *)dst = (int16_t)v->u.i; return 0;
            case 4: *(int32_t *)dst = (int32_t)v->u.i; return 0;
            case 8: *(int64_t *)dst = v->u.i; return 0;
            default: break; /* another size: the general path below */
            }
        }
        long double x;
        if (v->type == PT_JV_INT)
            x = (long double)v->u.i;
        else if (v->type == PT_JV_BIGINT)
            x = INFINITY; /* beyond int64: out of range for every member */
        else if (v->type == PT_JV_REAL && isfinite(v->u.d) && floor(v->u.d) == v->u.d)
            x = v->u.d;
        else
            return type_fail(c, path, v, "integer");
        int bits = (int)(size * 8);
        long double lim = ldexpl(1.0L, bits - 1);
        if (size > 8 || x < -lim || x >= lim) {
            sbuf_t b = {0};
            pt__sb_jrepr(&b, v);
            pt__sb_printf(&b, " is out of range for a %d-bit integer", bits);
            return dfail(c, path, "maximum", &b);
        }
        int64_t i = (int64_t)x;
        switch (size) {
        case 1: *(int8_t *)dst = (int8_t)i; break;
        case 2: *(int16_t *)dst = (int16_t)i; break;
        case 4: *(int32_t *)dst = (int32_t)i; break;
        default: *(int64_t *)dst = i; break;
        }
        return 0;
    }
    case PT_FT_DOUBLE:
        if (!jv_is_number(v))
            return type_fail(c, path, v, "number");
        *(double *)dst = jv_number(v);
        return 0;
    case PT_FT_BOOL:
        if (!jv_is_bool(v))
            return type_fail(c, path, v, "boolean");
        *(bool *)dst = v->type == PT_JV_TRUE;
        return 0;
    case PT_FT_ENUM: {
        if (jv_is_string(v))
            for (int i = 0; f->enum_values && f->enum_values[i]; i++)
                if (strlen(f->enum_values[i]) == v->len && !memcmp(f->enum_values[i], v->u.s, v->len)) {
                    *(int *)dst = i;
                    return 0;
                }
        sbuf_t b = {0};
        pt__sb_jrepr(&b, v);
        pt__sb_puts(&b, " is not one of [");
        for (int i = 0; f->enum_values && f->enum_values[i]; i++) {
            if (i)
                pt__sb_puts(&b, ", ");
            pt__sb_pystr(&b, f->enum_values[i], strlen(f->enum_values[i]));
        }
        pt__sb_puts(&b, "]");
        return dfail(c, path, "enum", &b);
    }
    case PT_FT_STRUCT:
        return decode_struct(c, f->sub, v, dst, path);
    case PT_FT_ARRAY: {
        if (!jv_is_array(v))
            return type_fail(c, path, v, "array");
        pt_vec_t *vec = dst;
        size_t n = v->len;
        if (n) {
            if (n > SIZE_MAX / f->item_size || !(vec->items = dalloc(c, n * f->item_size)))
                return oom_fail(c, path);
        }
        vec->len = n;
        for (size_t i = 0; i < n; i++) {
            dseg_t is = {path, NULL, i};
            const pt_jv_t *x = jv_item(v, i);
            if (jv_is_null(x))
                return type_fail(c, &is, x, json_type_name(f->item_type));
            if (decode_value(c, f, f->item_type, f->item_size, x, (char *)vec->items + i * f->item_size, &is))
                return -1;
        }
        return 0;
    }
    }
    sbuf_t b = {0};
    pt__sb_printf(&b, "field has an unknown type %d", (int)t);
    return dfail(c, path, NULL, &b);
}

/* Whether the C string name is the len bytes at key (which may hold NULs):
 * byte by byte, so neither side is read past its end. */
static inline bool key_is(const char *name, const char *key, size_t len)
{
    for (size_t j = 0; j < len; j++)
        if (name[j] != key[j] || !name[j])
            return false;
    return name[len] == 0;
}

static bool is_field(const pt_struct_desc_t *d, const char *key, size_t len)
{
    for (size_t i = 0; i < d->nfields; i++)
        if (strlen(d->fields[i].name) == len && !memcmp(d->fields[i].name, key, len))
            return true;
    return false;
}

static int cmp_cstr(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

static int decode_struct(dctx_t *c, const pt_struct_desc_t *d, const pt_jv_t *in, void *out, const dseg_t *path)
{
    if (!d)
        return oom_fail(c, path);
    if (!jv_is_object(in))
        return type_fail(c, path, in, "object");
    /* unknown keys are a client mistake: 400 with Python's wording */
    size_t nx = 0;
    const pt_jmember_t *m = in->u.members, *mend = m + in->len;
    /* members usually come in field order: then every one is a field and
     * field i's member is m[i]; any other order is checked key by key */
    size_t in_order = 0;
    if (in->len <= d->nfields)
        while (in_order < in->len && key_is(d->fields[in_order].name, m[in_order].key, m[in_order].klen))
            in_order++;
    if (in_order < in->len)
        for (const pt_jmember_t *k = m; k != mend; k++)
            nx += !is_field(d, k->key, k->klen);
    if (nx) {
        const char **keys = malloc(nx * sizeof *keys);
        if (!keys)
            return oom_fail(c, path);
        size_t j = 0;
        for (const pt_jmember_t *k = m; k != mend; k++)
            if (!is_field(d, k->key, k->klen))
                keys[j++] = k->key;
        qsort(keys, nx, sizeof *keys, cmp_cstr);
        sbuf_t b = {0};
        pt__sb_puts(&b, "Additional properties are not allowed (");
        for (size_t i = 0; i < nx; i++) {
            if (i)
                pt__sb_puts(&b, ", ");
            pt__sb_pystr(&b, keys[i], strlen(keys[i]));
        }
        pt__sb_puts(&b, nx == 1 ? " was unexpected)" : " were unexpected)");
        free(keys);
        return dfail(c, path, "additionalProperties", &b);
    }
    for (size_t i = 0; i < d->nfields; i++) {
        const pt_field_t *f = &d->fields[i];
        dseg_t fs = {path, f->name, 0};
        void *dst = (char *)out + f->offset;
        const pt_jv_t *val;
        if (i < in_order) {
            val = &m[i].v;
        } else {
            size_t nlen = strlen(f->name);
            /* try the same position first */
            if (i < in->len && m[i].klen == nlen && !memcmp(m[i].key, f->name, nlen))
                val = &m[i].v;
            else
                val = jv_get(in, f->name, nlen);
        }
        jalloc_t dmem = {0};
        pt_jv_t dflt;
        if (!val && f->defval) {
            jperr_t je;
            if (pt__jparse(&dmem, f->defval, strlen(f->defval), 0, &dflt, &je) != 0) {
                sbuf_t b = {0};
                pt__sb_printf(&b, "default of '%s' is not valid JSON: %s", f->name, je.reason);
                pt__jalloc_free(&dmem);
                return dfail(c, &fs, "default", &b);
            }
            val = &dflt;
        }
        if (!val) {
            sbuf_t b = {0};
            pt__sb_pystr(&b, f->name, strlen(f->name));
            pt__sb_puts(&b, " is a required property");
            return dfail(c, path, "required", &b);
        }
        int rc = 0;
        if (jv_is_null(val) && f->nullable) {
            if (f->null_offset)
                *((bool *)((char *)out + f->null_offset)) = true;
        } else {
            rc = decode_value(c, f, f->type, f->size, val, dst, &fs);
        }
        if (val == &dflt)
            pt__jalloc_free(&dmem);
        if (rc)
            return -1;
    }
    return 0;
}

int pt_struct_decode_jv(const pt_struct_desc_t *desc, const pt_schema_t *schema, const pt_jv_t *in, void *out,
                        const pt_alloc_t *alloc, pt_schema_error_t *err)
{
    if (err)
        pt_schema_error_clear(err);
    if (!desc || !out || !in) {
        pt__set_error(err, "", "pt_struct_decode: NULL argument");
        return -1;
    }
    memset(out, 0, desc->size);
    pt_schema_t *own = NULL;
    if (!schema && !(schema = own = pt_struct_compile(desc, err)))
        return -1;
    pt_schema_error_t tmp = {0};
    int v = pt_schema_validate_jv(schema, in, err ? err : &tmp);
    pt_schema_error_clear(&tmp);
    pt_schema_free(own);
    if (v)
        return -1;
    dctx_t c = {.alloc = alloc, .err = err};
    if (decode_struct(&c, desc, in, out, NULL)) {
        if (!alloc || !alloc->alloc)
            pt_struct_release(desc, out);
        memset(out, 0, desc->size);
        return -1;
    }
    return 0;
}

int pt_struct_decode(const pt_struct_desc_t *desc, const pt_schema_t *schema, const json_t *in, void *out,
                     const pt_alloc_t *alloc, pt_schema_error_t *err)
{
    if (!in)
        return pt_struct_decode_jv(desc, schema, NULL, out, alloc, err);
    /* the tree copy lives only for this call: decoded strings are copied */
    jalloc_t a = {0};
    pt_jv_t v;
    int rc;
    if (!pt__jv_from_json(&a, in, &v)) {
        if (err)
            pt_schema_error_clear(err);
        pt__set_error(err, "", "out of memory");
        rc = -1;
    } else {
        rc = pt_struct_decode_jv(desc, schema, &v, out, alloc, err);
    }
    pt__jalloc_free(&a);
    return rc;
}

/* ---------------------------------------------------------------- release */

static void release_value(const pt_field_t *f, pt_ftype_t t, void *p)
{
    if (t == PT_FT_STRING) {
        free(*(char **)p);
        *(char **)p = NULL;
    } else if (t == PT_FT_STRUCT) {
        pt_struct_release(f->sub, p);
    } else if (t == PT_FT_ARRAY) {
        pt_vec_t *vec = p;
        if (vec->items && (f->item_type == PT_FT_STRING || f->item_type == PT_FT_STRUCT))
            for (size_t i = 0; i < vec->len; i++)
                release_value(f, f->item_type, (char *)vec->items + i * f->item_size);
        free(vec->items);
        vec->items = NULL;
        vec->len = 0;
    }
}

void pt_struct_release(const pt_struct_desc_t *desc, void *obj)
{
    if (!desc || !obj)
        return;
    for (size_t i = 0; i < desc->nfields; i++)
        release_value(&desc->fields[i], desc->fields[i].type, (char *)obj + desc->fields[i].offset);
}

/* --------------------------------------------------------------- encoding */

static json_t *encode_value(const pt_field_t *f, pt_ftype_t t, size_t size, const void *p)
{
    switch (t) {
    case PT_FT_STRING: {
        /* as decoded: may hold a lone surrogate (from "\ud800"), which the
         * response writer escapes again; json_string would refuse it */
        const char *s = *(const char *const *)p;
        return s ? json_stringn_nocheck(s, strlen(s)) : json_null();
    }
    case PT_FT_INT:
        switch (size) {
        case 1: return json_integer(*(const int8_t *)p);
        case 2: return json_integer(*(const int16_t *)p);
        case 4: return json_integer(*(const int32_t *)p);
        default: return json_integer(*(const int64_t *)p);
        }
    case PT_FT_DOUBLE: return json_real(*(const double *)p);
    case PT_FT_BOOL: return json_boolean(*(const bool *)p);
    case PT_FT_ENUM: {
        int i = *(const int *)p, n = 0;
        while (f->enum_values && f->enum_values[n])
            n++;
        return i >= 0 && i < n ? json_string(f->enum_values[i]) : json_null();
    }
    case PT_FT_STRUCT: return pt_struct_encode(f->sub, p);
    case PT_FT_ARRAY: {
        const pt_vec_t *vec = p;
        json_t *a = json_array();
        for (size_t i = 0; a && i < vec->len; i++) {
            json_t *x = encode_value(f, f->item_type, f->item_size, (const char *)vec->items + i * f->item_size);
            if (!x || json_array_append_new(a, x)) {
                json_decref(a);
                return NULL;
            }
        }
        return a;
    }
    }
    return NULL;
}

json_t *pt_struct_encode(const pt_struct_desc_t *desc, const void *obj)
{
    if (!desc || !obj)
        return NULL;
    json_t *o = json_object();
    for (size_t i = 0; o && i < desc->nfields; i++) {
        const pt_field_t *f = &desc->fields[i];
        const void *p = (const char *)obj + f->offset;
        json_t *v;
        if (f->nullable && f->null_offset && *(const bool *)((const char *)obj + f->null_offset))
            v = json_null();
        else
            v = encode_value(f, f->type, f->size, p);
        if (!v || json_object_set_new(o, f->name, v)) {
            json_decref(o);
            return NULL;
        }
    }
    return o;
}
