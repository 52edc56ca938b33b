/* Hooks around handlers, the JSON error format, CORS, the request id and the
 * client's address. See ponty/hooks.h. */
#define _GNU_SOURCE
#include "ponty/hooks.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include "ponty/error.h"
#include "ponty/fields.h"
#include "http/observe.h"

/* Hook sets in the order added; table NULL = global. Written only while no
 * worker serves, read without locks while they do. */
typedef struct hook_entry {
    const pt_route_table_t *table;
    pt_hooks_t              hooks;
} hook_entry_t;

static hook_entry_t *entries;
static size_t nentries, capentries;
static bool serving;

bool pt__hooks_any;
bool pt__hooks_global;

void pt__hooks_serving(bool on) { serving = on; }

int pt_hooks_add(pt_route_table_t *t, const pt_hooks_t *h)
{
    if (serving) {
        fprintf(stderr, "ponty: pt_hooks_add while the server runs: add hooks before pt_run\n");
        return -1;
    }
    if (!h || (!h->before && !h->after && !h->on_error)) {
        fprintf(stderr, "ponty: pt_hooks_add: no hook given\n");
        return -1;
    }
    if (nentries == capentries) {
        size_t ncap = capentries ? capentries * 2 : 8;
        hook_entry_t *grown = realloc(entries, ncap * sizeof *grown);
        if (!grown) {
            fprintf(stderr, "ponty: pt_hooks_add: out of memory\n");
            return -1;
        }
        entries = grown;
        capentries = ncap;
    }
    entries[nentries++] = (hook_entry_t){ t, *h };
    pt__hooks_any = true;
    if (!t)
        pt__hooks_global = true;
    return 0;
}

void pt_hooks_clear(void)
{
    if (serving)
        return;
    free(entries);
    entries = NULL;
    nentries = capentries = 0;
    pt__hooks_any = pt__hooks_global = false;
}

static bool applies(const hook_entry_t *e, const pt__route_rt_t *rt)
{
    return !e->table || (rt && e->table == rt->table);
}

void pt__hooks_before(pt_req_t *r, const pt__route_rt_t *rt)
{
    /* Global sets first, then the table's: a global check (auth, CORS)
     * sees the request before anything specific to the route. */
    for (int pass = 0; pass < 2; pass++)
        for (size_t i = 0; i < nentries; i++) {
            const hook_entry_t *e = &entries[i];
            if (!e->hooks.before || (pass == 0) != (e->table == NULL) || !applies(e, rt))
                continue;
            e->hooks.before(r, e->hooks.arg);
            if (r->answered)
                return;
        }
}

bool pt__hooks_after_wanted(const pt_req_t *r)
{
    for (size_t i = 0; i < nentries; i++)
        if ((entries[i].hooks.after || entries[i].hooks.on_error) && applies(&entries[i], r->rt))
            return true;
    return false;
}

void pt__hooks_after(pt_req_t *r)
{
    /* The table's sets first, then the global ones: the outermost layer
     * (a global error format) has the last word. */
    if (pt_resp_get_status(r) >= 400)
        for (int pass = 0; pass < 2; pass++)
            for (size_t i = 0; i < nentries; i++) {
                const hook_entry_t *e = &entries[i];
                if (e->hooks.on_error && (pass == 0) == (e->table != NULL) && applies(e, r->rt))
                    e->hooks.on_error(r, e->hooks.arg);
            }
    for (int pass = 0; pass < 2; pass++)
        for (size_t i = 0; i < nentries; i++) {
            const hook_entry_t *e = &entries[i];
            if (e->hooks.after && (pass == 0) == (e->table != NULL) && applies(e, r->rt))
                e->hooks.after(r, e->hooks.arg);
        }
}

/* ---- what hooks read ---- */

int pt_resp_get_status(const pt_req_t *r)
{
    if (r->status)
        return r->status;
    if (r->answered)
        return 500;
    return r->envelope_status ? r->envelope_status : (r->phase ? 200 : 0);
}

const char *pt_resp_text(const pt_req_t *r, size_t *len)
{
    size_t dummy;
    if (!len)
        len = &dummy;
    if (r->resp_json)
        return NULL;
    if (r->resp_body) {
        *len = r->resp_len;
        return r->resp_body;
    }
    int status = pt_resp_get_status(r);
    if (status < 400)
        return NULL;
    char *s = pt_arena_printf((pt_arena_t *)&r->arena, "%d: %s", status, pt_status_reason(status));
    *len = strlen(s);
    return s;
}

pt_error_origin_t pt_req_error_origin(const pt_req_t *r)
{
    pt_error_origin_t o = { 0 };
    const pt_reqfield_t *f = r->err_field;
    if (!f)
        return o;
    o.field = f->key ? f->key : f->name;
    switch (f->src) {
    case PT_SRC_ROUTE: o.in = "route"; break;
    case PT_SRC_QUERY: o.in = "query"; break;
    case PT_SRC_HEADER: o.in = "header"; break;
    case PT_SRC_COOKIE: o.in = "cookie"; break;
    default: o.in = "body"; o.path = r->err_path; break;
    }
    return o;
}

/* ---- the JSON error format ---- */

static void json_errors(pt_req_t *r, void *arg)
{
    (void)arg;
    size_t len;
    const char *text = pt_resp_text(r, &len);
    if (!text)
        return;
    int status = pt_resp_get_status(r);
    json_t *err = json_pack("{s:i,s:s%}", "status", status, "message", text, len);
    if (!err)
        return; /* not UTF-8: keep the text answer */
    pt_error_origin_t o = pt_req_error_origin(r);
    if (o.field)
        json_object_set_new(err, "field", json_string(o.field));
    if (o.in)
        json_object_set_new(err, "in", json_string(o.in));
    if (o.path)
        json_object_set_new(err, "path", json_string(o.path));
    pt_reply_json(r, status, json_pack("{s:o}", "error", err));
}

const pt_hooks_t pt_hooks_json_errors = { .on_error = json_errors };

/* ---- CORS ---- */

typedef struct cors {
    pt_hooks_t hooks;
    char      *origins, *methods, *headers, *expose, *max_age;
    bool       any, credentials;
} cors_t;

/* Whether origin is one of the comma-separated list's entries. */
static bool list_has(const char *list, const char *item)
{
    size_t n = strlen(item);
    for (const char *p = list; *p;) {
        while (*p == ' ' || *p == ',')
            p++;
        const char *e = p;
        while (*e && *e != ',')
            e++;
        const char *t = e;
        while (t > p && t[-1] == ' ')
            t--;
        if ((size_t)(t - p) == n && strncasecmp(p, item, n) == 0)
            return true;
        p = e;
    }
    return false;
}

static void cors_before(pt_req_t *r, void *arg)
{
    cors_t *c = arg;
    const char *origin = pt_req_header(r, "Origin");
    if (!origin || !(c->any || list_has(c->origins, origin)))
        return;
    const char *allow = c->any && !c->credentials ? "*" : origin;
    pt_resp_header(r, "Access-Control-Allow-Origin", allow);
    if (allow != origin || !c->any)
        pt_resp_header(r, "Vary", "Origin");
    if (c->credentials)
        pt_resp_header(r, "Access-Control-Allow-Credentials", "true");
    const char *want = pt_req_header(r, "Access-Control-Request-Method");
    if (strcmp(pt_req_method(r), "OPTIONS") == 0 && want) {
        pt_resp_header(r, "Access-Control-Allow-Methods", c->methods);
        const char *hdrs = c->headers ? c->headers : pt_req_header(r, "Access-Control-Request-Headers");
        if (hdrs && *hdrs)
            pt_resp_header(r, "Access-Control-Allow-Headers", hdrs);
        pt_resp_header(r, "Access-Control-Max-Age", c->max_age);
        pt_reply(r, 204, NULL, NULL, 0);
        return;
    }
    if (c->expose)
        pt_resp_header(r, "Access-Control-Expose-Headers", c->expose);
}

static char *dup_or(const char *s, const char *dflt)
{
    s = s ? s : dflt;
    return s ? strdup(s) : NULL;
}

/* The sets live for the process (hook lists keep pointers to them); the
 * list of them is freed at exit so leak checkers see an owner. */
static cors_t **cors_sets;
static size_t ncors;

static void cors_free_all(void)
{
    for (size_t i = 0; i < ncors; i++) {
        cors_t *c = cors_sets[i];
        free(c->origins), free(c->methods), free(c->headers), free(c->expose), free(c->max_age);
        free(c);
    }
    free(cors_sets);
    cors_sets = NULL;
    ncors = 0;
}

const pt_hooks_t *pt_cors_opts(const pt_cors_opts_t *o)
{
    cors_t **grown = realloc(cors_sets, (ncors + 1) * sizeof *grown);
    cors_t *c = calloc(1, sizeof *c);
    if (!grown || !c) {
        fprintf(stderr, "ponty: pt_cors: out of memory\n");
        abort();
    }
    if (!cors_sets)
        atexit(cors_free_all);
    cors_sets = grown;
    cors_sets[ncors++] = c;
    c->origins = dup_or(o->origins, "*");
    c->any = strcmp(c->origins, "*") == 0;
    c->methods = dup_or(o->methods, "GET, POST, PUT, PATCH, DELETE, OPTIONS");
    c->headers = dup_or(o->headers, NULL);
    c->expose = dup_or(o->expose, NULL);
    c->credentials = o->credentials != 0;
    if (asprintf(&c->max_age, "%d", o->max_age > 0 ? o->max_age : 600) < 0)
        abort();
    c->hooks = (pt_hooks_t){ .before = cors_before, .arg = c };
    return &c->hooks;
}

/* ---- request id and peer ---- */

const char *pt_req_id(const pt_req_t *r) { return r->request_id; }

/* With observation on, every request's peer is logged: a small
 * direct-mapped cache per worker thread keeps one getpeername per
 * connection instead of one per request. An entry is forgotten when its
 * connection is opened or freed (pt__observe_conn), so a reused address
 * never shows the previous client. Off, nothing invalidates it, so it is
 * not used. */
#define PEER_SLOTS 64
typedef struct peer_slot {
    const pt__conn_t *conn;
    int              port;
    char             addr[INET6_ADDRSTRLEN];
} peer_slot_t;
static _Thread_local peer_slot_t peer_cache[PEER_SLOTS];

static peer_slot_t *peer_slot(const pt__conn_t *c)
{
    return &peer_cache[((uintptr_t)c >> 6) % PEER_SLOTS];
}

void pt__peer_forget(const pt__conn_t *c)
{
    peer_slot_t *s = peer_slot(c);
    if (s->conn == c)
        s->conn = NULL;
}

const char *pt_req_peer(pt_req_t *r, int *port)
{
    if (!r->peer && r->conn && pt__observe_on) {
        peer_slot_t *s = peer_slot(r->conn);
        if (s->conn == r->conn) {
            /* Copied: another connection may take the slot while this
             * request waits. */
            r->peer = pt_arena_strdup(&r->arena, s->addr);
            r->peer_port = s->port;
        }
    }
    if (!r->peer && r->conn) {
        struct sockaddr_storage ss;
        int len = sizeof ss;
        char buf[INET6_ADDRSTRLEN];
        if (uv_tcp_getpeername(&r->conn->tcp, (struct sockaddr *)&ss, &len) == 0) {
            if (ss.ss_family == AF_INET) {
                const struct sockaddr_in *a = (const struct sockaddr_in *)&ss;
                inet_ntop(AF_INET, &a->sin_addr, buf, sizeof buf);
                r->peer_port = ntohs(a->sin_port);
                r->peer = pt_arena_strdup(&r->arena, buf);
            } else if (ss.ss_family == AF_INET6) {
                const struct sockaddr_in6 *a = (const struct sockaddr_in6 *)&ss;
                inet_ntop(AF_INET6, &a->sin6_addr, buf, sizeof buf);
                r->peer_port = ntohs(a->sin6_port);
                r->peer = pt_arena_strdup(&r->arena, buf);
            }
            if (r->peer && pt__observe_on) {
                peer_slot_t *s = peer_slot(r->conn);
                s->conn = r->conn;
                s->port = r->peer_port;
                snprintf(s->addr, sizeof s->addr, "%s", r->peer);
            }
        }
    }
    if (port)
        *port = r->peer ? r->peer_port : 0;
    return r->peer;
}
