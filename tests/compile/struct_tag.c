/* expect: PT_FIELDS needs a type name, not a struct tag */
#include <ponty.h>
struct x { const char *lang; };
PT_FIELDS(struct x, PT_QUERY_STR(lang, .dflt = "en"));
