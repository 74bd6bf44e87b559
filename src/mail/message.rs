//! A mail as it is sent: who, to whom, what (`Mail`); whether it can be
//! sent as written (`check`); its Message-ID; and the answer (`Outcome`).

use serde::Serialize;

/// Why a mail cannot be sent as written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Unfit {
    /// The subject is over its size in Shift_JIS bytes.
    SubjectTooLong,
    /// The body is over its size in Shift_JIS bytes.
    BodyTooLong,
    /// The subject holds a line break (CR or LF): one header line, always.
    SubjectLineBreak,
}

/// Whether a mail can be sent: a subject of one line, and the sizes the
/// i-mode centre counted (the subject and the body in Shift_JIS bytes;
/// pictograms are two bytes each, like kanji).
pub fn check(subject: &str, body: &str) -> Result<(), Unfit> {
    use crate::handset::{encode_page, Charset};
    use crate::limits::{MAIL_BODY_BYTES, MAIL_SUBJECT_BYTES};
    if subject.contains(['\r', '\n']) {
        return Err(Unfit::SubjectLineBreak);
    }
    if encode_page(subject, Charset::ShiftJis).len() > MAIL_SUBJECT_BYTES {
        return Err(Unfit::SubjectTooLong);
    }
    if encode_page(body, Charset::ShiftJis).len() > MAIL_BODY_BYTES {
        return Err(Unfit::BodyTooLong);
    }
    Ok(())
}

/// A Message-ID no other message anywhere has: the time and 128 random bits.
pub fn new_message_id(now: i64) -> String {
    format!("{now}.{}@garake.invalid", crate::random::token_hex(16))
}

/// The answer of `POST /api/mail` and of the compose page.
#[derive(Clone, Debug, Serialize, PartialEq, Eq, utoipa::ToSchema)]
pub struct Outcome {
    pub status: &'static str,
    pub reason: Option<&'static str>,
}

/// A mail to send.
pub struct Mail<'a> {
    pub from: &'a str,
    pub to: &'a str,
    pub subject: &'a str,
    pub body: &'a str,
    /// A carrier notice: skips rejection lists and secret codes, not suspension.
    pub system: bool,
}
