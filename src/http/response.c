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

/* The Date header changes once a second: format it then, not per response. */
void pt__resp_date_refresh(pt__worker_t *w)
{
    uint64_t sec = uv_now(&w->loop) / 1000;
    if (w->date_len && sec == w->date_stamp)
        return;
    w->date_stamp = sec;
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    w->date_len = strftime(w->date, sizeof w->date, "Date: %a, %d %b %Y %H:%M:%S GMT\r\n", &tm);
}

static void head(pt__conn_t *c, int status, const char *ctype, size_t len, bool keep_alive,
                    int http_minor, const pt__header_t *extra, unsigned nextra)
{
    pt__worker_t *w = c->worker;
    pt__buf_t *o = &c->out;
    pt__resp_date_refresh(w);
    pt__buf_reserve(o, 256);
    pt__buf_append(o, "HTTP/1.1 ", 9);
    pt__buf_int(o, status);
    pt__buf_append(o, " ", 1);
    pt__buf_puts(o, pt_status_reason(status));
    pt__buf_append(o, "\r\n", 2);
    if (ctype) {
        pt__buf_append(o, "Content-Type: ", 14);
        pt__buf_puts(o, ctype);
        pt__buf_append(o, "\r\n", 2);
    }
    /* RFC 9110 8.6: no Content-Length on 1xx and 204. */
    if (status >= 200 && status != 204) {
        pt__buf_append(o, "Content-Length: ", 16);
        pt__buf_int(o, (long long)len);
        pt__buf_append(o, "\r\n", 2);
    }
    pt__buf_append(o, w->date, w->date_len);
    pt__buf_append(o, "Server: ponty\r\n", 15);
    if (!keep_alive)
        pt__buf_append(o, "Connection: close\r\n", 19);
    else if (http_minor == 0)
        pt__buf_append(o, "Connection: keep-alive\r\n", 24);
    for (unsigned i = 0; i < nextra; i++) {
        pt__buf_append(o, extra[i].name, extra[i].name_len);
        pt__buf_append(o, ": ", 2);
        pt__buf_append(o, extra[i].value, extra[i].value_len);
        pt__buf_append(o, "\r\n", 2);
    }
    pt__buf_append(o, "\r\n", 2);
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
        pt__buf_append(s, "{\"now\": ", 8);
        pt__buf_int(s, r->now_ms);
        pt__buf_append(s, ", \"data\": ", 10);
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
        ctype = PT_JSON_CT;
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
            ctype = PT_JSON_CT;
    } else if (r->resp_body) {
        body = r->resp_body;
        len = r->resp_len;
        if (!ctype && r->status >= 400)
            ctype = PT_TEXT_CT;
    } else {
    plain:
        len = (size_t)snprintf(deftext, sizeof deftext, "%d: %s", status, pt_status_reason(status));
        body = deftext;
        if (!ctype || r->resp_json)
            ctype = PT_TEXT_CT;
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
    head(c, status, PT_TEXT_CT, len, !close, 1, NULL, 0);
    pt__buf_append(&c->out, text, len);
    if (close)
        c->close_after_write = true;
}
