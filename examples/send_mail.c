/*
 * send_mail.c: send a mail as a user (application permission Mail.Send),
 * the job an Oracle job's "report is ready" notice does.
 *
 * 1. Load the credentials file.
 * 2. Build the sendMail JSON (strings escaped for JSON) and POST it to
 *    /users/{sender}/sendMail.
 * 3. Graph answers 202 Accepted with an empty body; anything else is an
 *    error shaped {"error":{"code","message"}}.
 *
 * Usage: send_mail credentials-file credential-name sender recipient subject [text]
 * Exit status: 0 when Graph accepted the mail, 1 otherwise.
 */
#include <stdio.h>
#include <string.h>

#include "msgraph.h"

/* Appends src to dst as JSON string content (quotes, backslashes and
 * control characters escaped; UTF-8 passes through). Returns 0 when it
 * fits. */
static int json_escape(char *dst, size_t size, const char *src)
{
    size_t n = strlen(dst);
    for (const unsigned char *p = (const unsigned char *)src; *p; p++) {
        char tmp[8];
        if (*p == '"' || *p == '\\')
            snprintf(tmp, sizeof tmp, "\\%c", *p);
        else if (*p < 0x20)
            snprintf(tmp, sizeof tmp, "\\u%04x", *p);
        else
            snprintf(tmp, sizeof tmp, "%c", *p);
        size_t t = strlen(tmp);
        if (n + t + 1 > size)
            return -1;
        memcpy(dst + n, tmp, t + 1);
        n += t;
    }
    return 0;
}

static int append(char *dst, size_t size, const char *text)
{
    size_t n = strlen(dst), t = strlen(text);
    if (n + t + 1 > size)
        return -1;
    memcpy(dst + n, text, t + 1);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 6) {
        fprintf(stderr, "usage: %s credentials-file credential-name sender recipient subject [text]\n", argv[0]);
        return 1;
    }
    const char *cred = argv[2], *sender = argv[3], *to = argv[4], *subject = argv[5];
    const char *text = argc > 6 ? argv[6] : "Sent by libmsgraph.";
    if (msgraph_credentials_load(argv[1]) < 0) {
        fprintf(stderr, "loading the credentials file failed: %s\n", msgraph_last_error());
        return 1;
    }

    char body[8192] = "";
    int bad = append(body, sizeof body, "{\"message\":{\"subject\":\"")
        || json_escape(body, sizeof body, subject)
        || append(body, sizeof body, "\",\"body\":{\"contentType\":\"Text\",\"content\":\"")
        || json_escape(body, sizeof body, text)
        || append(body, sizeof body, "\"},\"toRecipients\":[{\"emailAddress\":{\"address\":\"")
        || json_escape(body, sizeof body, to)
        || append(body, sizeof body, "\"}}]},\"saveToSentItems\":true}");
    if (bad) {
        fprintf(stderr, "the message is too long for this example's buffer\n");
        return 1;
    }

    char url[512];
    snprintf(url, sizeof url, "/users/%s/sendMail", sender);
    /* POST is not retried on transport failures (it is not idempotent);
     * 429/503 answers are, after their Retry-After. */
    int32_t r = msgraph_request(cred, "POST", url, body, NULL);
    if (r < 0) {
        fprintf(stderr, "not sent: %s\n", msgraph_last_error());
        return 1;
    }
    int32_t status = msgraph_result_status(r);
    if (status == 202) {
        printf("accepted: '%s' from %s to %s (request-id %s)\n", subject, sender, to,
               msgraph_result_header(r, "request-id"));
    } else {
        const char *code = msgraph_result_json(r, "/error/code");
        const char *message = msgraph_result_json(r, "/error/message");
        fprintf(stderr, "not sent: status %d (%s): %s: %s\n", (int)status,
                status < 0 ? msgraph_status_name(status) : "HTTP", code ? code : "?", message ? message : "");
    }
    msgraph_result_free(r);
    return status == 202 ? 0 : 1;
}
