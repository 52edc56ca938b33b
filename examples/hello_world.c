/* GET /hello → {"now": ..., "data": {"greeting": "hello world"}, "elapsed": 0} */
#include <ponty.h>

PT_GET("/hello", hello)
{
    return json_pack("{s:s}", "greeting", "hello world");
}

#ifndef PT_SHOWCASE
int main(void)
{
    return pt_run(.port = (int)pt_env_long("PORT", 8080));
}
#endif
