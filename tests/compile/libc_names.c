/* expect: (compiles) handler names may be libc's: index, time, random */
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <ponty.h>
PT_GET("/", index) { return json_null(); }
PT_GET("/t", time) { return json_null(); }
typedef struct { const char *q; } in_t;
PT_FIELDS(in_t, PT_QUERY_STR(q, .dflt = ""));
PT_GET_IN("/r", random, in_t) { return json_string(in->q); }
