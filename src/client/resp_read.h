/* Internal: an HTTP/1.1 response read with llhttp (resp_read.c), shared by
 * the native client path (native.c) and the in-process test client
 * (src/http/testclient.c), and the buffer it fills, which client.c's
 * libcurl path fills too. */
#ifndef PT_CLIENT_RESP_READ_H
#define PT_CLIENT_RESP_READ_H

#include <llhttp.h>
#include <stdbool.h>
#include <stddef.h>

/* What client.c's responses hold (client.c owns them; both paths fill the
 * body and the headers). body and hdr start in the inline arrays, so a
 * small answer costs no malloc; they move to the heap when they outgrow
 * them. Keep the arrays last: they need no zeroing. */
typedef struct pt__http_resp_buf {
    char   *body;
    size_t  body_len, body_cap;
    char   *hdr;          /* "name\0value\0" pairs */
    size_t  hdr_len, hdr_cap;
    size_t  nheaders;
    size_t  max_body;
    bool    too_big;
    char    inl_hdr[512];
    char    inl_body[512];
} pt__http_resp_buf_t;

/* Points body and hdr at the inline arrays (the rest is zeroed by the caller). */
void pt__http_resp_buf_init(pt__http_resp_buf_t *r);
/* Makes room for need bytes of body or of headers; false when out of memory. */
bool pt__http_body_room(pt__http_resp_buf_t *r, size_t need);
bool pt__http_hdr_room(pt__http_resp_buf_t *r, size_t need);
/* Frees what went to the heap; body and hdr are NULL afterwards. */
void pt__http_resp_buf_free(pt__http_resp_buf_t *r);

/* The reader of one response into r: the status (parser.status_code), the
 * headers as "name\0value\0" pairs (a value's trailing whitespace dropped),
 * the body up to r->max_body (past it: r->too_big and an error). Interim
 * answers (1xx but 101) are read and forgotten; after a HEAD request no
 * body is read, whatever Content-Length says. */
typedef struct pt__resp_read {
    llhttp_t             parser;
    pt__http_resp_buf_t *r;
    int                  hstate;   /* 0 none, 1 in a name, 2 name done, 3 in a value */
    bool                 head;     /* the request was HEAD */
    bool                 complete; /* the response ended */
    bool                 keep;     /* when complete: the connection may carry another */
} pt__resp_read_t;

/* Starts reading a response into r (initialised by the caller). rd must
 * not move while it reads. */
void pt__resp_read_init(pt__resp_read_t *rd, pt__http_resp_buf_t *r, bool head);
/* Reads n more bytes. HPE_OK: more are needed. HPE_PAUSED (HPE_PAUSED_UPGRADE
 * after a 101) with rd->complete: the response ended at
 * llhttp_get_error_pos(&rd->parser); bytes after it belong to no request.
 * Anything else: the response is malformed (llhttp_get_error_reason), or
 * r->too_big, or out of memory. */
llhttp_errno_t pt__resp_read_feed(pt__resp_read_t *rd, const char *p, size_t n);
/* The peer closed: ends a body delimited by the close. rd->complete tells
 * whether the response was whole. */
void pt__resp_read_eof(pt__resp_read_t *rd);

#endif
