//! JSON Pointer (RFC 6901) over raw JSON text, for the result accessors.
//!
//! No tree of the document is built. Each container on a pointer's path is
//! split into its children's byte ranges; containers of 4 KiB or more keep
//! that split (16 bytes per element, plus member names), so repeated
//! look-ups such as "/value/{i}/displayName" over a page merge of 100,000
//! items cost one split of "/value" and then a small parse per item, and a
//! 35 MiB result never costs several times its size in memory.

use crate::sync::lock;
use serde_json::value::RawValue;
use std::collections::{BTreeMap, HashMap};
use std::ops::Range;
use std::sync::{Arc, Mutex, OnceLock};

/// Containers at least this large keep their split.
const KEEP_SPLIT_FROM: usize = 4096;

/// A container's children as byte ranges of the document.
enum Children {
    Object(BTreeMap<String, Range<usize>>),
    Array(Vec<Range<usize>>),
    Scalar,
}

/// The document is not JSON.
#[derive(Debug)]
pub struct NotJson;

/// Splits of a document's containers, kept between look-ups.
#[derive(Default)]
pub struct Index {
    valid: OnceLock<bool>,
    splits: Mutex<HashMap<usize, Arc<Children>>>,
}

fn range_of(doc: &str, part: &str) -> Range<usize> {
    let start = part.as_ptr() as usize - doc.as_ptr() as usize;
    start..start + part.len()
}

fn split(doc: &str, at: Range<usize>) -> Result<Children, NotJson> {
    let text = &doc[at];
    Ok(match text.as_bytes().first() {
        Some(b'{') => {
            let members: BTreeMap<String, &RawValue> = serde_json::from_str(text).map_err(|_| NotJson)?;
            Children::Object(members.into_iter().map(|(k, v)| (k, range_of(doc, v.get()))).collect())
        }
        Some(b'[') => {
            let items: Vec<&RawValue> = serde_json::from_str(text).map_err(|_| NotJson)?;
            Children::Array(items.into_iter().map(|v| range_of(doc, v.get())).collect())
        }
        _ => Children::Scalar,
    })
}

impl std::fmt::Debug for Index {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Index({} splits kept)", lock(&self.splits).len())
    }
}

impl Index {
    /// An empty index.
    pub fn new() -> Index {
        Index::default()
    }

    fn children(&self, doc: &str, at: Range<usize>) -> Result<Arc<Children>, NotJson> {
        if let Some(c) = lock(&self.splits).get(&at.start) {
            return Ok(c.clone());
        }
        let keep = at.len() >= KEEP_SPLIT_FROM;
        let c = Arc::new(split(doc, at.clone())?);
        if keep {
            lock(&self.splits).insert(at.start, c.clone());
        }
        Ok(c)
    }

    /// The byte range of the value at `pointer` ("" is the whole document),
    /// or None when nothing is there.
    pub fn find(&self, doc: &str, pointer: &str) -> Result<Option<Range<usize>>, NotJson> {
        // The whole document's syntax is checked once.
        let root = *self.valid.get_or_init(|| serde_json::from_str::<&RawValue>(doc).is_ok());
        if !root {
            return Err(NotJson);
        }
        let trimmed = doc.trim_matches(|c: char| c.is_ascii_whitespace());
        let mut cur = range_of(doc, trimmed);
        if pointer.is_empty() {
            return Ok(Some(cur));
        }
        for token in pointer[1..].split('/') {
            let key = token.replace("~1", "/").replace("~0", "~");
            let next = match &*self.children(doc, cur)? {
                Children::Object(m) => m.get(&key).cloned(),
                Children::Array(v) => match key.parse::<usize>() {
                    Ok(i) if key == i.to_string() => v.get(i).cloned(),
                    _ => None,
                },
                Children::Scalar => None,
            };
            match next {
                Some(r) => cur = r,
                None => return Ok(None),
            }
        }
        Ok(Some(cur))
    }

    /// Elements of the array (or members of the object) at `at`; 0 for a
    /// scalar.
    pub fn count(&self, doc: &str, at: Range<usize>) -> Result<usize, NotJson> {
        Ok(match &*self.children(doc, at)? {
            Children::Object(m) => m.len(),
            Children::Array(v) => v.len(),
            Children::Scalar => 0,
        })
    }
}

/// The raw text at `pointer`, without keeping anything (for one-off use).
pub fn raw_at<'a>(doc: &'a str, pointer: &str) -> Result<Option<&'a str>, NotJson> {
    Ok(Index::new().find(doc, pointer)?.map(|r| &doc[r]))
}

/// Elements or members of a raw value; 0 for a scalar.
pub fn count(raw: &str) -> Result<usize, NotJson> {
    Index::new().count(raw, 0..raw.len())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn agrees_with_serde_json_pointer() {
        let doc = json!({"value": [{"id": "1", "displayName": "Zoë"}, {"id": "2", "a/b": {"~t": [true, null]}}],
            "@odata.deltaLink": "https://x/delta?$deltatoken=a", "n": 3.5});
        for text in [doc.to_string(), serde_json::to_string_pretty(&doc).unwrap()] {
            let index = Index::new();
            for p in ["", "/value", "/value/0/displayName", "/value/1/a~1b/~0t/1", "/n", "/@odata.deltaLink",
                      "/value/2", "/value/01", "/value/-", "/nope", "/n/0", "/value/0/displayName/x"] {
                let via_tree = doc.pointer(p);
                for found in [raw_at(&text, p).unwrap(), index.find(&text, p).unwrap().map(|r| &text[r])] {
                    match (found, via_tree) {
                        (Some(r), Some(v)) => assert_eq!(serde_json::from_str::<serde_json::Value>(r).unwrap(), *v, "{p}"),
                        (None, None) => {}
                        (r, v) => panic!("{p}: raw {r:?} vs tree {v:?}"),
                    }
                }
            }
            assert_eq!(count(raw_at(&text, "/value").unwrap().unwrap()).unwrap(), 2);
            assert_eq!(count(raw_at(&text, "").unwrap().unwrap()).unwrap(), 3);
            assert_eq!(count(raw_at(&text, "/n").unwrap().unwrap()).unwrap(), 0);
        }
        assert!(raw_at("{", "").is_err());
    }

    #[test]
    fn big_containers_keep_their_split() {
        let items: Vec<serde_json::Value> = (0..500).map(|i| json!({"id": i, "name": format!("user {i}")})).collect();
        let text = json!({"value": items}).to_string();
        let index = Index::new();
        assert_eq!(index.find(&text, "/value/499/id").unwrap().map(|r| &text[r]), Some("499"));
        assert_eq!(lock(&index.splits).len(), 2, "the root and /value kept, the small item not");
        assert_eq!(index.find(&text, "/value/7/name").unwrap().map(|r| &text[r]), Some("\"user 7\""));
        assert_eq!(lock(&index.splits).len(), 2);
    }
}
