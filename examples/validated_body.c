/* POST /test with a JSON body validated against validator.json (read from
 * the working directory, as in the seed) → {"name": "<last>, <first>"}.
 * A body missing last_name is 400 "'last_name' is a required property". */
#include <ponty.h>

typedef struct {
    json_t *body;
} test_req;

PT_FIELDS(test_req, PT_BODY_SCHEMA(body, .schema_file = "validator.json"));

PT_POST_IN("/test", validated, test_req)
{
    return json_pack("{s:s}", "name",
                     pt_strf("%s, %s", json_string_value(json_object_get(in->body, "last_name")),
                             json_string_value(json_object_get(in->body, "first_name"))));
}

#ifndef PT_SHOWCASE
int main(void)
{
    return pt_run(.port = (int)pt_env_long("PORT", 8080));
}
#endif
