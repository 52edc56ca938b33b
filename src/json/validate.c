/* The validator: walks a compiled node graph against a jansson instance.
 *
 * One walker, three modes. M_BOOL answers valid/invalid and stops at the
 * first failure without building anything; it is what pt_schema_is_valid
 * runs and what anyOf/oneOf/not/if/contains use for their branches (as
 * Python's jsonschema does with is_valid). M_FIRST and M_ALL build error
 * records; they only run once the document is known to be invalid, so the
 * success path allocates nothing. Paths are kept as chains of stack-held
 * segments and only turned into strings when an error is recorded.
 */
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "schema_internal.h"

/* M_LOC is M_FIRST that records where the first error is (keyword and
 * paths) without wording it: pt_schema_check. */
enum { M_BOOL, M_FIRST, M_ALL, M_LOC };

typedef struct seg {
    const struct seg *up;
    const char *key; /* NULL: index segment */
    size_t idx;
} seg_t;

typedef struct vctx {
    const pt_schema_t *s;
    int mode;
    int depth;            /* levels of the instance entered */
    int same;             /* schemas applied in a chain to the current value */
    const json_t *cur;    /* the value being validated */
    bool too_deep, oom;
    pt_schema_error_t *first;
    pt_schema_errors_t *all;
    pt_schema_fail_t *fail; /* M_LOC */
} vctx_t;

/* --------------------------------------------------------- PCRE2 helpers */

static pthread_key_t md_key;
static pthread_once_t md_once = PTHREAD_ONCE_INIT;
static __thread pcre2_match_data *md_tls;

static void md_destroy(void *p) { pcre2_match_data_free(p); }
static void md_init(void) { pthread_key_create(&md_key, md_destroy); }

pcre2_match_data *tls_match_data(void)
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

bool re_search(pcre2_code *re, const char *s, size_t n)
{
    pcre2_match_data *md = tls_match_data();
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

/* ---------------------------------------------------------------- errors */

static void path_rec(sbuf_t *b, const seg_t *s)
{
    if (!s)
        return;
    path_rec(b, s->up);
    sb_putn(b, "/", 1);
    if (!s->key) {
        sb_int(b, (long long)s->idx);
        return;
    }
    /* copy runs between the characters JSON Pointer escapes */
    const char *p = s->key;
    for (;;) {
        size_t run = 0;
        while (p[run] && p[run] != '~' && p[run] != '/')
            run++;
        sb_putn(b, p, run);
        p += run;
        if (!*p)
            break;
        sb_puts(b, *p == '~' ? "~0" : "~1");
        p++;
    }
}

/* Writes the JSON Pointer of the segment chain s (then of the keyword kw,
 * if any) at buf + *pos, NUL-terminated; false when cap is too small or
 * the chain too deep (the caller then falls back to path_rec). */
static bool path_put(char *buf, size_t cap, size_t *pos, const seg_t *s, const char *kw)
{
    const seg_t *chain[48];
    size_t n = 0;
    for (; s; s = s->up) {
        if (n == sizeof chain / sizeof *chain)
            return false;
        chain[n++] = s;
    }
    size_t p = *pos;
    for (size_t j = 0; j < n + (kw != NULL); j++) {
        size_t i = n - 1 - j; /* outermost first; j == n is kw */
        const char *key = j == n ? kw : chain[i]->key;
        if (p + 1 >= cap)
            return false;
        buf[p++] = '/';
        if (!key) {
            char d[24];
            size_t nd = 0, v = chain[i]->idx;
            do
                d[nd++] = (char)('0' + v % 10);
            while ((v /= 10));
            if (p + nd >= cap)
                return false;
            while (nd)
                buf[p++] = d[--nd];
            continue;
        }
        for (; *key; key++) {
            if (p + 2 >= cap)
                return false;
            char ch = *key;
            if (__builtin_expect(ch == '~' || ch == '/', 0)) {
                buf[p++] = '~';
                ch = ch == '~' ? '0' : '1';
            }
            buf[p++] = ch;
        }
    }
    buf[p] = 0;
    *pos = p + 1;
    return true;
}

/* M_LOC: records the first error's keyword and paths in the caller's
 * record (its own buffer unless the paths are long). */
static void locate(vctx_t *c, const char *kw, const seg_t *ip, const seg_t *sp)
{
    pt_schema_fail_t *f = c->fail;
    if (f->rc_)
        return;
    size_t pos = 0;
    if (path_put(f->buf_, sizeof f->buf_, &pos, ip, NULL)) {
        size_t soff = pos;
        if (path_put(f->buf_, sizeof f->buf_, &pos, sp, kw)) {
            f->instance_path = f->buf_;
            f->schema_path = f->buf_ + soff;
            f->keyword = kw;
            f->rc_ = 1;
            return;
        }
    }
    /* long paths: on the heap */
    sbuf_t b = {0};
    path_rec(&b, ip);
    sb_putn(&b, "", 1);
    size_t soff = b.len;
    path_rec(&b, sp);
    if (kw) {
        seg_t l = {NULL, kw, 0};
        path_rec(&b, &l);
    }
    sb_putn(&b, "", 1);
    if (b.oom) {
        free(b.s);
        c->oom = true;
        return;
    }
    f->heap_ = b.s;
    f->instance_path = b.s;
    f->schema_path = b.s + soff;
    f->keyword = kw;
    f->rc_ = 1;
}

/* Records one error; msg is consumed. The paths are appended to the
 * message's buffer so the record is a single allocation. */
static void emit(vctx_t *c, const char *kw, const seg_t *ip, const seg_t *sp, sbuf_t *msg)
{
    pt_schema_error_t e = {0};
    if (c->mode == M_LOC) {
        free(msg->s);
        locate(c, kw, ip, sp);
        return;
    }
    sb_putn(msg, "", 1);
    size_t ioff = msg->len;
    path_rec(msg, ip);
    sb_putn(msg, "", 1);
    size_t soff = msg->len;
    path_rec(msg, sp);
    if (kw) {
        seg_t l = {NULL, kw, 0};
        path_rec(msg, &l);
    }
    if (!err_take(&e, msg, ioff, soff, kw)) {
        c->oom = true;
        return;
    }
    if (c->mode == M_FIRST) {
        if (c->first && !c->first->message)
            *c->first = e;
        else
            pt_schema_error_clear(&e);
        return;
    }
    pt_schema_errors_t *l = c->all;
    if (l->count == l->cap_) {
        size_t cap = l->cap_ ? l->cap_ * 2 : 8;
        pt_schema_error_t *v = realloc(l->items, cap * sizeof *v);
        if (!v) {
            pt_schema_error_clear(&e);
            c->oom = true;
            return;
        }
        l->items = v;
        l->cap_ = cap;
    }
    l->items[l->count++] = e;
}

/* --------------------------------------------------------------- helpers */

static bool v_node(vctx_t *c, const sch_t *n, const json_t *x, const seg_t *ip, const seg_t *sp);

/* Python's is_valid: a branch check that never reports. */
static bool sub_valid(vctx_t *c, const sch_t *n, const json_t *x)
{
    int mode = c->mode;
    c->mode = M_BOOL;
    bool ok = v_node(c, n, x, NULL, NULL);
    c->mode = mode;
    return ok;
}

static bool is_integral(const json_t *x)
{
    if (json_is_integer(x))
        return true;
    if (json_is_real(x)) {
        double d = json_real_value(x);
        return isfinite(d) && floor(d) == d;
    }
    return false;
}

/* Type bits each jansson type satisfies outright; a real also satisfies
 * "integer" when it is integral (1.0), checked separately. */
static const unsigned char type_bits[] = {
    [JSON_OBJECT] = T_OBJECT,   [JSON_ARRAY] = T_ARRAY,  [JSON_STRING] = T_STRING,
    [JSON_INTEGER] = T_INTEGER | T_NUMBER, [JSON_REAL] = T_NUMBER,
    [JSON_TRUE] = T_BOOLEAN,    [JSON_FALSE] = T_BOOLEAN, [JSON_NULL] = T_NULL,
};

static inline bool type_ok(unsigned bits, const json_t *x)
{
    json_type t = json_typeof(x);
    if (bits & type_bits[t])
        return true;
    return t == JSON_REAL && (bits & T_INTEGER) && is_integral(x);
}

/* Exact comparison of two JSON numbers: <0, 0, >0. */
static int num_cmp(const json_t *a, const json_t *b)
{
    if (json_is_integer(a) && json_is_integer(b)) {
        json_int_t x = json_integer_value(a), y = json_integer_value(b);
        return (x > y) - (x < y);
    }
    long double x = json_is_integer(a) ? (long double)json_integer_value(a) : json_real_value(a);
    long double y = json_is_integer(b) ? (long double)json_integer_value(b) : json_real_value(b);
    return (x > y) - (x < y);
}

static bool multiple_of(const json_t *x, const json_t *d)
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

/* Structural hash consistent with js_equal (1 and 1.0 hash alike). */
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

static bool unique(vctx_t *c, const json_t *arr)
{
    size_t n = json_array_size(arr);
    if (n <= 32) {
        for (size_t i = 1; i < n; i++)
            for (size_t j = 0; j < i; j++)
                if (js_equal(json_array_get(arr, i), json_array_get(arr, j)))
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
            if (js_equal(json_array_get(arr, h[i].i), json_array_get(arr, h[j].i)))
                ok = false;
    free(h);
    return ok;
}

static bool prop_is_additional(const kw_t *k, const char *key, size_t len)
{
    if (k->sib_props && props_find(k->sib_props, key, len))
        return false;
    if (k->sib_pats)
        for (size_t i = 0; i < k->sib_pats->u.pats.n; i++)
            if (re_search(k->sib_pats->u.pats.v[i].code, key, len))
                return false;
    return true;
}

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

static int cmp_json_sortable(const void *a, const void *b)
{
    const json_t *x = *(const json_t *const *)a, *y = *(const json_t *const *)b;
    if (json_is_string(x))
        return strcmp(json_string_value(x), json_string_value(y));
    return num_cmp(x, y);
}

/* Python's extras_msg over instance[from:], sorted as Python would when
 * the values are all numbers or all strings. */
static void extra_items_msg(sbuf_t *b, const json_t *arr, size_t from)
{
    size_t n = json_array_size(arr) - from;
    const json_t **v = malloc(n * sizeof *v);
    if (!v) {
        b->oom = true;
        return;
    }
    bool all_num = true, all_str = true;
    for (size_t i = 0; i < n; i++) {
        v[i] = json_array_get(arr, from + i);
        all_num &= json_is_integer(v[i]) || json_is_real(v[i]);
        all_str &= json_is_string(v[i]);
    }
    if (all_num || all_str)
        qsort(v, n, sizeof *v, cmp_json_sortable);
    sb_puts(b, "Additional items are not allowed (");
    for (size_t i = 0; i < n; i++) {
        if (i)
            sb_puts(b, ", ");
        sb_repr(b, v[i]);
    }
    sb_puts(b, n == 1 ? " was unexpected)" : " were unexpected)");
    free(v);
}

/* ---------------------------------------------------------------- walker */

static uint64_t plan_gather(const objplan_t *p, const json_t *x, const json_t **vals);
static bool kw_properties(vctx_t *c, const sch_t *n, const kw_t *k, const json_t *x, const seg_t *ip,
                          const seg_t *ks);
/* Plans up to this size are gathered on the stack in error modes. */
#define GATHER_MAX 16

#define INVALID(...)                                                      \
    do {                                                                  \
        if (c->mode == M_LOC) {                                           \
            locate(c, k->name, ip, sp);                                   \
        } else if (c->mode != M_BOOL) {                                   \
            sbuf_t b_ = {0};                                              \
            __VA_ARGS__;                                                  \
            emit(c, k->name, ip, sp, &b_);                                \
        }                                                                 \
        if (c->mode != M_ALL)                                             \
            return false;                                                 \
        ok = false;                                                       \
    } while (0)
#define MB (&b_)

/* Descends into a subschema; in M_FIRST/M_BOOL stops at the first failure. */
#define DESCEND(node, inst, ipath, spath)                                 \
    do {                                                                  \
        if (!v_node(c, (node), (inst), (ipath), (spath))) {               \
            if (c->mode != M_ALL || c->too_deep || c->oom)                \
                return false;                                             \
            ok = false;                                                   \
        }                                                                 \
    } while (0)

static bool v_kw(vctx_t *c, const sch_t *n, const kw_t *k, const json_t *x, const seg_t *ip, const seg_t *psp)
{
    bool ok = true;
    const seg_t ks = {psp, k->name, 0}; /* schema path of this keyword */
    const seg_t *sp = psp;              /* INVALID appends k->name itself */
    json_type t = json_typeof(x);
    switch (k->kind) {
    case KW_REF:
        DESCEND(k->u.sub, x, ip, &ks);
        break;
    case KW_TYPE:
        if (!type_ok(k->u.types, x))
            INVALID(sb_repr(MB, x); sb_puts(MB, " is not of type "); if (json_is_string(k->value)) sb_repr(MB, k->value);
                    else for (size_t i = 0; i < json_array_size(k->value); i++) {
                        if (i) sb_puts(MB, ", ");
                        sb_repr(MB, json_array_get(k->value, i));
                    });
        break;
    case KW_ENUM: {
        size_t m = json_array_size(k->value), i;
        for (i = 0; i < m; i++)
            if (js_equal(x, json_array_get(k->value, i)))
                break;
        if (i == m)
            INVALID(sb_repr(MB, x); sb_puts(MB, " is not one of "); sb_repr(MB, k->value));
        break;
    }
    case KW_CONST:
        if (!js_equal(x, k->value))
            INVALID(sb_repr(MB, k->value); sb_puts(MB, " was expected"));
        break;
    case KW_MULTIPLE_OF:
        if ((t == JSON_INTEGER || t == JSON_REAL) && !multiple_of(x, k->value))
            INVALID(sb_repr(MB, x); sb_puts(MB, " is not a multiple of "); sb_repr(MB, k->value));
        break;
    case KW_MAXIMUM:
        if ((t == JSON_INTEGER || t == JSON_REAL) && num_cmp(x, k->value) > 0)
            INVALID(sb_repr(MB, x); sb_puts(MB, " is greater than the maximum of "); sb_repr(MB, k->value));
        break;
    case KW_EXCL_MAXIMUM:
        if ((t == JSON_INTEGER || t == JSON_REAL) && num_cmp(x, k->value) >= 0)
            INVALID(sb_repr(MB, x); sb_puts(MB, " is greater than or equal to the maximum of ");
                    sb_repr(MB, k->value));
        break;
    case KW_MINIMUM:
        if ((t == JSON_INTEGER || t == JSON_REAL) && num_cmp(x, k->value) < 0)
            INVALID(sb_repr(MB, x); sb_puts(MB, " is less than the minimum of "); sb_repr(MB, k->value));
        break;
    case KW_EXCL_MINIMUM:
        if ((t == JSON_INTEGER || t == JSON_REAL) && num_cmp(x, k->value) <= 0)
            INVALID(sb_repr(MB, x); sb_puts(MB, " is less than or equal to the minimum of ");
                    sb_repr(MB, k->value));
        break;
    case KW_MAX_LENGTH:
        if (t == JSON_STRING && json_string_length(x) > k->u.limit &&
            utf8_len(json_string_value(x), json_string_length(x)) > k->u.limit)
            INVALID(sb_repr(MB, x); sb_puts(MB, " is too long"));
        break;
    case KW_MIN_LENGTH:
        if (t == JSON_STRING && (json_string_length(x) < k->u.limit ||
                                 utf8_len(json_string_value(x), json_string_length(x)) < k->u.limit))
            INVALID(sb_repr(MB, x); sb_puts(MB, " is too short"));
        break;
    case KW_PATTERN:
        if (t == JSON_STRING && !re_search(k->u.re, json_string_value(x), json_string_length(x)))
            INVALID(sb_repr(MB, x); sb_puts(MB, " does not match "); sb_repr(MB, k->value));
        break;
    case KW_FORMAT:
        if (t == JSON_STRING && !fmt_check(k->u.format, json_string_value(x), json_string_length(x)))
            INVALID(sb_repr(MB, x); sb_puts(MB, " is not a "); sb_repr(MB, k->value));
        break;
    case KW_ITEMS:
        if (t == JSON_ARRAY) {
            for (size_t i = 0, m = json_array_size(x); i < m; i++) {
                seg_t is = {ip, NULL, i};
                DESCEND(k->u.sub, json_array_get(x, i), &is, &ks);
            }
        }
        break;
    case KW_ITEMS_TUPLE:
        if (t == JSON_ARRAY) {
            size_t m = json_array_size(x);
            for (size_t i = 0; i < m && i < k->u.list.n; i++) {
                seg_t is = {ip, NULL, i}, ss = {&ks, NULL, i};
                DESCEND(k->u.list.v[i], json_array_get(x, i), &is, &ss);
            }
        }
        break;
    case KW_ADDITIONAL_ITEMS:
        if (t == JSON_ARRAY && k->tuple_len != SIZE_MAX && json_array_size(x) > k->tuple_len) {
            if (k->u.sub->boolean == 2) {
                INVALID(extra_items_msg(MB, x, k->tuple_len));
            } else if (k->u.sub->boolean == 0) {
                for (size_t i = k->tuple_len, m = json_array_size(x); i < m; i++) {
                    seg_t is = {ip, NULL, i};
                    DESCEND(k->u.sub, json_array_get(x, i), &is, &ks);
                }
            }
        }
        break;
    case KW_MAX_ITEMS:
        if (t == JSON_ARRAY && json_array_size(x) > k->u.limit)
            INVALID(sb_repr(MB, x); sb_puts(MB, " is too long"));
        break;
    case KW_MIN_ITEMS:
        if (t == JSON_ARRAY && json_array_size(x) < k->u.limit)
            INVALID(sb_repr(MB, x); sb_puts(MB, " is too short"));
        break;
    case KW_UNIQUE_ITEMS:
        if (t == JSON_ARRAY && !unique(c, x))
            INVALID(sb_repr(MB, x); sb_puts(MB, " has non-unique elements"));
        break;
    case KW_CONTAINS:
        if (t == JSON_ARRAY) {
            size_t i, m = json_array_size(x);
            for (i = 0; i < m; i++)
                if (sub_valid(c, k->u.sub, json_array_get(x, i)))
                    break;
            if (i == m)
                INVALID(sb_puts(MB, "None of "); sb_repr(MB, x); sb_puts(MB, " are valid under the given schema"));
        }
        break;
    case KW_MAX_PROPERTIES:
        if (t == JSON_OBJECT && json_object_size(x) > k->u.limit)
            INVALID(sb_repr(MB, x); sb_puts(MB, " has too many properties"));
        break;
    case KW_MIN_PROPERTIES:
        if (t == JSON_OBJECT && json_object_size(x) < k->u.limit)
            INVALID(sb_repr(MB, x); sb_puts(MB, " does not have enough properties"));
        break;
    case KW_REQUIRED:
        if (t == JSON_OBJECT) {
            uint64_t seen = n->plan ? plan_gather(n->plan, x, NULL) : 0;
            for (size_t i = 0; i < k->u.names.n; i++)
                if (n->plan ? !(seen >> i & 1) : !json_object_get(x, k->u.names.v[i]))
                    INVALID(sb_pystr(MB, k->u.names.v[i], strlen(k->u.names.v[i]));
                            sb_puts(MB, " is a required property"));
        }
        break;
    case KW_PROPERTIES:
        if (t != JSON_OBJECT)
            break;
        if (c->mode == M_BOOL && json_object_size(x) < k->u.props.n) {
            /* fewer instance keys than declared properties: walk the keys */
            for (void *it = json_object_iter((json_t *)x); it; it = json_object_iter_next((json_t *)x, it)) {
                const char *key = json_object_iter_key(it);
                const prop_t *p = props_find(k, key, json_object_iter_key_len(it));
                if (p && !v_node(c, p->schema, json_object_iter_value(it), NULL, NULL))
                    return false;
            }
        } else if (!kw_properties(c, n, k, x, ip, &ks)) {
            return false;
        }
        break;
    case KW_PATTERN_PROPERTIES:
        if (t == JSON_OBJECT) {
            for (size_t i = 0; i < k->u.pats.n; i++) {
                const pattern_prop_t *r = &k->u.pats.v[i];
                for (void *it = json_object_iter((json_t *)x); it; it = json_object_iter_next((json_t *)x, it)) {
                    const char *key = json_object_iter_key(it);
                    if (!re_search(r->code, key, json_object_iter_key_len(it)))
                        continue;
                    seg_t is = {ip, key, 0}, ss = {&ks, r->source, 0};
                    DESCEND(r->schema, json_object_iter_value(it), &is, &ss);
                }
            }
        }
        break;
    case KW_ADDITIONAL_PROPERTIES: {
        if (t != JSON_OBJECT || k->u.sub->boolean == 1)
            break;
        if (k->u.sub->boolean == 0) {
            for (void *it = json_object_iter((json_t *)x); it; it = json_object_iter_next((json_t *)x, it)) {
                const char *key = json_object_iter_key(it);
                if (!prop_is_additional(k, key, json_object_iter_key_len(it)))
                    continue;
                seg_t is = {ip, key, 0};
                DESCEND(k->u.sub, json_object_iter_value(it), &is, &ks);
            }
            break;
        }
        /* false: every additional key is an error, reported together */
        size_t nx = 0;
        for (void *it = json_object_iter((json_t *)x); it; it = json_object_iter_next((json_t *)x, it))
            if (prop_is_additional(k, json_object_iter_key(it), json_object_iter_key_len(it))) {
                nx++;
                if (c->mode == M_BOOL)
                    return false;
            }
        if (!nx)
            break;
        if (c->mode == M_LOC) {
            locate(c, k->name, ip, sp);
            return false;
        }
        const char **keys = malloc(nx * sizeof *keys);
        if (!keys) {
            c->oom = true;
            return false;
        }
        size_t j = 0;
        for (void *it = json_object_iter((json_t *)x); it; it = json_object_iter_next((json_t *)x, it))
            if (prop_is_additional(k, json_object_iter_key(it), json_object_iter_key_len(it)))
                keys[j++] = json_object_iter_key(it);
        qsort(keys, nx, sizeof *keys, cmp_str);
        sbuf_t b_ = {0};
        if (k->sib_pats) {
            for (size_t i = 0; i < nx; i++) {
                if (i)
                    sb_puts(&b_, ", ");
                sb_pystr(&b_, keys[i], strlen(keys[i]));
            }
            sb_puts(&b_, nx == 1 ? " does not match any of the regexes: " : " do not match any of the regexes: ");
            size_t np = k->sib_pats->u.pats.n;
            const char **pats = malloc((np ? np : 1) * sizeof *pats);
            if (pats) {
                for (size_t i = 0; i < np; i++)
                    pats[i] = k->sib_pats->u.pats.v[i].source;
                qsort(pats, np, sizeof *pats, cmp_str);
                for (size_t i = 0; i < np; i++) {
                    if (i)
                        sb_puts(&b_, ", ");
                    sb_pystr(&b_, pats[i], strlen(pats[i]));
                }
                free(pats);
            } else {
                b_.oom = true;
            }
        } else {
            sb_puts(&b_, "Additional properties are not allowed (");
            for (size_t i = 0; i < nx; i++) {
                if (i)
                    sb_puts(&b_, ", ");
                sb_pystr(&b_, keys[i], strlen(keys[i]));
            }
            sb_puts(&b_, nx == 1 ? " was unexpected)" : " were unexpected)");
        }
        free(keys);
        emit(c, k->name, ip, sp, &b_);
        if (c->mode != M_ALL)
            return false;
        ok = false;
        break;
    }
    case KW_DEPENDENCIES:
        if (t == JSON_OBJECT) {
            for (size_t i = 0; i < k->u.deps.n; i++) {
                const dep_t *d = &k->u.deps.v[i];
                if (!json_object_get(x, d->name))
                    continue;
                if (d->schema) {
                    seg_t ss = {&ks, d->name, 0};
                    DESCEND(d->schema, x, ip, &ss);
                    continue;
                }
                for (size_t j = 0; j < d->nrequired; j++)
                    if (!json_object_get(x, d->required[j]))
                        INVALID(sb_pystr(MB, d->required[j], strlen(d->required[j]));
                                sb_puts(MB, " is a dependency of "); sb_pystr(MB, d->name, strlen(d->name)));
            }
        }
        break;
    case KW_PROPERTY_NAMES:
        if (t == JSON_OBJECT) {
            for (void *it = json_object_iter((json_t *)x); it; it = json_object_iter_next((json_t *)x, it)) {
                /* the name is validated as a string instance of its own */
                json_t *name = json_stringn_nocheck(json_object_iter_key(it), json_object_iter_key_len(it));
                if (!name) {
                    c->oom = true;
                    return false;
                }
                bool good = v_node(c, k->u.sub, name, ip, &ks);
                json_decref(name);
                if (!good) {
                    if (c->mode != M_ALL || c->too_deep || c->oom)
                        return false;
                    ok = false;
                }
            }
        }
        break;
    case KW_IF:
        if (sub_valid(c, k->u.cond.if_, x)) {
            if (k->u.cond.then_) {
                seg_t ss = {psp, "then", 0};
                DESCEND(k->u.cond.then_, x, ip, &ss);
            }
        } else if (k->u.cond.else_) {
            seg_t ss = {psp, "else", 0};
            DESCEND(k->u.cond.else_, x, ip, &ss);
        }
        break;
    case KW_ALL_OF:
        for (size_t i = 0; i < k->u.list.n; i++) {
            seg_t ss = {&ks, NULL, i};
            DESCEND(k->u.list.v[i], x, ip, &ss);
        }
        break;
    case KW_ANY_OF: {
        size_t i;
        for (i = 0; i < k->u.list.n; i++)
            if (sub_valid(c, k->u.list.v[i], x))
                break;
        if (i == k->u.list.n)
            INVALID(sb_repr(MB, x); sb_puts(MB, " is not valid under any of the given schemas"));
        break;
    }
    case KW_ONE_OF: {
        size_t i, m = k->u.list.n;
        for (i = 0; i < m; i++)
            if (sub_valid(c, k->u.list.v[i], x))
                break;
        if (i == m) {
            INVALID(sb_repr(MB, x); sb_puts(MB, " is not valid under any of the given schemas"));
            break;
        }
        size_t first = i;
        bool more = false;
        for (size_t j = first + 1; j < m && !more; j++)
            more = sub_valid(c, k->u.list.v[j], x);
        if (more) {
            /* Python lists the other valid branches, then the first one */
            INVALID(sb_repr(MB, x); sb_puts(MB, " is valid under each of "); bool any = false;
                    for (size_t j = first + 1; j < m; j++) if (sub_valid(c, k->u.list.v[j], x)) {
                        if (any) sb_puts(MB, ", ");
                        any = true;
                        sb_repr(MB, k->u.list.v[j]->json);
                    } sb_puts(MB, ", ");
                    sb_repr(MB, k->u.list.v[first]->json));
        }
        break;
    }
    case KW_NOT:
        if (sub_valid(c, k->u.sub, x))
            INVALID(sb_repr(MB, x); sb_puts(MB, " should not be valid under "); sb_repr(MB, k->value));
        break;
    }
    return ok;
}

/* The plan entry for key, or NULL. Clients usually send members in the
 * order the schema declares them, so the entry after the previous match is
 * tried first: a hit costs one length and two word compares, no hashing.
 * Any other order falls back to the hash table. */
static inline const plan_entry_t *plan_lookup(const objplan_t *p, const char *key, size_t len, size_t *guess)
{
    if (*guess < p->n) {
        const plan_entry_t *e = &p->v[*guess];
        if (plan_key_eq(e, key, len)) {
            ++*guess;
            return e;
        }
    }
    uint32_t h = prop_hash(key, len), j = h & p->mask;
    int32_t ix;
    while ((ix = p->table[j]) >= 0) {
        const plan_entry_t *e = &p->v[ix];
        if (e->hash == h && plan_key_eq(e, key, len)) {
            *guess = (size_t)ix + 1;
            return e;
        }
        j = (j + 1) & p->mask;
    }
    return NULL;
}

static inline bool sub_ok(vctx_t *c, const sch_t *n, const json_t *v)
{
    return n->simple ? type_ok(n->tmask, v) : v_node(c, n, v, NULL, NULL);
}

/* Error modes: the value of every plan entry (NULL when absent) and the
 * required bits seen, in one pass over the members. */
static uint64_t plan_gather(const objplan_t *p, const json_t *x, const json_t **vals)
{
    uint64_t seen = 0;
    size_t guess = 0;
    if (vals)
        memset(vals, 0, p->n * sizeof *vals);
    for (void *it = oi_begin(x), *end = oi_end(x); it != end; it = oi_next(x, it)) {
        const plan_entry_t *e = plan_lookup(p, oi_key(it), oi_keylen(it), &guess);
        if (e) {
            seen |= e->bit;
            if (vals)
                vals[e - p->v] = oi_value(it);
        }
    }
    return seen;
}

/* "properties" in error modes: declaration order, as Python reports. Kept
 * out of v_kw so the gathered values only take stack space here. */
static __attribute__((noinline)) bool kw_properties(vctx_t *c, const sch_t *n, const kw_t *k, const json_t *x,
                                                     const seg_t *ip, const seg_t *ks)
{
    bool ok = true;
    const json_t *vals[GATHER_MAX];
    bool gathered = n->plan && n->plan->n <= GATHER_MAX;
    if (gathered)
        plan_gather(n->plan, x, vals);
    for (size_t i = 0; i < k->u.props.n; i++) {
        const prop_t *p = &k->u.props.v[i];
        const json_t *v = gathered ? vals[i] : json_object_getn(x, p->name, p->len);
        if (v && !(p->schema->simple && type_ok(p->schema->tmask, v))) { /* a simple pass reports nothing */
            seg_t is = {ip, p->name, 0}, ss = {ks, p->name, 0};
            DESCEND(p->schema, v, &is, &ss);
        }
    }
    return ok;
}

/* M_BOOL only: properties + required + additionalProperties in one pass. */
static bool run_plan(vctx_t *c, const objplan_t *p, const json_t *x)
{
    uint64_t seen = 0;
    size_t guess = 0;
    for (void *it = oi_begin(x), *end = oi_end(x); it != end; it = oi_next(x, it)) {
        const json_t *v = oi_value(it);
        const plan_entry_t *e = plan_lookup(p, oi_key(it), oi_keylen(it), &guess);
        if (e) {
            seen |= e->bit;
            if (e->schema && !sub_ok(c, e->schema, v))
                return false;
        } else if (p->closed || (p->extra && !sub_ok(c, p->extra, v))) {
            return false;
        }
    }
    return (seen & p->required) == p->required;
}

/* flat_walk once members leave declaration order: the rest of the members
 * from it on, through the hash table. */
static __attribute__((noinline)) bool flat_tail(const objplan_t *p, const json_t *x, void *it, uint64_t seen)
{
    size_t guess = SIZE_MAX;
    for (void *end = oi_end(x); it != end; it = oi_next(x, it)) {
        const json_t *v = oi_value(it);
        const plan_entry_t *e = plan_lookup(p, oi_key(it), oi_keylen(it), &guess);
        if (e) {
            seen |= e->bit;
            if (!type_ok(e->tmask, v))
                return false;
        } else if (!type_ok(p->extra_tmask, v)) {
            return false;
        }
    }
    return (seen & p->required) == p->required;
}

/* Flat nodes (see sch_t.flat) on an object: one pass, a mask test per
 * member and no calls while members come in declaration order (the usual
 * case: clients serialise what the schema declares, in that order).
 * Written once over the member layout's offsets and instantiated with the
 * usual jansson layout as constants, and with the probed offsets. */
static inline __attribute__((always_inline)) bool flat_walk(const objplan_t *p, const json_t *x, ptrdiff_t onext,
                                                            ptrdiff_t okey, ptrdiff_t olen, ptrdiff_t oval,
                                                            ptrdiff_t ohead)
{
    const char *end = (const char *)x + ohead;
    const char *it;
    memcpy(&it, end + onext, sizeof it);
    const plan_entry_t *e = p->v;
    uint64_t seen = 0;
    while (it != end) {
        size_t len;
        const json_t *v;
        memcpy(&len, it + olen, sizeof len);
        if (__builtin_expect(!plan_key_eq(e, it + okey, len), 0)) /* the sentinel never matches */
            return flat_tail(p, x, (void *)it, seen);
        memcpy(&v, it + oval, sizeof v);
        seen |= e->bit;
        if (__builtin_expect(!((e->jmask >> json_typeof(v)) & 1), 0) && !type_ok(e->tmask, v))
            return false;
        e++;
        memcpy(&it, it + onext, sizeof it);
    }
    return (seen & p->required) == p->required;
}

/* flat_walk for pt_schema_check on the usual layout: 0 valid; 1 the first
 * failing property (in declaration order) is *bad; 3 only "required"
 * fails; 2 not settled here (members out of order, a failing property
 * with "required" declared first...): locate otherwise. */
static inline __attribute__((always_inline)) int flat_find(const objplan_t *p, const json_t *x,
                                                           const plan_entry_t **bad, const json_t **badv,
                                                           uint64_t *seenp)
{
    const char *end = (const char *)x + OI_HEAD;
    const char *it;
    memcpy(&it, end + OI_NEXT, sizeof it);
    const plan_entry_t *e = p->v;
    uint64_t seen = 0;
    while (it != end) {
        size_t len;
        const json_t *v;
        memcpy(&len, it + OI_KEYLEN, sizeof len);
        if (__builtin_expect(!plan_key_eq(e, it + OI_KEY, len), 0)) /* the sentinel never matches */
            return flat_tail(p, x, (void *)it, seen) ? 0 : 2;
        memcpy(&v, it + OI_VALUE, sizeof v);
        seen |= e->bit;
        if (__builtin_expect(!((e->jmask >> json_typeof(v)) & 1), 0) && !type_ok(e->tmask, v)) {
            *bad = e;
            *badv = v;
            return p->req_first ? 2 : 1;
        }
        e++;
        memcpy(&it, it + OI_NEXT, sizeof it);
    }
    *seenp = seen;
    return (seen & p->required) == p->required ? 0 : 3;
}

static bool flat_run_usual(const objplan_t *p, const json_t *x)
{
    return flat_walk(p, x, OI_NEXT, OI_KEY, OI_KEYLEN, OI_VALUE, OI_HEAD);
}

/* Needs the probed member layout (objiter_layout.ok). */
static bool flat_run(const objplan_t *p, const json_t *x)
{
    if (objiter_layout_usual())
        return flat_run_usual(p, x);
    const objiter_layout_t *L = &objiter_layout;
    return flat_walk(p, x, L->next, L->key, L->keylen, L->value, L->head);
}

/* Depth accounting. The limit counts levels of the instance, so a schema
 * may be as recursive as it likes over a bounded document; schemas applied
 * to one value in a chain (allOf, $ref, anyOf...) are bounded separately,
 * which only a reference loop such as {"allOf": [{"$ref": "#"}]} reaches. */
#define SAME_VALUE_MAX 128

typedef struct frame {
    const json_t *cur;
    int same;
} frame_t;

static inline bool enter(vctx_t *c, const json_t *x, frame_t *f)
{
    f->cur = c->cur;
    f->same = c->same;
    if (x != c->cur) {
        if (c->depth >= c->s->max_depth)
            return false;
        c->depth++;
        c->same = 0;
        c->cur = x;
    } else if (c->same >= SAME_VALUE_MAX) {
        return false;
    } else {
        c->same++;
    }
    return true;
}

static inline void leave(vctx_t *c, const json_t *x, const frame_t *f)
{
    if (x != f->cur)
        c->depth--;
    c->cur = f->cur;
    c->same = f->same;
}

static bool too_deep(vctx_t *c, const json_t *x, const seg_t *ip, const seg_t *sp)
{
    if (!c->too_deep && c->mode != M_BOOL) {
        sbuf_t b = {0};
        if (x != c->cur)
            sb_printf(&b, "document nested too deeply for this schema (more than %d levels)", c->s->max_depth);
        else
            sb_printf(&b, "more than %d schemas applied in a chain to one value (a $ref loop?)", SAME_VALUE_MAX);
        emit(c, NULL, ip, sp, &b);
    }
    c->too_deep = true;
    return false;
}

static bool v_node(vctx_t *c, const sch_t *n, const json_t *x, const seg_t *ip, const seg_t *sp)
{
    frame_t f;
    if (c->mode == M_BOOL) {
        if (n->simple)
            return type_ok(n->tmask, x);
        if (n->flat && json_is_object(x) && objiter_layout.ok &&
            (x == c->cur ? c->same < SAME_VALUE_MAX : c->depth < c->s->max_depth))
            return flat_run(n->plan, x);
        if (n->plan && json_is_object(x)) {
            if (!enter(c, x, &f))
                return too_deep(c, x, ip, sp);
            bool ok = run_plan(c, n->plan, x);
            for (size_t i = 0; ok && i < n->nkw; i++) {
                const kw_t *k = &n->kw[i];
                if (k->fused)
                    continue;
                ok = k->kind == KW_TYPE ? type_ok(k->u.types, x) : v_kw(c, n, k, x, NULL, NULL);
            }
            leave(c, x, &f);
            return ok;
        }
    }
    if (n->boolean == 1)
        return true;
    bool ok = true;
    if (n->boolean == 2) {
        if (c->mode != M_BOOL) {
            sbuf_t b = {0};
            sb_puts(&b, "False schema does not allow ");
            sb_repr(&b, x);
            emit(c, NULL, ip, sp, &b);
        }
        return false;
    }
    if (!enter(c, x, &f))
        return too_deep(c, x, ip, sp);
    for (size_t i = 0; i < n->nkw; i++) {
        if (!v_kw(c, n, &n->kw[i], x, ip, sp)) {
            ok = false;
            if (c->mode != M_ALL || c->too_deep || c->oom)
                break;
        }
    }
    leave(c, x, &f);
    return ok;
}

/* ------------------------------------------------------------ public API */

/* The fast verdict: true when x is valid. For a flat root on an object the
 * walk is inlined here, with no context to set up. */
static inline __attribute__((always_inline)) bool fast_valid(const pt_schema_t *s, const json_t *x, bool *oom)
{
    if (s->fast_root == 1 && json_typeof(x) == JSON_OBJECT)
        return flat_walk(s->fast_plan, x, OI_NEXT, OI_KEY, OI_KEYLEN, OI_VALUE, OI_HEAD);
    if (s->fast_root == 2 && json_typeof(x) == JSON_OBJECT)
        return flat_run(s->root->plan, x);
    vctx_t c = {.s = s, .mode = M_BOOL};
    bool ok = v_node(&c, s->root, x, NULL, NULL);
    *oom = c.oom;
    return ok && !c.oom;
}

/* pt_schema_validate on a flat root whose first error flat_find settled
 * (r 1: property bad failed with value badv; r 3: a required name is
 * missing): the record is worded here, as the walker would word it, in
 * one allocation. 1 done, -1 out of memory, 0 not settled: walk. */
static __attribute__((noinline)) int flat_report(const objplan_t *p, int r, const plan_entry_t *bad,
                                                  const json_t *badv, uint64_t seen, pt_schema_error_t *first)
{
    if (!p->located || (r != 1 && r != 3) || (r == 1 && !bad->fail_sp) || (r == 3 && !p->req_names))
        return 0;
    sbuf_t b = {0};
    const char *kw, *ip, *sp;
    if (r == 3) {
        const char *name = p->req_names[__builtin_ctzll(p->required & ~seen)];
        sb_pystr(&b, name, strlen(name));
        sb_puts(&b, " is a required property");
        kw = "required";
        ip = "";
        sp = "/required";
    } else {
        kw = bad->fail_kw;
        ip = bad->fail_ip;
        sp = bad->fail_sp;
        if (!kw) {
            sb_puts(&b, "False schema does not allow ");
            sb_repr(&b, badv);
        } else if (kw[0] == 'a') { /* "anyOf" (else "type": see locate_root_plan) */
            sb_repr(&b, badv);
            sb_puts(&b, " is not valid under any of the given schemas");
        } else { /* type */
            const json_t *tv = bad->schema->kw[0].value;
            sb_repr(&b, badv);
            sb_puts(&b, " is not of type ");
            if (json_is_string(tv)) {
                sb_repr(&b, tv);
            } else {
                for (size_t i = 0; i < json_array_size(tv); i++) {
                    if (i)
                        sb_puts(&b, ", ");
                    sb_repr(&b, json_array_get(tv, i));
                }
            }
        }
    }
    sb_putn(&b, "", 1);
    size_t ioff = b.len;
    sb_puts(&b, ip);
    sb_putn(&b, "", 1);
    size_t soff = b.len;
    sb_puts(&b, sp);
    if (!err_take(first, &b, ioff, soff, kw)) {
        set_error(first, "", "out of memory while reporting a validation error");
        return -1;
    }
    return 1;
}

/* pt_schema_validate once x is known to be invalid (or oom is set). */
static __attribute__((noinline)) int validate_report(const pt_schema_t *s, const json_t *x, pt_schema_error_t *first,
                                                     bool oom)
{
    if (!first)
        return oom ? -1 : 1;
    /* walk again, this time describing the first failure */
    vctx_t c = {.s = s, .mode = M_FIRST, .first = first};
    v_node(&c, s->root, x, NULL, NULL);
    if (c.oom || !first->message) {
        set_error(first, "", "out of memory while reporting a validation error");
        return -1;
    }
    return 1;
}

bool pt_schema_is_valid(const pt_schema_t *s, const json_t *x)
{
    if (!s || !x)
        return false;
    bool oom = false;
    return fast_valid(s, x, &oom);
}

int pt_schema_validate(const pt_schema_t *s, const json_t *x, pt_schema_error_t *first)
{
    if (first && first->message)
        pt_schema_error_clear(first);
    if (!s || !x) {
        set_error(first, "", "no %s given (NULL)", s ? "instance" : "schema");
        return -1;
    }
    if (s->fast_root == 1 && json_typeof(x) == JSON_OBJECT) {
        const plan_entry_t *bad = NULL;
        const json_t *badv = NULL;
        uint64_t seen = 0;
        int r = flat_find(s->fast_plan, x, &bad, &badv, &seen);
        if (!r)
            return 0;
        if (!first)
            return 1;
        int rr = flat_report(s->fast_plan, r, bad, badv, seen, first);
        return rr ? rr : validate_report(s, x, first, false);
    }
    bool oom = false;
    if (fast_valid(s, x, &oom))
        return 0;
    return validate_report(s, x, first, oom);
}

/* pt_schema_check on a flat root found invalid: the first error in keyword
 * order from the locations computed at compile time (locate_root_plan),
 * without walking. false: not known statically, let the walker locate. */
static __attribute__((noinline)) bool flat_locate(const pt_schema_t *s, const json_t *x, pt_schema_fail_t *f)
{
    const objplan_t *p = s->root->plan;
    const json_t *vals[64];
    if (!p->located || p->n > 64)
        return false;
    uint64_t missing = p->required & ~plan_gather(p, x, vals);
    const plan_entry_t *bad = NULL;
    for (size_t i = 0; i < p->n && p->v[i].schema; i++)
        if (vals[i] && !type_ok(p->v[i].tmask, vals[i])) {
            bad = &p->v[i];
            break;
        }
    if (missing && (p->req_first || !bad)) {
        f->keyword = "required";
        f->instance_path = "";
        f->schema_path = "/required";
    } else if (bad && bad->fail_sp) {
        f->keyword = bad->fail_kw;
        f->instance_path = bad->fail_ip;
        f->schema_path = bad->fail_sp;
    } else {
        return false; /* a $ref'd property schema, additionalProperties... */
    }
    f->schema_ = s;
    f->instance_ = x;
    f->rc_ = 1;
    return true;
}

/* pt_schema_check once x is known to be invalid (or oom is set). */
static __attribute__((noinline)) int check_locate(const pt_schema_t *s, const json_t *x, pt_schema_fail_t *f,
                                                  bool oom)
{
    if (!f)
        return oom ? -1 : 1;
    vctx_t c = {.s = s, .mode = M_LOC, .fail = f};
    v_node(&c, s->root, x, NULL, NULL);
    if (c.oom || !f->rc_) {
        pt_schema_fail_clear(f);
        f->keyword = NULL;
        f->instance_path = f->schema_path = f->buf_;
        f->buf_[0] = 0;
        f->schema_ = s;
        f->instance_ = x;
        f->rc_ = -1;
        return -1;
    }
    f->schema_ = s;
    f->instance_ = x;
    return f->rc_; /* 1, as pt_schema_validate returns for a depth limit too */
}

int pt_schema_check(const pt_schema_t *s, const json_t *x, pt_schema_fail_t *f)
{
    if (f && (f->heap_ || f->rc_))
        pt_schema_fail_clear(f);
    if (s && x && s->fast_root == 1 && json_typeof(x) == JSON_OBJECT) {
        const plan_entry_t *bad = NULL;
        const json_t *badv = NULL;
        uint64_t seen = 0;
        int r = flat_find(s->fast_plan, x, &bad, &badv, &seen);
        if (!r)
            return 0;
        if (!f)
            return 1;
        if (s->fast_plan->located && (r == 3 || (r == 1 && bad->fail_sp))) {
            f->keyword = r == 3 ? "required" : bad->fail_kw;
            f->instance_path = r == 3 ? "" : bad->fail_ip;
            f->schema_path = r == 3 ? "/required" : bad->fail_sp;
            f->schema_ = s;
            f->instance_ = x;
            f->rc_ = 1;
            return 1;
        }
        if (flat_locate(s, x, f))
            return 1;
        return check_locate(s, x, f, false);
    }
    if (!s || !x) {
        if (f) {
            f->keyword = NULL;
            f->instance_path = f->schema_path = f->buf_;
            f->buf_[0] = 0;
            f->schema_ = s;
            f->instance_ = x;
            f->rc_ = -1;
        }
        return -1;
    }
    bool oom = false;
    if (fast_valid(s, x, &oom))
        return 0;
    if (f && s->fast_root && json_typeof(x) == JSON_OBJECT && flat_locate(s, x, f))
        return 1;
    return check_locate(s, x, f, oom);
}

int pt_schema_fail_error(const pt_schema_fail_t *f, pt_schema_error_t *err)
{
    if (!f || !f->rc_) {
        if (err && err->message)
            pt_schema_error_clear(err);
        return 0;
    }
    /* the walk is deterministic: the first error it words is the one located */
    return pt_schema_validate(f->schema_, f->instance_, err);
}

char *pt_schema_fail_message(const pt_schema_fail_t *f)
{
    pt_schema_error_t e = {0};
    if (!f || !f->rc_ || !pt_schema_fail_error(f, &e) || !e.message)
        return NULL;
    return e.message; /* the record's block starts with the message: freeing it frees all */
}

void pt_schema_fail_clear(pt_schema_fail_t *f)
{
    if (!f)
        return;
    free(f->heap_);
    f->heap_ = NULL;
    f->rc_ = 0;
    f->keyword = f->instance_path = f->schema_path = NULL;
    f->schema_ = NULL;
    f->instance_ = NULL;
}

int pt_schema_validate_all(const pt_schema_t *s, const json_t *x, pt_schema_errors_t *errs)
{
    if (!s || !x || !errs)
        return -1;
    vctx_t c = {.s = s, .mode = M_BOOL};
    if (v_node(&c, s->root, x, NULL, NULL) && !c.oom)
        return 0;
    size_t before = errs->count;
    c = (vctx_t){.s = s, .mode = M_ALL, .all = errs};
    v_node(&c, s->root, x, NULL, NULL);
    if (c.oom)
        return -1;
    return errs->count > before ? 1 : -1;
}
