/* Key templates: Python str.format() field syntax, compiled once into a list
 * of literal runs and field references, then rendered against JSON
 * arguments without re-parsing. Error texts follow CPython's where the
 * syntax is the same ("Single '}' encountered in format string"). */
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ponty/memo_key.h"
#include "key.h"

typedef struct pt__key_access {
    bool is_index;     /* [key] rather than .name */
    size_t off, len;   /* the name or key, in t->src */
} pt__key_access_t;

typedef struct pt__key_seg {
    bool is_field;
    size_t off, len;   /* literal: in t->lit; field: its text inside the braces, in t->src */
    bool positional;   /* field: args[index] rather than kwargs[name] */
    size_t index;
    size_t name_off, name_len; /* named field, in t->src */
    size_t first_access, naccess;
} pt__key_seg_t;

struct pt_key_template {
    char *src;               /* copy of the template text */
    char *lit;               /* literal text with {{ and }} unescaped */
    pt__key_seg_t *segs;
    size_t nsegs;
    pt__key_access_t *access;
    size_t naccess;
};

static bool is_digits(const char *s, size_t n)
{
    if (n == 0)
        return false;
    for (size_t i = 0; i < n; i++)
        if (s[i] < '0' || s[i] > '9')
            return false;
    return true;
}

static size_t parse_index(const char *s, size_t n, bool *overflow)
{
    size_t v = 0;
    *overflow = false;
    for (size_t i = 0; i < n; i++) {
        if (v > (SIZE_MAX - 9) / 10)
            *overflow = true;
        v = v * 10 + (size_t)(s[i] - '0');
    }
    return v;
}

static void *tmpl_fail(pt_key_template_t *t, const char *tmpl, char *err, size_t errlen,
                       const char *why)
{
    if (err && errlen > 0)
        snprintf(err, errlen, "key template '%.200s%s': %s", tmpl, strlen(tmpl) > 200 ? "..." : "",
                 why);
    pt_key_template_free(t);
    return NULL;
}

/* Splits the inside of one {...} into argument name and accessors. */
static const char *compile_field(pt_key_template_t *t, pt__key_seg_t *seg, int *auto_state,
                                 size_t *next_auto)
{
    const char *f = t->src + seg->off;
    size_t n = seg->len;

    /* CPython looks for '!' and ':' outside brackets only. */
    size_t depth = 0;
    for (size_t i = 0; i < n; i++) {
        if (f[i] == '[')
            depth++;
        else if (f[i] == ']' && depth > 0)
            depth--;
        else if (depth == 0 && (f[i] == '!' || f[i] == ':'))
            return f[i] == '!' ? "conversions (!r, !s) are not supported in key templates"
                               : "format specs (:...) are not supported in key templates";
    }

    size_t i = 0;
    while (i < n && f[i] != '.' && f[i] != '[')
        i++;
    if (i == 0) {
        /* "{}" or "{.a}": automatic numbering */
        if (*auto_state == 2)
            return "cannot switch from manual field specification to automatic field numbering";
        *auto_state = 1;
        seg->positional = true;
        seg->index = (*next_auto)++;
    } else if (is_digits(f, i)) {
        if (*auto_state == 1)
            return "cannot switch from automatic field numbering to manual field specification";
        *auto_state = 2;
        bool overflow;
        seg->positional = true;
        seg->index = parse_index(f, i, &overflow);
        if (overflow)
            return "Too many decimal digits in format string";
    } else {
        seg->positional = false;
        seg->name_off = seg->off;
        seg->name_len = i;
    }

    seg->first_access = t->naccess;
    while (i < n) {
        pt__key_access_t a = { 0 };
        if (f[i] == '.') {
            size_t j = ++i;
            while (i < n && f[i] != '.' && f[i] != '[')
                i++;
            if (i == j)
                return "Empty attribute in format string";
            a = (pt__key_access_t){ .is_index = false, .off = seg->off + j, .len = i - j };
        } else if (f[i] == '[') {
            size_t j = ++i;
            while (i < n && f[i] != ']')
                i++;
            if (i == n)
                return "Missing ']' in format string";
            if (i == j)
                return "Empty attribute in format string";
            a = (pt__key_access_t){ .is_index = true, .off = seg->off + j, .len = i - j };
            i++;
            if (i < n && f[i] != '.' && f[i] != '[')
                return "Only '.' or '[' may follow ']' in format field specifier";
        } else {
            return "Only '.' or '[' may follow ']' in format field specifier";
        }
        t->access[t->naccess++] = a;
    }
    seg->naccess = t->naccess - seg->first_access;
    return NULL;
}

pt_key_template_t *pt_key_template_compile(const char *tmpl, char *err, size_t errlen)
{
    if (!tmpl)
        tmpl = "";
    size_t n = strlen(tmpl);
    pt_key_template_t *t = calloc(1, sizeof *t);
    if (!t)
        return tmpl_fail(NULL, tmpl, err, errlen, "out of memory");
    /* Upper bounds: every brace could start a segment, every '.' or '['
     * an accessor; sizing once keeps compile simple and rendering flat. */
    size_t max_segs = 1, max_access = 0;
    for (size_t i = 0; i < n; i++) {
        if (tmpl[i] == '{' || tmpl[i] == '}')
            max_segs += 2;
        else if (tmpl[i] == '.' || tmpl[i] == '[')
            max_access++;
    }
    t->src = strdup(tmpl);
    t->lit = malloc(n + 1);
    t->segs = calloc(max_segs, sizeof *t->segs);
    t->access = calloc(max_access ? max_access : 1, sizeof *t->access);
    if (!t->src || !t->lit || !t->segs || !t->access)
        return tmpl_fail(t, tmpl, err, errlen, "out of memory");

    size_t litlen = 0, next_auto = 0;
    int auto_state = 0; /* 0 unknown, 1 automatic, 2 manual */
    size_t i = 0;
    while (i < n) {
        /* a literal run, with doubled braces collapsed */
        size_t start = litlen;
        while (i < n) {
            if (tmpl[i] == '{' && i + 1 < n && tmpl[i + 1] == '{') {
                t->lit[litlen++] = '{';
                i += 2;
            } else if (tmpl[i] == '}') {
                if (i + 1 < n && tmpl[i + 1] == '}') {
                    t->lit[litlen++] = '}';
                    i += 2;
                } else {
                    return tmpl_fail(t, tmpl, err, errlen,
                                     "Single '}' encountered in format string");
                }
            } else if (tmpl[i] == '{') {
                break;
            } else {
                t->lit[litlen++] = tmpl[i++];
            }
        }
        if (litlen > start)
            t->segs[t->nsegs++] = (pt__key_seg_t){ .is_field = false, .off = start,
                                                 .len = litlen - start };
        if (i >= n)
            break;

        /* a field: up to the matching '}' (CPython counts nested braces) */
        if (i + 1 == n)
            return tmpl_fail(t, tmpl, err, errlen, "Single '{' encountered in format string");
        size_t fstart = ++i;
        int nest = 1;
        while (i < n) {
            if (tmpl[i] == '{')
                nest++;
            else if (tmpl[i] == '}' && --nest == 0)
                break;
            i++;
        }
        if (i >= n)
            return tmpl_fail(t, tmpl, err, errlen, "expected '}' before end of string");
        pt__key_seg_t *seg = &t->segs[t->nsegs++];
        *seg = (pt__key_seg_t){ .is_field = true, .off = fstart, .len = i - fstart };
        i++;
        const char *why = compile_field(t, seg, &auto_state, &next_auto);
        if (why)
            return tmpl_fail(t, tmpl, err, errlen, why);
    }
    return t;
}

void pt_key_template_free(pt_key_template_t *t)
{
    if (!t)
        return;
    free(t->src);
    free(t->lit);
    free(t->segs);
    free(t->access);
    free(t);
}

const char *pt_key_template_source(const pt_key_template_t *t)
{
    return t->src;
}

/* ---- rendering ----------------------------------------------------------- */

/* Python's repr(float): the shortest digits that read back as the same
 * double, fixed notation for exponents -4..15, else d.ddde+XX. */
static void put_real(pt__key_sink_t *s, double v)
{
    char buf[64];
    if (isnan(v) || isinf(v)) { /* jansson never stores these; be total anyway */
        const char *w = isnan(v) ? "nan" : v > 0 ? "inf" : "-inf";
        pt__key_put(s, w, strlen(w));
        return;
    }
    int prec = 1;
    for (; prec < 17; prec++) {
        snprintf(buf, sizeof buf, "%.*e", prec - 1, v);
        if (strtod(buf, NULL) == v)
            break;
    }
    snprintf(buf, sizeof buf, "%.*e", prec - 1, v);
    /* buf: [-]d[<point>ddd]e[+-]XX; keep the digits, whatever the locale's
     * decimal point is */
    char dig[32];
    int nd = 0, exp10 = 0;
    bool neg = buf[0] == '-';
    char *e = strchr(buf, 'e');
    for (char *p = buf + neg; p < e; p++)
        if (*p >= '0' && *p <= '9')
            dig[nd++] = *p;
    exp10 = atoi(e + 1);
    while (nd > 1 && dig[nd - 1] == '0')
        nd--;

    char out[64];
    int o = 0;
    if (neg)
        out[o++] = '-';
    if (exp10 >= -4 && exp10 < 16) {
        if (exp10 < 0) {
            out[o++] = '0';
            out[o++] = '.';
            for (int k = -1; k > exp10; k--)
                out[o++] = '0';
            for (int k = 0; k < nd; k++)
                out[o++] = dig[k];
        } else {
            for (int k = 0; k <= exp10; k++)
                out[o++] = k < nd ? dig[k] : '0';
            out[o++] = '.';
            if (nd > exp10 + 1)
                for (int k = exp10 + 1; k < nd; k++)
                    out[o++] = dig[k];
            else
                out[o++] = '0';
        }
    } else {
        out[o++] = dig[0];
        if (nd > 1) {
            out[o++] = '.';
            for (int k = 1; k < nd; k++)
                out[o++] = dig[k];
        }
        o += snprintf(out + o, sizeof out - (size_t)o, "e%c%02d", exp10 < 0 ? '-' : '+',
                      exp10 < 0 ? -exp10 : exp10);
    }
    pt__key_put(s, out, (size_t)o);
}

/* Python's str() of the value. */
static int put_value(pt__key_sink_t *s, const json_t *v)
{
    char buf[32];
    switch (json_typeof(v)) {
    case JSON_STRING:
        pt__key_put(s, json_string_value(v), json_string_length(v));
        return 0;
    case JSON_INTEGER:
        pt__key_put(s, buf, (size_t)snprintf(buf, sizeof buf, "%" JSON_INTEGER_FORMAT,
                                            json_integer_value(v)));
        return 0;
    case JSON_REAL:
        put_real(s, json_real_value(v));
        return 0;
    case JSON_TRUE:
        pt__key_put(s, "True", 4);
        return 0;
    case JSON_FALSE:
        pt__key_put(s, "False", 5);
        return 0;
    case JSON_NULL:
        pt__key_put(s, "None", 4);
        return 0;
    default:
        return pt__key_put_json(s, v);
    }
}

static ptrdiff_t render_fail(const pt_key_template_t *t, char *err, size_t errlen,
                             const char *what, const char *name, size_t name_len)
{
    if (err && errlen > 0)
        snprintf(err, errlen, "key template '%.200s%s': %s '%.*s'", t->src,
                 strlen(t->src) > 200 ? "..." : "", what, (int)(name_len > 100 ? 100 : name_len),
                 name);
    return -1;
}

ptrdiff_t pt_key_template_render(const pt_key_template_t *t, const json_t *args,
                                 const json_t *kwargs, char *buf, size_t cap,
                                 char *err, size_t errlen)
{
    pt__key_sink_t s = { .buf = buf, .cap = buf ? cap : 0 };
    for (size_t k = 0; k < t->nsegs; k++) {
        const pt__key_seg_t *seg = &t->segs[k];
        if (!seg->is_field) {
            pt__key_put(&s, t->lit + seg->off, seg->len);
            continue;
        }
        const json_t *v;
        if (seg->positional) {
            v = json_is_array(args) ? json_array_get(args, seg->index) : NULL;
            if (!v) {
                char idx[24];
                int n = snprintf(idx, sizeof idx, "%zu", seg->index);
                return render_fail(t, err, errlen, "missing positional argument", idx, (size_t)n);
            }
        } else {
            const char *name = t->src + seg->name_off;
            v = json_is_object(kwargs) ? json_object_getn(kwargs, name, seg->name_len) : NULL;
            if (!v)
                return render_fail(t, err, errlen, "missing argument", name, seg->name_len);
        }
        for (size_t a = 0; a < seg->naccess; a++) {
            const pt__key_access_t *acc = &t->access[seg->first_access + a];
            const char *key = t->src + acc->off;
            const json_t *next = NULL;
            if (json_is_object(v)) {
                next = json_object_getn(v, key, acc->len);
            } else if (acc->is_index && json_is_array(v) && is_digits(key, acc->len)) {
                bool overflow;
                size_t idx = parse_index(key, acc->len, &overflow);
                next = overflow ? NULL : json_array_get(v, idx);
            }
            if (!next)
                return render_fail(t, err, errlen,
                                   acc->is_index ? "missing item" : "missing attribute",
                                   t->src + seg->off, seg->len);
            v = next;
        }
        if (put_value(&s, v) < 0)
            return render_fail(t, err, errlen, "cannot render field", t->src + seg->off, seg->len);
    }
    return pt__key_finish(&s);
}

char *pt_key_template_render_dup(const pt_key_template_t *t, const json_t *args,
                                 const json_t *kwargs, char *err, size_t errlen)
{
    ptrdiff_t n = pt_key_template_render(t, args, kwargs, NULL, 0, err, errlen);
    if (n < 0)
        return NULL;
    char *key = malloc((size_t)n + 1);
    if (!key) {
        if (err && errlen > 0)
            snprintf(err, errlen, "key template: out of memory");
        return NULL;
    }
    pt_key_template_render(t, args, kwargs, key, (size_t)n + 1, err, errlen);
    return key;
}
