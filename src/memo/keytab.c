/* The per-shard keyed hash table (keytab.h). */
#include "memo/keytab.h"

#include <stdlib.h>
#include <string.h>

int pt__keytab_init(pt__keytab_t *t)
{
    t->count = 0;
    t->nbuckets = 16;
    t->buckets = calloc(t->nbuckets, sizeof *t->buckets);
    return t->buckets ? 0 : -1;
}

void pt__keytab_destroy(pt__keytab_t *t)
{
    free(t->buckets);
    t->buckets = NULL;
    t->nbuckets = t->count = 0;
}

pt__keynode_t *pt__keytab_find(const pt__keytab_t *t, uint64_t hash, const char *key, size_t len)
{
    for (pt__keynode_t *n = t->buckets[hash & (t->nbuckets - 1)]; n; n = n->hnext)
        if (n->hash == hash && n->klen == len && memcmp(n->key, key, len) == 0)
            return n;
    return NULL;
}

static void grow(pt__keytab_t *t)
{
    size_t nb = t->nbuckets * 2;
    pt__keynode_t **b = calloc(nb, sizeof *b);
    if (!b)
        return;
    for (size_t i = 0; i < t->nbuckets; i++)
        for (pt__keynode_t *n = t->buckets[i], *next; n; n = next) {
            next = n->hnext;
            n->hnext = b[n->hash & (nb - 1)];
            b[n->hash & (nb - 1)] = n;
        }
    free(t->buckets);
    t->buckets = b;
    t->nbuckets = nb;
}

void pt__keytab_insert(pt__keytab_t *t, pt__keynode_t *n)
{
    if (t->count + 1 > t->nbuckets)
        grow(t);
    pt__keynode_t **b = &t->buckets[n->hash & (t->nbuckets - 1)];
    n->hnext = *b;
    *b = n;
    t->count++;
}

void pt__keytab_unlink(pt__keytab_t *t, pt__keynode_t *n)
{
    pt__keynode_t **pp = &t->buckets[n->hash & (t->nbuckets - 1)];
    while (*pp && *pp != n)
        pp = &(*pp)->hnext;
    if (*pp) {
        *pp = n->hnext;
        t->count--;
    }
    n->hnext = NULL;
}

pt__keynode_t *pt__keytab_take_all(pt__keytab_t *t)
{
    pt__keynode_t *all = NULL;
    for (size_t i = 0; i < t->nbuckets; i++) {
        for (pt__keynode_t *n = t->buckets[i], *next; n; n = next) {
            next = n->hnext;
            n->hnext = all;
            all = n;
        }
        t->buckets[i] = NULL;
    }
    t->count = 0;
    return all;
}
