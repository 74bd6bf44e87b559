//! Creating and resetting lines from the admin console and the QA API.

use rusqlite::Connection;

use super::error::Error;
use crate::domain::{Msisdn, Pin};
use crate::store::fixtures::DEMO_LINES;
use crate::store::lines::{self, NewLine};

/// Identity documents a line may have registered (the shop's list).
pub const DOCUMENT_TYPES: [&str; 4] = [
    "drivers_license",
    "my_number_card",
    "passport",
    "health_insurance_card",
];

/// A new line as requested: validated, secrets in clear until hashed.
#[derive(Clone, Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LineRequest {
    pub msisdn: String,
    pub name: String,
    #[serde(default)]
    pub name_en: String,
    pub network_pin: String,
    #[serde(default)]
    pub daccount_id: Option<String>,
    #[serde(default)]
    pub daccount_password: Option<String>,
    #[serde(default)]
    pub id_doc_type: Option<String>,
    #[serde(default)]
    pub id_doc_number: Option<String>,
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
        if name.is_empty() || name.chars().count() > 40 {
            return Err("`name`: 1 to 40 characters".into());
        }
        let name_en = if self.name_en.trim().is_empty() {
            name.clone()
        } else {
            self.name_en.trim().to_string()
        };
        if name_en.chars().count() > 40 {
            return Err("`name_en`: at most 40 characters".into());
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
                let ok = (3..=64).contains(&id.len())
                    && id
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b));
                if !ok {
                    return Err("`daccount_id`: 3 to 64 letters, digits, '.', '_' or '-'".into());
                }
                if !(8..=64).contains(&pw.chars().count()) {
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
            (Some(t), Some(n)) if DOCUMENT_TYPES.contains(&t) && n.len() <= 40 => {
                Some((t.to_string(), n.to_string()))
            }
            _ => {
                return Err(format!(
                    "`id_doc_type` ({}) and `id_doc_number` go together",
                    DOCUMENT_TYPES.join(", ")
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

/// Hashes a checked request's secrets (blocking: Argon2).
pub struct Hashed {
    pub pin: String,
    pub network_pin: String,
    pub daccount: Option<(String, String)>,
}

pub fn hash(slot: &mut crate::pin::Slot<'_>, c: &Checked) -> Hashed {
    Hashed {
        pin: slot.hash(crate::domain::DEFAULT_PIN),
        network_pin: slot.hash(c.network_pin.expose()),
        daccount: c
            .daccount
            .as_ref()
            .map(|(id, pw)| (id.clone(), slot.hash(pw))),
    }
}

/// Why a new line was refused by the database.
#[derive(Debug, PartialEq, Eq)]
pub enum Conflict {
    Number,
    DAccount,
}

/// Creates a line as at purchase: i-mode password 0000, the phone-number mail
/// address, everything else at its default.
pub fn create(
    conn: &Connection,
    c: &Checked,
    h: &Hashed,
    now: i64,
) -> Result<Result<i64, Conflict>, Error> {
    if lines::find(conn, &c.msisdn)?.is_some() {
        return Ok(Err(Conflict::Number));
    }
    if let Some((id, _)) = &h.daccount {
        if lines::daccount_taken(conn, id)? {
            return Ok(Err(Conflict::DAccount));
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

/// Resets one line: a demo line goes back to its demo state; any other line to
/// its state at purchase (password 0000, phone-number address, default settings,
/// no My Menu, no subscriptions, empty mailbox). Its network PIN, d ACCOUNT and
/// identity document are kept. Returns false if there is no such line.
pub fn reset_line(
    conn: &Connection,
    msisdn: &Msisdn,
    pins: &crate::pin::PinHasher,
    now: i64,
) -> Result<bool, Error> {
    let Some(line_id) = lines::find(conn, msisdn)? else {
        return Ok(false);
    };
    let demo = DEMO_LINES.iter().find(|d| d.msisdn == msisdn.as_str());
    // The parts kept from the line as it is.
    let kept = lines::kept_on_reset(conn, line_id)?;
    lines::delete(conn, line_id)?;
    match demo {
        Some(d) => {
            lines::insert(
                conn,
                &NewLine {
                    msisdn,
                    name_ja: d.name_ja,
                    name_en: d.name_en,
                    mail_local: d.mail_local,
                    pin_hash: &pins.hash(d.pin),
                    network_pin_hash: &pins.hash(d.network_pin),
                    daccount: d
                        .daccount
                        .map(|(id, pw)| (id, pins.hash(pw)))
                        .as_ref()
                        .map(|(i, p)| (*i, p.as_str())),
                    id_doc: Some(d.id_doc),
                    mail_suspended: d.mail_suspended,
                    rejection: d.rejection,
                    secret_code: d.secret_code,
                },
                now,
            )?;
        }
        None => {
            lines::insert(
                conn,
                &NewLine {
                    msisdn,
                    name_ja: &kept.name_ja,
                    name_en: &kept.name_en,
                    mail_local: msisdn.as_str(),
                    pin_hash: &pins.hash(crate::domain::DEFAULT_PIN),
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
                now,
            )?;
        }
    }
    Ok(true)
}

/// Adds `count` synthetic lines for load and scale tests: numbers from
/// 070-0000-0000 upwards (skipping numbers already taken), i-mode password 0000,
/// network PIN 9999. To stay fast, all share one pair of Argon2 hashes (same
/// secret, same salt): fine for synthetic lines, never done for real ones.
pub fn seed(
    conn: &mut super::Conn,
    pins: &crate::pin::PinHasher,
    count: u32,
    now: i64,
) -> Result<u32, Error> {
    let pin = pins.hash(crate::domain::DEFAULT_PIN);
    let network = pins.hash("9999");
    let tx = crate::store::write_tx(conn)?;
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
}
