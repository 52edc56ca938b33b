/* Durations: the three grammars aquiche's parse_duration tries, in its
 * order — Django's "[D day[s], ][[H:]M:]S[.f]", ISO 8601 "P..T..", then
 * sums of "<integer><unit>" such as "1d42m6s" or "1 minute 2 days".
 *
 * aquiche matches the first two with regular expressions; the hand-written
 * scanners below accept exactly what those expressions accept (noted where
 * ponty is deliberately stricter), and compute in exact integers. */
#include <string.h>

#include "expiry.h"

static bool is_digit(char c) { return c >= '0' && c <= '9'; }
static bool is_alpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
static bool is_space(char c) { return c == ' ' || (c >= '\t' && c <= '\r'); }

/* Python ints are unbounded; anything beyond this many microseconds cannot
 * be an int64 result anyway, so stop accumulating there. */
#define PT_BIG ((pt__i128)1 << 100)

/* Reads "-?\d+" (when allow_sign) covering the whole slice. */
static int read_int(const char *s, size_t n, bool allow_sign, pt__i128 *out, bool *neg)
{
    size_t i = 0;
    *neg = false;
    if (allow_sign && i < n && s[i] == '-') {
        *neg = true;
        i++;
    }
    if (i == n)
        return -1;
    pt__i128 v = 0;
    for (; i < n; i++) {
        if (!is_digit(s[i]))
            return -1;
        /* Saturates far past 64 bits yet low enough that multiplying by
         * a day in microseconds cannot overflow 128 bits. */
        if (v < ((pt__i128)1 << 80))
            v = v * 10 + (s[i] - '0');
    }
    *out = *neg ? -v : v;
    return 0;
}

static int fit_i64(pt__i128 v, int64_t *out)
{
    if (v > INT64_MAX || v < INT64_MIN)
        return -1;
    *out = (int64_t)v;
    return 0;
}

/* ---- Django / pydantic standard form ------------------------------------ */

static int standard_duration(const char *s, size_t n, int64_t *us)
{
    pt__i128 total = 0;
    size_t pos = 0;
    bool neg;

    /* "(?P<days>-?\d+) (days?, )?": the first space, if any, ends the days;
     * the rest of the grammar has no spaces, so there is nothing to
     * backtrack to. */
    const char *sp = memchr(s, ' ', n);
    if (sp) {
        pt__i128 days;
        if (read_int(s, (size_t)(sp - s), true, &days, &neg) < 0)
            return -1;
        total += days * PT_US_PER_DAY;
        pos = (size_t)(sp - s) + 1;
        if (n - pos >= 6 && memcmp(s + pos, "days, ", 6) == 0)
            pos += 6;
        else if (n - pos >= 5 && memcmp(s + pos, "day, ", 5) == 0)
            pos += 5;
    }

    /* "[[H:]M:]S[.f]": up to three colon-separated parts. With hours, the
     * regex's lookahead "(?=\d+:\d+)" forbids a sign on minutes and seconds. */
    const char *part[3];
    size_t plen[3];
    int nparts = 0;
    size_t start = pos;
    for (size_t i = pos; i <= n; i++) {
        if (i == n || s[i] == ':') {
            if (nparts == 3)
                return -1;
            part[nparts] = s + start;
            plen[nparts] = i - start;
            nparts++;
            start = i + 1;
        }
    }

    /* The fraction belongs to the last part: "\.(\d{1,6})\d{0,6}". */
    const char *last = part[nparts - 1];
    size_t lastlen = plen[nparts - 1];
    const char *dot = memchr(last, '.', lastlen);
    pt__i128 micro = 0;
    if (dot) {
        size_t fd = lastlen - (size_t)(dot - last) - 1;
        if (fd < 1 || fd > 12)
            return -1;
        for (size_t k = 0; k < fd; k++) {
            if (!is_digit(dot[1 + k]))
                return -1;
            if (k < 6)
                micro = micro * 10 + (dot[1 + k] - '0');
        }
        for (size_t k = fd; k < 6; k++)
            micro *= 10; /* ljust(6, "0") */
        plen[nparts - 1] = (size_t)(dot - last);
    }

    static const int64_t unit_us[3][3] = {
        { PT_US_PER_S, 0, 0 },
        { 60 * PT_US_PER_S, PT_US_PER_S, 0 },
        { 3600 * PT_US_PER_S, 60 * PT_US_PER_S, PT_US_PER_S },
    };
    bool sec_neg = false;
    for (int k = 0; k < nparts; k++) {
        pt__i128 v;
        bool signable = nparts < 3 || k == 0;
        if (read_int(part[k], plen[k], signable, &v, &neg) < 0)
            return -1;
        total += v * unit_us[nparts - 1][k];
        if (k == nparts - 1)
            sec_neg = neg;
    }
    /* aquiche gives the fraction the sign of the seconds: "-1.5" is -1.5 s. */
    total += sec_neg ? -micro : micro;
    return fit_i64(total, us);
}

/* ---- ISO 8601 ----------------------------------------------------------- */

/* "\d+(\.\d+)?" followed by the designator: adds its microseconds to acc
 * and sets found. Digits followed by another designator are left for the
 * next component. */
static int iso_component(const char *s, size_t n, size_t *pos, char designator,
                         int64_t unit_s, pt__i128 *acc, bool *found)
{
    size_t i = *pos;
    size_t j = i;
    while (j < n && is_digit(s[j]))
        j++;
    if (j == i)
        return 0; /* not this component */
    if (j < n && s[j] == '.') {
        size_t k = j + 1;
        while (k < n && is_digit(s[k]))
            k++;
        if (k == j + 1)
            return -1;
        j = k;
    }
    if (j >= n || s[j] != designator)
        return 0; /* digits for a later component */
    pt__dec_t d;
    if (pt__exp_dec_parse(s + i, j - i, &d) < 0 || d.huge || d.pico > PT_BIG)
        return -1;
    *acc += d.pico * unit_s / 1000000;
    if (*acc > PT_BIG)
        return -1;
    *pos = j + 1;
    *found = true;
    return 0;
}

static int iso_duration(const char *s, size_t n, int64_t *us)
{
    size_t pos = 0;
    bool neg = false;
    if (pos < n && (s[pos] == '+' || s[pos] == '-'))
        neg = s[pos++] == '-';
    if (pos >= n || s[pos] != 'P')
        return -1;
    pos++;
    pt__i128 total = 0;
    bool any = false, any_time = false;
    if (iso_component(s, n, &pos, 'D', 86400, &total, &any) < 0)
        return -1;
    if (pos < n && s[pos] == 'T') {
        pos++;
        if (iso_component(s, n, &pos, 'H', 3600, &total, &any_time) < 0 ||
            iso_component(s, n, &pos, 'M', 60, &total, &any_time) < 0 ||
            iso_component(s, n, &pos, 'S', 1, &total, &any_time) < 0)
            return -1;
        /* Stricter than aquiche, whose regex takes "PT" and "P1DT": ISO
         * requires a component after T. */
        if (!any_time)
            return -1;
    }
    /* Years, months and weeks (P4Y, P4M, P4W) stop here and fail, as in
     * aquiche: a month or year has no fixed length. A bare "P" fails too. */
    if (pos != n || !(any || any_time))
        return -1;
    return fit_i64(neg ? -total : total, us);
}

/* ---- unit sums ("1d42m6s", "1 minute 2 days") -------------------------- */

typedef struct unit_name {
    const char *name;
    int64_t seconds;
} unit_name_t;

/* Exactly aquiche's table: no "ms", "w", "sec" or "min". */
static const unit_name_t units[] = {
    { "s", 1 },         { "second", 1 },     { "seconds", 1 },
    { "m", 60 },        { "minute", 60 },    { "minutes", 60 },
    { "h", 3600 },      { "hour", 3600 },    { "hours", 3600 },
    { "d", 86400 },     { "day", 86400 },    { "days", 86400 },
};

static int64_t unit_seconds(const char *s, size_t n)
{
    for (size_t u = 0; u < sizeof units / sizeof units[0]; u++) {
        const char *name = units[u].name;
        if (strlen(name) != n)
            continue;
        size_t k = 0;
        while (k < n && (s[k] | 0x20) == name[k]) /* ASCII letters only here */
            k++;
        if (k == n)
            return units[u].seconds;
    }
    return 0;
}

static int sum_duration(const char *s, size_t n, int64_t *us)
{
    pt__i128 total = 0;
    size_t i = 0;
    bool any = false;
    for (;;) {
        while (i < n && is_space(s[i]))
            i++;
        if (i == n)
            break;
        /* a number: a run of digits (no sign, no fraction) */
        size_t j = i;
        pt__i128 v = 0;
        while (j < n && is_digit(s[j])) {
            if (v < PT_BIG)
                v = v * 10 + (s[j] - '0');
            j++;
        }
        if (j == i)
            return -1;
        while (j < n && is_space(s[j]))
            j++;
        /* a unit: a run of letters from the table */
        size_t k = j;
        while (k < n && is_alpha(s[k]))
            k++;
        int64_t unit = unit_seconds(s + j, k - j);
        if (unit == 0)
            return -1;
        /* Over the limit: fail before the product can overflow. */
        if (v > PT_BIG / ((pt__i128)unit * PT_US_PER_S))
            return -1;
        total += v * unit * PT_US_PER_S;
        if (total > PT_BIG)
            return -1;
        any = true;
        i = k;
    }
    if (!any)
        return -1;
    return fit_i64(total, us);
}

int pt__exp_duration_us(const char *s, size_t n, int64_t *us)
{
    if (n == 0)
        return -1;
    if (standard_duration(s, n, us) == 0 || iso_duration(s, n, us) == 0)
        return 0;
    return sum_duration(s, n, us);
}

int pt_duration_parse_us(const char *s, int64_t *us, char *err, size_t errlen)
{
    size_t n = s ? strlen(s) : 0;
    pt__exp_trim(&s, &n);
    if (!s || pt__exp_duration_us(s, n, us) < 0)
        return pt__exp_fail(err, errlen, "duration", s, n, NULL);
    return 0;
}

int pt_duration_parse_ms(const char *s, int64_t *ms, char *err, size_t errlen)
{
    int64_t us;
    if (pt_duration_parse_us(s, &us, err, errlen) < 0)
        return -1;
    *ms = us / 1000;
    return 0;
}
