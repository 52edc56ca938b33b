/* src/http/framing.h — HTTP/1.1 message framing checked around llhttp.
 *
 * llhttp runs in its loose mode (its strict mode would refuse raw UTF-8 in
 * paths, which nginx and aiohttp take); what matters for framing is checked
 * here, as strictly as nginx: header names are tokens, Host is valid and
 * comes once, only "chunked" is a transfer coding, no obsolete line folding,
 * chunk-size lines are well formed (extensions checked and dropped) and
 * chunk data is followed by CRLF. conn.c calls these from its llhttp
 * callbacks and its feed loop. Failures set the connection's parse_error
 * (and parse_error_text): the request is answered with it and the
 * connection closed. */
#ifndef PT_HTTP_FRAMING_H
#define PT_HTTP_FRAMING_H

#include <stdbool.h>
#include <stddef.h>
#include <llhttp.h>

#include "http/conn.h"

/* RFC 9110 5.1 tchar: 1 for the bytes a token may hold. */
extern const unsigned char pt__tchar[256];

/* RFC 9110 5.1: a field name is a non-empty token. llhttp lets some bytes
 * through (spaces before the colon); a name with them is refused. */
static inline bool pt__is_token(const char *s, size_t n)
{
    if (!n)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!pt__tchar[(unsigned char)s[i]])
            return false;
    return true;
}

/* RFC 9112 3.2 / RFC 3986 3.2.2: s[0..n) is uri-host [ ":" port ], where
 * uri-host is an IP literal in brackets or a reg-name. Empty is valid. */
bool pt__host_valid(const char *s, size_t n);

/* Transfer-Encoding (RFC 9112 6.1) over r's headers: only "chunked" is
 * implemented, and it must come once. Returns 0, or the status to refuse
 * the request with (400 or 501) and the text in *why. */
int pt__transfer_coding_check(const pt_req_t *r, const char **why);

/* Scans a request head in [p, end), from where the last scan of c's head
 * stopped, for a line that starts with SP or HT: obsolete line folding
 * (RFC 9112 5.2). llhttp folds it into the previous field's value; a proxy
 * that reads the indented line as a field of its own frames the message
 * differently, so it is refused, as nginx does. The scan clears
 * c->head_scan at the empty line that ends the head and never reads into a
 * body. Returns true on a fold. */
bool pt__head_folds(pt__conn_t *c, const char *p, const char *end);

/* Reads a chunk-size line from [*pp, end) (after what waits in c->tok) and
 * hands llhttp its size alone. Returns HPE_OK with *pp past the line, or
 * past the input when the line is not complete yet (kept in c->tok), or an
 * error (parse_error set when it is ours). */
llhttp_errno_t pt__chunk_line(pt__conn_t *c, const char **pp, const char *end);

/* Checks the CRLF after a chunk's data in [*pp, end), across reads, and
 * hands it to llhttp. */
llhttp_errno_t pt__chunk_crlf(pt__conn_t *c, const char **pp, const char *end);

#endif
