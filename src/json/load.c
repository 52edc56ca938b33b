/* Loading schema documents from files, and the registry of documents that
 * remote "$ref"s resolve to. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "schema.h"

static json_t *load_one(const char *path, pt_schema_error_t *err, bool *exists)
{
    struct stat st;
    *exists = stat(path, &st) == 0;
    if (!*exists)
        return NULL;
    if (S_ISDIR(st.st_mode)) {
        pt__set_error(err, "", "cannot read schema file '%s': is a directory", path);
        return NULL;
    }
    FILE *f = fopen(path, "rb");
    if (!f) {
        pt__set_error(err, "", "cannot open schema file '%s': %s", path, strerror(errno));
        return NULL;
    }
    json_error_t je;
    /* a schema may be a bare boolean, hence DECODE_ANY */
    json_t *doc = json_loadf(f, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &je);
    fclose(f);
    if (!doc)
        pt__set_error(err, "", "schema file '%s' is not valid JSON: %s (line %d, column %d)", path, je.text,
                  je.line, je.column);
    return doc;
}

json_t *pt_schema_load_file(const char *path, const char *const *search_path, pt_schema_error_t *err)
{
    if (err)
        pt_schema_error_clear(err);
    if (!path || !*path) {
        pt__set_error(err, "", "no schema file path given");
        return NULL;
    }
    bool exists;
    json_t *doc = load_one(path, err, &exists);
    if (doc || exists || path[0] == '/') {
        if (!doc && !exists)
            pt__set_error(err, "", "cannot open schema file '%s': %s", path, strerror(ENOENT));
        return doc;
    }
    for (const char *const *d = search_path; d && *d; d++) {
        char *full = NULL;
        if (asprintf(&full, "%s/%s", *d, path) < 0) {
            pt__set_error(err, "", "out of memory");
            return NULL;
        }
        doc = load_one(full, err, &exists);
        free(full);
        if (doc || exists)
            return doc;
    }
    pt__set_error(err, "", "cannot open schema file '%s': %s (looked in the working directory%s)", path,
              strerror(ENOENT), search_path && *search_path ? " and the search path" : "");
    return NULL;
}

pt_schema_registry_t *pt_schema_registry_new(void) { return calloc(1, sizeof(pt_schema_registry_t)); }

void pt_schema_registry_free(pt_schema_registry_t *reg)
{
    if (!reg)
        return;
    for (size_t i = 0; i < reg->n; i++) {
        free(reg->v[i].uri);
        json_decref(reg->v[i].doc);
    }
    free(reg->v);
    free(reg);
}

int pt_schema_registry_add(pt_schema_registry_t *reg, const char *uri, json_t *doc)
{
    if (!reg || !uri || !*uri || !doc)
        return -1;
    if (reg->n == reg->cap) {
        size_t cap = reg->cap ? reg->cap * 2 : 8;
        reg_entry_t *v = realloc(reg->v, cap * sizeof *v);
        if (!v)
            return -1;
        reg->v = v;
        reg->cap = cap;
    }
    char *u = pt__uri_strip_fragment(uri);
    if (!u)
        return -1;
    reg->v[reg->n++] = (reg_entry_t){u, json_incref(doc)};
    return 0;
}

int pt_schema_registry_add_file(pt_schema_registry_t *reg, const char *uri, const char *path,
                                pt_schema_error_t *err)
{
    json_t *doc = pt_schema_load_file(path, NULL, err);
    if (!doc)
        return -1;
    int rc = pt_schema_registry_add(reg, uri, doc);
    json_decref(doc);
    if (rc)
        pt__set_error(err, "", "cannot register '%s' as '%s'", path, uri ? uri : "(null)");
    return rc;
}
