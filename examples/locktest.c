/* GET /locktest → {"success": bool, "secs": n}: the seed's locallock
 * example. Each request takes the lock on "ponty" and sleeps secs seconds
 * (?secs=N, otherwise random 1–6) while holding it; a request that cannot
 * get the lock within 5 s answers success false. Five simultaneous requests
 * queue FIFO: those whose turn comes before the 5 s mark succeed, the rest
 * give up at about 5 s.
 *
 * secs is bounded (0 to LOCKTEST_MAX_SECS, default 10): any client may take
 * the lock, so how long it may hold it is the server's choice, and an
 * unbounded number would overflow the milliseconds. A value outside the
 * range or not a number is a 400.
 *
 * With PONTY_REDIS_URL=redis://host:port/db the lock lives in Redis, so
 * several processes share it. */
#include <ponty.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

__attribute__((constructor)) static void seed_random(void) { srandom((unsigned)time(NULL)); }

/* The shared lock store when PONTY_REDIS_URL is set, else NULL (in-process). */
static pt_lock_store_t *redis_locks(void)
{
    const char *url = getenv("PONTY_REDIS_URL");
    return url && *url ? pt_lock_store_redis_new(url, "locktest:lock:") : NULL;
}

PT_LOCALLOCK(mylock, .maxwait_ms = 5000, /* concurrent requests wait 5 seconds max */
             .store = redis_locks()); /* lives as long as the process */

PT_GET("/locktest", locktest)
{
    const char *q = pt_req_query(req, "secs");
    long max = pt_env_long("LOCKTEST_MAX_SECS", 10);
    int secs = 1 + (int)(random() % 6); /* random() is thread-safe in glibc */
    if (q) {
        char *end;
        errno = 0;
        long v = strtol(q, &end, 10);
        if (!*q || *end || errno || v < 0 || v > max)
            pt_raise(PT_VALIDATION, .text = pt_strf("secs must be an integer from 0 to %ld", max));
        secs = (int)v;
    }
    bool success = true;

    pt_lock_guard_t g;
    pt_memo_err_t rc = pt_lock_acquire(mylock, "ponty", &g); /* "ponty" is the protected resource's id */
    if (rc == PT_MEMO_OK) {
        pt_sleep_ms(secs * 1000);
        pt_lock_release(&g);
    } else {
        success = false; /* Locked, or the store failed: */
        if (rc == PT_MEMO_STORE_ERROR)
            fprintf(stderr, "locktest: %s\n", pt_memo_last_error());
    }
    return json_pack("{s:b,s:i}", "success", success, "secs", secs);
}

#ifndef PT_SHOWCASE
int main(void)
{
    return pt_run(.port = (int)pt_env_long("PORT", 8080));
}
#endif
