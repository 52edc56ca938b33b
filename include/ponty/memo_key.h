/* ponty/memo_key.h — cache keys: the default key of a call, key templates
 * (aquiche's key="env:{environment.id}:id:{user[id]}"), and a bucket hash.
 *
 * A call's arguments are given as JSON: args, an array of the positional
 * arguments, and kwargs, an object of the named ones (either may be NULL for
 * "none"). As in aquiche, a caller that wants named parameters usable both
 * ways puts them in both, with defaults applied.
 *
 * Output follows snprintf: functions writing into (buf, cap) return the
 * length of the whole key (without the NUL); the key was cut short when the
 * result is >= cap, and buf is NUL-terminated whenever cap > 0. They return
 * -1 on error, with a message in err (when err is not NULL and errlen > 0).
 * The *_dup variants return a malloc'd key that the caller frees, or NULL.
 *
 * Everything here is thread-safe; a compiled template is immutable and may
 * be rendered from any number of threads at once.
 */
#ifndef PONTY_MEMO_KEY_H
#define PONTY_MEMO_KEY_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The default key: the canonical compact JSON of [args, kwargs] — members
 * sorted by key, integers as integers, reals with 17 significant digits
 * (so 1 and 1.0, "1" and 1, ["a,b"] and ["a","b"], f(1) and f(x=1) all
 * differ, and equal values always give equal keys, whatever the order the
 * kwargs were built in). E.g. ("a", 1), {x: true} -> [["a",1],{"x":true}].
 * args must be an array and kwargs an object when not NULL. */
ptrdiff_t pt_key_default(const json_t *args, const json_t *kwargs, char *buf, size_t cap,
                         char *err, size_t errlen);
char *pt_key_default_dup(const json_t *args, const json_t *kwargs, char *err, size_t errlen);

/* A compiled key template: Python str.format() syntax over the arguments.
 *   {0} {1}        positional argument (args[0], args[1])
 *   {}             the next positional argument (auto-numbering)
 *   {name}         named argument (kwargs["name"])
 *   {a.b}          member "b" of object a (Python attribute access)
 *   {a[b]} {a[0]}  member "b" of object a; element 0 of array a (or member
 *                  "0" of an object)
 *   {{ }}          literal braces
 * A value renders as Python's str() would: strings as-is, integers in
 * decimal, reals as repr(float), true/false/null as True/False/None; objects
 * and arrays as compact sorted JSON. Conversions (!r) and format specs (:>8)
 * are refused at compile time. A template without fields renders the same
 * key for every call (aquiche's Key.SINGLE_KEY). */
typedef struct pt_key_template pt_key_template_t;

/* Parses tmpl once; NULL on a syntax error, with a message quoting tmpl
 * ("key template '{a': expected '}' before end of string"). The template
 * keeps its own copy of tmpl. */
pt_key_template_t *pt_key_template_compile(const char *tmpl, char *err, size_t errlen);
void pt_key_template_free(pt_key_template_t *t);

/* The template text, as given to compile. */
const char *pt_key_template_source(const pt_key_template_t *t);

/* Renders the key. A field naming a missing argument, member or element is
 * an error: "key template 'env:{environment.id}': missing argument
 * 'environment'". */
ptrdiff_t pt_key_template_render(const pt_key_template_t *t, const json_t *args,
                                 const json_t *kwargs, char *buf, size_t cap,
                                 char *err, size_t errlen);
char *pt_key_template_render_dup(const pt_key_template_t *t, const json_t *args,
                                 const json_t *kwargs, char *err, size_t errlen);

/* A 64-bit hash of len bytes, for picking buckets and shards only: equal
 * keys hash equal, but the cache compares whole keys. The same on every
 * platform (bytes are read little-endian). Pass a per-process random seed
 * where keys come from clients, so they cannot aim at one bucket. */
uint64_t pt_key_hash(const void *key, size_t len, uint64_t seed);

#ifdef __cplusplus
}
#endif

#endif /* PONTY_MEMO_KEY_H */
