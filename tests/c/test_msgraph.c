/*
 * test_msgraph.c: the C contract seen from C, against the emulator.
 * Built with -std=c11 -Wall -Wextra -Wpedantic -Werror, run by
 * tests/c_programs.rs, also under valgrind memcheck.
 *
 * Usage: test_msgraph CREDENTIALS_FILE   (holds the credential "emulator")
 * Prints one line per check and ends with "N passed, M failed".
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "msgraph.h"

static int passed, failed;

#define CHECK(cond, ...)                                              \
    do {                                                              \
        if (cond) {                                                   \
            passed++;                                                 \
        } else {                                                      \
            failed++;                                                 \
            printf("FAIL %s:%d: %s: ", __FILE__, __LINE__, #cond);    \
            printf(__VA_ARGS__);                                      \
            printf(" (last error: %s)\n", msgraph_last_error());      \
        }                                                             \
    } while (0)

static const char *CRED = "emulator";

static void test_library(void)
{
    CHECK(strcmp(msgraph_version(), "") != 0, "version");
    CHECK(MSGRAPH_VERSION_MAJOR == 0, "major");
    CHECK(strcmp(msgraph_status_name(MSGRAPH_ERR_AUTH), "MSGRAPH_ERR_AUTH") == 0, "name");
    CHECK(strcmp(msgraph_status_name(MSGRAPH_ERR_INTERNAL), "MSGRAPH_ERR_INTERNAL") == 0, "name");
    CHECK(strcmp(msgraph_status_name(404), "MSGRAPH_UNKNOWN_STATUS") == 0, "unknown");
    CHECK(msgraph_status_message(MSGRAPH_ERR_TIMEOUT)[0] != '\0', "message");
}

static void test_arguments(void)
{
    CHECK(msgraph_credential_set(NULL, "{}") == MSGRAPH_ERR_ARGUMENT, "NULL name");
    CHECK(strstr(msgraph_last_error(), "NULL") != NULL, "last error names it");
    CHECK(msgraph_credential_set("x", "{\"tenant_id\":\"t\",\"client_id\":\"c\",\"client_secret\":\"s\",\"bogus\":1}")
              == MSGRAPH_ERR_CONFIG, "unknown key");
    CHECK(strstr(msgraph_last_error(), "bogus") != NULL, "key named");
    CHECK(msgraph_request(NULL, "GET", "/users", NULL, NULL) == MSGRAPH_ERR_ARGUMENT, "NULL credential");
    CHECK(msgraph_request("nope", "GET", "/users", NULL, NULL) == MSGRAPH_ERR_NOT_FOUND, "unknown credential");
    CHECK(msgraph_request(CRED, "GET", "https://example.com/v1.0/users", NULL, NULL) == MSGRAPH_ERR_REFUSED,
          "other host");
    CHECK(msgraph_request(CRED, "GET", "/users", NULL, "{\"all_page\":true}") == MSGRAPH_ERR_ARGUMENT,
          "unknown option");
    CHECK(msgraph_batch(CRED, "[{\"method\":\"GET\"}]", NULL) == MSGRAPH_ERR_ARGUMENT, "batch without url");
    CHECK(msgraph_result_free(0) == MSGRAPH_OK, "free(0)");
    CHECK(msgraph_result_free(-1) == MSGRAPH_ERR_NOT_FOUND, "free(-1)");
    CHECK(msgraph_result_status(123456789) == MSGRAPH_ERR_NOT_FOUND, "unknown handle");
    CHECK(msgraph_result_body(123456789) == NULL, "unknown body");
}

static void test_token(void)
{
    int32_t r = msgraph_token_info(CRED, NULL);
    CHECK(r > 0, "token_info handle %d", (int)r);
    if (r <= 0)
        return;
    CHECK(msgraph_result_status(r) == 200, "status %d", (int)msgraph_result_status(r));
    CHECK(msgraph_result_json_count(r, "/claims/roles") > 0, "roles");
    CHECK(msgraph_result_json(r, "/access_token") == NULL, "no raw token unless asked");
    const char *type = msgraph_result_json(r, "/token_type");
    CHECK(type && strcmp(type, "Bearer") == 0, "Bearer");
    CHECK(msgraph_result_json(r, "no-slash") == NULL, "malformed pointer");
    CHECK(msgraph_result_free(r) == MSGRAPH_OK, "free");
    CHECK(msgraph_result_free(r) == MSGRAPH_ERR_NOT_FOUND, "double free is refused, not a crash");
}

static void test_paging_and_reads(void)
{
    int32_t r = msgraph_request(CRED, "GET", "/users?$top=100&$select=id,displayName", NULL,
                                "{\"all_pages\":true,\"headers\":{\"ConsistencyLevel\":\"eventual\"}}");
    CHECK(r > 0 && msgraph_result_status(r) == 200, "all pages");
    if (r <= 0)
        return;
    CHECK(msgraph_result_json_count(r, "/value") == 250, "250 users, got %lld",
          (long long)msgraph_result_json_count(r, "/value"));
    const char *pages = msgraph_result_header(r, "X-MSGraph-Pages");
    CHECK(pages && strcmp(pages, "3") == 0, "3 pages");
    CHECK(msgraph_result_header(r, "client-request-id") != NULL, "client-request-id");

    /* Read in 7-byte chunks and compare with the body. */
    int64_t len = msgraph_result_length(r);
    const char *body = msgraph_result_body(r);
    char *copy = malloc((size_t)len + 1);
    int64_t off = 0;
    char buf[7];
    int64_t n;
    while ((n = msgraph_result_read(r, off, buf, (int64_t)sizeof buf)) > 0) {
        memcpy(copy + off, buf, (size_t)n);
        off += n;
    }
    CHECK(n == 0, "read ends with 0, got %lld", (long long)n);
    CHECK(off == len && memcmp(copy, body, (size_t)len) == 0, "chunks rebuild the body");
    CHECK(body[len] == '\0', "NUL-terminated");
    free(copy);
    CHECK(msgraph_result_read(r, len + 5, buf, 7) == MSGRAPH_ERR_ARGUMENT, "offset past the end");
    msgraph_result_free(r);
}

static void test_errors(void)
{
    int32_t r = msgraph_request(CRED, "GET", "/users/nobody@nowhere.example", NULL, NULL);
    CHECK(r > 0 && msgraph_result_status(r) == 404, "404 is a result");
    const char *code = msgraph_result_json(r, "/error/code");
    CHECK(code && strcmp(code, "Request_ResourceNotFound") == 0, "Graph's code");
    msgraph_result_free(r);

    /* An AADSTS refusal is a result too, with the code to branch on. */
    r = msgraph_token_info("wrong-secret", NULL);
    CHECK(r > 0 && msgraph_result_status(r) == MSGRAPH_ERR_AUTH, "refused token is a result");
    const char *aadsts = msgraph_result_json(r, "/error/aadsts");
    CHECK(aadsts && strcmp(aadsts, "7000215") == 0, "AADSTS7000215");
    CHECK(strncmp(msgraph_last_error(), "MSGRAPH_ERR_AUTH", 16) == 0, "last error");
    msgraph_result_free(r);
}

static void test_batch(void)
{
    char requests[4096];
    size_t used = 0;
    used += (size_t)snprintf(requests + used, sizeof requests - used, "[");
    for (int i = 0; i < 25; i++)
        used += (size_t)snprintf(requests + used, sizeof requests - used,
                                 "%s{\"id\":\"q%d\",\"method\":\"GET\",\"url\":\"/users?$top=1\"}", i ? "," : "", i);
    snprintf(requests + used, sizeof requests - used, "]");
    int32_t r = msgraph_batch(CRED, requests, NULL);
    CHECK(r > 0 && msgraph_result_status(r) == 200, "batch");
    if (r <= 0)
        return;
    CHECK(msgraph_result_json_count(r, "/responses") == 25, "25 responses");
    const char *last = msgraph_result_json(r, "/responses/24/id");
    CHECK(last && strcmp(last, "q24") == 0, "in order");
    const char *batches = msgraph_result_header(r, "x-msgraph-batches");
    CHECK(batches && strcmp(batches, "2") == 0, "two $batch calls");
    msgraph_result_free(r);
}

static void *worker(void *arg)
{
    int *ok = arg;
    for (int i = 0; i < 10; i++) {
        int32_t r = msgraph_request(CRED, "GET", "/users?$top=2", NULL, NULL);
        if (r > 0 && msgraph_result_status(r) == 200 && msgraph_result_json_count(r, "/value") == 2)
            (*ok)++;
        msgraph_result_free(r);
    }
    return NULL;
}

static void test_threads(void)
{
    pthread_t t[4];
    int ok[4] = {0, 0, 0, 0};
    for (int i = 0; i < 4; i++)
        pthread_create(&t[i], NULL, worker, &ok[i]);
    for (int i = 0; i < 4; i++)
        pthread_join(t[i], NULL);
    CHECK(ok[0] + ok[1] + ok[2] + ok[3] == 40, "40 requests on 4 threads");
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: %s CREDENTIALS_FILE\n", argv[0]);
        return 2;
    }
    int32_t loaded = msgraph_credentials_load(argv[1]);
    if (loaded < 1) {
        fprintf(stderr, "cannot load %s: %s\n", argv[1], msgraph_last_error());
        return 2;
    }
    int32_t live_before = msgraph_results_live();
    test_library();
    test_arguments();
    test_token();
    test_paging_and_reads();
    test_errors();
    test_batch();
    test_threads();
    CHECK(msgraph_results_live() == live_before, "every result freed: %d live", (int)msgraph_results_live());
    printf("%d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}
