/* RFC 3986 section 5.2 reference resolution, enough for "$id" and "$ref".
 * Only used at compile time, so clarity wins over speed. */
#include <stdlib.h>
#include <string.h>

#include "schema.h"

typedef struct uri_parts {
    const char *scheme; size_t scheme_n; bool has_scheme;
    const char *auth; size_t auth_n; bool has_auth;
    const char *path; size_t path_n;
    const char *query; size_t query_n; bool has_query;
    const char *frag; size_t frag_n; bool has_frag;
} uri_parts_t;

static void uri_split(const char *s, uri_parts_t *u)
{
    memset(u, 0, sizeof *u);
    const char *p = s;
    /* scheme: ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ) ":" */
    const char *q = p;
    if ((*q >= 'a' && *q <= 'z') || (*q >= 'A' && *q <= 'Z')) {
        while (*q && (strchr("+-.", *q) || (*q >= '0' && *q <= '9') || (*q >= 'a' && *q <= 'z') ||
                      (*q >= 'A' && *q <= 'Z')))
            q++;
        if (*q == ':') {
            u->has_scheme = true;
            u->scheme = p;
            u->scheme_n = (size_t)(q - p);
            p = q + 1;
        }
    }
    if (p[0] == '/' && p[1] == '/') {
        p += 2;
        u->has_auth = true;
        u->auth = p;
        while (*p && *p != '/' && *p != '?' && *p != '#')
            p++;
        u->auth_n = (size_t)(p - u->auth);
    }
    u->path = p;
    while (*p && *p != '?' && *p != '#')
        p++;
    u->path_n = (size_t)(p - u->path);
    if (*p == '?') {
        u->has_query = true;
        u->query = ++p;
        while (*p && *p != '#')
            p++;
        u->query_n = (size_t)(p - u->query);
    }
    if (*p == '#') {
        u->has_frag = true;
        u->frag = p + 1;
        u->frag_n = strlen(p + 1);
    }
}

/* remove_dot_segments (5.2.4) on a NUL-terminated, writable buffer. */
static void remove_dots(char *in)
{
    char *out = malloc(strlen(in) + 1);
    if (!out)
        return;
    size_t o = 0;
    char *p = in;
    while (*p) {
        if (!strncmp(p, "../", 3)) {
            p += 3;
        } else if (!strncmp(p, "./", 2)) {
            p += 2;
        } else if (!strncmp(p, "/./", 3)) {
            p += 2;
        } else if (!strcmp(p, "/.")) {
            p += 1;
            *p = '/';
        } else if (!strncmp(p, "/../", 4) || !strcmp(p, "/..")) {
            if (p[3] == 0) {
                p += 2;
                *p = '/';
            } else {
                p += 3;
            }
            while (o > 0 && out[o - 1] != '/')
                o--;
            if (o > 0)
                o--;
        } else if (!strcmp(p, ".") || !strcmp(p, "..")) {
            break;
        } else {
            size_t n = 0;
            if (*p == '/')
                out[o++] = *p++;
            while (p[n] && p[n] != '/')
                n++;
            memcpy(out + o, p, n);
            o += n;
            p += n;
        }
    }
    out[o] = 0;
    strcpy(in, out);
    free(out);
}

char *pt__uri_resolve(const char *base, const char *ref)
{
    uri_parts_t b, r;
    uri_split(base ? base : "", &b);
    uri_split(ref, &r);
    size_t cap = strlen(base ? base : "") + strlen(ref) + 8;
    char *path = malloc(cap), *out = malloc(cap + 8);
    if (!path || !out) {
        free(path);
        free(out);
        return NULL;
    }
    const uri_parts_t *S, *A, *Q; /* sources for scheme, authority, query */
    path[0] = 0;
#define CAT(dst, p, n) strncat(dst, p, n)
    if (r.has_scheme) {
        S = &r; A = &r; Q = &r;
        CAT(path, r.path, r.path_n);
        remove_dots(path);
    } else if (r.has_auth) {
        S = &b; A = &r; Q = &r;
        CAT(path, r.path, r.path_n);
        remove_dots(path);
    } else {
        S = &b; A = &b;
        if (r.path_n == 0) {
            CAT(path, b.path, b.path_n);
            Q = r.has_query ? &r : &b;
        } else {
            Q = &r;
            if (r.path[0] == '/') {
                CAT(path, r.path, r.path_n);
            } else {
                /* merge (5.2.3) */
                if (b.has_auth && b.path_n == 0) {
                    strcpy(path, "/");
                } else {
                    const char *slash = NULL;
                    for (size_t i = 0; i < b.path_n; i++)
                        if (b.path[i] == '/')
                            slash = b.path + i;
                    if (slash)
                        CAT(path, b.path, (size_t)(slash - b.path) + 1);
                }
                CAT(path, r.path, r.path_n);
            }
            remove_dots(path);
        }
    }
    out[0] = 0;
    if (S->has_scheme) {
        CAT(out, S->scheme, S->scheme_n);
        strcat(out, ":");
    }
    if (A->has_auth) {
        strcat(out, "//");
        CAT(out, A->auth, A->auth_n);
    }
    strcat(out, path);
    if (Q->has_query) {
        strcat(out, "?");
        CAT(out, Q->query, Q->query_n);
    }
    if (r.has_frag) {
        strcat(out, "#");
        CAT(out, r.frag, r.frag_n);
    }
#undef CAT
    free(path);
    return out;
}

char *pt__uri_strip_fragment(const char *uri)
{
    const char *h = strchr(uri, '#');
    return h ? strndup(uri, (size_t)(h - uri)) : strdup(uri);
}
