/* Internal: the one doubly linked intrusive list. A pt__link_t is embedded
 * in the element; PT__ELEM turns a link back into its element. Every list
 * of the library (waiters on a primitive, a cache shard's LRU order, a
 * worker's connection timeout lists, the HTTP client's connection pool) is
 * one of these: O(1) push at either end, removal from the middle, pop. No
 * locking: the owner's lock or thread covers the list. */
#ifndef PT_CORE_LIST_H
#define PT_CORE_LIST_H

#include <stddef.h>

#include "ponty/sync.h"

typedef struct pt__link {
    struct pt__link *prev, *next;
} pt__link_t;

/* The list head is pt_waitq_t's struct: declared in ponty/sync.h because
 * the public primitives embed their waiters' list. */
typedef struct pt_waitq pt__list_t;

/* The element of type `type` whose member `member` is the link l. */
#define PT__ELEM(l, type, member) ((type *)(void *)((char *)(l) - offsetof(type, member)))

static inline void pt__list_push_back(pt__list_t *q, pt__link_t *n)
{
    n->next = NULL;
    n->prev = q->tail;
    if (q->tail)
        q->tail->next = n;
    else
        q->head = n;
    q->tail = n;
}

static inline void pt__list_push_front(pt__list_t *q, pt__link_t *n)
{
    n->prev = NULL;
    n->next = q->head;
    if (q->head)
        q->head->prev = n;
    else
        q->tail = n;
    q->head = n;
}

/* n must be on q. */
static inline void pt__list_remove(pt__list_t *q, pt__link_t *n)
{
    if (n->prev)
        n->prev->next = n->next;
    else
        q->head = n->next;
    if (n->next)
        n->next->prev = n->prev;
    else
        q->tail = n->prev;
    n->next = n->prev = NULL;
}

static inline pt__link_t *pt__list_pop_front(pt__list_t *q)
{
    pt__link_t *n = q->head;
    if (n)
        pt__list_remove(q, n);
    return n;
}

#endif
