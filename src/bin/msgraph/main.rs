//! msgraph: the command-line companion of libmsgraph, for the DBA on the
//! database server. A thin client of the library's public API
//! (`msgraph::api`): the same credentials file, token cache rules, retries
//! and security checks as the Oracle agent's calls. See `msgraph help`.

mod args;
mod check;
mod commands;
mod creds;
mod out;
mod paging;
mod secrets;

use args::Args;
use msgraph::response::Response;
use msgraph::status::*;
use serde_json::Value;
use std::io::{IsTerminal, Write};

pub const EXIT_OK: i32 = 0;
pub const EXIT_USAGE: i32 = 1;
pub const EXIT_HTTP: i32 = 2;
pub const EXIT_AUTH: i32 = 3;
pub const EXIT_CONFIG: i32 = 4;
pub const EXIT_TRANSPORT: i32 = 5;
pub const EXIT_THROTTLED: i32 = 6;
pub const EXIT_RESYNC: i32 = 7;
pub const EXIT_DENIED: i32 = 8;
pub const EXIT_INTERNAL: i32 = 9;

const HELP: &str = "\
msgraph: Microsoft Graph from the command line, through libmsgraph

usage: msgraph COMMAND [ARGS] [OPTIONS]

commands:
  token [--show-token] [--refresh]
        acquire (or reuse) a token and show its claims, roles and expiry;
        the raw token only with --show-token
  get URL [--all] [--max-items N] [--header K:V]... [--columns a,b,c]
        GET a Graph URL (relative: /users?$top=5, or absolute on the Graph
        host); --all follows @odata.nextLink page by page
  request METHOD URL [--body FILE|-] [--header K:V]...
        any method (GET POST PUT PATCH DELETE); the body from a file or stdin
  batch FILE|-
        send a JSON array (or {\"requests\":[...]}) of requests through
        $batch, 20 at a time; shows each response's status
  delta URL | --link DELTALINK | --state FILE [URL]
        follow a delta query to its @odata.deltaLink; print the changes and
        the new deltaLink (--state FILE reads the stored link from FILE and
        writes the new one back)
  check [--call URL]
        verify a credential end to end: token, roles, and the Graph call it
        is meant for (default GET /users?$top=1), with a verdict and a fix
  test-access --user UPN
        can this app read UPN's mailbox? (Test-ApplicationAccessPolicy):
        reads mailboxSettings and the calendar; Granted or Denied and why
  secrets [--expiring-within 10d] [--hide-expired]
        client secrets and certificates of every app registration, soonest
        end date first, with days left; expired ones marked
  help [COMMAND], version

credential (the same file the library and the Oracle agent read):
  --credentials FILE   default $MSGRAPH_CREDENTIALS, $MSGRAPH_CREDENTIALS_FILE,
                       then ./credentials.json (must be chmod 600)
  --name NAME          default $MSGRAPH_CREDENTIAL, the file's only entry,
                       or \"default\"
  or without a file:
  --tenant ID --client-id ID [--client-secret-env VAR]
                       (or $MSGRAPH_TENANT_ID, $MSGRAPH_CLIENT_ID); the secret
                       VALUE is read from $VAR (default MSGRAPH_CLIENT_SECRET),
                       never from the command line
  --graph-base-url URL, --authority-host URL, --ca-file PEM
                       (also $MSGRAPH_GRAPH_BASE_URL, $MSGRAPH_AUTHORITY_HOST,
                       $MSGRAPH_CA_FILE without a file; flags override a
                       file entry's keys)

output:
  tables by default; --json prints the JSON (Graph's body, merged pages,
  or the command's report) on stdout for scripts; errors go to stderr (with
  --json the error body also goes to stdout). A progress line (page N, M
  items) is drawn on stderr while paging when stderr is a terminal;
  --no-progress turns it off.

exit codes:
  0  success (check: OK; test-access: Granted)
  1  usage error (unknown command or option, bad argument)
  2  Graph answered with an HTTP error (4xx/5xx), or a batch item failed
  3  authentication failed (the token endpoint refused: AADSTS..., or Graph
     rejected the token with 401)
  4  configuration or refusal (credentials file missing, too open or
     invalid; unknown credential; URL off the Graph host; too large)
  5  transport failure or timeout (DNS, connect, TLS, retry budget)
  6  throttled (429) after the library's retries
  7  delta: the stored link is no longer valid; full resync required
  8  access denied by an application access policy (test-access Denied,
     check on a mailbox the policy excludes)
  9  internal error (a bug in libmsgraph)
";

fn command_help(cmd: &str) -> String {
    let mut out = String::new();
    let mut on = false;
    for line in HELP.lines() {
        if line.starts_with("  ") && !line.starts_with("   ") {
            on = line.trim_start().starts_with(cmd)
                && line.trim_start()[cmd.len()..].chars().next().is_none_or(|c| c == ' ');
        } else if !line.starts_with("   ") {
            on = false;
        }
        if on {
            out.push_str(line);
            out.push('\n');
        }
    }
    if out.is_empty() {
        HELP.to_string()
    } else {
        format!("usage:\n{out}\nglobal options, output and exit codes: msgraph help\n")
    }
}

/// What every command needs.
pub struct Ctx {
    /// The registered credential's name.
    pub cred: String,
    /// Where it came from ("from ./credentials.json").
    pub source: String,
    /// --json.
    pub json: bool,
    /// Draw the paging progress line.
    pub progress: bool,
}

/// The exit code for a result's status (HTTP or MSGRAPH_ERR_*).
pub fn exit_for_status(status: i32) -> i32 {
    match status {
        100..=399 | MSGRAPH_OK => EXIT_OK,
        401 => EXIT_AUTH,
        429 => EXIT_THROTTLED,
        400..=599 => EXIT_HTTP,
        MSGRAPH_ERR_ARGUMENT => EXIT_USAGE,
        MSGRAPH_ERR_AUTH => EXIT_AUTH,
        MSGRAPH_ERR_TRANSPORT | MSGRAPH_ERR_TIMEOUT => EXIT_TRANSPORT,
        MSGRAPH_ERR_THROTTLED => EXIT_THROTTLED,
        MSGRAPH_ERR_RESYNC => EXIT_RESYNC,
        MSGRAPH_ERR_INTERNAL => EXIT_INTERNAL,
        MSGRAPH_ERR_NOT_FOUND | MSGRAPH_ERR_CONFIG | MSGRAPH_ERR_REFUSED | MSGRAPH_ERR_TOO_LARGE | MSGRAPH_ERR_LIMIT => {
            EXIT_CONFIG
        }
        _ => EXIT_INTERNAL,
    }
}

/// "1 item", "3 items".
pub fn plural(n: usize, what: &str) -> String {
    if n == 1 {
        format!("1 {what}")
    } else {
        format!("{n} {what}s")
    }
}

/// A response body as JSON (Null when it is not JSON).
pub fn body_json(r: &Response) -> Value {
    serde_json::from_slice(&r.body).unwrap_or(Value::Null)
}

/// One line describing a failed result: "HTTP 403 ErrorAccessDenied: …" or
/// "MSGRAPH_ERR_AUTH: …" (the library's outcome summary, without ids).
pub fn describe(r: &Response) -> String {
    let summary = msgraph::outcome::Outcome::of_response(r).summary;
    summary.unwrap_or_else(|| format!("HTTP {}", r.status))
}

/// Prints a failed result (stderr; with --json its body on stdout too) and
/// returns its exit code.
pub fn report(ctx: &Ctx, what: &str, r: &Response) -> i32 {
    if ctx.json {
        print_bytes(&r.body);
    }
    eprintln!("msgraph: {what}: {}", describe(r));
    let doc = body_json(r);
    if let Some(id) = doc["error"]["innerError"]["request-id"].as_str() {
        eprintln!("  request-id {id}");
    }
    exit_for_status(r.status)
}

/// Prints a refused call (nothing was sent) and returns its exit code.
pub fn report_error(what: &str, e: &msgraph::error::Error) -> i32 {
    eprintln!("msgraph: {what}: {e}");
    exit_for_status(e.status)
}

/// Writes bytes and a newline to stdout.
pub fn print_bytes(b: &[u8]) {
    let mut o = std::io::stdout().lock();
    let _ = o.write_all(b);
    if !b.ends_with(b"\n") {
        let _ = o.write_all(b"\n");
    }
}

/// Prints a JSON value (compact for --json, as Graph sends it).
pub fn print_json(v: &Value) {
    print_bytes(v.to_string().as_bytes());
}

fn usage_error(msg: &str) -> i32 {
    eprintln!("msgraph: {msg}\n(see: msgraph help)");
    EXIT_USAGE
}

fn run() -> i32 {
    let args = match Args::parse(std::env::args().skip(1).collect()) {
        Ok(a) => a,
        Err(e) => return usage_error(&e),
    };
    if args.switch("version") || args.command.as_deref() == Some("version") {
        println!("msgraph {} (libmsgraph {})", env!("CARGO_PKG_VERSION"), env!("CARGO_PKG_VERSION"));
        return EXIT_OK;
    }
    let command = match args.command.as_deref() {
        None => {
            print!("{HELP}");
            return EXIT_OK;
        }
        Some("help") => {
            match args.positional.first() {
                Some(c) => print!("{}", command_help(c)),
                None => print!("{HELP}"),
            }
            return EXIT_OK;
        }
        Some(c) => c.to_string(),
    };
    if args::spec(&command).is_none() {
        return usage_error(&format!("unknown command '{command}'"));
    }
    if args.switch("help") {
        print!("{}", command_help(&command));
        return EXIT_OK;
    }
    let (min, max) = match command.as_str() {
        "get" | "batch" => (1, 1),
        "request" => (2, 2),
        "delta" | "test-access" => (0, 1),
        _ => (0, 0),
    };
    let n = args.positional.len();
    if n < min || n > max {
        let what = if n < min { "too few arguments" } else { "too many arguments" };
        eprint!("msgraph: {command}: {what}\n{}", command_help(&command));
        return EXIT_USAGE;
    }
    let (cred, source) = match creds::setup(&args) {
        Ok(c) => c,
        Err(p) => {
            eprintln!("msgraph: {}", p.message);
            return p.exit;
        }
    };
    let ctx = Ctx {
        cred,
        source,
        json: args.switch("json"),
        progress: !args.switch("no-progress") && std::io::stderr().is_terminal(),
    };
    match command.as_str() {
        "token" => commands::token(&ctx, &args),
        "get" => commands::get(&ctx, &args),
        "request" => commands::request(&ctx, &args),
        "batch" => commands::batch(&ctx, &args),
        "delta" => commands::delta(&ctx, &args),
        "check" => check::check(&ctx, &args),
        "test-access" => check::test_access(&ctx, &args),
        "secrets" => secrets::secrets(&ctx, &args),
        _ => usage_error(&format!("unknown command '{command}'")),
    }
}

fn main() {
    // `msgraph get /users --all | head` ends quietly, like other Unix tools,
    // instead of panicking on the closed pipe.
    // SAFETY: resetting a signal disposition to the default before any
    // thread is started.
    #[allow(unsafe_code)]
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
    // Any panic is a bug: it ends with the documented exit code 9, never 101.
    std::panic::set_hook(Box::new(|info| {
        let at = info.location().map(|l| format!(" at {}:{}", l.file(), l.line())).unwrap_or_default();
        eprintln!("msgraph: internal error (a bug in msgraph{at}); please report it");
    }));
    let code = std::panic::catch_unwind(run).unwrap_or(EXIT_INTERNAL);
    let _ = std::io::stdout().flush();
    std::process::exit(code);
}
