/* expect: declared field lang must be a member of type const char * */
#include <ponty.h>
typedef struct { int lang; } in_t;
PT_FIELDS(in_t, PT_QUERY_STR(lang, .dflt = "en"));
PT_GET_IN("/x", x, in_t) { return json_null(); }
