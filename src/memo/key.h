/* Internal: the output sink shared by the key builders. It writes what fits
 * into the caller's buffer and counts everything, which gives snprintf's
 * contract and lets the *_dup variants measure first, then write. */
#ifndef PT_MEMO_KEY_INTERNAL_H
#define PT_MEMO_KEY_INTERNAL_H

#include <stddef.h>
#include <string.h>

#include <jansson.h>

typedef struct pt__key_sink {
    char *buf;
    size_t cap;
    size_t len; /* bytes produced so far, including those that did not fit */
} pt__key_sink_t;

static inline void pt__key_put(pt__key_sink_t *s, const char *p, size_t n)
{
    if (s->len < s->cap) {
        size_t room = s->cap - s->len;
        memcpy(s->buf + s->len, p, n < room ? n : room);
    }
    s->len += n;
}

/* NUL-terminates what fits and returns the full length. */
static inline ptrdiff_t pt__key_finish(pt__key_sink_t *s)
{
    if (s->cap > 0)
        s->buf[s->len < s->cap ? s->len : s->cap - 1] = '\0';
    return (ptrdiff_t)s->len;
}

/* Canonical compact JSON of v (sorted members, 17-digit reals). */
int pt__key_put_json(pt__key_sink_t *s, const json_t *v);

#endif /* PT_MEMO_KEY_INTERNAL_H */
