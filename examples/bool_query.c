/* GET /hello?capitalize=yes → {"greeting": "HELLO WORLD"}.
 * The seed's BoolQueryParam: values 1,0,yes,no,true,false,t,f, default false;
 * anything else is 400 "capitalize must be one of {1,0,yes,no,true,false,t,f}". */
#include <ponty.h>

typedef struct {
    bool capitalize;
} hello_req;

PT_FIELDS(hello_req, PT_QUERY_BOOL(capitalize, .dflt = "false"));

PT_GET_IN("/hello", greet, hello_req)
{
    return json_pack("{s:s}", "greeting", in->capitalize ? "HELLO WORLD" : "hello world");
}

#ifndef PT_SHOWCASE
int main(void)
{
    return pt_run(.port = (int)pt_env_long("PORT", 8080));
}
#endif
