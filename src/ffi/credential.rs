//! Credentials: the Web Credential analog.

use super::*;
use crate::api;

/// Registers (or replaces) the credential `name` from a JSON configuration.
///
/// `config_json` keys: "tenant_id", "client_id", "client_secret" or
/// "client_secret_env" (the name of an environment variable holding the
/// secret) or, for a certificate credential, "certificate_file" and
/// "private_key_file" (PEM; unencrypted PKCS#8 or PKCS#1 RSA key, 2048 to 8192 bits) with
/// "assertion_alg" ("PS256", the default, or "RS256"), "scope" (default "https://graph.microsoft.com/.default"),
/// "cloud" ("global", "usgov", "usgov-dod", "china": sets the authority
/// host, Graph host and scope), "authority_host" (default
/// "https://login.microsoftonline.com"), "graph_base_url" (default
/// "https://graph.microsoft.com/v1.0"), "token_url" (overrides
/// authority_host + tenant), "timeout_ms" (per attempt, default 30000),
/// "connect_timeout_ms" (default 10000), "max_retries" (default 3, at most
/// 10), "retry_budget_ms" (total waiting between retries, default 180000),
/// "max_response_bytes" (default 268435456), "ca_file" (extra trusted CA
/// certificates, PEM), "proxy" (http or https URL; SOCKS is refused),
/// "mailbox_concurrency" (requests to one Outlook mailbox in flight at once
/// from this process, 1 to 64, default 4: Exchange Online allows four per
/// app and mailbox; more wait their turn in the library), "token_cache_dir"
/// (shared token cache, see below). Numbers may be
/// given as JSON numbers or digit strings.
///
/// Shared token cache: with "token_cache_dir" (or, when the key is absent,
/// the environment variable MSGRAPH_TOKEN_CACHE_DIR, e.g. set in
/// extproc.ora; "" switches it off) the processes of one user on a host
/// share tokens through files in that directory, so a credential costs one
/// token request per host rather than one per process. The directory must
/// be an absolute path to a directory owned by the process's effective user
/// with no access for group or others (chmod 700; created so when missing):
/// otherwise MSGRAPH_ERR_CONFIG, here and on later calls. Each entry (mode
/// 0600) holds a bearer token, its scope and expiry, under a fingerprint of
/// tenant, client, scope, token endpoint and an HMAC of the secret or
/// certificate (never the secret); when several processes need a token at
/// once, one asks and the others wait for its answer (a file lock, waited
/// for within the call's deadline). msgraph_credential_clear_tokens() removes the
/// entry too.
///
/// Plain http is accepted only for loopback hosts (the emulator): any other
/// http endpoint gives MSGRAPH_ERR_REFUSED.
///
/// Security model: the caller is trusted with the process's environment,
/// files and network (it is the process owner), so no agent policy applies
/// here; the MSGRAPH package's msgraph_xp_credential_set() is restricted
/// by one. Files are still opened once and checked on the descriptor: the
/// "private_key_file" must be owned by the process's user with no access
/// for group or others (chmod 600) and at most 64 KiB; a certificate at
/// most 256 KiB, a "ca_file" at most 4 MiB (MSGRAPH_ERR_CONFIG otherwise).
///
/// Replacing a credential drops the tokens cached for it. Both strings are
/// copied; the caller keeps ownership.
///
/// Returns MSGRAPH_OK; MSGRAPH_ERR_ARGUMENT (NULL, invalid UTF-8, bad name);
/// MSGRAPH_ERR_CONFIG (invalid JSON, unknown key, which it names, missing or
/// invalid value); MSGRAPH_ERR_REFUSED (plain http to a non-loopback host).
/// Thread-safe.
#[no_mangle]
pub extern "C" fn msgraph_credential_set(name: *const c_char, config_json: *const c_char) -> i32 {
    ffi_fn!({
        let name = str_arg(name, "name")?;
        let config = str_arg(config_json, "config_json")?;
        api::credential_set(name, config).map(|_| MSGRAPH_OK)
    })
}

/// Loads named credentials from a file: a JSON object whose keys are
/// credential names and whose values are configurations as for
/// msgraph_credential_set(), e.g.
/// {"graph": {"tenant_id": "…", "client_id": "…", "client_secret": "…"}}.
///
/// The file must be a regular file owned by the process's user that group
/// and others cannot access (chmod 600), at most 1 MiB: otherwise
/// MSGRAPH_ERR_CONFIG. It is opened once and checked on the open
/// descriptor (fstat), so a file swapped in after the check is never the
/// one read. Every entry is validated before any is registered: on
/// failure none is.
///
/// Returns the number of credentials loaded (>= 0), or a negative status:
/// MSGRAPH_ERR_ARGUMENT (NULL path), MSGRAPH_ERR_CONFIG (unreadable, too
/// open, invalid JSON, an invalid entry, which it names). Thread-safe.
#[no_mangle]
pub extern "C" fn msgraph_credentials_load(path: *const c_char) -> i32 {
    ffi_fn!({
        let path = str_arg(path, "path")?;
        api::credentials_load(path).map(|n| n.min(i32::MAX as usize) as i32)
    })
}

/// Removes a credential and drops its cached tokens.
///
/// Returns MSGRAPH_OK, MSGRAPH_ERR_ARGUMENT (NULL) or MSGRAPH_ERR_NOT_FOUND.
/// Thread-safe.
#[no_mangle]
pub extern "C" fn msgraph_credential_remove(name: *const c_char) -> i32 {
    ffi_fn!({ api::credential_remove(str_arg(name, "name")?).map(|_| MSGRAPH_OK) })
}

/// Drops the tokens cached for a credential, so the next call asks the
/// token endpoint again (APEX_CREDENTIAL.CLEAR_TOKENS).
///
/// Returns MSGRAPH_OK, MSGRAPH_ERR_ARGUMENT (NULL) or MSGRAPH_ERR_NOT_FOUND.
/// Thread-safe.
#[no_mangle]
pub extern "C" fn msgraph_credential_clear_tokens(name: *const c_char) -> i32 {
    ffi_fn!({ api::credential_clear_tokens(str_arg(name, "name")?).map(|_| MSGRAPH_OK) })
}
