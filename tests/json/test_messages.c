/* Every error message form, checked against the exact text Python's
 * jsonschema 4.10 (Debian's python3-jsonschema, Draft7Validator with a
 * FormatChecker) produced for the same schema and instance. The table was
 * generated once with that library; values are Python reprs. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "ponty/jsonschema.h"

typedef struct expect {
    const char *path;
    const char *message;
} expect_t;

typedef struct mcase {
    const char *schema;
    const char *instance;
    size_t nerr;
    expect_t err[4];
} mcase_t;

static const mcase_t cases[] = {
    {"{\"type\": \"object\", \"properties\": {\"first_name\": {\"type\": \"string\"}, \"last_name\": {\"type\": \"string\"}}, \"required\": [\"first_name\", \"last_name\"]}",
     "{\"first_name\": \"Donald\"}",
     1, {{"", "'last_name' is a required property"}}},
    {"{\"type\": \"integer\"}",
     "\"abc\"",
     1, {{"", "'abc' is not of type 'integer'"}}},
    {"{\"type\": \"integer\"}",
     "true",
     1, {{"", "True is not of type 'integer'"}}},
    {"{\"type\": \"string\"}",
     "null",
     1, {{"", "None is not of type 'string'"}}},
    {"{\"type\": [\"string\", \"null\"]}",
     "1",
     1, {{"", "1 is not of type 'string', 'null'"}}},
    {"{\"type\": \"number\"}",
     "false",
     1, {{"", "False is not of type 'number'"}}},
    {"{\"type\": \"integer\"}",
     "1.5",
     1, {{"", "1.5 is not of type 'integer'"}}},
    {"{\"type\": \"object\"}",
     "[1, \"a\", null, {\"k\": [true]}]",
     1, {{"", "[1, 'a', None, {'k': [True]}] is not of type 'object'"}}},
    {"{\"enum\": [\"u\", \"v\"]}",
     "\"w\"",
     1, {{"", "'w' is not one of ['u', 'v']"}}},
    {"{\"enum\": [1, null, {\"a\": 1.0}]}",
     "true",
     1, {{"", "True is not one of [1, None, {'a': 1.0}]"}}},
    {"{\"const\": \"x\"}",
     "\"y\"",
     1, {{"", "'x' was expected"}}},
    {"{\"const\": {\"a\": [1, 2]}}",
     "{}",
     1, {{"", "{'a': [1, 2]} was expected"}}},
    {"{\"minimum\": 3}",
     "1",
     1, {{"", "1 is less than the minimum of 3"}}},
    {"{\"minimum\": 3.5}",
     "1",
     1, {{"", "1 is less than the minimum of 3.5"}}},
    {"{\"maximum\": 3}",
     "4.25",
     1, {{"", "4.25 is greater than the maximum of 3"}}},
    {"{\"exclusiveMinimum\": 3}",
     "3",
     1, {{"", "3 is less than or equal to the minimum of 3"}}},
    {"{\"exclusiveMaximum\": 3}",
     "3.0",
     1, {{"", "3.0 is greater than or equal to the maximum of 3"}}},
    {"{\"multipleOf\": 2}",
     "7",
     1, {{"", "7 is not a multiple of 2"}}},
    {"{\"multipleOf\": 0.01}",
     "0.075",
     1, {{"", "0.075 is not a multiple of 0.01"}}},
    {"{\"multipleOf\": 2}",
     "7.5",
     1, {{"", "7.5 is not a multiple of 2"}}},
    {"{\"minLength\": 3}",
     "\"ab\"",
     1, {{"", "'ab' is too short"}}},
    {"{\"maxLength\": 2}",
     "\"abc\"",
     1, {{"", "'abc' is too long"}}},
    {"{\"minLength\": 1}",
     "\"\"",
     1, {{"", "'' is too short"}}},
    {"{\"pattern\": \"^a+$\"}",
     "\"bb\"",
     1, {{"", "'bb' does not match '^a+$'"}}},
    {"{\"format\": \"email\"}",
     "\"nope\"",
     1, {{"", "'nope' is not a 'email'"}}},
    {"{\"format\": \"date\"}",
     "\"2020-02-30\"",
     1, {{"", "'2020-02-30' is not a 'date'"}}},
    {"{\"format\": \"ipv4\"}",
     "\"1.2.3\"",
     1, {{"", "'1.2.3' is not a 'ipv4'"}}},
    {"{\"minItems\": 2}",
     "[1]",
     1, {{"", "[1] is too short"}}},
    {"{\"maxItems\": 1}",
     "[1, 2]",
     1, {{"", "[1, 2] is too long"}}},
    {"{\"uniqueItems\": true}",
     "[1, 2, 1]",
     1, {{"", "[1, 2, 1] has non-unique elements"}}},
    {"{\"items\": {\"type\": \"integer\"}}",
     "[1, \"x\", 3]",
     1, {{"/1", "'x' is not of type 'integer'"}}},
    {"{\"items\": [{\"type\": \"integer\"}, {\"type\": \"string\"}], \"additionalItems\": false}",
     "[1, \"a\", 3, 2]",
     1, {{"", "Additional items are not allowed (2, 3 were unexpected)"}}},
    {"{\"items\": [{\"type\": \"integer\"}], \"additionalItems\": false}",
     "[1, \"a\"]",
     1, {{"", "Additional items are not allowed ('a' was unexpected)"}}},
    {"{\"items\": [{}], \"additionalItems\": {\"type\": \"string\"}}",
     "[1, 2]",
     1, {{"/1", "2 is not of type 'string'"}}},
    {"{\"contains\": {\"type\": \"string\"}}",
     "[1, 2]",
     1, {{"", "None of [1, 2] are valid under the given schema"}}},
    {"{\"minProperties\": 2}",
     "{\"a\": 1}",
     1, {{"", "{'a': 1} does not have enough properties"}}},
    {"{\"maxProperties\": 1}",
     "{\"a\": 1, \"b\": 2}",
     1, {{"", "{'a': 1, 'b': 2} has too many properties"}}},
    {"{\"properties\": {\"a\": {}}, \"additionalProperties\": false}",
     "{\"a\": 1, \"c\": 2, \"b\": 3}",
     1, {{"", "Additional properties are not allowed ('b', 'c' were unexpected)"}}},
    {"{\"properties\": {\"a\": {}}, \"additionalProperties\": false}",
     "{\"a\": 1, \"zz\": 2}",
     1, {{"", "Additional properties are not allowed ('zz' was unexpected)"}}},
    {"{\"patternProperties\": {\"^x\": {}, \"^a\": {}}, \"additionalProperties\": false}",
     "{\"xa\": 1, \"b\": 2}",
     1, {{"", "'b' does not match any of the regexes: '^a', '^x'"}}},
    {"{\"patternProperties\": {\"^x\": {}}, \"additionalProperties\": false}",
     "{\"b\": 2, \"c\": 1}",
     1, {{"", "'b', 'c' do not match any of the regexes: '^x'"}}},
    {"{\"additionalProperties\": {\"type\": \"integer\"}}",
     "{\"b\": \"s\"}",
     1, {{"/b", "'s' is not of type 'integer'"}}},
    {"{\"patternProperties\": {\"^n\": {\"type\": \"integer\"}}}",
     "{\"num\": \"s\"}",
     1, {{"/num", "'s' is not of type 'integer'"}}},
    {"{\"dependencies\": {\"a\": [\"b\", \"c\"]}}",
     "{\"a\": 1}",
     2, {{"", "'b' is a dependency of 'a'"}, {"", "'c' is a dependency of 'a'"}}},
    {"{\"dependencies\": {\"a\": {\"required\": [\"z\"]}}}",
     "{\"a\": 1}",
     1, {{"", "'z' is a required property"}}},
    {"{\"propertyNames\": {\"maxLength\": 2}}",
     "{\"abc\": 1}",
     1, {{"", "'abc' is too long"}}},
    {"{\"if\": {\"type\": \"integer\"}, \"then\": {\"minimum\": 10}, \"else\": {\"type\": \"string\"}}",
     "5",
     1, {{"", "5 is less than the minimum of 10"}}},
    {"{\"if\": {\"type\": \"integer\"}, \"then\": {\"minimum\": 10}, \"else\": {\"type\": \"string\"}}",
     "null",
     1, {{"", "None is not of type 'string'"}}},
    {"{\"allOf\": [{\"type\": \"string\"}, {\"minLength\": 2}]}",
     "\"a\"",
     1, {{"", "'a' is too short"}}},
    {"{\"anyOf\": [{\"type\": \"string\"}, {\"type\": \"null\"}]}",
     "3",
     1, {{"", "3 is not valid under any of the given schemas"}}},
    {"{\"oneOf\": [{\"type\": \"integer\"}, {\"minimum\": 2}]}",
     "3",
     1, {{"", "3 is valid under each of {'minimum': 2}, {'type': 'integer'}"}}},
    {"{\"oneOf\": [{\"type\": \"integer\"}, {\"type\": \"string\"}]}",
     "1.5",
     1, {{"", "1.5 is not valid under any of the given schemas"}}},
    {"{\"not\": {\"type\": \"integer\"}}",
     "1",
     1, {{"", "1 should not be valid under {'type': 'integer'}"}}},
    {"false",
     "{\"a\": 1}",
     1, {{"", "False schema does not allow {'a': 1}"}}},
    {"{\"properties\": {\"x\": false}}",
     "{\"x\": 1}",
     1, {{"/x", "False schema does not allow 1"}}},
    {"{\"definitions\": {\"pos\": {\"type\": \"integer\", \"minimum\": 0}}, \"properties\": {\"n\": {\"$ref\": \"#/definitions/pos\"}}}",
     "{\"n\": -1}",
     1, {{"/n", "-1 is less than the minimum of 0"}}},
    {"{\"type\": \"integer\"}",
     "\"it's\"",
     1, {{"", "\"it's\" is not of type 'integer'"}}},
    {"{\"type\": \"integer\"}",
     "\"say \\\"hi\\\" it's\"",
     1, {{"", "'say \"hi\" it\\'s' is not of type 'integer'"}}},
    {"{\"type\": \"integer\"}",
     "\"line\\nbreak\\ttab\\\\\"",
     1, {{"", "'line\\nbreak\\ttab\\\\' is not of type 'integer'"}}},
    {"{\"type\": \"integer\"}",
     "\"é ü 日本\"",
     1, {{"", "'é ü 日本' is not of type 'integer'"}}},
    {"{\"type\": \"string\"}",
     "1e+100",
     1, {{"", "1e+100 is not of type 'string'"}}},
    {"{\"type\": \"string\"}",
     "1e-05",
     1, {{"", "1e-05 is not of type 'string'"}}},
    {"{\"type\": \"string\"}",
     "1.2345678901234568e+17",
     1, {{"", "1.2345678901234568e+17 is not of type 'string'"}}},
    {"{\"type\": \"string\"}",
     "1e+16",
     1, {{"", "1e+16 is not of type 'string'"}}},
    {"{\"type\": \"string\"}",
     "1000000000000000.0",
     1, {{"", "1000000000000000.0 is not of type 'string'"}}},
    {"{\"type\": \"string\"}",
     "-0.0",
     1, {{"", "-0.0 is not of type 'string'"}}},
    {"{\"type\": \"string\"}",
     "0.1",
     1, {{"", "0.1 is not of type 'string'"}}},
    {"{\"type\": \"string\"}",
     "2.5e-07",
     1, {{"", "2.5e-07 is not of type 'string'"}}},
    {"{\"type\": \"string\"}",
     "{\"k\": [1, 2.0, null, false, \"s\"]}",
     1, {{"", "{'k': [1, 2.0, None, False, 's']} is not of type 'string'"}}},
    {"{\"properties\": {\"a/b\": {\"properties\": {\"c~d\": {\"type\": \"string\"}}}}}",
     "{\"a/b\": {\"c~d\": 1}}",
     1, {{"/a~1b/c~0d", "1 is not of type 'string'"}}},
    {"{\"type\": \"object\", \"properties\": {\"name\": {\"type\": \"string\"}, \"models\": {\"type\": \"array\", \"items\": {\"properties\": {\"year\": {\"type\": \"integer\", \"minimum\": 1886}}}}}}",
     "{\"name\": 3, \"models\": [{\"year\": 1800}]}",
     2, {{"/name", "3 is not of type 'string'"}, {"/models/0/year", "1800 is less than the minimum of 1886"}}},
};

static void check_case(size_t n)
{
    const mcase_t *c = &cases[n];
    json_error_t je;
    json_t *schema = json_loads(c->schema, JSON_DECODE_ANY, &je);
    json_t *inst = json_loads(c->instance, JSON_DECODE_ANY, &je);
    assert_non_null(schema);
    assert_non_null(inst);
    pt_schema_error_t err = {0};
    pt_schema_t *s = pt_schema_compile(schema, NULL, &err);
    if (!s)
        fail_msg("case %zu: compile: %s", n, err.message);
    pt_schema_errors_t all = {0};
    int rc = pt_schema_validate_all(s, inst, &all);
    if (all.count != c->nerr) {
        for (size_t i = 0; i < all.count; i++)
            print_error("  got %s: %s\n", all.items[i].instance_path, all.items[i].message);
        fail_msg("case %zu (%s vs %s): %zu errors, want %zu", n, c->schema, c->instance, all.count, c->nerr);
    }
    assert_int_equal(rc, c->nerr ? 1 : 0);
    for (size_t i = 0; i < c->nerr; i++) {
        assert_string_equal(all.items[i].message, c->err[i].message);
        assert_string_equal(all.items[i].instance_path, c->err[i].path);
        assert_non_null(all.items[i].schema_path);
    }
    /* the first error is the first of the full list */
    pt_schema_error_t first = {0};
    assert_int_equal(pt_schema_validate(s, inst, &first), c->nerr ? 1 : 0);
    if (c->nerr)
        assert_string_equal(first.message, c->err[0].message);
    assert_true(pt_schema_is_valid(s, inst) == (c->nerr == 0));
    pt_schema_error_clear(&first);
    pt_schema_errors_clear(&all);
    pt_schema_free(s);
    json_decref(schema);
    json_decref(inst);
}

static void test_all_message_forms(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        check_case(i);
}

/* The seed's exact 400 texts. */
static void test_seed_messages(void **state)
{
    (void)state;
    json_t *schema = json_loads("{\"$schema\": \"http://json-schema.org/draft-07/schema#\", \"type\": \"object\","
                                "\"properties\": {\"first_name\": {\"type\": \"string\"}, \"last_name\": {\"type\": "
                                "\"string\"}, \"height\": {\"type\": \"integer\"}}, \"required\": [\"first_name\", "
                                "\"last_name\"]}", 0, NULL);
    pt_schema_t *s = pt_schema_compile(schema, NULL, NULL);
    assert_non_null(s);
    json_t *a = json_loads("{\"first_name\": \"Donald\"}", 0, NULL);
    json_t *b = json_loads("{\"first_name\": \"Mickey\", \"last_name\": \"Mouse\", \"height\": \"abc\"}", 0, NULL);
    pt_schema_error_t e = {0};
    assert_int_equal(pt_schema_validate(s, a, &e), 1);
    assert_string_equal(e.message, "'last_name' is a required property");
    assert_string_equal(e.instance_path, "");
    assert_string_equal(e.schema_path, "/required");
    assert_string_equal(e.keyword, "required");
    assert_int_equal(pt_schema_validate(s, b, &e), 1);
    assert_string_equal(e.message, "'abc' is not of type 'integer'");
    assert_string_equal(e.instance_path, "/height");
    assert_string_equal(e.schema_path, "/properties/height/type");
    pt_schema_error_clear(&e);
    json_decref(a);
    json_decref(b);
    pt_schema_free(s);
    json_decref(schema);
}

static void expect_repr(const char *json, const char *want)
{
    json_t *v = json_loads(json, JSON_DECODE_ANY, NULL);
    assert_non_null(v);
    char *r = pt_json_repr(v, 0);
    assert_string_equal(r, want);
    free(r);
    json_decref(v);
}

static void test_repr(void **state)
{
    (void)state;
    expect_repr("\"it's\"", "\"it's\"");
    expect_repr("\"a\\\"b\"", "'a\"b'");
    expect_repr("\"both ' and \\\"\"", "'both \\' and \"'");
    expect_repr("\"\\u0001\"", "'\\x01'");
    expect_repr("[true, false, null, 1, 1.0, -2.5]", "[True, False, None, 1, 1.0, -2.5]");
    expect_repr("{\"a\": {\"b\": []}}", "{'a': {'b': []}}");
    expect_repr("1e22", "1e+22");
    expect_repr("0.0001", "0.0001");
    expect_repr("123.456", "123.456");
    expect_repr("1.7976931348623157e308", "1.7976931348623157e+308");
    expect_repr("5e-324", "5e-324");
    char *r = pt_json_repr(NULL, 0);
    assert_string_equal(r, "None");
    free(r);
    json_t *big = json_loads("[\"aaaaaaaaaa\", \"bbbbbbbbbb\"]", 0, NULL);
    r = pt_json_repr(big, 8);
    assert_string_equal(r, "['aaaaaa...");
    free(r);
    json_decref(big);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_all_message_forms),
        cmocka_unit_test(test_seed_messages),
        cmocka_unit_test(test_repr),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
