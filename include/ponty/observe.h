/* ponty/observe.h — seeing what the server does: the access log, metrics in
 * the Prometheus text format, and a health endpoint providers add checks to.
 * All are switched on through pt_run's options:
 *
 *     pt_run(.port = 8080,
 *            .access_log = PT_ACCESS_LOG_COMMON,     // or PT_ACCESS_LOG_JSON
 *            .metrics_path = "/metrics",
 *            .health_path = "/health",
 *            .request_ids = 1);
 *
 * Access log: one line per answered request, on .access_log_fd (default 2,
 * stderr). Common: the common log format plus duration and request id,
 *   127.0.0.1 - - [29/Nov/2026:20:39:57 +0000] "GET /hello?x=1 HTTP/1.1" 200 143 0.081 rid=<id|->
 * (bytes: the whole response, headers included; duration in milliseconds
 * from the complete request to its answer being queued). JSON: one object
 * per line with time, peer, method, target, status, bytes, duration_ms and
 * request_id. A worker appends the line to its own buffer; a log thread
 * writes the buffers every 100 ms (or when one passes 32 KiB), so the
 * write(2) never runs on a worker. Lines still buffered are written when
 * pt_run returns. Off (the default), nothing is formatted or timed.
 *
 * Metrics: with .metrics_path set, each worker counts into its own memory
 * (no cache line shared between workers per request); a scrape sums the
 * workers. Exposed:
 *   ponty_requests_total{method,route,status}   route = the template ("/hello/{name}"),
 *                                               "(unmatched)" when no route matched
 *   ponty_request_duration_seconds{method,route} histogram
 *   ponty_requests_in_flight, ponty_connections_open
 *   ponty_cache_hits_total / _misses_total / _size {cache}   named caches
 *   ponty_offload_running / _queued / _threads
 *   ponty_breaker_state{breaker}                breakers given to pt_metrics_breaker
 * Without .metrics_path nothing is counted.
 *
 * Health: with .health_path set, GET answers 200
 *   {"status": "ok", "checks": {"redis": {"ok": true}}}
 * or, when a check fails, 503 with "status": "fail" and that check's
 * {"ok": false, "error": "<its message>"}. */
#ifndef PONTY_OBSERVE_H
#define PONTY_OBSERVE_H

#ifdef __cplusplus
extern "C" {
#endif

struct pt_breaker;

typedef enum pt_access_log {
    PT_ACCESS_LOG_OFF = 0,
    PT_ACCESS_LOG_COMMON,
    PT_ACCESS_LOG_JSON,
} pt_access_log_t;

/* A health check returns NULL when healthy, else a message (a literal, or
 * pt_strf's: it runs inside the health request's coroutine, so it may wait,
 * e.g. on a Redis PING). */
typedef const char *(*pt_health_fn)(void *arg);

/* Adds a check named name (copied). Checks added before pt_run live for the
 * process; those added while pt_run starts (a provider's startup) are
 * dropped when it returns, with the providers. Returns 0, or -1 for an empty
 * name, a NULL fn, a duplicate name or a call while the workers serve. */
int pt_health_check_add(const char *name, pt_health_fn fn, void *arg);

/* Exposes a circuit breaker (ponty/resilience.h; an HTTP client's .breaker
 * too) as ponty_breaker_state{breaker="<its name>"}: 0 closed, 1 half-open,
 * 2 open. The breaker must outlive every pt_run. Returns 0, or -1 for NULL
 * or a call while the workers serve. */
int pt_metrics_breaker(struct pt_breaker *b);

#ifdef __cplusplus
}
#endif

#endif
