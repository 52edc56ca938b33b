/* Internal: pt_run's side of the resource registry (ponty/server.h). */
#ifndef PT_HTTP_RESOURCE_H
#define PT_HTTP_RESOURCE_H

#include <stddef.h>

/* Resources published from now on belong to provider index i (a provider's
 * startup); PT_RES_NONE: publishing is refused (the workers run). */
enum { PT_RES_NONE = -1, PT_RES_PROCESS = -2 };
void   pt__resources_owner(long owner);
/* Failed publications so far (duplicates, bad names). */
size_t pt__resources_failures(void);
/* Forgets what provider index i published (after its teardown). */
void   pt__resources_drop(long owner);

#endif
