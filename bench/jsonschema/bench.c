/* Validations per second of pt_jsonschema on one schema and one document.
 *
 *   json_bench SCHEMA.json DOC.json [SECONDS] [check|message] [json_t|tree]
 *
 * Prints "<rate> <first error or 'valid'>". The document is parsed once:
 * as a jansson json_t (default; the public json_t API, which walks a flat
 * schema's object in place and validates a tree copy of anything else), or with pt_json_parse into the pt_jv_t tree that
 * request bodies are parsed into ("tree": what a request pays).
 *
 *   check    (default) each iteration runs pt_schema_check: the verdict and,
 *            when invalid, the first error's keyword, instance path and
 *            schema path (what ajv's errors[0] holds: keyword, instancePath,
 *            schemaPath and a static message). The Python-worded message is
 *            not rendered in the loop; the line printed shows it once.
 *   message  each iteration runs pt_schema_validate, which also renders the
 *            Python-worded message into a heap record (what a 400 response
 *            built by src/fields/fields.c needs), then frees it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ponty/jsonschema.h"

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static volatile size_t sink;

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: json_bench SCHEMA.json DOC.json [SECONDS] [check|message]\n");
        return 2;
    }
    double secs = argc > 3 ? atof(argv[3]) : 1.0;
    bool message = argc > 4 && !strcmp(argv[4], "message");
    bool tree = argc > 5 && !strcmp(argv[5], "tree");
    pt_schema_error_t err = {0};
    pt_schema_t *s = pt_schema_compile_file(argv[1], NULL, &err);
    json_error_t je;
    json_t *doc = json_load_file(argv[2], 0, &je);
    if (!s || !doc) {
        fprintf(stderr, "json_bench: %s\n", s ? je.text : err.message);
        return 2;
    }
    char *text = json_dumps(doc, JSON_ENCODE_ANY);
    pt_jdoc_t *jd = pt_json_parse(text, strlen(text), NULL, &err);
    free(text);
    if (!jd) {
        fprintf(stderr, "json_bench: %s\n", err.message);
        return 2;
    }
    const pt_jv_t *jv = pt_jdoc_root(jd);
    char first[512] = "valid";
    pt_schema_fail_t f = {0};
    if (pt_schema_check(s, doc, &f)) {
        char *m = pt_schema_fail_message(&f);
        if (message)
            snprintf(first, sizeof first, "%s", m ? m : "?");
        else
            snprintf(first, sizeof first, "%s at '%s' (%s): %s", f.keyword ? f.keyword : "-", f.instance_path,
                     f.schema_path, m ? m : "?");
        free(m);
    }
    long n = 0, batch = 10000;
    double t0 = now(), t;
    if (message) {
        do {
            for (long i = 0; i < batch; i++) {
                if (tree ? pt_schema_validate_jv(s, jv, &err) : pt_schema_validate(s, doc, &err)) {
                    sink += err.message[0];
                    pt_schema_error_clear(&err);
                }
            }
            n += batch;
            t = now();
        } while (t - t0 < secs);
    } else {
        do {
            for (long i = 0; i < batch; i++) {
                if (tree ? pt_schema_check_jv(s, jv, &f) : pt_schema_check(s, doc, &f))
                    sink += f.keyword[0] + f.instance_path[0] + f.schema_path[0];
            }
            n += batch;
            t = now();
        } while (t - t0 < secs);
    }
    printf("%.0f %s\n", n / (t - t0), first);
    pt_schema_fail_clear(&f);
    pt_jdoc_free(jd);
    json_decref(doc);
    pt_schema_free(s);
    return 0;
}
