/*
 * Agent emulation: the MSGRAPH package body (sql/msgraph.pkb) ported line
 * for line to C, calling libmsgraph.so (dlopen) through the marshalling
 * layer generated from the call specs (xp_gen.c), exactly as Oracle's
 * extproc agent would. raise_application_error is a longjmp; a CLOB is a
 * byte string in the emulated database character set (AL32UTF8,
 * WE8MSWIN1252 in the charset scenario, UTF8 = CESU-8 in nonbmp_cesu). A
 * VARCHAR2(32767) that would get more bytes is ORA-06502, as in Oracle.
 *
 * Usage: agent SCENARIO (main, fresh_session, auth_fail, throttled,
 * policy, charset, fuzz; nonbmp (AGENT_DB_CHARSET=UTF8: CESU-8) and m365, m365_policy, m365_reader: MSGRAPH_M365 in
 * m365.c; sync_setup, sync_run, sync_mutate, sync_verify: MSGRAPH_SYNC in
 * sync.c). Prints "ROUTINE name" for every package routine
 * entered and "CALLSPEC name count" at the end; exits 0 when every check
 * of the scenario held.
 */
#include "agent.h"
#include <setjmp.h>
#include <strings.h>
#include "xp_gen.c"
#include "json.h"

/* ------------------------------------------------------------ PL/SQL runtime */

typedef struct { char *p; size_t n; } clob; /* p == NULL: NULL */

static jmp_buf *cur_handler;
static int sqlcode;
static char sqlerrm[4096];

#define TRY { jmp_buf jb_; jmp_buf *prev_ = cur_handler; cur_handler = &jb_; if (setjmp(jb_) == 0) {
#define CATCH cur_handler = prev_; } else { cur_handler = prev_;
#define END_TRY } }

static void raise_app(int code, const char *msg) {
  sqlcode = code;
  snprintf(sqlerrm, sizeof sqlerrm, "ORA%d: %s", code, msg);
  if (!cur_handler) agent_fail("unhandled exception");
  longjmp(*cur_handler, 1);
}
static void reraise(void) {
  if (!cur_handler) agent_fail("unhandled exception");
  longjmp(*cur_handler, 1);
}

static const char *db_charset_name = "AL32UTF8";
static int db_is_utf8(void) { return strcmp(db_charset_name, "AL32UTF8") == 0; }
/* Oracle's UTF8 character set is CESU-8: a character outside the BMP is its
 * two UTF-16 surrogates, 3 bytes each. */
static int db_is_cesu(void) { return strcmp(db_charset_name, "UTF8") == 0; }

static plsql_raw raw_var(int32_t cap) {
  plsql_raw r = {1, 0, cap, malloc((size_t)cap + 1)};
  return r;
}
static plsql_raw raw_null(void) { plsql_raw r = {1, 0, 0, NULL}; return r; }
static plsql_raw raw_bytes(const void *p, size_t n) {
  plsql_raw r = {n == 0, (int32_t)n, (int32_t)n, malloc(n + 1)};
  if (n) memcpy(r.data, p, n);
  return r;
}

/* utl_i18n.string_to_raw(s, 'AL32UTF8'): DB charset -> UTF-8. */
static plsql_raw utf8n(const char *s, size_t n) {
  if (!s) return raw_null();
  if (db_is_utf8()) return raw_bytes(s, n);
  uint8_t *u = malloc(n * 2 + 1);
  size_t k = 0;
  if (db_is_cesu()) {
    const uint8_t *b = (const uint8_t *)s;
    for (size_t i = 0; i < n;) {
      if (i + 5 < n && b[i] == 0xED && (b[i + 1] & 0xF0) == 0xA0 && b[i + 3] == 0xED && (b[i + 4] & 0xF0) == 0xB0) {
        uint32_t hi = 0xD000u | ((b[i + 1] & 0x3Fu) << 6) | (b[i + 2] & 0x3Fu);
        uint32_t lo = 0xD000u | ((b[i + 4] & 0x3Fu) << 6) | (b[i + 5] & 0x3Fu);
        uint32_t cp = 0x10000u + ((hi - 0xD800u) << 10) + (lo - 0xDC00u);
        u[k++] = (uint8_t)(0xF0 | (cp >> 18)); u[k++] = (uint8_t)(0x80 | ((cp >> 12) & 0x3F));
        u[k++] = (uint8_t)(0x80 | ((cp >> 6) & 0x3F)); u[k++] = (uint8_t)(0x80 | (cp & 0x3F));
        i += 6;
      } else u[k++] = b[i++];
    }
    plsql_raw r = raw_bytes(u, k);
    free(u);
    return r;
  }
  for (size_t i = 0; i < n; i++) {
    uint8_t c = (uint8_t)s[i];
    if (c < 0x80) u[k++] = c;
    else { u[k++] = (uint8_t)(0xC0 | (c >> 6)); u[k++] = (uint8_t)(0x80 | (c & 0x3F)); }
  }
  plsql_raw r = raw_bytes(u, k);
  free(u);
  return r;
}
static plsql_raw utf8(const char *s) { return s ? utf8n(s, strlen(s)) : raw_null(); }

/* utl_i18n.raw_to_char(r, 'AL32UTF8'): UTF-8 -> DB charset; a character
 * the DB charset lacks becomes '?' (Oracle's replacement character). */
static char *convert_to_db(const plsql_raw *r, size_t *out_n);
static char *text_n(const plsql_raw *r, size_t *out_n) {
  char *t = convert_to_db(r, out_n);
  /* The text lands in a VARCHAR2(32767) (BYTE semantics). */
  if (t && *out_n > 32767) {
    free(t);
    raise_app(-6502, "ORA-06502: PL/SQL: numeric or value error: character string buffer too small");
  }
  return t;
}
static char *convert_to_db(const plsql_raw *r, size_t *out_n) {
  if (r->is_null) { *out_n = 0; return NULL; }
  char *t = malloc((size_t)r->len * 2 + 1);
  size_t k = 0;
  if (db_is_utf8()) { memcpy(t, r->data, (size_t)r->len); k = (size_t)r->len; }
  else if (db_is_cesu()) {
    for (int32_t i = 0; i < r->len;) {
      uint8_t c = r->data[i];
      if ((c & 0xF8) == 0xF0 && i + 3 < r->len) {
        uint32_t cp = ((c & 0x07u) << 18) | ((r->data[i + 1] & 0x3Fu) << 12) | ((r->data[i + 2] & 0x3Fu) << 6) | (r->data[i + 3] & 0x3Fu);
        uint32_t hi = 0xD800u + ((cp - 0x10000u) >> 10), lo = 0xDC00u + ((cp - 0x10000u) & 0x3FFu);
        t[k++] = (char)0xED; t[k++] = (char)(0x80 | ((hi >> 6) & 0x3F)); t[k++] = (char)(0x80 | (hi & 0x3F));
        t[k++] = (char)0xED; t[k++] = (char)(0x80 | ((lo >> 6) & 0x3F)); t[k++] = (char)(0x80 | (lo & 0x3F));
        i += 4;
      } else t[k++] = (char)r->data[i++];
    }
  } else {
    for (int32_t i = 0; i < r->len;) {
      uint8_t c = r->data[i];
      uint32_t cp; int w;
      if (c < 0x80) { cp = c; w = 1; }
      else if ((c & 0xE0) == 0xC0) { cp = ((c & 0x1Fu) << 6) | (r->data[i + 1] & 0x3Fu); w = 2; }
      else if ((c & 0xF0) == 0xE0) { cp = 0x10000; w = 3; }
      else { cp = 0x10000; w = 4; }
      t[k++] = cp <= 0xFF ? (char)cp : '?';
      i += w;
    }
  }
  t[k] = 0;
  *out_n = k;
  return t;
}
static char *text(const plsql_raw *r) { size_t n; return text_n(r, &n); }

static void clob_append(clob *c, const char *p, size_t n) {
  c->p = realloc(c->p, c->n + n + 1);
  memcpy(c->p + c->n, p, n);
  c->n += n;
  c->p[c->n] = 0;
}
static clob clob_of(const char *s) { clob c = {NULL, 0}; if (s) clob_append(&c, s, strlen(s)); return c; }

static void routine(const char *name) { printf("ROUTINE %s\n", name); }

static void check(int ok, const char *what) {
  if (!ok) { fprintf(stderr, "CHECK FAILED: %s (last error %d %s)\n", what, sqlcode, sqlerrm); exit(1); }
  printf("CHECK %s ok\n", what);
}

/* ------------------------------------------------------- package state */

#define C_INLINE_CHARS 8000
#define C_CHUNK_BYTES 32767
#define C_READ_BYTES_OTHER 21844 /* read_body's RAW(21844) off AL32UTF8 */
#define C_ESC_BYTES 5400
static int32_t read_cap = 32767; /* the declared RAW(32767) of read_body */

typedef struct { char name[256]; char value[4096]; } header;
static header g_response_headers[64];
static int g_response_count;
static header g_request_headers[16];
static int g_request_count;
static int g_status_code;
static char g_reason_phrase[513];
static char g_request_id[513];
static char g_default_credential[129];
static char g_charset_mode[8] = "ERROR";
static int g_autoloaded;
static const char *session_user = "SCOTT";

/* ------------------------------------------------------------- helpers */

static char *namespace(void) {
  static char ns[200];
  if (strchr(session_user, '/'))
    raise_app(-20008, "MSGRAPH_ERR_REFUSED: MSGRAPH cannot serve a database user whose name contains a slash");
  snprintf(ns, sizeof ns, "%s/", session_user);
  return ns;
}

static plsql_raw qualified(const char *p_name) {
  const char *n = p_name ? p_name : (g_default_credential[0] ? g_default_credential : NULL);
  if (!n) raise_app(-20001, "MSGRAPH_ERR_ARGUMENT: no credential: pass p_credential or call msgraph.set_default_credential");
  char buf[512];
  snprintf(buf, sizeof buf, "%s%s", namespace(), n);
  return utf8(buf);
}

static void raise_status(int32_t status, const plsql_raw *message) {
  plsql_raw l_text = raw_var(2000);
  int32_t code = xp_xp_status_error(status, &l_text);
  if (code == 0) return;
  if (message && !message->is_null) l_text = *message;
  raise_app(-code, text(&l_text) ? text(&l_text) : "");
}

static plsql_raw utf8_clob(const clob *c) {
  if (!c || !c->p || c->n == 0) return raw_null();
  if (c->n > C_INLINE_CHARS) raise_app(-20001, "MSGRAPH_ERR_ARGUMENT: options too long");
  return utf8n(c->p, c->n);
}

/* clob_to_agent: inline when small, else an upload body in 32767-byte
 * chunks of the UTF-8 bytes (CONVERTTOBLOB), split anywhere. */
static void clob_to_agent(const clob *p_clob, plsql_raw *p_inline, int32_t *p_handle) {
  *p_inline = raw_null();
  *p_handle = 0;
  if (!p_clob || !p_clob->p || p_clob->n == 0) return;
  if (p_clob->n <= C_INLINE_CHARS) { *p_inline = utf8n(p_clob->p, p_clob->n); return; }
  plsql_raw blob = utf8n(p_clob->p, p_clob->n);
  volatile int32_t handle = 0;
  TRY
    handle = xp_xp_body_new();
    if (handle < 0) { int32_t rc = handle; handle = 0; raise_status(rc, NULL); }
    for (int32_t pos = 0; pos < blob.len; pos += C_CHUNK_BYTES) {
      int32_t amount = blob.len - pos < C_CHUNK_BYTES ? blob.len - pos : C_CHUNK_BYTES;
      plsql_raw chunk = raw_bytes(blob.data + pos, (size_t)amount);
      int32_t rc = xp_xp_body_append(handle, &chunk);
      free(chunk.data);
      if (rc < 0) raise_status(rc, NULL);
    }
    *p_handle = handle;
  CATCH
    if (handle > 0) xp_xp_body_free(handle);
    reraise();
  END_TRY
  free(blob.data);
}

/* json_string: the CLOB converted to UTF-8 whole (CONVERTTOBLOB), read in
 * C_ESC_BYTES steps; the library escapes whole characters and says how many
 * bytes it took, and the next read starts there. */
static clob json_string(const clob *p_text) {
  routine("json_string");
  clob out = {NULL, 0};
  if (!p_text || !p_text->p) { clob_append(&out, "null", 4); return out; }
  clob_append(&out, "\"", 1);
  if (p_text->n > 0) {
    plsql_raw blob = utf8n(p_text->p, p_text->n);
    plsql_raw esc = raw_var(32767);
    for (int32_t pos = 0; pos < blob.len;) {
      int32_t amount = blob.len - pos < C_ESC_BYTES ? blob.len - pos : C_ESC_BYTES;
      plsql_raw chunk = raw_bytes(blob.data + pos, (size_t)amount);
      int32_t n = xp_xp_json_escape(&chunk, &esc);
      free(chunk.data);
      if (n < 0) raise_status(n, NULL);
      else if (n == 0) raise_app(-20099, "MSGRAPH_ERR_INTERNAL: json_escape took nothing");
      if (!esc.is_null) { size_t tn; char *t = text_n(&esc, &tn); clob_append(&out, t, tn); free(t); }
      pos += n;
    }
    free(esc.data);
    free(blob.data);
  }
  clob_append(&out, "\"", 1);
  return out;
}

static plsql_raw request_header_lines(void) {
  if (g_request_count == 0) return raw_null();
  clob lines = {NULL, 0};
  for (int i = 0; i < g_request_count; i++) {
    clob_append(&lines, g_request_headers[i].name, strlen(g_request_headers[i].name));
    clob_append(&lines, ": ", 2);
    clob_append(&lines, g_request_headers[i].value, strlen(g_request_headers[i].value));
    clob_append(&lines, "\n", 1);
  }
  plsql_raw r = utf8(lines.p);
  free(lines.p);
  return r;
}

static void read_headers(int32_t p_result) {
  plsql_raw buf = raw_var(8000);
  int32_t off = 0;
  clob all = {NULL, 0};
  g_response_count = 0;
  for (;;) {
    int32_t n = xp_xp_result_headers_read(p_result, off, &buf);
    if (n <= 0) break;
    size_t tn; char *t = text_n(&buf, &tn);
    clob_append(&all, t, tn);
    free(t);
    off += n;
    if (all.n > 20000) break;
  }
  char *line = all.p;
  while (line && *line && g_response_count < 64) {
    char *nl = strchr(line, '\n');
    if (nl) *nl = 0;
    char *colon = strchr(line, ':');
    if (colon && colon > line) {
      header *h = &g_response_headers[g_response_count++];
      snprintf(h->name, sizeof h->name, "%.*s", (int)(colon - line), line);
      const char *v = colon + 1;
      while (*v == ' ') v++;
      snprintf(h->value, sizeof h->value, "%s", v);
    }
    line = nl ? nl + 1 : NULL;
  }
  free(all.p);
  free(buf.data);
}

static clob read_body(int32_t p_result, int32_t p_length) {
  clob out = {NULL, 0};
  if (p_length <= 0) return out;
  volatile int32_t src = p_result, escaped = 0;
  volatile int check_pl = 0;
  if (!db_is_utf8() && strcmp(g_charset_mode, "REPLACE") != 0) {
    plsql_raw cs = utf8(db_charset_name);
    if (strcmp(g_charset_mode, "ESCAPE") == 0) {
      escaped = xp_xp_result_recode(p_result, &cs, 1);
      if (escaped > 0) src = escaped; else check_pl = 1;
    } else {
      int32_t first = xp_xp_result_recode(p_result, &cs, 0);
      if (first > 0) {
        char m[300];
        snprintf(m, sizeof m, "MSGRAPH_ERR_CHARSET: the response has characters that %s cannot hold (first at byte %d)", db_charset_name, first);
        raise_app(-20012, m);
      }
      check_pl = first < 0;
    }
  }
  plsql_raw buf = raw_var(db_is_utf8() ? read_cap : C_READ_BYTES_OTHER);
  TRY
    int32_t off = 0;
    for (;;) {
      int32_t n = xp_xp_result_read(src, off, &buf);
      if (n < 0) raise_status(n, NULL);
      if (n == 0) break;
      size_t tn; char *t = text_n(&buf, &tn);
      if (check_pl) {
        plsql_raw back = utf8n(t, tn);
        if (back.len != buf.len || memcmp(back.data, buf.data, (size_t)buf.len) != 0)
          raise_app(-20012, "MSGRAPH_ERR_CHARSET: round trip differs");
      }
      clob_append(&out, t, tn);
      free(t);
      off += n;
    }
    if (escaped > 0) xp_xp_result_free(escaped);
  CATCH
    if (escaped > 0) xp_xp_result_free(escaped);
    free(out.p);
    reraise();
  END_TRY
  free(buf.data);
  return out;
}

static clob finish(int32_t p_result, int p_raise_http) {
  int32_t status, length, ora;
  plsql_raw reason = raw_var(256), rid = raw_var(256), message = raw_var(2000);
  clob body = {NULL, 0};
  if (p_result < 0) raise_status(p_result, NULL);
  TRY
    int32_t rc = xp_xp_result_info(p_result, &status, &length, &ora, &reason, &rid, &message);
    if (rc < 0) raise_status(rc, NULL);
    g_status_code = status;
    char *t = text(&reason); snprintf(g_reason_phrase, sizeof g_reason_phrase, "%s", t ? t : ""); free(t); /* no cut: 256 UTF-8 bytes fit 512 */
    t = text(&rid); snprintf(g_request_id, sizeof g_request_id, "%s", t ? t : ""); free(t);
    read_headers(p_result);
    if (ora != 0 && (p_raise_http || status < 0)) {
      t = text(&message);
      raise_app(-ora, t ? t : "");
    }
    body = read_body(p_result, length);
    xp_xp_result_free(p_result);
  CATCH
    if (p_result > 0) xp_xp_result_free(p_result);
    reraise();
  END_TRY
  return body;
}

static int autoload(int32_t p_result) {
  int32_t status, length, ora;
  plsql_raw reason = raw_var(256), rid = raw_var(256), message = raw_var(2000), err = raw_var(2000);
  if (g_autoloaded || p_result <= 0) return 0;
  int32_t rc = xp_xp_result_info(p_result, &status, &length, &ora, &reason, &rid, &message);
  if (rc < 0 || status != -2) return 0;
  g_autoloaded = 1;
  plsql_raw path = raw_null(), prefix = utf8(namespace());
  rc = xp_xp_credentials_load(&path, &prefix, &err);
  if (rc > 0) { xp_xp_result_free(p_result); return 1; }
  return 0;
}

static clob call(const char *url, const char *method, const clob *body, const char *cred,
                 const clob *options, int raise_http, int32_t all_pages, int32_t max_items) {
  volatile int32_t handle = 0;
  int32_t result = 0;
  TRY
    for (int l_try = 1; l_try <= 2; l_try++) {
      plsql_raw inl; int32_t h;
      clob_to_agent(body, &inl, &h);
      handle = h;
      plsql_raw q = qualified(cred), m = utf8(method), u = utf8(url), o = utf8_clob(options), hl = request_header_lines();
      result = xp_xp_request(&q, &m, &u, &inl, handle, &o, &hl, all_pages, max_items);
      handle = 0;
      if (l_try == 2 || !autoload(result)) break;
    }
  CATCH
    if (handle > 0) xp_xp_body_free(handle);
    reraise();
  END_TRY
  return finish(result, raise_http);
}

/* --------------------------------------------------- package routines */

static void create_credential(const char *name, const char *tenant, const char *client, const char *secret,
                              const char *scope, const clob *options) {
  routine("create_credential");
  if (!name) raise_app(-20001, "MSGRAPH_ERR_ARGUMENT: p_name is NULL");
  char q[512]; snprintf(q, sizeof q, "%s%s", namespace(), name);
  plsql_raw n = utf8(q), t = utf8(tenant), c = utf8(client), s = utf8(secret), sc = utf8(scope), o = utf8_clob(options);
  plsql_raw err = raw_var(2000);
  int32_t rc = xp_xp_credential_set(&n, &t, &c, &s, &sc, &o, &err);
  if (rc < 0) raise_status(rc, &err);
}

static int32_t load_credentials(const char *path) {
  routine("load_credentials");
  plsql_raw p = utf8(path), pre = utf8(namespace()), err = raw_var(2000);
  int32_t rc = xp_xp_credentials_load(&p, &pre, &err);
  if (rc < 0) raise_status(rc, &err);
  g_autoloaded = 1;
  return rc;
}
static void set_default_credential(const char *name) {
  routine("set_default_credential");
  snprintf(g_default_credential, sizeof g_default_credential, "%s", name ? name : "");
}
static const char *default_credential(void) { routine("default_credential"); return g_default_credential; }
static void drop_credential(const char *name) {
  routine("drop_credential");
  plsql_raw q = qualified(name);
  int32_t rc = xp_xp_credential_remove(&q);
  if (rc < 0) raise_status(rc, NULL);
}
static void clear_tokens(const char *name) {
  routine("clear_tokens");
  plsql_raw q = qualified(name);
  int32_t rc = xp_xp_clear_tokens(&q);
  if (rc < 0) raise_status(rc, NULL);
}
static clob make_rest_request(const char *url, const char *method, const clob *body, const char *cred, const clob *options) {
  routine("make_rest_request");
  return call(url, method, body, cred, options, 0, 0, 0);
}
static clob get(const char *url, const char *cred, const clob *options) { routine("get"); return call(url, "GET", NULL, cred, options, 1, 0, 0); }
static clob post(const char *url, const clob *body, const char *cred, const clob *o) { routine("post"); return call(url, "POST", body, cred, o, 1, 0, 0); }
static clob patch(const char *url, const clob *body, const char *cred, const clob *o) { routine("patch"); return call(url, "PATCH", body, cred, o, 1, 0, 0); }
static clob put(const char *url, const clob *body, const char *cred, const clob *o) { routine("put"); return call(url, "PUT", body, cred, o, 1, 0, 0); }
static void delete_(const char *url, const char *cred, const clob *o) { routine("delete_"); clob b = call(url, "DELETE", NULL, cred, o, 1, 0, 0); free(b.p); }
static clob get_all(const char *url, int32_t max_items, const char *cred, const clob *o) {
  routine("get_all");
  return call(url, "GET", NULL, cred, o, 1, 1, max_items > 0 ? max_items : 0);
}
static clob batch(const clob *requests, const char *cred, const clob *options) {
  routine("batch");
  volatile int32_t handle = 0;
  int32_t result = 0;
  if (!requests || !requests->p) raise_app(-20001, "MSGRAPH_ERR_ARGUMENT: p_requests is NULL");
  TRY
    for (int l_try = 1; l_try <= 2; l_try++) {
      plsql_raw inl; int32_t h;
      clob_to_agent(requests, &inl, &h);
      handle = h;
      plsql_raw q = qualified(cred), o = utf8_clob(options), hl = request_header_lines();
      result = xp_xp_batch(&q, &inl, handle, &o, &hl);
      handle = 0;
      if (l_try == 2 || !autoload(result)) break;
    }
  CATCH
    if (handle > 0) xp_xp_body_free(handle);
    reraise();
  END_TRY
  return finish(result, 1);
}
static clob token_claims(const char *cred, int force_refresh) {
  routine("token_claims");
  int32_t result = 0;
  for (int l_try = 1; l_try <= 2; l_try++) {
    plsql_raw q = qualified(cred), o = utf8(force_refresh ? "{\"force_refresh\":true}" : NULL);
    result = xp_xp_token_info(&q, &o);
    if (l_try == 2 || !autoload(result)) break;
  }
  return finish(result, 1);
}
static const char *get_response_header(const char *name) {
  routine("get_response_header");
  for (int i = 0; i < g_response_count; i++)
    if (strcasecmp(g_response_headers[i].name, name) == 0) return g_response_headers[i].value;
  return NULL;
}
static void set_request_header(const char *name, const char *value) {
  routine("set_request_header");
  if (!name || strchr(name, ':') || (value && (strchr(value, '\n') || strchr(value, '\r'))))
    raise_app(-20001, "MSGRAPH_ERR_ARGUMENT: invalid request header");
  snprintf(g_request_headers[g_request_count].name, 256, "%s", name);
  snprintf(g_request_headers[g_request_count].value, 4096, "%s", value ? value : "");
  g_request_count++;
}
static void clear_request_headers(void) { routine("clear_request_headers"); g_request_count = 0; }
static void set_charset_mode(const char *mode) {
  routine("set_charset_mode");
  if (!mode || (strcasecmp(mode, "ERROR") && strcasecmp(mode, "ESCAPE") && strcasecmp(mode, "REPLACE")))
    raise_app(-20001, "MSGRAPH_ERR_ARGUMENT: charset mode must be ERROR, ESCAPE or REPLACE");
  snprintf(g_charset_mode, sizeof g_charset_mode, "%s", mode);
  for (char *p = g_charset_mode; *p; p++) if (*p >= 'a' && *p <= 'z') *p = (char)(*p - 32);
}
static char *version(void) {
  routine("version");
  plsql_raw buf = raw_var(100);
  xp_xp_version(&buf);
  return text(&buf);
}
static int32_t results_live(void) { routine("results_live"); return xp_xp_results_live(); }

/* ------------------------------------------------------------ scenarios */

static const char *env(const char *n) {
  const char *v = getenv(n);
  if (!v) { fprintf(stderr, "missing %s\n", n); exit(2); }
  return v;
}

static void save(const char *name, const clob *c) {
  char path[1024];
  snprintf(path, sizeof path, "%s/%s", env("AGENT_OUT_DIR"), name);
  FILE *f = fopen(path, "wb");
  if (!f) agent_fail("cannot write output");
  if (c->p) fwrite(c->p, 1, c->n, f);
  fclose(f);
}

static int expect_error(int code, const char *contains) {
  int ok = sqlcode == code && (!contains || strstr(sqlerrm, contains));
  printf("RAISED %s\n", sqlerrm);
  return ok;
}

static void setup_credential(void) {
  clob opts = clob_of(env("MSGRAPH_T_OPTIONS"));
  create_credential("graph", env("MSGRAPH_T_TENANT"), env("MSGRAPH_T_CLIENT"), env("MSGRAPH_T_SECRET"),
                    "https://graph.microsoft.com/.default", &opts);
  set_default_credential("graph");
}

static void scenario_main(void) {
  char *v = version();
  check(v && strlen(v) > 0, "version");
  check(results_live() == 0, "no results live at start");
  setup_credential();
  check(strcmp(default_credential(), "graph") == 0, "default credential");

  clob claims = token_claims(NULL, 0);
  check(claims.p && strstr(claims.p, "\"claims\"") && strstr(claims.p, "\"roles\""), "token claims");
  save("claims.json", &claims);
  clob again = token_claims(NULL, 1);
  check(again.p && strstr(again.p, "identity_provider"), "token refreshed on demand");

  set_request_header("ConsistencyLevel", "eventual");
  clob page = get("/users?$top=5", NULL, NULL);
  check(g_status_code == 200 && strcmp(g_reason_phrase, "OK") == 0, "status and reason");
  check(strlen(g_request_id) > 0, "request id");
  check(get_response_header("Content-Type") && strstr(get_response_header("content-type"), "json"), "response header by name");
  check(strstr(page.p, "Zo\xc3\xab M\xc3\xbcller") && strstr(page.p, "\xe6\x9d\x8e\xe9\x9b\xb7"), "non-ASCII names intact");
  clear_request_headers();

  clob all = get_all("/users?$top=50", 100000, NULL, NULL);
  check(all.n > 32767, "all users larger than one RAW");
  save("users_all.json", &all);
  clob capped = get_all("/users?$top=50", 7, NULL, NULL);
  save("users_capped.json", &capped);

  /* A body far past 32767 bytes, with multi-byte characters everywhere
   * (so on every chunk edge), up and back down. */
  clob big = clob_of("{\"start\":{\"dateTime\":\"2026-01-05T10:00:00\",\"timeZone\":\"UTC\"},\"end\":{\"dateTime\":\"2026-01-05T11:00:00\",\"timeZone\":\"UTC\"},\"subject\":\"Zo\xc3\xab \xe6\x9d\x8e\xe9\x9b\xb7 \xf0\x9f\x93\x85\",\"body\":{\"contentType\":\"text\",\"content\":\"");
  for (int i = 0; i < 9000; i++) clob_append(&big, "a\xc3\xab\xe6\x9d\x8e\xf0\x9f\x98\x80", 10);
  clob_append(&big, "\"}}", 3);
  char url[2048];
  snprintf(url, sizeof url, "/users/%s/events", env("MSGRAPH_T_USER0"));
  clob ev = post(url, &big, NULL, NULL);
  check(g_status_code == 201, "event created");
  save("event.json", &ev);
  save("event_sent.json", &big);

  clob upd = clob_of("{\"jobTitle\":\"Ingeni\xc3\xb6r\"}");
  snprintf(url, sizeof url, "/users/%s", env("MSGRAPH_T_USER0"));
  clob r = patch(url, &upd, NULL, NULL);
  check(g_status_code == 204 && r.p == NULL, "patch 204 without body");
  clob me = get(url, NULL, NULL);
  check(strstr(me.p, "Ingeni\xc3\xb6r") != NULL, "patched value read back");

  /* make_rest_request does not raise for HTTP errors. */
  clob nf = make_rest_request("/users/00000000-0000-0000-0000-000000000000", "GET", NULL, NULL, NULL);
  check(g_status_code == 404 && nf.p && strstr(nf.p, "\"error\""), "make_rest_request returns the 404 body");
  TRY
    clob x = get("/users/00000000-0000-0000-0000-000000000000", NULL, NULL);
    (void)x;
    check(0, "get raises on 404");
  CATCH
    check(expect_error(-20015, "request-id="), "e_not_found with Graph's code and request-id");
  END_TRY
  TRY
    clob x = put("/users", &upd, NULL, NULL);
    (void)x;
    check(0, "put raises on 405");
  CATCH
    check(sqlcode == -20016 || sqlcode == -20015, "put on a collection raises e_bad_request");
  END_TRY

  clob reqs = clob_of("[{\"method\":\"GET\",\"url\":\"/users?$top=2\"},{\"method\":\"GET\",\"url\":\"/users/00000000-0000-0000-0000-000000000000\"}]");
  clob b = batch(&reqs, NULL, NULL);
  check(strstr(b.p, "\"responses\"") != NULL, "small batch");
  clob bigreqs = clob_of("[");
  for (int i = 0; i < 25; i++) {
    char item[2048];
    snprintf(item, sizeof item, "%s{\"method\":\"GET\",\"url\":\"/users?$top=1\",\"headers\":{\"x-pad\":\"", i ? "," : "");
    clob_append(&bigreqs, item, strlen(item));
    for (int k = 0; k < 1400; k++) clob_append(&bigreqs, "p", 1);
    clob_append(&bigreqs, "\"}}", 3);
  }
  clob_append(&bigreqs, "]", 1);
  check(bigreqs.n > 32767, "batch larger than one RAW");
  clob bb = batch(&bigreqs, NULL, NULL);
  save("batch_big.json", &bb);

  snprintf(url, sizeof url, "/users/%s/events", env("MSGRAPH_T_USER0"));
  clob evs = get(url, NULL, NULL);
  (void)evs;
  const char *eid = strstr(ev.p, "\"id\":\"");
  check(eid != NULL, "event id");
  char id[512]; sscanf(eid + 6, "%511[^\"]", id);
  snprintf(url, sizeof url, "/users/%s/events/%s", env("MSGRAPH_T_USER0"), id);
  delete_(url, NULL, NULL);
  check(g_status_code == 204, "delete_");

  /* NULLs are passed with indicators and refused by name, never guessed. */
  TRY
    create_credential("broken", env("MSGRAPH_T_TENANT"), NULL, "x", NULL, NULL);
    check(0, "NULL client id refused");
  CATCH
    check(expect_error(-20003, "client_id"), "NULL client_id gives e_configuration naming it");
  END_TRY
  TRY
    clob x = make_rest_request(NULL, "GET", NULL, NULL, NULL);
    (void)x;
    check(0, "NULL url refused");
  CATCH
    check(expect_error(-20001, "url is NULL"), "NULL url gives e_invalid_argument");
  END_TRY
  TRY
    clob bad = clob_of("{\"no_such_option\":1}");
    clob x = get("/users", NULL, &bad);
    (void)x;
    check(0, "unknown option refused");
  CATCH
    check(expect_error(-20001, "no_such_option"), "unknown option named");
  END_TRY
  TRY
    clob x = get("/users", "nope", NULL);
    (void)x;
    check(0, "unknown credential");
  CATCH
    check(expect_error(-20002, "SCOTT/nope"), "e_credential_not_found names the namespaced credential");
  END_TRY
  TRY
    set_charset_mode("sometimes");
    check(0, "bad mode");
  CATCH
    check(sqlcode == -20001, "bad charset mode refused");
  END_TRY

  /* A failure after the upload (no credential to name) frees the body. */
  set_default_credential(NULL);
  TRY
    clob x = post(url, &big, NULL, NULL);
    (void)x;
    check(0, "no credential");
  CATCH
    check(expect_error(-20001, "no credential"), "upload body freed when the call cannot be made");
  END_TRY
  set_default_credential("graph");

  clear_tokens(NULL);
  clob c3 = token_claims("graph", 0);
  check(strstr(c3.p, "identity_provider") != NULL, "clear_tokens forces a new token");
  drop_credential("graph");
  TRY
    clear_tokens("graph");
    check(0, "dropped");
  CATCH
    check(sqlcode == -20002, "dropped credential is gone");
  END_TRY
  check(results_live() == 0, "every result freed");
}

static void scenario_fresh_session(void) {
  /* A new session: nothing registered; the first call loads
   * MSGRAPH_CREDENTIALS_FILE under the session's namespace. */
  set_default_credential("graph");
  clob page = get("/users?$top=3", NULL, NULL);
  check(g_status_code == 200 && page.p, "autoloaded credential works");
  session_user = "OTHER";
  g_autoloaded = 1; /* this emulated second schema already tried its file */
  TRY
    clob x = get("/users?$top=3", NULL, NULL);
    (void)x;
    check(0, "other schema cannot use SCOTT's credential");
  CATCH
    check(expect_error(-20002, "OTHER/graph"), "schemas are kept apart");
  END_TRY
  session_user = "SCOTT";
  check(load_credentials(NULL) == 1, "load_credentials(NULL) loads the file");
  TRY
    load_credentials("/etc/passwd");
    check(0, "outside dir");
  CATCH
    check(sqlcode == -20008 || sqlcode == -20003, "a file outside MSGRAPH_CREDENTIALS_DIR is refused");
  END_TRY
}

static void scenario_other_schema(void) {
  /* Another schema (AGENT_SESSION_USER) under the same agent policy, which
   * grants the credentials file's "graph" to SCOTT only. */
  set_default_credential("graph");
  TRY
    clob x = get("/users?$top=1", NULL, NULL);
    (void)x;
    check(0, "the automatic load registers nothing for this schema");
  CATCH
    check(expect_error(-20002, "/graph"), "an entry not granted is not registered");
  END_TRY
  TRY
    load_credentials(NULL);
    check(0, "explicit load");
  CATCH
    check(expect_error(-20008, ".credentials"), "load_credentials names the policy setting");
  END_TRY
  clob o = clob_of("{\"client_secret_env\":\"MSGRAPH_T_SECRET\"}");
  TRY
    create_credential("env", env("MSGRAPH_T_TENANT"), env("MSGRAPH_T_CLIENT"), NULL, NULL, &o);
    check(0, "agent variable");
  CATCH
    check(expect_error(-20008, "client_secret_env"), "an agent variable is refused");
    check(!strstr(sqlerrm, env("MSGRAPH_T_SECRET")), "the refusal does not carry the variable's value");
  END_TRY
  session_user = "OTHER/SCOTT";
  TRY
    clob x = get("/users?$top=1", NULL, NULL);
    (void)x;
    check(0, "a user name with a slash");
  CATCH
    check(expect_error(-20008, "slash"), "a user name with a slash cannot pose as another schema");
  END_TRY
}

static void scenario_auth_fail(void) {
  clob opts = clob_of(env("MSGRAPH_T_OPTIONS"));
  create_credential("wrong", env("MSGRAPH_T_TENANT"), env("MSGRAPH_T_CLIENT"), "not-the-secret", NULL, &opts);
  TRY
    clob x = token_claims("wrong", 0);
    (void)x;
    check(0, "wrong secret");
  CATCH
    check(expect_error(-20004, "AADSTS7000215"), "e_authentication_failed carries the AADSTS code");
    check(strstr(sqlerrm, "trace_id=") && strstr(sqlerrm, "correlation_id="), "token endpoint ids in the message");
  END_TRY
  TRY
    clob x = get("/users", "wrong", NULL);
    (void)x;
    check(0, "wrong secret on a call");
  CATCH
    check(sqlcode == -20004, "make_rest_request path raises e_authentication_failed");
  END_TRY
}

static void scenario_throttled(void) {
  setup_credential();
  clob o = clob_of("{\"max_retries\":1,\"retry_budget_ms\":2000}");
  TRY
    clob x = get("/users?$top=1", NULL, &o);
    (void)x;
    check(0, "throttled");
  CATCH
    check(expect_error(-20007, "429"), "e_throttled");
  END_TRY
  clob x = make_rest_request("/users?$top=1", "GET", NULL, NULL, &o);
  check(g_status_code == 429 && get_response_header("retry-after"), "make_rest_request returns the 429 with Retry-After");
  free(x.p);
}

static void scenario_policy(void) {
  setup_credential();
  char url[512];
  snprintf(url, sizeof url, "/users/%s/messages", env("MSGRAPH_T_USER1"));
  TRY
    clob x = get(url, NULL, NULL);
    (void)x;
    check(0, "policy");
  CATCH
    check(expect_error(-20013, "Access to OData is disabled"), "e_access_policy_denied");
    check(strstr(sqlerrm, "ErrorAccessDenied") && strstr(sqlerrm, "request-id="), "policy message has code and request-id");
  END_TRY
}

static void scenario_charset(void) {
  db_charset_name = "WE8MSWIN1252";
  setup_credential();
  char url[512];
  snprintf(url, sizeof url, "/users/%s", env("MSGRAPH_T_USER0"));
  clob zoe = get(url, NULL, NULL);
  check(strstr(zoe.p, "Zo\xeb M\xfcller") != NULL, "Latin names arrive in WE8MSWIN1252 bytes");
  snprintf(url, sizeof url, "/users/%s", env("MSGRAPH_T_USER2"));
  TRY
    clob x = get(url, NULL, NULL);
    (void)x;
    check(0, "Chinese name in a single-byte database");
  CATCH
    check(expect_error(-20012, "WE8MSWIN1252"), "ERROR mode raises e_charset");
  END_TRY
  set_charset_mode("escape");
  clob esc = get(url, NULL, NULL);
  check(strstr(esc.p, "\\u674e\\u96f7") != NULL, "ESCAPE mode writes JSON escapes");
  save("charset_escape.json", &esc);
  set_charset_mode("REPLACE");
  clob rep = get(url, NULL, NULL);
  check(strstr(rep.p, "??") != NULL, "REPLACE mode substitutes");
  /* A body from the single-byte database goes up as UTF-8. */
  set_charset_mode("ERROR");
  clob upd = clob_of("{\"jobTitle\":\"Ingeni\xf6r\"}");
  snprintf(url, sizeof url, "/users/%s", env("MSGRAPH_T_USER0"));
  clob r = patch(url, &upd, NULL, NULL);
  (void)r;
  clob me = get(url, NULL, NULL);
  check(strstr(me.p, "Ingeni\xf6r") != NULL, "single-byte text round trip");
  check(results_live() == 0, "every result freed");
}

#include "m365.c"
#include "sync.c"

int main(int argc, char **argv) {
  setvbuf(stdout, NULL, _IOLBF, 0);
  if (argc < 2) { fprintf(stderr, "usage: agent SCENARIO\n"); return 2; }
  void *lib = dlopen(env("MSGRAPH_LIB"), RTLD_NOW | RTLD_LOCAL);
  if (!lib) { fprintf(stderr, "ORA-06520: %s\n", dlerror()); return 4; }
  agent_load_all(lib);
  if (getenv("AGENT_READ_CAP")) read_cap = atoi(getenv("AGENT_READ_CAP"));
  if (getenv("AGENT_SESSION_USER")) session_user = getenv("AGENT_SESSION_USER");
  const char *s = argv[1];
  TRY
    if (!strcmp(s, "main")) scenario_main();
    else if (!strcmp(s, "fresh_session")) scenario_fresh_session();
    else if (!strcmp(s, "auth_fail")) scenario_auth_fail();
    else if (!strcmp(s, "other_schema")) scenario_other_schema();
    else if (!strcmp(s, "throttled")) scenario_throttled();
    else if (!strcmp(s, "policy")) scenario_policy();
    else if (!strcmp(s, "charset")) scenario_charset();
    else if (!strcmp(s, "nonbmp")) scenario_nonbmp();
    else if (!strcmp(s, "m365")) scenario_m365();
    else if (!strcmp(s, "m365_policy")) scenario_m365_policy();
    else if (!strcmp(s, "m365_reader")) scenario_m365_reader();
    else if (!strcmp(s, "sync_setup")) scenario_sync_setup();
    else if (!strcmp(s, "sync_run")) scenario_sync_run();
    else if (!strcmp(s, "sync_mutate")) scenario_sync_mutate();
    else if (!strcmp(s, "sync_verify")) scenario_sync_verify();
    else if (!strcmp(s, "fuzz")) agent_fuzz_all();
    else { fprintf(stderr, "unknown scenario %s\n", s); return 2; }
  CATCH
    fprintf(stderr, "UNHANDLED %s\n", sqlerrm);
    return 1;
  END_TRY
  agent_report_calls(stdout);
  printf("SCENARIO %s done\n", s);
  return 0;
}
