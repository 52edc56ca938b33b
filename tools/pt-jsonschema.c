/* pt-jsonschema: validate one JSON document against a draft-07 schema.
 *
 *   pt-jsonschema [--no-format] [-r URI=FILE]... SCHEMA.json INSTANCE.json
 *
 * Prints every error, one per line, as "<instance path>: <message>" with
 * the first error (the one a ponty 400 response reports) first. The
 * instance path is a JSON Pointer; the document itself is shown as
 * "(root)". Exit status: 0 valid, 1 invalid, 2 bad schema, bad file or bad
 * usage (the reason goes to stderr). The instance is read as ponty reads
 * request bodies (pt_json_parse): integers of any size, "\u0000" and lone
 * surrogates in strings.
 */
#include <errno.h>
#include <stdbool.h>
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
    pt_jdoc_t *inst = NULL;
    char *text = NULL;
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
    FILE *in = !strcmp(files[1], "-") ? stdin : fopen(files[1], "rb");
    size_t len = 0, cap = 0;
    if (!in) {
        fprintf(stderr, "pt-jsonschema: cannot open instance '%s': %s\n", files[1], strerror(errno));
        goto out;
    }
    for (;;) {
        if (len == cap) {
            char *t = realloc(text, cap = cap ? cap * 2 : 65536);
            if (!t) {
                fprintf(stderr, "pt-jsonschema: out of memory reading '%s'\n", files[1]);
                if (in != stdin)
                    fclose(in);
                goto out;
            }
            text = t;
        }
        size_t n = fread(text + len, 1, cap - len, in);
        len += n;
        if (n == 0)
            break;
    }
    bool read_failed = ferror(in);
    if (in != stdin)
        fclose(in);
    if (read_failed) {
        fprintf(stderr, "pt-jsonschema: cannot read instance '%s'\n", files[1]);
        goto out;
    }
    inst = pt_json_parse(text, len, NULL, &err);
    if (!inst) {
        fprintf(stderr, "pt-jsonschema: cannot load instance '%s': %s\n", files[1], err.message);
        goto out;
    }
    pt_schema_errors_t errs = {0};
    int v = pt_schema_validate_all_jv(schema, pt_jdoc_root(inst), &errs);
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
    pt_jdoc_free(inst);
    free(text);
    pt_schema_free(schema);
    pt_schema_registry_free(reg);
    return rc;
}
