/* Internal: what the resilience primitives share — time through an optional
 * test clock, and sleeping that suspends a coroutine or blocks a thread. */
#ifndef PT_RES_INTERNAL_H
#define PT_RES_INTERNAL_H

#include <stdint.h>

#include "ponty/resilience.h"

/* Monotonic nanoseconds from c, or the real clock when c is NULL. */
int64_t pt__res_now_ns(const pt_clock_t *c);
/* Sleeps ns through c (its sleep_ns, or a real sleep when it has none). A
 * coroutine sleeps whole milliseconds, rounded up. */
void    pt__res_sleep_ns(const pt_clock_t *c, int64_t ns);
/* strdup that falls back to dflt when s is NULL; NULL only when out of memory. */
char   *pt__res_strdup(const char *s, const char *dflt);

#endif
