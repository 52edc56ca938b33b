/* Lookups in the generated Python code point tables (pyunicode_table.c). */
#include "pyunicode.h"

static bool in_ranges(const pt__cp_range_t *r, unsigned n, uint32_t cp)
{
    unsigned lo = 0, hi = n;
    while (lo < hi) {
        unsigned mid = lo + (hi - lo) / 2;
        if (cp < r[mid].lo)
            hi = mid;
        else if (cp > r[mid].hi)
            lo = mid + 1;
        else
            return true;
    }
    return false;
}

bool pt__py_isprintable(uint32_t cp)
{
    /* ASCII first: almost all text is, and the answer needs no table. */
    if (cp < 0x80)
        return cp >= 0x20 && cp < 0x7f;
    return in_ranges(pt__py_printable, pt__py_nprintable, cp);
}

bool pt__py_isspace(uint32_t cp)
{
    return in_ranges(pt__py_space, pt__py_nspace, cp);
}

int pt__py_decimal(uint32_t cp)
{
    if (cp >= '0' && cp <= '9')
        return (int)(cp - '0');
    /* The last run whose zero is <= cp holds cp if cp is within ten of it. */
    unsigned lo = 0, hi = pt__py_ndecimal;
    while (lo < hi) {
        unsigned mid = lo + (hi - lo) / 2;
        if (pt__py_decimal_zero[mid] <= cp)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo == 0)
        return -1;
    uint32_t d = cp - pt__py_decimal_zero[lo - 1];
    return d < 10 ? (int)d : -1;
}

size_t pt__utf8_decode(const unsigned char *s, size_t n, uint32_t *cp)
{
    if (n == 0)
        return 0;
    unsigned c = s[0];
    if (c < 0x80) {
        *cp = c;
        return 1;
    }
    size_t len;
    uint32_t v;
    if (c >= 0xc2 && c <= 0xdf) { len = 2; v = c & 0x1f; }
    else if (c >= 0xe0 && c <= 0xef) { len = 3; v = c & 0x0f; }
    else if (c >= 0xf0 && c <= 0xf4) { len = 4; v = c & 0x07; }
    else return 0;
    if (n < len)
        return 0;
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xc0) != 0x80)
            return 0;
        v = (v << 6) | (s[i] & 0x3f);
    }
    if ((len == 3 && (v < 0x800 || (v >= 0xd800 && v <= 0xdfff))) ||
        (len == 4 && (v < 0x10000 || v > 0x10ffff)))
        return 0;
    *cp = v;
    return len;
}
