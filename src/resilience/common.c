/* Error codes and kinds, clocks and sleeping for the resilience module. */
#define _GNU_SOURCE
#include "resilience/common.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/coro.h"

const pt_error_kind_t pt_error_circuit_open = { "CircuitOpen", 503, &pt_error_generic };
const pt_error_kind_t pt_error_busy = { "Busy", 409, &pt_error_locked };

const char *pt_res_strerror(int err)
{
    switch (err) {
    case 0: return "ok";
    case PT_ECIRCUIT_OPEN: return "circuit open";
    case PT_EGUARDED: return "resource busy";
    case PT_EBROKEN: return "barrier broken";
    case PT_ECANCELED: return "canceled";
    case PT_EFULL: return "full";
    case PT_EINVAL: return "invalid argument";
    case PT_ETIMEDOUT: return "timed out";
    default: return "unknown error";
    }
}

void pt__res_check_init(const void *p, const char *what)
{
    if (!p) {
        fprintf(stderr, "ponty: %s: bad options or out of memory\n", what);
        abort();
    }
}

int64_t pt__res_now_ns(const pt_clock_t *c)
{
    if (c && c->now_ns)
        return c->now_ns(c->arg);
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

void pt__res_sleep_ns(const pt_clock_t *c, int64_t ns)
{
    if (ns <= 0)
        return;
    if (c && c->sleep_ns) {
        c->sleep_ns(ns, c->arg);
        return;
    }
    if (pt__coro_self()) {
        /* The scheduler's timers have millisecond resolution: round up so a
         * wait never ends before its time. */
        pt_sleep_ms((ns + 999999) / 1000000);
        return;
    }
    struct timespec ts = { ns / 1000000000, ns % 1000000000 };
    while (nanosleep(&ts, &ts) != 0)
        ;
}

char *pt__res_strdup(const char *s, const char *dflt)
{
    return strdup(s ? s : dflt);
}
