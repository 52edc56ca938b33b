/* Internal: casts and Python-style reprs for request fields. */
#ifndef PT_REQUEST_CAST_H
#define PT_REQUEST_CAST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ponty/arena.h"

bool  pt__utf8_valid(const char *s, size_t n);
/* Python repr() of a str, in the arena: 'abc', "it's", 'a\nb'. */
char *pt__py_repr_str(pt_arena_t *a, const char *s, size_t n);
/* Python int() on the text; -1 when it is not an integer or beyond 64 bits. */
int   pt__cast_int(const char *s, int64_t *out);
/* The seed's boolish table: 1/yes/true/t and 0/no/false/f. */
int   pt__cast_bool(const char *s, bool *out);

#endif
