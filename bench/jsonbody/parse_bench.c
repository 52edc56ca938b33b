/* MB/s of JSON bodies through ponty's parser and writer, against jansson.
 *
 *   json_body_bench FILE [SECONDS]
 *
 * Prints one line per stage, "<name> <MB/s>", each measured for SECONDS
 * (default 1) on the same text:
 *   jansson-parse       json_loadb + json_decref
 *   ponty-parse         pt_json_parse into an arena reset each time (what a
 *                       request pays for its body)
 *   jansson-roundtrip   json_loadb, json_dumpb (compact), json_decref
 *   ponty-roundtrip     pt_json_parse, pt_jv_to_json, the response writer
 *                       (Python's json.dumps bytes), json_decref: a body
 *                       through PT_BODY_JSON and back
 * MB are 10^6 bytes of input text. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <ponty.h>

#include "http/json_write.h"

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void *arena_cb(void *ctx, size_t n) { return pt_arena_alloc(ctx, n); }

static volatile size_t sink;

typedef enum { J_PARSE, P_PARSE, J_RT, P_RT } stage_t;

static void run(stage_t st, const char *text, size_t len, double secs, pt_arena_t *a, pt__buf_t *out)
{
    long n = 0;
    double t0 = now(), t;
    do {
        for (int i = 0; i < 10; i++) {
            switch (st) {
            case J_PARSE: {
                json_t *v = json_loadb(text, len, JSON_DECODE_ANY, NULL);
                sink += json_typeof(v);
                json_decref(v);
                break;
            }
            case P_PARSE: {
                pt_arena_reset(a);
                pt_json_parse_opts_t o = {.alloc = arena_cb, .alloc_ctx = a};
                pt_jdoc_t *d = pt_json_parse(text, len, &o, NULL);
                sink += pt_jdoc_root(d)->type;
                break;
            }
            case J_RT: {
                json_t *v = json_loadb(text, len, JSON_DECODE_ANY, NULL);
                out->len = 0;
                pt__buf_reserve(out, 2 * len);
                out->len = json_dumpb(v, out->data, out->cap, JSON_COMPACT | JSON_ENCODE_ANY);
                sink += out->len;
                json_decref(v);
                break;
            }
            case P_RT: {
                pt_arena_reset(a);
                pt_json_parse_opts_t o = {.alloc = arena_cb, .alloc_ctx = a};
                pt_jdoc_t *d = pt_json_parse(text, len, &o, NULL);
                json_t *v = pt_jv_to_json(pt_jdoc_root(d));
                out->len = 0;
                pt__json_write(out, v, NULL);
                sink += out->len;
                json_decref(v);
                break;
            }
            }
        }
        n += 10;
        t = now();
    } while (t - t0 < secs);
    printf("%s %.1f\n", st == J_PARSE ? "jansson-parse" : st == P_PARSE ? "ponty-parse"
                        : st == J_RT ? "jansson-roundtrip" : "ponty-roundtrip",
           (double)len * n / (t - t0) / 1e6);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: json_body_bench FILE [SECONDS]\n");
        return 2;
    }
    double secs = argc > 2 ? atof(argv[2]) : 1.0;
    FILE *f = fopen(argv[1], "rb");
    if (!f) {
        perror(argv[1]);
        return 2;
    }
    fseek(f, 0, SEEK_END);
    long len = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *text = malloc((size_t)len);
    if (!text || fread(text, 1, (size_t)len, f) != (size_t)len) {
        fprintf(stderr, "cannot read %s\n", argv[1]);
        return 2;
    }
    fclose(f);
    pt_arena_t a;
    pt_arena_init(&a, 64 * 1024);
    pt__buf_t out = {0};
    pt_schema_error_t err = {0};
    pt_jdoc_t *check = pt_json_parse(text, (size_t)len, NULL, &err);
    if (!check) {
        fprintf(stderr, "%s: %s\n", argv[1], err.message);
        return 2;
    }
    pt_jdoc_free(check);
    for (stage_t st = J_PARSE; st <= P_RT; st++)
        run(st, text, (size_t)len, secs, &a, &out);
    pt__buf_free(&out);
    pt_arena_destroy(&a);
    free(text);
    return 0;
}
