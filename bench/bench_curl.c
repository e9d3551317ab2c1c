/*
 * bench_curl.c: the libcurl reference for the warm-call and cold-start
 * figures (tools/bench.sh runs it). One easy handle, reused: libcurl keeps
 * the connection alive between calls, as libmsgraph's pool does.
 *
 *   bench_curl warm N URL TOKEN [CAFILE]     N keep-alive GETs after one warm-up
 *   bench_curl cold TOKEN_URL CLIENT_ID SECRET URL [CAFILE]
 *                                            init, token POST, first GET (timed)
 */
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

struct buf {
    char *p;
    size_t len, cap;
};

static size_t sink(char *data, size_t size, size_t n, void *ud) {
    struct buf *b = ud;
    size_t k = size * n;
    if (b->len + k + 1 > b->cap) {
        b->cap = (b->len + k + 1) * 2;
        b->p = realloc(b->p, b->cap);
    }
    memcpy(b->p + b->len, data, k);
    b->len += k;
    b->p[b->len] = 0;
    return k;
}

static double now_s(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static long get(CURL *c, struct buf *b) {
    b->len = 0;
    CURLcode rc = curl_easy_perform(c);
    if (rc != CURLE_OK) {
        fprintf(stderr, "bench_curl: %s\n", curl_easy_strerror(rc));
        exit(1);
    }
    long status = 0;
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    return status;
}

static CURL *handle(const char *url, struct curl_slist *hdrs, struct buf *b, const char *ca) {
    CURL *c = curl_easy_init();
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, sink);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, b);
    curl_easy_setopt(c, CURLOPT_TCP_NODELAY, 1L);
    curl_easy_setopt(c, CURLOPT_USERAGENT, "bench-curl/1");
    if (ca) curl_easy_setopt(c, CURLOPT_CAINFO, ca);
    return c;
}

int main(int argc, char **argv) {
    struct buf b = {0};
    if (argc >= 5 && strcmp(argv[1], "warm") == 0) {
        int n = atoi(argv[2]);
        curl_global_init(CURL_GLOBAL_DEFAULT);
        char auth[8192];
        snprintf(auth, sizeof auth, "Authorization: Bearer %s", argv[4]);
        struct curl_slist *h = curl_slist_append(NULL, auth);
        h = curl_slist_append(h, "client-request-id: 4f0c2a57-9d4e-4b1a-8c3f-2e6d7b9a1c05");
        CURL *c = handle(argv[3], h, &b, argc >= 6 ? argv[5] : NULL);
        if (get(c, &b) != 200) { fprintf(stderr, "bench_curl: warm-up: %s\n", b.p); return 1; }
        struct rusage u0, u1;
        getrusage(RUSAGE_SELF, &u0);
        double t0 = now_s();
        for (int i = 0; i < n; i++)
            if (get(c, &b) != 200) { fprintf(stderr, "bench_curl: GET: %s\n", b.p); return 1; }
        double dt = now_s() - t0;
        getrusage(RUSAGE_SELF, &u1);
        double cpu = (double)(u1.ru_utime.tv_sec - u0.ru_utime.tv_sec + u1.ru_stime.tv_sec - u0.ru_stime.tv_sec) * 1e6 +
                     (double)(u1.ru_utime.tv_usec - u0.ru_utime.tv_usec + u1.ru_stime.tv_usec - u0.ru_stime.tv_usec);
        printf("{\"client\":\"libcurl\",\"calls\":%d,\"seconds\":%.6f,\"us_per_call\":%.2f,\"cpu_us_per_call\":%.2f,"
               "\"csw_per_call\":%.2f}\n", n, dt, dt * 1e6 / n, cpu / n,
               (double)(u1.ru_nvcsw + u1.ru_nivcsw - u0.ru_nvcsw - u0.ru_nivcsw) / n);
        curl_easy_cleanup(c);
        curl_slist_free_all(h);
        curl_global_cleanup();
    } else if (argc >= 6 && strcmp(argv[1], "cold") == 0) {
        const char *ca = argc >= 7 ? argv[6] : NULL;
        double t0 = now_s();
        curl_global_init(CURL_GLOBAL_DEFAULT);
        double t1 = now_s();
        CURL *c = handle(argv[2], NULL, &b, ca);
        char *id = curl_easy_escape(c, argv[3], 0), *sec = curl_easy_escape(c, argv[4], 0);
        char form[1024];
        snprintf(form, sizeof form,
                 "grant_type=client_credentials&client_id=%s&client_secret=%s&scope=https%%3A%%2F%%2Fgraph.microsoft.com%%2F.default",
                 id, sec);
        curl_free(id);
        curl_free(sec);
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, form);
        if (get(c, &b) != 200) { fprintf(stderr, "bench_curl: token: %s\n", b.p); return 1; }
        char *tok = strstr(b.p, "\"access_token\":\"");
        if (!tok) return 1;
        tok += 16;
        *strchr(tok, '"') = 0;
        char auth[8192];
        snprintf(auth, sizeof auth, "Authorization: Bearer %s", tok);
        double t2 = now_s();
        struct curl_slist *h = curl_slist_append(NULL, auth);
        curl_easy_setopt(c, CURLOPT_HTTPGET, 1L);
        curl_easy_setopt(c, CURLOPT_URL, argv[5]);
        curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
        if (get(c, &b) != 200) { fprintf(stderr, "bench_curl: first call: %s\n", b.p); return 1; }
        double t3 = now_s();
        printf("{\"init_ms\":%.3f,\"first_token_ms\":%.3f,\"first_call_ms\":%.3f,\"total_ms\":%.3f}\n", (t1 - t0) * 1e3,
               (t2 - t1) * 1e3, (t3 - t2) * 1e3, (t3 - t0) * 1e3);
        curl_easy_cleanup(c);
        curl_slist_free_all(h);
    } else {
        fprintf(stderr, "usage: bench_curl warm N URL TOKEN [CAFILE] | cold TOKEN_URL CLIENT_ID SECRET URL [CAFILE]\n");
        return 2;
    }
    free(b.p);
    return 0;
}
