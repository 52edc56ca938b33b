/* GET /proxy/{path} → forwards GET <UPSTREAM_URL>/<path>?<query> through the
 * default pooled HTTP client and answers the upstream's status, with its
 * body in the envelope: "data" is the parsed body when it is JSON, else its
 * text. An upstream that cannot be reached answers 502, one that does not
 * answer within the client's timeout (UPSTREAM_TIMEOUT_MS, default 5000)
 * 504, each with a message naming the URL and what went wrong.
 *
 *     UPSTREAM_URL=http://127.0.0.1:9000 PORT=8080 ./proxy
 *     curl localhost:8080/proxy/items/42
 *     {"now": 1700000000000, "data": {"id": 42}, "elapsed": 1}
 *
 * GET /proxy forwards to the upstream's root. */
#include <ponty.h>
#include <stdlib.h>
#include <string.h>

/* "/<path>[?<query>]" for the upstream, in the request's arena. The path
 * was percent-decoded by the router: encode it again, keeping '/'. */
static const char *upstream_target(const char *path, const char *qs)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t n = strlen(path), qn = strlen(qs);
    char *out = pt_arena_alloc(pt_req_arena(pt_req_current()), 1 + n * 3 + 1 + qn + 1), *o = out;
    *o++ = '/';
    for (const unsigned char *p = (const unsigned char *)path; *p; p++) {
        if ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
            strchr("/-._~", *p)) {
            *o++ = (char)*p;
        } else {
            *o++ = '%';
            *o++ = hex[*p >> 4];
            *o++ = hex[*p & 15];
        }
    }
    if (qn) {
        *o++ = '?';
        memcpy(o, qs, qn);
        o += qn;
    }
    *o = '\0';
    return out;
}

static json_t *forward(pt_req_t *req, const char *path)
{
    const char *upstream = getenv("UPSTREAM_URL");
    if (!upstream || !*upstream)
        pt_raise_status(502, .text = "UPSTREAM_URL is not set: no upstream to proxy to");

    pt_http_lease_t *lease = pt_http_lease_or_raise(NULL);
    pt_http_response_t *r = pt_http_get(lease, upstream_target(path, pt_req_query_string(req)));
    pt_http_release(lease); /* the position is free again while we answer */
    if (r->error)
        pt_raise_status(pt_http_error_status(r->error), .text = r->message);

    json_t *data = pt_http_response_json(r, NULL);
    if (!data)
        data = json_stringn(r->body, r->body_len);
    if (!data)
        pt_raise_status(502, .text = "the upstream's body is neither JSON nor UTF-8 text");
    pt_resp_status(req, r->status);
    return data;
}

PT_GET("/proxy", proxy_root)
{
    return forward(req, "");
}

PT_GET("/proxy/{path:.*}", proxy_path)
{
    return forward(req, pt_req_param(req, "path"));
}

/* The client this example uses; the showcase starts it too. */
pt_provider_t proxy_client_provider(void);
pt_provider_t proxy_client_provider(void)
{
    return pt_http_client_provider(.base_url = getenv("UPSTREAM_URL"),
                                   .timeout_ms = (unsigned)pt_env_long("UPSTREAM_TIMEOUT_MS", 5000),
                                   .limit = (unsigned)pt_env_long("UPSTREAM_LIMIT", 100));
}

#ifndef PT_SHOWCASE
int main(void)
{
    return pt_run(.port = (int)pt_env_long("PORT", 8080), .providers = PT_PROVIDERS(proxy_client_provider()));
}
#endif
