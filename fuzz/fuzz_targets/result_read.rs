//! Results: a stored response with arbitrary body bytes and headers, read
//! in spans (never past the end, never splitting a UTF-8 character of a
//! UTF-8 body), JSON pointers, headers, free.
#![no_main]
use libfuzzer_sys::fuzz_target;
use msgraph::__private::response::Response;
use msgraph::__private::results;

fuzz_target!(|data: &[u8]| {
    if data.len() < 4 {
        return;
    }
    let (ctl, rest) = data.split_at(4);
    let cut = rest.iter().position(|b| *b == 0).unwrap_or(rest.len());
    let (head, body) = (&rest[..cut], rest.get(cut + 1..).unwrap_or(&[]));
    let head = String::from_utf8_lossy(head).into_owned();
    let headers = vec![("X-Fuzz".to_string(), head.clone()), ("content-type".to_string(), "application/json".to_string())];
    let h = results::insert(Response { status: 200, headers, body: body.to_vec() }).unwrap();
    let r = results::get(h).unwrap();
    assert_eq!(r.body(), body);
    assert_eq!(r.body_with_nul().last(), Some(&0));
    let utf8 = std::str::from_utf8(body).is_ok();
    let buf_len = (ctl[0] % 9) as u64;
    let mut off = (ctl[1] as u64) % (body.len() as u64 + 2);
    // Reads from an arbitrary offset, then onwards to the end.
    for _ in 0..=body.len() {
        match r.read_span(off, buf_len) {
            Ok(span) => {
                assert!(span.start as u64 == off && span.end <= body.len() && span.start <= span.end);
                if utf8 {
                    let s = std::str::from_utf8(body).unwrap();
                    assert!(s.is_char_boundary(span.start) && s.is_char_boundary(span.end), "split a character");
                }
                if span.is_empty() {
                    assert!(buf_len == 0 || span.start == body.len());
                    break;
                }
                off = span.end as u64;
            }
            Err(_) => break,
        }
    }
    let pointer = String::from_utf8_lossy(&ctl[2..]).into_owned();
    let _ = r.json_text(&pointer);
    let _ = r.json_count(&pointer);
    let _ = r.json_text(&head);
    let _ = r.header("x-fuzz");
    let _ = r.headers_json();
    drop(r);
    results::free(h).unwrap();
    assert!(results::free(h).is_err());
});
