/*
 * msgraph.h: the C contract of libmsgraph (msgraph-extproc).
 *
 * Generated from the Rust declarations in src/ffi/ and src/status.rs by
 * `cargo xtask header` (cbindgen; this preamble is in cbindgen.toml): do not
 * edit; change the Rust doc comments and run the command again. CI fails
 * when this file differs from a regenerated one.
 *
 * Versions
 * - MSGRAPH_VERSION_MAJOR/MINOR/PATCH and MSGRAPH_VERSION_NUMBER (0xMMmmpp)
 *   describe this header; msgraph_version() names the library loaded at run
 *   time.
 *
 * Status codes
 * - MSGRAPH_OK and the negative MSGRAPH_ERR_* codes are stable forever: new
 *   codes are only appended. Expect codes you do not know;
 *   msgraph_status_name() and msgraph_status_message() name any code.
 * - A function that fails records a one-line message for the calling
 *   thread: msgraph_last_error(). It never holds a secret or a token.
 *
 * Strings and pointers
 * - Every `const char *` argument is a NUL-terminated UTF-8 string that the
 *   library copies during the call: the caller keeps ownership. NULL is
 *   refused with MSGRAPH_ERR_ARGUMENT unless the function says it is
 *   optional.
 * - Pointers the library returns are either static (never free them) or
 *   owned by a result and valid until msgraph_result_free() of it.
 *
 * Results and their lifetime
 * - Results are msgraph_result handles (a typedef of int32_t, > 0) that
 *   never run out: a handle is a slot index (bits 0-19) and that slot's
 *   generation (bits 20-30, moved on every free); freed slots are reused
 *   oldest first and only once 4096 wait, so a freed handle stays invalid
 *   for at least 8.4 million further results. A freed or unknown handle
 *   gives MSGRAPH_ERR_NOT_FOUND, never a crash. JSON accessor strings are
 *   made once per result and pointer.
 * - A result never changes once made, so any thread may read it. Free each
 *   one once with msgraph_result_free(); the live count is bounded
 *   (msgraph_set_max_results(), MSGRAPH_ERR_LIMIT beyond it).
 * - Use after free: a pointer read from a result (body, header, JSON value)
 *   dangles as soon as that result is freed, as memory from malloc() does
 *   after free(). Freeing a result while another thread still reads its
 *   pointers is the caller's bug; the handle itself is safe to use after
 *   free (MSGRAPH_ERR_NOT_FOUND).
 *
 * Threads
 * - Every function may be called from many threads at once. Credentials,
 *   cached tokens and results are shared by every thread of the process.
 * - No function aborts, exits or lets a panic out: a caught panic is
 *   MSGRAPH_ERR_INTERNAL. Inside Oracle's extproc agent an abort would be
 *   ORA-28576.
 *
 * Oracle external procedures (the msgraph_xp_* functions)
 * - They serve the MSGRAPH PL/SQL package (sql/), whose call specs mirror
 *   these prototypes exactly (tests check it); C programs use the others.
 * - Text travels as RAW: UTF-8 bytes that the package converts with
 *   UTL_I18N, so the agent's NLS settings never touch it.
 * - An IN RAW is three parameters, `const uint8_t *x, int16_t x_ind,
 *   int32_t x_len` (x RAW, x INDICATOR SHORT, x LENGTH SB4). A negative
 *   indicator is SQL NULL, and the pointer is then never read.
 * - An OUT RAW is four, `uint8_t *x, int16_t *x_ind, int32_t *x_len,
 *   int32_t *x_maxlen` (x RAW, x INDICATOR SHORT, x LENGTH SB4, x MAXLEN
 *   SB4). At most *x_maxlen bytes are written; *x_len and *x_ind are always
 *   set (-1 for no value); text is never cut inside a UTF-8 character.
 * - Handles and counts are INT (int32_t), and every function returns one.
 * - No WITH CONTEXT: the package raises errors from the status and message
 *   these functions hand back, so the library needs no OCI symbol and loads
 *   in any C program.
 *
 * Security model (in full: sql/README.md, "Security model")
 * - The general C API (msgraph_credential_set, msgraph_credentials_load,
 *   ...) trusts its caller: the process owner, who already has the
 *   process's environment, files and network. It may name environment
 *   variables, key files, CA files, proxies and any https endpoint (plain
 *   http only to loopback).
 * - The msgraph_xp_* functions serve the MSGRAPH PL/SQL package inside
 *   Oracle's extproc agent, whose callers are database users, not trusted
 *   with the agent's environment or files. There an agent policy (the file
 *   named by the agent's MSGRAPH_POLICY_FILE, set by the DBA in
 *   extproc.ora) decides, per database schema, which credentials-file
 *   entries are registered (none by default) and what a credential created
 *   from PL/SQL may name beyond its own secret and the national clouds'
 *   Microsoft hosts; everything else is MSGRAPH_ERR_REFUSED before any
 *   byte is sent. The schema is the part of the credential name before the
 *   first '/', which the package computes from SESSION_USER.
 * - Files the library reads (credentials files, private keys, certificates,
 *   CA files, the policy) are opened once and checked on the descriptor;
 *   credentials files and private keys must be owned by the process's
 *   user with no access for group or others; each kind has a size cap.
 * - No message, error document or last error carries a credential's
 *   secret, its proxy password, a client assertion or a token, whatever a
 *   server echoes: text taken from responses is scrubbed.
 */

#ifndef MSGRAPH_H
#define MSGRAPH_H

#include <stdint.h>

/**
 * Success.
 */
#define MSGRAPH_OK 0

/**
 * An argument is unusable: NULL where a value is required, invalid UTF-8,
 * malformed JSON or URL, an unknown option.
 */
#define MSGRAPH_ERR_ARGUMENT -1

/**
 * Unknown credential name or result handle.
 */
#define MSGRAPH_ERR_NOT_FOUND -2

/**
 * Bad credential configuration, unknown configuration key, unreadable or
 * too-open credentials file.
 */
#define MSGRAPH_ERR_CONFIG -3

/**
 * The token endpoint refused to issue a token.
 */
#define MSGRAPH_ERR_AUTH -4

/**
 * The connection failed: DNS, connect, TLS, reset, malformed response.
 */
#define MSGRAPH_ERR_TRANSPORT -5

/**
 * A connect or request timeout, or the retry budget ran out.
 */
#define MSGRAPH_ERR_TIMEOUT -6

/**
 * Still throttled when the retries ran out, where no HTTP response can be
 * returned as the result (for example in the middle of paging).
 */
#define MSGRAPH_ERR_THROTTLED -7

/**
 * Security refusal: the bearer token would go to a host other than the
 * credential's Graph host, or plain http to a host that is not loopback.
 */
#define MSGRAPH_ERR_REFUSED -8

/**
 * A body or a result is larger than the configured limit.
 */
#define MSGRAPH_ERR_TOO_LARGE -9

/**
 * Too many live results: free some with msgraph_result_free().
 */
#define MSGRAPH_ERR_LIMIT -10

/**
 * A delta token is no longer valid (410 Gone, syncStateNotFound,
 * resyncRequired): start a full resync from the original delta URL.
 */
#define MSGRAPH_ERR_RESYNC -11

/**
 * A caught panic: a bug in the library. The call had no effect that can be
 * relied on; the process is intact.
 */
#define MSGRAPH_ERR_INTERNAL -99

/**
 * Major version of this header (compare with msgraph_version() at run time).
 */
#define MSGRAPH_VERSION_MAJOR 0

/**
 * Minor version of this header.
 */
#define MSGRAPH_VERSION_MINOR 1

/**
 * Patch version of this header.
 */
#define MSGRAPH_VERSION_PATCH 0

/**
 * The header's version as one number, 0xMMmmpp (0.1.0 is 0x000100), for
 * `#if MSGRAPH_VERSION_NUMBER >= 0x000100` tests at compile time.
 */
#define MSGRAPH_VERSION_NUMBER (((MSGRAPH_VERSION_MAJOR << 16) | (MSGRAPH_VERSION_MINOR << 8)) | MSGRAPH_VERSION_PATCH)

/**
 * A result handle: > 0 names a live result (read it with the
 * msgraph_result_* functions, free it once with msgraph_result_free()).
 * Functions that make results return a negative MSGRAPH_ERR_* status
 * instead when no result could be made. Handles are process-wide, so any
 * thread may use one; a freed handle gives MSGRAPH_ERR_NOT_FOUND. The
 * msgraph_xp_* functions keep Oracle's INT (int32_t), the same type.
 */
typedef int32_t msgraph_result;

#ifdef __cplusplus
extern "C" {
#endif // __cplusplus

/**
 * Sends one request to Microsoft Graph with the credential's token.
 *
 * - `credential`: a registered credential's name.
 * - `method`: GET, POST, PUT, PATCH, DELETE, HEAD or OPTIONS (any case).
 * - `url`: a path relative to the credential's graph_base_url ("/users",
 *   "users?$top=5") or an absolute URL with the same scheme, host and port
 *   (an @odata.nextLink or deltaLink). Any other URL is refused before a
 *   byte is sent (MSGRAPH_ERR_REFUSED).
 * - `body`: NULL for none; sent as application/json unless the options'
 *   headers give a Content-Type.
 * - `options_json`: NULL or a JSON object: "headers" (object of extra
 *   request headers; Authorization is the library's), "timeout_ms",
 *   "max_retries", "retry_budget_ms", "all_pages" (follow @odata.nextLink
 *   and return {"value":[every item]} plus the last page's
 *   @odata.deltaLink), "max_items" (with all_pages: exactly the first N
 *   items, and no page fetched beyond them). Unknown keys are refused.
 *
 * Throttled and unavailable answers (429, 503, 504) are retried after their
 * Retry-After (exponential backoff with jitter when absent) up to
 * max_retries and within retry_budget_ms; transport failures of idempotent
 * methods too. A 401 InvalidAuthenticationToken renews the token once. The
 * same client-request-id goes with every attempt and comes back in the
 * result's headers, with "x-msgraph-retries" (and, for all_pages,
 * "x-msgraph-pages" and "x-msgraph-items").
 *
 * Returns a result handle (> 0) for every outcome of the exchange, success
 * or failure: read it with the msgraph_result_* functions and free it with
 * msgraph_result_free(). A negative status (and msgraph_last_error()) only
 * when the arguments are unusable or no result can be made:
 * MSGRAPH_ERR_ARGUMENT, MSGRAPH_ERR_NOT_FOUND (unknown credential),
 * MSGRAPH_ERR_REFUSED, MSGRAPH_ERR_CONFIG, MSGRAPH_ERR_LIMIT.
 *
 * All strings are copied; the caller keeps ownership. Blocks the calling
 * thread for the exchange, retries included. Thread-safe.
 */
msgraph_result msgraph_request(const char *credential,
                               const char *method,
                               const char *url,
                               const char *body,
                               const char *options_json);

/**
 * Like msgraph_request(), with a body given as `body_len` bytes that may
 * hold NUL bytes and need not be UTF-8 (file uploads, MIME content).
 * `body` may be NULL only when `body_len` is 0, which sends an empty body.
 * Thread-safe.
 */
msgraph_result msgraph_request_bytes(const char *credential,
                                     const char *method,
                                     const char *url,
                                     const uint8_t *body,
                                     int64_t body_len,
                                     const char *options_json);

/**
 * Sends any number of requests through Graph's $batch endpoint.
 *
 * `requests_json`: a JSON array (or Graph's {"requests":[…]}) of
 * {"id"?, "method", "url", "body"?, "headers"?, "dependsOn"?}. Missing ids
 * are numbered from "1" by position; ids must be unique; dependsOn may name
 * only requests listed earlier. URLs are relative to graph_base_url or
 * absolute on its origin, like msgraph_request()'s.
 *
 * The library sends $batch calls of at most 20 requests, in order; items
 * answered 429 are sent again after their Retry-After (up to max_retries
 * rounds, within retry_budget_ms); an item whose dependency failed gets
 * 424. The result's body is {"responses":[{"id","status","headers","body"}
 * …]} in the order given. If a $batch call itself fails (for example 400
 * for a malformed batch, or 401), that answer is the result.
 *
 * `options_json`: NULL or {"headers", "timeout_ms", "max_retries",
 * "retry_budget_ms", "concurrency"}. With "concurrency": N (1 to 16,
 * default 1) up to N $batch calls are in flight at once, never more than
 * four Outlook requests for one mailbox across them (Graph's
 * MailboxConcurrency limit); batches with dependsOn are always sent one
 * after another.
 *
 * Returns a result handle (> 0), or a negative status for unusable
 * arguments (as msgraph_request()). Thread-safe.
 */
msgraph_result msgraph_batch(const char *credential,
                             const char *requests_json,
                             const char *options_json);

/**
 * Facts about the credential's access token, acquiring one if none is
 * cached: {"token_type", "expires_on" (Unix seconds), "expires_in",
 * "refresh_on", "scope", "source" ("cache" or "identity_provider"),
 * "credential", "claims": {the JWT payload: roles, app_displayname, appid,
 * tid, aud, exp, …}}. The raw "access_token" is included only with
 * {"include_token":true}; {"force_refresh":true} drops the cached token
 * first.
 *
 * A refusal by the token endpoint is a result with status MSGRAPH_ERR_AUTH
 * whose body carries "aadsts", "error", "error_description" (first line),
 * "trace_id", "correlation_id", "http_status" and a "hint".
 *
 * Returns a result handle (> 0), or a negative status for unusable
 * arguments. Thread-safe.
 */
msgraph_result msgraph_token_info(const char *credential,
                                  const char *options_json);

/**
 * The names of the registered credentials as a JSON array, sorted, in a
 * result (status 200): for tools that load a credentials file and let the
 * user pick. Names only, never a secret. In Oracle's multithreaded agent
 * the list holds every session's credentials (the MSGRAPH package prefixes
 * them with the schema).
 *
 * Returns a result handle (> 0), or MSGRAPH_ERR_LIMIT. Thread-safe.
 */
msgraph_result msgraph_credentials_list(void);

/**
 * Registers (or replaces) the credential `name` from a JSON configuration.
 *
 * `config_json` keys: "tenant_id", "client_id", "client_secret" or
 * "client_secret_env" (the name of an environment variable holding the
 * secret) or, for a certificate credential, "certificate_file" and
 * "private_key_file" (PEM; unencrypted PKCS#8 or PKCS#1 RSA key, 2048 to 8192 bits) with
 * "assertion_alg" ("PS256", the default, or "RS256"), "scope" (default "https://graph.microsoft.com/.default"),
 * "cloud" ("global", "usgov", "usgov-dod", "china": sets the authority
 * host, Graph host and scope), "authority_host" (default
 * "https://login.microsoftonline.com"), "graph_base_url" (default
 * "https://graph.microsoft.com/v1.0"), "token_url" (overrides
 * authority_host + tenant), "timeout_ms" (per attempt, default 30000),
 * "connect_timeout_ms" (default 10000), "max_retries" (default 3, at most
 * 10), "retry_budget_ms" (total waiting between retries, default 180000),
 * "max_response_bytes" (default 268435456), "ca_file" (extra trusted CA
 * certificates, PEM), "proxy" (http or https URL; SOCKS is refused),
 * "mailbox_concurrency" (requests to one Outlook mailbox in flight at once
 * from this process, 1 to 64, default 4: Exchange Online allows four per
 * app and mailbox; more wait their turn in the library), "token_cache_dir"
 * (shared token cache, see below). Numbers may be
 * given as JSON numbers or digit strings.
 *
 * Shared token cache: with "token_cache_dir" (or, when the key is absent,
 * the environment variable MSGRAPH_TOKEN_CACHE_DIR, e.g. set in
 * extproc.ora; "" switches it off) the processes of one user on a host
 * share tokens through files in that directory, so a credential costs one
 * token request per host rather than one per process. The directory must
 * be an absolute path to a directory owned by the process's effective user
 * with no access for group or others (chmod 700; created so when missing):
 * otherwise MSGRAPH_ERR_CONFIG, here and on later calls. Each entry (mode
 * 0600) holds a bearer token, its scope and expiry, under a fingerprint of
 * tenant, client, scope, token endpoint and an HMAC of the secret or
 * certificate (never the secret); when several processes need a token at
 * once, one asks and the others wait for its answer (a file lock, waited
 * for within the call's deadline). msgraph_credential_clear_tokens() removes the
 * entry too.
 *
 * Plain http is accepted only for loopback hosts (the emulator): any other
 * http endpoint gives MSGRAPH_ERR_REFUSED.
 *
 * Security model: the caller is trusted with the process's environment,
 * files and network (it is the process owner), so no agent policy applies
 * here; the MSGRAPH package's msgraph_xp_credential_set() is restricted
 * by one. Files are still opened once and checked on the descriptor: the
 * "private_key_file" must be owned by the process's user with no access
 * for group or others (chmod 600) and at most 64 KiB; a certificate at
 * most 256 KiB, a "ca_file" at most 4 MiB (MSGRAPH_ERR_CONFIG otherwise).
 *
 * Replacing a credential drops the tokens cached for it. Both strings are
 * copied; the caller keeps ownership.
 *
 * Returns MSGRAPH_OK; MSGRAPH_ERR_ARGUMENT (NULL, invalid UTF-8, bad name);
 * MSGRAPH_ERR_CONFIG (invalid JSON, unknown key, which it names, missing or
 * invalid value); MSGRAPH_ERR_REFUSED (plain http to a non-loopback host).
 * Thread-safe.
 */
int32_t msgraph_credential_set(const char *name,
                               const char *config_json);

/**
 * Loads named credentials from a file: a JSON object whose keys are
 * credential names and whose values are configurations as for
 * msgraph_credential_set(), e.g.
 * {"graph": {"tenant_id": "…", "client_id": "…", "client_secret": "…"}}.
 *
 * The file must be a regular file owned by the process's user that group
 * and others cannot access (chmod 600), at most 1 MiB: otherwise
 * MSGRAPH_ERR_CONFIG. It is opened once and checked on the open
 * descriptor (fstat), so a file swapped in after the check is never the
 * one read. Every entry is validated before any is registered: on
 * failure none is.
 *
 * Returns the number of credentials loaded (>= 0), or a negative status:
 * MSGRAPH_ERR_ARGUMENT (NULL path), MSGRAPH_ERR_CONFIG (unreadable, too
 * open, invalid JSON, an invalid entry, which it names). Thread-safe.
 */
int32_t msgraph_credentials_load(const char *path);

/**
 * Removes a credential and drops its cached tokens.
 *
 * Returns MSGRAPH_OK, MSGRAPH_ERR_ARGUMENT (NULL) or MSGRAPH_ERR_NOT_FOUND.
 * Thread-safe.
 */
int32_t msgraph_credential_remove(const char *name);

/**
 * Drops the tokens cached for a credential, so the next call asks the
 * token endpoint again (APEX_CREDENTIAL.CLEAR_TOKENS).
 *
 * Returns MSGRAPH_OK, MSGRAPH_ERR_ARGUMENT (NULL) or MSGRAPH_ERR_NOT_FOUND.
 * Thread-safe.
 */
int32_t msgraph_credential_clear_tokens(const char *name);

/**
 * Starts an upload body for a request or batch larger than one RAW
 * (32767 bytes). Returns its handle (> 0) or MSGRAPH_ERR_LIMIT when 1024
 * bodies are alive. A body is consumed by the call it is given to (even a
 * failing one); free it with msgraph_xp_body_free() otherwise.
 */
int32_t msgraph_xp_body_new(void);

/**
 * Appends a chunk (any bytes; the package sends UTF-8) to an upload body.
 * A NULL chunk appends nothing. Returns the body's length so far, or
 * MSGRAPH_ERR_NOT_FOUND (unknown handle), MSGRAPH_ERR_TOO_LARGE (past
 * 256 MiB: the body is then dropped), MSGRAPH_ERR_ARGUMENT.
 */
int32_t msgraph_xp_body_append(int32_t body,
                               const uint8_t *chunk,
                               int16_t chunk_ind,
                               int32_t chunk_len);

/**
 * Frees an upload body. Handle 0 does nothing. Returns MSGRAPH_OK or
 * MSGRAPH_ERR_NOT_FOUND.
 */
int32_t msgraph_xp_body_free(int32_t body);

/**
 * Registers (or replaces) a credential: the package's create_credential.
 *
 * `name` is the full registry name, `SCHEMA/name`: the package prefixes
 * the caller's SESSION_USER, and the part before the first '/' is the
 * schema the agent policy is applied to (see "Security model" below).
 * `tenant_id`, `client_id`, `client_secret`, `scope` (NULL for the
 * default) are set on top of `options`, a JSON object of further settings
 * of msgraph_credential_set() ("authority_host", "graph_base_url",
 * "cloud", "timeout_ms", "proxy", "client_secret_env", …; NULL for none).
 *
 * Security model: unlike msgraph_credential_set() (the process owner is
 * trusted), a configuration created here comes from a database user, who
 * is not trusted with the agent's environment, files or network position.
 * Unless the agent policy (the file named by MSGRAPH_POLICY_FILE in
 * extproc.ora) grants it to the schema, it may not name
 * "client_secret_env" (schemas.S.client_secret_env), "private_key_file",
 * "certificate_file", "ca_file" (schemas.S.files, checked on the opened
 * file's real path), "proxy" (schemas.S.proxies; with a user and password
 * also schemas.S.proxy_credentials), and its endpoints ("token_url",
 * "authority_host", "graph_base_url", "cloud") must be the national
 * clouds' Microsoft hosts (https, port 443) or origins listed in
 * schemas.S.endpoints. A refusal is MSGRAPH_ERR_REFUSED naming the key and
 * the setting that would allow it; it comes before any request exists, so
 * nothing is sent. A policy file that cannot be read or parsed refuses
 * every call (MSGRAPH_ERR_CONFIG).
 *
 * Returns MSGRAPH_OK or a negative status (MSGRAPH_ERR_ARGUMENT for a name
 * without a schema); `err` receives the reason (UTF-8, NULL on success),
 * which never carries a secret.
 */
int32_t msgraph_xp_credential_set(const uint8_t *name,
                                  int16_t name_ind,
                                  int32_t name_len,
                                  const uint8_t *tenant_id,
                                  int16_t tenant_id_ind,
                                  int32_t tenant_id_len,
                                  const uint8_t *client_id,
                                  int16_t client_id_ind,
                                  int32_t client_id_len,
                                  const uint8_t *client_secret,
                                  int16_t client_secret_ind,
                                  int32_t client_secret_len,
                                  const uint8_t *scope,
                                  int16_t scope_ind,
                                  int32_t scope_len,
                                  const uint8_t *options,
                                  int16_t options_ind,
                                  int32_t options_len,
                                  uint8_t *err,
                                  int16_t *err_ind,
                                  int32_t *err_len,
                                  int32_t *err_maxlen);

/**
 * Loads a credentials file and registers, under `prefix` + its name, each
 * entry the agent policy grants to the schema: the package passes the
 * caller's namespace `SCHEMA/` (SESSION_USER), anything else is
 * MSGRAPH_ERR_ARGUMENT. `path` NULL means the file named by the
 * environment variable MSGRAPH_CREDENTIALS_FILE (set in extproc.ora).
 *
 * Security model: only the entries listed in the policy's
 * schemas.S.credentials (or "*") are validated and registered, so by
 * default nothing in the file is shared with any schema; a file with
 * entries of which none is granted is MSGRAPH_ERR_REFUSED. An explicit
 * `path` must lie inside MSGRAPH_CREDENTIALS_DIR (when unset: the
 * directory of MSGRAPH_CREDENTIALS_FILE; when both are unset explicit
 * paths are refused), checked on the opened file's real path
 * (MSGRAPH_ERR_REFUSED otherwise). The file must be owned by the agent's
 * user, not accessible to group or others (chmod 600) and at most 1 MiB
 * (MSGRAPH_ERR_CONFIG otherwise); it is opened once and checked on the
 * open descriptor. The file's entries come from the DBA, so they may use
 * the agent's variables, files and any endpoint.
 *
 * Returns the number of credentials loaded, or a negative status with the
 * reason in `err`.
 */
int32_t msgraph_xp_credentials_load(const uint8_t *path,
                                    int16_t path_ind,
                                    int32_t path_len,
                                    const uint8_t *prefix,
                                    int16_t prefix_ind,
                                    int32_t prefix_len,
                                    uint8_t *err,
                                    int16_t *err_ind,
                                    int32_t *err_len,
                                    int32_t *err_maxlen);

/**
 * Removes a credential and its cached tokens. Returns MSGRAPH_OK,
 * MSGRAPH_ERR_ARGUMENT or MSGRAPH_ERR_NOT_FOUND.
 */
int32_t msgraph_xp_credential_remove(const uint8_t *name,
                                     int16_t name_ind,
                                     int32_t name_len);

/**
 * Drops the tokens cached for a credential (APEX_CREDENTIAL.CLEAR_TOKENS).
 * Returns MSGRAPH_OK, MSGRAPH_ERR_ARGUMENT or MSGRAPH_ERR_NOT_FOUND.
 * (The name fits the 30 bytes an external NAME may have before Oracle 12.2.)
 */
int32_t msgraph_xp_clear_tokens(const uint8_t *name,
                                int16_t name_ind,
                                int32_t name_len);

/**
 * JSON-escapes UTF-8 text read in pieces (MSGRAPH.json_string: a CLOB of
 * any length as a JSON string literal, read from its UTF-8 BLOB in fixed
 * steps that may end inside a character).
 *
 * Writes into `escaped` the escaped form (`\\`, `\"`, `\n`, `\r`, `\t`,
 * `\u00XX` for other control characters; no quotes) of the longest run of
 * complete characters at the front of `text` that fits in
 * `*escaped_maxlen` bytes, and returns how many bytes of `text` that run
 * is: the caller continues from there, so a character cut by its read is
 * read again whole (characters outside the BMP are copied as UTF-8, never
 * split). Returns 0 (and NULL) for a NULL or empty `text`; negative:
 * MSGRAPH_ERR_ARGUMENT (not UTF-8, or `text` holds only the start of a
 * character), MSGRAPH_ERR_TOO_LARGE (`escaped` cannot hold the first
 * escaped character; 6 bytes always suffice).
 */
int32_t msgraph_xp_json_escape(const uint8_t *text,
                               int16_t text_ind,
                               int32_t text_len,
                               uint8_t *escaped,
                               int16_t *escaped_ind,
                               int32_t *escaped_len,
                               int32_t *escaped_maxlen);

/**
 * One Graph request (make_rest_request and the helpers).
 *
 * - `credential`, `method`, `url`: UTF-8 text, required.
 * - the body: `body_handle` > 0 sends that upload body (consumed);
 *   otherwise `body` (NULL for none) is sent.
 * - `options`: the options JSON of msgraph_request() or NULL.
 * - `headers`: request headers as "Name: value" lines (the package's
 *   g_request_headers) or NULL; the options' own "headers" win.
 * - `all_pages` != 0 follows @odata.nextLink; `max_items` > 0 caps it.
 *
 * Returns a result handle (> 0) for every outcome, failures of the
 * arguments included (a result with a negative status and an error
 * document); a negative status only when no result can be stored
 * (MSGRAPH_ERR_LIMIT, MSGRAPH_ERR_INTERNAL).
 */
int32_t msgraph_xp_request(const uint8_t *credential,
                           int16_t credential_ind,
                           int32_t credential_len,
                           const uint8_t *method,
                           int16_t method_ind,
                           int32_t method_len,
                           const uint8_t *url,
                           int16_t url_ind,
                           int32_t url_len,
                           const uint8_t *body,
                           int16_t body_ind,
                           int32_t body_len,
                           int32_t body_handle,
                           const uint8_t *options,
                           int16_t options_ind,
                           int32_t options_len,
                           const uint8_t *headers,
                           int16_t headers_ind,
                           int32_t headers_len,
                           int32_t all_pages,
                           int32_t max_items);

/**
 * Requests through Graph's $batch (see msgraph_batch()). The requests JSON
 * is `requests_handle` (an upload body, consumed) when > 0, else
 * `requests`. Returns a result handle as msgraph_xp_request().
 */
int32_t msgraph_xp_batch(const uint8_t *credential,
                         int16_t credential_ind,
                         int32_t credential_len,
                         const uint8_t *requests,
                         int16_t requests_ind,
                         int32_t requests_len,
                         int32_t requests_handle,
                         const uint8_t *options,
                         int16_t options_ind,
                         int32_t options_len,
                         const uint8_t *headers,
                         int16_t headers_ind,
                         int32_t headers_len);

/**
 * The credential's token facts and claims (see msgraph_token_info()).
 * Returns a result handle as msgraph_xp_request().
 */
int32_t msgraph_xp_token_info(const uint8_t *credential,
                              int16_t credential_ind,
                              int32_t credential_len,
                              const uint8_t *options,
                              int16_t options_ind,
                              int32_t options_len);

/**
 * Everything the package sets after a call, in one round trip:
 * `*status` (HTTP status or negative library status), `*length` (body
 * bytes; MSGRAPH_ERR_TOO_LARGE if past 2 GiB), `*ora_error` (the ORA-20xxx
 * number to raise, positive, or 0 for a success: the table of
 * sql/README.md), `reason` (reason phrase, or the status name),
 * `request_id` (Graph's request-id header, else client-request-id),
 * `message` (one line with the service's code, message and ids; NULL for
 * a success).
 *
 * Returns MSGRAPH_OK, or MSGRAPH_ERR_NOT_FOUND for an unknown handle (the
 * OUT values are then 0 and NULL).
 */
int32_t msgraph_xp_result_info(int32_t result,
                               int32_t *status,
                               int32_t *length,
                               int32_t *ora_error,
                               uint8_t *reason,
                               int16_t *reason_ind,
                               int32_t *reason_len,
                               int32_t *reason_maxlen,
                               uint8_t *request_id,
                               int16_t *request_id_ind,
                               int32_t *request_id_len,
                               int32_t *request_id_maxlen,
                               uint8_t *message,
                               int16_t *message_ind,
                               int32_t *message_len,
                               int32_t *message_maxlen);

/**
 * Copies body bytes from `offset` into `buf` (at most `*buf_maxlen`),
 * never splitting a UTF-8 character of a UTF-8 body. Returns the number
 * copied (0 only at the end: `buf` is then NULL) or a negative status:
 * MSGRAPH_ERR_NOT_FOUND, MSGRAPH_ERR_ARGUMENT (negative offset, offset
 * past the end or inside a character, NULL buffer or maxlen < 1 before
 * the end), MSGRAPH_ERR_TOO_LARGE (the buffer cannot hold the next
 * character; 4 bytes always suffice).
 */
int32_t msgraph_xp_result_read(int32_t result,
                               int32_t offset,
                               uint8_t *buf,
                               int16_t *buf_ind,
                               int32_t *buf_len,
                               int32_t *buf_maxlen);

/**
 * The response headers as "name: value" lines (names in lower case, one
 * per line, "\n"-terminated), read like the body: from byte `offset`, at
 * most `*buf_maxlen` bytes, never splitting a character. Returns the
 * number of bytes copied (0 only at the end) or a negative status, as
 * msgraph_xp_result_read() (MSGRAPH_ERR_TOO_LARGE: buffer too small for
 * the next character; MSGRAPH_ERR_ARGUMENT: maxlen < 1 before the end).
 */
int32_t msgraph_xp_result_headers_read(int32_t result,
                                       int32_t offset,
                                       uint8_t *buf,
                                       int16_t *buf_ind,
                                       int32_t *buf_len,
                                       int32_t *buf_maxlen);

/**
 * Checks or rewrites a UTF-8 result body for a database character set.
 *
 * `mode` 0 (check): returns 0 when every character of the body is
 * representable in `charset` (an Oracle name such as WE8MSWIN1252), else
 * the 1-based byte offset of the first that is not.
 * `mode` 1 (escape, for JSON bodies): returns the handle of a new result
 * (same status and headers) whose body has every unrepresentable
 * character written as a JSON \uXXXX escape (surrogate pairs above
 * U+FFFF), which is the same JSON; the original result stays alive.
 *
 * Negative: MSGRAPH_ERR_NOT_FOUND (handle), MSGRAPH_ERR_ARGUMENT (a
 * character set this library does not know: the package then converts and
 * compares in PL/SQL; a body that is not UTF-8; unknown mode).
 */
int32_t msgraph_xp_result_recode(int32_t result,
                                 const uint8_t *charset,
                                 int16_t charset_ind,
                                 int32_t charset_len,
                                 int32_t mode);

/**
 * The ORA-20xxx number (positive) and a message for a negative status
 * returned by a call that has no result (body, credential calls): the
 * message is the status name and description. Returns 0 (and NULL) for a
 * status >= 0.
 */
int32_t msgraph_xp_status_error(int32_t status,
                                uint8_t *message,
                                int16_t *message_ind,
                                int32_t *message_len,
                                int32_t *message_maxlen);

/**
 * The library's version ("0.1.0") into `buf`. Returns MSGRAPH_OK.
 */
int32_t msgraph_xp_version(uint8_t *buf,
                           int16_t *buf_ind,
                           int32_t *buf_len,
                           int32_t *buf_maxlen);

/**
 * Runs one call of a delta round (msgraph_sync_round()) for the agent.
 *
 * - `credential`: the registry name, `SCHEMA/name` (the package prefixes
 *   SESSION_USER as MSGRAPH does).
 * - `collections` (RAW, UTF-8) or, when larger than one RAW,
 *   `collections_handle` (> 0: an upload body of msgraph_xp_body_new(),
 *   consumed by the call, even a failing one): the collections JSON of
 *   msgraph_sync_round(). The same text must be passed to every call of a
 *   round.
 * - `options` (RAW, NULL for none): msgraph_sync_round()'s options JSON.
 * - `previous` (> 0): the result handle of this round's previous call;
 *   its "cursor" goes on (the package then need not carry the cursor
 *   through the database). The options may then not name "cursor" too.
 *   0: a round starts (or the options carry the cursor).
 *
 * Returns a result handle (read with msgraph_xp_result_info() and
 * msgraph_xp_result_read()) whose body, on success (status 200), is
 * msgraph_sync_round()'s change set with four members added to every
 * collection: "n_upserts" and "n_removals" (the lengths of its arrays),
 * "ora_error" (0, or for a "failed" collection the ORA-20xxx number,
 * positive, of sql/README.md's table, decided by the library from the
 * collection's status and Graph's error: 20011 for a second resync
 * signal, 20007 for throttling, 20016 for a last page without a
 * deltaLink, …) and "message" (null, or one line with the service's code,
 * message and request-id). A failure of the whole call (bad arguments, an
 * unknown credential, a token that cannot be had) is a result too, whose
 * msgraph_xp_result_info() gives the ORA number and message; a negative
 * return is only MSGRAPH_ERR_LIMIT (no result could be kept; nothing was
 * sent) or MSGRAPH_ERR_INTERNAL.
 */
int32_t msgraph_xp_sync_round(const uint8_t *credential,
                              int16_t credential_ind,
                              int32_t credential_len,
                              const uint8_t *collections,
                              int16_t collections_ind,
                              int32_t collections_len,
                              int32_t collections_handle,
                              const uint8_t *options,
                              int16_t options_ind,
                              int32_t options_len,
                              int32_t previous);

/**
 * The library's version, e.g. "0.1.0".
 *
 * Returns a static, NUL-terminated string: never free it. Thread-safe.
 */
const char *msgraph_version(void);

/**
 * The name of a status code, e.g. "MSGRAPH_ERR_AUTH" for -4;
 * "MSGRAPH_UNKNOWN_STATUS" for a code the library does not define (HTTP
 * statuses included).
 *
 * Returns a static, NUL-terminated string, never NULL: never free it.
 * Thread-safe.
 */
const char *msgraph_status_name(int32_t status);

/**
 * A short English description of a status code, e.g. "timed out".
 *
 * Returns a static, NUL-terminated string, never NULL: never free it.
 * Thread-safe.
 */
const char *msgraph_status_message(int32_t status);

/**
 * This thread's last failure, as "MSGRAPH_ERR_NAME: message", followed
 * for a token endpoint refusal by "[AADSTSn error]", the hint and the ids
 * support needs ("(trace_id=…, correlation_id=…)"): the same line
 * msgraph_xp_result_info() gives the MSGRAPH package. "" if this thread
 * has had none. Every function that returns a negative status sets
 * it, and so do msgraph_request(), msgraph_batch() and msgraph_token_info()
 * when the result they return holds a library failure. Successful calls do
 * not clear it.
 *
 * The string belongs to the library and to this thread: it stays valid
 * until this thread's next failing call or its exit. Copy it if you need it
 * longer; never free it. Never NULL. It never contains a secret or a token.
 */
const char *msgraph_last_error(void);

/**
 * How many results are live (created and not yet freed) in this process.
 * Useful to find leaks: it should return to its earlier value after the
 * results a piece of code made are freed. Thread-safe.
 */
int32_t msgraph_results_live(void);

/**
 * Sets the cap on live results (default 4096; 1 to 1,000,000). Calls that
 * would make a result beyond the cap return MSGRAPH_ERR_LIMIT.
 *
 * Returns MSGRAPH_OK, or MSGRAPH_ERR_ARGUMENT for a value out of range.
 * Thread-safe; applies to the whole process.
 */
int32_t msgraph_set_max_results(int32_t max_results);

/**
 * The final HTTP status (100..599) of the exchange, or the negative
 * MSGRAPH_ERR_* status of a library failure (whose body is then
 * {"error":{"code":"MSGRAPH_ERR_…","message":…}}).
 *
 * Returns MSGRAPH_ERR_NOT_FOUND for an unknown or freed handle.
 */
int32_t msgraph_result_status(msgraph_result result);

/**
 * The body's length in bytes (0 for 202 and 204 answers), or
 * MSGRAPH_ERR_NOT_FOUND for an unknown or freed handle.
 */
int64_t msgraph_result_length(msgraph_result result);

/**
 * The body: Graph's answer exactly as received, followed by a NUL byte (not
 * counted in msgraph_result_length()). A body may itself hold NUL bytes;
 * use the length, or msgraph_result_read(), for such bodies.
 *
 * The pointer is owned by the result and valid until msgraph_result_free()
 * of it; never free it. Returns NULL for an unknown or freed handle.
 */
const char *msgraph_result_body(msgraph_result result);

/**
 * Copies up to `buf_len` bytes of the body, starting at byte `offset`, into
 * `buf`. Never splits a UTF-8 character of a UTF-8 body: it copies fewer
 * bytes instead (a buffer of 4 bytes or more always makes progress). Does
 * not NUL-terminate.
 *
 * Returns the number of bytes copied (0 at the end of the body), or a
 * negative status: MSGRAPH_ERR_NOT_FOUND (unknown handle),
 * MSGRAPH_ERR_ARGUMENT (NULL buf with buf_len > 0, negative offset or
 * buf_len, offset past the end or inside a character, buffer too small for
 * the next character).
 */
int64_t msgraph_result_read(msgraph_result result,
                            int64_t offset,
                            char *buf,
                            int64_t buf_len);

/**
 * The first value of a response header, by case-insensitive name
 * ("request-id", "client-request-id", "retry-after", "content-type", the
 * library's "x-msgraph-retries" …).
 *
 * The string is owned by the result and valid until msgraph_result_free()
 * of it; never free it. Returns NULL if the header is absent, the handle
 * unknown or the name NULL.
 */
const char *msgraph_result_header(msgraph_result result,
                                  const char *name);

/**
 * All response headers as a JSON object, names in lower case, repeated
 * headers joined by ", ".
 *
 * The string is owned by the result and valid until msgraph_result_free()
 * of it; never free it. Returns NULL for an unknown handle.
 */
const char *msgraph_result_headers(msgraph_result result);

/**
 * The value at a JSON Pointer (RFC 6901) in a JSON body: a string value
 * as its text (unquoted), any other value (number, true/false/null, object,
 * array) as compact JSON. "" is the whole document; "/value/0/displayName"
 * the first item's name; "/claims/roles" a token's roles. Lets C programs
 * pick fields without a JSON library. No tree of the body is built: the
 * containers on the path are split into their children's positions, and
 * large ones keep that split with the result, so looping over
 * "/value/{i}/…" stays cheap and a big result costs little more than its
 * own size.
 *
 * The string is owned by the result and valid until msgraph_result_free()
 * of it; never free it. Looking up the same pointer again returns the same
 * string (memory grows with the distinct pointers, not the look-ups).
 * Returns NULL (and sets msgraph_last_error()) if the
 * handle is unknown, the pointer NULL or malformed, the body not JSON, or
 * nothing is at the pointer.
 */
const char *msgraph_result_json(msgraph_result result,
                                const char *pointer);

/**
 * The number of elements of the array (or members of the object) at a JSON
 * Pointer in a JSON body, e.g. msgraph_result_json_count(r, "/value") for
 * the items of a page. 0 for a scalar.
 *
 * Returns the count (>= 0), or a negative status: MSGRAPH_ERR_NOT_FOUND
 * (unknown handle, nothing at the pointer), MSGRAPH_ERR_ARGUMENT (NULL or
 * malformed pointer, body not JSON).
 */
int64_t msgraph_result_json_count(msgraph_result result,
                                  const char *pointer);

/**
 * Frees a result and everything it handed out. Freeing handle 0 does
 * nothing and returns MSGRAPH_OK (like free(NULL)); freeing an unknown or
 * already freed handle returns MSGRAPH_ERR_NOT_FOUND and changes nothing.
 * A freed handle stays invalid for at least 8.4 million further results
 * (a handle is a slot index and its generation: see the header's top).
 */
int32_t msgraph_result_free(msgraph_result result);

/**
 * Runs (one call of) a delta round over many Outlook collections.
 *
 * - `credential`: a registered credential's name.
 * - `collections_json`: a JSON array of {"mailbox" (user id or UPN),
 *   "kind" ("events", "contacts" or "tasks"), "list_id" (To Do list id,
 *   for tasks), "delta_link" (the stored deltaLink, or null/absent for a
 *   full first round)}. Events are synced through calendarView/delta over
 *   the window events_start..events_end.
 * - `options_json`: NULL or {"cursor" (the previous call's cursor, to go
 *   on with a round that did not fit one call; pass the same
 *   collections_json), "max_items" (most items one call returns, 1 to
 *   1000000, default 5000), "page_size" (Prefer odata.maxpagesize, 1 to
 *   1000, default 100), "concurrency" ($batch calls in flight, 1 to 16,
 *   default 4), "events_start", "events_end" (ISO 8601, default
 *   2000-01-01T00:00:00Z and 2100-01-01T00:00:00Z), "timeout_ms",
 *   "max_retries", "retry_budget_ms", "headers"}. Unknown keys are
 *   refused.
 *
 * The delta requests of up to 20 collections go in each $batch; nextLinks
 * follow in the next batches; items answered 429 are sent again after
 * their Retry-After; never more than four Outlook requests of one mailbox
 * are in flight. A collection whose token is refused (410,
 * syncStateNotFound, resyncRequired) starts again from scratch in the same
 * round and comes back with "resync": true: the caller then drops what it
 * stored of that collection before applying the upserts.
 *
 * The result's body (status 200) is {"complete" (true when no collection
 * is left open), "cursor" (null, or the opaque value to pass back),
 * "collections": [{"index" (position in collections_json), "mailbox",
 * "kind", "list_id", "state" ("done": delta_link is the new link; "more":
 * continues in the cursor; "failed": see "error", keep the old link),
 * "resync", "pages", "upserts" ([items as Graph sent them]), "removals"
 * ([ids of @removed items]), "delta_link", "error"?}], "summary": {"items",
 * "requests", "batches", "page_rounds", "retries", "open"}}. Only
 * collections this call touched are listed. Store a delta_link only after
 * the collection's changes are committed.
 *
 * Returns a result handle (> 0), or a negative status for unusable
 * arguments: MSGRAPH_ERR_ARGUMENT, MSGRAPH_ERR_NOT_FOUND (unknown
 * credential), MSGRAPH_ERR_LIMIT. Blocks the calling thread. Thread-safe.
 */
msgraph_result msgraph_sync_round(const char *credential,
                                  const char *collections_json,
                                  const char *options_json);

#ifdef __cplusplus
}  // extern "C"
#endif  // __cplusplus

#endif  /* MSGRAPH_H */


