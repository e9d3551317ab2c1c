//! The sync engine shaped for Oracle's external-procedure agent: the entry
//! point MSGRAPH_SYNC (sql/msgraph_sync.pkb) calls, with the RAW, INDICATOR
//! and LENGTH conventions of every `msgraph_xp_*` function (see
//! src/ffi/extproc.rs). Its call spec is private to sql/msgraph_sync.pkb.

use super::args::{required_text, text_arg, uploaded_or_required_text};
use super::request::stored_call;
use crate::ffi::*;
use crate::outcome::Outcome;
use crate::response::Response;
use crate::results;
use serde_json::{Map, Value};

/// Runs one call of a delta round (msgraph_sync_round()) for the agent.
///
/// - `credential`: the registry name, `SCHEMA/name` (the package prefixes
///   SESSION_USER as MSGRAPH does).
/// - `collections` (RAW, UTF-8) or, when larger than one RAW,
///   `collections_handle` (> 0: an upload body of msgraph_xp_body_new(),
///   consumed by the call, even a failing one): the collections JSON of
///   msgraph_sync_round(). The same text must be passed to every call of a
///   round.
/// - `options` (RAW, NULL for none): msgraph_sync_round()'s options JSON.
/// - `previous` (> 0): the result handle of this round's previous call;
///   its "cursor" goes on (the package then need not carry the cursor
///   through the database). The options may then not name "cursor" too.
///   0: a round starts (or the options carry the cursor).
///
/// Returns a result handle (read with msgraph_xp_result_info() and
/// msgraph_xp_result_read()) whose body, on success (status 200), is
/// msgraph_sync_round()'s change set with four members added to every
/// collection: "n_upserts" and "n_removals" (the lengths of its arrays),
/// "ora_error" (0, or for a "failed" collection the ORA-20xxx number,
/// positive, of sql/README.md's table, decided by the library from the
/// collection's status and Graph's error: 20011 for a second resync
/// signal, 20007 for throttling, 20016 for a last page without a
/// deltaLink, …) and "message" (null, or one line with the service's code,
/// message and request-id). A failure of the whole call (bad arguments, an
/// unknown credential, a token that cannot be had) is a result too, whose
/// msgraph_xp_result_info() gives the ORA number and message; a negative
/// return is only MSGRAPH_ERR_LIMIT (no result could be kept; nothing was
/// sent) or MSGRAPH_ERR_INTERNAL.
#[no_mangle]
#[allow(clippy::too_many_arguments)]
pub extern "C" fn msgraph_xp_sync_round(
    credential: *const u8,
    credential_ind: i16,
    credential_len: i32,
    collections: *const u8,
    collections_ind: i16,
    collections_len: i32,
    collections_handle: i32,
    options: *const u8,
    options_ind: i16,
    options_len: i32,
    previous: i32,
) -> i32 {
    ffi_fn!({
        // The upload body is consumed whatever happens; nothing is sent
        // when the result could not be kept; failures of the arguments are
        // results too (the package reads one message path).
        stored_call(collections_handle, |uploaded| {
            let credential = required_text(credential, credential_ind, credential_len, "credential")?;
            let collections = uploaded_or_required_text(
                uploaded,
                collections,
                collections_ind,
                collections_len,
                "collections",
                "collections",
            )?;
            let options = text_arg(options, options_ind, options_len, "options")?;
            let options = with_cursor_of(options, previous)?;
            let resp = crate::sync_round::run(credential, &collections, Some(&options))?;
            classify(resp)
        })
    })
}

/// The options JSON, with the cursor of result `previous` when > 0.
fn with_cursor_of(options: Option<&str>, previous: i32) -> Result<String, Error> {
    let mut doc = crate::options::parse_object(options)?;
    if previous > 0 {
        if doc.contains_key("cursor") {
            return Err(Error::argument("options name a cursor and a previous result: pass one"));
        }
        let r = results::get(previous)?;
        let body: Value = serde_json::from_slice(r.body()).unwrap_or(Value::Null);
        let cursor = match (r.status, body.get("cursor")) {
            (200, Some(c)) if c.is_object() => c.clone(),
            _ => {
                return Err(Error::argument(format!(
                    "result {previous} is not a change set with a cursor (a round that is not complete)"
                )))
            }
        };
        doc.insert("cursor".into(), cursor);
    } else if previous < 0 {
        return Err(Error::argument("previous must be 0 or a result handle"));
    }
    Ok(Value::Object(doc).to_string())
}

/// Adds the counts and the library's verdict to every collection.
fn classify(mut resp: Response) -> Result<Response, Error> {
    if resp.status != 200 {
        return Ok(resp);
    }
    let mut doc: Value =
        serde_json::from_slice(&resp.body).map_err(|e| Error::internal(format!("the change set is not JSON: {e}")))?;
    if let Some(cols) = doc.get_mut("collections").and_then(Value::as_array_mut) {
        for c in cols.iter_mut() {
            let Some(obj) = c.as_object_mut() else { continue };
            let n = |k: &str| obj.get(k).and_then(Value::as_array).map_or(0, Vec::len);
            let (ups, rem) = (n("upserts"), n("removals"));
            obj.insert("n_upserts".into(), ups.into());
            obj.insert("n_removals".into(), rem.into());
            let (ora, message) = verdict(obj);
            obj.insert("ora_error".into(), ora.into());
            obj.insert("message".into(), message.map_or(Value::Null, Value::from));
        }
    }
    resp.body = serde_json::to_vec(&doc).map_err(|e| Error::internal(e.to_string()))?;
    Ok(resp)
}

/// The ORA number and message of one collection of a change set: (0, None)
/// unless it failed. The library's verdict (crate::outcome) on the
/// collection's status and Graph's error document.
fn verdict(c: &Map<String, Value>) -> (i32, Option<String>) {
    if c.get("state").and_then(Value::as_str) != Some("failed") {
        return (0, None);
    }
    let err = c.get("error").cloned().unwrap_or(Value::Null);
    let status = err["status"].as_i64().and_then(|s| i32::try_from(s).ok()).unwrap_or(0);
    let body = &err["body"];
    let code = body["error"]["code"].as_str().unwrap_or("");
    if (0..400).contains(&status) {
        // Failed with a 2xx: a last page without a deltaLink.
        let text = format!("MSGRAPH_ERR_BAD_REQUEST: {code}: {}", body["error"]["message"].as_str().unwrap_or(""));
        return (20016, Some(text));
    }
    let bytes = serde_json::to_vec(body).unwrap_or_default();
    let o = Outcome::new(status, None, &bytes, None, None);
    (o.ora_code, o.message)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn v(c: Value) -> (i32, Option<String>) {
        verdict(c.as_object().unwrap())
    }

    #[test]
    fn verdicts_come_from_the_library_table() {
        assert_eq!(v(json!({"state": "done"})), (0, None));
        let throttled = json!({"state": "failed", "error": {"status": 429, "body": {"error": {"code": "TooManyRequests", "message": "slow down"}}}});
        let (ora, m) = v(throttled);
        assert_eq!(ora, 20007);
        assert!(m.unwrap().contains("HTTP 429 TooManyRequests: slow down"));
        let resync = json!({"state": "failed", "resync": true, "error": {"status": 400, "body": {"error": {"code": "syncStateNotFound", "message": "x"}}}});
        assert_eq!(v(resync).0, 20011);
        let gone = json!({"state": "failed", "error": {"status": 503, "body": {"error": {"code": "ServiceNotAvailable", "message": "x"}}}});
        assert_eq!(v(gone).0, 20018);
        let nolink = json!({"state": "failed", "error": {"status": 200, "body": {"error": {"code": "MissingDeltaLink", "message": "none"}}}});
        let (ora, m) = v(nolink);
        assert_eq!(ora, 20016);
        assert!(m.unwrap().contains("MissingDeltaLink"));
        let auth = json!({"state": "failed", "error": {"status": MSGRAPH_ERR_AUTH, "body": {"error": {"code": "MSGRAPH_ERR_AUTH", "message": "no token"}}}});
        assert_eq!(v(auth).0, 20004);
    }
}
