/* GET /obj/{id} where id is exactly five ASCII letters → {"id": "<id>"}. */
#include <ponty.h>

PT_GET("/obj/{id:[a-zA-Z]{5}}", five_letters)
{
    return json_pack("{s:s}", "id", pt_req_param(req, "id"));
}

#ifndef PT_SHOWCASE
int main(void)
{
    return pt_run(.port = (int)pt_env_long("PORT", 8080));
}
#endif
