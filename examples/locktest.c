/* GET /locktest → {"success": bool, "secs": n}: the seed's locallock
 * example. Each request takes the lock on "ponty" and sleeps secs seconds
 * (?secs=N, otherwise random 1–6) while holding it; a request that cannot
 * get the lock within 5 s answers success false. Five simultaneous requests
 * queue FIFO: those whose turn comes before the 5 s mark succeed, the rest
 * give up at about 5 s. */
#include <ponty.h>
#include <stdlib.h>
#include <time.h>

__attribute__((constructor)) static void seed_random(void) { srandom((unsigned)time(NULL)); }

PT_LOCALLOCK(mylock, .maxwait_ms = 5000); /* concurrent requests wait 5 seconds max */

PT_GET("/locktest", locktest)
{
    const char *q = pt_req_query(req, "secs");
    int secs = q ? atoi(q) : 1 + (int)(random() % 6); /* random() is thread-safe in glibc */
    bool success = true;

    pt_lock_guard_t g;
    if (pt_lock_acquire(mylock, "ponty", &g) == PT_MEMO_OK) { /* "ponty" is the protected resource's id */
        pt_sleep_ms(secs * 1000);
        pt_lock_release(&g);
    } else {
        success = false; /* Locked */
    }
    return json_pack("{s:b,s:i}", "success", success, "secs", secs);
}

#ifndef PT_SHOWCASE
int main(void)
{
    return pt_run(.port = (int)pt_env_long("PORT", 8080));
}
#endif
