/* Offload round trip: a coroutine calls pt_offload(noop) back to back, so
 * each call is queue → pool thread → wake → back on the scheduler. The peer
 * is libuv's own thread pool (uv_queue_work → after_work callback) on the
 * same loop, measured in the same run. Then the same with 64 calls in
 * flight (throughput).
 *
 *   offload_bench [seconds-per-configuration]   (default 0.5; 3 interleaved rounds) */
#define _GNU_SOURCE
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <uv.h>

#include "ponty/offload.h"
#include "core/offload.h"
#include "core/sched.h"

static double secs = 0.5;

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void noop(void *arg) { (void)arg; }

/* ---- ponty: n coroutines, each calling until the time is up ---- */

typedef struct caller {
    pt__task_t task;
    long      calls;
    double    end;
    int       done;
} caller_t;

static void caller_run(pt__task_t *t)
{
    caller_t *c = (caller_t *)t;
    while (now_s() < c->end)
        for (int i = 0; i < 64; i++, c->calls++)
            pt_offload(noop, NULL);
}

static void caller_done(pt__task_t *t) { ((caller_t *)t)->done = 1; }

static void keep_turning(uv_timer_t *t) { (void)t; }

static double ponty_calls_per_s(int inflight)
{
    uv_loop_t loop;
    uv_loop_init(&loop);
    pt__sched_t *s = pt__sched_new(&loop, 64 * 1024);
    caller_t *cs = calloc((size_t)inflight, sizeof *cs);
    double t0 = now_s();
    for (int i = 0; i < inflight; i++) {
        cs[i].task.run = caller_run;
        cs[i].task.done = caller_done;
        cs[i].end = t0 + secs;
        pt__sched_start(s, &cs[i].task);
    }
    /* The scheduler's async handle is unref'd: a timer keeps uv_run going. */
    uv_timer_t keep;
    uv_timer_init(&loop, &keep);
    uv_timer_start(&keep, keep_turning, 1000, 1000);
    for (;;) {
        int all = 1;
        for (int i = 0; i < inflight; i++)
            all &= cs[i].done;
        if (all)
            break;
        uv_run(&loop, UV_RUN_ONCE);
    }
    double el = now_s() - t0;
    long calls = 0;
    for (int i = 0; i < inflight; i++)
        calls += cs[i].calls;
    uv_close((uv_handle_t *)&keep, NULL);
    free(cs);
    pt__sched_free(s);
    uv_loop_close(&loop);
    return calls / el;
}

/* ---- peer: uv_queue_work, each completion queueing the next ---- */

typedef struct work {
    uv_work_t req;
    long     *calls;
    double    end;
} work_t;

static void work_cb(uv_work_t *r) { (void)r; }

static void after_cb(uv_work_t *r, int status)
{
    work_t *w = (work_t *)r;
    (*w->calls)++;
    if (status == 0 && ((*w->calls & 63) || now_s() < w->end))
        uv_queue_work(r->loop, r, work_cb, after_cb);
}

static double uv_calls_per_s(int inflight)
{
    uv_loop_t loop;
    uv_loop_init(&loop);
    long calls = 0;
    work_t *ws = calloc((size_t)inflight, sizeof *ws);
    double t0 = now_s();
    for (int i = 0; i < inflight; i++) {
        ws[i].calls = &calls;
        ws[i].end = t0 + secs;
        uv_queue_work(&loop, &ws[i].req, work_cb, after_cb);
    }
    uv_run(&loop, UV_RUN_DEFAULT);
    double el = now_s() - t0;
    free(ws);
    uv_loop_close(&loop);
    return calls / el;
}

static double median3(const double *v)
{
    double a = v[0], b = v[1], c = v[2];
    if ((a <= b && b <= c) || (c <= b && b <= a))
        return b;
    if ((b <= a && a <= c) || (c <= a && a <= b))
        return a;
    return c;
}

int main(int argc, char **argv)
{
    if (argc > 1)
        secs = atof(argv[1]);
    if (secs <= 0)
        secs = 0.5;
    /* secs is the time per configuration, split over 3 rounds. */
    /* Four threads each: libuv's default pool size. */
    pt__offload_configure(&(pt_offload_opts_t){ .threads = 4 });
    /* Warm-up (not measured): starts both pools' threads. */
    double full = secs;
    secs = 0.05;
    ponty_calls_per_s(1);
    uv_calls_per_s(1);
    secs = full / 3;
    printf("%-44s %12s %12s\n", "offload round trip (median of 3 rounds)", "calls/s", "us/call");
    int inflight[] = { 1, 64 };
    for (int k = 0; k < 2; k++) {
        /* Interleaved rounds, so both see the same machine load. */
        double pr[3], ur[3];
        for (int r = 0; r < 3; r++) {
            pr[r] = ponty_calls_per_s(inflight[k]);
            ur[r] = uv_calls_per_s(inflight[k]);
        }
        double p = median3(pr), u = median3(ur);
        char label[64];
        snprintf(label, sizeof label, "ponty pt_offload, %d in flight", inflight[k]);
        printf("%-44s %12.0f %12.2f\n", label, p, 1e6 / p);
        snprintf(label, sizeof label, "peer: libuv uv_queue_work, %d in flight", inflight[k]);
        printf("%-44s %12.0f %12.2f\n", label, u, 1e6 / u);
        printf("%-44s %12.2fx\n", "ratio ponty/peer (calls/s)", p / u);
    }
    pt__offload_stop();
    return 0;
}
