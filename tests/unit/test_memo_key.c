/* Cache keys: the default key (canonical and collision-free), key templates
 * (aquiche's str.format() syntax over JSON arguments) and the bucket hash. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "ponty/memo_key.h"

static json_t *J(const char *text)
{
    json_error_t je;
    json_t *v = json_loads(text, JSON_DECODE_ANY | JSON_ALLOW_NUL, &je);
    if (!v) {
        print_error("bad test JSON %s: %s\n", text, je.text);
        fail();
    }
    return v;
}

/* Default key of JSON-text args and kwargs ("-" means NULL); caller frees. */
static char *key_of(const char *args, const char *kwargs)
{
    json_t *a = strcmp(args, "-") ? J(args) : NULL;
    json_t *k = strcmp(kwargs, "-") ? J(kwargs) : NULL;
    char err[256] = "";
    char *key = pt_key_default_dup(a, k, err, sizeof err);
    if (!key) {
        print_error("key_of(%s, %s): %s\n", args, kwargs, err);
        fail();
    }
    json_decref(a);
    json_decref(k);
    return key;
}

#define check_key(args, kwargs, want) check_key_(args, kwargs, want, __LINE__)
static void check_key_(const char *args, const char *kwargs, const char *want, int line)
{
    char *got = key_of(args, kwargs);
    if (strcmp(got, want) != 0) {
        print_error("line %d: key(%s, %s) = %s, want %s\n", line, args, kwargs, got, want);
        free(got);
        fail();
    }
    free(got);
}

/* ---- default keys ------------------------------------------------------- */

static void test_default_key_shape(void **state)
{
    (void)state;
    check_key("[\"a\", 1]", "{\"x\": true}", "[[\"a\",1],{\"x\":true}]");
    check_key("[]", "{}", "[[],{}]");
    check_key("-", "-", "[[],{}]");
    check_key("[1.5, null, false]", "-", "[[1.5,null,false],{}]");
    check_key("[0.1]", "-", "[[0.10000000000000001],{}]"); /* 17 digits: exact */
    check_key("[\"caf\\u00e9\"]", "-", "[[\"caf\xc3\xa9\"],{}]");
    /* members sorted at every depth: f(a=1, b=2) is f(b=2, a=1) */
    check_key("-", "{\"b\": 2, \"a\": {\"z\": 1, \"y\": [2, 1]}}",
              "[[],{\"a\":{\"y\":[2,1],\"z\":1},\"b\":2}]");
}

/* Each of these argument patterns must give a key of its own. */
static void test_default_key_collisions(void **state)
{
    (void)state;
    static const char *cases[][2] = {
        { "[1]", "-" },           { "[\"1\"]", "-" },         { "[1.0]", "-" },
        { "[-0.0]", "-" },        { "[true]", "-" },          { "[\"true\"]", "-" },
        { "[null]", "-" },        { "[\"null\"]", "-" },      { "[\"\"]", "-" },
        { "[]", "-" },            { "[\"a,b\"]", "-" },       { "[\"a\", \"b\"]", "-" },
        { "[\"a\\\",\\\"b\"]", "-" }, { "[[\"a\", \"b\"]]", "-" }, { "[\"ab\"]", "-" },
        { "[[1, 2]]", "-" },      { "[1, 2]", "-" },          { "[[1], 2]", "-" },
        { "[1, [2]]", "-" },      { "[]", "{\"x\": 1}" },     { "[{\"x\": 1}]", "-" },
        { "[\"x\", 1]", "-" },    { "[]", "{\"x\": \"1\"}" }, { "[]", "{\"x\": [1]}" },
        { "[]", "{\"x\": 1, \"y\": 2}" }, { "[]", "{\"x,y\": 1}" },
        { "[\"\\u0000\"]", "-" }, { "[\"\\u0000\\u0000\"]", "-" },
        { "[\"e\\u0301\"]", "-" }, { "[\"\\u00e9\"]", "-" },
        { "[\"]\"]", "-" },       { "[\"],{\"]", "-" },       { "[0]", "-" },
        { "[0.0]", "-" },         { "[9007199254740993]", "-" }, { "[9007199254740992]", "-" },
        { "[{}]", "-" },          { "[[]]", "-" },            { "[[[]]]", "-" },
    };
    const size_t n = sizeof cases / sizeof cases[0];
    char *keys[sizeof cases / sizeof cases[0]];
    for (size_t i = 0; i < n; i++)
        keys[i] = key_of(cases[i][0], cases[i][1]);
    for (size_t i = 0; i < n; i++)
        for (size_t j = i + 1; j < n; j++)
            if (strcmp(keys[i], keys[j]) == 0) {
                print_error("collision: (%s, %s) and (%s, %s) both give %s\n", cases[i][0],
                            cases[i][1], cases[j][0], cases[j][1], keys[i]);
                fail();
            }
    for (size_t i = 0; i < n; i++)
        free(keys[i]);
}

/* Equal arguments give equal keys however they were built. */
static void test_default_key_stable(void **state)
{
    (void)state;
    json_t *k1 = json_object(), *k2 = json_object();
    const char *names[] = { "delta", "alpha", "charlie", "bravo", "echo" };
    for (int i = 0; i < 5; i++)
        json_object_set_new(k1, names[i], json_integer(i));
    for (int i = 4; i >= 0; i--)
        json_object_set_new(k2, names[i], json_integer(i));
    json_t *args = json_pack("[s,i,f]", "x", 7, 2.5);
    char a[256], b[256], err[256];
    assert_true(pt_key_default(args, k1, a, sizeof a, err, sizeof err) > 0);
    assert_true(pt_key_default(args, k2, b, sizeof b, err, sizeof err) > 0);
    assert_string_equal(a, b);
    assert_string_equal(a, "[[\"x\",7,2.5],{\"alpha\":1,\"bravo\":3,\"charlie\":2,\"delta\":0,\"echo\":4}]");
    /* NULL args/kwargs are the empty ones */
    json_t *empty_a = json_array(), *empty_k = json_object();
    assert_true(pt_key_default(NULL, NULL, a, sizeof a, err, sizeof err) > 0);
    assert_true(pt_key_default(empty_a, empty_k, b, sizeof b, err, sizeof err) > 0);
    assert_string_equal(a, b);
    json_decref(empty_a);
    json_decref(empty_k);
    json_decref(args);
    json_decref(k1);
    json_decref(k2);
}

/* snprintf's contract: the full length back, what fits written, NUL-ended. */
static void test_default_key_buffers(void **state)
{
    (void)state;
    json_t *args = J("[\"abcdef\"]");
    char err[256];
    const char *full = "[[\"abcdef\"],{}]";
    ptrdiff_t need = pt_key_default(args, NULL, NULL, 0, err, sizeof err);
    assert_int_equal(need, (ptrdiff_t)strlen(full));
    char small[6];
    memset(small, '#', sizeof small);
    assert_int_equal(pt_key_default(args, NULL, small, sizeof small, err, sizeof err), need);
    assert_string_equal(small, "[[\"ab");
    char exact[32];
    assert_int_equal(pt_key_default(args, NULL, exact, (size_t)need + 1, err, sizeof err), need);
    assert_string_equal(exact, full);
    char one[1] = { '#' };
    assert_int_equal(pt_key_default(args, NULL, one, 1, err, sizeof err), need);
    assert_int_equal(one[0], '\0');
    json_decref(args);
}

static void test_default_key_errors(void **state)
{
    (void)state;
    char buf[64], err[256];
    json_t *obj = J("{}"), *arr = J("[]");
    assert_int_equal(pt_key_default(obj, NULL, buf, sizeof buf, err, sizeof err), -1);
    assert_string_equal(err, "key arguments: args must be a JSON array");
    assert_int_equal(pt_key_default(NULL, arr, buf, sizeof buf, err, sizeof err), -1);
    assert_string_equal(err, "key arguments: kwargs must be a JSON object");
    assert_null(pt_key_default_dup(obj, NULL, err, sizeof err));
    /* a string jansson cannot encode (not UTF-8) */
    json_t *bad = json_array();
    json_array_append_new(bad, json_stringn_nocheck("\xff", 1));
    assert_int_equal(pt_key_default(bad, NULL, buf, sizeof buf, err, sizeof err), -1);
    assert_non_null(strstr(err, "invalid UTF-8"));
    assert_null(pt_key_default_dup(bad, NULL, NULL, 0));
    json_decref(bad);
    json_decref(obj);
    json_decref(arr);
}

/* ---- templates ------------------------------------------------------------ */

/* Renders tmpl over JSON-text args/kwargs ("-" = NULL); returns 0 and the key
 * in out, or -1 and the message in out. */
static int render(const char *tmpl, const char *args, const char *kwargs, char *out, size_t cap)
{
    char err[512] = "";
    pt_key_template_t *t = pt_key_template_compile(tmpl, err, sizeof err);
    if (!t) {
        snprintf(out, cap, "%s", err);
        return -1;
    }
    json_t *a = strcmp(args, "-") ? J(args) : NULL;
    json_t *k = strcmp(kwargs, "-") ? J(kwargs) : NULL;
    char *key = pt_key_template_render_dup(t, a, k, err, sizeof err);
    json_decref(a);
    json_decref(k);
    pt_key_template_free(t);
    if (!key) {
        snprintf(out, cap, "%s", err);
        return -1;
    }
    snprintf(out, cap, "%s", key);
    free(key);
    return 0;
}

#define check_tmpl(tmpl, args, kwargs, want) check_tmpl_(tmpl, args, kwargs, want, 0, __LINE__)
#define check_tmpl_err(tmpl, args, kwargs, want) check_tmpl_(tmpl, args, kwargs, want, -1, __LINE__)
static void check_tmpl_(const char *tmpl, const char *args, const char *kwargs, const char *want,
                        int want_rc, int line)
{
    char out[512];
    int rc = render(tmpl, args, kwargs, out, sizeof out);
    if (rc != want_rc || strcmp(out, want) != 0) {
        print_error("line %d: template '%s' over (%s, %s): rc=%d \"%s\", want rc=%d \"%s\"\n", line,
                    tmpl, args, kwargs, rc, out, want_rc, want);
        fail();
    }
}

/* README: @alru_cache(key="env:{environment.id}:id:{user[id]}") */
static void test_template_readme(void **state)
{
    (void)state;
    const char *env = "{\"id\": \"prod\", \"region\": \"eu\"}";
    const char *user = "{\"id\": 42, \"username\": \"ada\"}";
    char args[256], kwargs[256];
    snprintf(args, sizeof args, "[%s, %s]", env, user);
    snprintf(kwargs, sizeof kwargs, "{\"environment\": %s, \"user\": %s}", env, user);
    check_tmpl("env:{environment.id}:id:{user[id]}", args, kwargs, "env:prod:id:42");
    /* named args are passed both ways, so positions work too */
    check_tmpl("env:{0.id}:id:{1[id]}", args, kwargs, "env:prod:id:42");
    check_tmpl("env:{0[id]}:id:{1.id}", args, "-", "env:prod:id:42");
    /* Key.SINGLE_KEY: a template without fields ignores the arguments */
    check_tmpl("single", args, kwargs, "single");
    check_tmpl("", args, kwargs, "");
}

static void test_template_syntax(void **state)
{
    (void)state;
    check_tmpl("{0}-{1}", "[\"a\", 2]", "-", "a-2");
    check_tmpl("{}-{}", "[\"a\", 2]", "-", "a-2");
    check_tmpl("{1}{0}{1}", "[\"a\", \"b\"]", "-", "bab");
    check_tmpl("{{literal}} {0}", "[1]", "-", "{literal} 1");
    check_tmpl("}}{{", "-", "-", "}{");
    check_tmpl("{a[b][c].d}", "-", "{\"a\": {\"b\": {\"c\": {\"d\": \"deep\"}}}}", "deep");
    check_tmpl("{0[1]}", "[[\"x\", \"y\"]]", "-", "y");
    check_tmpl("{0[1][0]}", "[[\"x\", [\"y\"]]]", "-", "y");
    check_tmpl("{m[0]}", "-", "{\"m\": {\"0\": \"zero\"}}", "zero"); /* objects key by string */
    check_tmpl("{m[a.b]}", "-", "{\"m\": {\"a.b\": \"dotted\"}}", "dotted");
    check_tmpl("{m[a:b]}", "-", "{\"m\": {\"a:b\": \"colon\"}}", "colon");
    check_tmpl("{.id}", "[{\"id\": 9}]", "-", "9"); /* auto-numbered with an attribute */
    check_tmpl("{f\xc3\xa9}", "-", "{\"f\xc3\xa9\": 1}", "1");
}

/* Values render as Python's str() would. */
static void test_template_values(void **state)
{
    (void)state;
    check_tmpl("{0}", "[\"text\"]", "-", "text");
    check_tmpl("{0}", "[-17]", "-", "-17");
    check_tmpl("{0}", "[9223372036854775807]", "-", "9223372036854775807");
    check_tmpl("{0}", "[true]", "-", "True");
    check_tmpl("{0}", "[false]", "-", "False");
    check_tmpl("{0}", "[null]", "-", "None");
    check_tmpl("{0}", "[1.5]", "-", "1.5");
    check_tmpl("{0}", "[0.1]", "-", "0.1");
    check_tmpl("{0}", "[100.0]", "-", "100.0");
    check_tmpl("{0}", "[-0.0]", "-", "-0.0");
    check_tmpl("{0}", "[0.0]", "-", "0.0");
    check_tmpl("{0}", "[1e16]", "-", "1e+16");
    check_tmpl("{0}", "[1e15]", "-", "1000000000000000.0");
    check_tmpl("{0}", "[0.0001]", "-", "0.0001");
    check_tmpl("{0}", "[0.00001]", "-", "1e-05");
    check_tmpl("{0}", "[1.5e-7]", "-", "1.5e-07");
    check_tmpl("{0}", "[123456789.123]", "-", "123456789.123");
    check_tmpl("{0}", "[1.2345678901234567e+300]", "-", "1.2345678901234567e+300");
    check_tmpl("{0}", "[0.30000000000000004]", "-", "0.30000000000000004");
    check_tmpl("{0}", "[{\"b\": 1, \"a\": [true, null]}]", "-", "{\"a\":[true,null],\"b\":1}");
    check_tmpl("{0}", "[[1, \"x\"]]", "-", "[1,\"x\"]");
    check_tmpl("{0}|{1}", "[\"a|b\", \"\"]", "-", "a|b|");
}

static void test_template_compile_errors(void **state)
{
    (void)state;
    check_tmpl_err("{", "-", "-", "key template '{': Single '{' encountered in format string");
    check_tmpl_err("a{", "-", "-", "key template 'a{': Single '{' encountered in format string");
    check_tmpl_err("}", "-", "-", "key template '}': Single '}' encountered in format string");
    check_tmpl_err("a}b", "-", "-", "key template 'a}b': Single '}' encountered in format string");
    check_tmpl_err("{a", "-", "-", "key template '{a': expected '}' before end of string");
    check_tmpl_err("{0}{}", "-", "-",
                   "key template '{0}{}': cannot switch from manual field specification to "
                   "automatic field numbering");
    check_tmpl_err("{}{0}", "-", "-",
                   "key template '{}{0}': cannot switch from automatic field numbering to manual "
                   "field specification");
    check_tmpl_err("{a.}", "-", "-", "key template '{a.}': Empty attribute in format string");
    check_tmpl_err("{a..b}", "-", "-", "key template '{a..b}': Empty attribute in format string");
    check_tmpl_err("{a[]}", "-", "-", "key template '{a[]}': Empty attribute in format string");
    check_tmpl_err("{a[b}", "-", "-", "key template '{a[b}': Missing ']' in format string");
    check_tmpl_err("{a[b]c}", "-", "-",
                   "key template '{a[b]c}': Only '.' or '[' may follow ']' in format field "
                   "specifier");
    check_tmpl_err("{a!r}", "-", "-",
                   "key template '{a!r}': conversions (!r, !s) are not supported in key templates");
    check_tmpl_err("{a:>8}", "-", "-",
                   "key template '{a:>8}': format specs (:...) are not supported in key templates");
    check_tmpl_err("{99999999999999999999999}", "-", "-",
                   "key template '{99999999999999999999999}': Too many decimal digits in format "
                   "string");
    /* NULL err is allowed */
    assert_null(pt_key_template_compile("{", NULL, 0));
}

static void test_template_render_errors(void **state)
{
    (void)state;
    const char *t = "env:{environment.id}:id:{user[id]}";
    check_tmpl_err(t, "-", "{\"user\": {\"id\": 1}}",
                   "key template 'env:{environment.id}:id:{user[id]}': missing argument "
                   "'environment'");
    check_tmpl_err(t, "-", "{\"environment\": {}, \"user\": {\"id\": 1}}",
                   "key template 'env:{environment.id}:id:{user[id]}': missing attribute "
                   "'environment.id'");
    check_tmpl_err(t, "-", "{\"environment\": {\"id\": 1}, \"user\": [1]}",
                   "key template 'env:{environment.id}:id:{user[id]}': missing item 'user[id]'");
    check_tmpl_err("{2}", "[1, 2]", "-", "key template '{2}': missing positional argument '2'");
    check_tmpl_err("{}{}", "[1]", "-", "key template '{}{}': missing positional argument '1'");
    check_tmpl_err("{0}", "-", "{\"0\": 1}", "key template '{0}': missing positional argument '0'");
    check_tmpl_err("{0.x}", "[\"str\"]", "-", "key template '{0.x}': missing attribute '0.x'");
    check_tmpl_err("{0[0]}", "[\"str\"]", "-", "key template '{0[0]}': missing item '0[0]'");
    check_tmpl_err("{0[5]}", "[[1]]", "-", "key template '{0[5]}': missing item '0[5]'");
    check_tmpl_err("{0.0}", "[[1]]", "-", "key template '{0.0}': missing attribute '0.0'");
    check_tmpl_err("{a}", "-", "-", "key template '{a}': missing argument 'a'");
}

/* Compiled once, rendered many times with different arguments. */
static void test_template_reuse(void **state)
{
    (void)state;
    char err[256];
    pt_key_template_t *t = pt_key_template_compile("user:{0}:{kind}", err, sizeof err);
    assert_non_null(t);
    assert_string_equal(pt_key_template_source(t), "user:{0}:{kind}");
    char buf[64], want[64];
    for (int i = 0; i < 1000; i++) {
        json_t *args = json_pack("[i]", i);
        json_t *kw = json_pack("{s:s}", "kind", i % 2 ? "odd" : "even");
        ptrdiff_t n = pt_key_template_render(t, args, kw, buf, sizeof buf, err, sizeof err);
        snprintf(want, sizeof want, "user:%d:%s", i, i % 2 ? "odd" : "even");
        assert_int_equal(n, (ptrdiff_t)strlen(want));
        assert_string_equal(buf, want);
        json_decref(args);
        json_decref(kw);
    }
    /* snprintf contract for templates too */
    json_t *args = json_pack("[s]", "abcdef");
    json_t *kw = json_pack("{s:s}", "kind", "k");
    char small[8];
    assert_int_equal(pt_key_template_render(t, args, kw, small, sizeof small, err, sizeof err),
                     (ptrdiff_t)strlen("user:abcdef:k"));
    assert_string_equal(small, "user:ab");
    assert_int_equal(pt_key_template_render(t, args, kw, NULL, 0, err, sizeof err),
                     (ptrdiff_t)strlen("user:abcdef:k"));
    json_decref(args);
    json_decref(kw);
    pt_key_template_free(t);
    pt_key_template_free(NULL);
}

typedef struct render_job {
    const pt_key_template_t *t;
    int id;
    int failures;
} render_job_t;

static void *render_thread(void *arg)
{
    render_job_t *job = arg;
    char buf[64], want[64], err[256];
    for (int i = 0; i < 2000; i++) {
        json_t *kw = json_pack("{s:i,s:{s:i}}", "a", job->id, "b", "c", i);
        pt_key_template_render(job->t, NULL, kw, buf, sizeof buf, err, sizeof err);
        snprintf(want, sizeof want, "%d/%d", job->id, i);
        if (strcmp(buf, want) != 0)
            job->failures++;
        json_decref(kw);
    }
    return NULL;
}

/* One immutable template, rendered from several threads at once. */
static void test_template_threads(void **state)
{
    (void)state;
    char err[256];
    pt_key_template_t *t = pt_key_template_compile("{a}/{b[c]}", err, sizeof err);
    assert_non_null(t);
    pthread_t th[4];
    render_job_t jobs[4];
    for (int i = 0; i < 4; i++) {
        jobs[i] = (render_job_t){ .t = t, .id = i };
        assert_int_equal(pthread_create(&th[i], NULL, render_thread, &jobs[i]), 0);
    }
    for (int i = 0; i < 4; i++) {
        pthread_join(th[i], NULL);
        assert_int_equal(jobs[i].failures, 0);
    }
    pt_key_template_free(t);
}

/* ---- hash ------------------------------------------------------------------ */

static void test_hash(void **state)
{
    (void)state;
    const char *k = "[[\"a\",1],{}]";
    uint64_t h = pt_key_hash(k, strlen(k), 0);
    char copy[32];
    strcpy(copy, k);
    assert_int_equal(h, pt_key_hash(copy, strlen(copy), 0)); /* by content */
    assert_int_not_equal(h, pt_key_hash(k, strlen(k), 1));   /* the seed matters */
    assert_int_not_equal(pt_key_hash("a", 1, 0), pt_key_hash("a\0", 2, 0));
    assert_int_not_equal(pt_key_hash("", 0, 0), pt_key_hash("\0", 1, 0));
    assert_int_equal(pt_key_hash(NULL, 0, 7), pt_key_hash("", 0, 7));

    /* buckets: 64k sequential keys over 256 buckets stay near 256 each */
    enum { N = 65536, B = 256 };
    static unsigned counts[B];
    memset(counts, 0, sizeof counts);
    char key[32];
    for (int i = 0; i < N; i++) {
        int n = snprintf(key, sizeof key, "[[%d],{}]", i);
        counts[pt_key_hash(key, (size_t)n, 0) % B]++;
    }
    for (int b = 0; b < B; b++)
        if (counts[b] < 256 / 2 || counts[b] > 256 * 3 / 2) {
            print_error("bucket %d holds %u of %d\n", b, counts[b], N);
            fail();
        }

    /* avalanche: one flipped input bit changes about half the output bits */
    unsigned char buf[24] = "avalanche-test-key-0123";
    uint64_t base = pt_key_hash(buf, sizeof buf, 0);
    long total = 0;
    int flips = 0;
    for (size_t byte = 0; byte < sizeof buf; byte++)
        for (int bit = 0; bit < 8; bit++) {
            buf[byte] ^= (unsigned char)(1u << bit);
            total += __builtin_popcountll(base ^ pt_key_hash(buf, sizeof buf, 0));
            buf[byte] ^= (unsigned char)(1u << bit);
            flips++;
        }
    double avg = (double)total / flips;
    if (avg < 28 || avg > 36) {
        print_error("avalanche: %.2f bits change on average\n", avg);
        fail();
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_default_key_shape),
        cmocka_unit_test(test_default_key_collisions),
        cmocka_unit_test(test_default_key_stable),
        cmocka_unit_test(test_default_key_buffers),
        cmocka_unit_test(test_default_key_errors),
        cmocka_unit_test(test_template_readme),
        cmocka_unit_test(test_template_syntax),
        cmocka_unit_test(test_template_values),
        cmocka_unit_test(test_template_compile_errors),
        cmocka_unit_test(test_template_render_errors),
        cmocka_unit_test(test_template_reuse),
        cmocka_unit_test(test_template_threads),
        cmocka_unit_test(test_hash),
    };
    return cmocka_run_group_tests_name("memo_key", tests, NULL, NULL);
}
