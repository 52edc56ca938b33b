/* GET /obj/{id} where id is exactly five ASCII letters → {"id": "<id>"}.
 * The seed's FiveLetters RouteParameter: a string field with its own pattern. */
#include <ponty.h>

typedef struct {
    const char *id;
} obj_req;

PT_FIELDS(obj_req, PT_ROUTE_STR(id, .pattern = "[a-zA-Z]{5}"));

PT_GET_IN("/obj/{id}", five_letters, obj_req)
{
    return json_pack("{s:s}", "id", in->id);
}

#ifndef PT_SHOWCASE
int main(void)
{
    return pt_run(.port = (int)pt_env_long("PORT", 8080));
}
#endif
