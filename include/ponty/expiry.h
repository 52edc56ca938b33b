/* ponty/expiry.h — the cache expiration grammar (aquiche's, in C).
 *
 * An expiration says when a cached value stops being fresh. It is given as a
 * string ("10 minutes", "PT5M", "2023-01-31T12:00:00+02:00", "11:05Z",
 * "$.token.expiration", ...), as a number (seconds or a unix timestamp, by
 * magnitude), as a TTL or an instant in milliseconds, as a boolean, or as a
 * callback that looks at the loaded value. docs/memo-expiry.md has the full
 * grammar with examples.
 *
 * Everything here is pure: no global state, no allocation, no dependence on
 * the process time zone (a date-time without an offset is UTC, as in aquiche).
 * All functions are thread-safe. Times are milliseconds since the Unix epoch
 * (UTC); the *_us parsers keep aquiche's microsecond resolution.
 *
 * Errors: functions returning int give 0 on success and -1 on a bad input,
 * with a message in err (when err is not NULL and errlen > 0) that quotes the
 * bad string, e.g. "invalid expiration '1x2y'". Messages are truncated to
 * errlen; 256 bytes is always enough for the fixed part.
 */
#ifndef PONTY_EXPIRY_H
#define PONTY_EXPIRY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Markers in pt_expiry_t.at_ms, chosen so that "expired" is always the plain
 * test now_ms >= at_ms: never true for NEVER, always true for ALWAYS. */
#define PT_EXPIRY_NEVER_MS  INT64_MAX
#define PT_EXPIRY_ALWAYS_MS INT64_MIN

/* Pointers and callbacks may return further pointers or callbacks; this many
 * hops are followed before giving up, so a pointer that names itself fails
 * instead of looping. */
#define PT_EXPIRY_MAX_DEPTH 8

typedef enum pt_expiry_kind {
    PT_EXPIRY_NEVER,     /* never expires (aquiche: None, False) */
    PT_EXPIRY_ALWAYS,    /* already expired, refetch every time (aquiche: True) */
    PT_EXPIRY_DURATION,  /* refresh interval counted from the fetch (timedelta) */
    PT_EXPIRY_AT,        /* a fixed instant (datetime, date) */
    PT_EXPIRY_POINTER,   /* "$.a.b": read the expiration from the loaded value */
    PT_EXPIRY_CALLBACK,  /* ask a function, given the loaded value */
    PT_EXPIRY_TIMEOFDAY, /* "12:00Z": a daily time, the next one after each fetch */
} pt_expiry_kind_t;

typedef struct pt_expiry pt_expiry_t;

typedef struct pt_timeofday {
    int64_t us;        /* since midnight, 0 .. 86399999999 */
    int offset_min;    /* UTC offset in minutes, e.g. -330 for "-05:30" */
    bool has_offset;   /* false when the string had none (taken as UTC) */
} pt_timeofday_t;

/* An expiration decided by the caller from the loaded value (aquiche's
 * function/coroutine expiration, given its CachedItem). value is the cached
 * value, or the cached error when is_error (negative caching); fetched_ms is
 * when it was loaded. Fill *out with any kind of expiration (a pointer is
 * resolved against the same value) and return 0, or return -1 with a message
 * in err. The callback must be thread-safe if the cache is shared. */
typedef int (*pt_expiry_fn)(const json_t *value, int64_t fetched_ms, bool is_error,
                            void *ud, pt_expiry_t *out, char *err, size_t errlen);

struct pt_expiry {
    pt_expiry_kind_t kind;
    /* The absolute expiry, epoch ms: NEVER -> PT_EXPIRY_NEVER_MS, ALWAYS ->
     * PT_EXPIRY_ALWAYS_MS, DURATION -> now + ttl_ms (saturating), AT -> the
     * instant, TIMEOFDAY -> the first occurrence of that time after now.
     * Unused (0) for POINTER and CALLBACK, which need the value. */
    int64_t at_ms;
    /* DURATION: the interval, so a cache can re-arm it on every fetch. It
     * may be negative ("-5" seconds), which is simply already expired. */
    int64_t ttl_ms;
    /* POINTER: the dotted path after "$.", borrowed from the parsed string
     * (not NUL-terminated at path_len): keep that string alive. */
    const char *path;
    size_t path_len;
    /* CALLBACK */
    pt_expiry_fn fn;
    void *ud;
    /* TIMEOFDAY: the daily time; each fetch is cached until its next
     * occurrence, so a long-lived cache re-arms it every day. */
    pt_timeofday_t tod;
};

/* ---- the entry point --------------------------------------------------- */

/* Parses an expiration string, as aquiche does for a str value. now_ms is the
 * time of evaluation: durations count from it (at_ms) and a time of day is a
 * PT_EXPIRY_TIMEOFDAY whose at_ms is its next occurrence after now_ms (in
 * the time's own offset, UTC when it has none); resolving it against a
 * fetch gives the next occurrence after that fetch.
 *
 * NULL means never (aquiche: None). Surrounding whitespace is ignored. Forms,
 * tried in this order: "$.path" data pointer; "never" / "always"; "inf",
 * "+inf", "infinity" (never: aquiche's datetime.max) and "-inf",
 * "-infinity" (always: datetime.min), any case; a plain number (seconds, or
 * a unix timestamp in s/ms/us/ns when above 1e8); a duration; a date-time;
 * a date (midnight UTC); a time of day. */
int pt_expiry_parse(const char *s, int64_t now_ms, pt_expiry_t *out, char *err, size_t errlen);

/* Same, for a string that is not NUL-terminated. */
int pt_expiry_parsen(const char *s, size_t len, int64_t now_ms, pt_expiry_t *out,
                     char *err, size_t errlen);

/* Reads the expiration at pointer ("$.token.expiration") inside value and
 * interprets it with the rules above: null -> never, true -> always,
 * false -> never, numbers by magnitude, strings by pt_expiry_parse (a string
 * that is itself a pointer is followed). Path segments name object members;
 * an all-digit segment also indexes an array. The result is never a POINTER
 * or CALLBACK. A missing field is an error naming the pointer. */
int pt_expiry_from_json(const char *pointer, const json_t *value, int64_t now_ms,
                        pt_expiry_t *out, char *err, size_t errlen);

/* Turns any expiration into the absolute expiry of one cached value: follows
 * pointers and callbacks (up to PT_EXPIRY_MAX_DEPTH hops) and counts a
 * duration from fetched_ms. now_ms places a time of day. *at_ms receives an
 * epoch ms or one of the markers; the value is expired when now >= *at_ms. */
int pt_expiry_resolve(const pt_expiry_t *e, const json_t *value, int64_t fetched_ms,
                      bool is_error, int64_t now_ms, int64_t *at_ms,
                      char *err, size_t errlen);

/* True when a value whose resolved expiry is at_ms is stale at now_ms. */
static inline bool pt_expiry_is_expired(int64_t at_ms, int64_t now_ms)
{
    return now_ms >= at_ms;
}

/* ---- non-string expirations ------------------------------------------- */

/* aquiche's int|float rule: a number whose integer part is above 1e8 is a
 * unix timestamp (seconds; above 2e10 milliseconds, then microseconds,
 * nanoseconds; beyond 3e20 the end of year 9999), anything else is a
 * duration in seconds. Fractions are kept to the microsecond. +infinity is
 * never and -infinity always (datetime.max and .min); NaN is an error. */
int pt_expiry_from_number(double value, int64_t now_ms, pt_expiry_t *out, char *err, size_t errlen);
/* The same rule for an integer (no rounding through double). */
pt_expiry_t pt_expiry_from_int(int64_t value, int64_t now_ms);

pt_expiry_t pt_expiry_never(void);                          /* None */
pt_expiry_t pt_expiry_bool(bool expired);                   /* True/False */
pt_expiry_t pt_expiry_ttl_ms(int64_t ttl_ms, int64_t now_ms); /* timedelta */
pt_expiry_t pt_expiry_at_ms(int64_t epoch_ms);              /* datetime */
pt_expiry_t pt_expiry_callback(pt_expiry_fn fn, void *ud);  /* function */

/* ---- the pieces of the grammar ----------------------------------------- */

/* Durations (aquiche's parse_duration): "[-]D [day[s], ][[H:]M:]S[.f]"
 * (Django), ISO 8601 "[-+]P[nD][T[nH][nM][nS]]" with decimal fractions (no
 * years, months or weeks: they have no fixed length), and sums of
 * "<integer> <unit>" with units s, second(s), m, minute(s), h, hour(s),
 * d, day(s), any case, spaces optional ("1d42m6s", "1 minute 2 days").
 * Microseconds beyond the sixth fractional digit are dropped. */
int pt_duration_parse_us(const char *s, int64_t *us, char *err, size_t errlen);
/* In whole milliseconds, truncated toward zero. */
int pt_duration_parse_ms(const char *s, int64_t *ms, char *err, size_t errlen);

/* Date-times (aquiche's parse_datetime): "YYYY-M-D[T ]H:M[:S[.f]][Z|+HH[[:]MM]]"
 * (naive means UTC) or a plain number read as a unix timestamp whose unit is
 * picked by magnitude (see pt_expiry_from_number). Result in epoch us. */
int pt_datetime_parse_us(const char *s, int64_t *epoch_us, char *err, size_t errlen);

/* Dates (aquiche's parse_date): "YYYY-M-D", or a number as a timestamp;
 * result is that day's midnight UTC in epoch us. */
int pt_date_parse_us(const char *s, int64_t *epoch_us, char *err, size_t errlen);

/* Times of day (aquiche's parse_time): "H:M[:S[.f]][Z|+HH[[:]MM]]", or a
 * number of seconds since midnight below 86400. */
int pt_timeofday_parse(const char *s, pt_timeofday_t *out, char *err, size_t errlen);

/* The instant, in epoch ms, of that time of day on the calendar day that
 * contains now_ms in the time's own offset ("today at this time", which may
 * already have passed). */
int64_t pt_timeofday_today_ms(const pt_timeofday_t *t, int64_t now_ms);
/* The first instant of that time of day strictly after after_ms. */
int64_t pt_timeofday_next_ms(const pt_timeofday_t *t, int64_t after_ms);
pt_expiry_t pt_expiry_timeofday(const pt_timeofday_t *t, int64_t now_ms);

/* The forms accepted, for messages about a bad expiration (a cache's
 * creation error ends with it). */
#define PT_EXPIRY_EXPECTED                                                              \
    "expected a duration such as \"10 minutes\", \"PT5M\", \"1h30m\" or \"90\" (seconds), " \
    "a time of day \"12:00Z\", a date-time \"2030-01-31T12:00:00+02:00\", a date, "      \
    "a unix timestamp, \"never\", \"always\", \"inf\", or \"$.pointer\""

/* Any absolute time: a date-time, a date or a time of day (today), tried in
 * that order, in epoch ms (floored). */
int pt_time_parse_ms(const char *s, int64_t now_ms, int64_t *epoch_ms, char *err, size_t errlen);

#ifdef __cplusplus
}
#endif

#endif /* PONTY_EXPIRY_H */
