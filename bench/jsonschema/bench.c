/* Validations per second of pt_jsonschema on one schema and one document.
 *
 *   json_bench SCHEMA.json DOC.json [SECONDS]
 *
 * Prints "<rate> <first error or 'valid'>". The document is parsed once;
 * each iteration validates it and, when it is invalid, builds the first
 * error's message (what a 400 response needs) and frees it. */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "ponty/jsonschema.h"

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: json_bench SCHEMA.json DOC.json [SECONDS]\n");
        return 2;
    }
    double secs = argc > 3 ? atof(argv[3]) : 1.0;
    pt_schema_error_t err = {0};
    pt_schema_t *s = pt_schema_compile_file(argv[1], NULL, &err);
    json_error_t je;
    json_t *doc = json_load_file(argv[2], 0, &je);
    if (!s || !doc) {
        fprintf(stderr, "json_bench: %s\n", s ? je.text : err.message);
        return 2;
    }
    int rc = pt_schema_validate(s, doc, &err);
    char *first = rc ? err.message : NULL;
    err.message = NULL;
    pt_schema_error_clear(&err);
    long n = 0, batch = 10000;
    double t0 = now(), t;
    do {
        for (long i = 0; i < batch; i++) {
            if (pt_schema_validate(s, doc, &err))
                pt_schema_error_clear(&err);
        }
        n += batch;
        t = now();
    } while (t - t0 < secs);
    printf("%.0f %s\n", n / (t - t0), first ? first : "valid");
    free(first);
    json_decref(doc);
    pt_schema_free(s);
    return 0;
}
