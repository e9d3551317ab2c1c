//! Hand-written argument parsing: a command, positional arguments, options
//! with values (`--opt value` or `--opt=value`, some repeatable) and
//! switches, recognised anywhere on the line; `--` ends the options.

use std::collections::HashMap;

/// Options every command accepts, with a value.
pub const GLOBAL_VALUES: &[&str] = &[
    "credentials",
    "name",
    "tenant",
    "client-id",
    "client-secret-env",
    "graph-base-url",
    "authority-host",
    "ca-file",
];
/// Switches every command accepts.
pub const GLOBAL_SWITCHES: &[&str] = &["json", "no-progress", "help"];

/// The parsed command line.
#[derive(Debug, Default)]
pub struct Args {
    pub command: Option<String>,
    pub positional: Vec<String>,
    values: HashMap<String, Vec<String>>,
    switches: Vec<String>,
}

/// What a command accepts besides the global options.
pub struct Spec {
    pub values: &'static [&'static str],
    pub switches: &'static [&'static str],
}

/// The options each command accepts.
pub fn spec(command: &str) -> Option<Spec> {
    let s = |values, switches| Some(Spec { values, switches });
    match command {
        "token" => s(&[], &["show-token", "refresh"]),
        "get" => s(&["max-items", "header", "columns"], &["all"]),
        "request" => s(&["body", "header"], &[]),
        "batch" => s(&[], &[]),
        "delta" => s(&["link", "state", "header", "columns"], &[]),
        "check" => s(&["call"], &[]),
        "test-access" => s(&["user"], &[]),
        "secrets" => s(&["expiring-within"], &["hide-expired"]),
        "help" | "version" => s(&[], &[]),
        _ => None,
    }
}

impl Args {
    /// Parses `argv` without the program name. Errors are usage errors.
    pub fn parse(argv: Vec<String>) -> Result<Args, String> {
        let mut out = Args::default();
        // The command is the first argument that is not an option (or its value).
        let mut raw: Vec<String> = Vec::new();
        let mut iter = argv.into_iter();
        let mut options_done = false;
        let mut pending: Vec<(String, Option<String>)> = Vec::new();
        while let Some(a) = iter.next() {
            if options_done || a == "-" || !a.starts_with('-') {
                raw.push(a);
                continue;
            }
            if a == "--" {
                options_done = true;
                continue;
            }
            if a == "-h" {
                pending.push(("help".into(), None));
                continue;
            }
            if a == "-V" || a == "--version" {
                pending.push(("version".into(), None));
                continue;
            }
            let Some(body) = a.strip_prefix("--") else {
                return Err(format!("unknown option '{a}'"));
            };
            let (key, inline) = match body.split_once('=') {
                Some((k, v)) => (k.to_string(), Some(v.to_string())),
                None => (body.to_string(), None),
            };
            if takes_value(&key) {
                let v = match inline {
                    Some(v) => v,
                    None => iter.next().ok_or_else(|| format!("option --{key} needs a value"))?,
                };
                pending.push((key, Some(v)));
            } else if is_switch(&key) {
                if inline.is_some() {
                    return Err(format!("option --{key} takes no value"));
                }
                pending.push((key, None));
            } else {
                return Err(format!("unknown option '--{key}'"));
            }
        }
        let mut raw = raw.into_iter();
        out.command = raw.next();
        out.positional = raw.collect();
        let command = out.command.clone().unwrap_or_else(|| "help".into());
        let spec = spec(&command);
        for (key, value) in pending {
            if key == "version" {
                out.switches.push(key);
                continue;
            }
            let global = GLOBAL_VALUES.contains(&key.as_str()) || GLOBAL_SWITCHES.contains(&key.as_str());
            let own = spec
                .as_ref()
                .map(|s| s.values.contains(&key.as_str()) || s.switches.contains(&key.as_str()))
                .unwrap_or(false);
            if !global && !own && spec.is_some() {
                return Err(format!("option --{key} does not apply to '{command}'"));
            }
            match value {
                Some(v) => out.values.entry(key).or_default().push(v),
                None => out.switches.push(key),
            }
        }
        Ok(out)
    }

    /// The last value of an option.
    pub fn value(&self, key: &str) -> Option<&str> {
        self.values.get(key).and_then(|v| v.last()).map(String::as_str)
    }

    /// Every value of a repeatable option.
    pub fn values(&self, key: &str) -> &[String] {
        self.values.get(key).map(Vec::as_slice).unwrap_or(&[])
    }

    /// Whether a switch was given.
    pub fn switch(&self, key: &str) -> bool {
        self.switches.iter().any(|s| s == key)
    }
}

fn takes_value(key: &str) -> bool {
    GLOBAL_VALUES.contains(&key)
        || ["max-items", "header", "columns", "body", "link", "state", "call", "user", "expiring-within"].contains(&key)
}

fn is_switch(key: &str) -> bool {
    GLOBAL_SWITCHES.contains(&key) || ["show-token", "refresh", "all", "hide-expired"].contains(&key)
}

/// A duration for --expiring-within: "10d", "36h", "2w", "90m", or plain days.
pub fn parse_duration_secs(text: &str) -> Result<i64, String> {
    let t = text.trim();
    let (num, unit) = match t.char_indices().find(|(_, c)| !c.is_ascii_digit()) {
        Some((i, _)) => (&t[..i], &t[i..]),
        None => (t, "d"),
    };
    let n: i64 = num.parse().map_err(|_| format!("'{text}' is not a duration (like 10d, 36h, 2w)"))?;
    let mult = match unit {
        "d" | "day" | "days" => 86_400,
        "h" | "hour" | "hours" => 3_600,
        "m" | "min" | "minutes" => 60,
        "w" | "week" | "weeks" => 7 * 86_400,
        _ => return Err(format!("'{text}' is not a duration (like 10d, 36h, 2w)")),
    };
    n.checked_mul(mult).ok_or_else(|| format!("'{text}' is too long"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(v: &[&str]) -> Result<Args, String> {
        Args::parse(v.iter().map(|s| s.to_string()).collect())
    }

    #[test]
    fn options_anywhere() {
        let a = p(&["--json", "get", "/users", "--all", "--max-items=5", "--name", "x"]).unwrap();
        assert_eq!(a.command.as_deref(), Some("get"));
        assert_eq!(a.positional, vec!["/users"]);
        assert!(a.switch("json") && a.switch("all"));
        assert_eq!(a.value("max-items"), Some("5"));
        assert_eq!(a.value("name"), Some("x"));
        assert!(p(&["get", "--user", "x"]).is_err());
        assert!(p(&["get", "--bogus"]).is_err());
        assert!(p(&["get", "--name"]).is_err());
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration_secs("10d"), Ok(864_000));
        assert_eq!(parse_duration_secs("10"), Ok(864_000));
        assert_eq!(parse_duration_secs("2w"), Ok(1_209_600));
        assert!(parse_duration_secs("soon").is_err());
    }
}
