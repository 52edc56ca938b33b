/* pt_bg_server: background tasks and provider resources for
 * tests/http/test_tasks.py.
 *
 * Providers, in order: "ticker" publishes "ticker" (its state) and starts
 * pt_every($TICK_MS, default 50) plus one pt_spawn and one task waiting for
 * shutdown with pt_wait_stop_ms(-1); "second" publishes "second", or fails
 * when $PT_FAIL_SECOND=1, or publishes "ticker" again when $PT_DUP=1.
 * Teardowns print "teardown <name>" on stdout; tasks print what they saw.
 * Before pt_run, main tries pt_spawn and prints its answer. */
#define _GNU_SOURCE
#include <ponty.h>

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

typedef struct ticker {
    atomic_long ticks;
    atomic_int  offloading;
    atomic_int  once_ran;
    atomic_long spawned_done;
} ticker_t;

static ticker_t ticker_state;
static int second_state;

static void say(const char *fmt, const char *arg)
{
    printf(fmt, arg);
    printf("\n");
    fflush(stdout);
}

static void tick(void *arg)
{
    ticker_t *t = arg;
    atomic_fetch_add(&t->ticks, 1);
}

static void once(void *arg)
{
    ticker_t *t = arg;
    pt_sleep_ms(10);             /* a task may suspend */
    atomic_store(&t->once_ran, 1);
}

static void wait_for_stop(void *arg)
{
    (void)arg;
    if (pt_wait_stop_ms(-1))
        say("waiter saw %s", "stop");
}

static int ticker_start(void *arg)
{
    if (pt_resource_publish("ticker", &ticker_state) != 0)
        return -1;
    int rc = pt_every(pt_env_long("TICK_MS", 50), tick, &ticker_state);
    rc = rc ? rc : pt_spawn(once, &ticker_state);
    rc = rc ? rc : pt_spawn(wait_for_stop, NULL);
    return rc;
}

static void ticker_stop(void *arg) { say("teardown %s", "ticker"); }

static int second_start(void *arg)
{
    if (pt_env_long("PT_FAIL_SECOND", 0))
        return -1;
    if (pt_env_long("PT_DUP", 0))
        pt_resource_publish("ticker", &second_state); /* the start fails even though we return 0 */
    return pt_resource_publish("second", &second_state);
}

static void second_stop(void *arg) { say("teardown %s", "second"); }

/* GET /ticks → the ticker's counters, read through the published resource. */
PT_GET("/ticks", ticks)
{
    ticker_t *t = pt_resource("ticker");
    if (!t)
        pt_raise_status(500, .text = "no ticker resource");
    return json_pack("{s:I,s:b,s:I,s:b,s:i}", "ticks", (json_int_t)atomic_load(&t->ticks),
                     "once", atomic_load(&t->once_ran), "spawned_done",
                     (json_int_t)atomic_load(&t->spawned_done), "stopping", pt_stopping(),
                     "offloading", atomic_load(&t->offloading));
}

/* GET /resource/{name} → {"found": true} or 404. */
PT_GET("/resource/{name}", resource)
{
    if (!pt_resource(pt_req_param(req, "name")))
        pt_raise(PT_DOES_NOT_EXIST, .text = pt_strf("no resource %s", pt_req_param(req, "name")));
    return json_pack("{s:b}", "found", 1);
}

static void slow_task(void *arg)
{
    long ms = (long)(intptr_t)arg;
    pt_sleep_ms(ms);            /* not cut short by shutdown: the drain waits */
    atomic_fetch_add(&ticker_state.spawned_done, 1);
    printf("spawned task done after %ld ms\n", ms);
    fflush(stdout);
}

/* POST /spawn/{ms} → spawns a task sleeping ms; {"rc": pt_spawn's answer}. */
PT_POST("/spawn/{ms:\\d+}", spawn_route)
{
    long ms = strtol(pt_req_param(req, "ms"), NULL, 10);
    return json_pack("{s:i}", "rc", pt_spawn(slow_task, (void *)(intptr_t)ms));
}

static void blocking_sleep(void *arg)
{
    atomic_fetch_add(&ticker_state.offloading, 1);
    usleep((useconds_t)(intptr_t)arg * 1000);
    atomic_fetch_sub(&ticker_state.offloading, 1);
}

/* GET /offload/{ms} → {"slept": ms} after a blocking usleep on the pool. */
PT_GET("/offload/{ms:\\d+}", offload_route)
{
    long ms = strtol(pt_req_param(req, "ms"), NULL, 10);
    pt_offload_or_raise(blocking_sleep, (void *)(intptr_t)ms);
    return json_pack("{s:i}", "slept", (json_int_t)ms);
}

static void spawn_from_pool(void *arg)
{
    /* A pool thread is a plain thread: the task goes to a worker. */
    *(int *)arg = pt_spawn(slow_task, (void *)(intptr_t)0);
}

/* POST /spawn-from-pool → {"rc": pt_spawn's answer on a pool thread}. */
PT_POST("/spawn-from-pool", spawn_pool_route)
{
    int rc = -1;
    pt_offload_or_raise(spawn_from_pool, &rc);
    return json_pack("{s:i}", "rc", rc);
}

/* GET /status/{n} → the envelope with status n (pt_resp_status). */
PT_GET("/status/{n:\\d+}", status_route)
{
    pt_resp_status(req, (int)strtol(pt_req_param(req, "n"), NULL, 10));
    return json_pack("{s:b}", "ok", 1);
}

int main(void)
{
    printf("spawn before run: %d\n", pt_spawn(tick, &ticker_state));
    fflush(stdout);
    pt_limits_t limits = { .shutdown_timeout_ms = (unsigned)pt_env_long("PT_SHUTDOWN_TIMEOUT_MS", 0) };
    return pt_run(.port = (int)pt_env_long("PORT", 8080), .quiet = 1, .limits = limits,
                  .providers = PT_PROVIDERS({ "ticker", ticker_start, ticker_stop, NULL },
                                            { "second", second_start, second_stop, NULL }));
}
