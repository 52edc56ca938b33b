/* Casting raw request strings, and the Python-style wording of the seeds'
 * messages ("'abc' could not be cast", "-3 less than 0"). */
#include "request/cast.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

bool pt_utf8_valid(const char *s, size_t n)
{
    const unsigned char *p = (const unsigned char *)s, *end = p + n;
    while (p < end) {
        unsigned c = *p;
        if (c < 0x80) { p++; continue; }
        int len;
        unsigned cp;
        if (c >= 0xc2 && c <= 0xdf) { len = 2; cp = c & 0x1f; }
        else if (c >= 0xe0 && c <= 0xef) { len = 3; cp = c & 0x0f; }
        else if (c >= 0xf0 && c <= 0xf4) { len = 4; cp = c & 0x07; }
        else return false;
        if (end - p < len)
            return false;
        for (int i = 1; i < len; i++) {
            if ((p[i] & 0xc0) != 0x80)
                return false;
            cp = (cp << 6) | (p[i] & 0x3f);
        }
        if ((len == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
            (len == 4 && (cp < 0x10000 || cp > 0x10ffff)))
            return false;
        p += len;
    }
    return true;
}

char *pt_py_repr_str(pt_arena_t *a, const char *s, size_t n)
{
    /* Python picks single quotes unless the text has ' and no ". */
    bool has_sq = memchr(s, '\'', n) != NULL, has_dq = memchr(s, '"', n) != NULL;
    char q = has_sq && !has_dq ? '"' : '\'';
    char *out = pt_arena_alloc(a, n * 4 + 3), *o = out;
    *o++ = q;
    const unsigned char *p = (const unsigned char *)s, *end = p + n;
    while (p < end) {
        unsigned c = *p;
        if (c == '\\' || c == (unsigned char)q) { *o++ = '\\'; *o++ = (char)c; p++; }
        else if (c == '\n') { *o++ = '\\'; *o++ = 'n'; p++; }
        else if (c == '\r') { *o++ = '\\'; *o++ = 'r'; p++; }
        else if (c == '\t') { *o++ = '\\'; *o++ = 't'; p++; }
        else if (c < 0x20 || c == 0x7f) { o += sprintf(o, "\\x%02x", c); p++; }
        else if (c < 0x80) { *o++ = (char)c; p++; }
        else {
            /* Valid UTF-8 sequences print as themselves, stray bytes as \x. */
            size_t len = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : c >= 0xc0 ? 2 : 1;
            if (len > 1 && (size_t)(end - p) >= len && pt_utf8_valid((const char *)p, len)) {
                memcpy(o, p, len);
                o += len;
                p += len;
            } else {
                o += sprintf(o, "\\x%02x", c);
                p++;
            }
        }
    }
    *o++ = q;
    *o = '\0';
    return out;
}

int pt_cast_int(const char *s, int64_t *out)
{
    /* Python's int(): surrounding whitespace, a sign, digits with single
     * underscores between them. */
    const char *p = s;
    while (isspace((unsigned char)*p))
        p++;
    bool neg = false;
    if (*p == '+' || *p == '-')
        neg = *p++ == '-';
    if (!isdigit((unsigned char)*p))
        return -1;
    uint64_t v = 0;
    bool prev_us = false;
    for (; *p && !isspace((unsigned char)*p); p++) {
        if (*p == '_') {
            if (prev_us)
                return -1;
            prev_us = true;
            continue;
        }
        if (!isdigit((unsigned char)*p))
            return -1;
        prev_us = false;
        unsigned d = (unsigned)(*p - '0');
        if (v > (UINT64_MAX - d) / 10)
            return -1;
        v = v * 10 + d;
    }
    if (prev_us)
        return -1;
    while (isspace((unsigned char)*p))
        p++;
    if (*p)
        return -1;
    /* Beyond 64 bits the value cannot be held: a cast failure. */
    if (neg ? v > (uint64_t)INT64_MAX + 1 : v > (uint64_t)INT64_MAX)
        return -1;
    *out = neg ? (int64_t)(0 - v) : (int64_t)v;
    return 0;
}

int pt_cast_bool(const char *s, bool *out)
{
    static const char *const t[] = { "1", "yes", "true", "t" };
    static const char *const f[] = { "0", "no", "false", "f" };
    for (int i = 0; i < 4; i++) {
        if (strcmp(s, t[i]) == 0) { *out = true; return 0; }
        if (strcmp(s, f[i]) == 0) { *out = false; return 0; }
    }
    return -1;
}
