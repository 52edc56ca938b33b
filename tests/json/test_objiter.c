/* White-box: the validator's member iteration (objiter.c) must visit
 * exactly what jansson's public iterator visits, in the same order, for
 * empty, small, large and edited objects. Also reports whether the fast
 * layout is in use on this platform. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "schema_internal.h"

static void same_walk(json_t *o)
{
    void *pub = json_object_iter(o);
    size_t n = 0;
    for (void *it = oi_begin(o), *end = oi_end(o); it != end; it = oi_next(o, it), n++) {
        assert_non_null(pub);
        assert_ptr_equal(oi_key(it), json_object_iter_key(pub));
        assert_int_equal(oi_keylen(it), json_object_iter_key_len(pub));
        assert_ptr_equal(oi_value(it), json_object_iter_value(pub));
        pub = json_object_iter_next(o, pub);
    }
    assert_null(pub);
    assert_int_equal(n, json_object_size(o));
}

static void test_iteration_matches_jansson(void **state)
{
    (void)state;
    pt__objiter_init();
    print_message("objiter fast layout: %s\n", pt__objiter_layout.ok ? "in use" : "not available (public API)");
#if defined(__x86_64__) || defined(__aarch64__)
    assert_true(pt__objiter_layout.ok); /* jansson 2.14 on the pinned platforms */
#endif
    json_t *o = json_object();
    same_walk(o);
    char key[64];
    for (int i = 0; i < 300; i++) {
        snprintf(key, sizeof key, "key-%d-%.*s", i, i % 40, "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx");
        json_object_set_new(o, key, json_integer(i));
        if (i % 37 == 0)
            same_walk(o);
    }
    for (int i = 0; i < 300; i += 3) {
        snprintf(key, sizeof key, "key-%d-%.*s", i, i % 40, "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx");
        json_object_del(o, key);
    }
    json_object_set_new(o, "key-1-x", json_string("replaced"));
    json_object_setn_new(o, "nul\0inside", 10, json_true());
    same_walk(o);
    json_object_clear(o);
    same_walk(o);
    json_decref(o);
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_iteration_matches_jansson)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
