/*
 * bench_capi.c: the library's side of the benchmark (tools/bench.sh runs it).
 *
 * The library is loaded with dlopen() so that "cold" can time the load
 * itself; every other mode uses the same loaded functions.
 *
 *   bench_capi LIB CREDS token                 print an access token (for the libcurl/raw clients)
 *   bench_capi LIB CREDS warm N URL            N keep-alive GETs after one warm-up call
 *   bench_capi LIB CREDS cold URL              load, first token, first call (each timed)
 *   bench_capi LIB CREDS tokens N URL [naive]  N GETs; naive: tokens dropped before every call
 *   bench_capi LIB CREDS bulk MODE N [M]       N users' mailboxSettings: seq | batch | batchC (C = concurrency);
 *                                              with M, the requests cycle over the first M mailboxes
 *   bench_capi LIB CREDS page URL              one all_pages call; peak RSS (getrusage)
 *
 * Every mode prints one JSON object on stdout. Times are wall-clock
 * (CLOCK_MONOTONIC).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dlfcn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

typedef int32_t (*req_fn)(const char *, const char *, const char *, const char *, const char *);
typedef int32_t (*batch_fn)(const char *, const char *, const char *);
typedef int32_t (*tokinfo_fn)(const char *, const char *);
typedef int32_t (*load_fn)(const char *);
typedef int32_t (*name_fn)(const char *);
typedef int32_t (*status_fn)(int32_t);
typedef int64_t (*len_fn)(int32_t);
typedef const char *(*body_fn)(int32_t);
typedef const char *(*json_fn)(int32_t, const char *);
typedef int64_t (*count_fn)(int32_t, const char *);
typedef const char *(*err_fn)(void);

static req_fn msgraph_request;
static batch_fn msgraph_batch;
static tokinfo_fn msgraph_token_info;
static load_fn msgraph_credentials_load;
static name_fn msgraph_credential_clear_tokens;
static status_fn msgraph_result_status, msgraph_result_free;
static len_fn msgraph_result_length;
static body_fn msgraph_result_body;
static json_fn msgraph_result_json, msgraph_result_header;
static count_fn msgraph_result_json_count;
static err_fn msgraph_last_error;

static const char *CRED = "emulator";

static double now_s(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static void die(const char *what) {
    fprintf(stderr, "bench_capi: %s: %s\n", what, msgraph_last_error ? msgraph_last_error() : dlerror());
    exit(1);
}

static void *sym(void *h, const char *name) {
    void *p = dlsym(h, name);
    if (!p) {
        fprintf(stderr, "bench_capi: %s missing\n", name);
        exit(1);
    }
    return p;
}

static void load(const char *lib) {
    void *h = dlopen(lib, RTLD_NOW | RTLD_LOCAL);
    if (!h) {
        fprintf(stderr, "bench_capi: dlopen %s: %s\n", lib, dlerror());
        exit(1);
    }
    msgraph_request = (req_fn)sym(h, "msgraph_request");
    msgraph_batch = (batch_fn)sym(h, "msgraph_batch");
    msgraph_token_info = (tokinfo_fn)sym(h, "msgraph_token_info");
    msgraph_credentials_load = (load_fn)sym(h, "msgraph_credentials_load");
    msgraph_credential_clear_tokens = (name_fn)sym(h, "msgraph_credential_clear_tokens");
    msgraph_result_status = (status_fn)sym(h, "msgraph_result_status");
    msgraph_result_free = (status_fn)sym(h, "msgraph_result_free");
    msgraph_result_length = (len_fn)sym(h, "msgraph_result_length");
    msgraph_result_body = (body_fn)sym(h, "msgraph_result_body");
    msgraph_result_json = (json_fn)sym(h, "msgraph_result_json");
    msgraph_result_header = (json_fn)sym(h, "msgraph_result_header");
    msgraph_result_json_count = (count_fn)sym(h, "msgraph_result_json_count");
    msgraph_last_error = (err_fn)sym(h, "msgraph_last_error");
}

/* One GET; returns the HTTP status, frees the result. */
static int get(const char *url, const char *opts) {
    int32_t r = msgraph_request(CRED, "GET", url, NULL, opts);
    if (r <= 0) die("msgraph_request");
    int s = msgraph_result_status(r);
    volatile const char *b = msgraph_result_body(r); /* what a caller reads */
    (void)b;
    msgraph_result_free(r);
    return s;
}

static long peak_rss_kb(void) {
    struct rusage u;
    getrusage(RUSAGE_SELF, &u);
    return u.ru_maxrss;
}

/* VmHWM resets are not portable; report current RSS too. */
static long rss_kb(void) {
    FILE *f = fopen("/proc/self/statm", "r");
    long pages = 0, resident = 0;
    if (f) {
        if (fscanf(f, "%ld %ld", &pages, &resident) != 2) resident = 0;
        fclose(f);
    }
    return resident * 4;
}

/* User + system CPU time between two getrusage() snapshots, in µs (all threads). */
static double cpu_us(const struct rusage *a, const struct rusage *b) {
    return (double)(b->ru_utime.tv_sec - a->ru_utime.tv_sec + b->ru_stime.tv_sec - a->ru_stime.tv_sec) * 1e6 +
           (double)(b->ru_utime.tv_usec - a->ru_utime.tv_usec + b->ru_stime.tv_usec - a->ru_stime.tv_usec);
}

static void mode_warm(int n, const char *url) {
    if (get(url, NULL) != 200) die("warm-up call");
    struct rusage u0, u1;
    getrusage(RUSAGE_SELF, &u0);
    double t0 = now_s();
    for (int i = 0; i < n; i++)
        if (get(url, NULL) != 200) die("GET");
    double dt = now_s() - t0;
    getrusage(RUSAGE_SELF, &u1);
    printf("{\"client\":\"libmsgraph\",\"calls\":%d,\"seconds\":%.6f,\"us_per_call\":%.2f,\"cpu_us_per_call\":%.2f,"
           "\"csw_per_call\":%.2f}\n", n, dt, dt * 1e6 / n, cpu_us(&u0, &u1) / n,
           (double)(u1.ru_nvcsw + u1.ru_nivcsw - u0.ru_nvcsw - u0.ru_nivcsw) / n);
}

static void mode_cold(const char *creds, const char *lib, const char *url) {
    double t0 = now_s();
    load(lib);
    double t1 = now_s();
    if (msgraph_credentials_load(creds) < 1) die("credentials_load");
    double t2 = now_s();
    int32_t r = msgraph_token_info(CRED, NULL);
    if (r <= 0 || msgraph_result_status(r) != 200) die("token_info");
    msgraph_result_free(r);
    double t3 = now_s();
    if (get(url, NULL) != 200) die("first call");
    double t4 = now_s();
    if (get(url, NULL) != 200) die("second call");
    double t5 = now_s();
    printf("{\"load_ms\":%.3f,\"credentials_ms\":%.3f,\"first_token_ms\":%.3f,\"first_call_ms\":%.3f,"
           "\"second_call_ms\":%.3f,\"total_ms\":%.3f}\n",
           (t1 - t0) * 1e3, (t2 - t1) * 1e3, (t3 - t2) * 1e3, (t4 - t3) * 1e3, (t5 - t4) * 1e3, (t4 - t0) * 1e3);
}

static void mode_tokens(int n, const char *url, int naive) {
    double t0 = now_s();
    for (int i = 0; i < n; i++) {
        if (naive) msgraph_credential_clear_tokens(CRED);
        if (get(url, NULL) != 200) die("GET");
    }
    double dt = now_s() - t0;
    printf("{\"calls\":%d,\"naive\":%s,\"seconds\":%.4f,\"us_per_call\":%.2f}\n", n, naive ? "true" : "false", dt,
           dt * 1e6 / n);
}

/* The first n users' ids, from one all_pages call. */
static char **user_ids(int n) {
    char opts[64];
    snprintf(opts, sizeof opts, "{\"all_pages\":true,\"max_items\":%d}", n);
    int32_t r = msgraph_request(CRED, "GET", "/users?$select=id&$top=999", NULL, opts);
    if (r <= 0 || msgraph_result_status(r) != 200) die("listing users");
    if (msgraph_result_json_count(r, "/value") != n) {
        fprintf(stderr, "bench_capi: fewer than %d users\n", n);
        exit(1);
    }
    char **ids = calloc((size_t)n, sizeof *ids);
    for (int i = 0; i < n; i++) {
        char ptr[48];
        snprintf(ptr, sizeof ptr, "/value/%d/id", i);
        ids[i] = strdup(msgraph_result_json(r, ptr));
    }
    msgraph_result_free(r);
    return ids;
}

static void mode_bulk(const char *mode, int n, int mailboxes) {
    if (mailboxes <= 0 || mailboxes > n) mailboxes = n;
    char **uniq = user_ids(mailboxes);
    char **ids = calloc((size_t)n, sizeof *ids);
    for (int i = 0; i < n; i++) ids[i] = uniq[i % mailboxes];
    int ok = 0, failed = 0, batches = 0;
    double t0 = now_s();
    if (strcmp(mode, "seq") == 0) {
        for (int i = 0; i < n; i++) {
            char url[160];
            snprintf(url, sizeof url, "/users/%s/mailboxSettings", ids[i]);
            if (get(url, NULL) == 200) ok++;
            else failed++;
        }
    } else {
        int conc = atoi(mode + 5); /* "batch" or "batchN" */
        if (conc < 1) conc = 1;
        size_t cap = (size_t)n * 120 + 16, len = 0;
        char *reqs = malloc(cap);
        len += (size_t)snprintf(reqs + len, cap - len, "[");
        for (int i = 0; i < n; i++)
            len += (size_t)snprintf(reqs + len, cap - len, "%s{\"id\":\"%d\",\"method\":\"GET\",\"url\":\"/users/%s/mailboxSettings\"}",
                                    i ? "," : "", i + 1, ids[i]);
        snprintf(reqs + len, cap - len, "]");
        char opts[64];
        snprintf(opts, sizeof opts, "{\"concurrency\":%d}", conc);
        int32_t r = msgraph_batch(CRED, reqs, opts);
        if (r <= 0 || msgraph_result_status(r) != 200) die("msgraph_batch");
        for (int i = 0; i < n; i++) {
            char ptr[48];
            snprintf(ptr, sizeof ptr, "/responses/%d/status", i);
            const char *s = msgraph_result_json(r, ptr);
            if (s && strcmp(s, "200") == 0) ok++;
            else failed++;
        }
        batches = (n + 19) / 20;
        msgraph_result_free(r);
        free(reqs);
    }
    double dt = now_s() - t0;
    printf("{\"mode\":\"%s\",\"items\":%d,\"mailboxes\":%d,\"ok\":%d,\"failed\":%d,\"batches\":%d,\"seconds\":%.4f}\n",
           mode, n, mailboxes, ok, failed, batches, dt);
    for (int i = 0; i < mailboxes; i++) free(uniq[i]);
    free(uniq);
    free(ids);
}

static void mode_page(const char *url) {
    /* Everything but the call itself first: token, connection. */
    int32_t t = msgraph_token_info(CRED, NULL);
    if (t <= 0) die("token_info");
    msgraph_result_free(t);
    long before = peak_rss_kb();
    long cur_before = rss_kb();
    double t0 = now_s();
    int32_t r = msgraph_request(CRED, "GET", url, NULL, "{\"all_pages\":true}");
    double dt = now_s() - t0;
    if (r <= 0 || msgraph_result_status(r) != 200) die("all_pages");
    long peak = peak_rss_kb(); /* the call alone, before any accessor */
    long long bytes = (long long)msgraph_result_length(r);
    const char *items = msgraph_result_header(r, "x-msgraph-items");
    const char *pages = msgraph_result_header(r, "x-msgraph-pages");
    /* What a caller pays on top when it reads the result with the JSON
     * accessors (msgraph_result_json_count parses the whole body once). */
    double t1 = now_s();
    long long counted = (long long)msgraph_result_json_count(r, "/value");
    double dt_count = now_s() - t1;
    long peak_json = peak_rss_kb();
    printf("{\"items\":%s,\"counted\":%lld,\"pages\":%s,\"json_bytes\":%lld,\"seconds\":%.4f,\"rss_before_kb\":%ld,"
           "\"peak_before_kb\":%ld,\"peak_rss_kb\":%ld,\"json_count_seconds\":%.4f,\"peak_after_json_count_kb\":%ld}\n",
           items ? items : "0", counted, pages ? pages : "0", bytes, dt, cur_before, before, peak, dt_count, peak_json);
    msgraph_result_free(r);
}

int main(int argc, char **argv) {
    if (argc < 4) {
        fprintf(stderr, "usage: bench_capi LIB CREDS MODE ARGS...\n");
        return 2;
    }
    const char *lib = argv[1], *creds = argv[2], *mode = argv[3];
    if (strcmp(mode, "cold") == 0 && argc >= 5) {
        mode_cold(creds, lib, argv[4]);
        return 0;
    }
    load(lib);
    if (msgraph_credentials_load(creds) < 1) die("credentials_load");
    if (strcmp(mode, "token") == 0) {
        int32_t r = msgraph_token_info(CRED, "{\"include_token\":true}");
        if (r <= 0 || msgraph_result_status(r) != 200) die("token_info");
        printf("%s\n", msgraph_result_json(r, "/access_token"));
        msgraph_result_free(r);
    } else if (strcmp(mode, "warm") == 0 && argc >= 6) {
        mode_warm(atoi(argv[4]), argv[5]);
    } else if (strcmp(mode, "tokens") == 0 && argc >= 6) {
        mode_tokens(atoi(argv[4]), argv[5], argc >= 7 && strcmp(argv[6], "naive") == 0);
    } else if (strcmp(mode, "bulk") == 0 && argc >= 6) {
        mode_bulk(argv[4], atoi(argv[5]), argc >= 7 ? atoi(argv[6]) : 0);
    } else if (strcmp(mode, "page") == 0 && argc >= 5) {
        mode_page(argv[4]);
    } else {
        fprintf(stderr, "bench_capi: bad arguments\n");
        return 2;
    }
    return 0;
}
