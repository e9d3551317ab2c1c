//! Which credential the command uses: a named entry of the credentials file
//! the library reads, or one built from flags and environment variables.

use crate::args::Args;
use crate::{EXIT_CONFIG, EXIT_USAGE};
use serde_json::{json, Map, Value};

/// A reason the credential could not be set up, with its exit code.
pub struct Problem {
    pub exit: i32,
    pub message: String,
}

fn problem(exit: i32, message: impl Into<String>) -> Problem {
    Problem { exit, message: message.into() }
}

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

/// Registers the credential the command line asks for; returns its name
/// and where it came from.
pub fn setup(args: &Args) -> Result<(String, String), Problem> {
    let file_chosen = args.value("credentials").is_some();
    let flag_mode = args.value("tenant").is_some() || args.value("client-id").is_some();
    let env_mode = !file_chosen
        && env("MSGRAPH_CREDENTIALS").is_none()
        && env("MSGRAPH_TENANT_ID").is_some()
        && env("MSGRAPH_CLIENT_ID").is_some();
    if flag_mode && file_chosen {
        return Err(problem(EXIT_USAGE, "give either --credentials FILE or --tenant/--client-id, not both"));
    }
    if flag_mode || env_mode {
        from_flags(args)
    } else {
        from_file(args)
    }
}

/// Settings that may be given on the command line on top of a file entry.
fn overrides(args: &Args, cfg: &mut Map<String, Value>) {
    for (flag, key) in [
        ("graph-base-url", "graph_base_url"),
        ("authority-host", "authority_host"),
        ("ca-file", "ca_file"),
        ("client-secret-env", "client_secret_env"),
    ] {
        if let Some(v) = args.value(flag) {
            if key == "client_secret_env" {
                cfg.remove("client_secret");
            }
            cfg.insert(key.into(), json!(v));
        }
    }
}

fn from_flags(args: &Args) -> Result<(String, String), Problem> {
    let pick = |flag: &str, var: &str| args.value(flag).map(str::to_string).or_else(|| env(var));
    let tenant = pick("tenant", "MSGRAPH_TENANT_ID")
        .ok_or_else(|| problem(EXIT_USAGE, "--tenant (or MSGRAPH_TENANT_ID) is required with --client-id"))?;
    let client = pick("client-id", "MSGRAPH_CLIENT_ID")
        .ok_or_else(|| problem(EXIT_USAGE, "--client-id (or MSGRAPH_CLIENT_ID) is required with --tenant"))?;
    let secret_env = pick("client-secret-env", "MSGRAPH_CLIENT_SECRET_ENV").unwrap_or_else(|| "MSGRAPH_CLIENT_SECRET".into());
    if std::env::var_os(&secret_env).is_none() {
        return Err(problem(
            EXIT_CONFIG,
            format!("the environment variable {secret_env} (named by --client-secret-env) is not set: export the client secret's VALUE in it"),
        ));
    }
    let mut cfg = Map::new();
    cfg.insert("tenant_id".into(), json!(tenant));
    cfg.insert("client_id".into(), json!(client));
    cfg.insert("client_secret_env".into(), json!(secret_env));
    for (flag, var, key) in [
        ("graph-base-url", "MSGRAPH_GRAPH_BASE_URL", "graph_base_url"),
        ("authority-host", "MSGRAPH_AUTHORITY_HOST", "authority_host"),
        ("ca-file", "MSGRAPH_CA_FILE", "ca_file"),
    ] {
        if let Some(v) = pick(flag, var) {
            cfg.insert(key.into(), json!(v));
        }
    }
    let name = pick("name", "MSGRAPH_CREDENTIAL").unwrap_or_else(|| "cli".into());
    register(&name, &Value::Object(cfg))?;
    Ok((name, format!("from flags and environment, secret in ${secret_env}")))
}

fn register(name: &str, cfg: &Value) -> Result<(), Problem> {
    msgraph::credential_set(name, &cfg.to_string())
        .map_err(|e| problem(crate::exit_for_status(e.status), format!("credential '{name}': {}", e.message)))
}

/// The credentials file: --credentials, $MSGRAPH_CREDENTIALS,
/// $MSGRAPH_CREDENTIALS_FILE (the agent's), or ./credentials.json.
pub fn file_path(args: &Args) -> String {
    args.value("credentials")
        .map(str::to_string)
        .or_else(|| env("MSGRAPH_CREDENTIALS"))
        .or_else(|| env("MSGRAPH_CREDENTIALS_FILE"))
        .unwrap_or_else(|| "credentials.json".into())
}

fn from_file(args: &Args) -> Result<(String, String), Problem> {
    let path = file_path(args);
    if !std::path::Path::new(&path).exists() {
        return Err(problem(
            EXIT_CONFIG,
            format!(
                "no credentials file {path}: give --credentials FILE (or set MSGRAPH_CREDENTIALS), or --tenant, --client-id and --client-secret-env"
            ),
        ));
    }
    // The library checks the file (mode 600, every entry valid) and loads it.
    msgraph::credentials_load(&path).map_err(|e| problem(crate::exit_for_status(e.status), e.message))?;
    let text = std::fs::read_to_string(&path).map_err(|e| problem(EXIT_CONFIG, format!("{path}: {e}")))?;
    let doc: Value = serde_json::from_str(&text).map_err(|e| problem(EXIT_CONFIG, format!("{path}: {e}")))?;
    let entries = doc.as_object().cloned().unwrap_or_default();
    let names: Vec<&String> = entries.keys().collect();
    let list = names.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(", ");
    let wanted = args.value("name").map(str::to_string).or_else(|| env("MSGRAPH_CREDENTIAL"));
    let name = match wanted {
        Some(n) => n,
        None if names.len() == 1 => names[0].clone(),
        None if entries.contains_key("default") => "default".into(),
        None => {
            return Err(problem(
                EXIT_USAGE,
                format!("{path} holds {} credentials ({list}): choose one with --name", names.len()),
            ))
        }
    };
    let Some(entry) = entries.get(&name) else {
        return Err(problem(EXIT_CONFIG, format!("no credential '{name}' in {path} (it holds: {list})")));
    };
    let mut cfg = entry.as_object().cloned().unwrap_or_default();
    let before = cfg.clone();
    overrides(args, &mut cfg);
    let mut source = format!("from {path}");
    if cfg != before {
        register(&name, &Value::Object(cfg))?;
        source.push_str(" with command-line overrides");
    }
    Ok((name, source))
}
