/* Internal structures of the compiled JSON Schema validator.
 *
 * A schema compiles into a graph of sch_t nodes. Each node holds the
 * keywords that have a validation effect, in the order they appear in the
 * schema document (so the first error is the one Python's jsonschema would
 * yield first). References are resolved at compile time into plain node
 * pointers, so validation never parses, looks up URIs or allocates on the
 * success path. Recursive schemas are cycles in the graph.
 */
#ifndef PT_JSON_SCHEMA_INTERNAL_H
#define PT_JSON_SCHEMA_INTERNAL_H

/* Internal functions are shared between this module's files, so they are
 * external symbols; give them a module prefix so they cannot collide with
 * other modules linked into the same program. */

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include <stddef.h>
#include <string.h>

#include "ponty/jsonschema.h"

/* ----------------------------------------------------------- small bits */

/* Bump allocator owned by a compiled schema: every node and keyword array
 * lives here and dies with pt_schema_free(). */
typedef struct pool_chunk {
    struct pool_chunk *next;
    size_t used, cap;
    max_align_t data[];
} pool_chunk_t;

typedef struct pool {
    pool_chunk_t *head;
} pool_t;

void *pt__pool_alloc(pool_t *p, size_t n); /* zeroed; NULL on OOM */
char *pt__pool_strdup(pool_t *p, const char *s);
void pt__pool_free(pool_t *p);

/* Growable string used only on error paths. */
typedef struct sbuf {
    char *s;
    size_t len, cap;
    bool oom;
} sbuf_t;

bool pt__sb_grow(sbuf_t *b, size_t extra);
/* Appends n bytes; inline because error paths append many short pieces. */
static inline void sb_putn(sbuf_t *b, const char *s, size_t n)
{
    if (b->len + n + 1 > b->cap && !pt__sb_grow(b, n))
        return;
    memcpy(b->s + b->len, s, n);
    b->len += n;
    b->s[b->len] = 0;
}
void pt__sb_puts(sbuf_t *b, const char *s);
void pt__sb_int(sbuf_t *b, long long v); /* decimal, without printf */
void pt__sb_printf(sbuf_t *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void pt__sb_repr(sbuf_t *b, const json_t *v); /* Python repr */
void pt__sb_jrepr(sbuf_t *b, const pt_jv_t *v); /* Python repr */
void pt__sb_pyfloat(sbuf_t *b, double d);      /* Python repr(float) */
void pt__sb_pystr(sbuf_t *b, const char *s, size_t n);
char *pt__sb_take(sbuf_t *b); /* returns the malloc'd string ("" if empty); NULL on OOM */

/* Python's notion of equality for JSON values (1 == 1.0, True != 1). */
bool pt__js_equal(const pt_jv_t *a, const pt_jv_t *b);

/* UTF-8 code points in s[0..n). */
size_t pt__utf8_len(const char *s, size_t n);

/* --------------------------------------------------------------- formats */

typedef enum fmt_id {
    FMT_NONE = 0, /* unknown formats are annotations */
    FMT_DATE_TIME,
    FMT_DATE,
    FMT_TIME,
    FMT_EMAIL,
    FMT_HOSTNAME,
    FMT_IPV4,
    FMT_IPV6,
    FMT_URI,
    FMT_URI_REFERENCE,
    FMT_JSON_POINTER,
    FMT_REL_JSON_POINTER,
    FMT_REGEX,
    FMT_UUID,
    FMT_IRI,
    FMT_IRI_REFERENCE,
    FMT_IDN_EMAIL,
    FMT_URI_TEMPLATE,
} fmt_id_t;

fmt_id_t pt__fmt_lookup(const char *name);
bool pt__fmt_check(fmt_id_t id, const char *s, size_t n);

/* ------------------------------------------------------------------- URIs */

/* RFC 3986 reference resolution (5.2). Returns a malloc'd string. */
char *pt__uri_resolve(const char *base, const char *ref);
/* Copy of uri without its fragment (malloc'd). */
char *pt__uri_strip_fragment(const char *uri);

/* ------------------------------------------------------------------ nodes */

typedef enum kw_kind {
    KW_REF = 1,
    KW_TYPE,
    KW_ENUM,
    KW_CONST,
    KW_MULTIPLE_OF,
    KW_MAXIMUM,
    KW_EXCL_MAXIMUM,
    KW_MINIMUM,
    KW_EXCL_MINIMUM,
    KW_MAX_LENGTH,
    KW_MIN_LENGTH,
    KW_PATTERN,
    KW_FORMAT,
    KW_ITEMS,       /* single schema for every item */
    KW_ITEMS_TUPLE, /* array of schemas */
    KW_ADDITIONAL_ITEMS,
    KW_MAX_ITEMS,
    KW_MIN_ITEMS,
    KW_UNIQUE_ITEMS,
    KW_CONTAINS,
    KW_MAX_PROPERTIES,
    KW_MIN_PROPERTIES,
    KW_REQUIRED,
    KW_PROPERTIES,
    KW_PATTERN_PROPERTIES,
    KW_ADDITIONAL_PROPERTIES,
    KW_DEPENDENCIES,
    KW_PROPERTY_NAMES,
    KW_IF,
    KW_ALL_OF,
    KW_ANY_OF,
    KW_ONE_OF,
    KW_NOT,
    /* Compiled (their values are checked) but never applied by themselves:
     * no validator, so compile_node keeps no slot for them. */
    KW_THEN,
    KW_ELSE,
    KW_DEFINITIONS,
    KW_DEFS,
    KW_ID,
    KW_SCHEMA,
    KW_COUNT
} kw_kind_t;

/* JSON type bits, as the "type" keyword names them. */
enum {
    T_NULL = 1 << 0,
    T_BOOLEAN = 1 << 1,
    T_OBJECT = 1 << 2,
    T_ARRAY = 1 << 3,
    T_NUMBER = 1 << 4,
    T_INTEGER = 1 << 5,
    T_STRING = 1 << 6,
};
/* The value types (bits 1 << pt_jv_type_t) that satisfy type mask m
 * outright; a real may still satisfy "integer" when integral. */
static inline unsigned jv_mask(unsigned m)
{
    unsigned j = 0;
    if (m & T_OBJECT) j |= 1u << PT_JV_OBJECT;
    if (m & T_ARRAY) j |= 1u << PT_JV_ARRAY;
    if (m & T_STRING) j |= 1u << PT_JV_STRING;
    if (m & (T_INTEGER | T_NUMBER)) j |= 1u << PT_JV_INT | 1u << PT_JV_BIGINT;
    if (m & T_NUMBER) j |= 1u << PT_JV_REAL;
    if (m & T_BOOLEAN) j |= 1u << PT_JV_TRUE | 1u << PT_JV_FALSE;
    if (m & T_NULL) j |= 1u << PT_JV_NULL;
    return j;
}
/* The same mask as bits (1 << json_type) for jansson values. */
static inline unsigned json_type_mask(unsigned m)
{
    unsigned j = 0;
    if (m & T_OBJECT) j |= 1u << JSON_OBJECT;
    if (m & T_ARRAY) j |= 1u << JSON_ARRAY;
    if (m & T_STRING) j |= 1u << JSON_STRING;
    if (m & (T_INTEGER | T_NUMBER)) j |= 1u << JSON_INTEGER;
    if (m & T_NUMBER) j |= 1u << JSON_REAL;
    if (m & T_BOOLEAN) j |= 1u << JSON_TRUE | 1u << JSON_FALSE;
    if (m & T_NULL) j |= 1u << JSON_NULL;
    return j;
}
#define T_ALL (T_NULL | T_BOOLEAN | T_OBJECT | T_ARRAY | T_NUMBER | T_INTEGER | T_STRING)

typedef struct sch sch_t;

typedef struct prop {
    const char *name;
    size_t len;
    uint32_t hash;
    sch_t *schema;
} prop_t;

typedef struct pattern_prop {
    pcre2_code *code;
    const char *source;
    sch_t *schema;
} pattern_prop_t;

typedef struct dep {
    const char *name;
    sch_t *schema;          /* schema dependency, or NULL */
    const char **required;  /* property dependency */
    size_t nrequired;
} dep_t;

typedef struct kw {
    kw_kind_t kind;
    const char *name;    /* keyword as spelled in the schema (schema paths) */
    const json_t *value; /* the keyword's value in the schema (reprs) */
    pt_jv_t jval;        /* ENUM, CONST, MULTIPLE_OF, bounds: value as the instance is held */
    union {
        sch_t *sub;                         /* REF, ITEMS, ADDITIONAL_*, CONTAINS, PROPERTY_NAMES, NOT */
        unsigned types;                     /* TYPE */
        size_t limit;                       /* MAX/MIN LENGTH, ITEMS, PROPERTIES */
        fmt_id_t format;                    /* FORMAT */
        pcre2_code *re;                     /* PATTERN */
        struct { sch_t **v; size_t n; } list;        /* ITEMS_TUPLE, ALL/ANY/ONE_OF */
        struct { const char **v; size_t n; } names;  /* REQUIRED */
        struct {                                      /* PROPERTIES */
            prop_t *v;
            size_t n;
            uint32_t mask;   /* hash table size - 1 */
            int32_t *table;  /* index into v, -1 empty */
        } props;
        struct { pattern_prop_t *v; size_t n; } pats;      /* PATTERN_PROPERTIES */
        struct { dep_t *v; size_t n; } deps;          /* DEPENDENCIES */
        struct { sch_t *if_, *then_, *else_; } cond;  /* IF */
    } u;
    /* ADDITIONAL_PROPERTIES: the siblings that decide what is "additional" */
    const struct kw *sib_props, *sib_pats;
    size_t tuple_len; /* ADDITIONAL_ITEMS: length of a sibling items array, SIZE_MAX = not applicable */
    bool fused;       /* handled by the node's objplan in M_BOOL */
} kw_t;

/* Fast-path plan for objects, used when only validity matters: one pass
 * over the instance's keys checks "properties", "required" and (without
 * patternProperties) "additionalProperties" together, instead of one hash
 * lookup per declared name per keyword. */
typedef struct plan_entry {
    const char *name;
    size_t len;
    uint32_t hash;
    sch_t *schema;   /* from "properties", or NULL */
    uint64_t bit;    /* required bit, or 0 */
    /* flat plans: the key as words (see plan_key_eq) and the property
     * schema's type mask (T_ALL when there is none) */
    uint64_t w0, w1;
    unsigned tmask;
    unsigned jmask; /* tmask as bits (1 << pt_jv_type_t) of types that pass outright */
    unsigned jsmask; /* the same as bits (1 << json_type), for json_t instances */
    /* the flat root's plan: where pt_schema_check reports a failure of this
     * entry's schema (fail_sp NULL: not known statically, walk instead) */
    const char *fail_kw, *fail_ip, *fail_sp;
} plan_entry_t;

typedef struct objplan {
    plan_entry_t *v; /* n entries, then a sentinel (len SIZE_MAX) */
    size_t n;
    int32_t *table;
    uint32_t mask;
    uint64_t required; /* all required bits */
    bool closed;       /* additionalProperties: false */
    sch_t *extra;      /* additionalProperties schema, or NULL */
    unsigned extra_tmask; /* flat plans: type mask for members no entry names (0 when closed) */
    unsigned extra_jmask;
    bool req_first; /* "required" comes before "properties" in the node */
    const char **req_names; /* the "required" names, by bit */
    bool located;   /* fail_* filled (the flat root) */
} objplan_t;

struct sch {
    int boolean; /* 0: object schema, 1: true, 2: false */
    kw_t *kw;
    size_t nkw;
    const json_t *json;
    /* M_BOOL shortcuts, computed after compiling */
    bool simple;      /* valid iff the instance's type is in tmask */
    unsigned tmask;
    objplan_t *plan;  /* object fast path, or NULL */
    /* plan covers the whole node on objects: every property schema (and
     * additionalProperties) is simple and the only other keyword is a
     * "type" that admits objects, so validating an object is one pass
     * over its members with a mask test per member (flat_run) */
    bool flat;
};

typedef struct pcre_list {
    pcre2_code **v;
    size_t n, cap;
} pcre_list_t;

struct pt_schema {
    sch_t *root;
    json_t *doc;       /* the root document (owned reference) */
    json_t **docs;     /* every other document nodes point into (owned) */
    size_t ndocs;
    pool_t pool;
    pcre_list_t regexes;
    uint32_t max_ovector; /* largest capture count + 1, for match data */
    bool formats;
    int max_depth;
    size_t max_stack;
    /* 1: root is flat (flat_run on objects) */
    unsigned char fast_root;
    /* json_t objects against a flat root walked in place (fast_root set):
     * 1 on the usual member layout (OI_*), 2 on another probed one, 0 not
     * at all (no layout found: converted to a tree first) */
    unsigned char fast_json;
    struct jalloc *jmem; /* the kw_t.jval trees */
    const objplan_t *fast_plan; /* root->plan, one load closer */
};

/* Property-name hash for the compiled lookup tables. Validation hashes
 * every instance key, so this reads at most two 8-byte words instead of
 * looping over bytes; collisions only cost a comparison. */
static inline uint32_t prop_hash(const char *s, size_t n)
{
    uint64_t a, b;
    if (n >= 8) {
        memcpy(&a, s, 8);
        memcpy(&b, s + n - 8, 8);
    } else if (n >= 4) {
        uint32_t x, y;
        memcpy(&x, s, 4);
        memcpy(&y, s + n - 4, 4);
        a = x;
        b = y;
    } else {
        a = n ? ((uint64_t)(unsigned char)s[0] << 16 | (uint64_t)(unsigned char)s[n / 2] << 8 |
                 (unsigned char)s[n - 1])
              : 0;
        b = 0;
    }
    uint64_t h = (a ^ (b * 0x9E3779B97F4A7C15ULL) ^ n) * 0xff51afd7ed558ccdULL;
    return (uint32_t)(h >> 32);
}

/* Equality of two n-byte keys; short keys compare as two words. */
static inline bool key_eq(const char *x, const char *y, size_t n)
{
    if (n >= 8 && n <= 16) {
        uint64_t a, b, c, d;
        memcpy(&a, x, 8);
        memcpy(&b, y, 8);
        memcpy(&c, x + n - 8, 8);
        memcpy(&d, y + n - 8, 8);
        return a == b && c == d;
    }
    if (n >= 4 && n < 8) {
        uint32_t a, b, c, d;
        memcpy(&a, x, 4);
        memcpy(&b, y, 4);
        memcpy(&c, x + n - 4, 4);
        memcpy(&d, y + n - 4, 4);
        return a == b && c == d;
    }
    return memcmp(x, y, n) == 0;
}
const prop_t *pt__props_find(const kw_t *k, const char *name, size_t len);

/* A key of up to 16 bytes as two words that, with its length, identify it
 * exactly: overlapping first/last 8 (or 4) bytes, or the bytes themselves
 * for keys under 4 bytes. Longer keys compare with memcmp. */
static inline void key_words(const char *s, size_t n, uint64_t *w0, uint64_t *w1)
{
    if (n >= 8) {
        memcpy(w0, s, 8);
        memcpy(w1, s + n - 8, 8);
    } else if (n >= 4) {
        uint32_t x, y;
        memcpy(&x, s, 4);
        memcpy(&y, s + n - 4, 4);
        *w0 = x;
        *w1 = y;
    } else {
        *w0 = n ? ((uint64_t)(unsigned char)s[0] | (uint64_t)(unsigned char)s[n / 2] << 8 |
                   (uint64_t)(unsigned char)s[n - 1] << 16)
                : 0;
        *w1 = 0;
    }
}

/* Is the instance key (key, len) the plan entry's name? */
static inline bool plan_key_eq(const plan_entry_t *e, const char *key, size_t len)
{
    if (e->len != len)
        return false;
    uint64_t a, b;
    if (len - 8 <= 8) { /* 8..16 bytes, the usual property name: one test */
        memcpy(&a, key, 8);
        memcpy(&b, key + len - 8, 8);
        return ((a ^ e->w0) | (b ^ e->w1)) == 0;
    }
    if (len > 16)
        return memcmp(e->name, key, len) == 0;
    key_words(key, len, &a, &b);
    return ((a ^ e->w0) | (b ^ e->w1)) == 0;
}


/* Member iteration over a json_t object without a library call per member
 * (objiter.c). pt__objiter_init() must have run (pt_schema_compile does
 * it); when it found no layout it can trust (ok false), the json_t entry
 * points convert their instance instead. */
typedef struct objiter_layout {
    bool ok;
    ptrdiff_t next, key, keylen, value; /* within a member record, from the iterator */
    ptrdiff_t head;                      /* the member list's head, from the object */
} objiter_layout_t;

extern objiter_layout_t pt__objiter_layout;
void pt__objiter_init(void);

/* jansson 2.x (x86-64 and other LP64 targets): the offsets objiter.c
 * usually finds; the json_t flat walk compiles them in as constants. */
#define OI_NEXT 8
#define OI_VALUE 24
#define OI_KEYLEN 32
#define OI_KEY 40
#define OI_HEAD 56
static inline bool objiter_layout_usual(void)
{
    const objiter_layout_t *L = &pt__objiter_layout;
    return L->ok && L->next == OI_NEXT && L->key == OI_KEY && L->keylen == OI_KEYLEN && L->value == OI_VALUE &&
           L->head == OI_HEAD;
}

/* PCRE2 match data for this thread, big enough for every compiled pattern.
 * Created once per thread and reused, so matching allocates nothing. */
pcre2_match_data *pt__tls_match_data(void);
bool pt__re_search(pcre2_code *re, const char *s, size_t n);

/* The built-in draft-07 meta-schema document (shared, never freed). */
json_t *pt__metaschema_doc(void);
#define METASCHEMA_URI "http://json-schema.org/draft-07/schema"

/* Registry internals, read by the compiler. */
typedef struct reg_entry {
    char *uri;
    json_t *doc;
} reg_entry_t;

struct pt_schema_registry {
    reg_entry_t *v;
    size_t n, cap;
};

/* Error records: one block "message\0[instance_path\0]schema_path". */
bool pt__err_take(pt_schema_error_t *e, sbuf_t *b, size_t ioff, size_t soff, const char *kw);
bool pt__err_set(pt_schema_error_t *e, const char *msg, const char *ipath, const char *spath, const char *kw);
void pt__set_error(pt_schema_error_t *err, const char *schema_path, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
