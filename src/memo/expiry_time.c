/* Absolute times: date-times, dates and times of day, as aquiche's
 * parse_datetime / parse_date / parse_time read them (pydantic v1's
 * grammar), plus the calendar arithmetic to turn them into epoch time.
 *
 * No time zone database is involved: a date-time without an offset is UTC
 * (aquiche adds timezone.utc to naive values), so results never depend on
 * the process TZ. */
#include <string.h>

#include "expiry.h"

static bool is_digit(char c) { return c >= '0' && c <= '9'; }

/* Howard Hinnant's days_from_civil: exact for every proleptic Gregorian
 * date, no tables, no mktime (which would consult the local zone). */
int64_t pt__exp_days_from_civil(int64_t y, unsigned m, unsigned d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    unsigned yoe = (unsigned)(y - era * 400);
    unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

static bool is_leap(int y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

static int days_in_month(int y, int m)
{
    static const int dim[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
    return m == 2 && is_leap(y) ? 29 : dim[m - 1];
}

/* Reads between min and max digits. The regex is greedy and every field is
 * followed by a non-digit delimiter, so greedy reading never needs to give
 * digits back. */
static int digits(const char *s, size_t n, size_t *pos, int min, int max, int *out)
{
    int v = 0, k = 0;
    while (*pos < n && k < max && is_digit(s[*pos])) {
        v = v * 10 + (s[*pos] - '0');
        (*pos)++;
        k++;
    }
    if (k < min)
        return -1;
    *out = v;
    return 0;
}

/* "YYYY-M-D": \d{4}-\d{1,2}-\d{1,2}, then a real calendar date. */
static int parse_date_part(const char *s, size_t n, size_t *pos, int64_t *days)
{
    int y, m, d;
    if (digits(s, n, pos, 4, 4, &y) < 0 || *pos >= n || s[(*pos)++] != '-' ||
        digits(s, n, pos, 1, 2, &m) < 0 || *pos >= n || s[(*pos)++] != '-' ||
        digits(s, n, pos, 1, 2, &d) < 0)
        return -1;
    /* Python's date(): years 1..9999, real months and days (leap years). */
    if (y < 1 || m < 1 || m > 12 || d < 1 || d > days_in_month(y, m))
        return -1;
    *days = pt__exp_days_from_civil(y, (unsigned)m, (unsigned)d);
    return 0;
}

/* "H:M[:S[.f]][Z|+HH[[:]MM]]" up to the end of the slice. */
static int parse_time_part(const char *s, size_t n, size_t *pos, pt_timeofday_t *t)
{
    int h, m, sec = 0, us = 0;
    if (digits(s, n, pos, 1, 2, &h) < 0 || *pos >= n || s[(*pos)++] != ':' ||
        digits(s, n, pos, 1, 2, &m) < 0)
        return -1;
    if (*pos < n && s[*pos] == ':') {
        (*pos)++;
        if (digits(s, n, pos, 1, 2, &sec) < 0)
            return -1;
        if (*pos < n && s[*pos] == '.') {
            /* "\.(\d{1,6})\d{0,6}": six digits count, six more are allowed
             * and ignored. */
            (*pos)++;
            size_t start = *pos;
            while (*pos < n && is_digit(s[*pos]) && *pos - start < 12) {
                if (*pos - start < 6)
                    us = us * 10 + (s[*pos] - '0');
                (*pos)++;
            }
            size_t nd = *pos - start;
            if (nd == 0)
                return -1;
            for (size_t k = nd; k < 6; k++)
                us *= 10;
        }
    }
    if (h > 23 || m > 59 || sec > 59)
        return -1;
    t->us = ((int64_t)h * 3600 + m * 60 + sec) * PT_US_PER_S + us;
    t->offset_min = 0;
    t->has_offset = false;

    if (*pos < n && s[*pos] == 'Z') {
        (*pos)++;
        t->has_offset = true;
    } else if (*pos < n && (s[*pos] == '+' || s[*pos] == '-')) {
        bool neg = s[(*pos)++] == '-';
        int oh, om = 0;
        if (digits(s, n, pos, 2, 2, &oh) < 0)
            return -1;
        if (*pos < n) {
            if (s[*pos] == ':')
                (*pos)++;
            if (digits(s, n, pos, 2, 2, &om) < 0)
                return -1;
        }
        /* Python's timezone() needs |offset| < 24 h. aquiche would also take
         * "+02:99" as 3h39m; a minute field above 59 is refused here. */
        if (om > 59 || oh * 60 + om >= 24 * 60)
            return -1;
        t->offset_min = neg ? -(oh * 60 + om) : oh * 60 + om;
        t->has_offset = true;
    }
    return *pos == n ? 0 : -1;
}

int pt__exp_datetime_us(const char *s, size_t n, int64_t *epoch_us)
{
    size_t pos = 0;
    int64_t days;
    pt_timeofday_t t;
    if (parse_date_part(s, n, &pos, &days) < 0 || pos >= n || (s[pos] != 'T' && s[pos] != ' '))
        return -1;
    pos++;
    if (parse_time_part(s, n, &pos, &t) < 0)
        return -1;
    *epoch_us = days * PT_US_PER_DAY + t.us - (int64_t)t.offset_min * 60 * PT_US_PER_S;
    return 0;
}

int pt__exp_date_us(const char *s, size_t n, int64_t *epoch_us)
{
    size_t pos = 0;
    int64_t days;
    if (parse_date_part(s, n, &pos, &days) < 0 || pos != n)
        return -1;
    *epoch_us = days * PT_US_PER_DAY;
    return 0;
}

int pt__exp_timeofday(const char *s, size_t n, pt_timeofday_t *out)
{
    size_t pos = 0;
    return parse_time_part(s, n, &pos, out);
}

int64_t pt_timeofday_today_ms(const pt_timeofday_t *t, int64_t now_ms)
{
    /* "Today" is the calendar day of now in the time's own offset, so
     * "23:00-05:00" asked at 02:00Z means 23:00 on the New York day. */
    const int64_t ms_per_day = INT64_C(86400000);
    int64_t off_ms = (int64_t)t->offset_min * 60000;
    int64_t local = pt__exp_add_sat(now_ms, off_ms);
    int64_t into_day = local % ms_per_day;
    if (into_day < 0)
        into_day += ms_per_day;
    /* saturating all the way: a "now" near the int64 limits must not wrap */
    int64_t midnight = pt__exp_add_sat(local, -into_day);
    return pt__exp_add_sat(pt__exp_add_sat(midnight, t->us / 1000), -off_ms);
}

int64_t pt_timeofday_next_ms(const pt_timeofday_t *t, int64_t after_ms)
{
    int64_t at = pt_timeofday_today_ms(t, after_ms);
    /* Offsets are fixed, so every day in the time's offset is 86400 s. */
    return at > after_ms ? at : pt__exp_add_sat(at, INT64_C(86400000));
}

/* ---- public parsers: the string forms plus aquiche's numeric forms ------ */

int pt_datetime_parse_us(const char *s, int64_t *epoch_us, char *err, size_t errlen)
{
    size_t n = s ? strlen(s) : 0;
    pt__dec_t d;
    pt__exp_trim(&s, &n);
    if (s && pt__exp_dec_parse(s, n, &d) == 0) {
        *epoch_us = pt__exp_unix_to_us(&d);
        return 0;
    }
    if (!s || pt__exp_datetime_us(s, n, epoch_us) < 0)
        return pt__exp_fail(err, errlen, "datetime", s, n, NULL);
    return 0;
}

int pt_date_parse_us(const char *s, int64_t *epoch_us, char *err, size_t errlen)
{
    size_t n = s ? strlen(s) : 0;
    pt__dec_t d;
    pt__exp_trim(&s, &n);
    if (s && pt__exp_dec_parse(s, n, &d) == 0) {
        /* from_unix_seconds(n).date(): the day that contains the instant */
        *epoch_us = pt__exp_floordiv(pt__exp_unix_to_us(&d), PT_US_PER_DAY) * PT_US_PER_DAY;
        return 0;
    }
    if (!s || pt__exp_date_us(s, n, epoch_us) < 0)
        return pt__exp_fail(err, errlen, "date", s, n, NULL);
    return 0;
}

int pt_timeofday_parse(const char *s, pt_timeofday_t *out, char *err, size_t errlen)
{
    size_t n = s ? strlen(s) : 0;
    pt__dec_t d;
    pt__exp_trim(&s, &n);
    if (s && pt__exp_dec_parse(s, n, &d) == 0) {
        /* seconds since midnight; a day or more "would loop back around"
         * (aquiche), and a negative count is before datetime.min */
        if (d.huge || d.pico < 0 || d.pico >= 86400 * PT_PICO_PER_S)
            return pt__exp_fail(err, errlen, "time", s, n, "seconds must be in [0, 86400)");
        out->us = (int64_t)(d.pico / 1000000);
        out->offset_min = 0;
        out->has_offset = false;
        return 0;
    }
    if (!s || pt__exp_timeofday(s, n, out) < 0)
        return pt__exp_fail(err, errlen, "time", s, n, NULL);
    return 0;
}

int pt_time_parse_ms(const char *s, int64_t now_ms, int64_t *epoch_ms, char *err, size_t errlen)
{
    int64_t us;
    pt_timeofday_t t;
    if (pt_datetime_parse_us(s, &us, NULL, 0) == 0 || pt_date_parse_us(s, &us, NULL, 0) == 0) {
        *epoch_ms = pt__exp_floordiv(us, 1000);
        return 0;
    }
    if (pt_timeofday_parse(s, &t, NULL, 0) == 0) {
        *epoch_ms = pt_timeofday_today_ms(&t, now_ms);
        return 0;
    }
    size_t n = s ? strlen(s) : 0;
    pt__exp_trim(&s, &n);
    return pt__exp_fail(err, errlen, "time", s, n, NULL);
}
