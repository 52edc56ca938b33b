/* Error codes, the per-thread message, and raising for handlers. */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/random.h>

#include "memo/memo.h"
#include "core/context.h"
#include "ponty/request.h"

static __thread char last_error[512];

const char *pt_memo_strerror(pt_memo_err_t err)
{
    switch (err) {
    case PT_MEMO_OK: return "ok";
    case PT_MEMO_STAMPEDE: return "stampede";
    case PT_MEMO_LOCKED: return "locked";
    case PT_MEMO_LOAD_FAILED: return "load failed";
    case PT_MEMO_STORE_ERROR: return "store error";
    case PT_MEMO_KEY_ERROR: return "key error";
    case PT_MEMO_INVALID: return "invalid argument";
    case PT_MEMO_NO_MEMORY: return "out of memory";
    case PT_MEMO_NOT_FOUND: return "no such cache";
    case PT_MEMO_EXISTS: return "cache name already registered";
    }
    return "unknown";
}

const char *pt_memo_last_error(void) { return last_error; }

void pt_memo_set_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(last_error, sizeof last_error, fmt, ap);
    va_end(ap);
}

void pt__memo_check_init(const void *made)
{
    if (made)
        return;
    /* A file-scope declaration has nobody to return an error to: a bad
     * option is reported before main runs (the message names the cache or
     * lock) and the program stops with a plain failure status, not a
     * signal: nothing crashed, the configuration is wrong. */
    fprintf(stderr, "ponty: %s\n", last_error);
    fflush(stderr);
    exit(1);
}

uint64_t pt__memo_random(void)
{
    static __thread uint64_t s;
    if (!s) {
        if (getrandom(&s, sizeof s, 0) != sizeof s)
            s = (uint64_t)(uintptr_t)&s ^ (uint64_t)time(NULL);
        s |= 1;
    }
    /* xorshift64*: jitter and tokens need spread, not secrecy (the token is
     * an ownership tag, not a credential). */
    s ^= s >> 12;
    s ^= s << 25;
    s ^= s >> 27;
    return s * UINT64_C(2685821657736338717);
}

void pt__memo_token(char out[33])
{
    snprintf(out, 33, "%016llx%016llx", (unsigned long long)pt__memo_random(),
             (unsigned long long)pt__memo_random());
}

_Noreturn void pt__memo_raise(pt_memo_err_t err, const pt_error_kind_t *locked_kind, const char *key)
{
    /* A 409's body is the key that stayed locked, copied into the request
     * arena because the caller's copy may not outlive the unwind. A
     * single-key cache's key is empty: the body is then "409: Conflict". */
    pt_arena_t *arena = pt__task_arena();
    const char *text = key && *key && arena ? pt_arena_strdup(arena, key) : NULL;
    switch (err) {
    case PT_MEMO_STAMPEDE:
        pt_raise(PT_STAMPEDE, .text = text);
    case PT_MEMO_LOCKED:
        pt_raise(locked_kind ? locked_kind : PT_LOCKED, .text = text);
    default:
        /* The message is for the logs, not the client. */
        fprintf(stderr, "ponty: memo: %s: %s\n", pt_memo_strerror(err), last_error);
        pt_raise(PT_ERROR);
    }
}
