/* GET /fail → 400 with the JSON body {"a": 1}: raising never returns. */
#include <ponty.h>

PT_GET("/fail", fail)
{
    pt_raise_status(400, .body = json_pack("{s:i}", "a", 1));
}

#ifndef PT_SHOWCASE
int main(void)
{
    return pt_run(.port = (int)pt_env_long("PORT", 8080));
}
#endif
