/* pt_bad_route_server: one broken field declaration per named route table;
 * $PT_BAD picks the table served (and "ok" a sound one), so the tests can
 * check that pt_run refuses to start, naming the route.
 *
 *   PORT, PONTY_WORKERS, PT_BAD. */
/* Routes go to the named table PT_ROUTE_TABLE names (ponty/route.h); it is
 * redefined before each route below. */
#define PT_ROUTE_TABLE PT_BAD_TABLE
#include <ponty.h>

#include <stdlib.h>

static json_t *ok_json(void) { return json_pack("{s:b}", "ok", 1); }

/* ok: a sound declaration, the control. */
#define PT_BAD_TABLE "ok"
typedef struct { const char *name; int64_t n; } ok_in;
PT_FIELDS(ok_in, PT_ROUTE_STR(name), PT_QUERY_POSINT(n, .dflt = "1"));
PT_GET_IN("/ok/{name}", ok_route, ok_in) { (void)in; return ok_json(); }
#undef PT_BAD_TABLE

/* placeholder: {who} in the path, no route field "who". */
#define PT_BAD_TABLE "placeholder"
typedef struct { const char *name; } ph_in;
PT_FIELDS(ph_in, PT_ROUTE_STR(name));
PT_GET_IN("/hello/{name}/{who}", placeholder_route, ph_in) { (void)in; return ok_json(); }
#undef PT_BAD_TABLE

/* unplaced: route field "id" but no {id} in the path. */
#define PT_BAD_TABLE "unplaced"
typedef struct { int64_t id; } up_in;
PT_FIELDS(up_in, PT_ROUTE_POSINT(id));
PT_GET_IN("/items", unplaced_route, up_in) { (void)in; return ok_json(); }
#undef PT_BAD_TABLE

/* query_nodflt: a query field neither required nor defaulted. */
#define PT_BAD_TABLE "query_nodflt"
typedef struct { const char *q; } qn_in;
PT_FIELDS(qn_in, PT_QUERY_STR(q));
PT_GET_IN("/search", query_nodflt_route, qn_in) { (void)in; return ok_json(); }
#undef PT_BAD_TABLE

/* bad_dflt: a POSINT default that does not cast. */
#define PT_BAD_TABLE "bad_dflt"
typedef struct { int64_t bangs; } bd_in;
PT_FIELDS(bd_in, PT_QUERY_POSINT(bangs, .dflt = "many"));
PT_GET_IN("/bangs", bad_dflt_route, bd_in) { (void)in; return ok_json(); }
#undef PT_BAD_TABLE

/* bad_bool_dflt: a BOOL default outside the boolish table. */
#define PT_BAD_TABLE "bad_bool_dflt"
typedef struct { bool loud; } bb_in;
PT_FIELDS(bb_in, PT_QUERY_BOOL(loud, .dflt = "maybe"));
PT_GET_IN("/loud", bad_bool_dflt_route, bb_in) { (void)in; return ok_json(); }
#undef PT_BAD_TABLE

/* no_schema_file: a schema file that does not exist. */
#define PT_BAD_TABLE "no_schema_file"
typedef struct { json_t *body; } ns_in;
PT_FIELDS(ns_in, PT_BODY_SCHEMA(body, .schema_file = "no-such-dir/missing-schema.json"));
PT_POST_IN("/upload", no_schema_file_route, ns_in) { (void)in; return ok_json(); }
#undef PT_BAD_TABLE

/* bad_schema_text: schema text that is not JSON. */
#define PT_BAD_TABLE "bad_schema_text"
typedef struct { json_t *body; } bs_in;
PT_FIELDS(bs_in, PT_BODY_SCHEMA(body, .schema_text = "{\"type\": "));
PT_POST_IN("/things", bad_schema_text_route, bs_in) { (void)in; return ok_json(); }
#undef PT_BAD_TABLE

/* no_cast: a custom query field without .cast. */
#define PT_BAD_TABLE "no_cast"
typedef struct { int x; } nc_in;
PT_FIELDS(nc_in, PT_QUERY(x, .dflt = "1"));
PT_GET_IN("/nocast", no_cast_route, nc_in) { (void)in; return ok_json(); }
#undef PT_BAD_TABLE

int main(void)
{
    const char *which = getenv("PT_BAD");
    pt_route_table_t *const tables[] = { pt_route_table_named(which ? which : "ok"), NULL };
    return pt_run(.port = (int)pt_env_long("PORT", 8080), .route_tables = tables);
}
