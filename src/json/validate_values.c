/* Comparisons the keywords make on instance values: exact number order
 * (maximum...), multipleOf as Python computes it, uniqueItems, and the
 * regex search behind pattern and patternProperties. */
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "validate.h"

/* --------------------------------------------------------- PCRE2 helpers */

static pthread_key_t md_key;
static pthread_once_t md_once = PTHREAD_ONCE_INIT;
static __thread pcre2_match_data *md_tls;

static void md_destroy(void *p) { pcre2_match_data_free(p); }
static void md_init(void) { pthread_key_create(&md_key, md_destroy); }

pcre2_match_data *pt__tls_match_data(void)
{
    if (!md_tls) {
        pthread_once(&md_once, md_init);
        /* one pair is enough: only "is there a match" matters, and a
         * too-small ovector still reports the match (rc == 0) */
        md_tls = pcre2_match_data_create(1, NULL);
        if (md_tls)
            pthread_setspecific(md_key, md_tls); /* freed when the thread exits */
    }
    return md_tls;
}

bool pt__re_search(pcre2_code *re, const char *s, size_t n)
{
    pcre2_match_data *md = pt__tls_match_data();
    bool own = false;
    if (!md) {
        md = pcre2_match_data_create(1, NULL);
        own = true;
        if (!md)
            return false;
    }
    int rc = pcre2_match(re, (PCRE2_SPTR)s, n, 0, 0, md, NULL);
    if (own)
        pcre2_match_data_free(md);
    return rc >= 0;
}

/* --------------------------------------------------------------- numbers */

/* Numbers as long double, for comparisons that involve a real. */
static long double num_ld(const pt_jv_t *v)
{
    if (v->type == PT_JV_INT)
        return (long double)v->u.i;
    if (v->type == PT_JV_REAL)
        return v->u.d;
    return strtold(v->u.s, NULL);
}

/* Two big integers (digits beyond int64, no leading zeros): exact order. */
static int big_cmp(const pt_jv_t *a, const pt_jv_t *b)
{
    bool na = a->u.s[0] == '-', nb = b->u.s[0] == '-';
    if (na != nb)
        return na ? -1 : 1;
    int r = a->len != b->len ? (a->len > b->len ? 1 : -1) : memcmp(a->u.s, b->u.s, a->len);
    r = (r > 0) - (r < 0);
    return na ? -r : r;
}

/* Exact comparison of two JSON numbers: <0, 0, >0 (a real against a big
 * integer compares in long double precision). */
int pt__num_cmp(const pt_jv_t *a, const pt_jv_t *b)
{
    if (a->type == PT_JV_INT && b->type == PT_JV_INT)
        return (a->u.i > b->u.i) - (a->u.i < b->u.i);
    if (a->type == PT_JV_BIGINT && b->type == PT_JV_BIGINT)
        return big_cmp(a, b);
    /* a big integer is beyond every int64: its sign decides */
    if (a->type == PT_JV_BIGINT && b->type == PT_JV_INT)
        return a->u.s[0] == '-' ? -1 : 1;
    if (b->type == PT_JV_BIGINT && a->type == PT_JV_INT)
        return b->u.s[0] == '-' ? 1 : -1;
    long double x = num_ld(a), y = num_ld(b);
    return (x > y) - (x < y);
}

/* Remainder of a big integer's magnitude by d (d > 0). */
static uint64_t big_mod(const pt_jv_t *x, uint64_t d)
{
    unsigned __int128 r = 0;
    for (const char *p = x->u.s + (x->u.s[0] == '-'); *p; p++)
        r = (r * 10 + (unsigned)(*p - '0')) % d;
    return (uint64_t)r;
}

bool pt__multiple_of(const pt_jv_t *x, const pt_jv_t *d)
{
    if (d->type == PT_JV_INT && x->type == PT_JV_INT)
        return d->u.i == -1 || x->u.i % d->u.i == 0;
    if (d->type == PT_JV_INT && x->type == PT_JV_BIGINT) /* Python: exact int % int */
        return big_mod(x, d->u.i < 0 ? 0 - (uint64_t)d->u.i : (uint64_t)d->u.i) == 0;
    double xv = jv_number(x), dv = jv_number(d);
    if (d->type != PT_JV_REAL) /* Python: float % int */
        return fmod(xv, dv) == 0;
    double q = xv / dv;
    if (!isfinite(q))
        return false;
    return trunc(q) == q;
}

/* ------------------------------------------------------------ uniqueness */

/* Structural hash consistent with pt__js_equal (1 and 1.0 hash alike). */
static uint64_t js_hash(const pt_jv_t *v, int depth)
{
    if (depth > 32) /* only a filter: deeper parts need not contribute */
        return 0x6666;
    switch ((pt_jv_type_t)v->type) {
    case PT_JV_INT:
    case PT_JV_BIGINT:
    case PT_JV_REAL: {
        double d = jv_number(v);
        if (d == 0)
            d = 0; /* -0.0 */
        uint64_t u;
        memcpy(&u, &d, sizeof u);
        return u * 0x9e3779b97f4a7c15ULL;
    }
    case PT_JV_STRING: return prop_hash(v->u.s, v->len) * 31 + 7;
    case PT_JV_TRUE: return 0x1111;
    case PT_JV_FALSE: return 0x2222;
    case PT_JV_NULL: return 0x3333;
    case PT_JV_ARRAY: {
        uint64_t h = 0x4444;
        for (size_t i = 0; i < v->len; i++)
            h = h * 1099511628211ULL ^ js_hash(jv_item(v, i), depth + 1);
        return h;
    }
    case PT_JV_OBJECT: {
        uint64_t h = 0x5555;
        for (size_t i = 0; i < v->len; i++) {
            const pt_jmember_t *m = &v->u.members[i];
            h += prop_hash(m->key, m->klen) * 0x100000001b3ULL ^ js_hash(&m->v, depth + 1);
        }
        return h;
    }
    }
    return 0;
}

typedef struct hidx {
    uint64_t h;
    size_t i;
} hidx_t;

static int hidx_cmp(const void *a, const void *b)
{
    const hidx_t *x = a, *y = b;
    return x->h < y->h ? -1 : x->h > y->h;
}
bool pt__v_unique(vctx_t *c, const pt_jv_t *arr)
{
    size_t n = arr->len;
    if (n <= 32) {
        for (size_t i = 1; i < n; i++)
            for (size_t j = 0; j < i; j++)
                if (pt__js_equal(jv_item(arr, i), jv_item(arr, j)))
                    return false;
        return true;
    }
    /* long arrays: sort by hash, compare equal-hash runs only */
    hidx_t *h = malloc(n * sizeof *h);
    if (!h) {
        c->oom = true;
        return false;
    }
    for (size_t i = 0; i < n; i++)
        h[i] = (hidx_t){js_hash(jv_item(arr, i), 0), i};
    qsort(h, n, sizeof *h, hidx_cmp);
    bool ok = true;
    for (size_t i = 0; i < n && ok; i++)
        for (size_t j = i + 1; j < n && h[j].h == h[i].h && ok; j++)
            if (pt__js_equal(jv_item(arr, h[i].i), jv_item(arr, h[j].i)))
                ok = false;
    free(h);
    return ok;
}

/* ------------------------------------------------------------- equality */

/* Values nested deeper than this compare unequal, which bounds the
 * recursion on hostile input. */
#define EQUAL_MAX_DEPTH 512

static bool js_equal_d(const pt_jv_t *a, const pt_jv_t *b, int depth)
{
    if (depth > EQUAL_MAX_DEPTH)
        return false;
    if (jv_is_number(a) && jv_is_number(b))
        return pt__num_cmp(a, b) == 0;
    /* true and false are different types here; so are the rest */
    if (a->type != b->type)
        return false;
    switch ((pt_jv_type_t)a->type) {
    case PT_JV_STRING:
        return a->len == b->len && memcmp(a->u.s, b->u.s, a->len) == 0;
    case PT_JV_ARRAY:
        if (a->len != b->len)
            return false;
        for (size_t i = 0; i < a->len; i++)
            if (!js_equal_d(jv_item(a, i), jv_item(b, i), depth + 1))
                return false;
        return true;
    case PT_JV_OBJECT:
        if (a->len != b->len)
            return false;
        for (size_t i = 0; i < a->len; i++) {
            const pt_jmember_t *m = &a->u.members[i];
            const pt_jv_t *y = jv_get(b, m->key, m->klen);
            if (!y || !js_equal_d(&m->v, y, depth + 1))
                return false;
        }
        return true;
    default:
        return true; /* null, true, false: same type is equal */
    }
}

/* Python's == on JSON values (1 == 1.0, True != 1). */
bool pt__js_equal(const pt_jv_t *a, const pt_jv_t *b) { return js_equal_d(a, b, 0); }
