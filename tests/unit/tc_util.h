/* Assertions over pt_test_request answers for the cmocka tests that drive a
 * service through the in-process test client (test_tc_*.c): the success
 * envelope checked as a client sees it, and plain-text error answers. */
#ifndef PT_TESTS_TC_UTIL_H
#define PT_TESTS_TC_UTIL_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <regex.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <ponty.h>

/* The client of a test group on the default routes: made by tc_setup and
 * freed by tc_teardown, given to cmocka_run_group_tests. */
static pt_test_client_t *tc_group __attribute__((unused));

static inline int tc_setup(void **state)
{
    (void)state;
    tc_group = pt_test_client_new();
    return tc_group ? 0 : -1;
}

static inline int tc_teardown(void **state)
{
    (void)state;
    pt_test_client_free(tc_group);
    tc_group = NULL;
    return 0;
}

#define TC_JSON_CT "application/json; charset=utf-8"
#define TC_TEXT_CT "text/plain; charset=utf-8"

static inline int64_t tc_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* A JSON value as one canonical line (keys sorted), for comparisons that
 * print both sides when they differ. */
static inline char *tc_canon(const json_t *v)
{
    char *s = json_dumps(v, JSON_SORT_KEYS | JSON_COMPACT | JSON_ENCODE_ANY | JSON_ENSURE_ASCII);
    assert_non_null(s);
    return s;
}

static inline void tc_assert_json(const json_t *got, const char *want_text)
{
    json_error_t e;
    json_t *want = json_loads(want_text, JSON_DECODE_ANY, &e);
    if (!want)
        fail_msg("expected value is not JSON: %s: %s", want_text, e.text);
    char *g = tc_canon(got), *w = tc_canon(want);
    assert_string_equal(g, w);
    free(g);
    free(w);
    json_decref(want);
}

/* ---- JSON as Python's json.dumps writes it (", " and ": ", ASCII with
 * lower-case \\u escapes, floats as repr) ---- */

typedef struct {
    char  *s;
    size_t len, cap;
} tc_str_t;

static inline void tc_put(tc_str_t *b, const char *s, size_t n)
{
    if (b->len + n + 1 > b->cap) {
        b->cap = (b->len + n + 1) * 2;
        b->s = realloc(b->s, b->cap);
        assert_non_null(b->s);
    }
    memcpy(b->s + b->len, s, n);
    b->len += n;
    b->s[b->len] = '\0';
}

static inline void tc_puts(tc_str_t *b, const char *s) { tc_put(b, s, strlen(s)); }

/* repr(float): the fewest digits that read back as d, fixed notation for
 * decimal exponents -4..15, else d.ddde+XX. */
static inline void tc_py_float(tc_str_t *b, double d)
{
    char e[40];
    for (int p = 1; p <= 17; p++) {
        snprintf(e, sizeof e, "%.*e", p - 1, d);
        if (strtod(e, NULL) == d)
            break;
    }
    char digits[20];
    size_t nd = 0;
    const char *p = e;
    bool neg = *p == '-';
    if (neg)
        p++;
    for (; *p && *p != 'e'; p++)
        if (*p != '.')
            digits[nd++] = *p;
    digits[nd] = '\0';
    int x = atoi(p + 1);
    if (neg)
        tc_puts(b, "-");
    if (x >= -4 && x < 16) {
        if (x < 0) {
            tc_puts(b, "0.");
            for (int i = 0; i < -x - 1; i++)
                tc_puts(b, "0");
            tc_puts(b, digits);
        } else {
            for (int i = 0; i <= x; i++)
                tc_put(b, i < (int)nd ? &digits[i] : "0", 1);
            tc_puts(b, ".");
            tc_puts(b, (int)nd > x + 1 ? digits + x + 1 : "0");
        }
    } else {
        tc_put(b, digits, 1);
        if (nd > 1) {
            tc_puts(b, ".");
            tc_puts(b, digits + 1);
        }
        char ex[16];
        snprintf(ex, sizeof ex, "e%c%02d", x < 0 ? '-' : '+', x < 0 ? -x : x);
        tc_puts(b, ex);
    }
}

static inline void tc_py_string(tc_str_t *b, const char *s, size_t n)
{
    const unsigned char *u = (const unsigned char *)s, *end = u + n;
    tc_puts(b, "\"");
    while (u < end) {
        unsigned c = *u++;
        char esc[16];
        if (c >= 0x80) { /* jansson hands valid UTF-8 */
            int more = c >= 0xf0 ? 3 : c >= 0xe0 ? 2 : 1;
            c &= 0x3f >> more;
            while (more--)
                c = (c << 6) | (*u++ & 0x3f);
        }
        if (c == '"' || c == '\\') {
            char two[2] = { '\\', (char)c };
            tc_put(b, two, 2);
        } else if (c == '\n') {
            tc_puts(b, "\\n");
        } else if (c == '\r') {
            tc_puts(b, "\\r");
        } else if (c == '\t') {
            tc_puts(b, "\\t");
        } else if (c == '\b') {
            tc_puts(b, "\\b");
        } else if (c == '\f') {
            tc_puts(b, "\\f");
        } else if (c >= 0x20 && c < 0x7f) {
            char one = (char)c;
            tc_put(b, &one, 1);
        } else if (c >= 0x10000) {
            c -= 0x10000;
            snprintf(esc, sizeof esc, "\\u%04x\\u%04x", 0xd800 + (c >> 10), 0xdc00 + (c & 0x3ff));
            tc_puts(b, esc);
        } else {
            snprintf(esc, sizeof esc, "\\u%04x", c);
            tc_puts(b, esc);
        }
    }
    tc_puts(b, "\"");
}

static inline void tc_py_dump(tc_str_t *b, const json_t *v)
{
    char num[32];
    switch (json_typeof(v)) {
    case JSON_OBJECT: {
        const char *k;
        json_t *m;
        bool first = true;
        tc_puts(b, "{");
        json_object_foreach((json_t *)v, k, m) {
            tc_puts(b, first ? "" : ", ");
            first = false;
            tc_py_string(b, k, strlen(k));
            tc_puts(b, ": ");
            tc_py_dump(b, m);
        }
        tc_puts(b, "}");
        break;
    }
    case JSON_ARRAY:
        tc_puts(b, "[");
        for (size_t i = 0; i < json_array_size(v); i++) {
            tc_puts(b, i ? ", " : "");
            tc_py_dump(b, json_array_get(v, i));
        }
        tc_puts(b, "]");
        break;
    case JSON_STRING: tc_py_string(b, json_string_value(v), json_string_length(v)); break;
    case JSON_INTEGER:
        snprintf(num, sizeof num, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
        tc_puts(b, num);
        break;
    case JSON_REAL: tc_py_float(b, json_real_value(v)); break;
    case JSON_TRUE: tc_puts(b, "true"); break;
    case JSON_FALSE: tc_puts(b, "false"); break;
    case JSON_NULL: tc_puts(b, "null"); break;
    }
}

/* json.dumps(v) (the caller frees it). */
static inline char *tc_py_dumps(const json_t *v)
{
    tc_str_t b = { 0 };
    tc_py_dump(&b, v);
    return b.s;
}

/* The envelope with this status: Content-Type JSON, exactly the keys now, data,
 * elapsed in that order, the times inside the window measured around the
 * request, and the bytes exactly those Python's json.dumps writes for the
 * parsed value. Returns data (a new reference). */
static inline json_t *tc_envelope(pt_test_response_t *r, int status, int64_t t0, int64_t t1)
{
    assert_non_null(r);
    if (r->status != status)
        fail_msg("status %d (want %d), body %s", r->status, status, r->body);
    assert_string_equal(pt_test_header(r, "Content-Type"), TC_JSON_CT);
    json_error_t e;
    json_t *env = json_loadb(r->body, r->len, 0, &e);
    if (!env)
        fail_msg("not JSON: %s (%s)", r->body, e.text);
    const char *keys[3] = { NULL, NULL, NULL };
    size_t i = 0;
    const char *k;
    json_t *v;
    json_object_foreach(env, k, v) {
        assert_true(i < 3);
        keys[i++] = k;
    }
    assert_int_equal(i, 3);
    assert_string_equal(keys[0], "now");
    assert_string_equal(keys[1], "data");
    assert_string_equal(keys[2], "elapsed");
    json_t *now = json_object_get(env, "now"), *elapsed = json_object_get(env, "elapsed");
    assert_true(json_is_integer(now) && json_is_integer(elapsed));
    assert_in_range(json_integer_value(now), t0 - 1, t1 + 1);
    assert_in_range(json_integer_value(elapsed), 0, t1 - t0 + 1);
    char *again = tc_py_dumps(env);
    assert_string_equal(r->body, again);
    free(again);
    json_t *data = json_incref(json_object_get(env, "data"));
    json_decref(env);
    return data;
}

static inline json_t *tc_ok_opts(pt_test_client_t *tc, const char *method, const char *path,
                                 const pt_test_request_opts_t *o)
{
    int64_t t0 = tc_now_ms();
    pt_test_response_t *r = pt_test_request_opts(tc, method, path, o);
    int64_t t1 = tc_now_ms();
    json_t *data = tc_envelope(r, 200, t0, t1);
    pt_test_response_free(r);
    return data;
}

/* A request answered 200 with the envelope; its data (a new reference). */
#define TC_OK(tc, method, path, ...) \
    tc_ok_opts((tc), (method), (path), &(const pt_test_request_opts_t){ __VA_ARGS__ })

static inline void tc_ok_is_opts(pt_test_client_t *tc, const char *want, const char *method, const char *path,
                                 const pt_test_request_opts_t *o)
{
    json_t *data = tc_ok_opts(tc, method, path, o);
    tc_assert_json(data, want);
    json_decref(data);
}

/* A request answered 200 with the envelope whose data equals the JSON want. */
#define TC_OK_IS(tc, want, method, path, ...) \
    tc_ok_is_opts((tc), (want), (method), (path), &(const pt_test_request_opts_t){ __VA_ARGS__ })

/* A 200 with the envelope whose data is exactly these bytes (for values
 * jansson cannot hold, such as integers past 64 bits): the layout
 * {"now": N, "data": ..., "elapsed": M} and the times checked as in
 * tc_envelope. */
static inline void tc_ok_bytes_opts(pt_test_client_t *tc, const char *want, const char *method, const char *path,
                                    const pt_test_request_opts_t *o)
{
    int64_t t0 = tc_now_ms();
    pt_test_response_t *r = pt_test_request_opts(tc, method, path, o);
    int64_t t1 = tc_now_ms();
    assert_non_null(r);
    if (r->status != 200)
        fail_msg("%s %s: status %d, body %.300s", method, path, r->status, r->body);
    assert_string_equal(pt_test_header(r, "Content-Type"), TC_JSON_CT);
    const char *p = r->body;
    assert_memory_equal(p, "{\"now\": ", 8);
    char *end;
    long long now = strtoll(p + 8, &end, 10);
    assert_in_range(now, t0 - 1, t1 + 1);
    assert_memory_equal(end, ", \"data\": ", 10);
    const char *data = end + 10;
    const char *tail = NULL;
    for (const char *q = strstr(data, ", \"elapsed\": "); q; q = strstr(q + 1, ", \"elapsed\": "))
        tail = q;
    assert_non_null(tail);
    long long elapsed = strtoll(tail + 13, &end, 10);
    assert_in_range(elapsed, 0, t1 - t0 + 1);
    assert_string_equal(end, "}");
    size_t n = (size_t)(tail - data);
    if (n != strlen(want) || memcmp(data, want, n) != 0)
        fail_msg("data %.*s\n want %s", (int)(n > 400 ? 400 : n), data, want);
    pt_test_response_free(r);
}

#define TC_OK_BYTES(tc, want, method, path, ...) \
    tc_ok_bytes_opts((tc), (want), (method), (path), &(const pt_test_request_opts_t){ __VA_ARGS__ })

static inline void tc_err_opts(pt_test_client_t *tc, int status, const char *text, const char *method,
                               const char *path, const pt_test_request_opts_t *o)
{
    pt_test_response_t *r = pt_test_request_opts(tc, method, path, o);
    assert_non_null(r);
    if (r->status != status)
        fail_msg("%s %s: status %d (want %d), body %s", method, path, r->status, status, r->body);
    assert_string_equal(r->body, text);
    assert_string_equal(pt_test_header(r, "Content-Type"), TC_TEXT_CT);
    char len[32];
    snprintf(len, sizeof len, "%zu", r->len);
    assert_string_equal(pt_test_header(r, "Content-Length"), len);
    pt_test_response_free(r);
}

/* A request answered with this status and this plain-text body. */
#define TC_ERR(tc, status, text, method, path, ...) \
    tc_err_opts((tc), (status), (text), (method), (path), &(const pt_test_request_opts_t){ __VA_ARGS__ })

/* The answer's status and body, whatever its media type. */
static inline void tc_status_body(pt_test_response_t *r, int status, const char *body)
{
    assert_non_null(r);
    if (r->status != status)
        fail_msg("status %d (want %d), body %s", r->status, status, r->body);
    assert_string_equal(r->body, body);
    pt_test_response_free(r);
}

static inline void tc_assert_match(const char *s, const char *ere)
{
    regex_t re;
    assert_int_equal(regcomp(&re, ere, REG_EXTENDED | REG_NOSUB), 0);
    int rc = regexec(&re, s, 0, NULL, 0);
    regfree(&re);
    if (rc != 0)
        fail_msg("'%s' does not match /%s/", s, ere);
}

/* Descriptors this process has open, and how many of them are sockets
 * (read from /proc/self/fd; the directory's own descriptor is not counted). */
static inline int tc_open_fds(int *sockets)
{
    DIR *d = opendir("/proc/self/fd");
    assert_non_null(d);
    int n = 0, socks = 0;
    struct dirent *de;
    while ((de = readdir(d))) {
        if (de->d_name[0] == '.' || atoi(de->d_name) == dirfd(d))
            continue;
        char path[300], link[256];
        snprintf(path, sizeof path, "/proc/self/fd/%s", de->d_name);
        ssize_t len = readlink(path, link, sizeof link - 1);
        if (len < 0)
            continue;
        link[len] = '\0';
        n++;
        socks += strncmp(link, "socket:", 7) == 0;
    }
    closedir(d);
    if (sockets)
        *sockets = socks;
    return n;
}

#endif
