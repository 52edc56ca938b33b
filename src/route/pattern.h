/* Internal: parsing a route path ("/files/{name}.json") into the per-segment
 * pieces the router's tree is keyed by. */
#ifndef PT_ROUTE_PATTERN_H
#define PT_ROUTE_PATTERN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "route/regex.h"
#include "route/router.h"

/* How one path segment is matched. The fast kinds cover the placeholders
 * almost every route uses, so that matching them never enters PCRE2. */
typedef enum pt__seg_kind {
    PT_SEG_STATIC,    /* literal text, looked up by hash */
    PT_SEG_WORD,      /* a whole segment "{x}" or "{x:\w+}" (Unicode \w) */
    PT_SEG_DIGITS,    /* a whole segment "{x:\d+}" (Unicode decimal digits) */
    PT_SEG_ASCII_DIGITS, /* a whole segment "{x:[0-9]+}" */
    PT_SEG_NONSLASH,  /* a whole segment "{x:[^/]+}": any non-empty segment */
    PT_SEG_REGEX      /* anything else: one anchored PCRE2 regex for the segment */
} pt__seg_kind_t;

typedef struct pt__route_seg {
    pt__seg_kind_t kind;
    /* The segment's identity with placeholder names erased: the literal text
     * for STATIC, the composed regex for REGEX, "" for the fast kinds. Two
     * routes share a tree edge exactly when kind, tail and key are equal. */
    char         *key;
    size_t        keylen;
    /* REGEX in the last segment of the pattern is matched against the rest of
     * the path, so that a regex that can match '/' ("{tail:.*}") may. */
    bool          tail;
    pt__route_regex_t re;   /* REGEX only */
} pt__route_seg_t;

/* A parsed path. Owns its segments' keys, regexes and the names. */
typedef struct pt__route_pattern {
    pt__route_seg_t *segs;
    unsigned        nsegs;
    char           *names[PT_ROUTE_MAX_PARAMS];  /* in order of appearance */
    unsigned        nnames;
} pt__route_pattern_t;

/* Parses and compiles path. Returns 0, or -1 with the reason (without the
 * "METHOD PATH: " prefix, which the caller adds) in reason. On -1 nothing is
 * left to free. */
int  pt__route_pattern_parse(const char *path, pt__route_pattern_t *pat,
                            char *reason, size_t reasonlen);
void pt__route_pattern_free(pt__route_pattern_t *pat);

#endif
