/* Internal: the native HTTP/1.1 path of the client (native.c), used by
 * client.c for plain http:// URLs on a scheduler thread; libcurl
 * (engine.c) does everything else. */
#ifndef PT_CLIENT_NATIVE_H
#define PT_CLIENT_NATIVE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "client/resp_read.h"


/* The client's own header lines also name these: the native path then
 * sends none of its own. */
enum { PT__HTTP_HAS_HOST = 1, PT__HTTP_HAS_ACCEPT = 2 };

typedef struct pt__http_native_req {
    const char        *method;
    const char        *url;          /* absolute */
    const char        *fixed;        /* the client's "Name: value\r\n" lines (Cookie too), or NULL */
    size_t             fixed_len;
    unsigned           fixed_flags;  /* PT__HTTP_HAS_* */
    const char *const *headers;      /* the request's { name, value, ..., NULL } */
    const void        *body;
    size_t             body_len;
    bool               has_body;
    bool               json_ctype;   /* add Content-Type: application/json */
    unsigned           timeout_ms;
    int64_t            start_ms;     /* pt_now_mono_ms() when the request began: the timeout counts from it */
    pt__http_resp_buf_t *r;
    int                status;       /* out: the HTTP status */
    char               detail[256];  /* out: what failed, when the result is not 0 */
} pt__http_native_req_t;

/* What pt__http_native_perform answers for a request it leaves to libcurl. */
#define PT__HTTP_NATIVE_DECLINED (-1)

/* Runs the request on the calling coroutine's worker loop, suspending the
 * coroutine until it completes or its timeout passes. Returns 0 or a
 * PT_HTTP_E* code (detail then says what failed), or, without sending
 * anything, PT__HTTP_NATIVE_DECLINED when the native path does not take the
 * request: a URL not of the plain http:// forms it parses, a request header
 * Transfer-Encoding, or
 * PONTY_HTTP_CLIENT=curl or a proxy variable (http_proxy, HTTP_PROXY,
 * all_proxy, ALL_PROXY) in the environment when the worker's engine was
 * made. Call it from a coroutine only. */
int  pt__http_native_perform(pt__http_native_req_t *q);

#endif
