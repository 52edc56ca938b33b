/* GET /hello?bangs=7 → {"greeting": "hello world!!!!!!!"}.
 * A non-negative integer query field read from key "bangs" (default 1):
 * "abc" is 400 "'abc' could not be cast", -3 is 400 "-3 less than 0". */
#include <ponty.h>
#include <string.h>

typedef struct {
    int64_t num_exclamations;
} hello_req;

PT_FIELDS(hello_req, PT_QUERY_POSINT(num_exclamations, .key = "bangs", .dflt = "1"));

PT_GET_IN("/hello", greet, hello_req)
{
    /* No cap of its own: a greeting longer than the request memory limit
     * (limits.max_request_memory, 64 MiB) is a 500, as Python's
     * MemoryError would be. */
    char *bangs = pt_arena_alloc(pt_req_arena(pt_req_current()), (size_t)in->num_exclamations + 1);
    memset(bangs, '!', (size_t)in->num_exclamations);
    bangs[in->num_exclamations] = '\0';
    return json_pack("{s:s}", "greeting", pt_strf("hello world%s", bangs));
}

#ifndef PT_SHOWCASE
int main(void)
{
    return pt_run(.port = (int)pt_env_long("PORT", 8080));
}
#endif
