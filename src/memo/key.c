/* The default cache key of a call: canonical JSON of [args, kwargs].
 *
 * JSON already tags every value with its type ("1" vs 1, true vs "true"),
 * quotes and escapes strings (so ["a,b"] cannot read as ["a","b"]), and
 * keeps positional and named arguments apart. What it leaves open — member
 * order and the spelling of reals — is pinned down here: members sorted,
 * reals printed with 17 significant digits, which round-trip every double. */
#include <stdio.h>
#include <stdlib.h>

#include "ponty/memo_key.h"
#include "key.h"

#define PT_KEY_JSON_FLAGS \
    (JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY | JSON_REAL_PRECISION(17))

static int sink_cb(const char *buffer, size_t size, void *data)
{
    pt__key_put((pt__key_sink_t *)data, buffer, size);
    return 0;
}

int pt__key_put_json(pt__key_sink_t *s, const json_t *v)
{
    /* Dump through a callback: json_dumpb() drops whole chunks that do not
     * fit, which would break the "write what fits" contract. */
    return json_dump_callback(v, sink_cb, s, PT_KEY_JSON_FLAGS);
}

static void set_err(char *err, size_t errlen, const char *msg)
{
    if (err && errlen > 0)
        snprintf(err, errlen, "%s", msg);
}

ptrdiff_t pt_key_default(const json_t *args, const json_t *kwargs, char *buf, size_t cap,
                         char *err, size_t errlen)
{
    if (args && !json_is_array(args)) {
        set_err(err, errlen, "key arguments: args must be a JSON array");
        return -1;
    }
    if (kwargs && !json_is_object(kwargs)) {
        set_err(err, errlen, "key arguments: kwargs must be a JSON object");
        return -1;
    }
    pt__key_sink_t s = { .buf = buf, .cap = buf ? cap : 0 };
    pt__key_put(&s, "[", 1);
    if (args) {
        if (pt__key_put_json(&s, args) < 0)
            goto bad;
    } else {
        pt__key_put(&s, "[]", 2);
    }
    pt__key_put(&s, ",", 1);
    if (kwargs) {
        if (pt__key_put_json(&s, kwargs) < 0)
            goto bad;
    } else {
        pt__key_put(&s, "{}", 2);
    }
    pt__key_put(&s, "]", 1);
    return pt__key_finish(&s);
bad:
    /* jansson refuses only strings that are not valid UTF-8 */
    set_err(err, errlen, "key arguments: cannot encode the arguments as JSON (invalid UTF-8?)");
    return -1;
}

char *pt_key_default_dup(const json_t *args, const json_t *kwargs, char *err, size_t errlen)
{
    ptrdiff_t n = pt_key_default(args, kwargs, NULL, 0, err, errlen);
    if (n < 0)
        return NULL;
    char *key = malloc((size_t)n + 1);
    if (!key) {
        set_err(err, errlen, "key arguments: out of memory");
        return NULL;
    }
    pt_key_default(args, kwargs, key, (size_t)n + 1, err, errlen);
    return key;
}
