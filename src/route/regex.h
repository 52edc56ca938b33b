/* Internal: the PCRE2 side of the route matcher — compiling a segment's
 * regex with JIT, and matching it with per-thread match data so that the
 * shared, read-only router can be used from every worker at once. */
#ifndef PT_ROUTE_REGEX_H
#define PT_ROUTE_REGEX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "route/router.h"

/* A compiled segment regex. Placeholder i of the segment is the named group
 * "pt__<i>"; its group number is looked up once here, because user regexes
 * may hold capturing groups of their own that shift the numbering. */
typedef struct pt__route_regex {
    pcre2_code *code;
    bool        jit;                           /* pcre2_jit_compile succeeded */
    unsigned    ngroups;                       /* placeholders in the segment */
    uint32_t    groups[PT_ROUTE_MAX_PARAMS];   /* their group numbers */
    uint32_t    pairs;                         /* ovector pairs a match needs */
} pt__route_regex_t;

/* Compiles an already composed segment regex (anchored at both ends, UTF +
 * UCP, invalid UTF-8 in the subject simply fails to match). Returns 0, or -1
 * with PCRE2's message and offset in err. */
int  pt__route_regex_compile(pt__route_regex_t *re, const char *pattern, size_t len,
                            unsigned ngroups, char *err, size_t errlen);
void pt__route_regex_free(pt__route_regex_t *re);

/* Compiles a placeholder's regex on its own, only to report errors with
 * offsets the user can relate to what they wrote. Returns 0 or -1. */
int  pt__route_regex_check(const char *pattern, size_t len, char *msg, size_t msglen,
                          size_t *offset);

/* Matches the whole of [s, s+len). On success stores each placeholder's
 * value (pointing into s) in out[0 .. re->ngroups) and returns true. Uses the
 * calling thread's match data, created on the thread's first regex match
 * (or by pt__route_regex_thread_prepare) and grown if a larger ovector is
 * needed; false if that allocation fails. */
bool pt__route_regex_match(const pt__route_regex_t *re, const char *s, size_t len,
                          pt__route_capture_t *out);

/* Creates the calling thread's match state for ovectors of up to pairs
 * pairs, so that later matches never allocate. Returns 0 or -1 (no memory). */
int  pt__route_regex_thread_prepare(uint32_t pairs);
/* Frees the calling thread's match state now (it is also freed at thread
 * exit for threads other than the main one). */
void pt__route_regex_thread_release(void);

#endif
