//! A string that must never be printed: client secrets and access tokens.

use std::fmt;

/// Holds a secret. `Debug` and `Display` print `[redacted]`; the value is
/// reachable only through [`Secret::expose`], so every place that uses it is
/// visible in the code.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wraps a value.
    pub fn new(value: impl Into<String>) -> Secret {
        Secret(value.into())
    }
    /// The value, for the one place that must send it.
    pub fn expose(&self) -> &str {
        &self.0
    }
    /// True when empty.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}


/// Text put where a secret was found.
pub const REDACTED: &str = "[redacted]";

/// The forms in which `secret` can come back in a response: as sent in a
/// form (`application/x-www-form-urlencoded`, hex in either case, space as
/// `+` or `%20`), as is, and JSON-escaped (with or without `\/`).
fn variants(secret: &str) -> Vec<Vec<u8>> {
    let mut v: Vec<Vec<u8>> = Vec::new();
    let form: String = url::form_urlencoded::byte_serialize(secret.as_bytes()).collect();
    let json = serde_json::to_string(secret).unwrap_or_default();
    let json = json.get(1..json.len().saturating_sub(1)).unwrap_or("").to_string();
    for t in [
        secret.to_string(),
        form.clone(),
        form.replace('+', "%20"),
        lower_hex(&form),
        lower_hex(&form.replace('+', "%20")),
        json.clone(),
        json.replace('/', "\\/"),
    ] {
        if !t.is_empty() && !v.iter().any(|x| x == t.as_bytes()) {
            v.push(t.into_bytes());
        }
    }
    // Longest first, so a longer form is not left half-replaced.
    v.sort_by_key(|x| std::cmp::Reverse(x.len()));
    v
}

fn lower_hex(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = String::with_capacity(s.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' && i + 2 < b.len() {
            out.push('%');
            out.push((b[i + 1] as char).to_ascii_lowercase());
            out.push((b[i + 2] as char).to_ascii_lowercase());
            i += 3;
        } else {
            out.push(b[i] as char);
            i += 1;
        }
    }
    out
}

fn replace_all(hay: &[u8], needle: &[u8]) -> Option<Vec<u8>> {
    if needle.is_empty() || hay.len() < needle.len() {
        return None;
    }
    let mut out = Vec::with_capacity(hay.len());
    let mut i = 0;
    let mut hit = false;
    while i < hay.len() {
        if hay[i..].starts_with(needle) {
            out.extend_from_slice(REDACTED.as_bytes());
            i += needle.len();
            hit = true;
        } else {
            out.push(hay[i]);
            i += 1;
        }
    }
    hit.then_some(out)
}

fn is_b64url(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'-' || c == b'_'
}

/// Replaces JWT-shaped runs (`eyJ….eyJ….sig`: access tokens, client
/// assertions) with [`REDACTED`].
fn scrub_jwts(hay: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(hay.len());
    let mut i = 0;
    let mut hit = false;
    while i < hay.len() {
        if hay[i..].starts_with(b"eyJ") && (i == 0 || !is_b64url(hay[i - 1])) {
            let mut j = i;
            let mut dots = 0;
            let mut segment = 0usize;
            let mut shortest = usize::MAX;
            while j < hay.len() && (is_b64url(hay[j]) || (hay[j] == b'.' && dots < 2)) {
                if hay[j] == b'.' {
                    dots += 1;
                    shortest = shortest.min(segment);
                    segment = 0;
                } else {
                    segment += 1;
                }
                j += 1;
            }
            if dots == 2 && shortest >= 8 && hay[i + 3..j].windows(4).any(|w| w == b".eyJ") {
                out.extend_from_slice(REDACTED.as_bytes());
                i = j;
                hit = true;
                continue;
            }
        }
        out.push(hay[i]);
        i += 1;
    }
    hit.then_some(out)
}

/// Removes every form of each secret, and every JWT-shaped token, from
/// bytes taken from a response. Returns true when something was removed.
pub fn scrub_bytes(body: &mut Vec<u8>, secrets: &[String]) -> bool {
    let mut changed = false;
    for s in secrets.iter().filter(|s| !s.is_empty()) {
        for v in variants(s) {
            if let Some(b) = replace_all(body, &v) {
                *body = b;
                changed = true;
            }
        }
    }
    if let Some(b) = scrub_jwts(body) {
        *body = b;
        changed = true;
    }
    changed
}

/// [`scrub_bytes`] for text.
pub fn scrub_text(text: &str, secrets: &[String]) -> String {
    let mut b = text.as_bytes().to_vec();
    if !scrub_bytes(&mut b, secrets) {
        return text.to_string();
    }
    String::from_utf8(b).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
}

/// The secrets a credential's errors must never carry: its client secret
/// and its proxy URL and proxy password (the credential's own list is
/// `CredentialConfig::secrets`).
pub fn secrets_of(client_secret: Option<&Secret>, proxy: Option<&Secret>) -> Vec<String> {
    let mut out = Vec::new();
    if let Some(s) = client_secret {
        out.push(s.expose().to_string());
    }
    if let Some(p) = proxy {
        out.push(p.expose().to_string());
        if let Ok(u) = url::Url::parse(p.expose()) {
            if let Some(pw) = u.password().filter(|p| !p.is_empty()) {
                out.push(pw.to_string());
                let decoded: String = url::form_urlencoded::parse(format!("x={pw}").as_bytes())
                    .next()
                    .map(|(_, v)| v.into_owned())
                    .unwrap_or_default();
                out.push(decoded);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn never_printed() {
        let s = Secret::new("hunter2");
        assert_eq!(format!("{s:?} {s}"), "[redacted] [redacted]");
        assert_eq!(s.expose(), "hunter2");
    }

    #[test]
    fn scrubbing_finds_every_form() {
        let secret = "a+b/c d~e\"f".to_string();
        let form: String = url::form_urlencoded::byte_serialize(secret.as_bytes()).collect();
        let echoed = format!(
            "raw={secret} form={form} lower={} json={} jwt=eyJhbGciOiJQUzI1NiJ9.eyJhdWQiOiJ4In0.c2lnbmF0dXJlcw end",
            lower_hex(&form),
            serde_json::to_string(&secret).unwrap()
        );
        let clean = scrub_text(&echoed, std::slice::from_ref(&secret));
        assert!(!clean.contains(&secret) && !clean.contains(&form) && !clean.contains(&lower_hex(&form)), "{clean}");
        assert!(!clean.contains("eyJ"), "{clean}");
        assert!(clean.starts_with("raw=[redacted] form=[redacted] lower=[redacted]") && clean.ends_with("jwt=[redacted] end"), "{clean}");
        assert_eq!(scrub_text("nothing here", &[secret]), "nothing here");
    }
}
