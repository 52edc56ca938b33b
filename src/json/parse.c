/* The JSON parser behind pt_json_parse: text to a pt_jv_t tree in one pass.
 *
 * Iterative, with an explicit stack of open containers, so the nesting
 * limit is a number checked when a container opens, not C stack depth.
 * Values of an open container wait on per-thread scratch stacks and are
 * copied into one block when it closes, so arrays and objects are
 * contiguous and a document costs a handful of chunk allocations however
 * many values it holds. Strings are copied (unescaped, NUL-terminated)
 * into the chunks too, so the tree does not point into the text.
 */
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jdoc.h"
#include "schema.h"

/* ------------------------------------------------------ scratch stacks */

typedef struct frame {
    size_t start; /* index into vals (arrays) or mems (objects) */
    bool object;
} frame_t;

typedef struct scratch {
    pt_jv_t *vals;
    size_t nvals, capvals;
    pt_jmember_t *mems;
    size_t nmems, capmems;
    frame_t *frames;
    size_t capframes;
    uint32_t *dedup; /* open-addressing table for duplicate keys */
    size_t capdedup;
    jalloc_t tls_doc; /* pt__tls_jalloc */
} scratch_t;

static pthread_key_t scratch_key;
static pthread_once_t scratch_once = PTHREAD_ONCE_INIT;
static __thread scratch_t *scratch_tls;

static void scratch_destroy(void *p)
{
    scratch_t *s = p;
    free(s->vals);
    free(s->mems);
    free(s->frames);
    free(s->dedup);
    pt__jalloc_free(&s->tls_doc);
    free(s);
}
static void scratch_init(void) { pthread_key_create(&scratch_key, scratch_destroy); }

static scratch_t *scratch_get(void)
{
    if (!scratch_tls) {
        pthread_once(&scratch_once, scratch_init);
        scratch_tls = calloc(1, sizeof *scratch_tls);
        if (scratch_tls)
            pthread_setspecific(scratch_key, scratch_tls); /* freed when the thread exits */
    }
    return scratch_tls;
}

jalloc_t *pt__tls_jalloc(void)
{
    scratch_t *s = scratch_get();
    return s ? &s->tls_doc : NULL;
}

static bool grow(void **p, size_t *cap, size_t need, size_t elem)
{
    if (need <= *cap)
        return true;
    size_t n = *cap ? *cap : 64;
    while (n < need)
        n *= 2;
    void *q = realloc(*p, n * elem);
    if (!q)
        return false;
    *p = q;
    *cap = n;
    return true;
}

/* --------------------------------------------------------------- errors */

typedef struct pctx {
    const char *s, *end, *p;
    jalloc_t *a;
    scratch_t *sc;
    jperr_t *pe;
    bool failed;
} pctx_t;

/* Python's json.JSONDecodeError wording: "<msg>: line L column C (char P)". */
static bool perr(pctx_t *c, const char *at, const char *msg)
{
    if (c->failed)
        return false;
    c->failed = true;
    size_t pos = (size_t)(at - c->s), line = 1, col = 1;
    for (const char *q = c->s; q < at; q++) {
        if (*q == '\n') {
            line++;
            col = 1;
        } else {
            col++;
        }
    }
    *c->pe = (jperr_t){.reason = msg, .pos = pos, .line = line, .col = col};
    return false;
}

static bool poom(pctx_t *c)
{
    if (!c->failed)
        *c->pe = (jperr_t){.reason = "out of memory", .oom = true};
    c->failed = true;
    return false;
}

/* -------------------------------------------------------------- strings */

static inline const char *skip_ws(const char *p, const char *end)
{
    /* the usual cases first: no whitespace, or the one space after ':' and ',' */
    if (p < end && (unsigned char)*p > ' ')
        return p;
    if (p + 1 < end && *p == ' ' && (unsigned char)p[1] > ' ')
        return p + 1;
    while (p < end && (*p == ' ' || *p == '\n' || *p == '\r' || *p == '\t'))
        p++;
    return p;
}

static int hex4(const char *p)
{
    int v = 0;
    for (int i = 0; i < 4; i++) {
        int c = (unsigned char)p[i], d;
        if (c >= '0' && c <= '9') d = c - '0';
        else if (c >= 'a' && c <= 'f') d = c - 'a' + 10;
        else if (c >= 'A' && c <= 'F') d = c - 'A' + 10;
        else return -1;
        v = v << 4 | d;
    }
    return v;
}

static char *put_cp(char *o, unsigned cp)
{
    if (cp < 0x80) {
        *o++ = (char)cp;
    } else if (cp < 0x800) {
        *o++ = (char)(0xc0 | cp >> 6);
        *o++ = (char)(0x80 | (cp & 0x3f));
    } else if (cp < 0x10000) { /* lone surrogates too (ED A0..BF xx) */
        *o++ = (char)(0xe0 | cp >> 12);
        *o++ = (char)(0x80 | ((cp >> 6) & 0x3f));
        *o++ = (char)(0x80 | (cp & 0x3f));
    } else {
        *o++ = (char)(0xf0 | cp >> 18);
        *o++ = (char)(0x80 | ((cp >> 12) & 0x3f));
        *o++ = (char)(0x80 | ((cp >> 6) & 0x3f));
        *o++ = (char)(0x80 | (cp & 0x3f));
    }
    return o;
}

/* Length of the well-formed UTF-8 sequence at p (lead byte >= 0x80), or 0. */
static size_t utf8_seq(const unsigned char *p, const unsigned char *end)
{
    unsigned c = p[0];
    size_t n;
    unsigned min;
    if (c >= 0xc2 && c <= 0xdf) n = 2, min = 0x80;
    else if (c >= 0xe0 && c <= 0xef) n = 3, min = 0x800;
    else if (c >= 0xf0 && c <= 0xf4) n = 4, min = 0x10000;
    else return 0;
    if ((size_t)(end - p) < n)
        return 0;
    unsigned cp = c & (0x7f >> n);
    for (size_t i = 1; i < n; i++) {
        if ((p[i] & 0xc0) != 0x80)
            return 0;
        cp = cp << 6 | (p[i] & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
        return 0;
    return n;
}

/* Bytes that end the fast scan: '"', '\\', controls and non-ASCII. */
static inline bool plain(unsigned char c) { return c >= 0x20 && c < 0x80 && c != '"' && c != '\\'; }

static bool parse_string_slow(pctx_t *c, const char *p, const char **out, size_t *outlen);

/* The string starting at c->p (just past its opening quote). The plain
 * ASCII case is inlined into its callers; escapes, non-ASCII and errors go
 * to parse_string_slow from the first byte that needs it. */
static inline __attribute__((always_inline)) bool parse_string(pctx_t *c, const char **out, size_t *outlen)
{
    const char *p = c->p, *end = c->end;
    /* The common case first: plain ASCII up to the closing quote. */
    while (p + 8 <= end) {
        uint64_t w;
        memcpy(&w, p, 8);
        /* any byte < 0x20, >= 0x80, '"' or '\\': a byte >= 0x80 is flagged by
         * its own high bit, so the usual "& ~x" of each zero-byte test is
         * not needed; below the first special byte no subtraction borrows
         * or sets a high bit, so when nothing is special nothing is flagged */
        uint64_t q = w ^ 0x2222222222222222ULL, bs = w ^ 0x5c5c5c5c5c5c5c5cULL;
        uint64_t special = (w | (w - 0x2020202020202020ULL) | (q - 0x0101010101010101ULL) |
                            (bs - 0x0101010101010101ULL)) & 0x8080808080808080ULL;
        if (special) {
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
            /* the lowest flagged byte is exact (borrows only run upward):
             * jump to it instead of testing the bytes before it one by one */
            p += __builtin_ctzll(special) >> 3;
#endif
            break;
        }
        p += 8;
    }
    while (p < end && plain((unsigned char)*p))
        p++;
    if (p < end && *p == '"') {
        size_t n = (size_t)(p - c->p);
        char *s;
        if (n < 16 && end - c->p >= 16) {
            /* short (keys, names): two fixed-size moves instead of a call */
            if (!(s = jalloc(c->a, 16)))
                return poom(c);
            memcpy(s, c->p, 8);
            memcpy(s + 8, c->p + 8, 8);
        } else {
            if (!(s = jalloc(c->a, n + 1)))
                return poom(c);
            memcpy(s, c->p, n);
        }
        s[n] = 0;
        *out = s;
        *outlen = n;
        c->p = p + 1;
        return true;
    }
    return parse_string_slow(c, p, out, outlen);
}

/* Escapes or non-ASCII from p on: find the end, then decode into a buffer
 * no longer than the escaped text (every escape shrinks or keeps size). */
static __attribute__((noinline)) bool parse_string_slow(pctx_t *c, const char *p, const char **out, size_t *outlen)
{
    const char *start = c->p - 1, *end = c->end;
    const char *q = p;
    while (q < end && *q != '"') {
        if (*q == '\\')
            q++;
        q++;
    }
    /* Without a closing quote the text is still decoded to its end first:
     * an earlier bad escape or control character is the error reported, as
     * Python's scanner meets them in that order. */
    bool unterminated = q >= end;
    if (unterminated)
        q = end;
    char *s = jalloc(c->a, (size_t)(q - c->p) + 1), *o = s;
    if (!s)
        return poom(c);
    memcpy(o, c->p, (size_t)(p - c->p));
    o += p - c->p;
    while (p < q) {
        unsigned char ch = (unsigned char)*p;
        if (plain(ch)) {
            *o++ = (char)ch;
            p++;
        } else if (ch >= 0x80) {
            size_t k = utf8_seq((const unsigned char *)p, (const unsigned char *)q);
            if (!k)
                return perr(c, p, "Invalid UTF-8 byte");
            memcpy(o, p, k);
            o += k;
            p += k;
        } else if (ch < 0x20) {
            return perr(c, p, "Invalid control character at");
        } else { /* backslash */
            if (q - p < 2)
                return perr(c, start, "Unterminated string starting at");
            char e = p[1];
            p += 2;
            switch (e) {
            case '"': *o++ = '"'; break;
            case '\\': *o++ = '\\'; break;
            case '/': *o++ = '/'; break;
            case 'b': *o++ = '\b'; break;
            case 'f': *o++ = '\f'; break;
            case 'n': *o++ = '\n'; break;
            case 'r': *o++ = '\r'; break;
            case 't': *o++ = '\t'; break;
            case 'u': {
                /* four hex digits, and (as Python's scanner asks) some
                 * text after them */
                int u = q - p >= 4 && p + 4 < c->end ? hex4(p) : -1;
                if (u < 0)
                    return perr(c, p - 1, "Invalid \\uXXXX escape");
                p += 4;
                unsigned cp = (unsigned)u;
                /* a high surrogate followed by an escaped low one is a
                 * pair; any other surrogate stands alone */
                if (cp >= 0xd800 && cp <= 0xdbff && q - p >= 6 && p + 6 < c->end && p[0] == '\\' && p[1] == 'u') {
                    int lo = hex4(p + 2);
                    if (lo >= 0xdc00 && lo <= 0xdfff) {
                        cp = 0x10000 + ((cp - 0xd800) << 10) + ((unsigned)lo - 0xdc00);
                        p += 6;
                    }
                }
                o = put_cp(o, cp);
                break;
            }
            default:
                return perr(c, p - 2, "Invalid \\escape");
            }
        }
    }
    if (unterminated)
        return perr(c, start, "Unterminated string starting at");
    *o = 0;
    *out = s;
    *outlen = (size_t)(o - s);
    c->p = q + 1;
    return true;
}

/* -------------------------------------------------------------- numbers */

static bool parse_number(pctx_t *c, pt_jv_t *v)
{
    const char *p = c->p, *end = c->end, *start = p;
    bool neg = false;
    if (p < end && *p == '-') {
        neg = true;
        p++;
    }
    if (p >= end || *p < '0' || *p > '9')
        return perr(c, start, "Expecting value");
    const char *digits = p;
    if (*p == '0')
        p++;
    else
        while (p < end && *p >= '0' && *p <= '9')
            p++;
    bool real = false;
    if (p + 1 < end && *p == '.' && p[1] >= '0' && p[1] <= '9') {
        real = true;
        p++;
        while (p < end && *p >= '0' && *p <= '9')
            p++;
    }
    if (p < end && (*p == 'e' || *p == 'E')) {
        const char *e = p + 1;
        if (e < end && (*e == '+' || *e == '-'))
            e++;
        if (e < end && *e >= '0' && *e <= '9') {
            real = true;
            p = e;
            while (p < end && *p >= '0' && *p <= '9')
                p++;
        }
    }
    c->p = p;
    if (!real) {
        size_t nd = (size_t)(p - digits);
        if (nd <= 18) {
            int64_t x = 0;
            for (const char *d = digits; d < p; d++)
                x = x * 10 + (*d - '0');
            v->type = PT_JV_INT;
            v->u.i = neg ? -x : x;
            return true;
        }
        /* 19 digits and more: int64 when it fits, digits otherwise */
        uint64_t x = 0;
        bool fits = nd <= 20;
        for (const char *d = digits; fits && d < p; d++)
            fits = !__builtin_mul_overflow(x, 10, &x) && !__builtin_add_overflow(x, (uint64_t)(*d - '0'), &x);
        if (fits && (neg ? x <= (uint64_t)INT64_MAX + 1 : x <= (uint64_t)INT64_MAX)) {
            v->type = PT_JV_INT;
            v->u.i = neg ? (int64_t)(0 - x) : (int64_t)x;
            return true;
        }
        size_t n = (size_t)(p - start);
        if (n > UINT32_MAX)
            return perr(c, start, "Number too long");
        char *s = jalloc(c->a, n + 1);
        if (!s)
            return poom(c);
        memcpy(s, start, n);
        s[n] = 0;
        v->type = PT_JV_BIGINT;
        v->u.s = s;
        v->len = (uint32_t)n;
        return true;
    }
    char tmp[64], *buf = tmp;
    size_t n = (size_t)(p - start);
    if (n >= sizeof tmp && !(buf = jalloc(c->a, n + 1)))
        return poom(c);
    memcpy(buf, start, n);
    buf[n] = 0;
    v->type = PT_JV_REAL;
    v->u.d = strtod(buf, NULL); /* out of range: ±inf or 0, as Python's float() */
    return true;
}

/* ------------------------------------------------------------- objects */

/* A repeated key keeps its first position and takes the last value. */
static size_t dedup_small(pt_jmember_t *m, size_t n)
{
    size_t out = 0;
    for (size_t i = 0; i < n; i++) {
        size_t j = 0;
        for (; j < out; j++)
            if (m[j].klen == m[i].klen && memcmp(m[j].key, m[i].key, m[i].klen) == 0)
                break;
        if (j < out)
            m[j].v = m[i].v;
        else
            m[out++] = m[i];
    }
    return out;
}

static bool has_dup_small(const pt_jmember_t *m, size_t n)
{
    for (size_t i = 1; i < n; i++)
        for (size_t j = 0; j < i; j++)
            if (m[j].klen == m[i].klen && memcmp(m[j].key, m[i].key, m[i].klen) == 0)
                return true;
    return false;
}

static size_t dedup(pctx_t *c, pt_jmember_t *m, size_t n)
{
    if (n <= 16)
        return has_dup_small(m, n) ? dedup_small(m, n) : n;
    size_t cap = 32;
    while (cap < n * 2)
        cap *= 2;
    scratch_t *sc = c->sc;
    if (!grow((void **)&sc->dedup, &sc->capdedup, cap, sizeof *sc->dedup))
        return (size_t)-1;
    uint32_t *t = sc->dedup;
    memset(t, 0xff, cap * sizeof *t);
    size_t out = 0;
    for (size_t i = 0; i < n; i++) {
        size_t h = prop_hash(m[i].key, m[i].klen) & (cap - 1);
        for (;;) {
            if (t[h] == UINT32_MAX) {
                t[h] = (uint32_t)out;
                m[out++] = m[i];
                break;
            }
            pt_jmember_t *e = &m[t[h]];
            if (e->klen == m[i].klen && memcmp(e->key, m[i].key, m[i].klen) == 0) {
                e->v = m[i].v;
                break;
            }
            h = (h + 1) & (cap - 1);
        }
    }
    return out;
}

/* --------------------------------------------------------------- driver */

static bool literal(pctx_t *c, const char *word, size_t n)
{
    if ((size_t)(c->end - c->p) < n || memcmp(c->p, word, n) != 0)
        return perr(c, c->p, "Expecting value");
    c->p += n;
    return true;
}

/* After '{' or ',': a key and its ':'; the member goes on the stack. */
static inline __attribute__((always_inline)) bool parse_key(pctx_t *c)
{
    c->p = skip_ws(c->p, c->end);
    if (c->p >= c->end || *c->p != '"')
        return perr(c, c->p, "Expecting property name enclosed in double quotes");
    c->p++;
    scratch_t *sc = c->sc;
    if (!grow((void **)&sc->mems, &sc->capmems, sc->nmems + 1, sizeof *sc->mems))
        return poom(c);
    pt_jmember_t *m = &sc->mems[sc->nmems];
    if (!parse_string(c, &m->key, &m->klen))
        return false;
    sc->nmems++;
    c->p = skip_ws(c->p, c->end);
    if (c->p >= c->end || *c->p != ':')
        return perr(c, c->p, "Expecting ':' delimiter");
    c->p++;
    return true;
}

int pt__jparse(jalloc_t *a, const char *s, size_t n, int max_depth, pt_jv_t *out, jperr_t *pe)
{
    scratch_t *sc = scratch_get();
    pctx_t c = {.s = s, .end = s + n, .p = s, .a = a, .sc = sc, .pe = pe};
    if (!sc)
        return poom(&c), -1;
    if (max_depth <= 0)
        max_depth = PT_JSON_DEFAULT_MAX_DEPTH;
    size_t depth = 0, base_vals = sc->nvals, base_mems = sc->nmems;
    pt_jv_t v;
    for (;;) {
        /* a value */
        c.p = skip_ws(c.p, c.end);
        if (c.p >= c.end) {
            perr(&c, c.p, "Expecting value");
            goto fail;
        }
        memset(&v, 0, sizeof v);
        switch (*c.p) {
        case '{':
        case '[': {
            bool obj = *c.p == '{';
            if (depth >= (size_t)max_depth) {
                perr(&c, c.p, "Nested too deeply");
                pe->too_deep = true;
                goto fail;
            }
            if (!grow((void **)&sc->frames, &sc->capframes, depth + 1, sizeof *sc->frames)) {
                poom(&c);
                goto fail;
            }
            sc->frames[depth++] = (frame_t){obj ? sc->nmems : sc->nvals, obj};
            c.p = skip_ws(c.p + 1, c.end);
            if (c.p < c.end && *c.p == (obj ? '}' : ']')) {
                c.p++;
                depth--;
                v.type = obj ? PT_JV_OBJECT : PT_JV_ARRAY;
                break; /* an empty container is a complete value */
            }
            if (obj && !parse_key(&c))
                goto fail;
            continue; /* its first value */
        }
        case '"': {
            c.p++;
            const char *str;
            size_t len;
            if (!parse_string(&c, &str, &len))
                goto fail;
            if (len > UINT32_MAX) {
                perr(&c, c.p, "String too long");
                goto fail;
            }
            v.type = PT_JV_STRING;
            v.u.s = str;
            v.len = (uint32_t)len;
            break;
        }
        case 't': if (!literal(&c, "true", 4)) goto fail; v.type = PT_JV_TRUE; break;
        case 'f': if (!literal(&c, "false", 5)) goto fail; v.type = PT_JV_FALSE; break;
        case 'n': if (!literal(&c, "null", 4)) goto fail; v.type = PT_JV_NULL; break;
        default:
            if (!parse_number(&c, &v))
                goto fail;
        }
        /* v is complete: store it, then close every container that ends here */
        for (;;) {
            if (!depth) {
                c.p = skip_ws(c.p, c.end);
                if (c.p != c.end) {
                    perr(&c, c.p, "Extra data");
                    goto fail;
                }
                *out = v;
                return 0;
            }
            frame_t *f = &sc->frames[depth - 1];
            if (f->object) {
                sc->mems[sc->nmems - 1].v = v;
            } else {
                if (!grow((void **)&sc->vals, &sc->capvals, sc->nvals + 1, sizeof *sc->vals)) {
                    poom(&c);
                    goto fail;
                }
                sc->vals[sc->nvals++] = v;
            }
            c.p = skip_ws(c.p, c.end);
            char ch = c.p < c.end ? *c.p : 0;
            if (ch == ',') {
                c.p++;
                if (f->object && !parse_key(&c))
                    goto fail;
                break; /* the next value */
            }
            if (ch != (f->object ? '}' : ']')) {
                perr(&c, c.p, "Expecting ',' delimiter");
                goto fail;
            }
            c.p++;
            memset(&v, 0, sizeof v);
            if (f->object) {
                size_t cnt = sc->nmems - f->start;
                cnt = dedup(&c, sc->mems + f->start, cnt);
                if (cnt == (size_t)-1 || cnt > UINT32_MAX) {
                    poom(&c);
                    goto fail;
                }
                pt_jmember_t *m = jalloc(a, cnt * sizeof *m);
                if (!m) {
                    poom(&c);
                    goto fail;
                }
                memcpy(m, sc->mems + f->start, cnt * sizeof *m);
                sc->nmems = f->start;
                v.type = PT_JV_OBJECT;
                v.u.members = m;
                v.len = (uint32_t)cnt;
            } else {
                size_t cnt = sc->nvals - f->start;
                if (cnt > UINT32_MAX) {
                    poom(&c);
                    goto fail;
                }
                pt_jv_t *items = jalloc(a, cnt * sizeof *items);
                if (!items) {
                    poom(&c);
                    goto fail;
                }
                memcpy(items, sc->vals + f->start, cnt * sizeof *items);
                sc->nvals = f->start;
                v.type = PT_JV_ARRAY;
                v.u.items = items;
                v.len = (uint32_t)cnt;
            }
            depth--;
        }
    }
fail:
    sc->nvals = base_vals;
    sc->nmems = base_mems;
    return -1;
}

/* ------------------------------------------------------------ public API */

pt_jdoc_t *pt_json_parse(const char *text, size_t len, const pt_json_parse_opts_t *opts, pt_schema_error_t *err)
{
    if (err && err->message)
        pt_schema_error_clear(err);
    jalloc_t a = {0};
    if (opts && opts->alloc) {
        a.alloc = opts->alloc;
        a.ctx = opts->alloc_ctx;
        a.next_size = len + len / 2 + 256; /* most documents then fit one chunk */
    } else {
        a.next_size = len + len / 2 + 256;
    }
    if (!text) {
        pt__set_error(err, "", "no JSON text given (NULL)");
        return NULL;
    }
    pt_jv_t root;
    jperr_t pe;
    int depth = opts && opts->max_depth > 0 ? opts->max_depth : PT_JSON_DEFAULT_MAX_DEPTH;
    if (pt__jparse(&a, text, len, depth, &root, &pe) != 0) {
        pt__jalloc_free(&a);
        if (pe.oom)
            pt__set_error(err, "", "out of memory while parsing JSON");
        else if (pe.too_deep)
            pt__set_error(err, "", "nested deeper than %d levels: line %zu column %zu (char %zu)", depth, pe.line,
                          pe.col, pe.pos);
        else
            pt__set_error(err, "", "%s: line %zu column %zu (char %zu)", pe.reason, pe.line, pe.col, pe.pos);
        return NULL;
    }
    pt_jdoc_t *d = a.alloc ? jalloc(&a, sizeof *d) : malloc(sizeof *d);
    if (!d) {
        pt__jalloc_free(&a);
        pt__set_error(err, "", "out of memory while parsing JSON");
        return NULL;
    }
    d->root = root;
    d->mem = a;
    d->owned = !a.alloc;
    return d;
}

void pt_jdoc_free(pt_jdoc_t *d)
{
    if (!d || !d->owned)
        return;
    pt__jalloc_free(&d->mem);
    free(d);
}

const pt_jv_t *pt_jdoc_root(const pt_jdoc_t *d) { return d ? &d->root : NULL; }

double pt__jv_big_double(const pt_jv_t *v) { return strtod(v->u.s, NULL); }
