//! Creating and resetting lines (the QA API and the admin console), and
//! adding synthetic lines (`garake seed`). Secrets are hashed first, on an
//! Argon2 slot; the write transaction comes after.

use rusqlite::Connection;

use super::Ctx;
use crate::domain::{Msisdn, Pin, DEFAULT_PIN};
use crate::error::AppError;
use crate::pin::{PinHasher, Slot};
use crate::store::audit::{self, Action, Outcome};
use crate::store::fixtures::{DemoLine, DEMO_LINES};
use crate::store::lines::{self, LineState, NewLine};
use crate::store::{self, write_tx, Db};

// Validated by `check`, secrets in clear until hashed. Its OpenAPI schema
// (`NewLine`) is derived from it: each field's rule is the one `check`
// applies, and `schema::pairs` adds the rules across fields.
/// A new line, as at purchase. A d ACCOUNT ID and its password come
/// together or not at all, and so do an identity document's type and number
/// (`null`, empty or only spaces count as not given).
#[derive(Clone, Debug, serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = NewLine)]
pub struct LineRequest {
    /// 11 digits starting 070, 080 or 090; hyphens and spaces are dropped.
    #[schema(schema_with = schema::msisdn)]
    pub msisdn: String,
    /// The subscriber's name: 1 to 40 characters once trimmed.
    #[schema(schema_with = schema::name)]
    pub name: String,
    /// The name in Latin letters: at most 40 characters once trimmed (blank: `name`).
    #[serde(default)]
    #[schema(schema_with = schema::name_en)]
    pub name_en: String,
    /// The network PIN: 4 digits.
    #[schema(schema_with = schema::network_pin)]
    pub network_pin: String,
    /// A d ACCOUNT ID (3 to 64 letters, digits, `.`, `_` or `-`), with `daccount_password`.
    #[serde(default)]
    pub daccount_id: Option<String>,
    /// The d ACCOUNT's password (8 to 64 characters), with `daccount_id`.
    #[serde(default)]
    pub daccount_password: Option<String>,
    /// An identity document's type, with `id_doc_number`.
    #[serde(default)]
    pub id_doc_type: Option<String>,
    /// The identity document's number (at most 40 characters once trimmed), with `id_doc_type`.
    #[serde(default)]
    pub id_doc_number: Option<String>,
}

/// Characters of a name, trimmed.
pub const NAME_MAX: usize = 40;
/// A d ACCOUNT ID's length (ASCII) and its password's (characters).
pub const DACCOUNT_ID_LEN: std::ops::RangeInclusive<usize> = 3..=64;
pub const DACCOUNT_PASSWORD_LEN: std::ops::RangeInclusive<usize> = 8..=64;
/// Characters of an identity document's number, trimmed.
pub const ID_DOC_NUMBER_MAX: usize = 40;

/// The schemas of `LineRequest`'s fields, from the rules `check` applies.
pub mod schema {
    use super::*;
    use crate::domain::patterns;
    use utoipa::openapi::schema::{ObjectBuilder, Type};

    fn text(pattern: String) -> ObjectBuilder {
        ObjectBuilder::new()
            .schema_type(Type::String)
            .pattern(Some(pattern))
    }

    pub fn msisdn() -> ObjectBuilder {
        text(patterns::MSISDN.to_string()).examples(["090-1234-0009"])
    }

    pub fn name() -> ObjectBuilder {
        text(patterns::trimmed(1, NAME_MAX))
    }

    pub fn name_en() -> ObjectBuilder {
        text(patterns::trimmed(0, NAME_MAX))
    }

    pub fn network_pin() -> ObjectBuilder {
        text(patterns::pin()).examples(["1234"])
    }

    /// The rules across fields, as `allOf`: a d ACCOUNT ID and its password
    /// come together or not at all, and so do an identity document's type
    /// and number (`null`, empty or, for the ID and the number, only spaces
    /// count as absent).
    pub fn pairs() -> serde_json::Value {
        let absent = serde_json::json!({ "anyOf": [{ "type": "null" }, { "type": "string", "pattern": patterns::blank() }] });
        let unset = serde_json::json!({ "enum": [null, ""] });
        let (id, pw) = (DACCOUNT_ID_LEN, DACCOUNT_PASSWORD_LEN);
        let space = patterns::SPACE;
        serde_json::json!([
            { "anyOf": [
                { "properties": { "daccount_id": absent, "daccount_password": unset } },
                {
                    "required": ["daccount_id", "daccount_password"],
                    "properties": {
                        "daccount_id": {
                            "type": "string",
                            "pattern": format!("^{space}*[A-Za-z0-9._-]{{{},{}}}{space}*$", id.start(), id.end()),
                        },
                        "daccount_password": { "type": "string", "minLength": pw.start(), "maxLength": pw.end() },
                    },
                },
            ] },
            { "anyOf": [
                { "properties": { "id_doc_type": unset, "id_doc_number": absent } },
                {
                    "required": ["id_doc_type", "id_doc_number"],
                    "properties": {
                        "id_doc_type": { "enum": crate::domain::DOCUMENT_TYPES },
                        "id_doc_number": { "type": "string", "pattern": patterns::trimmed(1, ID_DOC_NUMBER_MAX) },
                    },
                },
            ] },
        ])
    }
}

/// A checked request.
pub struct Checked {
    pub msisdn: Msisdn,
    pub name: String,
    pub name_en: String,
    pub network_pin: Pin,
    pub daccount: Option<(String, String)>,
    pub id_doc: Option<(String, String)>,
}

impl LineRequest {
    /// Checks every field; the error names the field.
    pub fn check(&self) -> Result<Checked, String> {
        let msisdn =
            Msisdn::parse(&self.msisdn).ok_or("`msisdn`: 11 digits starting 070, 080 or 090")?;
        let name = self.name.trim().to_string();
        if name.is_empty() || name.chars().count() > NAME_MAX {
            return Err(format!("`name`: 1 to {NAME_MAX} characters"));
        }
        let name_en = if self.name_en.trim().is_empty() {
            name.clone()
        } else {
            self.name_en.trim().to_string()
        };
        if name_en.chars().count() > NAME_MAX {
            return Err(format!("`name_en`: at most {NAME_MAX} characters"));
        }
        let network_pin = Pin::parse(&self.network_pin).map_err(|_| "`network_pin`: 4 digits")?;
        let id = self
            .daccount_id
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty());
        let daccount = match (
            id,
            self.daccount_password.as_deref().filter(|s| !s.is_empty()),
        ) {
            (None, None) => None,
            (Some(id), Some(pw)) => {
                let ok = DACCOUNT_ID_LEN.contains(&id.len())
                    && id
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b));
                if !ok {
                    return Err("`daccount_id`: 3 to 64 letters, digits, '.', '_' or '-'".into());
                }
                if !DACCOUNT_PASSWORD_LEN.contains(&pw.chars().count()) {
                    return Err("`daccount_password`: 8 to 64 characters".into());
                }
                Some((id.to_ascii_lowercase(), pw.to_string()))
            }
            _ => return Err("`daccount_id` and `daccount_password` go together".into()),
        };
        let doc_number = self
            .id_doc_number
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty());
        let id_doc = match (
            self.id_doc_type.as_deref().filter(|s| !s.is_empty()),
            doc_number,
        ) {
            (None, None) => None,
            (Some(t), Some(n))
                if crate::domain::DOCUMENT_TYPES.contains(&t)
                    && n.chars().count() <= ID_DOC_NUMBER_MAX =>
            {
                Some((t.to_string(), n.to_string()))
            }
            _ => {
                return Err(format!(
                    "`id_doc_type` ({}) and `id_doc_number` go together",
                    crate::domain::DOCUMENT_TYPES.join(", ")
                ))
            }
        };
        Ok(Checked {
            msisdn,
            name,
            name_en,
            network_pin,
            daccount,
            id_doc,
        })
    }
}

/// Why a new line was refused (nothing was written).
#[derive(Debug, PartialEq, Eq)]
pub enum Refused {
    /// A field is not as it must be: the message names it.
    Invalid(String),
    /// A line has this number already.
    NumberTaken(Msisdn),
    /// A line has this d ACCOUNT ID already.
    DAccountTaken,
}

/// A checked request's secrets, hashed (on an Argon2 slot, before the
/// transaction).
struct Hashed {
    pub pin: String,
    pub network_pin: String,
    pub daccount: Option<(String, String)>,
}

fn hash(slot: &mut Slot<'_>, c: &Checked) -> Hashed {
    Hashed {
        pin: slot.hash(DEFAULT_PIN),
        network_pin: slot.hash(c.network_pin.expose()),
        daccount: c
            .daccount
            .as_ref()
            .map(|(id, pw)| (id.clone(), slot.hash(pw))),
    }
}

/// Inserts a line as at purchase, unless its number or d ACCOUNT ID is
/// taken. Runs in the caller's transaction.
fn insert_new(
    conn: &Connection,
    c: &Checked,
    h: &Hashed,
    now: i64,
) -> Result<Result<i64, Refused>, store::Error> {
    if lines::find(conn, &c.msisdn)?.is_some() {
        return Ok(Err(Refused::NumberTaken(c.msisdn.clone())));
    }
    if let Some((id, _)) = &h.daccount {
        if lines::daccount_taken(conn, id)? {
            return Ok(Err(Refused::DAccountTaken));
        }
    }
    let id = lines::insert(
        conn,
        &NewLine {
            msisdn: &c.msisdn,
            name_ja: &c.name,
            name_en: &c.name_en,
            mail_local: c.msisdn.as_str(),
            pin_hash: &h.pin,
            network_pin_hash: &h.network_pin,
            daccount: h.daccount.as_ref().map(|(i, p)| (i.as_str(), p.as_str())),
            id_doc: c.id_doc.as_ref().map(|(t, n)| (t.as_str(), n.as_str())),
            mail_suspended: false,
            rejection: ("off", &[]),
            secret_code: None,
        },
        now,
    )?;
    Ok(Ok(id))
}

/// Creates a line as at purchase: i-mode password 0000, the phone-number mail
/// address, everything else at its default. Audited as `new_line` from
/// `admin`.
pub async fn create(
    cx: &Ctx<'_>,
    request: LineRequest,
) -> Result<Result<LineState, Refused>, AppError> {
    let checked = match request.check() {
        Ok(c) => c,
        Err(e) => return Ok(Err(Refused::Invalid(e))),
    };
    let (checked, hashed) = cx
        .pins
        .run(move |slot| {
            let hashed = hash(slot, &checked);
            (checked, hashed)
        })
        .await?;
    let now = cx.clock.now();
    cx.db
        .call(move |conn| {
            let tx = write_tx(conn)?;
            let result = match insert_new(&tx, &checked, &hashed, now)? {
                Ok(id) => {
                    let msisdn = Some(&checked.msisdn);
                    audit::record(&tx, now, msisdn, Action::NewLine, Outcome::Ok, "admin")?;
                    Ok(lines::state(&tx, id, now)?
                        .ok_or_else(|| AppError::internal("new line vanished"))?)
                }
                Err(refused) => Err(refused),
            };
            tx.commit()?;
            Ok(result)
        })
        .await
}

/// The secrets a reset sets, hashed before its transaction: a demo line's
/// own, or for any other line the default password.
enum ResetHashes {
    Demo {
        demo: &'static DemoLine,
        pin: String,
        network_pin: String,
        daccount: Option<String>,
    },
    Purchase {
        pin: String,
    },
}

fn reset_hashes(slot: &mut Slot<'_>, msisdn: &Msisdn) -> ResetHashes {
    match DEMO_LINES.iter().find(|d| d.msisdn == msisdn.as_str()) {
        Some(demo) => ResetHashes::Demo {
            demo,
            pin: slot.hash(demo.pin),
            network_pin: slot.hash(demo.network_pin),
            daccount: demo.daccount.map(|(_, pw)| slot.hash(pw)),
        },
        None => ResetHashes::Purchase {
            pin: slot.hash(DEFAULT_PIN),
        },
    }
}

/// Re-creates one line in its transaction: a demo line as in the demo; any
/// other line as at purchase, keeping its name, network PIN, d ACCOUNT and
/// identity document. Everything else of the line (settings, My Menu,
/// subscriptions, mailbox) goes with the old row.
fn recreate(
    conn: &Connection,
    line_id: i64,
    msisdn: &Msisdn,
    hashes: &ResetHashes,
    now: i64,
) -> Result<(), store::Error> {
    let kept = lines::kept_on_reset(conn, line_id)?;
    lines::delete(conn, line_id)?;
    let line = match hashes {
        ResetHashes::Demo {
            demo: d,
            pin,
            network_pin,
            daccount,
        } => NewLine {
            msisdn,
            name_ja: d.name_ja,
            name_en: d.name_en,
            mail_local: d.mail_local,
            pin_hash: pin,
            network_pin_hash: network_pin,
            daccount: d.daccount.map(|(id, _)| id).zip(daccount.as_deref()),
            id_doc: Some(d.id_doc),
            mail_suspended: d.mail_suspended,
            rejection: d.rejection,
            secret_code: d.secret_code,
        },
        ResetHashes::Purchase { pin } => NewLine {
            msisdn,
            name_ja: &kept.name_ja,
            name_en: &kept.name_en,
            mail_local: msisdn.as_str(),
            pin_hash: pin,
            network_pin_hash: &kept.network_pin_hash,
            daccount: kept
                .daccount_id
                .as_deref()
                .zip(kept.daccount_hash.as_deref()),
            id_doc: kept.doc_type.as_deref().zip(kept.doc_number.as_deref()),
            mail_suspended: false,
            rejection: ("off", &[]),
            secret_code: None,
        },
    };
    lines::insert(conn, &line, now)?;
    Ok(())
}

/// A line reset: the id its row had (the sessions that held it end) and
/// its state now.
#[derive(Clone, Debug)]
pub struct Reset {
    pub old_id: i64,
    pub line: LineState,
}

/// Resets one line (see `recreate`), audited as `reset_line` from `admin`;
/// `None` if there is no such line.
pub async fn reset(cx: &Ctx<'_>, msisdn: Msisdn) -> Result<Option<Reset>, AppError> {
    let target = msisdn.clone();
    if cx
        .db
        .call(move |conn| Ok(lines::find(conn, &target)?))
        .await?
        .is_none()
    {
        return Ok(None);
    }
    let target = msisdn.clone();
    let hashes = cx.pins.run(move |slot| reset_hashes(slot, &target)).await?;
    let now = cx.clock.now();
    cx.db
        .call(move |conn| {
            let tx = write_tx(conn)?;
            let Some(old_id) = lines::find(&tx, &msisdn)? else {
                return Ok(None);
            };
            recreate(&tx, old_id, &msisdn, &hashes, now)?;
            audit::record(
                &tx,
                now,
                Some(&msisdn),
                Action::ResetLine,
                Outcome::Ok,
                "admin",
            )?;
            let id = lines::find(&tx, &msisdn)?
                .ok_or_else(|| AppError::internal("reset line vanished"))?;
            let line = lines::state(&tx, id, now)?;
            tx.commit()?;
            Ok(line.map(|line| Reset { old_id, line }))
        })
        .await
}

/// Adds `count` synthetic lines for load and scale tests: numbers from
/// 070-0000-0000 upwards (skipping numbers already taken), i-mode password 0000,
/// network PIN 9999. To stay fast, all share one pair of Argon2 hashes (same
/// secret, same salt): fine for synthetic lines, never done for real ones.
pub fn seed(db: &Db, pins: &PinHasher, count: u32, now: i64) -> Result<u32, AppError> {
    let pin = pins.hash(DEFAULT_PIN);
    let network = pins.hash("9999");
    db.with_conn(|conn| {
        let tx = write_tx(conn)?;
        let mut added = 0;
        let mut n: u64 = 0;
        while added < count && n < 100_000_000 {
            let msisdn = format!("070{n:08}");
            let name = format!("Load Test {n}");
            added += u32::from(lines::add_synthetic(
                &tx, &msisdn, &name, &pin, &network, now,
            )?);
            n += 1;
        }
        tx.commit()?;
        Ok(added)
    })
}
