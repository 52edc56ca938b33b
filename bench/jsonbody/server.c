/* The ponty side of bench/jsonbody/run.sh: the seed's Person echoed through
 * the envelope, one body and a list of them, next to GET /hello.
 *
 *   GET  /hello    {"greeting": "hello world"}
 *   POST /person   a Person bound to a struct (PT_BODY_STRUCT, schema
 *                  generated from the description), echoed straight from
 *                  the struct (pt_data_struct)
 *   POST /persons  an array of Persons validated against the array-of-Person
 *                  schema on the parsed tree (PT_BODY_TREE), echoed straight
 *                  from the tree (pt_data_tree)
 *
 * PORT and PONTY_WORKERS as for every ponty program. */
#include <ponty.h>

PT_GET("/hello", hello)
{
    return json_pack("{s:s}", "greeting", "hello world");
}

typedef struct {
    const char *first_name;
    const char *last_name;
    const char *favorite_color; /* Optional[str]: NULL for null */
    int64_t     height;
} person;

static const pt_field_t person_fields[] = {
    PT_FIELD_STRING(person, first_name),
    PT_FIELD_STRING(person, last_name),
    PT_FIELD_STRING(person, favorite_color, .nullable = true),
    PT_FIELD_INT(person, height, .annotation = "{\"description\": \"cm\"}"),
};
static const pt_struct_desc_t person_desc =
    PT_STRUCT_DESC(person, person_fields, .annotation = "{\"description\": \"request shape for a person\"}");

typedef struct {
    person *person;
} person_in;

PT_FIELDS(person_in, PT_BODY_STRUCT(person, person_desc));

PT_POST_IN("/person", one_person, person_in, .mimetype = "application/json")
{
    return pt_data_struct(pt_req_current(), &person_desc, in->person);
}

typedef struct {
    const pt_jv_t *persons;
} persons_in;

PT_FIELDS(persons_in, PT_BODY_TREE(persons, .schema_file = "persons.schema.json"));

PT_POST_IN("/persons", persons, persons_in, .mimetype = "application/json")
{
    return pt_data_tree(pt_req_current(), in->persons);
}

int main(void)
{
    return pt_run(.port = (int)pt_env_long("PORT", 8080), .quiet = 1);
}
