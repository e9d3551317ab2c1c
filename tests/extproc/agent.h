/*
 * The extproc agent's side of a call, emulated: how Oracle hands PL/SQL
 * values to a C routine of a call spec. Used by the generated marshalling
 * layer (xp_gen.c, from tests/extproc/callspec.rs) and tests/extproc/agent.c.
 *
 * - IN RAW: the bytes in a fresh buffer of exactly their length, INDICATOR
 *   0, LENGTH by value; SQL NULL is INDICATOR -1, LENGTH 0 and a pointer to
 *   poison the routine must not read. The routine must not write IN data
 *   (checked against a copy).
 * - OUT RAW: a buffer of the variable's declared size (RAW(n)) followed by
 *   guard bytes, MAXLEN = n, INDICATOR and LENGTH preset to poison: the
 *   routine must set both, stay within MAXLEN and leave the guard intact.
 * - OUT INT: preset to poison; the routine must set it.
 */
#ifndef MSGRAPH_AGENT_H
#define MSGRAPH_AGENT_H
#define _DEFAULT_SOURCE
#define _POSIX_C_SOURCE 200809L
#include <dlfcn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define GUARD 64

/* A PL/SQL RAW variable: NULL or len bytes; cap is its declared size. */
typedef struct {
  int is_null;
  int32_t len;
  int32_t cap;
  uint8_t *data;
} plsql_raw;

typedef struct {
  uint8_t *data;
  int16_t ind;
  int32_t len;
  uint8_t *copy;
} agent_in;

typedef struct {
  uint8_t *data;
  int16_t ind;
  int32_t len;
  int32_t maxlen;
  int32_t cap;
} agent_out;

static inline void agent_fail(const char *msg) {
  fprintf(stderr, "AGENT FAILURE: %s\n", msg);
  fflush(stderr);
  exit(3);
}

static inline void *agent_sym(void *lib, const char *name) {
  void *p = dlsym(lib, name);
  if (!p) {
    fprintf(stderr, "ORA-06521: PL/SQL: Error mapping function: %s\n", name);
    exit(4);
  }
  return p;
}

static inline void *agent_context(void) { return NULL; }

static inline void agent_in_init(agent_in *a, const plsql_raw *v) {
  if (!v || v->is_null) {
    a->data = malloc(8);
    memset(a->data, 0xEE, 8);
    a->ind = -1;
    a->len = 0;
    a->copy = NULL;
    return;
  }
  a->data = malloc(v->len > 0 ? (size_t)v->len : 1);
  a->copy = malloc(v->len > 0 ? (size_t)v->len : 1);
  if (v->len > 0) {
    memcpy(a->data, v->data, (size_t)v->len);
    memcpy(a->copy, v->data, (size_t)v->len);
  }
  a->ind = 0;
  a->len = v->len;
}

static inline void agent_in_done(agent_in *a, const char *what) {
  if (a->copy && a->len > 0 && memcmp(a->data, a->copy, (size_t)a->len) != 0) {
    fprintf(stderr, "%s: ", what);
    agent_fail("the routine wrote an IN parameter");
  }
  free(a->data);
  free(a->copy);
}

static inline void agent_out_init(agent_out *o, const plsql_raw *v) {
  o->cap = v ? v->cap : 0;
  o->data = malloc((size_t)o->cap + GUARD);
  memset(o->data, 0xA5, (size_t)o->cap + GUARD);
  o->maxlen = o->cap;
  o->ind = (int16_t)0x5A5A;
  o->len = (int32_t)0x5A5A5A5A;
}

static inline void agent_out_done(agent_out *o, plsql_raw *v, const char *what) {
  char m[256];
  for (int i = 0; i < GUARD; i++) {
    if (o->data[o->cap + i] != 0xA5) {
      snprintf(m, sizeof m, "%s: wrote past MAXLEN %d", what, o->cap);
      agent_fail(m);
    }
  }
  if (o->ind != 0 && o->ind != -1) {
    snprintf(m, sizeof m, "%s: OUT indicator not set (%d)", what, o->ind);
    agent_fail(m);
  }
  if (o->ind == 0 && (o->len < 0 || o->len > o->cap)) {
    snprintf(m, sizeof m, "%s: OUT length %d outside 0..MAXLEN %d", what, o->len, o->cap);
    agent_fail(m);
  }
  if (o->ind == 0 && o->len == 0) {
    snprintf(m, sizeof m, "%s: a zero-length RAW must be NULL", what);
    agent_fail(m);
  }
  if (o->maxlen != o->cap) {
    snprintf(m, sizeof m, "%s: the routine changed MAXLEN", what);
    agent_fail(m);
  }
  if (v) {
    if (o->ind == -1) {
      v->is_null = 1;
      v->len = 0;
    } else {
      v->is_null = 0;
      v->len = o->len;
      memcpy(v->data, o->data, (size_t)o->len);
    }
  }
  free(o->data);
}

#endif
