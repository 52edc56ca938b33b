/* Internal: the HTTP client's per-thread engine (engine.c), used by the
 * requests of client.c on a scheduler thread. */
#ifndef PT_CLIENT_ENGINE_H
#define PT_CLIENT_ENGINE_H

#include <curl/curl.h>

typedef struct pt__http_engine pt__http_engine_t;

/* The calling scheduler thread's engine, made on first use (released when
 * the scheduler is freed); NULL if libcurl cannot make a multi handle. */
pt__http_engine_t *pt__http_engine_get(void);
/* A reset easy handle from the engine's spares, or a new one; and back. */
CURL *pt__http_engine_easy(pt__http_engine_t *e);
void  pt__http_engine_easy_put(pt__http_engine_t *e, CURL *easy);
/* Opens and closes easy's sockets through the engine, which keeps one
 * poll handle per socket across transfers. */
void  pt__http_engine_watch_sockets(pt__http_engine_t *e, CURL *easy);
/* Runs the transfer on the engine, suspending the calling coroutine until
 * it completes; on a failure to start it, the reason goes to errbuf
 * (CURL_ERROR_SIZE bytes). */
CURLcode pt__http_engine_perform(pt__http_engine_t *e, CURL *easy, char *errbuf);

/* From client.c: the sum of the started clients' limits (how many
 * connections an engine keeps), and malloc that aborts with a message. */
long  pt__http_total_limit(void);
void *pt__http_xmalloc(size_t n);

#endif
