//! The demo fixtures: the demo lines, shop staff and partner-site members,
//! restored together in one transaction (at first start, from the admin
//! console and from the API).

use crate::error::AppError;
use crate::pin::PinHasher;
use crate::recovery::config::Partners;
use crate::store::{fixtures, write_tx, Conn};

/// Replaces every line, partner member and log with the demo fixtures. The
/// secrets are hashed first, outside the transaction, on one Argon2 slot (a
/// first start makes only the memory of one; the others are made when a
/// flood of checks needs them).
pub fn restore(
    conn: &mut Conn,
    hasher: &PinHasher,
    partners: &Partners,
    now: i64,
) -> Result<(), AppError> {
    let mut secrets = fixtures::demo_secrets();
    secrets.extend(crate::recovery::member_passwords(partners));
    let hashes: Vec<String> = {
        let mut slot = hasher.slot();
        secrets.iter().map(|s| slot.hash(s)).collect()
    };
    let mut hashes = hashes.into_iter();
    let mut next = || hashes.next().expect("one hash per secret");
    let tx = write_tx(conn)?;
    fixtures::replace_with_demo(&tx, &mut next, now)?;
    crate::recovery::load_members(&tx, partners, &mut next)?;
    tx.commit()?;
    Ok(())
}
