/* POST /person (Content-Type: application/json) with a body decoded into a
 * C struct described once; its JSON Schema is generated from the description
 * (the seed's ParsedJsonBody(Person) with dataclass_to_jsonschema). Echoes
 * the person back. Missing "height" is 400 "'height' is a required property";
 * "height": "abc" is 400 "'abc' is not of type 'integer'"; unknown keys are
 * 400; another media type is 415. */
#include <ponty.h>

typedef struct {
    const char *first_name;
    const char *last_name;
    const char *favorite_color; /* Optional[str]: NULL for null */
    int64_t     height;
} Person; /* the type name is the schema's "title" */

static const pt_field_t person_fields[] = {
    PT_FIELD_STRING(Person, first_name),
    PT_FIELD_STRING(Person, last_name),
    PT_FIELD_STRING(Person, favorite_color, .nullable = true),
    PT_FIELD_INT(Person, height, .annotation = "{\"description\": \"cm\"}"),
};
static const pt_struct_desc_t person_desc =
    PT_STRUCT_DESC(Person, person_fields, .annotation = "{\"description\": \"request shape for a person\"}");

typedef struct {
    Person *person;
} new_person_req;

PT_FIELDS(new_person_req, PT_BODY_STRUCT(person, person_desc));

PT_POST_IN("/person", new_person, new_person_req, .mimetype = "application/json")
{
    /* the envelope's data written straight from the struct: the bytes
     * pt_struct_encode's object would give, without building it */
    return pt_data_struct(pt_req_current(), &person_desc, in->person);
}

#ifndef PT_SHOWCASE
int main(void)
{
    return pt_run(.port = (int)pt_env_long("PORT", 8080));
}
#endif
