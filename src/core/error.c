/* Raising HTTP errors: the running task records the answer (its ops, set
 * by src/http for a request), then its coroutine is left for good
 * (core/coro.h pt__coro_exit). In core so that every module can raise
 * without linking src/http. The reason phrases (pt_status_reason) are here
 * too: ponty/error.h is implemented in this file. */
#include "ponty/error.h"

#include <stdio.h>
#include <stdlib.h>

#include "core/context.h"
#include "core/coro.h"

const pt_error_kind_t pt_error_generic = { "PontyError", 500, NULL };
const pt_error_kind_t pt_error_does_not_exist = { "DoesNotExist", 404, &pt_error_generic };
const pt_error_kind_t pt_error_validation = { "ValidationError", 400, &pt_error_generic };
const pt_error_kind_t pt_error_locked = { "Locked", 409, &pt_error_generic };
const pt_error_kind_t pt_error_stampede = { "Stampede", 409, &pt_error_locked };

bool pt_error_kind_is(const pt_error_kind_t *kind, const pt_error_kind_t *base)
{
    for (; kind; kind = kind->base)
        if (kind == base)
            return true;
    return false;
}

_Noreturn void pt_raise_status_opts(int status, const pt_raise_opts_t *o)
{
    pt__task_t *t = pt__task_current();
    if (!t || !t->ops) {
        fprintf(stderr, "ponty: pt_raise_status(%d%s%s) outside a request\n", status,
                o->text ? ", " : "", o->text ? o->text : "");
        abort();
    }
    t->ops->raise(t, status, o);
    pt__coro_exit();
}

_Noreturn void pt_raise_kind_opts(const pt_error_kind_t *kind, const pt_raise_opts_t *o)
{
    pt_raise_status_opts(kind ? kind->status : 500, o);
}

const char *pt_status_reason(int status)
{
    switch (status) {
    case 100: return "Continue";
    case 101: return "Switching Protocols";
    case 200: return "OK";
    case 201: return "Created";
    case 202: return "Accepted";
    case 203: return "Non-Authoritative Information";
    case 204: return "No Content";
    case 205: return "Reset Content";
    case 206: return "Partial Content";
    case 300: return "Multiple Choices";
    case 301: return "Moved Permanently";
    case 302: return "Found";
    case 303: return "See Other";
    case 304: return "Not Modified";
    case 307: return "Temporary Redirect";
    case 308: return "Permanent Redirect";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 402: return "Payment Required";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 406: return "Not Acceptable";
    case 407: return "Proxy Authentication Required";
    case 408: return "Request Timeout";
    case 409: return "Conflict";
    case 410: return "Gone";
    case 411: return "Length Required";
    case 412: return "Precondition Failed";
    case 413: return "Request Entity Too Large";
    case 414: return "Request-URI Too Long";
    case 415: return "Unsupported Media Type";
    case 416: return "Requested Range Not Satisfiable";
    case 417: return "Expectation Failed";
    case 418: return "I'm a teapot";
    case 421: return "Misdirected Request";
    case 422: return "Unprocessable Entity";
    case 423: return "Locked";
    case 424: return "Failed Dependency";
    case 425: return "Too Early";
    case 426: return "Upgrade Required";
    case 428: return "Precondition Required";
    case 429: return "Too Many Requests";
    case 431: return "Request Header Fields Too Large";
    case 451: return "Unavailable For Legal Reasons";
    case 500: return "Internal Server Error";
    case 501: return "Not Implemented";
    case 502: return "Bad Gateway";
    case 503: return "Service Unavailable";
    case 504: return "Gateway Timeout";
    case 505: return "HTTP Version Not Supported";
    case 507: return "Insufficient Storage";
    case 511: return "Network Authentication Required";
    default: return "Unknown";
    }
}
