/* Small shared helpers: the compile-time pool, the error-path string
 * builder, Python-flavoured repr and equality, error records. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pyunicode.h"
#include "schema_internal.h"

/* ------------------------------------------------------------------ pool */

void *pt__pool_alloc(pool_t *p, size_t n)
{
    n = (n + sizeof(max_align_t) - 1) & ~(sizeof(max_align_t) - 1);
    if (n == 0)
        n = sizeof(max_align_t);
    pool_chunk_t *c = p->head;
    if (!c || c->cap - c->used < n) {
        size_t cap = n > 16384 ? n : 16384;
        c = malloc(sizeof(*c) + cap);
        if (!c)
            return NULL;
        c->used = 0;
        c->cap = cap;
        c->next = p->head;
        p->head = c;
    }
    void *r = (char *)c->data + c->used;
    c->used += n;
    memset(r, 0, n);
    return r;
}

char *pt__pool_strdup(pool_t *p, const char *s)
{
    size_t n = strlen(s) + 1;
    char *d = pt__pool_alloc(p, n);
    if (d)
        memcpy(d, s, n);
    return d;
}

void pt__pool_free(pool_t *p)
{
    for (pool_chunk_t *c = p->head, *n; c; c = n) {
        n = c->next;
        free(c);
    }
    p->head = NULL;
}

/* ------------------------------------------------------------------ sbuf */

bool pt__sb_grow(sbuf_t *b, size_t extra)
{
    if (b->oom)
        return false;
    if (b->len + extra + 1 <= b->cap)
        return true;
    size_t cap = b->cap ? b->cap * 2 : 128;
    while (cap < b->len + extra + 1)
        cap *= 2;
    char *s = realloc(b->s, cap);
    if (!s) {
        b->oom = true;
        return false;
    }
    b->s = s;
    b->cap = cap;
    return true;
}

void pt__sb_puts(sbuf_t *b, const char *s) { sb_putn(b, s, strlen(s)); }

void pt__sb_int(sbuf_t *b, long long v)
{
    char tmp[24], *p = tmp + sizeof tmp;
    unsigned long long u = v < 0 ? 0ULL - (unsigned long long)v : (unsigned long long)v;
    do {
        *--p = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    if (v < 0)
        *--p = '-';
    sb_putn(b, p, (size_t)(tmp + sizeof tmp - p));
}

void pt__sb_printf(sbuf_t *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char tmp[256];
    int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    if ((size_t)n < sizeof tmp) {
        sb_putn(b, tmp, (size_t)n);
        return;
    }
    if (!pt__sb_grow(b, (size_t)n))
        return;
    va_start(ap, fmt);
    vsnprintf(b->s + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
}

char *pt__sb_take(sbuf_t *b)
{
    if (b->oom) {
        free(b->s);
        *b = (sbuf_t){0};
        return NULL;
    }
    char *s = b->s ? b->s : strdup("");
    *b = (sbuf_t){0};
    return s;
}

/* ------------------------------------------------------------------ repr */

/* Python's repr(float): the shortest digits that round-trip, printed in
 * positional notation when the decimal exponent is in [-4, 16), otherwise
 * as d.ddde+XX; integral values keep a trailing ".0". json_spelling only
 * changes the non-finite values, which json.dumps writes as JavaScript
 * spells them. One implementation for the messages here and for the
 * server's json.dumps-compatible writer. */
int pt_py_float_repr(double d, char *out, bool json_spelling)
{
    const char *special = NULL;
    if (isnan(d))
        special = json_spelling ? "NaN" : "nan";
    else if (isinf(d))
        special = d < 0 ? (json_spelling ? "-Infinity" : "-inf") : (json_spelling ? "Infinity" : "inf");
    if (special) {
        size_t n = strlen(special);
        memcpy(out, special, n + 1);
        return (int)n;
    }
    char buf[40];
    int prec;
    for (prec = 1; prec <= 17; prec++) {
        snprintf(buf, sizeof buf, "%.*e", prec - 1, d);
        if (strtod(buf, NULL) == d)
            break;
    }
    /* buf = [-]D[.DDD]e[+-]XX: split into sign, digits, exponent. */
    const char *p = buf;
    bool neg = false;
    if (*p == '-') {
        neg = true;
        p++;
    }
    char digits[24];
    size_t nd = 0;
    for (; *p && *p != 'e'; p++)
        if (*p != '.')
            digits[nd++] = *p;
    int exp = atoi(p + 1);
    while (nd > 1 && digits[nd - 1] == '0')
        nd--;
    char *o = out;
    if (neg)
        *o++ = '-';
    if (exp < -4 || exp >= 16) {
        *o++ = digits[0];
        if (nd > 1) {
            *o++ = '.';
            memcpy(o, digits + 1, nd - 1);
            o += nd - 1;
        }
        /* e[+-]XX[X], without printf */
        int e = exp < 0 ? -exp : exp;
        *o++ = 'e';
        *o++ = exp < 0 ? '-' : '+';
        if (e >= 100)
            *o++ = (char)('0' + e / 100);
        *o++ = (char)('0' + e / 10 % 10);
        *o++ = (char)('0' + e % 10);
    } else if (exp < 0) {
        *o++ = '0';
        *o++ = '.';
        for (int i = -1; i > exp; i--)
            *o++ = '0';
        memcpy(o, digits, nd);
        o += nd;
    } else {
        /* digits before the point: exp + 1 */
        size_t ip = (size_t)exp + 1;
        for (size_t i = 0; i < ip; i++)
            *o++ = i < nd ? digits[i] : '0';
        *o++ = '.';
        if (nd > ip) {
            memcpy(o, digits + ip, nd - ip);
            o += nd - ip;
        } else {
            *o++ = '0';
        }
    }
    *o = 0;
    return (int)(o - out);
}

void pt__sb_pyfloat(sbuf_t *b, double d)
{
    char buf[32];
    sb_putn(b, buf, (size_t)pt_py_float_repr(d, buf, false));
}

/* Python's repr(str): single quotes unless the text has ' and no ";
 * backslash, the quote, \t \n \r and every character str.isprintable()
 * refuses are escaped (\xNN below U+0100, \uNNNN, \UNNNNNNNN). Bytes that
 * are not UTF-8 (which jansson never produces) are shown as \xNN. */
void pt__sb_pystr(sbuf_t *b, const char *s, size_t n)
{
    /* common case: printable ASCII without quotes or backslashes */
    size_t i = 0;
    while (i < n) {
        unsigned char c = (unsigned char)s[i];
        if (c < 0x20 || c >= 0x7f || c == '\'' || c == '"' || c == '\\')
            break;
        i++;
    }
    if (i == n) {
        if (!pt__sb_grow(b, n + 2))
            return;
        char *d = b->s + b->len;
        d[0] = '\'';
        memcpy(d + 1, s, n);
        d[n + 1] = '\'';
        d[n + 2] = 0;
        b->len += n + 2;
        return;
    }
    bool has_sq = memchr(s, '\'', n) != NULL, has_dq = memchr(s, '"', n) != NULL;
    char q = (has_sq && !has_dq) ? '"' : '\'';
    sb_putn(b, &q, 1);
    size_t run = 0;   /* bytes before i that are copied as they are */
    for (i = 0; i < n;) {
        const unsigned char *p = (const unsigned char *)s + i;
        uint32_t cp;
        size_t len = pt__utf8_decode(p, n - i, &cp);
        char tmp[12];
        const char *esc = NULL;
        if (len == 0) {
            snprintf(tmp, sizeof tmp, "\\x%02x", p[0]);
            esc = tmp;
            len = 1;
        } else if (cp == '\\') {
            esc = "\\\\";
        } else if (cp == (uint32_t)q) {
            esc = q == '\'' ? "\\'" : "\\\"";
        } else if (cp == '\n') {
            esc = "\\n";
        } else if (cp == '\r') {
            esc = "\\r";
        } else if (cp == '\t') {
            esc = "\\t";
        } else if (!pt__py_isprintable(cp)) {
            snprintf(tmp, sizeof tmp, cp < 0x100 ? "\\x%02x" : cp < 0x10000 ? "\\u%04x" : "\\U%08x",
                     (unsigned)cp);
            esc = tmp;
        }
        if (esc) {
            sb_putn(b, s + i - run, run);
            run = 0;
            pt__sb_puts(b, esc);
        } else {
            run += len;
        }
        i += len;
    }
    sb_putn(b, s + n - run, run);
    sb_putn(b, &q, 1);
}

static void repr_rec(sbuf_t *b, const json_t *v, size_t max, int depth)
{
    if (max && b->len > max)
        return;
    if (depth > 64) {
        pt__sb_puts(b, "...");
        return;
    }
    switch (json_typeof(v)) {
    case JSON_NULL: pt__sb_puts(b, "None"); break;
    case JSON_TRUE: pt__sb_puts(b, "True"); break;
    case JSON_FALSE: pt__sb_puts(b, "False"); break;
    case JSON_INTEGER: pt__sb_int(b, json_integer_value(v)); break;
    case JSON_REAL: pt__sb_pyfloat(b, json_real_value(v)); break;
    case JSON_STRING: pt__sb_pystr(b, json_string_value(v), json_string_length(v)); break;
    case JSON_ARRAY: {
        sb_putn(b, "[", 1);
        for (size_t i = 0; i < json_array_size(v); i++) {
            if (i)
                sb_putn(b, ", ", 2);
            repr_rec(b, json_array_get(v, i), max, depth + 1);
            if (max && b->len > max)
                return;
        }
        sb_putn(b, "]", 1);
        break;
    }
    case JSON_OBJECT: {
        sb_putn(b, "{", 1);
        const char *k;
        json_t *x;
        bool first = true;
        json_object_foreach((json_t *)v, k, x) {
            if (!first)
                sb_putn(b, ", ", 2);
            first = false;
            pt__sb_pystr(b, k, strlen(k));
            sb_putn(b, ": ", 2);
            repr_rec(b, x, max, depth + 1);
            if (max && b->len > max)
                return;
        }
        sb_putn(b, "}", 1);
        break;
    }
    }
}

/* Messages quote the instance; a huge body must not make a huge message. */
#define REPR_MAX 8192

void pt__sb_repr(sbuf_t *b, const json_t *v)
{
    size_t start = b->len;
    repr_rec(b, v, start + REPR_MAX, 0);
    if (b->len > start + REPR_MAX && !b->oom) {
        b->len = start + REPR_MAX;
        b->s[b->len] = 0;
        pt__sb_puts(b, "...");
    }
}

char *pt_json_repr(const json_t *value, size_t max_len)
{
    sbuf_t b = {0};
    if (!value) {
        pt__sb_puts(&b, "None");
        return pt__sb_take(&b);
    }
    repr_rec(&b, value, max_len, 0);
    if (max_len && b.len > max_len && !b.oom) {
        b.len = max_len;
        b.s[b.len] = 0;
        pt__sb_puts(&b, "...");
    }
    return pt__sb_take(&b);
}

/* -------------------------------------------------------------- equality */

static bool is_num(const json_t *v) { return json_is_integer(v) || json_is_real(v); }

/* Values nested deeper than this compare unequal, which bounds the
 * recursion on hostile input. */
#define EQUAL_MAX_DEPTH 512

static bool js_equal_d(const json_t *a, const json_t *b, int depth);

bool pt__js_equal(const json_t *a, const json_t *b) { return js_equal_d(a, b, 0); }

static bool js_equal_d(const json_t *a, const json_t *b, int depth)
{
    if (depth > EQUAL_MAX_DEPTH)
        return false;
    if (is_num(a) && is_num(b)) {
        if (json_is_integer(a) && json_is_integer(b))
            return json_integer_value(a) == json_integer_value(b);
        long double x = json_is_integer(a) ? (long double)json_integer_value(a) : json_real_value(a);
        long double y = json_is_integer(b) ? (long double)json_integer_value(b) : json_real_value(b);
        return x == y;
    }
    if (json_typeof(a) != json_typeof(b))
        return false;
    switch (json_typeof(a)) {
    case JSON_STRING:
        return json_string_length(a) == json_string_length(b) &&
               memcmp(json_string_value(a), json_string_value(b), json_string_length(a)) == 0;
    case JSON_ARRAY: {
        size_t n = json_array_size(a);
        if (n != json_array_size(b))
            return false;
        for (size_t i = 0; i < n; i++)
            if (!js_equal_d(json_array_get(a, i), json_array_get(b, i), depth + 1))
                return false;
        return true;
    }
    case JSON_OBJECT: {
        if (json_object_size(a) != json_object_size(b))
            return false;
        const char *k;
        json_t *x;
        json_object_foreach((json_t *)a, k, x) {
            json_t *y = json_object_get(b, k);
            if (!y || !js_equal_d(x, y, depth + 1))
                return false;
        }
        return true;
    }
    default:
        return true; /* null, true, false: same type is equal */
    }
}

size_t pt__utf8_len(const char *s, size_t n)
{
    size_t c = 0;
    for (size_t i = 0; i < n; i++)
        c += ((unsigned char)s[i] & 0xc0) != 0x80;
    return c;
}

/* ----------------------------------------------------------------- errors */

/* The three strings of a record live in one allocation owned by message:
 * one malloc per error, one free in pt_schema_error_clear. */
bool pt__err_take(pt_schema_error_t *e, sbuf_t *b, size_t ioff, size_t soff, const char *kw)
{
    char *block = pt__sb_take(b);
    if (!block)
        return false;
    e->message = block;
    e->instance_path = ioff == SIZE_MAX ? NULL : block + ioff;
    e->schema_path = block + soff;
    e->keyword = kw;
    return true;
}

bool pt__err_set(pt_schema_error_t *e, const char *msg, const char *ipath, const char *spath, const char *kw)
{
    pt_schema_error_clear(e);
    sbuf_t b = {0};
    pt__sb_puts(&b, msg);
    sb_putn(&b, "", 1);
    size_t ioff = SIZE_MAX;
    if (ipath) {
        ioff = b.len;
        pt__sb_puts(&b, ipath);
        sb_putn(&b, "", 1);
    }
    size_t soff = b.len;
    pt__sb_puts(&b, spath ? spath : "");
    return pt__err_take(e, &b, ioff, soff, kw);
}

void pt__set_error(pt_schema_error_t *err, const char *schema_path, const char *fmt, ...)
{
    if (!err)
        return;
    va_list ap;
    va_start(ap, fmt);
    char *m = NULL;
    if (vasprintf(&m, fmt, ap) < 0)
        m = NULL;
    va_end(ap);
    pt__err_set(err, m ? m : "out of memory", NULL, schema_path, NULL);
    free(m);
}

void pt_schema_error_clear(pt_schema_error_t *err)
{
    if (!err)
        return;
    free(err->message); /* owns instance_path and schema_path too */
    *err = (pt_schema_error_t){0};
}

void pt_schema_errors_clear(pt_schema_errors_t *errs)
{
    if (!errs)
        return;
    for (size_t i = 0; i < errs->count; i++)
        pt_schema_error_clear(&errs->items[i]);
    free(errs->items);
    *errs = (pt_schema_errors_t){0};
}
