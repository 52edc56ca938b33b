/* ponty/fields.h — declared request fields: the seeds' Request subclasses
 * with descriptor fields, and @expect(cls, mimetype=...).
 *
 * A route declares its inputs once, as a C struct plus a field table. Before
 * the handler runs, the framework extracts every field in declaration order,
 * checks it, casts it and stores it in a fresh struct; the first failure
 * answers (400 with a precise text/plain message, or the field's status).
 * The handler receives only that struct: nothing undeclared is handed to it.
 *
 *     typedef struct { const char *name; const char *lang; } ahoy_in;
 *
 *     PT_FIELDS(ahoy_in,
 *         PT_ROUTE_STR(name),
 *         PT_QUERY_STR(lang, .values = PT_VALUES("en", "es", "no"), .dflt = "en"));
 *
 *     PT_GET_IN("/hello/{name}", ahoy, ahoy_in) {
 *         return json_pack("{s:s}", "greeting", pt_strf("%s %s!", hi(in->lang), in->name));
 *     }
 *
 * Route placeholders written as {name} take the declared field's pattern
 * (.pattern if given, else \w+ for strings and \d+ for non-negative integers),
 * the C rendering of the seed's f"/hello/{HelloReq.name}". A placeholder
 * without a declared field, or a route field without a placeholder, stops
 * pt_run at start-up with a message naming the route. So do a missing or
 * invalid schema file, a default that does not cast, and a query, header or
 * cookie field that is neither required nor has a default where the type
 * needs one.
 *
 * Member types, checked at compile time:
 *   *_STR, headers, cookies, PT_BODY_TEXT   const char *
 *   *_POSINT                               int64_t (>= 0)
 *   PT_QUERY_BOOL                          bool
 *   PT_QUERY / PT_ROUTE_CUSTOM (.cast)     whatever .cast writes, .size bytes
 *   PT_BODY_JSON, PT_BODY_SCHEMA           json_t * (released with the request)
 *   PT_BODY_STRUCT                         pointer to the described struct
 *   PT_BODY_TREE                           const pt_jv_t * (the parsed body, arena)
 *   PT_RAW                                 pt_req_t *
 * Strings live in the request arena. */
#ifndef PONTY_FIELDS_H
#define PONTY_FIELDS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ponty/jsonschema.h"
#include "ponty/request.h"
#include "ponty/route.h"
#ifdef __cplusplus
#include <type_traits>
#endif

#ifdef __cplusplus
extern "C" {
#endif

typedef enum pt_src {
    PT_SRC_ROUTE = 1,
    PT_SRC_QUERY,
    PT_SRC_HEADER,
    PT_SRC_COOKIE,
    PT_SRC_BODY_TEXT,
    PT_SRC_BODY_JSON,
    PT_SRC_BODY_SCHEMA,
    PT_SRC_BODY_STRUCT,
    PT_SRC_BODY_TREE,
    PT_SRC_RAW,
} pt_src_t;

typedef enum pt_vtype {
    PT_V_STR = 1,
    PT_V_POSINT,
    PT_V_BOOL,
    PT_V_CUSTOM,
} pt_vtype_t;

/* A cast turns the raw string into the member's value. Return 0 on success,
 * anything else for "'<raw>' could not be cast" (400). */
typedef int (*pt_cast_fn)(const char *raw, void *out, pt_arena_t *arena);

typedef struct pt_reqfield {
    pt_src_t           src;
    pt_vtype_t         type;
    const char        *name;       /* the member name */
    /* The macros set the members above; the order of those below is the
     * order C++20 needs their designators in. */
    size_t             offset;
    size_t             size;
    const char        *key;        /* query key, header or cookie name; default: name */
    bool               required;
    const char        *values;     /* allowed raw values, PT_VALUES(...): checked before the cast */
    const char        *dflt;       /* default, as the string the client would send; cast at start-up */
    const char        *pattern;    /* route fields: the placeholder's regex */
    pt_cast_fn         cast;       /* PT_V_CUSTOM */
    int                errorcode;  /* status when a required field is missing; default 400 */
    const char        *schema_file;              /* PT_BODY_SCHEMA, PT_BODY_TREE: path (cwd, then search path) */
    const char        *schema_text;              /* PT_BODY_SCHEMA, PT_BODY_TREE: schema as JSON text */
    bool               check_format;             /* PT_BODY_SCHEMA / PT_BODY_STRUCT: "format" is
                                                    checked (email, date-time, ...); default false:
                                                    an annotation only */
    const pt_struct_desc_t *desc;                /* PT_BODY_STRUCT */
} pt_reqfield_t;

typedef struct pt_expect {
    const char          *type_name;
    size_t               size;
    const pt_reqfield_t *fields;
    size_t               nfields;
} pt_expect_t;

/* 0, as an integer constant expression that fails to compile with msg
 * when cond is false: a _Static_assert inside sizeof (C; gcc and clang
 * accept a struct defined there), or a static_assert in a lambda (C++20
 * allows lambdas in unevaluated operands). */
#ifdef __cplusplus
#define PT__ASSERT0(cond, msg) (0 * sizeof([] { static_assert(cond, msg); return 0; }()))
#else
#define PT__ASSERT0(cond, msg) (0 * sizeof(struct { _Static_assert(cond, msg); int pt__unused; }))
#endif

/* PT_VALUES("en", "es") is the constant list "en\0es\0" (up to 24 values):
 * constant, so field tables can be static. An empty value would end the
 * list where it stands, so PT_VALUES("a", "", "b") does not compile. */
#define PT__NARG(...) PT__NARG_(__VA_ARGS__, 24,23,22,21,20,19,18,17,16,15,14,13,12,11,10,9,8,7,6,5,4,3,2,1)
#define PT__NARG_(_1,_2,_3,_4,_5,_6,_7,_8,_9,_10,_11,_12,_13,_14,_15,_16,_17,_18,_19,_20,_21,_22,_23,_24, N, ...) N
#define PT__V1(a) a "\0"
#define PT__V2(a, ...) a "\0" PT__V1(__VA_ARGS__)
#define PT__V3(a, ...) a "\0" PT__V2(__VA_ARGS__)
#define PT__V4(a, ...) a "\0" PT__V3(__VA_ARGS__)
#define PT__V5(a, ...) a "\0" PT__V4(__VA_ARGS__)
#define PT__V6(a, ...) a "\0" PT__V5(__VA_ARGS__)
#define PT__V7(a, ...) a "\0" PT__V6(__VA_ARGS__)
#define PT__V8(a, ...) a "\0" PT__V7(__VA_ARGS__)
#define PT__V9(a, ...) a "\0" PT__V8(__VA_ARGS__)
#define PT__V10(a, ...) a "\0" PT__V9(__VA_ARGS__)
#define PT__V11(a, ...) a "\0" PT__V10(__VA_ARGS__)
#define PT__V12(a, ...) a "\0" PT__V11(__VA_ARGS__)
#define PT__V13(a, ...) a "\0" PT__V12(__VA_ARGS__)
#define PT__V14(a, ...) a "\0" PT__V13(__VA_ARGS__)
#define PT__V15(a, ...) a "\0" PT__V14(__VA_ARGS__)
#define PT__V16(a, ...) a "\0" PT__V15(__VA_ARGS__)
#define PT__V17(a, ...) a "\0" PT__V16(__VA_ARGS__)
#define PT__V18(a, ...) a "\0" PT__V17(__VA_ARGS__)
#define PT__V19(a, ...) a "\0" PT__V18(__VA_ARGS__)
#define PT__V20(a, ...) a "\0" PT__V19(__VA_ARGS__)
#define PT__V21(a, ...) a "\0" PT__V20(__VA_ARGS__)
#define PT__V22(a, ...) a "\0" PT__V21(__VA_ARGS__)
#define PT__V23(a, ...) a "\0" PT__V22(__VA_ARGS__)
#define PT__V24(a, ...) a "\0" PT__V23(__VA_ARGS__)
#define PT__NE1(a) (sizeof(a) > 1)
#define PT__NE2(a, ...) (sizeof(a) > 1 && PT__NE1(__VA_ARGS__))
#define PT__NE3(a, ...) (sizeof(a) > 1 && PT__NE2(__VA_ARGS__))
#define PT__NE4(a, ...) (sizeof(a) > 1 && PT__NE3(__VA_ARGS__))
#define PT__NE5(a, ...) (sizeof(a) > 1 && PT__NE4(__VA_ARGS__))
#define PT__NE6(a, ...) (sizeof(a) > 1 && PT__NE5(__VA_ARGS__))
#define PT__NE7(a, ...) (sizeof(a) > 1 && PT__NE6(__VA_ARGS__))
#define PT__NE8(a, ...) (sizeof(a) > 1 && PT__NE7(__VA_ARGS__))
#define PT__NE9(a, ...) (sizeof(a) > 1 && PT__NE8(__VA_ARGS__))
#define PT__NE10(a, ...) (sizeof(a) > 1 && PT__NE9(__VA_ARGS__))
#define PT__NE11(a, ...) (sizeof(a) > 1 && PT__NE10(__VA_ARGS__))
#define PT__NE12(a, ...) (sizeof(a) > 1 && PT__NE11(__VA_ARGS__))
#define PT__NE13(a, ...) (sizeof(a) > 1 && PT__NE12(__VA_ARGS__))
#define PT__NE14(a, ...) (sizeof(a) > 1 && PT__NE13(__VA_ARGS__))
#define PT__NE15(a, ...) (sizeof(a) > 1 && PT__NE14(__VA_ARGS__))
#define PT__NE16(a, ...) (sizeof(a) > 1 && PT__NE15(__VA_ARGS__))
#define PT__NE17(a, ...) (sizeof(a) > 1 && PT__NE16(__VA_ARGS__))
#define PT__NE18(a, ...) (sizeof(a) > 1 && PT__NE17(__VA_ARGS__))
#define PT__NE19(a, ...) (sizeof(a) > 1 && PT__NE18(__VA_ARGS__))
#define PT__NE20(a, ...) (sizeof(a) > 1 && PT__NE19(__VA_ARGS__))
#define PT__NE21(a, ...) (sizeof(a) > 1 && PT__NE20(__VA_ARGS__))
#define PT__NE22(a, ...) (sizeof(a) > 1 && PT__NE21(__VA_ARGS__))
#define PT__NE23(a, ...) (sizeof(a) > 1 && PT__NE22(__VA_ARGS__))
#define PT__NE24(a, ...) (sizeof(a) > 1 && PT__NE23(__VA_ARGS__))
#define PT_VALUES(...)                                                           \
    (&PT__CAT(PT__V, PT__NARG(__VA_ARGS__))(__VA_ARGS__)[PT__ASSERT0(            \
        PT__CAT(PT__NE, PT__NARG(__VA_ARGS__))(__VA_ARGS__),                     \
        "PT_VALUES: an empty string would end the list of allowed values")])

/* Compile-time check that member M of the fields' struct has type T; the
 * message names the member and the type it needs. */
#ifdef __cplusplus
#define PT__SAME(M, T) (std::is_same<decltype(pt__T::M), T>::value)
#else
#define PT__SAME(M, T) _Generic(((pt__T *)0)->M, T: 1, default: 0)
#endif
#define PT__IS(M, T) PT__ASSERT0(PT__SAME(M, T), "declared field " #M " must be a member of type " #T)
/* The type check rides on .offset, which users never set, so their own
 * .required / .errorcode do not override anything the macro wrote. */
#define PT__F(M, SRC, VT, ...)                                                   \
    { .src = (SRC), .type = (VT), .name = #M, .offset = offsetof(pt__T, M),       \
      .size = sizeof(((pt__T *)0)->M), __VA_ARGS__ }
#define PT__FT(M, T, SRC, VT, ...)                                               \
    { .src = (SRC), .type = (VT), .name = #M, .offset = offsetof(pt__T, M) + PT__IS(M, T), \
      .size = sizeof(((pt__T *)0)->M), __VA_ARGS__ }

#define PT_ROUTE_STR(M, ...)    PT__FT(M, const char *, PT_SRC_ROUTE, PT_V_STR, .required = true, __VA_ARGS__)
#define PT_ROUTE_POSINT(M, ...) PT__FT(M, int64_t, PT_SRC_ROUTE, PT_V_POSINT, .required = true, __VA_ARGS__)
#define PT_ROUTE_CUSTOM(M, ...) PT__F(M, PT_SRC_ROUTE, PT_V_CUSTOM, .required = true, __VA_ARGS__)

#define PT_QUERY_STR(M, ...)    PT__FT(M, const char *, PT_SRC_QUERY, PT_V_STR, __VA_ARGS__)
#define PT_QUERY_POSINT(M, ...) PT__FT(M, int64_t, PT_SRC_QUERY, PT_V_POSINT, __VA_ARGS__)
#define PT_QUERY_BOOL(M, ...)   PT__FT(M, bool, PT_SRC_QUERY, PT_V_BOOL, \
                                      .values = PT_VALUES("1", "0", "yes", "no", "true", "false", "t", "f"), __VA_ARGS__)
#define PT_QUERY(M, ...)        PT__F(M, PT_SRC_QUERY, PT_V_CUSTOM, __VA_ARGS__)

#define PT_HEADER(M, ...)       PT__FT(M, const char *, PT_SRC_HEADER, PT_V_STR, __VA_ARGS__)
#define PT_CONTENT_LENGTH(M, ...) PT_HEADER(M, .key = "Content-Length", __VA_ARGS__)
#define PT_CONTENT_TYPE(M, ...)   PT_HEADER(M, .key = "Content-Type", __VA_ARGS__)
#define PT_COOKIE(M, ...)       PT__FT(M, const char *, PT_SRC_COOKIE, PT_V_STR, __VA_ARGS__)

#define PT_BODY_TEXT(M, ...)    PT__FT(M, const char *, PT_SRC_BODY_TEXT, PT_V_STR, .required = true, __VA_ARGS__)
#define PT_BODY_JSON(M, ...)    PT__FT(M, json_t *, PT_SRC_BODY_JSON, PT_V_CUSTOM, .required = true, __VA_ARGS__)
#define PT_BODY_SCHEMA(M, ...)  PT__FT(M, json_t *, PT_SRC_BODY_SCHEMA, PT_V_CUSTOM, .required = true, __VA_ARGS__)
#define PT_BODY_STRUCT(M, DESC, ...) PT__F(M, PT_SRC_BODY_STRUCT, PT_V_CUSTOM, .required = true, .desc = &(DESC), __VA_ARGS__)
/* The body as ponty parsed it (pt_jv_t, ponty/jsonschema.h), validated
 * against .schema_file or .schema_text when one is given; no jansson values
 * are built. pt_data_tree(req, in->body) echoes it. */
#define PT_BODY_TREE(M, ...)    PT__FT(M, const pt_jv_t *, PT_SRC_BODY_TREE, PT_V_CUSTOM, .required = true, __VA_ARGS__)
#define PT_RAW(M)               PT__FT(M, pt_req_t *, PT_SRC_RAW, PT_V_CUSTOM, .required = true)

/* PT_FIELDS(struct x, ...) cannot name its table x_fields: this turns the
 * errors that follow into one message first. */
#ifdef __cplusplus
#define pt__fields_decl_struct pt__fields_tag; static_assert(false, "PT_FIELDS needs a type name, not a struct tag: typedef struct x x_t; then PT_FIELDS(x_t, ...)"); typedef int
#else
#define pt__fields_decl_struct pt__fields_tag; _Static_assert(0, "PT_FIELDS needs a type name, not a struct tag: typedef struct x x_t; then PT_FIELDS(x_t, ...)"); typedef int
#endif

/* Declares the field table of struct type T, named T##_fields. */
#define PT_FIELDS(T, ...)                                                        \
    typedef int PT__CAT(pt__fields_decl_, T);                                    \
    static const pt_expect_t *T##_fields(void)                                   \
    {                                                                            \
        typedef T pt__T;                                                         \
        static const pt_reqfield_t fields[] = { __VA_ARGS__ };                   \
        static const pt_expect_t e = { #T, sizeof(T), fields,                    \
                                       sizeof fields / sizeof fields[0] };       \
        return &e;                                                               \
    }                                                                            \
    typedef int PT__CAT(pt__fields_decl_, T)

/* A route whose handler takes the declared struct: json_t *fn(T *in).
 * Extra options: .mimetype = "application/json" (415 when the request's
 * media type differs or is missing). The C functions are pt__handler_<fn>
 * and pt__entry_<fn>: no collision with libc names such as `index`. */
#define PT_ROUTE_IN(method_, path_, fn, T, ...)                                  \
    static json_t *PT__CAT(pt__handler_, fn)(T *in);                             \
    static json_t *PT__CAT(pt__entry_, fn)(pt_req_t *req)                        \
    {                                                                            \
        return PT__CAT(pt__handler_, fn)((T *)pt_req_input(req));                \
    }                                                                            \
    __attribute__((constructor)) static void PT__CAT(pt__register_, fn)(void)    \
    {                                                                            \
        pt_route_add(PT__CURRENT_TABLE(), PT__LIT(pt_route_def_t,                \
            .method = (method_), .path = (path_), .handler = PT__CAT(pt__entry_, fn), \
            .name = #fn, .expect = T##_fields(), __VA_ARGS__));                  \
    }                                                                            \
    static json_t *PT__CAT(pt__handler_, fn)(T *in)

#define PT_GET_IN(path, fn, T, ...)    PT_ROUTE_IN("GET", path, fn, T, __VA_ARGS__)
#define PT_POST_IN(path, fn, T, ...)   PT_ROUTE_IN("POST", path, fn, T, __VA_ARGS__)
#define PT_PUT_IN(path, fn, T, ...)    PT_ROUTE_IN("PUT", path, fn, T, __VA_ARGS__)
#define PT_DELETE_IN(path, fn, T, ...) PT_ROUTE_IN("DELETE", path, fn, T, __VA_ARGS__)
#define PT_PATCH_IN(path, fn, T, ...)  PT_ROUTE_IN("PATCH", path, fn, T, __VA_ARGS__)

/* Directories searched (after the working directory) for relative schema
 * files; NULL-terminated; set before pt_run. */
void pt_fields_schema_path(const char *const *dirs);

#ifdef __cplusplus
}
#endif

#endif
