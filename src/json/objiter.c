/* Fast iteration over jansson object members.
 *
 * Validating an object visits every member, and through the public API that
 * is four calls into libjansson per member (iter_key, iter_key_len,
 * iter_value, iter_next) -- most of the cost of checking a small object.
 * jansson's iterator is a pointer into the member's own record, which holds
 * the key, its length, the value and the link to the next member at fixed
 * offsets. We learn those offsets once, from a probe object walked with the
 * public API, and use them only if every probed member agrees at every
 * offset; otherwise (another jansson build, another layout) the public API
 * is used. Nothing of jansson's source is copied: only observed offsets.
 */
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "schema_internal.h"

objiter_layout_t objiter_layout;
static pthread_once_t probe_once = PTHREAD_ONCE_INIT;

#define PROBE_N 6

static void probe(void)
{
    static const char *const keys[PROBE_N] = {
        "a", "bcd", "efghijk", "lmnopqrstuvw", "a-key-of-thirty-characters-xyz", "the-last-and-longest-probe-key-of-all",
    };
    json_t *o = json_object(), *vals[PROBE_N];
    void *its[PROBE_N];
    objiter_layout_t L = {0};
    if (!o)
        return;
    for (int i = 0; i < PROBE_N; i++) {
        vals[i] = json_integer(1000 + i);
        if (json_object_set_new(o, keys[i], vals[i]))
            goto out;
    }
    void *it = json_object_iter(o);
    for (int i = 0; i < PROBE_N; i++) {
        if (!it || strcmp(json_object_iter_key(it), keys[i]) || json_object_iter_value(it) != vals[i] ||
            json_object_iter_key_len(it) != strlen(keys[i]))
            goto out;
        its[i] = it;
        it = json_object_iter_next(o, it);
    }
    if (it)
        goto out;
    /* the key: same distance from the iterator in every member */
    L.key = json_object_iter_key(its[0]) - (const char *)its[0];
    if (L.key <= 0 || L.key > 256 || L.key % (ptrdiff_t)sizeof(void *))
        goto out;
    for (int i = 1; i < PROBE_N; i++)
        if (json_object_iter_key(its[i]) - (const char *)its[i] != L.key)
            goto out;
    /* value, key length and next link: word offsets before the key */
    L.value = L.keylen = L.next = -1;
    for (ptrdiff_t off = 0; off < L.key; off += sizeof(void *)) {
        bool v = true, l = true, n = true;
        for (int i = 0; i < PROBE_N; i++) {
            void *w;
            size_t z;
            memcpy(&w, (char *)its[i] + off, sizeof w);
            memcpy(&z, (char *)its[i] + off, sizeof z);
            v &= w == (void *)vals[i];
            l &= z == strlen(keys[i]);
            if (i + 1 < PROBE_N)
                n &= w == its[i + 1];
        }
        if (v && L.value < 0)
            L.value = off;
        if (l && L.keylen < 0)
            L.keylen = off;
        if (n && L.next < 0)
            L.next = off;
    }
    L.ok = L.value >= 0 && L.keylen >= 0 && L.next >= 0 && L.value != L.keylen && L.value != L.next &&
           L.keylen != L.next;
out:
    json_decref(o);
    objiter_layout = L;
}

void objiter_init(void) { pthread_once(&probe_once, probe); }
