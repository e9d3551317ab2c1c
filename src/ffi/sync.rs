//! The sync engine's entry point.

use super::*;

/// Runs (one call of) a delta round over many Outlook collections.
///
/// - `credential`: a registered credential's name.
/// - `collections_json`: a JSON array of {"mailbox" (user id or UPN),
///   "kind" ("events", "contacts" or "tasks"), "list_id" (To Do list id,
///   for tasks), "delta_link" (the stored deltaLink, or null/absent for a
///   full first round)}. Events are synced through calendarView/delta over
///   the window events_start..events_end.
/// - `options_json`: NULL or {"cursor" (the previous call's cursor, to go
///   on with a round that did not fit one call; pass the same
///   collections_json), "max_items" (most items one call returns, 1 to
///   1000000, default 5000), "page_size" (Prefer odata.maxpagesize, 1 to
///   1000, default 100), "concurrency" ($batch calls in flight, 1 to 16,
///   default 4), "events_start", "events_end" (ISO 8601, default
///   2000-01-01T00:00:00Z and 2100-01-01T00:00:00Z), "timeout_ms",
///   "max_retries", "retry_budget_ms", "headers"}. Unknown keys are
///   refused.
///
/// The delta requests of up to 20 collections go in each $batch; nextLinks
/// follow in the next batches; items answered 429 are sent again after
/// their Retry-After; never more than four Outlook requests of one mailbox
/// are in flight. A collection whose token is refused (410,
/// syncStateNotFound, resyncRequired) starts again from scratch in the same
/// round and comes back with "resync": true: the caller then drops what it
/// stored of that collection before applying the upserts.
///
/// The result's body (status 200) is {"complete" (true when no collection
/// is left open), "cursor" (null, or the opaque value to pass back),
/// "collections": [{"index" (position in collections_json), "mailbox",
/// "kind", "list_id", "state" ("done": delta_link is the new link; "more":
/// continues in the cursor; "failed": see "error", keep the old link),
/// "resync", "pages", "upserts" ([items as Graph sent them]), "removals"
/// ([ids of @removed items]), "delta_link", "error"?}], "summary": {"items",
/// "requests", "batches", "page_rounds", "retries", "open"}}. Only
/// collections this call touched are listed. Store a delta_link only after
/// the collection's changes are committed.
///
/// Returns a result handle (> 0), or a negative status for unusable
/// arguments: MSGRAPH_ERR_ARGUMENT, MSGRAPH_ERR_NOT_FOUND (unknown
/// credential), MSGRAPH_ERR_LIMIT. Blocks the calling thread. Thread-safe.
#[no_mangle]
pub extern "C" fn msgraph_sync_round(credential: *const c_char, collections_json: *const c_char, options_json: *const c_char) -> msgraph_result {
    ffi_fn!({
        super::call::exchange(|| {
            let credential = str_arg(credential, "credential")?;
            let collections = str_arg(collections_json, "collections_json")?;
            let options = opt_str_arg(options_json, "options_json")?;
            crate::sync_round::run(credential, collections, options)
        })
    })
}
