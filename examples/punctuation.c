/* GET /hello?punc=. → {"greeting": "hello world."}; the default is "!". */
#include <ponty.h>

typedef struct {
    const char *punc;
} hello_req;

PT_FIELDS(hello_req, PT_QUERY_STR(punc, .dflt = "!"));

PT_GET_IN("/hello", greet, hello_req)
{
    return json_pack("{s:s}", "greeting", pt_strf("hello world%s", in->punc));
}

#ifndef PT_SHOWCASE
int main(void)
{
    return pt_run(.port = (int)pt_env_long("PORT", 8080));
}
#endif
