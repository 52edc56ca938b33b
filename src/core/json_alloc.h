/* Internal: jansson's allocator, a per-thread cache of small blocks.
 *
 * A response value such as json_pack("{s:s}", ...) costs jansson five
 * mallocs and five frees (object, hashtable buckets, key/value pair, string
 * struct, string bytes). With this allocator installed, blocks of up to 128
 * bytes freed by jansson are kept on a per-thread free list, one per 16-byte
 * size class, and handed back to the next jansson allocation of that class:
 * a request's values reuse the previous request's blocks without entering
 * malloc.
 *
 * Every block stays a malloc block: the cache holds blocks that malloc gave
 * out and decides their class from malloc_usable_size. So a block may be
 * freed with free() (jansson documents free() for json_dumps' result),
 * values created before installation are freed correctly, and a block freed
 * on another thread simply joins that thread's cache. Each class keeps at
 * most 64 blocks per thread (about 70 KiB); the rest go to free(). A
 * thread's cache is released when the thread exits.
 *
 * Installed once, by the first scheduler (pt__sched_new), and only while
 * jansson still uses its default malloc/free: an application that set its
 * own functions keeps them. Under ASan and TSan it is not installed, so that
 * a use after free of a JSON value is still caught. */
#ifndef PT_CORE_JSON_ALLOC_H
#define PT_CORE_JSON_ALLOC_H

#include <stdbool.h>

/* Installs the allocator (once per process); true when it is in use. */
bool     pt__json_alloc_install(void);
/* Blocks cached on the calling thread (tests). */
unsigned pt__json_alloc_cached(void);

#endif
