//! Settings of the running server, kept in the database so that every
//! connection's statements can read them (`server_settings`).

use rusqlite::{Connection, OptionalExtension};

use super::error::Error;

/// The settings there are, each under its stored key.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Setting {
    /// The SMTP relay (`--smtp-relay`); absent: no relay.
    SmtpRelay,
    /// How many mails a mailbox holds (`--mailbox-messages`).
    MailboxMessages,
}

impl Setting {
    pub fn as_str(self) -> &'static str {
        match self {
            Setting::SmtpRelay => "smtp_relay",
            Setting::MailboxMessages => "mailbox_messages",
        }
    }
}

/// Sets (or, with `None`, removes) a setting.
pub fn set(conn: &Connection, setting: Setting, value: Option<&str>) -> Result<(), Error> {
    let key = setting.as_str();
    match value {
        Some(v) => conn.execute(
            "INSERT INTO server_settings (key, value) VALUES (?1, ?2)
             ON CONFLICT (key) DO UPDATE SET value = ?2",
            [key, v],
        )?,
        None => conn.execute("DELETE FROM server_settings WHERE key = ?1", [key])?,
    };
    Ok(())
}

/// A setting's value, if it is set.
pub fn get(conn: &Connection, setting: Setting) -> Result<Option<String>, Error> {
    Ok(conn
        .prepare_cached("SELECT value FROM server_settings WHERE key = ?1")?
        .query_row([setting.as_str()], |r| r.get::<_, String>(0))
        .optional()?)
}

/// Whether a setting is set (for the SMTP relay: whether there is one).
pub fn has(conn: &Connection, setting: Setting) -> Result<bool, Error> {
    Ok(conn.query_row(
        "SELECT EXISTS (SELECT 1 FROM server_settings WHERE key = ?1)",
        [setting.as_str()],
        |r| r.get(0),
    )?)
}
