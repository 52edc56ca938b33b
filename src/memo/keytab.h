/* Internal: the chained hash table of keyed entries that the cache and the
 * keyed lock keep per shard. Nodes are embedded (first member) in the
 * caller's entries and point at the key the entry holds; the table owns
 * only its bucket array. Not locked: callers hold their shard's lock. */
#ifndef PT_MEMO_KEYTAB_H
#define PT_MEMO_KEYTAB_H

#include <stddef.h>
#include <stdint.h>

typedef struct pt__keynode {
    struct pt__keynode *hnext;  /* bucket chain; free for the owner's use once unlinked */
    uint64_t            hash;
    const char         *key;
    size_t              klen;
} pt__keynode_t;

typedef struct pt__keytab {
    pt__keynode_t **buckets;
    size_t          nbuckets;   /* a power of two */
    size_t          count;
} pt__keytab_t;

/* 16 buckets to start; -1 when they cannot be allocated. */
int  pt__keytab_init(pt__keytab_t *t);
/* Frees the bucket array; the nodes are the caller's. */
void pt__keytab_destroy(pt__keytab_t *t);
pt__keynode_t *pt__keytab_find(const pt__keytab_t *t, uint64_t hash, const char *key, size_t len);
/* n's hash, key and klen are set. The table doubles at one node a bucket;
 * when that allocation fails the chains get longer, lookups stay right. */
void pt__keytab_insert(pt__keytab_t *t, pt__keynode_t *n);
void pt__keytab_unlink(pt__keytab_t *t, pt__keynode_t *n);
/* Unlinks every node and returns them chained through hnext. */
pt__keynode_t *pt__keytab_take_all(pt__keytab_t *t);

#endif
