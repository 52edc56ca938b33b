/* Request bodies in the charset their Content-Type names, decoded to UTF-8
 * before a text or JSON body field reads them (text and JSON are read as
 * UTF-8 everywhere else). glibc's iconv does the decoding. */
#define _GNU_SOURCE
#include <ctype.h>
#include <errno.h>
#include <iconv.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "http/conn.h"

/* The charset parameter of a Content-Type value, copied into out (lower
 * case, quotes removed); false when there is none. */
static bool charset_param(const char *ct, char *out, size_t outlen)
{
    for (const char *p = ct ? strchr(ct, ';') : NULL; p; p = strchr(p + 1, ';')) {
        const char *q = p + 1;
        while (*q == ' ' || *q == '\t')
            q++;
        if (strncasecmp(q, "charset", 7) != 0)
            continue;
        q += 7;
        while (*q == ' ' || *q == '\t')
            q++;
        if (*q != '=')
            continue;
        q++;
        while (*q == ' ' || *q == '\t')
            q++;
        bool quoted = *q == '"';
        q += quoted;
        size_t n = 0;
        while (*q && n + 1 < outlen && (quoted ? *q != '"' : (*q != ';' && *q != ' ' && *q != '\t')))
            out[n++] = (char)tolower((unsigned char)*q++);
        out[n] = 0;
        return n > 0;
    }
    return false;
}

static bool is_utf8_name(const char *cs)
{
    return !strcmp(cs, "utf-8") || !strcmp(cs, "utf8") || !strcmp(cs, "utf_8") || !strcmp(cs, "u8");
}

/* iconv names are stricter than Python's codec lookup: "latin-1" and
 * "utf_16" are spelled "latin1" and "utf-16" there. */
static iconv_t open_decoder(const char *cs, bool bom_le)
{
    char name[64], alt[64];
    snprintf(name, sizeof name, "%s", cs);
    /* Without a byte order mark Python's utf-16/utf-32 read little-endian
     * (the machine's order on x86_64 and aarch64); iconv would read
     * big-endian. */
    if (bom_le) {
        if (!strcmp(cs, "utf-16") || !strcmp(cs, "utf_16") || !strcmp(cs, "utf16"))
            snprintf(name, sizeof name, "UTF-16LE");
        else if (!strcmp(cs, "utf-32") || !strcmp(cs, "utf_32") || !strcmp(cs, "utf32"))
            snprintf(name, sizeof name, "UTF-32LE");
    }
    iconv_t cd = iconv_open("UTF-8", name);
    if (cd != (iconv_t)-1)
        return cd;
    size_t n = 0;
    for (const char *p = cs; *p && n + 1 < sizeof alt; p++)
        alt[n++] = *p == '_' ? '-' : *p;
    alt[n] = 0;
    cd = iconv_open("UTF-8", alt);
    if (cd != (iconv_t)-1)
        return cd;
    n = 0;
    for (const char *p = cs; *p && n + 1 < sizeof alt; p++)
        if (*p != '-' && *p != '_')
            alt[n++] = *p;
    alt[n] = 0;
    return iconv_open("UTF-8", alt);
}

int pt__req_body_decode(pt_req_t *r, const char **why)
{
    char cs[48];
    if (r->body_decoded || !charset_param(pt_req_header(r, "Content-Type"), cs, sizeof cs) ||
        is_utf8_name(cs))
        return 0;
    const unsigned char *in = (const unsigned char *)r->body.data;
    size_t inlen = r->body.len;
    bool has_bom = inlen >= 2 && ((in[0] == 0xFF && in[1] == 0xFE) || (in[0] == 0xFE && in[1] == 0xFF));
    iconv_t cd = open_decoder(cs, !has_bom);
    if (cd == (iconv_t)-1) {
        *why = pt_arena_printf(&r->arena, "unsupported charset '%s'", cs);
        return 415;
    }
    /* UTF-8 takes at most 4 bytes per input byte for every charset iconv
     * decodes (3 for a 1-byte charset, 4 for 2-byte units of UTF-16). */
    size_t cap = inlen * 4 + 1;
    pt__buf_t out = { 0 };
    pt__buf_reserve(&out, cap);
    char *src = r->body.data ? r->body.data : (char *)"";
    char *dst = out.data;
    size_t left = inlen, room = cap;
    size_t rc = iconv(cd, &src, &left, &dst, &room);
    if (rc != (size_t)-1)
        rc = iconv(cd, NULL, NULL, &dst, &room); /* flush shift state */
    iconv_close(cd);
    if (rc == (size_t)-1) {
        pt__buf_free(&out);
        *why = pt_arena_printf(&r->arena, "request body is not valid %s text", cs);
        return 400;
    }
    out.len = cap - room;
    /* The body now holds the decoded text: pt_req_body agrees with what the
     * fields read. */
    pt__buf_free(&r->body);
    r->body = out;
    r->body_decoded = true;
    return 0;
}
