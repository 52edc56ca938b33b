/* Named resources published by providers: see ponty/server.h.
 *
 * The table changes only on the thread running pt_run while no worker runs
 * (a provider's startup or teardown) or before pt_run, and is only read
 * while the workers run, so lookups take no lock. */
#define _GNU_SOURCE
#include "ponty/server.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http/resource.h"

typedef struct resource {
    char *name;
    void *ptr;
    long  owner;       /* provider index, or PT_RES_PROCESS */
} resource_t;

static resource_t *table;
static size_t count, cap;
static long owner = PT_RES_PROCESS;
static size_t failures;

static resource_t *find(const char *name)
{
    for (size_t i = 0; i < count; i++)
        if (strcmp(table[i].name, name) == 0)
            return &table[i];
    return NULL;
}

int pt_resource_publish(const char *name, void *ptr)
{
    if (!name || !*name || !ptr) {
        fprintf(stderr, "ponty: pt_resource_publish: %s\n",
                !name || !*name ? "a resource needs a non-empty name" : "a resource cannot be NULL");
        failures++;
        return -1;
    }
    if (owner == PT_RES_NONE) {
        fprintf(stderr, "ponty: pt_resource_publish(\"%s\"): resources are published by providers' "
                        "startups or before pt_run, not while serving\n", name);
        failures++;
        return -1;
    }
    if (find(name)) {
        fprintf(stderr, "ponty: resource '%s' is published twice\n", name);
        failures++;
        return -1;
    }
    if (count == cap) {
        size_t ncap = cap ? cap * 2 : 8;
        resource_t *t = realloc(table, ncap * sizeof *t);
        if (!t) {
            failures++;
            return -1;
        }
        table = t;
        cap = ncap;
    }
    char *copy = strdup(name);
    if (!copy) {
        failures++;
        return -1;
    }
    table[count++] = (resource_t){ copy, ptr, owner };
    return 0;
}

void *pt_resource(const char *name)
{
    resource_t *r = name ? find(name) : NULL;
    return r ? r->ptr : NULL;
}

void pt__resources_owner(long o) { owner = o; }
size_t pt__resources_failures(void) { return failures; }

void pt__resources_drop(long o)
{
    size_t j = 0;
    for (size_t i = 0; i < count; i++) {
        if (table[i].owner == o)
            free(table[i].name);
        else
            table[j++] = table[i];
    }
    count = j;
    if (!count) {
        free(table);
        table = NULL;
        cap = 0;
    }
}
