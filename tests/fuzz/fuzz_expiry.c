/* libFuzzer target: the expiration grammar (durations, datetimes, dates,
 * times of day, the combined forms) and the duration/time parsers. */
#include <ponty/expiry.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *s = malloc(size + 1);
    if (!s)
        return 0;
    memcpy(s, data, size);
    s[size] = '\0';
    const int64_t now = 1700000000000;
    char err[256];
    pt_expiry_t e;
    int64_t at;
    if (pt_expiry_parsen((const char *)data, size, now, &e, err, sizeof err) == 0)
        pt_expiry_resolve(&e, NULL, now, false, now, &at, err, sizeof err);
    pt_expiry_parse(s, now, &e, err, sizeof err);
    int64_t v;
    pt_duration_parse_us(s, &v, err, sizeof err);
    pt_duration_parse_ms(s, &v, err, sizeof err);
    pt_datetime_parse_us(s, &v, err, sizeof err);
    pt_date_parse_us(s, &v, err, sizeof err);
    pt_time_parse_ms(s, now, &v, err, sizeof err);
    pt_timeofday_t tod;
    if (pt_timeofday_parse(s, &tod, err, sizeof err) == 0)
        pt_timeofday_today_ms(&tod, now);
    free(s);
    return 0;
}
