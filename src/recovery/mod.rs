//! The shared recovery mechanisms of the partner sites: emailed link,
//! emailed temporary password, identity-match initialization, login-ID notice
//! and support-desk inquiry. Sites only configure them (`menus/partners/`).
//!
//! Rules for all: tokens and passwords from the OS RNG, stored only as hashes,
//! used once by an atomic update, expired by the simulated clock; the answer to
//! "send me something" is the same page whether or not anything matched, with
//! the same Argon2 work done either way; requests are throttled per account;
//! every change mails a notice; every step is audited.

pub mod config;
pub mod fields;

use std::collections::BTreeMap;

use config::{Mechanism, ProcedureDef, SiteDef};
use fields::{FieldError, Kind};

use crate::clock::{rfc3339, Clock};
use crate::error::AppError;
use crate::mail::address::valid_address;
use crate::mail::message::Mail;
use crate::pin::PinHasher;
use crate::services::mail;
use crate::store::audit::{self, Action, Outcome, PartnerStep};
use crate::store::partners;
use crate::store::{throttle, write_tx, Db};

/// Everything a mechanism needs.
pub struct Ctx<'a> {
    pub db: &'a Db,
    pub pins: &'a PinHasher,
    pub clock: &'a Clock,
    /// `http://host:port` for links in mails.
    pub base_url: &'a str,
    /// The client's address, for the per-source rate limit (none in-process).
    pub source: Option<String>,
    /// Inquiries and joins allowed per client address.
    pub partner_rate: throttle::Policy,
    /// Members one site may hold in all (`--max-partner-members`).
    pub max_members: i64,
    /// Where a throttle's refusals are counted (`rate_limited`) and a full
    /// site's (`partner_site_full`).
    pub metrics: &'a crate::metrics::Metrics,
}

impl Ctx<'_> {
    /// The audit log's source of a throttled request: `partner:ADDRESS`.
    fn throttled_source(&self) -> String {
        format!("partner:{}", self.source.as_deref().unwrap_or("local"))
    }
}

/// "Send me something" requests per client address and site: 30 free, then
/// growing waits (silently: the page stays the same, nothing is sent).
const PER_SOURCE: throttle::Policy = throttle::Policy::Backoff {
    free: 30,
    first_wait: 30,
    max_wait: 3600,
    forget: 3600,
};

/// The throttle key of a client address (`local` for in-process callers).
fn source_key(kind: &str, site: &str, source: Option<&str>) -> String {
    throttle::key(kind, &format!("{site}:{}", source.unwrap_or("local")))
}

/// A refused field: its name and the message to show.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Refusal {
    pub field: String,
    pub message: String,
}

/// Reads a procedure's form: every field checked and normalised.
pub fn read_fields(
    site: &SiteDef,
    proc_: &ProcedureDef,
    raw: &dyn Fn(&str) -> String,
) -> Result<BTreeMap<String, String>, Vec<Refusal>> {
    let mut values = BTreeMap::new();
    let mut refusals = Vec::new();
    for name in &proc_.fields {
        let input = raw(name);
        if name == "login_id" {
            let id = site.login_id_rule.apply(&input);
            if id.is_empty() && proc_.match_any.iter().all(|set| set.contains(name)) {
                refusals.push(Refusal {
                    field: name.clone(),
                    message: format!(
                        "{}を入力してください。 / Enter the {}.",
                        site.login_label, site.login_label
                    ),
                });
            }
            values.insert(name.clone(), id);
            continue;
        }
        let Some(def) = site.field(name) else {
            continue;
        };
        // With alternative match sets, a field is required only if every set uses it.
        let in_every_set = proc_.match_any.iter().all(|set| set.contains(name));
        let required = !def.optional
            && !proc_.optional_fields.contains(name)
            && in_every_set
            && def
                .required_when
                .as_ref()
                .is_none_or(|c| c.equals.iter().any(|v| *v == raw(&c.field).trim()));
        match fields::normalise(def.kind, &input, &def.options) {
            Ok(v) => {
                values.insert(name.clone(), v);
            }
            Err(FieldError::Missing) if !required => {}
            Err(FieldError::Missing) => refusals.push(Refusal {
                field: name.clone(),
                message: format!(
                    "「{}」を入力してください。 / {} is required.",
                    def.label, def.label
                ),
            }),
            Err(FieldError::Invalid) => refusals.push(Refusal {
                field: name.clone(),
                message: def.error.clone().unwrap_or_else(|| {
                    format!(
                        "「{}」の形式が正しくありません。 / {} is not valid.",
                        def.label, def.label
                    )
                }),
            }),
        }
    }
    // Payment references follow the format of the carrier chosen.
    for name in &proc_.fields {
        let Some(def) = site
            .field(name)
            .filter(|d| d.kind == Kind::PaymentReference)
        else {
            continue;
        };
        let (Some(value), Some(carrier_field)) = (values.get(name), def.carrier_field.as_ref())
        else {
            continue;
        };
        let carrier = values.get(carrier_field).cloned().unwrap_or_default();
        let ok = def
            .formats
            .get(&carrier)
            .is_some_and(|f| fields::reference_matches(f, value));
        if !ok {
            refusals.push(Refusal {
                field: name.clone(),
                message: def.error.clone().unwrap_or_else(|| {
                    format!(
                        "「{}」の形式が正しくありません。 / {} is not valid.",
                        def.label, def.label
                    )
                }),
            });
        }
    }
    // One alternative must be complete (e.g. the ID, or e-mail + date of birth).
    if refusals.is_empty()
        && !proc_.match_any.is_empty()
        && !proc_.match_any.iter().any(|set| {
            set.iter()
                .all(|n| values.get(n).is_some_and(|v| !v.is_empty()))
        })
    {
        let label = |n: &String| {
            if n == "login_id" {
                site.login_label.clone()
            } else {
                site.field(n).map_or(n.clone(), |f| f.label.clone())
            }
        };
        let sets: Vec<String> = proc_
            .match_any
            .iter()
            .map(|set| set.iter().map(label).collect::<Vec<_>>().join(" + "))
            .collect();
        refusals.push(Refusal {
            field: String::new(),
            message: format!(
                "次のいずれかを入力してください / Enter one of: {}",
                sets.join(" | ")
            ),
        });
    }
    if refusals.is_empty() {
        Ok(values)
    } else {
        Err(refusals)
    }
}

/// Whether an account matches one of the procedure's field sets.
fn matches(
    account: &partners::Account,
    proc_: &ProcedureDef,
    values: &BTreeMap<String, String>,
) -> bool {
    proc_.match_any.iter().any(|set| {
        set.iter()
            .all(|name| match (account.value(name), values.get(name)) {
                (Some(a), Some(v)) => a.eq_ignore_ascii_case(v) || a == v,
                _ => false,
            })
    })
}

/// Fills a mail template.
fn fill(template: &str, pairs: &[(&str, &str)]) -> String {
    pairs.iter().fold(template.to_string(), |t, (k, v)| {
        t.replace(&format!("{{{k}}}"), v)
    })
}

/// `yyyymmdd hh:mm` in Japan, as a partner site's mail shows an expiry.
pub fn jst_minutes(t: i64) -> String {
    chrono::DateTime::from_timestamp(t + crate::clock::JST_OFFSET_SECS, 0)
        .map(|d| d.format("%Y%m%d %H:%M").to_string())
        .unwrap_or_default()
}

fn audit_step(
    conn: &rusqlite::Connection,
    now: i64,
    site: &str,
    step: PartnerStep<'_>,
    outcome: Outcome,
) -> Result<(), AppError> {
    let action = Action::Partner { site, step };
    Ok(audit::record(conn, now, None, action, outcome, "partner")?)
}

/// The answer to a procedure's form.
#[derive(Debug, PartialEq, Eq)]
pub enum Answer {
    /// The identical "if it matched, we sent it" page (plus a warning, if any).
    Sent {
        warning: Option<String>,
    },
    Refused(Vec<Refusal>),
    /// Too many inquiries or joins from this client address: wait this long.
    TooMany(i64),
    /// The site holds its most members: no sign-up now (nothing was written).
    Full,
}

/// Handles a submitted procedure form.
pub async fn submit(
    cx: &Ctx<'_>,
    site: &SiteDef,
    proc_: &ProcedureDef,
    values: BTreeMap<String, String>,
) -> Result<Answer, AppError> {
    let now = cx.clock.now();
    let warning = proc_.warning.clone().filter(|_| {
        values.values().any(|v| {
            proc_
                .warn_domains
                .iter()
                .any(|d| v.to_ascii_lowercase().ends_with(&format!("@{d}")))
        })
    });
    // A full site refuses a sign-up before anything is counted or hashed
    // (and `signup` checks again in its transaction).
    if proc_.mechanism == Mechanism::Signup && site_full(cx, &site.id).await? {
        return Ok(Answer::Full);
    }
    // Inquiries and joins write for every request: limited per client address.
    if matches!(proc_.mechanism, Mechanism::Inquiry | Mechanism::Signup) {
        let key = source_key("partner-write", &site.id, cx.source.as_deref());
        let policy = cx.partner_rate;
        let (site_id, proc_id, source) = (site.id.clone(), proc_.id.clone(), cx.throttled_source());
        let reserved = cx
            .db
            .call(move |conn| {
                let reserved = throttle::reserve(conn, &key, policy, now)?;
                if !reserved.is_go() {
                    let action = Action::Partner {
                        site: &site_id,
                        step: PartnerStep::Procedure(&proc_id),
                    };
                    audit::summarise(conn, now, None, action, Outcome::Throttled, &source)?;
                }
                Ok(reserved)
            })
            .await?;
        if let throttle::Reserved::Wait(wait) = reserved {
            cx.metrics.limit_hit(crate::metrics::Limit::RateLimited);
            return Ok(Answer::TooMany(wait));
        }
    }
    if proc_.mechanism == Mechanism::Inquiry {
        let (site_id, proc_id) = (site.id.clone(), proc_.id.clone());
        cx.db
            .call(move |conn| {
                let tx = write_tx(conn)?;
                partners::add_inquiry(&tx, &site_id, &proc_id, &values, now)?;
                audit_step(
                    &tx,
                    now,
                    &site_id,
                    PartnerStep::Procedure(&proc_id),
                    Outcome::Ok,
                )?;
                tx.commit()?;
                Ok(())
            })
            .await?;
        return Ok(Answer::Sent { warning });
    }

    // The same Argon2 work whether or not anything matches: a generated
    // password is hashed before we know.
    let generated = matches!(
        proc_.mechanism,
        Mechanism::TemporaryPassword | Mechanism::Initialize | Mechanism::Signup
    )
    .then(|| site.password_policy.generate());
    let generated_hash = match &generated {
        Some(p) => {
            let p = p.clone();
            Some(cx.pins.run(move |slot| slot.hash(&p)).await?)
        }
        None => None,
    };

    if proc_.mechanism == Mechanism::Signup {
        let password = generated.clone().unwrap_or_default();
        let hash = generated_hash.clone().unwrap_or_default();
        return signup(cx, site, proc_, values, password, hash).await;
    }
    let (site_id, site_def, proc_def, base, source, throttled_source) = (
        site.id.clone(),
        site.clone(),
        proc_.clone(),
        cx.base_url.to_string(),
        cx.source.clone(),
        cx.throttled_source(),
    );
    let held = cx
        .db
        .call(move |conn| {
            let tx = write_tx(conn)?;
            // The account the request is about: every identifying value given.
            let key_value: Vec<&str> = proc_def
                .fields
                .iter()
                .filter_map(|f| values.get(f))
                .map(String::as_str)
                .collect();
            let key = throttle::key(
                "partner-request",
                &format!("{site_id}:{}:{}", proc_def.id, key_value.join("|")),
            );
            let by_source = source_key("partner-source", &site_id, source.as_deref());
            // The address first: a request it holds back counts nothing
            // under the account it names (made-up names add no keys).
            let allowed = throttle::reserve(&tx, &by_source, PER_SOURCE, now)?.is_go()
                && throttle::reserve(&tx, &key, throttle::RECOVERY_PER_ACCOUNT, now)?.is_go();
            if !allowed {
                // Held back silently (the page stays the same): counted in
                // the minute's summary, not written on its own.
                let action = Action::Partner {
                    site: &site_id,
                    step: PartnerStep::Procedure(&proc_def.id),
                };
                audit::summarise(
                    &tx,
                    now,
                    None,
                    action,
                    Outcome::Throttled,
                    &throttled_source,
                )?;
                tx.commit()?;
                return Ok(true);
            }
            let found = partners::accounts(&tx, &site_id)?
                .into_iter()
                .find(|a| matches(a, &proc_def, &values))
                .filter(|a| {
                    proc_def
                        .requires
                        .as_deref()
                        .is_none_or(|r| a.value(r).is_some())
                });
            let Some(account) = found else {
                let step = PartnerStep::Procedure(&proc_def.id);
                audit_step(&tx, now, &site_id, step, Outcome::Refused)?;
                tx.commit()?;
                return Ok(false);
            };
            let to = account
                .value(&proc_def.mail_to)
                .unwrap_or_default()
                .to_string();
            let lifetime = proc_def.lifetime_secs.unwrap_or(0);
            let expires = jst_minutes(now + lifetime);
            let body = match proc_def.mechanism {
                Mechanism::EmailLink => {
                    let token = partners::new_token(&tx, account.id, "link", now + lifetime)?;
                    let link = format!("{base}/p/{site_id}/change?t={token}");
                    fill(
                        &proc_def.mail_body,
                        &[
                            ("link", &link),
                            ("expires", &expires),
                            ("login_id", &account.login_id),
                        ],
                    )
                }
                Mechanism::TemporaryPassword => {
                    partners::add_temp(
                        &tx,
                        account.id,
                        generated_hash.as_deref().unwrap_or_default(),
                        now + lifetime,
                    )?;
                    let password = generated.clone().unwrap_or_default();
                    fill(
                        &proc_def.mail_body,
                        &[
                            ("password", &password),
                            ("expires", &expires),
                            ("login_id", &account.login_id),
                        ],
                    )
                }
                Mechanism::Initialize => {
                    partners::set_pending(
                        &tx,
                        account.id,
                        generated_hash.as_deref().unwrap_or_default(),
                    )?;
                    let password = generated.clone().unwrap_or_default();
                    fill(
                        &proc_def.mail_body,
                        &[("password", &password), ("login_id", &account.login_id)],
                    )
                }
                Mechanism::LoginIdNotice | Mechanism::Inquiry | Mechanism::Signup => {
                    fill(&proc_def.mail_body, &[("login_id", &account.login_id)])
                }
            };
            if valid_address(&to) {
                mail::send(
                    &tx,
                    now,
                    &Mail {
                        from: &site_def.mail_from,
                        to: &to,
                        subject: &proc_def.mail_subject,
                        body: &body,
                        system: false,
                    },
                )?;
            }
            audit_step(
                &tx,
                now,
                &site_id,
                PartnerStep::Procedure(&proc_def.id),
                Outcome::Ok,
            )?;
            tx.commit()?;
            Ok(false)
        })
        .await?;
    if held {
        cx.metrics.limit_hit(crate::metrics::Limit::RateLimited);
    }
    Ok(Answer::Sent { warning })
}

/// Whether a site holds its most members already.
async fn site_full(cx: &Ctx<'_>, site: &str) -> Result<bool, AppError> {
    let (site, max) = (site.to_string(), cx.max_members);
    let full = cx
        .db
        .call(move |conn| Ok(partners::members(conn, &site)? >= max))
        .await?;
    if full {
        cx.metrics.limit_hit(crate::metrics::Limit::PartnerSiteFull);
    }
    Ok(full)
}

/// Joins a site: the login ID must be free; the account gets a generated initial
/// password (changed at first login) and, for carrier billing, an issued payment
/// reference; both are mailed to the address given.
async fn signup(
    cx: &Ctx<'_>,
    site: &SiteDef,
    proc_: &ProcedureDef,
    mut values: BTreeMap<String, String>,
    password: String,
    hash: String,
) -> Result<Answer, AppError> {
    let now = cx.clock.now();
    let login_id = values.remove("login_id").unwrap_or_default();
    // Issue the payment reference in the chosen carrier's format.
    let mut reference = String::new();
    if let Some(field) = proc_.issues.as_deref().and_then(|f| site.field(f)) {
        let carrier = field
            .carrier_field
            .as_ref()
            .and_then(|c| values.get(c))
            .cloned()
            .unwrap_or_default();
        if let Some(format) = field.formats.get(&carrier) {
            reference = fields::issue_reference(format).unwrap_or_default();
            values.insert(field.name.clone(), reference.clone());
        }
    }
    if let Some(own_id) = site.field("member_id") {
        values.insert(own_id.name.clone(), login_id.clone());
    }
    let (site_def, proc_def, max_members) = (site.clone(), proc_.clone(), cx.max_members);
    let answer = cx
        .db
        .call(move |conn| {
            let tx = write_tx(conn)?;
            // Checked again under the write lock: simultaneous sign-ups never
            // take a site past its most members.
            if partners::members(&tx, &site_def.id)? >= max_members {
                return Ok(Answer::Full);
            }
            if partners::by_login(&tx, &site_def.id, &login_id)?.is_some() {
                return Ok(Answer::Refused(vec![Refusal {
                    field: "login_id".into(),
                    message: format!(
                        "この{}は使われています。 / That {} is taken.",
                        site_def.login_label, site_def.login_label
                    ),
                }]));
            }
            partners::insert(&tx, &site_def.id, &login_id, &hash, &values)?;
            let account =
                partners::by_login(&tx, &site_def.id, &login_id)?.ok_or(AppError::NotFound)?;
            partners::require_change(&tx, account.id)?;
            let to = account
                .value(&proc_def.mail_to)
                .unwrap_or_default()
                .to_string();
            let body = fill(
                &proc_def.mail_body,
                &[
                    ("login_id", &login_id),
                    ("password", &password),
                    ("reference", &reference),
                ],
            );
            if valid_address(&to) {
                mail::send(
                    &tx,
                    now,
                    &Mail {
                        from: &site_def.mail_from,
                        to: &to,
                        subject: &proc_def.mail_subject,
                        body: &body,
                        system: false,
                    },
                )?;
            }
            let step = PartnerStep::Procedure(&proc_def.id);
            audit_step(&tx, now, &site_def.id, step, Outcome::Ok)?;
            tx.commit()?;
            Ok(Answer::Sent { warning: None })
        })
        .await?;
    if answer == Answer::Full {
        cx.metrics.limit_hit(crate::metrics::Limit::PartnerSiteFull);
    }
    Ok(answer)
}

/// The result of a login attempt.
#[derive(Debug, PartialEq, Eq)]
pub enum Login {
    Ok {
        login_id: String,
    },
    /// A temporary or initialized password was used: set a new password first.
    MustChange {
        ticket: String,
    },
    Failed,
    Throttled(i64),
}

/// How long a "set your new password" ticket from a login lasts.
const CHANGE_TICKET_SECS: i64 = 30 * 60;

pub async fn login(
    cx: &Ctx<'_>,
    site: &SiteDef,
    raw_login: &str,
    password: &str,
) -> Result<Login, AppError> {
    let now = cx.clock.now();
    let login_id = site.login_id_rule.apply(raw_login);
    let key = throttle::key("partner-login", &format!("{}:{login_id}", site.id));
    // A slot first (a busy pool counts nothing), then the attempt is reserved
    // before any Argon2 check: simultaneous attempts get no more checks than
    // sequential ones.
    let admitted = cx.pins.admit(Some(key.clone())).await?;
    let (site_id, lookup, reserve_key) = (site.id.clone(), login_id.clone(), key.clone());
    let source = cx.throttled_source();
    let (reserved, account, temps) = cx
        .db
        .call(move |conn| {
            let reserved = throttle::reserve(conn, &reserve_key, throttle::LOGIN, now)?;
            if !reserved.is_go() {
                // Refused before any check: counted in the minute's summary only.
                let action = Action::Partner {
                    site: &site_id,
                    step: PartnerStep::Login,
                };
                audit::summarise(conn, now, None, action, Outcome::Throttled, &source)?;
                return Ok((reserved, None, Vec::new()));
            }
            let account = partners::by_login(conn, &site_id, &lookup)?;
            let temps = match &account {
                Some(a) => partners::live_temps(conn, a.id, now)?,
                None => Vec::new(),
            };
            Ok((reserved, account, temps))
        })
        .await?;
    if let throttle::Reserved::Wait(wait) = reserved {
        cx.metrics.limit_hit(crate::metrics::Limit::RateLimited);
        return Ok(Login::Throttled(wait));
    }
    // Which secret matched: the password, the initialized one, or a temporary one.
    #[derive(Debug)]
    enum Hit {
        Password,
        Pending,
        Temp(i64),
        None,
    }
    let (pw, acc) = (password.to_string(), account.clone());
    let hit = cx
        .pins
        .run_with(admitted.permit, move |slot| match &acc {
            // The same one check for an unknown login ID.
            None => {
                slot.verify_or_dummy(&pw, None);
                Hit::None
            }
            Some(a) if slot.verify(&pw, &a.password_hash) => Hit::Password,
            Some(a)
                if a.pending_hash
                    .as_deref()
                    .is_some_and(|p| slot.verify(&pw, p)) =>
            {
                Hit::Pending
            }
            Some(_) => temps
                .iter()
                .find(|(_, hash)| slot.verify(&pw, hash))
                .map_or(Hit::None, |(id, _)| Hit::Temp(*id)),
        })
        .await;
    let site_id = site.id.clone();
    cx.db
        .call(move |conn| {
            let tx = write_tx(conn)?;
            let outcome = match (&account, hit) {
                (Some(a), Hit::Password) => {
                    throttle::clear(&tx, &key)?;
                    if a.must_change {
                        Login::MustChange {
                            ticket: partners::new_token(
                                &tx,
                                a.id,
                                "change",
                                now + CHANGE_TICKET_SECS,
                            )?,
                        }
                    } else {
                        Login::Ok {
                            login_id: a.login_id.clone(),
                        }
                    }
                }
                (Some(a), Hit::Pending) => {
                    throttle::clear(&tx, &key)?;
                    partners::promote_pending(&tx, a.id)?;
                    Login::MustChange {
                        ticket: partners::new_token(&tx, a.id, "change", now + CHANGE_TICKET_SECS)?,
                    }
                }
                (Some(a), Hit::Temp(id)) if partners::consume_temp(&tx, id, now)? => {
                    throttle::clear(&tx, &key)?;
                    partners::require_change(&tx, a.id)?;
                    Login::MustChange {
                        ticket: partners::new_token(&tx, a.id, "change", now + CHANGE_TICKET_SECS)?,
                    }
                }
                // The reservation already counted the failure.
                _ => Login::Failed,
            };
            let result = if matches!(outcome, Login::Failed) {
                Outcome::Refused
            } else {
                Outcome::Ok
            };
            audit_step(&tx, now, &site_id, PartnerStep::Login, result)?;
            tx.commit()?;
            Ok(outcome)
        })
        .await
}

/// What a link or ticket in a URL is good for.
pub async fn peek(
    cx: &Ctx<'_>,
    site: &SiteDef,
    token: &str,
) -> Result<partners::TokenState, AppError> {
    let (now, token, site) = (cx.clock.now(), token.to_string(), site.id.clone());
    cx.db
        .call(move |conn| {
            let link = partners::peek_token(conn, &site, &token, "link", now)?;
            if link != partners::TokenState::Unknown {
                return Ok(link);
            }
            Ok(partners::peek_token(conn, &site, &token, "change", now)?)
        })
        .await
}

/// The result of setting a new password.
#[derive(Debug, PartialEq, Eq)]
pub enum Change {
    Done,
    /// The new password breaks the policy, or the two entries differ.
    Refused(String),
    /// The link or ticket expired or was already used.
    Gone,
}

pub async fn change_password(
    cx: &Ctx<'_>,
    site: &SiteDef,
    token: &str,
    new: &str,
    confirm: &str,
) -> Result<Change, AppError> {
    if new != confirm {
        return Ok(Change::Refused(
            "新しいパスワードと確認用が一致しません。 / The two passwords differ.".into(),
        ));
    }
    if !site.password_policy.accepts(new) {
        return Ok(Change::Refused(site.policy_text.clone()));
    }
    let pw = new.to_string();
    let hash = cx.pins.run(move |slot| slot.hash(&pw)).await?;
    let (now, token, site_def) = (cx.clock.now(), token.to_string(), site.clone());
    cx.db
        .call(move |conn| {
            let tx = write_tx(conn)?;
            let used = match partners::consume_token(&tx, &site_def.id, &token, "link", now)? {
                Some(id) => Some(id),
                None => partners::consume_token(&tx, &site_def.id, &token, "change", now)?,
            };
            let Some(account_id) = used else {
                return Ok(Change::Gone);
            };
            partners::set_password(&tx, account_id, &hash)?;
            let account = partners::by_id(&tx, account_id)?.ok_or(AppError::NotFound)?;
            if let Some(to) = account.value(&site_def.notice_to).filter(|t| valid_address(t)) {
                let body = format!(
                    "{}のパスワードが変更されました({})。お心当たりがない場合はお問い合わせください。\nThe password of {} ({}) was changed at {}.",
                    site_def.name,
                    jst_minutes(now),
                    site_def.name,
                    account.login_id,
                    rfc3339(now)
                );
                let subject = format!("パスワード変更のお知らせ / {}: password changed", site_def.name);
                mail::send(&tx, now, &Mail { from: &site_def.mail_from, to, subject: &subject, body: &body, system: false })?;
            }
            audit_step(&tx, now, &site_def.id, PartnerStep::ChangePassword, Outcome::Ok)?;
            tx.commit()?;
            Ok(Change::Done)
        })
        .await
}

/// Support desk: sends the member a reset link for an inquiry (never the password).
pub async fn resolve_inquiry(
    cx: &Ctx<'_>,
    partners: &config::Partners,
    inquiry_id: i64,
    login_id: &str,
    staff: &str,
) -> Result<bool, AppError> {
    let now = cx.clock.now();
    let (login_id, staff, base) = (
        login_id.to_string(),
        staff.to_string(),
        cx.base_url.to_string(),
    );
    let inquiry = cx
        .db
        .call(move |conn| Ok(partners::inquiry_by_id(conn, inquiry_id)?))
        .await?
        .ok_or(AppError::NotFound)?;
    let site = partners
        .site(&inquiry.site)
        .ok_or(AppError::NotFound)?
        .clone();
    let link_proc = site
        .procedures
        .iter()
        .find(|p| p.mechanism == Mechanism::EmailLink)
        .cloned();
    cx.db
        .call(move |conn| {
            let tx = write_tx(conn)?;
            let Some(account) = partners::by_login(&tx, &site.id, &login_id)? else {
                return Ok(false);
            };
            if !partners::close_inquiry(&tx, inquiry_id, "reset_sent", &staff, now)? {
                return Ok(false);
            }
            let lifetime = link_proc.as_ref().and_then(|p| p.lifetime_secs).unwrap_or(86_400);
            let token = partners::new_token(&tx, account.id, "link", now + lifetime)?;
            let link = format!("{base}/p/{}/change?t={token}", site.id);
            let to = account.value(&site.notice_to).unwrap_or_default().to_string();
            let body = format!(
                "お問い合わせを確認しました。下記のURLから新しいパスワードを設定してください(有効期限 {})。元のパスワードはご案内できません。\n{link}\nWe verified your inquiry. Set a new password at the link above (valid until {}). We cannot tell you the original password.",
                jst_minutes(now + lifetime),
                jst_minutes(now + lifetime)
            );
            let subject = format!("パスワード再設定のご案内 / {}: reset your password", site.name);
            mail::send(&tx, now, &Mail { from: &site.mail_from, to: &to, subject: &subject, body: &body, system: false })?;
            let action = Action::Partner { site: &site.id, step: PartnerStep::InquiryReset };
            audit::record(&tx, now, None, action, Outcome::Ok, &format!("admin:{staff}"))?;
            tx.commit()?;
            Ok(true)
        })
        .await
}

/// Every site's demo members' passwords, in the order `load_members` takes their hashes.
pub fn member_passwords(partners: &config::Partners) -> Vec<&str> {
    partners
        .sites
        .iter()
        .flat_map(|site| site.members.iter().map(|m| m.password.as_str()))
        .collect()
}

/// Loads every site's demo members (called by the fixtures); `hash` gives
/// the hash of each member's password in `member_passwords` order.
pub fn load_members(
    conn: &rusqlite::Connection,
    partners: &config::Partners,
    hash: &mut dyn FnMut() -> String,
) -> Result<(), AppError> {
    for site in &partners.sites {
        for m in &site.members {
            let mut fields = BTreeMap::new();
            for (name, raw) in &m.fields {
                let Some(def) = site.field(name) else {
                    continue;
                };
                let value = fields::normalise(def.kind, raw, &def.options)
                    .unwrap_or_else(|_| raw.trim().to_string());
                fields.insert(name.clone(), value);
            }
            partners::insert(conn, &site.id, &m.login_id, &hash(), &fields)?;
        }
    }
    Ok(())
}
