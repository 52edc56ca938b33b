/* Fast iteration over jansson object members.
 *
 * Validating an object visits every member, and through the public API that
 * is four calls into libjansson per member (iter_key, iter_key_len,
 * iter_value, iter_next) -- most of the cost of checking a small object.
 * jansson's iterator is a pointer into the member's own record, which holds
 * the key, its length, the value and the link to the next member at fixed
 * offsets, and the last member links back to a list head inside the object.
 * We learn those offsets once, from probe objects walked with the public
 * API, and use them only if every probed member and object agrees;
 * otherwise (another jansson build, another layout) the public API is
 * used. Nothing of jansson's source is copied: only observed offsets.
 */
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "schema.h"

objiter_layout_t pt__objiter_layout;
static pthread_once_t probe_once = PTHREAD_ONCE_INIT;

#define PROBE_N 6

/* Does the head's link of object o lead to first (NULL: o is empty, so
 * the head links to itself)? */
static bool head_ok(json_t *o, const objiter_layout_t *L, void *first)
{
    void *got;
    memcpy(&got, (char *)o + L->head + L->next, sizeof got);
    return first ? got == first : got == (char *)o + L->head;
}

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
    if (L.value < 0 || L.keylen < 0 || L.next < 0 || L.value == L.keylen || L.value == L.next ||
        L.keylen == L.next)
        goto out;
    /* The last member links back to the list head inside the object: that
     * address is the end of iteration, and the head's own link is the first
     * member. Check both on this object, a smaller one and an empty one. */
    void *last_next;
    memcpy(&last_next, (char *)its[PROBE_N - 1] + L.next, sizeof last_next);
    L.head = (char *)last_next - (char *)o;
    if (L.head <= 0 || L.head > 256 || L.head % (ptrdiff_t)sizeof(void *) || !head_ok(o, &L, its[0]))
        goto out;
    json_t *small = json_pack("{s:i,s:i}", "k1", 1, "k2", 2), *empty = json_object();
    bool good = small && empty && head_ok(small, &L, json_object_iter(small)) && head_ok(empty, &L, NULL);
    if (good) {
        void *first = json_object_iter(small), *second = json_object_iter_next(small, first), *end;
        memcpy(&end, (char *)second + L.next, sizeof end);
        good = end == (char *)small + L.head;
    }
    json_decref(small);
    json_decref(empty);
    L.ok = good;
out:
    json_decref(o);
    pt__objiter_layout = L;
}

void pt__objiter_init(void) { pthread_once(&probe_once, probe); }
