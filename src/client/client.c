/* The pooled HTTP client: see include/ponty/client.h.
 *
 * Here: the registry of named clients (options, default headers, the
 * process-wide pt_sem_t that bounds leases), leases, and requests and
 * responses, shared by the per-thread engine (engine.c: curl multi on the
 * worker's libuv loop) and the plain-thread path (curl_easy_perform). */
#define _GNU_SOURCE
#include "ponty/client.h"

#include <curl/curl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include "ponty/error.h"
#include "ponty/request.h"
#include "ponty/resilience.h"
#include "ponty/sync.h"
#include "client/engine.h"
#include "client/native.h"
#include "core/context.h"
#include "core/sched.h"

#define DEFAULT_NAME "_default"

/* ---------------------------------------------------------------------------
 * Registry
 * ------------------------------------------------------------------------- */

typedef struct client {
    struct client     *next;        /* every client a provider was built for */
    char              *name;
    char              *base_url;    /* NULL: absolute URLs only */
    unsigned           timeout_ms;
    unsigned           limit;
    size_t             max_body;
    struct curl_slist *headers;     /* the client's own, built once */
    char              *cookie;      /* "a=b; c=d", or NULL */
    char              *native_hdrs; /* the headers and cookie as "Name: value\r\n" lines (native path) */
    size_t             native_hdrs_len;
    unsigned           native_flags; /* PT__HTTP_HAS_*: they name Host or Accept */
    pt_sem_t           sem;
    pt_breaker_t      *breaker;     /* borrowed, optional */
    _Atomic int64_t    leased;      /* leases out now */
    _Atomic uint64_t   requests, errors; /* requests made; those that failed (error set) */
    pt_throttle_t     *throttle;    /* borrowed, optional */
    bool               started;
    bool               malformed;   /* a header or cookie with CR, LF or a misplaced separator */
} client_t;

/* Clients live as long as the process: a provider may be started by several
 * pt_run calls in turn, and the list keeps what it built reachable. */
static pthread_mutex_t reg_lk = PTHREAD_MUTEX_INITIALIZER;
static client_t *clients;

void *pt__http_xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (!p) {
        fprintf(stderr, "ponty: out of memory in the HTTP client\n");
        abort();
    }
    return p;
}

static char *xstrdup(const char *s) { return s ? strcpy(pt__http_xmalloc(strlen(s) + 1), s) : NULL; }

/* CR, LF or NUL inside a header would let one header smuggle another. */
static bool header_ok(const char *name, const char *value)
{
    if (!name || !*name || !value || strpbrk(name, "\r\n:") || strpbrk(value, "\r\n"))
        return false;
    return true;
}

static int client_startup(void *arg)
{
    client_t *c = arg;
    if (c->malformed) {
        fprintf(stderr, "ponty: HTTP client '%s': a default header or cookie holds CR, LF or a misplaced "
                        "':', ';' or '='\n", c->name);
        return -1;
    }
    pthread_mutex_lock(&reg_lk);
    for (client_t *o = clients; o; o = o->next)
        if (o != c && o->started && strcmp(o->name, c->name) == 0) {
            pthread_mutex_unlock(&reg_lk);
            fprintf(stderr, "ponty: HTTP client '%s' is already registered: client names must be unique\n",
                    c->name);
            return -1;
        }
    if (c->started) {
        pthread_mutex_unlock(&reg_lk);
        fprintf(stderr, "ponty: HTTP client '%s' started twice\n", c->name);
        return -1;
    }
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        pthread_mutex_unlock(&reg_lk);
        fprintf(stderr, "ponty: HTTP client '%s': libcurl failed to initialise\n", c->name);
        return -1;
    }
    pt_sem_init(&c->sem, c->limit);
    c->started = true;
    pthread_mutex_unlock(&reg_lk);
    return 0;
}

/* Runs after the workers have stopped: their engines (and so every pooled
 * connection) are gone already; what remains is to forget the name. */
static void client_teardown(void *arg)
{
    client_t *c = arg;
    pthread_mutex_lock(&reg_lk);
    if (c->started) {
        c->started = false;
        pt_sem_destroy(&c->sem);
        curl_global_cleanup();
    }
    pthread_mutex_unlock(&reg_lk);
}

pt_provider_t pt_http_client_provider_opts(const pt_http_client_opts_t *o)
{
    client_t *c = pt__http_xmalloc(sizeof *c);
    memset(c, 0, sizeof *c);
    c->name = xstrdup(o->name && *o->name ? o->name : DEFAULT_NAME);
    c->base_url = o->base_url && *o->base_url ? xstrdup(o->base_url) : NULL;
    c->timeout_ms = o->timeout_ms ? o->timeout_ms : 5000;
    c->limit = o->limit ? o->limit : 100;
    c->max_body = o->max_body ? o->max_body : (size_t)16 << 20;
    c->breaker = o->breaker;
    c->throttle = o->throttle;
    bool bad = false;
    for (const char *const *h = o->headers; h && h[0]; h += 2) {
        if (!header_ok(h[0], h[1])) {
            bad = true;
            continue;
        }
        char *line;
        if (asprintf(&line, "%s: %s", h[0], h[1]) < 0)
            abort();
        c->headers = curl_slist_append(c->headers, line);
        free(line);
    }
    size_t clen = 0;
    for (const char *const *k = o->cookies; k && k[0]; k += 2) {
        if (!k[1] || strpbrk(k[0], "\r\n;=") || strpbrk(k[1], "\r\n;")) {
            bad = true;
            continue;
        }
        size_t add = strlen(k[0]) + strlen(k[1]) + 3;
        c->cookie = realloc(c->cookie, clen + add + 1);
        if (!c->cookie)
            abort();
        clen += (size_t)sprintf(c->cookie + clen, "%s%s=%s", clen ? "; " : "", k[0], k[1]);
    }
    /* The native path sends the same headers, rendered once. */
    for (const struct curl_slist *sl = c->headers; sl; sl = sl->next) {
        size_t n = strlen(sl->data);
        c->native_hdrs = realloc(c->native_hdrs, c->native_hdrs_len + n + 3);
        if (!c->native_hdrs)
            abort();
        memcpy(c->native_hdrs + c->native_hdrs_len, sl->data, n);
        memcpy(c->native_hdrs + c->native_hdrs_len + n, "\r\n", 3);
        c->native_hdrs_len += n + 2;
        if (strncasecmp(sl->data, "Host:", 5) == 0)
            c->native_flags |= PT__HTTP_HAS_HOST;
        if (strncasecmp(sl->data, "Accept:", 7) == 0)
            c->native_flags |= PT__HTTP_HAS_ACCEPT;
    }
    if (c->cookie) {
        size_t n = strlen(c->cookie);
        c->native_hdrs = realloc(c->native_hdrs, c->native_hdrs_len + n + 11);
        if (!c->native_hdrs)
            abort();
        c->native_hdrs_len += (size_t)sprintf(c->native_hdrs + c->native_hdrs_len, "Cookie: %s\r\n", c->cookie);
    }
    pthread_mutex_lock(&reg_lk);
    c->next = clients;
    clients = c;
    pthread_mutex_unlock(&reg_lk);
    /* A malformed header or cookie stops the start-up, with a message, rather
     * than being dropped silently. */
    c->malformed = bad;
    return (pt_provider_t){ .name = c->name, .startup = client_startup,
                            .teardown = client_teardown, .arg = c };
}

long pt__http_total_limit(void)
{
    long n = 0;
    pthread_mutex_lock(&reg_lk);
    for (client_t *c = clients; c; c = c->next)
        if (c->started)
            n += c->limit;
    pthread_mutex_unlock(&reg_lk);
    return n > 0 ? n : 100;
}

static client_t *client_find(const char *name)
{
    if (!name || !*name)
        name = DEFAULT_NAME;
    pthread_mutex_lock(&reg_lk);
    client_t *c = clients;
    while (c && !(c->started && strcmp(c->name, name) == 0))
        c = c->next;
    pthread_mutex_unlock(&reg_lk);
    return c;
}

pt_http_client_stats_t pt_http_client_stats(const char *name)
{
    client_t *c = client_find(name);
    if (!c)
        return (pt_http_client_stats_t){ 0 };
    return (pt_http_client_stats_t){ true, c->limit, atomic_load(&c->leased), atomic_load(&c->requests),
                                     atomic_load(&c->errors) };
}

void pt__http_each_client(void (*fn)(const char *name, pt_http_client_stats_t st, void *arg), void *arg);
void pt__http_each_client(void (*fn)(const char *name, pt_http_client_stats_t st, void *arg), void *arg)
{
    pthread_mutex_lock(&reg_lk);
    for (client_t *c = clients; c; c = c->next)
        if (c->started)
            fn(c->name,
               (pt_http_client_stats_t){ true, c->limit, atomic_load(&c->leased), atomic_load(&c->requests),
                                         atomic_load(&c->errors) },
               arg);
    pthread_mutex_unlock(&reg_lk);
}

/* ---------------------------------------------------------------------------
 * Leases
 * ------------------------------------------------------------------------- */

struct pt_http_lease {
    client_t *c;
    bool      released;
    bool      in_req;   /* arena memory: never freed here */
};

static void lease_end_of_request(void *arg) { pt_http_release(arg); }

pt_http_lease_t *pt_http_lease(const char *name)
{
    client_t *c = client_find(name);
    if (!c)
        return NULL;
    pt_sem_wait(&c->sem);
    atomic_fetch_add_explicit(&c->leased, 1, memory_order_relaxed);
    pt_arena_t *arena = pt__task_arena();
    pt_http_lease_t *l;
    if (arena) {
        l = pt_arena_calloc(arena, sizeof *l);
        l->in_req = true;
        /* The safety net: a raise or an early return still gives the
         * position back when the request ends. */
        pt_arena_defer(arena, lease_end_of_request, l);
    } else {
        l = pt__http_xmalloc(sizeof *l);
        l->in_req = false;
    }
    l->c = c;
    l->released = false;
    return l;
}

pt_http_lease_t *pt_http_lease_or_raise(const char *name)
{
    pt_http_lease_t *l = pt_http_lease(name);
    if (!l)
        pt_raise_status(500, .text = pt__task_strf("no HTTP client named '%s'",
                                             name && *name ? name : DEFAULT_NAME));
    return l;
}

void pt_http_release(pt_http_lease_t *l)
{
    if (!l || l->released)
        return;
    l->released = true;
    atomic_fetch_sub_explicit(&l->c->leased, 1, memory_order_relaxed);
    pt_sem_post(&l->c->sem);
    if (!l->in_req)
        free(l);
}

/* ---------------------------------------------------------------------------
 * Responses
 * ------------------------------------------------------------------------- */

typedef struct resp {
    pt_http_response_t  pub;
    char   *msg;
    bool    in_req;
    bool    freed;
    pt__http_resp_buf_t b;      /* body and headers as they arrive; last, for its inline arrays */
} resp_t;

static void resp_release_parts(resp_t *r)
{
    if (r->freed)
        return;
    r->freed = true;
    pt__http_resp_buf_free(&r->b);
    free(r->msg);
    r->msg = NULL;
    r->pub.body = "";
    r->pub.body_len = 0;
    r->pub.message = "";
    r->pub.nheaders = 0;
}

static void resp_end_of_request(void *arg) { resp_release_parts(arg); }

static resp_t *resp_new(size_t max_body)
{
    pt_arena_t *arena = pt__task_arena();
    resp_t *r;
    if (arena) {
        r = pt_arena_alloc(arena, sizeof *r);
        memset(r, 0, offsetof(resp_t, b.inl_hdr));
        r->in_req = true;
        pt_arena_defer(arena, resp_end_of_request, r);
    } else {
        r = pt__http_xmalloc(sizeof *r);
        memset(r, 0, offsetof(resp_t, b.inl_hdr));
    }
    pt__http_resp_buf_init(&r->b);
    r->b.max_body = max_body;
    r->pub.body = "";
    r->pub.message = "";
    return r;
}

void pt_http_response_free(pt_http_response_t *pub)
{
    if (!pub)
        return;
    resp_t *r = (resp_t *)pub;
    resp_release_parts(r);
    if (!r->in_req)
        free(r);
}

static size_t on_body(char *data, size_t size, size_t nmemb, void *arg)
{
    resp_t *r = arg;
    size_t n = size * nmemb;
    if (r->b.body_len + n > r->b.max_body) {
        r->b.too_big = true;
        return 0; /* aborts the transfer: CURLE_WRITE_ERROR */
    }
    if (!pt__http_body_room(&r->b, r->b.body_len + n + 1))
        return 0;
    memcpy(r->b.body + r->b.body_len, data, n);
    r->b.body_len += n;
    return n;
}

static size_t on_header(char *data, size_t size, size_t nmemb, void *arg)
{
    resp_t *r = arg;
    size_t n = size * nmemb, len = n;
    /* A new status line starts a new header block (after 100 Continue). */
    if (len >= 5 && memcmp(data, "HTTP/", 5) == 0) {
        r->b.hdr_len = 0;
        r->b.nheaders = 0;
        return n;
    }
    while (len && (data[len - 1] == '\n' || data[len - 1] == '\r'))
        len--;
    const char *colon = memchr(data, ':', len);
    if (!len || !colon || colon == data)
        return n;
    size_t nlen = (size_t)(colon - data);
    const char *v = colon + 1, *end = data + len;
    while (v < end && (*v == ' ' || *v == '\t'))
        v++;
    size_t vlen = (size_t)(end - v);
    if (!pt__http_hdr_room(&r->b, r->b.hdr_len + nlen + vlen + 2))
        return 0;
    memcpy(r->b.hdr + r->b.hdr_len, data, nlen);
    r->b.hdr[r->b.hdr_len + nlen] = '\0';
    memcpy(r->b.hdr + r->b.hdr_len + nlen + 1, v, vlen);
    r->b.hdr[r->b.hdr_len + nlen + 1 + vlen] = '\0';
    r->b.hdr_len += nlen + vlen + 2;
    r->b.nheaders++;
    return n;
}

int pt_http_response_header_at(const pt_http_response_t *pub, size_t i, const char **name,
                               const char **value)
{
    const resp_t *r = (const resp_t *)pub;
    if (!r || i >= pub->nheaders)
        return 0;
    const char *p = r->b.hdr;
    for (size_t k = 0; k < i; k++) {
        p += strlen(p) + 1;
        p += strlen(p) + 1;
    }
    *name = p;
    *value = p + strlen(p) + 1;
    return 1;
}

const char *pt_http_response_header(const pt_http_response_t *pub, const char *name)
{
    const char *n, *v;
    for (size_t i = 0; pt_http_response_header_at(pub, i, &n, &v); i++)
        if (strcasecmp(n, name) == 0)
            return v;
    return NULL;
}

json_t *pt_http_response_json(const pt_http_response_t *pub, json_error_t *err)
{
    json_error_t local;
    if (!pub || pub->error) {
        if (err) {
            memset(err, 0, sizeof *err);
            snprintf(err->text, sizeof err->text, "no response body");
        }
        return NULL;
    }
    return json_loadb(pub->body, pub->body_len, JSON_DECODE_ANY, err ? err : &local);
}

/* ---------------------------------------------------------------------------
 * Errors
 * ------------------------------------------------------------------------- */

const char *pt_http_strerror(int e)
{
    switch (e) {
    case PT_HTTP_OK: return "ok";
    case PT_HTTP_ENOCLIENT: return "no such HTTP client";
    case PT_HTTP_ETIMEDOUT: return "timed out";
    case PT_HTTP_ERESOLVE: return "could not resolve host";
    case PT_HTTP_ECONNECT: return "could not connect";
    case PT_HTTP_ECONNRESET: return "connection reset or closed before a complete response";
    case PT_HTTP_ETLS: return "TLS failure";
    case PT_HTTP_EURL: return "bad URL";
    case PT_HTTP_EPROTO: return "invalid HTTP response";
    case PT_HTTP_ETOOBIG: return "response body too large";
    case PT_HTTP_EINVAL: return "invalid request";
    case PT_HTTP_ECIRCUIT: return "circuit open";
    default: return "request failed";
    }
}

int pt_http_error_status(int e)
{
    switch (e) {
    case PT_HTTP_OK: return 0;
    case PT_HTTP_ETIMEDOUT: return 504;
    case PT_HTTP_ENOCLIENT:
    case PT_HTTP_EINVAL: return 500;
    case PT_HTTP_ECIRCUIT: return 503;
    default: return 502;
    }
}

static int map_curl(CURLcode rc)
{
    switch (rc) {
    case CURLE_OK: return PT_HTTP_OK;
    case CURLE_OPERATION_TIMEDOUT: return PT_HTTP_ETIMEDOUT;
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_RESOLVE_PROXY: return PT_HTTP_ERESOLVE;
    case CURLE_COULDNT_CONNECT: return PT_HTTP_ECONNECT;
    case CURLE_RECV_ERROR:
    case CURLE_SEND_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_PARTIAL_FILE: return PT_HTTP_ECONNRESET;
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CIPHER:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_ISSUER_ERROR:
    case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
    case CURLE_SSL_INVALIDCERTSTATUS: return PT_HTTP_ETLS;
    case CURLE_URL_MALFORMAT:
    case CURLE_UNSUPPORTED_PROTOCOL: return PT_HTTP_EURL;
    case CURLE_WEIRD_SERVER_REPLY:
    case CURLE_HTTP2:
    case CURLE_BAD_CONTENT_ENCODING: return PT_HTTP_EPROTO;
    default: return PT_HTTP_EFAILED;
    }
}

static void resp_fail(resp_t *r, int error, const char *method, const char *url, const char *detail)
{
    r->pub.error = error;
    r->pub.status = 0;
    free(r->msg);
    if (asprintf(&r->msg, "%s %s: %s%s%s%s", method, url ? url : "(no URL)", pt_http_strerror(error),
                 detail && *detail ? " (" : "", detail && *detail ? detail : "",
                 detail && *detail ? ")" : "") < 0)
        r->msg = NULL;
    r->pub.message = r->msg ? r->msg : pt_http_strerror(error);
}

/* ---------------------------------------------------------------------------
 * Building a transfer
 * ------------------------------------------------------------------------- */

typedef struct xfer {
    CURL              *easy;
    CURLcode           result;
    resp_t            *r;
    struct curl_slist *own_headers;   /* per-request list, or NULL */
    char              *url;           /* ubuf, or malloc'd when longer */
    char              *json_body;
    const char        *method;
    const void        *body;
    size_t             body_len;
    bool               has_body;
    bool               json_ctype;    /* a JSON body and no Content-Type in the request's headers */
    unsigned           timeout_ms;
    pt__http_engine_t *engine;        /* the thread's engine, NULL on a plain thread */
    char               errbuf[CURL_ERROR_SIZE];
    char               ubuf[512];
} xfer_t;

static bool is_absolute(const char *url) { return strstr(url, "://") != NULL; }

static bool method_ok(const char *m)
{
    if (!*m)
        return false;
    for (const char *p = m; *p; p++)
        if (!((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || *p == '-' || *p == '_'))
            return false;
    return true;
}

/* What every path needs: the method checked, the URL made absolute, the
 * request's headers checked, the JSON body encoded. Returns 0, or a
 * PT_HTTP_E* code (the response then carries the message). */
static int xfer_prepare(xfer_t *x, client_t *c, const pt_http_request_opts_t *o)
{
    resp_t *r = x->r;
    const char *url = o->url ? o->url : "";
    x->method = o->method && *o->method ? o->method : "GET";
    if (!method_ok(x->method)) {
        resp_fail(r, PT_HTTP_EINVAL, "?", url, "the method must be a token such as GET");
        return PT_HTTP_EINVAL;
    }
    x->url = x->ubuf;
    if (is_absolute(url)) {
        size_t n = strlen(url);
        if (n >= sizeof x->ubuf)
            x->url = pt__http_xmalloc(n + 1);
        memcpy(x->url, url, n + 1);
    } else if (c->base_url) {
        /* base_url and url with exactly one '/' between them. */
        size_t bl = strlen(c->base_url), ul = strlen(url);
        bool bslash = bl && c->base_url[bl - 1] == '/', uslash = url[0] == '/';
        if (bslash && uslash)
            bl--;
        size_t sep = !bslash && !uslash && *url ? 1 : 0;
        if (bl + sep + ul >= sizeof x->ubuf)
            x->url = pt__http_xmalloc(bl + sep + ul + 1);
        memcpy(x->url, c->base_url, bl);
        if (sep)
            x->url[bl] = '/';
        memcpy(x->url + bl + sep, url, ul + 1);
    } else {
        x->url = NULL;
        resp_fail(r, PT_HTTP_EURL, x->method, url, "a relative URL, and the client has no base_url");
        return PT_HTTP_EURL;
    }

    x->body = o->body;
    x->body_len = o->body_len;
    bool has_ctype = false;
    for (const char *const *h = o->headers; h && h[0]; h += 2) {
        if (!header_ok(h[0], h[1])) {
            resp_fail(r, PT_HTTP_EINVAL, x->method, x->url, "a header name or value holds CR, LF or ':'");
            return PT_HTTP_EINVAL;
        }
        if (strcasecmp(h[0], "Content-Type") == 0)
            has_ctype = true;
    }
    if (o->json) {
        x->json_body = json_dumps(o->json, JSON_COMPACT | JSON_ENCODE_ANY);
        if (!x->json_body) {
            resp_fail(r, PT_HTTP_EINVAL, x->method, x->url, "the JSON body could not be encoded");
            return PT_HTTP_EINVAL;
        }
        x->body = x->json_body;
        x->body_len = strlen(x->json_body);
        x->json_ctype = !has_ctype;
    }
    x->has_body = x->body != NULL;
    x->timeout_ms = o->timeout_ms ? o->timeout_ms : c->timeout_ms;
    return 0;
}

/* Configures x's easy handle for libcurl. */
static void xfer_curl_setup(xfer_t *x, client_t *c, const pt_http_request_opts_t *o)
{
    CURL *e = x->easy;
    const struct curl_slist *hdrs = c->headers;
    if ((o->headers && o->headers[0]) || x->json_ctype || x->has_body) {
        for (const struct curl_slist *s = c->headers; s; s = s->next)
            x->own_headers = curl_slist_append(x->own_headers, s->data);
        for (const char *const *h = o->headers; h && h[0]; h += 2) {
            char *line;
            /* "Name:" with nothing after it would remove the header in curl;
             * "Name;" sends it empty. */
            if (asprintf(&line, *h[1] ? "%s: %s" : "%s;", h[0], h[1]) < 0)
                abort();
            x->own_headers = curl_slist_append(x->own_headers, line);
            free(line);
        }
        if (x->json_ctype)
            x->own_headers = curl_slist_append(x->own_headers, "Content-Type: application/json");
        /* No "Expect: 100-continue" round trip before large bodies. */
        if (x->has_body)
            x->own_headers = curl_slist_append(x->own_headers, "Expect:");
        hdrs = x->own_headers;
    }

    curl_easy_setopt(e, CURLOPT_URL, x->url);
    curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(e, CURLOPT_ERRORBUFFER, x->errbuf);
    curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, (long)x->timeout_ms);
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(e, CURLOPT_WRITEDATA, x->r);
    curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(e, CURLOPT_HEADERDATA, x->r);
    if (x->engine)
        pt__http_engine_watch_sockets(x->engine, e);
    if (hdrs)
        curl_easy_setopt(e, CURLOPT_HTTPHEADER, hdrs);
    if (c->cookie)
        curl_easy_setopt(e, CURLOPT_COOKIE, c->cookie);
    if (strcmp(x->method, "HEAD") == 0) {
        curl_easy_setopt(e, CURLOPT_NOBODY, 1L);
    } else if (strcmp(x->method, "GET") != 0 || x->has_body) {
        if (x->has_body || strcmp(x->method, "POST") == 0) {
            curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)(x->has_body ? x->body_len : 0));
            curl_easy_setopt(e, CURLOPT_POSTFIELDS, x->has_body ? x->body : "");
        }
        if (strcmp(x->method, "POST") != 0)
            curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, x->method);
    }
}

/* Writes the outcome of a finished request into its response: error 0
 * with the HTTP status, or a PT_HTTP_E* code with what failed. */
static void xfer_finish(xfer_t *x, int error, int status, const char *detail)
{
    resp_t *r = x->r;
    if (!error) {
        r->pub.status = status;
        r->pub.error = 0;
    } else if (r->b.too_big) {
        char d[64];
        snprintf(d, sizeof d, "more than %zu bytes", r->b.max_body);
        resp_fail(r, PT_HTTP_ETOOBIG, x->method, x->url, d);
    } else if (error == PT_HTTP_ETIMEDOUT) {
        char d[64];
        snprintf(d, sizeof d, "after %u ms", x->timeout_ms);
        resp_fail(r, PT_HTTP_ETIMEDOUT, x->method, x->url, d);
    } else {
        resp_fail(r, error, x->method, x->url, detail);
    }
    if (r->pub.error) {
        /* A failed transfer may have received part of a body: drop it. */
        r->b.body_len = 0;
        r->b.hdr_len = 0;
        r->b.nheaders = 0;
    }
    r->pub.nheaders = r->b.nheaders;
    if (!pt__http_body_room(&r->b, r->b.body_len + 1)) {
        fprintf(stderr, "ponty: out of memory in the HTTP client\n");
        abort();
    }
    r->b.body[r->b.body_len] = '\0';
    r->pub.body = r->b.body;
    r->pub.body_len = r->b.body_len;
}

static void xfer_curl_finish(xfer_t *x)
{
    long status = 0;
    if (x->result == CURLE_OK)
        curl_easy_getinfo(x->easy, CURLINFO_RESPONSE_CODE, &status);
    xfer_finish(x, map_curl(x->result), (int)status, x->errbuf[0] ? x->errbuf : curl_easy_strerror(x->result));
}

/* The native path; false when it leaves the request to libcurl. */
static bool xfer_native(xfer_t *x, client_t *c, const pt_http_request_opts_t *o, int64_t t0)
{
    pt__http_native_req_t q = {
        .method = x->method, .url = x->url, .fixed = c->native_hdrs, .fixed_len = c->native_hdrs_len,
        .fixed_flags = c->native_flags, .headers = o->headers, .body = x->body, .body_len = x->body_len,
        .has_body = x->has_body, .json_ctype = x->json_ctype, .timeout_ms = x->timeout_ms, .start_ms = t0,
        .r = &x->r->b,
    };
    int error = pt__http_native_perform(&q);
    if (error == PT__HTTP_NATIVE_DECLINED)
        return false;
    xfer_finish(x, error, q.status, q.detail);
    return true;
}

static void xfer_cleanup(xfer_t *x)
{
    curl_slist_free_all(x->own_headers);
    if (x->url != x->ubuf)
        free(x->url);
    free(x->json_body);
    x->own_headers = NULL;
    x->url = x->json_body = NULL;
}

/* ---------------------------------------------------------------------------
 * Requests
 * ------------------------------------------------------------------------- */

static pt_outcome_t outcome_of(const pt_http_response_t *resp);
static void send_request(resp_t *r, client_t *c, const pt_http_request_opts_t *o, const char *method,
                         int64_t t0);

pt_http_response_t *pt_http_request_opts(pt_http_lease_t *l, const pt_http_request_opts_t *o)
{
    int64_t t0 = pt_now_mono_ms();
    client_t *c = l ? l->c : NULL;
    resp_t *r = resp_new(c ? c->max_body : 0);
    const char *method = o->method && *o->method ? o->method : "GET";
    if (!l || l->released) {
        resp_fail(r, PT_HTTP_ENOCLIENT, method, o->url,
                  l ? "the lease was already released" : "no lease (pt_http_lease returned NULL)");
        return &r->pub;
    }

    pt_breaker_ticket_t ticket;
    if (c->breaker && pt_breaker_enter(c->breaker, &ticket) != 0) {
        char why[160];
        snprintf(why, sizeof why, "circuit '%s' is open", pt_breaker_name(c->breaker));
        resp_fail(r, PT_HTTP_ECIRCUIT, method, o->url, why);
        r->pub.elapsed_ms = pt_now_mono_ms() - t0;
        return &r->pub;
    }
    if (c->throttle)
        pt_throttle_enter(c->throttle);
    send_request(r, c, o, method, t0);
    atomic_fetch_add_explicit(&c->requests, 1, memory_order_relaxed);
    if (r->pub.error)
        atomic_fetch_add_explicit(&c->errors, 1, memory_order_relaxed);
    if (c->breaker || c->throttle) {
        pt_outcome_t out = outcome_of(&r->pub);
        if (c->breaker)
            pt_breaker_leave(c->breaker, &ticket, out);
        if (c->throttle)
            pt_throttle_leave(c->throttle, out != PT_OUTCOME_FAILURE);
    }
    r->pub.elapsed_ms = pt_now_mono_ms() - t0;
    return &r->pub;
}

/* What a breaker or throttle learns from one answer. */
static pt_outcome_t outcome_of(const pt_http_response_t *resp)
{
    switch (resp->error) {
    case PT_HTTP_OK:
        return resp->status >= 500 ? PT_OUTCOME_FAILURE : PT_OUTCOME_SUCCESS;
    case PT_HTTP_EURL:
    case PT_HTTP_EINVAL:
    case PT_HTTP_ENOCLIENT:
        return PT_OUTCOME_IGNORED; /* our mistake, not the upstream's health */
    default:
        return PT_OUTCOME_FAILURE;
    }
}

/* One request: on a worker, plain http:// URLs take the native path
 * (native.c) and the rest the worker's curl multi handle; on a plain
 * thread, a blocking easy handle. */
static void send_request(resp_t *r, client_t *c, const pt_http_request_opts_t *o, const char *method, int64_t t0)
{
    xfer_t x;
    memset(&x, 0, offsetof(xfer_t, errbuf));
    x.errbuf[0] = '\0';
    x.r = r;
    bool in_coro = pt__coro_self() != NULL;
    if (xfer_prepare(&x, c, o) != 0) {
        xfer_cleanup(&x);
        return;
    }
    if (in_coro && xfer_native(&x, c, o, t0)) {
        xfer_cleanup(&x);
        return;
    }
    pt__http_engine_t *e = in_coro ? pt__http_engine_get() : NULL;
    if (in_coro && !e) {
        /* Never fall back to a blocking transfer on a worker thread. */
        resp_fail(r, PT_HTTP_EFAILED, method, o->url, "libcurl could not create a multi handle");
        xfer_cleanup(&x);
        return;
    }
    x.engine = e;
    x.easy = e ? pt__http_engine_easy(e) : curl_easy_init();
    if (!x.easy) {
        resp_fail(r, PT_HTTP_EFAILED, method, o->url, "libcurl could not create a handle");
        xfer_cleanup(&x);
        return;
    }
    xfer_curl_setup(&x, c, o);
    x.result = e ? pt__http_engine_perform(e, x.easy, x.errbuf) : curl_easy_perform(x.easy);
    xfer_curl_finish(&x);
    xfer_cleanup(&x);
    if (e)
        pt__http_engine_easy_put(e, x.easy);
    else
        curl_easy_cleanup(x.easy);
}
