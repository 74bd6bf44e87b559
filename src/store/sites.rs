//! A line's sites: My Menu registrations, fee-based subscriptions and the billing ledger.
//!
//! Charging rule: a subscription is charged its full monthly fee for the
//! calendar month (JST) it starts in, with one ledger entry at subscription;
//! unsubscribing ends it at once and nothing more is charged after that month.

use rusqlite::{Connection, OptionalExtension};
use serde::Serialize;

use super::error::Error;

/// Sites registered in a line's My Menu, oldest registration first.
pub fn my_menu(conn: &Connection, line_id: i64) -> Result<Vec<String>, Error> {
    let mut stmt = conn
        .prepare_cached("SELECT site FROM my_menu WHERE line_id = ?1 ORDER BY added_at, rowid")?;
    let sites = stmt
        .query_map([line_id], |r| r.get(0))?
        .collect::<Result<_, _>>()?;
    Ok(sites)
}

/// Registers a site; `false` if it already was.
pub fn register(conn: &Connection, line_id: i64, site: &str, now: i64) -> Result<bool, Error> {
    let n = conn.execute(
        "INSERT OR IGNORE INTO my_menu (line_id, site, added_at) VALUES (?1, ?2, ?3)",
        rusqlite::params![line_id, site, now],
    )?;
    Ok(n == 1)
}

/// Un-registers a site; `false` if it was not registered.
pub fn unregister(conn: &Connection, line_id: i64, site: &str) -> Result<bool, Error> {
    let n = conn.execute(
        "DELETE FROM my_menu WHERE line_id = ?1 AND site = ?2",
        rusqlite::params![line_id, site],
    )?;
    Ok(n == 1)
}

/// An active subscription as the API and the fee-services page show it.
#[derive(Clone, Debug, Serialize, PartialEq, Eq, utoipa::ToSchema)]
pub struct Subscription {
    pub site: String,
    pub monthly_fee: i64,
    pub started_at: String,
    /// The same as Unix time (for Japan time on the handset).
    #[serde(skip)]
    pub started_unix: i64,
    pub settlement_no: String,
}

/// Active subscriptions, oldest first.
pub fn subscriptions(conn: &Connection, line_id: i64) -> Result<Vec<Subscription>, Error> {
    let mut stmt = conn.prepare_cached(
        "SELECT site, monthly_fee, started_at, settlement_no FROM subscriptions
         WHERE line_id = ?1 AND ended_at IS NULL ORDER BY started_at, id",
    )?;
    let subs = stmt
        .query_map([line_id], |r| {
            Ok(Subscription {
                site: r.get(0)?,
                monthly_fee: r.get(1)?,
                started_at: crate::clock::rfc3339(r.get(2)?),
                started_unix: r.get(2)?,
                settlement_no: r.get(3)?,
            })
        })?
        .collect::<Result<_, _>>()?;
    Ok(subs)
}

/// Starts a subscription and writes its ledger entry; `None` if the line is
/// already subscribed (nothing is charged twice).
pub fn subscribe(
    conn: &Connection,
    line_id: i64,
    site: &str,
    fee: i64,
    now: i64,
) -> Result<Option<String>, Error> {
    let active: Option<i64> = conn
        .query_row(
            "SELECT id FROM subscriptions WHERE line_id = ?1 AND site = ?2 AND ended_at IS NULL",
            rusqlite::params![line_id, site],
            |r| r.get(0),
        )
        .optional()?;
    if active.is_some() {
        return Ok(None);
    }
    let settlement_no = settlement_number();
    conn.execute(
        "INSERT INTO subscriptions (line_id, site, monthly_fee, started_at, settlement_no)
         VALUES (?1, ?2, ?3, ?4, ?5)",
        rusqlite::params![line_id, site, fee, now, settlement_no],
    )?;
    let subscription_id = conn.last_insert_rowid();
    conn.execute(
        "INSERT INTO billing_ledger (line_id, subscription_id, site, monthly_fee, start_date, settlement_no, at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        rusqlite::params![line_id, subscription_id, site, fee, jst_date(now), settlement_no, now],
    )?;
    Ok(Some(settlement_no))
}

/// Ends the active subscription; `false` if there was none.
pub fn unsubscribe(conn: &Connection, line_id: i64, site: &str, now: i64) -> Result<bool, Error> {
    let n = conn.execute(
        "UPDATE subscriptions SET ended_at = ?3 WHERE line_id = ?1 AND site = ?2 AND ended_at IS NULL",
        rusqlite::params![line_id, site, now],
    )?;
    Ok(n == 1)
}

/// One ledger entry (QA API).
#[derive(Clone, Debug, Serialize, PartialEq, Eq, utoipa::ToSchema)]
pub struct LedgerEntry {
    pub site: String,
    pub monthly_fee: i64,
    pub start_date: String,
    pub settlement_no: String,
}

pub fn ledger(conn: &Connection, line_id: i64) -> Result<Vec<LedgerEntry>, Error> {
    let mut stmt = conn.prepare_cached(
        "SELECT site, monthly_fee, start_date, settlement_no FROM billing_ledger WHERE line_id = ?1 ORDER BY id",
    )?;
    let entries = stmt
        .query_map([line_id], |r| {
            Ok(LedgerEntry {
                site: r.get(0)?,
                monthly_fee: r.get(1)?,
                start_date: r.get(2)?,
                settlement_no: r.get(3)?,
            })
        })?
        .collect::<Result<_, _>>()?;
    Ok(entries)
}

/// A docomo d払い settlement number: 12 random digits from the OS RNG.
pub fn settlement_number() -> String {
    let mut bytes = [0u8; 12];
    getrandom::fill(&mut bytes).expect("the OS random number generator is available");
    // 250 is a multiple of 10, so rejecting 250..=255 keeps every digit equally likely.
    let mut digits = String::with_capacity(12);
    let mut pool = bytes.to_vec();
    while digits.len() < 12 {
        match pool.pop() {
            Some(b) if b < 250 => digits.push(char::from(b'0' + b % 10)),
            Some(_) => {}
            None => {
                pool = vec![0u8; 12];
                getrandom::fill(&mut pool).expect("the OS random number generator is available");
            }
        }
    }
    digits
}

/// `YYYY-MM-DD` in Japan.
pub fn jst_date(t: i64) -> String {
    chrono::DateTime::from_timestamp(t + crate::clock::JST_OFFSET_SECS, 0)
        .map(|d| d.format("%Y-%m-%d").to_string())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settlement_numbers_are_12_digits_and_vary() {
        let a = settlement_number();
        assert_eq!(a.len(), 12);
        assert!(a.bytes().all(|b| b.is_ascii_digit()));
        assert_ne!(a, settlement_number());
    }

    #[test]
    fn the_start_date_is_the_japanese_date() {
        // 2026-11-25T16:00:00Z is already the 26th in Japan.
        assert_eq!(jst_date(1_795_622_400), "2026-11-26");
    }
}
