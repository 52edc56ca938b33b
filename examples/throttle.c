/* GET /throttled?fail=1 (or fail=0) passes through one process-wide
 * adaptive throttle: each call waits for its slot (50 calls/s to start),
 * then reports whether it failed. Every 10 calls the success ratio of those
 * 10 moves the rate: mostly failures (< 25 %) slow it down by 0.75, at most
 * to 20/s; mostly successes (> 75 %) speed it up by 1.25, at most to 100/s.
 * The envelope shows the rate, the wait and the window's counts. */
#include <ponty.h>
#include <string.h>

PT_THROTTLE(api_throttle, .rate = 50, .min_rate = 20, .max_rate = 100, .window = 10);

PT_GET("/throttled", throttled)
{
    const char *q = pt_req_query(req, "fail");
    bool fail = q && strcmp(q, "0") != 0;

    int64_t waited_ns = pt_throttle_enter(api_throttle); /* suspends this request only */
    /* ... the throttled work would run here ... */
    pt_throttle_leave(api_throttle, !fail);

    return json_pack("{s:b,s:f,s:f,s:f,s:f,s:i,s:i}",
                     "ok", !fail,
                     "rate", pt_throttle_rate(api_throttle),
                     "min_rate", 20.0, "max_rate", 100.0,
                     "waited_ms", (double)waited_ns / 1e6,
                     "successes", (int)pt_throttle_successes(api_throttle),
                     "fails", (int)pt_throttle_fails(api_throttle));
}

#ifndef PT_SHOWCASE
int main(void)
{
    return pt_run(.port = (int)pt_env_long("PORT", 8080));
}
#endif
