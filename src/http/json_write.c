/* Python-compatible JSON writer: see json_write.h. */
#include "http/json_write.h"

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "ponty/jsonschema.h"

static const char hex[] = "0123456789abcdef";

/* Whether none of 8 bytes needs escaping: all within ' '..'~' and none
 * is '"' or '\\'. Each term is exact for presence, which is all that is
 * asked: (w - 0x20..) & ~w has a high bit for a byte below 0x20, (w + 1..)
 * | w for one above 0x7e (a carry out of a byte starts at 0xff, itself
 * flagged), (x - 1..) & ~x for a zero byte of x = w ^ '"' or w ^ '\\'. */
static inline bool plain8(uint64_t w)
{
    const uint64_t ones = 0x0101010101010101ULL, high = 0x8080808080808080ULL;
    uint64_t q = w ^ (ones * '"'), bs = w ^ (ones * '\\');
    uint64_t bad = ((w - ones * 0x20) & ~w) | (w + ones) | w | ((q - ones) & ~q) | ((bs - ones) & ~bs);
    return (bad & high) == 0;
}

static inline bool plain1(unsigned char c) { return c >= 0x20 && c < 0x7f && c != '"' && c != '\\'; }

/* Copies the bytes of s[0..n) that need no escaping, up to the first that
 * does; returns how many. */
static inline size_t copy_plain_bytes(char *o, const char *s, size_t n)
{
    size_t i = 0;
    while (i < n && plain1((unsigned char)s[i])) {
        o[i] = s[i];
        i++;
    }
    return i;
}

/* Two words in one vector (SSE2's or NEON's 16 bytes; plain scalar code
 * elsewhere). */
typedef uint64_t u64x2 __attribute__((vector_size(16)));

/* plain8 on two words at once: the same operations on both lanes. */
static inline bool plain16(uint64_t a, uint64_t b)
{
    const uint64_t ones = 0x0101010101010101ULL, high = 0x8080808080808080ULL;
    u64x2 w = { a, b };
    u64x2 q = w ^ (ones * '"'), bs = w ^ (ones * '\\');
    u64x2 bad = (((w - ones * 0x20) & ~w) | (w + ones) | w | ((q - ones) & ~q) | ((bs - ones) & ~bs)) & high;
    return (bad[0] | bad[1]) == 0;
}

/* Copies to o the longest prefix of s[0..n) that needs no escaping, 16
 * bytes at a time, and returns its length; o has room for n bytes. */
static inline __attribute__((always_inline)) size_t copy_plain(char *o, const char *s, size_t n)
{
    /* the usual string needs no escape: copy it two words at a time */
    size_t i = 0;
    uint64_t a, b;
    for (; i + 16 <= n; i += 16) {
        memcpy(&a, s + i, 8);
        memcpy(&b, s + i + 8, 8);
        if (!plain16(a, b))
            return i + copy_plain_bytes(o + i, s + i, n - i);
        memcpy(o + i, &a, 8);
        memcpy(o + i + 8, &b, 8);
    }
    if (i < n) {
        /* the rest, shorter than 16 bytes: tested and copied as the last 16
         * bytes (overlapping copied ones), the first and last 8, or two
         * 4-byte halves that may overlap, instead of byte by byte */
        if (n >= 8) {
            size_t at = n >= 16 ? n - 16 : 0;
            memcpy(&a, s + at, 8);
            memcpy(&b, s + n - 8, 8);
            if (plain16(a, b)) {
                memcpy(o + at, &a, 8);
                memcpy(o + n - 8, &b, 8);
                return n;
            }
        } else if (n >= 4) {
            uint32_t lo, hi;
            memcpy(&lo, s, 4);
            memcpy(&hi, s + n - 4, 4);
            if (plain8((uint64_t)lo | (uint64_t)hi << 32)) {
                memcpy(o, &lo, 4);
                memcpy(o + n - 4, &hi, 4);
                return n;
            }
        }
        i += copy_plain_bytes(o + i, s + i, n - i);
    }
    return i;
}

static void write_string(pt__buf_t *b, const char *s, size_t n)
{
    pt__buf_reserve(b, n + 2);
    char *o = b->data + b->len;
    *o++ = '"';
    size_t i = copy_plain(o, s, n);
    o += i;
    if (i == n) {
        *o++ = '"';
        b->len = (size_t)(o - b->data);
        return;
    }
    b->len = (size_t)(o - b->data);
    size_t run = 0; /* bytes that need no escaping, copied in one go */
    for (; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\') {
            run++;
            continue;
        }
        if (run)
            pt__buf_append(b, s + i - run, run);
        run = 0;
        char esc[12];
        size_t k = 0;
        switch (c) {
        case '"': esc[k++] = '\\'; esc[k++] = '"'; break;
        case '\\': esc[k++] = '\\'; esc[k++] = '\\'; break;
        case '\n': esc[k++] = '\\'; esc[k++] = 'n'; break;
        case '\r': esc[k++] = '\\'; esc[k++] = 'r'; break;
        case '\t': esc[k++] = '\\'; esc[k++] = 't'; break;
        case '\b': esc[k++] = '\\'; esc[k++] = 'b'; break;
        case '\f': esc[k++] = '\\'; esc[k++] = 'f'; break;
        default: {
            /* jansson strings are valid UTF-8: decode and escape as \uXXXX,
             * with a surrogate pair above the BMP, as ensure_ascii does. */
            unsigned cp = c;
            int extra = 0;
            if (c >= 0xf0) { cp = c & 0x07; extra = 3; }
            else if (c >= 0xe0) { cp = c & 0x0f; extra = 2; }
            else if (c >= 0xc0) { cp = c & 0x1f; extra = 1; }
            for (int j = 0; j < extra && i + 1 < n; j++)
                cp = (cp << 6) | ((unsigned char)s[++i] & 0x3f);
            unsigned units[2];
            int nu = 0;
            if (cp >= 0x10000) {
                cp -= 0x10000;
                units[nu++] = 0xd800 | (cp >> 10);
                units[nu++] = 0xdc00 | (cp & 0x3ff);
            } else {
                units[nu++] = cp;
            }
            for (int u = 0; u < nu; u++) {
                esc[k++] = '\\'; esc[k++] = 'u';
                esc[k++] = hex[(units[u] >> 12) & 15];
                esc[k++] = hex[(units[u] >> 8) & 15];
                esc[k++] = hex[(units[u] >> 4) & 15];
                esc[k++] = hex[units[u] & 15];
            }
        }
        }
        pt__buf_append(b, esc, k);
    }
    if (run)
        pt__buf_append(b, s + n - run, run);
    pt__buf_append(b, "\"", 1);
}

static int write_value(pt__buf_t *b, const json_t *v, const pt__bignum_t *bigs, int depth)
{
    if (depth > 1000)
        return -1;
    switch (json_typeof(v)) {
    case JSON_OBJECT: {
        pt__buf_append(b, "{", 1);
        int first = 1;
        /* keys by length: a key may hold "\u0000" */
        for (void *it = json_object_iter((json_t *)v); it; it = json_object_iter_next((json_t *)v, it)) {
            if (!first)
                pt__buf_append(b, ", ", 2);
            first = 0;
            write_string(b, json_object_iter_key(it), json_object_iter_key_len(it));
            pt__buf_append(b, ": ", 2);
            if (write_value(b, json_object_iter_value(it), bigs, depth + 1))
                return -1;
        }
        pt__buf_append(b, "}", 1);
        return 0;
    }
    case JSON_ARRAY: {
        pt__buf_append(b, "[", 1);
        size_t n = json_array_size(v);
        for (size_t i = 0; i < n; i++) {
            if (i)
                pt__buf_append(b, ", ", 2);
            if (write_value(b, json_array_get(v, i), bigs, depth + 1))
                return -1;
        }
        pt__buf_append(b, "]", 1);
        return 0;
    }
    case JSON_STRING:
        write_string(b, json_string_value(v), json_string_length(v));
        return 0;
    case JSON_INTEGER:
        pt__buf_int(b, (long long)json_integer_value(v));
        return 0;
    case JSON_REAL: {
        for (const pt__bignum_t *g = bigs; g; g = g->next)
            if (g->real == v && g->value == json_real_value(v)) {
                pt__buf_append(b, g->digits, g->len);
                return 0;
            }
        char tmp[32];
        int n = pt_py_float_repr(json_real_value(v), tmp, true);
        pt__buf_append(b, tmp, (size_t)n);
        return 0;
    }
    case JSON_TRUE: pt__buf_append(b, "true", 4); return 0;
    case JSON_FALSE: pt__buf_append(b, "false", 5); return 0;
    case JSON_NULL: pt__buf_append(b, "null", 4); return 0;
    }
    return -1;
}

int pt__json_write(pt__buf_t *b, const json_t *v, const pt__bignum_t *bigs)
{
    return write_value(b, v, bigs, 0);
}

/* ------------------------------------------------------------ trees */

static void write_real(pt__buf_t *b, double d)
{
    char tmp[32];
    int n = pt_py_float_repr(d, tmp, true);
    pt__buf_append(b, tmp, (size_t)n);
}

static int write_jv(pt__buf_t *b, const pt_jv_t *v, int depth)
{
    if (depth > 1000)
        return -1;
    switch ((pt_jv_type_t)v->type) {
    case PT_JV_NULL: pt__buf_append(b, "null", 4); return 0;
    case PT_JV_FALSE: pt__buf_append(b, "false", 5); return 0;
    case PT_JV_TRUE: pt__buf_append(b, "true", 4); return 0;
    case PT_JV_INT: pt__buf_int(b, (long long)v->u.i); return 0;
    case PT_JV_BIGINT: pt__buf_append(b, v->u.s, v->len); return 0;
    case PT_JV_REAL: write_real(b, v->u.d); return 0;
    case PT_JV_STRING: write_string(b, v->u.s, v->len); return 0;
    case PT_JV_ARRAY:
        pt__buf_append(b, "[", 1);
        for (size_t i = 0; i < v->len; i++) {
            if (i)
                pt__buf_append(b, ", ", 2);
            if (write_jv(b, &v->u.items[i], depth + 1))
                return -1;
        }
        pt__buf_append(b, "]", 1);
        return 0;
    case PT_JV_OBJECT:
        pt__buf_append(b, "{", 1);
        for (size_t i = 0; i < v->len; i++) {
            const pt_jmember_t *m = &v->u.members[i];
            if (i)
                pt__buf_append(b, ", ", 2);
            write_string(b, m->key, m->klen);
            pt__buf_append(b, ": ", 2);
            if (write_jv(b, &m->v, depth + 1))
                return -1;
        }
        pt__buf_append(b, "}", 1);
        return 0;
    }
    return -1;
}

int pt__json_write_jv(pt__buf_t *b, const pt_jv_t *v) { return write_jv(b, v, 0); }

/* ---------------------------------------------------------- structs */

static int write_struct(pt__buf_t *b, const pt_struct_desc_t *d, const void *obj, int depth);

/* A member's key with the ", " before it (but the first) and the ": "
 * after it, in space reserved once: a struct's keys are C names that
 * need no escaping, the rest goes through write_string. */
static void write_key(pt__buf_t *b, const char *k, bool comma)
{
    size_t n = strlen(k);
    pt__buf_reserve(b, n + 6);
    char *o = b->data + b->len;
    if (comma) {
        memcpy(o, ", ", 2);
        o += 2;
    }
    if (copy_plain(o + 1, k, n) < n) {
        b->len = (size_t)(o - b->data);
        write_string(b, k, n);
        pt__buf_append(b, ": ", 2);
        return;
    }
    *o = '"';
    o += 1 + n;
    memcpy(o, "\": ", 3);
    b->len = (size_t)(o + 3 - b->data);
}

static int write_field(pt__buf_t *b, const pt_field_t *f, pt_ftype_t t, size_t size, const void *p, int depth)
{
    switch (t) {
    case PT_FT_STRING: {
        const char *s = *(const char *const *)p;
        if (s)
            write_string(b, s, strlen(s));
        else
            pt__buf_append(b, "null", 4);
        return 0;
    }
    case PT_FT_INT:
        switch (size) {
        case 1: pt__buf_int(b, *(const int8_t *)p); break;
        case 2: pt__buf_int(b, *(const int16_t *)p); break;
        case 4: pt__buf_int(b, *(const int32_t *)p); break;
        default: pt__buf_int(b, (long long)*(const int64_t *)p); break;
        }
        return 0;
    case PT_FT_DOUBLE: write_real(b, *(const double *)p); return 0;
    case PT_FT_BOOL:
        if (*(const bool *)p)
            pt__buf_append(b, "true", 4);
        else
            pt__buf_append(b, "false", 5);
        return 0;
    case PT_FT_ENUM: {
        int i = *(const int *)p, n = 0;
        while (f->enum_values && f->enum_values[n])
            n++;
        if (i >= 0 && i < n)
            write_string(b, f->enum_values[i], strlen(f->enum_values[i]));
        else
            pt__buf_append(b, "null", 4);
        return 0;
    }
    case PT_FT_STRUCT: return write_struct(b, f->sub, p, depth + 1);
    case PT_FT_ARRAY: {
        const pt_vec_t *vec = p;
        pt__buf_append(b, "[", 1);
        for (size_t i = 0; i < vec->len; i++) {
            if (i)
                pt__buf_append(b, ", ", 2);
            if (write_field(b, f, f->item_type, f->item_size, (const char *)vec->items + i * f->item_size,
                               depth + 1))
                return -1;
        }
        pt__buf_append(b, "]", 1);
        return 0;
    }
    }
    return -1;
}

static int write_struct(pt__buf_t *b, const pt_struct_desc_t *d, const void *obj, int depth)
{
    if (!d || depth > 1000)
        return -1;
    pt__buf_append(b, "{", 1);
    for (size_t i = 0; i < d->nfields; i++) {
        const pt_field_t *f = &d->fields[i];
        write_key(b, f->name, i > 0);
        if (f->nullable && f->null_offset && *(const bool *)((const char *)obj + f->null_offset))
            pt__buf_append(b, "null", 4);
        else if (write_field(b, f, f->type, f->size, (const char *)obj + f->offset, depth))
            return -1;
    }
    pt__buf_append(b, "}", 1);
    return 0;
}

int pt__json_write_struct(pt__buf_t *b, const pt_struct_desc_t *desc, const void *obj)
{
    return obj ? write_struct(b, desc, obj, 0) : -1;
}
