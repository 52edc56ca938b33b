/* jansson's per-thread block cache (core/json_alloc.h): values reuse freed
 * blocks, blocks stay malloc blocks (free() works on them), frees on other
 * threads and thread exit are safe, the cache is bounded, and an
 * application's own allocator is left in place. Under ASan/TSan the cache is
 * not installed; the tests then check that jansson still works. */
#define _GNU_SOURCE
#include <jansson.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "core/json_alloc.h"

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#define SANITIZED 1
#endif
#endif

static bool active;

static int setup(void **state)
{
    (void)state;
    active = pt__json_alloc_install();
    return 0;
}

static void test_installed_unless_sanitized(void **state)
{
    (void)state;
#ifdef SANITIZED
    assert_false(active);
#else
    assert_true(active); /* jansson's defaults are malloc and free */
#endif
    assert_int_equal(pt__json_alloc_install(), active); /* once */
}

static void test_values_reuse_freed_blocks(void **state)
{
    (void)state;
    json_t *v = json_pack("{s:s}", "greeting", "hello world");
    assert_non_null(v);
    unsigned before = pt__json_alloc_cached();
    json_decref(v);
    unsigned after_free = pt__json_alloc_cached();
    if (active)
        assert_true(after_free >= before + 5); /* object, buckets, pair, string, bytes */
    else
        assert_int_equal(after_free, 0);
    v = json_pack("{s:s}", "greeting", "hello world");
    assert_non_null(v);
    if (active)
        assert_true(pt__json_alloc_cached() <= after_free - 5); /* taken back */
    char *s = json_dumps(v, JSON_COMPACT);
    assert_string_equal(s, "{\"greeting\":\"hello world\"}");
    free(s); /* jansson documents free() for json_dumps' result */
    json_decref(v);
}

static void test_odd_sizes_find_their_class(void **state)
{
    (void)state;
    /* Strings of every length up to 200 bytes, built and freed twice: the
     * second round is served from the cache for the small ones. */
    char buf[201];
    for (int round = 0; round < 2; round++) {
        for (int n = 0; n <= 200; n++) {
            memset(buf, 'a' + n % 26, (size_t)n);
            buf[n] = '\0';
            json_t *s = json_string(buf);
            assert_non_null(s);
            assert_int_equal(json_string_length(s), (size_t)n);
            assert_memory_equal(json_string_value(s), buf, (size_t)n);
            json_decref(s);
        }
    }
    if (active)
        assert_true(pt__json_alloc_cached() > 0);
}

static void test_bounded(void **state)
{
    (void)state;
    enum { N = 2000 };
    json_t *arr = json_array();
    for (int i = 0; i < N; i++)
        json_array_append_new(arr, json_string("x"));
    json_decref(arr); /* 4000+ small blocks freed at once */
    assert_true(pt__json_alloc_cached() <= 8 * 64);
}

static void *drop(void *arg)
{
    json_decref(arg); /* freed here: joins this thread's cache */
    unsigned *cached = malloc(sizeof *cached);
    *cached = pt__json_alloc_cached();
    return cached; /* the thread's cache is released at its exit */
}

static void test_free_on_another_thread(void **state)
{
    (void)state;
    for (int i = 0; i < 4; i++) {
        json_t *v = json_pack("{s:[i,i,s], s:{s:b}}", "a", 1, 2, "three", "b", "c", 1);
        assert_non_null(v);
        pthread_t t;
        assert_int_equal(pthread_create(&t, NULL, drop, v), 0);
        void *ret = NULL;
        assert_int_equal(pthread_join(t, &ret), 0);
        if (active)
            assert_true(*(unsigned *)ret > 0);
        free(ret);
    }
}

static int own_calls;
static void *own_malloc(size_t n) { own_calls++; return malloc(n); }
static void own_free(void *p) { free(p); }

/* Run in a fresh process (this binary with --own-alloc): the application
 * sets its own functions before ponty's first scheduler. */
static int own_alloc_main(void)
{
    json_set_alloc_funcs(own_malloc, own_free);
    bool installed = pt__json_alloc_install();
    json_malloc_t m;
    json_free_t f;
    json_get_alloc_funcs(&m, &f);
    json_t *v = json_string("kept");
    json_decref(v);
    return !installed && m == own_malloc && f == own_free && own_calls > 0 ? 0 : 1;
}

static void test_application_allocator_kept(void **state)
{
    (void)state;
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        execl("/proc/self/exe", "test_json_alloc", "--own-alloc", (char *)NULL);
        _exit(127);
    }
    int st = 0;
    assert_int_equal(waitpid(pid, &st, 0), pid);
    assert_true(WIFEXITED(st));
    assert_int_equal(WEXITSTATUS(st), 0);
}

int main(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "--own-alloc") == 0)
        return own_alloc_main();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_installed_unless_sanitized),
        cmocka_unit_test(test_values_reuse_freed_blocks),
        cmocka_unit_test(test_odd_sizes_find_their_class),
        cmocka_unit_test(test_bounded),
        cmocka_unit_test(test_free_on_another_thread),
        cmocka_unit_test(test_application_allocator_kept),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
