//! Human output: column-aligned tables that count East Asian wide characters
//! as two columns and combining marks as none, cells cleaned of control
//! characters (Graph data never moves the terminal's cursor), and UTC dates.

/// Display width of one character in a terminal: Unicode's East Asian
/// Width rules (UAX #11) through the unicode-width crate; control
/// characters, which cells never keep (see [`clean`]), count as none.
pub fn char_width(c: char) -> usize {
    unicode_width::UnicodeWidthChar::width(c).unwrap_or(0)
}

/// Display width of a string.
pub fn width(s: &str) -> usize {
    s.chars().map(char_width).sum()
}

/// A cell's text: control characters (newlines, escapes) become spaces or
/// '?', so a value from Graph cannot change the terminal.
pub fn clean(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            '\n' | '\r' | '\t' => ' ',
            c if c.is_control() => '?',
            c => c,
        })
        .collect()
}

/// Cuts a string to `max` columns, ending with '…' when cut.
pub fn truncate(s: &str, max: usize) -> String {
    if width(s) <= max {
        return s.to_string();
    }
    let mut out = String::new();
    let mut w = 0;
    for c in s.chars() {
        let cw = char_width(c);
        if w + cw + 1 > max {
            break;
        }
        out.push(c);
        w += cw;
    }
    out.push('…');
    out
}

/// Widest cell of a column before it is cut (the last column is never cut).
pub const MAX_CELL: usize = 60;

/// A table: headers, then rows, columns separated by two spaces, the last
/// column not padded.
pub fn table(headers: &[&str], rows: &[Vec<String>]) -> String {
    let n = headers.len();
    let cells: Vec<Vec<String>> = rows
        .iter()
        .map(|r| {
            (0..n)
                .map(|i| {
                    let c = clean(r.get(i).map(String::as_str).unwrap_or(""));
                    if i + 1 < n {
                        truncate(&c, MAX_CELL)
                    } else {
                        c
                    }
                })
                .collect()
        })
        .collect();
    let mut widths: Vec<usize> = headers.iter().map(|h| width(h)).collect();
    for r in &cells {
        for (i, c) in r.iter().enumerate() {
            widths[i] = widths[i].max(width(c));
        }
    }
    let mut out = String::new();
    let mut line = |cols: &[String]| {
        let mut l = String::new();
        for (i, c) in cols.iter().enumerate() {
            l.push_str(c);
            if i + 1 < n {
                l.push_str(&" ".repeat(widths[i] - width(c) + 2));
            }
        }
        out.push_str(l.trim_end());
        out.push('\n');
    };
    line(&headers.iter().map(|h| h.to_string()).collect::<Vec<_>>());
    for r in &cells {
        line(r);
    }
    out
}

/// Two-column "key  value" lines.
pub fn pairs(rows: &[(&str, String)]) -> String {
    let w = rows.iter().map(|(k, _)| width(k)).max().unwrap_or(0);
    let mut out = String::new();
    for (k, v) in rows {
        out.push_str(k);
        out.push_str(&" ".repeat(w - width(k) + 2));
        out.push_str(&clean(v));
        out.push('\n');
    }
    out
}

/// A JSON value as a cell: strings unquoted, null empty, others compact.
pub fn cell(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::Null => String::new(),
        serde_json::Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// Days since 1970-01-01 of a calendar date (None if there is no such day).
fn days_from_civil(y: i64, m: i64, d: i64) -> Option<i64> {
    let month = time::Month::try_from(u8::try_from(m).ok()?).ok()?;
    let date = time::Date::from_calendar_date(i32::try_from(y).ok()?, month, u8::try_from(d).ok()?).ok()?;
    Some(i64::from(date.to_julian_day() - time::OffsetDateTime::UNIX_EPOCH.date().to_julian_day()))
}

/// Unix seconds of an ISO 8601 date-time as Graph writes it
/// ("2025-06-01T12:00:00Z", with fractions, or with an offset).
pub fn parse_iso(s: &str) -> Option<i64> {
    let s = s.trim();
    let b = s.as_bytes();
    if b.len() < 19 || b[4] != b'-' || b[7] != b'-' || (b[10] != b'T' && b[10] != b' ') || b[13] != b':' || b[16] != b':' {
        return None;
    }
    let num = |r: std::ops::Range<usize>| s.get(r)?.parse::<i64>().ok();
    let (y, mo, d, h, mi, se) = (num(0..4)?, num(5..7)?, num(8..10)?, num(11..13)?, num(14..16)?, num(17..19)?);
    if !(1..=12).contains(&mo) || !(1..=31).contains(&d) || h > 23 || mi > 59 || se > 60 {
        return None;
    }
    let mut rest = &s[19..];
    if let Some(r) = rest.strip_prefix('.') {
        rest = r.trim_start_matches(|c: char| c.is_ascii_digit());
    }
    let offset = match rest {
        "" | "Z" | "z" => 0,
        r if (r.starts_with('+') || r.starts_with('-')) && r.len() == 6 && &r[3..4] == ":" => {
            let sign = if r.starts_with('-') { -1 } else { 1 };
            sign * (r[1..3].parse::<i64>().ok()? * 3600 + r[4..6].parse::<i64>().ok()? * 60)
        }
        _ => return None,
    };
    Some(days_from_civil(y, mo, d)? * 86_400 + h * 3600 + mi * 60 + se - offset)
}

/// "2025-06-01 12:00 UTC".
pub fn format_utc(secs: i64) -> String {
    match time::OffsetDateTime::from_unix_timestamp(secs) {
        Ok(t) => format!("{:04}-{:02}-{:02} {:02}:{:02} UTC", t.year(), u8::from(t.month()), t.day(), t.hour(), t.minute()),
        Err(_) => format!("{secs} (seconds since 1970)"),
    }
}

/// Seconds since the epoch, now.
pub fn now_secs() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn widths() {
        assert_eq!(width("Zoë Müller"), 10);
        assert_eq!(width("李雷"), 4);
        assert_eq!(width("Ōta Hiroshi"), 11);
        assert_eq!(width("e\u{301}"), 1);
        assert_eq!(width("\u{1F600}x"), 3, "an emoji is two columns");
        assert_eq!(width("\u{200B}"), 0, "a zero-width space is none");
        let t = table(&["A", "B"], &[vec!["李雷".into(), "x".into()], vec!["Zoë".into(), "y".into()]]);
        assert_eq!(t, "A     B\n李雷  x\nZoë   y\n");
        assert_eq!(clean("a\x1b[2Jb\n"), "a?[2Jb ");
        assert_eq!(truncate("abcdef", 4), "abc…");
    }

    #[test]
    fn dates() {
        assert_eq!(parse_iso("1970-01-01T00:00:00Z"), Some(0));
        assert_eq!(parse_iso("2024-02-29T12:30:00.1234567Z"), Some(1_709_209_800));
        assert_eq!(parse_iso("2024-02-29T14:30:00+02:00"), Some(1_709_209_800));
        assert_eq!(format_utc(1_709_209_800), "2024-02-29 12:30 UTC");
        assert_eq!(parse_iso("yesterday"), None);
    }
}
