/* The Redis stores against a real redis-server started on a free port:
 * values with TTLs, SET NX PX locks with tokens, one load between two
 * caches (standing for two processes) from coroutines (async connections on
 * the scheduler's loop) and plain threads (sync connections), connection
 * loss reported and recovered. Fails if redis-server cannot be started
 * (scripts/setup.sh installs it): a skipped store test would hide a gap. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <setjmp.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>
#include <hiredis/hiredis.h>

#include "ponty/memo.h"
#include "ponty/sync.h"
#include "memo/redis_conn.h"
#include "memo_test_util.h"

static const char *redis_bin = "/usr/bin/redis-server";
static int port;
static pid_t redis_pid;
static char url[64];

static int free_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    bind(fd, (struct sockaddr *)&a, sizeof a);
    socklen_t l = sizeof a;
    getsockname(fd, (struct sockaddr *)&a, &l);
    close(fd);
    return ntohs(a.sin_port);
}

static bool port_open(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port),
                             .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    bool ok = connect(fd, (struct sockaddr *)&a, sizeof a) == 0;
    close(fd);
    return ok;
}

/* Starts redis-server on port; true once it accepts connections (up to
 * 20 s), false if it exited (the port was taken) or never did. */
static bool redis_try_start(void)
{
    char p[16];
    snprintf(p, sizeof p, "%d", port);
    redis_pid = fork();
    if (redis_pid == 0) {
        int devnull = open("/dev/null", 1);
        dup2(devnull, 1);
        execl(redis_bin, redis_bin, "--port", p, "--bind", "127.0.0.1", "--save", "",
              "--appendonly", "no", (char *)NULL);
        _exit(127);
    }
    for (int i = 0; i < 2000; i++) {
        if (port_open())
            return true;
        if (waitpid(redis_pid, NULL, WNOHANG) == redis_pid) {
            redis_pid = 0;
            return false;
        }
        usleep(10000);
    }
    return port_open();
}

static void redis_start(void)
{
    assert_true(redis_try_start());
}

static void redis_stop(void)
{
    if (redis_pid > 0) {
        kill(redis_pid, SIGTERM);
        waitpid(redis_pid, NULL, 0);
        redis_pid = 0;
    }
}

static int group_setup(void **state)
{
    (void)state;
    if (access(redis_bin, X_OK) != 0)
        return 0;
    /* The port is found free, then bound by redis-server a moment later:
     * when another process took it in between, try another. */
    for (int i = 0; i < 5; i++) {
        port = free_port();
        if (redis_try_start())
            break;
    }
    snprintf(url, sizeof url, "redis://127.0.0.1:%d/1", port);
    return 0;
}

static int group_teardown(void **state)
{
    (void)state;
    pt__redis_thread_close();
    redis_stop();
    return 0;
}

#define NEED_REDIS()                                                                  \
    do {                                                                              \
        if (!redis_pid) {                                                             \
            fail_msg("redis-server (%s) did not start: run scripts/setup.sh", redis_bin); \
        }                                                                             \
    } while (0)

static void test_url_parsing(void **state)
{
    (void)state;
    assert_null(pt_cache_store_redis_new("http://x", NULL));
    assert_non_null(strstr(pt_memo_last_error(), "http://x"));
    assert_null(pt_lock_store_redis_new("redis://h:99999", NULL));
    pt_cache_store_t *s = pt_cache_store_redis_new("redis://:pw@localhost:6380/2", NULL);
    assert_non_null(s);
    pt_cache_store_free(s);
    s = pt_cache_store_redis_new("redis://localhost", "p:");
    assert_non_null(s);
    pt_cache_store_free(s);
}

static void test_cache_store(void **state)
{
    (void)state;
    NEED_REDIS();
    pt_cache_store_t *s = pt_cache_store_redis_new(url, "t1:");
    pt_cache_item_t it = { 0 };
    assert_int_equal(s->ops->get(s, "a", 1, &it), 0);
    json_t *v = json_pack("{s:[i,i],s:s}", "x", 1, 2, "u", "é");
    /* 1 s: still there for the get right after the set on a loaded machine */
    pt_cache_item_t put = { .value = v, .fetched_ms = 5, .expires_ms = pt_now_ms() + 1000 };
    assert_int_equal(s->ops->set(s, "a", 1, &put), 0);
    assert_int_equal(s->ops->get(s, "a", 1, &it), 1);
    assert_true(json_equal(it.value, v));
    assert_false(it.is_error);
    assert_int_equal(it.fetched_ms, 5);
    json_decref(it.value);
    pt_sleep_ms(1100); /* Redis dropped it (PX) */
    assert_int_equal(s->ops->get(s, "a", 1, &it), 0);
    put.expires_ms = PT_EXPIRY_NEVER_MS;
    put.is_error = true;
    assert_int_equal(s->ops->set(s, "b\0c", 3, &put), 0); /* binary-safe keys */
    assert_int_equal(s->ops->get(s, "b\0c", 3, &it), 1);
    assert_true(it.is_error);
    assert_int_equal(it.expires_ms, PT_EXPIRY_NEVER_MS);
    json_decref(it.value);
    assert_int_equal(s->ops->get(s, "b", 1, &it), 0);
    assert_int_equal(s->ops->remove(s, "b\0c", 3), 1);
    assert_int_equal(s->ops->remove(s, "b\0c", 3), 0);
    assert_int_equal(s->ops->set(s, "c", 1, &put), 0);
    assert_int_equal(s->ops->clear(s), 0);
    assert_int_equal(s->ops->get(s, "c", 1, &it), 0);
    json_decref(v);
    pt_cache_store_free(s);
}

static void test_lock_store(void **state)
{
    (void)state;
    NEED_REDIS();
    pt_lock_store_t *s = pt_lock_store_redis_new(url, NULL);
    /* Leases long enough to outlast the checks that follow on a loaded machine. */
    assert_int_equal(s->ops->add(s, "k", 1, "tok1", 5000), 1);
    assert_int_equal(s->ops->add(s, "k", 1, "tok2", 5000), 0);
    assert_int_equal(s->ops->exists(s, "k", 1), 1);
    assert_int_equal(s->ops->remove(s, "k", 1, "tok2"), 0); /* not ours */
    assert_int_equal(s->ops->remove(s, "k", 1, "tok1"), 1);
    assert_int_equal(s->ops->exists(s, "k", 1), 0);
    assert_int_equal(s->ops->add(s, "k", 1, "tok3", 50), 1);
    pt_sleep_ms(80); /* the lease lapsed */
    assert_int_equal(s->ops->add(s, "k", 1, "tok4", 50), 1);
    assert_int_equal(s->ops->remove(s, "k", 1, "tok4"), 1);

    pt_lock_t *a = pt_lock_new(.store = s, .maxwait_ms = 150, .pulse_ms = 20);
    pt_lock_t *b = pt_lock_new(.store = s, .maxwait_ms = 150, .pulse_ms = 20);
    pt_lock_guard_t ga, gb;
    assert_int_equal(pt_lock_acquire(a, "res", &ga), PT_MEMO_OK);
    int64_t t0 = pt_now_mono_ms();
    assert_int_equal(pt_lock_acquire(b, "res", &gb), PT_MEMO_LOCKED);
    assert_true(pt_now_mono_ms() - t0 >= 145);
    pt_lock_release(&ga);
    assert_int_equal(pt_lock_acquire(b, "res", &gb), PT_MEMO_OK);
    pt_lock_release(&gb);
    pt_lock_free(a);
    pt_lock_free(b);
    pt_lock_store_free(s);
}

/* ---- one load between two "processes" ---- */

static atomic_int loads, got;
static pt_cache_t *proc[2];

static json_t *slow_load(pt_cache_call_t *call)
{
    atomic_fetch_add(&loads, 1);
    pt_sleep_ms(200);
    return json_pack("{s:s}", "k", call->key);
}

static void shared_get(int idx)
{
    json_t *v;
    pt_memo_err_t rc = pt_cache_get_key(proc[idx % 2], "hot", NULL, &v);
    if (rc != PT_MEMO_OK)
        fprintf(stderr, "get: %s: %s\n", pt_memo_strerror(rc), pt_memo_last_error());
    assert_int_equal(rc, PT_MEMO_OK);
    assert_string_equal(json_string_value(json_object_get(v, "k")), "hot");
    json_decref(v);
    atomic_fetch_add(&got, 1);
}

static void test_one_load_across_processes(void **state)
{
    (void)state;
    NEED_REDIS();
    pt_cache_store_t *vs[2];
    pt_lock_store_t *ls[2];
    for (int i = 0; i < 2; i++) {
        vs[i] = pt_cache_store_redis_new(url, "t2:");
        ls[i] = pt_lock_store_redis_new(url, "t2:lock:");
        proc[i] = pt_cache_new(.load = slow_load, .store = vs[i], .lock_store = ls[i],
                               .maxwait_ms = 20000, .pulse_ms = 20, .ttl_ms = 60000);
        assert_non_null(proc[i]);
    }
    mt_sched_t a, b;
    mt_thread_t t[6];
    mt_spawn_with(&a, shared_get, 100, 0, pt__redis_thread_close);
    mt_spawn_with(&b, shared_get, 100, 1, pt__redis_thread_close);
    mt_threads(t, 6, shared_get, 0);
    pthread_join(a.th, NULL);
    pthread_join(b.th, NULL);
    mt_join(t, 6);
    assert_int_equal(atomic_load(&loads), 1);
    assert_int_equal(atomic_load(&got), 206);
    pt_cache_info_t i0 = pt_cache_info(proc[0]), i1 = pt_cache_info(proc[1]);
    assert_int_equal(i0.hits + i0.misses + i1.hits + i1.misses, 206);

    /* invalidation through one clears it for both */
    assert_int_equal(pt_cache_invalidate_key(proc[1], "hot"), PT_MEMO_OK);
    json_t *v;
    assert_int_equal(pt_cache_get_key(proc[0], "hot", NULL, &v), PT_MEMO_OK);
    json_decref(v);
    assert_int_equal(atomic_load(&loads), 2);
    assert_int_equal(pt_cache_clear(proc[0]), PT_MEMO_OK);
    for (int i = 0; i < 2; i++) {
        pt_cache_free(proc[i]);
        pt_cache_store_free(vs[i]);
        pt_lock_store_free(ls[i]);
    }
}

/* ---- connection loss ---- */

static pt_cache_t *lost_cache;
static pt_memo_err_t co_rc;
static void co_get(int idx)
{
    (void)idx;
    json_t *v;
    co_rc = pt_cache_get_key(lost_cache, "x", NULL, &v);
    json_decref(v);
}

static pt_memo_err_t get_on_coroutine(void)
{
    mt_sched_t a;
    mt_spawn_with(&a, co_get, 1, 0, pt__redis_thread_close);
    pthread_join(a.th, NULL);
    return co_rc;
}

/* Keeps one scheduler thread (and its async connection) across the loss. */
static atomic_int phase;
static pt_memo_err_t phase_rc[4];
static char phase_err[4][300];
static void long_lived(int idx)
{
    (void)idx;
    for (int p = 0; p < 4; p++) {
        while (atomic_load(&phase) != p * 2 + 1)
            pt_sleep_ms(5);
        json_t *v;
        phase_rc[p] = pt_cache_get_key(lost_cache, "y", NULL, &v);
        snprintf(phase_err[p], sizeof phase_err[p], "%s", pt_memo_last_error());
        json_decref(v);
        atomic_store(&phase, p * 2 + 2);
    }
}

static void wait_phase(int p)
{
    while (atomic_load(&phase) != p)
        pt_sleep_ms(5);
}

static json_t *quick_load(pt_cache_call_t *call)
{
    (void)call;
    atomic_fetch_add(&loads, 1);
    return json_pack("{s:b}", "ok", 1);
}

/* How many clients Redis has besides the one asking (CLIENT LIST). */
static int other_clients(void)
{
    redisContext *c = redisConnect("127.0.0.1", port);
    assert_true(c && !c->err);
    redisReply *x = redisCommand(c, "CLIENT LIST");
    assert_true(x && x->type == REDIS_REPLY_STRING);
    int n = -1; /* ourselves */
    for (size_t i = 0; i < x->len; i++)
        n += x->str[i] == '\n';
    freeReplyObject(x);
    redisFree(c);
    return n;
}

static void test_connection_loss(void **state)
{
    (void)state;
    NEED_REDIS();
    pt_cache_store_t *vs = pt_cache_store_redis_new(url, "t3:");
    lost_cache = pt_cache_new(.load = quick_load, .store = vs, .maxwait_ms = 1000);
    json_t *v;
    atomic_store(&phase, 0);
    mt_sched_t ll;
    mt_spawn_with(&ll, long_lived, 1, 0, pt__redis_thread_close);

    assert_int_equal(pt_cache_get_key(lost_cache, "x", NULL, &v), PT_MEMO_OK);
    json_decref(v);
    atomic_store(&phase, 1);
    wait_phase(2);
    assert_int_equal(phase_rc[0], PT_MEMO_OK);

    redis_stop();
    assert_int_equal(pt_cache_get_key(lost_cache, "x", NULL, &v), PT_MEMO_STORE_ERROR);
    assert_null(v);
    assert_non_null(strstr(pt_memo_last_error(), "redis"));
    assert_int_equal(get_on_coroutine(), PT_MEMO_STORE_ERROR);
    atomic_store(&phase, 3);
    wait_phase(4);
    assert_int_equal(phase_rc[1], PT_MEMO_STORE_ERROR);

    /* Down: the scheduler thread fails at once, with the reason. */
    pt_sleep_ms(50);
    int64_t t0 = pt_now_mono_ms();
    atomic_store(&phase, 5);
    wait_phase(6);
    assert_int_equal(phase_rc[2], PT_MEMO_STORE_ERROR);
    assert_true(pt_now_mono_ms() - t0 < 1000);
    assert_non_null(strstr(phase_err[2], "reconnecting in the background"));

    redis_start(); /* same port */
    /* The scheduler thread's connection comes back in the background (a
     * timer on its loop; its coroutine sends nothing meanwhile). */
    int n = 0;
    for (int i = 0; i < 1000 && (n = other_clients()) < 1; i++)
        usleep(10000);
    assert_int_equal(n, 1);
    /* A plain thread has no timer: it fails at once while its backoff
     * window lasts (how long depends on how many attempts it made), then
     * its next command connects. Within a few windows it must be back. */
    int rc = PT_MEMO_STORE_ERROR;
    for (int i = 0; i < 100; i++) {
        rc = pt_cache_get_key(lost_cache, "x", NULL, &v);
        if (rc == PT_MEMO_OK)
            break;
        assert_int_equal(rc, PT_MEMO_STORE_ERROR);
        assert_null(v);
        pt_sleep_ms(50);
    }
    assert_int_equal(rc, PT_MEMO_OK);
    json_decref(v);
    assert_int_equal(get_on_coroutine(), PT_MEMO_OK);
    atomic_store(&phase, 7);
    wait_phase(8);
    assert_int_equal(phase_rc[3], PT_MEMO_OK);
    pthread_join(ll.th, NULL);
    pt_cache_free(lost_cache);
    pt_cache_store_free(vs);
}

int main(int argc, char **argv)
{
    if (argc > 1)
        cmocka_set_test_filter(argv[1]);
    signal(SIGPIPE, SIG_IGN);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_url_parsing),
        cmocka_unit_test(test_cache_store),
        cmocka_unit_test(test_lock_store),
        cmocka_unit_test(test_one_load_across_processes),
        cmocka_unit_test(test_connection_loss),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
