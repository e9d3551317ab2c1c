//! Oracle external-procedure call specs (`AS LANGUAGE C ... PARAMETERS
//! (...)`) parsed from the PL/SQL in sql/, mapped to C by Oracle's
//! documented rules, and checked against the prototypes of
//! include/msgraph.h. The same parse generates the C marshalling layer of
//! the agent emulation (tests/oracle_agent.rs), so what is checked is what
//! is driven.
//!
//! Mapping rules (Oracle Database Development Guide, "Passing Parameters to
//! External C Procedures with Call Specifications"):
//! - external types: STRING -> char *, RAW -> unsigned char *, SHORT ->
//!   short, INT -> int, LONG -> long, UNSIGNED INT -> unsigned int, SB4 ->
//!   sb4 (int32), UB4, SIZE_T, DOUBLE, FLOAT, OCILOBLOCATOR ->
//!   OCILobLocator *, CONTEXT -> OCIExtProcContext *;
//! - defaults: PLS_INTEGER / BINARY_INTEGER / BOOLEAN -> INT, VARCHAR2 /
//!   CHAR -> STRING, RAW -> RAW, CLOB / BLOB -> OCILOBLOCATOR, INDICATOR ->
//!   SHORT, LENGTH and MAXLEN -> INT;
//! - IN scalars, IN indicators and IN lengths go by value; OUT and IN OUT
//!   ones (and anything BY REFERENCE) by pointer; MAXLEN is OUT / IN OUT
//!   only and always a pointer; STRING and RAW are pointers in every mode;
//! - RETURN is the last item of a function and absent from a procedure.
//!
//! House rules on top (a NULL must never be guessed and a buffer never
//! overrun): every IN RAW / STRING has INDICATOR (and RAW a LENGTH); every
//! OUT RAW / STRING has INDICATOR, LENGTH and MAXLEN; no WITH CONTEXT
//! without CONTEXT in the list.

#![allow(dead_code)]

use std::collections::BTreeMap;
use std::fmt;

#[derive(Clone, Debug, PartialEq)]
pub enum Tok {
    Word(String),   // upper-cased identifier or keyword
    Quoted(String), // "quoted identifier" as written
    Str(String),
    Num(String),
    Punct(char),
}

pub fn tokenize(src: &str) -> Vec<(Tok, usize)> {
    let b: Vec<char> = src.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    let mut line = 1;
    while i < b.len() {
        let c = b[i];
        if c == '\n' {
            line += 1;
            i += 1;
        } else if c.is_whitespace() {
            i += 1;
        } else if c == '-' && b.get(i + 1) == Some(&'-') {
            while i < b.len() && b[i] != '\n' {
                i += 1;
            }
        } else if c == '/' && b.get(i + 1) == Some(&'*') {
            i += 2;
            while i + 1 < b.len() && !(b[i] == '*' && b[i + 1] == '/') {
                if b[i] == '\n' {
                    line += 1;
                }
                i += 1;
            }
            i += 2;
        } else if c == '\'' {
            let mut s = String::new();
            i += 1;
            while i < b.len() {
                if b[i] == '\'' {
                    if b.get(i + 1) == Some(&'\'') {
                        s.push('\'');
                        i += 2;
                        continue;
                    }
                    break;
                }
                if b[i] == '\n' {
                    line += 1;
                }
                s.push(b[i]);
                i += 1;
            }
            i += 1;
            out.push((Tok::Str(s), line));
        } else if c == '"' {
            let mut s = String::new();
            i += 1;
            while i < b.len() && b[i] != '"' {
                s.push(b[i]);
                i += 1;
            }
            i += 1;
            out.push((Tok::Quoted(s), line));
        } else if c.is_alphabetic() || c == '_' {
            let mut s = String::new();
            while i < b.len() && (b[i].is_alphanumeric() || b[i] == '_' || b[i] == '$' || b[i] == '#') {
                s.push(b[i]);
                i += 1;
            }
            out.push((Tok::Word(s.to_uppercase()), line));
        } else if c.is_ascii_digit() {
            let mut s = String::new();
            while i < b.len() && (b[i].is_ascii_digit() || b[i] == '.') {
                s.push(b[i]);
                i += 1;
            }
            out.push((Tok::Num(s), line));
        } else {
            out.push((Tok::Punct(c), line));
            i += 1;
        }
    }
    out
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    In,
    Out,
    InOut,
}

#[derive(Clone, Debug)]
pub struct PlsqlParam {
    pub name: String,
    pub mode: Mode,
    pub ty: String,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Item {
    Context,
    Return { property: Option<String>, by_ref: bool, ext: Option<String> },
    Param { name: String, property: Option<String>, by_ref: bool, ext: Option<String> },
}

#[derive(Clone, Debug)]
pub struct CallSpec {
    pub file: String,
    pub line: usize,
    pub plsql_name: String,
    pub is_function: bool,
    pub params: Vec<PlsqlParam>,
    pub return_type: Option<String>,
    pub library: String,
    /// The C symbol as Oracle looks it up (unquoted names fold to upper case).
    pub symbol: String,
    pub with_context: bool,
    pub items: Vec<Item>,
}

/// One C parameter as the agent passes it.
#[derive(Clone, Debug, PartialEq)]
pub struct CParam {
    /// Normalised C type: "int32_t", "int16_t *", "uint8_t *", "char *" ...
    pub ty: String,
    /// Name in the call spec (for messages and the generator).
    pub what: String,
    /// What the agent puts there.
    pub role: Role,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Role {
    Context,
    /// The data of a PL/SQL parameter (value or pointer).
    Data { param: String, mode: Mode, ext: String },
    Indicator { param: String, mode: Mode },
    Length { param: String, mode: Mode },
    MaxLen { param: String },
}

impl fmt::Display for CallSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{} {} (\"{}\")", self.file, self.line, self.plsql_name.to_lowercase(), self.symbol)
    }
}

fn word(t: &Tok) -> Option<&str> {
    match t {
        Tok::Word(w) => Some(w.as_str()),
        _ => None,
    }
}

/// Every call spec of a PL/SQL source. Errors name file and line.
pub fn parse_call_specs(file: &str, src: &str) -> Result<Vec<CallSpec>, String> {
    let toks = tokenize(src);
    let mut specs = Vec::new();
    let mut i = 0;
    while i < toks.len() {
        // LANGUAGE C
        if word(&toks[i].0) == Some("LANGUAGE") && toks.get(i + 1).and_then(|t| word(&t.0)) == Some("C") {
            let spec = parse_one(file, &toks, i)?;
            specs.push(spec);
        }
        i += 1;
    }
    Ok(specs)
}

fn parse_one(file: &str, toks: &[(Tok, usize)], lang_at: usize) -> Result<CallSpec, String> {
    let line = toks[lang_at].1;
    let err = |m: &str| format!("{file}:{line}: {m}");
    // Walk back to the FUNCTION / PROCEDURE keyword.
    let mut h = lang_at;
    loop {
        if h == 0 {
            return Err(err("LANGUAGE C without a FUNCTION or PROCEDURE header"));
        }
        h -= 1;
        match word(&toks[h].0) {
            Some("FUNCTION") | Some("PROCEDURE") => break,
            _ => {}
        }
        if toks[h].0 == Tok::Punct(';') {
            return Err(err("LANGUAGE C without a FUNCTION or PROCEDURE header"));
        }
    }
    let is_function = word(&toks[h].0) == Some("FUNCTION");
    let plsql_name = match &toks[h + 1].0 {
        Tok::Word(w) => w.clone(),
        Tok::Quoted(q) => q.to_uppercase(),
        _ => return Err(err("no subprogram name")),
    };
    let mut j = h + 2;
    let mut params = Vec::new();
    if toks[j].0 == Tok::Punct('(') {
        j += 1;
        let mut depth = 0;
        let mut cur: Vec<Tok> = Vec::new();
        let mut groups: Vec<Vec<Tok>> = Vec::new();
        while j < lang_at {
            let t = &toks[j].0;
            match t {
                Tok::Punct('(') => depth += 1,
                Tok::Punct(')') if depth == 0 => break,
                Tok::Punct(')') => depth -= 1,
                Tok::Punct(',') if depth == 0 => {
                    groups.push(std::mem::take(&mut cur));
                    j += 1;
                    continue;
                }
                _ => {}
            }
            cur.push(t.clone());
            j += 1;
        }
        groups.push(cur);
        j += 1;
        for g in groups {
            let ws: Vec<String> = g.iter().filter_map(|t| word(t).map(str::to_string)).collect();
            if ws.is_empty() {
                return Err(err("empty PL/SQL parameter"));
            }
            let name = ws[0].clone();
            let mut k = 1;
            let mut mode = Mode::In;
            if ws.get(k).map(String::as_str) == Some("IN") {
                k += 1;
                if ws.get(k).map(String::as_str) == Some("OUT") {
                    mode = Mode::InOut;
                    k += 1;
                }
            } else if ws.get(k).map(String::as_str) == Some("OUT") {
                mode = Mode::Out;
                k += 1;
            }
            if ws.get(k).map(String::as_str) == Some("NOCOPY") {
                k += 1;
            }
            let ty = ws.get(k).cloned().ok_or_else(|| err(&format!("parameter {name} has no type")))?;
            params.push(PlsqlParam { name, mode, ty });
        }
    }
    let mut return_type = None;
    if word(&toks[j].0) == Some("RETURN") {
        return_type = toks.get(j + 1).and_then(|t| word(&t.0)).map(str::to_string);
        j += 2;
    }
    match toks.get(j).and_then(|t| word(&t.0)) {
        Some("AS") | Some("IS") if j + 1 == lang_at => {}
        _ => return Err(err("expected AS LANGUAGE C right after the header")),
    }
    // After LANGUAGE C: LIBRARY lib NAME "sym" [WITH CONTEXT] PARAMETERS (...) ;
    let mut k = lang_at + 2;
    let mut library = String::new();
    let mut symbol = None;
    let mut with_context = false;
    let mut items = None;
    while k < toks.len() && toks[k].0 != Tok::Punct(';') {
        match word(&toks[k].0) {
            Some("LIBRARY") => {
                library = match &toks[k + 1].0 {
                    Tok::Word(w) => w.clone(),
                    Tok::Quoted(q) => q.clone(),
                    _ => return Err(err("LIBRARY without a name")),
                };
                k += 2;
            }
            Some("NAME") => {
                symbol = Some(match &toks[k + 1].0 {
                    Tok::Quoted(q) => q.clone(),
                    Tok::Word(w) => w.clone(), // folded to upper case, as Oracle does
                    _ => return Err(err("NAME without a symbol")),
                });
                k += 2;
            }
            Some("WITH") if toks.get(k + 1).and_then(|t| word(&t.0)) == Some("CONTEXT") => {
                with_context = true;
                k += 2;
            }
            Some("PARAMETERS") => {
                let (list, next) = parse_items(toks, k + 1).map_err(|m| err(&m))?;
                items = Some(list);
                k = next;
            }
            _ => return Err(err(&format!("unexpected token {:?} in the call spec", toks[k].0))),
        }
    }
    if library.is_empty() {
        return Err(err("no LIBRARY"));
    }
    let symbol = symbol.unwrap_or_else(|| plsql_name.clone());
    let items = items.ok_or_else(|| err("no PARAMETERS clause (the house rule: always spell it out)"))?;
    Ok(CallSpec {
        file: file.to_string(),
        line,
        plsql_name,
        is_function,
        params,
        return_type,
        library,
        symbol,
        with_context,
        items,
    })
}

fn parse_items(toks: &[(Tok, usize)], at: usize) -> Result<(Vec<Item>, usize), String> {
    if toks.get(at).map(|t| &t.0) != Some(&Tok::Punct('(')) {
        return Err("PARAMETERS without '('".into());
    }
    let mut k = at + 1;
    let mut items = Vec::new();
    loop {
        let mut ws: Vec<String> = Vec::new();
        loop {
            match toks.get(k).map(|t| &t.0) {
                Some(Tok::Word(w)) => ws.push(w.clone()),
                Some(Tok::Punct(',')) | Some(Tok::Punct(')')) => break,
                other => return Err(format!("unexpected {other:?} in PARAMETERS")),
            }
            k += 1;
        }
        if ws.is_empty() {
            return Err("empty item in PARAMETERS".into());
        }
        let first = ws[0].clone();
        let mut rest = &ws[1..];
        let mut property = None;
        if let Some(p) = rest.first().filter(|p| {
            ["INDICATOR", "LENGTH", "MAXLEN", "CHARSETID", "CHARSETFORM", "TDO", "DURATION", "SELF"].contains(&p.as_str())
        }) {
            property = Some(p.clone());
            rest = &rest[1..];
            // INDICATOR STRUCT
            if rest.first().map(String::as_str) == Some("STRUCT") {
                rest = &rest[1..];
            }
        }
        let mut by_ref = false;
        if rest.len() >= 2 && rest[0] == "BY" && rest[1] == "REFERENCE" {
            by_ref = true;
            rest = &rest[2..];
        }
        let ext = if rest.is_empty() { None } else { Some(rest.join(" ")) };
        let known_ext = [
            "CHAR", "UNSIGNED CHAR", "SIGNED CHAR", "SHORT", "UNSIGNED SHORT", "SIGNED SHORT", "INT", "UNSIGNED INT",
            "SIGNED INT", "LONG", "UNSIGNED LONG", "SIGNED LONG", "SB1", "SB2", "SB4", "UB1", "UB2", "UB4", "SIZE_T",
            "FLOAT", "DOUBLE", "STRING", "RAW", "OCILOBLOCATOR", "OCINUMBER", "OCISTRING", "OCIRAW", "OCIDATE",
        ];
        if let Some(e) = &ext {
            if !known_ext.contains(&e.as_str()) {
                return Err(format!("'{e}' is not an external data type (item {first})"));
            }
        }
        items.push(match first.as_str() {
            "CONTEXT" => {
                if property.is_some() || by_ref || ext.is_some() {
                    return Err("CONTEXT takes no property, BY REFERENCE or type".into());
                }
                Item::Context
            }
            "RETURN" => Item::Return { property, by_ref, ext },
            _ => Item::Param { name: first, property, by_ref, ext },
        });
        match toks.get(k).map(|t| &t.0) {
            Some(Tok::Punct(',')) => k += 1,
            Some(Tok::Punct(')')) => return Ok((items, k + 1)),
            _ => return Err("unterminated PARAMETERS".into()),
        }
    }
}

fn default_ext(plsql_type: &str) -> Option<&'static str> {
    Some(match plsql_type {
        "PLS_INTEGER" | "BINARY_INTEGER" | "BOOLEAN" | "NATURAL" | "POSITIVE" | "SIMPLE_INTEGER" => "INT",
        "VARCHAR2" | "VARCHAR" | "CHAR" | "LONG" | "ROWID" => "STRING",
        "RAW" => "RAW",
        "CLOB" | "BLOB" | "BFILE" => "OCILOBLOCATOR",
        "BINARY_DOUBLE" => "DOUBLE",
        "BINARY_FLOAT" => "FLOAT",
        _ => return None,
    })
}

/// External types a PL/SQL type may be passed as.
fn ext_allowed(plsql_type: &str, ext: &str) -> bool {
    let ints = [
        "CHAR", "UNSIGNED CHAR", "SHORT", "UNSIGNED SHORT", "INT", "UNSIGNED INT", "LONG", "UNSIGNED LONG", "SB1", "SB2",
        "SB4", "UB1", "UB2", "UB4", "SIZE_T",
    ];
    match plsql_type {
        "PLS_INTEGER" | "BINARY_INTEGER" | "BOOLEAN" | "NATURAL" | "POSITIVE" | "SIMPLE_INTEGER" => ints.contains(&ext),
        "VARCHAR2" | "VARCHAR" | "CHAR" | "LONG" | "ROWID" => ext == "STRING" || ext == "OCISTRING",
        "RAW" => ext == "RAW" || ext == "OCIRAW",
        "CLOB" | "BLOB" | "BFILE" => ext == "OCILOBLOCATOR",
        "NUMBER" => ints.contains(&ext) || ext == "OCINUMBER" || ext == "FLOAT" || ext == "DOUBLE",
        _ => false,
    }
}

/// The C base type of an external type.
pub fn c_base(ext: &str) -> &'static str {
    match ext {
        "CHAR" => "char",
        "UNSIGNED CHAR" | "UB1" => "uint8_t",
        "SIGNED CHAR" | "SB1" => "int8_t",
        "SHORT" | "SIGNED SHORT" | "SB2" => "int16_t",
        "UNSIGNED SHORT" | "UB2" => "uint16_t",
        "INT" | "SIGNED INT" | "SB4" => "int32_t",
        "UNSIGNED INT" | "UB4" => "uint32_t",
        "LONG" | "SIGNED LONG" => "long",
        "UNSIGNED LONG" => "unsigned long",
        "SIZE_T" => "size_t",
        "FLOAT" => "float",
        "DOUBLE" => "double",
        "STRING" => "char *",
        "RAW" => "uint8_t *",
        "OCILOBLOCATOR" => "OCILobLocator *",
        "OCINUMBER" => "OCINumber *",
        "OCISTRING" => "OCIString *",
        "OCIRAW" => "OCIRaw *",
        "OCIDATE" => "OCIDate *",
        _ => "?",
    }
}

fn ptr(t: &str) -> String {
    if t.ends_with('*') {
        format!("{t}*")
    } else {
        format!("{t} *")
    }
}

/// The C prototype Oracle calls for a call spec: (return type, params), or
/// the list of rule violations.
pub fn c_signature(spec: &CallSpec) -> Result<(String, Vec<CParam>), Vec<String>> {
    let mut problems = Vec::new();
    let mut params = Vec::new();
    let mut ret = "void".to_string();
    let find = |n: &str| spec.params.iter().find(|p| p.name == n);
    let mut seen: BTreeMap<(String, String), usize> = BTreeMap::new();
    let n_items = spec.items.len();
    let mut has_context = false;
    for (idx, item) in spec.items.iter().enumerate() {
        match item {
            Item::Context => {
                has_context = true;
                if !spec.with_context {
                    problems.push("CONTEXT in PARAMETERS without WITH CONTEXT".into());
                }
                params.push(CParam { ty: "OCIExtProcContext *".into(), what: "CONTEXT".into(), role: Role::Context });
            }
            Item::Return { property, by_ref, ext } => {
                if !spec.is_function {
                    problems.push("RETURN in the PARAMETERS of a procedure (PLS-00250)".into());
                    continue;
                }
                if idx + 1 != n_items {
                    problems.push("RETURN is not the last item of PARAMETERS (PLS-00250)".into());
                }
                if property.is_some() {
                    problems.push("RETURN INDICATOR/LENGTH is not used by this package".into());
                }
                let rt = spec.return_type.clone().unwrap_or_default();
                let e = ext.clone().or_else(|| default_ext(&rt).map(str::to_string)).unwrap_or_default();
                if !ext_allowed(&rt, &e) {
                    problems.push(format!("RETURN {e} does not fit PL/SQL type {rt}"));
                }
                let base = c_base(&e).to_string();
                ret = if *by_ref { ptr(&base) } else { base };
            }
            Item::Param { name, property, by_ref, ext } => {
                let Some(p) = find(name) else {
                    problems.push(format!("{name} in PARAMETERS is not a parameter of {}", spec.plsql_name));
                    continue;
                };
                let key = (name.clone(), property.clone().unwrap_or_default());
                *seen.entry(key).or_default() += 1;
                match property.as_deref() {
                    None => {
                        let e = ext.clone().or_else(|| default_ext(&p.ty).map(str::to_string)).unwrap_or_default();
                        if !ext_allowed(&p.ty, &e) {
                            problems.push(format!("{name}: external type {e} does not fit PL/SQL type {}", p.ty));
                        }
                        let base = c_base(&e).to_string();
                        let pointer_type = base.ends_with('*');
                        let ty = if pointer_type {
                            base
                        } else if p.mode != Mode::In || *by_ref {
                            ptr(&base)
                        } else {
                            base
                        };
                        params.push(CParam { ty, what: name.clone(), role: Role::Data { param: name.clone(), mode: p.mode, ext: e } });
                    }
                    Some("INDICATOR") => {
                        let e = ext.clone().unwrap_or_else(|| "SHORT".into());
                        if !["SHORT", "INT", "LONG", "SB2", "SB4"].contains(&e.as_str()) {
                            problems.push(format!("{name} INDICATOR {e}: must be SHORT, INT or LONG"));
                        }
                        let base = c_base(&e).to_string();
                        let ty = if p.mode != Mode::In || *by_ref { ptr(&base) } else { base };
                        params.push(CParam { ty, what: format!("{name} INDICATOR"), role: Role::Indicator { param: name.clone(), mode: p.mode } });
                    }
                    Some("LENGTH") => {
                        let e = ext.clone().unwrap_or_else(|| "INT".into());
                        if !["VARCHAR2", "VARCHAR", "CHAR", "RAW", "LONG"].contains(&p.ty.as_str()) {
                            problems.push(format!("{name} LENGTH: only for CHAR, VARCHAR2, RAW"));
                        }
                        let base = c_base(&e).to_string();
                        let ty = if p.mode != Mode::In || *by_ref { ptr(&base) } else { base };
                        params.push(CParam { ty, what: format!("{name} LENGTH"), role: Role::Length { param: name.clone(), mode: p.mode } });
                    }
                    Some("MAXLEN") => {
                        let e = ext.clone().unwrap_or_else(|| "INT".into());
                        if p.mode == Mode::In {
                            problems.push(format!("{name} MAXLEN on an IN parameter (PLS-00250)"));
                        }
                        if !["VARCHAR2", "VARCHAR", "CHAR", "RAW", "LONG"].contains(&p.ty.as_str()) {
                            problems.push(format!("{name} MAXLEN: only for CHAR, VARCHAR2, RAW"));
                        }
                        params.push(CParam { ty: ptr(c_base(&e)), what: format!("{name} MAXLEN"), role: Role::MaxLen { param: name.clone() } });
                    }
                    Some(other) => problems.push(format!("{name} {other}: property not used by this package")),
                }
            }
        }
    }
    if spec.with_context && !has_context {
        problems.push("WITH CONTEXT but no CONTEXT in PARAMETERS".into());
    }
    if spec.is_function && !spec.items.iter().any(|i| matches!(i, Item::Return { .. })) {
        problems.push("function without RETURN in PARAMETERS".into());
    }
    for ((name, prop), n) in &seen {
        if *n > 1 {
            problems.push(format!("{name} {prop} is listed {n} times"));
        }
    }
    // House rules: NULLs and lengths are never guessed.
    for p in &spec.params {
        if !seen.contains_key(&(p.name.clone(), String::new())) {
            problems.push(format!("PL/SQL parameter {} is missing from PARAMETERS", p.name));
        }
        let textual = ["RAW", "VARCHAR2", "VARCHAR", "CHAR"].contains(&p.ty.as_str());
        let has = |prop: &str| seen.contains_key(&(p.name.clone(), prop.to_string()));
        if textual && !has("INDICATOR") {
            problems.push(format!("{} has no INDICATOR: a NULL would be guessed", p.name));
        }
        if textual && p.ty == "RAW" && !has("LENGTH") {
            problems.push(format!("{} is RAW without LENGTH", p.name));
        }
        if textual && p.mode != Mode::In && !(has("LENGTH") && has("MAXLEN")) {
            problems.push(format!("{} is OUT without LENGTH and MAXLEN: the buffer could overflow", p.name));
        }
    }
    if problems.is_empty() {
        Ok((ret, params))
    } else {
        Err(problems)
    }
}

/// A C prototype of the header, types normalised.
#[derive(Clone, Debug)]
pub struct CProto {
    pub ret: String,
    pub params: Vec<(String, String)>, // (type, name)
}

/// Normalises a C type: spacing, Oracle's names (sb4, short, int, unsigned
/// char) to the stdint names the header uses; `const` is kept.
pub fn norm_type(t: &str) -> String {
    let t = t.replace('*', " * ");
    let words: Vec<&str> = t.split_whitespace().collect();
    let joined = words.join(" ");
    let mapped = joined
        .replace("unsigned char", "uint8_t")
        .replace("signed char", "int8_t")
        .replace("unsigned short", "uint16_t")
        .replace("unsigned int", "uint32_t")
        .replace("sb4", "int32_t")
        .replace("ub4", "uint32_t")
        .replace("sb2", "int16_t")
        .replace("ub2", "uint16_t")
        .replace("ub1", "uint8_t")
        .replace("sb1", "int8_t");
    let words: Vec<String> = mapped
        .split_whitespace()
        .map(|w| match w {
            "short" => "int16_t".to_string(),
            "int" => "int32_t".to_string(),
            other => other.to_string(),
        })
        .collect();
    words.join(" ").replace("* *", "**")
}

/// The prototypes of a C header (functions only), by name.
pub fn parse_header(src: &str) -> BTreeMap<String, CProto> {
    // Strip comments and preprocessor lines.
    let mut text = String::new();
    let b = src.as_bytes();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'/' && b.get(i + 1) == Some(&b'*') {
            i += 2;
            while i + 1 < b.len() && !(b[i] == b'*' && b[i + 1] == b'/') {
                i += 1;
            }
            i += 2;
        } else if b[i] == b'/' && b.get(i + 1) == Some(&b'/') {
            while i < b.len() && b[i] != b'\n' {
                i += 1;
            }
        } else {
            text.push(b[i] as char);
            i += 1;
        }
    }
    let text: String = text.lines().filter(|l| !l.trim_start().starts_with('#')).collect::<Vec<_>>().join("\n");
    let text = text.replace("extern \"C\" {", "").replace('}', "");
    let mut out = BTreeMap::new();
    // `typedef int32_t msgraph_result;`: prototypes are compared in the
    // types the typedefs stand for.
    let mut typedefs: BTreeMap<String, String> = BTreeMap::new();
    let resolve = |t: String, typedefs: &BTreeMap<String, String>| -> String {
        t.split(' ').map(|w| typedefs.get(w).cloned().unwrap_or_else(|| w.to_string())).collect::<Vec<_>>().join(" ")
    };
    for decl in text.split(';') {
        let decl = decl.trim();
        if let Some(rest) = decl.strip_prefix("typedef ").filter(|r| !r.contains('(')) {
            if let Some((ty, name)) = rest.trim().rsplit_once(char::is_whitespace) {
                typedefs.insert(name.to_string(), norm_type(ty));
            }
            continue;
        }
        let Some(open) = decl.find('(') else { continue };
        let Some(close) = decl.rfind(')') else { continue };
        let head = decl[..open].trim();
        let name_start = head.rfind(|c: char| !(c.is_alphanumeric() || c == '_')).map(|p| p + 1).unwrap_or(0);
        let name = head[name_start..].to_string();
        let ret = resolve(norm_type(&head[..name_start]), &typedefs);
        if name.is_empty() || ret.is_empty() {
            continue;
        }
        let args = decl[open + 1..close].trim();
        let mut params = Vec::new();
        if args != "void" && !args.is_empty() {
            for a in args.split(',') {
                let a = a.trim();
                let ns = a.rfind(|c: char| !(c.is_alphanumeric() || c == '_')).map(|p| p + 1).unwrap_or(0);
                params.push((resolve(norm_type(&a[..ns]), &typedefs), a[ns..].to_string()));
            }
        }
        out.insert(name, CProto { ret, params });
    }
    out
}

fn strip_const(t: &str) -> String {
    t.replace("const ", "")
}

/// Compares a call spec with the header: every difference is a problem.
pub fn check_against_header(spec: &CallSpec, header: &BTreeMap<String, CProto>) -> Vec<String> {
    let mut problems = Vec::new();
    let (ret, cparams) = match c_signature(spec) {
        Ok(x) => x,
        Err(p) => return p.into_iter().map(|m| format!("{spec}: {m}")).collect(),
    };
    let Some(proto) = header.get(&spec.symbol) else {
        return vec![format!(
            "{spec}: symbol \"{}\" is not in include/msgraph.h (ORA-06521 at the first call)",
            spec.symbol
        )];
    };
    if norm_type(&ret) != proto.ret {
        problems.push(format!("{spec}: returns {} but C returns {}", ret, proto.ret));
    }
    if cparams.len() != proto.params.len() {
        problems.push(format!(
            "{spec}: {} C arguments from PARAMETERS, {} in the prototype",
            cparams.len(),
            proto.params.len()
        ));
    }
    for (n, (cp, (hty, hname))) in cparams.iter().zip(proto.params.iter()).enumerate() {
        let want = norm_type(&cp.ty);
        // The agent passes IN buffers as plain pointers; a const-qualified
        // prototype accepts them. OUT pointers must not be const.
        let ok = match &cp.role {
            Role::Data { mode: Mode::In, .. } => strip_const(&want) == strip_const(hty),
            _ => want == *hty,
        };
        // Names follow one convention, so two parameters of the same type
        // swapped are caught too: p_x -> x, x_ind, x_len, x_maxlen.
        let base = |p: &str| p.to_lowercase().trim_start_matches("p_").to_string();
        let want_name = match &cp.role {
            Role::Context => None,
            Role::Data { param, .. } => Some(base(param)),
            Role::Indicator { param, .. } => Some(format!("{}_ind", base(param))),
            Role::Length { param, .. } => Some(format!("{}_len", base(param))),
            Role::MaxLen { param } => Some(format!("{}_maxlen", base(param))),
        };
        if let Some(w) = want_name {
            if &w != hname {
                problems.push(format!(
                    "{spec}: argument {} is {} by the call spec but {} in the prototype (order or naming drift)",
                    n + 1,
                    w,
                    hname
                ));
            }
        }
        if !ok {
            problems.push(format!(
                "{spec}: argument {} ({}) is {} by the call spec but {} {} in the prototype",
                n + 1,
                cp.what.to_lowercase(),
                want,
                hty,
                hname
            ));
        }
    }
    problems
}

/// All call specs of the sql/ tree.
pub fn sql_call_specs(root: &std::path::Path) -> Vec<CallSpec> {
    let mut files = Vec::new();
    collect(&root.join("sql"), &mut files);
    files.sort();
    let mut specs = Vec::new();
    for f in files {
        let src = std::fs::read_to_string(&f).unwrap();
        let rel = f.strip_prefix(root).unwrap().display().to_string();
        specs.extend(parse_call_specs(&rel, &src).unwrap_or_else(|e| panic!("{e}")));
    }
    specs
}

pub fn collect(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        let p = e.path();
        if p.is_dir() {
            collect(&p, out);
        } else if matches!(p.extension().and_then(|x| x.to_str()), Some("sql" | "pks" | "pkb")) {
            out.push(p);
        }
    }
}

/// Routine names (upper case) declared in a package spec.
pub fn package_routines(src: &str) -> Vec<String> {
    let toks = tokenize(src);
    let mut out = Vec::new();
    for w in toks.windows(2) {
        if matches!(word(&w[0].0), Some("FUNCTION") | Some("PROCEDURE")) {
            if let Tok::Word(n) = &w[1].0 {
                if !out.contains(n) {
                    out.push(n.clone());
                }
            }
        }
    }
    out
}

/// C source of the agent's marshalling layer, generated from the call
/// specs: for each, a function pointer typed by the call spec (not the
/// header), resolved with dlsym, and a wrapper `xp_<name>` taking
/// PL/SQL-level values that passes them exactly as the agent does (see
/// tests/extproc/agent.h).
pub fn generate_c(specs: &[CallSpec]) -> String {
    let mut s = String::new();
    s.push_str("/* Generated by tests/extproc/callspec.rs from the call specs of sql/: do not edit. */\n");
    s.push_str("#include \"agent.h\"\n\n");
    let mut loaders = String::new();
    for spec in specs {
        let (ret, params) = c_signature(spec).unwrap_or_else(|p| panic!("{spec}: {p:?}"));
        let lname = spec.plsql_name.to_lowercase();
        let argtypes: Vec<String> = params.iter().map(|p| p.ty.clone()).collect();
        s.push_str(&format!(
            "typedef {ret} (*{lname}_fn)({});\nstatic {lname}_fn p_{lname};\nstatic long n_{lname};\n",
            if argtypes.is_empty() { "void".to_string() } else { argtypes.join(", ") }
        ));
        // Wrapper signature: PL/SQL parameters in declaration order.
        let mut sig = Vec::new();
        for p in &spec.params {
            let ty = match (p.ty.as_str(), p.mode) {
                ("RAW", Mode::In) => "const plsql_raw *",
                ("RAW", _) => "plsql_raw *",
                (_, Mode::In) => "int32_t ",
                (_, _) => "int32_t *",
            };
            sig.push(format!("{ty}{}", p.name.to_lowercase()));
        }
        let rett = if spec.is_function { ret.clone() } else { "void".into() };
        s.push_str(&format!(
            "static {rett} xp_{lname}({}) {{\n",
            if sig.is_empty() { "void".to_string() } else { sig.join(", ") }
        ));
        s.push_str(&format!("  n_{lname}++;\n"));
        // Agent-side storage per parameter.
        for p in &spec.params {
            let n = p.name.to_lowercase();
            if p.ty == "RAW" {
                if p.mode == Mode::In {
                    s.push_str(&format!("  agent_in in_{n}; agent_in_init(&in_{n}, {n});\n"));
                } else {
                    s.push_str(&format!("  agent_out out_{n}; agent_out_init(&out_{n}, {n});\n"));
                }
            } else if p.mode != Mode::In {
                s.push_str(&format!("  int32_t v_{n} = (int32_t)0x5A5A5A5A;\n"));
            }
        }
        let mut args = Vec::new();
        for cp in &params {
            let a = match &cp.role {
                Role::Context => "agent_context()".to_string(),
                Role::Data { param, mode, .. } => {
                    let n = param.to_lowercase();
                    let is_raw = spec.params.iter().any(|p| &p.name == param && p.ty == "RAW");
                    match (is_raw, mode) {
                        (true, Mode::In) => format!("in_{n}.data"),
                        (true, _) => format!("out_{n}.data"),
                        (false, Mode::In) => n,
                        (false, _) => format!("&v_{n}"),
                    }
                }
                Role::Indicator { param, mode } => {
                    let n = param.to_lowercase();
                    if *mode == Mode::In { format!("in_{n}.ind") } else { format!("&out_{n}.ind") }
                }
                Role::Length { param, mode } => {
                    let n = param.to_lowercase();
                    if *mode == Mode::In { format!("in_{n}.len") } else { format!("&out_{n}.len") }
                }
                Role::MaxLen { param } => format!("&out_{}.maxlen", param.to_lowercase()),
            };
            args.push(a);
        }
        let call = format!("p_{lname}({})", args.join(", "));
        if spec.is_function {
            s.push_str(&format!("  {ret} rv = {call};\n"));
        } else {
            s.push_str(&format!("  {call};\n"));
        }
        for p in &spec.params {
            let n = p.name.to_lowercase();
            if p.ty == "RAW" {
                if p.mode == Mode::In {
                    s.push_str(&format!("  agent_in_done(&in_{n}, \"{lname}.{n}\");\n"));
                } else {
                    s.push_str(&format!("  agent_out_done(&out_{n}, {n}, \"{lname}.{n}\");\n"));
                }
            } else if p.mode != Mode::In {
                s.push_str(&format!(
                    "  if (v_{n} == (int32_t)0x5A5A5A5A) agent_fail(\"{lname}.{n}: OUT INT not set\");\n  *{n} = v_{n};\n"
                ));
            }
        }
        if spec.is_function {
            s.push_str("  return rv;\n");
        }
        s.push_str("}\n\n");
        loaders.push_str(&format!(
            "  p_{lname} = ({lname}_fn)agent_sym(lib, \"{}\");\n",
            spec.symbol
        ));
    }
    // Robustness: every entry point with NULLs, empty and invalid text,
    // extreme integers and tiny OUT buffers must return, never crash.
    s.push_str("static void agent_fuzz_all(void) {\n");
    s.push_str("  static const int32_t ints[5] = {0, -1, INT32_MAX, INT32_MIN, 1};\n");
    s.push_str("  static const int32_t caps[5] = {0, 1, 3, 100, 4};\n");
    s.push_str("  static const char *texts[5] = {NULL, \"\", \"\\xff\\xfe\\xc3\", \"{\\\"a\\\":\", \"\\xe6\\x9d\"};\n");
    s.push_str("  for (int v = 0; v < 5; v++) {\n");
    for spec in specs {
        let lname = spec.plsql_name.to_lowercase();
        s.push_str("    {\n");
        let mut args = Vec::new();
        for p in &spec.params {
            let n = p.name.to_lowercase();
            match (p.ty.as_str(), p.mode) {
                ("RAW", Mode::In) => {
                    s.push_str(&format!(
                        "      plsql_raw {n} = {{texts[v] == NULL, texts[v] ? (int32_t)strlen(texts[v]) : 0, 0, (uint8_t *)(texts[v] ? texts[v] : \"\")}};\n"
                    ));
                    args.push(format!("&{n}"));
                }
                ("RAW", _) => {
                    s.push_str(&format!(
                        "      uint8_t {n}_buf[128]; plsql_raw {n} = {{1, 0, caps[v], {n}_buf}};\n"
                    ));
                    args.push(format!("&{n}"));
                }
                (_, Mode::In) => args.push("ints[v]".to_string()),
                _ => {
                    s.push_str(&format!("      int32_t {n} = 0;\n"));
                    args.push(format!("&{n}"));
                }
            }
        }
        let call = format!("xp_{lname}({})", args.join(", "));
        if spec.is_function {
            s.push_str(&format!("      printf(\"FUZZ {lname} %d -> %d\\n\", v, (int)({call}));\n"));
        } else {
            s.push_str(&format!("      {call};\n"));
        }
        s.push_str("    }\n");
    }
    s.push_str("  }\n}\n\n");
    s.push_str("static void agent_load_all(void *lib) {\n");
    s.push_str(&loaders);
    s.push_str("}\n\nstatic void agent_report_calls(FILE *f) {\n");
    for spec in specs {
        let lname = spec.plsql_name.to_lowercase();
        s.push_str(&format!("  fprintf(f, \"CALLSPEC {} %ld\\n\", n_{lname});\n", lname));
    }
    s.push_str("}\n");
    s
}

/// C source that assigns every header function to a pointer typed by its
/// call spec: the C compiler (-Werror) then checks the mapping too.
pub fn generate_c_typecheck(specs: &[CallSpec]) -> String {
    let mut s = String::from("/* Generated: each call spec's C type must accept the header's function. */\n#include <stdint.h>\n#include <stddef.h>\n#include \"msgraph.h\"\n\n");
    for (i, spec) in specs.iter().enumerate() {
        let (ret, params) = c_signature(spec).unwrap_or_else(|p| panic!("{spec}: {p:?}"));
        let argtypes: Vec<String> = params
            .iter()
            .map(|p| match &p.role {
                // The agent's IN buffers are read-only to the routine.
                Role::Data { mode: Mode::In, .. } if p.ty.ends_with('*') => format!("const {}", p.ty),
                _ => p.ty.clone(),
            })
            .collect();
        s.push_str(&format!(
            "typedef {ret} (*spec{i}_fn)({});\nspec{i}_fn spec{i} = {};\n",
            if argtypes.is_empty() { "void".into() } else { argtypes.join(", ") },
            spec.symbol
        ));
    }
    s
}
