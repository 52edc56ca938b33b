/* notes: a small service on SQLite, every database call offloaded.
 *
 *   POST /notes                  {"title": s, "body": s, "tags": [s]} → 201, the note with its id
 *   GET  /notes/{id}             the note, or 404
 *   GET  /notes?limit=&offset=&tag=   {"notes": [...]} by id; limit 1..100 (default 20)
 *   PUT  /notes/{id}             replaces title, body and tags (404 when missing), under a
 *                                keyed lock on the note so two updates of one note never interleave
 *   GET  /notes/count?tag=       {"tag": t, "count": n}, memoized per tag, invalidated by writes
 *   GET  /notes/stats            {"count_loads": n}: how often a count really hit the database
 *
 * The database file is $NOTES_DB (default notes.db in the working
 * directory). A provider opens it at start-up and publishes it as the
 * resource "notes.db"; its teardown closes it.
 *
 * Why the code looks the way it does (docs/offload.md has the long form):
 *   - sqlite3 calls block, so each one runs inside pt_offload on a pool
 *     thread, never on the worker;
 *   - the one connection is shared by all pool threads behind a pthread
 *     mutex that is taken and released inside the offloaded function: it is
 *     never held across a suspension, and a write transaction begins and
 *     commits within one offloaded call;
 *   - the offloaded functions allocate with malloc/jansson only: the request
 *     arena (pt_strf) belongs to the coroutine, not to the pool thread. */
#define _GNU_SOURCE
#include <ponty.h>

#include <pthread.h>
#include <sqlite3.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- the database, owned by the provider ---- */

typedef struct notes_db {
    sqlite3        *db;
    pthread_mutex_t mu;    /* one statement sequence at a time on the shared connection */
} notes_db_t;

static const char schema_sql[] =
    "PRAGMA journal_mode=WAL;"
    "PRAGMA foreign_keys=ON;"
    "CREATE TABLE IF NOT EXISTS notes(id INTEGER PRIMARY KEY, title TEXT NOT NULL, body TEXT NOT NULL);"
    "CREATE TABLE IF NOT EXISTS note_tags(note_id INTEGER NOT NULL REFERENCES notes(id) ON DELETE CASCADE,"
    "                                     pos INTEGER NOT NULL, tag TEXT NOT NULL, PRIMARY KEY(note_id, pos));"
    "CREATE INDEX IF NOT EXISTS note_tags_tag ON note_tags(tag, note_id);";

/* Runs on the thread calling pt_run (a plain thread): blocking is fine. */
static int notes_open(void *arg)
{
    (void)arg;
    const char *path = getenv("NOTES_DB");
    if (!path || !*path)
        path = "notes.db";
    notes_db_t *n = calloc(1, sizeof *n);
    if (!n)
        return -1;
    char *err = NULL;
    /* FULLMUTEX: pool threads take turns on the connection through n->mu
     * anyway; SQLite's own mutex makes a mistake there a wait, not a crash. */
    if (sqlite3_open_v2(path, &n->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX,
                        NULL) != SQLITE_OK ||
        sqlite3_busy_timeout(n->db, 5000) != SQLITE_OK ||
        sqlite3_exec(n->db, schema_sql, NULL, NULL, &err) != SQLITE_OK) {
        fprintf(stderr, "notes: %s: %s\n", path, err ? err : sqlite3_errmsg(n->db));
        sqlite3_free(err);
        sqlite3_close(n->db);
        free(n);
        return -1;
    }
    pthread_mutex_init(&n->mu, NULL);
    if (pt_resource_publish("notes.db", n) != 0) {
        pthread_mutex_destroy(&n->mu);
        sqlite3_close(n->db);
        free(n);
        return -1;
    }
    return 0;
}

static void notes_close(void *arg)
{
    (void)arg;
    notes_db_t *n = pt_resource("notes.db");
    if (!n)
        return;
    sqlite3_close(n->db);
    pthread_mutex_destroy(&n->mu);
    free(n);
}

#ifdef PT_SHOWCASE
/* The showcase runs every example's provider (see showcase.c). */
const pt_provider_t pt_showcase_provider_notes = { "notes.db", notes_open, notes_close, NULL };
#endif

/* ---- a note, bound from the request body ---- */

typedef struct note_in {
    const char *title;
    const char *body;
    PT_VEC(const char *) tags;
} note_in;

static const pt_field_t note_fields[] = {
    PT_FIELD_STRING(note_in, title, .annotation = "{\"minLength\": 1, \"maxLength\": 200}"),
    PT_FIELD_STRING(note_in, body, .annotation = "{\"maxLength\": 100000}"),
    PT_FIELD_ARRAY(note_in, tags, PT_FT_STRING, .defval = "[]",
                   .annotation = "{\"maxItems\": 20, \"items\": {\"minLength\": 1, \"maxLength\": 50}}"),
};
static const pt_struct_desc_t note_desc = PT_STRUCT_DESC(note_in, note_fields);

/* ---- database operations: each runs whole on a pool thread ---- */

enum op_kind { OP_CREATE, OP_GET, OP_LIST, OP_UPDATE, OP_COUNT };
enum { OP_OK = 0, OP_MISSING = 1, OP_FAILED = -1 };

typedef struct op {
    enum op_kind   kind;
    notes_db_t    *n;
    int64_t        id;         /* GET, UPDATE; set by CREATE */
    const note_in *in;         /* CREATE, UPDATE */
    const char    *tag;        /* LIST, COUNT: NULL for all */
    int64_t        limit, offset;
    json_t        *out;        /* the note (GET, CREATE, UPDATE) or the list (LIST) */
    json_t        *old_tags;   /* UPDATE: the tags before, for cache invalidation */
    int64_t        count;      /* COUNT */
    int            rc;
    char           err[200];
} op_t;

static int fail(op_t *op)
{
    snprintf(op->err, sizeof op->err, "%s", sqlite3_errmsg(op->n->db));
    return OP_FAILED;
}

static json_t *load_tags(op_t *op, int64_t id)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(op->n->db, "SELECT tag FROM note_tags WHERE note_id=? ORDER BY pos", -1, &st,
                           NULL) != SQLITE_OK)
        return NULL;
    sqlite3_bind_int64(st, 1, id);
    json_t *tags = json_array();
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW)
        json_array_append_new(tags, json_string((const char *)sqlite3_column_text(st, 0)));
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE) {
        json_decref(tags);
        return NULL;
    }
    return tags;
}

/* The note as JSON into op->out: OP_OK, OP_MISSING or OP_FAILED. */
static int load_note(op_t *op, int64_t id, json_t **out)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(op->n->db, "SELECT title, body FROM notes WHERE id=?", -1, &st, NULL) != SQLITE_OK)
        return fail(op);
    sqlite3_bind_int64(st, 1, id);
    int rc = sqlite3_step(st);
    if (rc != SQLITE_ROW) {
        sqlite3_finalize(st);
        return rc == SQLITE_DONE ? OP_MISSING : fail(op);
    }
    json_t *note = json_pack("{s:I,s:s,s:s}", "id", (json_int_t)id, "title",
                             (const char *)sqlite3_column_text(st, 0), "body",
                             (const char *)sqlite3_column_text(st, 1));
    sqlite3_finalize(st);
    json_t *tags = load_tags(op, id);
    if (!note || !tags) {
        json_decref(note);
        json_decref(tags);
        return fail(op);
    }
    json_object_set_new(note, "tags", tags);
    *out = note;
    return OP_OK;
}

static int exec(op_t *op, const char *sql)
{
    return sqlite3_exec(op->n->db, sql, NULL, NULL, NULL) == SQLITE_OK ? OP_OK : fail(op);
}

/* Writes title, body and tags of op->in for op->id (the row exists). */
static int write_note(op_t *op, bool insert)
{
    sqlite3 *db = op->n->db;
    sqlite3_stmt *st;
    const char *sql = insert ? "INSERT INTO notes(title, body) VALUES(?, ?)"
                             : "UPDATE notes SET title=?, body=? WHERE id=?";
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
        return fail(op);
    sqlite3_bind_text(st, 1, op->in->title, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, op->in->body, -1, SQLITE_STATIC);
    if (!insert)
        sqlite3_bind_int64(st, 3, op->id);
    int rc = sqlite3_step(st);
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE)
        return fail(op);
    if (insert)
        op->id = sqlite3_last_insert_rowid(db);
    else if (sqlite3_changes(db) == 0)
        return OP_MISSING;
    if (!insert) {
        if (sqlite3_prepare_v2(db, "DELETE FROM note_tags WHERE note_id=?", -1, &st, NULL) != SQLITE_OK)
            return fail(op);
        sqlite3_bind_int64(st, 1, op->id);
        rc = sqlite3_step(st);
        sqlite3_finalize(st);
        if (rc != SQLITE_DONE)
            return fail(op);
    }
    if (sqlite3_prepare_v2(db, "INSERT OR REPLACE INTO note_tags(note_id, pos, tag) VALUES(?, ?, ?)", -1, &st,
                           NULL) != SQLITE_OK)
        return fail(op);
    for (size_t i = 0; i < op->in->tags.len; i++) {
        sqlite3_reset(st);
        sqlite3_bind_int64(st, 1, op->id);
        sqlite3_bind_int64(st, 2, (sqlite3_int64)i);
        sqlite3_bind_text(st, 3, op->in->tags.items[i], -1, SQLITE_STATIC);
        if (sqlite3_step(st) != SQLITE_DONE) {
            sqlite3_finalize(st);
            return fail(op);
        }
    }
    sqlite3_finalize(st);
    return OP_OK;
}

/* A write: one transaction that begins and ends inside this call. */
static int run_write(op_t *op)
{
    bool insert = op->kind == OP_CREATE;
    if (!insert) {
        op->old_tags = load_tags(op, op->id);
        if (!op->old_tags)
            return fail(op);
    }
    int rc = exec(op, "BEGIN IMMEDIATE");
    if (rc != OP_OK)
        return rc;
    rc = write_note(op, insert);
    if (rc != OP_OK) {
        exec(op, "ROLLBACK");
        return rc;
    }
    rc = exec(op, "COMMIT");
    if (rc != OP_OK) {
        exec(op, "ROLLBACK");
        return rc;
    }
    return load_note(op, op->id, &op->out);
}

static int run_list(op_t *op)
{
    sqlite3_stmt *st;
    const char *sql = op->tag
        ? "SELECT id FROM notes WHERE id IN (SELECT note_id FROM note_tags WHERE tag=?1) ORDER BY id LIMIT ?2 OFFSET ?3"
        : "SELECT id FROM notes ORDER BY id LIMIT ?2 OFFSET ?3";
    if (sqlite3_prepare_v2(op->n->db, sql, -1, &st, NULL) != SQLITE_OK)
        return fail(op);
    if (op->tag)
        sqlite3_bind_text(st, 1, op->tag, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, op->limit);
    sqlite3_bind_int64(st, 3, op->offset);
    /* Ids first, then each note: load_note prepares statements of its own. */
    int64_t ids[100];
    size_t nids = 0;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW && nids < sizeof ids / sizeof ids[0])
        ids[nids++] = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE && rc != SQLITE_ROW)
        return fail(op);
    op->out = json_array();
    for (size_t i = 0; i < nids; i++) {
        json_t *note;
        rc = load_note(op, ids[i], &note);
        if (rc == OP_FAILED)
            return rc;
        if (rc == OP_OK)
            json_array_append_new(op->out, note);
    }
    return OP_OK;
}

static int run_count(op_t *op)
{
    sqlite3_stmt *st;
    const char *sql = op->tag ? "SELECT count(DISTINCT note_id) FROM note_tags WHERE tag=?" : "SELECT count(*) FROM notes";
    if (sqlite3_prepare_v2(op->n->db, sql, -1, &st, NULL) != SQLITE_OK)
        return fail(op);
    if (op->tag)
        sqlite3_bind_text(st, 1, op->tag, -1, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        op->count = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return rc == SQLITE_ROW ? OP_OK : fail(op);
}

/* The offloaded function: on a pool thread, the connection's mutex held
 * for the whole operation and released before returning. */
static void run_op(void *arg)
{
    op_t *op = arg;
    pthread_mutex_lock(&op->n->mu);
    switch (op->kind) {
    case OP_CREATE:
    case OP_UPDATE: op->rc = run_write(op); break;
    case OP_GET:    op->rc = load_note(op, op->id, &op->out); break;
    case OP_LIST:   op->rc = run_list(op); break;
    case OP_COUNT:  op->rc = run_count(op); break;
    }
    pthread_mutex_unlock(&op->n->mu);
}

static void release_op(void *arg)
{
    op_t *op = arg;
    json_decref(op->out);
    json_decref(op->old_tags);
}

/* Runs op on the pool; raises 503 (pool full), 404 (missing) or 500. The
 * op lives in the request arena and its JSON is released with the request
 * on every path, raises included. */
static op_t *run(pt_req_t *req, op_t *op)
{
    op->n = pt_resource("notes.db");
    if (!op->n)
        pt_raise_status(500, .text = "notes: no database (provider not started)");
    op_t *held = pt_arena_alloc(pt_req_arena(req), sizeof *held);
    *held = *op;
    pt_req_defer(req, release_op, held);
    pt_offload_or_raise(run_op, held);
    if (held->rc == OP_MISSING)
        pt_raise(PT_DOES_NOT_EXIST, .text = pt_strf("no note %lld", (long long)held->id));
    if (held->rc != OP_OK)
        pt_raise_status(500, .text = pt_strf("notes: database error: %s", held->err));
    return held;
}

/* ---- per-tag counts, memoized ---- */

static atomic_long count_loads;

/* The loader runs in the calling request's coroutine: it may offload. */
static json_t *load_count(pt_cache_call_t *call)
{
    atomic_fetch_add(&count_loads, 1);
    op_t op = { .kind = OP_COUNT, .n = pt_resource("notes.db"), .tag = *call->key ? call->key : NULL };
    if (!op.n || pt_offload(run_op, &op) != 0 || op.rc != OP_OK)
        return NULL;
    return json_integer(op.count);
}

/* Key: the tag, "" for all notes. Counts change only through this process's
 * writes, which invalidate the keys they touch. */
PT_LOCALCACHE(counts, .load = load_count, .maxsize = 1024, .maxwait_ms = 5000);

/* The count keys a note's tags touch: "" (all notes) and each tag. */
static void invalidate_counts(const json_t *tags)
{
    pt_cache_invalidate_key(counts, "");
    size_t i;
    json_t *t;
    json_array_foreach(tags, i, t)
        pt_cache_invalidate_key(counts, json_string_value(t));
}

/* ---- routes ---- */

typedef struct { note_in *note; } create_in;
PT_FIELDS(create_in, PT_BODY_STRUCT(note, note_desc));

PT_POST_IN("/notes", create_note, create_in, .mimetype = "application/json")
{
    pt_req_t *req = pt_req_current();
    op_t *op = run(req, &(op_t){ .kind = OP_CREATE, .in = in->note });
    invalidate_counts(json_object_get(op->out, "tags"));
    pt_resp_status(req, 201);
    return json_incref(op->out);
}

typedef struct { int64_t id; } id_in;
PT_FIELDS(id_in, PT_ROUTE_POSINT(id));

PT_GET_IN("/notes/{id}", get_note, id_in)
{
    pt_req_t *req = pt_req_current();
    op_t *op = run(req, &(op_t){ .kind = OP_GET, .id = in->id });
    return json_incref(op->out);
}

typedef struct { int64_t id; note_in *note; } update_in;
PT_FIELDS(update_in, PT_ROUTE_POSINT(id), PT_BODY_STRUCT(note, note_desc));

/* Updates of one note queue behind each other (5 s at most, then 409);
 * updates of different notes do not wait for each other here. */
PT_LOCALLOCK(note_locks, .maxwait_ms = 5000);

PT_PUT_IN("/notes/{id}", update_note, update_in, .mimetype = "application/json")
{
    pt_req_t *req = pt_req_current();
    pt_lock_hold(note_locks, pt_strf("note:%lld", (long long)in->id));
    op_t *op = run(req, &(op_t){ .kind = OP_UPDATE, .id = in->id, .in = in->note });
    invalidate_counts(op->old_tags);
    invalidate_counts(json_object_get(op->out, "tags"));
    return json_incref(op->out);
}

typedef struct { int64_t limit, offset; const char *tag; } list_in;
PT_FIELDS(list_in, PT_QUERY_POSINT(limit, .dflt = "20"), PT_QUERY_POSINT(offset, .dflt = "0"),
          PT_QUERY_STR(tag, .dflt = ""));

PT_GET_IN("/notes", list_notes, list_in)
{
    pt_req_t *req = pt_req_current();
    if (in->limit < 1 || in->limit > 100)
        pt_raise(PT_VALIDATION, .text = "limit must be between 1 and 100");
    op_t *op = run(req, &(op_t){ .kind = OP_LIST, .limit = in->limit, .offset = in->offset,
                                 .tag = *in->tag ? in->tag : NULL });
    return json_pack("{s:O}", "notes", op->out);
}

typedef struct { const char *tag; } count_in;
PT_FIELDS(count_in, PT_QUERY_STR(tag, .dflt = ""));

PT_GET_IN("/notes/count", count_notes, count_in)
{
    json_t *n = pt_cache_get_key_or_raise(counts, in->tag, NULL);
    return json_pack("{s:s?,s:o}", "tag", *in->tag ? in->tag : NULL, "count", n);
}

PT_GET("/notes/stats", notes_stats)
{
    return json_pack("{s:I}", "count_loads", (json_int_t)atomic_load(&count_loads));
}

#ifndef PT_SHOWCASE
int main(void)
{
    return pt_run(.port = (int)pt_env_long("PORT", 8080),
                  .providers = PT_PROVIDERS({ "notes.db", notes_open, notes_close, NULL }));
}
#endif
