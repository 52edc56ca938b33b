/* pt_fields_server: declared request fields the examples do not cover, for
 * tests/http/test_fields_edges.py. Every handler echoes what it was handed,
 * so the tests can tell exactly what the framework extracted.
 *
 *   PORT, PONTY_WORKERS, PT_MAX_BODY (unset or 0: the framework's default). */
#include <ponty.h>

#include <stdlib.h>
#include <string.h>

static json_t *str_or_null(const char *s) { return s ? json_string(s) : json_null(); }

/* ---- headers: required, default, implicit "", Content-Length/-Type ---- */

typedef struct {
    const char *token;
    const char *lang;
    const char *plain;
    const char *clen;
    const char *ctype;
} hdr_in;

PT_FIELDS(hdr_in,
          PT_HEADER(token, .key = "X-Token", .required = true),
          PT_HEADER(lang, .key = "Accept-Language", .dflt = "en"),
          PT_HEADER(plain, .key = "X-Plain"),
          PT_CONTENT_LENGTH(clen),
          PT_CONTENT_TYPE(ctype));

PT_ROUTE_IN("*", "/hdr", hdr, hdr_in)
{
    return json_pack("{s:o,s:o,s:o,s:o,s:o}", "token", str_or_null(in->token),
                     "lang", str_or_null(in->lang), "plain", str_or_null(in->plain),
                     "clen", str_or_null(in->clen), "ctype", str_or_null(in->ctype));
}

/* ---- cookies: required with 401, default, implicit "", another key ---- */

typedef struct {
    const char *session;
    const char *theme;
    const char *tracker;
    const char *sid;
} cookie_in;

PT_FIELDS(cookie_in,
          PT_COOKIE(session, .required = true, .errorcode = 401),
          PT_COOKIE(theme, .dflt = "light"),
          PT_COOKIE(tracker),
          PT_COOKIE(sid, .key = "SID"));

PT_GET_IN("/cookie", cookie, cookie_in)
{
    return json_pack("{s:o,s:o,s:o,s:o}", "session", str_or_null(in->session),
                     "theme", str_or_null(in->theme), "tracker", str_or_null(in->tracker),
                     "sid", str_or_null(in->sid));
}

/* ---- bodies ---- */

typedef struct {
    const char *text;
} text_in;

PT_FIELDS(text_in, PT_BODY_TEXT(text));

/* The text may hold NUL: its length comes from pt_req_body. */
PT_POST_IN("/text", text, text_in)
{
    size_t len = 0;
    pt_req_body(pt_req_current(), &len);
    return json_pack("{s:o,s:I}", "text", in->text ? json_stringn(in->text, len) : json_null(),
                     "bytes", (json_int_t)len);
}

/* ---- a route field that takes any segment ---- */

typedef struct {
    const char *seg;
} any_in;

PT_FIELDS(any_in, PT_ROUTE_STR(seg, .pattern = "[^/]+"));

PT_GET_IN("/any/{seg}", any, any_in)
{
    return json_pack("{s:s}", "seg", in->seg);
}

typedef struct {
    json_t *body;
} json_in;

PT_FIELDS(json_in, PT_BODY_JSON(body));

static const char *json_kind(const json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_OBJECT: return "object";
    case JSON_ARRAY: return "array";
    case JSON_STRING: return "string";
    case JSON_INTEGER: return "integer";
    case JSON_REAL: return "real";
    case JSON_TRUE: case JSON_FALSE: return "boolean";
    case JSON_NULL: return "null";
    }
    return "?";
}

/* Any media type. */
PT_POST_IN("/json", json_any, json_in)
{
    return json_pack("{s:s,s:O}", "kind", in->body ? json_kind(in->body) : "NULL",
                     "body", in->body ? in->body : json_null());
}

typedef struct {
    json_t *body;
} json_ct_in;

PT_FIELDS(json_ct_in, PT_BODY_JSON(body));

/* Only application/json (parameters and case ignored). */
PT_POST_IN("/json_ct", json_ct, json_ct_in, .mimetype = "application/json")
{
    return json_pack("{s:O}", "body", in->body);
}

typedef struct {
    json_t *body;
} schema_in;

PT_FIELDS(schema_in,
          PT_BODY_SCHEMA(body, .schema_text =
              "{\"$schema\": \"http://json-schema.org/draft-07/schema#\","
              " \"type\": \"object\","
              " \"properties\": {\"n\": {\"type\": \"integer\", \"minimum\": 1},"
              "                  \"tag\": {\"type\": \"string\", \"maxLength\": 3}},"
              " \"required\": [\"n\"],"
              " \"additionalProperties\": false}"));

PT_POST_IN("/schema", schema, schema_in)
{
    return json_pack("{s:O}", "body", in->body);
}

/* "format": an annotation by default, checked with .check_format */

#define EMAIL_SCHEMA "{\"type\": \"object\", \"properties\": {\"e\": {\"type\": \"string\", \"format\": \"email\"}}}"

typedef struct {
    json_t *body;
} fmt_in;

PT_FIELDS(fmt_in, PT_BODY_SCHEMA(body, .schema_text = EMAIL_SCHEMA));

PT_POST_IN("/format", fmt, fmt_in)
{
    return json_pack("{s:O}", "body", in->body);
}

typedef struct {
    json_t *body;
} fmt_checked_in;

PT_FIELDS(fmt_checked_in, PT_BODY_SCHEMA(body, .schema_text = EMAIL_SCHEMA, .check_format = true));

PT_POST_IN("/format_checked", fmt_checked, fmt_checked_in)
{
    return json_pack("{s:O}", "body", in->body);
}

/* a raise with a custom media type */
PT_GET("/teapot", teapot)
{
    (void)req;
    pt_raise_status(418, .text = "teapot", .content_type = "text/html");
}

typedef struct {
    const pt_jv_t *body;
} tree_in;

PT_FIELDS(tree_in,
          PT_BODY_TREE(body, .schema_text =
              "{\"type\": \"array\", \"items\": {\"type\": \"object\","
              " \"properties\": {\"n\": {\"type\": \"integer\", \"maximum\": 100}},"
              " \"required\": [\"n\"]}}"));

/* The parsed body, validated, echoed straight from the tree. */
PT_POST_IN("/tree", tree, tree_in)
{
    return pt_data_tree(pt_req_current(), in->body);
}

typedef struct {
    const pt_jv_t *body;
} any_tree_in;

PT_FIELDS(any_tree_in, PT_BODY_TREE(body));

PT_POST_IN("/any_tree", any_tree, any_tree_in)
{
    return pt_data_tree(pt_req_current(), in->body);
}

typedef struct {
    const pt_jv_t *body;
} recursive_in;

/* A schema that recurses once per level of the body: the deepest walk the
 * validator makes, on the request's coroutine stack. */
PT_FIELDS(recursive_in,
          PT_BODY_TREE(body, .schema_text = "{\"type\": \"array\", \"items\": {\"allOf\": [{\"$ref\": \"#\"}]}}"));

PT_POST_IN("/recursive", recursive, recursive_in)
{
    return pt_data_tree(pt_req_current(), in->body);
}

/* ---- the raw request ---- */

typedef struct {
    pt_req_t   *req;
    const char *q;
} raw_in;

PT_FIELDS(raw_in, PT_RAW(req), PT_QUERY_STR(q, .dflt = "-"));

PT_GET_IN("/raw", raw, raw_in)
{
    const char *xa = pt_req_header(in->req, "X-Anything");
    return json_pack("{s:s,s:s,s:s,s:s,s:o,s:b}", "method", pt_req_method(in->req),
                     "path", pt_req_path(in->req), "query", pt_req_query_string(in->req),
                     "q", in->q, "x_anything", str_or_null(xa),
                     "same", in->req == pt_req_current());
}

/* ---- route fields ---- */

typedef struct {
    int64_t id;
} item_in;

PT_FIELDS(item_in, PT_ROUTE_POSINT(id));

PT_GET_IN("/items/{id}", item, item_in)
{
    return json_pack("{s:I}", "id", (json_int_t)in->id);
}

typedef struct {
    int r, g, b;
} rgb_t;

/* #rrggbb without the # or a few names; anything else does not cast. */
static int cast_color(const char *raw, void *out, pt_arena_t *arena)
{
    (void)arena;
    static const struct { const char *name; rgb_t v; } names[] = {
        { "red", { 255, 0, 0 } }, { "green", { 0, 128, 0 } }, { "blue", { 0, 0, 255 } },
    };
    rgb_t *c = out;
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (strcmp(raw, names[i].name) == 0) {
            *c = names[i].v;
            return 0;
        }
    if (strlen(raw) != 6)
        return -1;
    for (int i = 0; i < 6; i++)
        if (!strchr("0123456789abcdefABCDEF", raw[i]))
            return -1;
    unsigned long v = strtoul(raw, NULL, 16);
    c->r = (int)(v >> 16 & 0xff);
    c->g = (int)(v >> 8 & 0xff);
    c->b = (int)(v & 0xff);
    return 0;
}

typedef struct {
    rgb_t rgb;
} color_in;

PT_FIELDS(color_in, PT_ROUTE_CUSTOM(rgb, .pattern = "[0-9a-fA-F]{6}|[a-z]+", .cast = cast_color));

PT_GET_IN("/color/{rgb}", color, color_in)
{
    return json_pack("{s:i,s:i,s:i}", "r", in->rgb.r, "g", in->rgb.g, "b", in->rgb.b);
}

/* ---- query fields: custom casts, required ones, errorcode ---- */

typedef struct {
    long lo, hi;
} span_t;

/* "LO-HI" with LO <= HI, both plain decimal. */
static int cast_span(const char *raw, void *out, pt_arena_t *arena)
{
    (void)arena;
    span_t *s = out;
    char *end;
    if (!*raw || !strchr("0123456789", *raw))
        return -1;
    s->lo = strtol(raw, &end, 10);
    if (*end != '-' || !end[1] || !strchr("0123456789", end[1]))
        return -1;
    s->hi = strtol(end + 1, &end, 10);
    return *end || s->lo > s->hi ? -1 : 0;
}

/* A comma-separated list, stored as an arena copy with its item count. */
typedef struct {
    const char *text;
    long        count;
} list_t;

static int cast_list(const char *raw, void *out, pt_arena_t *arena)
{
    list_t *l = out;
    l->text = pt_arena_strdup(arena, raw);
    l->count = 0;
    if (*raw) {
        l->count = 1;
        for (const char *p = raw; *p; p++)
            if (*p == ',')
                l->count++;
    }
    return 0;
}

typedef struct {
    span_t  span;
    list_t  tags;
    span_t  shade;
} range_in;

PT_FIELDS(range_in,
          PT_QUERY(span, .cast = cast_span, .required = true),
          PT_QUERY(tags, .cast = cast_list, .dflt = "a,b"),
          PT_QUERY(shade, .cast = cast_span, .values = PT_VALUES("0-1", "1-2"), .dflt = "0-1"));

PT_GET_IN("/range", range, range_in)
{
    return json_pack("{s:[i,i],s:s,s:i,s:[i,i]}", "span", (json_int_t)in->span.lo, (json_int_t)in->span.hi,
                     "tags", in->tags.text, "ntags", (json_int_t)in->tags.count,
                     "shade", (json_int_t)in->shade.lo, (json_int_t)in->shade.hi);
}

typedef struct {
    const char *q;
    int64_t     page;
    bool        exact;
} need_in;

PT_FIELDS(need_in,
          PT_QUERY_STR(q, .required = true),
          PT_QUERY_POSINT(page, .required = true, .errorcode = 422),
          PT_QUERY_BOOL(exact, .dflt = "t"));

PT_GET_IN("/need", need, need_in)
{
    return json_pack("{s:s,s:I,s:b}", "q", in->q, "page", (json_int_t)in->page, "exact", in->exact);
}

/* ---- only declared fields reach the handler ---- */

typedef struct {
    const char *name;
    const char *q;
    const char *h;
    const char *c;
    const char *undeclared; /* a member with no field: always NULL */
    int64_t     also_undeclared;
} iso_in;

PT_FIELDS(iso_in,
          PT_ROUTE_STR(name),
          PT_QUERY_STR(q, .dflt = "dq"),
          PT_HEADER(h, .key = "X-H", .dflt = "dh"),
          PT_COOKIE(c, .dflt = "dc"));

PT_GET_IN("/iso/{name}", iso, iso_in)
{
    return json_pack("{s:s,s:s,s:s,s:s,s:o,s:I}", "name", in->name, "q", in->q, "h", in->h, "c", in->c,
                     "undeclared", str_or_null(in->undeclared),
                     "also_undeclared", (json_int_t)in->also_undeclared);
}

/* tests/unit/test_tc_fields.c serves these routes through the test client:
 * it compiles this file without its main. */
#ifndef PT_SERVER_NO_MAIN
int main(void)
{
    long max_body = pt_env_long("PT_MAX_BODY", 0);
    return pt_run(.port = (int)pt_env_long("PORT", 8080),
                  .limits = { .max_body = max_body > 0 ? (size_t)max_body : 0 });
}
#endif
