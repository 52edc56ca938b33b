/* Internal: JSON text exactly as Python's json.dumps writes it with default
 * arguments (", " and ": " separators, ensure_ascii with lower-case \u
 * escapes, floats in repr's shortest round-trip form by pt_py_float_repr),
 * so the envelope and error bodies match the Python seed byte for byte.
 * Faster than json_dumpb because it writes straight into the response
 * buffer. */
#ifndef PT_JSON_WRITE_H
#define PT_JSON_WRITE_H

#include <jansson.h>

#include "ponty/jsonschema.h"

#include "core/buf.h"

/* A real that stands for an integer too big for json_t (a request body's
 * big integer, converted for a handler): written as its digits while it
 * still holds the double it was made with. */
typedef struct pt__bignum {
    const json_t *real;
    double value;
    const char *digits;
    size_t len;
    struct pt__bignum *next;
} pt__bignum_t;

/* Appends v; returns 0, or -1 if nesting exceeds 1000 levels. bigs may be
 * NULL. */
int pt__json_write(pt__buf_t *b, const json_t *v, const pt__bignum_t *bigs);

/* The same bytes for a parsed tree (big integers as their digits) and for
 * a described struct (as pt_struct_encode would build it), written without
 * building jansson values. 0, or -1 past 1000 levels or for a struct value
 * that cannot be JSON (a non-finite double is written as json.dumps
 * writes it, NaN/Infinity). */
int pt__json_write_jv(pt__buf_t *b, const pt_jv_t *v);
int pt__json_write_struct(pt__buf_t *b, const pt_struct_desc_t *desc, const void *obj);

#endif
