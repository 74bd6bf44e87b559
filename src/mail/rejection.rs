//! Mail rejection settings: the mode and the designated list.

/// The four mail rejection modes, as the API's field `mode` names them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    Off,
    RejectAll,
    RejectDesignated,
    ReceiveDesignated,
}

impl Mode {
    pub const ALL: [Mode; 4] = [
        Mode::Off,
        Mode::RejectAll,
        Mode::RejectDesignated,
        Mode::ReceiveDesignated,
    ];

    pub fn parse(s: &str) -> Option<Mode> {
        Mode::ALL.into_iter().find(|m| m.as_str() == s)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Mode::Off => "off",
            Mode::RejectAll => "reject_all",
            Mode::RejectDesignated => "reject_designated",
            Mode::ReceiveDesignated => "receive_designated",
        }
    }

    /// Whether the mode consults the list.
    pub fn uses_list(self) -> bool {
        matches!(self, Mode::RejectDesignated | Mode::ReceiveDesignated)
    }
}

/// Most entries a designated list may hold.
pub const MAX_ENTRIES: usize = 20;
/// Longest entry (a full address), in characters.
pub const MAX_ENTRY_LEN: usize = 100;

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ListError {
    #[error("`{0}` is not a mail address or domain")]
    Malformed(String),
    #[error("more than {MAX_ENTRIES} entries")]
    TooMany,
    #[error("a designated mode needs at least one entry")]
    Empty,
}

/// Parses the `list` field: one address (`user@example.com`) or domain
/// (`example.com`) a line (commas and spaces also separate). Entries are folded
/// to lower case (matching is case-insensitive) and duplicates dropped.
pub fn parse_list(input: &str) -> Result<Vec<String>, ListError> {
    let mut out: Vec<String> = Vec::new();
    for raw in input.split(|c: char| c == '\n' || c == '\r' || c == ',' || c.is_whitespace()) {
        if raw.is_empty() {
            continue;
        }
        let entry = raw.to_ascii_lowercase();
        if !valid_entry(&entry) {
            return Err(ListError::Malformed(raw.chars().take(40).collect()));
        }
        if !out.contains(&entry) {
            out.push(entry);
        }
        if out.len() > MAX_ENTRIES {
            return Err(ListError::TooMany);
        }
    }
    Ok(out)
}

fn valid_entry(entry: &str) -> bool {
    if entry.len() > MAX_ENTRY_LEN {
        return false;
    }
    let (local, domain) = match entry.split_once('@') {
        Some((l, d)) => (Some(l), d),
        None => (None, entry),
    };
    let local_ok = local.is_none_or(|l| {
        !l.is_empty()
            && l.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"._-+".contains(&b))
    });
    let labels: Vec<&str> = domain.split('.').collect();
    let domain_ok = labels.len() >= 2
        && labels.iter().all(|l| {
            !l.is_empty()
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
        });
    local_ok && domain_ok
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_and_domains_are_accepted_one_a_line() {
        let list =
            parse_list("Taro-Demo@docomo.ne.jp\r\nexample.com\n\nshop.example.co.jp").unwrap();
        assert_eq!(
            list,
            [
                "taro-demo@docomo.ne.jp",
                "example.com",
                "shop.example.co.jp"
            ]
        );
    }

    #[test]
    fn duplicates_are_dropped_case_insensitively() {
        assert_eq!(parse_list("a.jp\nA.JP").unwrap(), ["a.jp"]);
    }

    #[test]
    fn malformed_entries_are_refused() {
        for bad in [
            "nodot",
            "@example.com",
            "a@",
            "a@b",
            "a b@c.jp",
            "-x.jp",
            "x..jp",
            "a@b@c.jp",
            "ドコモ.jp",
        ] {
            assert!(
                matches!(parse_list(bad), Err(ListError::Malformed(_))),
                "{bad:?}"
            );
        }
        assert!(parse_list(&format!("{}@x.jp", "a".repeat(100))).is_err());
    }

    #[test]
    fn at_most_twenty_entries() {
        let twenty: Vec<String> = (0..20).map(|i| format!("d{i}.jp")).collect();
        assert_eq!(parse_list(&twenty.join("\n")).unwrap().len(), 20);
        let more = format!("{}\nextra.jp", twenty.join("\n"));
        assert_eq!(parse_list(&more), Err(ListError::TooMany));
    }

    #[test]
    fn modes_parse_by_their_field_values() {
        assert_eq!(
            Mode::parse("receive_designated"),
            Some(Mode::ReceiveDesignated)
        );
        assert_eq!(Mode::parse("REJECT_ALL"), None);
        assert_eq!(Mode::parse("block"), None);
    }
}
