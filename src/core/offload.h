/* Internal: pt_run's side of the offload pool (ponty/offload.h). */
#ifndef PT_CORE_OFFLOAD_H
#define PT_CORE_OFFLOAD_H

#include "ponty/offload.h"

/* Sizes the pool for the calls to come (zeros: defaults). Threads already
 * started stay until pt__offload_stop. */
void pt__offload_configure(const pt_offload_opts_t *o);
/* Joins the pool's threads if no call is running or queued; 0, or -1 when
 * calls of abandoned requests keep it busy (its threads are left running). */
int  pt__offload_stop(void);

#endif
