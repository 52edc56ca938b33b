/* Route paths rendered from their declared fields: each {name}
 * placeholder gets its route field's pattern. Used by the route tables (for
 * pt_route_iter) and by pt_run, which prepares every route (src/fields). */
#include "route/table.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ponty/fields.h"
#include "core/buf.h"

int pt__route_fail(char *err, size_t errlen, const pt_route_def_t *def, const char *fmt, ...)
{
    int n = snprintf(err, errlen, "%s %s: ", def->method, def->path);
    va_list ap;
    va_start(ap, fmt);
    if (n >= 0 && (size_t)n < errlen)
        vsnprintf(err + n, errlen - (size_t)n, fmt, ap);
    va_end(ap);
    return -1;
}

static const pt_reqfield_t *route_field(const pt_expect_t *e, const char *name, size_t n)
{
    for (size_t i = 0; i < e->nfields; i++)
        if (e->fields[i].src == PT_SRC_ROUTE && strlen(e->fields[i].name) == n &&
            memcmp(e->fields[i].name, name, n) == 0)
            return &e->fields[i];
    return NULL;
}

/* Fills {name} placeholders with the declared fields' patterns and checks
 * that placeholders and route fields match one to one. Rendering a rendered
 * path changes nothing, so the table (for route_iter) and pt_run share it. */
int pt__route_render_path(const pt_route_def_t *def, const char *full, char **rendered,
                         char *err, size_t errlen)
{
    const pt_expect_t *e = def->expect;
    pt__buf_t out = { 0 };
    bool *seen = calloc(e->nfields + 1, 1);
    if (!seen) {
        *rendered = NULL;
        return pt__route_fail(err, errlen, def, "out of memory");
    }
    int rc = 0;
    for (const char *p = full; *p;) {
        if (*p != '{') {
            pt__buf_append(&out, p++, 1);
            continue;
        }
        /* Find the matching brace: regexes may hold their own {m,n}. */
        int depth = 0;
        const char *q = p;
        for (; *q; q++) {
            if (*q == '\\' && q[1]) { q++; continue; }
            if (*q == '{') depth++;
            else if (*q == '}' && --depth == 0) break;
        }
        if (!*q) {
            pt__buf_append(&out, p, strlen(p)); /* the router reports it */
            break;
        }
        const char *colon = memchr(p + 1, ':', (size_t)(q - p - 1));
        const char *name = p + 1;
        size_t nlen = (size_t)((colon ? colon : q) - name);
        const pt_reqfield_t *f = route_field(e, name, nlen);
        if (!f) {
            rc = pt__route_fail(err, errlen, def, "placeholder '%.*s' has no declared route field in %s",
                         (int)nlen, name, e->type_name);
            break;
        }
        seen[f - e->fields] = true;
        const char *pattern = f->pattern ? f->pattern
                            : f->type == PT_V_STR ? "\\w+" : f->type == PT_V_POSINT ? "\\d+" : NULL;
        if (colon || !pattern) {
            if (!colon) {
                rc = pt__route_fail(err, errlen, def, "route field '%s' has no .pattern", f->name);
                break;
            }
            pt__buf_append(&out, p, (size_t)(q - p + 1));
        } else {
            pt__buf_append(&out, "{", 1);
            pt__buf_append(&out, name, nlen);
            pt__buf_append(&out, ":", 1);
            pt__buf_puts(&out, pattern);
            pt__buf_append(&out, "}", 1);
        }
        p = q + 1;
    }
    for (size_t i = 0; rc == 0 && i < e->nfields; i++)
        if (e->fields[i].src == PT_SRC_ROUTE && !seen[i])
            rc = pt__route_fail(err, errlen, def, "route field '%s' of %s has no {%s} placeholder in the path",
                         e->fields[i].name, e->type_name, e->fields[i].name);
    free(seen);
    pt__buf_append(&out, "", 1);
    *rendered = out.data;
    return rc;
}
