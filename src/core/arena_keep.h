/* Internal: an arena reset that keeps a block for the arena's next use. */
#ifndef PT_CORE_ARENA_KEEP_H
#define PT_CORE_ARENA_KEEP_H

#include "ponty/arena.h"

/* pt_arena_reset, but the arena keeps one block of its size (emptied)
 * instead of giving it to the thread's cache, when limit (the memory limit
 * the arena will be used under; 0: none) allows one: for an arena that is
 * used again at once (a request's, between two requests of a worker), which
 * then allocates without taking a block. Other blocks go where
 * pt_arena_reset sends them. */
void pt__arena_reset_keep(pt_arena_t *a, size_t limit);

#endif
