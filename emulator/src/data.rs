//! Seeded tenant: directory (users, groups, applications, sites, organization).
//! Users are generated on demand from their index, so 100,000 users cost little memory:
//! only created/patched users are stored, plus a UPN index.

use crate::util::*;
use serde_json::{json, Map, Value};
use std::collections::{HashMap, HashSet};

pub const TENANT_ID: &str = "5f1c7e2a-9b3d-4c8e-a6f0-2d4b8e1c3a57";
pub const TENANT_DOMAIN: &str = "contoso.onmicrosoft.com";
pub const TENANT_NAME: &str = "Contoso";
pub const CLIENT_ID: &str = "8a3f5d21-6c4e-4b7a-9e12-3f0d7c6b5a94";
pub const CLIENT_SECRET: &str = "kQ58Q~Emu1atorSecretValue.9xZ_7-wV3bN2cM0qL";
pub const CLIENT_SECRET_ID: &str = "e4b8c1d2-7f3a-4a9e-8b6c-0d5f2e1a9c37";
pub const READER_CLIENT_ID: &str = "2b7e9c4f-1d8a-4e3b-b5c6-7a0f9d2e4c18";
pub const READER_CLIENT_SECRET: &str = "rD39Q~ReaderOnly.Secret_Value-4hJk8Lm2Np6Qr";
pub const EXPIRED_CLIENT_ID: &str = "c6d2a8e5-3b9f-4f1c-a7d4-9e8b0c5f2a63";
pub const EXPIRED_CLIENT_SECRET: &str = "xP71Q~Expired.Secret_Value-0aBc2De4Fg6Hi8Jk";
pub const GRAPH_RESOURCE_APP_ID: &str = "00000003-0000-0000-c000-000000000000";
pub const ROOT_SITE_ID: &str = "contoso.sharepoint.com,2c712604-1370-44e7-a1f5-426573fda80a,2d2244c3-251a-49ea-93a8-39e1c3a060fe";

pub const PRIMARY_ROLES: &[&str] = &[
    "User.Read.All",
    "User.ReadWrite.All",
    "Group.Read.All",
    "Application.Read.All",
    "Organization.Read.All",
    "Mail.Send",
    "Mail.ReadWrite",
    "Calendars.ReadWrite",
    "Contacts.ReadWrite",
    "MailboxSettings.ReadWrite",
    "Tasks.ReadWrite.All",
    "Sites.Read.All",
];

#[derive(Clone, Debug)]
pub struct Secret {
    pub key_id: String,
    pub value: Option<String>,
    pub display_name: String,
    pub start: i64,
    pub end: i64,
}

#[derive(Clone, Debug)]
pub struct CertCred {
    pub key_id: String,
    pub display_name: String,
    pub start: i64,
    pub end: i64,
    pub thumbprint: Vec<u8>,
}

#[derive(Clone, Debug)]
pub struct AppReg {
    pub object_id: String,
    pub app_id: String,
    pub sp_object_id: String,
    pub display_name: String,
    pub roles: Vec<String>,
    pub secrets: Vec<Secret>,
    pub certs: Vec<CertCred>,
    pub created: i64,
}

impl AppReg {
    pub fn to_json(&self) -> Value {
        let pw: Vec<Value> = self
            .secrets
            .iter()
            .map(|s| {
                json!({
                    "customKeyIdentifier": null,
                    "displayName": s.display_name,
                    "endDateTime": iso7(s.end, (hash_str(&s.key_id) % 10_000_000) as u32),
                    "hint": s.value.as_deref().map(|v| v.chars().take(3).collect::<String>()).unwrap_or_else(|| "Xy~".into()),
                    "keyId": s.key_id,
                    "secretText": null,
                    "startDateTime": iso7(s.start, (hash_str(&s.key_id) % 10_000_000) as u32),
                })
            })
            .collect();
        let kc: Vec<Value> = self
            .certs
            .iter()
            .map(|c| {
                json!({
                    "customKeyIdentifier": c.thumbprint.iter().map(|b| format!("{b:02X}")).collect::<String>(),
                    "displayName": c.display_name,
                    "endDateTime": iso(c.end),
                    "key": null,
                    "keyId": c.key_id,
                    "startDateTime": iso(c.start),
                    "type": "AsymmetricX509Cert",
                    "usage": "Verify",
                })
            })
            .collect();
        let rra: Vec<Value> = self
            .roles
            .iter()
            .map(|r| json!({"id": det_guid("approle", hash_str(r)), "type": "Role"}))
            .collect();
        json!({
            "id": self.object_id,
            "deletedDateTime": null,
            "appId": self.app_id,
            "applicationTemplateId": null,
            "disabledByMicrosoftStatus": null,
            "createdDateTime": iso(self.created),
            "displayName": self.display_name,
            "description": null,
            "groupMembershipClaims": null,
            "identifierUris": [],
            "isDeviceOnlyAuthSupported": null,
            "isFallbackPublicClient": null,
            "notes": null,
            "publisherDomain": TENANT_DOMAIN,
            "serviceManagementReference": null,
            "signInAudience": "AzureADMyOrg",
            "tags": [],
            "tokenEncryptionKeyId": null,
            "api": {"requestedAccessTokenVersion": null, "acceptMappedClaims": null, "knownClientApplications": [], "oauth2PermissionScopes": [], "preAuthorizedApplications": []},
            "appRoles": [],
            "info": {"termsOfServiceUrl": null, "supportUrl": null, "privacyStatementUrl": null, "marketingUrl": null, "logoUrl": null},
            "keyCredentials": kc,
            "parentalControlSettings": {"countriesBlockedForMinors": [], "legalAgeGroupRule": "Allow"},
            "passwordCredentials": pw,
            "publicClient": {"redirectUris": []},
            "requiredResourceAccess": [{"resourceAppId": GRAPH_RESOURCE_APP_ID, "resourceAccess": rra}],
            "web": {"homePageUrl": null, "logoutUrl": null, "redirectUris": [], "implicitGrantSettings": {"enableAccessTokenIssuance": false, "enableIdTokenIssuance": false}},
        })
    }
}

fn build_apps(now: i64) -> Vec<AppReg> {
    const DAY: i64 = 86400;
    let mk = |n: u64, name: &str, app_id: &str, roles: &[&str], created_days_ago: i64| AppReg {
        object_id: det_guid("app-object", n),
        app_id: app_id.to_string(),
        sp_object_id: det_guid("sp-object", n),
        display_name: name.to_string(),
        roles: roles.iter().map(|s| s.to_string()).collect(),
        secrets: vec![],
        certs: vec![],
        created: now - created_days_ago * DAY,
    };
    let mut primary = mk(1, "msgraph-extproc", CLIENT_ID, PRIMARY_ROLES, 400);
    primary.secrets.push(Secret {
        key_id: det_guid("secret", 100),
        value: None,
        display_name: "old secret".into(),
        start: now - 400 * DAY,
        end: now - 35 * DAY,
    });
    primary.secrets.push(Secret {
        key_id: CLIENT_SECRET_ID.into(),
        value: Some(CLIENT_SECRET.into()),
        display_name: "extproc".into(),
        start: now - 30 * DAY,
        end: now + 335 * DAY,
    });
    primary.certs.push(CertCred {
        key_id: det_guid("cert", 1),
        display_name: "CN=msgraph-extproc".into(),
        start: now - 30 * DAY,
        end: now + 335 * DAY,
        thumbprint: (0..20).map(|i| (splitmix(1000 + i) & 0xff) as u8).collect(),
    });
    let mut reader = mk(2, "directory-reader", READER_CLIENT_ID, &["User.Read.All"], 200);
    reader.secrets.push(Secret {
        key_id: det_guid("secret", 200),
        value: Some(READER_CLIENT_SECRET.into()),
        display_name: "reader".into(),
        start: now - 20 * DAY,
        end: now + 160 * DAY,
    });
    let mut expired = mk(3, "legacy-sync", EXPIRED_CLIENT_ID, &["User.Read.All"], 800);
    expired.secrets.push(Secret {
        key_id: det_guid("secret", 300),
        value: Some(EXPIRED_CLIENT_SECRET.into()),
        display_name: "legacy".into(),
        start: now - 735 * DAY,
        end: now - 5 * DAY,
    });
    let mut apps = vec![primary, reader, expired];
    // More registrations whose credentials expire in the past, within 10 days, and later.
    let extra = [
        ("HR Portal", -12i64, 3i64),
        ("Payroll Connector", 2, 40),
        ("Teams Bot", 6, -2),
        ("Backup Service", 9, 700),
        ("Intranet", 180, 8),
        ("Reporting", 365, 1),
    ];
    for (i, (name, sec_days, cert_days)) in extra.iter().enumerate() {
        let n = 10 + i as u64;
        let mut a = mk(n, name, &det_guid("app-id", n), &["User.Read.All"], 300 + 10 * i as i64);
        a.secrets.push(Secret {
            key_id: det_guid("secret", n * 10),
            value: None,
            display_name: format!("{name} secret"),
            start: now + sec_days * DAY - 365 * DAY,
            end: now + sec_days * DAY,
        });
        a.certs.push(CertCred {
            key_id: det_guid("cert", n),
            display_name: format!("CN={name}"),
            start: now + cert_days * DAY - 365 * DAY,
            end: now + cert_days * DAY,
            thumbprint: (0..20).map(|k| (splitmix(n * 100 + k) & 0xff) as u8).collect(),
        });
        apps.push(a);
    }
    apps
}

// ---------------- users ----------------

struct Culture {
    given: &'static [(&'static str, &'static str)],
    surname: &'static [(&'static str, &'static str)],
    family_first: bool,
    spaced: bool,
    lang: &'static str,
    country: &'static str,
    usage: &'static str,
    city: &'static str,
}

const CULTURES: &[Culture] = &[
    Culture {
        given: &[("Zoë", "zoe"), ("Jürgen", "juergen"), ("Lukas", "lukas"), ("Anna", "anna"), ("Jörg", "joerg"), ("Lena", "lena"), ("Maximilian", "maximilian"), ("Greta", "greta")],
        surname: &[("Müller", "mueller"), ("Schröder", "schroeder"), ("Weiß", "weiss"), ("Krüger", "krueger"), ("Becker", "becker"), ("Hoffmann", "hoffmann"), ("Groß", "gross"), ("Köhler", "koehler")],
        family_first: false, spaced: true, lang: "de-DE", country: "Germany", usage: "DE", city: "München",
    },
    Culture {
        given: &[("José", "jose"), ("María", "maria"), ("Lucía", "lucia"), ("Álvaro", "alvaro"), ("Iñigo", "inigo"), ("Carmen", "carmen"), ("Sofía", "sofia"), ("Andrés", "andres")],
        surname: &[("Núñez", "nunez"), ("García", "garcia"), ("López", "lopez"), ("Martínez", "martinez"), ("Pérez", "perez"), ("Sánchez", "sanchez"), ("Gómez", "gomez"), ("Ortiz", "ortiz")],
        family_first: false, spaced: true, lang: "es-ES", country: "Spain", usage: "ES", city: "Sevilla",
    },
    Culture {
        given: &[("雷", "lei"), ("娜", "na"), ("伟", "wei"), ("芳", "fang"), ("强", "qiang"), ("静", "jing"), ("明", "ming"), ("华", "hua")],
        surname: &[("李", "li"), ("王", "wang"), ("张", "zhang"), ("刘", "liu"), ("陈", "chen"), ("杨", "yang"), ("赵", "zhao"), ("黄", "huang")],
        family_first: true, spaced: false, lang: "zh-CN", country: "China", usage: "CN", city: "上海",
    },
    Culture {
        given: &[("Hiroshi", "hiroshi"), ("Yūki", "yuki"), ("Haruto", "haruto"), ("Sakura", "sakura"), ("Ren", "ren"), ("Aoi", "aoi"), ("Kenta", "kenta"), ("Mei", "mei")],
        surname: &[("Ōta", "ota"), ("Satō", "sato"), ("Suzuki", "suzuki"), ("Takahashi", "takahashi"), ("Tanaka", "tanaka"), ("Itō", "ito"), ("Watanabe", "watanabe"), ("Yamamoto", "yamamoto")],
        family_first: true, spaced: true, lang: "ja-JP", country: "Japan", usage: "JP", city: "Tōkyō",
    },
    Culture {
        given: &[("Søren", "soren"), ("Åsa", "asa"), ("Björn", "bjorn"), ("Ingrid", "ingrid"), ("Lars", "lars"), ("Freja", "freja"), ("Mikkel", "mikkel"), ("Sigrid", "sigrid")],
        surname: &[("Ærø", "aero"), ("Østergaard", "ostergaard"), ("Lindqvist", "lindqvist"), ("Håkansson", "hakansson"), ("Nielsen", "nielsen"), ("Johansson", "johansson"), ("Dahl", "dahl"), ("Berg", "berg")],
        family_first: false, spaced: true, lang: "da-DK", country: "Denmark", usage: "DK", city: "København",
    },
    Culture {
        given: &[("Adele", "adele"), ("Megan", "megan"), ("Alex", "alex"), ("Diego", "diego"), ("Grady", "grady"), ("Isaiah", "isaiah"), ("Johanna", "johanna"), ("Patti", "patti")],
        surname: &[("Vance", "vance"), ("Bowen", "bowen"), ("Wilber", "wilber"), ("Siciliani", "siciliani"), ("Archie", "archie"), ("Langer", "langer"), ("Lorenz", "lorenz"), ("O'Brien", "obrien")],
        family_first: false, spaced: true, lang: "en-US", country: "United States", usage: "US", city: "Redmond",
    },
];

const JOBS: &[&str] = &["Marketing Manager", "Software Engineer", "Sales Representative", "Product Manager", "Accountant", "HR Specialist", "Support Engineer", "Designer", "Data Analyst", "Retail Manager"];
const DEPTS: &[&str] = &["Marketing", "Engineering", "Sales", "Product", "Finance", "Human Resources", "Support", "Design", "Analytics", "Retail"];

#[derive(Clone, Debug, PartialEq)]
pub struct User {
    pub idx: usize,
    pub props: Map<String, Value>,
}

/// Properties returned without $select (like the real v1.0 default set).
pub const USER_DEFAULT_PROPS: &[&str] = &["businessPhones", "displayName", "givenName", "jobTitle", "mail", "mobilePhone", "officeLocation", "preferredLanguage", "surname", "userPrincipalName", "id"];

pub const USER_KNOWN_PROPS: &[&str] = &[
    "id", "accountEnabled", "businessPhones", "city", "companyName", "country", "createdDateTime", "department", "displayName", "employeeId",
    "givenName", "jobTitle", "mail", "mailNickname", "mobilePhone", "officeLocation", "preferredLanguage", "surname", "usageLocation",
    "userPrincipalName", "userType", "passwordProfile", "streetAddress", "postalCode", "state", "onPremisesImmutableId", "employeeType", "faxNumber", "otherMails", "proxyAddresses",
];

const ID_KEY: u64 = 0x5eed_1d5e_ed1d_5eed;

fn feistel(v: u64, rev: bool) -> u64 {
    let mask = 0xFF_FFFF;
    let mut l = (v >> 24) & mask;
    let mut r = v & mask;
    let rounds: Vec<u64> = if rev { vec![3, 2, 1, 0] } else { vec![0, 1, 2, 3] };
    for k in rounds {
        if !rev {
            let nl = r;
            let nr = l ^ (splitmix(r ^ ID_KEY ^ k) & mask);
            l = nl;
            r = nr;
        } else {
            let pr = l;
            let pl = r ^ (splitmix(l ^ ID_KEY ^ k) & mask);
            l = pl;
            r = pr;
        }
    }
    (l << 24) | r
}

pub fn user_id(idx: usize) -> String {
    let p = feistel(idx as u64, false);
    let h = splitmix(p ^ ID_KEY);
    let h2 = splitmix(h);
    format!("{:08x}-{:04x}-4{:03x}-{:04x}-{:012x}", h >> 32, (h >> 16) & 0xffff, h2 & 0xfff, 0x8000 | ((h2 >> 16) & 0x3fff), p)
}

pub fn user_idx_from_id(id: &str) -> Option<usize> {
    if id.len() != 36 {
        return None;
    }
    let last = u64::from_str_radix(id.get(24..)?, 16).ok()?;
    let idx = feistel(last, true) as usize;
    if user_id(idx).eq_ignore_ascii_case(id) {
        Some(idx)
    } else {
        None
    }
}

pub fn seed_user(idx: usize) -> User {
    let nc = CULTURES.len();
    let c = &CULTURES[idx % nc];
    let gi = (idx / nc) % c.given.len();
    let si = (idx / (nc * c.given.len())) % c.surname.len();
    let round = idx / (nc * c.given.len() * c.surname.len());
    let (g, ga) = c.given[gi];
    let (s, sa) = c.surname[si];
    let display = match (c.family_first, c.spaced) {
        (true, true) => format!("{s} {g}"),
        (true, false) => format!("{s}{g}"),
        _ => format!("{g} {s}"),
    };
    let display = if round > 0 { format!("{display} {}", round + 1) } else { display };
    let local = if round > 0 { format!("{ga}.{sa}{}", round + 1) } else { format!("{ga}.{sa}") };
    let upn = format!("{local}@{TENANT_DOMAIN}");
    let h = splitmix(idx as u64 ^ 0xabcdef);
    let job = JOBS[(h % JOBS.len() as u64) as usize];
    let dept = DEPTS[(h % DEPTS.len() as u64) as usize];
    let mut p = Map::new();
    p.insert("id".into(), json!(user_id(idx)));
    p.insert("accountEnabled".into(), json!(h % 17 != 0));
    p.insert("businessPhones".into(), if h % 3 == 0 { json!([]) } else { json!([format!("+1 425 555 {:04}", h % 10000)]) });
    p.insert("city".into(), json!(c.city));
    p.insert("companyName".into(), json!(TENANT_NAME));
    p.insert("country".into(), json!(c.country));
    p.insert("createdDateTime".into(), json!(iso(1_600_000_000 + (idx as i64) * 3607)));
    p.insert("department".into(), json!(dept));
    p.insert("displayName".into(), json!(display));
    p.insert("employeeId".into(), json!(format!("E{:06}", idx + 1)));
    p.insert("givenName".into(), json!(g));
    p.insert("jobTitle".into(), json!(job));
    p.insert("mail".into(), json!(upn));
    p.insert("mailNickname".into(), json!(local));
    p.insert("mobilePhone".into(), if h % 4 == 0 { Value::Null } else { json!(format!("+1 425 555 {:04}", (h >> 20) % 10000)) });
    p.insert("officeLocation".into(), json!(format!("{}/{}", 10 + h % 30, 1000 + (h >> 8) % 3000)));
    p.insert("preferredLanguage".into(), json!(c.lang));
    p.insert("surname".into(), json!(s));
    p.insert("usageLocation".into(), json!(c.usage));
    p.insert("userPrincipalName".into(), json!(upn));
    p.insert("userType".into(), json!("Member"));
    User { idx, props: p }
}

impl User {
    pub fn id(&self) -> &str {
        self.props.get("id").and_then(|v| v.as_str()).unwrap_or("")
    }
    pub fn str(&self, k: &str) -> &str {
        self.props.get(k).and_then(|v| v.as_str()).unwrap_or("")
    }
    pub fn display_name(&self) -> &str {
        self.str("displayName")
    }
    pub fn upn(&self) -> &str {
        self.str("userPrincipalName")
    }
    pub fn mail(&self) -> &str {
        self.str("mail")
    }
    /// JSON with the default property set or the $select list.
    pub fn project(&self, select: Option<&[String]>) -> Value {
        let mut m = Map::new();
        match select {
            Some(sel) => {
                for k in sel {
                    if let Some((real, v)) = self.props.iter().find(|(pk, _)| pk.eq_ignore_ascii_case(k)) {
                        m.insert(real.clone(), v.clone());
                    } else if USER_KNOWN_PROPS.iter().any(|p| p.eq_ignore_ascii_case(k)) {
                        m.insert(k.clone(), Value::Null);
                    }
                }
                if !m.contains_key("id") && sel.iter().all(|s| !s.eq_ignore_ascii_case("id")) {
                    // Graph adds id on directory objects only when selected; keep it out.
                }
            }
            None => {
                for k in USER_DEFAULT_PROPS {
                    m.insert((*k).into(), self.props.get(*k).cloned().unwrap_or(Value::Null));
                }
            }
        }
        Value::Object(m)
    }
}

pub struct Directory {
    pub base: usize,
    pub total: usize,
    pub overrides: HashMap<usize, User>,
    pub deleted: HashSet<usize>,
    pub upn_index: HashMap<String, usize>,
    pub seq: u64,
    pub changes: Vec<(u64, usize)>,
}

impl Directory {
    pub fn new(n: usize) -> Directory {
        let mut upn_index = HashMap::with_capacity(n);
        for i in 0..n {
            let u = seed_user(i);
            upn_index.insert(u.upn().to_lowercase(), i);
        }
        Directory { base: n, total: n, overrides: HashMap::new(), deleted: HashSet::new(), upn_index, seq: 1, changes: Vec::new() }
    }

    pub fn get(&self, idx: usize) -> Option<User> {
        if idx >= self.total || self.deleted.contains(&idx) {
            return None;
        }
        Some(self.overrides.get(&idx).cloned().unwrap_or_else(|| seed_user(idx)))
    }

    /// Resolve an id or userPrincipalName (case-insensitive) to an index of a live user.
    pub fn resolve(&self, key: &str) -> Option<usize> {
        let idx = match user_idx_from_id(key) {
            Some(i) => i,
            None => *self.upn_index.get(&key.to_lowercase())?,
        };
        if idx < self.total && !self.deleted.contains(&idx) {
            Some(idx)
        } else {
            None
        }
    }

    /// Resolve a mail address of a tenant user.
    pub fn resolve_mail(&self, addr: &str) -> Option<usize> {
        self.resolve(addr.trim())
    }

    pub fn record_change(&mut self, idx: usize) {
        self.seq += 1;
        self.changes.push((self.seq, idx));
    }

    pub fn create(&mut self, mut props: Map<String, Value>) -> User {
        let idx = self.total;
        self.total += 1;
        props.insert("id".into(), json!(user_id(idx)));
        props.entry("createdDateTime").or_insert_with(|| json!(iso(now_secs())));
        props.entry("userType").or_insert_with(|| json!("Member"));
        props.remove("passwordProfile");
        if let Some(upn) = props.get("userPrincipalName").and_then(|v| v.as_str()) {
            self.upn_index.insert(upn.to_lowercase(), idx);
        }
        for k in USER_DEFAULT_PROPS {
            props.entry(*k).or_insert(Value::Null);
        }
        if props.get("businessPhones").map(|v| v.is_null()).unwrap_or(true) {
            props.insert("businessPhones".into(), json!([]));
        }
        let u = User { idx, props };
        self.overrides.insert(idx, u.clone());
        self.record_change(idx);
        u
    }

    pub fn patch(&mut self, idx: usize, patch: &Map<String, Value>) {
        let Some(mut u) = self.get(idx) else { return };
        for (k, v) in patch {
            if k == "id" || k == "passwordProfile" {
                continue;
            }
            let real = USER_KNOWN_PROPS.iter().find(|p| p.eq_ignore_ascii_case(k)).map(|s| s.to_string()).unwrap_or(k.clone());
            if real == "userPrincipalName" {
                self.upn_index.remove(&u.upn().to_lowercase());
                if let Some(s) = v.as_str() {
                    self.upn_index.insert(s.to_lowercase(), idx);
                }
            }
            u.props.insert(real, v.clone());
        }
        self.overrides.insert(idx, u);
        self.record_change(idx);
    }

    pub fn delete(&mut self, idx: usize) {
        if let Some(u) = self.get(idx) {
            self.upn_index.remove(&u.upn().to_lowercase());
        }
        self.deleted.insert(idx);
        self.overrides.remove(&idx);
        self.record_change(idx);
    }
}

// ---------------- groups ----------------

pub struct GroupDef {
    pub name: &'static str,
    pub nick: &'static str,
    pub desc: &'static str,
    pub unified: bool,
    /// member if idx % modulus == rem
    pub modulus: usize,
    pub rem: usize,
}

pub const GROUPS: &[GroupDef] = &[
    GroupDef { name: "All Company", nick: "allcompany", desc: "This is the default group for everyone in the network", unified: true, modulus: 1, rem: 0 },
    GroupDef { name: "Engineering", nick: "engineering", desc: "Engineering team", unified: true, modulus: 3, rem: 1 },
    GroupDef { name: "Sales and Marketing", nick: "salesmarketing", desc: "Sales and marketing", unified: true, modulus: 4, rem: 2 },
    GroupDef { name: "Finance", nick: "finance", desc: "Finance department", unified: false, modulus: 10, rem: 4 },
    GroupDef { name: "Mark 8 Project Team", nick: "mark8", desc: "Welcome to the team that we've assembled to create the Mark 8.", unified: true, modulus: 25, rem: 7 },
    GroupDef { name: "Helpdesk Admins", nick: "helpdesk", desc: "Security group for helpdesk", unified: false, modulus: 50, rem: 3 },
    GroupDef { name: "Retail", nick: "retail", desc: "Retail managers", unified: true, modulus: 7, rem: 0 },
    GroupDef { name: "Ærøskøbing Office", nick: "aeroe", desc: "Kontoret i Ærøskøbing", unified: false, modulus: 13, rem: 5 },
];

pub fn group_id(g: usize) -> String {
    det_guid("group", g as u64)
}

pub fn group_json(g: usize) -> Value {
    let d = &GROUPS[g];
    json!({
        "id": group_id(g),
        "deletedDateTime": null,
        "classification": null,
        "createdDateTime": iso(1_590_000_000 + g as i64 * 86400 * 3),
        "description": d.desc,
        "displayName": d.name,
        "expirationDateTime": null,
        "groupTypes": if d.unified { json!(["Unified"]) } else { json!([]) },
        "isAssignableToRole": null,
        "mail": if d.unified { json!(format!("{}@{}", d.nick, TENANT_DOMAIN)) } else { Value::Null },
        "mailEnabled": d.unified,
        "mailNickname": d.nick,
        "membershipRule": null,
        "onPremisesSyncEnabled": null,
        "preferredDataLocation": null,
        "proxyAddresses": if d.unified { json!([format!("SMTP:{}@{}", d.nick, TENANT_DOMAIN)]) } else { json!([]) },
        "renewedDateTime": iso(1_590_000_000 + g as i64 * 86400 * 3),
        "resourceBehaviorOptions": [],
        "resourceProvisioningOptions": [],
        "securityEnabled": !d.unified,
        "securityIdentifier": format!("S-1-12-1-{}-{}", splitmix(g as u64) % 4_000_000_000, splitmix(g as u64 + 9) % 4_000_000_000),
        "theme": null,
        "visibility": if d.unified { json!("Public") } else { Value::Null },
    })
}

pub fn group_has_member(g: usize, idx: usize) -> bool {
    let d = &GROUPS[g];
    idx % d.modulus == d.rem % d.modulus
}

// ---------------- sites ----------------

pub struct SiteDef {
    pub id: String,
    pub name: &'static str,
    pub display: &'static str,
    pub path: &'static str,
}

pub fn sites() -> Vec<SiteDef> {
    vec![
        SiteDef { id: ROOT_SITE_ID.to_string(), name: "", display: "Communication site", path: "" },
        SiteDef {
            id: format!("contoso.sharepoint.com,{},{}", det_guid("site", 2), det_guid("web", 2)),
            name: "1drvteam",
            display: "OneDrive Team Site",
            path: "/teams/1drvteam",
        },
        SiteDef {
            id: format!("contoso.sharepoint.com,{},{}", det_guid("site", 3), det_guid("web", 3)),
            name: "finance",
            display: "Finance Hub",
            path: "/sites/finance",
        },
    ]
}

pub fn site_json(s: &SiteDef) -> Value {
    let web = format!("https://contoso.sharepoint.com{}", s.path);
    let mut v = json!({
        "createdDateTime": "2017-05-09T20:56:00Z",
        "description": "",
        "id": s.id,
        "lastModifiedDateTime": "2024-02-01T08:00:00Z",
        "name": if s.name.is_empty() { "contoso.sharepoint.com" } else { s.name },
        "webUrl": web,
        "displayName": s.display,
        "siteCollection": {"hostname": "contoso.sharepoint.com"},
    });
    if s.path.is_empty() {
        v["root"] = json!({});
        v["siteCollection"]["root"] = json!({});
    }
    v
}

pub fn site_lists(site: &SiteDef) -> Vec<Value> {
    let h = hash_str(&site.id);
    vec![
        json!({
            "@odata.etag": format!("\"{},1\"", det_guid("list", h)),
            "createdDateTime": "2016-08-30T08:32:00Z",
            "description": "",
            "eTag": format!("\"{},1\"", det_guid("list", h)),
            "id": det_guid("list", h),
            "lastModifiedDateTime": "2024-01-30T08:32:00Z",
            "name": "Documents",
            "webUrl": format!("https://contoso.sharepoint.com{}/Shared%20Documents", site.path),
            "displayName": "Documents",
            "list": {"contentTypesEnabled": false, "hidden": false, "template": "documentLibrary"},
        }),
        json!({
            "@odata.etag": format!("\"{},5\"", det_guid("list", h + 1)),
            "createdDateTime": "2016-08-30T08:32:00Z",
            "description": "Inventory of products",
            "eTag": format!("\"{},5\"", det_guid("list", h + 1)),
            "id": det_guid("list", h + 1),
            "lastModifiedDateTime": "2024-01-30T08:32:00Z",
            "name": "Inventory",
            "webUrl": format!("https://contoso.sharepoint.com{}/Lists/Inventory", site.path),
            "displayName": "Inventory",
            "list": {"contentTypesEnabled": false, "hidden": false, "template": "genericList"},
        }),
    ]
}

pub fn list_items(site: &SiteDef, list_no: usize) -> Vec<Value> {
    const NAMES: &[&str] = &["Gadget", "Widget", "Gizmo", "Sprocket", "Doohickey", "Thingamajig", "Whatsit", "Contraption", "Gewürz", "Küchenmaschine", "Ærøbølge", "电缆", "ケーブル", "Cuchillo Ñandú"];
    const COLORS: &[&str] = &["Red", "Blue", "Green", "Yellow", "Black", "White"];
    let h = hash_str(&site.id) ^ list_no as u64;
    (0..NAMES.len() + 11)
        .map(|i| {
            let id = (i + 1).to_string();
            let name = if i < NAMES.len() { NAMES[i].to_string() } else { format!("Item {}", i + 1) };
            let q = splitmix(h ^ i as u64) % 5000;
            json!({
                "@odata.etag": format!("\"{},2\"", det_guid("item", h ^ i as u64)),
                "createdDateTime": iso(1_650_000_000 + i as i64 * 3600),
                "eTag": format!("\"{},2\"", det_guid("item", h ^ i as u64)),
                "id": id,
                "lastModifiedDateTime": iso(1_700_000_000 + i as i64 * 3600),
                "webUrl": format!("https://contoso.sharepoint.com{}/Lists/Inventory/{}_.000", site.path, i + 1),
                "contentType": {"id": "0x0100A1B2C3D4", "name": "Item"},
                "fields": {
                    "@odata.etag": format!("\"{},2\"", det_guid("item", h ^ i as u64)),
                    "id": id,
                    "Title": name,
                    "Name": name,
                    "Color": COLORS[i % COLORS.len()],
                    "Quantity": q,
                    "ContentType": "Item",
                    "Modified": iso(1_700_000_000 + i as i64 * 3600),
                    "Created": iso(1_650_000_000 + i as i64 * 3600),
                },
            })
        })
        .collect()
}

pub fn organization_json() -> Value {
    json!({
        "id": TENANT_ID,
        "deletedDateTime": null,
        "businessPhones": ["+1 425 555 0100"],
        "city": "Redmond",
        "country": null,
        "countryLetterCode": "US",
        "createdDateTime": "2019-02-07T21:57:47Z",
        "defaultUsageLocation": null,
        "displayName": TENANT_NAME,
        "marketingNotificationEmails": [],
        "onPremisesLastSyncDateTime": null,
        "onPremisesSyncEnabled": null,
        "postalCode": "98052",
        "preferredLanguage": "en",
        "privacyProfile": null,
        "securityComplianceNotificationMails": [],
        "securityComplianceNotificationPhones": [],
        "state": "WA",
        "street": "One Microsoft Way",
        "technicalNotificationMails": [format!("admin@{TENANT_DOMAIN}")],
        "tenantType": "AAD",
        "assignedPlans": [],
        "provisionedPlans": [],
        "verifiedDomains": [
            {"capabilities": "Email, OfficeCommunicationsOnline", "isDefault": true, "isInitial": true, "name": TENANT_DOMAIN, "type": "Managed"}
        ]
    })
}

pub struct Tenant {
    pub apps: Vec<AppReg>,
    pub dir: Directory,
    pub sites: Vec<SiteDef>,
}

impl Tenant {
    pub fn new(users: usize) -> Tenant {
        Tenant { apps: build_apps(now_secs()), dir: Directory::new(users), sites: sites() }
    }
    pub fn app(&self, client_id: &str) -> Option<&AppReg> {
        self.apps.iter().find(|a| a.app_id.eq_ignore_ascii_case(client_id))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn ids_roundtrip() {
        for i in [0usize, 1, 2, 249, 99_999, 1 << 30] {
            let id = user_id(i);
            assert_eq!(user_idx_from_id(&id), Some(i), "{id}");
        }
        assert_eq!(user_idx_from_id("00000000-0000-0000-0000-000000000000"), None);
        assert_eq!(seed_user(0).display_name(), "Zoë Müller");
    }
    #[test]
    fn upns_unique() {
        let d = Directory::new(5000);
        assert_eq!(d.upn_index.len(), 5000);
    }
}
