/* "format" checkers. Each takes the string's bytes and length (JSON strings
 * may hold NUL) and says whether it is an instance of the format. They are
 * strict to the RFCs the draft-07 spec names, without network lookups. */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include "schema.h"

static const struct {
    const char *name;
    fmt_id_t id;
} formats[] = {
    {"date-time", FMT_DATE_TIME},   {"date", FMT_DATE},
    {"time", FMT_TIME},             {"email", FMT_EMAIL},
    {"hostname", FMT_HOSTNAME},     {"ipv4", FMT_IPV4},
    {"ipv6", FMT_IPV6},             {"uri", FMT_URI},
    {"uri-reference", FMT_URI_REFERENCE}, {"json-pointer", FMT_JSON_POINTER},
    {"relative-json-pointer", FMT_REL_JSON_POINTER}, {"regex", FMT_REGEX},
    {"uuid", FMT_UUID},
    {"iri", FMT_IRI},               {"iri-reference", FMT_IRI_REFERENCE},
    {"idn-email", FMT_IDN_EMAIL},   {"uri-template", FMT_URI_TEMPLATE},
};

fmt_id_t pt__fmt_lookup(const char *name)
{
    for (size_t i = 0; i < sizeof formats / sizeof formats[0]; i++)
        if (!strcmp(formats[i].name, name))
            return formats[i].id;
    return FMT_NONE;
}

static bool isdig(char c) { return c >= '0' && c <= '9'; }
static bool isalpha_(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
static bool ishex(char c) { return isdig(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }

/* n digits at s as a number, -1 if any is not a digit. */
static int digits(const char *s, size_t n)
{
    int v = 0;
    for (size_t i = 0; i < n; i++) {
        if (!isdig(s[i]))
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    return v;
}

/* full-date = YYYY-MM-DD, a real calendar day. */
static bool check_date(const char *s, size_t n)
{
    if (n != 10 || s[4] != '-' || s[7] != '-')
        return false;
    int y = digits(s, 4), m = digits(s + 5, 2), d = digits(s + 8, 2);
    if (y < 0 || m < 1 || m > 12 || d < 1)
        return false;
    static const int mdays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int max = mdays[m - 1];
    if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
        max = 29;
    return d <= max;
}

/* full-time = HH:MM:SS[.frac](Z|+HH:MM|-HH:MM) (RFC 3339 5.6). */
static bool check_time(const char *s, size_t n)
{
    if (n < 9 || s[2] != ':' || s[5] != ':')
        return false;
    int h = digits(s, 2), m = digits(s + 3, 2), sec = digits(s + 6, 2);
    if (h < 0 || h > 23 || m < 0 || m > 59 || sec < 0 || sec > 60)
        return false;
    size_t i = 8;
    if (i < n && s[i] == '.') {
        size_t st = ++i;
        while (i < n && isdig(s[i]))
            i++;
        if (i == st)
            return false;
    }
    if (i == n)
        return false;
    if ((s[i] == 'Z' || s[i] == 'z') && i + 1 == n)
        return true;
    if ((s[i] != '+' && s[i] != '-') || n - i != 6 || s[i + 3] != ':')
        return false;
    int oh = digits(s + i + 1, 2), om = digits(s + i + 4, 2);
    return oh >= 0 && oh <= 23 && om >= 0 && om <= 59;
}

static bool check_date_time(const char *s, size_t n)
{
    if (n < 11 || (s[10] != 'T' && s[10] != 't'))
        return false;
    return check_date(s, 10) && check_time(s + 11, n - 11);
}

/* RFC 1123 host name: dot-separated labels of 1..63 letters, digits and
 * hyphens, not starting or ending with a hyphen, 253 characters at most. */
static bool check_hostname(const char *s, size_t n)
{
    if (n == 0 || n > 253)
        return false;
    size_t lab = 0;
    for (size_t i = 0; i <= n; i++) {
        if (i == n || s[i] == '.') {
            if (lab == 0 || lab > 63 || s[i - 1] == '-')
                return false;
            lab = 0;
            continue;
        }
        char c = s[i];
        if (!isalpha_(c) && !isdig(c) && c != '-')
            return false;
        if (lab == 0 && c == '-')
            return false;
        lab++;
    }
    return true;
}

static bool check_email(const char *s, size_t n)
{
    const char *at = memchr(s, '@', n);
    if (!at || at == s || at == s + n - 1)
        return false;
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)s[i] <= ' ')
            return false;
    return memchr(at + 1, '@', (size_t)(s + n - at - 1)) == NULL;
}

/* Dotted quad, each part 0..255 without leading zeros. */
static bool check_ipv4(const char *s, size_t n)
{
    size_t i = 0;
    for (int part = 0; part < 4; part++) {
        if (part) {
            if (i >= n || s[i] != '.')
                return false;
            i++;
        }
        size_t st = i;
        while (i < n && isdig(s[i]) && i - st < 4)
            i++;
        size_t len = i - st;
        if (len == 0 || len > 3 || (len > 1 && s[st] == '0') || digits(s + st, len) > 255)
            return false;
    }
    return i == n;
}

static bool check_ipv6(const char *s, size_t n)
{
    char buf[64];
    unsigned char out[16];
    if (n == 0 || n >= sizeof buf || memchr(s, 0, n))
        return false;
    memcpy(buf, s, n);
    buf[n] = 0;
    return inet_pton(AF_INET6, buf, out) == 1;
}

/* Characters allowed in a URI outside percent-escapes (RFC 3986 2.2, 2.3). */
static bool uri_char(char c)
{
    return isalpha_(c) || isdig(c) || (c && strchr("-._~:/?#[]@!$&'()*+,;=", c));
}

/* authority = [ userinfo "@" ] host [ ":" port ]; host is an IP literal
 * in brackets or a name without ':'; port is digits. */
static bool check_authority(const char *s, size_t n)
{
    const char *at = memchr(s, '@', n);
    if (at) {
        n -= (size_t)(at + 1 - s);
        s = at + 1;
    }
    size_t i = 0;
    if (n && s[0] == '[') {
        const char *rb = memchr(s, ']', n);
        if (!rb)
            return false;
        i = (size_t)(rb - s) + 1;
    } else {
        while (i < n && s[i] != ':')
            if (s[i++] == '[')
                return false;
    }
    if (i == n)
        return true;
    if (s[i] != ':')
        return false;
    for (i++; i < n; i++)
        if (!isdig(s[i]))
            return false;
    return true;
}

/* URI-reference syntax (RFC 3986; with iri, RFC 3987's non-ASCII too):
 * allowed characters, valid %-escapes, one '#' at most, a valid scheme when
 * one is present (required when absolute) and a valid authority. */
static bool check_uri_ref(const char *s, size_t n, bool absolute, bool iri)
{
    size_t hashes = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '%') {
            if (i + 2 >= n || !ishex(s[i + 1]) || !ishex(s[i + 2]))
                return false;
            i += 2;
        } else if (iri && (unsigned char)s[i] >= 0x80) {
            continue;
        } else if (!uri_char(s[i])) {
            return false;
        } else if (s[i] == '#') {
            hashes++;
        }
    }
    if (hashes > 1)
        return false;
    /* scheme = ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ) before the first ':' */
    size_t i = 0;
    while (i < n && s[i] != ':' && s[i] != '/' && s[i] != '?' && s[i] != '#')
        i++;
    bool has_scheme = i < n && s[i] == ':' && i > 0;
    if (has_scheme) {
        if (!isalpha_(s[0]))
            return false;
        for (size_t j = 1; j < i; j++)
            if (!isalpha_(s[j]) && !isdig(s[j]) && !strchr("+-.", s[j]))
                return false;
    }
    if (absolute && !has_scheme)
        return false;
    size_t rest = has_scheme ? i + 1 : 0;
    if (n - rest >= 2 && s[rest] == '/' && s[rest + 1] == '/') {
        size_t a = rest + 2, e = a;
        while (e < n && s[e] != '/' && s[e] != '?' && s[e] != '#')
            e++;
        if (!check_authority(s + a, e - a))
            return false;
        rest = e;
    }
    /* '[' and ']' are only allowed in the authority */
    for (size_t j = rest; j < n && s[j] != '#'; j++)
        if (s[j] == '[' || s[j] == ']')
            return false;
    return true;
}

/* RFC 6570 level-4 shape: expressions in balanced, unnested braces. */
static bool check_uri_template(const char *s, size_t n)
{
    bool open = false;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '{') {
            if (open)
                return false;
            open = true;
        } else if (s[i] == '}') {
            if (!open)
                return false;
            open = false;
        }
    }
    return !open;
}

static bool check_json_pointer(const char *s, size_t n)
{
    if (n == 0)
        return true;
    if (s[0] != '/')
        return false;
    for (size_t i = 0; i < n; i++)
        if (s[i] == '~' && (i + 1 >= n || (s[i + 1] != '0' && s[i + 1] != '1')))
            return false;
    return true;
}

static bool check_rel_json_pointer(const char *s, size_t n)
{
    size_t i = 0;
    while (i < n && isdig(s[i]))
        i++;
    if (i == 0 || (i > 1 && s[0] == '0'))
        return false;
    if (i == n)
        return true;
    if (s[i] == '#')
        return i + 1 == n;
    return check_json_pointer(s + i, n - i);
}

static bool check_regex(const char *s, size_t n)
{
    int ec;
    PCRE2_SIZE eo;
    pcre2_code *re = pcre2_compile((PCRE2_SPTR)s, n, PCRE2_UTF, &ec, &eo, NULL);
    if (!re)
        return false;
    pcre2_code_free(re);
    return true;
}

static bool check_uuid(const char *s, size_t n)
{
    if (n != 36)
        return false;
    for (size_t i = 0; i < n; i++) {
        if (i == 8 || i == 13 || i == 18 || i == 23) {
            if (s[i] != '-')
                return false;
        } else if (!ishex(s[i])) {
            return false;
        }
    }
    return true;
}

bool pt__fmt_check(fmt_id_t id, const char *s, size_t n)
{
    switch (id) {
    case FMT_NONE: return true;
    case FMT_DATE_TIME: return check_date_time(s, n);
    case FMT_DATE: return check_date(s, n);
    case FMT_TIME: return check_time(s, n);
    case FMT_EMAIL: return check_email(s, n);
    case FMT_HOSTNAME: return check_hostname(s, n);
    case FMT_IPV4: return check_ipv4(s, n);
    case FMT_IPV6: return check_ipv6(s, n);
    case FMT_URI: return check_uri_ref(s, n, true, false);
    case FMT_URI_REFERENCE: return check_uri_ref(s, n, false, false);
    case FMT_IRI: return check_uri_ref(s, n, true, true);
    case FMT_IRI_REFERENCE: return check_uri_ref(s, n, false, true);
    case FMT_IDN_EMAIL: return check_email(s, n);
    case FMT_URI_TEMPLATE: return check_uri_template(s, n);
    case FMT_JSON_POINTER: return check_json_pointer(s, n);
    case FMT_REL_JSON_POINTER: return check_rel_json_pointer(s, n);
    case FMT_REGEX: return check_regex(s, n);
    case FMT_UUID: return check_uuid(s, n);
    }
    return true;
}
