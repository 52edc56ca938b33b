/* Comparisons the keywords make on instance values: exact number order
 * (maximum...), multipleOf as Python computes it, uniqueItems, and the
 * regex search behind pattern and patternProperties. */
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "validate_internal.h"

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

/* Exact comparison of two JSON numbers: <0, 0, >0. */
int pt__num_cmp(const json_t *a, const json_t *b)
{
    if (json_is_integer(a) && json_is_integer(b)) {
        json_int_t x = json_integer_value(a), y = json_integer_value(b);
        return (x > y) - (x < y);
    }
    long double x = json_is_integer(a) ? (long double)json_integer_value(a) : json_real_value(a);
    long double y = json_is_integer(b) ? (long double)json_integer_value(b) : json_real_value(b);
    return (x > y) - (x < y);
}

bool pt__multiple_of(const json_t *x, const json_t *d)
{
    if (json_is_integer(x) && json_is_integer(d))
        return json_integer_value(x) % json_integer_value(d) == 0;
    double xv = json_number_value(x), dv = json_number_value(d);
    if (json_is_integer(d)) /* Python: float % int */
        return fmod(xv, dv) == 0;
    double q = xv / dv;
    if (!isfinite(q))
        return false;
    return trunc(q) == q;
}

/* ------------------------------------------------------------ uniqueness */

/* Structural hash consistent with pt__js_equal (1 and 1.0 hash alike). */
static uint64_t js_hash(const json_t *v, int depth)
{
    if (depth > 32) /* only a filter: deeper parts need not contribute */
        return 0x6666;
    switch (json_typeof(v)) {
    case JSON_INTEGER:
    case JSON_REAL: {
        double d = json_number_value(v);
        if (d == 0)
            d = 0; /* -0.0 */
        uint64_t u;
        memcpy(&u, &d, sizeof u);
        return u * 0x9e3779b97f4a7c15ULL;
    }
    case JSON_STRING: return prop_hash(json_string_value(v), json_string_length(v)) * 31 + 7;
    case JSON_TRUE: return 0x1111;
    case JSON_FALSE: return 0x2222;
    case JSON_NULL: return 0x3333;
    case JSON_ARRAY: {
        uint64_t h = 0x4444;
        for (size_t i = 0; i < json_array_size(v); i++)
            h = h * 1099511628211ULL ^ js_hash(json_array_get(v, i), depth + 1);
        return h;
    }
    case JSON_OBJECT: {
        uint64_t h = 0x5555;
        const char *k;
        json_t *x;
        json_object_foreach((json_t *)v, k, x) h += prop_hash(k, strlen(k)) * 0x100000001b3ULL ^ js_hash(x, depth + 1);
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
bool pt__v_unique(vctx_t *c, const json_t *arr)
{
    size_t n = json_array_size(arr);
    if (n <= 32) {
        for (size_t i = 1; i < n; i++)
            for (size_t j = 0; j < i; j++)
                if (pt__js_equal(json_array_get(arr, i), json_array_get(arr, j)))
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
        h[i] = (hidx_t){js_hash(json_array_get(arr, i), 0), i};
    qsort(h, n, sizeof *h, hidx_cmp);
    bool ok = true;
    for (size_t i = 0; i < n && ok; i++)
        for (size_t j = i + 1; j < n && h[j].h == h[i].h && ok; j++)
            if (pt__js_equal(json_array_get(arr, h[i].i), json_array_get(arr, h[j].i)))
                ok = false;
    free(h);
    return ok;
}
