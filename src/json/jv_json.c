/* The bridges between the parsed tree (pt_jv_t, parse.c) and jansson:
 * a tree to json_t values (for routes that ask for jansson, and for
 * pt_jv_to_json), and a json_t to a tree in an arena (validation of a
 * json_t through the tree's validator). Objects are read through the
 * member layout objiter.c probed when it is trusted. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "jdoc.h"
#include "schema.h"

json_t *pt_jv_to_json(const pt_jv_t *v) { return pt__jv_to_json_cb(v, NULL, NULL); }

json_t *pt__jv_to_json_cb(const pt_jv_t *v, void (*on_big)(void *ctx, const json_t *real, const pt_jv_t *big),
                          void *ctx)
{
    switch ((pt_jv_type_t)v->type) {
    case PT_JV_NULL: return json_null();
    case PT_JV_FALSE: return json_false();
    case PT_JV_TRUE: return json_true();
    case PT_JV_INT: return json_integer(v->u.i);
    case PT_JV_BIGINT: {
        json_t *r = json_real(pt__jv_big_double(v));
        if (r && on_big)
            on_big(ctx, r, v);
        return r;
    }
    case PT_JV_REAL:
        if (!isfinite(v->u.d)) { /* 1e400: json_t holds no infinity */
            if (on_big)
                on_big(ctx, NULL, v);
            return NULL;
        }
        return json_real(v->u.d);
    case PT_JV_STRING: return json_stringn_nocheck(v->u.s, v->len);
    case PT_JV_ARRAY: {
        json_t *a = json_array();
        for (size_t i = 0; a && i < v->len; i++) {
            json_t *x = pt__jv_to_json_cb(&v->u.items[i], on_big, ctx);
            if (!x || json_array_append_new(a, x)) {
                json_decref(a);
                return NULL;
            }
        }
        return a;
    }
    case PT_JV_OBJECT: {
        json_t *o = json_object();
        for (size_t i = 0; o && i < v->len; i++) {
            const pt_jmember_t *m = &v->u.members[i];
            json_t *x = pt__jv_to_json_cb(&m->v, on_big, ctx);
            if (!x || json_object_setn_new_nocheck(o, m->key, m->klen, x)) {
                json_decref(o);
                return NULL;
            }
        }
        return o;
    }
    }
    return NULL;
}

/* The tree borrows j's strings and keys (jansson keeps them NUL-terminated
 * and alive as long as j): only the arrays of items and members are new. */
static bool jv_from_json(jalloc_t *a, const json_t *j, pt_jv_t *out, const objiter_layout_t *L);

bool pt__jv_from_json(jalloc_t *a, const json_t *j, pt_jv_t *out)
{
    /* the probe has run (pthread_once: its result is visible to this
     * thread) before objects are read through it */
    pt__objiter_init();
    return jv_from_json(a, j, out, pt__objiter_layout.ok ? &pt__objiter_layout : NULL);
}

static bool jv_from_json(jalloc_t *a, const json_t *j, pt_jv_t *out, const objiter_layout_t *L)
{
    memset(out, 0, sizeof *out);
    switch (json_typeof(j)) {
    case JSON_NULL: out->type = PT_JV_NULL; return true;
    case JSON_FALSE: out->type = PT_JV_FALSE; return true;
    case JSON_TRUE: out->type = PT_JV_TRUE; return true;
    case JSON_INTEGER: out->type = PT_JV_INT; out->u.i = json_integer_value(j); return true;
    case JSON_REAL: out->type = PT_JV_REAL; out->u.d = json_real_value(j); return true;
    case JSON_STRING:
        out->type = PT_JV_STRING;
        out->len = (uint32_t)json_string_length(j);
        out->u.s = json_string_value(j);
        return true;
    case JSON_ARRAY: {
        size_t n = json_array_size(j);
        pt_jv_t *items = jalloc(a, n * sizeof *items + 1);
        if (!items)
            return false;
        for (size_t i = 0; i < n; i++)
            if (!jv_from_json(a, json_array_get(j, i), &items[i], L))
                return false;
        out->type = PT_JV_ARRAY;
        out->len = (uint32_t)n;
        out->u.items = items;
        return true;
    }
    case JSON_OBJECT: {
        size_t n = json_object_size(j), i = 0;
        pt_jmember_t *m = jalloc(a, n * sizeof *m + 1);
        if (!m)
            return false;
        if (L) { /* the probed member layout: no call per member */
            const char *end = (const char *)j + L->head, *it;
            memcpy(&it, end + L->next, sizeof it);
            for (; it != end && i < n; i++) {
                const json_t *v;
                memcpy(&m[i].klen, it + L->keylen, sizeof m[i].klen);
                m[i].key = it + L->key;
                memcpy(&v, it + L->value, sizeof v);
                if (!jv_from_json(a, v, &m[i].v, L))
                    return false;
                memcpy(&it, it + L->next, sizeof it);
            }
        } else {
            for (void *it = json_object_iter((json_t *)j); it; it = json_object_iter_next((json_t *)j, it), i++) {
                m[i].klen = json_object_iter_key_len(it);
                m[i].key = json_object_iter_key(it);
                if (!jv_from_json(a, json_object_iter_value(it), &m[i].v, L))
                    return false;
            }
        }
        out->type = PT_JV_OBJECT;
        out->len = (uint32_t)n;
        out->u.members = m;
        return true;
    }
    }
    return false;
}
