//! The raw-text JSON Pointer walk (used for bodies over 1 MiB) must agree
//! with serde_json's tree for every document and pointer: differential.
//! Where the tree accepts a document, the walk must accept it and agree.
#![no_main]
use libfuzzer_sys::fuzz_target;
use msgraph::__private::json_pointer::{count, raw_at};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    // First line: the pointer; the rest: the document.
    let (pointer, doc) = text.split_once('\n').unwrap_or(("", text));
    if !(pointer.is_empty() || pointer.starts_with('/')) {
        return;
    }
    let tree: Result<serde_json::Value, _> = serde_json::from_str(doc);
    match (raw_at(doc, pointer), tree) {
        (Ok(raw), Ok(tree)) => {
            let by_tree = tree.pointer(pointer);
            match (raw, by_tree) {
                (Some(r), Some(v)) => {
                    let parsed: serde_json::Value = serde_json::from_str(r).expect("raw value is JSON");
                    assert_eq!(&parsed, v, "pointer {pointer:?}");
                    let n = count(r).expect("countable");
                    let expected = match v {
                        serde_json::Value::Array(a) => a.len(),
                        serde_json::Value::Object(o) => o.len(),
                        _ => 0,
                    };
                    assert_eq!(n, expected);
                }
                (None, None) => {}
                (r, v) => panic!("pointer {pointer:?}: raw {r:?}, tree {v:?}"),
            }
        }
        // The raw walk checks syntax only: numbers beyond f64 (2e999) and
        // lone surrogates in escapes are text the tree refuses. Look-ups
        // then still answer (a string with a lone surrogate fails to decode
        // later, as "not JSON").
        (_, Err(_)) => {}
        (Err(e), Ok(_)) => panic!("the tree accepts a document the raw walk refuses: {e:?}"),
    }
});
