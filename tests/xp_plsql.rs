//! msgraph_xp_json_escape through its C signature, driven the way
//! MSGRAPH.json_string drives it: fixed-size reads of a UTF-8 BLOB that may
//! end inside a character, continued from the byte count it returns.

use msgraph::ffi::extproc::json::msgraph_xp_json_escape;
use msgraph::{MSGRAPH_ERR_ARGUMENT, MSGRAPH_ERR_TOO_LARGE};
use std::ptr;

const GUARD: usize = 16;

/// One call: (return value, OUT bytes or None for NULL), checking MAXLEN
/// is honoured (guard bytes intact) and the OUT indicator/length are set.
fn escape(input: Option<&[u8]>, maxlen: i32) -> (i32, Option<Vec<u8>>) {
    let mut buf = vec![0xA5u8; maxlen.max(0) as usize + GUARD];
    let (mut ind, mut len, mut max) = (0x5A5Ai16, 0x5A5A_5A5Ai32, maxlen);
    let (p, ind_in, n) = match input {
        Some(b) => (b.as_ptr(), 0i16, b.len() as i32),
        None => (ptr::null(), -1, 0),
    };
    let rc = msgraph_xp_json_escape(p, ind_in, n, buf.as_mut_ptr(), &mut ind, &mut len, &mut max);
    assert!(buf[maxlen.max(0) as usize..].iter().all(|&b| b == 0xA5), "wrote past MAXLEN {maxlen}");
    assert_eq!(max, maxlen, "MAXLEN changed");
    match ind {
        -1 => (rc, None),
        0 => {
            assert!(len > 0 && len <= maxlen, "OUT length {len} outside 1..={maxlen}");
            (rc, Some(buf[..len as usize].to_vec()))
        }
        other => panic!("OUT indicator not set ({other})"),
    }
}

/// The package's loop: read `step` bytes at `pos`, escape, continue at
/// pos + returned count.
fn json_string_loop(text: &str, step: usize, maxlen: i32) -> (String, usize) {
    let bytes = text.as_bytes();
    let (mut pos, mut out, mut calls) = (0usize, Vec::new(), 0);
    while pos < bytes.len() {
        let end = (pos + step).min(bytes.len());
        let (rc, esc) = escape(Some(&bytes[pos..end]), maxlen);
        assert!(rc > 0, "no progress at byte {pos} (step {step}, maxlen {maxlen}): {rc}");
        out.extend(esc.unwrap_or_default());
        pos += rc as usize;
        calls += 1;
    }
    (String::from_utf8(out).expect("escaped output is UTF-8"), calls)
}

fn expected(text: &str) -> String {
    let mut s = String::new();
    for c in text.chars() {
        match c {
            '\\' => s.push_str("\\\\"),
            '"' => s.push_str("\\\""),
            '\n' => s.push_str("\\n"),
            '\r' => s.push_str("\\r"),
            '\t' => s.push_str("\\t"),
            c if (c as u32) < 0x20 => s.push_str(&format!("\\u00{:02X}", c as u32)),
            c => s.push(c),
        }
    }
    s
}

#[test]
fn characters_outside_the_bmp_survive_every_read_edge() {
    // One byte, then 4-byte characters and escapes: every step size puts
    // its edges inside characters at every phase.
    let mut text = String::from("a");
    for i in 0..3000 {
        text.push(['😀', '𝄞', '𠜎', '\u{10FFFD}'][i % 4]);
        if i % 97 == 0 {
            text.push_str("\"\\\n\u{1}ë");
        }
    }
    let want = expected(&text);
    // (A read of 4 bytes always holds a whole character; the package reads 5400.)
    for step in [4usize, 5, 6, 7, 13, 64, 5400] {
        let (got, _) = json_string_loop(&text, step, 32767);
        assert!(got == want, "step {step}: the escaped text differs");
    }
    // A small OUT buffer caps what one call takes; the loop still ends exact.
    for maxlen in [6, 7, 9, 11] {
        let (got, calls) = json_string_loop(&text, 5400, maxlen);
        assert!(got == want, "maxlen {maxlen}: the escaped text differs");
        assert!(calls > text.len() / 11, "maxlen {maxlen} must cap each call ({calls} calls)");
    }
    // The package's figures: 5400 bytes of the worst input (control
    // characters, 6 bytes each) fit RAW(32767) whole.
    let worst = "\u{1}".repeat(5400);
    let (rc, esc) = escape(Some(worst.as_bytes()), 32767);
    assert_eq!((rc, esc.map(|e| e.len())), (5400, Some(32400)));
}

#[test]
fn refusals_are_statuses_not_loops() {
    assert_eq!(escape(None, 100), (0, None), "NULL is nothing");
    assert_eq!(escape(Some(b""), 100), (0, None), "empty is nothing");
    assert_eq!(escape(Some("😀".as_bytes()), 3), (MSGRAPH_ERR_TOO_LARGE, None), "4 bytes do not fit 3");
    assert_eq!(escape(Some(b"\x01"), 5).0, MSGRAPH_ERR_TOO_LARGE, "an escape is never cut");
    assert_eq!(escape(Some(&[0xF0, 0x9F, 0x98]), 100).0, MSGRAPH_ERR_ARGUMENT, "only the start of a character");
    assert_eq!(escape(Some(b"ab\xFFcd"), 100).0, MSGRAPH_ERR_ARGUMENT, "not UTF-8");
    assert_eq!(escape(Some(b"x"), 0).0, MSGRAPH_ERR_TOO_LARGE, "MAXLEN 0");
    // A read that ends inside a character takes the whole ones before it.
    let (rc, esc) = escape(Some(&"ab😀".as_bytes()[..4]), 100);
    assert_eq!((rc, esc.as_deref()), (2, Some(&b"ab"[..])));
    // A NULL pointer with a length is refused, never read.
    let (mut ind, mut len, mut max) = (0i16, 0i32, 10i32);
    let mut buf = [0u8; 10];
    let rc = msgraph_xp_json_escape(ptr::null(), 0, 5, buf.as_mut_ptr(), &mut ind, &mut len, &mut max);
    assert_eq!((rc, ind), (MSGRAPH_ERR_ARGUMENT, -1));
}
