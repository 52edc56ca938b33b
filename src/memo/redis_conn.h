/* Internal: Redis connections for the Redis stores.
 *
 * From a coroutine, a command goes over this worker thread's asynchronous
 * connection (hiredis on the worker's libuv loop) and the coroutine is
 * suspended until the reply; from a plain thread, over that thread's
 * synchronous connection. Connections are made on first use; the command
 * that meets a loss fails (-1, message in pt_memo_last_error) and the
 * caller sees PT_MEMO_STORE_ERROR. A refused connection fails its command
 * at once. After a failure, commands fail at once with its reason while a
 * timer on the worker's loop reconnects in the background (100 ms, then
 * doubling to 2 s between attempts; an attempt counts once Redis answers
 * a PING), so the first command after Redis is back finds the connection
 * made. A plain thread's connection is remade by its first command after
 * the same backoff. */
#ifndef PT_REDIS_CONN_H
#define PT_REDIS_CONN_H

#include <stddef.h>
#include <stdint.h>

#include <uv.h>

typedef struct pt__redis pt__redis_t;

/* The part of a reply the stores need (no arrays). */
typedef struct pt__redis_reply {
    int       type;     /* REDIS_REPLY_* */
    long long integer;
    char     *str;      /* string, status or error text (malloc'd, NUL-terminated) */
    size_t    len;
} pt__redis_reply_t;

/* Parses "redis://[:password@]host[:port][/db]"; NULL with a message. */
pt__redis_t *pt__redis_new(const char *url);
/* Takes a reference: stores sharing one pt__redis_t free it with the last. */
pt__redis_t *pt__redis_ref(pt__redis_t *r);
void        pt__redis_unref(pt__redis_t *r);

/* A deadline (pt_now_mono_ms clock, -1 none) for the next command this
 * thread runs: the command gives up by then (but is given at least 250 ms).
 * Read and cleared before the command first waits, so a coroutine sets it
 * right before its call and no other coroutine can see it. */
extern __thread int64_t pt__redis_deadline;

/* Runs one command. 0 with *out filled (free with pt__redis_reply_free), or
 * -1 on a connection error, a timeout or an error reply. */
int  pt__redis_command(pt__redis_t *r, pt__redis_reply_t *out, int argc, const char **argv,
                      const size_t *lens);
void pt__redis_reply_free(pt__redis_reply_t *rep);

/* The stores' form: argv[ki] is replaced by prefix+key (key need not be
 * NUL-terminated) for the duration of the command. Same return. */
int  pt__redis_command_key(pt__redis_t *r, pt__redis_reply_t *out, int argc, const char **argv,
                          size_t *lens, int ki, const char *prefix, size_t plen,
                          const char *key, size_t len);
/* 1 when rep is an integer above 0 (DEL, EXISTS, the release script), else
 * 0; frees rep. */
int  pt__redis_reply_positive(pt__redis_reply_t *rep);

/* Closes the calling thread's connections (pending commands fail). ponty's
 * workers do this at thread exit; a thread running its own libuv loop calls
 * it before closing the loop. */
void pt__redis_thread_close(void);

#endif
