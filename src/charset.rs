//! Which characters an Oracle database character set can hold, for the
//! sets the MSGRAPH package lets the library check (msgraph_xp_result_recode).

/// Characters of Windows-1252's 0x80..0x9F row (the rest is Latin-1).
const CP1252_EXTRA: &str = "€‚ƒ„…†‡ˆ‰Š‹ŒŽ‘’“”•–—˜™š›œžŸ";
/// ISO 8859-15 replaces eight Latin-1 characters with these.
const LATIN9_EXTRA: &str = "€ŠšŽžŒœŸ";
const LATIN9_REMOVED: &str = "¤¦¨´¸¼½¾";

/// The test of representable characters for an Oracle character set name
/// (any case); None: a set not known here.
pub fn predicate(charset: &str) -> Option<fn(char) -> bool> {
    match charset.trim().to_ascii_uppercase().as_str() {
        "AL32UTF8" | "UTF8" | "UTFE" | "AL16UTF16" => Some(|_| true),
        "US7ASCII" => Some(|c| c.is_ascii()),
        "WE8ISO8859P1" => Some(|c| (c as u32) < 0x80 || ((c as u32) >= 0xA0 && (c as u32) <= 0xFF)),
        "WE8MSWIN1252" => Some(|c| {
            let u = c as u32;
            u < 0x80 || (0xA0..=0xFF).contains(&u) || CP1252_EXTRA.contains(c)
        }),
        "WE8ISO8859P15" => Some(|c| {
            let u = c as u32;
            u < 0x80 || ((0xA0..=0xFF).contains(&u) && !LATIN9_REMOVED.contains(c)) || LATIN9_EXTRA.contains(c)
        }),
        _ => None,
    }
}

/// The 1-based byte offset of the first character `ok` refuses, or 0.
pub fn first_unrepresentable(text: &str, ok: fn(char) -> bool) -> usize {
    text.char_indices().find(|(_, c)| !ok(*c)).map_or(0, |(i, _)| i + 1)
}

/// `text` (JSON) with every character `ok` refuses written as a JSON
/// \uXXXX escape (surrogate pairs above U+FFFF): the same JSON.
pub fn escape_json(text: &str, ok: fn(char) -> bool) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if ok(c) {
            out.push(c);
        } else {
            let mut units = [0u16; 2];
            for u in c.encode_utf16(&mut units) {
                out.push_str(&format!("\\u{u:04x}"));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn charsets() {
        let p = predicate("we8mswin1252").unwrap();
        assert!(p('ë') && p('ü') && p('€') && !p('李'));
        let p = predicate("US7ASCII").unwrap();
        assert!(p('a') && !p('ë'));
        let p = predicate("WE8ISO8859P15").unwrap();
        assert!(p('€') && !p('¤') && p('ë'));
        assert!(predicate("JA16SJIS").is_none());
        assert_eq!(first_unrepresentable("aë李", predicate("WE8MSWIN1252").unwrap()), 4);
        assert_eq!(escape_json("a李😀", predicate("US7ASCII").unwrap()), "a\\u674e\\ud83d\\ude00");
    }
}
