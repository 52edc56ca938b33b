/* Parsing route paths: static text, "{name}" and "{name:regex}", with
 * balanced braces inside the regex ("{id:[a-zA-Z]{5}}"). */
#include "route/pattern.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* One piece of a segment: a run of literal text or a placeholder. */
typedef struct pt__seg_part {
    bool        placeholder;
    const char *text;      /* literal text, or the placeholder's regex */
    size_t      len;
    const char *name;      /* placeholder only */
    size_t      namelen;
} pt__seg_part_t;

/* A segment has at most PT_ROUTE_MAX_PARAMS placeholders (more is an error
 * before we get here), with literal runs between and around them. */
#define PT_SEG_MAX_PARTS (2 * PT_ROUTE_MAX_PARAMS + 2)

static const char word_re[] = "\\w+";

static bool is_ident(const char *s, size_t n)
{
    if (n == 0)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
        if (!alpha && !(i > 0 && c >= '0' && c <= '9'))
            return false;
    }
    return true;
}

static bool text_is(const char *s, size_t n, const char *lit)
{
    return strlen(lit) == n && memcmp(s, lit, n) == 0;
}

/* Finds the '}' closing a placeholder's regex that starts at s. Braces nest
 * ("[a-z]{5}"); a backslash escapes the next character and a character class
 * may hold braces of its own, so neither counts. NULL if unterminated. */
static const char *regex_end(const char *s)
{
    int depth = 1;
    bool cls = false;
    for (; *s; s++) {
        if (*s == '\\') {
            if (s[1])
                s++;
            continue;
        }
        if (cls) {
            if (*s == ']')
                cls = false;
            continue;
        }
        if (*s == '[') {
            /* "[]...]" and "[^]...]": the first ']' is literal. */
            const char *t = s + 1;
            if (*t == '^')
                t++;
            if (*t == ']')
                t++;
            s = t - 1;
            cls = true;
            continue;
        }
        if (*s == '{')
            depth++;
        else if (*s == '}' && --depth == 0)
            return s;
    }
    return NULL;
}

static int add_name(pt__route_pattern_t *pat, const char *name, size_t n,
                    char *reason, size_t reasonlen)
{
    for (unsigned i = 0; i < pat->nnames; i++) {
        if (strlen(pat->names[i]) == n && memcmp(pat->names[i], name, n) == 0) {
            snprintf(reason, reasonlen, "placeholder '%.*s' used twice", (int)n, name);
            return -1;
        }
    }
    if (pat->nnames == PT_ROUTE_MAX_PARAMS) {
        snprintf(reason, reasonlen, "more than %d placeholders", PT_ROUTE_MAX_PARAMS);
        return -1;
    }
    char *copy = strndup(name, n);
    if (!copy) {
        snprintf(reason, reasonlen, "out of memory");
        return -1;
    }
    pat->names[pat->nnames++] = copy;
    return 0;
}

/* Splits one segment starting at s into parts; *endp is set to the '/' or
 * NUL that ends it. */
static int split_segment(pt__route_pattern_t *pat, const char *s, const char **endp,
                         pt__seg_part_t *parts, unsigned *nparts,
                         char *reason, size_t reasonlen)
{
    unsigned n = 0;
    while (*s && *s != '/') {
        if (*s == '}') {
            snprintf(reason, reasonlen, "unbalanced braces");
            return -1;
        }
        if (*s != '{') {
            if (n > 0 && !parts[n - 1].placeholder) {
                parts[n - 1].len++;
            } else {
                parts[n++] = (pt__seg_part_t){.text = s, .len = 1};
            }
            s++;
            continue;
        }
        const char *name = s + 1, *q = name;
        while (*q && *q != ':' && *q != '}')
            q++;
        if (!*q) {
            snprintf(reason, reasonlen, "unbalanced braces");
            return -1;
        }
        size_t namelen = (size_t)(q - name);
        const char *re = word_re, *close = q;
        size_t relen = sizeof word_re - 1;
        if (*q == ':') {
            close = regex_end(q + 1);
            if (!close) {
                snprintf(reason, reasonlen, "unbalanced braces");
                return -1;
            }
            re = q + 1;
            relen = (size_t)(close - re);
        }
        if (namelen == 0) {
            snprintf(reason, reasonlen, "empty placeholder name");
            return -1;
        }
        if (!is_ident(name, namelen)) {
            snprintf(reason, reasonlen, "invalid placeholder name '%.*s'", (int)namelen, name);
            return -1;
        }
        if (relen == 0) {
            snprintf(reason, reasonlen, "empty regex for placeholder '%.*s'", (int)namelen, name);
            return -1;
        }
        if (add_name(pat, name, namelen, reason, reasonlen) != 0)
            return -1;
        parts[n++] = (pt__seg_part_t){.placeholder = true, .text = re, .len = relen,
                                     .name = name, .namelen = namelen};
        s = close + 1;
    }
    *endp = s;
    *nparts = n;
    return 0;
}

/* Builds the segment's single anchored regex: literal text escaped,
 * placeholder i as the named group pt__i (names are positional so that the
 * composed text, the edge's key, does not depend on the user's names). */
static char *compose_regex(const pt__seg_part_t *parts, unsigned n, size_t *lenp)
{
    size_t cap = 1;
    for (unsigned i = 0; i < n; i++)
        cap += parts[i].placeholder ? parts[i].len + 32 : 2 * parts[i].len;
    char *out = malloc(cap), *o = out;
    if (!out)
        return NULL;
    unsigned k = 0;
    for (unsigned i = 0; i < n; i++) {
        const pt__seg_part_t *pp = &parts[i];
        if (pp->placeholder) {
            o += sprintf(o, "(?<pt__%u>(?:", k++);
            memcpy(o, pp->text, pp->len);
            o += pp->len;
            *o++ = ')';
            *o++ = ')';
            continue;
        }
        for (size_t j = 0; j < pp->len; j++) {
            unsigned char c = (unsigned char)pp->text[j];
            bool alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
            /* A backslash before an ASCII non-alphanumeric is always a
             * literal in PCRE2; bytes >= 0x80 are UTF-8 and literal as is. */
            if (c < 0x80 && !alnum)
                *o++ = '\\';
            *o++ = (char)c;
        }
    }
    *o = '\0';
    *lenp = (size_t)(o - out);
    return out;
}

static int classify_segment(pt__route_seg_t *seg, const char *start, const char *end,
                            const pt__seg_part_t *parts, unsigned n, bool last,
                            char *reason, size_t reasonlen)
{
    if (n == 0 || (n == 1 && !parts[0].placeholder)) {
        seg->kind = PT_SEG_STATIC;
        seg->keylen = (size_t)(end - start);
        seg->key = strndup(start, seg->keylen);
        goto done;
    }
    if (n == 1) {
        const pt__seg_part_t *pp = &parts[0];
        pt__seg_kind_t k = PT_SEG_REGEX;
        if (text_is(pp->text, pp->len, "\\w+"))
            k = PT_SEG_WORD;
        else if (text_is(pp->text, pp->len, "\\d+"))
            k = PT_SEG_DIGITS;
        else if (text_is(pp->text, pp->len, "[0-9]+"))
            k = PT_SEG_ASCII_DIGITS;
        else if (text_is(pp->text, pp->len, "[^/]+"))
            k = PT_SEG_NONSLASH;
        if (k != PT_SEG_REGEX) {
            seg->kind = k;
            seg->key = strdup("");
            seg->keylen = 0;
            /* \w and \d are Unicode classes: the router checks ASCII bytes
             * itself and hands a segment holding any other byte to this
             * regex (no capture groups; the whole segment is the value). */
            if (seg->key && (k == PT_SEG_WORD || k == PT_SEG_DIGITS)) {
                char err[200];
                const char *cls = k == PT_SEG_WORD ? "\\w+" : "\\d+";
                if (pt__route_regex_compile(&seg->re, cls, strlen(cls), 0, err, sizeof err) != 0) {
                    snprintf(reason, reasonlen, "%s", err);
                    return -1;
                }
            }
            goto done;
        }
    }

    /* Each placeholder's regex is checked alone first, so that an error
     * offset refers to the text the user wrote, not to our composition. */
    unsigned nph = 0;
    for (unsigned i = 0; i < n; i++) {
        const pt__seg_part_t *pp = &parts[i];
        if (!pp->placeholder)
            continue;
        nph++;
        char msg[160];
        size_t off = 0;
        if (pt__route_regex_check(pp->text, pp->len, msg, sizeof msg, &off) != 0) {
            snprintf(reason, reasonlen, "bad regex for placeholder '%.*s': %s at offset %zu",
                     (int)pp->namelen, pp->name, msg, off);
            return -1;
        }
    }
    seg->kind = PT_SEG_REGEX;
    seg->tail = last;
    seg->key = compose_regex(parts, n, &seg->keylen);
    if (!seg->key) {
        snprintf(reason, reasonlen, "out of memory");
        return -1;
    }
    char err[200];
    if (pt__route_regex_compile(&seg->re, seg->key, seg->keylen, nph, err, sizeof err) != 0) {
        snprintf(reason, reasonlen, "bad regex in segment '%.*s': %s",
                 (int)(end - start), start, err);
        return -1;
    }
    return 0;
done:
    if (!seg->key) {
        snprintf(reason, reasonlen, "out of memory");
        return -1;
    }
    return 0;
}

int pt__route_pattern_parse(const char *path, pt__route_pattern_t *pat,
                           char *reason, size_t reasonlen)
{
    *pat = (pt__route_pattern_t){0};
    if (path[0] != '/') {
        snprintf(reason, reasonlen, "path must start with '/'");
        return -1;
    }
    unsigned cap = 0;
    const char *s = path + 1;
    for (;;) {
        pt__seg_part_t parts[PT_SEG_MAX_PARTS];
        unsigned nparts = 0;
        const char *end;
        if (split_segment(pat, s, &end, parts, &nparts, reason, reasonlen) != 0)
            goto fail;
        if (pat->nsegs == cap) {
            unsigned ncap = cap ? 2 * cap : 8;
            pt__route_seg_t *ns = realloc(pat->segs, ncap * sizeof *ns);
            if (!ns) {
                snprintf(reason, reasonlen, "out of memory");
                goto fail;
            }
            pat->segs = ns;
            cap = ncap;
        }
        pt__route_seg_t *seg = &pat->segs[pat->nsegs++];
        *seg = (pt__route_seg_t){0};
        if (classify_segment(seg, s, end, parts, nparts, *end == '\0', reason, reasonlen) != 0)
            goto fail;
        if (*end == '\0')
            break;
        s = end + 1;
    }
    return 0;
fail:
    pt__route_pattern_free(pat);
    return -1;
}

void pt__route_pattern_free(pt__route_pattern_t *pat)
{
    for (unsigned i = 0; i < pat->nsegs; i++) {
        free(pat->segs[i].key);
        pt__route_regex_free(&pat->segs[i].re);
    }
    free(pat->segs);
    for (unsigned i = 0; i < pat->nnames; i++)
        free(pat->names[i]);
    *pat = (pt__route_pattern_t){0};
}
