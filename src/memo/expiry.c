/* The expiration entry point: which kind of expiration a string is, data
 * pointers into the loaded JSON value, callbacks, and resolving any of them
 * to the absolute expiry of one cached value. */
#include <stdio.h>
#include <string.h>

#include "expiry.h"

/* ---- shared helpers ------------------------------------------------------ */

static bool is_space(char c) { return c == ' ' || (c >= '\t' && c <= '\r'); }

void pt__exp_trim(const char **s, size_t *n)
{
    if (!*s)
        return;
    while (*n > 0 && is_space(**s)) {
        (*s)++;
        (*n)--;
    }
    while (*n > 0 && is_space((*s)[*n - 1]))
        (*n)--;
}

int pt__exp_fail(char *err, size_t errlen, const char *what, const char *s, size_t n,
                const char *why)
{
    if (!err || errlen == 0)
        return -1;
    /* Quote at most 200 bytes: the message must stay readable in a log line
     * even when someone feeds a megabyte of garbage. */
    const size_t max_quote = 200;
    const char *ellipsis = "";
    if (!s) {
        s = "";
        n = 0;
    }
    if (n > max_quote) {
        n = max_quote;
        ellipsis = "...";
    }
    snprintf(err, errlen, "invalid %s '%.*s%s'%s%s", what, (int)n, s, ellipsis,
             why ? ": " : "", why ? why : "");
    return -1;
}

static bool equals_nocase(const char *s, size_t n, const char *word)
{
    size_t k = 0;
    for (; k < n && word[k]; k++) {
        char c = s[k];
        if (c >= 'A' && c <= 'Z')
            c = (char)(c - 'A' + 'a');
        if (c != word[k])
            return false;
    }
    return k == n && word[k] == '\0';
}

/* ---- constructors -------------------------------------------------------- */

pt_expiry_t pt_expiry_never(void)
{
    return (pt_expiry_t){ .kind = PT_EXPIRY_NEVER, .at_ms = PT_EXPIRY_NEVER_MS };
}

pt_expiry_t pt_expiry_bool(bool expired)
{
    /* aquiche: True means "expired, call again"; False means "not expired",
     * which, being constant, is the same as never. */
    if (expired)
        return (pt_expiry_t){ .kind = PT_EXPIRY_ALWAYS, .at_ms = PT_EXPIRY_ALWAYS_MS };
    return pt_expiry_never();
}

pt_expiry_t pt_expiry_ttl_ms(int64_t ttl_ms, int64_t now_ms)
{
    return (pt_expiry_t){ .kind = PT_EXPIRY_DURATION, .ttl_ms = ttl_ms,
                          .at_ms = pt__exp_add_sat(now_ms, ttl_ms) };
}

pt_expiry_t pt_expiry_at_ms(int64_t epoch_ms)
{
    return (pt_expiry_t){ .kind = PT_EXPIRY_AT, .at_ms = epoch_ms };
}

pt_expiry_t pt_expiry_callback(pt_expiry_fn fn, void *ud)
{
    return (pt_expiry_t){ .kind = PT_EXPIRY_CALLBACK, .fn = fn, .ud = ud };
}

pt_expiry_t pt_expiry_timeofday(const pt_timeofday_t *t, int64_t now_ms)
{
    return (pt_expiry_t){ .kind = PT_EXPIRY_TIMEOFDAY, .tod = *t,
                          .at_ms = pt_timeofday_next_ms(t, now_ms) };
}

/* Python's float("inf") spellings, which aquiche turns into datetime.max
 * (+) or datetime.min (-): 1 for +infinity, -1 for -infinity, 0 otherwise. */
static int infinity_sign(const char *s, size_t n)
{
    int sign = 1;
    if (n > 0 && (s[0] == '+' || s[0] == '-')) {
        sign = s[0] == '-' ? -1 : 1;
        s++;
        n--;
    }
    return equals_nocase(s, n, "inf") || equals_nocase(s, n, "infinity") ? sign : 0;
}

/* ---- the string entry point -------------------------------------------- */

int pt_expiry_parsen(const char *s, size_t n, int64_t now_ms, pt_expiry_t *out,
                     char *err, size_t errlen)
{
    if (!s) {
        *out = pt_expiry_never(); /* aquiche: None */
        return 0;
    }
    pt__exp_trim(&s, &n);
    if (n == 0)
        return pt__exp_fail(err, errlen, "expiration", s, n, NULL);

    if (n >= 2 && s[0] == '$' && s[1] == '.') {
        /* aquiche strips every leading '$' and '.' ("$..a" is "a") */
        size_t k = 0;
        while (k < n && (s[k] == '$' || s[k] == '.'))
            k++;
        if (k == n)
            return pt__exp_fail(err, errlen, "expiration", s, n, "empty data pointer");
        *out = (pt_expiry_t){ .kind = PT_EXPIRY_POINTER, .path = s + k, .path_len = n - k };
        return 0;
    }

    /* C has no None/True to pass through a string API, and config files
     * need them too: these two words are ponty's. */
    if (equals_nocase(s, n, "never")) {
        *out = pt_expiry_never();
        return 0;
    }
    if (equals_nocase(s, n, "always")) {
        *out = pt_expiry_bool(true);
        return 0;
    }

    /* Nothing expires after datetime.max or before datetime.min: never and
     * always, without a year-9999 instant to carry around. */
    int inf = infinity_sign(s, n);
    if (inf) {
        *out = pt_expiry_bool(inf < 0);
        return 0;
    }

    /* A plain number follows aquiche's rule for int|float values: seconds,
     * or a timestamp when large. (aquiche itself would read a numeric
     * *string* as a duration of that many seconds, even "1494012444"; the
     * README documents such strings as timestamps, and so does ponty.) */
    pt__dec_t d;
    if (pt__exp_dec_parse(s, n, &d) == 0) {
        if (pt__exp_dec_is_timestamp(&d)) {
            *out = pt_expiry_at_ms(pt__exp_floordiv(pt__exp_unix_to_us(&d), 1000));
            return 0;
        }
        pt__i128 ms = d.pico / 1000000000; /* toward zero, like the durations */
        if (d.huge || ms < INT64_MIN)
            return pt__exp_fail(err, errlen, "expiration", s, n, "duration out of range");
        *out = pt_expiry_ttl_ms((int64_t)ms, now_ms);
        return 0;
    }

    /* aquiche's order: duration, date-time, date, time of day. */
    int64_t us;
    pt_timeofday_t t;
    if (pt__exp_duration_us(s, n, &us) == 0) {
        *out = pt_expiry_ttl_ms(us / 1000, now_ms);
        return 0;
    }
    if (pt__exp_datetime_us(s, n, &us) == 0 || pt__exp_date_us(s, n, &us) == 0) {
        *out = pt_expiry_at_ms(pt__exp_floordiv(us, 1000));
        return 0;
    }
    if (pt__exp_timeofday(s, n, &t) == 0) {
        /* A daily time: each fetch is fresh until the next occurrence, so a
         * cache made today still caches tomorrow. */
        *out = pt_expiry_timeofday(&t, now_ms);
        return 0;
    }
    return pt__exp_fail(err, errlen, "expiration", s, n, NULL);
}

int pt_expiry_parse(const char *s, int64_t now_ms, pt_expiry_t *out, char *err, size_t errlen)
{
    return pt_expiry_parsen(s, s ? strlen(s) : 0, now_ms, out, err, errlen);
}

/* ---- data pointers ------------------------------------------------------- */

static int ptr_fail(char *err, size_t errlen, const char *path, size_t path_len, const char *why)
{
    if (err && errlen > 0)
        snprintf(err, errlen, "expiration pointer '$.%.*s' %s", (int)(path_len > 200 ? 200 : path_len),
                 path, why);
    return -1;
}

/* Walks "a.b.0" from root. Members are looked up by their exact bytes
 * (json_object_getn, so a key may hold any byte but '.'); an all-digit
 * segment indexes an array. */
static const json_t *ptr_walk(const json_t *root, const char *path, size_t len)
{
    const json_t *cur = root;
    size_t i = 0;
    for (;;) {
        const char *dot = memchr(path + i, '.', len - i);
        size_t seg_end = dot ? (size_t)(dot - path) : len;
        const char *seg = path + i;
        size_t seg_len = seg_end - i;
        if (json_is_object(cur)) {
            cur = json_object_getn(cur, seg, seg_len);
        } else if (json_is_array(cur) && seg_len > 0 && seg_len < 19 &&
                   strspn(seg, "0123456789") >= seg_len) {
            size_t idx = 0;
            for (size_t k = 0; k < seg_len; k++)
                idx = idx * 10 + (size_t)(seg[k] - '0');
            cur = json_array_get(cur, idx);
        } else {
            cur = NULL;
        }
        if (!cur || !dot)
            return cur;
        i = seg_end + 1;
    }
}

/* Interprets a JSON field as an expiration; a string that is itself a
 * pointer is followed from the same root. */
static int from_json_field(const json_t *field, const json_t *root, const char *path,
                           size_t path_len, int64_t now_ms, int depth, pt_expiry_t *out,
                           char *err, size_t errlen);

static int from_json_path(const char *path, size_t path_len, const json_t *root, int64_t now_ms,
                          int depth, pt_expiry_t *out, char *err, size_t errlen)
{
    if (depth >= PT_EXPIRY_MAX_DEPTH)
        return ptr_fail(err, errlen, path, path_len, "is nested too deeply (a cycle?)");
    const json_t *field = ptr_walk(root, path, path_len);
    if (!field)
        return ptr_fail(err, errlen, path, path_len, "not found in the value");
    return from_json_field(field, root, path, path_len, now_ms, depth, out, err, errlen);
}

static int from_json_field(const json_t *field, const json_t *root, const char *path,
                           size_t path_len, int64_t now_ms, int depth, pt_expiry_t *out,
                           char *err, size_t errlen)
{
    switch (json_typeof(field)) {
    case JSON_NULL:
        *out = pt_expiry_never();
        return 0;
    case JSON_TRUE:
        *out = pt_expiry_bool(true);
        return 0;
    case JSON_FALSE:
        *out = pt_expiry_bool(false);
        return 0;
    case JSON_INTEGER:
        *out = pt_expiry_from_int((int64_t)json_integer_value(field), now_ms);
        return 0;
    case JSON_REAL:
        return pt_expiry_from_number(json_real_value(field), now_ms, out, err, errlen);
    case JSON_STRING: {
        char why[320];
        if (pt_expiry_parsen(json_string_value(field), json_string_length(field), now_ms, out,
                             why, sizeof why) < 0) {
            if (err && errlen > 0)
                snprintf(err, errlen, "expiration pointer '$.%.*s': %s",
                         (int)(path_len > 200 ? 200 : path_len), path, why);
            return -1;
        }
        if (out->kind == PT_EXPIRY_POINTER)
            return from_json_path(out->path, out->path_len, root, now_ms, depth + 1, out, err,
                                  errlen);
        return 0;
    }
    default:
        return ptr_fail(err, errlen, path, path_len,
                        json_is_object(field) ? "names an object, not an expiration"
                                              : "names an array, not an expiration");
    }
}

int pt_expiry_from_json(const char *pointer, const json_t *value, int64_t now_ms,
                        pt_expiry_t *out, char *err, size_t errlen)
{
    pt_expiry_t p;
    size_t n = pointer ? strlen(pointer) : 0;
    const char *s = pointer;
    pt__exp_trim(&s, &n);
    if (!s || n < 2 || s[0] != '$' || s[1] != '.')
        return pt__exp_fail(err, errlen, "expiration pointer", s, n, "must start with '$.'");
    if (pt_expiry_parsen(s, n, now_ms, &p, err, errlen) < 0)
        return -1;
    return from_json_path(p.path, p.path_len, value, now_ms, 0, out, err, errlen);
}

/* ---- resolving to one value's expiry ------------------------------------ */

static int resolve(const pt_expiry_t *e, const json_t *value, int64_t fetched_ms, bool is_error,
                   int64_t now_ms, int depth, int64_t *at_ms, char *err, size_t errlen)
{
    pt_expiry_t next;
    switch (e->kind) {
    case PT_EXPIRY_NEVER:
        *at_ms = PT_EXPIRY_NEVER_MS;
        return 0;
    case PT_EXPIRY_ALWAYS:
        *at_ms = PT_EXPIRY_ALWAYS_MS;
        return 0;
    case PT_EXPIRY_AT:
        *at_ms = e->at_ms;
        return 0;
    case PT_EXPIRY_DURATION:
        /* a refresh interval runs from the fetch, not from the check */
        *at_ms = pt__exp_add_sat(fetched_ms, e->ttl_ms);
        return 0;
    case PT_EXPIRY_TIMEOFDAY:
        *at_ms = pt_timeofday_next_ms(&e->tod, fetched_ms);
        return 0;
    case PT_EXPIRY_POINTER:
        if (from_json_path(e->path, e->path_len, value, now_ms, depth, &next, err, errlen) < 0)
            return -1;
        break;
    case PT_EXPIRY_CALLBACK:
        if (depth >= PT_EXPIRY_MAX_DEPTH) {
            if (err && errlen > 0)
                snprintf(err, errlen, "expiration callback nested too deeply (a cycle?)");
            return -1;
        }
        if (!e->fn) {
            if (err && errlen > 0)
                snprintf(err, errlen, "expiration callback is NULL");
            return -1;
        }
        if (err && errlen > 0)
            err[0] = '\0';
        if (e->fn(value, fetched_ms, is_error, e->ud, &next, err, errlen) < 0) {
            if (err && errlen > 0 && err[0] == '\0')
                snprintf(err, errlen, "expiration callback failed");
            return -1;
        }
        break;
    default:
        if (err && errlen > 0)
            snprintf(err, errlen, "unknown expiration kind %d", (int)e->kind);
        return -1;
    }
    return resolve(&next, value, fetched_ms, is_error, now_ms, depth + 1, at_ms, err, errlen);
}

int pt_expiry_resolve(const pt_expiry_t *e, const json_t *value, int64_t fetched_ms,
                      bool is_error, int64_t now_ms, int64_t *at_ms, char *err, size_t errlen)
{
    return resolve(e, value, fetched_ms, is_error, now_ms, 0, at_ms, err, errlen);
}
