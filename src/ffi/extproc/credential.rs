//! Credentials registered by the MSGRAPH package.

use super::args::*;
use crate::api;
use crate::ffi::*;


/// Registers (or replaces) a credential: the package's create_credential.
///
/// `name` is the full registry name, `SCHEMA/name`: the package prefixes
/// the caller's SESSION_USER, and the part before the first '/' is the
/// schema the agent policy is applied to (see "Security model" below).
/// `tenant_id`, `client_id`, `client_secret`, `scope` (NULL for the
/// default) are set on top of `options`, a JSON object of further settings
/// of msgraph_credential_set() ("authority_host", "graph_base_url",
/// "cloud", "timeout_ms", "proxy", "client_secret_env", …; NULL for none).
///
/// Security model: unlike msgraph_credential_set() (the process owner is
/// trusted), a configuration created here comes from a database user, who
/// is not trusted with the agent's environment, files or network position.
/// Unless the agent policy (the file named by MSGRAPH_POLICY_FILE in
/// extproc.ora) grants it to the schema, it may not name
/// "client_secret_env" (schemas.S.client_secret_env), "private_key_file",
/// "certificate_file", "ca_file" (schemas.S.files, checked on the opened
/// file's real path), "proxy" (schemas.S.proxies; with a user and password
/// also schemas.S.proxy_credentials), and its endpoints ("token_url",
/// "authority_host", "graph_base_url", "cloud") must be the national
/// clouds' Microsoft hosts (https, port 443) or origins listed in
/// schemas.S.endpoints. A refusal is MSGRAPH_ERR_REFUSED naming the key and
/// the setting that would allow it; it comes before any request exists, so
/// nothing is sent. A policy file that cannot be read or parsed refuses
/// every call (MSGRAPH_ERR_CONFIG).
///
/// Returns MSGRAPH_OK or a negative status (MSGRAPH_ERR_ARGUMENT for a name
/// without a schema); `err` receives the reason (UTF-8, NULL on success),
/// which never carries a secret.
#[no_mangle]
#[allow(clippy::too_many_arguments)]
pub extern "C" fn msgraph_xp_credential_set(
    name: *const u8,
    name_ind: i16,
    name_len: i32,
    tenant_id: *const u8,
    tenant_id_ind: i16,
    tenant_id_len: i32,
    client_id: *const u8,
    client_id_ind: i16,
    client_id_len: i32,
    client_secret: *const u8,
    client_secret_ind: i16,
    client_secret_len: i32,
    scope: *const u8,
    scope_ind: i16,
    scope_len: i32,
    options: *const u8,
    options_ind: i16,
    options_len: i32,
    err: *mut u8,
    err_ind: *mut i16,
    err_len: *mut i32,
    err_maxlen: *mut i32,
) -> i32 {
    ffi_fn!({
        let out = OutRaw::new(err, err_ind, err_len, err_maxlen);
        out.error_of((|| {
            let name = required_text(name, name_ind, name_len, "credential name")?;
            crate::credentials::check_name(name)?;
            let (schema, _) = crate::policy::split_name(name)?;
            let policy = crate::policy::Policy::load()?;
            let doc = crate::options::package_credential(
                text_arg(tenant_id, tenant_id_ind, tenant_id_len, "tenant_id")?,
                text_arg(client_id, client_id_ind, client_id_len, "client_id")?,
                text_arg(client_secret, client_secret_ind, client_secret_len, "client_secret")?,
                text_arg(scope, scope_ind, scope_len, "scope")?,
                text_arg(options, options_ind, options_len, "options")?,
            )?;
            let cfg = crate::policy::config_for_schema(&policy, schema, &doc)?;
            crate::credentials::set(name, cfg).map(|_| MSGRAPH_OK)
        })())
    })
}

/// Loads a credentials file and registers, under `prefix` + its name, each
/// entry the agent policy grants to the schema: the package passes the
/// caller's namespace `SCHEMA/` (SESSION_USER), anything else is
/// MSGRAPH_ERR_ARGUMENT. `path` NULL means the file named by the
/// environment variable MSGRAPH_CREDENTIALS_FILE (set in extproc.ora).
///
/// Security model: only the entries listed in the policy's
/// schemas.S.credentials (or "*") are validated and registered, so by
/// default nothing in the file is shared with any schema; a file with
/// entries of which none is granted is MSGRAPH_ERR_REFUSED. An explicit
/// `path` must lie inside MSGRAPH_CREDENTIALS_DIR (when unset: the
/// directory of MSGRAPH_CREDENTIALS_FILE; when both are unset explicit
/// paths are refused), checked on the opened file's real path
/// (MSGRAPH_ERR_REFUSED otherwise). The file must be owned by the agent's
/// user, not accessible to group or others (chmod 600) and at most 1 MiB
/// (MSGRAPH_ERR_CONFIG otherwise); it is opened once and checked on the
/// open descriptor. The file's entries come from the DBA, so they may use
/// the agent's variables, files and any endpoint.
///
/// Returns the number of credentials loaded, or a negative status with the
/// reason in `err`.
#[no_mangle]
#[allow(clippy::too_many_arguments)]
pub extern "C" fn msgraph_xp_credentials_load(
    path: *const u8,
    path_ind: i16,
    path_len: i32,
    prefix: *const u8,
    prefix_ind: i16,
    prefix_len: i32,
    err: *mut u8,
    err_ind: *mut i16,
    err_len: *mut i32,
    err_maxlen: *mut i32,
) -> i32 {
    ffi_fn!({
        let out = OutRaw::new(err, err_ind, err_len, err_maxlen);
        out.error_of((|| {
            let prefix = text_arg(prefix, prefix_ind, prefix_len, "prefix")?.unwrap_or("");
            let path = text_arg(path, path_ind, path_len, "path")?;
            let n = crate::policy::load_for_schema(prefix, path)?;
            Ok::<i32, Error>(n.min(i32::MAX as usize) as i32)
        })())
    })
}

/// Removes a credential and its cached tokens. Returns MSGRAPH_OK,
/// MSGRAPH_ERR_ARGUMENT or MSGRAPH_ERR_NOT_FOUND.
#[no_mangle]
pub extern "C" fn msgraph_xp_credential_remove(name: *const u8, name_ind: i16, name_len: i32) -> i32 {
    ffi_fn!({
        let name = required_text(name, name_ind, name_len, "credential name")?;
        api::credential_remove(name).map(|_| MSGRAPH_OK)
    })
}

/// Drops the tokens cached for a credential (APEX_CREDENTIAL.CLEAR_TOKENS).
/// Returns MSGRAPH_OK, MSGRAPH_ERR_ARGUMENT or MSGRAPH_ERR_NOT_FOUND.
/// (The name fits the 30 bytes an external NAME may have before Oracle 12.2.)
#[no_mangle]
pub extern "C" fn msgraph_xp_clear_tokens(name: *const u8, name_ind: i16, name_len: i32) -> i32 {
    ffi_fn!({
        let name = required_text(name, name_ind, name_len, "credential name")?;
        api::credential_clear_tokens(name).map(|_| MSGRAPH_OK)
    })
}
