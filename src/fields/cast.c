/* Casting raw request strings, and the Python-style wording of the seeds'
 * messages ("'abc' could not be cast", "-3 less than 0"). */
#include "fields/cast.h"

#include "json/pyunicode.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

bool pt__utf8_valid(const char *s, size_t n)
{
    const unsigned char *p = (const unsigned char *)s;
    for (size_t i = 0; i < n;) {
        uint32_t cp;
        size_t len = pt__utf8_decode(p + i, n - i, &cp);
        if (len == 0)
            return false;
        i += len;
    }
    return true;
}

char *pt__py_repr_str(pt_arena_t *a, const char *s, size_t n)
{
    /* Python picks single quotes unless the text has ' and no ". */
    bool has_sq = memchr(s, '\'', n) != NULL, has_dq = memchr(s, '"', n) != NULL;
    char q = has_sq && !has_dq ? '"' : '\'';
    /* The widest escape per input byte is \xNN for a stray byte: 4. */
    char *out = pt_arena_alloc(a, n * 4 + 3), *o = out;
    *o++ = q;
    const unsigned char *p = (const unsigned char *)s;
    for (size_t i = 0; i < n;) {
        uint32_t cp;
        size_t len = pt__utf8_decode(p + i, n - i, &cp);
        if (len == 0) {
            /* Not UTF-8: the byte alone, escaped. */
            o += sprintf(o, "\\x%02x", p[i]);
            i++;
            continue;
        }
        if (cp == '\\' || cp == (unsigned char)q) { *o++ = '\\'; *o++ = (char)cp; }
        else if (cp == '\n') { *o++ = '\\'; *o++ = 'n'; }
        else if (cp == '\r') { *o++ = '\\'; *o++ = 'r'; }
        else if (cp == '\t') { *o++ = '\\'; *o++ = 't'; }
        else if (!pt__py_isprintable(cp))
            o += sprintf(o, cp < 0x100 ? "\\x%02x" : cp < 0x10000 ? "\\u%04x" : "\\U%08x", (unsigned)cp);
        else {
            memcpy(o, p + i, len);
            o += len;
        }
        i += len;
    }
    *o++ = q;
    *o = '\0';
    return out;
}

/* The next code point of s, or 0 at the end or at a byte that is not UTF-8
 * (0 is never part of a number, so either ends the scan). */
static uint32_t next_cp(const char **s)
{
    const unsigned char *p = (const unsigned char *)*s;
    uint32_t cp;
    size_t len = pt__utf8_decode(p, strnlen(*s, 4), &cp);
    if (len == 0 || cp == 0)
        return 0;
    *s += len;
    return cp;
}

int pt__cast_int(const char *s, int64_t *out)
{
    /* Python's int() on a str: Unicode whitespace around, an ASCII sign,
     * Unicode decimal digits (any script, full-width) with single
     * underscores between them. */
    const char *p = s, *at;
    uint32_t cp;
    for (at = p; (cp = next_cp(&p)) && pt__py_isspace(cp); at = p)
        ;
    p = at;
    bool neg = false;
    if (*p == '+' || *p == '-')
        neg = *p++ == '-';
    uint64_t v = 0;
    unsigned ndigits = 0;
    bool prev_us = false;
    for (at = p; (cp = next_cp(&p)); at = p) {
        if (cp == '_') {
            if (prev_us || ndigits == 0)
                return -1;
            prev_us = true;
            continue;
        }
        int d = pt__py_decimal(cp);
        if (d < 0)
            break;
        prev_us = false;
        ndigits++;
        if (v > (UINT64_MAX - (unsigned)d) / 10)
            return -1;
        v = v * 10 + (unsigned)d;
    }
    if (ndigits == 0 || prev_us)
        return -1;
    p = at;
    for (; (cp = next_cp(&p)) && pt__py_isspace(cp); at = p)
        ;
    if (*at)
        return -1;
    /* Beyond 64 bits the value cannot be held: a cast failure. */
    if (neg ? v > (uint64_t)INT64_MAX + 1 : v > (uint64_t)INT64_MAX)
        return -1;
    *out = neg ? (int64_t)(0 - v) : (int64_t)v;
    return 0;
}

int pt__cast_bool(const char *s, bool *out)
{
    static const char *const t[] = { "1", "yes", "true", "t" };
    static const char *const f[] = { "0", "no", "false", "f" };
    for (int i = 0; i < 4; i++) {
        if (strcmp(s, t[i]) == 0) { *out = true; return 0; }
        if (strcmp(s, f[i]) == 0) { *out = false; return 0; }
    }
    return -1;
}
