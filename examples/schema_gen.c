/* schema_gen: the dataclass_to_jsonschema example of the ponty reference,
 * in C. Prints the JSON Schema of Make (which holds a list of Model) with
 * the key order the Python version produces.
 *
 *   build/examples/schema_gen
 */
#include <stdio.h>
#include <stdlib.h>

#include "ponty/jsonschema.h"

typedef enum { COUPE, SEDAN, HATCHBACK, CONVERTIBLE, WAGON, SUV } body_style_t;

static const char *const body_styles[] = {"coupe", "sedan", "hatchback", "convertible", "wagon", "suv", NULL};

typedef struct Model {
    const char *name;
    int body_style; /* body_style_t */
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
static const pt_struct_desc_t make_desc =
    PT_STRUCT_DESC(Make, make_fields, .annotation = "{\"description\": \"Automotive brand\", "
                                                     "\"examples\": [\"Toyota\", \"Honda\"]}");

int main(void)
{
    pt_schema_error_t err = {0};
    json_t *schema = pt_struct_schema(&make_desc, &err);
    if (!schema) {
        fprintf(stderr, "schema_gen: %s\n", err.message);
        pt_schema_error_clear(&err);
        return 1;
    }
    char *text = json_dumps(schema, JSON_INDENT(2));
    puts(text);
    free(text);
    json_decref(schema);
    return 0;
}
