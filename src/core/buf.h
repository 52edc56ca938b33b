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
    free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
}

/* Appends the decimal form of v. */
static inline void pt__buf_int(pt__buf_t *b, long long v)
{
    char tmp[24];
    int i = sizeof tmp;
    unsigned long long u = v < 0 ? 0ULL - (unsigned long long)v : (unsigned long long)v;
    do {
        tmp[--i] = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    if (v < 0)
        tmp[--i] = '-';
    pt__buf_append(b, tmp + i, sizeof tmp - (size_t)i);
}

#endif
