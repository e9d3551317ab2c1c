//! JSON string escaping for text that arrives in pieces: the PL/SQL
//! packages send a large CLOB as UTF-8 bytes in fixed-size reads, which may
//! end inside a character. [`escape_prefix`] escapes the complete characters
//! at the front of such a piece and says how many bytes it used, so the
//! caller re-reads from there and no character is ever split or lost
//! (characters outside the Basic Multilingual Plane included: they are
//! copied as their four UTF-8 bytes, never as surrogate halves).
//!
//! The escapes are those of MSGRAPH_M365.json_escape: `\\`, `\"`, `\n`,
//! `\r`, `\t`, and `\u00XX` (upper-case hex) for the other control
//! characters below U+0020; everything else is copied unchanged.

use crate::error::Error;
use crate::status::MSGRAPH_ERR_TOO_LARGE;

/// The escaped form of one character, or None when it is copied as it is.
fn escape_of(c: char) -> Option<String> {
    Some(match c {
        '\\' => "\\\\".into(),
        '"' => "\\\"".into(),
        '\n' => "\\n".into(),
        '\r' => "\\r".into(),
        '\t' => "\\t".into(),
        c if (c as u32) < 0x20 => format!("\\u00{:02X}", c as u32),
        _ => return None,
    })
}

/// What [`escape_prefix`] made of a piece.
#[derive(Debug, PartialEq, Eq)]
pub struct Escaped {
    /// Bytes of the input used (whole characters only).
    pub consumed: usize,
    /// The escaped text of those bytes (at most the `max_out` asked for).
    pub text: String,
}

/// Escapes the longest run of complete UTF-8 characters at the front of
/// `input` whose escaped form fits in `max_out` bytes.
///
/// An incomplete character at the very end of `input` is left unconsumed
/// (the next piece starts with it). Errors: bytes that are not UTF-8 (other
/// than that incomplete tail) are MSGRAPH_ERR_ARGUMENT; an input whose
/// first character is incomplete, or whose first escape does not fit in
/// `max_out`, is MSGRAPH_ERR_TOO_LARGE / MSGRAPH_ERR_ARGUMENT, so a caller
/// looping on `consumed` always advances or stops.
pub fn escape_prefix(input: &[u8], max_out: usize) -> Result<Escaped, Error> {
    let valid = match std::str::from_utf8(input) {
        Ok(s) => s,
        Err(e) => {
            // Only an incomplete sequence at the end is acceptable.
            if e.error_len().is_some() {
                return Err(Error::argument(format!("the text is not UTF-8 (byte {})", e.valid_up_to() + 1)));
            }
            // valid_up_to() is a character boundary, so this cannot fail.
            std::str::from_utf8(&input[..e.valid_up_to()]).unwrap_or_default()
        }
    };
    let mut text = String::with_capacity(valid.len().min(max_out));
    let mut consumed = 0;
    for c in valid.chars() {
        let before = text.len();
        match escape_of(c) {
            Some(e) => text.push_str(&e),
            None => text.push(c),
        }
        if text.len() > max_out {
            text.truncate(before);
            break;
        }
        consumed += c.len_utf8();
    }
    if consumed == 0 && !input.is_empty() {
        return Err(if valid.is_empty() {
            Error::argument("the text ends inside a UTF-8 character")
        } else {
            Error::new(MSGRAPH_ERR_TOO_LARGE, "the buffer is too small for the next escaped character (6 bytes suffice)")
        });
    }
    Ok(Escaped { consumed, text })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_like_the_package() {
        let e = escape_prefix("a\"b\\c\nd\re\tf\u{1}g\u{1f}".as_bytes(), 100).unwrap();
        assert_eq!(e.text, "a\\\"b\\\\c\\nd\\re\\tf\\u0001g\\u001F");
        assert_eq!(e.consumed, 14);
    }

    #[test]
    fn never_splits_a_character() {
        let s = "ab😀".as_bytes();
        // A read that ends inside the emoji leaves it for the next one.
        for cut in 3..s.len() {
            let e = escape_prefix(&s[..cut], 100).unwrap();
            assert_eq!((e.consumed, e.text.as_str()), (2, "ab"), "cut at {cut}");
        }
        let e = escape_prefix(s, 100).unwrap();
        assert_eq!((e.consumed, e.text.as_str()), (6, "ab😀"));
        // Output room: the emoji needs 4 bytes.
        assert_eq!(escape_prefix(s, 5).unwrap().consumed, 2);
        assert_eq!(escape_prefix(s, 6).unwrap().consumed, 6);
        // An escape is never cut either.
        assert_eq!(escape_prefix(b"a\x01", 6).unwrap(), Escaped { consumed: 1, text: "a".into() });
    }

    #[test]
    fn refuses_what_cannot_advance() {
        assert_eq!(escape_prefix(b"", 10).unwrap(), Escaped { consumed: 0, text: String::new() });
        assert!(escape_prefix(&[0xF0, 0x9F], 10).is_err());
        assert!(escape_prefix(b"\x01", 5).is_err());
        assert!(escape_prefix(b"a\xFFb", 10).is_err());
    }
}
