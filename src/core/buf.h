/* Internal: a growable byte buffer (response assembly, pending input). */
#ifndef PT_BUF_H
#define PT_BUF_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct pt__buf {
    char  *data;
    size_t len, cap;
} pt__buf_t;

static inline void pt__buf_reserve(pt__buf_t *b, size_t extra)
{
    if (b->len + extra <= b->cap)
        return;
    size_t cap = b->cap ? b->cap : 1024;
    while (cap < b->len + extra)
        cap *= 2;
    char *d = realloc(b->data, cap);
    if (!d) {
        fprintf(stderr, "ponty: out of memory (%zu bytes)\n", cap);
        abort();
    }
    b->data = d;
    b->cap = cap;
}

static inline void pt__buf_append(pt__buf_t *b, const void *p, size_t n)
{
    if (!n)
        return; /* memcpy with a NULL buffer is undefined even for 0 bytes */
    pt__buf_reserve(b, n);
    memcpy(b->data + b->len, p, n);
    b->len += n;
}

static inline void pt__buf_puts(pt__buf_t *b, const char *s) { pt__buf_append(b, s, strlen(s)); }

static inline void pt__buf_free(pt__buf_t *b)
{
    /* Most buffers freed are empty ones (an idle connection gives back all
     * of its buffers after every request): no call and no store for those
     * (a buffer without data has len and cap 0). */
    if (!b->data)
        return;
    free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
}

/* The number of decimal digits of u: four per step, most numbers written
 * (lengths, statuses, milliseconds) take one or two steps. */
static inline unsigned pt__dec_digits(unsigned long long u)
{
    unsigned n = 1;
    for (;;) {
        if (u < 10)
            return n;
        if (u < 100)
            return n + 1;
        if (u < 1000)
            return n + 2;
        if (u < 10000)
            return n + 3;
        u /= 10000;
        n += 4;
    }
}

/* Writes the decimal form of v at p (at most 20 bytes) and returns its
 * end; two digits per division: responses carry 13-digit millisecond
 * timestamps. The digits are written in place, from the last, once their
 * count is known: no copy of a variable length. */
static inline char *pt__fmt_int(char *p, long long v)
{
    static const char pairs[] = "00010203040506070809101112131415161718192021222324"
                                "25262728293031323334353637383940414243444546474849"
                                "50515253545556575859606162636465666768697071727374"
                                "75767778798081828384858687888990919293949596979899";
    unsigned long long u = v < 0 ? 0ULL - (unsigned long long)v : (unsigned long long)v;
    if (v < 0)
        *p++ = '-';
    char *end = p + pt__dec_digits(u), *d = end;
    while (u >= 100) {
        const char *pr = pairs + (u % 100) * 2;
        u /= 100;
        d -= 2;
        d[0] = pr[0];
        d[1] = pr[1];
    }
    if (u >= 10) {
        d[-2] = pairs[u * 2];
        d[-1] = pairs[u * 2 + 1];
    } else {
        d[-1] = (char)('0' + u);
    }
    return end;
}

/* Appends the decimal form of v. */
static inline void pt__buf_int(pt__buf_t *b, long long v)
{
    pt__buf_reserve(b, 20);
    b->len = (size_t)(pt__fmt_int(b->data + b->len, v) - b->data);
}

#endif
