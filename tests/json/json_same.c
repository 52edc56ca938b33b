/* json_same EXPECTED.json PROGRAM: runs PROGRAM, parses its standard
 * output as JSON and compares it with EXPECTED.json, object key order
 * included (ponty's generated schemas promise the seed's key order).
 * Exit 0 when equal, 1 with the first difference otherwise. */
#include <stdio.h>
#include <string.h>

#include <jansson.h>

static int same(const json_t *a, const json_t *b, char *path, size_t cap)
{
    if (json_typeof(a) != json_typeof(b) || !json_equal((json_t *)a, (json_t *)b)) {
        if (!json_is_object(a) || !json_is_object(b)) {
            printf("differs at '%s'\n", path);
            return 0;
        }
    }
    if (json_is_object(a)) {
        void *ia = json_object_iter((json_t *)a), *ib = json_object_iter((json_t *)b);
        for (; ia && ib; ia = json_object_iter_next((json_t *)a, ia), ib = json_object_iter_next((json_t *)b, ib)) {
            const char *ka = json_object_iter_key(ia), *kb = json_object_iter_key(ib);
            if (strcmp(ka, kb)) {
                printf("key order differs at '%s': '%s' vs '%s'\n", path, ka, kb);
                return 0;
            }
            size_t n = strlen(path);
            snprintf(path + n, cap - n, "/%s", ka);
            int ok = same(json_object_iter_value(ia), json_object_iter_value(ib), path, cap);
            path[n] = 0;
            if (!ok)
                return 0;
        }
        if (ia || ib) {
            printf("key count differs at '%s'\n", path);
            return 0;
        }
    } else if (json_is_array(a)) {
        for (size_t i = 0; i < json_array_size(a); i++) {
            size_t n = strlen(path);
            snprintf(path + n, cap - n, "/%zu", i);
            int ok = same(json_array_get(a, i), json_array_get(b, i), path, cap);
            path[n] = 0;
            if (!ok)
                return 0;
        }
    }
    return 1;
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: json_same EXPECTED.json PROGRAM\n");
        return 2;
    }
    json_error_t je;
    json_t *want = json_load_file(argv[1], 0, &je);
    if (!want) {
        printf("%s: %s\n", argv[1], je.text);
        return 1;
    }
    FILE *p = popen(argv[2], "r");
    json_t *got = p ? json_loadf(p, 0, &je) : NULL;
    int status = p ? pclose(p) : -1;
    if (!got || status != 0) {
        printf("%s: exit %d, output not JSON: %s\n", argv[2], status, got ? "" : je.text);
        json_decref(want);
        json_decref(got);
        return 1;
    }
    char path[4096] = "";
    int ok = same(want, got, path, sizeof path);
    json_decref(want);
    json_decref(got);
    if (ok)
        printf("same JSON, same key order\n");
    return ok ? 0 : 1;
}
