/* ponty/jsonschema.h — JSON Schema draft-07 on jansson values.
 *
 * Three parts, one header:
 *   1. the validator: compile a schema once (pt_schema_compile*), validate
 *      many documents with it from any number of threads;
 *   2. struct binding: describe a C struct once with a field table
 *      (pt_struct_desc_t), then generate its JSON Schema, decode a JSON value
 *      into it and encode it back;
 *   3. helpers shared by both: error records, Python-style value repr.
 *
 * Error messages are worded as Python's jsonschema (4.10) words them, with
 * values in Python repr: `'last_name' is a required property`,
 * `'abc' is not of type 'integer'`. See docs/jsonschema.md.
 *
 * This module depends on jansson and PCRE2 only (no server, no libuv).
 */
#ifndef PONTY_JSONSCHEMA_H
#define PONTY_JSONSCHEMA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <jansson.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------------ errors */

/* One error. For validation errors all three strings are set; for schema
 * (compile/load) errors instance_path is NULL and schema_path points at the
 * offending keyword ("" when the problem is the document itself, e.g. an
 * unreadable file). The strings share one heap block owned by message:
 * release it with pt_schema_error_clear() (do not free the fields one by
 * one). A zero-initialised record is empty; clearing an empty one is fine. */
typedef struct pt_schema_error {
    char *message;       /* e.g. "'abc' is not of type 'integer'" */
    char *instance_path; /* JSON Pointer into the instance, "" = root */
    char *schema_path;   /* JSON Pointer into the schema, e.g. "/properties/height/type" */
    const char *keyword; /* static keyword name ("type", "required", ...) or NULL */
} pt_schema_error_t;

void pt_schema_error_clear(pt_schema_error_t *err);

/* Every error of one validation, in schema keyword order. */
typedef struct pt_schema_errors {
    pt_schema_error_t *items;
    size_t count;
    size_t cap_;
} pt_schema_errors_t;

void pt_schema_errors_clear(pt_schema_errors_t *errs);

/* ------------------------------------------------------ parsed documents
 *
 * pt_json_parse reads JSON text into a compact read-only tree (pt_jv_t):
 * one block of nodes per array or object, strings NUL-terminated next to
 * them, all carved from a few large chunks, so a document costs no malloc
 * per value. The validator and struct binding work on this tree directly.
 * The json_t entry points walk an object in place when the schema's root
 * only tests its properties' types (the usual request shape) and that
 * settles the answer; otherwise they convert their instance to a tree
 * first (in a per-thread scratch area: no malloc once warm).
 *
 * The accepted language is Python's json.loads: integers of any size (ones
 * beyond int64 are PT_JV_BIGINT and keep their digits), "\u0000" inside
 * strings, lone surrogates ("\ud800", stored as the three-byte sequence
 * ED A0 80 so that counting and echoing them works), a repeated key keeps
 * its first position and its last value. NaN/Infinity literals are not
 * accepted; a real beyond double's range is an infinity, as Python's
 * float() makes it. */
typedef enum pt_jv_type {
    PT_JV_NULL, PT_JV_FALSE, PT_JV_TRUE,
    PT_JV_INT,    /* u.i */
    PT_JV_BIGINT, /* u.s: decimal digits with an optional '-', len bytes */
    PT_JV_REAL,   /* u.d */
    PT_JV_STRING, /* u.s: len bytes, NUL-terminated, may hold NULs */
    PT_JV_ARRAY,  /* u.items: len values */
    PT_JV_OBJECT, /* u.members: len members, in document order */
} pt_jv_type_t;

typedef struct pt_jv pt_jv_t;
typedef struct pt_jmember pt_jmember_t;
struct pt_jv {
    uint8_t type; /* pt_jv_type_t */
    uint32_t len;
    union {
        int64_t i;
        double d;
        const char *s;
        const pt_jv_t *items;
        const pt_jmember_t *members;
    } u;
};
struct pt_jmember {
    const char *key; /* NUL-terminated, klen bytes */
    size_t klen;
    pt_jv_t v;
};

typedef struct pt_jdoc pt_jdoc_t;

#define PT_JSON_DEFAULT_MAX_DEPTH 512

typedef struct pt_json_parse_opts {
    int max_depth;            /* levels of [ and {; deeper is an error. 0 = 512 */
    void *(*alloc)(void *ctx, size_t n); /* where chunks come from; NULL = malloc */
    void *alloc_ctx;          /* e.g. a pt_arena_t, with alloc = an arena callback */
} pt_json_parse_opts_t;

/* Parses text[0..len) (UTF-8; need not be NUL-terminated). Returns the
 * document, or NULL with err filled: err->message reads
 * "Expecting value: line 1 column 5 (char 4)" as Python words it, or
 * "nested deeper than N levels". opts may be NULL. With opts->alloc the
 * chunks belong to that allocator (pt_jdoc_free then frees nothing of
 * them, only the document record, which comes from the allocator too:
 * nothing at all to free). */
pt_jdoc_t *pt_json_parse(const char *text, size_t len, const pt_json_parse_opts_t *opts, pt_schema_error_t *err);
/* Frees a malloc-backed document; NULL is fine. */
void pt_jdoc_free(pt_jdoc_t *doc);
/* The root value (borrowed, lives as long as doc). */
const pt_jv_t *pt_jdoc_root(const pt_jdoc_t *doc);
/* A new jansson value for v: integers beyond int64 become reals (the
 * nearest double; json_t has no wider integer), strings keep embedded NULs
 * and surrogates byte for byte. NULL on out of memory, and for a real
 * beyond double's range (1e400), which json_t cannot hold. */
json_t *pt_jv_to_json(const pt_jv_t *v);

/* -------------------------------------------------------------- registry */

/* Documents that remote "$ref"s may point at. Nothing is ever fetched from
 * the network: a reference to an unregistered URI is a compile error. The
 * draft-07 meta-schema (http://json-schema.org/draft-07/schema) is always
 * known. A registry may be shared by many compiles; compiled schemas keep
 * their own references to the documents they use, so the registry can be
 * freed right after compiling. Not thread-safe while being modified. */
typedef struct pt_schema_registry pt_schema_registry_t;

pt_schema_registry_t *pt_schema_registry_new(void);
void pt_schema_registry_free(pt_schema_registry_t *reg);
/* Registers doc (a reference is taken; the caller keeps its own) under uri.
 * Returns 0, or -1 when uri is empty or doc NULL. */
int pt_schema_registry_add(pt_schema_registry_t *reg, const char *uri, json_t *doc);
/* Loads a JSON file and registers it under uri. -1 and err filled on failure. */
int pt_schema_registry_add_file(pt_schema_registry_t *reg, const char *uri, const char *path,
                                pt_schema_error_t *err);

/* ------------------------------------------------------------- validator */

typedef struct pt_schema pt_schema_t;

#define PT_SCHEMA_DEFAULT_MAX_DEPTH 256

typedef struct pt_schema_opts {
    bool no_format;                       /* true: "format" is an annotation only */
    const pt_schema_registry_t *registry; /* remote documents, may be NULL */
    const char *const *search_path;       /* NULL-terminated directories for relative file paths */
    const char *base_uri;                 /* base URI of the root document when it has no $id */
    int max_depth;                        /* levels of document nesting validated; 0 = default (256) */
    size_t max_stack;                     /* bytes of C stack one validation may use, for callers on a
                                             small stack (a coroutine); past it the document is "nested
                                             too deeply" (an error, never an overflow). 0 = unbounded */
} pt_schema_opts_t;

/* Compiles schema (a reference is taken). opts may be NULL. Returns NULL and
 * fills err (if not NULL) when the schema is invalid: err->schema_path points
 * at the bad keyword. */
pt_schema_t *pt_schema_compile(json_t *schema, const pt_schema_opts_t *opts, pt_schema_error_t *err);
/* Loads then compiles a schema file. path is absolute, or relative to the
 * working directory, or to one of opts->search_path (tried in that order).
 * A missing or unreadable file is an error naming the path. */
pt_schema_t *pt_schema_compile_file(const char *path, const pt_schema_opts_t *opts,
                                    pt_schema_error_t *err);
void pt_schema_free(pt_schema_t *schema);
/* The schema document the validator was compiled from (borrowed). */
json_t *pt_schema_json(const pt_schema_t *schema);

/* Fast path: true when instance is valid. Thread-safe. Allocates nothing,
 * except a temporary per key for "propertyNames" and a hash array for
 * "uniqueItems" on arrays longer than 32 items. */
bool pt_schema_is_valid(const pt_schema_t *schema, const json_t *instance);
/* 0 when valid; 1 when invalid, with the first error in schema keyword order
 * stored in *first (if not NULL; clear it with pt_schema_error_clear);
 * -1 on internal failure (out of memory, depth limit) with *first set. */
int pt_schema_validate(const pt_schema_t *schema, const json_t *instance, pt_schema_error_t *first);
/* Like pt_schema_validate but lists every error (appended to *errs). */
int pt_schema_validate_all(const pt_schema_t *schema, const json_t *instance, pt_schema_errors_t *errs);

/* The first error located without wording it, for callers that need the
 * verdict at full speed and the Python-worded message only sometimes.
 * pt_schema_check fills keyword and the two paths (the same values
 * pt_schema_validate would give) and allocates nothing unless the paths
 * are longer than the record's own buffer. The message is rendered on
 * request by pt_schema_fail_message, which needs the schema and the
 * instance still alive and unchanged. The path fields may point into the
 * record itself: use it where it was filled (do not copy it by value). */
typedef struct pt_schema_fail {
    const char *keyword;       /* static keyword name, or NULL (false schema, limits) */
    const char *instance_path; /* JSON Pointer into the instance, "" = root */
    const char *schema_path;   /* JSON Pointer into the schema */
    /* private */
    const pt_schema_t *schema_;
    const json_t *instance_;
    const struct pt_jv *jv_;
    char *heap_;
    int rc_;
    char buf_[200];
} pt_schema_fail_t;

/* 0 when valid (fail untouched but cleared); 1 when invalid, -1 on internal
 * failure (out of memory, depth limit), both with *fail filled. fail may
 * be NULL (then this is pt_schema_is_valid with a return code). Thread-safe. */
int pt_schema_check(const pt_schema_t *schema, const json_t *instance, pt_schema_fail_t *fail);
/* The Python-worded message of a failed check, malloc'd (free() it), or NULL
 * on out of memory or when fail holds no error. */
char *pt_schema_fail_message(const pt_schema_fail_t *fail);
/* The full error record (message and paths) of a failed check, as
 * pt_schema_validate would have filled it. Returns fail's check code. */
int pt_schema_fail_error(const pt_schema_fail_t *fail, pt_schema_error_t *err);
/* Releases what a check allocated (only long paths do); fail is then empty.
 * A zero-initialised record is empty; clearing an empty one is fine. */
void pt_schema_fail_clear(pt_schema_fail_t *fail);

/* The same checks on a parsed document's value (pt_jdoc_root), without
 * converting anything: the fast path for request bodies. */
bool pt_schema_is_valid_jv(const pt_schema_t *schema, const pt_jv_t *instance);
int pt_schema_check_jv(const pt_schema_t *schema, const pt_jv_t *instance, pt_schema_fail_t *fail);
int pt_schema_validate_all_jv(const pt_schema_t *schema, const pt_jv_t *instance, pt_schema_errors_t *errs);
int pt_schema_validate_jv(const pt_schema_t *schema, const pt_jv_t *instance, pt_schema_error_t *first);

/* Loads a JSON file with the search rules of pt_schema_compile_file.
 * Returns a new reference or NULL with err filled ("cannot open 'x.json': ..."). */
json_t *pt_schema_load_file(const char *path, const char *const *search_path, pt_schema_error_t *err);

/* ----------------------------------------------------------- Python repr */

/* Python repr() of a JSON value as Python's json module would load it:
 * 'str', True, None, 1.5, ['u', 'v'], {'a': 1}. Returns a malloc'd string.
 * Output longer than max_len bytes (0 = unlimited) is cut and ends in "...". */
char *pt_json_repr(const json_t *value, size_t max_len);

/* Python repr() of a float into buf (at least 32 bytes, NUL-terminated):
 * the shortest digits that round-trip, 0.1, 1.0, 1e-05, 1e+16. Non-finite
 * values as repr() spells them (nan, inf, -inf), or with json_spelling as
 * json.dumps does (NaN, Infinity, -Infinity). Returns the length. */
int pt_py_float_repr(double d, char *buf, bool json_spelling);

/* -------------------------------------------------------- struct binding */

/* Where decoded strings and arrays live. NULL means malloc; then release the
 * struct with pt_struct_release(). With an arena, the arena owns everything
 * and pt_struct_release() must not be called. */
typedef struct pt_alloc {
    void *(*alloc)(void *ctx, size_t n);
    void *ctx;
} pt_alloc_t;

/* C representation of JSON arrays in bound structs. */
#define PT_VEC(T) struct { T *items; size_t len; }
typedef PT_VEC(void) pt_vec_t;

typedef enum pt_ftype {
    PT_FT_STRING = 1, /* const char * (NULL when null)                       */
    PT_FT_INT,        /* int, int32_t, int64_t, long: by member size        */
    PT_FT_DOUBLE,     /* double                                             */
    PT_FT_BOOL,       /* bool                                               */
    PT_FT_ENUM,       /* int: index into enum_values (a Literal of strings) */
    PT_FT_STRUCT,     /* nested struct described by sub                     */
    PT_FT_ARRAY,      /* PT_VEC(item) of item_type / sub                    */
} pt_ftype_t;

typedef struct pt_struct_desc pt_struct_desc_t;

typedef struct pt_field {
    const char *name;
    pt_ftype_t type;
    size_t offset;
    size_t size;                    /* sizeof the member (ints: 1,2,4,8) */
    const char *defval;             /* JSON text of the default; NULL = required */
    bool nullable;                  /* Optional[...]: accepts null */
    size_t null_offset;             /* nullable non-strings: offset of a bool set when null (0 = none) */
    const char *const *enum_values; /* NULL-terminated literals for PT_FT_ENUM */
    const pt_struct_desc_t *sub;    /* PT_FT_STRUCT, or PT_FT_ARRAY of structs */
    pt_ftype_t item_type;           /* PT_FT_ARRAY */
    size_t item_size;               /* PT_FT_ARRAY: sizeof one item */
    const char *annotation;         /* JSON object text of extra keywords: "{\"minimum\": 1}" */
} pt_field_t;

struct pt_struct_desc {
    const char *name;        /* the title, and the $defs key when nested */
    size_t size;
    const pt_field_t *fields;
    size_t nfields;
    const char *annotation;  /* class-level keywords, JSON object text, or NULL */
};

/* Field table helpers. S is the struct type, F the member name; extra
 * designated initialisers may follow (.defval = "4", .annotation = "..."). */
#define PT__FIELD(S, F, T, ...) \
    { .name = #F, .type = (T), .offset = offsetof(S, F), .size = sizeof(((S *)0)->F), __VA_ARGS__ }
#define PT_FIELD_STRING(S, F, ...) PT__FIELD(S, F, PT_FT_STRING, __VA_ARGS__)
#define PT_FIELD_INT(S, F, ...)    PT__FIELD(S, F, PT_FT_INT, __VA_ARGS__)
#define PT_FIELD_DOUBLE(S, F, ...) PT__FIELD(S, F, PT_FT_DOUBLE, __VA_ARGS__)
#define PT_FIELD_BOOL(S, F, ...)   PT__FIELD(S, F, PT_FT_BOOL, __VA_ARGS__)
#define PT_FIELD_ENUM(S, F, VALUES, ...) PT__FIELD(S, F, PT_FT_ENUM, .enum_values = (VALUES), __VA_ARGS__)
#define PT_FIELD_STRUCT(S, F, DESC, ...) PT__FIELD(S, F, PT_FT_STRUCT, .sub = &(DESC), __VA_ARGS__)
#define PT_FIELD_ARRAY(S, F, ITYPE, ...) \
    PT__FIELD(S, F, PT_FT_ARRAY, .item_type = (ITYPE), .item_size = sizeof(*((S *)0)->F.items), __VA_ARGS__)
#define PT_FIELD_STRUCT_ARRAY(S, F, DESC, ...) PT_FIELD_ARRAY(S, F, PT_FT_STRUCT, .sub = &(DESC), __VA_ARGS__)
#define PT_STRUCT_DESC(S, FIELDS, ...) \
    { .name = #S, .size = sizeof(S), .fields = (FIELDS), .nfields = sizeof(FIELDS) / sizeof((FIELDS)[0]), __VA_ARGS__ }

/* The JSON Schema for desc, as ponty's dataclass_to_jsonschema builds it:
 * $schema, properties, title, type, class annotations, required (omitted
 * when empty), $defs for nested structs. NULL with err filled when an
 * annotation or default is not valid JSON. New reference. */
json_t *pt_struct_schema(const pt_struct_desc_t *desc, pt_schema_error_t *err);
/* Compiles pt_struct_schema(desc). */
pt_schema_t *pt_struct_compile(const pt_struct_desc_t *desc, pt_schema_error_t *err);

/* Validates in against schema (NULL: compiled from desc on each call — pass
 * a compiled one on hot paths), rejects unknown keys, then fills *out
 * (desc->size bytes, zeroed first). Returns 0, or -1 with err filled and
 * *out left zeroed (anything already allocated with malloc is released). */
int pt_struct_decode(const pt_struct_desc_t *desc, const pt_schema_t *schema, const json_t *in,
                     void *out, const pt_alloc_t *alloc, pt_schema_error_t *err);
/* pt_struct_decode on a parsed document's value: nothing converted. */
int pt_struct_decode_jv(const pt_struct_desc_t *desc, const pt_schema_t *schema, const pt_jv_t *in,
                        void *out, const pt_alloc_t *alloc, pt_schema_error_t *err);
/* Frees what a malloc-backed pt_struct_decode allocated inside obj. */
void pt_struct_release(const pt_struct_desc_t *desc, void *obj);
/* JSON object for obj, keys in field order. New reference, NULL on OOM. */
json_t *pt_struct_encode(const pt_struct_desc_t *desc, const void *obj);

#ifdef __cplusplus
}
#endif
#endif /* PONTY_JSONSCHEMA_H */
