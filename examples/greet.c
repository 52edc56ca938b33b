/* GET /hello/{name} → {"greeting": "hello, <name>!"}; {name} matches \w+. */
#include <ponty.h>

PT_GET("/hello/{name}", greet)
{
    const char *name = pt_req_param(req, "name");
    return json_pack("{s:s+}", "greeting", pt_strf("hello, %s", name), "!");
}

#ifndef PT_SHOWCASE
int main(void)
{
    return pt_run(.port = (int)pt_env_long("PORT", 8080));
}
#endif
