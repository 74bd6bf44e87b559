//! The delivery rules: given a recipient line's settings at this moment and a
//! sender, is a mail delivered, and if not, why. Pure: no database, no clock.

use super::rejection::Mode;

/// What the rules need to know about the line an address might belong to.
#[derive(Clone, Debug)]
pub struct Recipient {
    pub line_id: i64,
    pub msisdn: String,
    /// The current local part of the line's address.
    pub mail_local: String,
    pub suspended: bool,
    pub mode: Mode,
    /// Lower-case addresses and domains.
    pub list: Vec<String>,
    pub secret_code: Option<String>,
}

/// Why a mail was not delivered (the `reason` of the API and the mail log).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reason {
    /// No line has this address (including an address changed away).
    UnknownAddress,
    Suspended,
    /// A secret code is registered: mail must use PHONENUMBER.CODE@.
    SecretCodeRequired,
    WrongSecretCode,
    RejectAll,
    RejectDesignated,
    /// Receive designated, and the sender is not on the list.
    NotDesignated,
}

impl Reason {
    pub fn as_str(self) -> &'static str {
        match self {
            Reason::UnknownAddress => "unknown_address",
            Reason::Suspended => "suspended",
            Reason::SecretCodeRequired => "secret_code_required",
            Reason::WrongSecretCode => "wrong_secret_code",
            Reason::RejectAll => "reject_all",
            Reason::RejectDesignated => "reject_designated",
            Reason::NotDesignated => "not_designated",
        }
    }
}

/// Why mail to a line was refused when its mailbox is full: decided by the
/// send path (`services::mail`), which alone counts what a mailbox holds.
pub const MAILBOX_FULL: &str = "mailbox_full";

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Decision {
    Deliver {
        line_id: i64,
        msisdn: String,
    },
    Reject {
        reason: Reason,
        msisdn: Option<String>,
    },
}

/// Decides delivery of a mail from `sender` to `local@docomo.ne.jp`. `find`
/// looks a line up by its current local part. System notices (`system`) skip
/// the rejection list and secret code, but a suspended line gets nothing.
pub fn decide(
    local: &str,
    sender: &str,
    system: bool,
    mut find: impl FnMut(&str) -> Option<Recipient>,
) -> Decision {
    let local = local.to_ascii_lowercase();
    let sender = sender.to_ascii_lowercase();
    // PHONENUMBER.CODE: the phone-number address with a secret code appended.
    let coded = local.split_once('.').filter(|(number, code)| {
        number.len() == 11
            && number.bytes().all(|b| b.is_ascii_digit())
            && code.len() == 4
            && code.bytes().all(|b| b.is_ascii_digit())
    });
    let (line, code_given) = match find(&local) {
        Some(line) => (line, None),
        None => match coded.and_then(|(number, code)| find(number).map(|l| (l, code))) {
            // A code only means something while the address is still the number.
            Some((line, code)) if line.mail_local == line.msisdn => (line, Some(code.to_string())),
            _ => {
                return Decision::Reject {
                    reason: Reason::UnknownAddress,
                    msisdn: None,
                }
            }
        },
    };
    let reject = |reason| Decision::Reject {
        reason,
        msisdn: Some(line.msisdn.clone()),
    };
    if line.suspended {
        return reject(Reason::Suspended);
    }
    if !system {
        let phone_address = line.mail_local == line.msisdn;
        match (&line.secret_code, code_given) {
            (Some(code), Some(given)) if phone_address && *code != given => {
                return reject(Reason::WrongSecretCode)
            }
            (Some(_), None) if phone_address => return reject(Reason::SecretCodeRequired),
            // No code registered: PHONENUMBER.CODE is not an address at all.
            (None, Some(_)) => return reject(Reason::UnknownAddress),
            _ => {}
        }
        let listed = line.list.iter().any(|entry| matches(entry, &sender));
        match line.mode {
            Mode::RejectAll => return reject(Reason::RejectAll),
            Mode::RejectDesignated if listed => return reject(Reason::RejectDesignated),
            Mode::ReceiveDesignated if !listed => return reject(Reason::NotDesignated),
            _ => {}
        }
    }
    Decision::Deliver {
        line_id: line.line_id,
        msisdn: line.msisdn,
    }
}

/// Whether a list entry covers a (lower-case) sender: an address matches
/// exactly; a domain matches that domain and its subdomains.
pub fn matches(entry: &str, sender: &str) -> bool {
    if entry.contains('@') {
        return entry == sender;
    }
    let domain = sender.rsplit_once('@').map_or(sender, |(_, d)| d);
    domain == entry || domain.ends_with(&format!(".{entry}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(
        local: &str,
        suspended: bool,
        mode: Mode,
        list: &[&str],
        code: Option<&str>,
    ) -> Recipient {
        Recipient {
            line_id: 2,
            msisdn: "09012340002".into(),
            mail_local: local.into(),
            suspended,
            mode,
            list: list.iter().map(|s| s.to_string()).collect(),
            secret_code: code.map(str::to_owned),
        }
    }

    fn run(r: &Recipient, to: &str, from: &str, system: bool) -> Result<(), Reason> {
        let find = |local: &str| (local == r.mail_local).then(|| r.clone());
        match decide(to, from, system, find) {
            Decision::Deliver { .. } => Ok(()),
            Decision::Reject { reason, .. } => Err(reason),
        }
    }

    /// (recipient line, to local part, from, system notice, expected decision)
    type Case = (
        Recipient,
        &'static str,
        &'static str,
        bool,
        Result<(), Reason>,
    );

    #[test]
    fn the_rules_as_a_table() {
        let phone = "09012340002";
        let cases: &[Case] = &[
            // plain delivery, case-insensitive address
            (
                line("hanako", false, Mode::Off, &[], None),
                "Hanako",
                "a@x.jp",
                false,
                Ok(()),
            ),
            (
                line("hanako", false, Mode::Off, &[], None),
                "nobody",
                "a@x.jp",
                false,
                Err(Reason::UnknownAddress),
            ),
            // suspension beats everything, even system notices
            (
                line("hanako", true, Mode::Off, &[], None),
                "hanako",
                "a@x.jp",
                false,
                Err(Reason::Suspended),
            ),
            (
                line("hanako", true, Mode::Off, &[], None),
                "hanako",
                "info@docomo.ne.jp",
                true,
                Err(Reason::Suspended),
            ),
            // reject all
            (
                line("hanako", false, Mode::RejectAll, &[], None),
                "hanako",
                "a@x.jp",
                false,
                Err(Reason::RejectAll),
            ),
            // reject designated: address and domain, case-insensitive, subdomains
            (
                line("hanako", false, Mode::RejectDesignated, &["spam.jp"], None),
                "hanako",
                "A@SPAM.JP",
                false,
                Err(Reason::RejectDesignated),
            ),
            (
                line("hanako", false, Mode::RejectDesignated, &["spam.jp"], None),
                "hanako",
                "a@mx.spam.jp",
                false,
                Err(Reason::RejectDesignated),
            ),
            (
                line("hanako", false, Mode::RejectDesignated, &["spam.jp"], None),
                "hanako",
                "a@notspam.jp",
                false,
                Ok(()),
            ),
            (
                line("hanako", false, Mode::RejectDesignated, &["bad@x.jp"], None),
                "hanako",
                "Bad@X.jp",
                false,
                Err(Reason::RejectDesignated),
            ),
            (
                line("hanako", false, Mode::RejectDesignated, &["bad@x.jp"], None),
                "hanako",
                "good@x.jp",
                false,
                Ok(()),
            ),
            // receive designated
            (
                line(
                    "hanako",
                    false,
                    Mode::ReceiveDesignated,
                    &["taro-demo@docomo.ne.jp"],
                    None,
                ),
                "hanako",
                "taro-demo@docomo.ne.jp",
                false,
                Ok(()),
            ),
            (
                line(
                    "hanako",
                    false,
                    Mode::ReceiveDesignated,
                    &["taro-demo@docomo.ne.jp"],
                    None,
                ),
                "hanako",
                "x@docomo.ne.jp",
                false,
                Err(Reason::NotDesignated),
            ),
            (
                line(
                    "hanako",
                    false,
                    Mode::ReceiveDesignated,
                    &["docomo.ne.jp"],
                    None,
                ),
                "hanako",
                "x@docomo.ne.jp",
                false,
                Ok(()),
            ),
            // list entries do not matter when the mode is off
            (
                line("hanako", false, Mode::Off, &["spam.jp"], None),
                "hanako",
                "a@spam.jp",
                false,
                Ok(()),
            ),
            // secret code on the phone-number address
            (
                line(phone, false, Mode::Off, &[], Some("7777")),
                phone,
                "a@x.jp",
                false,
                Err(Reason::SecretCodeRequired),
            ),
            (
                line(phone, false, Mode::Off, &[], Some("7777")),
                "09012340002.7777",
                "a@x.jp",
                false,
                Ok(()),
            ),
            (
                line(phone, false, Mode::Off, &[], Some("7777")),
                "09012340002.1234",
                "a@x.jp",
                false,
                Err(Reason::WrongSecretCode),
            ),
            (
                line(phone, false, Mode::Off, &[], None),
                "09012340002.7777",
                "a@x.jp",
                false,
                Err(Reason::UnknownAddress),
            ),
            (
                line(phone, false, Mode::Off, &[], None),
                phone,
                "a@x.jp",
                false,
                Ok(()),
            ),
            // the code no longer matters once the address has changed
            (
                line("hanako", false, Mode::Off, &[], Some("7777")),
                "hanako",
                "a@x.jp",
                false,
                Ok(()),
            ),
            (
                line("hanako", false, Mode::Off, &[], Some("7777")),
                "09012340002.7777",
                "a@x.jp",
                false,
                Err(Reason::UnknownAddress),
            ),
            (
                line("hanako", false, Mode::Off, &[], Some("7777")),
                phone,
                "a@x.jp",
                false,
                Err(Reason::UnknownAddress),
            ),
            // combinations: secret code is checked before the lists
            (
                line(
                    phone,
                    false,
                    Mode::ReceiveDesignated,
                    &["taro-demo@docomo.ne.jp"],
                    Some("7777"),
                ),
                "09012340002.7777",
                "taro-demo@docomo.ne.jp",
                false,
                Ok(()),
            ),
            (
                line(
                    phone,
                    false,
                    Mode::ReceiveDesignated,
                    &["taro-demo@docomo.ne.jp"],
                    Some("7777"),
                ),
                "09012340002.7777",
                "x@y.jp",
                false,
                Err(Reason::NotDesignated),
            ),
            (
                line(
                    phone,
                    false,
                    Mode::ReceiveDesignated,
                    &["taro-demo@docomo.ne.jp"],
                    Some("7777"),
                ),
                phone,
                "taro-demo@docomo.ne.jp",
                false,
                Err(Reason::SecretCodeRequired),
            ),
            (
                line(phone, true, Mode::RejectAll, &[], Some("7777")),
                "09012340002.7777",
                "a@x.jp",
                false,
                Err(Reason::Suspended),
            ),
            // system notices skip lists and codes
            (
                line(phone, false, Mode::RejectAll, &[], Some("7777")),
                phone,
                "info@docomo.ne.jp",
                true,
                Ok(()),
            ),
        ];
        for (i, (r, to, from, system, want)) in cases.iter().enumerate() {
            assert_eq!(
                run(r, to, from, *system),
                *want,
                "case {i}: to {to} from {from}"
            );
        }
    }
}
