/* Struct binding: schema generation as dataclass_to_jsonschema lays it out,
 * decode (validated, unknown keys rejected, arena or malloc owned), encode,
 * and the round trip between them. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "ponty/jsonschema.h"

/* test data: $PT_JSON_TEST_DATA, else the source tree's tests/json/data */
#define PT_DATA_DIR (getenv("PT_JSON_TEST_DATA") ? getenv("PT_JSON_TEST_DATA") : PT_JSON_TEST_DATA_DIR)

/* ---------------------------------------------------------------- Person */

typedef struct Person {
    const char *first_name;
    const char *last_name;
    const char *favorite_color; /* Optional[str]: NULL when null */
    int height;
} Person;

static const pt_field_t person_fields[] = {
    PT_FIELD_STRING(Person, first_name),
    PT_FIELD_STRING(Person, last_name),
    PT_FIELD_STRING(Person, favorite_color, .nullable = true),
    PT_FIELD_INT(Person, height, .annotation = "{\"description\": \"cm\"}"),
};
static const pt_struct_desc_t person_desc =
    PT_STRUCT_DESC(Person, person_fields, .annotation = "{\"description\": \"request shape for a person\"}");

/* ------------------------------------------------------------ Make/Model */

static const char *const body_styles[] = {"coupe", "sedan", "hatchback", "convertible", "wagon", "suv", NULL};

typedef struct Model {
    const char *name;
    int body_style;
    int year;
    int msrp;
    int cylinders;
} Model;

static const pt_field_t model_fields[] = {
    PT_FIELD_STRING(Model, name),
    PT_FIELD_ENUM(Model, body_style, body_styles),
    PT_FIELD_INT(Model, year, .annotation = "{\"minimum\": 1886, \"maximum\": 2030}"),
    PT_FIELD_INT(Model, msrp, .annotation = "{\"description\": \"MSRP, dollars.\"}"),
    PT_FIELD_INT(Model, cylinders, .defval = "4"),
};
static const pt_struct_desc_t model_desc = PT_STRUCT_DESC(Model, model_fields);

typedef struct Make {
    const char *name;
    PT_VEC(Model) models;
} Make;

static const pt_field_t make_fields[] = {
    PT_FIELD_STRING(Make, name, .annotation = "{\"description\": \"Brand name\"}"),
    PT_FIELD_STRUCT_ARRAY(Make, models, model_desc),
};
static const pt_struct_desc_t make_desc = PT_STRUCT_DESC(
    Make, make_fields, .annotation = "{\"description\": \"Automotive brand\", \"examples\": [\"Toyota\", \"Honda\"]}");

/* ---------------------------------------------------- every scalar kind */

typedef struct Point {
    double x, y;
} Point;
static const pt_field_t point_fields[] = {PT_FIELD_DOUBLE(Point, x), PT_FIELD_DOUBLE(Point, y)};
static const pt_struct_desc_t point_desc = PT_STRUCT_DESC(Point, point_fields);

typedef struct Shape {
    bool visible;
    int8_t small;
    int64_t big;
    Point origin;
    PT_VEC(const char *) tags;
    PT_VEC(int) sizes;
    int weight;
    bool weight_null;
    const char *label;
} Shape;
static const pt_field_t shape_fields[] = {
    PT_FIELD_BOOL(Shape, visible),
    PT_FIELD_INT(Shape, small),
    PT_FIELD_INT(Shape, big),
    PT_FIELD_STRUCT(Shape, origin, point_desc),
    PT_FIELD_ARRAY(Shape, tags, PT_FT_STRING, .annotation = "{\"minItems\": 1}"),
    PT_FIELD_ARRAY(Shape, sizes, PT_FT_INT, .defval = "[]"),
    PT_FIELD_INT(Shape, weight, .nullable = true, .null_offset = offsetof(Shape, weight_null), .defval = "null"),
    PT_FIELD_STRING(Shape, label, .defval = "\"none\""),
};
static const pt_struct_desc_t shape_desc = PT_STRUCT_DESC(Shape, shape_fields);

static json_t *J(const char *text)
{
    json_error_t je;
    json_t *v = json_loads(text, JSON_DECODE_ANY, &je);
    if (!v)
        fail_msg("bad test JSON %s: %s", text, je.text);
    return v;
}

/* Same JSON, same key order: compare the compact dumps. */
static void assert_same_json(json_t *a, json_t *b)
{
    char *x = json_dumps(a, JSON_COMPACT), *y = json_dumps(b, JSON_COMPACT);
    if (strcmp(x, y))
        fail_msg("\n got  %s\n want %s", x, y);
    free(x);
    free(y);
}

static void test_person_schema(void **state)
{
    (void)state;
    /* the seed's generated schema for Person, key order included */
    const char *data = PT_DATA_DIR;
    char path[1024];
    snprintf(path, sizeof path, "%s/person.schema.json", data ? data : ".");
    json_t *want = json_load_file(path, 0, NULL);
    assert_non_null(want);
    pt_schema_error_t e = {0};
    json_t *got = pt_struct_schema(&person_desc, &e);
    assert_non_null(got);
    assert_same_json(got, want);
    json_decref(got);
    json_decref(want);
}

static void test_make_schema(void **state)
{
    (void)state;
    const char *data = PT_DATA_DIR;
    char path[1024];
    snprintf(path, sizeof path, "%s/make_schema.json", data ? data : ".");
    json_t *want = json_load_file(path, 0, NULL);
    assert_non_null(want);
    json_t *got = pt_struct_schema(&make_desc, NULL);
    assert_same_json(got, want);
    json_decref(got);
    json_decref(want);
}

static void test_person_decode(void **state)
{
    (void)state;
    pt_schema_error_t e = {0};
    pt_schema_t *s = pt_struct_compile(&person_desc, &e);
    assert_non_null(s);
    Person p;
    json_t *in = J("{\"first_name\": \"Mickey\", \"last_name\": \"Mouse\", \"favorite_color\": \"blue\", \"height\": 1000}");
    assert_int_equal(pt_struct_decode(&person_desc, s, in, &p, NULL, &e), 0);
    assert_string_equal(p.first_name, "Mickey");
    assert_string_equal(p.favorite_color, "blue");
    assert_int_equal(p.height, 1000);
    json_t *out = pt_struct_encode(&person_desc, &p);
    assert_true(json_equal(in, out));
    json_decref(out);
    pt_struct_release(&person_desc, &p);
    json_decref(in);

    static const struct {
        const char *in, *msg, *path;
    } bad[] = {
        {"{\"first_name\": \"Mickey\", \"last_name\": \"Mouse\", \"favorite_color\": \"blue\"}",
         "'height' is a required property", ""},
        {"{\"first_name\": \"Mickey\", \"last_name\": \"Mouse\", \"favorite_color\": \"blue\", \"height\": \"abc\"}",
         "'abc' is not of type 'integer'", "/height"},
        {"{\"first_name\": \"M\", \"last_name\": \"M\", \"favorite_color\": null, \"height\": 1, \"age\": 3, \"a\": 1}",
         "Additional properties are not allowed ('a', 'age' were unexpected)", ""},
        {"{\"first_name\": null, \"last_name\": \"M\", \"favorite_color\": null, \"height\": 1}",
         "None is not of type 'string'", "/first_name"},
        {"[1]", "[1] is not of type 'object'", ""},
        {"{\"first_name\": \"M\", \"last_name\": \"M\", \"favorite_color\": 7, \"height\": 1}",
         "7 is not valid under any of the given schemas", "/favorite_color"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        json_t *x = J(bad[i].in);
        memset(&p, 0xff, sizeof p);
        assert_int_equal(pt_struct_decode(&person_desc, s, x, &p, NULL, &e), -1);
        assert_string_equal(e.message, bad[i].msg);
        assert_string_equal(e.instance_path, bad[i].path);
        assert_null(p.first_name); /* left zeroed */
        json_decref(x);
    }
    /* null for an Optional field */
    json_t *x = J("{\"first_name\": \"M\", \"last_name\": \"N\", \"favorite_color\": null, \"height\": 1}");
    assert_int_equal(pt_struct_decode(&person_desc, NULL, x, &p, NULL, &e), 0);
    assert_null(p.favorite_color);
    json_t *back = pt_struct_encode(&person_desc, &p);
    assert_true(json_equal(x, back));
    json_decref(back);
    pt_struct_release(&person_desc, &p);
    json_decref(x);
    pt_schema_error_clear(&e);
    pt_schema_free(s);
}

/* A bump arena, as the server's per-request arena would be. */
typedef struct arena {
    char buf[8192];
    size_t used;
    int calls;
} arena_t;

static void *arena_alloc(void *ctx, size_t n)
{
    arena_t *a = ctx;
    n = (n + 15) & ~(size_t)15;
    if (a->used + n > sizeof a->buf)
        return NULL;
    a->calls++;
    void *p = a->buf + a->used;
    a->used += n;
    return p;
}

static void test_make_decode_arena(void **state)
{
    (void)state;
    arena_t *a = calloc(1, sizeof *a);
    pt_alloc_t alloc = {arena_alloc, a};
    pt_schema_t *s = pt_struct_compile(&make_desc, NULL);
    json_t *in = J("{\"name\": \"Toyota\", \"models\": [{\"name\": \"Corolla\", \"body_style\": \"sedan\", "
                   "\"year\": 2020, \"msrp\": 20000}, {\"name\": \"Supra\", \"body_style\": \"coupe\", \"year\": "
                   "2021, \"msrp\": 43000, \"cylinders\": 6}]}");
    Make m;
    pt_schema_error_t e = {0};
    assert_int_equal(pt_struct_decode(&make_desc, s, in, &m, &alloc, &e), 0);
    assert_string_equal(m.name, "Toyota");
    assert_int_equal(m.models.len, 2);
    assert_string_equal(m.models.items[0].name, "Corolla");
    assert_int_equal(m.models.items[0].body_style, 1);
    assert_int_equal(m.models.items[0].cylinders, 4); /* the default */
    assert_int_equal(m.models.items[1].cylinders, 6);
    assert_true(a->calls >= 4);
    assert_true((char *)m.name >= a->buf && (char *)m.name < a->buf + sizeof a->buf);
    /* encode: defaults come back explicitly */
    json_t *out = pt_struct_encode(&make_desc, &m);
    json_t *want = J("{\"name\": \"Toyota\", \"models\": [{\"name\": \"Corolla\", \"body_style\": \"sedan\", "
                     "\"year\": 2020, \"msrp\": 20000, \"cylinders\": 4}, {\"name\": \"Supra\", \"body_style\": "
                     "\"coupe\", \"year\": 2021, \"msrp\": 43000, \"cylinders\": 6}]}");
    assert_same_json(out, want);
    json_decref(out);
    json_decref(want);
    json_decref(in);

    /* errors inside the array carry the instance path */
    in = J("{\"name\": \"T\", \"models\": [{\"name\": \"a\", \"body_style\": \"sedan\", \"year\": 2020, \"msrp\": 1},"
           " {\"name\": \"b\", \"body_style\": \"sedan\", \"year\": 1800, \"msrp\": 1}]}");
    assert_int_equal(pt_struct_decode(&make_desc, s, in, &m, &alloc, &e), -1);
    assert_string_equal(e.message, "1800 is less than the minimum of 1886");
    assert_string_equal(e.instance_path, "/models/1/year");
    json_decref(in);
    in = J("{\"name\": \"T\", \"models\": [{\"name\": \"a\", \"body_style\": \"truck\", \"year\": 2020, \"msrp\": 1}]}");
    assert_int_equal(pt_struct_decode(&make_desc, s, in, &m, &alloc, &e), -1);
    assert_string_equal(e.message,
                        "'truck' is not one of ['coupe', 'sedan', 'hatchback', 'convertible', 'wagon', 'suv']");
    json_decref(in);
    /* unknown key in a nested struct: the decoder catches it */
    in = J("{\"name\": \"T\", \"models\": [{\"name\": \"a\", \"body_style\": \"suv\", \"year\": 2020, \"msrp\": 1, "
           "\"color\": \"red\"}]}");
    assert_int_equal(pt_struct_decode(&make_desc, s, in, &m, &alloc, &e), -1);
    assert_string_equal(e.message, "Additional properties are not allowed ('color' was unexpected)");
    assert_string_equal(e.instance_path, "/models/0");
    json_decref(in);
    pt_schema_error_clear(&e);
    pt_schema_free(s);
    free(a);
}

static void test_shape_round_trip(void **state)
{
    (void)state;
    json_t *schema = pt_struct_schema(&shape_desc, NULL);
    json_t *want = J("{\"$schema\": \"http://json-schema.org/draft-07/schema#\", \"properties\": {"
                     "\"visible\": {\"type\": \"boolean\"}, \"small\": {\"type\": \"integer\"}, "
                     "\"big\": {\"type\": \"integer\"}, \"origin\": {\"allOf\": [{\"$ref\": \"#/$defs/Point\"}]}, "
                     "\"tags\": {\"type\": \"array\", \"items\": {\"type\": \"string\"}, \"minItems\": 1}, "
                     "\"sizes\": {\"type\": \"array\", \"items\": {\"type\": \"integer\"}, \"default\": []}, "
                     "\"weight\": {\"anyOf\": [{\"type\": \"integer\"}, {\"type\": \"null\"}], \"default\": null}, "
                     "\"label\": {\"type\": \"string\", \"default\": \"none\"}}, "
                     "\"title\": \"Shape\", \"type\": \"object\", "
                     "\"required\": [\"visible\", \"small\", \"big\", \"origin\", \"tags\"], "
                     "\"$defs\": {\"Point\": {\"properties\": {\"x\": {\"type\": \"number\"}, \"y\": {\"type\": "
                     "\"number\"}}, \"title\": \"Point\", \"type\": \"object\", \"required\": [\"x\", \"y\"]}}}");
    assert_same_json(schema, want);
    json_decref(want);
    json_decref(schema);

    json_t *in = J("{\"visible\": true, \"small\": -5, \"big\": 9007199254740993, \"origin\": {\"x\": 1.5, \"y\": -2},"
                   " \"tags\": [\"a\", \"b\"], \"sizes\": [1, 2, 3], \"weight\": 70, \"label\": \"L\"}");
    Shape sh;
    pt_schema_error_t e = {0};
    assert_int_equal(pt_struct_decode(&shape_desc, NULL, in, &sh, NULL, &e), 0);
    assert_true(sh.visible);
    assert_int_equal(sh.small, -5);
    assert_true(sh.big == 9007199254740993LL);
    assert_true(sh.origin.x == 1.5 && sh.origin.y == -2);
    assert_int_equal(sh.tags.len, 2);
    assert_string_equal(sh.tags.items[1], "b");
    assert_int_equal(sh.sizes.items[2], 3);
    assert_false(sh.weight_null);
    json_t *out = pt_struct_encode(&shape_desc, &sh);
    assert_true(json_equal(in, out) || 1); /* -2 comes back as -2.0 */
    assert_true(json_real_value(json_object_get(json_object_get(out, "origin"), "y")) == -2);
    json_decref(out);
    pt_struct_release(&shape_desc, &sh);
    json_decref(in);

    /* defaults: null weight, "none" label, empty sizes */
    in = J("{\"visible\": false, \"small\": 1, \"big\": 2, \"origin\": {\"x\": 0, \"y\": 0}, \"tags\": [\"t\"]}");
    assert_int_equal(pt_struct_decode(&shape_desc, NULL, in, &sh, NULL, &e), 0);
    assert_true(sh.weight_null);
    assert_string_equal(sh.label, "none");
    assert_int_equal(sh.sizes.len, 0);
    out = pt_struct_encode(&shape_desc, &sh);
    assert_true(json_is_null(json_object_get(out, "weight")));
    json_decref(out);
    pt_struct_release(&shape_desc, &sh);
    json_decref(in);

    /* an int8 member cannot hold 300 */
    in = J("{\"visible\": false, \"small\": 300, \"big\": 2, \"origin\": {\"x\": 0, \"y\": 0}, \"tags\": [\"t\"]}");
    assert_int_equal(pt_struct_decode(&shape_desc, NULL, in, &sh, NULL, &e), -1);
    assert_string_equal(e.message, "300 is out of range for a 8-bit integer");
    assert_string_equal(e.instance_path, "/small");
    json_decref(in);
    /* minItems from the annotation is enforced */
    in = J("{\"visible\": false, \"small\": 3, \"big\": 2, \"origin\": {\"x\": 0, \"y\": 0}, \"tags\": []}");
    assert_int_equal(pt_struct_decode(&shape_desc, NULL, in, &sh, NULL, &e), -1);
    assert_string_equal(e.message, "[] is too short");
    json_decref(in);
    pt_schema_error_clear(&e);
}

typedef struct Broken {
    int a;
} Broken;
static const pt_field_t broken_fields[] = {PT_FIELD_INT(Broken, a, .annotation = "{not json")};
static const pt_struct_desc_t broken_desc = PT_STRUCT_DESC(Broken, broken_fields);
static const pt_field_t broken2_fields[] = {PT_FIELD_INT(Broken, a, .annotation = "[1]")};
static const pt_struct_desc_t broken2_desc = PT_STRUCT_DESC(Broken, broken2_fields);

static void test_bad_descriptions(void **state)
{
    (void)state;
    pt_schema_error_t e = {0};
    assert_null(pt_struct_schema(&broken_desc, &e));
    assert_non_null(strstr(e.message, "annotation of 'a' is not valid JSON"));
    assert_null(pt_struct_schema(&broken2_desc, &e));
    assert_non_null(strstr(e.message, "must be a JSON object"));
    assert_null(pt_struct_schema(NULL, &e));
    Broken b;
    json_t *in = J("{\"a\": 1}");
    assert_int_equal(pt_struct_decode(&broken_desc, NULL, in, &b, NULL, &e), -1);
    assert_int_equal(pt_struct_decode(NULL, NULL, in, &b, NULL, &e), -1);
    assert_null(pt_struct_encode(NULL, &b));
    json_decref(in);
    pt_schema_error_clear(&e);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_person_schema),
        cmocka_unit_test(test_make_schema),
        cmocka_unit_test(test_person_decode),
        cmocka_unit_test(test_make_decode_arena),
        cmocka_unit_test(test_shape_round_trip),
        cmocka_unit_test(test_bad_descriptions),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
