/* The parsed tree's allocator (jalloc_t, jdoc.h): bump allocation in
 * chunks that double up to 1 MiB, or in a caller's allocator (a request
 * arena); reset keeps the largest chunk for the next document. */
#include <stdlib.h>

#include "jdoc.h"

#define CHUNK_MIN 4096
#define CHUNK_MAX (1u << 20)

void *pt__jalloc_slow(jalloc_t *a, size_t n)
{
    /* a caller's allocator (a request arena) gets the size asked for: small
     * documents then fit the arena's current block */
    size_t cap = a->next_size < CHUNK_MIN && !a->alloc ? CHUNK_MIN : a->next_size;
    if (cap < n)
        cap = n;
    unsigned char *mem;
    if (a->alloc) {
        mem = a->alloc(a->ctx, cap);
    } else {
        jchunk_t *c = malloc(sizeof *c + cap);
        if (!c)
            return NULL;
        c->cap = cap;
        c->next = a->chunks;
        a->chunks = c;
        mem = c->data;
    }
    if (!mem)
        return NULL;
    if (a->next_size < CHUNK_MAX)
        a->next_size = cap * 2;
    a->p = mem + n;
    a->end = mem + cap;
    return mem;
}

void pt__jalloc_free(jalloc_t *a)
{
    for (jchunk_t *c = a->chunks, *n; c; c = n) {
        n = c->next;
        free(c);
    }
    a->chunks = NULL;
    a->p = a->end = NULL;
}

/* Keeps the largest chunk for the next use. */
void pt__jalloc_reset(jalloc_t *a)
{
    if (a->chunks && !a->chunks->next) { /* the usual warm case */
        a->p = a->chunks->data;
        return;
    }
    jchunk_t *keep = NULL;
    for (jchunk_t *c = a->chunks, *n; c; c = n) {
        n = c->next;
        if (!keep || c->cap > keep->cap) {
            free(keep);
            keep = c;
        } else {
            free(c);
        }
    }
    a->chunks = keep;
    if (keep) {
        keep->next = NULL;
        a->p = keep->data;
        a->end = keep->data + keep->cap;
        a->next_size = keep->cap * 2;
    } else {
        a->p = a->end = NULL;
    }
}
