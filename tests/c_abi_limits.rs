//! Process-wide limits, in their own test process (they would disturb the
//! other tests' results).

mod common;
use common::*;
use serde_json::json;

#[test]
fn live_results_are_capped() {
    let emu = emulator();
    let cred = credential(&emu, json!({}));
    assert_eq!(msgraph_set_max_results(0), MSGRAPH_ERR_ARGUMENT);
    assert_eq!(msgraph_set_max_results(-1), MSGRAPH_ERR_ARGUMENT);
    assert_eq!(msgraph_results_live(), 0);
    assert_eq!(msgraph_set_max_results(3), MSGRAPH_OK);
    let held: Vec<i32> = (0..3).map(|_| msgraph_token_info(cs(&cred).as_ptr(), std::ptr::null())).collect();
    assert!(held.iter().all(|h| *h > 0));
    assert_eq!(msgraph_results_live(), 3);
    assert_eq!(msgraph_token_info(cs(&cred).as_ptr(), std::ptr::null()), MSGRAPH_ERR_LIMIT);
    assert!(last_error().contains("msgraph_result_free"), "{}", last_error());
    let sent = emu.stats().graph_requests;
    assert_eq!(request_raw(&cred, "GET", "/users?$top=1", None, None), MSGRAPH_ERR_LIMIT);
    assert_eq!(emu.stats().graph_requests, sent, "nothing is sent when the answer could not be kept");
    assert_eq!(msgraph_result_free(held[0]), MSGRAPH_OK);
    let h = msgraph_token_info(cs(&cred).as_ptr(), std::ptr::null());
    assert!(h > 0 && h != held[0], "never the freed handle");
    for h in [h, held[1], held[2]] {
        assert_eq!(msgraph_result_free(h), MSGRAPH_OK);
    }
    assert_eq!(msgraph_results_live(), 0);
    assert_eq!(msgraph_set_max_results(4096), MSGRAPH_OK);
}
