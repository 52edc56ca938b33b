/* Blocking calls without freezing the worker.
 *
 *   GET /sleep?ms=N  → {"slept": N}: a blocking usleep(3) run through
 *                      pt_offload; only this request waits
 *   GET /block?ms=N  → {"blocked": N}: the same usleep on the worker itself,
 *                      what NOT to do: every request of this worker waits
 *                      (it says so on stderr as it starts)
 *   GET /fast        → {"fast": true} at once
 *   GET /stats       → the pool's running/queued/threads
 *
 * ms is 1..60000 (default 100). The pool is sized from OFFLOAD_THREADS,
 * OFFLOAD_QUEUE and OFFLOAD_QUEUE_TIMEOUT_MS (0 or unset: the defaults, 16
 * threads, 1024 queued calls, 5 s wait for room); a call that finds the queue
 * full for that long answers 503. */
#define _GNU_SOURCE
#include <ponty.h>
#include <stdio.h>
#include <unistd.h>

typedef struct {
    int64_t ms;
} sleep_in;

PT_FIELDS(sleep_in, PT_QUERY_POSINT(ms, .dflt = "100"));

static void check_ms(int64_t ms)
{
    if (ms > 60000)
        pt_raise(PT_VALIDATION, .text = "ms must be at most 60000");
}

/* Runs on a pool thread: anything blocking is fine here. */
static void blocking_sleep(void *arg)
{
    const int64_t *ms = arg;
    usleep((useconds_t)(*ms * 1000));
}

PT_GET_IN("/sleep", offloaded_sleep, sleep_in)
{
    check_ms(in->ms);
    pt_offload_or_raise(blocking_sleep, &in->ms);
    return json_pack("{s:I}", "slept", (json_int_t)in->ms);
}

PT_GET_IN("/block", blocking_on_the_worker, sleep_in)
{
    check_ms(in->ms);
    /* Said before the worker stops: nothing on this worker answers until
     * the sleep ends (tests/http/test_offload.py waits for the line). */
    fprintf(stderr, "offload: /block holds this worker for %lld ms\n", (long long)in->ms);
    blocking_sleep(&in->ms);
    return json_pack("{s:I}", "blocked", (json_int_t)in->ms);
}

PT_GET("/fast", fast)
{
    return json_pack("{s:b}", "fast", 1);
}

PT_GET("/stats", offload_stats)
{
    pt_offload_stats_t s = pt_offload_stats();
    return json_pack("{s:i,s:i,s:i}", "running", s.running, "queued", s.queued, "threads", s.threads);
}

#ifndef PT_SHOWCASE
int main(void)
{
    return pt_run(.port = (int)pt_env_long("PORT", 8080),
                  .offload = { .threads = (unsigned)pt_env_long("OFFLOAD_THREADS", 0),
                               .queue = (unsigned)pt_env_long("OFFLOAD_QUEUE", 0),
                               .queue_timeout_ms = pt_env_long("OFFLOAD_QUEUE_TIMEOUT_MS", 0) });
}
#endif
