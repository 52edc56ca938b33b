/* expect: PT_VALUES: an empty string would end the list of allowed values */
#include <ponty.h>
typedef struct { const char *lang; } in_t;
PT_FIELDS(in_t, PT_QUERY_STR(lang, .values = PT_VALUES("a", "", "b"), .dflt = "a"));
