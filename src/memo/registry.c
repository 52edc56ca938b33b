/* Every live cache, for clear-all, and the named ones, for invalidation by
 * name. Registration happens at creation (often before main), lookups are
 * rare: one mutex and a list are enough. */
#include <pthread.h>
#include <string.h>

#include "memo/memo.h"

typedef struct reg_node {
    struct reg_node *next;
    pt_cache_t      *cache;
    const char      *name; /* NULL or "" for unnamed caches */
} reg_node_t;

static pthread_mutex_t reg_lk = PTHREAD_MUTEX_INITIALIZER;
static reg_node_t *reg_head;

#include <stdlib.h>

int pt__memo_registry_add(pt_cache_t *c, const char *name)
{
    reg_node_t *n = malloc(sizeof *n);
    if (!n)
        return -1;
    n->cache = c;
    n->name = name && *name ? name : NULL;
    pthread_mutex_lock(&reg_lk);
    if (n->name)
        for (reg_node_t *p = reg_head; p; p = p->next)
            if (p->name && strcmp(p->name, n->name) == 0) {
                pthread_mutex_unlock(&reg_lk);
                free(n);
                return -1;
            }
    n->next = reg_head;
    reg_head = n;
    pthread_mutex_unlock(&reg_lk);
    return 0;
}

void pt__memo_registry_remove(pt_cache_t *c)
{
    pthread_mutex_lock(&reg_lk);
    for (reg_node_t **pp = &reg_head; *pp; pp = &(*pp)->next)
        if ((*pp)->cache == c) {
            reg_node_t *n = *pp;
            *pp = n->next;
            free(n);
            break;
        }
    pthread_mutex_unlock(&reg_lk);
}

pt_cache_t *pt_cache_find(const char *name)
{
    if (!name || !*name)
        return NULL;
    pt_cache_t *c = NULL;
    pthread_mutex_lock(&reg_lk);
    for (reg_node_t *p = reg_head; p; p = p->next)
        if (p->name && strcmp(p->name, name) == 0) {
            c = p->cache;
            break;
        }
    pthread_mutex_unlock(&reg_lk);
    return c;
}

void pt_cache_clear_all(void)
{
    /* Clearing may run cleanups (user code): never under reg_lk. Snapshot
     * the list; caches must not be freed concurrently with clear_all. */
    pthread_mutex_lock(&reg_lk);
    size_t n = 0;
    for (reg_node_t *p = reg_head; p; p = p->next)
        n++;
    pt_cache_t **all = malloc((n ? n : 1) * sizeof *all);
    size_t i = 0;
    if (all)
        for (reg_node_t *p = reg_head; p; p = p->next)
            all[i++] = p->cache;
    pthread_mutex_unlock(&reg_lk);
    for (size_t k = 0; k < i; k++)
        pt_cache_clear(all[k]);
    free(all);
}

/* Named caches, for the metrics endpoint: fn runs under the registry's
 * lock, so it must not create or free caches. */
void pt__memo_each_named(void (*fn)(pt_cache_t *c, const char *name, void *arg), void *arg);
void pt__memo_each_named(void (*fn)(pt_cache_t *c, const char *name, void *arg), void *arg)
{
    pthread_mutex_lock(&reg_lk);
    for (reg_node_t *p = reg_head; p; p = p->next)
        if (p->name)
            fn(p->cache, p->name, arg);
    pthread_mutex_unlock(&reg_lk);
}
