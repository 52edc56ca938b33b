/* GET /flaky?fail=1 runs a call that fails, /flaky?fail=0 one that
 * succeeds, both through one process-wide circuit breaker:
 *   - a failed call answers 500 (the breaker's state in the JSON body);
 *   - after 3 consecutive failures the circuit opens and every call answers
 *     503 at once, without running, with Retry-After;
 *   - after the reset timeout ($BREAKER_RESET_MS, default 30000) one trial
 *     call runs; its success closes the circuit, its failure opens it again.
 * A successful call answers the envelope with the breaker's state, its
 * consecutive failures and how many calls really ran. */
#include <ponty.h>
#include <stdatomic.h>
#include <string.h>

PT_BREAKER(flaky_breaker, .name = "flaky", .max_fails = 3,
           .reset_ms = pt_env_long("BREAKER_RESET_MS", 30000));

static atomic_long runs;

/* Stands for an unreliable dependency: fails when asked to. */
static bool flaky_call(bool fail)
{
    atomic_fetch_add(&runs, 1);
    return !fail;
}

static json_t *breaker_info(void)
{
    return json_pack("{s:s,s:i,s:I,s:I}",
                     "state", pt_breaker_state_name(pt_breaker_state(flaky_breaker)),
                     "fails", (int)pt_breaker_fails(flaky_breaker),
                     "runs", (json_int_t)atomic_load(&runs),
                     "until_half_open_ms", (json_int_t)pt_breaker_until_half_open_ms(flaky_breaker));
}

PT_GET("/flaky", flaky)
{
    const char *q = pt_req_query(req, "fail");
    bool fail = q && strcmp(q, "0") != 0;

    pt_breaker_ticket_t t;
    pt_breaker_enter_or_raise(flaky_breaker, &t); /* open: 503 now, the call does not run */
    bool ok = flaky_call(fail);
    pt_breaker_leave(flaky_breaker, &t, ok ? PT_OUTCOME_SUCCESS : PT_OUTCOME_FAILURE);

    if (!ok)
        pt_raise_status(500, .body = json_pack("{s:s,s:o}", "error", "the flaky call failed",
                                               "breaker", breaker_info()));
    return json_pack("{s:s,s:o}", "result", "ok", "breaker", breaker_info());
}

#ifndef PT_SHOWCASE
int main(void)
{
    return pt_run(.port = (int)pt_env_long("PORT", 8080));
}
#endif
