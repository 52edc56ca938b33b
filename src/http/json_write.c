/* Python-compatible JSON writer: see json_write.h. */
#include "http/json_write.h"

#include <string.h>

#include "ponty/jsonschema.h"

static const char pt_hex[] = "0123456789abcdef";

static void pt_write_string(pt_buf_t *b, const char *s, size_t n)
{
    pt_buf_reserve(b, n + 2);
    b->data[b->len++] = '"';
    size_t run = 0; /* bytes that need no escaping, copied in one go */
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\') {
            run++;
            continue;
        }
        if (run)
            pt_buf_append(b, s + i - run, run);
        run = 0;
        char esc[12];
        size_t k = 0;
        switch (c) {
        case '"': esc[k++] = '\\'; esc[k++] = '"'; break;
        case '\\': esc[k++] = '\\'; esc[k++] = '\\'; break;
        case '\n': esc[k++] = '\\'; esc[k++] = 'n'; break;
        case '\r': esc[k++] = '\\'; esc[k++] = 'r'; break;
        case '\t': esc[k++] = '\\'; esc[k++] = 't'; break;
        case '\b': esc[k++] = '\\'; esc[k++] = 'b'; break;
        case '\f': esc[k++] = '\\'; esc[k++] = 'f'; break;
        default: {
            /* jansson strings are valid UTF-8: decode and escape as \uXXXX,
             * with a surrogate pair above the BMP, as ensure_ascii does. */
            unsigned cp = c;
            int extra = 0;
            if (c >= 0xf0) { cp = c & 0x07; extra = 3; }
            else if (c >= 0xe0) { cp = c & 0x0f; extra = 2; }
            else if (c >= 0xc0) { cp = c & 0x1f; extra = 1; }
            for (int j = 0; j < extra && i + 1 < n; j++)
                cp = (cp << 6) | ((unsigned char)s[++i] & 0x3f);
            unsigned units[2];
            int nu = 0;
            if (cp >= 0x10000) {
                cp -= 0x10000;
                units[nu++] = 0xd800 | (cp >> 10);
                units[nu++] = 0xdc00 | (cp & 0x3ff);
            } else {
                units[nu++] = cp;
            }
            for (int u = 0; u < nu; u++) {
                esc[k++] = '\\'; esc[k++] = 'u';
                esc[k++] = pt_hex[(units[u] >> 12) & 15];
                esc[k++] = pt_hex[(units[u] >> 8) & 15];
                esc[k++] = pt_hex[(units[u] >> 4) & 15];
                esc[k++] = pt_hex[units[u] & 15];
            }
        }
        }
        pt_buf_append(b, esc, k);
    }
    if (run)
        pt_buf_append(b, s + n - run, run);
    pt_buf_append(b, "\"", 1);
}

static int pt_write_value(pt_buf_t *b, const json_t *v, const pt_bignum_t *bigs, int depth)
{
    if (depth > 1000)
        return -1;
    switch (json_typeof(v)) {
    case JSON_OBJECT: {
        pt_buf_append(b, "{", 1);
        int first = 1;
        /* keys by length: a key may hold "\u0000" */
        for (void *it = json_object_iter((json_t *)v); it; it = json_object_iter_next((json_t *)v, it)) {
            if (!first)
                pt_buf_append(b, ", ", 2);
            first = 0;
            pt_write_string(b, json_object_iter_key(it), json_object_iter_key_len(it));
            pt_buf_append(b, ": ", 2);
            if (pt_write_value(b, json_object_iter_value(it), bigs, depth + 1))
                return -1;
        }
        pt_buf_append(b, "}", 1);
        return 0;
    }
    case JSON_ARRAY: {
        pt_buf_append(b, "[", 1);
        size_t n = json_array_size(v);
        for (size_t i = 0; i < n; i++) {
            if (i)
                pt_buf_append(b, ", ", 2);
            if (pt_write_value(b, json_array_get(v, i), bigs, depth + 1))
                return -1;
        }
        pt_buf_append(b, "]", 1);
        return 0;
    }
    case JSON_STRING:
        pt_write_string(b, json_string_value(v), json_string_length(v));
        return 0;
    case JSON_INTEGER:
        pt_buf_int(b, (long long)json_integer_value(v));
        return 0;
    case JSON_REAL: {
        for (const pt_bignum_t *g = bigs; g; g = g->next)
            if (g->real == v && g->value == json_real_value(v)) {
                pt_buf_append(b, g->digits, g->len);
                return 0;
            }
        char tmp[32];
        int n = pt_py_float_repr(json_real_value(v), tmp, true);
        pt_buf_append(b, tmp, (size_t)n);
        return 0;
    }
    case JSON_TRUE: pt_buf_append(b, "true", 4); return 0;
    case JSON_FALSE: pt_buf_append(b, "false", 5); return 0;
    case JSON_NULL: pt_buf_append(b, "null", 4); return 0;
    }
    return -1;
}

int pt_json_write(pt_buf_t *b, const json_t *v, const pt_bignum_t *bigs)
{
    return pt_write_value(b, v, bigs, 0);
}
