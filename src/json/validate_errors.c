/* Error records. The walker keeps paths as chains of stack-held segments
 * (seg_t); they become strings here, only once an error is recorded:
 * pt__v_emit() builds a worded record (M_FIRST, M_ALL), pt__v_locate() only where the
 * first error is (M_LOC, pt_schema_check). A located failure is worded
 * later, on request, by walking again (pt_schema_fail_error). */
#include <stdlib.h>
#include <string.h>

#include "validate.h"

/* ----------------------------------------------------------------- paths */

static void path_rec(sbuf_t *b, const seg_t *s)
{
    if (!s)
        return;
    path_rec(b, s->up);
    sb_putn(b, "/", 1);
    if (!s->key) {
        pt__sb_int(b, (long long)s->idx);
        return;
    }
    /* copy runs between the characters JSON Pointer escapes */
    const char *p = s->key;
    for (;;) {
        size_t run = 0;
        while (p[run] && p[run] != '~' && p[run] != '/')
            run++;
        sb_putn(b, p, run);
        p += run;
        if (!*p)
            break;
        pt__sb_puts(b, *p == '~' ? "~0" : "~1");
        p++;
    }
}

/* Writes the JSON Pointer of the segment chain s (then of the keyword kw,
 * if any) at buf + *pos, NUL-terminated; false when cap is too small or
 * the chain too deep (the caller then falls back to path_rec). */
static bool path_put(char *buf, size_t cap, size_t *pos, const seg_t *s, const char *kw)
{
    const seg_t *chain[48];
    size_t n = 0;
    for (; s; s = s->up) {
        if (n == sizeof chain / sizeof *chain)
            return false;
        chain[n++] = s;
    }
    size_t p = *pos;
    for (size_t j = 0; j < n + (kw != NULL); j++) {
        size_t i = n - 1 - j; /* outermost first; j == n is kw */
        const char *key = j == n ? kw : chain[i]->key;
        if (p + 1 >= cap)
            return false;
        buf[p++] = '/';
        if (!key) {
            char d[24];
            size_t nd = 0, v = chain[i]->idx;
            do
                d[nd++] = (char)('0' + v % 10);
            while ((v /= 10));
            if (p + nd >= cap)
                return false;
            while (nd)
                buf[p++] = d[--nd];
            continue;
        }
        for (; *key; key++) {
            if (p + 2 >= cap)
                return false;
            char ch = *key;
            if (__builtin_expect(ch == '~' || ch == '/', 0)) {
                buf[p++] = '~';
                ch = ch == '~' ? '0' : '1';
            }
            buf[p++] = ch;
        }
    }
    buf[p] = 0;
    *pos = p + 1;
    return true;
}

/* M_LOC: records the first error's keyword and paths in the caller's
 * record (its own buffer unless the paths are long). */
void pt__v_locate(vctx_t *c, const char *kw, const seg_t *ip, const seg_t *sp)
{
    pt_schema_fail_t *f = c->fail;
    if (f->rc_)
        return;
    size_t pos = 0;
    if (path_put(f->buf_, sizeof f->buf_, &pos, ip, NULL)) {
        size_t soff = pos;
        if (path_put(f->buf_, sizeof f->buf_, &pos, sp, kw)) {
            f->instance_path = f->buf_;
            f->schema_path = f->buf_ + soff;
            f->keyword = kw;
            f->rc_ = 1;
            return;
        }
    }
    /* long paths: on the heap */
    sbuf_t b = {0};
    path_rec(&b, ip);
    sb_putn(&b, "", 1);
    size_t soff = b.len;
    path_rec(&b, sp);
    if (kw) {
        seg_t l = {NULL, kw, 0};
        path_rec(&b, &l);
    }
    sb_putn(&b, "", 1);
    if (b.oom) {
        free(b.s);
        c->oom = true;
        return;
    }
    f->heap_ = b.s;
    f->instance_path = b.s;
    f->schema_path = b.s + soff;
    f->keyword = kw;
    f->rc_ = 1;
}

/* Records one error; msg is consumed. The paths are appended to the
 * message's buffer so the record is a single allocation. */
void pt__v_emit(vctx_t *c, const char *kw, const seg_t *ip, const seg_t *sp, sbuf_t *msg)
{
    pt_schema_error_t e = {0};
    if (c->mode == M_LOC) {
        free(msg->s);
        pt__v_locate(c, kw, ip, sp);
        return;
    }
    sb_putn(msg, "", 1);
    size_t ioff = msg->len;
    path_rec(msg, ip);
    sb_putn(msg, "", 1);
    size_t soff = msg->len;
    path_rec(msg, sp);
    if (kw) {
        seg_t l = {NULL, kw, 0};
        path_rec(msg, &l);
    }
    if (!pt__err_take(&e, msg, ioff, soff, kw)) {
        c->oom = true;
        return;
    }
    if (c->mode == M_FIRST) {
        if (c->first && !c->first->message)
            *c->first = e;
        else
            pt_schema_error_clear(&e);
        return;
    }
    pt_schema_errors_t *l = c->all;
    if (l->count == l->cap_) {
        size_t cap = l->cap_ ? l->cap_ * 2 : 8;
        pt_schema_error_t *v = realloc(l->items, cap * sizeof *v);
        if (!v) {
            pt_schema_error_clear(&e);
            c->oom = true;
            return;
        }
        l->items = v;
        l->cap_ = cap;
    }
    l->items[l->count++] = e;
}

/* ------------------------------------------------- the lazy failure record */

int pt_schema_fail_error(const pt_schema_fail_t *f, pt_schema_error_t *err)
{
    if (!f || !f->rc_) {
        if (err && err->message)
            pt_schema_error_clear(err);
        return 0;
    }
    /* the walk is deterministic: the first error it words is the one located */
    return f->instance_ ? pt_schema_validate(f->schema_, f->instance_, err)
                        : pt_schema_validate_jv(f->schema_, f->jv_, err);
}

char *pt_schema_fail_message(const pt_schema_fail_t *f)
{
    pt_schema_error_t e = {0};
    if (!f || !f->rc_ || !pt_schema_fail_error(f, &e) || !e.message)
        return NULL;
    return e.message; /* the record's block starts with the message: freeing it frees all */
}

void pt_schema_fail_clear(pt_schema_fail_t *f)
{
    if (!f)
        return;
    free(f->heap_);
    f->heap_ = NULL;
    f->rc_ = 0;
    f->keyword = f->instance_path = f->schema_path = NULL;
    f->schema_ = NULL;
    f->instance_ = NULL;
    f->jv_ = NULL;
}
