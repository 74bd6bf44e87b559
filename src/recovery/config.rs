//! Partner sites as data (`partners/*.toml` of the menu set): pages, fields, texts,
//! lifetimes and policies. The mechanisms that use them live beside this file;
//! a new site of the same kinds needs a new file and no new code.

use std::collections::{BTreeMap, HashMap};

use serde::Deserialize;

use super::fields::{Kind, PasswordPolicy};
use crate::menu::{MenuSource, Problem, Source};

/// How a typed login ID is read.
#[derive(Clone, Copy, Debug, Default, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum LoginIdRule {
    #[default]
    AsIs,
    /// `abcd@en@wakwak.com` → `abcd` (as IMS member support reads it).
    BeforeFirstAt,
}

impl LoginIdRule {
    pub fn apply(self, raw: &str) -> String {
        let raw = raw.trim();
        match self {
            LoginIdRule::AsIs => raw.to_string(),
            LoginIdRule::BeforeFirstAt => raw.split('@').next().unwrap_or("").to_string(),
        }
    }
}

/// The four shared recovery mechanisms, plus koku's login-ID notice.
#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Mechanism {
    /// Mail a single-use link to set a new password.
    EmailLink,
    /// Mail a single-use temporary password that expires.
    TemporaryPassword,
    /// Mail an initialized password; the old one works until the new one is used.
    Initialize,
    /// Mail the forgotten login ID.
    LoginIdNotice,
    /// A support-desk inquiry, handled by staff in the admin console.
    Inquiry,
    /// Joining the site: an account with a mailed initial password (to be
    /// changed at first login) and, for carrier billing, an issued payment
    /// reference in the carrier's format.
    Signup,
}

/// A field that only applies when another field has one of some values.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Condition {
    pub field: String,
    pub equals: Vec<String>,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FieldDef {
    pub name: String,
    pub label: String,
    pub kind: Kind,
    #[serde(default)]
    pub options: Vec<String>,
    pub help: Option<String>,
    /// Shown when the value is refused.
    pub error: Option<String>,
    /// For `payment_reference`: the field naming the carrier, and a format per carrier.
    pub carrier_field: Option<String>,
    #[serde(default)]
    pub formats: BTreeMap<String, String>,
    /// Required only when this holds (otherwise required always).
    pub required_when: Option<Condition>,
    /// Never required.
    #[serde(default)]
    pub optional: bool,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProcedureDef {
    pub id: String,
    pub title: String,
    pub mechanism: Mechanism,
    pub intro: String,
    /// The form's fields, in order (`login_id` is the account's login ID).
    pub fields: Vec<String>,
    /// Alternative sets of fields; the account matches when every field of one set does.
    #[serde(default)]
    pub match_any: Vec<Vec<String>>,
    /// An account field that must be registered for this procedure to send anything.
    pub requires: Option<String>,
    /// A note on the form for those who cannot use it, linking `fallback`.
    pub unavailable_text: Option<String>,
    pub fallback: Option<String>,
    /// Lifetime of the link or temporary password.
    pub lifetime_secs: Option<i64>,
    /// The answer page, identical whether or not anything matched.
    pub sent_text: String,
    /// The account field the mail goes to.
    #[serde(default = "default_mail_field")]
    pub mail_to: String,
    #[serde(default)]
    pub mail_subject: String,
    /// Placeholders: {link} {password} {expires} {login_id}.
    #[serde(default)]
    pub mail_body: String,
    /// Shown when a link is opened after it expired.
    pub expired_text: Option<String>,
    /// Form fields that may be left empty.
    #[serde(default)]
    pub optional_fields: Vec<String>,
    /// Signup: the payment-reference field whose value the site issues.
    pub issues: Option<String>,
    /// Shown when the given mail address ends with one of `warn_domains`.
    pub warning: Option<String>,
    #[serde(default)]
    pub warn_domains: Vec<String>,
}

fn default_mail_field() -> String {
    "email".into()
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MemberDef {
    pub login_id: String,
    pub password: String,
    #[serde(default)]
    pub fields: BTreeMap<String, String>,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SiteDef {
    pub id: String,
    pub name: String,
    pub mail_from: String,
    pub top_text: String,
    pub login_label: String,
    pub password_label: String,
    #[serde(default)]
    pub login_id_rule: LoginIdRule,
    pub login_id_note: Option<String>,
    pub password_policy: PasswordPolicy,
    pub policy_text: String,
    /// The account field notices go to.
    #[serde(default = "default_mail_field")]
    pub notice_to: String,
    #[serde(default, rename = "field")]
    pub fields: Vec<FieldDef>,
    #[serde(default, rename = "procedure")]
    pub procedures: Vec<ProcedureDef>,
    #[serde(default, rename = "member")]
    pub members: Vec<MemberDef>,
}

impl SiteDef {
    pub fn field(&self, name: &str) -> Option<&FieldDef> {
        self.fields.iter().find(|f| f.name == name)
    }

    pub fn procedure(&self, id: &str) -> Option<&ProcedureDef> {
        self.procedures.iter().find(|p| p.id == id)
    }
}

/// All partner sites, by id, in file order.
#[derive(Debug, Default)]
pub struct Partners {
    pub sites: Vec<SiteDef>,
    by_id: HashMap<String, usize>,
}

impl Partners {
    pub fn site(&self, id: &str) -> Option<&SiteDef> {
        self.by_id.get(id).map(|i| &self.sites[*i])
    }

    /// Loads the set's `partners/*.toml`; a set without them has no partner sites.
    pub fn load(source: &dyn MenuSource) -> Result<Partners, Vec<Problem>> {
        let mut problems = Vec::new();
        let mut partners = Partners::default();
        for file in source.files()?.iter().filter(|f| f.is_partner()) {
            let src = file.to_source();
            match toml::from_str::<SiteDef>(&src.text) {
                Ok(site) => {
                    let before = problems.len();
                    check(&src, &site, &mut problems);
                    if partners.by_id.contains_key(&site.id) {
                        problems.push(
                            src.problem(0, format!("duplicate partner site id `{}`", site.id)),
                        );
                    }
                    if problems.len() == before {
                        partners.by_id.insert(site.id.clone(), partners.sites.len());
                        partners.sites.push(site);
                    }
                }
                Err(e) => problems.push(src.problem(
                    e.span().map_or(0, |s| s.start),
                    e.message().trim().to_string(),
                )),
            }
        }
        if problems.is_empty() {
            Ok(partners)
        } else {
            Err(problems)
        }
    }
}

/// Cross-references inside one site: every name used is defined.
fn check(src: &Source, site: &SiteDef, problems: &mut Vec<Problem>) {
    let at = |needle: &str| src.text.find(needle).unwrap_or(0);
    let known = |name: &str| name == "login_id" || site.field(name).is_some();
    for f in &site.fields {
        if f.kind == Kind::Choice && f.options.is_empty() {
            problems.push(src.problem(
                at(&f.name),
                format!("field `{}` is a choice with no options", f.name),
            ));
        }
        if f.kind == Kind::PaymentReference
            && (f.carrier_field.as_deref().is_none_or(|c| !known(c)) || f.formats.is_empty())
        {
            problems.push(src.problem(
                at(&f.name),
                format!(
                    "field `{}` needs a known `carrier_field` and `formats`",
                    f.name
                ),
            ));
        }
        if let Some(c) = &f.required_when {
            if !known(&c.field) {
                problems.push(src.problem(
                    at(&f.name),
                    format!("field `{}` depends on unknown field `{}`", f.name, c.field),
                ));
            }
        }
    }
    for p in &site.procedures {
        for name in p
            .fields
            .iter()
            .chain(p.match_any.iter().flatten())
            .chain(p.requires.iter())
        {
            if !known(name) {
                problems.push(src.problem(
                    at(&format!("\"{}\"", p.id)),
                    format!("procedure `{}` uses unknown field `{name}`", p.id),
                ));
            }
        }
        for set in &p.match_any {
            if let Some(missing) = set.iter().find(|n| !p.fields.contains(n)) {
                problems.push(src.problem(
                    at(&format!("\"{}\"", p.id)),
                    format!(
                        "procedure `{}` matches on `{missing}`, which its form does not ask for",
                        p.id
                    ),
                ));
            }
        }
        let needs_match = !matches!(p.mechanism, Mechanism::Inquiry | Mechanism::Signup);
        if let Some(issued) = &p.issues {
            if site
                .field(issued)
                .is_none_or(|f| f.kind != Kind::PaymentReference)
            {
                problems.push(src.problem(
                    at(&format!("\"{}\"", p.id)),
                    format!(
                        "procedure `{}` issues `{issued}`, which is not a payment_reference field",
                        p.id
                    ),
                ));
            }
        }
        if needs_match && p.match_any.is_empty() {
            problems.push(src.problem(
                at(&format!("\"{}\"", p.id)),
                format!("procedure `{}` has nothing to match on", p.id),
            ));
        }
        if matches!(
            p.mechanism,
            Mechanism::EmailLink | Mechanism::TemporaryPassword
        ) && p.lifetime_secs.is_none_or(|s| s <= 0)
        {
            problems.push(src.problem(
                at(&format!("\"{}\"", p.id)),
                format!("procedure `{}` needs a positive `lifetime_secs`", p.id),
            ));
        }
        if let Some(fb) = &p.fallback {
            if site.procedure(fb).is_none() {
                problems.push(src.problem(
                    at(&format!("\"{}\"", p.id)),
                    format!(
                        "procedure `{}` falls back to unknown procedure `{fb}`",
                        p.id
                    ),
                ));
            }
        }
    }
    for m in &site.members {
        if !site.password_policy.accepts(&m.password) && m.password.len() < 4 {
            problems.push(src.problem(
                at(&m.login_id),
                format!("member `{}` has an unusable password", m.login_id),
            ));
        }
        for name in m.fields.keys() {
            if !known(name) {
                problems.push(src.problem(
                    at(&m.login_id),
                    format!("member `{}` has unknown field `{name}`", m.login_id),
                ));
            }
        }
    }
}
