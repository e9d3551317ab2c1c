/*
 * A small JSON reader for the agent emulation: what the PL/SQL companion
 * packages do with JSON_OBJECT_T / JSON_ARRAY_T (parse, get_string,
 * get_object, get_array, has, to_clob). Strings are decoded to UTF-8;
 * every node keeps its span of the source text (to_clob).
 */
#ifndef MSGRAPH_AGENT_JSON_H
#define MSGRAPH_AGENT_JSON_H
#include <stdlib.h>
#include <string.h>

typedef enum { J_NULL, J_BOOL, J_NUM, J_STR, J_ARR, J_OBJ } jtype;

typedef struct jnode {
  jtype t;
  int b;
  char *s;             /* J_STR: decoded; J_NUM: text */
  struct jnode **kids; /* J_ARR / J_OBJ */
  char **keys;         /* J_OBJ */
  int n;
  const char *src;     /* span in the parsed text */
  size_t len;
} jnode;

typedef struct { const char *p, *end; int err; } jparser;

static __attribute__((unused)) void j_ws(jparser *q) { while (q->p < q->end && (*q->p == ' ' || *q->p == '\t' || *q->p == '\n' || *q->p == '\r')) q->p++; }

static __attribute__((unused)) void j_utf8(char **o, unsigned cp) {
  unsigned char *u = (unsigned char *)*o;
  if (cp < 0x80) *u++ = (unsigned char)cp;
  else if (cp < 0x800) { *u++ = (unsigned char)(0xC0 | (cp >> 6)); *u++ = (unsigned char)(0x80 | (cp & 0x3F)); }
  else if (cp < 0x10000) { *u++ = (unsigned char)(0xE0 | (cp >> 12)); *u++ = (unsigned char)(0x80 | ((cp >> 6) & 0x3F)); *u++ = (unsigned char)(0x80 | (cp & 0x3F)); }
  else { *u++ = (unsigned char)(0xF0 | (cp >> 18)); *u++ = (unsigned char)(0x80 | ((cp >> 12) & 0x3F)); *u++ = (unsigned char)(0x80 | ((cp >> 6) & 0x3F)); *u++ = (unsigned char)(0x80 | (cp & 0x3F)); }
  *o = (char *)u;
}

static __attribute__((unused)) unsigned j_hex4(jparser *q) {
  unsigned v = 0;
  for (int i = 0; i < 4; i++) {
    if (q->p >= q->end) { q->err = 1; return 0; }
    char c = *q->p++;
    v <<= 4;
    if (c >= '0' && c <= '9') v |= (unsigned)(c - '0');
    else if (c >= 'a' && c <= 'f') v |= (unsigned)(c - 'a' + 10);
    else if (c >= 'A' && c <= 'F') v |= (unsigned)(c - 'A' + 10);
    else q->err = 1;
  }
  return v;
}

static char *j_string(jparser *q) {
  q->p++; /* " */
  char *out = malloc((size_t)(q->end - q->p) + 1), *o = out;
  while (q->p < q->end && *q->p != '"') {
    char c = *q->p++;
    if (c != '\\') { *o++ = c; continue; }
    if (q->p >= q->end) break;
    c = *q->p++;
    switch (c) {
      case 'n': *o++ = '\n'; break;
      case 't': *o++ = '\t'; break;
      case 'r': *o++ = '\r'; break;
      case 'b': *o++ = '\b'; break;
      case 'f': *o++ = '\f'; break;
      case 'u': {
        unsigned cp = j_hex4(q);
        if (cp >= 0xD800 && cp < 0xDC00 && q->p + 1 < q->end && q->p[0] == '\\' && q->p[1] == 'u') {
          q->p += 2;
          unsigned lo = j_hex4(q);
          cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
        }
        j_utf8(&o, cp);
        break;
      }
      default: *o++ = c;
    }
  }
  if (q->p >= q->end) q->err = 1; else q->p++;
  *o = 0;
  return out;
}

static jnode *j_value(jparser *q, int depth) {
  j_ws(q);
  jnode *n = calloc(1, sizeof *n);
  n->src = q->p;
  if (q->p >= q->end || depth > 200) { q->err = 1; return n; }
  char c = *q->p;
  if (c == '{' || c == '[') {
    n->t = c == '{' ? J_OBJ : J_ARR;
    q->p++;
    j_ws(q);
    char close = c == '{' ? '}' : ']';
    if (q->p < q->end && *q->p == close) q->p++;
    else for (;;) {
      char *key = NULL;
      if (n->t == J_OBJ) {
        j_ws(q);
        if (q->p >= q->end || *q->p != '"') { q->err = 1; break; }
        key = j_string(q);
        j_ws(q);
        if (q->p >= q->end || *q->p != ':') { q->err = 1; free(key); break; }
        q->p++;
      }
      jnode *k = j_value(q, depth + 1);
      n->kids = realloc(n->kids, sizeof(jnode *) * (size_t)(n->n + 1));
      n->keys = realloc(n->keys, sizeof(char *) * (size_t)(n->n + 1));
      n->kids[n->n] = k;
      n->keys[n->n] = key;
      n->n++;
      j_ws(q);
      if (q->err || q->p >= q->end) { q->err = 1; break; }
      if (*q->p == ',') { q->p++; continue; }
      if (*q->p == close) { q->p++; break; }
      q->err = 1;
      break;
    }
  } else if (c == '"') {
    n->t = J_STR;
    n->s = j_string(q);
  } else if (!strncmp(q->p, "true", 4) || !strncmp(q->p, "false", 5)) {
    n->t = J_BOOL;
    n->b = *q->p == 't';
    q->p += n->b ? 4 : 5;
  } else if (!strncmp(q->p, "null", 4)) {
    n->t = J_NULL;
    q->p += 4;
  } else {
    n->t = J_NUM;
    const char *s = q->p;
    while (q->p < q->end && strchr("+-0123456789.eE", *q->p)) q->p++;
    if (q->p == s) q->err = 1;
    n->s = strndup(s, (size_t)(q->p - s));
  }
  n->len = (size_t)(q->p - n->src);
  return n;
}

/* JSON_OBJECT_T.parse: NULL when the text is not one JSON value. */
static jnode *jparse(const char *text, size_t len) {
  if (!text) return NULL;
  jparser q = {text, text + len, 0};
  jnode *n = j_value(&q, 0);
  j_ws(&q);
  if (q.err || q.p != q.end) return NULL;
  return n;
}

static jnode *jget(const jnode *o, const char *key) {
  if (!o || o->t != J_OBJ) return NULL;
  for (int i = 0; i < o->n; i++)
    if (!strcmp(o->keys[i], key)) return o->kids[i];
  return NULL;
}
/* get_string: a string's text, NULL for anything else. */
static const char *jstr(const jnode *o, const char *key) {
  jnode *v = jget(o, key);
  return v && v->t == J_STR ? v->s : NULL;
}
static jnode *jobj(const jnode *o, const char *key) { jnode *v = jget(o, key); return v && v->t == J_OBJ ? v : NULL; }
static jnode *jarr(const jnode *o, const char *key) { jnode *v = jget(o, key); return v && v->t == J_ARR ? v : NULL; }
static __attribute__((unused)) int jhas(const jnode *o, const char *key) { return jget(o, key) != NULL; }
/* to_clob: the node's own text. */
static __attribute__((unused)) char *jraw(const jnode *n) { return n ? strndup(n->src, n->len) : NULL; }

static __attribute__((unused)) void jfree(jnode *n) {
  if (!n) return;
  for (int i = 0; i < n->n; i++) { jfree(n->kids[i]); free(n->keys[i]); }
  free(n->kids);
  free(n->keys);
  free(n->s);
  free(n);
}

#endif
