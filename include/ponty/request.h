/* ponty/request.h — what a handler sees of its request, and how it answers
 * when the JSON envelope is not what it wants.
 *
 * A pt_req_t lives for one request. Every string returned here is
 * NUL-terminated and owned by the request arena: valid until the response is
 * written, freed with it. */
#ifndef PONTY_REQUEST_H
#define PONTY_REQUEST_H

#include <stdarg.h>
#include <stddef.h>
#include <jansson.h>

#include "ponty/arena.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct pt_req pt_req_t;

/* The request being handled by the calling coroutine, or NULL. */
pt_req_t   *pt_req_current(void);

const char *pt_req_method(const pt_req_t *r);
/* The percent-decoded path, without the query string. */
const char *pt_req_path(const pt_req_t *r);
/* The request target exactly as received ("/a%20b?x=1"). */
const char *pt_req_target(const pt_req_t *r);
/* The raw query string without '?', "" when there is none. */
const char *pt_req_query_string(const pt_req_t *r);
/* HTTP minor version: 0 or 1. */
int         pt_req_http_minor(const pt_req_t *r);

/* First header with this name (case-insensitive), or NULL. */
const char *pt_req_header(const pt_req_t *r, const char *name);
/* Headers in arrival order; returns 0 past the end. */
int         pt_req_header_at(const pt_req_t *r, size_t i, const char **name, const char **value);
size_t      pt_req_header_count(const pt_req_t *r);

/* The body (chunked bodies arrive de-chunked), NUL-terminated after *len
 * bytes (it may hold NULs of its own). Never NULL; *len may be 0. */
const char *pt_req_body(const pt_req_t *r, size_t *len);

/* A route placeholder's value, by name, or NULL. A value decoded from %00
 * ends at that NUL here (declared route fields answer 400 for it). */
const char *pt_req_param(const pt_req_t *r, const char *name);
/* The first value of a query parameter, percent-decoded with '+' as space,
 * or NULL when absent or when its value has a malformed %-escape (declared
 * query fields answer 400 for those). A value decoded from %00 ends at that
 * NUL here; declared fields see the whole value. */
const char *pt_req_query(const pt_req_t *r, const char *key);

/* The struct of declared fields for this request (ponty/fields.h; NULL
 * without declarations). */
void       *pt_req_input(pt_req_t *r);

pt_arena_t *pt_req_arena(pt_req_t *r);
/* fn(arg) runs when the request ends, on every path (LIFO). */
void        pt_req_defer(pt_req_t *r, void (*fn)(void *), void *arg);
/* printf into the current request's arena (aborts outside a request). */
char       *pt_strf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* ---- answering ---- */

/* Adds a response header (copied). Applies to whatever response is written,
 * the envelope, pt_reply or an error. */
void pt_resp_header(pt_req_t *r, const char *name, const char *value);

/* The status of the envelope response when the handler returns a value
 * (default 200): pt_resp_status(req, 201) before returning a created
 * resource. pt_reply and raises carry their own status and ignore it. A
 * status outside 200-999 is answered as 500 by the response writer, as for
 * pt_reply. */
void pt_resp_status(pt_req_t *r, int status);

/* Answers with these exact bytes instead of the envelope; the handler then
 * returns NULL (a returned value is ignored and released). content_type may
 * be NULL for none. The body is copied. */
void pt_reply(pt_req_t *r, int status, const char *content_type, const void *body, size_t len);
/* Answers with a JSON value (stolen) as the whole body, no envelope. */
void pt_reply_json(pt_req_t *r, int status, json_t *value);

/* The envelope's data written straight to the response bytes, with no
 * jansson values built: from a parsed body tree (PT_BODY_TREE), or from a
 * struct its description (PT_BODY_STRUCT's pt_struct_desc_t) encodes, the
 * same bytes pt_struct_encode's object would give. The handler returns
 * what these return:
 *
 *     return pt_data_struct(req, &person_desc, in->person);
 *
 * v or obj must live until the request ends (the request's arena, or
 * static). A handler that returns something else sends that instead. */
struct pt_jv;
struct pt_struct_desc;
json_t *pt_data_tree(pt_req_t *r, const struct pt_jv *v);
json_t *pt_data_struct(pt_req_t *r, const struct pt_struct_desc *desc, const void *obj);

#ifdef __cplusplus
}
#endif

#endif
