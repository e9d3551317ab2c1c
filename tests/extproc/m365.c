/*
 * MSGRAPH_M365 (sql/msgraph_m365.pkb) ported to C for the agent emulation:
 * the same MSGRAPH calls with the same URLs and JSON, so the package's
 * requests, the shapes it reads and its edge cases run against the
 * emulator. Included by agent.c (uses its PL/SQL runtime and the MSGRAPH
 * port). JSON_OBJECT_T is json.h; JSON_TABLE and SQL are noted where the
 * PL/SQL uses them.
 */
#include <time.h>

static void m365_routine(const char *name) { printf("ROUTINE msgraph_m365.%s\n", name); }

typedef struct { const char *name, *content_type; const uint8_t *content; size_t len; int is_null; } t_attachment;
typedef struct { const t_attachment *items; int count; } t_attachments; /* count 0 or items NULL: none */

/* --------------------------------------------------------- JSON text */

static char *json_escape(const char *s) {
  if (!s) return NULL;
  size_t n = strlen(s);
  char *o = malloc(n * 6 + 1), *p = o;
  for (size_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char)s[i];
    if (c == '\\') { *p++ = '\\'; *p++ = '\\'; }
    else if (c == '"') { *p++ = '\\'; *p++ = '"'; }
    else if (c == '\n') { *p++ = '\\'; *p++ = 'n'; }
    else if (c == '\r') { *p++ = '\\'; *p++ = 'r'; }
    else if (c == '\t') { *p++ = '\\'; *p++ = 't'; }
    else if (c < 32) p += sprintf(p, "\\u00%02X", c);
    else *p++ = (char)c;
  }
  *p = 0;
  return o;
}

static char *m_json_string(const char *s) {
  if (!s) return strdup("null");
  char *e = json_escape(s), *o = malloc(strlen(e) + 3);
  sprintf(o, "\"%s\"", e);
  free(e);
  return o;
}

static void app(clob *c, const char *s) { if (s) clob_append(c, s, strlen(s)); }
static void app_free(clob *c, char *s) { app(c, s); free(s); }

/* append_json_clob: msgraph.json_string (the library escapes). */
static void append_json_clob(clob *out, const clob *text) {
  clob j = json_string(text);
  clob_append(out, j.p, j.n);
  free(j.p);
}

/* substr(p, 1, n) of UTF-8 text: n characters. */
static char *substr_chars(const char *p, size_t n) {
  if (!p) return NULL;
  size_t i = 0, chars = 0;
  while (p[i] && chars < n) {
    i++;
    while (((unsigned char)p[i] & 0xC0) == 0x80) i++;
    chars++;
  }
  return strndup(p, i);
}

/* ------------------------------------------------------------ helpers */

/* utl_url.escape(p, true, 'AL32UTF8'): everything but A-Z a-z 0-9 and
 * - _ . ! ~ * ' ( ) as %XX of the UTF-8 bytes. */
static char *url_segment(const char *s) {
  m365_routine("url_segment");
  if (!s) raise_app(-20001, "MSGRAPH_ERR_ARGUMENT: a user, id or name is NULL");
  char *o = malloc(strlen(s) * 3 + 1), *p = o;
  for (const unsigned char *c = (const unsigned char *)s; *c; c++) {
    if ((*c >= 'A' && *c <= 'Z') || (*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9') || strchr("-_.!~*'()", *c))
      *p++ = (char)*c;
    else p += sprintf(p, "%%%02X", *c);
  }
  *p = 0;
  return o;
}

/* A TIMESTAMP is a time_t (UTC) here. */
static char *graph_datetime(time_t t) {
  m365_routine("graph_datetime");
  struct tm tm;
  gmtime_r(&t, &tm);
  char *o = malloc(32);
  strftime(o, 32, "%Y-%m-%dT%H:%M:%S", &tm);
  return o;
}

/* to_timestamp(substr(p, 1, 19), 'YYYY-MM-DD"T"HH24:MI:SS'); -1 for NULL. */
static time_t to_utc(const char *s) {
  m365_routine("to_utc");
  if (!s) return (time_t)-1;
  struct tm tm = {0};
  if (sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour, &tm.tm_min, &tm.tm_sec) != 6)
    raise_app(-1861, "ORA-01861: literal does not match format string");
  tm.tm_year -= 1900;
  tm.tm_mon -= 1;
  return timegm(&tm);
}

static char *user_path(const char *user) {
  char *seg = url_segment(user), *o = malloc(strlen(seg) + 8);
  sprintf(o, "/users/%s", seg);
  free(seg);
  return o;
}

static char *date_time_zone(time_t t, const char *tz) {
  char *dt = graph_datetime(t), *a = m_json_string(dt), *b = m_json_string(tz ? tz : "UTC");
  char *o = malloc(strlen(a) + strlen(b) + 32);
  sprintf(o, "{\"dateTime\":%s,\"timeZone\":%s}", a, b);
  free(dt); free(a); free(b);
  return o;
}

static char *id_of(const clob *resp) {
  jnode *j = jparse(resp->p, resp->n);
  const char *id = jstr(j, "id");
  char *o = id ? strdup(id) : NULL;
  jfree(j);
  return o;
}

static char *trim_dup(const char *s, size_t n) {
  while (n && (*s == ' ')) { s++; n--; }
  while (n && s[n - 1] == ' ') n--;
  return strndup(s, n);
}

/* recipients_json: 'a@x, Name <b@y>; c@z' as a JSON array. */
static char *recipients_json(const char *list) {
  clob out = clob_of("[");
  int first = 1;
  const char *p = list;
  while (p && *p) {
    size_t len = strcspn(p, ",;");
    char *item = trim_dup(p, len);
    p = p[len] ? p + len + 1 : NULL;
    if (!*item) { free(item); continue; }
    char *lt = strchr(item, '<'), *name = NULL, *addr;
    size_t il = strlen(item);
    if (lt && item[il - 1] == '>') {
      name = trim_dup(item, (size_t)(lt - item));
      if (name[0] == '"' && strlen(name) > 1 && name[strlen(name) - 1] == '"') {
        char *n2 = strndup(name + 1, strlen(name) - 2); free(name); name = n2;
      }
      addr = trim_dup(lt + 1, (size_t)(item + il - 1 - (lt + 1)));
    } else addr = strdup(item);
    if (!first) app(&out, ",");
    first = 0;
    app(&out, "{\"emailAddress\":{\"address\":");
    app_free(&out, m_json_string(addr));
    if (name && *name) { app(&out, ",\"name\":"); app_free(&out, m_json_string(name)); }
    app(&out, "}}");
    free(name); free(addr); free(item);
  }
  app(&out, "]");
  return out.p;
}

static const char *body_type(const char *t) {
  if (!t || !strcasecmp(t, "HTML")) return "HTML";
  if (!strcasecmp(t, "TEXT")) return "Text";
  raise_app(-20001, "MSGRAPH_ERR_ARGUMENT: body type must be HTML or Text");
  return NULL;
}

/* ------------------------------------------------------------------ mail */

/* UTL_ENCODE.BASE64_ENCODE of one chunk: lines of 64 characters ending in
 * CR LF, as Oracle writes them; base64() strips them again. */
static void b64_chunk(const uint8_t *in, size_t n, clob *out) {
  static const char *tbl = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  size_t line = 0;
  for (size_t i = 0; i < n; i += 3) {
    uint32_t v = (uint32_t)in[i] << 16 | (i + 1 < n ? (uint32_t)in[i + 1] << 8 : 0) | (i + 2 < n ? in[i + 2] : 0);
    char q[4] = {tbl[v >> 18 & 63], tbl[v >> 12 & 63], i + 1 < n ? tbl[v >> 6 & 63] : '=', i + 2 < n ? tbl[v & 63] : '='};
    clob_append(out, q, 4);
    line += 4;
    if (line == 64 && i + 3 < n) { clob_append(out, "\r\n", 2); line = 0; }
  }
}

static clob base64(const uint8_t *blob, size_t len, int is_null) {
  m365_routine("base64");
  clob out = {NULL, 0};
  if (is_null) return out;
  clob_append(&out, "", 0);
  for (size_t pos = 0; pos < len; pos += 23808) {
    size_t amount = len - pos < 23808 ? len - pos : 23808;
    clob enc = {NULL, 0};
    b64_chunk(blob + pos, amount, &enc);
    check(enc.n <= 32767, "one UTL_ENCODE chunk fits a VARCHAR2(32767)");
    for (size_t i = 0; i < enc.n; i++)
      if (enc.p[i] != '\r' && enc.p[i] != '\n') clob_append(&out, enc.p + i, 1);
    free(enc.p);
  }
  return out;
}

static char *json_string_r(const char *s) { m365_routine("json_string"); return m_json_string(s); }

static clob mail_json(const char *to, const char *subject, const clob *body, const char *btype, const char *cc,
                      const char *bcc, const t_attachments *atts, int save) {
  m365_routine("mail_json");
  if (!to && !cc && !bcc) raise_app(-20001, "MSGRAPH_ERR_ARGUMENT: no recipient (p_to, p_cc, p_bcc are NULL)");
  clob j = {NULL, 0};
  app(&j, "{\"message\":{\"subject\":");
  app_free(&j, m_json_string(subject));
  app(&j, ",\"body\":{\"contentType\":\"");
  app(&j, body_type(btype));
  app(&j, "\",\"content\":");
  clob empty = clob_of("");
  append_json_clob(&j, body && body->p ? body : &empty);
  app(&j, "},\"toRecipients\":");
  app_free(&j, recipients_json(to));
  if (cc) { app(&j, ",\"ccRecipients\":"); app_free(&j, recipients_json(cc)); }
  if (bcc) { app(&j, ",\"bccRecipients\":"); app_free(&j, recipients_json(bcc)); }
  if (atts && atts->items && atts->count > 0) {
    app(&j, ",\"attachments\":[");
    for (int i = 0; i < atts->count; i++) {
      if (i) app(&j, ",");
      app(&j, "{\"@odata.type\":\"#microsoft.graph.fileAttachment\",\"name\":");
      app_free(&j, m_json_string(atts->items[i].name));
      app(&j, ",\"contentType\":");
      app_free(&j, m_json_string(atts->items[i].content_type ? atts->items[i].content_type : "application/octet-stream"));
      app(&j, ",\"contentBytes\":\"");
      clob b = base64(atts->items[i].content, atts->items[i].len, atts->items[i].is_null);
      if (b.p) { clob_append(&j, b.p, b.n); free(b.p); }
      app(&j, "\"}");
    }
    app(&j, "]");
  }
  app(&j, "},\"saveToSentItems\":");
  app(&j, save ? "true" : "false");
  app(&j, "}");
  return j;
}

static void send_mail(const char *from, const char *to, const char *subject, const clob *body, const char *btype,
                      const char *cc, const char *bcc, const t_attachments *atts, int save, const char *cred) {
  m365_routine("send_mail");
  clob j = mail_json(to, subject, body, btype, cc, bcc, atts, save);
  char *up = user_path(from), url[1024];
  snprintf(url, sizeof url, "%s/sendMail", up);
  free(up);
  clob r = post(url, &j, cred, NULL);
  free(j.p);
  free(r.p);
}

/* ----------------------------------------------------- application secrets */

typedef struct {
  char *app_object_id, *app_id, *app_name, *credential_type, *key_id, *credential_name, *hint;
  time_t start, end;
  long days_left;
  const char *status;
} secret_row;

static int secret_cmp(const void *a, const void *b) {
  const secret_row *x = a, *y = b;
  if (x->end != y->end) return x->end < y->end ? -1 : 1;
  int c = strcmp(x->app_name ? x->app_name : "", y->app_name ? y->app_name : "");
  return c ? c : strcmp(x->key_id, y->key_id);
}

/* The pipelined function: the JSON_TABLE (two NESTED PATHs, UNION ALL,
 * ORDER BY end) is done here by walking the same paths. */
static secret_row *expiring_secrets(double days, const char *cred, int *count) {
  m365_routine("expiring_secrets");
  time_t now = time(NULL);
  clob doc = get_all("/applications?$select=id,appId,displayName,passwordCredentials,keyCredentials", 100000, cred, NULL);
  jnode *j = jparse(doc.p, doc.n);
  check(j != NULL, "applications are JSON");
  secret_row *rows = NULL;
  int n = 0;
  jnode *apps = jarr(j, "value");
  for (int i = 0; apps && i < apps->n; i++) {
    jnode *a = apps->kids[i];
    for (int kind = 0; kind < 2; kind++) {
      jnode *creds = jarr(a, kind == 0 ? "passwordCredentials" : "keyCredentials");
      for (int k = 0; creds && k < creds->n; k++) {
        jnode *c = creds->kids[k];
        if (!jstr(c, "keyId")) continue;
        rows = realloc(rows, sizeof *rows * (size_t)(n + 1));
        secret_row *r = &rows[n++];
        r->app_object_id = strdup(jstr(a, "id"));
        r->app_id = strdup(jstr(a, "appId"));
        r->app_name = jstr(a, "displayName") ? strdup(jstr(a, "displayName")) : NULL;
        r->credential_type = kind == 0 ? "Password" : "Certificate";
        r->key_id = strdup(jstr(c, "keyId"));
        r->credential_name = jstr(c, "displayName") ? strdup(jstr(c, "displayName")) : NULL;
        r->hint = kind == 0 && jstr(c, "hint") ? strdup(jstr(c, "hint")) : NULL;
        r->start = to_utc(jstr(c, "startDateTime"));
        r->end = to_utc(jstr(c, "endDateTime"));
      }
    }
  }
  qsort(rows, (size_t)n, sizeof *rows, secret_cmp);
  int out = 0;
  for (int i = 0; i < n; i++) {
    /* extract(day from (end - now)): whole days, truncated toward zero */
    rows[i].days_left = (long)((double)(rows[i].end - now) / 86400.0);
    if ((double)rows[i].end <= (double)now + days * 86400.0) {
      rows[i].status = rows[i].end <= now ? "Expired" : "Expiring";
      rows[out++] = rows[i];
    }
  }
  jfree(j);
  free(doc.p);
  *count = out;
  return rows;
}

static char *escape_sc(const char *s) { /* htf.escape_sc */
  clob o = clob_of("");
  for (; s && *s; s++) {
    if (*s == '&') app(&o, "&amp;");
    else if (*s == '<') app(&o, "&lt;");
    else if (*s == '>') app(&o, "&gt;");
    else if (*s == '"') app(&o, "&quot;");
    else clob_append(&o, s, 1);
  }
  return o.p;
}

static int mail_expiring_secrets(const char *from, const char *to, double days, const char *cred) {
  m365_routine("mail_expiring_secrets");
  clob html = {NULL, 0};
  char buf[4096];
  snprintf(buf, sizeof buf, "<p>Application credentials ending within %g days:</p><table border=\"1\" cellpadding=\"4\"><tr><th>Application</th><th>App id</th><th>Type</th><th>Name</th><th>Ends (UTC)</th><th>Days left</th><th>Status</th></tr>", days);
  app(&html, buf);
  int n = 0;
  secret_row *rows = expiring_secrets(days, cred, &n);
  for (int i = 0; i < n; i++) {
    char *an = escape_sc(rows[i].app_name), *cn = escape_sc(rows[i].credential_name), end[32];
    struct tm tm;
    gmtime_r(&rows[i].end, &tm);
    strftime(end, sizeof end, "%Y-%m-%d %H:%M", &tm);
    snprintf(buf, sizeof buf, "<tr><td>%s</td><td>%s</td><td>%s</td><td>%s</td><td>%s</td><td>%ld</td><td>%s</td></tr>",
             an, rows[i].app_id, rows[i].credential_type, cn, end, rows[i].days_left, rows[i].status);
    app(&html, buf);
    free(an); free(cn);
  }
  app(&html, "</table>");
  if (n > 0) {
    snprintf(buf, sizeof buf, "%d application credential(s) expire within %g days", n, days);
    send_mail(from, to, buf, &html, "HTML", NULL, NULL, NULL, 1, cred);
  }
  free(html.p);
  free(rows);
  return n;
}

/* ----------------------------------------------------------------- access */

typedef struct { char check_name[32]; char url[1000]; int http_status; char verdict[16]; char reason[4200]; char error_code[100]; char request_id[513]; } access_row;

static access_row probe(const char *check_name, const char *url, const char *permission, const char *cred) {
  access_row r;
  memset(&r, 0, sizeof r);
  snprintf(r.check_name, sizeof r.check_name, "%s", check_name);
  snprintf(r.url, sizeof r.url, "%s", url);
  clob resp = {NULL, 0};
  int failed = 0;
  TRY
    resp = make_rest_request(url, "GET", NULL, cred, NULL);
  CATCH
    failed = 1;
  END_TRY
  if (failed) {
    r.http_status = g_status_code;
    snprintf(r.verdict, sizeof r.verdict, "Error");
    snprintf(r.reason, sizeof r.reason, "%s", sqlerrm);
    snprintf(r.request_id, sizeof r.request_id, "%s", g_request_id);
    return r;
  }
  int status = g_status_code;
  const char *code = NULL, *message = NULL;
  jnode *j = NULL;
  if (status >= 400 && resp.p) {
    j = jparse(resp.p, resp.n);
    jnode *e = jobj(j, "error");
    code = substr_chars(jstr(e, "code"), 25);
    message = substr_chars(jstr(e, "message"), 800);
  }
  r.http_status = status;
  snprintf(r.error_code, sizeof r.error_code, "%s", code ? code : "");
  snprintf(r.request_id, sizeof r.request_id, "%s", g_request_id);
  const char *v;
  if (status >= 200 && status <= 299) { v = "Granted"; snprintf(r.reason, sizeof r.reason, "HTTP %d", status); }
  else if (status == 403 && message && strstr(message, "Access to OData is disabled")) {
    v = "Denied";
    snprintf(r.reason, sizeof r.reason, "an application access policy excludes this mailbox (%s: %s)", code, message);
  } else if (status == 403) {
    v = "Denied";
    snprintf(r.reason, sizeof r.reason, "the application lacks the permission %s (%s: %s)", permission, code ? code : "", message ? message : "");
  } else if (status == 404) {
    v = "Error";
    snprintf(r.reason, sizeof r.reason, "no such user or mailbox (%s: %s)", code ? code : "", message ? message : "");
  } else {
    v = "Error";
    snprintf(r.reason, sizeof r.reason, "HTTP %d (%s: %s)", status, code ? code : "", message ? message : "");
  }
  snprintf(r.verdict, sizeof r.verdict, "%s", v);
  free((char *)code); free((char *)message);
  jfree(j);
  free(resp.p);
  return r;
}

static void test_access(const char *user, const char *cred, access_row out[2]) {
  m365_routine("test_access");
  char *up = user_path(user), url[1024];
  snprintf(url, sizeof url, "%s/mailboxSettings", up);
  out[0] = probe("mailboxSettings", url, "MailboxSettings.Read", cred);
  snprintf(url, sizeof url, "%s/calendar", up);
  out[1] = probe("calendar", url, "Calendars.Read", cred);
  free(up);
}

static const char *access_check_result(const char *user, const char *cred) {
  m365_routine("access_check_result");
  access_row rows[2];
  test_access(user, cred, rows);
  int granted = 0, denied = 0;
  for (int i = 0; i < 2; i++) {
    if (!strcmp(rows[i].verdict, "Granted")) granted++;
    else if (!strcmp(rows[i].verdict, "Denied")) denied++;
  }
  return granted == 2 ? "Granted" : denied > 0 ? "Denied" : "Error";
}

/* --------------------------------------------------------------- calendar */

static char *create_event(const char *user, const char *subject, time_t start, time_t end, const char *tz,
                          const clob *body, const char *btype, const char *location, const char *attendees,
                          const char *cred) {
  m365_routine("create_event");
  if (start == (time_t)-1 || end == (time_t)-1 || end < start)
    raise_app(-20001, "MSGRAPH_ERR_ARGUMENT: an event needs p_start <= p_end");
  clob j = {NULL, 0};
  app(&j, "{\"subject\":");
  app_free(&j, m_json_string(subject));
  app(&j, ",\"start\":");
  app_free(&j, date_time_zone(start, tz));
  app(&j, ",\"end\":");
  app_free(&j, date_time_zone(end, tz));
  if (body && body->p) {
    app(&j, ",\"body\":{\"contentType\":\"");
    app(&j, body_type(btype));
    app(&j, "\",\"content\":");
    append_json_clob(&j, body);
    app(&j, "}");
  }
  if (location) { app(&j, ",\"location\":{\"displayName\":"); app_free(&j, m_json_string(location)); app(&j, "}"); }
  if (attendees) {
    /* replace(recipients_json(p_attendees), '}}', '},"type":"required"}') */
    char *r = recipients_json(attendees);
    app(&j, ",\"attendees\":");
    for (char *p = r; *p; p++) {
      if (p[0] == '}' && p[1] == '}') { app(&j, "},\"type\":\"required\"}"); p++; }
      else clob_append(&j, p, 1);
    }
    free(r);
  }
  app(&j, "}");
  char *up = user_path(user), url[1024];
  snprintf(url, sizeof url, "%s/events", up);
  free(up);
  clob resp = post(url, &j, cred, NULL);
  free(j.p);
  char *id = id_of(&resp);
  free(resp.p);
  return id;
}

static clob calendar_view(const char *user, time_t start, time_t end, const char *tz, const char *cred) {
  m365_routine("calendar_view");
  char *up = user_path(user), *s = graph_datetime(start), *e = graph_datetime(end), url[2048];
  snprintf(url, sizeof url, "%s/calendarView?startDateTime=%s&endDateTime=%s&$top=50", up, s, e);
  char pref[512];
  snprintf(pref, sizeof pref, "outlook.timezone=\"%s\"", tz ? tz : "UTC");
  char *pj = m_json_string(pref), opts[1024];
  snprintf(opts, sizeof opts, "{\"headers\":{\"Prefer\":%s}}", pj);
  clob o = clob_of(opts);
  free(up); free(s); free(e); free(pj);
  return get_all(url, 100000, cred, &o);
}

static void delete_event(const char *user, const char *id, const char *cred) {
  m365_routine("delete_event");
  char *up = user_path(user), *seg = url_segment(id), url[2048];
  snprintf(url, sizeof url, "%s/events/%s", up, seg);
  free(up); free(seg);
  delete_(url, cred, NULL);
}

/* --------------------------------------------------------------- contacts */

static char *create_contact(const char *user, const char *given, const char *surname, const char *email,
                            const char *company, const char *mobile, const char *cred) {
  m365_routine("create_contact");
  char full[1024];
  snprintf(full, sizeof full, "%s %s", given ? given : "", surname ? surname : "");
  char *t = trim_dup(full, strlen(full));
  clob j = clob_of("{\"givenName\":");
  app_free(&j, m_json_string(given));
  app(&j, ",\"surname\":");
  app_free(&j, m_json_string(surname));
  app(&j, ",\"displayName\":");
  app_free(&j, m_json_string(t));
  if (email) {
    app(&j, ",\"emailAddresses\":[{\"address\":");
    app_free(&j, m_json_string(email));
    app(&j, ",\"name\":");
    app_free(&j, m_json_string(t));
    app(&j, "}]");
  }
  if (company) { app(&j, ",\"companyName\":"); app_free(&j, m_json_string(company)); }
  if (mobile) { app(&j, ",\"mobilePhone\":"); app_free(&j, m_json_string(mobile)); }
  app(&j, "}");
  free(t);
  char *up = user_path(user), url[1024];
  snprintf(url, sizeof url, "%s/contacts", up);
  free(up);
  clob r = post(url, &j, cred, NULL);
  free(j.p);
  char *id = id_of(&r);
  free(r.p);
  return id;
}

static clob contacts(const char *user, const char *cred) {
  m365_routine("contacts");
  char *up = user_path(user), url[1024];
  snprintf(url, sizeof url, "%s/contacts?$top=100", up);
  free(up);
  return get_all(url, 100000, cred, NULL);
}

/* ------------------------------------------------------------------ To Do */

static clob todo_lists(const char *user, const char *cred) {
  m365_routine("todo_lists");
  char *up = user_path(user), url[1024];
  snprintf(url, sizeof url, "%s/todo/lists", up);
  free(up);
  return get_all(url, 100000, cred, NULL);
}

static char *todo_list_id(const char *user, const char *name, const char *cred) {
  m365_routine("todo_list_id");
  clob l = todo_lists(user, cred);
  jnode *j = jparse(l.p, l.n);
  jnode *lists = jarr(j, "value");
  char *id = NULL;
  for (int i = 0; lists && i < lists->n && !id; i++) {
    jnode *x = lists->kids[i];
    const char *wk = jstr(x, "wellknownListName"), *dn = jstr(x, "displayName");
    if ((!name && wk && !strcmp(wk, "defaultList")) || (name && dn && !strcmp(dn, name))) id = strdup(jstr(x, "id"));
  }
  jfree(j);
  free(l.p);
  if (!id) {
    char m[512];
    snprintf(m, sizeof m, "MSGRAPH_ERR_NOT_FOUND: no To Do list %s for %s", name ? name : "(default)", user);
    raise_app(-20015, m);
  }
  return id;
}

static char *tasks_url(const char *user, const char *list, const char *task) {
  char *up = user_path(user), *ls = url_segment(list), *ts = task ? url_segment(task) : NULL;
  char *o = malloc(strlen(up) + strlen(ls) + (ts ? strlen(ts) : 0) + 32);
  sprintf(o, "%s/todo/lists/%s/tasks%s%s", up, ls, ts ? "/" : "", ts ? ts : "");
  free(up); free(ls); free(ts);
  return o;
}

static char *create_task(const char *user, const char *list, const char *title, time_t due, const char *tz,
                         const clob *body, const char *importance, const char *cred) {
  m365_routine("create_task");
  if (!importance || (strcasecmp(importance, "low") && strcasecmp(importance, "normal") && strcasecmp(importance, "high")))
    raise_app(-20001, "MSGRAPH_ERR_ARGUMENT: importance must be low, normal or high");
  char imp[16];
  snprintf(imp, sizeof imp, "%s", importance);
  for (char *p = imp; *p; p++) if (*p >= 'A' && *p <= 'Z') *p = (char)(*p + 32);
  clob j = clob_of("{\"title\":");
  app_free(&j, m_json_string(title));
  app(&j, ",\"importance\":");
  app_free(&j, m_json_string(imp));
  if (due != (time_t)-1) { app(&j, ",\"dueDateTime\":"); app_free(&j, date_time_zone(due, tz)); }
  if (body && body->p) { app(&j, ",\"body\":{\"contentType\":\"text\",\"content\":"); append_json_clob(&j, body); app(&j, "}"); }
  app(&j, "}");
  char *url = tasks_url(user, list, NULL);
  clob r = post(url, &j, cred, NULL);
  free(url); free(j.p);
  char *id = id_of(&r);
  free(r.p);
  return id;
}

static void complete_task(const char *user, const char *list, const char *task, const char *cred) {
  m365_routine("complete_task");
  char *url = tasks_url(user, list, task);
  clob b = clob_of("{\"status\":\"completed\"}");
  clob r = patch(url, &b, cred, NULL);
  free(url); free(b.p); free(r.p);
}

static clob tasks(const char *user, const char *list, const char *cred) {
  m365_routine("tasks");
  char *url = tasks_url(user, list, NULL);
  clob r = get_all(url, 100000, cred, NULL);
  free(url);
  return r;
}

/* ------------------------------------------------------- mailbox settings */

static clob mailbox_settings(const char *user, const char *cred) {
  m365_routine("mailbox_settings");
  char *up = user_path(user), url[1024];
  snprintf(url, sizeof url, "%s/mailboxSettings", up);
  free(up);
  return get(url, cred, NULL);
}

static void set_automatic_replies(const char *user, const char *status, const char *internal, const char *external,
                                  time_t start, time_t end, const char *tz, const char *audience, const char *cred) {
  m365_routine("set_automatic_replies");
  if (!status || (strcmp(status, "disabled") && strcmp(status, "alwaysEnabled") && strcmp(status, "scheduled")))
    raise_app(-20001, "MSGRAPH_ERR_ARGUMENT: status must be disabled, alwaysEnabled or scheduled");
  if (!strcmp(status, "scheduled") && (start == (time_t)-1 || end == (time_t)-1 || end <= start))
    raise_app(-20001, "MSGRAPH_ERR_ARGUMENT: scheduled automatic replies need p_start < p_end");
  if (audience && strcmp(audience, "none") && strcmp(audience, "contactsOnly") && strcmp(audience, "all"))
    raise_app(-20001, "MSGRAPH_ERR_ARGUMENT: external audience must be none, contactsOnly or all");
  clob j = clob_of("{\"automaticRepliesSetting\":{\"status\":");
  app_free(&j, m_json_string(status));
  /* the replies go through a CLOB and msgraph.json_string */
  if (internal) { clob c = clob_of(internal); app(&j, ",\"internalReplyMessage\":"); append_json_clob(&j, &c); free(c.p); }
  if (external) { clob c = clob_of(external); app(&j, ",\"externalReplyMessage\":"); append_json_clob(&j, &c); free(c.p); }
  if (audience) { app(&j, ",\"externalAudience\":"); app_free(&j, m_json_string(audience)); }
  if (!strcmp(status, "scheduled")) {
    app(&j, ",\"scheduledStartDateTime\":"); app_free(&j, date_time_zone(start, tz));
    app(&j, ",\"scheduledEndDateTime\":"); app_free(&j, date_time_zone(end, tz));
  }
  app(&j, "}}");
  char *up = user_path(user), url[1024];
  snprintf(url, sizeof url, "%s/mailboxSettings", up);
  free(up);
  clob r = patch(url, &j, cred, NULL);
  free(j.p); free(r.p);
}

/* ------------------------------------------------------------- SharePoint */

static clob list_items(const char *site, const char *list, const char *filter, int32_t max_items, const char *cred) {
  m365_routine("list_items");
  char *s = url_segment(site), *l = url_segment(list), url[4096];
  snprintf(url, sizeof url, "/sites/%s/lists/%s/items?$expand=fields", s, l);
  free(s); free(l);
  clob o = {NULL, 0};
  if (filter) {
    char *f = url_segment(filter);
    strncat(url, "&$filter=", sizeof url - strlen(url) - 1);
    strncat(url, f, sizeof url - strlen(url) - 1);
    free(f);
    o = clob_of("{\"headers\":{\"Prefer\":\"HonorNonIndexedQueriesWarningMayFailRandomly\"}}");
  }
  return get_all(url, max_items, cred, o.p ? &o : NULL);
}

/* ------------------------------------------------------------ scenarios */

static char *user_mail(const char *id) {
  char url[512];
  snprintf(url, sizeof url, "/users/%s?$select=mail", id);
  clob u = get(url, NULL, NULL);
  jnode *j = jparse(u.p, u.n);
  char *m = strdup(jstr(j, "mail"));
  jfree(j);
  free(u.p);
  return m;
}

static void save_text(const char *name, const char *s) { clob c = clob_of(s); save(name, &c); free(c.p); }

static int count_subject(const clob *doc, const char *subject) {
  jnode *j = jparse(doc->p, doc->n);
  jnode *v = jarr(j, "value");
  int n = 0;
  for (int i = 0; v && i < v->n; i++) { const char *s = jstr(v->kids[i], "subject"); if (s && !strcmp(s, subject)) n++; }
  jfree(j);
  return n;
}

static void scenario_m365(void) {
  setup_credential();
  const char *u0 = env("MSGRAPH_T_USER0"), *u1 = env("MSGRAPH_T_USER1");
  char *m0 = user_mail(u0), *m1 = user_mail(u1), *m2 = user_mail(env("MSGRAPH_T_USER2"));
  char url[2048], buf[8192];

  /* --- send_mail: HTML over 32 KB with every escape, to/cc/bcc, two attachments */
  clob html = clob_of("<h1>Zo\xc3\xab \xe6\x9d\x8e\xe9\x9b\xb7 \xf0\x9f\x93\x85</h1><p class=\"x\">tab\there\nline \\ back</p>\x01\x1f");
  for (int i = 0; i < 5000; i++) clob_append(&html, "<b>\xc3\xa9\"\xe6\x9d\x8e</b>", 13);
  uint8_t *bin = malloc(100001);
  for (int i = 0; i < 100001; i++) bin[i] = (uint8_t)(i * 7 + i / 256);
  t_attachment att[3] = {{"r\xc3\xa9sum\xc3\xa9.bin", NULL, bin, 100001, 0},
                         {"two.txt", "text/plain", (const uint8_t *)"hi", 2, 0},
                         {"exactly3.bin", "application/x-test", (const uint8_t *)"abc", 3, 0}};
  t_attachments atts = {att, 3};
  snprintf(buf, sizeof buf, "%s; \"Jos\xc3\xa9 N\xc3\xba\xc3\xb1" "ez\" <%s>", m1, m1);
  const char *subject = "Bericht f\xc3\xbcr Zo\xc3\xab \xe2\x80\x94 \"quoted\"";
  clob mj = mail_json(buf, subject, &html, "html", m2, m0, &atts, 1);
  save("mail.json", &mj);
  send_mail(u0, buf, subject, &html, "html", m2, m0, &atts, 1, NULL);
  check(g_status_code == 202, "send_mail: 202 Accepted for a >32 KB request with attachments");
  snprintf(url, sizeof url, "/users/%s/mailFolders/inbox/messages?$top=100", u1);
  clob inbox = get_all(url, 100000, NULL, NULL);
  check(count_subject(&inbox, subject) == 1, "send_mail: delivered once to the To recipient named twice");
  save("inbox1.json", &inbox);
  snprintf(url, sizeof url, "/users/%s/mailFolders/sentitems/messages?$top=100", u0);
  clob sent = get_all(url, 100000, NULL, NULL);
  check(count_subject(&sent, subject) == 1, "send_mail: saveToSentItems true keeps a copy");
  clob text = clob_of("plain text body");
  send_mail(u0, m1, "no copy kept", &text, "Text", NULL, NULL, NULL, 0, NULL);
  clob sent2 = get_all(url, 100000, NULL, NULL);
  check(count_subject(&sent2, "no copy kept") == 0, "send_mail: saveToSentItems false keeps none");
  TRY
    send_mail(u0, NULL, "x", &text, "Text", NULL, NULL, NULL, 1, NULL);
    check(0, "no recipient");
  CATCH
    check(expect_error(-20001, "no recipient"), "send_mail without recipients raises e_invalid_argument");
  END_TRY
  TRY
    send_mail(u0, m1, "x", &text, "markdown", NULL, NULL, NULL, 1, NULL);
    check(0, "bad body type");
  CATCH
    check(expect_error(-20001, "HTML or Text"), "send_mail with a bad body type");
  END_TRY
  TRY
    send_mail(u0, "not an address", "x", &text, "Text", NULL, NULL, NULL, 1, NULL);
    check(0, "bad address");
  CATCH
    check(expect_error(-20016, "ErrorInvalidRecipients"), "send_mail to an invalid address raises e_bad_request with Graph's code");
  END_TRY
  clob js = clob_of(json_string_r("a\"b\\c\nd\x02"));
  check(strcmp(js.p, "\"a\\\"b\\\\c\\nd\\u0002\"") == 0, "json_string escapes quotes, backslashes and controls");
  clob jn = clob_of(json_string_r(NULL));
  check(strcmp(jn.p, "null") == 0, "json_string(NULL) is null");

  /* --- expiring_secrets and the warning mail */
  int n10 = 0, nall = 0, n0 = 0;
  secret_row *r10 = expiring_secrets(10, NULL, &n10);
  secret_row *rall = expiring_secrets(36500, NULL, &nall);
  secret_row *r0 = expiring_secrets(0, NULL, &n0);
  clob rows = clob_of("[");
  for (int i = 0; i < n10; i++) {
    char line[2048];
    snprintf(line, sizeof line, "%s{\"app\":%s,\"app_id\":\"%s\",\"type\":\"%s\",\"key_id\":\"%s\",\"end\":%ld,\"days_left\":%ld,\"status\":\"%s\"}",
             i ? "," : "", m_json_string(r10[i].app_name), r10[i].app_id, r10[i].credential_type, r10[i].key_id,
             (long)r10[i].end, r10[i].days_left, r10[i].status);
    app(&rows, line);
  }
  app(&rows, "]");
  save("secrets10.json", &rows);
  snprintf(buf, sizeof buf, "%d %d %d", n0, n10, nall);
  save_text("secret_counts.txt", buf);
  check(n0 > 0 && n10 > n0 && nall > n10, "expiring_secrets: expired < next 10 days < all");
  for (int i = 0; i < n0; i++) check(!strcmp(r0[i].status, "Expired") && r0[i].days_left <= 0, "expiring_secrets(0): only expired, days_left <= 0");
  (void)rall;
  int mailed = mail_expiring_secrets(u0, m1, 10, NULL);
  check(mailed == n10, "mail_expiring_secrets lists every row of expiring_secrets(10)");
  snprintf(buf, sizeof buf, "%d application credential(s) expire within 10 days", n10);
  snprintf(url, sizeof url, "/users/%s/mailFolders/inbox/messages?$top=100", u1);
  clob inbox3 = get_all(url, 100000, NULL, NULL);
  check(count_subject(&inbox3, buf) == 1, "the warning mail arrived");
  save("inbox_warning.json", &inbox3);

  /* --- test_access: granted, and a user that does not exist */
  access_row ar[2];
  test_access(u0, NULL, ar);
  check(!strcmp(ar[0].verdict, "Granted") && !strcmp(ar[1].verdict, "Granted") && ar[0].request_id[0], "test_access: both probes granted with request ids");
  check(!strcmp(access_check_result(m0, NULL), "Granted"), "access_check_result by UPN (the @ URL-encoded)");
  test_access("nobody@contoso.onmicrosoft.com", NULL, ar);
  check(!strcmp(ar[0].verdict, "Error") && ar[0].http_status == 404 && strstr(ar[0].reason, "no such user"), "test_access: unknown user is an Error with 404");
  check(!strcmp(access_check_result("nobody@contoso.onmicrosoft.com", NULL), "Error"), "access_check_result: Error for an unknown user");

  /* --- calendar */
  time_t now = time(NULL), day = 86400, base = now - now % day + 2 * day;
  clob ebody = clob_of("Agenda: \xe6\x9d\x8e\xe9\x9b\xb7 \"Q3\"\n");
  for (int i = 0; i < 4000; i++) clob_append(&ebody, "\xc3\xab\xe6\x9d\x8e ", 6);
  snprintf(buf, sizeof buf, "%s, Adele <%s>", m1, m2);
  char *eid = create_event(u0, "Planung \xe2\x80\x94 Zo\xc3\xab", base + 9 * 3600, base + 10 * 3600, "UTC", &ebody, "Text",
                           "Raum M\xc3\xbcnchen", buf, NULL);
  check(eid && *eid, "create_event returns the id");
  clob cv = calendar_view(u0, base, base + day, "UTC", NULL);
  save("calendar_view.json", &cv);
  check(strstr(cv.p, eid) != NULL, "calendar_view finds the new event");
  clob cv_empty = calendar_view(u0, base + 400 * day, base + 401 * day, "UTC", NULL);
  jnode *cve = jparse(cv_empty.p, cv_empty.n);
  check(jarr(cve, "value") && jarr(cve, "value")->n == 0, "calendar_view of an empty window is an empty value array");
  delete_event(u0, eid, NULL);
  clob cv2 = calendar_view(u0, base, base + day, "UTC", NULL);
  check(strstr(cv2.p, eid) == NULL, "delete_event removes it");
  TRY
    char *x = create_event(u0, "x", base + 10, base, "UTC", NULL, NULL, NULL, NULL, NULL);
    (void)x;
    check(0, "end before start");
  CATCH
    check(expect_error(-20001, "p_start <= p_end"), "create_event refuses an end before the start");
  END_TRY

  /* --- contacts */
  char *cid = create_contact(u0, "Zo\xc3\xab", "M\xc3\xbcller-\xe6\x9d\x8e", "zoe.contact@example.com", "Contoso \"GmbH\"", "+49 151 0000", NULL);
  clob cs = contacts(u0, NULL);
  save("contacts.json", &cs);
  check(cid && strstr(cs.p, cid), "create_contact, then contacts lists it");

  /* --- To Do */
  char *def = todo_list_id(u0, NULL, NULL), *monthly = todo_list_id(u0, "Monthly Tasks", NULL);
  check(def && monthly && strcmp(def, monthly), "todo_list_id: default list and a named one");
  TRY
    char *x = todo_list_id(u0, "No such list", NULL);
    (void)x;
    check(0, "no list");
  CATCH
    check(expect_error(-20015, "No such list"), "todo_list_id raises e_not_found for an unknown name");
  END_TRY
  clob tbody = clob_of("Schritt 1\nSchritt 2 \xe2\x9c\x93");
  char *tid = create_task(u0, monthly, "Bericht pr\xc3\xbc" "fen", base + 12 * 3600, "UTC", &tbody, "HIGH", NULL);
  complete_task(u0, monthly, tid, NULL);
  clob ts = tasks(u0, monthly, NULL);
  save("tasks.json", &ts);
  check(tid && strstr(ts.p, tid), "create_task, complete_task, tasks");
  TRY
    char *x = create_task(u0, monthly, "x", (time_t)-1, NULL, NULL, "urgent", NULL);
    (void)x;
    check(0, "importance");
  CATCH
    check(expect_error(-20001, "importance"), "create_task refuses an unknown importance");
  END_TRY

  /* --- mailbox settings */
  clob ms = mailbox_settings(u0, NULL);
  check(strstr(ms.p, "automaticRepliesSetting") != NULL, "mailbox_settings");
  set_automatic_replies(u0, "scheduled", "Bin im Urlaub \xe2\x80\x94 Zo\xc3\xab", "Out of office \"until Monday\"",
                        base, base + 3 * day, "UTC", "contactsOnly", NULL);
  clob ms2 = mailbox_settings(u0, NULL);
  save("mailbox_settings.json", &ms2);
  set_automatic_replies(u0, "disabled", NULL, NULL, (time_t)-1, (time_t)-1, NULL, NULL, NULL);
  clob ms3 = mailbox_settings(u0, NULL);
  save("mailbox_settings_off.json", &ms3);
  TRY
    set_automatic_replies(u0, "scheduled", "x", NULL, base, base, "UTC", NULL, NULL);
    check(0, "scheduled without a window");
  CATCH
    check(expect_error(-20001, "p_start < p_end"), "set_automatic_replies refuses an empty schedule");
  END_TRY

  /* --- SharePoint */
  clob items = list_items("root", "Inventory", NULL, 100000, NULL);
  save("list_items.json", &items);
  clob few = list_items("root", "Inventory", NULL, 7, NULL);
  save("list_items_7.json", &few);
  TRY
    clob x = list_items("root", "No such list", NULL, 10, NULL);
    (void)x;
    check(0, "no list");
  CATCH
    check(sqlcode == -20015, "list_items of an unknown list raises e_not_found");
  END_TRY
  char *seg = url_segment("a b#EXT#@x/\xc3\xab");
  check(!strcmp(seg, "a%20b%23EXT%23%40x%2F%C3%AB"), "url_segment percent-encodes UTF-8 bytes and reserved characters");
  char *dt = graph_datetime(0);
  check(!strcmp(dt, "1970-01-01T00:00:00"), "graph_datetime");
  check(to_utc("2026-01-05T10:11:12.1234567Z") == 1767607872 && to_utc(NULL) == (time_t)-1, "to_utc reads Graph's forms");
  check(results_live() == 0, "every result freed");
}

/* Run with an application access policy that admits only USER0. */
static void scenario_m365_policy(void) {
  setup_credential();
  access_row ar[2];
  test_access(env("MSGRAPH_T_USER1"), NULL, ar);
  for (int i = 0; i < 2; i++) {
    printf("ACCESS %s %d %s %s\n", ar[i].check_name, ar[i].http_status, ar[i].verdict, ar[i].reason);
    check(!strcmp(ar[i].verdict, "Denied") && ar[i].http_status == 403 && strstr(ar[i].reason, "application access policy")
          && !strcmp(ar[i].error_code, "ErrorAccessDenied") && ar[i].request_id[0], "test_access: Denied by the policy, with code and request id");
  }
  check(!strcmp(access_check_result(env("MSGRAPH_T_USER1"), NULL), "Denied"), "access_check_result: Denied");
  check(!strcmp(access_check_result(env("MSGRAPH_T_USER0"), NULL), "Granted"), "access_check_result: the admitted mailbox is Granted");
}

/* Run as the reader app (User.Read.All only). */
static void scenario_m365_reader(void) {
  clob opts = clob_of(env("MSGRAPH_T_OPTIONS"));
  create_credential("reader", env("MSGRAPH_T_TENANT"), env("MSGRAPH_T_READER_CLIENT"), env("MSGRAPH_T_READER_SECRET"),
                    "https://graph.microsoft.com/.default", &opts);
  access_row ar[2];
  test_access(env("MSGRAPH_T_USER0"), "reader", ar);
  check(!strcmp(ar[0].verdict, "Denied") && strstr(ar[0].reason, "lacks the permission MailboxSettings.Read"), "test_access: missing MailboxSettings permission named");
  check(!strcmp(ar[1].verdict, "Denied") && strstr(ar[1].reason, "lacks the permission Calendars.Read"), "test_access: missing Calendars permission named");
  create_credential("wrong", env("MSGRAPH_T_TENANT"), env("MSGRAPH_T_CLIENT"), "not-the-secret", "https://graph.microsoft.com/.default", &opts);
  test_access(env("MSGRAPH_T_USER0"), "wrong", ar);
  check(!strcmp(ar[0].verdict, "Error") && strstr(ar[0].reason, "AADSTS7000215"), "test_access: no token is an Error row, not an exception");
  TRY
    int n = 0;
    secret_row *r = expiring_secrets(10, "reader", &n);
    (void)r;
    check(0, "reader cannot read applications");
  CATCH
    check(expect_error(-20014, NULL), "expiring_secrets without Application.Read.All raises e_access_denied");
  END_TRY
}

/* Characters outside the BMP, exactly, both ways, on every chunk edge:
 * a BMP character and then 4-byte characters, so each edge (the 4000-unit
 * steps the old append_json_clob took, json_string's 5400-byte reads,
 * clob_to_agent's 32767-byte chunks up, read_body's 32767- or 21844-byte
 * reads down) falls inside one of them at every phase somewhere.
 * AGENT_DB_CHARSET=UTF8 runs it as a CESU-8 database (6 bytes each). */
static void scenario_nonbmp(void) {
  if (getenv("AGENT_DB_CHARSET")) db_charset_name = getenv("AGENT_DB_CHARSET");
  setup_credential();
  const char *u0 = env("MSGRAPH_T_USER0");
  static const char *cycle[] = {"\xf0\x9f\x98\x80", "\xf0\x9d\x84\x9e", "\xf0\xa0\x9c\x8e", "\xf4\x8f\xbf\xbd"};
  clob utf = clob_of("a");
  for (int i = 0; i < 30000; i++) clob_append(&utf, cycle[i % 4], 4);
  clob_append(&utf, "\"\\\n\xc3\xab", 5);
  save("nonbmp_sent.txt", &utf);
  plsql_raw ur = raw_bytes(utf.p, utf.n);
  size_t bn; char *b = convert_to_db(&ur, &bn);
  clob body = {NULL, 0};
  clob_append(&body, b, bn);
  free(b); free(ur.data);

  time_t base = 1767607200; /* 2026-01-05 10:00 UTC */
  char *eid = create_event(u0, "Planung \xf0\x9f\x93\x85", base, base + 3600, "UTC", &body, "Text", NULL, NULL, NULL);
  check(eid && *eid, "an event with 30000 characters outside the BMP created");
  char url[1024];
  snprintf(url, sizeof url, "/users/%s/events/%s", u0, eid);
  clob ev = get(url, NULL, NULL);
  check(ev.n > 120000, "the event read back in several chunks");
  plsql_raw er = utf8n(ev.p, ev.n);
  clob evu = {NULL, 0};
  clob_append(&evu, (const char *)er.data, (size_t)er.len);
  save("nonbmp_event.json", &evu);

  /* An automatic reply of 5000 of them (20001 bytes; 30001 in CESU-8). */
  plsql_raw rr = raw_bytes(utf.p, 1 + 5000 * 4);
  size_t rn; char *reply = convert_to_db(&rr, &rn);
  set_automatic_replies(u0, "alwaysEnabled", reply, NULL, (time_t)-1, (time_t)-1, NULL, NULL, NULL);
  clob ms = mailbox_settings(u0, NULL);
  plsql_raw mr = utf8n(ms.p, ms.n);
  clob msu = {NULL, 0};
  clob_append(&msu, (const char *)mr.data, (size_t)mr.len);
  save("nonbmp_settings.json", &msu);
  snprintf(url, sizeof url, "/users/%s/events/%s", u0, eid);
  delete_(url, NULL, NULL);
  check(results_live() == 0, "every result freed");
}
