/*
 * batch.c: several Graph requests in one call with msgraph_batch().
 *
 * The library sends them through $batch, 20 per HTTP call, sends items
 * answered 429 again after their Retry-After, and returns
 * {"responses":[{"id","status","headers","body"}...]} in the order given,
 * so response i belongs to request i.
 *
 * Usage: batch credentials-file credential-name upn...
 *   looks up each user's displayName and jobTitle, plus the organization.
 * Exit status: 0 when every request succeeded, 2 when some failed, 1 when
 * the batch itself failed.
 */
#include <stdio.h>
#include <string.h>

#include "msgraph.h"

int main(int argc, char **argv)
{
    if (argc < 4) {
        fprintf(stderr, "usage: %s credentials-file credential-name upn...\n", argv[0]);
        return 1;
    }
    const char *cred = argv[2];
    if (msgraph_credentials_load(argv[1]) < 0) {
        fprintf(stderr, "loading the credentials file failed: %s\n", msgraph_last_error());
        return 1;
    }

    /* [{"id":"org","method":"GET","url":"/organization?$select=displayName"},
     *  {"id":"u1","method":"GET","url":"/users/UPN?$select=displayName,jobTitle"}, ...] */
    char requests[16384] = "[{\"id\":\"org\",\"method\":\"GET\",\"url\":\"/organization?$select=displayName\"}";
    for (int i = 3; i < argc; i++) {
        char item[512];
        int n = snprintf(item, sizeof item,
                         ",{\"id\":\"u%d\",\"method\":\"GET\",\"url\":\"/users/%s?$select=displayName,jobTitle\"}",
                         i - 2, argv[i]);
        if (n < 0 || (size_t)n >= sizeof item || strlen(requests) + (size_t)n + 2 > sizeof requests) {
            fprintf(stderr, "too many or too long user names for this example\n");
            return 1;
        }
        strcat(requests, item);
    }
    strcat(requests, "]");

    int32_t r = msgraph_batch(cred, requests, NULL);
    if (r < 0) {
        fprintf(stderr, "refused: %s\n", msgraph_last_error());
        return 1;
    }
    if (msgraph_result_status(r) != 200) {
        fprintf(stderr, "the batch failed: status %d: %s\n", (int)msgraph_result_status(r),
                msgraph_result_json(r, "/error/message"));
        msgraph_result_free(r);
        return 1;
    }

    long long n = msgraph_result_json_count(r, "/responses");
    int failed = 0;
    for (long long i = 0; i < n; i++) {
        char p[96];
        snprintf(p, sizeof p, "/responses/%lld/id", i);
        const char *id = msgraph_result_json(r, p);
        snprintf(p, sizeof p, "/responses/%lld/status", i);
        const char *status = msgraph_result_json(r, p);
        if (strcmp(status, "200") == 0) {
            /* an item's body is JSON inside the result: point into it */
            snprintf(p, sizeof p, "/responses/%lld/body/%s", i, strcmp(id, "org") == 0 ? "value/0/displayName" : "displayName");
            const char *name = msgraph_result_json(r, p);
            snprintf(p, sizeof p, "/responses/%lld/body/jobTitle", i);
            const char *job = msgraph_result_json(r, p);
            if (job != NULL && strcmp(job, "null") == 0) /* JSON null comes back as "null" */
                job = NULL;
            printf("%-4s %s  %s%s%s\n", id, status, name ? name : "", job ? ", " : "", job ? job : "");
        } else {
            failed++;
            snprintf(p, sizeof p, "/responses/%lld/body/error/code", i);
            const char *code = msgraph_result_json(r, p);
            snprintf(p, sizeof p, "/responses/%lld/body/error/message", i);
            const char *message = msgraph_result_json(r, p);
            printf("%-4s %s  %s: %s\n", id, status, code ? code : "?", message ? message : "");
        }
    }
    printf("%lld responses, %d failed\n", n, failed);
    msgraph_result_free(r);
    return failed ? 2 : 0;
}
