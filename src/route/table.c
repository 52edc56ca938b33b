/* Route tables: ordered lists of route definitions, filled at load time by
 * the registration macros or at run time by pt_route_add. The router
 * (router.c) is built from them when the server starts. */
#include "ponty/route.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "route/table.h"

static pt_route_table_t default_table;

/* Named tables live for the whole process. */
typedef struct pt__named_table {
    struct pt__named_table *next;
    char                  *name;
    pt_route_table_t       table;
} pt__named_table_t;

static pt__named_table_t *named_tables;
static pthread_mutex_t tables_lk = PTHREAD_MUTEX_INITIALIZER;

static void *xalloc(size_t n)
{
    void *p = calloc(1, n);
    if (!p) {
        fprintf(stderr, "ponty: out of memory\n");
        abort();
    }
    return p;
}

static char *xstrdup(const char *s)
{
    size_t n = strlen(s) + 1;
    char *p = xalloc(n);
    memcpy(p, s, n);
    return p;
}

pt_route_table_t *pt_route_table_default(void) { return &default_table; }

pt_route_table_t *pt_route_table_named(const char *name)
{
    pthread_mutex_lock(&tables_lk);
    pt__named_table_t *n;
    for (n = named_tables; n; n = n->next)
        if (strcmp(n->name, name) == 0)
            break;
    if (!n) {
        n = xalloc(sizeof *n);
        n->name = xstrdup(name);
        n->next = named_tables;
        named_tables = n;
    }
    pthread_mutex_unlock(&tables_lk);
    return &n->table;
}

pt_route_table_t *pt_route_table_new(void) { return xalloc(sizeof(pt_route_table_t)); }

static void route_table_clear(pt_route_table_t *t)
{
    for (size_t i = 0; i < t->n; i++) {
        free(t->routes[i].full_path);
        free((char *)t->routes[i].def.method);
        free((char *)t->routes[i].def.path);
        free((char *)t->routes[i].def.name);
        free((char *)t->routes[i].def.mimetype);
    }
    free(t->routes);
    free(t->prefix);
    memset(t, 0, sizeof *t);
}

void pt_route_table_free(pt_route_table_t *t)
{
    if (!t || t == &default_table)
        return;
    route_table_clear(t);
    free(t);
}

static void route_full_path(pt_route_table_t *t, pt__route_entry_t *e)
{
    free(e->full_path);
    /* Declared route fields fill in their patterns, as the seed's f-string
     * rendering does; a mismatch is left for pt_run to report. */
    char *path = NULL, err[8];
    if (e->def.expect && pt__route_render_path(&e->def, e->def.path, &path, err, sizeof err) != 0) {
        free(path);
        path = NULL;
    }
    const char *src = path ? path : e->def.path;
    const char *pre = t->prefix ? t->prefix : "";
    size_t a = strlen(pre), b = strlen(src);
    /* "/v1" + "/" serves "/v1/"; avoid a double slash when the prefix ends in one. */
    if (a && pre[a - 1] == '/' && src[0] == '/')
        a--;
    e->full_path = xalloc(a + b + 1);
    memcpy(e->full_path, pre, a);
    memcpy(e->full_path + a, src, b + 1);
    free(path);
}

pt_route_table_t *pt_route_table_prefix(pt_route_table_t *t, const char *prefix)
{
    free(t->prefix);
    t->prefix = prefix && *prefix ? xstrdup(prefix) : NULL;
    for (size_t i = 0; i < t->n; i++)
        route_full_path(t, &t->routes[i]);
    return t;
}

void pt_route_add(pt_route_table_t *t, const pt_route_def_t *def)
{
    if (t->n == t->cap) {
        size_t cap = t->cap ? t->cap * 2 : 16;
        pt__route_entry_t *r = realloc(t->routes, cap * sizeof *r);
        if (!r) {
            fprintf(stderr, "ponty: out of memory\n");
            abort();
        }
        t->routes = r;
        t->cap = cap;
    }
    pt__route_entry_t *e = &t->routes[t->n++];
    memset(e, 0, sizeof *e);
    e->def = *def;
    e->def.method = xstrdup(def->method ? def->method : "GET");
    e->def.path = xstrdup(def->path ? def->path : "");
    e->def.name = xstrdup(def->name ? def->name : "(handler)");
    e->def.mimetype = def->mimetype ? xstrdup(def->mimetype) : NULL;
    route_full_path(t, e);
}

size_t pt_route_count(const pt_route_table_t *t) { return t ? t->n : 0; }

pt_route_iter_t pt_route_iter(const pt_route_table_t *t)
{
    return (pt_route_iter_t){ t ? t : &default_table, 0 };
}

bool pt_route_next(pt_route_iter_t *it, const char **method, const char **path)
{
    if (it->i >= it->table->n)
        return false;
    const pt__route_entry_t *e = &it->table->routes[it->i++];
    if (method)
        *method = e->def.method;
    if (path)
        *path = e->full_path;
    return true;
}

/* At exit, give back what load-time registration took, so leak checkers see
 * only real leaks. */
__attribute__((destructor)) static void route_tables_release(void)
{
    route_table_clear(&default_table);
    while (named_tables) {
        pt__named_table_t *n = named_tables;
        named_tables = n->next;
        route_table_clear(&n->table);
        free(n->name);
        free(n);
    }
}
