/* Internal: what the cache, lock and store files share. */
#ifndef PT_MEMO_INTERNAL_H
#define PT_MEMO_INTERNAL_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "ponty/memo.h"

/* The cache's clock: wall time (expirations are instants), coarse because a
 * hit with a TTL reads it every time and a few ms of resolution is plenty
 * for expiry. Expirations use the same clock throughout, so they are
 * consistent; an entry may expire up to one tick (~4 ms) early. */
static inline int64_t pt__memo_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME_COARSE, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* A random 128-bit token as 32 hex chars (lock ownership). */
void pt__memo_token(char out[33]);
uint64_t pt__memo_random(void);

/* Cleanups (cleanup.c): runs fn(value, ud) then drops json's reference,
 * now (delay_ms <= 0) on this thread or later on the cleanup thread. */
void pt__memo_cleanup_schedule(pt_cache_cleanup_fn fn, void *value, void *ud, json_t *json,
                              int64_t delay_ms);

/* Registry (registry.c). */
int  pt__memo_registry_add(pt_cache_t *c, const char *name);  /* -1 on a duplicate name */
void pt__memo_registry_remove(pt_cache_t *c);

/* The shared store's lock, as the cache and the lock take it (lock.c):
 * tries st->add(key, token, lease_ms) every pulse_ms until it succeeds
 * (PT__POLL_LOCKED), the store fails (PT__POLL_ERROR) or deadline passes
 * (PT__POLL_TIMEOUT; deadline -1: never). Between tries, `until` (optional)
 * returns 0 to go on waiting, or ends the wait with what it returns
 * (PT__POLL_ENDED: the cache stops waiting when a value appears in the
 * store; PT__POLL_ERROR). Each store command is bounded by the
 * deadline too (a hung Redis cannot stretch the wait). */
enum { PT__POLL_LOCKED = 1, PT__POLL_ENDED, PT__POLL_TIMEOUT, PT__POLL_ERROR };
int pt__store_lock_poll(pt_lock_store_t *st, const char *key, size_t len, const char *token, int64_t lease_ms,
                        int64_t pulse_ms, int64_t deadline, int (*until)(void *ctx), void *ctx);

/* Raising (errors.c): maps err to the HTTP error and never returns. */
_Noreturn void pt__memo_raise(pt_memo_err_t err, const pt_error_kind_t *locked_kind, const char *key);

#endif
