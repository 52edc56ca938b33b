/* The route matcher: a tree with one level per path segment.
 *
 * Static children are found through a small open-addressing hash table per
 * node, so a lookup costs the same with ten routes or ten thousand. Dynamic
 * children (placeholders) are tried after the static child, in registration
 * order, backtracking when nothing below them matches. Edges are keyed by the
 * segment with placeholder names erased, so "/u/{id}" and "/u/{name}/x"
 * share an edge and the names live on the routes at the leaves. */
#include "route/router.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "route/pattern.h"
#include "route/regex.h"

typedef struct pt__rnode pt__rnode_t;

typedef struct pt__rroute {
    char     *method;                      /* "*" for any method */
    size_t    mlen;
    void     *data;
    char     *path;                        /* as registered, for messages */
    char     *names[PT_ROUTE_MAX_PARAMS];  /* placeholder names, in path order */
    unsigned  nnames;
} pt__rroute_t;

typedef struct pt__redge {
    pt__seg_kind_t    kind;
    bool             tail;
    char            *key;
    size_t           keylen;
    pt__route_regex_t re;
    pt__rnode_t      *child;
} pt__redge_t;

struct pt__rnode {
    /* The static segment leading here (unused for the root and for the
     * children of dynamic edges). */
    char        *seg;
    size_t       seglen;
    uint64_t     hash;

    pt__rnode_t **slots;      /* static children; capacity mask + 1, a power of two */
    uint32_t     mask;
    uint32_t     nstatic;

    pt__redge_t  *dyn;        /* dynamic children in registration order */
    unsigned     ndyn;

    pt__rroute_t *routes;     /* routes ending here, in registration order */
    unsigned     nroutes;
    int          get_idx;    /* index of the GET route, for HEAD; -1 if none */
    int          any_idx;    /* index of the "*" route; -1 if none */
    char        *allow;      /* the 405 Allow value */
};

struct pt__router {
    pt__rnode_t root;         /* before the first segment */
    uint32_t   max_pairs;    /* largest ovector any segment regex needs */
};

/* FNV-1a: short keys, and the match loop computes it while it looks for
 * the '/' that ends the segment, so the segment is read once. */
#define PT_FNV_OFFSET 0xcbf29ce484222325ULL
#define PT_FNV_PRIME  0x100000001b3ULL

static uint64_t seg_hash(const char *s, size_t n)
{
    uint64_t h = PT_FNV_OFFSET;
    for (size_t i = 0; i < n; i++)
        h = (h ^ (unsigned char)s[i]) * PT_FNV_PRIME;
    return h;
}

/* ---- building ---------------------------------------------------------- */

static void node_init(pt__rnode_t *n)
{
    *n = (pt__rnode_t){.get_idx = -1, .any_idx = -1};
}

static void node_fini(pt__rnode_t *n)
{
    if (n->slots) {
        for (uint32_t i = 0; i <= n->mask; i++) {
            if (n->slots[i]) {
                node_fini(n->slots[i]);
                free(n->slots[i]);
            }
        }
        free(n->slots);
    }
    for (unsigned i = 0; i < n->ndyn; i++) {
        pt__redge_t *e = &n->dyn[i];
        free(e->key);
        pt__route_regex_free(&e->re);
        node_fini(e->child);
        free(e->child);
    }
    free(n->dyn);
    for (unsigned i = 0; i < n->nroutes; i++) {
        pt__rroute_t *rt = &n->routes[i];
        free(rt->method);
        free(rt->path);
        for (unsigned j = 0; j < rt->nnames; j++)
            free(rt->names[j]);
    }
    free(n->routes);
    free(n->allow);
    free(n->seg);
}

static pt__rnode_t *static_find(const pt__rnode_t *n, const char *s, size_t len, uint64_t h)
{
    if (!n->nstatic)
        return NULL;
    for (uint32_t i = (uint32_t)h & n->mask;; i = (i + 1) & n->mask) {
        pt__rnode_t *c = n->slots[i];
        if (!c)
            return NULL;
        if (c->hash == h && c->seglen == len && memcmp(c->seg, s, len) == 0)
            return c;
    }
}

static void slots_put(pt__rnode_t **slots, uint32_t mask, pt__rnode_t *c)
{
    uint32_t i = (uint32_t)c->hash & mask;
    while (slots[i])
        i = (i + 1) & mask;
    slots[i] = c;
}

/* Keeps the table at most half full so probes stay short and a free slot
 * always ends a miss. */
static int static_reserve(pt__rnode_t *n)
{
    uint32_t cap = n->slots ? n->mask + 1 : 0;
    if ((n->nstatic + 1) * 2 <= cap)
        return 0;
    uint32_t ncap = cap ? cap * 2 : 4;
    pt__rnode_t **ns = calloc(ncap, sizeof *ns);
    if (!ns)
        return -1;
    for (uint32_t i = 0; i < cap; i++)
        if (n->slots[i])
            slots_put(ns, ncap - 1, n->slots[i]);
    free(n->slots);
    n->slots = ns;
    n->mask = ncap - 1;
    return 0;
}

static pt__redge_t *dyn_find(const pt__rnode_t *n, const pt__route_seg_t *seg)
{
    for (unsigned i = 0; i < n->ndyn; i++) {
        pt__redge_t *e = &n->dyn[i];
        if (e->kind == seg->kind && e->tail == seg->tail && e->keylen == seg->keylen &&
            memcmp(e->key, seg->key, seg->keylen) == 0)
            return e;
    }
    return NULL;
}

/* The node reached by following pat, or NULL if the tree has no such node. */
static pt__rnode_t *node_find(pt__router_t *r, const pt__route_pattern_t *pat)
{
    pt__rnode_t *n = &r->root;
    for (unsigned i = 0; i < pat->nsegs && n; i++) {
        const pt__route_seg_t *seg = &pat->segs[i];
        if (seg->kind == PT_SEG_STATIC) {
            n = static_find(n, seg->key, seg->keylen, seg_hash(seg->key, seg->keylen));
        } else {
            pt__redge_t *e = dyn_find(n, seg);
            n = e ? e->child : NULL;
        }
    }
    return n;
}

/* Returns the child of n for seg, creating it if needed. Takes ownership of
 * the segment's key and regex when it creates an edge. */
static pt__rnode_t *node_child(pt__router_t *r, pt__rnode_t *n, pt__route_seg_t *seg)
{
    if (seg->kind == PT_SEG_STATIC) {
        uint64_t h = seg_hash(seg->key, seg->keylen);
        pt__rnode_t *c = static_find(n, seg->key, seg->keylen, h);
        if (c)
            return c;
        if (static_reserve(n) != 0 || !(c = malloc(sizeof *c)))
            return NULL;
        node_init(c);
        c->seg = seg->key;
        c->seglen = seg->keylen;
        c->hash = h;
        seg->key = NULL;
        slots_put(n->slots, n->mask, c);
        n->nstatic++;
        return c;
    }
    pt__redge_t *e = dyn_find(n, seg);
    if (e)
        return e->child;
    pt__rnode_t *c = malloc(sizeof *c);
    pt__redge_t *nd = c ? realloc(n->dyn, (n->ndyn + 1) * sizeof *nd) : NULL;
    if (!nd) {
        free(c);
        return NULL;
    }
    n->dyn = nd;
    node_init(c);
    e = &n->dyn[n->ndyn++];
    *e = (pt__redge_t){.kind = seg->kind, .tail = seg->tail, .key = seg->key,
                      .keylen = seg->keylen, .re = seg->re, .child = c};
    seg->key = NULL;
    seg->re.code = NULL;
    if (e->kind == PT_SEG_REGEX && e->re.pairs > r->max_pairs)
        r->max_pairs = e->re.pairs;
    return c;
}

static bool method_is(const char *m, size_t mlen, const char *lit)
{
    return strlen(lit) == mlen && memcmp(m, lit, mlen) == 0;
}

/* "GET, HEAD, POST": registration order, HEAD right after GET (GET routes
 * answer HEAD), "*" left out (a node with "*" never answers 405). */
static int node_build_allow(pt__rnode_t *n)
{
    size_t cap = 1;
    for (unsigned i = 0; i < n->nroutes; i++)
        cap += n->routes[i].mlen + 2 + sizeof ", HEAD";
    char *a = malloc(cap), *o = a;
    if (!a)
        return -1;
    *o = '\0';
    for (unsigned i = 0; i < n->nroutes; i++) {
        const pt__rroute_t *rt = &n->routes[i];
        if (method_is(rt->method, rt->mlen, "*"))
            continue;
        if (n->get_idx >= 0 && method_is(rt->method, rt->mlen, "HEAD"))
            continue;
        o += sprintf(o, "%s%s", o == a ? "" : ", ", rt->method);
        if ((int)i == n->get_idx)
            o += sprintf(o, ", HEAD");
    }
    free(n->allow);
    n->allow = a;
    return 0;
}

static bool is_token_char(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           (c && strchr("!#$%&'*+-.^_`|~", c));
}

static bool valid_method(const char *m)
{
    if (!*m)
        return false;
    for (const char *s = m; *s; s++)
        if (!is_token_char((unsigned char)*s))
            return false;
    return true;
}

pt__router_t *pt__router_new(void)
{
    pt__router_t *r = calloc(1, sizeof *r);
    if (r)
        node_init(&r->root);
    return r;
}

void pt__router_free(pt__router_t *r)
{
    if (!r)
        return;
    node_fini(&r->root);
    free(r);
}

#define PT_ADD_FAIL(...)                                               \
    do {                                                               \
        char why_[1024];                                                \
        snprintf(why_, sizeof why_, __VA_ARGS__);                      \
        snprintf(err, errlen, "%s %s: %s", method, path, why_);        \
        return -1;                                                     \
    } while (0)

int pt__router_add(pt__router_t *r, const char *method, const char *path, void *data,
                  char *err, size_t errlen)
{
    if (!r || !method || !path) {
        snprintf(err, errlen, "%s %s: missing router, method or path",
                 method ? method : "?", path ? path : "?");
        return -1;
    }
    if (!valid_method(method))
        PT_ADD_FAIL("invalid method");

    pt__route_pattern_t pat;
    char reason[300];
    if (pt__route_pattern_parse(path, &pat, reason, sizeof reason) != 0)
        PT_ADD_FAIL("%s", reason);

    /* Duplicates are found before the tree is touched, so a failed add
     * leaves the router exactly as it was. */
    pt__rnode_t *n = node_find(r, &pat);
    for (unsigned i = 0; n && i < n->nroutes; i++) {
        const pt__rroute_t *rt = &n->routes[i];
        if (strcmp(rt->method, method) != 0)
            continue;
        bool same = rt->nnames == pat.nnames;
        for (unsigned j = 0; same && j < pat.nnames; j++)
            same = strcmp(rt->names[j], pat.names[j]) == 0;
        char prev[300];
        snprintf(prev, sizeof prev, "%s %s", rt->method, rt->path);
        pt__route_pattern_free(&pat);
        if (same)
            PT_ADD_FAIL("duplicate route");
        PT_ADD_FAIL("ambiguous with %s (same pattern, different placeholder names)", prev);
    }

    n = &r->root;
    for (unsigned i = 0; i < pat.nsegs; i++) {
        /* On failure the nodes made so far stay: they hold no route, so
         * they never match, and pt__router_free releases them. */
        if (!(n = node_child(r, n, &pat.segs[i]))) {
            pt__route_pattern_free(&pat);
            PT_ADD_FAIL("out of memory");
        }
    }

    pt__rroute_t *nr = realloc(n->routes, (n->nroutes + 1) * sizeof *nr);
    if (nr)
        n->routes = nr;
    pt__rroute_t rt = {.data = data, .mlen = strlen(method)};
    rt.method = strdup(method);
    rt.path = strdup(path);
    if (!nr || !rt.method || !rt.path) {
        free(rt.method);
        free(rt.path);
        pt__route_pattern_free(&pat);
        PT_ADD_FAIL("out of memory");
    }
    for (unsigned j = 0; j < pat.nnames; j++) {
        rt.names[j] = pat.names[j];
        pat.names[j] = NULL;
    }
    rt.nnames = pat.nnames;
    pat.nnames = 0;
    pt__route_pattern_free(&pat);

    int idx = (int)n->nroutes;
    n->routes[n->nroutes++] = rt;
    if (method_is(rt.method, rt.mlen, "GET"))
        n->get_idx = idx;
    else if (method_is(rt.method, rt.mlen, "*"))
        n->any_idx = idx;
    if (node_build_allow(n) != 0) {
        /* Keep the router consistent: forget the route we just added. */
        n->nroutes--;
        if (n->get_idx == idx)
            n->get_idx = -1;
        if (n->any_idx == idx)
            n->any_idx = -1;
        free(rt.method);
        free(rt.path);
        for (unsigned j = 0; j < rt.nnames; j++)
            free(rt.names[j]);
        PT_ADD_FAIL("out of memory");
    }
    return 0;
}

int pt__router_thread_prepare(const pt__router_t *r)
{
    return pt__route_regex_thread_prepare(r->max_pairs);
}

void pt__router_thread_release(void)
{
    pt__route_regex_thread_release();
}

/* ---- matching ---------------------------------------------------------- */

/* ASCII word characters for the "{x}" fast path. A segment with a byte
 * >= 0x80 is matched by the edge's Unicode \w+ regex instead. */
static const bool word_byte[128] = {
    ['0' ... '9'] = true, ['A' ... 'Z'] = true, ['a' ... 'z'] = true, ['_'] = true,
};

typedef struct pt__match_state {
    const char        *method;
    size_t             mlen;
    bool               head;
    const char        *end;          /* end of the path */
    pt__route_match_t  *m;            /* captures are pushed into m as we go */
    const pt__rnode_t  *first405;     /* first node whose path matched */
    const pt__rroute_t *hit;
} pt__match_state_t;

static const pt__rroute_t *node_route(const pt__rnode_t *n, const pt__match_state_t *s)
{
    for (unsigned i = 0; i < n->nroutes; i++) {
        const pt__rroute_t *rt = &n->routes[i];
        if (rt->mlen == s->mlen && memcmp(rt->method, s->method, s->mlen) == 0)
            return rt;
    }
    if (s->head && n->get_idx >= 0)
        return &n->routes[n->get_idx];
    if (n->any_idx >= 0)
        return &n->routes[n->any_idx];
    return NULL;
}

/* The whole path has been consumed at n. A node whose path matched but not
 * the method is remembered for the 405, and the search goes on: another
 * branch may match both. */
static bool arrive(const pt__rnode_t *n, pt__match_state_t *s)
{
    if (!n->nroutes)
        return false;
    const pt__rroute_t *rt = node_route(n, s);
    if (rt) {
        s->hit = rt;
        return true;
    }
    if (!s->first405)
        s->first405 = n;
    return false;
}

/* Whether edge e accepts [p, q); pushes its captures if so. */
static bool edge_accepts(const pt__redge_t *e, const char *p, const char *q, pt__match_state_t *s)
{
    pt__route_capture_t *cap = &s->m->captures[s->m->ncaptures];
    switch (e->kind) {
    case PT_SEG_WORD:
        if (p == q)
            return false;
        for (const char *c = p; c < q; c++) {
            unsigned char b = (unsigned char)*c;
            if (b >= 0x80) {
                if (!pt__route_regex_match(&e->re, p, (size_t)(q - p), cap))
                    return false;
                break;
            }
            if (!word_byte[b])
                return false;
        }
        break;
    case PT_SEG_DIGITS:
        if (p == q)
            return false;
        for (const char *c = p; c < q; c++) {
            if ((unsigned char)*c >= 0x80) {
                if (!pt__route_regex_match(&e->re, p, (size_t)(q - p), cap))
                    return false;
                break;
            }
            if (*c < '0' || *c > '9')
                return false;
        }
        break;
    case PT_SEG_ASCII_DIGITS:
        if (p == q)
            return false;
        for (const char *c = p; c < q; c++)
            if (*c < '0' || *c > '9')
                return false;
        break;
    case PT_SEG_NONSLASH:
        if (p == q)
            return false;
        break;
    case PT_SEG_REGEX:
        if (!pt__route_regex_match(&e->re, p, (size_t)(q - p), cap))
            return false;
        s->m->ncaptures += e->re.ngroups;
        return true;
    case PT_SEG_STATIC:
        return false;
    }
    cap->value = p;
    cap->len = (size_t)(q - p);
    s->m->ncaptures++;
    return true;
}

/* p is the start of a segment (just after a '/'). Depth is bounded by the
 * number of segments of the longest route, not by the path. */
static bool walk(const pt__rnode_t *n, const char *p, pt__match_state_t *s)
{
    for (;;) {
        const char *q = p;
        uint64_t h = PT_FNV_OFFSET;
        while (q < s->end && *q != '/') {
            h = (h ^ (unsigned char)*q) * PT_FNV_PRIME;
            q++;
        }
        bool last = q == s->end;
        const pt__rnode_t *c = static_find(n, p, (size_t)(q - p), h);
        if (!n->ndyn) {
            /* Nothing to backtrack to: loop instead of recursing. */
            if (!c)
                return false;
            if (last)
                return arrive(c, s);
            n = c;
            p = q + 1;
            continue;
        }
        if (c && (last ? arrive(c, s) : walk(c, q + 1, s)))
            return true;
        unsigned saved = s->m->ncaptures;
        for (unsigned i = 0; i < n->ndyn; i++) {
            const pt__redge_t *e = &n->dyn[i];
            if (e->tail) {
                if (edge_accepts(e, p, s->end, s) && arrive(e->child, s))
                    return true;
            } else if (edge_accepts(e, p, q, s)) {
                if (last ? arrive(e->child, s) : walk(e->child, q + 1, s))
                    return true;
            }
            s->m->ncaptures = saved;
        }
        return false;
    }
}

void pt__router_match(const pt__router_t *r, const char *method, size_t mlen,
                     const char *path, size_t plen, pt__route_match_t *m)
{
    m->status = 404;
    m->data = NULL;
    m->allow = NULL;
    m->ncaptures = 0;
    if (plen == 0 || path[0] != '/')
        return;
    pt__match_state_t s = {
        .method = method, .mlen = mlen, .head = mlen == 4 && memcmp(method, "HEAD", 4) == 0,
        .end = path + plen, .m = m,
    };
    if (walk(&r->root, path + 1, &s)) {
        m->status = 200;
        m->data = s.hit->data;
        for (unsigned i = 0; i < m->ncaptures; i++)
            m->captures[i].name = s.hit->names[i];
        return;
    }
    m->ncaptures = 0;
    if (s.first405) {
        m->status = 405;
        m->allow = s.first405->allow;
    }
}
