/* Releasing a held lock for a block: see include/ponty/resilience.h. */
#include "resilience/common.h"

static void mutex_lock(void *m) { pt_mutex_lock(m); }
static void mutex_unlock(void *m) { pt_mutex_unlock(m); }
static void sem_lock(void *s) { pt_sem_wait(s); }
static void sem_unlock(void *s) { pt_sem_post(s); }

pt_lockable_t pt_lockable_mutex(pt_mutex_t *m) { return (pt_lockable_t){ mutex_lock, mutex_unlock, m }; }
pt_lockable_t pt_lockable_sem(pt_sem_t *s) { return (pt_lockable_t){ sem_lock, sem_unlock, s }; }

void pt_releasing_run(pt_lockable_t l, void (*fn)(void *arg), void *arg)
{
    l.unlock(l.obj);
    fn(arg);
    l.lock(l.obj);
}
