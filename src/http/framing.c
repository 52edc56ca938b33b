/* HTTP/1.1 message framing checked around llhttp (which runs in its loose
 * mode, see CMakeLists.txt): header names, Host, transfer codings,
 * obsolete line folding, chunk-size lines and the CRLF after chunk data.
 * See framing.h. */
#define _GNU_SOURCE
#include "http/framing.h"

#include <string.h>
#include <strings.h>

/* RFC 9110 5.1 tchar. */
const unsigned char pt__tchar[256] = {
    ['!'] = 1, ['#'] = 1, ['$'] = 1, ['%'] = 1, ['&'] = 1, ['\''] = 1, ['*'] = 1, ['+'] = 1,
    ['-'] = 1, ['.'] = 1, ['^'] = 1, ['_'] = 1, ['`'] = 1, ['|'] = 1, ['~'] = 1,
    ['0'] = 1, ['1'] = 1, ['2'] = 1, ['3'] = 1, ['4'] = 1, ['5'] = 1, ['6'] = 1, ['7'] = 1, ['8'] = 1, ['9'] = 1,
    ['A'] = 1, ['B'] = 1, ['C'] = 1, ['D'] = 1, ['E'] = 1, ['F'] = 1, ['G'] = 1, ['H'] = 1, ['I'] = 1,
    ['J'] = 1, ['K'] = 1, ['L'] = 1, ['M'] = 1, ['N'] = 1, ['O'] = 1, ['P'] = 1, ['Q'] = 1, ['R'] = 1,
    ['S'] = 1, ['T'] = 1, ['U'] = 1, ['V'] = 1, ['W'] = 1, ['X'] = 1, ['Y'] = 1, ['Z'] = 1,
    ['a'] = 1, ['b'] = 1, ['c'] = 1, ['d'] = 1, ['e'] = 1, ['f'] = 1, ['g'] = 1, ['h'] = 1, ['i'] = 1,
    ['j'] = 1, ['k'] = 1, ['l'] = 1, ['m'] = 1, ['n'] = 1, ['o'] = 1, ['p'] = 1, ['q'] = 1, ['r'] = 1,
    ['s'] = 1, ['t'] = 1, ['u'] = 1, ['v'] = 1, ['w'] = 1, ['x'] = 1, ['y'] = 1, ['z'] = 1,
};

/* Host (RFC 9112 3.2, RFC 3986 3.2.2) is checked in one pass, one table
 * lookup and one transition a byte: every request has a Host.
 *
 * The class of a byte: a reg-name byte (unreserved, pct-encoded and
 * sub-delims; an IPv4 address is one) other than a digit or '.', a digit,
 * '.', ':', or none of these (0). */
enum { HB_NO, HB_NAME, HB_DIGIT, HB_DOT, HB_COLON };
static const unsigned char host_byte[256] = {
    ['-'] = HB_NAME, ['_'] = HB_NAME, ['~'] = HB_NAME, ['%'] = HB_NAME, ['!'] = HB_NAME, ['$'] = HB_NAME,
    ['&'] = HB_NAME, ['\''] = HB_NAME, ['('] = HB_NAME, [')'] = HB_NAME, ['*'] = HB_NAME, ['+'] = HB_NAME,
    [','] = HB_NAME, [';'] = HB_NAME, ['='] = HB_NAME,
    ['A' ... 'Z'] = HB_NAME, ['a' ... 'z'] = HB_NAME,
    ['0' ... '9'] = HB_DIGIT, ['.'] = HB_DOT, [':'] = HB_COLON,
};

/* The states: in a reg-name (or before it), just after a '.', in the port,
 * just after an IP literal's ']', refused. Rows of 8: a state times 8 is an
 * addressing mode, not a multiplication. */
enum { HS_NAME, HS_DOT, HS_PORT, HS_LITERAL, HS_BAD };
static const unsigned char host_next[5][8] = {
    /*             HB_NO   HB_NAME  HB_DIGIT HB_DOT  HB_COLON */
    [HS_NAME]    = { HS_BAD, HS_NAME, HS_NAME, HS_DOT, HS_PORT },
    /* An empty label ("x..y") names no host: nginx refuses it too. */
    [HS_DOT]     = { HS_BAD, HS_NAME, HS_NAME, HS_BAD, HS_PORT },
    [HS_PORT]    = { HS_BAD, HS_BAD, HS_PORT, HS_BAD, HS_BAD },
    [HS_LITERAL] = { HS_BAD, HS_BAD, HS_BAD, HS_BAD, HS_PORT },
    [HS_BAD]     = { HS_BAD, HS_BAD, HS_BAD, HS_BAD, HS_BAD },
};

/* A byte of an IP literal between the brackets: hex digits, ':', '.' and
 * the 'v' of IPvFuture. */
static bool ip_literal_byte(unsigned char ch)
{
    unsigned char l = ch | 0x20;
    return (ch >= '0' && ch <= '9') || (l >= 'a' && l <= 'f') || l == 'v' || ch == ':' || ch == '.';
}

bool pt__host_valid(const char *s, size_t n)
{
    const unsigned char *u = (const unsigned char *)s, *e = u + n;
    size_t st = HS_NAME; /* a register-wide index: no zero extension a byte */
    if (u < e && *u == '[') {
        for (u++; u < e && *u != ']'; u++)
            if (!ip_literal_byte(*u))
                return false;
        if (u == e)
            return false;
        u++;
        st = HS_LITERAL;
    }
    for (; u < e; u++)
        st = host_next[st][host_byte[*u]];
    return st != HS_BAD;
}

int pt__transfer_coding_check(const pt_req_t *r, const char **why)
{
    unsigned chunked = 0;
    for (unsigned i = 0; i < r->nheaders; i++) {
        const pt__header_t *h = &r->headers[i];
        if (h->name_len != 17 || strncasecmp(h->name, "transfer-encoding", 17) != 0)
            continue;
        const char *v = h->value, *e = v + h->value_len;
        while (v < e) {
            while (v < e && (*v == ' ' || *v == '\t' || *v == ','))
                v++;
            const char *t = v;
            while (v < e && *v != ',' && *v != ' ' && *v != '\t' && *v != ';')
                v++;
            if (v == t) {
                if (v < e) { /* parameters with no coding before them (";chunked") */
                    *why = "400: Bad Request (empty transfer coding)";
                    return 400;
                }
                continue;
            }
            if ((size_t)(v - t) != 7 || strncasecmp(t, "chunked", 7) != 0) {
                *why = "501: Not Implemented (transfer coding other than chunked)";
                return 501;
            }
            chunked++;
            while (v < e && *v != ',')
                v++; /* parameters of chunked: none are defined */
        }
    }
    /* Codings other than chunked were refused above, so no chunked means
     * the field names no coding at all (" , ,"): read without it the
     * message would have no body, while a proxy that takes the field as
     * present frames it otherwise. */
    if (!chunked) {
        *why = "400: Bad Request (empty transfer coding)";
        return 400;
    }
    *why = "400: Bad Request (chunked more than once)";
    return chunked > 1 ? 400 : 0;
}

bool pt__head_folds(pt__conn_t *c, const char *p, const char *end)
{
    /* Scanned in locals and stored once: stores through c would make the
     * compiler reload both flags at every byte. */
    bool lf = c->head_lf, seen = c->head_seen, fold = false;
    while (p < end) {
        if (seen && !lf) {
            /* Inside a line: nothing but its LF changes what is known. */
            const char *nl = memchr(p, '\n', (size_t)(end - p));
            if (!nl)
                break;
            lf = true;
            p = nl + 1;
            if (p == end)
                break;
        }
        /* At a line's start: its first byte other than CR decides. */
        char ch = *p++;
        if (ch == '\r') {
            /* CRLF at a line's start after the first: the empty line that
             * ends the head, in one step. */
            if (seen && p < end && *p == '\n') {
                c->head_scan = false;
                break;
            }
            continue;
        }
        if (seen) { /* and lf: a line ended before this one */
            if (ch == ' ' || ch == '\t') {
                fold = true;
                break;
            }
            if (ch == '\n') {
                c->head_scan = false; /* end of the head */
                break;
            }
        }
        lf = ch == '\n';
        seen |= ch != '\n';
    }
    c->head_lf = lf;
    c->head_seen = seen;
    return fold;
}

/* RFC 9112 7.1: chunk-size [ chunk-ext ] CRLF, where
 *   chunk-ext = *( BWS ";" BWS name [ BWS "=" BWS value ] )
 * with name a token and value a token or a quoted-string. Extensions have
 * no meaning here: they are checked and dropped. Copies "size\r\n" to out
 * (at least len bytes) and returns its length, or -1 for a malformed line.
 * line[0..len) ends with LF. */
static inline bool is_hex(char ch)
{
    return (ch >= '0' && ch <= '9') || ((ch | 0x20) >= 'a' && (ch | 0x20) <= 'f');
}

static long chunk_line_strip(const char *line, size_t len, char *out)
{
    const char *s = line, *e = line + len - 1; /* e at the LF */
    if (e > s && e[-1] == '\r')
        e--;
    else
        return -1; /* strict: CRLF */
    const char *h = s;
    while (s < e && is_hex(*s))
        s++;
    size_t hn = (size_t)(s - h);
    if (!hn)
        return -1;
    while (s < e) {
        while (s < e && (*s == ' ' || *s == '\t'))
            s++;
        if (s == e)
            break; /* trailing whitespace: BWS before CRLF */
        if (*s++ != ';')
            return -1;
        while (s < e && (*s == ' ' || *s == '\t'))
            s++;
        const char *n = s;
        while (s < e && pt__tchar[(unsigned char)*s])
            s++;
        if (s == n)
            return -1;
        const char *t = s;
        while (t < e && (*t == ' ' || *t == '\t'))
            t++;
        if (t < e && *t == '=') {
            s = t + 1;
            while (s < e && (*s == ' ' || *s == '\t'))
                s++;
            if (s < e && *s == '"') {
                for (s++; s < e && *s != '"'; s++)
                    if (*s == '\\' && ++s == e)
                        return -1;
                if (s == e)
                    return -1;
                s++;
            } else {
                const char *v = s;
                while (s < e && pt__tchar[(unsigned char)*s])
                    s++;
                if (s == v)
                    return -1;
            }
        }
    }
    memcpy(out, h, hn);
    memcpy(out + hn, "\r\n", 2);
    return (long)(hn + 2);
}

#define PT_CHUNK_LINE_MAX 4096

llhttp_errno_t pt__chunk_line(pt__conn_t *c, const char **pp, const char *end)
{
    const char *p = *pp;
    const char *nl = memchr(p, '\n', (size_t)(end - p));
    size_t have = nl ? (size_t)(nl + 1 - p) : (size_t)(end - p);
    if (c->tok.len + have > PT_CHUNK_LINE_MAX) {
        (void)pt__conn_fail(c, 400, "400: Bad Request (chunk-size line too long)");
        return HPE_USER;
    }
    if (!nl) {
        pt__buf_append(&c->tok, p, have);
        *pp = end;
        return HPE_OK;
    }
    const char *line = p;
    size_t llen = have;
    if (c->tok.len) {
        pt__buf_append(&c->tok, p, have);
        line = c->tok.data;
        llen = c->tok.len;
    }
    *pp = nl + 1;
    char norm[PT_CHUNK_LINE_MAX];
    long n = chunk_line_strip(line, llen, norm);
    c->tok.len = 0;
    c->chunk_line = false;
    if (n < 0) {
        (void)pt__conn_fail(c, 400, "400: Bad Request (invalid chunk-size line)");
        return HPE_USER;
    }
    return llhttp_execute(&c->parser, norm, (size_t)n);
}

llhttp_errno_t pt__chunk_crlf(pt__conn_t *c, const char **pp, const char *end)
{
    const char *p = *pp;
    while (p < end && c->chunk_crlf) {
        char want = c->chunk_crlf == 1 ? '\r' : '\n';
        if (*p++ != want) {
            (void)pt__conn_fail(c, 400, "400: Bad Request (chunk data not followed by CRLF)");
            return HPE_USER;
        }
        c->chunk_crlf = c->chunk_crlf == 1 ? 2 : 0;
    }
    *pp = p;
    if (c->chunk_crlf)
        return HPE_OK; /* the rest comes with the next read */
    llhttp_errno_t e = llhttp_execute(&c->parser, "\r\n", 2);
    if (e == HPE_PAUSED && c->chunk_line) {
        /* on_chunk_complete paused for the next chunk-size line, which
         * starts at *pp in the caller's input. */
        llhttp_resume(&c->parser);
        return HPE_OK;
    }
    return e;
}
