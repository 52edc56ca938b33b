/* pt_bad_memo_decl_<case>: one cache or lock declaration per build, picked by
 * PT_BAD_MEMO_<case> (tests/servers/CMakeLists.txt builds each). File-scope
 * declarations are created before main, so a bad one cannot be chosen at run
 * time: each case is its own program. The tests check that a bad option
 * stops the program before main with status 1 (no signal, no core) and a
 * message naming the cache or lock, the value and the accepted forms; the
 * "ok" case is the control and prints "ok". */
#include <ponty.h>

#include <stdio.h>

__attribute__((unused)) static json_t *load(pt_cache_call_t *call)
{
    (void)call;
    return json_true();
}

#if defined(PT_BAD_MEMO_expiration)
PT_LOCALCACHE(x, .load = load, .expiration = "5 mins");
#elif defined(PT_BAD_MEMO_named)
PT_LOCALCACHE(users_cache, .name = "users", .load = load, .negative = true,
              .negative_expiration = "tomorrow");
#elif defined(PT_BAD_MEMO_ttl)
PT_LOCALCACHE(sessions, .load = load, .ttl_ms = -1000);
#elif defined(PT_BAD_MEMO_noloader)
PT_LOCALCACHE(empty, .maxsize = 10);
#elif defined(PT_BAD_MEMO_lock)
PT_LOCALLOCK(accounts, .maxwait_ms = -5);
#else /* ok */
PT_LOCALCACHE(x, .load = load, .expiration = "5 minutes");
PT_LOCALLOCK(accounts, .maxwait_ms = 100);
#endif

int main(void)
{
    printf("ok\n");
    return 0;
}
