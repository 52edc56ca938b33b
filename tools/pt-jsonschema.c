/* pt-jsonschema: validate one JSON document against a draft-07 schema.
 *
 *   pt-jsonschema [--no-format] [-r URI=FILE]... SCHEMA.json INSTANCE.json
 *
 * Prints every error, one per line, as "<instance path>: <message>" with
 * the first error (the one a ponty 400 response reports) first. The
 * instance path is a JSON Pointer; the document itself is shown as
 * "(root)". Exit status: 0 valid, 1 invalid, 2 bad schema, bad file or bad
 * usage (the reason goes to stderr).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ponty/jsonschema.h"

static int usage(void)
{
    fprintf(stderr, "usage: pt-jsonschema [--no-format] [-r URI=FILE]... SCHEMA.json INSTANCE.json\n");
    return 2;
}

int main(int argc, char **argv)
{
    pt_schema_opts_t opts = {0};
    pt_schema_registry_t *reg = pt_schema_registry_new();
    const char *files[2];
    int nfiles = 0, rc = 2;
    pt_schema_error_t err = {0};
    pt_schema_t *schema = NULL;
    json_t *inst = NULL;
    if (!reg)
        return 2;
    opts.registry = reg;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--no-format")) {
            opts.no_format = true;
        } else if (!strcmp(argv[i], "-r") && i + 1 < argc) {
            char *spec = argv[++i], *eq = strchr(spec, '=');
            if (!eq) {
                rc = usage();
                goto out;
            }
            *eq = 0;
            if (pt_schema_registry_add_file(reg, spec, eq + 1, &err)) {
                fprintf(stderr, "pt-jsonschema: %s\n", err.message ? err.message : "cannot register");
                goto out;
            }
        } else if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
            usage();
            rc = 0;
            goto out;
        } else if (nfiles < 2 && (argv[i][0] != '-' || !argv[i][1])) {
            files[nfiles++] = argv[i];
        } else {
            rc = usage();
            goto out;
        }
    }
    if (nfiles != 2) {
        rc = usage();
        goto out;
    }
    schema = pt_schema_compile_file(files[0], &opts, &err);
    if (!schema) {
        fprintf(stderr, "pt-jsonschema: %s\n", err.message ? err.message : "cannot compile schema");
        goto out;
    }
    json_error_t je;
    inst = !strcmp(files[1], "-") ? json_loadf(stdin, JSON_DECODE_ANY, &je)
                                  : json_load_file(files[1], JSON_DECODE_ANY, &je);
    if (!inst) {
        fprintf(stderr, "pt-jsonschema: cannot load instance '%s': %s (line %d, column %d)\n", files[1], je.text,
                je.line, je.column);
        goto out;
    }
    pt_schema_errors_t errs = {0};
    int v = pt_schema_validate_all(schema, inst, &errs);
    if (v < 0) {
        fprintf(stderr, "pt-jsonschema: validation failed: out of memory\n");
    } else {
        for (size_t i = 0; i < errs.count; i++)
            printf("%s: %s\n", errs.items[i].instance_path[0] ? errs.items[i].instance_path : "(root)",
                   errs.items[i].message);
        rc = v ? 1 : 0;
    }
    pt_schema_errors_clear(&errs);
out:
    pt_schema_error_clear(&err);
    json_decref(inst);
    pt_schema_free(schema);
    pt_schema_registry_free(reg);
    return rc;
}
