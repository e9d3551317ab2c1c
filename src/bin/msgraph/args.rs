//! Argument parsing: a command, positional arguments, options with values
//! (`--opt value` or `--opt=value`, some repeatable) and switches,
//! recognised anywhere on the line; `--` ends the options. clap splits the
//! line; which options apply to which command is [`spec`]'s, so that the
//! CLI's own help text, usage errors (exit code 1) and "does not apply"
//! messages stay as documented.

use clap::error::{ContextKind, ContextValue, ErrorKind};
use clap::{Arg, ArgAction, ArgMatches};
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

/// Options some command takes, with a value (see [`spec`]).
const COMMAND_VALUES: &[&str] = &["max-items", "header", "columns", "body", "link", "state", "call", "user", "expiring-within"];
/// Switches some command takes (see [`spec`]).
const COMMAND_SWITCHES: &[&str] = &["show-token", "refresh", "all", "hide-expired"];

/// The command line as clap reads it: every option of every command, and
/// the words (command and positional arguments) in between. clap's own
/// help and version flags are off: `-h`/`--help` and `-V`/`--version` are
/// switches that main answers with the CLI's help text.
fn clap_command() -> clap::Command {
    let mut c = clap::Command::new("msgraph")
        .no_binary_name(true)
        .disable_help_flag(true)
        .disable_version_flag(true)
        .arg(Arg::new("words").num_args(0..).action(ArgAction::Append))
        .arg(Arg::new("help").short('h').long("help").action(ArgAction::Count))
        .arg(Arg::new("version").short('V').long("version").action(ArgAction::Count));
    for v in GLOBAL_VALUES.iter().chain(COMMAND_VALUES) {
        c = c.arg(Arg::new(*v).long(*v).num_args(1).action(ArgAction::Append).allow_hyphen_values(true));
    }
    for s in GLOBAL_SWITCHES.iter().chain(COMMAND_SWITCHES).filter(|s| **s != "help") {
        c = c.arg(Arg::new(*s).long(*s).action(ArgAction::Count));
    }
    c
}

/// A usage error's text from clap's error, in the CLI's words.
fn usage_error(e: &clap::Error) -> String {
    let arg = match e.get(ContextKind::InvalidArg) {
        Some(ContextValue::String(a)) => a.split_whitespace().next().unwrap_or("").to_string(),
        _ => String::new(),
    };
    let name = arg.trim_start_matches('-').split(['=', ' ', '.']).next().unwrap_or("").to_string();
    match e.kind() {
        ErrorKind::UnknownArgument => format!("unknown option '{arg}'"),
        ErrorKind::InvalidValue | ErrorKind::WrongNumberOfValues | ErrorKind::NoEquals if !name.is_empty() => {
            format!("option --{name} needs a value")
        }
        ErrorKind::TooManyValues if !name.is_empty() => {
            format!("option --{name} takes no value")
        }
        _ => e.to_string().lines().next().unwrap_or("invalid arguments").trim_start_matches("error: ").to_string(),
    }
}

impl Args {
    /// Parses `argv` without the program name. Errors are usage errors.
    pub fn parse(argv: Vec<String>) -> Result<Args, String> {
        let m: ArgMatches = clap_command().try_get_matches_from(argv).map_err(|e| usage_error(&e))?;
        let mut out = Args::default();
        let mut words = m.get_many::<String>("words").into_iter().flatten().cloned();
        out.command = words.next();
        out.positional = words.collect();
        let command = out.command.clone().unwrap_or_else(|| "help".into());
        let spec = spec(&command);
        if m.get_count("version") > 0 {
            out.switches.push("version".into());
        }
        let given = |key: &str| m.value_source(key) == Some(clap::parser::ValueSource::CommandLine);
        let keys = GLOBAL_VALUES.iter().chain(COMMAND_VALUES).chain(GLOBAL_SWITCHES).chain(COMMAND_SWITCHES);
        for key in keys.filter(|k| given(k)) {
            let global = GLOBAL_VALUES.contains(key) || GLOBAL_SWITCHES.contains(key);
            let own = spec.as_ref().map(|s| s.values.contains(key) || s.switches.contains(key)).unwrap_or(false);
            if !global && !own && spec.is_some() {
                return Err(format!("option --{key} does not apply to '{command}'"));
            }
            if GLOBAL_VALUES.contains(key) || COMMAND_VALUES.contains(key) {
                let values = m.get_many::<String>(key).into_iter().flatten().cloned();
                out.values.entry(key.to_string()).or_default().extend(values);
            } else {
                out.switches.push(key.to_string());
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
        assert_eq!(p(&["get", "--all=yes"]).unwrap_err(), "option --all takes no value");
        assert_eq!(p(&["get", "--name"]).unwrap_err(), "option --name needs a value");
        let a = p(&["request", "POST", "/x", "--header", "A: 1", "--header=B: 2", "--", "--not-an-option"]).unwrap();
        assert_eq!(a.values("header"), ["A: 1", "B: 2"]);
        assert_eq!(a.positional, vec!["POST", "/x", "--not-an-option"]);
        let a = p(&["-h", "get", "-V", "--json", "--json"]).unwrap();
        assert!(a.switch("help") && a.switch("version") && a.switch("json"));
        assert_eq!(p(&["get", "--bogus"]).unwrap_err(), "unknown option '--bogus'");
        assert_eq!(p(&["get", "--user", "x"]).unwrap_err(), "option --user does not apply to 'get'");
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration_secs("10d"), Ok(864_000));
        assert_eq!(parse_duration_secs("10"), Ok(864_000));
        assert_eq!(parse_duration_secs("2w"), Ok(1_209_600));
        assert!(parse_duration_secs("soon").is_err());
    }
}
