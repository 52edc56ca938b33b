/* The request arena: alignment, growth, big blocks, printf, reset keeping a
 * block, and cleanups in LIFO order on reset and destroy. */
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <setjmp.h>
#include <cmocka.h>

#include "ponty/arena.h"

static int log_[8];
static int nlog;
static void note(void *arg) { log_[nlog++] = (int)(intptr_t)arg; }

static void test_alloc_aligned_and_distinct(void **state)
{
    (void)state;
    pt_arena_t a;
    pt_arena_init(&a, 256);
    char *prev = NULL;
    for (int i = 1; i < 200; i++) {
        char *p = pt_arena_alloc(&a, (size_t)(i % 37) + 1);
        assert_int_equal((uintptr_t)p % 16, 0);
        memset(p, 0xab, (size_t)(i % 37) + 1); /* ASan flags any overlap/overflow */
        assert_ptr_not_equal(p, prev);
        prev = p;
    }
    char *big = pt_arena_alloc(&a, 100000);
    memset(big, 1, 100000);
    char *z = pt_arena_calloc(&a, 64);
    for (int i = 0; i < 64; i++)
        assert_int_equal(z[i], 0);
    pt_arena_destroy(&a);
}

static void test_strings(void **state)
{
    (void)state;
    pt_arena_t a;
    pt_arena_init(&a, 0);
    assert_string_equal(pt_arena_strdup(&a, "hello"), "hello");
    assert_string_equal(pt_arena_strndup(&a, "hello", 3), "hel");
    assert_string_equal(pt_arena_printf(&a, "%s-%d", "x", 42), "x-42");
    char longs[1000];
    memset(longs, 'q', sizeof longs - 1);
    longs[sizeof longs - 1] = 0;
    char *p = pt_arena_printf(&a, "[%s]", longs);
    assert_int_equal(strlen(p), 1001);
    assert_int_equal(p[0], '[');
    assert_int_equal(p[1000], ']');
    pt_arena_destroy(&a);
}

static void test_cleanups_lifo_on_reset_and_destroy(void **state)
{
    (void)state;
    pt_arena_t a;
    pt_arena_init(&a, 0);
    nlog = 0;
    pt_arena_defer(&a, note, (void *)1);
    pt_arena_defer(&a, note, (void *)2);
    pt_arena_defer(&a, note, (void *)3);
    pt_arena_reset(&a);
    assert_int_equal(nlog, 3);
    assert_int_equal(log_[0], 3);
    assert_int_equal(log_[1], 2);
    assert_int_equal(log_[2], 1);
    /* Reset keeps the arena usable; destroy runs what was registered since. */
    pt_arena_defer(&a, note, (void *)4);
    (void)pt_arena_strdup(&a, "after reset");
    pt_arena_destroy(&a);
    assert_int_equal(nlog, 4);
    assert_int_equal(log_[3], 4);
}

/* Every malloc of the arena (and of this file) goes through here: the test
 * is linked with -Wl,--wrap=malloc, so the count is exact in every build,
 * sanitizers included (they replace malloc, not the calls to it). */
void *__real_malloc(size_t n);
void *__wrap_malloc(size_t n);
void __real_free(void *p);
void __wrap_free(void *p);
static _Atomic size_t mallocs, frees; /* frees of non-NULL pointers */
void *__wrap_malloc(size_t n)
{
    mallocs++;
    return __real_malloc(n);
}
void __wrap_free(void *p)
{
    if (p)
        frees++;
    __real_free(p);
}

static void test_reset_reuses_a_block(void **state)
{
    (void)state;
    pt_arena_t a;
    pt_arena_init(&a, 1024);
    size_t start = mallocs;
    void *first = pt_arena_alloc(&a, 100);
    assert_int_equal(mallocs - start, 1); /* the first block */
    for (int i = 0; i < 100; i++) /* several blocks' worth */
        (void)pt_arena_alloc(&a, 100);
    assert_true(mallocs - start > 5);
    pt_arena_reset(&a);
    /* The next small allocations come from the kept block: no new memory,
     * and the same bytes as before the reset. */
    size_t kept = mallocs;
    void *again = pt_arena_alloc(&a, 100);
    for (int i = 0; i < 5; i++)
        (void)pt_arena_alloc(&a, 100);
    assert_int_equal(mallocs, kept);
    /* An oversize allocation gets its own block, given back by the reset,
     * while the standard block stays. */
    memset(pt_arena_alloc(&a, 100000), 0, 100000);
    assert_int_equal(mallocs, kept + 1);
    pt_arena_reset(&a);
    assert_ptr_equal(pt_arena_alloc(&a, 100), again);
    assert_int_equal(mallocs, kept + 1);
    (void)first;
    pt_arena_destroy(&a);
}

/* Past the limit (or a size that cannot be rounded), on_fail runs instead
 * of an allocation; it must not return, so the test jumps out of it. */
static jmp_buf failed_jmp;
static size_t failed_n;
static void on_fail(void *ctx, size_t n)
{
    (void)ctx;
    failed_n = n;
    longjmp(failed_jmp, 1);
}

static void test_limit_calls_on_fail(void **state)
{
    (void)state;
    pt_arena_t a;
    pt_arena_init(&a, 1024);
    a.limit = 8192;
    a.on_fail = on_fail;
    (void)pt_arena_alloc(&a, 4000);
    (void)pt_arena_alloc(&a, 3000);
    assert_true(a.held <= a.limit);
    if (setjmp(failed_jmp) == 0) {
        (void)pt_arena_alloc(&a, 5000);
        fail_msg("allocated past the limit");
    }
    assert_int_equal(failed_n, 5008);
    if (setjmp(failed_jmp) == 0) {
        (void)pt_arena_alloc(&a, SIZE_MAX - 3); /* would wrap when rounded */
        fail_msg("allocated SIZE_MAX");
    }
    /* A reset gives the room back. */
    pt_arena_reset(&a);
    (void)pt_arena_alloc(&a, 7000);
    pt_arena_destroy(&a);
}

static void test_default_blocks_pass_between_arenas(void **state)
{
    (void)state;
    pt_arena_t a, b;
    pt_arena_init(&a, 0);
    pt_arena_init(&b, 0);
    char *pa = pt_arena_strdup(&a, "first request");
    pt_arena_reset(&a); /* its block goes to this thread's cache */
    size_t before = mallocs;
    char *pb = pt_arena_strdup(&b, "second request");
    assert_int_equal(mallocs, before); /* no new memory */
    assert_ptr_equal(pb, pa);           /* the block the first one left */
    /* Many arenas' blocks at once: the cache keeps a bounded number, and
     * every arena still gets working memory. */
    enum { N = 40 };
    pt_arena_t many[N];
    for (int i = 0; i < N; i++) {
        pt_arena_init(&many[i], 0);
        memset(pt_arena_alloc(&many[i], 1000), i, 1000);
    }
    for (int i = 0; i < N; i++)
        pt_arena_reset(&many[i]);
    before = mallocs;
    for (int i = 0; i < N; i++)
        memset(pt_arena_alloc(&many[i], 1000), i, 1000);
    assert_true(mallocs - before >= N - 16); /* at most 16 came from the cache */
    assert_true(mallocs - before < N);
    for (int i = 0; i < N; i++)
        pt_arena_destroy(&many[i]);
    pt_arena_destroy(&a);
    pt_arena_destroy(&b);
}

static void *arena_thread(void *arg)
{
    (void)arg;
    pt_arena_t a;
    pt_arena_init(&a, 0);
    for (int i = 0; i < 100; i++) {
        (void)pt_arena_printf(&a, "round %d", i);
        pt_arena_reset(&a); /* cached on this thread, released at its exit */
    }
    pt_arena_destroy(&a);
    return NULL;
}

static void test_thread_cache_released_at_exit(void **state)
{
    (void)state;
    for (int i = 0; i < 4; i++) {
        size_t m0 = mallocs, f0 = frees;
        pthread_t t;
        assert_int_equal(pthread_create(&t, NULL, arena_thread, NULL), 0);
        assert_int_equal(pthread_join(t, NULL), 0);
        /* The thread took blocks, and gave every one back: the block its
         * cache held is freed by the thread's exit, before the join returns. */
        assert_true(mallocs - m0 >= 1);
        assert_int_equal(mallocs - m0, frees - f0);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_default_blocks_pass_between_arenas),
        cmocka_unit_test(test_thread_cache_released_at_exit),
        cmocka_unit_test(test_alloc_aligned_and_distinct),
        cmocka_unit_test(test_strings),
        cmocka_unit_test(test_cleanups_lifo_on_reset_and_destroy),
        cmocka_unit_test(test_reset_reuses_a_block),
        cmocka_unit_test(test_limit_calls_on_fail),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
