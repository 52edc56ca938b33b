/* GET /hello → {"now": ..., "data": {"greeting": "hello world"}, "elapsed": 0} */
#include <ponty.h>

/* The answer's shape: a struct and its description. pt_data_struct writes
 * the struct straight into the response bytes, with no JSON value built
 * (json_pack("{s:s}", "greeting", "hello world") answers the same bytes,
 * with a few small allocations a request). */
typedef struct Greeting {
    const char *greeting;
} Greeting;

static const pt_field_t greeting_fields[] = { PT_FIELD_STRING(Greeting, greeting) };
static const pt_struct_desc_t greeting_desc = PT_STRUCT_DESC(Greeting, greeting_fields);

PT_GET("/hello", hello)
{
    static const Greeting hello_world = { "hello world" };
    return pt_data_struct(req, &greeting_desc, &hello_world);
}

#ifndef PT_SHOWCASE
int main(void)
{
    return pt_run(.port = (int)pt_env_long("PORT", 8080));
}
#endif
