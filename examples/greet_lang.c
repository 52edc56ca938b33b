/* GET /hello/{name}?lang=es → {"greeting": "hola <name>!"}.
 * lang must be one of en, es, no (default en), checked before the handler. */
#include <ponty.h>
#include <string.h>

typedef struct {
    const char *name;
    const char *lang;
} hello_req;

PT_FIELDS(hello_req,
          PT_ROUTE_STR(name),
          PT_QUERY_STR(lang, .values = PT_VALUES("en", "es", "no"), .dflt = "en"));

static const char *hello_in(const char *lang)
{
    /* No need to handle an unknown lang: the field already validated it. */
    return strcmp(lang, "es") == 0 ? "hola" : strcmp(lang, "no") == 0 ? "hallo" : "hello";
}

PT_GET_IN("/hello/{name}", ahoy, hello_req)
{
    return json_pack("{s:s}", "greeting", pt_strf("%s %s!", hello_in(in->lang), in->name));
}

#ifndef PT_SHOWCASE
int main(void)
{
    return pt_run(.port = (int)pt_env_long("PORT", 8080));
}
#endif
