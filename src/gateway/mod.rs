//! The gateway: what the i-mode center did between a handset and a content
//! provider's own site. Pure parts here (identifiers, URL checks, rewriting,
//! charsets); the forwarding itself is in web/gateway.rs.

pub mod client;
pub mod cookies;

pub use cookies::CookieJar;

use sha2::{Digest, Sha256};

use crate::domain::Msisdn;

/// The placeholder a content provider puts where it wants the user ID.
pub const UID_PLACEHOLDER: &str = "NULLGWDOCOMO";

/// A line's stable identifiers as content providers see them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Identity {
    /// The i-mode ID sent as `X-DCMGUID` (7 characters).
    pub guid: String,
    /// The i-mode user ID that replaces `uid=NULLGWDOCOMO` (12 characters).
    pub uid: String,
    /// The handset's serial number (11 characters), sent only after consent (`utn`).
    pub ser: String,
    /// The FOMA card number (20 digits), sent with `ser` by DoCoMo/2.0 handsets.
    pub icc: String,
}

fn derived(label: &str, msisdn: &Msisdn, len: usize) -> String {
    const ALPHABET: &[u8] = b"0123456789abcdefghijklmnopqrstuvwxyz";
    Sha256::digest(format!("garake:{label}:{msisdn}").as_bytes())
        .iter()
        .take(len)
        .map(|b| ALPHABET[*b as usize % ALPHABET.len()] as char)
        .collect()
}

impl Identity {
    /// Stable per line: the same number always gets the same identifiers.
    pub fn of(msisdn: &Msisdn) -> Identity {
        let digits: String = Sha256::digest(format!("garake:icc:{msisdn}").as_bytes())
            .iter()
            .take(20)
            .map(|b| char::from(b'0' + b % 10))
            .collect();
        Identity {
            guid: derived("guid", msisdn, 7),
            uid: derived("uid", msisdn, 12),
            ser: derived("ser", msisdn, 11).to_ascii_uppercase(),
            icc: digits,
        }
    }
}

/// The User-Agent with the serial numbers a consenting handset adds:
/// `DoCoMo/1.0/MODEL/…/serXXXXXXXXXXX`, or `DoCoMo/2.0 MODEL(…;serXXXXXXXXXXX;iccNNNN…)`.
/// Other browsers have none.
pub fn with_serial(user_agent: &str, id: &Identity) -> String {
    if user_agent.starts_with("DoCoMo/1.0/") {
        format!("{user_agent}/ser{}", id.ser)
    } else if user_agent.starts_with("DoCoMo/2.0 ") {
        match user_agent.strip_suffix(')') {
            Some(head) => format!("{head};ser{};icc{})", id.ser, id.icc),
            None => format!("{user_agent}(ser{};icc{})", id.ser, id.icc),
        }
    } else {
        user_agent.to_string()
    }
}

/// Sends links and forms marked `utn` through the consent page: inside the
/// `<a …>` or `<form …>` tag, the gateway path `/g/` becomes `/u/`.
pub fn route_utn_links(html: &str, gateway: &str, consent: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut rest = html;
    let next_tag = |s: &str| {
        let lower = s.to_ascii_lowercase();
        [lower.find("<a "), lower.find("<form ")]
            .into_iter()
            .flatten()
            .min()
    };
    while let Some(at) = next_tag(rest) {
        out.push_str(&rest[..at]);
        let tag_end = rest[at..].find('>').map_or(rest.len(), |e| at + e + 1);
        let tag = &rest[at..tag_end];
        let lower = tag.to_ascii_lowercase();
        let has_utn = lower
            .split(|c: char| c.is_whitespace() || c == '>')
            .any(|w| w == "utn" || w.starts_with("utn="));
        if has_utn {
            out.push_str(&tag.replacen(gateway, consent, 1));
        } else {
            out.push_str(tag);
        }
        rest = &rest[tag_end..];
    }
    out.push_str(rest);
    out
}

/// The upstream URL for a gateway path, or `None` if the path tries to leave
/// the configured site (`..`, `//`, backslashes, encoded dots, a scheme).
/// With `id`, `uid=NULLGWDOCOMO` in the query becomes the user ID; without
/// (an https site), the query goes as the handset wrote it.
pub fn upstream_url(
    base: &str,
    rest: &str,
    query: Option<&str>,
    id: Option<&Identity>,
) -> Option<String> {
    if !stays_inside(rest) {
        return None;
    }
    let mut url = format!("{base}{rest}");
    if let Some(q) = query.filter(|q| !q.is_empty()) {
        url.push('?');
        match id {
            Some(id) => url.push_str(&replace_uid(q, id)),
            None => url.push_str(q),
        }
    }
    Some(url)
}

/// Whether a path below a site's upstream stays below it.
pub fn stays_inside(rest: &str) -> bool {
    let lower = rest.to_ascii_lowercase();
    let escapes = rest.starts_with('/')
        || rest.contains("//")
        || rest.contains('\\')
        || rest.split('/').any(|seg| seg == ".." || seg == ".")
        || lower.contains("%2e")
        || lower.contains("%2f")
        || lower.contains("%5c")
        || rest.contains("://")
        || rest.bytes().any(|b| b.is_ascii_control() || b == b' ');
    !escapes
}

/// Replaces `uid=NULLGWDOCOMO` in a query string or form body with the user ID.
pub fn replace_uid(text: &str, id: &Identity) -> String {
    text.split('&')
        .map(|pair| {
            if pair == format!("uid={UID_PLACEHOLDER}") {
                format!("uid={}", id.uid)
            } else {
                pair.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join("&")
}

/// Whether the URL asks for the i-mode ID (`guid=ON`).
pub fn wants_guid(query: Option<&str>) -> bool {
    query.is_some_and(|q| q.split('&').any(|p| p == "guid=ON"))
}

/// Decodes an upstream page: charset from the Content-Type, else from a
/// `<meta>`, else Shift_JIS (what i-mode sites used). `None` if it does not decode.
pub fn decode(body: &[u8], content_type: &str) -> Option<String> {
    let from_header = charset_param(content_type);
    let from_meta = || {
        let head = String::from_utf8_lossy(&body[..body.len().min(1024)]).to_ascii_lowercase();
        let at = head.find("charset=")? + 8;
        let label: String = head[at..]
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
            .collect();
        Some(label)
    };
    let label = from_header
        .or_else(from_meta)
        .unwrap_or_else(|| "shift_jis".into());
    let encoding = encoding_rs::Encoding::for_label(label.as_bytes())?;
    encoding
        .decode_without_bom_handling_and_without_replacement(body)
        .map(|s| s.into_owned())
}

fn charset_param(content_type: &str) -> Option<String> {
    content_type
        .split(';')
        .find_map(|p| p.trim().strip_prefix("charset="))
        .map(|c| c.trim_matches('"').to_ascii_lowercase())
}

/// Rewrites `href` / `action` / `src` values that point at the upstream site
/// (absolute URLs under `base`, or host-absolute paths) to the gateway prefix.
/// Relative links need nothing: the gateway path mirrors the upstream path.
pub fn rewrite(html: &str, base: &str, prefix: &str) -> String {
    let origin_end = base.find("://").map_or(0, |i| i + 3);
    let origin = &base[..base[origin_end..]
        .find('/')
        .map_or(base.len(), |i| origin_end + i)];
    let base_path = &base[origin.len()..];
    let mut out = String::with_capacity(html.len() + 64);
    let mut rest = html;
    while let Some(at) = find_attr(rest) {
        let (before, after) = rest.split_at(at.0);
        out.push_str(before);
        let quote = at.2;
        let value_start = at.1;
        let Some(len) = after[value_start..].find(quote) else {
            out.push_str(after);
            return out;
        };
        let value = &after[value_start..value_start + len];
        out.push_str(&after[..value_start]);
        let mapped = if let Some(tail) = value.strip_prefix(base) {
            Some(format!("{prefix}{tail}"))
        } else if let Some(path) = value.strip_prefix(origin).or_else(|| {
            value
                .strip_prefix('/')
                .map(|_| value)
                .filter(|v| !v.starts_with("//"))
        }) {
            path.strip_prefix(base_path)
                .map(|tail| format!("{prefix}{tail}"))
        } else {
            None
        };
        out.push_str(mapped.as_deref().unwrap_or(value));
        rest = &after[value_start + len..];
    }
    out.push_str(rest);
    out
}

/// The next `href=`/`action=`/`src=` attribute: (offset of its name, offset of
/// the value from there, quote character).
fn find_attr(html: &str) -> Option<(usize, usize, char)> {
    let lower = html.to_ascii_lowercase();
    let mut best: Option<(usize, usize, char)> = None;
    for name in ["href=", "action=", "src="] {
        let mut from = 0;
        while let Some(i) = lower[from..].find(name) {
            let at = from + i;
            let q = html[at + name.len()..].chars().next();
            if let Some(q @ ('"' | '\'')) = q {
                if best.is_none_or(|b| at < b.0) {
                    best = Some((at, name.len() + 1, q));
                }
                break;
            }
            from = at + name.len();
        }
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id() -> Identity {
        Identity::of(&Msisdn::parse("09012340001").unwrap())
    }

    #[test]
    fn identifiers_are_stable_and_per_line() {
        let a = id();
        assert_eq!(a, id());
        assert_eq!((a.guid.len(), a.uid.len()), (7, 12));
        assert_ne!(a, Identity::of(&Msisdn::parse("09012340002").unwrap()));
    }

    #[test]
    fn serial_numbers_join_the_user_agent_in_each_form() {
        let id = id();
        assert_eq!(
            with_serial("DoCoMo/1.0/P503i/c10", &id),
            format!("DoCoMo/1.0/P503i/c10/ser{}", id.ser)
        );
        assert_eq!(
            with_serial("DoCoMo/2.0 P903i(c100;TB;W24H12)", &id),
            format!(
                "DoCoMo/2.0 P903i(c100;TB;W24H12;ser{};icc{})",
                id.ser, id.icc
            )
        );
        assert_eq!(with_serial("Mozilla/5.0", &id), "Mozilla/5.0");
        assert_eq!((id.ser.len(), id.icc.len()), (11, 20));
    }

    #[test]
    fn utn_forms_go_through_consent_too() {
        let html = r#"<form action="/s/X/g/cp/f" method="post" utn><input name="a"></form>"#;
        let out = route_utn_links(html, "/s/X/g/cp/", "/s/X/u/cp/");
        assert!(out.contains(r#"action="/s/X/u/cp/f""#), "{out}");
    }

    #[test]
    fn only_utn_links_go_through_consent() {
        let html = r#"<a href="/s/X/g/cp/a" utn>A</a><a href="/s/X/g/cp/b">B</a><A HREF="/s/X/g/cp/c" UTN>C</a>"#;
        let out = route_utn_links(html, "/s/X/g/cp/", "/s/X/u/cp/");
        assert!(out.contains(r#"href="/s/X/u/cp/a""#), "{out}");
        assert!(out.contains(r#"href="/s/X/g/cp/b""#));
        assert!(out.contains(r#"HREF="/s/X/u/cp/c""#), "{out}");
    }

    #[test]
    fn paths_cannot_leave_the_site() {
        let base = "http://127.0.0.1:9000/cp/";
        assert_eq!(
            upstream_url(base, "menu/top.html", None, Some(&id())).unwrap(),
            "http://127.0.0.1:9000/cp/menu/top.html"
        );
        for bad in [
            "../admin",
            "a/../../x",
            "/etc/passwd",
            "//evil.example/",
            "%2e%2e/x",
            "a%2Fb",
            "http://evil/",
            "a\\b",
            "a b",
        ] {
            assert!(
                upstream_url(base, bad, None, Some(&id())).is_none(),
                "{bad}"
            );
        }
    }

    #[test]
    fn the_uid_placeholder_is_replaced_and_guid_on_is_noticed() {
        let q = upstream_url(
            "http://h/",
            "x",
            Some("a=1&uid=NULLGWDOCOMO&b=2"),
            Some(&id()),
        )
        .unwrap();
        assert_eq!(q, format!("http://h/x?a=1&uid={}&b=2", id().uid));
        let secure = upstream_url("https://h/", "x", Some("uid=NULLGWDOCOMO"), None).unwrap();
        assert_eq!(
            secure, "https://h/x?uid=NULLGWDOCOMO",
            "left alone for https"
        );
        assert!(wants_guid(Some("x=1&guid=ON")));
        assert!(!wants_guid(Some("guid=on")) && !wants_guid(None));
    }

    #[test]
    fn links_to_the_site_are_rewritten_and_others_left() {
        let base = "http://127.0.0.1:9000/cp/";
        let html = r#"<a href="http://127.0.0.1:9000/cp/a.html">A</a><a href='/cp/b?x=1'>B</a><a href="c.html">C</a><a href="http://other.example/">O</a><form action="/cp/post">"#;
        let out = rewrite(html, base, "/s/SID/g/news/");
        assert!(out.contains(r#"href="/s/SID/g/news/a.html""#), "{out}");
        assert!(out.contains("href='/s/SID/g/news/b?x=1'"), "{out}");
        assert!(out.contains(r#"href="c.html""#));
        assert!(out.contains(r#"href="http://other.example/""#));
        assert!(out.contains(r#"action="/s/SID/g/news/post""#), "{out}");
    }

    #[test]
    fn pages_decode_by_header_then_meta_then_shift_jis() {
        let sjis = encoding_rs::SHIFT_JIS.encode("天気").0.into_owned();
        assert_eq!(decode(&sjis, "text/html").unwrap(), "天気");
        assert_eq!(
            decode("天気".as_bytes(), "text/html; charset=UTF-8").unwrap(),
            "天気"
        );
        let meta = "<meta http-equiv=\"Content-Type\" content=\"text/html; charset=utf-8\">天気";
        assert!(decode(meta.as_bytes(), "text/html")
            .unwrap()
            .ends_with("天気"));
        assert!(decode(&[0x82], "text/html; charset=Shift_JIS").is_none());
    }
}
