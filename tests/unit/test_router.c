/* Unit tests for the route matcher (src/route/router.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "route/router.h"

/* Route data are small integers cast to pointers: easy to compare. */
#define D(n) ((void *)(uintptr_t)(n))

static char err[512];

static void add_ok(pt__router_t *r, const char *method, const char *path, int data)
{
    int rc = pt__router_add(r, method, path, D(data), err, sizeof err);
    if (rc != 0)
        fail_msg("add %s %s failed: %s", method, path, err);
}

static void add_err(pt__router_t *r, const char *method, const char *path, const char *want)
{
    err[0] = '\0';
    assert_int_equal(pt__router_add(r, method, path, D(999), err, sizeof err), -1);
    assert_string_equal(err, want);
}

static pt__route_match_t match(const pt__router_t *r, const char *method, const char *path)
{
    pt__route_match_t m;
    memset(&m, 0xa5, sizeof m);   /* the matcher must set every field it reports */
    pt__router_match(r, method, strlen(method), path, strlen(path), &m);
    return m;
}

/* 200 with the given data; returns the match for capture checks. */
static pt__route_match_t hit(const pt__router_t *r, const char *method, const char *path, int data)
{
    pt__route_match_t m = match(r, method, path);
    if (m.status != 200)
        fail_msg("%s %s: status %d, want 200", method, path, m.status);
    assert_ptr_equal(m.data, D(data));
    assert_null(m.allow);
    return m;
}

static void miss(const pt__router_t *r, const char *method, const char *path)
{
    pt__route_match_t m = match(r, method, path);
    if (m.status != 404)
        fail_msg("%s %s: status %d, want 404", method, path, m.status);
    assert_null(m.data);
    assert_null(m.allow);
    assert_int_equal(m.ncaptures, 0);
}

static void cap_is(const pt__route_match_t *m, unsigned i, const char *name, const char *value)
{
    assert_true(i < m->ncaptures);
    assert_string_equal(m->captures[i].name, name);
    if (m->captures[i].len != strlen(value) ||
        memcmp(m->captures[i].value, value, m->captures[i].len) != 0)
        fail_msg("capture %s = '%.*s', want '%s'", name, (int)m->captures[i].len,
                 m->captures[i].value, value);
}

static int setup(void **state)
{
    *state = pt__router_new();
    return *state ? 0 : -1;
}

static int teardown(void **state)
{
    pt__router_free(*state);
    pt__router_thread_release();
    return 0;
}

/* ---- paths ---------------------------------------------------------- */

static void test_static(void **state)
{
    pt__router_t *r = *state;
    add_ok(r, "GET", "/a", 1);
    add_ok(r, "GET", "/a/b", 2);
    add_ok(r, "GET", "/abc", 3);
    add_ok(r, "GET", "/a/b/c/d/e", 4);
    pt__route_match_t m = hit(r, "GET", "/a", 1);
    assert_int_equal(m.ncaptures, 0);
    hit(r, "GET", "/a/b", 2);
    hit(r, "GET", "/abc", 3);
    hit(r, "GET", "/a/b/c/d/e", 4);
    miss(r, "GET", "/ab");
    miss(r, "GET", "/a/b/c");
    miss(r, "GET", "/A");
    miss(r, "GET", "");
    miss(r, "GET", "a");
    miss(r, "GET", "/a/b/c/d/e/f");
}

static void test_root(void **state)
{
    pt__router_t *r = *state;
    miss(r, "GET", "/");
    add_ok(r, "GET", "/", 1);
    add_ok(r, "GET", "/x", 2);
    hit(r, "GET", "/", 1);
    hit(r, "GET", "/x", 2);
    miss(r, "GET", "//");
    miss(r, "GET", "");
}

static void test_trailing_slash(void **state)
{
    pt__router_t *r = *state;
    add_ok(r, "GET", "/a", 1);
    add_ok(r, "GET", "/a/", 2);
    add_ok(r, "GET", "/b", 3);
    add_ok(r, "GET", "/u/{id}/", 4);
    hit(r, "GET", "/a", 1);
    hit(r, "GET", "/a/", 2);
    hit(r, "GET", "/b", 3);
    miss(r, "GET", "/b/");
    miss(r, "GET", "/a//");
    hit(r, "GET", "/u/7/", 4);
    miss(r, "GET", "/u/7");
}

/* The path passed in need not be NUL-terminated: plen is what counts. */
static void test_length_not_nul(void **state)
{
    pt__router_t *r = *state;
    add_ok(r, "GET", "/a", 1);
    add_ok(r, "GET", "/a/{x}", 2);
    pt__route_match_t m;
    const char buf[] = "/a/bcdef?q=1";
    pt__router_match(r, "GETX", 3, buf, 2, &m);
    assert_int_equal(m.status, 200);
    assert_ptr_equal(m.data, D(1));
    pt__router_match(r, "GET", 3, buf, 6, &m);
    assert_int_equal(m.status, 200);
    assert_ptr_equal(m.data, D(2));
    assert_int_equal(m.captures[0].len, 3);
    /* Captures point into the caller's buffer: no copy. */
    assert_ptr_equal(m.captures[0].value, buf + 3);
}

/* ---- placeholders ---------------------------------------------------- */

static void test_word_placeholder(void **state)
{
    pt__router_t *r = *state;
    add_ok(r, "GET", "/hello/{name}", 1);
    pt__route_match_t m = hit(r, "GET", "/hello/bob_42", 1);
    assert_int_equal(m.ncaptures, 1);
    cap_is(&m, 0, "name", "bob_42");
    m = hit(r, "GET", "/hello/h\xc3\xa9llo", 1);   /* UTF-8 word */
    cap_is(&m, 0, "name", "h\xc3\xa9llo");
    miss(r, "GET", "/hello/b-o");
    miss(r, "GET", "/hello/a.b");
    miss(r, "GET", "/hello/a%20b");
    miss(r, "GET", "/hello/");
    miss(r, "GET", "/hello");
    miss(r, "GET", "/hello/a/b");
}

static void test_explicit_word_regex_is_same_as_default(void **state)
{
    pt__router_t *r = *state;
    add_ok(r, "GET", "/s/{name:\\w+}", 1);
    pt__route_match_t m = hit(r, "GET", "/s/abc", 1);
    cap_is(&m, 0, "name", "abc");
    miss(r, "GET", "/s/a-c");
    /* Same pattern as "{name}": a duplicate. */
    add_err(r, "GET", "/s/{name}", "GET /s/{name}: duplicate route");
}

static void test_digits_placeholder(void **state)
{
    pt__router_t *r = *state;
    add_ok(r, "GET", "/n/{id:\\d+}", 1);
    add_ok(r, "GET", "/m/{id:[0-9]+}", 2);
    pt__route_match_t m = hit(r, "GET", "/n/0123", 1);
    cap_is(&m, 0, "id", "0123");
    m = hit(r, "GET", "/m/9", 2);
    cap_is(&m, 0, "id", "9");
    miss(r, "GET", "/n/12a");
    miss(r, "GET", "/n/-1");
    miss(r, "GET", "/n/");
    miss(r, "GET", "/m/x");
}

static void test_regex_with_braces(void **state)
{
    pt__router_t *r = *state;
    add_ok(r, "GET", "/obj/{id:[a-zA-Z]{5}}", 1);
    add_ok(r, "GET", "/cls/{c:[{}]+}", 2);          /* braces inside a class */
    add_ok(r, "GET", "/esc/{c:a\\{2\\}}", 3);        /* escaped braces */
    add_ok(r, "GET", "/alt/{v:(?:ab|cd){1,2}}/end", 4);
    pt__route_match_t m = hit(r, "GET", "/obj/abCDe", 1);
    cap_is(&m, 0, "id", "abCDe");
    miss(r, "GET", "/obj/abcd");
    miss(r, "GET", "/obj/abcdef");   /* anchored: the whole segment */
    miss(r, "GET", "/obj/ab1de");
    m = hit(r, "GET", "/cls/{}{", 2);
    cap_is(&m, 0, "c", "{}{");
    hit(r, "GET", "/esc/a{2}", 3);
    miss(r, "GET", "/esc/aa");
    m = hit(r, "GET", "/alt/abcd/end", 4);
    cap_is(&m, 0, "v", "abcd");
    miss(r, "GET", "/alt/abcdab/end");
}

static void test_regex_own_groups(void **state)
{
    pt__router_t *r = *state;
    /* The user's own capturing groups must not shift the placeholders. */
    add_ok(r, "GET", "/g/{a:(x)(y)?}-{b:(\\d)+}", 1);
    pt__route_match_t m = hit(r, "GET", "/g/xy-12", 1);
    assert_int_equal(m.ncaptures, 2);
    cap_is(&m, 0, "a", "xy");
    cap_is(&m, 1, "b", "12");
    m = hit(r, "GET", "/g/x-3", 1);
    cap_is(&m, 0, "a", "x");
    cap_is(&m, 1, "b", "3");
}

static void test_regex_unicode(void **state)
{
    pt__router_t *r = *state;
    add_ok(r, "GET", "/t/{x}.txt", 1);
    pt__route_match_t m = hit(r, "GET", "/t/\xc3\xa9t\xc3\xa9.txt", 1);   /* \w is Unicode-aware */
    cap_is(&m, 0, "x", "\xc3\xa9t\xc3\xa9");
    miss(r, "GET", "/t/\xff\xfe.txt");   /* invalid UTF-8: no match, no error */
    miss(r, "GET", "/t/a-b.txt");
}

static void test_mixed_segment(void **state)
{
    pt__router_t *r = *state;
    add_ok(r, "GET", "/files/{name}.json", 1);
    add_ok(r, "GET", "/v{major:\\d+}.{minor:\\d+}/info", 2);
    add_ok(r, "GET", "/q/a+b(c)*{x}", 3);   /* regex metacharacters in the static text */
    pt__route_match_t m = hit(r, "GET", "/files/report.json", 1);
    cap_is(&m, 0, "name", "report");
    miss(r, "GET", "/files/report.xml");
    miss(r, "GET", "/files/a.b.json");
    miss(r, "GET", "/files/.json");
    miss(r, "GET", "/files/reportxjson");
    m = hit(r, "GET", "/v2.13/info", 2);
    assert_int_equal(m.ncaptures, 2);
    cap_is(&m, 0, "major", "2");
    cap_is(&m, 1, "minor", "13");
    miss(r, "GET", "/v2/info");
    m = hit(r, "GET", "/q/a+b(c)*zz", 3);
    cap_is(&m, 0, "x", "zz");
    miss(r, "GET", "/q/aab(c)*zz");
}

static void test_multiple_placeholders(void **state)
{
    pt__router_t *r = *state;
    add_ok(r, "GET", "/u/{uid}/posts/{pid:\\d+}/c/{cid:[a-f0-9]{4}}", 1);
    pt__route_match_t m = hit(r, "GET", "/u/ann/posts/42/c/beef", 1);
    assert_int_equal(m.ncaptures, 3);
    cap_is(&m, 0, "uid", "ann");
    cap_is(&m, 1, "pid", "42");
    cap_is(&m, 2, "cid", "beef");
    miss(r, "GET", "/u/ann/posts/42/c/beefy");
}

static void test_names_per_route_on_shared_edge(void **state)
{
    pt__router_t *r = *state;
    /* Both share the "{...}" edge after /u; each reports its own name. */
    add_ok(r, "GET", "/u/{id}/a", 1);
    add_ok(r, "GET", "/u/{name}/b", 2);
    pt__route_match_t m = hit(r, "GET", "/u/x/a", 1);
    cap_is(&m, 0, "id", "x");
    m = hit(r, "GET", "/u/x/b", 2);
    cap_is(&m, 0, "name", "x");
}

static void test_tail_regex_may_match_slash(void **state)
{
    pt__router_t *r = *state;
    add_ok(r, "GET", "/static/{path:.*}", 1);
    add_ok(r, "GET", "/one/{seg:[a-z/]+}/end", 2);
    add_ok(r, "GET", "/lim/{x:[a-z]+}", 3);
    pt__route_match_t m = hit(r, "GET", "/static/css/site/main.css", 1);
    cap_is(&m, 0, "path", "css/site/main.css");
    m = hit(r, "GET", "/static/", 1);
    cap_is(&m, 0, "path", "");
    /* Not the last segment: matching stays within one segment. */
    miss(r, "GET", "/one/a/b/end");
    hit(r, "GET", "/one/ab/end", 2);
    hit(r, "GET", "/lim/abc", 3);
    miss(r, "GET", "/lim/abc/def");
}

static void test_backtracking(void **state)
{
    pt__router_t *r = *state;
    add_ok(r, "GET", "/x/{a:\\d+}/edit", 1);
    add_ok(r, "GET", "/x/{b}/view", 2);
    add_ok(r, "GET", "/x/{c:[a-z]+}/{d}/deep", 3);
    pt__route_match_t m = hit(r, "GET", "/x/12/edit", 1);
    cap_is(&m, 0, "a", "12");
    /* \d+ accepts "12" first, finds no "view" below it, falls back to \w+. */
    m = hit(r, "GET", "/x/12/view", 2);
    assert_int_equal(m.ncaptures, 1);
    cap_is(&m, 0, "b", "12");
    m = hit(r, "GET", "/x/ab/cd/deep", 3);
    assert_int_equal(m.ncaptures, 2);
    cap_is(&m, 0, "c", "ab");
    cap_is(&m, 1, "d", "cd");
    miss(r, "GET", "/x/12/cd/deep");
    miss(r, "GET", "/x/ab/edit");
}

static void test_dynamic_registration_order(void **state)
{
    pt__router_t *r = *state;
    add_ok(r, "GET", "/o/{w}", 1);
    add_ok(r, "GET", "/o/{d:\\d+}", 2);   /* shadowed by the earlier \w+ */
    hit(r, "GET", "/o/123", 1);
}

static void test_static_preferred(void **state)
{
    pt__router_t *r = *state;
    add_ok(r, "GET", "/u/{id}", 1);   /* registered first, still loses to static */
    add_ok(r, "GET", "/u/me", 2);
    add_ok(r, "GET", "/u/me/x", 3);
    add_ok(r, "GET", "/u/{id}/y", 4);
    hit(r, "GET", "/u/me", 2);
    pt__route_match_t m = hit(r, "GET", "/u/you", 1);
    cap_is(&m, 0, "id", "you");
    hit(r, "GET", "/u/me/x", 3);
    /* Static "me" has no "y" below it: backtrack into the placeholder. */
    m = hit(r, "GET", "/u/me/y", 4);
    cap_is(&m, 0, "id", "me");
}

/* ---- methods ---------------------------------------------------------- */

static void test_405_allow(void **state)
{
    pt__router_t *r = *state;
    add_ok(r, "POST", "/r", 1);
    add_ok(r, "GET", "/r", 2);
    add_ok(r, "PUT", "/r", 3);
    add_ok(r, "PUT", "/w", 4);
    add_ok(r, "HEAD", "/h", 5);
    add_ok(r, "GET", "/h", 6);
    add_ok(r, "DELETE", "/p/{id}", 7);
    hit(r, "POST", "/r", 1);
    hit(r, "GET", "/r", 2);
    hit(r, "PUT", "/r", 3);

    pt__route_match_t m = match(r, "DELETE", "/r");
    assert_int_equal(m.status, 405);
    assert_null(m.data);
    assert_int_equal(m.ncaptures, 0);
    assert_string_equal(m.allow, "POST, GET, HEAD, PUT");
    m = match(r, "GET", "/w");
    assert_int_equal(m.status, 405);
    assert_string_equal(m.allow, "PUT");
    m = match(r, "HEAD", "/w");
    assert_int_equal(m.status, 405);
    /* An explicit HEAD is listed once, right after GET. */
    m = match(r, "POST", "/h");
    assert_int_equal(m.status, 405);
    assert_string_equal(m.allow, "GET, HEAD");
    m = match(r, "GET", "/p/x");
    assert_int_equal(m.status, 405);
    assert_string_equal(m.allow, "DELETE");
    /* The allow string is the router's, the same each time. */
    pt__route_match_t m2 = match(r, "PATCH", "/r");
    pt__route_match_t m3 = match(r, "PATCH", "/r");
    assert_ptr_equal(m2.allow, m3.allow);
    miss(r, "DELETE", "/nope");
    /* Method names are case-sensitive tokens. */
    m = match(r, "get", "/r");
    assert_int_equal(m.status, 405);
}

static void test_405_keeps_searching(void **state)
{
    pt__router_t *r = *state;
    add_ok(r, "GET", "/p/{id:\\d+}", 1);
    add_ok(r, "POST", "/p/{name}", 2);
    /* The first branch matches the path but not the method: try the next. */
    pt__route_match_t m = hit(r, "POST", "/p/12", 2);
    cap_is(&m, 0, "name", "12");
    m = match(r, "DELETE", "/p/12");
    assert_int_equal(m.status, 405);
    assert_string_equal(m.allow, "GET, HEAD");
    assert_int_equal(m.ncaptures, 0);
    m = match(r, "GET", "/p/ab");
    assert_int_equal(m.status, 405);
    assert_string_equal(m.allow, "POST");
}

static void test_head_falls_back_to_get(void **state)
{
    pt__router_t *r = *state;
    add_ok(r, "GET", "/g", 1);
    add_ok(r, "GET", "/both", 2);
    add_ok(r, "HEAD", "/both", 3);
    add_ok(r, "GET", "/u/{id}", 4);
    hit(r, "HEAD", "/g", 1);
    hit(r, "HEAD", "/both", 3);
    hit(r, "GET", "/both", 2);
    pt__route_match_t m = hit(r, "HEAD", "/u/9", 4);
    cap_is(&m, 0, "id", "9");
    /* GET does not fall back to HEAD. */
    add_ok(r, "HEAD", "/only-head", 5);
    m = match(r, "GET", "/only-head");
    assert_int_equal(m.status, 405);
    assert_string_equal(m.allow, "HEAD");
}

static void test_any_method(void **state)
{
    pt__router_t *r = *state;
    add_ok(r, "*", "/any", 1);
    add_ok(r, "*", "/mix", 2);
    add_ok(r, "GET", "/mix", 3);
    add_ok(r, "*", "/h", 4);
    add_ok(r, "GET", "/h", 5);
    hit(r, "GET", "/any", 1);
    hit(r, "BREW", "/any", 1);
    hit(r, "GET", "/mix", 3);      /* exact method first */
    hit(r, "DELETE", "/mix", 2);   /* then "*": never a 405 */
    hit(r, "HEAD", "/h", 5);       /* HEAD->GET before "*" */
    add_err(r, "*", "/any", "* /any: duplicate route");
}

/* ---- add-time errors ------------------------------------------------- */

static void test_error_bad_regex(void **state)
{
    pt__router_t *r = *state;
    add_err(r, "GET", "/a/{x:(}",
            "GET /a/{x:(}: bad regex for placeholder 'x': missing closing parenthesis at offset 1");
    add_err(r, "GET", "/a/{x:[a-z}",
            "GET /a/{x:[a-z}: unbalanced braces");   /* the '}' is inside the class */
    add_err(r, "GET", "/a/{x:a**}.json",
            "GET /a/{x:a**}.json: bad regex for placeholder 'x': quantifier does not follow a repeatable item at offset 2");
    add_err(r, "POST", "/b/{y:x{2,1}}",
            "POST /b/{y:x{2,1}}: bad regex for placeholder 'y': numbers out of order in {} quantifier at offset 5");
    /* A regex that is fine alone but breaks the composition. */
    err[0] = '\0';
    assert_int_equal(pt__router_add(r, "GET", "/c/{x:\\Qa}", NULL, err, sizeof err), -1);
    assert_non_null(strstr(err, "GET /c/{x:\\Qa}: bad regex in segment '{x:\\Qa}': "));
}

static void test_error_braces(void **state)
{
    pt__router_t *r = *state;
    add_err(r, "GET", "/a/{x", "GET /a/{x: unbalanced braces");
    add_err(r, "GET", "/a/x}", "GET /a/x}: unbalanced braces");
    add_err(r, "GET", "/a/{x:[a-z]{5}", "GET /a/{x:[a-z]{5}: unbalanced braces");
    add_err(r, "GET", "/a/{x}}", "GET /a/{x}}: unbalanced braces");
    add_err(r, "GET", "/a/{", "GET /a/{: unbalanced braces");
}

static void test_error_names(void **state)
{
    pt__router_t *r = *state;
    add_err(r, "GET", "/a/{}", "GET /a/{}: empty placeholder name");
    add_err(r, "GET", "/a/{:\\d+}", "GET /a/{:\\d+}: empty placeholder name");
    add_err(r, "GET", "/a/{1x}", "GET /a/{1x}: invalid placeholder name '1x'");
    add_err(r, "GET", "/a/{a-b}", "GET /a/{a-b}: invalid placeholder name 'a-b'");
    add_err(r, "GET", "/a/{a b:\\d+}", "GET /a/{a b:\\d+}: invalid placeholder name 'a b'");
    add_err(r, "GET", "/a/{x:}", "GET /a/{x:}: empty regex for placeholder 'x'");
    add_err(r, "GET", "/a/{x}/{x}", "GET /a/{x}/{x}: placeholder 'x' used twice");
    add_err(r, "GET", "/a/{x}-{x:\\d+}", "GET /a/{x}-{x:\\d+}: placeholder 'x' used twice");
}

static void test_error_too_many_params(void **state)
{
    pt__router_t *r = *state;
    char path[512] = "", *o = path;
    for (int i = 0; i < PT_ROUTE_MAX_PARAMS; i++)
        o += sprintf(o, "/{p%d}", i);
    add_ok(r, "GET", path, 1);   /* exactly the limit is fine */
    pt__route_match_t m = hit(r, "GET", "/a/b/c/d/e/f/g/h/i/j/k/l/m/n/o/p", 1);
    assert_int_equal(m.ncaptures, PT_ROUTE_MAX_PARAMS);
    cap_is(&m, 15, "p15", "p");
    sprintf(o, "/{p%d}", PT_ROUTE_MAX_PARAMS);
    char want[600];
    snprintf(want, sizeof want, "POST %s: more than %d placeholders", path, PT_ROUTE_MAX_PARAMS);
    add_err(r, "POST", path, want);
}

static void test_error_path_and_method(void **state)
{
    pt__router_t *r = *state;
    add_err(r, "GET", "a/b", "GET a/b: path must start with '/'");
    add_err(r, "GET", "", "GET : path must start with '/'");
    add_err(r, "G ET", "/a", "G ET /a: invalid method");
    add_err(r, "", "/a", " /a: invalid method");
}

static void test_error_duplicate_and_ambiguous(void **state)
{
    pt__router_t *r = *state;
    add_ok(r, "GET", "/a/{x}", 1);
    add_ok(r, "POST", "/a/{x}", 2);        /* other method: fine */
    add_ok(r, "GET", "/a/{x}/", 3);        /* trailing slash: another route */
    add_ok(r, "GET", "/a/{x:\\d+}", 4);    /* other regex: fine (shadowed) */
    add_ok(r, "GET", "/s", 5);
    add_err(r, "GET", "/s", "GET /s: duplicate route");
    add_err(r, "GET", "/a/{x}", "GET /a/{x}: duplicate route");
    add_err(r, "GET", "/a/{x:\\w+}", "GET /a/{x:\\w+}: duplicate route");
    add_err(r, "GET", "/a/{y}",
            "GET /a/{y}: ambiguous with GET /a/{x} (same pattern, different placeholder names)");
    add_err(r, "POST", "/a/{y:\\w+}",
            "POST /a/{y:\\w+}: ambiguous with POST /a/{x} (same pattern, different placeholder names)");
    add_ok(r, "GET", "/f/{n}.json", 6);
    add_err(r, "GET", "/f/{m}.json",
            "GET /f/{m}.json: ambiguous with GET /f/{n}.json (same pattern, different placeholder names)");
    add_err(r, "GET", "/f/{n:\\w+}.json", "GET /f/{n:\\w+}.json: duplicate route");
    /* Failed adds left the router as it was. */
    pt__route_match_t m = hit(r, "GET", "/a/q", 1);
    cap_is(&m, 0, "x", "q");
    hit(r, "POST", "/a/q", 2);
    hit(r, "GET", "/f/z.json", 6);
    m = match(r, "PUT", "/a/q");
    assert_string_equal(m.allow, "GET, HEAD, POST");
}

/* ---- scale and threads ------------------------------------------------ */

#define MANY 10000

static void test_ten_thousand_routes(void **state)
{
    pt__router_t *r = *state;
    char path[128];
    for (int i = 0; i < MANY; i++) {
        snprintf(path, sizeof path, "/r%d", i);
        add_ok(r, "GET", path, 4 * i);
        snprintf(path, sizeof path, "/r%d/items/{id:\\d+}", i);
        add_ok(r, "GET", path, 4 * i + 1);
        snprintf(path, sizeof path, "/r%d/items/{slug}", i);
        add_ok(r, "POST", path, 4 * i + 2);
        if (i % 100 == 0) {
            snprintf(path, sizeof path, "/r%d/f/{name}.json", i);
            add_ok(r, "GET", path, 4 * i + 3);
        }
    }
    char want[32];
    for (int i = 0; i < MANY; i++) {
        snprintf(path, sizeof path, "/r%d", i);
        hit(r, "GET", path, 4 * i);
        snprintf(path, sizeof path, "/r%d/items/%d", i, i * 7);
        pt__route_match_t m = hit(r, "GET", path, 4 * i + 1);
        snprintf(want, sizeof want, "%d", i * 7);
        cap_is(&m, 0, "id", want);
        snprintf(path, sizeof path, "/r%d/items/abc", i);
        m = hit(r, "POST", path, 4 * i + 2);
        cap_is(&m, 0, "slug", "abc");
        m = match(r, "DELETE", path);
        assert_int_equal(m.status, 405);
        if (i % 100 == 0) {
            snprintf(path, sizeof path, "/r%d/f/doc.json", i);
            m = hit(r, "GET", path, 4 * i + 3);
            cap_is(&m, 0, "name", "doc");
        }
    }
    miss(r, "GET", "/r10000");
    miss(r, "GET", "/r1/f/doc.json");
    miss(r, "GET", "/r-1");
}

typedef struct thread_arg {
    const pt__router_t *r;
    int                seed;
    int                failures;
} thread_arg_t;

static void *match_thread(void *p)
{
    thread_arg_t *a = p;
    char path[64];
    for (int i = 0; i < 20000; i++) {
        int k = (i * 7 + a->seed) % 100;
        pt__route_match_t m;
        switch (i % 4) {
        case 0:
            snprintf(path, sizeof path, "/t%d/{%d}", k, i);   /* not a word: 404 */
            pt__router_match(a->r, "GET", 3, path, strlen(path), &m);
            a->failures += m.status != 404;
            break;
        case 1:
            snprintf(path, sizeof path, "/t%d/%d", k, i);
            pt__router_match(a->r, "GET", 3, path, strlen(path), &m);
            a->failures += m.status != 200 || m.data != D(2 * k) ||
                           m.captures[0].len != strlen(path) - (size_t)(strchr(path + 1, '/') + 1 - path);
            break;
        case 2:
            snprintf(path, sizeof path, "/t%d/f%d.json", k, i);
            pt__router_match(a->r, "GET", 3, path, strlen(path), &m);
            a->failures += m.status != 200 || m.data != D(2 * k + 1) || m.ncaptures != 1 ||
                           m.captures[0].value != strchr(path + 1, '/') + 1 ||
                           strcmp(m.captures[0].name, "name") != 0;
            break;
        default:
            snprintf(path, sizeof path, "/t%d/f%d.json", k, i);
            pt__router_match(a->r, "PUT", 3, path, strlen(path), &m);
            a->failures += m.status != 405 || strcmp(m.allow, "GET, HEAD") != 0;
            break;
        }
    }
    return NULL;
}

static void test_threads(void **state)
{
    pt__router_t *r = *state;
    char path[64];
    for (int k = 0; k < 100; k++) {
        snprintf(path, sizeof path, "/t%d/{id:\\d+}", k);
        add_ok(r, "GET", path, 2 * k);
        snprintf(path, sizeof path, "/t%d/{name:[a-z]\\w*}.json", k);
        add_ok(r, "GET", path, 2 * k + 1);
    }
    enum { N = 8 };
    pthread_t th[N];
    thread_arg_t args[N];
    for (int i = 0; i < N; i++) {
        args[i] = (thread_arg_t){.r = r, .seed = i};
        assert_int_equal(pthread_create(&th[i], NULL, match_thread, &args[i]), 0);
    }
    for (int i = 0; i < N; i++) {
        assert_int_equal(pthread_join(th[i], NULL), 0);
        assert_int_equal(args[i].failures, 0);
    }
}

static void test_thread_prepare(void **state)
{
    pt__router_t *r = *state;
    add_ok(r, "GET", "/p/{a:(((x)))}{b:(((y)))}", 1);
    assert_int_equal(pt__router_thread_prepare(r), 0);
    pt__route_match_t m = hit(r, "GET", "/p/xy", 1);
    cap_is(&m, 0, "a", "x");
    cap_is(&m, 1, "b", "y");
    pt__router_thread_release();
    pt__router_thread_release();   /* idempotent */
    hit(r, "GET", "/p/xy", 1);    /* recreated on demand */
}

static void test_free_null(void **state)
{
    (void)state;
    pt__router_free(NULL);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(test_static),
        T(test_root),
        T(test_trailing_slash),
        T(test_length_not_nul),
        T(test_word_placeholder),
        T(test_explicit_word_regex_is_same_as_default),
        T(test_digits_placeholder),
        T(test_regex_with_braces),
        T(test_regex_own_groups),
        T(test_regex_unicode),
        T(test_mixed_segment),
        T(test_multiple_placeholders),
        T(test_names_per_route_on_shared_edge),
        T(test_tail_regex_may_match_slash),
        T(test_backtracking),
        T(test_dynamic_registration_order),
        T(test_static_preferred),
        T(test_405_allow),
        T(test_405_keeps_searching),
        T(test_head_falls_back_to_get),
        T(test_any_method),
        T(test_error_bad_regex),
        T(test_error_braces),
        T(test_error_names),
        T(test_error_too_many_params),
        T(test_error_path_and_method),
        T(test_error_duplicate_and_ambiguous),
        T(test_ten_thousand_routes),
        T(test_threads),
        T(test_thread_prepare),
        cmocka_unit_test(test_free_null),
    };
#undef T
    return cmocka_run_group_tests_name("router", tests, NULL, NULL);
}
