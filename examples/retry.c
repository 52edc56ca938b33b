/* A command-line program, not a server: getval fails four times out of five
 * (KEY_ERROR or VALUE_ERROR), and pt_retry calls it again, up to 10 more
 * times, sleeping 100 ms, 200 ms, 400 ms, ... (backoff factor 2, at most
 * 4000 ms) in between. Each attempt prints its draw and the time:
 *
 *     $ ./retry
 *     i = 3, now = 1660102025.223419
 *     i = 3, now = 1660102025.328576
 *     i = 4, now = 1660102025.533844
 *     i = 0, now = 1660102025.939289
 *     42
 *
 * When all 11 attempts fail it prints the last error and exits 1.
 * RETRY_SEED=<n> makes the draws repeatable. */
#include <ponty.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/time.h>

enum { KEY_ERROR = 1, VALUE_ERROR = 2 };

static int getval(void *out)
{
    int i = rand() % 5;
    struct timeval tv;
    gettimeofday(&tv, NULL);
    printf("i = %d, now = %ld.%06ld\n", i, (long)tv.tv_sec, (long)tv.tv_usec);
    fflush(stdout);
    if (i == 0) {
        *(int *)out = 42;
        return 0;
    }
    return i % 2 ? KEY_ERROR : VALUE_ERROR;
}

int main(void)
{
    srand((unsigned)pt_env_long("RETRY_SEED", (long)pt_now_ms()));
    int val = 0;
    int err = pt_retry(getval, &val, .errors = PT_ERRORS(KEY_ERROR, VALUE_ERROR),
                       .max_retries = 10, .backoff_factor = 2);
    if (err) {
        fprintf(stderr, "getval failed: %s\n", err == KEY_ERROR ? "KeyError" : "ValueError");
        return 1;
    }
    printf("%d\n", val);
    return 0;
}
