/* Internal: connections and requests.
 *
 * One request is in flight per connection at a time: when a message is
 * complete the parser pauses, the request runs (in a coroutine), and parsing
 * resumes only after its response is queued. Pipelined requests are thus
 * answered in order, and the bytes behind a paused message wait in `pending`.
 * Responses produced in one read callback are written together. */
#ifndef PT_HTTP_CONN_H
#define PT_HTTP_CONN_H

#include <stdbool.h>
#include <stdint.h>
#include <llhttp.h>
#include <uv.h>

#include "ponty/error.h"
#include "ponty/request.h"
#include "ponty/route.h"
#include "core/buf.h"
#include "core/list.h"
#include "core/sched.h"
#include "route/router.h"

typedef struct pt__worker pt__worker_t;
typedef struct pt__conn pt__conn_t;

/* A connection with no socket (the test client, testclient.c): its response
 * bytes go to write() as they would go to the kernel, its input comes from
 * pt__conn_input, and closed() says the connection closed: no more bytes
 * will be written, the pt__conn_t must no longer be fed, and the sink is
 * not used again (closed() may free it). */
typedef struct pt__conn_sink {
    void (*write)(void *ctx, const char *data, size_t len);
    void (*closed)(void *ctx);
    void  *ctx;
} pt__conn_sink_t;

typedef struct pt__header {
    const char *name, *value;
    size_t      name_len, value_len;
} pt__header_t;

enum pt__conn_state {
    PT_CONN_IDLE,       /* waiting for the first byte of a request */
    PT_CONN_READING,    /* inside a request, before its headers ended */
    PT_CONN_BODY,       /* headers done, body arriving */
    PT_CONN_HANDLING,   /* request complete, handler running */
    PT_CONN_CLOSING,    /* response queued, close when written */
};

#define PT_REQ_INLINE_HEADERS 8

struct pt_req {
    pt__task_t           task;        /* first: a task pointer is a request pointer */
    pt__conn_t          *conn;
    pt_arena_t          arena;

    /* parsed request */
    const char         *method;
    const char         *target;
    const char         *path;
    const char         *query;       /* raw, "" if none */
    pt__header_t        *headers;
    unsigned            nheaders, headers_cap;
    pt__buf_t            body;        /* owned by the connection, reused */
    bool                body_decoded; /* body converted from its charset to UTF-8 */
    int                 http_minor;
    bool                keep_alive;
    bool                is_head;
    const pt_route_def_t *route;
    const struct pt__route_rt *rt;
    void               *input;       /* declared fields (ponty/fields.h) */
    /* The request's JSON: body_tree, parsed once (in the arena), and
     * body_json, jansson values built from it when a field asks. */
    const struct pt_jv *body_tree;
    json_t             *body_json;
    struct pt__bignum   *bigs;        /* body_json's big integers, arena (json_write.h) */

    /* timing for the envelope */
    int64_t             now_ms;

    /* response */
    int                 status;
    int                 envelope_status; /* pt_resp_status; 0: 200 */
    const char         *content_type;
    const char         *resp_body;   /* raw reply or error text, arena */
    size_t              resp_len;
    /* The response's JSON: resp_json is the envelope's data when
     * `envelope`, else the whole body (pt_reply_json, a raise's .body);
     * resp_tree or resp_desc + resp_obj replace the envelope's data when
     * the handler returned pt_data_tree's / pt_data_struct's null. */
    json_t             *resp_json;
    const struct pt_jv *resp_tree;
    const struct pt_struct_desc *resp_desc;
    const void         *resp_obj;
    pt__header_t        *resp_headers;
    unsigned            nresp_headers, resp_headers_cap;
    bool                answered;    /* pt_reply, pt_raise or framework error */
    bool                envelope;

    /* hooks and observation (hooks.c, observe.c) */
    unsigned char       phase;       /* 0 handler, 1 after/error hooks */
    bool                observed;    /* counted as in flight by observe.c */
    const struct pt_reqfield *err_field; /* the declared field being extracted */
    const char         *err_path;    /* body: JSON Pointer of the failing value */
    const char         *request_id;
    const char         *peer;        /* pt_req_peer, once asked */
    int                 peer_port;
    uint64_t            t0_ns;       /* uv_hrtime at dispatch, when observed */

    /* Last: pt__req_reset clears everything before match.captures (400
     * bytes the router writes before anything reads them). */
    pt__route_match_t    match;
    pt_req_t           *next_parked; /* on the worker's list of parked requests */
    /* The first PT_REQ_INLINE_HEADERS request headers: most requests have
     * no more, and they then take nothing from the arena. Not cleared by
     * the reset either: nheaders says which are set. */
    pt__header_t        headers_inline[PT_REQ_INLINE_HEADERS];
};

struct pt__conn {
    uv_tcp_t            tcp;         /* first: handle pointer is conn pointer */
    pt__worker_t        *worker;
    int                 fd;          /* the socket, for writes made directly */
    llhttp_t            parser;
    enum pt__conn_state  state;
    pt__link_t           in_list;     /* timeout list membership */
    int                 list;        /* which timeout list, 0 none */
    int64_t             since;       /* ms on the loop clock, for timeouts */
    int64_t             queued;      /* `since` when appended to its list (the list's order) */

    /* The request being read or handled; taken at a message's first byte
     * (from the worker's parked ones, else allocated) and given back, with
     * every buffer, when the connection goes idle: an idle keep-alive
     * connection holds only this struct. */
    pt_req_t           *req;
    pt__buf_t           tok;         /* a URL / header field / value cut by the end of a read */
    const char         *span;        /* the current token where it lies in the input, or NULL */
    size_t              span_len;
    const char         *cur_field;   /* the name of the field being read */
    size_t              cur_field_len;
    bool                field_in_input; /* cur_field points into the input (conn_parse.c) */
    size_t              header_bytes;

    pt__buf_t            pending;     /* unparsed input behind a paused message */
    pt__buf_t            out;         /* responses not yet handed to the kernel */
    bool                out_borrowed; /* `out` is the worker's spare, the own one is there */
    pt__buf_t            wbuf;        /* bytes of the write in flight */
    uv_write_t          wreq;
    bool                writing;
    size_t              queued_at_check; /* write queue size at the last timeout check */
    bool                reading;
    bool                close_after_write;
    bool                closed;
    bool                handle_closed; /* libuv's close callback ran */
    bool                in_feed;     /* inside conn_feed (conn.c): flush at its end */
    bool                answered_one; /* a response was queued: idle now means keep-alive idle */
    int                 parse_error; /* status to answer for a bad request, 0 none */
    const char         *parse_error_text;
    /* Scanning a request head for obsolete line folding (a line that starts
     * with SP or HT), which llhttp folds into the previous value. */
    bool                head_scan;   /* inside a head not yet scanned to its end */
    bool                head_lf;     /* the last byte scanned ended a line */
    bool                head_seen;   /* a byte other than CR/LF was scanned */
    unsigned char       nhost;       /* Host fields in this request */
    /* The last Host value found valid on this connection (host_ok_len 0:
     * none): a keep-alive client sends the same one with every request,
     * which is then compared, not checked again (conn_parse.c). */
    unsigned char       host_ok_len;
    char                host_ok[46];
    /* Chunk-size lines are read by conn_feed (conn.c), not llhttp (whose version
     * refuses valid chunk extensions): the parser pauses where one begins,
     * the line is checked and handed to llhttp without its extensions. A
     * line split across reads waits in `tok`. */
    bool                chunk_line;  /* the next input is a chunk-size line */
    unsigned char       chunk_crlf;  /* 1: a chunk's data ended, its CRLF is next (2: CR seen) */
    bool                last_chunk;  /* the chunk being read has size 0 */
    /* Not NULL: no socket behind `tcp` (never opened); output goes to the
     * sink and `reading` is only a flag (see pt__conn_open_sink). */
    const pt__conn_sink_t *sink;
};

void pt__conn_accept(pt__worker_t *w, uv_stream_t *server);
/* Serves a socket accepted by hand (the listener's queue drained at
 * shutdown). Returns -1 (fd left to the caller) if it cannot. */
int  pt__conn_adopt(pt__worker_t *w, int fd);
/* At the shutdown deadline: a connection whose handler still runs gets a
 * 503 with Connection: close (best effort), then is closed. */
void pt__conn_abandon(pt__conn_t *c);
/* A connection without a socket on w's loop: served like an accepted one,
 * its output handed to sink instead of written. The sink stays valid until
 * its closed() runs, which may happen before this returns (over the
 * connection limit it answers 503 and closes at once). NULL when out of
 * memory. */
pt__conn_t *pt__conn_open_sink(pt__worker_t *w, const pt__conn_sink_t *sink);
/* Input for c, as a read of n bytes (n > 0) or its end (n < 0, UV_EOF)
 * hands it: the read callback's own entry point. While c->reading is false
 * the connection wants no more input yet. */
void pt__conn_input(pt__conn_t *c, const char *data, ssize_t n);
/* A request's answer is decided: queue it and go on with the connection. */
void pt__conn_request_done(pt__conn_t *c);
/* Timeout sweep and shutdown helpers. */
void pt__conn_expire(pt__conn_t *c);

/* The reading half (conn_parse.c). */
extern llhttp_settings_t pt__conn_settings;       /* llhttp's callbacks, for every connection */
pt_req_t *pt__conn_req(pt__conn_t *c);            /* the request being read, taken on first use */
/* A callback failing with a status: the request is answered with it
 * (text NULL: the status's default text) and the connection closed;
 * returns -1 for llhttp to stop. */
int  pt__conn_fail(pt__conn_t *c, int status, const char *text);
/* The input is about to go: copies what still points into it (a token
 * cut by its end, a field name waiting for its value). Inline: at the end
 * of nearly every input there is nothing to copy. */
void pt__conn_tok_keep_slow(pt__conn_t *c);
static inline void pt__conn_tok_keep(pt__conn_t *c)
{
    if (c->span || c->field_in_input)
        pt__conn_tok_keep_slow(c);
}
void pt__conn_trim(pt__conn_t *c);                /* idle: give back the request and buffers */
void pt__conn_close(pt__conn_t *c);

/* Response assembly (response.c). */
void pt__resp_write(pt__conn_t *c, pt_req_t *r);
void pt__resp_simple(pt__conn_t *c, int status, const char *text, bool close);
void pt__resp_date_refresh(pt__worker_t *w);

/* Records the answer to a raise in request task t (error.c). */
void pt__req_raise(pt__task_t *t, int status, const pt_raise_opts_t *o);

/* Requests (request.c). */
void pt__req_reset(pt_req_t *r);
void pt__req_init(pt_req_t *r, pt__conn_t *c);
void pt__req_destroy(pt_req_t *r);
/* Frees the requests parked on w (at the worker's exit). */
void pt__conn_parked_free(pt__worker_t *w);
void pt__req_add_header(pt_req_t *r, const char *name, size_t nlen, const char *value, size_t vlen);
void pt__req_dispatch(pt_req_t *r);
/* First value of a query key: 1 found (*value, NUL-terminated, and its
 * length *len, which counts any %00 inside), 0 absent, -1 malformed escape. */
int  pt__req_query_lookup(const pt_req_t *r, const char *key, const char **value, size_t *len);
/* A route placeholder's value and its length (which counts any %00 inside),
 * or NULL. */
const char *pt__req_param_n(const pt_req_t *r, const char *name, size_t *len);

/* Request parsing helpers, what declared fields read through
 * pt__fields_req_ops_t (fields/fields_rt.h). */
/* A cookie's value (arena copy, its length in *len) or NULL (cookie.c). */
const char *pt__cookie_value(pt_req_t *r, const char *name, size_t *len);
/* Converts the request body to UTF-8 from the charset its Content-Type
 * names (charset.c), once. 0, or a status (415 unknown charset, 400 bytes
 * invalid in it) with the message in *why. */
int         pt__req_body_decode(pt_req_t *r, const char **why);
/* True if the media type of a Content-Type value is `want` (body.c). */
bool        pt__media_type_is(const char *content_type, const char *want);
/* The body as UTF-8, as a JSON tree, as jansson values: each made once per
 * request; they raise 415/400/500 when the body cannot be read so (body.c). */
const char *pt__req_body_text(pt_req_t *r, size_t *len);
const struct pt_jv *pt__req_body_tree(pt_req_t *r);
json_t     *pt__req_body_json(pt_req_t *r);

#endif
