/* The access log: workers format lines into buffers of their own; a log
 * thread swaps the buffers out and writes them, so no worker ever waits on
 * the log's file descriptor.
 *
 * Each worker thread has one buffer and one mutex, taken by that worker per
 * line and by the log thread every 100 ms: uncontended almost always, and on
 * a cache line no other worker touches. A buffer past 32 KiB wakes the log
 * thread early; past 4 MiB (the descriptor blocks: a full pipe) further
 * lines are dropped and counted, rather than letting memory grow. */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "http/observe.h"

#define WAKE_BYTES (32u << 10)
#define MAX_BYTES (4u << 20)

typedef struct logbuf {
    struct logbuf  *next;
    pthread_mutex_t lk;
    pt__buf_t        buf;
    unsigned long   dropped;
    /* The time prefix changes once a second: formatted then. */
    time_t          stamp;
    char            clf_time[40];
    char            iso_time[40];
} logbuf_t;

static pthread_mutex_t lk = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static logbuf_t *bufs;
static bool running, wake;
static pthread_t thread;
static int log_fd;
static unsigned generation;
static _Thread_local logbuf_t *mine;
static _Thread_local unsigned mine_gen;

static void write_all(int fd, const char *p, size_t n)
{
    while (n) {
        ssize_t w = write(fd, p, n);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            return; /* a log that cannot be written is not worth stopping for */
        }
        p += w;
        n -= (size_t)w;
    }
}

/* Swaps every buffer out and writes it. */
static void drain(void)
{
    pt__buf_t out = { 0 };
    pthread_mutex_lock(&lk);
    for (logbuf_t *b = bufs; b; b = b->next) {
        pthread_mutex_lock(&b->lk);
        if (b->buf.len) {
            pt__buf_append(&out, b->buf.data, b->buf.len);
            b->buf.len = 0;
        }
        unsigned long dropped = b->dropped;
        b->dropped = 0;
        pthread_mutex_unlock(&b->lk);
        if (dropped) {
            char msg[96];
            int n = snprintf(msg, sizeof msg, "ponty: access log: %lu lines dropped (log not draining)\n", dropped);
            pt__buf_append(&out, msg, (size_t)n);
        }
    }
    pthread_mutex_unlock(&lk);
    if (out.len)
        write_all(log_fd, out.data, out.len);
    pt__buf_free(&out);
}

static void *log_main(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&lk);
    while (running) {
        if (!wake) {
            struct timespec ts;
            clock_gettime(CLOCK_REALTIME, &ts);
            ts.tv_nsec += 100 * 1000000L;
            if (ts.tv_nsec >= 1000000000L)
                ts.tv_sec++, ts.tv_nsec -= 1000000000L;
            pthread_cond_timedwait(&cv, &lk, &ts);
        }
        wake = false;
        pthread_mutex_unlock(&lk);
        drain();
        pthread_mutex_lock(&lk);
    }
    pthread_mutex_unlock(&lk);
    drain();
    return NULL;
}

int pt__access_log_start(int fd)
{
    log_fd = fd;
    generation++;
    running = true;
    wake = false;
    if (pthread_create(&thread, NULL, log_main, NULL) != 0) {
        running = false;
        fprintf(stderr, "ponty: cannot start: no access log thread\n");
        return -1;
    }
    return 0;
}

void pt__access_log_stop(void)
{
    pthread_mutex_lock(&lk);
    if (!running) {
        pthread_mutex_unlock(&lk);
        return;
    }
    running = false;
    pthread_cond_signal(&cv);
    pthread_mutex_unlock(&lk);
    pthread_join(thread, NULL); /* it drains once more on its way out */
    while (bufs) {
        logbuf_t *b = bufs;
        bufs = b->next;
        pthread_mutex_destroy(&b->lk);
        pt__buf_free(&b->buf);
        free(b);
    }
}

static logbuf_t *my_buf(void)
{
    if (mine && mine_gen == generation)
        return mine;
    logbuf_t *b = aligned_alloc(64, (sizeof *b + 63) & ~(size_t)63);
    if (!b)
        return NULL;
    memset(b, 0, sizeof *b);
    pthread_mutex_init(&b->lk, NULL);
    pthread_mutex_lock(&lk);
    b->next = bufs;
    bufs = b;
    pthread_mutex_unlock(&lk);
    mine = b;
    mine_gen = generation;
    return b;
}

/* JSON string contents: quotes, backslashes and control bytes escaped;
 * other bytes as they are (targets are what the client sent). */
static void json_str(pt__buf_t *o, const char *s)
{
    static const char hex[] = "0123456789abcdef";
    for (; *s; s++) {
        unsigned char ch = (unsigned char)*s;
        if (ch == '"' || ch == '\\') {
            char e[2] = { '\\', (char)ch };
            pt__buf_append(o, e, 2);
        } else if (ch < 0x20 || ch == 0x7f) {
            char e[6] = { '\\', 'u', '0', '0', hex[ch >> 4], hex[ch & 15] };
            pt__buf_append(o, e, 6);
        } else {
            pt__buf_append(o, s, 1);
        }
    }
}

/* The request line as logged: the target with control bytes and '"'
 * escaped, so one request is one line. */
static void clf_str(pt__buf_t *o, const char *s)
{
    for (; *s; s++) {
        unsigned char ch = (unsigned char)*s;
        if (ch < 0x20 || ch == 0x7f || ch == '"' || ch == '\\') {
            static const char hex[] = "0123456789abcdef";
            char e[4] = { '\\', 'x', hex[ch >> 4], hex[ch & 15] };
            pt__buf_append(o, e, 4);
        } else {
            pt__buf_append(o, s, 1);
        }
    }
}

/* Microseconds as milliseconds with three decimals ("0.081"), without
 * going through printf's floating point. */
static void put_ms(pt__buf_t *o, uint64_t us)
{
    char frac[4] = { (char)('0' + us / 100 % 10), (char)('0' + us / 10 % 10), (char)('0' + us % 10), 0 };
    pt__buf_int(o, (long long)(us / 1000));
    pt__buf_puts(o, ".");
    pt__buf_append(o, frac, 3);
}

void pt__access_log_line(const pt_req_t *r, int status, size_t bytes, uint64_t us)
{
    logbuf_t *b = my_buf();
    if (!b)
        return;
    pt_req_t *mr = (pt_req_t *)r;
    const char *peer = pt_req_peer(mr, NULL);
    const char *method = r->method ? r->method : "-";
    const char *target = r->target ? r->target : "-";
    pthread_mutex_lock(&b->lk);
    if (b->buf.len > MAX_BYTES) {
        b->dropped++;
        pthread_mutex_unlock(&b->lk);
        return;
    }
    time_t now = time(NULL);
    if (now != b->stamp) {
        struct tm tm;
        gmtime_r(&now, &tm);
        strftime(b->clf_time, sizeof b->clf_time, "[%d/%b/%Y:%H:%M:%S +0000]", &tm);
        strftime(b->iso_time, sizeof b->iso_time, "%Y-%m-%dT%H:%M:%SZ", &tm);
        b->stamp = now;
    }
    pt__buf_t *o = &b->buf;
    if (pt__obs.log == PT_ACCESS_LOG_JSON) {
        pt__buf_puts(o, "{\"time\":\"");
        pt__buf_puts(o, b->iso_time);
        pt__buf_puts(o, "\",\"peer\":\"");
        pt__buf_puts(o, peer ? peer : "");
        pt__buf_puts(o, "\",\"method\":\"");
        json_str(o, method);
        pt__buf_puts(o, "\",\"target\":\"");
        json_str(o, target);
        pt__buf_puts(o, "\",\"status\":");
        pt__buf_int(o, status);
        pt__buf_puts(o, ",\"bytes\":");
        pt__buf_int(o, (long long)bytes);
        pt__buf_puts(o, ",\"duration_ms\":");
        put_ms(o, us);
        pt__buf_puts(o, ",\"request_id\":");
        if (r->request_id) {
            pt__buf_puts(o, "\"");
            pt__buf_puts(o, r->request_id);
            pt__buf_puts(o, "\"}\n");
        } else {
            pt__buf_puts(o, "null}\n");
        }
    } else {
        pt__buf_puts(o, peer ? peer : "-");
        pt__buf_puts(o, " - - ");
        pt__buf_puts(o, b->clf_time);
        pt__buf_puts(o, " \"");
        pt__buf_puts(o, method);
        pt__buf_puts(o, " ");
        clf_str(o, target);
        pt__buf_puts(o, r->http_minor ? " HTTP/1.1\" " : " HTTP/1.0\" ");
        pt__buf_int(o, status);
        pt__buf_puts(o, " ");
        pt__buf_int(o, (long long)bytes);
        pt__buf_puts(o, " ");
        put_ms(o, us);
        pt__buf_puts(o, " rid=");
        pt__buf_puts(o, r->request_id ? r->request_id : "-");
        pt__buf_puts(o, "\n");
    }
    bool full = o->len > WAKE_BYTES;
    pthread_mutex_unlock(&b->lk);
    if (full) {
        pthread_mutex_lock(&lk);
        wake = true;
        pthread_cond_signal(&cv);
        pthread_mutex_unlock(&lk);
    }
}
