/* Response assembly: status line, headers, the JSON envelope, error bodies. */
#define _GNU_SOURCE
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "ponty/error.h"
#include "http/conn.h"
#include "http/json_write.h"
#include "http/worker.h"

#define PT_JSON_CT "application/json; charset=utf-8"
#define PT_TEXT_CT "text/plain; charset=utf-8"

/* The content types ponty itself answers with, as objects: head
 * recognises them by address and copies their header line whole. */
static const char json_ct[] = PT_JSON_CT;
static const char text_ct[] = PT_TEXT_CT;

/* The Date and Server lines, as pt__resp_date_refresh formats them. */
#define PT_DATE_LINES_LEN (sizeof "Date: Sun, 06 Nov 1994 08:49:37 GMT\r\nServer: ponty\r\n" - 1)

/* The Date and Server lines change once a second: format them then, not per
 * response. */
void pt__resp_date_refresh(pt__worker_t *w)
{
    uint64_t sec = uv_now(&w->loop) / 1000;
    if (w->date_len && sec == w->date_stamp)
        return;
    w->date_stamp = sec;
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    w->date_len = strftime(w->date, sizeof w->date, "Date: %a, %d %b %Y %H:%M:%S GMT\r\nServer: ponty\r\n", &tm);
}

/* Copies n bytes to p and returns the end: the head is written through one
 * cursor into space reserved once, and a constant n becomes plain moves. */
static inline char *put(char *p, const void *s, size_t n)
{
    memcpy(p, s, n);
    return p + n;
}
#define PT_PUT_LIT(p, lit) put((p), (lit), sizeof(lit) - 1)

/* Bytes a header line adds beyond its name and value: ": " and CRLF. */
#define PT_LINE_EXTRA 4

static void head(pt__conn_t *c, int status, const char *ctype, size_t len, bool keep_alive,
                 int http_minor, const pt__header_t *extra, unsigned nextra)
{
    pt__worker_t *w = c->worker;
    pt__buf_t *o = &c->out;
    pt__resp_date_refresh(w);
    /* Callers clamp final statuses to 200..999; interim ones are 1xx. */
    const char *reason = status == 200 ? NULL : pt_status_reason(status);
    size_t reason_len = reason ? strlen(reason) : 0;
    size_t ctype_len = ctype == json_ct ? sizeof json_ct - 1
                     : ctype == text_ct ? sizeof text_ct - 1
                     : ctype ? strlen(ctype) : 0;
    /* Everything but the extra headers fits in this: status line, the
     * Content-Type and Content-Length lines, Date and Server, Connection and
     * the blank line. */
    size_t need = 64 + reason_len + ctype_len + 64 + w->date_len + 32;
    for (unsigned i = 0; i < nextra; i++)
        need += extra[i].name_len + extra[i].value_len + PT_LINE_EXTRA;
    pt__buf_reserve(o, need);
    char *p = o->data + o->len;
    if (status == 200) {
        p = PT_PUT_LIT(p, "HTTP/1.1 200 OK\r\n");
    } else {
        p = PT_PUT_LIT(p, "HTTP/1.1 ");
        *p++ = (char)('0' + status / 100 % 10);
        *p++ = (char)('0' + status / 10 % 10);
        *p++ = (char)('0' + status % 10);
        *p++ = ' ';
        p = put(p, reason, reason_len);
        p = PT_PUT_LIT(p, "\r\n");
    }
    if (ctype == json_ct) {
        p = PT_PUT_LIT(p, "Content-Type: " PT_JSON_CT "\r\n");
    } else if (ctype) {
        p = PT_PUT_LIT(p, "Content-Type: ");
        p = put(p, ctype, ctype_len);
        p = PT_PUT_LIT(p, "\r\n");
    }
    /* RFC 9110 8.6: no Content-Length on 1xx and 204. */
    if (status >= 200 && status != 204) {
        p = PT_PUT_LIT(p, "Content-Length: ");
        p = pt__fmt_int(p, (long long)len);
        p = PT_PUT_LIT(p, "\r\n");
    }
    /* Date and Server: an IMF-fixdate has a fixed length, and a copy of a
     * constant length is a few moves, not a call. */
    if (w->date_len == PT_DATE_LINES_LEN)
        p = put(p, w->date, PT_DATE_LINES_LEN);
    else
        p = put(p, w->date, w->date_len);
    if (!keep_alive)
        p = PT_PUT_LIT(p, "Connection: close\r\n");
    else if (http_minor == 0)
        p = PT_PUT_LIT(p, "Connection: keep-alive\r\n");
    for (unsigned i = 0; i < nextra; i++) {
        p = put(p, extra[i].name, extra[i].name_len);
        p = PT_PUT_LIT(p, ": ");
        p = put(p, extra[i].value, extra[i].value_len);
        p = PT_PUT_LIT(p, "\r\n");
    }
    p = PT_PUT_LIT(p, "\r\n");
    o->len = (size_t)(p - o->data);
}

void pt__resp_write(pt__conn_t *c, pt_req_t *r)
{
    pt__worker_t *w = c->worker;
    int status = r->status ? r->status : 500;
    if (status < 200 || status > 999) {
        /* 1xx are interim answers; a handler cannot end a request with one. */
        fprintf(stderr, "ponty: %s %s: invalid final status %d; answering 500\n", r->method, r->path, status);
        status = 500;
        r->envelope = false;
        r->resp_body = NULL;
        if (r->resp_json) {
            json_decref(r->resp_json);
            r->resp_json = NULL;
        }
    }
    const char *ctype = r->content_type;
    const char *body;
    size_t len;
    char deftext[64];

    if (r->envelope) {
        pt__buf_t *s = &w->scratch;
        s->len = 0;
        /* `now` changes once a millisecond: the envelope's opening up to
         * the data is formatted then and copied whole until it changes. */
        if (r->now_ms != w->env_now || !w->env_head_len) {
            char *h = PT_PUT_LIT(w->env_head, "{\"now\": "); /* 8 + 20 + 10 bytes at most */
            h = pt__fmt_int(h, r->now_ms);
            h = PT_PUT_LIT(h, ", \"data\": ");
            w->env_head_len = (size_t)(h - w->env_head);
            w->env_now = r->now_ms;
        }
        pt__buf_append(s, w->env_head, w->env_head_len);
        /* pt_data_tree / pt_data_struct: the handler returned their null */
        int rc = r->resp_json == json_null() && r->resp_tree ? pt__json_write_jv(s, r->resp_tree)
               : r->resp_json == json_null() && r->resp_desc ? pt__json_write_struct(s, r->resp_desc, r->resp_obj)
               : pt__json_write(s, r->resp_json, r->bigs);
        if (rc != 0) {
            fprintf(stderr, "ponty: %s %s: response value nested too deeply\n", r->method, r->path);
            status = 500;
            goto plain;
        }
        pt__buf_append(s, ", \"elapsed\": ", 13);
        /* One clock read per end: elapsed is measured on the wall clock
         * "now" came from, clamped at 0 should that clock step back. */
        int64_t elapsed = pt_now_ms() - r->now_ms;
        pt__buf_int(s, elapsed > 0 ? elapsed : 0);
        pt__buf_append(s, "}", 1);
        body = s->data;
        len = s->len;
        ctype = json_ct;
    } else if (r->resp_json) {
        pt__buf_t *s = &w->scratch;
        s->len = 0;
        if (pt__json_write(s, r->resp_json, r->bigs) != 0) {
            status = 500;
            goto plain;
        }
        body = s->data;
        len = s->len;
        if (!ctype)
            ctype = json_ct;
    } else if (r->resp_body) {
        body = r->resp_body;
        len = r->resp_len;
        if (!ctype && r->status >= 400)
            ctype = text_ct;
    } else {
    plain:
        len = (size_t)snprintf(deftext, sizeof deftext, "%d: %s", status, pt_status_reason(status));
        body = deftext;
        if (!ctype || r->envelope || r->resp_json)
            ctype = text_ct;
    }
    if (status == 204 || status == 304)
        len = 0;
    head(c, status, ctype, len, r->keep_alive, r->http_minor, r->resp_headers, r->nresp_headers);
    if (!r->is_head && len)
        pt__buf_append(&c->out, body, len);
}

void pt__resp_simple(pt__conn_t *c, int status, const char *text, bool close)
{
    char deftext[64];
    if (!text) {
        snprintf(deftext, sizeof deftext, "%d: %s", status, pt_status_reason(status));
        text = deftext;
    }
    size_t len = strlen(text);
    head(c, status, text_ct, len, !close, 1, NULL, 0);
    pt__buf_append(&c->out, text, len);
    if (close)
        c->close_after_write = true;
}
