/* Numbers in the expiration grammar: exact decimal literals, aquiche's
 * "seconds or timestamp?" rule, and the unit guess for timestamps. */
#include <math.h>
#include <string.h>

#include "expiry.h"

/* 10^k for k in 0..38, the whole range of a positive 128-bit integer. */
static pt__i128 pow10_i128(int k)
{
    pt__i128 r = 1;
    while (k-- > 0)
        r *= 10;
    return r;
}

static bool is_digit(char c) { return c >= '0' && c <= '9'; }

int pt__exp_dec_parse(const char *s, size_t n, pt__dec_t *out)
{
    size_t i = 0;
    bool neg = false;
    if (i < n && (s[i] == '+' || s[i] == '-'))
        neg = s[i++] == '-';

    /* Keep up to 36 significant digits in m, so m * 10 never overflows;
     * value = m * 10^e10. Digits past that only move the exponent (integer
     * part) or are dropped (fraction), which is below the picosecond. */
    const pt__i128 m_cap = pow10_i128(35);
    pt__i128 m = 0;
    int64_t e10 = 0;
    size_t ndigits = 0;
    bool frac = false;
    for (; i < n; i++) {
        if (is_digit(s[i])) {
            ndigits++;
            if (m < m_cap) {
                m = m * 10 + (s[i] - '0');
                if (frac)
                    e10--;
            } else if (!frac) {
                e10++;
            }
        } else if (s[i] == '.' && !frac) {
            frac = true;
        } else {
            break;
        }
    }
    if (ndigits == 0)
        return -1;
    if (i < n && (s[i] == 'e' || s[i] == 'E')) {
        i++;
        bool eneg = false;
        if (i < n && (s[i] == '+' || s[i] == '-'))
            eneg = s[i++] == '-';
        if (i >= n || !is_digit(s[i]))
            return -1;
        int64_t e = 0;
        for (; i < n && is_digit(s[i]); i++)
            if (e < 100000) /* clamp: anything larger is already huge or zero */
                e = e * 10 + (s[i] - '0');
        e10 += eneg ? -e : e;
    }
    if (i != n)
        return -1;

    out->huge = false;
    out->pico = 0;
    int64_t scale = e10 + 12;
    if (m == 0) {
        /* zero, whatever the exponent */
    } else if (scale >= 0) {
        if (scale > 38) {
            out->huge = true;
        } else {
            pt__i128 p = pow10_i128((int)scale);
            pt__i128 lim = ((pt__i128)1 << 126) / p; /* keep well inside 2^127 */
            if (m > lim)
                out->huge = true;
            else
                out->pico = m * p;
        }
    } else if (scale >= -38) {
        out->pico = m / pow10_i128((int)-scale);
    }
    if (out->huge)
        out->pico = (pt__i128)1 << 126;
    if (neg)
        out->pico = -out->pico;
    return 0;
}

bool pt__exp_dec_is_timestamp(const pt__dec_t *d)
{
    /* aquiche: int(value) > int(1e8). int() truncates toward zero, so
     * 100000000.9 is still a duration. */
    return d->pico / PT_PICO_PER_S > 100000000;
}

int64_t pt__exp_unix_to_us(const pt__dec_t *d)
{
    /* aquiche (from pydantic): beyond 3e20 the value saturates; while the
     * magnitude exceeds 2e10 it is taken to be in a unit 1000 times smaller
     * (2e10 s is the year 2603, 2e10 ms is August 1970). */
    const pt__i128 max_number = (pt__i128)300000000 * (pt__i128)1000000000000LL * PT_PICO_PER_S;
    const pt__i128 watershed = (pt__i128)20000000000LL * PT_PICO_PER_S;
    pt__i128 p = d->pico;
    if (p > max_number)
        return PT_EPOCH_US_MAX;
    if (p < -max_number)
        return PT_EPOCH_US_MIN;
    while (p > watershed || p < -watershed)
        p /= 1000;
    return (int64_t)(p / 1000000); /* pico -> micro, toward zero */
}

/* ---- public numeric constructors --------------------------------------- */

static pt_expiry_t at_us(int64_t epoch_us)
{
    return pt_expiry_at_ms(pt__exp_floordiv(epoch_us, 1000));
}

pt_expiry_t pt_expiry_from_int(int64_t value, int64_t now_ms)
{
    if (value > 100000000) {
        pt__dec_t d = { .pico = (pt__i128)value * PT_PICO_PER_S, .huge = false };
        return at_us(pt__exp_unix_to_us(&d));
    }
    int64_t ttl;
    if (__builtin_mul_overflow(value, 1000, &ttl))
        ttl = INT64_MIN; /* only very negative values get here: expired */
    return pt_expiry_ttl_ms(ttl, now_ms);
}

int pt_expiry_from_number(double value, int64_t now_ms, pt_expiry_t *out, char *err, size_t errlen)
{
    if (isnan(value)) /* spelled out: printf would say "-nan" for some NaNs */
        return pt__exp_fail(err, errlen, "expiration", "nan", 3, "not a number");
    if (isinf(value)) {
        /* aquiche: datetime.max (never expires) and datetime.min (expired) */
        *out = pt_expiry_bool(value < 0);
        return 0;
    }
    if (trunc(value) > 1e8) {
        /* Mirror aquiche's float arithmetic for timestamps: the input is a
         * double already, so exact decimals would not be more faithful. */
        double s = value;
        int64_t us;
        if (s > 3e20) {
            us = PT_EPOCH_US_MAX;
        } else {
            while (fabs(s) > 2e10)
                s /= 1000;
            us = llround(s * 1e6);
        }
        *out = at_us(us);
        return 0;
    }
    /* A duration in seconds, rounded to the microsecond as aquiche's
     * f"{value:f}" does, then truncated to the millisecond. */
    double us = nearbyint(value * 1e6);
    if (us < -9.2e18) {
        *out = pt_expiry_ttl_ms(INT64_MIN, now_ms);
        return 0;
    }
    *out = pt_expiry_ttl_ms((int64_t)us / 1000, now_ms);
    return 0;
}
