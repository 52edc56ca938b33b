/* Internal: the layout of a route table (public type is opaque). */
#ifndef PT_ROUTE_TABLE_H
#define PT_ROUTE_TABLE_H

#include "ponty/route.h"

typedef struct pt__route_entry {
    pt_route_def_t def;        /* strings owned by the table */
    char          *full_path;  /* prefix + path */
} pt__route_entry_t;

struct pt_route_table {
    pt__route_entry_t *routes;
    size_t            n, cap;
    char             *prefix;
};

#endif
