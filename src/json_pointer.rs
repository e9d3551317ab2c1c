//! JSON Pointer (RFC 6901) over raw JSON text: finds the value a pointer
//! names without building a tree of the document, so picking one field of a
//! 35 MiB result costs one pass and no memory beyond the path.

use serde_json::value::RawValue;
use std::collections::BTreeMap;

/// The raw text of the value at `pointer` ("" is the whole document), or
/// None when nothing is there. Err when the document is not JSON.
pub fn raw_at<'a>(doc: &'a str, pointer: &str) -> Result<Option<&'a RawValue>, serde_json::Error> {
    let mut cur: &'a RawValue = serde_json::from_str(doc)?;
    if pointer.is_empty() {
        return Ok(Some(cur));
    }
    for token in pointer[1..].split('/') {
        let key = token.replace("~1", "/").replace("~0", "~");
        let text: &'a str = cur.get();
        cur = match text.trim_start().as_bytes().first() {
            Some(b'{') => {
                let members: BTreeMap<String, &'a RawValue> = serde_json::from_str(text)?;
                match members.get(&key) {
                    Some(v) => v,
                    None => return Ok(None),
                }
            }
            Some(b'[') => {
                let index = match key.parse::<usize>() {
                    Ok(i) if key == i.to_string() => i,
                    _ => return Ok(None),
                };
                let items: Vec<&'a RawValue> = serde_json::from_str(text)?;
                match items.get(index) {
                    Some(v) => v,
                    None => return Ok(None),
                }
            }
            _ => return Ok(None),
        };
    }
    Ok(Some(cur))
}

/// Elements of an array or members of an object (0 for a scalar).
pub fn count(raw: &RawValue) -> Result<usize, serde_json::Error> {
    let text = raw.get();
    Ok(match text.trim_start().as_bytes().first() {
        Some(b'[') => serde_json::from_str::<Vec<&RawValue>>(text)?.len(),
        Some(b'{') => serde_json::from_str::<BTreeMap<String, serde::de::IgnoredAny>>(text)?.len(),
        _ => 0,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn agrees_with_serde_json_pointer() {
        let doc = json!({"value": [{"id": "1", "displayName": "Zoë"}, {"id": "2", "a/b": {"~t": [true, null]}}],
            "@odata.deltaLink": "https://x/delta?$deltatoken=a", "n": 3.5});
        let text = doc.to_string();
        for p in ["", "/value", "/value/0/displayName", "/value/1/a~1b/~0t/1", "/n", "/@odata.deltaLink",
                  "/value/2", "/value/01", "/value/-", "/nope", "/n/0", "/value/0/displayName/x"] {
            let raw = raw_at(&text, p).unwrap();
            let via_tree = doc.pointer(p);
            match (raw, via_tree) {
                (Some(r), Some(v)) => assert_eq!(serde_json::from_str::<serde_json::Value>(r.get()).unwrap(), *v, "{p}"),
                (None, None) => {}
                (r, v) => panic!("{p}: raw {r:?} vs tree {v:?}"),
            }
        }
        assert_eq!(count(raw_at(&text, "/value").unwrap().unwrap()).unwrap(), 2);
        assert_eq!(count(raw_at(&text, "").unwrap().unwrap()).unwrap(), 3);
        assert_eq!(count(raw_at(&text, "/n").unwrap().unwrap()).unwrap(), 0);
        assert!(raw_at("{", "").is_err());
    }
}
