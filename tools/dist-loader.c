/*
 * dist-loader.c: loads a libmsgraph.so with dlopen, as the Oracle extproc
 * agent does, and makes real calls through it: load a credentials file,
 * acquire a token, GET /users. Used by tools/dist-test.sh inside an
 * older-glibc root filesystem; compiled there with zig cc for glibc 2.17.
 *
 * Usage: dist-loader LIBRARY CREDENTIALS-FILE CREDENTIAL-NAME
 * Exit status: 0 on success, 2 if dlopen fails (dlerror() is printed),
 * 3 if a symbol is missing, 1 if a call fails.
 */
#include <dlfcn.h>
#include <stdint.h>
#include <stdio.h>

typedef const char *(*str_fn)(void);
typedef int32_t (*load_fn)(const char *);
typedef int32_t (*token_fn)(const char *, const char *);
typedef int32_t (*request_fn)(const char *, const char *, const char *, const char *, const char *);
typedef int32_t (*status_fn)(int32_t);
typedef const char *(*json_fn)(int32_t, const char *);
typedef int64_t (*count_fn)(int32_t, const char *);
typedef int32_t (*free_fn)(int32_t);

static void *sym(void *lib, const char *name)
{
    void *p = dlsym(lib, name);
    if (p == NULL)
        fprintf(stderr, "dlsym %s: %s\n", name, dlerror());
    return p;
}

int main(int argc, char **argv)
{
    if (argc != 4) {
        fprintf(stderr, "usage: dist-loader LIBRARY CREDENTIALS-FILE CREDENTIAL-NAME\n");
        return 1;
    }
    void *lib = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
    if (lib == NULL) {
        printf("dlopen failed: %s\n", dlerror());
        return 2;
    }
    printf("dlopen ok: %s\n", argv[1]);
    str_fn version = (str_fn)sym(lib, "msgraph_version");
    str_fn last_error = (str_fn)sym(lib, "msgraph_last_error");
    load_fn load = (load_fn)sym(lib, "msgraph_credentials_load");
    token_fn token_info = (token_fn)sym(lib, "msgraph_token_info");
    request_fn request = (request_fn)sym(lib, "msgraph_request");
    status_fn status = (status_fn)sym(lib, "msgraph_result_status");
    json_fn json = (json_fn)sym(lib, "msgraph_result_json");
    count_fn count = (count_fn)sym(lib, "msgraph_result_json_count");
    free_fn result_free = (free_fn)sym(lib, "msgraph_result_free");
    if (!version || !last_error || !load || !token_info || !request || !status || !json || !count || !result_free)
        return 3;

    printf("msgraph_version: %s\n", version());
    int32_t n = load(argv[2]);
    if (n < 0) {
        printf("credentials_load failed: %d %s\n", (int)n, last_error());
        return 1;
    }
    printf("credentials loaded: %d\n", (int)n);

    int32_t tok = token_info(argv[3], NULL);
    if (tok < 0 || status(tok) != 200) {
        printf("token failed: %d %s\n", (int)tok, tok < 0 ? last_error() : "HTTP error");
        return 1;
    }
    printf("token: status %d, app %s, roles %lld\n", (int)status(tok), json(tok, "/claims/app_displayname"),
           (long long)count(tok, "/claims/roles"));
    result_free(tok);

    int32_t users = request(argv[3], "GET", "/users?$select=displayName&$top=3", NULL, NULL);
    if (users < 0 || status(users) != 200) {
        printf("GET /users failed: %d %s\n", (int)users, users < 0 ? last_error() : "HTTP error");
        return 1;
    }
    printf("GET /users?$top=3: status %d, %lld users, first %s\n", (int)status(users),
           (long long)count(users, "/value"), json(users, "/value/0/displayName"));
    result_free(users);
    return 0;
}
