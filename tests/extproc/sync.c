/*
 * MSGRAPH_SYNC (sql/msgraph_sync.pkb) ported to C for the agent emulation:
 * the same external calls (xs_*: the body's own call specs, marshalled by
 * xp_gen.c exactly as the agent does), the same transactions and commit
 * points, and each SQL statement's effect on the emulated tables (a MERGE
 * from JSON_TABLE becomes a loop over the parsed change set in the same
 * order: resyncs, upserts with the last occurrence winning, removals,
 * counters, the sweep of a full round; COMMIT; log rows and links; COMMIT).
 *
 * The tables of sync_schema.sql live in a file (AGENT_DB). A transaction
 * takes the file's lock and reads it (db_begin), COMMIT writes it and lets
 * go, ROLLBACK lets go: sessions in several processes (run_parallel's job
 * sessions) see each other's commits, and a killed session loses exactly
 * its uncommitted work. DBMS_LOCK per chunk is an flock() of
 * AGENT_DB.chunk.<n>; DBMS_PARALLEL_EXECUTE.RUN_TASK starts one process of
 * this agent per chunk (a job session has its own agent), parallel_level at
 * a time, and waits. Kill switches: AGENT_SYNC_KILL_BETWEEN=n (die after
 * call n's changes are committed, before its links), AGENT_SYNC_KILL_AFTER=n
 * (die after call n is fully committed).
 * Included by agent.c after m365.c.
 */
#include <sys/file.h>
#include <sys/wait.h>
#include <fcntl.h>
#include <unistd.h>
extern char **environ;

static void sync_routine(const char *name) { printf("ROUTINE msgraph_sync.%s\n", name); }

/* ------------------------------------------------------- emulated tables */

typedef struct { char *mailbox, *kind, *coll, *id, *title, *extra, *raw; long round; } s_item;
typedef struct {
  char *mailbox, *kind, *coll, *delta_link, *last_status, *last_error;
  long round_no, full_round_no, rounds_done, resyncs, cur_pages, cur_upserts, cur_deletes;
} s_state;
typedef struct { char *mailbox, *kinds; long mailbox_no, chunk_no; } s_mailbox;
typedef struct { long run_id; char *mode, *credential, *status; } s_run;
typedef struct {
  s_item *items; int ni;
  s_state *st; int ns;
  s_mailbox *mb; int nm;
  s_run *runs; int nr;
  char **log; int nl;     /* msgraph_sync_log rows inserted in this transaction */
  char **calls; int nc;   /* msgraph_sync_call rows */
} s_db;
static s_db db;
static int g_tx_fd = -1;
static long g_calls_committed;

static char *sdup(const char *s) { return s ? strdup(s) : NULL; }
static int seq(const char *a, const char *b) { return a && b ? !strcmp(a, b) : a == b; }
static void set_text(char **f, const char *v) { free(*f); *f = sdup(v); }
static long jlong(const jnode *o, const char *k) { jnode *v = jget(o, k); return v && v->t == J_NUM ? atol(v->s) : 0; }
static int jtrue(const jnode *o, const char *k) { jnode *v = jget(o, k); return v && v->t == J_BOOL && v->b; }

static void free_item(s_item *r) { free(r->mailbox); free(r->kind); free(r->coll); free(r->id); free(r->title); free(r->extra); free(r->raw); }

static void db_clear(void) {
  for (int i = 0; i < db.ni; i++) free_item(&db.items[i]);
  for (int i = 0; i < db.ns; i++) { free(db.st[i].mailbox); free(db.st[i].kind); free(db.st[i].coll); free(db.st[i].delta_link); free(db.st[i].last_status); free(db.st[i].last_error); }
  for (int i = 0; i < db.nm; i++) { free(db.mb[i].mailbox); free(db.mb[i].kinds); }
  for (int i = 0; i < db.nr; i++) { free(db.runs[i].mode); free(db.runs[i].credential); free(db.runs[i].status); }
  for (int i = 0; i < db.nl; i++) free(db.log[i]);
  for (int i = 0; i < db.nc; i++) free(db.calls[i]);
  free(db.items); free(db.st); free(db.mb); free(db.runs); free(db.log); free(db.calls);
  memset(&db, 0, sizeof db);
}

static void db_load(void) {
  db_clear();
  FILE *f = fopen(env("AGENT_DB"), "rb");
  if (!f) return;
  char *line = NULL;
  size_t cap = 0;
  ssize_t n;
  while ((n = getline(&line, &cap, f)) > 0) {
    jnode *j = jparse(line, (size_t)n - (line[n - 1] == '\n'));
    if (!j) agent_fail("AGENT_DB is corrupt");
    const char *t = jstr(j, "t");
    if (!strcmp(t, "item")) {
      db.items = realloc(db.items, sizeof *db.items * (size_t)(db.ni + 1));
      db.items[db.ni++] = (s_item){sdup(jstr(j, "mailbox")), sdup(jstr(j, "kind")), sdup(jstr(j, "coll")), sdup(jstr(j, "id")),
                                   sdup(jstr(j, "title")), sdup(jstr(j, "extra")), sdup(jstr(j, "raw")), jlong(j, "round")};
    } else if (!strcmp(t, "state")) {
      db.st = realloc(db.st, sizeof *db.st * (size_t)(db.ns + 1));
      db.st[db.ns++] = (s_state){sdup(jstr(j, "mailbox")), sdup(jstr(j, "kind")), sdup(jstr(j, "coll")), sdup(jstr(j, "delta_link")),
                                 sdup(jstr(j, "last_status")), sdup(jstr(j, "last_error")), jlong(j, "round_no"),
                                 jlong(j, "full_round_no"), jlong(j, "rounds_done"), jlong(j, "resyncs"),
                                 jlong(j, "cur_pages"), jlong(j, "cur_upserts"), jlong(j, "cur_deletes")};
    } else if (!strcmp(t, "mailbox")) {
      db.mb = realloc(db.mb, sizeof *db.mb * (size_t)(db.nm + 1));
      db.mb[db.nm++] = (s_mailbox){sdup(jstr(j, "mailbox")), sdup(jstr(j, "kinds")), jlong(j, "mailbox_no"), jlong(j, "chunk_no")};
    } else if (!strcmp(t, "run")) {
      db.runs = realloc(db.runs, sizeof *db.runs * (size_t)(db.nr + 1));
      db.runs[db.nr++] = (s_run){jlong(j, "run_id"), sdup(jstr(j, "mode")), sdup(jstr(j, "credential")), sdup(jstr(j, "status"))};
    }
    jfree(j);
  }
  free(line);
  fclose(f);
}

/* The start of a transaction: this session waits for the others' commits. */
static void db_begin(void) {
  if (g_tx_fd >= 0) return;
  char p[1024];
  snprintf(p, sizeof p, "%s.tx", env("AGENT_DB"));
  g_tx_fd = open(p, O_CREAT | O_RDWR, 0600);
  if (g_tx_fd < 0 || flock(g_tx_fd, LOCK_EX) != 0) agent_fail("cannot lock AGENT_DB");
  db_load();
}

static void db_end(void) {
  if (g_tx_fd >= 0) { flock(g_tx_fd, LOCK_UN); close(g_tx_fd); g_tx_fd = -1; }
}

/* ROLLBACK: the uncommitted work is gone (the next transaction reads the
 * file again). */
static void db_rollback(void) {
  for (int i = 0; i < db.nl; i++) free(db.log[i]);
  for (int i = 0; i < db.nc; i++) free(db.calls[i]);
  db.nl = db.nc = 0;
  db_end();
}

static void put_s(FILE *f, const char *k, const char *v) { char *q = m_json_string(v); fprintf(f, ",\"%s\":%s", k, q); free(q); }

static void append_lines(const char *suffix, char **rows, int n) {
  char p[1024];
  snprintf(p, sizeof p, "%s%s", env("AGENT_DB"), suffix);
  FILE *l = fopen(p, "ab");
  if (!l) agent_fail("cannot append to AGENT_DB's log");
  for (int i = 0; i < n; i++) { fprintf(l, "%s\n", rows[i]); free(rows[i]); }
  fclose(l);
}

/* COMMIT: the file is rewritten (renamed into place: all or nothing). */
static void db_commit(void) {
  if (g_tx_fd < 0) agent_fail("COMMIT outside a transaction");
  char tmp[1024];
  snprintf(tmp, sizeof tmp, "%s.tmp.%ld", env("AGENT_DB"), (long)getpid());
  FILE *f = fopen(tmp, "wb");
  if (!f) agent_fail("cannot write AGENT_DB");
  for (int i = 0; i < db.nm; i++) {
    fprintf(f, "{\"t\":\"mailbox\"");
    put_s(f, "mailbox", db.mb[i].mailbox); put_s(f, "kinds", db.mb[i].kinds);
    fprintf(f, ",\"mailbox_no\":%ld,\"chunk_no\":%ld}\n", db.mb[i].mailbox_no, db.mb[i].chunk_no);
  }
  for (int i = 0; i < db.nr; i++) {
    fprintf(f, "{\"t\":\"run\",\"run_id\":%ld", db.runs[i].run_id);
    put_s(f, "mode", db.runs[i].mode); put_s(f, "credential", db.runs[i].credential); put_s(f, "status", db.runs[i].status);
    fprintf(f, "}\n");
  }
  for (int i = 0; i < db.ns; i++) {
    s_state *s = &db.st[i];
    fprintf(f, "{\"t\":\"state\"");
    put_s(f, "mailbox", s->mailbox); put_s(f, "kind", s->kind); put_s(f, "coll", s->coll); put_s(f, "delta_link", s->delta_link);
    put_s(f, "last_status", s->last_status); put_s(f, "last_error", s->last_error);
    fprintf(f, ",\"round_no\":%ld,\"full_round_no\":%ld,\"rounds_done\":%ld,\"resyncs\":%ld,\"cur_pages\":%ld,\"cur_upserts\":%ld,\"cur_deletes\":%ld}\n",
            s->round_no, s->full_round_no, s->rounds_done, s->resyncs, s->cur_pages, s->cur_upserts, s->cur_deletes);
  }
  for (int i = 0; i < db.ni; i++) {
    s_item *r = &db.items[i];
    fprintf(f, "{\"t\":\"item\"");
    put_s(f, "mailbox", r->mailbox); put_s(f, "kind", r->kind); put_s(f, "coll", r->coll); put_s(f, "id", r->id);
    put_s(f, "title", r->title); put_s(f, "extra", r->extra); put_s(f, "raw", r->raw);
    fprintf(f, ",\"round\":%ld}\n", r->round);
  }
  fclose(f);
  if (rename(tmp, env("AGENT_DB")) != 0) agent_fail("cannot commit AGENT_DB");
  append_lines(".log", db.log, db.nl);
  append_lines(".calls", db.calls, db.nc);
  db.nl = db.nc = 0;
  db_end();
}

static s_state *state_of(const char *mailbox, const char *kind, const char *coll) {
  for (int i = 0; i < db.ns; i++)
    if (seq(db.st[i].mailbox, mailbox) && seq(db.st[i].kind, kind) && seq(db.st[i].coll, coll)) return &db.st[i];
  return NULL;
}
static s_mailbox *mailbox_of(const char *mailbox) {
  for (int i = 0; i < db.nm; i++) if (seq(db.mb[i].mailbox, mailbox)) return &db.mb[i];
  return NULL;
}
static s_mailbox *mailbox_no(long no) {
  for (int i = 0; i < db.nm; i++) if (db.mb[i].mailbox_no == no) return &db.mb[i];
  return NULL;
}
static s_run *run_of(long id) {
  for (int i = 0; i < db.nr; i++) if (db.runs[i].run_id == id) return &db.runs[i];
  return NULL;
}

/* ------------------------------------------------------------ package state */

static int g_days_back = 30, g_days_ahead = 365;
static int g_max_items = 5000, g_page_size = 100, g_concurrency = 4, g_mailboxes_per_chunk = 50;
static long g_run_id;

/* instr(',' || replace(lower(kinds), ' ') || ',', ',' || kind || ',') > 0 */
static int has_kind(const char *kinds, const char *kind) {
  char k[256], w[64];
  snprintf(k, sizeof k, ",%s,", kinds ? kinds : "events,contacts,tasks");
  snprintf(w, sizeof w, ",%s,", kind);
  return strstr(k, w) != NULL;
}

static void log_row(long chunk, const char *mailbox, const char *kind, const char *coll, const char *full, long pages,
                    long upserts, long deletes, const char *status, const char *error, long ora, const char *resync) {
  clob l = clob_of("{\"run_id\":");
  char b[300];
  snprintf(b, sizeof b, "%ld,\"chunk_no\":%ld,\"mailbox\":", g_run_id, chunk);
  app(&l, b);
  app_free(&l, m_json_string(mailbox));
  app(&l, ",\"kind\":"); app_free(&l, m_json_string(kind));
  app(&l, ",\"collection\":"); app_free(&l, m_json_string(coll));
  app(&l, ",\"full_round\":"); app_free(&l, m_json_string(full));
  snprintf(b, sizeof b, ",\"pages\":%ld,\"upserts\":%ld,\"deletes\":%ld,\"ora_error\":%ld,\"status\":", pages, upserts, deletes, ora);
  app(&l, b);
  app_free(&l, m_json_string(status));
  app(&l, ",\"error\":"); app_free(&l, m_json_string(error));
  app(&l, ",\"resync\":"); app_free(&l, m_json_string(resync));
  app(&l, "}");
  db.log = realloc(db.log, sizeof(char *) * (size_t)(db.nl + 1));
  db.log[db.nl++] = l.p;
}

static void call_row(long chunk, int call_no, const jnode *summary, long collections, const char *status, const char *error) {
  char b[600];
  clob l = {NULL, 0};
  snprintf(b, sizeof b, "{\"run_id\":%ld,\"chunk_no\":%ld,\"call_no\":%d,\"collections\":%ld,\"items\":%ld,\"requests\":%ld,"
           "\"batches\":%ld,\"retries\":%ld,\"page_rounds\":%ld,\"status\":", g_run_id, chunk, call_no, collections,
           jlong(summary, "items"), jlong(summary, "requests"), jlong(summary, "batches"), jlong(summary, "retries"),
           jlong(summary, "page_rounds"));
  app(&l, b);
  app_free(&l, m_json_string(status));
  app(&l, ",\"error\":"); app_free(&l, m_json_string(error));
  app(&l, "}");
  db.calls = realloc(db.calls, sizeof(char *) * (size_t)(db.nc + 1));
  db.calls[db.nc++] = l.p;
}

/* ------------------------------------------------------ external helpers */

static plsql_raw sx_qualified(const char *cred) {
  const char *n = cred ? cred : (g_default_credential[0] ? g_default_credential : NULL);
  if (strchr(session_user, '/'))
    raise_app(-20008, "MSGRAPH_ERR_REFUSED: MSGRAPH cannot serve a database user whose name contains a slash");
  if (!n) raise_app(-20001, "MSGRAPH_ERR_ARGUMENT: no credential: pass p_credential or call msgraph.set_default_credential");
  char buf[512];
  snprintf(buf, sizeof buf, "%s/%s", session_user, n);
  return utf8(buf);
}

static void sx_raise_status(int32_t status) {
  plsql_raw l_text = raw_var(2000);
  int32_t code = xp_xs_status_error(status, &l_text);
  if (code != 0) { char *t = text(&l_text); raise_app(-code, t ? t : ""); }
}

static void sx_clob_to_agent(const clob *c, plsql_raw *p_inline, int32_t *p_handle) {
  *p_inline = raw_null();
  *p_handle = 0;
  if (c->n <= C_INLINE_CHARS) { *p_inline = utf8n(c->p, c->n); return; }
  plsql_raw blob = utf8n(c->p, c->n);
  volatile int32_t handle = 0;
  TRY
    handle = xp_xs_body_new();
    if (handle < 0) { int32_t rc = handle; handle = 0; sx_raise_status(rc); }
    for (int32_t pos = 0; pos < blob.len; pos += C_CHUNK_BYTES) {
      int32_t amount = blob.len - pos < C_CHUNK_BYTES ? blob.len - pos : C_CHUNK_BYTES;
      plsql_raw chunk = raw_bytes(blob.data + pos, (size_t)amount);
      int32_t rc = xp_xs_body_append(handle, &chunk);
      free(chunk.data);
      if (rc < 0) sx_raise_status(rc);
    }
    *p_handle = handle;
  CATCH
    if (handle > 0) xp_xs_body_free(handle);
    reraise();
  END_TRY
  free(blob.data);
}

static clob sx_read_body(int32_t result) {
  clob out = {NULL, 0};
  int32_t src = result, escaped = 0;
  if (!db_is_utf8()) {
    plsql_raw cs = utf8(db_charset_name);
    escaped = xp_xs_result_recode(result, &cs, 1);
    if (escaped > 0) src = escaped;
  }
  plsql_raw buf = raw_var(read_cap);
  for (int32_t off = 0;;) {
    int32_t n = xp_xs_result_read(src, off, &buf);
    if (n < 0) sx_raise_status(n);
    if (n == 0) break;
    size_t tn; char *t = text_n(&buf, &tn);
    clob_append(&out, t, tn);
    free(t);
    off += n;
  }
  if (escaped > 0) xp_xs_result_free(escaped);
  free(buf.data);
  return out;
}

/* ---------------------------------------------------------- collections */

static void ensure_states(long chunk, const char *only, const char *kinds) {
  const char *k2[2] = {"events", "contacts"};
  for (int i = 0; i < db.nm; i++) {
    s_mailbox *m = &db.mb[i];
    if (m->chunk_no != chunk || (only && !seq(m->mailbox, only))) continue;
    for (int k = 0; k < 2; k++)
      if (has_kind(kinds ? kinds : m->kinds, k2[k]) && !state_of(m->mailbox, k2[k], "-")) {
        db.st = realloc(db.st, sizeof *db.st * (size_t)(db.ns + 1));
        db.st[db.ns++] = (s_state){sdup(m->mailbox), sdup(k2[k]), sdup("-"), NULL, NULL, NULL, 0, 0, 0, 0, 0, 0, 0};
      }
  }
}

static int list_in(const jnode *resp, const char *list_id) {
  jnode *v = jarr(jobj(resp, "body"), "value");
  for (int i = 0; v && i < v->n; i++) if (seq(jstr(v->kids[i], "id"), list_id)) return 1;
  return 0;
}

/* refresh_lists: one msgraph.batch call for the chunk's mailboxes with tasks. */
static int refresh_lists(long chunk, const char *only, const char *kinds, const char *cred) {
  clob reqs = clob_of("[");
  volatile int n = 0;
  db_begin();
  for (int i = 0; i < db.nm; i++) {
    s_mailbox *m = &db.mb[i];
    if (m->chunk_no != chunk || (only && !seq(m->mailbox, only)) || !has_kind(kinds ? kinds : m->kinds, "tasks")) continue;
    char *up = user_path(m->mailbox), url[2048], head[64];
    snprintf(url, sizeof url, "%s/todo/lists?$select=id", up);
    snprintf(head, sizeof head, "%s{\"id\":\"%ld\",\"method\":\"GET\",\"url\":", n > 0 ? "," : "", m->mailbox_no);
    app(&reqs, head);
    app_free(&reqs, m_json_string(url));
    app(&reqs, "}");
    free(up);
    n++;
  }
  db_rollback();
  app(&reqs, "]");
  if (n == 0) { free(reqs.p); return 0; }
  clob resp = batch(&reqs, cred, NULL);
  jnode *doc = jparse(resp.p, resp.n);
  jnode *rs = jarr(doc, "responses");
  volatile int failed = 0;
  db_begin();
  for (int i = 0; rs && i < rs->n; i++) {
    jnode *r = rs->kids[i];
    s_mailbox *m = mailbox_no(atol(jstr(r, "id")));
    if (!m) continue;
    jnode *body = jobj(r, "body");
    int complete = jlong(r, "status") == 200 && !jstr(body, "@odata.nextLink");
    if (!complete) {
      char e[1024];
      jnode *err = jobj(body, "error");
      snprintf(e, sizeof e, "To Do lists: HTTP %ld %s: %s%s", jlong(r, "status"), jstr(err, "code") ? jstr(err, "code") : "",
               jstr(err, "message") ? jstr(err, "message") : "", jstr(body, "@odata.nextLink") ? "more than one page of lists" : "");
      log_row(chunk, m->mailbox, "tasks", "-", NULL, 0, 0, 0, "FAILED", e, 0, NULL);
      failed++;
      continue;
    }
    jnode *v = jarr(body, "value");
    for (int k = 0; v && k < v->n; k++) {
      const char *id = jstr(v->kids[k], "id");
      if (id && !state_of(m->mailbox, "tasks", id)) {
        db.st = realloc(db.st, sizeof *db.st * (size_t)(db.ns + 1));
        db.st[db.ns++] = (s_state){sdup(m->mailbox), sdup("tasks"), sdup(id), NULL, NULL, NULL, 0, 0, 0, 0, 0, 0, 0};
      }
    }
    /* lists gone: their tasks, then their state */
    for (int k = 0; k < db.ni;) {
      s_item *t = &db.items[k];
      if (seq(t->kind, "tasks") && seq(t->mailbox, m->mailbox) && !list_in(r, t->coll)) { free_item(t); db.items[k] = db.items[--db.ni]; }
      else k++;
    }
    for (int k = 0; k < db.ns;) {
      s_state *s = &db.st[k];
      if (seq(s->kind, "tasks") && seq(s->mailbox, m->mailbox) && !list_in(r, s->coll)) db.st[k] = db.st[--db.ns];
      else k++;
    }
  }
  db_commit();
  jfree(doc);
  free(resp.p);
  free(reqs.p);
  return failed;
}

static int cmp_state(const void *a, const void *b) {
  const s_state *x = *(s_state *const *)a, *y = *(s_state *const *)b;
  int c = strcmp(x->mailbox, y->mailbox);
  if (!c) c = strcmp(x->kind, y->kind);
  if (!c) c = strcmp(x->coll, y->coll);
  return c;
}

static int in_round(const s_state *s, long chunk, const char *only, const char *kinds) {
  s_mailbox *m = mailbox_of(s->mailbox);
  return m && m->chunk_no == chunk && (!only || seq(m->mailbox, only)) && has_kind(kinds ? kinds : m->kinds, s->kind);
}

static clob start_round(long chunk, const char *only, const char *kinds, int *count) {
  db_begin();
  for (int i = 0; i < db.ns; i++) {
    s_state *s = &db.st[i];
    if (!in_round(s, chunk, only, kinds)) continue;
    if (!s->delta_link) s->full_round_no = s->round_no + 1;
    s->round_no++;
    s->cur_pages = s->cur_upserts = s->cur_deletes = 0;
  }
  db_commit();
  db_begin();
  s_state **sel = malloc(sizeof *sel * (size_t)(db.ns + 1));
  int n = 0;
  for (int i = 0; i < db.ns; i++) if (in_round(&db.st[i], chunk, only, kinds)) sel[n++] = &db.st[i];
  qsort(sel, (size_t)n, sizeof *sel, cmp_state);
  clob cols = clob_of("[");
  for (int i = 0; i < n; i++) {
    app(&cols, i > 0 ? ",{\"mailbox\":" : "{\"mailbox\":");
    app_free(&cols, m_json_string(sel[i]->mailbox));
    app(&cols, ",\"kind\":\""); app(&cols, sel[i]->kind); app(&cols, "\"");
    if (!strcmp(sel[i]->kind, "tasks")) { app(&cols, ",\"list_id\":"); app_free(&cols, m_json_string(sel[i]->coll)); }
    app(&cols, ",\"delta_link\":"); app_free(&cols, m_json_string(sel[i]->delta_link));
    app(&cols, "}");
  }
  app(&cols, "]");
  free(sel);
  db_rollback();
  *count = n;
  return cols;
}

static plsql_raw engine_options(void) {
  time_t now = time(NULL), today = now - now % 86400;
  char *s = graph_datetime(today - (time_t)g_days_back * 86400), *e = graph_datetime(today + (time_t)g_days_ahead * 86400);
  char o[512];
  snprintf(o, sizeof o, "{\"max_items\":%d,\"page_size\":%d,\"concurrency\":%d,\"events_start\":\"%sZ\",\"events_end\":\"%sZ\"}",
           g_max_items, g_page_size, g_concurrency, s, e);
  free(s); free(e);
  return utf8(o);
}

static const char *coll_of(const jnode *c) { return jstr(c, "list_id") ? jstr(c, "list_id") : "-"; }

/* MERGE ... WHEN MATCHED THEN UPDATE / WHEN NOT MATCHED THEN INSERT */
static void merge_item(const char *mailbox, const char *kind, const char *coll, const jnode *u, long round) {
  const char *id = jstr(u, "id");
  if (!id) return;
  const char *title, *extra;
  if (!strcmp(kind, "events")) { title = jstr(u, "subject"); extra = jstr(jobj(u, "start"), "dateTime"); }
  else if (!strcmp(kind, "contacts")) { jnode *a = jarr(u, "emailAddresses"); title = jstr(u, "displayName"); extra = a && a->n ? jstr(a->kids[0], "address") : NULL; }
  else { title = jstr(u, "title"); extra = jstr(u, "status"); }
  for (int i = 0; i < db.ni; i++) {
    s_item *r = &db.items[i];
    if (seq(r->kind, kind) && seq(r->mailbox, mailbox) && seq(r->coll, coll) && seq(r->id, id)) {
      set_text(&r->title, title); set_text(&r->extra, extra);
      free(r->raw); r->raw = jraw(u);
      r->round = round;
      return;
    }
  }
  db.items = realloc(db.items, sizeof *db.items * (size_t)(db.ni + 1));
  db.items[db.ni++] = (s_item){sdup(mailbox), sdup(kind), sdup(coll), sdup(id), sdup(title), sdup(extra), jraw(u), round};
}

static void delete_items(const char *mailbox, const char *kind, const char *coll, const char *id, long older_than) {
  for (int i = 0; i < db.ni;) {
    s_item *r = &db.items[i];
    if (seq(r->kind, kind) && seq(r->mailbox, mailbox) && seq(r->coll, coll)
        && (id ? seq(r->id, id) : r->round < older_than)) { free_item(r); db.items[i] = db.items[--db.ni]; }
    else i++;
  }
}

static void kill_switch(const char *var, long call) {
  const char *k = getenv(var);
  if (k && call == atol(k)) {
    printf("SESSION KILLED %s after call %ld\n", var, call);
    fflush(stdout);
    _exit(0);
  }
}

/* apply_changes: transaction 1 (changes), COMMIT, transaction 2 (log,
 * links, call row), COMMIT. Returns the collections that failed. */
static int apply_changes(const jnode *doc, long chunk, int call_no) {
  jnode *cs = jarr(doc, "collections");
  int n = cs ? cs->n : 0;
  db_begin();
  for (int i = 0; i < n; i++) {   /* resyncs: a new full round number, the old link void */
    jnode *c = cs->kids[i];
    s_state *s = state_of(jstr(c, "mailbox"), jstr(c, "kind"), coll_of(c));
    if (!s || !jtrue(c, "resync")) continue;
    s->round_no++;
    s->full_round_no = s->round_no;
    s->resyncs++;
    set_text(&s->delta_link, NULL);
    set_text(&s->last_status, "RESYNC");
  }
  for (int i = 0; i < n; i++) {   /* upserts, in order: the last occurrence wins */
    jnode *c = cs->kids[i], *ups = jarr(c, "upserts");
    s_state *s = state_of(jstr(c, "mailbox"), jstr(c, "kind"), coll_of(c));
    if (!s || seq(jstr(c, "state"), "failed")) continue;
    for (int k = 0; ups && k < ups->n; k++) merge_item(s->mailbox, s->kind, s->coll, ups->kids[k], s->round_no);
  }
  for (int i = 0; i < n; i++) {   /* removals */
    jnode *c = cs->kids[i], *rem = jarr(c, "removals");
    if (seq(jstr(c, "state"), "failed")) continue;
    for (int k = 0; rem && k < rem->n; k++)
      if (rem->kids[k]->t == J_STR) delete_items(jstr(c, "mailbox"), jstr(c, "kind"), coll_of(c), rem->kids[k]->s, 0);
  }
  for (int i = 0; i < n; i++) {   /* what the round applied so far */
    jnode *c = cs->kids[i];
    s_state *s = state_of(jstr(c, "mailbox"), jstr(c, "kind"), coll_of(c));
    if (!s || seq(jstr(c, "state"), "failed")) continue;
    s->cur_pages += jlong(c, "pages");
    s->cur_upserts += jlong(c, "n_upserts");
    s->cur_deletes += jlong(c, "n_removals");
  }
  for (int i = 0; i < n; i++) {   /* the end of a full round: the sweep */
    jnode *c = cs->kids[i];
    s_state *s = state_of(jstr(c, "mailbox"), jstr(c, "kind"), coll_of(c));
    if (!s || !seq(jstr(c, "state"), "done") || s->full_round_no != s->round_no) continue;
    delete_items(s->mailbox, s->kind, s->coll, NULL, s->round_no);
  }
  db_commit();   /* the changes; the old deltaLinks still stand */
  kill_switch("AGENT_SYNC_KILL_BETWEEN", call_no);

  db_begin();
  int failed = 0;
  for (int i = 0; i < n; i++) {
    jnode *c = cs->kids[i];
    const char *st = jstr(c, "state"), *link = jstr(c, "delta_link");
    s_state *s = state_of(jstr(c, "mailbox"), jstr(c, "kind"), coll_of(c));
    if (!s || !(seq(st, "done") || seq(st, "failed"))) continue;
    int ok = seq(st, "done") && link && strlen(link) <= 4000;
    const char *err = seq(st, "failed") ? jstr(c, "message") : ok ? NULL : "the deltaLink is longer than 4000 bytes";
    long ora = seq(st, "failed") ? jlong(c, "ora_error") : ok ? 0 : 20010;
    log_row(chunk, s->mailbox, s->kind, s->coll, s->full_round_no == s->round_no ? "Y" : "N", s->cur_pages, s->cur_upserts,
            s->cur_deletes, ok ? "OK" : "FAILED", err, ora, seq(s->last_status, "RESYNC") ? "Y" : "N");
    if (ok) { set_text(&s->delta_link, link); s->rounds_done++; }
    set_text(&s->last_status, ok ? "OK" : "FAILED");
    set_text(&s->last_error, err);
    if (!ok) {
      failed++;
      printf("COLLECTION FAILED %s %s ORA-%ld: %s\n", s->mailbox, s->kind, ora, err ? err : "");
    }
  }
  call_row(chunk, call_no, jobj(doc, "summary"), n, "OK", NULL);
  db_commit();   /* the links, only now */
  g_calls_committed++;
  kill_switch("AGENT_SYNC_KILL_AFTER", g_calls_committed);
  return failed;
}

static void call_failed(long chunk, const char *only, const char *kinds, int call_no, long ora, const char *message, int *failed) {
  db_begin();
  for (int i = 0; i < db.ns; i++) {
    s_state *s = &db.st[i];
    if (!in_round(s, chunk, only, kinds)) continue;
    /* not exists (select null from msgraph_sync_log where run_id = ... ) */
    int logged = 0;
    char key[600];
    snprintf(key, sizeof key, "\"run_id\":%ld,", g_run_id);
    char p[1024];
    snprintf(p, sizeof p, "%s.log", env("AGENT_DB"));
    FILE *f = fopen(p, "rb");
    char *line = NULL; size_t cap = 0; ssize_t ln;
    while (f && (ln = getline(&line, &cap, f)) > 0) {
      jnode *j = jparse(line, (size_t)ln - (line[ln - 1] == '\n'));
      if (j && jlong(j, "run_id") == g_run_id && seq(jstr(j, "mailbox"), s->mailbox) && seq(jstr(j, "kind"), s->kind)
          && seq(jstr(j, "collection"), s->coll)) logged = 1;
      jfree(j);
    }
    free(line);
    if (f) fclose(f);
    if (logged) continue;
    log_row(chunk, s->mailbox, s->kind, s->coll, NULL, 0, 0, 0, "FAILED", message, ora, NULL);
    set_text(&s->last_status, "FAILED");
    set_text(&s->last_error, message);
    (*failed)++;
  }
  call_row(chunk, call_no, NULL, 0, "FAILED", message);
  db_commit();
  printf("CALL FAILED chunk %ld ORA-%ld: %s\n", chunk, ora, message);
}

static int chunk_round(long chunk, const char *only, const char *kinds, const char *cred) {
  db_begin();
  ensure_states(chunk, only, kinds);
  db_commit();
  int failed = refresh_lists(chunk, only, kinds, cred);
  int count;
  clob cols = start_round(chunk, only, kinds, &count);
  if (count == 0) { free(cols.p); return failed; }
  volatile int32_t previous = 0, result = 0;
  int call = 0, loaded = 0;
  plsql_raw options = engine_options();   /* one events window for the whole round */
  TRY
    for (;;) {
      call++;
      plsql_raw inl; int32_t h;
      sx_clob_to_agent(&cols, &inl, &h);
      plsql_raw q = sx_qualified(cred), o = options;
      result = xp_xs_round(&q, &inl, h, &o, previous);
      if (result < 0) sx_raise_status(result);
      int32_t status, length, ora;
      plsql_raw reason = raw_var(256), rid = raw_var(256), message = raw_var(2000);
      xp_xs_result_info(result, &status, &length, &ora, &reason, &rid, &message);
      if (status == -2 && previous == 0 && !loaded) {
        loaded = 1;
        xp_xs_result_free(result);
        result = 0;
        TRY load_credentials(NULL); CATCH END_TRY   /* the retry reports the credential as unknown */
        call--;
      } else if (ora != 0) {
        char *m = text(&message);
        call_failed(chunk, only, kinds, call, ora, m ? m : "", &failed);
        free(m);
        break;
      } else {
        if (previous > 0) { xp_xs_result_free(previous); previous = 0; }
        clob body = sx_read_body(result);
        jnode *doc = jparse(body.p, body.n);
        if (!doc) raise_app(-40441, "ORA-40441: JSON syntax error");
        failed += apply_changes(doc, chunk, call);
        int complete = jtrue(doc, "complete");
        jfree(doc);
        free(body.p);
        if (complete) break;
        previous = result;
        result = 0;
      }
    }
    if (result > 0) xp_xs_result_free(result);
    if (previous > 0) xp_xs_result_free(previous);
  CATCH
    if (result > 0) xp_xs_result_free(result);
    if (previous > 0) xp_xs_result_free(previous);
    free(cols.p);
    reraise();
  END_TRY
  free(cols.p);
  return failed;
}

static int locked_chunk(long chunk, const char *only, const char *kinds, const char *cred, int wait) {
  char lockp[1024];
  snprintf(lockp, sizeof lockp, "%s.chunk.%ld", env("AGENT_DB"), chunk);
  int fd = open(lockp, O_CREAT | O_RDWR, 0600);
  if (fd < 0 || flock(fd, wait ? LOCK_EX : LOCK_EX | LOCK_NB) != 0) {   /* DBMS_LOCK.REQUEST = 1 */
    if (fd >= 0) close(fd);
    char m[200];
    snprintf(m, sizeof m, "another session holds the lock MSGRAPH_SYNC_CHUNK_%ld", chunk);
    db_begin();
    log_row(chunk, NULL, NULL, NULL, NULL, 0, 0, 0, "SKIPPED", m, 0, NULL);
    db_commit();
    printf("CHUNK %ld SKIPPED\n", chunk);
    return -1;
  }
  volatile int failed = 0;
  TRY
    failed = chunk_round(chunk, only, kinds, cred);
  CATCH
    char e[4096];
    snprintf(e, sizeof e, "%s", sqlerrm);
    db_rollback();
    db_begin();
    log_row(chunk, NULL, NULL, NULL, NULL, 0, 0, 0, "FAILED", e, 0, NULL);
    db_commit();
    printf("CHUNK %ld FAILED: %s\n", chunk, e);
    failed = 1;
  END_TRY
  flock(fd, LOCK_UN);   /* DBMS_LOCK.RELEASE */
  close(fd);
  return failed;
}

/* ---------------------------------------------------------------- runs */

static long new_run(const char *mode, const char *cred) {
  db_begin();
  long id = 0;
  for (int i = 0; i < db.nr; i++) if (db.runs[i].run_id > id) id = db.runs[i].run_id;
  id++;
  db.runs = realloc(db.runs, sizeof *db.runs * (size_t)(db.nr + 1));
  db.runs[db.nr++] = (s_run){id, sdup(mode), sdup(cred), sdup("RUNNING")};
  db_commit();
  return id;
}

static void end_run(long id, const char *status) {
  db_begin();
  s_run *r = run_of(id);
  if (r) set_text(&r->status, status);
  db_commit();
}

static long *chunks_of(int *n) {
  db_begin();
  long *c = malloc(sizeof *c * (size_t)(db.nm + 1));
  *n = 0;
  for (int i = 0; i < db.nm; i++) {
    int dup = 0;
    for (int k = 0; k < *n; k++) if (c[k] == db.mb[i].chunk_no) dup = 1;
    if (!dup) c[(*n)++] = db.mb[i].chunk_no;
  }
  for (int i = 0; i < *n; i++) for (int k = i + 1; k < *n; k++) if (c[k] < c[i]) { long t = c[i]; c[i] = c[k]; c[k] = t; }
  db_rollback();
  return c;
}

/* ---------------------------------------------------------------- public */

static void add_mailbox(const char *mailbox, const char *kinds) {
  sync_routine("add_mailbox");
  db_begin();
  s_mailbox *m = mailbox_of(mailbox);
  if (m) set_text(&m->kinds, kinds);
  else {
    long no = 0;
    for (int i = 0; i < db.nm; i++) if (db.mb[i].mailbox_no > no) no = db.mb[i].mailbox_no;
    no++;
    int per = g_mailboxes_per_chunk > 0 ? g_mailboxes_per_chunk : 50;
    db.mb = realloc(db.mb, sizeof *db.mb * (size_t)(db.nm + 1));
    db.mb[db.nm++] = (s_mailbox){sdup(mailbox), sdup(kinds), no, (no + per - 1) / per};
  }
  db_commit();
}

static void remove_mailbox(const char *mailbox) {
  sync_routine("remove_mailbox");
  db_begin();
  for (int i = 0; i < db.ni;) { if (seq(db.items[i].mailbox, mailbox)) { free_item(&db.items[i]); db.items[i] = db.items[--db.ni]; } else i++; }
  for (int i = 0; i < db.ns;) { if (seq(db.st[i].mailbox, mailbox)) db.st[i] = db.st[--db.ns]; else i++; }
  for (int i = 0; i < db.nm;) { if (seq(db.mb[i].mailbox, mailbox)) db.mb[i] = db.mb[--db.nm]; else i++; }
  db_commit();
}

static void reset(const char *mailbox, const char *kind) {
  sync_routine("reset");
  db_begin();
  for (int i = 0; i < db.ns; i++)
    if (seq(db.st[i].mailbox, mailbox) && (!kind || seq(db.st[i].kind, kind))) set_text(&db.st[i].delta_link, NULL);
  db_commit();
}

static void rechunk(int per) {
  sync_routine("rechunk");
  if (per < 1) per = 50;
  db_begin();
  /* ceil(row_number() over (order by mailbox_no) / per) */
  for (int i = 0; i < db.nm; i++) {
    long rank = 1;
    for (int k = 0; k < db.nm; k++) if (db.mb[k].mailbox_no < db.mb[i].mailbox_no) rank++;
    db.mb[i].chunk_no = (rank + per - 1) / per;
  }
  g_mailboxes_per_chunk = per;
  db_commit();
}

static int sync_chunk(long chunk, const char *cred, int wait) {
  sync_routine("sync_chunk");
  int own = g_run_id == 0;
  if (own) g_run_id = new_run("CHUNK", cred);
  int failed = locked_chunk(chunk, NULL, NULL, cred, wait);
  if (own) { end_run(g_run_id, "DONE"); g_run_id = 0; }
  return failed;
}

static int sync_mailbox(const char *mailbox, const char *kinds, const char *cred) {
  sync_routine("sync_mailbox");
  db_begin();
  s_mailbox *m = mailbox_of(mailbox);
  long chunk = m ? m->chunk_no : -1;
  db_rollback();
  if (chunk < 0) {
    add_mailbox(mailbox, kinds ? kinds : "events,contacts,tasks");
    db_begin();
    chunk = mailbox_of(mailbox)->chunk_no;
    db_rollback();
  }
  g_run_id = new_run("MAILBOX", cred);
  int failed = locked_chunk(chunk, mailbox, kinds ? kinds : "events,contacts,tasks", cred, 1);
  end_run(g_run_id, "DONE");
  g_run_id = 0;
  return failed;
}

static int sync_run(const char *cred, int wait) {
  sync_routine("run");
  g_run_id = new_run("SERIAL", cred);
  int n, failed = 0, skipped = 0;
  long *chunks = chunks_of(&n);
  for (int i = 0; i < n; i++) {
    int f = locked_chunk(chunks[i], NULL, NULL, cred, wait);
    if (f < 0) skipped++; else failed += f;
  }
  free(chunks);
  end_run(g_run_id, "DONE");
  g_run_id = 0;
  return n > 0 && skipped == n ? -1 : failed;
}

static void run_chunks(long run_id, long start_id, long end_id) {
  sync_routine("run_chunks");
  db_begin();
  s_run *r = run_of(run_id);
  char *cred = r ? sdup(r->credential) : NULL;
  db_rollback();
  if (!r) raise_app(-1403, "ORA-01403: no data found");
  g_run_id = run_id;
  int n;
  long *chunks = chunks_of(&n);
  for (int i = 0; i < n; i++)
    if (chunks[i] >= start_id && chunks[i] <= end_id) locked_chunk(chunks[i], NULL, NULL, cred, 0);
  free(chunks);
  free(cred);
  g_run_id = 0;
}

/* DBMS_PARALLEL_EXECUTE: a task with one chunk (start_id = end_id) per
 * chunk_no, RUN_TASK runs each in a job session of its own (here: a new
 * process of this agent, "sync_job"), parallel_level at a time, and
 * returns when all are done. */
static long run_parallel(const char *cred, int level) {
  sync_routine("run_parallel");
  long run = new_run("PARALLEL", cred);
  int n, running = 0, bad = 0;
  long *chunks = chunks_of(&n);
  if (level < 1) level = 4;
  for (int i = 0; i < n; i++) {
    if (running == level) { int st; wait(&st); running--; if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) bad++; }
    /* The job's environment is made before fork(): the child only execs
     * (the library's threads make anything else unsafe there). */
    char arg[96];
    snprintf(arg, sizeof arg, "AGENT_SYNC_JOB=%ld:%ld", run, chunks[i]);
    int ne = 0;
    while (environ[ne]) ne++;
    char **envp = malloc(sizeof(char *) * (size_t)(ne + 2));
    int k = 0;
    for (int e = 0; e < ne; e++) if (strncmp(environ[e], "AGENT_SYNC_PARALLEL=", 20) != 0) envp[k++] = environ[e];
    envp[k++] = arg;
    envp[k] = NULL;
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
      execle("/proc/self/exe", "agent", "sync_run", (char *)NULL, envp);
      _exit(127);
    }
    free(envp);
    if (pid < 0) agent_fail("fork");
    running++;
  }
  while (running > 0) { int st; wait(&st); running--; if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) bad++; }
  free(chunks);
  end_run(run, bad ? "FAILED" : "DONE");
  printf("PARALLEL run=%ld chunks=%d status=%s\n", run, n, bad ? "FAILED" : "DONE");
  return run;
}

/* ------------------------------------------------------------ scenarios */

static void sync_credential(void) {
  /* no retries, so one injected 503 fails one request */
  const char *o = env("MSGRAPH_T_OPTIONS");
  char opts[2048];
  snprintf(opts, sizeof opts, "%.*s,\"max_retries\":0}", (int)(strlen(o) - 1), o);
  clob oc = clob_of(opts);
  create_credential("graph", env("MSGRAPH_T_TENANT"), env("MSGRAPH_T_CLIENT"), env("MSGRAPH_T_SECRET"),
                    "https://graph.microsoft.com/.default", &oc);
  set_default_credential("graph");
  if (getenv("AGENT_SYNC_MAX_ITEMS")) g_max_items = atoi(getenv("AGENT_SYNC_MAX_ITEMS"));
  if (getenv("AGENT_SYNC_PAGE_SIZE")) g_page_size = atoi(getenv("AGENT_SYNC_PAGE_SIZE"));
  if (getenv("AGENT_SYNC_CHARSET")) db_charset_name = getenv("AGENT_SYNC_CHARSET");
}

static void scenario_sync_setup(void) {
  sync_credential();
  g_mailboxes_per_chunk = 1;   /* msgraph_sync.g_mailboxes_per_chunk := 1: a chunk per mailbox */
  add_mailbox(env("MSGRAPH_T_USER0"), "events,contacts,tasks");
  add_mailbox(env("MSGRAPH_T_USER2"), "events,contacts,tasks");
  add_mailbox(env("MSGRAPH_T_USER1"), "events");
  remove_mailbox(env("MSGRAPH_T_USER1"));
  if (getenv("AGENT_SYNC_MORE")) {
    /* AGENT_SYNC_MORE more mailboxes (contacts only), all in one chunk:
     * the collections no longer fit one RAW (an upload body). */
    char url[128];
    snprintf(url, sizeof url, "/users?$top=%d&$select=id", atoi(getenv("AGENT_SYNC_MORE")) + 3);
    clob u = get(url, NULL, NULL);
    jnode *j = jparse(u.p, u.n);
    jnode *v = jarr(j, "value");
    int want = atoi(getenv("AGENT_SYNC_MORE")), added = 0;
    for (int i = 0; v && i < v->n && added < want; i++) {
      const char *id = jstr(v->kids[i], "id");
      if (!seq(id, env("MSGRAPH_T_USER0")) && !seq(id, env("MSGRAPH_T_USER2"))) { add_mailbox(id, "contacts"); added++; }
    }
    check(added == want, "AGENT_SYNC_MORE mailboxes added");
    jfree(j);
    free(u.p);
    rechunk(1000);
    return;
  }
  rechunk(1);
  db_begin();
  check(db.nm == 2 && db.mb[0].chunk_no != db.mb[1].chunk_no, "add_mailbox, remove_mailbox, rechunk: 2 mailboxes in 2 chunks");
  db_rollback();
  /* 23 more events: USER0's first full round of events spans calls */
  time_t now = time(NULL), base = now - now % 86400 + 86400;
  for (int i = 0; i < 23; i++) {
    char subj[128];
    snprintf(subj, sizeof subj, "Sync \xe6\x9d\x8e %02d", i);
    char *id = create_event(env("MSGRAPH_T_USER0"), subj, base + i * 3600, base + i * 3600 + 1800, "UTC", NULL, NULL, NULL, NULL, NULL);
    free(id);
  }
}

static void scenario_sync_run(void) {
  sync_credential();
  const char *job = getenv("AGENT_SYNC_JOB");
  if (job) {   /* a job session of DBMS_PARALLEL_EXECUTE */
    long run = atol(job), chunk = atol(strchr(job, ':') + 1);
    run_chunks(run, chunk, chunk);
    printf("JOB run=%ld chunk=%ld done\n", run, chunk);
    return;
  }
  if (getenv("AGENT_SYNC_PARALLEL")) { run_parallel(NULL, atoi(getenv("AGENT_SYNC_PARALLEL"))); return; }
  if (getenv("AGENT_SYNC_CHUNK")) {
    int f = sync_chunk(atol(getenv("AGENT_SYNC_CHUNK")), NULL, 0);
    printf("CHUNK RUN failed=%d\n", f);
    return;
  }
  int failed = sync_run(NULL, 0);
  printf("RUN failed=%d\n", failed);
  if (getenv("AGENT_SYNC_RESET")) {
    reset(env("MSGRAPH_T_USER2"), NULL);
    int f2 = sync_mailbox(env("MSGRAPH_T_USER2"), "events,contacts,tasks", NULL);
    printf("RESET RUN failed=%d\n", f2);
  }
}

/* Changes in USER0's mailbox: AGENT_SYNC_MUTATE = number of new events;
 * one event and one contact deleted, one contact added, one task
 * completed, one task added. */
static void scenario_sync_mutate(void) {
  sync_credential();
  const char *u = env("MSGRAPH_T_USER0");
  char url[2048];
  time_t now = time(NULL), base = now - now % 86400 + 2 * 86400;
  int n = atoi(getenv("AGENT_SYNC_MUTATE") ? getenv("AGENT_SYNC_MUTATE") : "1");
  for (int i = 0; i < n; i++) {
    char subj[128];
    snprintf(subj, sizeof subj, "Neu \xc3\xa4 %ld %d", (long)now, i);
    free(create_event(u, subj, base + i * 600, base + i * 600 + 300, "UTC", NULL, NULL, NULL, NULL, NULL));
  }
  snprintf(url, sizeof url, "/users/%s/events?$top=1&$select=id", u);
  clob e = get(url, NULL, NULL);
  jnode *j = jparse(e.p, e.n);
  delete_event(u, jstr(jarr(j, "value")->kids[0], "id"), NULL);
  jfree(j);
  snprintf(url, sizeof url, "/users/%s/contacts?$top=1&$select=id", u);
  clob c = get(url, NULL, NULL);
  j = jparse(c.p, c.n);
  snprintf(url, sizeof url, "/users/%s/contacts/%s", u, jstr(jarr(j, "value")->kids[0], "id"));
  delete_(url, NULL, NULL);
  jfree(j);
  free(create_contact(u, "\xc5\x8c" "ta", "Hiroshi", "ota@example.com", NULL, NULL, NULL));
  char *list = todo_list_id(u, NULL, NULL);
  clob t = tasks(u, list, NULL);
  j = jparse(t.p, t.n);
  complete_task(u, list, jstr(jarr(j, "value")->kids[0], "id"), NULL);
  jfree(j);
  free(create_task(u, list, "Aufgabe \xe2\x9c\x93", (time_t)-1, NULL, NULL, "normal", NULL));
}

/* The staging tables hold exactly what the mailboxes hold now. */
static void verify_kind(const char *mailbox, const char *kind, const char *coll, const clob *truth) {
  jnode *j = jparse(truth->p, truth->n);
  jnode *v = jarr(j, "value");
  int staged = 0;
  for (int i = 0; i < db.ni; i++)
    if (seq(db.items[i].mailbox, mailbox) && seq(db.items[i].kind, kind) && seq(db.items[i].coll, coll)) staged++;
  char what[256];
  snprintf(what, sizeof what, "%s %s: %d staged, %d in the mailbox", mailbox, kind, staged, v ? v->n : -1);
  int ok = v && staged == v->n;
  for (int i = 0; ok && i < v->n; i++) {
    const char *id = jstr(v->kids[i], "id");
    const char *title = !strcmp(kind, "events") ? jstr(v->kids[i], "subject") : !strcmp(kind, "contacts") ? jstr(v->kids[i], "displayName") : jstr(v->kids[i], "title");
    int found = 0;
    for (int k = 0; k < db.ni && !found; k++)
      if (seq(db.items[k].mailbox, mailbox) && seq(db.items[k].kind, kind) && seq(db.items[k].id, id) && seq(db.items[k].title, title)) found = 1;
    if (!found) { printf("MISSING %s %s\n", id, title ? title : "(null)"); ok = 0; }
  }
  check(ok, what);
  jfree(j);
}

static void scenario_sync_verify(void) {
  sync_credential();
  db_begin();
  for (int m = 0; m < db.nm; m++) {
    const char *u = db.mb[m].mailbox;
    time_t now = time(NULL), today = now - now % 86400;
    char *s = graph_datetime(today - (time_t)g_days_back * 86400), *e = graph_datetime(today + (time_t)g_days_ahead * 86400);
    char *up = user_path(u), url[2048];
    snprintf(url, sizeof url, "%s/calendarView?startDateTime=%sZ&endDateTime=%sZ&$top=50", up, s, e);
    clob ev = get_all(url, 100000, NULL, NULL);
    verify_kind(u, "events", "-", &ev);
    clob cs = contacts(u, NULL);
    verify_kind(u, "contacts", "-", &cs);
    clob ls = todo_lists(u, NULL);
    jnode *j = jparse(ls.p, ls.n);
    jnode *v = jarr(j, "value");
    for (int i = 0; v && i < v->n; i++) {
      clob ts = tasks(u, jstr(v->kids[i], "id"), NULL);
      verify_kind(u, "tasks", jstr(v->kids[i], "id"), &ts);
    }
    free(s); free(e); free(up);
  }
  int ok_states = 1;
  for (int i = 0; i < db.ns; i++) if (!db.st[i].delta_link || !seq(db.st[i].last_status, "OK")) ok_states = 0;
  check(ok_states && db.ns == 2 * 4, "every collection has a deltaLink and status OK (2 mailboxes x events, contacts, 2 lists)");
  db_rollback();
}
