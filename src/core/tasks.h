/* Internal: what pt_run tells the background-task module (ponty/task.h)
 * about the server's life. All calls come from the thread running pt_run. */
#ifndef PT_CORE_TASKS_H
#define PT_CORE_TASKS_H

#include "core/sched.h"

/* Before the providers start: tasks spawned now wait for the workers. */
void pt__tasks_begin(void);
/* Every worker's scheduler runs: the waiting tasks go out round-robin. */
void pt__tasks_serve(pt__sched_t *const *scheds, unsigned n);
/* Shutdown began: pt_stopping() turns true, pt_wait_stop_ms returns. */
void pt__tasks_stop(void);
/* pt_run is returning: tasks still waiting for workers are dropped. */
void pt__tasks_end(void);

#endif
