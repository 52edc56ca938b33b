/* Region allocator: see include/ponty/arena.h. */
#include "ponty/arena.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct pt_arena_block {
    pt_arena_block_t *next;
    size_t            size;   /* usable bytes in data[] */
    size_t            used;
    _Alignas(16) unsigned char data[];
};

struct pt_arena_cleanup {
    pt_arena_cleanup_t *next;
    void (*fn)(void *);
    void *arg;
};

#define PT_ALIGN16(n) (((n) + 15u) & ~(size_t)15u)

_Noreturn static void fail(pt_arena_t *a, size_t n)
{
    if (a->on_fail)
        a->on_fail(a->fail_ctx, n);
    fprintf(stderr, "ponty: out of memory allocating %zu bytes\n", n);
    abort();
}

void pt_arena_init(pt_arena_t *a, size_t block_size)
{
    memset(a, 0, sizeof *a);
    a->block_size = block_size ? block_size : 4096;
}

static void run_cleanups(pt_arena_t *a)
{
    /* A cleanup may allocate or defer more; keep popping until none remain. */
    while (a->cleanups) {
        pt_arena_cleanup_t *c = a->cleanups;
        a->cleanups = c->next;
        c->fn(c->arg);
    }
}

static void free_chain(pt_arena_block_t *b)
{
    while (b) {
        pt_arena_block_t *n = b->next;
        free(b);
        b = n;
    }
}

void pt_arena_destroy(pt_arena_t *a)
{
    run_cleanups(a);
    free_chain(a->head);
    a->head = NULL;
    a->held = 0;
}

void pt_arena_reset(pt_arena_t *a)
{
    run_cleanups(a);
    if (!a->head)
        return;
    /* Keep the first standard-size block; oversize ones go back to malloc so
     * one huge request does not pin memory on a keep-alive connection. */
    pt_arena_block_t *keep = NULL, *b = a->head;
    while (b) {
        pt_arena_block_t *n = b->next;
        if (!keep && b->size == a->block_size) {
            keep = b;
            keep->next = NULL;
            keep->used = 0;
        } else {
            free(b);
        }
        b = n;
    }
    a->head = keep;
    a->held = keep ? keep->size : 0;
}

static pt_arena_block_t *new_block(pt_arena_t *a, size_t size)
{
    if (a->limit && (size > a->limit || a->held > a->limit - size))
        fail(a, size);
    pt_arena_block_t *b = size <= SIZE_MAX - sizeof *b ? malloc(sizeof *b + size) : NULL;
    if (!b)
        fail(a, size);
    a->held += size;
    b->next = NULL;
    b->size = size;
    b->used = 0;
    return b;
}

void *pt_arena_alloc(pt_arena_t *a, size_t n)
{
    if (n > SIZE_MAX - 15) /* rounding up would wrap */
        fail(a, n);
    n = PT_ALIGN16(n ? n : 1);
    pt_arena_block_t *b = a->head;
    if (b && b->size - b->used >= n) {
        void *p = b->data + b->used;
        b->used += n;
        return p;
    }
    /* Large requests get their own block, linked behind the current one so
     * the current block keeps filling. */
    if (n > a->block_size / 4) {
        pt_arena_block_t *big = new_block(a, n);
        big->used = n;
        if (b) {
            big->next = b->next;
            b->next = big;
        } else {
            a->head = big;
        }
        return big->data;
    }
    b = new_block(a, a->block_size);
    b->next = a->head;
    a->head = b;
    b->used = n;
    return b->data;
}

void *pt_arena_calloc(pt_arena_t *a, size_t n)
{
    void *p = pt_arena_alloc(a, n);
    memset(p, 0, n);
    return p;
}

char *pt_arena_strndup(pt_arena_t *a, const char *s, size_t n)
{
    char *p = pt_arena_alloc(a, n + 1);
    memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

char *pt_arena_strdup(pt_arena_t *a, const char *s)
{
    return pt_arena_strndup(a, s, strlen(s));
}

char *pt_arena_vprintf(pt_arena_t *a, const char *fmt, va_list ap)
{
    va_list ap2;
    va_copy(ap2, ap);
    char small[256];
    int n = vsnprintf(small, sizeof small, fmt, ap);
    if (n < 0) {
        va_end(ap2);
        return pt_arena_strdup(a, "");
    }
    char *p = pt_arena_alloc(a, (size_t)n + 1);
    if ((size_t)n < sizeof small)
        memcpy(p, small, (size_t)n + 1);
    else
        vsnprintf(p, (size_t)n + 1, fmt, ap2);
    va_end(ap2);
    return p;
}

char *pt_arena_printf(pt_arena_t *a, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *p = pt_arena_vprintf(a, fmt, ap);
    va_end(ap);
    return p;
}

void pt_arena_defer(pt_arena_t *a, void (*fn)(void *), void *arg)
{
    pt_arena_cleanup_t *c = pt_arena_alloc(a, sizeof *c);
    c->fn = fn;
    c->arg = arg;
    c->next = a->cleanups;
    a->cleanups = c;
}
