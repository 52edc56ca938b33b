/* Small shared helpers: the compile-time pool, the error-path string
 * builder, Python-flavoured repr and equality, error records. */
#include <float.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pyunicode.h"
#include "jdoc.h"
#include "schema.h"

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
    /* The shortest digits that round-trip. A decimal of 15 significant
     * digits or fewer that reads back as d is what d rounds to at 15
     * digits, trailing zeros aside (15-digit spacing is wider than a
     * normal double's ulp), so one try settles every such value; 16 and 17
     * digits are tried after, as correctly rounded strings. */
    char buf[40];
    /* subnormals carry fewer digits: search from one */
    for (int prec = fabs(d) < DBL_MIN ? 1 : 15; prec <= 17; prec++) {
        snprintf(buf, sizeof buf, "%.*e", prec - 1, d);
        if (prec == 17 || strtod(buf, NULL) == d)
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
        if (len == 0 && p[0] == 0xed && n - i >= 3 && p[1] >= 0xa0 && p[1] <= 0xbf &&
            (p[2] & 0xc0) == 0x80) {
            /* a lone surrogate (parsed from "\ud800"): not printable */
            snprintf(tmp, sizeof tmp, "\\u%04x", 0xd000u | (p[1] & 0x3fu) << 6 | (p[2] & 0x3fu));
            esc = tmp;
            len = 3;
        } else if (len == 0) {
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

static void repr_rec(sbuf_t *b, const pt_jv_t *v, size_t max, int depth)
{
    if (max && b->len > max)
        return;
    if (depth > 64) {
        pt__sb_puts(b, "...");
        return;
    }
    switch ((pt_jv_type_t)v->type) {
    case PT_JV_NULL: pt__sb_puts(b, "None"); break;
    case PT_JV_TRUE: pt__sb_puts(b, "True"); break;
    case PT_JV_FALSE: pt__sb_puts(b, "False"); break;
    case PT_JV_INT: pt__sb_int(b, v->u.i); break;
    case PT_JV_BIGINT: sb_putn(b, v->u.s, v->len); break;
    case PT_JV_REAL: pt__sb_pyfloat(b, v->u.d); break;
    case PT_JV_STRING: pt__sb_pystr(b, v->u.s, v->len); break;
    case PT_JV_ARRAY:
        sb_putn(b, "[", 1);
        for (size_t i = 0; i < v->len; i++) {
            if (i)
                sb_putn(b, ", ", 2);
            repr_rec(b, &v->u.items[i], max, depth + 1);
            if (max && b->len > max)
                return;
        }
        sb_putn(b, "]", 1);
        break;
    case PT_JV_OBJECT:
        sb_putn(b, "{", 1);
        for (size_t i = 0; i < v->len; i++) {
            const pt_jmember_t *m = &v->u.members[i];
            if (i)
                sb_putn(b, ", ", 2);
            pt__sb_pystr(b, m->key, m->klen);
            sb_putn(b, ": ", 2);
            repr_rec(b, &m->v, max, depth + 1);
            if (max && b->len > max)
                return;
        }
        sb_putn(b, "}", 1);
        break;
    }
}

/* Messages quote the instance; a huge body must not make a huge message. */
#define REPR_MAX 8192

void pt__sb_jrepr(sbuf_t *b, const pt_jv_t *v)
{
    size_t start = b->len;
    repr_rec(b, v, start + REPR_MAX, 0);
    if (b->len > start + REPR_MAX && !b->oom) {
        b->len = start + REPR_MAX;
        b->s[b->len] = 0;
        pt__sb_puts(b, "...");
    }
}

/* A jansson value's repr goes through its tree copy (error paths only). */
void pt__sb_repr(sbuf_t *b, const json_t *v)
{
    jalloc_t a = {0};
    pt_jv_t t;
    if (pt__jv_from_json(&a, v, &t))
        pt__sb_jrepr(b, &t);
    else
        b->oom = true;
    pt__jalloc_free(&a);
}

char *pt_json_repr(const json_t *value, size_t max_len)
{
    sbuf_t b = {0};
    if (!value) {
        pt__sb_puts(&b, "None");
        return pt__sb_take(&b);
    }
    jalloc_t a = {0};
    pt_jv_t t;
    if (!pt__jv_from_json(&a, value, &t)) {
        pt__jalloc_free(&a);
        return NULL;
    }
    repr_rec(&b, &t, max_len, 0);
    pt__jalloc_free(&a);
    if (max_len && b.len > max_len && !b.oom) {
        b.len = max_len;
        b.s[b.len] = 0;
        pt__sb_puts(&b, "...");
    }
    return pt__sb_take(&b);
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
