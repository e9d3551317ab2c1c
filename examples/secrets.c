/*
 * secrets.c: which app registrations' client secrets and certificates
 * expire soon? (what `msgraph secrets` shows), in C.
 *
 * 1. Load the credentials file.
 * 2. GET /applications with $select and all_pages: every app, every page.
 * 3. Walk passwordCredentials and keyCredentials with msgraph_result_json,
 *    sort them by endDateTime (soonest first) and print the days left;
 *    expired ones are marked.
 *
 * Usage: secrets [credentials-file [credential-name [days]]]
 *   defaults: $MSGRAPH_CREDENTIALS or ./credentials.json, "emulator", and
 *   no limit; with days, only credentials ending within that many days
 *   (expired ones included).
 * Needs Application.Read.All. Exit status: 0 on success, 1 on failure.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "msgraph.h"

struct credential {
    long long end;       /* Unix seconds */
    char end_text[32];   /* as Graph wrote it */
    char app[128];
    char name[128];
    const char *type;    /* "secret" or "certificate" */
};

static int fail(const char *what, int32_t result)
{
    if (result > 0) {
        const char *message = msgraph_result_json(result, "/error/message");
        fprintf(stderr, "%s failed: status %d: %s\n", what, (int)msgraph_result_status(result),
                message ? message : "");
        msgraph_result_free(result);
    } else {
        fprintf(stderr, "%s failed: %s\n", what, msgraph_last_error());
    }
    return 1;
}

/* Days since 1970-01-01 of a civil date (proleptic Gregorian). */
static long long days_from_civil(long long y, long long m, long long d)
{
    y -= m <= 2;
    long long era = (y >= 0 ? y : y - 399) / 400;
    long long yoe = y - era * 400;
    long long doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    long long doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

/* "2026-11-30T23:34:12.1234567Z" -> Unix seconds (UTC); -1 if unreadable. */
static long long parse_utc(const char *s)
{
    int y, mo, d, h, mi, se;
    if (s == NULL || sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d", &y, &mo, &d, &h, &mi, &se) != 6)
        return -1;
    return days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + se;
}

static long long floor_div(long long a, long long b)
{
    return a / b - (a % b != 0 && (a < 0) != (b < 0));
}

static int by_end(const void *a, const void *b)
{
    const struct credential *x = a, *y = b;
    return (x->end > y->end) - (x->end < y->end);
}

static void copy(char *dst, size_t size, const char *src)
{
    snprintf(dst, size, "%s", src ? src : "");
}

int main(int argc, char **argv)
{
    const char *file = argc > 1 ? argv[1] : getenv("MSGRAPH_CREDENTIALS");
    const char *cred = argc > 2 ? argv[2] : "emulator";
    long long within_days = argc > 3 ? atoll(argv[3]) : -1;
    if (file == NULL)
        file = "credentials.json";

    int32_t loaded = msgraph_credentials_load(file);
    if (loaded < 0)
        return fail("loading the credentials file", loaded);

    /* Only the fields we need; all_pages merges every page into /value. */
    int32_t apps = msgraph_request(cred, "GET",
        "/applications?$select=id,appId,displayName,passwordCredentials,keyCredentials",
        NULL, "{\"all_pages\": true}");
    if (apps < 0 || msgraph_result_status(apps) != 200)
        return fail("listing applications", apps);

    /* Count first, then copy every credential out of the result. */
    long long napps = msgraph_result_json_count(apps, "/value");
    size_t total = 0;
    char ptr[128];
    for (long long i = 0; i < napps; i++) {
        snprintf(ptr, sizeof ptr, "/value/%lld/passwordCredentials", i);
        long long n = msgraph_result_json_count(apps, ptr);
        snprintf(ptr, sizeof ptr, "/value/%lld/keyCredentials", i);
        long long k = msgraph_result_json_count(apps, ptr);
        total += (size_t)(n > 0 ? n : 0) + (size_t)(k > 0 ? k : 0);
    }
    struct credential *list = calloc(total ? total : 1, sizeof *list);
    if (list == NULL) {
        msgraph_result_free(apps);
        return fail("allocating", 0);
    }
    size_t used = 0;
    const char *kinds[2] = {"passwordCredentials", "keyCredentials"};
    for (long long i = 0; i < napps; i++) {
        snprintf(ptr, sizeof ptr, "/value/%lld/displayName", i);
        const char *app = msgraph_result_json(apps, ptr);
        for (int t = 0; t < 2; t++) {
            snprintf(ptr, sizeof ptr, "/value/%lld/%s", i, kinds[t]);
            long long n = msgraph_result_json_count(apps, ptr);
            for (long long j = 0; j < n && used < total; j++) {
                struct credential *c = &list[used++];
                snprintf(ptr, sizeof ptr, "/value/%lld/%s/%lld/endDateTime", i, kinds[t], j);
                copy(c->end_text, sizeof c->end_text, msgraph_result_json(apps, ptr));
                c->end = parse_utc(c->end_text);
                snprintf(ptr, sizeof ptr, "/value/%lld/%s/%lld/displayName", i, kinds[t], j);
                copy(c->name, sizeof c->name, msgraph_result_json(apps, ptr));
                copy(c->app, sizeof c->app, app);
                c->type = t == 0 ? "secret" : "certificate";
            }
        }
    }
    msgraph_result_free(apps); /* every string above came from it: copied */

    qsort(list, used, sizeof *list, by_end);
    long long now = (long long)time(NULL);
    size_t shown = 0, expired = 0;
    printf("%-22s %6s  %-8s %-12s %-20s %s\n", "ends (UTC)", "days", "status", "type", "application", "credential");
    for (size_t i = 0; i < used; i++) {
        const struct credential *c = &list[i];
        long long days = floor_div(c->end - now + 43200, 86400); /* nearest day */
        if (within_days >= 0 && days > within_days)
            continue;
        int is_expired = c->end < now;
        expired += is_expired;
        shown++;
        printf("%-22.19s %6lld  %-8s %-12s %-20s %s\n", c->end_text, days,
               is_expired ? "EXPIRED" : "ok", c->type, c->app, c->name);
    }
    printf("%zu of %zu credentials shown, %zu expired, %lld applications\n", shown, used, expired, napps);
    free(list);
    return 0;
}
