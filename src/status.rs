//! Stable status codes of the C contract and their static names.
//!
//! These numbers are part of the ABI: they are only ever appended to, never
//! renumbered, removed or reused.

/// Success.
pub const MSGRAPH_OK: i32 = 0;
/// An argument is unusable: NULL where a value is required, invalid UTF-8,
/// malformed JSON or URL, an unknown option.
pub const MSGRAPH_ERR_ARGUMENT: i32 = -1;
/// Unknown credential name or result handle.
pub const MSGRAPH_ERR_NOT_FOUND: i32 = -2;
/// Bad credential configuration, unknown configuration key, unreadable or
/// too-open credentials file.
pub const MSGRAPH_ERR_CONFIG: i32 = -3;
/// The token endpoint refused to issue a token.
pub const MSGRAPH_ERR_AUTH: i32 = -4;
/// The connection failed: DNS, connect, TLS, reset, malformed response.
pub const MSGRAPH_ERR_TRANSPORT: i32 = -5;
/// A connect or request timeout, or the retry budget ran out.
pub const MSGRAPH_ERR_TIMEOUT: i32 = -6;
/// Still throttled when the retries ran out, where no HTTP response can be
/// returned as the result (for example in the middle of paging).
pub const MSGRAPH_ERR_THROTTLED: i32 = -7;
/// Security refusal: the bearer token would go to a host other than the
/// credential's Graph host, or plain http to a host that is not loopback.
pub const MSGRAPH_ERR_REFUSED: i32 = -8;
/// A body or a result is larger than the configured limit.
pub const MSGRAPH_ERR_TOO_LARGE: i32 = -9;
/// Too many live results: free some with msgraph_result_free().
pub const MSGRAPH_ERR_LIMIT: i32 = -10;
/// A delta token is no longer valid (410 Gone, syncStateNotFound,
/// resyncRequired): start a full resync from the original delta URL.
pub const MSGRAPH_ERR_RESYNC: i32 = -11;
/// A caught panic: a bug in the library. The call had no effect that can be
/// relied on; the process is intact.
pub const MSGRAPH_ERR_INTERNAL: i32 = -99;

/// Every library status with its static name and one-line description.
const STATUS_TABLE: &[(i32, &str, &str)] = &[
    (MSGRAPH_OK, "MSGRAPH_OK\0", "success\0"),
    (MSGRAPH_ERR_ARGUMENT, "MSGRAPH_ERR_ARGUMENT\0", "invalid argument\0"),
    (MSGRAPH_ERR_NOT_FOUND, "MSGRAPH_ERR_NOT_FOUND\0", "unknown credential or result handle\0"),
    (MSGRAPH_ERR_CONFIG, "MSGRAPH_ERR_CONFIG\0", "invalid credential configuration\0"),
    (MSGRAPH_ERR_AUTH, "MSGRAPH_ERR_AUTH\0", "the token endpoint refused the credential\0"),
    (MSGRAPH_ERR_TRANSPORT, "MSGRAPH_ERR_TRANSPORT\0", "network or protocol failure\0"),
    (MSGRAPH_ERR_TIMEOUT, "MSGRAPH_ERR_TIMEOUT\0", "timed out\0"),
    (MSGRAPH_ERR_THROTTLED, "MSGRAPH_ERR_THROTTLED\0", "still throttled after the retries ran out\0"),
    (MSGRAPH_ERR_REFUSED, "MSGRAPH_ERR_REFUSED\0", "refused for security\0"),
    (MSGRAPH_ERR_TOO_LARGE, "MSGRAPH_ERR_TOO_LARGE\0", "too large\0"),
    (MSGRAPH_ERR_LIMIT, "MSGRAPH_ERR_LIMIT\0", "too many live results\0"),
    (MSGRAPH_ERR_RESYNC, "MSGRAPH_ERR_RESYNC\0", "delta token expired: full resync required\0"),
    (MSGRAPH_ERR_INTERNAL, "MSGRAPH_ERR_INTERNAL\0", "internal error (a bug)\0"),
];

const UNKNOWN_NAME: &str = "MSGRAPH_UNKNOWN_STATUS\0";
const UNKNOWN_MESSAGE: &str = "unknown status\0";

fn entry(status: i32) -> Option<&'static (i32, &'static str, &'static str)> {
    STATUS_TABLE.iter().find(|(code, _, _)| *code == status)
}

/// The static, NUL-terminated name of a status ("MSGRAPH_ERR_AUTH").
pub fn name_nul(status: i32) -> &'static str {
    entry(status).map_or(UNKNOWN_NAME, |e| e.1)
}

/// The static, NUL-terminated description of a status.
pub fn message_nul(status: i32) -> &'static str {
    entry(status).map_or(UNKNOWN_MESSAGE, |e| e.2)
}

/// The name of a status without its NUL terminator.
pub fn name(status: i32) -> &'static str {
    let n = name_nul(status);
    &n[..n.len() - 1]
}

/// True for the codes the library itself defines.
pub fn is_known(status: i32) -> bool {
    entry(status).is_some()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_name_is_nul_terminated_and_unique() {
        let mut seen = std::collections::HashSet::new();
        for (code, n, m) in STATUS_TABLE {
            assert!(n.ends_with('\0') && m.ends_with('\0'));
            assert!(seen.insert(*code));
            assert_eq!(name(*code), &n[..n.len() - 1]);
        }
        assert_eq!(name(12345), "MSGRAPH_UNKNOWN_STATUS");
    }
}
