/*
 * test_access.c: may this app read a user's mailbox? The analog of
 * Exchange Online's Test-ApplicationAccessPolicy (and `msgraph test-access`).
 *
 * Reads the user's mailboxSettings and calendar with the app's own
 * permissions and explains the answer:
 *   200                                              Granted
 *   403 ErrorAccessDenied "Access to OData is disabled."
 *                                                    Denied by an application access policy
 *   403 ErrorAccessDenied (any other message)        Denied: the app lacks the permission
 *   404                                              no such user or mailbox
 *
 * Usage: test_access credentials-file credential-name user-principal-name
 * Exit status: 0 Granted, 8 denied by a policy, 2 other denials and
 * errors, 1 when no call could be made.
 */
#include <stdio.h>
#include <string.h>

#include "msgraph.h"

/* One probe: prints a line and returns 0 granted, 8 policy, 2 otherwise. */
static int probe(const char *cred, const char *what, const char *url, const char *permission)
{
    int32_t r = msgraph_request(cred, "GET", url, NULL, NULL);
    if (r < 0) {
        printf("%-16s Error    %s\n", what, msgraph_last_error());
        return 2;
    }
    int32_t status = msgraph_result_status(r);
    const char *code = msgraph_result_json(r, "/error/code");
    const char *message = msgraph_result_json(r, "/error/message");
    int verdict;
    if (status >= 200 && status < 300) {
        printf("%-16s Granted  HTTP %d\n", what, (int)status);
        verdict = 0;
    } else if (status == 403 && message && strstr(message, "Access to OData is disabled")) {
        printf("%-16s Denied   HTTP 403 %s: %s (an application access policy excludes this mailbox)\n",
               what, code, message);
        verdict = 8;
    } else if (status == 403) {
        printf("%-16s Denied   HTTP 403 %s: %s (the app needs %s)\n", what,
               code ? code : "?", message ? message : "", permission);
        verdict = 2;
    } else {
        /* a negative status is the library's: msgraph_status_name() names it */
        printf("%-16s Error    %s %d %s: %s\n", what, status < 0 ? msgraph_status_name(status) : "HTTP",
               (int)status, code ? code : "?", message ? message : "");
        verdict = 2;
    }
    msgraph_result_free(r);
    return verdict;
}

int main(int argc, char **argv)
{
    if (argc != 4) {
        fprintf(stderr, "usage: %s credentials-file credential-name user-principal-name\n", argv[0]);
        return 1;
    }
    const char *cred = argv[2], *upn = argv[3];
    int32_t loaded = msgraph_credentials_load(argv[1]);
    if (loaded < 0) {
        fprintf(stderr, "loading the credentials file failed: %s\n", msgraph_last_error());
        return 1;
    }

    /* Who are we? The app id from the token's claims (no token printed). */
    int32_t token = msgraph_token_info(cred, NULL);
    if (token < 0 || msgraph_result_status(token) != 200) {
        fprintf(stderr, "no token: %s\n", token < 0 ? msgraph_last_error() : msgraph_result_json(token, "/error/message"));
        msgraph_result_free(token);
        return 1;
    }
    printf("AppId   %s (%s)\nMailbox %s\n", msgraph_result_json(token, "/claims/appid"),
           msgraph_result_json(token, "/claims/app_displayname"), upn);
    msgraph_result_free(token);

    /* A UPN is safe in a URL path as is (letters, digits, . - _ @). */
    char url[512];
    snprintf(url, sizeof url, "/users/%s/mailboxSettings", upn);
    int a = probe(cred, "mailboxSettings", url, "MailboxSettings.Read");
    snprintf(url, sizeof url, "/users/%s/calendar", upn);
    int b = probe(cred, "calendar", url, "Calendars.Read");

    int verdict = a > b ? a : b;
    printf("AccessCheckResult: %s\n", verdict == 0 ? "Granted" : "Denied");
    return verdict;
}
