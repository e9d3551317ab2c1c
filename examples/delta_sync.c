/*
 * delta_sync.c: keep a copy of the directory in sync with a delta query,
 * storing the @odata.deltaLink between runs (what an Oracle job that
 * refreshes a USERS table does; `msgraph delta --state FILE` too).
 *
 * 1. Read the stored deltaLink from the state file; without one, start a
 *    full sync from /users/delta.
 * 2. GET it with all_pages: every page of changes merged into /value, and
 *    the last page's @odata.deltaLink.
 * 3. Print each change (changed, or removed: "@removed"), then store the
 *    new deltaLink for the next run.
 * 4. MSGRAPH_ERR_RESYNC: the stored link is no longer valid (410 Gone,
 *    syncStateNotFound): drop it and start again with a full sync.
 *
 * Usage: delta_sync credentials-file credential-name state-file
 * Exit status: 0 synced, 7 resync required (the state file was emptied:
 * run again for a full sync), 1 on other failures.
 */
#include <stdio.h>
#include <string.h>

#include "msgraph.h"

#define START "/users/delta?$select=displayName,userPrincipalName,jobTitle"

static int save(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    if (f == NULL)
        return -1;
    int bad = fputs(text, f) < 0;
    return (fclose(f) != 0 || bad) ? -1 : 0;
}

int main(int argc, char **argv)
{
    if (argc != 4) {
        fprintf(stderr, "usage: %s credentials-file credential-name state-file\n", argv[0]);
        return 1;
    }
    const char *cred = argv[2], *state = argv[3];
    if (msgraph_credentials_load(argv[1]) < 0) {
        fprintf(stderr, "loading the credentials file failed: %s\n", msgraph_last_error());
        return 1;
    }

    /* The stored link, or the initial delta URL. */
    char link[4096] = "";
    FILE *f = fopen(state, "r");
    if (f != NULL) {
        if (fgets(link, sizeof link, f) == NULL)
            link[0] = '\0';
        fclose(f);
        link[strcspn(link, "\r\n")] = '\0';
    }
    const char *url = link[0] ? link : START;
    printf("%s\n", link[0] ? "incremental sync from the stored deltaLink" : "full sync from " START);

    int32_t r = msgraph_request(cred, "GET", url, NULL, "{\"all_pages\": true}");
    if (r < 0) {
        fprintf(stderr, "refused: %s\n", msgraph_last_error());
        return 1;
    }
    int32_t status = msgraph_result_status(r);
    if (status == MSGRAPH_ERR_RESYNC) {
        /* The library maps 410 and syncStateNotFound/resyncRequired here. */
        fprintf(stderr, "%s: %s\n", msgraph_status_name(status), msgraph_result_json(r, "/error/message"));
        msgraph_result_free(r);
        save(state, "");
        fprintf(stderr, "the stored deltaLink was dropped: run again for a full sync\n");
        return 7;
    }
    if (status != 200) {
        fprintf(stderr, "delta failed: status %d: %s\n", (int)status, msgraph_result_json(r, "/error/message"));
        msgraph_result_free(r);
        return 1;
    }

    long long n = msgraph_result_json_count(r, "/value");
    for (long long i = 0; i < n && i < 10; i++) {
        char p[96], q[96];
        snprintf(p, sizeof p, "/value/%lld/@removed", i);
        snprintf(q, sizeof q, "/value/%lld/id", i);
        if (msgraph_result_json(r, p) != NULL) {
            printf("  removed  %s\n", msgraph_result_json(r, q));
        } else {
            snprintf(p, sizeof p, "/value/%lld/displayName", i);
            const char *name = msgraph_result_json(r, p);
            snprintf(p, sizeof p, "/value/%lld/jobTitle", i);
            const char *job = msgraph_result_json(r, p);
            if (job != NULL && strcmp(job, "null") == 0) /* JSON null comes back as "null" */
                job = NULL;
            printf("  changed  %s%s%s\n", name ? name : msgraph_result_json(r, q),
                   job ? ", " : "", job ? job : "");
        }
    }
    if (n > 10)
        printf("  ... and %lld more\n", n - 10);
    printf("changes: %lld (in %s pages)\n", n, msgraph_result_header(r, "x-msgraph-pages"));

    const char *next = msgraph_result_json(r, "/@odata.deltaLink");
    int rc = 0;
    if (next == NULL) {
        fprintf(stderr, "no @odata.deltaLink in the answer\n");
        rc = 1;
    } else if (save(state, next) != 0) {
        perror(state);
        rc = 1;
    } else {
        printf("deltaLink stored in %s\n", state);
    }
    msgraph_result_free(r); /* `next` pointed into the result: used before this */
    return rc;
}
