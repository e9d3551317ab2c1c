//! Per-call options (`options_json`) of requests, batches and token_info.
//! Unknown keys are refused, so a typo never silently does nothing.

use crate::config::{integer_value, CredentialConfig};
use crate::error::{Error, Result};
use serde_json::{Map, Value};
use std::time::Duration;

/// Options of `msgraph_request` and `msgraph_batch`.
#[derive(Clone, Debug)]
pub struct CallOptions {
    /// Extra request headers (names in lower case).
    pub headers: Vec<(String, String)>,
    /// Budget of one HTTP attempt.
    pub timeout: Duration,
    /// Retries of 429/503/504 and of transport failures on idempotent methods.
    pub max_retries: u32,
    /// Total time the call may spend waiting between retries.
    pub retry_budget: Duration,
    /// Follow `@odata.nextLink` and merge the pages.
    pub all_pages: bool,
    /// With `all_pages`: stop after this many items.
    pub max_items: Option<u64>,
    /// `$batch` calls in flight at once (batch only).
    pub concurrency: u32,
}

/// Options of `msgraph_token_info`.
#[derive(Clone, Debug, Default)]
pub struct TokenInfoOptions {
    /// Return the raw access token too.
    pub include_token: bool,
    /// Drop the cached token and ask the token endpoint for a new one.
    pub force_refresh: bool,
}

/// The keys `msgraph_request` accepts in its options.
pub const REQUEST_KEYS: &[&str] = &["headers", "timeout_ms", "max_retries", "retry_budget_ms", "all_pages", "max_items"];
/// The keys `msgraph_batch` accepts in its options.
pub const BATCH_KEYS: &[&str] = &["headers", "timeout_ms", "max_retries", "retry_budget_ms", "concurrency"];
/// The keys `msgraph_token_info` accepts in its options.
pub const TOKEN_INFO_KEYS: &[&str] = &["include_token", "force_refresh"];

/// Headers the library owns and a caller may not set.
const RESERVED_HEADERS: &[&str] = &["authorization", "host", "content-length", "transfer-encoding", "connection"];

pub(crate) fn parse_object(text: Option<&str>) -> Result<Map<String, Value>> {
    match text.map(str::trim) {
        None | Some("") => Ok(Map::new()),
        Some(t) => match serde_json::from_str::<Value>(t) {
            Ok(Value::Object(m)) => Ok(m),
            Ok(Value::Null) => Ok(Map::new()),
            Ok(_) => Err(Error::argument("options must be a JSON object")),
            Err(e) => Err(Error::argument(format!("options are not valid JSON: {e}"))),
        },
    }
}

fn check_keys(m: &Map<String, Value>, allowed: &[&str]) -> Result<()> {
    match m.keys().find(|k| !allowed.contains(&k.as_str())) {
        Some(k) => Err(Error::argument(format!("unknown option '{k}' (known options: {})", allowed.join(", ")))),
        None => Ok(()),
    }
}

fn bool_value(m: &Map<String, Value>, key: &str) -> Result<bool> {
    match m.get(key) {
        None | Some(Value::Null) => Ok(false),
        Some(Value::Bool(b)) => Ok(*b),
        Some(Value::String(s)) if s.eq_ignore_ascii_case("true") => Ok(true),
        Some(Value::String(s)) if s.eq_ignore_ascii_case("false") => Ok(false),
        Some(_) => Err(Error::argument(format!("option '{key}' must be true or false"))),
    }
}

fn number(m: &Map<String, Value>, key: &str, min: u64, max: u64) -> Result<Option<u64>> {
    integer_value(m, key, min, max).map_err(|e| Error::argument(format!("option {}", e.message)))
}

/// Checks one header name and value.
pub fn check_header(name: &str, value: &str) -> Result<(String, String)> {
    let valid_name = !name.is_empty()
        && name.bytes().all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b));
    if !valid_name {
        return Err(Error::argument(format!("'{}' is not a valid header name", name.escape_default())));
    }
    let lower = name.to_ascii_lowercase();
    if RESERVED_HEADERS.contains(&lower.as_str()) {
        return Err(Error::argument(format!("header '{name}' is set by the library and cannot be given")));
    }
    // Any control character but tab would fail every attempt at the wire.
    if value.chars().any(|c| c.is_control() && c != '\t') {
        return Err(Error::argument(format!("header '{name}' has a control character in its value")));
    }
    Ok((lower, value.to_string()))
}

/// Parses a `headers` object.
pub fn parse_headers(v: Option<&Value>) -> Result<Vec<(String, String)>> {
    let mut out = Vec::new();
    match v {
        None | Some(Value::Null) => {}
        Some(Value::Object(h)) => {
            for (k, v) in h {
                let value = match v {
                    Value::String(s) => s.clone(),
                    Value::Number(n) => n.to_string(),
                    Value::Bool(b) => b.to_string(),
                    _ => return Err(Error::argument(format!("header '{k}' must have a string value"))),
                };
                out.push(check_header(k, &value)?);
            }
        }
        Some(_) => return Err(Error::argument("option 'headers' must be a JSON object")),
    }
    Ok(out)
}

impl CallOptions {
    /// Parses options for a call made with `cfg`.
    pub fn parse(text: Option<&str>, cfg: &CredentialConfig, batch: bool) -> Result<CallOptions> {
        let m = parse_object(text)?;
        check_keys(&m, if batch { BATCH_KEYS } else { REQUEST_KEYS })?;
        let max_items = number(&m, "max_items", 1, u64::MAX >> 1)?;
        let all_pages = bool_value(&m, "all_pages")?;
        if max_items.is_some() && !all_pages {
            return Err(Error::argument("option 'max_items' needs 'all_pages': true"));
        }
        Ok(CallOptions {
            headers: parse_headers(m.get("headers"))?,
            timeout: number(&m, "timeout_ms", 1, 3_600_000)?.map_or(cfg.timeout, Duration::from_millis),
            max_retries: number(&m, "max_retries", 0, 10)?.map_or(cfg.max_retries, |n| n as u32),
            retry_budget: number(&m, "retry_budget_ms", 0, 3_600_000)?
                .map_or(cfg.retry_budget, Duration::from_millis),
            all_pages,
            max_items,
            concurrency: number(&m, "concurrency", 1, 16)?.unwrap_or(1) as u32,
        })
    }
}

impl TokenInfoOptions {
    /// Parses token_info options.
    pub fn parse(text: Option<&str>) -> Result<TokenInfoOptions> {
        let m = parse_object(text)?;
        check_keys(&m, TOKEN_INFO_KEYS)?;
        Ok(TokenInfoOptions {
            include_token: bool_value(&m, "include_token")?,
            force_refresh: bool_value(&m, "force_refresh")?,
        })
    }
}

/// The options JSON of an MSGRAPH package call: the caller's `options`
/// with the package's extras merged in. `headers` are "Name: value" lines
/// (g_request_headers), which yield to headers the options give;
/// `all_pages` != 0 sets "all_pages", and then `max_items` > 0 sets
/// "max_items". Without extras the options are passed on untouched.
pub fn with_package_extras(options: Option<&str>, headers: Option<&str>, all_pages: i32, max_items: i32) -> Result<Option<String>> {
    let no_extras = headers.is_none_or(|h| h.trim().is_empty()) && all_pages == 0 && max_items <= 0;
    if no_extras {
        return Ok(options.map(str::to_string));
    }
    let mut doc = parse_object(options)?;
    if let Some(lines) = headers {
        let entry = doc.entry("headers").or_insert_with(|| Value::Object(Default::default()));
        let obj = entry.as_object_mut().ok_or_else(|| Error::argument("option 'headers' must be a JSON object"))?;
        for line in lines.lines().filter(|l| !l.trim().is_empty()) {
            let (name, value) = line
                .split_once(':')
                .ok_or_else(|| Error::argument(format!("request header line '{}' has no ':'", line.escape_default())))?;
            let name = name.trim();
            // Headers given in the options JSON win over g_request_headers.
            if !obj.keys().any(|k| k.eq_ignore_ascii_case(name)) {
                obj.insert(name.to_string(), value.trim().into());
            }
        }
    }
    if all_pages != 0 {
        doc.insert("all_pages".into(), true.into());
        if max_items > 0 {
            doc.insert("max_items".into(), max_items.into());
        }
    }
    Ok(Some(Value::Object(doc).to_string()))
}

/// The credential configuration document of the package's create_credential:
/// `options` (a JSON object of further settings, or none) with the non-empty
/// named settings set on top.
pub fn package_credential(
    tenant_id: Option<&str>,
    client_id: Option<&str>,
    client_secret: Option<&str>,
    scope: Option<&str>,
    options: Option<&str>,
) -> Result<Value> {
    let mut doc = match options.map(str::trim).filter(|t| !t.is_empty()) {
        None => Map::new(),
        Some(t) => match serde_json::from_str::<Value>(t) {
            Ok(Value::Object(m)) => m,
            _ => return Err(Error::config("p_options must be a JSON object of credential settings")),
        },
    };
    for (key, value) in [("tenant_id", tenant_id), ("client_id", client_id), ("client_secret", client_secret), ("scope", scope)] {
        if let Some(v) = value.filter(|v| !v.is_empty()) {
            doc.insert(key.into(), v.into());
        }
    }
    Ok(Value::Object(doc))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::status::*;

    fn cfg() -> CredentialConfig {
        CredentialConfig::from_json_text(r#"{"tenant_id":"t","client_id":"c","client_secret":"s"}"#).unwrap()
    }

    #[test]
    fn defaults_come_from_the_credential() {
        let o = CallOptions::parse(None, &cfg(), false).unwrap();
        assert_eq!(o.max_retries, 3);
        assert!(!o.all_pages);
        let o = CallOptions::parse(Some(r#"{"all_pages":true,"max_items":"5","headers":{"ConsistencyLevel":"eventual"}}"#), &cfg(), false).unwrap();
        assert_eq!(o.max_items, Some(5));
        assert_eq!(o.headers, vec![("consistencylevel".to_string(), "eventual".to_string())]);
    }

    #[test]
    fn refusals() {
        for bad in [
            r#"{"all_page":true}"#,
            r#"[1]"#,
            r#"{"headers":{"Authorization":"Bearer x"}}"#,
            r#"{"headers":{"X-A":"a\r\nb"}}"#,
            r#"{"headers":{"bad name":"a"}}"#,
            r#"{"max_items":3}"#,
            r#"{"timeout_ms":0}"#,
            r#"{"all_pages":1}"#,
            "{",
        ] {
            let e = CallOptions::parse(Some(bad), &cfg(), false).unwrap_err();
            assert_eq!(e.status, MSGRAPH_ERR_ARGUMENT, "{bad}");
        }
    }
}
