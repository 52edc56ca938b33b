/* The response buffer and the response reader of resp_read.h: llhttp's
 * callbacks fill a pt__http_resp_buf_t. */
#include "client/resp_read.h"

#include <stdlib.h>
#include <string.h>

/* Grows *buf (which starts as the inline array inl) to hold need bytes. */
static bool grow(char **buf, size_t *cap, size_t need, char *inl)
{
    if (need <= *cap)
        return true;
    size_t n = *cap ? *cap : 1024;
    while (n < need)
        n *= 2;
    char *p;
    if (*buf == inl) {
        p = malloc(n);
        if (p)
            memcpy(p, inl, *cap);
    } else {
        p = realloc(*buf, n);
    }
    if (!p)
        return false;
    *buf = p;
    *cap = n;
    return true;
}

void pt__http_resp_buf_init(pt__http_resp_buf_t *r)
{
    r->body = r->inl_body;
    r->body_cap = sizeof r->inl_body;
    r->hdr = r->inl_hdr;
    r->hdr_cap = sizeof r->inl_hdr;
}

bool pt__http_body_room(pt__http_resp_buf_t *r, size_t need)
{
    return grow(&r->body, &r->body_cap, need, r->inl_body);
}

bool pt__http_hdr_room(pt__http_resp_buf_t *r, size_t need)
{
    return grow(&r->hdr, &r->hdr_cap, need, r->inl_hdr);
}

void pt__http_resp_buf_free(pt__http_resp_buf_t *r)
{
    if (r->body != r->inl_body)
        free(r->body);
    if (r->hdr != r->inl_hdr)
        free(r->hdr);
    r->body = r->hdr = NULL;
    r->body_cap = r->hdr_cap = 0;
}

static bool hdr_add(pt__http_resp_buf_t *r, const char *at, size_t len)
{
    if (!pt__http_hdr_room(r, r->hdr_len + len + 1))
        return false;
    memcpy(r->hdr + r->hdr_len, at, len);
    r->hdr_len += len;
    return true;
}

/* Ends a value (trailing whitespace is not part of it) and so one header. */
static bool hdr_value_done(pt__http_resp_buf_t *r)
{
    while (r->hdr_len && (r->hdr[r->hdr_len - 1] == ' ' || r->hdr[r->hdr_len - 1] == '\t'))
        r->hdr_len--;
    if (!hdr_add(r, "", 1))
        return false;
    r->nheaders++;
    return true;
}

static int on_header_field(llhttp_t *p, const char *at, size_t len)
{
    pt__resp_read_t *x = p->data;
    pt__http_resp_buf_t *r = x->r;
    if (x->hstate == 2 && !hdr_value_done(r)) /* the previous name had no value */
        return -1;
    x->hstate = 1;
    return hdr_add(r, at, len) ? 0 : -1;
}

static int on_header_field_complete(llhttp_t *p)
{
    pt__resp_read_t *x = p->data;
    x->hstate = 2;
    return hdr_add(x->r, "", 1) ? 0 : -1;
}

static int on_header_value(llhttp_t *p, const char *at, size_t len)
{
    pt__resp_read_t *x = p->data;
    x->hstate = 3;
    return hdr_add(x->r, at, len) ? 0 : -1;
}

static int on_header_value_complete(llhttp_t *p)
{
    pt__resp_read_t *x = p->data;
    pt__http_resp_buf_t *r = x->r;
    x->hstate = 0;
    return hdr_value_done(r) ? 0 : -1;
}

static int on_headers_complete(llhttp_t *p)
{
    pt__resp_read_t *x = p->data;
    pt__http_resp_buf_t *r = x->r;
    if (x->hstate == 2 && !hdr_value_done(r))
        return -1;
    x->hstate = 0;
    if (p->status_code >= 100 && p->status_code < 200 && p->status_code != 101) {
        /* An interim answer: its headers are not the response's. */
        r->hdr_len = 0;
        r->nheaders = 0;
        return 0;
    }
    if (x->head)
        return 1; /* no body follows, whatever Content-Length says */
    if (p->flags & F_CONTENT_LENGTH) {
        if (p->content_length > r->max_body) {
            r->too_big = true;
            return -1;
        }
        if (!pt__http_body_room(r, (size_t)p->content_length + 1))
            return -1;
    }
    return 0;
}

static int on_body(llhttp_t *p, const char *at, size_t len)
{
    pt__resp_read_t *x = p->data;
    pt__http_resp_buf_t *r = x->r;
    if (r->body_len + len > r->max_body) {
        r->too_big = true;
        return -1;
    }
    if (!pt__http_body_room(r, r->body_len + len + 1))
        return -1;
    memcpy(r->body + r->body_len, at, len);
    r->body_len += len;
    return 0;
}

static int on_message_complete(llhttp_t *p)
{
    pt__resp_read_t *x = p->data;
    if (p->status_code >= 100 && p->status_code < 200 && p->status_code != 101)
        return 0; /* the real answer follows */
    x->complete = true;
    x->keep = llhttp_should_keep_alive(p);
    return HPE_PAUSED;
}

static const llhttp_settings_t parser_settings = {
    .on_header_field = on_header_field,
    .on_header_field_complete = on_header_field_complete,
    .on_header_value = on_header_value,
    .on_header_value_complete = on_header_value_complete,
    .on_headers_complete = on_headers_complete,
    .on_body = on_body,
    .on_message_complete = on_message_complete,
};

void pt__resp_read_init(pt__resp_read_t *rd, pt__http_resp_buf_t *r, bool head)
{
    *rd = (pt__resp_read_t){ .r = r, .head = head };
    llhttp_init(&rd->parser, HTTP_RESPONSE, &parser_settings);
    rd->parser.data = rd;
}

llhttp_errno_t pt__resp_read_feed(pt__resp_read_t *rd, const char *p, size_t n)
{
    return llhttp_execute(&rd->parser, p, n);
}

void pt__resp_read_eof(pt__resp_read_t *rd)
{
    llhttp_finish(&rd->parser);
}
