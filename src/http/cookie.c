/* The Cookie header, parsed with the grammar of Python's
 * http.cookies.SimpleCookie: the same token pattern, quoted values with
 * backslash and octal escapes, attribute names (path, expires, ...) that
 * belong to the cookie before them, and the last of a repeated name
 * winning. A header that grammar rejects as a whole (a bare word, a
 * reserved name first) is read leniently instead: "name=value" pairs split
 * at ';', the first occurrence winning. */
#define PCRE2_CODE_UNIT_WIDTH 8
#include "http/conn.h"

#include <pcre2.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define KEY_CHARS "\\w\\d!#%&'~_`><@,:/\\$\\*\\+\\-\\.\\^\\|\\)\\(\\?\\}\\{\\="

/* One cookie or attribute: optional leading space, a key, an optional
 * "= value", then space, ';' or the end. ASCII classes throughout. */
static const char cookie_re[] =
    "\\s*(?<key>[" KEY_CHARS "]+?)"
    "(\\s*=\\s*(?<val>\"(?:[^\\\\\"]|\\\\.)*\""
    "|\\w{3},\\s[\\w\\d\\s-]{9,11}\\s[\\d:]{8}\\sGMT"
    "|[" KEY_CHARS "\\[\\]]*))?"
    "\\s*(\\s+|;|$)";

static pcre2_code *cookie_code;
static pthread_once_t cookie_once = PTHREAD_ONCE_INIT;

static void cookie_compile(void)
{
    int code;
    PCRE2_SIZE off;
    cookie_code = pcre2_compile((PCRE2_SPTR)cookie_re, PCRE2_ZERO_TERMINATED, 0, &code, &off, NULL);
}

__attribute__((destructor)) static void cookie_free(void)
{
    pcre2_code_free(cookie_code);
    cookie_code = NULL;
}

static bool reserved(const char *k, size_t n, bool *flag)
{
    static const char *const names[] = { "expires", "path", "comment", "domain", "max-age",
                                         "secure", "httponly", "version", "samesite" };
    for (size_t i = 0; i < sizeof names / sizeof *names; i++)
        if (strlen(names[i]) == n && strncasecmp(k, names[i], n) == 0) {
            *flag = i == 5 || i == 6;
            return true;
        }
    return false;
}

/* A quoted value without its quotes, "\ooo" (octal, up to \377) as that
 * code point in UTF-8 and "\x" as x. *len counts any NUL an escape made. */
static char *unquote(pt_arena_t *a, const char *v, size_t n, size_t *len)
{
    if (n < 2 || v[0] != '"' || v[n - 1] != '"') {
        *len = n;
        return pt_arena_strndup(a, v, n);
    }
    v++;
    n -= 2;
    char *out = pt_arena_alloc(a, n + 1), *o = out;
    for (size_t i = 0; i < n; i++) {
        if (v[i] == '\\' && i + 3 < n && v[i + 1] >= '0' && v[i + 1] <= '3' &&
            v[i + 2] >= '0' && v[i + 2] <= '7' && v[i + 3] >= '0' && v[i + 3] <= '7') {
            unsigned c = (unsigned)((v[i + 1] - '0') * 64 + (v[i + 2] - '0') * 8 + (v[i + 3] - '0'));
            if (c < 0x80) {
                *o++ = (char)c;
            } else {
                *o++ = (char)(0xc0 | (c >> 6));
                *o++ = (char)(0x80 | (c & 0x3f));
            }
            i += 3;
        } else if (v[i] == '\\' && i + 1 < n && v[i + 1] != '\n') {
            *o++ = v[++i];
        } else {
            *o++ = v[i];
        }
    }
    *o = '\0';
    *len = (size_t)(o - out);
    return out;
}

/* The SimpleCookie reading of one header: 1 with *out set when the name is
 * there, 0 when it is not, -1 when the grammar rejects the header. */
static int parse_simple(pt_req_t *r, const char *s, size_t n, const char *name,
                        const char **out, size_t *outlen)
{
    pthread_once(&cookie_once, cookie_compile);
    if (!cookie_code)
        return -1;
    pcre2_match_data *md = pcre2_match_data_create_from_pattern(cookie_code, NULL);
    if (!md)
        return -1;
    size_t nlen = strlen(name);
    bool morsel_seen = false;
    int rc = 0;
    const char *vs = NULL;
    size_t vn = 0;
    for (size_t i = 0; i < n;) {
        if (pcre2_match(cookie_code, (PCRE2_SPTR)s, n, i, PCRE2_ANCHORED, md, NULL) <= 0)
            break;   /* no more cookies: what was read stands */
        const PCRE2_SIZE *ov = pcre2_get_ovector_pointer(md);
        const char *k = s + ov[2];
        size_t kn = ov[3] - ov[2];
        bool has_val = ov[6] != PCRE2_UNSET;   /* group 3: val */
        i = ov[1];
        bool flag = false;
        if (k[0] == '$')
            continue;   /* attributes of the cookie mechanism or of a cookie */
        if (reserved(k, kn, &flag)) {
            if (!morsel_seen || (!has_val && !flag)) {
                rc = -1;
                break;
            }
            continue;   /* an attribute of the cookie before it */
        }
        if (!has_val) {
            rc = -1;
            break;
        }
        morsel_seen = true;
        if (kn == nlen && memcmp(k, name, nlen) == 0) {
            vs = s + ov[6];
            vn = ov[7] - ov[6];
            rc = 1;   /* a later one replaces it */
        }
        if (i == ov[0])
            break;    /* an empty match cannot advance */
    }
    pcre2_match_data_free(md);
    if (rc == 1)
        *out = unquote(&r->arena, vs, vn, outlen);
    return rc;
}

/* The lenient reading of a header the grammar rejects: the first
 * "name=value" wins, quotes around the value dropped. */
static const char *parse_lenient(pt_req_t *r, const char *p, const char *name, size_t *outlen)
{
    size_t nlen = strlen(name);
    while (*p) {
        while (*p == ' ' || *p == ';')
            p++;
        const char *eq = strchr(p, '='), *semi = strchr(p, ';');
        if (!semi)
            semi = p + strlen(p);
        if (eq && eq < semi && (size_t)(eq - p) == nlen && memcmp(p, name, nlen) == 0) {
            const char *v = eq + 1, *ve = semi;
            while (ve > v && ve[-1] == ' ')
                ve--;
            if (ve - v >= 2 && *v == '"' && ve[-1] == '"')
                v++, ve--;
            *outlen = (size_t)(ve - v);
            return pt_arena_strndup(&r->arena, v, (size_t)(ve - v));
        }
        p = semi;
    }
    return NULL;
}

const char *pt__cookie_value(pt_req_t *r, const char *name, size_t *len)
{
    /* Cookie headers in order; the first that has the name answers. */
    for (unsigned i = 0; i < r->nheaders; i++) {
        const pt__header_t *h = &r->headers[i];
        if (h->name_len != 6 || strncasecmp(h->name, "Cookie", 6) != 0)
            continue;
        const char *v = NULL;
        int rc = parse_simple(r, h->value, h->value_len, name, &v, len);
        if (rc == 1)
            return v;
        if (rc < 0 && (v = parse_lenient(r, h->value, name, len)))
            return v;
    }
    return NULL;
}
