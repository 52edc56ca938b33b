/* JSON request bodies as Python's json.loads reads them, through the
 * in-process test client: integers of any size (validated, echoed digit for
 * digit), "\u0000" and lone surrogates in strings and keys, numbers beyond
 * a double, the nesting limit, a recursive schema bounded by the stack,
 * repeated keys, and a tree body validated and echoed straight. Every
 * answer's data is compared byte for byte with what Python's json.dumps
 * writes for the expected value.
 *
 * The routes are tests/servers/fields_server.c's, compiled in without its
 * main; tests/http/test_json_bodies.py keeps the person example (a process
 * of its own) and the random documents. */
#include "tc_util.h"

#define JSON_CTH PT_TEST_HEADERS("Content-Type", "application/json")
#define OK(path, doc_, want) TC_OK_BYTES(tc_group, want, "POST", path, .body = (doc_), .headers = JSON_CTH)
#define BAD(path, doc_, message) TC_ERR(tc_group, 400, message, "POST", path, .body = (doc_), .headers = JSON_CTH)

#define BIG "12345678901234567890"
#define HUGE "-123456789012345678901234567890123456789"

static void big_integers_echo_digit_for_digit(void **state)
{
    const char *doc = "{\"h\": " BIG ", \"list\": [" HUGE ", 1, -9223372036854775808, 9223372036854775807, "
                      "9223372036854775808], \"nested\": {\"x\": 10000000000000000000000000000000000000000}}";
    char want[512];
    snprintf(want, sizeof want, "{\"kind\": \"object\", \"body\": %s}", doc);
    OK("/json", doc, want);
}

/* A handler's json_t holds a big integer as a real (documented); the
 * response still writes its digits. */
static void big_integer_alone_is_a_real_for_the_handler(void **state)
{
    OK("/json", BIG, "{\"kind\": \"real\", \"body\": " BIG "}");
}

static void big_integers_validated_and_echoed(void **state)
{
    OK("/schema", "{\"n\": " BIG "}", "{\"body\": {\"n\": " BIG "}}");
    BAD("/schema", "{\"n\": -" BIG "}", "-" BIG " is less than the minimum of 1");
    BAD("/schema", "{\"n\": " BIG ", \"tag\": " HUGE "}", HUGE " is not of type 'string'");
}

static void nul_and_lone_surrogates(void **state)
{
    const char *raw = "{\"a\\u0000b\": \"x\\u0000y\", \"s\": [\"\\ud800\", \"\\udfff\", \"\\udc00\\ud800\", "
                      "\"\\ud83d\\ude00\", \"\\u00e9\"]}";
    /* (a pair written as two escapes reads back as one code point, as in Python) */
    OK("/json", raw,
       "{\"kind\": \"object\", \"body\": {\"a\\u0000b\": \"x\\u0000y\", \"s\": [\"\\ud800\", \"\\udfff\", "
       "\"\\udc00\\ud800\", \"\\ud83d\\ude00\", \"\\u00e9\"]}}");
}

static void lone_surrogate_in_schema_messages(void **state)
{
    BAD("/schema", "{\"n\": \"\\ud800\"}", "'\\ud800' is not of type 'integer'");
    BAD("/schema", "{\"n\": 1, \"tag\": \"\\u0000\\u0000\\u0000\\u0000\"}", "'\\x00\\x00\\x00\\x00' is too long");
}

static void number_beyond_double_for_a_json_t(void **state)
{
    BAD("/json", "[1e400]", "JSON body holds a number beyond the range of a double");
}

/* levels of "[" then as many "]" (the caller frees it) */
static char *nested(size_t levels, const char *inner)
{
    size_t n = strlen(inner);
    char *s = malloc(2 * levels + n + 1);
    assert_non_null(s);
    memset(s, '[', levels);
    memcpy(s + levels, inner, n);
    memset(s + levels + n, ']', levels);
    s[2 * levels + n] = '\0';
    return s;
}

static void nesting_limit_256(void **state)
{
    char *ok = nested(256, ""), *deep = nested(257, "");
    char *want = malloc(strlen(ok) + 64);
    sprintf(want, "{\"kind\": \"array\", \"body\": %s}", ok);
    OK("/json", ok, want);
    BAD("/json", deep, "JSON body nested deeper than 256 levels");
    /* far deeper than any stack could recurse: refused while parsing */
    char *open = malloc(200001);
    memset(open, '[', 200000);
    open[200000] = '\0';
    BAD("/json", open, "JSON body nested deeper than 256 levels");
    free(ok), free(deep), free(want), free(open);
}

/* The validator recurses per level (and per $ref) on the request's
 * coroutine stack. Its budget fits the stack: 40 levels always validate;
 * the nesting limit (256) either validates or answers 400 naming the stack
 * (sanitizer builds use bigger frames); never a crash; 257 never reach it. */
static void recursive_schema_bounded_by_the_stack(void **state)
{
    char *n40 = nested(40, ""), *one = nested(39, "1"), *n256 = nested(256, ""), *n257 = nested(257, "");
    OK("/recursive", n40, n40);
    BAD("/recursive", one, "1 is not of type 'array'");
    pt_test_response_t *r = pt_test_request(tc_group, "POST", "/recursive", .body = n256, .headers = JSON_CTH);
    assert_non_null(r);
    if (r->status != 200) {
        assert_int_equal(r->status, 400);
        tc_assert_match(r->body, "^document nested too deeply for this schema \\(more than [0-9]+ bytes of stack\\)$");
    }
    pt_test_response_free(r);
    BAD("/recursive", n257, "JSON body nested deeper than 256 levels");
    OK("/recursive", "[[[]]]", "[[[]]]"); /* the client is still served */
    free(n40), free(one), free(n256), free(n257);
}

static void repeated_keys_last_value_first_position(void **state)
{
    OK("/json", "{\"a\": 1, \"b\": 2, \"a\": 3}", "{\"kind\": \"object\", \"body\": {\"a\": 3, \"b\": 2}}");
}

static void tree_body_validated_and_echoed_straight(void **state)
{
    const char *doc = "[{\"n\": 1, \"s\": \"\\ud800\\u0000\", \"f\": 0.1}, {\"n\": -" BIG ", \"x\": [" HUGE
                      ", 1e+300, null, true]}]";
    OK("/tree", doc, doc);
    BAD("/tree", "[{\"n\": " BIG "}]", BIG " is greater than the maximum of 100");
    BAD("/tree", "{\"n\": 1}", "{'n': 1} is not of type 'array'");
    BAD("/tree", "[", "malformed JSON body: Expecting value: line 1 column 2 (char 1)");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(big_integers_echo_digit_for_digit),
        cmocka_unit_test(big_integer_alone_is_a_real_for_the_handler),
        cmocka_unit_test(big_integers_validated_and_echoed),
        cmocka_unit_test(nul_and_lone_surrogates),
        cmocka_unit_test(lone_surrogate_in_schema_messages),
        cmocka_unit_test(number_beyond_double_for_a_json_t),
        cmocka_unit_test(nesting_limit_256),
        cmocka_unit_test(recursive_schema_bounded_by_the_stack),
        cmocka_unit_test(repeated_keys_last_value_first_position),
        cmocka_unit_test(tree_body_validated_and_echoed_straight),
    };
    return cmocka_run_group_tests(tests, tc_setup, tc_teardown);
}
