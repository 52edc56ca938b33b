/* Internal: the pieces shared by the expiry_*.c files. Every function here
 * works on a (pointer, length) slice that the caller has already trimmed and
 * reports failure as -1 without a message: the public wrappers in each file
 * know which string to quote. */
#ifndef PT_MEMO_EXPIRY_INTERNAL_H
#define PT_MEMO_EXPIRY_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ponty/expiry.h"

/* Exact decimal arithmetic: "1494012444000.883309" must land on the same
 * microsecond as aquiche, and a double cannot hold it exactly. gcc and clang
 * both provide 128-bit integers on the 64-bit targets ponty supports. */
__extension__ typedef __int128 pt__i128;

#define PT_US_PER_S   INT64_C(1000000)
#define PT_US_PER_DAY (INT64_C(86400) * PT_US_PER_S)
#define PT_PICO_PER_S ((pt__i128)1000000000000LL)

/* datetime.min and datetime.max (0001-01-01 .. 9999-12-31T23:59:59.999999)
 * in epoch microseconds: the range every absolute time is clamped to. */
#define PT_EPOCH_US_MIN INT64_C(-62135596800000000)
#define PT_EPOCH_US_MAX INT64_C(253402300799999999)

/* A decimal literal ([+-]digits[.digits][e[+-]digits], Python float()'s
 * grammar without inf/nan/underscores), in units of 1e-12. huge is set when
 * the magnitude is beyond ~1e26, where only the sign matters to callers. */
typedef struct pt__dec {
    pt__i128 pico;
    bool huge;
} pt__dec_t;

int pt__exp_dec_parse(const char *s, size_t n, pt__dec_t *out);

/* aquiche's from_unix_seconds: the unit (s, ms, us, ns) is guessed from the
 * magnitude, and the result is clamped to [datetime.min, datetime.max]. */
int64_t pt__exp_unix_to_us(const pt__dec_t *d);

/* True when aquiche would read the number as a timestamp (int(v) > 1e8). */
bool pt__exp_dec_is_timestamp(const pt__dec_t *d);

/* Duration grammars (Django, ISO 8601, unit sums), no numbers-as-floats. */
int pt__exp_duration_us(const char *s, size_t n, int64_t *us);

/* String date-times, dates and times of day (no numeric forms). */
int pt__exp_datetime_us(const char *s, size_t n, int64_t *epoch_us);
int pt__exp_date_us(const char *s, size_t n, int64_t *epoch_us);
int pt__exp_timeofday(const char *s, size_t n, pt_timeofday_t *out);

/* Days since 1970-01-01 of a proleptic Gregorian date (any year). */
int64_t pt__exp_days_from_civil(int64_t y, unsigned m, unsigned d);

/* Floor division, for instants before the epoch. */
static inline int64_t pt__exp_floordiv(int64_t a, int64_t b)
{
    int64_t q = a / b;
    return (a % b != 0 && ((a < 0) != (b < 0))) ? q - 1 : q;
}

/* Saturating a + b, so "never"-sized durations do not wrap into the past. */
static inline int64_t pt__exp_add_sat(int64_t a, int64_t b)
{
    int64_t r;
    if (__builtin_add_overflow(a, b, &r))
        return b > 0 ? INT64_MAX : INT64_MIN;
    return r;
}

/* Strips ASCII whitespace from both ends of the slice. */
void pt__exp_trim(const char **s, size_t *n);

/* Writes "invalid <what> '<s>'" (and ": <why>" when why is given) to err,
 * shortening a long quoted string with "...". Always returns -1. */
int pt__exp_fail(char *err, size_t errlen, const char *what, const char *s, size_t n,
                const char *why);

#endif /* PT_MEMO_EXPIRY_INTERNAL_H */
