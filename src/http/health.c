/* Health checks: a list of named functions run in order by the health
 * endpoint (ponty/observe.h). */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http/observe.h"

typedef struct check {
    struct check *next;
    char         *name;
    pt_health_fn  fn;
    void         *arg;
    bool          from_run;   /* added during a pt_run's start-up */
} check_t;

static check_t *checks, **checks_tail = &checks;
static int state;             /* 0 idle, 1 pt_run starting, 2 serving */

void pt__health_serving(int s) { state = s; }

int pt_health_check_add(const char *name, pt_health_fn fn, void *arg)
{
    if (!name || !*name || !fn) {
        fprintf(stderr, "ponty: pt_health_check_add: a name and a function are needed\n");
        return -1;
    }
    if (state == 2) {
        fprintf(stderr, "ponty: pt_health_check_add(\"%s\") while the server runs\n", name);
        return -1;
    }
    for (check_t *c = checks; c; c = c->next)
        if (strcmp(c->name, name) == 0) {
            fprintf(stderr, "ponty: pt_health_check_add: \"%s\" already added\n", name);
            return -1;
        }
    check_t *c = calloc(1, sizeof *c);
    if (!c || !(c->name = strdup(name))) {
        free(c);
        fprintf(stderr, "ponty: pt_health_check_add: out of memory\n");
        return -1;
    }
    c->fn = fn;
    c->arg = arg;
    c->from_run = state == 1;
    *checks_tail = c;
    checks_tail = &c->next;
    return 0;
}

void pt__health_drop_run(void)
{
    checks_tail = &checks;
    for (check_t **p = &checks; *p;) {
        check_t *c = *p;
        if (c->from_run) {
            *p = c->next;
            free(c->name);
            free(c);
        } else {
            p = &c->next;
            checks_tail = &c->next;
        }
    }
}

/* Checks added before any pt_run are freed at exit, so leak checkers see
 * their owner. */
__attribute__((destructor)) static void free_checks(void)
{
    while (checks) {
        check_t *c = checks;
        checks = c->next;
        free(c->name);
        free(c);
    }
    checks_tail = &checks;
}

json_t *pt__health_run(int *status)
{
    json_t *results = json_object();
    bool ok = true;
    for (check_t *c = checks; c; c = c->next) {
        const char *err = c->fn(c->arg);
        if (err) {
            ok = false;
            json_object_set_new(results, c->name, json_pack("{s:b,s:s}", "ok", 0, "error", err));
        } else {
            json_object_set_new(results, c->name, json_pack("{s:b}", "ok", 1));
        }
    }
    *status = ok ? 200 : 503;
    return json_pack("{s:s,s:o}", "status", ok ? "ok" : "fail", "checks", results);
}
