/*
 * MSGRAPH_SYNC (sql/msgraph_sync.pkb) ported to C for the agent emulation:
 * the same page loop, resync handling, round numbers and commit points,
 * over the same MSGRAPH calls, against the emulator. The tables of
 * sync_schema.sql are emulated: the committed state lives in a file
 * (AGENT_DB), COMMIT writes it, ROLLBACK reads it back, so a killed
 * session (AGENT_SYNC_KILL_AFTER_PAGES: pages of a round with more to
 * come) loses exactly what Oracle would.
 * DBMS_LOCK is an flock() on AGENT_DB.lock (held by the process).
 * Included by agent.c after m365.c.
 */
#include <sys/file.h>
#include <fcntl.h>
#include <unistd.h>

static void sync_routine(const char *name) { printf("ROUTINE msgraph_sync.%s\n", name); }

/* ------------------------------------------------------- emulated tables */

typedef struct { char *mailbox, *kind, *coll, *id, *title, *extra, *raw; long round; } s_item; /* event / contact / task rows */
typedef struct { char *mailbox, *kind, *coll, *delta_link, *last_status, *last_error; long round_no, full_round_no, rounds_done, resyncs; } s_state;
typedef struct { char *mailbox, *kinds; } s_mailbox;
typedef struct {
  s_item *items; int ni;
  s_state *st; int ns;
  s_mailbox *mb; int nm;
  char **log; int nl; /* log rows inserted in this transaction */
} s_db;
static s_db db;
static long g_pages_committed;

static char *sdup(const char *s) { return s ? strdup(s) : NULL; }
static int seq(const char *a, const char *b) { return a && b ? !strcmp(a, b) : a == b; }

static void db_clear(void) {
  for (int i = 0; i < db.ni; i++) { free(db.items[i].mailbox); free(db.items[i].kind); free(db.items[i].coll); free(db.items[i].id); free(db.items[i].title); free(db.items[i].extra); free(db.items[i].raw); }
  for (int i = 0; i < db.ns; i++) { free(db.st[i].mailbox); free(db.st[i].kind); free(db.st[i].coll); free(db.st[i].delta_link); free(db.st[i].last_status); free(db.st[i].last_error); }
  for (int i = 0; i < db.nm; i++) { free(db.mb[i].mailbox); free(db.mb[i].kinds); }
  for (int i = 0; i < db.nl; i++) free(db.log[i]);
  free(db.items); free(db.st); free(db.mb); free(db.log);
  memset(&db, 0, sizeof db);
}

static long jlong(const jnode *o, const char *k) { jnode *v = jget(o, k); return v && v->t == J_NUM ? atol(v->s) : 0; }

/* ROLLBACK: the committed state again. */
static void db_rollback(void) {
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
                                 jlong(j, "full_round_no"), jlong(j, "rounds_done"), jlong(j, "resyncs")};
    } else if (!strcmp(t, "mailbox")) {
      db.mb = realloc(db.mb, sizeof *db.mb * (size_t)(db.nm + 1));
      db.mb[db.nm++] = (s_mailbox){sdup(jstr(j, "mailbox")), sdup(jstr(j, "kinds"))};
    }
    jfree(j);
  }
  free(line);
  fclose(f);
}

static void put_s(FILE *f, const char *k, const char *v) { char *q = m_json_string(v); fprintf(f, ",\"%s\":%s", k, q); free(q); }

/* COMMIT: the file is rewritten (and renamed into place: all or nothing);
 * log rows go to AGENT_DB.log. */
static void db_commit(void) {
  char tmp[1024], logp[1024];
  /* One temporary file per process: overlapping runs (the lock test) must
   * not rename each other's half-written file away. */
  snprintf(tmp, sizeof tmp, "%s.tmp.%ld", env("AGENT_DB"), (long)getpid());
  snprintf(logp, sizeof logp, "%s.log", env("AGENT_DB"));
  FILE *f = fopen(tmp, "wb");
  if (!f) agent_fail("cannot write AGENT_DB");
  for (int i = 0; i < db.nm; i++) {
    fprintf(f, "{\"t\":\"mailbox\"");
    put_s(f, "mailbox", db.mb[i].mailbox); put_s(f, "kinds", db.mb[i].kinds);
    fprintf(f, "}\n");
  }
  for (int i = 0; i < db.ns; i++) {
    s_state *s = &db.st[i];
    fprintf(f, "{\"t\":\"state\"");
    put_s(f, "mailbox", s->mailbox); put_s(f, "kind", s->kind); put_s(f, "coll", s->coll); put_s(f, "delta_link", s->delta_link);
    put_s(f, "last_status", s->last_status); put_s(f, "last_error", s->last_error);
    fprintf(f, ",\"round_no\":%ld,\"full_round_no\":%ld,\"rounds_done\":%ld,\"resyncs\":%ld}\n", s->round_no, s->full_round_no, s->rounds_done, s->resyncs);
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
  FILE *l = fopen(logp, "ab");
  for (int i = 0; i < db.nl; i++) { fprintf(l, "%s\n", db.log[i]); free(db.log[i]); }
  fclose(l);
  db.nl = 0;
}

static s_state *state_of(const char *mailbox, const char *kind, const char *coll) {
  for (int i = 0; i < db.ns; i++)
    if (seq(db.st[i].mailbox, mailbox) && seq(db.st[i].kind, kind) && seq(db.st[i].coll, coll)) return &db.st[i];
  return NULL;
}

static void set_text(char **f, const char *v) { free(*f); *f = sdup(v); }

/* ---------------------------------------------------------------- log */

static void log_row(const char *mailbox, const char *kind, const char *coll, int full /* -1 NULL */, long pages,
                    long upserts, long deletes, const char *status, const char *error) {
  clob l = clob_of("{\"mailbox\":");
  app_free(&l, m_json_string(mailbox));
  app(&l, ",\"kind\":"); app_free(&l, m_json_string(kind));
  app(&l, ",\"collection\":"); app_free(&l, m_json_string(coll));
  char b[200];
  snprintf(b, sizeof b, ",\"full_round\":%s,\"pages\":%ld,\"upserts\":%ld,\"deletes\":%ld,\"status\":", full < 0 ? "null" : full ? "\"Y\"" : "\"N\"", pages, upserts, deletes);
  app(&l, b);
  app_free(&l, m_json_string(status));
  app(&l, ",\"error\":"); app_free(&l, m_json_string(error));
  app(&l, "}");
  db.log = realloc(db.log, sizeof(char *) * (size_t)(db.nl + 1));
  db.log[db.nl++] = l.p;
}

/* ---------------------------------------------------------- collections */

static int g_days_back = 30, g_days_ahead = 365;

static char *initial_url(const char *mailbox, const char *kind, const char *coll) {
  char *up = user_path(mailbox), *o = malloc(2048);
  if (!strcmp(kind, "events")) {
    time_t now = time(NULL), today = now - now % 86400;
    char *s = graph_datetime(today - (time_t)g_days_back * 86400), *e = graph_datetime(today + (time_t)g_days_ahead * 86400);
    snprintf(o, 2048, "%s/calendarView/delta?startDateTime=%sZ&endDateTime=%sZ", up, s, e);
    free(s); free(e);
  } else if (!strcmp(kind, "contacts")) {
    snprintf(o, 2048, "%s/contacts/delta", up);
  } else {
    char *c = url_segment(coll);
    snprintf(o, 2048, "%s/todo/lists/%s/tasks/delta", up, c);
    free(c);
  }
  free(up);
  return o;
}

static void ensure_state(const char *mailbox, const char *kind, const char *coll) {
  if (state_of(mailbox, kind, coll)) return;
  db.st = realloc(db.st, sizeof *db.st * (size_t)(db.ns + 1));
  db.st[db.ns++] = (s_state){sdup(mailbox), sdup(kind), sdup(coll), NULL, NULL, NULL, 0, 0, 0, 0};
}

static void check_page(int status, const clob *page) {
  if (status >= 200 && status <= 299) return;
  jnode *j = jparse(page->p, page->n);
  jnode *e = jobj(j, "error");
  const char *code = jstr(e, "code"), *message = jstr(e, "message");
  char m[2048];
  if (status == 410 || (code && (!strcmp(code, "syncStateNotFound") || !strcmp(code, "resyncRequired")))) {
    snprintf(m, sizeof m, "MSGRAPH_ERR_RESYNC: HTTP %d %s: the delta token is no longer valid", status, code ? code : "");
    jfree(j);
    raise_app(-20011, m);
  }
  int ora = status == 429 ? -20007 : status == 401 ? -20004
          : status == 403 && message && strstr(message, "Access to OData is disabled") ? -20013
          : status == 403 ? -20014 : status == 404 ? -20015 : (status == 409 || status == 412) ? -20017
          : (status == 408 || status == 504) ? -20006 : status >= 500 ? -20018 : -20016;
  snprintf(m, sizeof m, "HTTP %d %s: %.1500s request-id=%s", status, code ? code : "", message ? message : "", g_request_id);
  jfree(j);
  raise_app(ora, m);
}

static const char *first_email(const jnode *o) {
  jnode *a = jarr(o, "emailAddresses");
  return a && a->n > 0 ? jstr(a->kids[0], "address") : NULL;
}

static void apply_item(const char *mailbox, const char *kind, const char *coll, const jnode *item, long round,
                       long *upserts, long *deletes) {
  const char *id = jstr(item, "id");
  int tasks = !strcmp(kind, "tasks");
  int at = -1;
  for (int i = 0; i < db.ni; i++)
    if (seq(db.items[i].kind, kind) && seq(db.items[i].mailbox, mailbox) && seq(db.items[i].id, id)
        && (!tasks || seq(db.items[i].coll, coll))) { at = i; break; }
  if (jhas(item, "@removed")) {
    if (at >= 0) {
      s_item *r = &db.items[at];
      free(r->mailbox); free(r->kind); free(r->coll); free(r->id); free(r->title); free(r->extra); free(r->raw);
      db.items[at] = db.items[--db.ni];
    }
    (*deletes)++;
    return;
  }
  /* the columns: title = subject / displayName / title; extra = start / email / status */
  const char *title, *extra;
  if (!strcmp(kind, "events")) { title = jstr(item, "subject"); extra = jstr(jobj(item, "start"), "dateTime"); }
  else if (!strcmp(kind, "contacts")) { title = jstr(item, "displayName"); extra = first_email(item); }
  else { title = jstr(item, "title"); extra = jstr(item, "status"); }
  char *raw = jraw(item);
  if (at < 0) { /* MERGE ... WHEN NOT MATCHED THEN INSERT */
    db.items = realloc(db.items, sizeof *db.items * (size_t)(db.ni + 1));
    db.items[db.ni++] = (s_item){sdup(mailbox), sdup(kind), sdup(tasks ? coll : "-"), sdup(id), sdup(title), sdup(extra), raw, round};
  } else {      /* WHEN MATCHED THEN UPDATE */
    s_item *r = &db.items[at];
    set_text(&r->title, title); set_text(&r->extra, extra);
    free(r->raw); r->raw = raw;
    r->round = round;
  }
  (*upserts)++;
}

static void sweep(const char *mailbox, const char *kind, const char *coll, long round, long *deletes) {
  int tasks = !strcmp(kind, "tasks");
  for (int i = 0; i < db.ni;) {
    s_item *r = &db.items[i];
    if (seq(r->kind, kind) && seq(r->mailbox, mailbox) && (!tasks || seq(r->coll, coll)) && r->round < round) {
      free(r->mailbox); free(r->kind); free(r->coll); free(r->id); free(r->title); free(r->extra); free(r->raw);
      db.items[i] = db.items[--db.ni];
      (*deletes)++;
    } else i++;
  }
}

static void sync_round(const char *mailbox, const char *kind, const char *coll, const char *cred) {
  s_state *s = state_of(mailbox, kind, coll);
  char *link = sdup(s->delta_link);
  long round = s->round_no + 1;
  int full = link == NULL;
  s->round_no = round;
  if (full) s->full_round_no = round;
  db_commit();
  char *url = link ? sdup(link) : initial_url(mailbox, kind, coll);
  long pages = 0, upserts = 0, deletes = 0;
  jnode *doc = NULL;
  for (;;) {
    clob page = make_rest_request(url, "GET", NULL, cred, NULL);
    check_page(g_status_code, &page);
    pages++;
    jfree(doc);
    doc = jparse(page.p, page.n);
    if (!doc) raise_app(-40441, "ORA-40441: JSON syntax error");
    jnode *items = jarr(doc, "value");
    for (int i = 0; items && i < items->n; i++) apply_item(mailbox, kind, coll, items->kids[i], round, &upserts, &deletes);
    db_commit();
    /* the test's kill switch: die mid-round (a page with more to come) */
    if (jstr(doc, "@odata.nextLink")) g_pages_committed++;
    const char *kill = getenv("AGENT_SYNC_KILL_AFTER_PAGES");
    if (kill && jstr(doc, "@odata.nextLink") && g_pages_committed >= atol(kill)) {
      printf("SESSION KILLED mid-round after %ld committed pages\n", g_pages_committed);
      fflush(stdout);
      _exit(0);
    }
    free(page.p);
    free(url);
    url = sdup(jstr(doc, "@odata.nextLink"));
    if (!url) break;
  }
  const char *next = jstr(doc, "@odata.deltaLink");
  if (!next) raise_app(-20016, "MSGRAPH_ERR_BAD_REQUEST: the last page has no @odata.deltaLink");
  if (full) sweep(mailbox, kind, coll, round, &deletes);
  s = state_of(mailbox, kind, coll);
  set_text(&s->delta_link, next);
  s->rounds_done++;
  set_text(&s->last_status, "OK");
  set_text(&s->last_error, NULL);
  log_row(mailbox, kind, coll, full, pages, upserts, deletes, "OK", NULL);
  db_commit();
  jfree(doc);
  free(link);
}

static int sync_collection(const char *mailbox, const char *kind, const char *coll, const char *cred) {
  ensure_state(mailbox, kind, coll);
  db_commit();
  volatile int result = -1;
  char error[4096] = "";
  for (int attempt = 1; attempt <= 2 && result < 0; attempt++) {
    TRY
      sync_round(mailbox, kind, coll, cred);
      result = 0;
    CATCH
      db_rollback();
      if (sqlcode == -20011 && attempt == 1) {
        s_state *s = state_of(mailbox, kind, coll);
        set_text(&s->delta_link, NULL);
        s->resyncs++;
        set_text(&s->last_status, "RESYNC");
        set_text(&s->last_error, sqlerrm);
        db_commit();
      } else {
        snprintf(error, sizeof error, "%s", sqlcode == -20011 ? "resync signalled twice in a row" : sqlerrm);
        result = 1;
      }
    END_TRY
  }
  if (result == 1) {
    s_state *s = state_of(mailbox, kind, coll);
    set_text(&s->last_status, "FAILED");
    set_text(&s->last_error, error);
    log_row(mailbox, kind, coll, -1, 0, 0, 0, "FAILED", error);
    db_commit();
    printf("COLLECTION FAILED %s %s: %s\n", mailbox, kind, error);
  }
  return result;
}

static int sync_tasks(const char *mailbox, const char *cred) {
  clob lists = {NULL, 0};
  int failed = 0;
  TRY
    lists = todo_lists(mailbox, cred);
  CATCH
    failed = 1;
  END_TRY
  if (failed) {
    db_rollback();
    log_row(mailbox, "tasks", "-", -1, 0, 0, 0, "FAILED", sqlerrm);
    db_commit();
    return 1;
  }
  jnode *j = jparse(lists.p, lists.n);
  jnode *v = jarr(j, "value");
  for (int i = 0; v && i < v->n; i++) failed += sync_collection(mailbox, "tasks", jstr(v->kids[i], "id"), cred);
  /* lists gone on the server: their tasks and state */
  for (int i = 0; i < db.ni;) {
    s_item *r = &db.items[i];
    int keep = 1;
    if (seq(r->kind, "tasks") && seq(r->mailbox, mailbox)) {
      keep = 0;
      for (int k = 0; v && k < v->n; k++) if (seq(r->coll, jstr(v->kids[k], "id"))) keep = 1;
    }
    if (keep) i++;
    else { free(r->mailbox); free(r->kind); free(r->coll); free(r->id); free(r->title); free(r->extra); free(r->raw); db.items[i] = db.items[--db.ni]; }
  }
  db_commit();
  jfree(j);
  free(lists.p);
  return failed;
}

/* ---------------------------------------------------------------- public */

static void add_mailbox(const char *mailbox, const char *kinds) {
  sync_routine("add_mailbox");
  for (int i = 0; i < db.nm; i++)
    if (seq(db.mb[i].mailbox, mailbox)) { set_text(&db.mb[i].kinds, kinds); db_commit(); return; }
  db.mb = realloc(db.mb, sizeof *db.mb * (size_t)(db.nm + 1));
  db.mb[db.nm++] = (s_mailbox){sdup(mailbox), sdup(kinds)};
  db_commit();
}

static void remove_mailbox(const char *mailbox) {
  sync_routine("remove_mailbox");
  for (int i = 0; i < db.ni;) {
    if (seq(db.items[i].mailbox, mailbox)) { s_item *r = &db.items[i]; free(r->mailbox); free(r->kind); free(r->coll); free(r->id); free(r->title); free(r->extra); free(r->raw); db.items[i] = db.items[--db.ni]; }
    else i++;
  }
  for (int i = 0; i < db.ns;) { if (seq(db.st[i].mailbox, mailbox)) db.st[i] = db.st[--db.ns]; else i++; }
  for (int i = 0; i < db.nm;) { if (seq(db.mb[i].mailbox, mailbox)) db.mb[i] = db.mb[--db.nm]; else i++; }
  db_commit();
}

static void reset(const char *mailbox, const char *kind) {
  sync_routine("reset");
  for (int i = 0; i < db.ns; i++)
    if (seq(db.st[i].mailbox, mailbox) && (!kind || seq(db.st[i].kind, kind))) set_text(&db.st[i].delta_link, NULL);
  db_commit();
}

static int sync_mailbox(const char *mailbox, const char *kinds, const char *cred) {
  sync_routine("sync_mailbox");
  char k[256];
  snprintf(k, sizeof k, ",%s,", kinds ? kinds : "events,contacts,tasks");
  int failed = 0;
  if (strstr(k, ",events,")) failed += sync_collection(mailbox, "events", "-", cred);
  if (strstr(k, ",contacts,")) failed += sync_collection(mailbox, "contacts", "-", cred);
  if (strstr(k, ",tasks,")) failed += sync_tasks(mailbox, cred);
  return failed;
}

static int sync_run(const char *cred) {
  sync_routine("run");
  char lockp[1024];
  snprintf(lockp, sizeof lockp, "%s.lock", env("AGENT_DB"));
  int fd = open(lockp, O_CREAT | O_RDWR, 0600);
  if (fd < 0 || flock(fd, LOCK_EX | LOCK_NB) != 0) {  /* DBMS_LOCK.REQUEST(..., timeout 0) = 1 */
    if (fd >= 0) close(fd);
    db_rollback();
    log_row(NULL, NULL, NULL, -1, 0, 0, 0, "SKIPPED", "another run holds the lock MSGRAPH_SYNC");
    db_commit();
    return -1;
  }
  db_rollback();
  int failed = 0;
  int n = db.nm;
  char **boxes = malloc(sizeof(char *) * (size_t)(n ? n : 1)), **kinds = malloc(sizeof(char *) * (size_t)(n ? n : 1));
  for (int i = 0; i < n; i++) { boxes[i] = sdup(db.mb[i].mailbox); kinds[i] = sdup(db.mb[i].kinds); }
  for (int i = 0; i < n; i++) for (int k = i + 1; k < n; k++) if (strcmp(boxes[k], boxes[i]) < 0) {
    char *t = boxes[i]; boxes[i] = boxes[k]; boxes[k] = t; t = kinds[i]; kinds[i] = kinds[k]; kinds[k] = t; }
  for (int i = 0; i < n; i++) failed += sync_mailbox(boxes[i], kinds[i], cred);
  flock(fd, LOCK_UN);   /* DBMS_LOCK.RELEASE */
  close(fd);
  return failed;
}

/* ------------------------------------------------------------ scenarios */

static void sync_credential(void) {
  /* no retries, so one injected 503 fails one page */
  const char *o = env("MSGRAPH_T_OPTIONS");
  char opts[2048];
  snprintf(opts, sizeof opts, "%.*s,\"max_retries\":0}", (int)(strlen(o) - 1), o);
  clob oc = clob_of(opts);
  create_credential("graph", env("MSGRAPH_T_TENANT"), env("MSGRAPH_T_CLIENT"), env("MSGRAPH_T_SECRET"),
                    "https://graph.microsoft.com/.default", &oc);
  set_default_credential("graph");
}

static void scenario_sync_setup(void) {
  sync_credential();
  db_rollback();
  add_mailbox(env("MSGRAPH_T_USER0"), "events,contacts,tasks");
  add_mailbox(env("MSGRAPH_T_USER2"), "events,contacts,tasks");
  add_mailbox(env("MSGRAPH_T_USER1"), "events");
  remove_mailbox(env("MSGRAPH_T_USER1"));
  check(db.nm == 2, "add_mailbox, remove_mailbox");
  /* 23 more events: the first full round of USER0's events has 3 pages */
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
  int failed = sync_run(NULL);
  printf("RUN failed=%d\n", failed);
  if (getenv("AGENT_SYNC_RESET")) {
    db_rollback();
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
    if (seq(db.items[i].mailbox, mailbox) && seq(db.items[i].kind, kind) && (strcmp(kind, "tasks") || seq(db.items[i].coll, coll))) staged++;
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
  db_rollback();
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
}
