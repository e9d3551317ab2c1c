//! A small OData $filter parser/evaluator and $orderby/$select helpers.

use serde_json::Value;

#[derive(Clone, Debug, PartialEq)]
pub enum Lit {
    Str(String),
    Num(f64),
    Bool(bool),
    Null,
}

#[derive(Clone, Debug)]
pub enum Expr {
    And(Box<Expr>, Box<Expr>),
    Or(Box<Expr>, Box<Expr>),
    Not(Box<Expr>),
    Cmp(String, String, Lit),
    Func(String, String, Lit),
}

#[derive(Clone, Debug, PartialEq)]
enum Tok {
    Word(String),
    Str(String),
    LP,
    RP,
    Comma,
}

fn lex(s: &str) -> Result<Vec<Tok>, String> {
    let mut out = vec![];
    let c: Vec<char> = s.chars().collect();
    let mut i = 0;
    while i < c.len() {
        let ch = c[i];
        if ch.is_whitespace() {
            i += 1;
        } else if ch == '(' {
            out.push(Tok::LP);
            i += 1;
        } else if ch == ')' {
            out.push(Tok::RP);
            i += 1;
        } else if ch == ',' {
            out.push(Tok::Comma);
            i += 1;
        } else if ch == '\'' {
            let mut v = String::new();
            i += 1;
            loop {
                if i >= c.len() {
                    return Err("unterminated string literal".into());
                }
                if c[i] == '\'' {
                    if i + 1 < c.len() && c[i + 1] == '\'' {
                        v.push('\'');
                        i += 2;
                        continue;
                    }
                    i += 1;
                    break;
                }
                v.push(c[i]);
                i += 1;
            }
            out.push(Tok::Str(v));
        } else if ch.is_alphanumeric() || "_-./$@:+".contains(ch) {
            let mut v = String::new();
            while i < c.len() && (c[i].is_alphanumeric() || "_-./$@:+".contains(c[i])) {
                v.push(c[i]);
                i += 1;
            }
            out.push(Tok::Word(v));
        } else {
            return Err(format!("syntax error at position {i} in '{s}'"));
        }
    }
    Ok(out)
}

struct P {
    t: Vec<Tok>,
    i: usize,
}

impl P {
    fn peek_word(&self, w: &str) -> bool {
        matches!(self.t.get(self.i), Some(Tok::Word(x)) if x.eq_ignore_ascii_case(w))
    }
    fn or(&mut self) -> Result<Expr, String> {
        let mut l = self.and()?;
        while self.peek_word("or") {
            self.i += 1;
            let r = self.and()?;
            l = Expr::Or(Box::new(l), Box::new(r));
        }
        Ok(l)
    }
    fn and(&mut self) -> Result<Expr, String> {
        let mut l = self.unary()?;
        while self.peek_word("and") {
            self.i += 1;
            let r = self.unary()?;
            l = Expr::And(Box::new(l), Box::new(r));
        }
        Ok(l)
    }
    fn lit(&mut self) -> Result<Lit, String> {
        match self.t.get(self.i).cloned() {
            Some(Tok::Str(s)) => {
                self.i += 1;
                Ok(Lit::Str(s))
            }
            Some(Tok::Word(w)) => {
                self.i += 1;
                Ok(match w.to_ascii_lowercase().as_str() {
                    "true" => Lit::Bool(true),
                    "false" => Lit::Bool(false),
                    "null" => Lit::Null,
                    _ => match w.parse::<f64>() {
                        Ok(n) if !w.contains('-') || w.starts_with('-') && w[1..].chars().all(|c| c.is_ascii_digit() || c == '.') => Lit::Num(n),
                        _ => Lit::Str(w),
                    },
                })
            }
            other => Err(format!("expected a literal, found {other:?}")),
        }
    }
    fn unary(&mut self) -> Result<Expr, String> {
        if self.peek_word("not") {
            self.i += 1;
            return Ok(Expr::Not(Box::new(self.unary()?)));
        }
        match self.t.get(self.i).cloned() {
            Some(Tok::LP) => {
                self.i += 1;
                let e = self.or()?;
                if self.t.get(self.i) != Some(&Tok::RP) {
                    return Err("expected ')'".into());
                }
                self.i += 1;
                Ok(e)
            }
            Some(Tok::Word(w)) => {
                self.i += 1;
                if self.t.get(self.i) == Some(&Tok::LP) {
                    self.i += 1;
                    let prop = match self.t.get(self.i).cloned() {
                        Some(Tok::Word(p)) => p,
                        other => return Err(format!("expected a property, found {other:?}")),
                    };
                    self.i += 1;
                    if self.t.get(self.i) != Some(&Tok::Comma) {
                        return Err("expected ','".into());
                    }
                    self.i += 1;
                    let l = self.lit()?;
                    if self.t.get(self.i) != Some(&Tok::RP) {
                        return Err("expected ')'".into());
                    }
                    self.i += 1;
                    let f = w.to_ascii_lowercase();
                    if !["startswith", "endswith", "contains"].contains(&f.as_str()) {
                        return Err(format!("unknown function '{w}'"));
                    }
                    // startswith(x,'a') eq true
                    if self.peek_word("eq") {
                        self.i += 1;
                        let b = self.lit()?;
                        let e = Expr::Func(f, prop, l);
                        return Ok(if b == Lit::Bool(false) { Expr::Not(Box::new(e)) } else { e });
                    }
                    return Ok(Expr::Func(f, prop, l));
                }
                let op = match self.t.get(self.i).cloned() {
                    Some(Tok::Word(o)) => o.to_ascii_lowercase(),
                    other => return Err(format!("expected an operator after '{w}', found {other:?}")),
                };
                if !["eq", "ne", "gt", "ge", "lt", "le"].contains(&op.as_str()) {
                    return Err(format!("unknown operator '{op}'"));
                }
                self.i += 1;
                let l = self.lit()?;
                Ok(Expr::Cmp(w, op, l))
            }
            other => Err(format!("unexpected token {other:?}")),
        }
    }
}

pub fn parse(s: &str) -> Result<Expr, String> {
    let t = lex(s)?;
    if t.is_empty() {
        return Err("empty filter".into());
    }
    let mut p = P { t, i: 0 };
    let e = p.or()?;
    if p.i != p.t.len() {
        return Err(format!("syntax error: unexpected trailing input in '{s}'"));
    }
    Ok(e)
}

/// Every property referenced by an expression (for validation).
pub fn props(e: &Expr, out: &mut Vec<(String, String)>) {
    match e {
        Expr::And(a, b) | Expr::Or(a, b) => {
            props(a, out);
            props(b, out);
        }
        Expr::Not(a) => props(a, out),
        Expr::Cmp(p, op, _) => out.push((p.clone(), op.clone())),
        Expr::Func(f, p, _) => out.push((p.clone(), f.clone())),
    }
}

pub fn get_path<'a>(v: &'a Value, path: &str) -> &'a Value {
    let mut cur = v;
    for seg in path.split('/') {
        cur = match cur {
            Value::Object(m) => m.iter().find(|(k, _)| k.eq_ignore_ascii_case(seg)).map(|(_, v)| v).unwrap_or(&Value::Null),
            _ => &Value::Null,
        };
    }
    cur
}

fn cmp_vals(a: &Value, l: &Lit) -> Option<std::cmp::Ordering> {
    match (a, l) {
        (Value::String(s), Lit::Str(t)) => Some(s.to_lowercase().cmp(&t.to_lowercase())),
        (Value::Number(n), Lit::Num(t)) => n.as_f64()?.partial_cmp(t),
        (Value::Bool(b), Lit::Bool(t)) => Some(b.cmp(t)),
        (Value::Null, Lit::Null) => Some(std::cmp::Ordering::Equal),
        _ => None,
    }
}

pub fn eval(e: &Expr, v: &Value) -> bool {
    use std::cmp::Ordering::*;
    match e {
        Expr::And(a, b) => eval(a, v) && eval(b, v),
        Expr::Or(a, b) => eval(a, v) || eval(b, v),
        Expr::Not(a) => !eval(a, v),
        Expr::Cmp(p, op, l) => {
            let x = get_path(v, p);
            // collections: "any" semantics for eq on arrays of strings
            if let Value::Array(items) = x {
                return op == "eq" && items.iter().any(|i| cmp_vals(i, l) == Some(Equal));
            }
            let c = cmp_vals(x, l);
            match op.as_str() {
                "eq" => c == Some(Equal),
                "ne" => c != Some(Equal),
                "gt" => c == Some(Greater),
                "ge" => matches!(c, Some(Greater | Equal)),
                "lt" => c == Some(Less),
                "le" => matches!(c, Some(Less | Equal)),
                _ => false,
            }
        }
        Expr::Func(f, p, Lit::Str(t)) => {
            let x = get_path(v, p);
            let Some(s) = x.as_str() else { return false };
            let (s, t) = (s.to_lowercase(), t.to_lowercase());
            match f.as_str() {
                "startswith" => s.starts_with(&t),
                "endswith" => s.ends_with(&t),
                "contains" => s.contains(&t),
                _ => false,
            }
        }
        Expr::Func(..) => false,
    }
}

/// Parse "$orderby=displayName desc,mail" into (property, descending).
pub fn parse_orderby(s: &str) -> Vec<(String, bool)> {
    s.split(',')
        .filter_map(|p| {
            let mut it = p.split_whitespace();
            let prop = it.next()?.to_string();
            let desc = it.next().map(|d| d.eq_ignore_ascii_case("desc")).unwrap_or(false);
            Some((prop, desc))
        })
        .collect()
}

pub fn compare_by(a: &Value, b: &Value, keys: &[(String, bool)]) -> std::cmp::Ordering {
    for (k, desc) in keys {
        let (x, y) = (get_path(a, k), get_path(b, k));
        let o = match (x, y) {
            (Value::String(s), Value::String(t)) => s.to_lowercase().cmp(&t.to_lowercase()),
            (Value::Number(s), Value::Number(t)) => s.as_f64().partial_cmp(&t.as_f64()).unwrap_or(std::cmp::Ordering::Equal),
            (Value::Bool(s), Value::Bool(t)) => s.cmp(t),
            (Value::Null, Value::Null) => std::cmp::Ordering::Equal,
            (Value::Null, _) => std::cmp::Ordering::Less,
            (_, Value::Null) => std::cmp::Ordering::Greater,
            _ => std::cmp::Ordering::Equal,
        };
        let o = if *desc { o.reverse() } else { o };
        if o != std::cmp::Ordering::Equal {
            return o;
        }
    }
    std::cmp::Ordering::Equal
}

pub fn parse_select(s: &str) -> Vec<String> {
    s.split(',').map(|x| x.trim().to_string()).filter(|x| !x.is_empty()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    #[test]
    fn filters() {
        let v = json!({"displayName": "Zoë Müller", "accountEnabled": true, "mail": "zoe.mueller@contoso.onmicrosoft.com", "n": 5});
        assert!(eval(&parse("startswith(displayName,'zo')").unwrap(), &v));
        assert!(eval(&parse("accountEnabled eq true and mail eq 'ZOE.mueller@contoso.onmicrosoft.com'").unwrap(), &v));
        assert!(!eval(&parse("not(accountEnabled eq true)").unwrap(), &v));
        assert!(eval(&parse("n ge 5 or displayName eq 'x'").unwrap(), &v));
        assert!(!eval(&parse("displayName eq 'O''Brien'").unwrap(), &v));
        assert!(parse("startswith(displayName").is_err());
        assert!(parse("displayName eq").is_err());
        assert!(parse("'").is_err());
        assert!(parse("a % b").is_err());
    }
}
