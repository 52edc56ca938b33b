/* PCRE2 compilation and per-thread matching for route segments. */
#include "route/regex.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

/* UTF + UCP so that \w and \d mean what they mean in the Python seeds; a
 * path that is not valid UTF-8 must fail to match, not make PCRE2 return an
 * error, hence MATCH_INVALID_UTF. \C could split a UTF-8 character. */
#define PT_ROUTE_RE_OPTS (PCRE2_UTF | PCRE2_UCP | PCRE2_MATCH_INVALID_UTF | \
                          PCRE2_NEVER_BACKSLASH_C)

/* Every thread gets enough ovector pairs for a segment holding all the
 * placeholders a route may have, so the match data is created once. */
#define PT_ROUTE_MIN_PAIRS (PT_ROUTE_MAX_PARAMS + 1)

/* The JIT stack: on the heap rather than the caller's stack, because routes
 * may be matched on small coroutine stacks. */
#define PT_ROUTE_JIT_STACK_START (32 * 1024)
#define PT_ROUTE_JIT_STACK_MAX   (512 * 1024)

typedef struct pt__route_tls {
    pcre2_match_data    *md;
    uint32_t             pairs;
    pcre2_match_context *mctx;
    pcre2_jit_stack     *jstack;   /* NULL when JIT is unavailable */
} pt__route_tls_t;

/* The calling thread's state; the pthread key exists only to free it when
 * the thread exits. */
static __thread pt__route_tls_t *tl_state;
static pthread_key_t  tl_key;
static pthread_once_t tl_once = PTHREAD_ONCE_INIT;
static int            tl_key_ok;

static void tls_destroy(void *p)
{
    pt__route_tls_t *st = p;
    if (!st)
        return;
    pcre2_match_data_free(st->md);
    pcre2_match_context_free(st->mctx);
    pcre2_jit_stack_free(st->jstack);
    free(st);
    if (tl_state == st)
        tl_state = NULL;
}

static void tls_key_init(void)
{
    tl_key_ok = pthread_key_create(&tl_key, tls_destroy) == 0;
}

int pt__route_regex_thread_prepare(uint32_t pairs)
{
    pt__route_tls_t *st = tl_state;
    if (st && st->pairs >= pairs)
        return 0;
    if (pairs < PT_ROUTE_MIN_PAIRS)
        pairs = PT_ROUTE_MIN_PAIRS;
    if (!st) {
        pthread_once(&tl_once, tls_key_init);
        st = calloc(1, sizeof *st);
        if (!st)
            return -1;
        st->mctx = pcre2_match_context_create(NULL);
        if (!st->mctx) {
            free(st);
            return -1;
        }
        st->jstack = pcre2_jit_stack_create(PT_ROUTE_JIT_STACK_START, PT_ROUTE_JIT_STACK_MAX, NULL);
        if (st->jstack)
            pcre2_jit_stack_assign(st->mctx, NULL, st->jstack);
        tl_state = st;
        if (tl_key_ok)
            pthread_setspecific(tl_key, st);
    }
    pcre2_match_data *md = pcre2_match_data_create(pairs, NULL);
    if (!md)
        return -1;
    pcre2_match_data_free(st->md);
    st->md = md;
    st->pairs = pairs;
    return 0;
}

void pt__route_regex_thread_release(void)
{
    pt__route_tls_t *st = tl_state;
    if (!st)
        return;
    if (tl_key_ok)
        pthread_setspecific(tl_key, NULL);
    tls_destroy(st);
    tl_state = NULL;
}

bool pt__route_regex_match(const pt__route_regex_t *re, const char *s, size_t len,
                          pt__route_capture_t *out)
{
    pt__route_tls_t *st = tl_state;
    if (__builtin_expect(!st || st->pairs < re->pairs, 0)) {
        if (pt__route_regex_thread_prepare(re->pairs) != 0)
            return false;
        st = tl_state;
    }
    int rc = re->jit
        ? pcre2_jit_match(re->code, (PCRE2_SPTR)s, len, 0, 0, st->md, st->mctx)
        : pcre2_match(re->code, (PCRE2_SPTR)s, len, 0, 0, st->md, st->mctx);
    if (rc <= 0)
        return false;
    const PCRE2_SIZE *ov = pcre2_get_ovector_pointer(st->md);
    for (unsigned i = 0; i < re->ngroups; i++) {
        uint32_t g = re->groups[i];
        if (ov[2 * g] == PCRE2_UNSET) {
            /* Our wrapper groups always take part in a match; be safe anyway. */
            out[i].value = s;
            out[i].len = 0;
        } else {
            out[i].value = s + ov[2 * g];
            out[i].len = ov[2 * g + 1] - ov[2 * g];
        }
    }
    return true;
}

static void error_text(int code, char *buf, size_t buflen)
{
    if (pcre2_get_error_message(code, (PCRE2_UCHAR *)buf, buflen) < 0 && buflen)
        snprintf(buf, buflen, "PCRE2 error %d", code);
}

int pt__route_regex_check(const char *pattern, size_t len, char *msg, size_t msglen,
                         size_t *offset)
{
    int code;
    PCRE2_SIZE off;
    pcre2_code *c = pcre2_compile((PCRE2_SPTR)pattern, len, PT_ROUTE_RE_OPTS, &code, &off, NULL);
    if (c) {
        pcre2_code_free(c);
        return 0;
    }
    error_text(code, msg, msglen);
    *offset = off;
    return -1;
}

int pt__route_regex_compile(pt__route_regex_t *re, const char *pattern, size_t len,
                           unsigned ngroups, char *err, size_t errlen)
{
    int code;
    PCRE2_SIZE off;
    *re = (pt__route_regex_t){0};
    re->code = pcre2_compile((PCRE2_SPTR)pattern, len,
                             PT_ROUTE_RE_OPTS | PCRE2_ANCHORED | PCRE2_ENDANCHORED,
                             &code, &off, NULL);
    if (!re->code) {
        char msg[160];
        error_text(code, msg, sizeof msg);
        snprintf(err, errlen, "%s at offset %zu", msg, (size_t)off);
        return -1;
    }
    /* JIT is an optimisation: without it (unsupported CPU, SELinux denying
     * executable memory) the interpreter gives the same answers. */
    re->jit = pcre2_jit_compile(re->code, PCRE2_JIT_COMPLETE) == 0;

    uint32_t ncap = 0;
    pcre2_pattern_info(re->code, PCRE2_INFO_CAPTURECOUNT, &ncap);
    re->pairs = ncap + 1;
    re->ngroups = ngroups;
    for (unsigned i = 0; i < ngroups; i++) {
        char name[16];
        snprintf(name, sizeof name, "pt__%u", i);
        int g = pcre2_substring_number_from_name(re->code, (PCRE2_SPTR)name);
        if (g <= 0) {
            snprintf(err, errlen, "placeholder group %s not found", name);
            pt__route_regex_free(re);
            return -1;
        }
        re->groups[i] = (uint32_t)g;
    }
    return 0;
}

void pt__route_regex_free(pt__route_regex_t *re)
{
    pcre2_code_free(re->code);
    re->code = NULL;
}
