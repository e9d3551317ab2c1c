/*
 * quickstart.c: the setup guide's first check, end to end, in C.
 *
 * 1. Load the credentials file (default: the one the emulator wrote).
 * 2. Acquire a token and print its claims: app, tenant, roles, expiry.
 * 3. List every user with all_pages and print the count and a few names.
 *
 * Usage: quickstart [credentials-file [credential-name]]
 *   defaults: $MSGRAPH_CREDENTIALS or ./credentials.json, and "emulator".
 * Exit status: 0 on success, 1 on any failure (the error is printed).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "msgraph.h"

static int fail(const char *what, int32_t result)
{
    if (result > 0) {
        int32_t status = msgraph_result_status(result);
        const char *code = msgraph_result_json(result, "/error/code");
        const char *message = msgraph_result_json(result, "/error/message");
        fprintf(stderr, "%s failed: status %d (%s): %s: %s\n", what, (int)status,
                status < 0 ? msgraph_status_name(status) : "HTTP",
                code ? code : "?", message ? message : "");
        msgraph_result_free(result);
    } else {
        fprintf(stderr, "%s failed: %s\n", what, msgraph_last_error());
    }
    return 1;
}

int main(int argc, char **argv)
{
    const char *file = argc > 1 ? argv[1] : getenv("MSGRAPH_CREDENTIALS");
    const char *cred = argc > 2 ? argv[2] : "emulator";
    if (file == NULL)
        file = "credentials.json";

    printf("libmsgraph %s\n", msgraph_version());
    int32_t loaded = msgraph_credentials_load(file);
    if (loaded < 0)
        return fail("loading the credentials file", loaded);
    printf("credentials loaded from %s: %d\n", file, (int)loaded);

    /* The token: jwt.ms without pasting the token anywhere. */
    int32_t token = msgraph_token_info(cred, NULL);
    if (token < 0 || msgraph_result_status(token) != 200)
        return fail("acquiring a token", token);
    printf("token for app '%s' (appid %s) in tenant %s\n",
           msgraph_result_json(token, "/claims/app_displayname"),
           msgraph_result_json(token, "/claims/appid"),
           msgraph_result_json(token, "/claims/tid"));
    printf("roles (%lld): %s\n", (long long)msgraph_result_json_count(token, "/claims/roles"),
           msgraph_result_json(token, "/claims/roles"));
    printf("expires in %s s\n", msgraph_result_json(token, "/expires_in"));
    msgraph_result_free(token);

    /* Every user, all pages merged: the REST Data Source check. */
    int32_t users = msgraph_request(cred, "GET", "/users?$select=id,displayName,userPrincipalName&$top=100",
                                    NULL, "{\"all_pages\": true}");
    if (users < 0 || msgraph_result_status(users) != 200)
        return fail("listing users", users);
    long long count = (long long)msgraph_result_json_count(users, "/value");
    printf("users: %lld (in %s pages)\n", count, msgraph_result_header(users, "x-msgraph-pages"));
    for (int i = 0; i < 5 && i < count; i++) {
        char pointer[64];
        snprintf(pointer, sizeof pointer, "/value/%d/displayName", i);
        printf("  %s\n", msgraph_result_json(users, pointer));
    }
    msgraph_result_free(users);
    return 0;
}
