/* ponty/arena.h — region allocator and deferred cleanups.
 *
 * An arena hands out memory by bumping a pointer through blocks it owns and
 * frees everything at once. Every request has one (pt_req_arena): strings and
 * parsed fields live there and vanish when the request ends, on every path,
 * including pt_raise. Cleanups registered with pt_arena_defer run in reverse
 * order of registration when the arena is reset or destroyed. */
#ifndef PONTY_ARENA_H
#define PONTY_ARENA_H

#include <stdarg.h>
#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct pt_arena_block pt_arena_block_t;
typedef struct pt_arena_cleanup pt_arena_cleanup_t;

typedef struct pt_arena {
    pt_arena_block_t   *head;      /* block being filled */
    pt_arena_cleanup_t *cleanups;  /* LIFO */
    size_t              block_size;
    size_t              limit;     /* bytes of blocks the arena may hold; 0: no limit */
    size_t              held;      /* bytes of blocks held now */
    /* Called when an allocation would pass the limit or malloc fails; must
     * not return (a request's arena answers 500). NULL: print and abort. */
    void              (*on_fail)(void *ctx, size_t n);
    void               *fail_ctx;
} pt_arena_t;

/* block_size 0 picks 4 KiB. No memory is taken until the first allocation. */
void  pt_arena_init(pt_arena_t *a, size_t block_size);
/* Runs cleanups, then frees every block. */
void  pt_arena_destroy(pt_arena_t *a);
/* Runs cleanups and forgets every allocation. Blocks of the default size go
 * to a cache of the calling thread (up to 16), from which the next arena
 * to need a block on that thread takes the one left last, still in the CPU
 * cache; an arena of another block size keeps one block for itself. */
void  pt_arena_reset(pt_arena_t *a);

/* 16-byte aligned. Past the limit or out of memory it calls on_fail (by
 * default: a message and abort, as jansson does). */
void *pt_arena_alloc(pt_arena_t *a, size_t n);
void *pt_arena_calloc(pt_arena_t *a, size_t n);
char *pt_arena_strdup(pt_arena_t *a, const char *s);
char *pt_arena_strndup(pt_arena_t *a, const char *s, size_t n);
char *pt_arena_printf(pt_arena_t *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
char *pt_arena_vprintf(pt_arena_t *a, const char *fmt, va_list ap);

/* Registers fn(arg) to run when the arena is reset or destroyed. */
void  pt_arena_defer(pt_arena_t *a, void (*fn)(void *), void *arg);

#ifdef __cplusplus
}
#endif

#endif
