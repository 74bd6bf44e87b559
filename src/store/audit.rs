//! The audit log: every secret check and every protected action, newest first.
//!
//! Two rules keep it useful under a flood. A request refused by a limit (a
//! throttle, or a locked secret) writes no row of its own: it is counted in
//! one summary row per source, action, outcome and minute (`summarise`). And
//! security events (`is_security`) are trimmed only against each other, so
//! ordinary rows, however many, never rotate them out.

use std::borrow::Cow;

use rusqlite::Connection;
use serde::Serialize;

use super::error::Error;
use crate::domain::Msisdn;

/// The outcome words of the audit log (as the API and console show them).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    Ok,
    WrongPin,
    Locked,
    InvalidInput,
    Refused,
    /// A wrong admin token (console or API).
    WrongToken,
    /// Refused by a throttle before anything was checked: only ever a
    /// minute's summary, its `count` the number of refusals.
    Throttled,
}

impl Outcome {
    /// Every outcome, in the order the console's filter lists them.
    pub const ALL: [Outcome; 7] = [
        Outcome::Ok,
        Outcome::WrongPin,
        Outcome::Locked,
        Outcome::InvalidInput,
        Outcome::Refused,
        Outcome::WrongToken,
        Outcome::Throttled,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Ok => "ok",
            Outcome::WrongPin => "wrong_pin",
            Outcome::Locked => "locked",
            Outcome::InvalidInput => "invalid_input",
            Outcome::Refused => "refused",
            Outcome::WrongToken => "wrong_token",
            Outcome::Throttled => "throttled",
        }
    }
}

/// What an audit entry is about. Its stored name (`as_str`) is what the
/// API, the console and their filters show; it never changes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action<'a> {
    /// An admin token given to the console or the API.
    AdminLogin,
    MydocomoLogin,
    ShopLogin,
    /// The shop counter looked a line up.
    ShopLookup,
    /// The shop counter compared an identity document to reset a line.
    ShopReset,
    NewLine,
    /// A line back to its demo or purchase state (console, API).
    ResetLine,
    ChangeImodePassword,
    /// The i-mode password reset with the network PIN (handset, My docomo).
    ResetImodePassword,
    SendMail,
    /// Official-site registration through the gateway (`cp/regst`).
    CpRegister,
    CpRelease,
    // The protected actions behind the i-mode password.
    MailRejection,
    ChangeMailAddress,
    SuspendMail,
    RegisterSecretCode,
    MessageService,
    IdNotification,
    MyMenuRegister,
    MyMenuUnregister,
    Subscribe,
    Unsubscribe,
    /// A step on a partner site, stored as `partner:{site}:{step}`.
    Partner {
        site: &'a str,
        step: PartnerStep<'a>,
    },
}

/// A step on a partner site.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PartnerStep<'a> {
    /// One of the site's procedures, by its id in the site's file.
    Procedure(&'a str),
    Login,
    ChangePassword,
    /// The support desk sent a reset link for an inquiry.
    InquiryReset,
}

impl<'a> Action<'a> {
    pub fn as_str(&self) -> Cow<'a, str> {
        Cow::Borrowed(match *self {
            Action::AdminLogin => "admin_login",
            Action::MydocomoLogin => "mydocomo_login",
            Action::ShopLogin => "shop_login",
            Action::ShopLookup => "shop_lookup",
            Action::ShopReset => "shop_reset",
            Action::NewLine => "new_line",
            Action::ResetLine => "reset_line",
            Action::ChangeImodePassword => "change_imode_password",
            Action::ResetImodePassword => "reset_imode_password",
            Action::SendMail => "send_mail",
            Action::CpRegister => "cp_register",
            Action::CpRelease => "cp_release",
            Action::MailRejection => "mail_rejection",
            Action::ChangeMailAddress => "change_mail_address",
            Action::SuspendMail => "suspend_mail",
            Action::RegisterSecretCode => "register_secret_code",
            Action::MessageService => "message_service",
            Action::IdNotification => "id_notification",
            Action::MyMenuRegister => "my_menu_register",
            Action::MyMenuUnregister => "my_menu_unregister",
            Action::Subscribe => "subscribe",
            Action::Unsubscribe => "unsubscribe",
            Action::Partner { site, step } => {
                let step = match step {
                    PartnerStep::Procedure(id) => id,
                    PartnerStep::Login => "login",
                    PartnerStep::ChangePassword => "change_password",
                    PartnerStep::InquiryReset => "inquiry_reset",
                };
                return Cow::Owned(format!("partner:{site}:{step}"));
            }
        })
    }
}

/// Whether an entry is a security event, kept apart from the rotation of
/// ordinary rows: wrong admin tokens, failed checks and locks of a line's
/// secrets, refusals by a throttle, and resets of a secret (a line's, or a
/// partner member's password set anew), whatever became of them except
/// input refused before any check. Each is bounded without a secret (a
/// throttle, a lock, a summary a minute, or a secret needed to reach it), so
/// a stranger cannot write them fast enough to rotate one another out.
pub fn is_security(action: Action<'_>, outcome: Outcome) -> bool {
    // The actions that reset a secret, by any route: the i-mode password (the
    // handset with the network PIN, My docomo), the shop counter, a line
    // reset by the admin, a partner member's password set anew.
    let reset = matches!(
        action,
        Action::ResetImodePassword
            | Action::ShopReset
            | Action::ResetLine
            | Action::Partner {
                step: PartnerStep::ChangePassword | PartnerStep::InquiryReset,
                ..
            }
    );
    action == Action::AdminLogin
        || matches!(
            outcome,
            Outcome::WrongPin | Outcome::Locked | Outcome::WrongToken | Outcome::Throttled
        )
        || (reset && outcome != Outcome::InvalidInput)
}

/// One audit entry as the API shows it.
#[derive(Clone, Debug, Serialize, PartialEq, Eq, utoipa::ToSchema)]
pub struct Entry {
    pub at: String,
    pub line: Option<String>,
    pub action: String,
    pub outcome: String,
    pub source: String,
    /// How many requests the entry stands for: 1, or for a minute's summary
    /// of refusals, how many there were.
    pub count: i64,
}

/// The columns an `Entry` is read from, in `Entry::from_row`'s order.
const COLUMNS: &str = "at, line, action, outcome, source, count";

impl Entry {
    fn from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Entry> {
        Ok(Entry {
            at: crate::clock::rfc3339(r.get(0)?),
            line: r.get(1)?,
            action: r.get(2)?,
            outcome: r.get(3)?,
            source: r.get(4)?,
            count: r.get(5)?,
        })
    }
}

/// Appends an entry. Takes a `Connection` so it joins the caller's transaction.
pub fn record(
    conn: &Connection,
    at: i64,
    line: Option<&Msisdn>,
    action: Action<'_>,
    outcome: Outcome,
    source: &str,
) -> Result<(), Error> {
    conn.prepare_cached(
        "INSERT INTO audit (at, line, action, outcome, source, security)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?
    .execute(rusqlite::params![
        at,
        line.map(Msisdn::as_str),
        action.as_str(),
        outcome.as_str(),
        source,
        is_security(action, outcome)
    ])?;
    Ok(())
}

/// Counts a request refused by a limit (`Throttled`, or `Locked` for a
/// locked secret) in the summary row of its source, action, outcome, line
/// and minute: the first refusal of the minute adds the row, every further
/// one adds 1 to its `count`. However many refusals come, a minute holds one
/// row per source and action.
pub fn summarise(
    conn: &Connection,
    at: i64,
    line: Option<&Msisdn>,
    action: Action<'_>,
    outcome: Outcome,
    source: &str,
) -> Result<(), Error> {
    conn.prepare_cached(
        "INSERT INTO audit (at, line, action, outcome, source, security, minute)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
         ON CONFLICT (minute, action, outcome, source, ifnull(line, '')) WHERE minute IS NOT NULL
         DO UPDATE SET count = count + 1",
    )?
    .execute(rusqlite::params![
        at,
        line.map(Msisdn::as_str),
        action.as_str(),
        outcome.as_str(),
        source,
        is_security(action, outcome),
        at.div_euclid(60)
    ])?;
    Ok(())
}

/// Keeps the newest `keep` ordinary rows and the newest `keep_security`
/// security events (each trimmed only against its own kind); returns how
/// many older rows went.
pub fn trim(conn: &Connection, keep: i64, keep_security: i64) -> Result<usize, Error> {
    use rusqlite::OptionalExtension;
    let mut gone = 0;
    for (security, keep) in [(false, keep), (true, keep_security)] {
        // The newest row of the kind that is not kept, found on the index.
        let cut: Option<i64> = conn
            .prepare_cached(
                "SELECT id FROM audit WHERE security = ?1 ORDER BY id DESC LIMIT 1 OFFSET ?2",
            )?
            .query_row(rusqlite::params![security, keep.max(0)], |r| r.get(0))
            .optional()?;
        if let Some(cut) = cut {
            gone += conn
                .prepare_cached("DELETE FROM audit WHERE security = ?1 AND id <= ?2")?
                .execute(rusqlite::params![security, cut])?;
        }
    }
    Ok(gone)
}

/// Newest entries first, optionally for one line.
pub fn list(conn: &Connection, line: Option<&Msisdn>, limit: i64) -> Result<Vec<Entry>, Error> {
    Ok(filtered(
        conn,
        &Filter {
            line,
            ..Filter::default()
        },
        0,
        limit,
    )?
    .0)
}

/// What the audit log is filtered by (each optional).
#[derive(Clone, Copy, Default)]
pub struct Filter<'a> {
    pub line: Option<&'a Msisdn>,
    pub action: Option<&'a str>,
    pub outcome: Option<&'a str>,
}

/// One page of entries, newest first, matching `filter`, and how many match.
pub fn filtered(
    conn: &Connection,
    filter: &Filter<'_>,
    offset: i64,
    limit: i64,
) -> Result<(Vec<Entry>, i64), Error> {
    const WHERE: &str = "WHERE (?1 IS NULL OR line = ?1) AND (?2 IS NULL OR action = ?2) AND (?3 IS NULL OR outcome = ?3)";
    let keys = (
        filter.line.map(Msisdn::as_str),
        filter.action,
        filter.outcome,
    );
    let total: i64 = conn
        .prepare_cached(&format!("SELECT count(*) FROM audit {WHERE}"))?
        .query_row(rusqlite::params![keys.0, keys.1, keys.2], |r| r.get(0))?;
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {COLUMNS} FROM audit {WHERE} ORDER BY id DESC LIMIT ?4 OFFSET ?5"
    ))?;
    let rows = stmt.query_map(
        rusqlite::params![keys.0, keys.1, keys.2, limit, offset],
        Entry::from_row,
    )?;
    Ok((rows.collect::<Result<_, _>>()?, total))
}

/// The entry with row id `id`, if it is still kept.
pub fn entry(conn: &Connection, id: i64) -> Result<Option<Entry>, Error> {
    use rusqlite::OptionalExtension;
    Ok(conn
        .prepare_cached(&format!("SELECT {COLUMNS} FROM audit WHERE id = ?1"))?
        .query_row([id], Entry::from_row)
        .optional()?)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn db() -> crate::store::Db {
        crate::store::Db::open(":memory:").unwrap()
    }

    fn rows(c: &Connection) -> Vec<(String, String, i64)> {
        let mut stmt = c
            .prepare("SELECT action, outcome, count FROM audit ORDER BY id")
            .unwrap();
        stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap()
    }

    #[test]
    fn refusals_are_one_row_per_source_action_and_minute_with_their_count() {
        db().with_conn(|c| {
            for at in [600, 610, 659] {
                summarise(c, at, None, Action::AdminLogin, Outcome::Throttled, "api:a")?;
            }
            summarise(
                c,
                620,
                None,
                Action::AdminLogin,
                Outcome::Throttled,
                "api:b",
            )?;
            summarise(
                c,
                660,
                None,
                Action::AdminLogin,
                Outcome::Throttled,
                "api:a",
            )?;
            let line = Msisdn::parse("09012340001").unwrap();
            let x = Action::SuspendMail;
            summarise(c, 630, Some(&line), x, Outcome::Locked, "handset")?;
            summarise(c, 640, Some(&line), x, Outcome::Locked, "handset")?;
            assert_eq!(
                rows(c),
                [
                    ("admin_login".into(), "throttled".into(), 3),
                    ("admin_login".into(), "throttled".into(), 1),
                    ("admin_login".into(), "throttled".into(), 1),
                    ("suspend_mail".into(), "locked".into(), 2),
                ]
            );
            let first = entry(c, 1)?.unwrap();
            assert_eq!(
                (first.at.as_str(), first.count),
                ("1970-01-01T00:10:00Z", 3)
            );
            Ok(())
        })
        .unwrap();
    }

    #[test]
    fn security_events_are_trimmed_only_against_each_other() {
        db().with_conn(|c| {
            record(c, 1, None, Action::AdminLogin, Outcome::WrongToken, "api:a")?;
            for at in 2..12 {
                record(
                    c,
                    at,
                    None,
                    Action::MydocomoLogin,
                    Outcome::Refused,
                    "mydocomo",
                )?;
            }
            record(c, 12, None, Action::ShopReset, Outcome::Ok, "shop:staff01")?;
            assert_eq!(trim(c, 3, 10)?, 7);
            let kept: Vec<String> = rows(c).into_iter().map(|(a, _, _)| a).collect();
            assert_eq!(
                kept,
                [
                    "admin_login",
                    "mydocomo_login",
                    "mydocomo_login",
                    "mydocomo_login",
                    "shop_reset"
                ]
            );
            assert_eq!(trim(c, 3, 1)?, 1, "the older security event goes");
            assert_eq!(trim(c, 3, 1)?, 0);
            Ok(())
        })
        .unwrap();
    }

    #[test]
    fn what_counts_as_a_security_event() {
        let partner = |site, step| Action::Partner { site, step };
        assert!(is_security(Action::AdminLogin, Outcome::WrongToken));
        assert!(is_security(Action::ChangeImodePassword, Outcome::WrongPin));
        assert!(is_security(Action::SuspendMail, Outcome::Locked));
        assert!(is_security(
            partner("ims", PartnerStep::Login),
            Outcome::Throttled
        ));
        assert!(is_security(Action::ResetImodePassword, Outcome::Ok));
        assert!(is_security(
            partner("koku", PartnerStep::ChangePassword),
            Outcome::Ok
        ));
        assert!(!is_security(
            Action::ResetImodePassword,
            Outcome::InvalidInput
        ));
        assert!(!is_security(Action::MydocomoLogin, Outcome::Refused));
        assert!(!is_security(
            partner("plus-member", PartnerStep::Procedure("forgot")),
            Outcome::Refused
        ));
        assert!(!is_security(Action::ChangeImodePassword, Outcome::Ok));
    }

    #[test]
    fn actions_keep_their_stored_names() {
        use Action::*;
        let fixed = [
            (AdminLogin, "admin_login"),
            (MydocomoLogin, "mydocomo_login"),
            (ShopLogin, "shop_login"),
            (ShopLookup, "shop_lookup"),
            (ShopReset, "shop_reset"),
            (NewLine, "new_line"),
            (ResetLine, "reset_line"),
            (ChangeImodePassword, "change_imode_password"),
            (ResetImodePassword, "reset_imode_password"),
            (SendMail, "send_mail"),
            (CpRegister, "cp_register"),
            (CpRelease, "cp_release"),
            (MailRejection, "mail_rejection"),
            (ChangeMailAddress, "change_mail_address"),
            (SuspendMail, "suspend_mail"),
            (RegisterSecretCode, "register_secret_code"),
            (MessageService, "message_service"),
            (IdNotification, "id_notification"),
            (MyMenuRegister, "my_menu_register"),
            (MyMenuUnregister, "my_menu_unregister"),
            (Subscribe, "subscribe"),
            (Unsubscribe, "unsubscribe"),
        ];
        for (action, name) in fixed {
            assert_eq!(action.as_str(), name);
        }
        let step = |step| Partner { site: "koku", step }.as_str().into_owned();
        assert_eq!(
            step(PartnerStep::Procedure("forgot")),
            "partner:koku:forgot"
        );
        assert_eq!(step(PartnerStep::Login), "partner:koku:login");
        assert_eq!(
            step(PartnerStep::ChangePassword),
            "partner:koku:change_password"
        );
        assert_eq!(
            step(PartnerStep::InquiryReset),
            "partner:koku:inquiry_reset"
        );
    }
}
