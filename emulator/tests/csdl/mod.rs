//! Graph's v1.0 CSDL (tests/data/cleanMetadata.v1.0.xml.gz, from microsoftgraph/msgraph-metadata)
//! and a checker of JSON bodies against it: property names (nothing beta-only or invented),
//! Edm types, nullability (collections are arrays, never null), enum members, nested complex
//! types. Shared by schema.rs (a route walk) and recorded_bodies.rs (every recorded body).
#![allow(dead_code)]
use serde_json::Value;
use std::collections::HashMap;
use std::io::Read;

#[derive(Default)]
pub struct Ty {
    pub base: Option<String>,
    pub props: HashMap<String, (String, bool)>, // name -> (type, nullable)
    /// OpenType="true" (e.g. fieldValueSet): properties beyond the declared ones are allowed
    pub open: bool,
}

pub struct Csdl {
    pub types: HashMap<String, Ty>,
    pub enums: HashMap<String, Vec<String>>,
}

pub fn short(t: &str) -> String {
    t.trim_start_matches("#").trim_start_matches("microsoft.graph.").trim_start_matches("graph.").to_string()
}

pub fn load() -> Csdl {
    let gz = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/cleanMetadata.v1.0.xml.gz")).unwrap();
    let mut xml = String::new();
    flate2::read::GzDecoder::new(&gz[..]).read_to_string(&mut xml).unwrap();
    let doc = roxmltree::Document::parse(xml.trim_start_matches('\u{feff}')).unwrap();
    let mut c = Csdl { types: HashMap::new(), enums: HashMap::new() };
    for schema in doc.descendants().filter(|n| n.has_tag_name("Schema") && n.attribute("Namespace") == Some("microsoft.graph")) {
        for n in schema.children().filter(|n| n.is_element()) {
            let Some(name) = n.attribute("Name") else { continue };
            match n.tag_name().name() {
                "EntityType" | "ComplexType" => {
                    let mut t = Ty { base: n.attribute("BaseType").map(short), open: n.attribute("OpenType") == Some("true"), ..Ty::default() };
                    for p in n.children().filter(|p| p.has_tag_name("Property") || p.has_tag_name("NavigationProperty")) {
                        let nullable = p.attribute("Nullable") != Some("false");
                        t.props.insert(p.attribute("Name").unwrap().to_string(), (p.attribute("Type").unwrap().to_string(), nullable));
                    }
                    c.types.insert(name.to_string(), t);
                }
                "EnumType" => {
                    c.enums.insert(name.to_string(), n.children().filter(|m| m.has_tag_name("Member")).filter_map(|m| m.attribute("Name")).map(String::from).collect());
                }
                _ => {}
            }
        }
    }
    c
}

impl Csdl {
    pub fn prop(&self, ty: &str, name: &str) -> Option<(String, bool)> {
        let mut cur = Some(ty.to_string());
        while let Some(t) = cur {
            let d = self.types.get(&t)?;
            if let Some(p) = d.props.get(name) {
                return Some(p.clone());
            }
            cur = d.base.clone();
        }
        None
    }

    /// Whether `name`, not declared, may appear as a dynamic property of an open type. Open
    /// directory objects (group, user, application…) are open for directory extensions only
    /// (`extension_{appId}_{name}`), so a beta-only property there still counts as a deviation;
    /// other open types (fieldValueSet: a list's columns) take any name.
    pub fn allows_dynamic(&self, ty: &str, name: &str) -> bool {
        if !self.is_open(ty) {
            return false;
        }
        let mut cur = Some(ty.to_string());
        while let Some(t) = cur {
            if t == "directoryObject" {
                return name.starts_with("extension_");
            }
            cur = self.types.get(&t).and_then(|d| d.base.clone());
        }
        true
    }

    pub fn is_open(&self, ty: &str) -> bool {
        let mut cur = Some(ty.to_string());
        while let Some(t) = cur {
            let Some(d) = self.types.get(&t) else { return false };
            if d.open {
                return true;
            }
            cur = d.base.clone();
        }
        false
    }

    pub fn check_obj(&self, ty: &str, v: &Value, at: &str, errs: &mut Vec<String>) {
        let Value::Object(m) = v else {
            errs.push(format!("{at}: expected an object of type {ty}, got {v}"));
            return;
        };
        if m.contains_key("@removed") {
            return; // delta tombstone: id + @removed only
        }
        let ty = m.get("@odata.type").and_then(|t| t.as_str()).map(short).unwrap_or_else(|| ty.to_string());
        if !self.types.contains_key(&ty) {
            errs.push(format!("{at}: type {ty} is not in the v1.0 schema"));
            return;
        }
        for (k, val) in m {
            if k.starts_with('@') || k.contains('@') {
                continue;
            }
            match self.prop(&ty, k) {
                None if self.allows_dynamic(&ty, k) => {}
                None => errs.push(format!("{at}: {ty} has no property '{k}' in v1.0")),
                Some((pt, nullable)) => self.check_val(&pt, nullable, val, &format!("{at}.{k}"), errs),
            }
        }
    }

    pub fn check_val(&self, t: &str, nullable: bool, v: &Value, at: &str, errs: &mut Vec<String>) {
        if let Some(inner) = t.strip_prefix("Collection(").and_then(|s| s.strip_suffix(')')) {
            match v {
                Value::Array(a) => {
                    for (i, x) in a.iter().enumerate() {
                        self.check_val(inner, false, x, &format!("{at}[{i}]"), errs);
                    }
                }
                _ => errs.push(format!("{at}: collection {t} must be an array (never null), got {v}")),
            }
            return;
        }
        if v.is_null() {
            if !nullable {
                errs.push(format!("{at}: non-nullable {t} is null"));
            }
            return;
        }
        let ok = match t {
            "Edm.String" | "Edm.Guid" | "Edm.DateTimeOffset" | "Edm.Date" | "Edm.TimeOfDay" | "Edm.Duration" | "Edm.Binary" => v.is_string(),
            "Edm.Boolean" => v.is_boolean(),
            "Edm.Int16" | "Edm.Int32" | "Edm.Int64" | "Edm.Byte" | "Edm.SByte" => v.is_i64() || v.is_u64(),
            "Edm.Double" | "Edm.Single" | "Edm.Decimal" => v.is_number() || v.is_string(),
            "Edm.Stream" | "Edm.Untyped" => true,
            other => {
                let s = short(other);
                if let Some(members) = self.enums.get(&s) {
                    match v.as_str() {
                        Some(x) => {
                            for part in x.split(',') {
                                if !members.iter().any(|m| m == part.trim()) {
                                    errs.push(format!("{at}: '{part}' is not a member of enum {s}"));
                                }
                            }
                            true
                        }
                        None => false,
                    }
                } else {
                    self.check_obj(&s, v, at, errs);
                    true
                }
            }
        };
        if !ok {
            errs.push(format!("{at}: {v} is not a {t}"));
        }
    }
}

