/* Internal: the native HTTP/1.1 path of the client (native.c), used by
 * client.c for plain http:// URLs on a scheduler thread; libcurl
 * (engine.c) does everything else. */
#ifndef PT_CLIENT_NATIVE_H
#define PT_CLIENT_NATIVE_H

#include <stdbool.h>
#include <stddef.h>

/* What client.c's responses hold (client.c owns them; native.c fills the
 * body and the headers). */
typedef struct pt__http_resp_buf {
    char   *body;
    size_t  body_len, body_cap;
    char   *hdr;          /* "name\0value\0" pairs */
    size_t  hdr_len, hdr_cap;
    size_t  nheaders;
    size_t  max_body;
    bool    too_big;
} pt__http_resp_buf_t;

/* The client's own header lines also name these: the native path then
 * sends none of its own. */
enum { PT__HTTP_HAS_HOST = 1, PT__HTTP_HAS_ACCEPT = 2 };

typedef struct pt__http_native_req {
    const char        *method;
    const char        *url;          /* absolute; pt__http_native_takes said yes */
    const char        *fixed;        /* the client's "Name: value\r\n" lines (Cookie too), or NULL */
    size_t             fixed_len;
    unsigned           fixed_flags;  /* PT__HTTP_HAS_* */
    const char *const *headers;      /* the request's { name, value, ..., NULL } */
    const void        *body;
    size_t             body_len;
    bool               has_body;
    bool               json_ctype;   /* add Content-Type: application/json */
    unsigned           timeout_ms;
    pt__http_resp_buf_t *r;
    int                status;       /* out: the HTTP status */
    char               detail[256];  /* out: what failed, when the result is not 0 */
} pt__http_native_req_t;

/* True when the native path can send to url: an http:// URL of the plain
 * forms it parses, and neither PONTY_HTTP_CLIENT=curl nor a proxy variable
 * (http_proxy, HTTP_PROXY, all_proxy, ALL_PROXY) in the environment. */
bool pt__http_native_takes(const char *url);
/* Runs the request on the calling coroutine's worker loop, suspending the
 * coroutine until it completes or its timeout passes. Returns 0 or a
 * PT_HTTP_E* code (detail then says what failed). */
int  pt__http_native_perform(pt__http_native_req_t *q);

bool pt__http_grow(char **buf, size_t *cap, size_t need);

#endif
