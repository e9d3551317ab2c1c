//! The library's error: a stable status code, a message fit for a user, and
//! structured details that go into the Graph-shaped error document.
//!
//! Messages and details never carry a secret or a token: code that builds an
//! `Error` passes only names, hosts, codes and texts from the services.

use crate::status::*;
use serde_json::{Map, Value};
use std::fmt;

/// A library failure.
#[derive(Clone)]
pub struct Error {
    /// One of the `MSGRAPH_ERR_*` codes.
    pub status: i32,
    /// A one-line description for people.
    pub message: String,
    /// Extra fields placed beside `code` and `message` in the error document.
    pub details: Map<String, Value>,
}

/// Shorthand for results of the core.
pub type Result<T> = std::result::Result<T, Error>;

impl Error {
    /// An error with a status and message.
    pub fn new(status: i32, message: impl Into<String>) -> Error {
        Error { status, message: message.into(), details: Map::new() }
    }
    /// `MSGRAPH_ERR_ARGUMENT`.
    pub fn argument(message: impl Into<String>) -> Error {
        Error::new(MSGRAPH_ERR_ARGUMENT, message)
    }
    /// `MSGRAPH_ERR_CONFIG`.
    pub fn config(message: impl Into<String>) -> Error {
        Error::new(MSGRAPH_ERR_CONFIG, message)
    }
    /// `MSGRAPH_ERR_REFUSED`.
    pub fn refused(message: impl Into<String>) -> Error {
        Error::new(MSGRAPH_ERR_REFUSED, message)
    }
    /// `MSGRAPH_ERR_NOT_FOUND`.
    pub fn not_found(message: impl Into<String>) -> Error {
        Error::new(MSGRAPH_ERR_NOT_FOUND, message)
    }
    /// `MSGRAPH_ERR_INTERNAL`.
    pub fn internal(message: impl Into<String>) -> Error {
        Error::new(MSGRAPH_ERR_INTERNAL, message)
    }
    /// Adds a detail field to the error document.
    pub fn with(mut self, key: &str, value: impl Into<Value>) -> Error {
        self.details.insert(key.to_string(), value.into());
        self
    }
    /// The error without any form of `secrets` (nor JWT-shaped tokens) in
    /// its message and details: for every error built from response text.
    pub fn scrubbed(mut self, secrets: &[String]) -> Error {
        fn walk(v: &mut Value, secrets: &[String]) {
            match v {
                Value::String(s) => *s = crate::secret::scrub_text(s, secrets),
                Value::Array(a) => a.iter_mut().for_each(|x| walk(x, secrets)),
                Value::Object(m) => m.values_mut().for_each(|x| walk(x, secrets)),
                _ => {}
            }
        }
        self.message = crate::secret::scrub_text(&self.message, secrets);
        for v in self.details.values_mut() {
            walk(v, secrets);
        }
        self
    }
    /// The error as Graph's own error shape:
    /// `{"error":{"code":"MSGRAPH_ERR_…","message":"…","status":-n,…details}}`.
    pub fn to_document(&self) -> Value {
        let mut inner = Map::new();
        inner.insert("code".into(), Value::from(name(self.status)));
        inner.insert("message".into(), Value::from(self.message.clone()));
        inner.insert("status".into(), Value::from(self.status));
        for (k, v) in &self.details {
            inner.insert(k.clone(), v.clone());
        }
        let mut outer = Map::new();
        outer.insert("error".into(), Value::Object(inner));
        Value::Object(outer)
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", name(self.status), self.message)
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Error({self})")
    }
}

impl std::error::Error for Error {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn document_has_graph_shape() {
        let e = Error::new(MSGRAPH_ERR_AUTH, "refused").with("aadsts", 7000215);
        let d = e.to_document();
        assert_eq!(d["error"]["code"], "MSGRAPH_ERR_AUTH");
        assert_eq!(d["error"]["message"], "refused");
        assert_eq!(d["error"]["status"], -4);
        assert_eq!(d["error"]["aadsts"], 7000215);
    }
}
