/* A 64-bit hash for cache keys. Only buckets depend on it (the cache
 * compares whole keys), so it needs good mixing and speed, not collision
 * resistance against someone who knows the seed. The structure is
 * MurmurHash3's: multiply-rotate each 8-byte word into the state, then the
 * fmix64 finalizer so every input bit reaches every output bit. */
#include <stdint.h>
#include <string.h>

#include "ponty/memo_key.h"

#define PT_K1 UINT64_C(0x87c37b91114253d5)
#define PT_K2 UINT64_C(0x4cf5ad432745937f)

static inline uint64_t rotl64(uint64_t x, int r) { return (x << r) | (x >> (64 - r)); }

/* Little-endian read, so a key hashes the same on every host. */
static inline uint64_t load_le64(const unsigned char *p, size_t n)
{
    uint64_t w = 0;
    for (size_t i = 0; i < n; i++)
        w |= (uint64_t)p[i] << (8 * i);
    return w;
}

static inline uint64_t fmix64(uint64_t k)
{
    k ^= k >> 33;
    k *= UINT64_C(0xff51afd7ed558ccd);
    k ^= k >> 33;
    k *= UINT64_C(0xc4ceb9fe1a85ec53);
    k ^= k >> 33;
    return k;
}

uint64_t pt_key_hash(const void *key, size_t len, uint64_t seed)
{
    const unsigned char *p = key;
    uint64_t h = seed ^ (len * PT_K2);
    size_t i = 0;
    for (; i + 8 <= len; i += 8) {
        uint64_t k = load_le64(p + i, 8);
        k *= PT_K1;
        k = rotl64(k, 31);
        k *= PT_K2;
        h ^= k;
        h = rotl64(h, 27) * 5 + 0x52dce729;
    }
    if (i < len) {
        /* the tail: at most 7 bytes, zero-padded; len is already mixed in,
         * so "a" and "a\0" still differ */
        uint64_t k = load_le64(p + i, len - i);
        k *= PT_K1;
        k = rotl64(k, 31);
        k *= PT_K2;
        h ^= k;
    }
    return fmix64(h ^ len);
}
