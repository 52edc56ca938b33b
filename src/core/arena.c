/* Region allocator: see include/ponty/arena.h. */
#include "ponty/arena.h"
#include "core/arena_keep.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The block size of pt_arena_init(a, 0), and the only size the thread's
 * block cache keeps. */
#define PT_ARENA_DEFAULT_BLOCK 4096

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
    a->block_size = block_size ? block_size : PT_ARENA_DEFAULT_BLOCK;
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

/* ---- per-thread cache of default-size blocks ----
 *
 * A reset gives the arena's default-size blocks to a cache of the calling
 * thread, and a new block is taken from there first: the next request on a
 * worker writes into the block the previous one just left, still in the CPU
 * cache, whichever connection it comes on; and an arena between requests
 * holds no memory. */
#define PT_ARENA_CACHED 16 /* blocks a thread keeps: 64 KiB */

typedef struct block_cache {
    pt_arena_block_t *head;
    unsigned          n;
    bool              registered; /* thread-exit destructor armed */
    bool              dead;       /* destructor ran: cache no more */
} block_cache_t;

static __thread block_cache_t blocks;
static pthread_key_t blocks_key;
static pthread_once_t blocks_once = PTHREAD_ONCE_INIT;
static bool blocks_keyed;

static void blocks_thread_exit(void *arg)
{
    block_cache_t *c = arg;
    free_chain(c->head);
    c->head = NULL;
    c->n = 0;
    c->dead = true;
}

static void blocks_key_init(void)
{
    blocks_keyed = pthread_key_create(&blocks_key, blocks_thread_exit) == 0;
}

/* Takes b (a default-size block) into the cache, or frees it. */
static void block_put(pt_arena_block_t *b)
{
    block_cache_t *c = &blocks;
    if (c->n >= PT_ARENA_CACHED || c->dead) {
        free(b);
        return;
    }
    if (!c->registered) {
        pthread_once(&blocks_once, blocks_key_init);
        if (!blocks_keyed || pthread_setspecific(blocks_key, c) != 0) {
            free(b);
            return;
        }
        c->registered = true;
    }
    b->next = c->head;
    c->head = b;
    c->n++;
}


/* Runs the cleanups and forgets every allocation. keep_one: the first
 * block of the arena's size is kept (emptied) if limit (0: none) allows it,
 * as new_block would have taken it; other blocks of the default size go to
 * the thread's cache; oversize blocks go back to malloc so that one huge
 * request does not pin memory. */
static void arena_reset(pt_arena_t *a, bool keep_one, size_t limit)
{
    run_cleanups(a);
    bool cache = a->block_size == PT_ARENA_DEFAULT_BLOCK;
    pt_arena_block_t *keep = NULL, *b = a->head;
    while (b) {
        pt_arena_block_t *n = b->next;
        if (b->size != a->block_size) {
            free(b);
        } else if (keep_one && !keep && (!limit || b->size <= limit)) {
            keep = b;
            keep->next = NULL;
            keep->used = 0;
        } else if (cache) {
            block_put(b);
        } else {
            free(b);
        }
        b = n;
    }
    a->head = keep;
    a->held = keep ? keep->size : 0;
}

void pt_arena_reset(pt_arena_t *a)
{
    /* Other block sizes than the default: the arena keeps one block itself. */
    arena_reset(a, a->block_size != PT_ARENA_DEFAULT_BLOCK, a->limit);
}

void pt__arena_reset_keep(pt_arena_t *a, size_t limit)
{
    /* The usual case, nothing to clean up and one block of the arena's
     * size: emptied in place. */
    pt_arena_block_t *b = a->head;
    if (b && !b->next && !a->cleanups && b->size == a->block_size && (!limit || b->size <= limit)) {
        b->used = 0;
        a->held = b->size;
        return;
    }
    arena_reset(a, true, limit);
}

static pt_arena_block_t *new_block(pt_arena_t *a, size_t size)
{
    if (a->limit && (size > a->limit || a->held > a->limit - size))
        fail(a, size);
    pt_arena_block_t *b = NULL;
    if (size == PT_ARENA_DEFAULT_BLOCK && blocks.head) {
        b = blocks.head;
        blocks.head = b->next;
        blocks.n--;
    } else {
        b = size <= SIZE_MAX - sizeof *b ? malloc(sizeof *b + size) : NULL;
        if (!b)
            fail(a, size);
    }
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
