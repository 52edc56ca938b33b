/* Runs the official JSON-Schema-Test-Suite (draft7) against pt_jsonschema.
 *
 *   conformance SUITE_DIR [-v]
 *
 * SUITE_DIR holds tests/draft7 and remotes/ (Debian: json-schema-test-suite,
 * /usr/share/json-schema-test-suite). Remote documents are registered under
 * http://localhost:1234/, as the suite expects; nothing is fetched. Every
 * required case must pass (exit 1 otherwise); optional cases (optional/,
 * optional/format/) are run and counted.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "ponty/jsonschema.h"

typedef struct tally {
    int pass, fail;
} tally_t;

static int verbose;

static void register_remotes(pt_schema_registry_t *reg, const char *dir, const char *rel)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, rel);
    DIR *d = opendir(path);
    if (!d)
        return;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.')
            continue;
        char sub[4096], full[8192];
        snprintf(sub, sizeof sub, "%s%s%s", rel, *rel ? "/" : "", e->d_name);
        snprintf(full, sizeof full, "%s/%s", dir, sub);
        struct stat st;
        if (stat(full, &st) == 0 && S_ISDIR(st.st_mode)) {
            register_remotes(reg, dir, sub);
        } else if (strstr(e->d_name, ".json")) {
            char uri[8192];
            snprintf(uri, sizeof uri, "http://localhost:1234/%s", sub);
            pt_schema_error_t err = {0};
            if (pt_schema_registry_add_file(reg, uri, full, &err))
                fprintf(stderr, "remote %s: %s\n", full, err.message);
            pt_schema_error_clear(&err);
        }
    }
    closedir(d);
}

/* The member named key of a parsed object, or NULL. */
static const pt_jv_t *member_named(const pt_jv_t *o, const char *key)
{
    for (size_t i = 0; i < o->len; i++)
        if (!strcmp(o->u.members[i].key, key))
            return &o->u.members[i].v;
    return NULL;
}

static void run_file(const char *path, const char *label, pt_schema_registry_t *reg, tally_t *t)
{
    json_error_t je;
    json_t *groups = json_load_file(path, 0, &je);
    if (!groups && strstr(je.text, "too big integer")) /* bignum.json: jansson ints are 64-bit */
        groups = json_load_file(path, JSON_DECODE_INT_AS_REAL, &je);
    if (!groups) {
        /* e.g. bignum integers jansson cannot hold: count every case failed */
        printf("  %s: cannot load (%s)\n", label, je.text);
        t->fail++;
        return;
    }
    /* the same file as ponty parses request bodies: every case is also
     * validated on its parsed tree (big integers stay integers there) */
    pt_jdoc_t *doc = NULL;
    FILE *fp = fopen(path, "rb");
    if (fp) {
        fseek(fp, 0, SEEK_END);
        long n = ftell(fp);
        fseek(fp, 0, SEEK_SET);
        char *text = n > 0 ? malloc((size_t)n) : NULL;
        if (text && fread(text, 1, (size_t)n, fp) == (size_t)n)
            doc = pt_json_parse(text, (size_t)n, NULL, NULL);
        free(text);
        fclose(fp);
    }
    if (!doc)
        printf("  %s: pt_json_parse cannot read it\n", label);
    const pt_jv_t *tree = doc ? pt_jdoc_root(doc) : NULL;
    size_t gi;
    json_t *g;
    json_array_foreach(groups, gi, g) {
        pt_schema_opts_t opts = {.registry = reg};
        pt_schema_error_t err = {0};
        pt_schema_t *s = pt_schema_compile(json_object_get(g, "schema"), &opts, &err);
        size_t ti;
        json_t *tc;
        json_array_foreach(json_object_get(g, "tests"), ti, tc) {
            bool want = json_is_true(json_object_get(tc, "valid"));
            bool ok;
            if (!s) {
                ok = false;
            } else {
                const json_t *data = json_object_get(tc, "data");
                bool fast = pt_schema_is_valid(s, data);
                pt_schema_error_t first = {0};
                int rc = pt_schema_validate(s, data, &first);
                pt_schema_errors_t all = {0};
                int rca = pt_schema_validate_all(s, data, &all);
                /* the three entry points must agree with each other */
                ok = fast == want && (rc == 0) == want && (rca == 0) == want && (want || (first.message && all.count > 0));
                if (!want && all.count && strcmp(all.items[0].message, first.message) != 0) {
                    printf("  first/all mismatch: %s vs %s\n", first.message, all.items[0].message);
                    ok = false;
                }
                /* pt_schema_check locates the same first error */
                pt_schema_fail_t f = {0};
                int rcc = pt_schema_check(s, data, &f);
                if (rcc != rc || (rc && (!f.instance_path || !f.schema_path || !first.message ||
                                         strcmp(f.instance_path, first.instance_path) ||
                                         strcmp(f.schema_path, first.schema_path) ||
                                         (f.keyword != first.keyword &&
                                          (!f.keyword || !first.keyword || strcmp(f.keyword, first.keyword)))))) {
                    printf("  check/validate mismatch: %d %s %s vs %d %s %s\n", rcc,
                           f.instance_path ? f.instance_path : "-", f.schema_path ? f.schema_path : "-", rc,
                           first.instance_path ? first.instance_path : "-",
                           first.schema_path ? first.schema_path : "-");
                    ok = false;
                }
                if (rc && first.message) {
                    char *m = pt_schema_fail_message(&f);
                    if (!m || strcmp(m, first.message)) {
                        printf("  check message mismatch: %s vs %s\n", m ? m : "(null)", first.message);
                        ok = false;
                    }
                    free(m);
                }
                pt_schema_fail_clear(&f);
                pt_schema_error_clear(&first);
                pt_schema_errors_clear(&all);
                /* the tree: the case's "data" member, found by position */
                const pt_jv_t *tg = tree && gi < tree->len ? &tree->u.items[gi] : NULL;
                const pt_jv_t *tests = tg && tg->type == PT_JV_OBJECT ? member_named(tg, "tests") : NULL;
                const pt_jv_t *tt = tests && ti < tests->len ? &tests->u.items[ti] : NULL;
                const pt_jv_t *tdata = tt ? member_named(tt, "data") : NULL;
                if (!tdata || pt_schema_is_valid_jv(s, tdata) != want ||
                    (pt_schema_validate_jv(s, tdata, &first) == 0) != want) {
                    printf("  on the parsed tree: wrong verdict%s\n", tdata ? "" : " (no data)");
                    ok = false;
                }
                pt_schema_error_clear(&first);
            }
            if (ok) {
                t->pass++;
            } else {
                t->fail++;
                printf("  FAIL %s: %s / %s%s%s\n", label, json_string_value(json_object_get(g, "description")),
                       json_string_value(json_object_get(tc, "description")), s ? "" : " (compile: ",
                       s ? "" : (err.message ? err.message : "?"));
            }
        }
        if (verbose && s)
            printf("  ok %s: %s\n", label, json_string_value(json_object_get(g, "description")));
        pt_schema_error_clear(&err);
        pt_schema_free(s);
    }
    json_decref(groups);
    pt_jdoc_free(doc);
}

static int cmp(const void *a, const void *b) { return strcmp(*(char **)a, *(char **)b); }

static void run_dir(const char *dir, const char *prefix, pt_schema_registry_t *reg, tally_t *t)
{
    DIR *d = opendir(dir);
    if (!d) {
        printf("cannot open %s\n", dir);
        t->fail++;
        return;
    }
    char *names[512];
    size_t n = 0;
    struct dirent *e;
    while ((e = readdir(d)) && n < 512)
        if (strstr(e->d_name, ".json"))
            names[n++] = strdup(e->d_name);
    closedir(d);
    qsort(names, n, sizeof *names, cmp);
    for (size_t i = 0; i < n; i++) {
        char path[4096], label[1024];
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        snprintf(label, sizeof label, "%s%s", prefix, names[i]);
        run_file(path, label, reg, t);
        free(names[i]);
    }
}

int main(int argc, char **argv)
{
    const char *suite = argc > 1 ? argv[1] : "/usr/share/json-schema-test-suite";
    verbose = argc > 2 && !strcmp(argv[2], "-v");
    char dir[4096];
    pt_schema_registry_t *reg = pt_schema_registry_new();
    snprintf(dir, sizeof dir, "%s/remotes", suite);
    register_remotes(reg, dir, "");

    tally_t req = {0}, opt = {0}, fmt = {0};
    snprintf(dir, sizeof dir, "%s/tests/draft7", suite);
    run_dir(dir, "", reg, &req);
    snprintf(dir, sizeof dir, "%s/tests/draft7/optional", suite);
    run_dir(dir, "optional/", reg, &opt);
    snprintf(dir, sizeof dir, "%s/tests/draft7/optional/format", suite);
    run_dir(dir, "optional/format/", reg, &fmt);
    pt_schema_registry_free(reg);

    printf("draft7 required:        %d/%d passed\n", req.pass, req.pass + req.fail);
    printf("draft7 optional:        %d/%d passed\n", opt.pass, opt.pass + opt.fail);
    printf("draft7 optional/format: %d/%d passed\n", fmt.pass, fmt.pass + fmt.fail);
    return req.fail || req.pass == 0 ? 1 : 0;
}
