/* libFuzzer target: key templates, compiled and rendered. The input is a
 * template, a NUL byte, then JSON for the arguments ([args, {kwargs}]);
 * without a NUL the whole input is the template, rendered against fixed
 * arguments. Also the default key of the arguments. */
#include <ponty/memo_key.h>

#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const uint8_t *nul = memchr(data, 0, size);
    size_t tl = nul ? (size_t)(nul - data) : size;
    char *tmpl = malloc(tl + 1);
    if (!tmpl)
        return 0;
    memcpy(tmpl, data, tl);
    tmpl[tl] = '\0';
    json_t *argdoc = NULL;
    if (nul)
        argdoc = json_loadb((const char *)nul + 1, size - tl - 1, JSON_DECODE_ANY, NULL);
    else
        argdoc = json_pack("[[i,s,{s:[i,i]}],{s:s,s:{s:i}}]", 1, "two", "three", 3, 4, "environment",
                           "prod", "user", "id", 7);
    json_t *args = json_is_array(argdoc) ? json_array_get(argdoc, 0) : NULL;
    json_t *kwargs = json_is_array(argdoc) ? json_array_get(argdoc, 1) : NULL;
    if (args && !json_is_array(args))
        args = NULL;
    if (kwargs && !json_is_object(kwargs))
        kwargs = NULL;
    char err[256], buf[512];
    pt_key_template_t *t = pt_key_template_compile(tmpl, err, sizeof err);
    if (t) {
        pt_key_template_render(t, args, kwargs, buf, sizeof buf, err, sizeof err);
        free(pt_key_template_render_dup(t, args, kwargs, err, sizeof err));
        pt_key_template_free(t);
    }
    pt_key_default(args, kwargs, buf, sizeof buf, err, sizeof err);
    free(pt_key_default_dup(args, kwargs, err, sizeof err));
    pt_key_hash(data, size, 42);
    json_decref(argdoc);
    free(tmpl);
    return 0;
}
