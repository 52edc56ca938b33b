/* GET /hello/{name} → {"greeting": "hello, <name>!"}.
 * The name is a declared string route field: {name} matches \w+. */
#include <ponty.h>

typedef struct {
    const char *name;
} hello_req;

PT_FIELDS(hello_req, PT_ROUTE_STR(name));

PT_GET_IN("/hello/{name}", greet, hello_req)
{
    return json_pack("{s:s}", "greeting", pt_strf("hello, %s!", in->name));
}

#ifndef PT_SHOWCASE
int main(void)
{
    return pt_run(.port = (int)pt_env_long("PORT", 8080));
}
#endif
