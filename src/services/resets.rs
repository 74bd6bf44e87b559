//! The three ways back to the default i-mode password (0000): on the handset
//! (docomo Online Application) and on My docomo, both with the network PIN
//! through the gate; and at the docomo Shop counter, where staff compare the
//! identity document shown with the one registered. Each reset lifts the
//! password's lock and mails the line a notice naming its route.

use std::convert::Infallible;

use rusqlite::Connection;

use super::gate::{gate, GateOutcome, GateRequest};
use super::{mail, Ctx, Line};
use crate::domain::DEFAULT_PIN;
use crate::error::AppError;
use crate::mail::notices;
use crate::store::audit::{self, Action, Outcome};
use crate::store::lines::{self, SecretKind};
use crate::store::{self, write_tx};

/// Where a reset with the network PIN was asked for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Online {
    /// The handset's docomo Online Application.
    Handset,
    /// My docomo, logged in with the d ACCOUNT.
    MyDocomo,
}

impl Online {
    /// How the notice names the route.
    fn route(self) -> &'static str {
        match self {
            Online::Handset => "docomo Online Application",
            Online::MyDocomo => "My docomo",
        }
    }

    /// The audit log's source.
    fn source(self) -> &'static str {
        match self {
            Online::Handset => "handset",
            Online::MyDocomo => "mydocomo",
        }
    }
}

/// The i-mode password back to the default (`default_hash` is its hash),
/// its lock lifted, and a notice mailed to the line naming `route`. Runs in
/// the caller's transaction.
fn reset_to_default(
    conn: &Connection,
    line_id: i64,
    default_hash: &str,
    now: i64,
    route: &str,
) -> Result<(), store::Error> {
    lines::reset_password(conn, line_id, default_hash)?;
    mail::notify(conn, line_id, now, &notices::password_reset(route))?;
    Ok(())
}

/// Resets the i-mode password with the network PIN (`network_pin`, as typed),
/// through the gate: counted, locked at the limit (until a shop visit) and
/// audited as `reset_imode_password`.
pub async fn reset_online(
    cx: &Ctx<'_>,
    line: &Line,
    via: Online,
    network_pin: &str,
) -> Result<GateOutcome<(), Infallible>, AppError> {
    let request = GateRequest {
        line_id: line.id,
        msisdn: line.msisdn.clone(),
        action: Action::ResetImodePassword,
        source: via.source().into(),
        kind: SecretKind::NetworkPin,
    };
    let line_id = line.id;
    gate(
        cx,
        request,
        network_pin,
        |slot| slot.hash(DEFAULT_PIN),
        move |conn, default_hash: String, now| {
            reset_to_default(conn, line_id, &default_hash, now, via.route())?;
            Ok(Ok(()))
        },
    )
    .await
}

/// Document numbers are compared without case, spaces or hyphens.
fn normalise(doc: &str) -> String {
    doc.chars()
        .filter(|c| !c.is_whitespace() && *c != '-' && *c != 'ー' && *c != '－')
        .flat_map(char::to_uppercase)
        .collect()
}

/// The docomo Shop counter: if the document shown (`doc_type`, `doc_number`)
/// is the one the line registered, the i-mode password goes back to the
/// default and the network PIN is unlocked. Audited as `shop_reset` from
/// `shop:{staff}` either way; whether it matched.
pub async fn reset_at_shop(
    cx: &Ctx<'_>,
    staff: &str,
    line: &Line,
    doc_type: String,
    doc_number: String,
) -> Result<bool, AppError> {
    let (line, source, now) = (line.clone(), format!("shop:{staff}"), cx.clock.now());
    // Hash 0000 before taking the write lock (Argon2 never runs inside a transaction).
    let default_hash = cx.pins.run(|slot| slot.hash(DEFAULT_PIN)).await?;
    cx.db
        .call(move |conn| {
            let tx = write_tx(conn)?;
            let (registered_type, registered_number) = lines::id_document(&tx, line.id)?;
            let matched = registered_type.as_deref() == Some(doc_type.as_str())
                && registered_number.as_deref().map(normalise) == Some(normalise(&doc_number));
            let outcome = if matched {
                reset_to_default(&tx, line.id, &default_hash, now, "docomo Shop")?;
                lines::unlock_network_pin(&tx, line.id)?;
                Outcome::Ok
            } else {
                Outcome::Refused
            };
            audit::record(
                &tx,
                now,
                Some(&line.msisdn),
                Action::ShopReset,
                outcome,
                &source,
            )?;
            tx.commit()?;
            Ok(matched)
        })
        .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn document_numbers_compare_without_case_spaces_or_hyphens() {
        assert_eq!(normalise("dl-1234 0001"), normalise("DL-1234-0001"));
        assert_ne!(normalise("DL-1234-0002"), normalise("DL-1234-0001"));
    }
}
