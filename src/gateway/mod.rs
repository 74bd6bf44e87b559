//! The gateway: what the i-mode centre did between a handset and a content
//! provider's own site. The pure parts live here (identifiers, where a URL
//! leads, what an answer's type and charset are) and in `sanitize` (one pass
//! over a page that removes what the i-mode browser never ran and points every
//! link back into the gateway); the forwarding itself is in web/gateway.rs.

pub mod budget;
pub mod client;
pub mod cookies;
pub mod media_type;
pub mod rewrites;
pub mod sanitize;

pub use cookies::CookieJar;
pub use media_type::MediaType;

use hmac::{Hmac, Mac};
use sha2::Sha256;
use url::Url;

use crate::domain::Msisdn;

/// Whether a handset path is a content provider's page through the gateway
/// (`/s/{sid}/g/…`, `/f/…` for GET forms, `/u/…` for the serial consent).
pub fn is_gateway_path(path: &str) -> bool {
    path.strip_prefix("/s/")
        .and_then(|rest| rest.split_once('/'))
        .is_some_and(|(_, rest)| ["g/", "f/", "u/"].iter().any(|p| rest.starts_with(p)))
}

/// The header on the gateway's "too large for your handset" page: the size of
/// the provider's page in bytes (`more than N` when it was not read to its
/// end), so tools such as `garake walk` count it as over budget, not broken.
pub const TOO_LARGE_HEADER: &str = "x-garake-too-large";

/// The placeholder a content provider puts where it wants the user ID.
pub const UID_PLACEHOLDER: &str = "NULLGWDOCOMO";

/// A line's identifiers as content providers see them. Each is a MAC of the
/// phone number keyed with a key derived from the server secret: stable
/// across restarts, different under another secret, and not computable (nor
/// reversible) from a phone number alone.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Identity {
    /// The i-mode ID sent as `X-DCMGUID`: 7 characters `[0-9a-zA-Z]`.
    pub guid: String,
    /// The i-mode user ID that replaces `uid=NULLGWDOCOMO`: 12 characters.
    pub uid: String,
    /// The mova handset's serial number (`ser`, 11 characters), sent only after consent.
    pub ser: String,
    /// The FOMA handset's serial number (IMEI, 15 digits).
    pub ser_foma: String,
    /// The FOMA card number (`icc`, 20 digits), sent with the FOMA serial.
    pub icc: String,
}

/// The identifier key's derivation label (the key itself comes from the
/// server secret: `PinHasher::derive_key`).
pub const IDENTITY_KEY_LABEL: &str = "garake gateway identifiers v1";

const ALNUM: &[u8] = b"0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";

/// `len` characters of `alphabet` from the MAC of (`label`, number).
fn derived(key: &[u8; 32], label: &str, msisdn: &Msisdn, len: usize, alphabet: &[u8]) -> String {
    let mut out = String::with_capacity(len);
    let mut block = 0u8;
    while out.len() < len {
        let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes a key of any length");
        mac.update(label.as_bytes());
        mac.update(&[0, block]);
        mac.update(msisdn.as_str().as_bytes());
        for b in mac.finalize().into_bytes() {
            // Rejection sampling keeps the characters uniform.
            let limit = 256 - 256 % alphabet.len();
            if (b as usize) < limit && out.len() < len {
                out.push(alphabet[b as usize % alphabet.len()] as char);
            }
        }
        block += 1;
    }
    out
}

impl Identity {
    /// The identifiers of a line under `key`.
    pub fn of(msisdn: &Msisdn, key: &[u8; 32]) -> Identity {
        const DIGITS: &[u8] = b"0123456789";
        Identity {
            guid: derived(key, "guid", msisdn, 7, ALNUM),
            uid: derived(key, "uid", msisdn, 12, ALNUM),
            ser: derived(key, "ser", msisdn, 11, &ALNUM[..36]).to_ascii_uppercase(),
            ser_foma: derived(key, "imei", msisdn, 15, DIGITS),
            icc: derived(key, "icc", msisdn, 20, DIGITS),
        }
    }
}

/// The User-Agent with the serial numbers a consenting handset adds:
/// `DoCoMo/1.0/MODEL/…/serXXXXXXXXXXX` (11 characters), or
/// `DoCoMo/2.0 MODEL(…;serNNNNNNNNNNNNNNN;iccNNNN…)` (15 and 20 digits).
/// Other browsers have none.
pub fn with_serial(user_agent: &str, id: &Identity) -> String {
    if user_agent.starts_with("DoCoMo/1.0/") {
        format!("{user_agent}/ser{}", id.ser)
    } else if user_agent.starts_with("DoCoMo/2.0 ") {
        match user_agent.strip_suffix(')') {
            Some(head) => format!("{head};ser{};icc{})", id.ser_foma, id.icc),
            None => format!("{user_agent}(ser{};icc{})", id.ser_foma, id.icc),
        }
    } else {
        user_agent.to_string()
    }
}

/// The upstream URL for a gateway path, or `None` if the path tries to leave
/// the configured site (`..`, `//`, backslashes, encoded dots, a scheme).
/// With `id` (an official http site), `uid=NULLGWDOCOMO` in the query becomes
/// the user ID; otherwise the query goes as the handset wrote it.
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
            Some(id) => url.push_str(&replace_uid_str(q, id)),
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

fn replace_uid_str(text: &str, id: &Identity) -> String {
    String::from_utf8(replace_uid(text.as_bytes(), id)).unwrap_or_else(|_| text.to_string())
}

/// Whether a query string or form body holds the user-ID placeholder.
pub fn has_uid_placeholder(text: &[u8]) -> bool {
    text.windows(UID_PLACEHOLDER.len())
        .any(|w| w == UID_PLACEHOLDER.as_bytes())
}

/// Replaces each `uid=NULLGWDOCOMO` pair of a query string or form body
/// with the user ID, leaving every other byte exactly as it was (a
/// Shift_JIS form stays Shift_JIS).
pub fn replace_uid(body: &[u8], id: &Identity) -> Vec<u8> {
    let placeholder = format!("uid={UID_PLACEHOLDER}");
    let mut out = Vec::with_capacity(body.len());
    for (i, pair) in body.split(|b| *b == b'&').enumerate() {
        if i > 0 {
            out.push(b'&');
        }
        if pair == placeholder.as_bytes() {
            out.extend_from_slice(format!("uid={}", id.uid).as_bytes());
        } else {
            out.extend_from_slice(pair);
        }
    }
    out
}

/// Whether the URL asks for the i-mode ID (`guid=ON`).
pub fn wants_guid(query: Option<&str>) -> bool {
    query.is_some_and(|q| q.split('&').any(|p| p == "guid=ON"))
}

/// A configured site as links see it: where its pages are upstream. Built
/// once from the menus (`Route::all`); the gateway paths add the session.
#[derive(Clone, Debug)]
pub struct Route {
    /// The upstream base, ending in `/`.
    pub base: Url,
    /// The site's id, as its gateway paths name it.
    pub site: String,
}

impl Route {
    pub fn new(base: &str, site: &str) -> Option<Route> {
        Some(Route {
            base: Url::parse(base).ok()?,
            site: site.to_string(),
        })
    }

    /// Every site with an upstream, the most specific base first (a site
    /// whose base lies below another's owns the URLs below it), then by id.
    pub fn all<'a>(sites: impl Iterator<Item = (&'a str, &'a str)>) -> Vec<Route> {
        let mut routes: Vec<Route> = sites
            .filter_map(|(base, site)| Route::new(base, site))
            .collect();
        routes.sort_by(|a, b| {
            b.base
                .as_str()
                .len()
                .cmp(&a.base.as_str().len())
                .then_with(|| a.site.cmp(&b.site))
        });
        routes
    }

    /// The part of `url` below this site's base (path, query, fragment), if it is below it.
    /// The base without its trailing slash counts as the site's top.
    pub fn tail(&self, url: &Url) -> Option<String> {
        let same_origin = url.scheme() == self.base.scheme()
            && url.host_str() == self.base.host_str()
            && url.port_or_known_default() == self.base.port_or_known_default();
        if !same_origin {
            return None;
        }
        let base_path = self.base.path();
        let path = url.path();
        let rest = match path.strip_prefix(base_path) {
            Some(rest) => rest,
            None if path == base_path.trim_end_matches('/') => "",
            None => return None,
        };
        let mut tail = rest.to_string();
        if let Some(q) = url.query() {
            tail.push('?');
            tail.push_str(q);
        }
        if let Some(f) = url.fragment() {
            tail.push('#');
            tail.push_str(f);
        }
        Some(tail)
    }

    /// `tail` for a URL already in the form the URL parser gives (see
    /// `plain_url`), by comparing text: the same answer without parsing.
    pub fn plain_tail<'u>(&self, url: &'u str) -> Option<&'u str> {
        let top = self.base.as_str().trim_end_matches('/');
        let rest = url.strip_prefix(top)?;
        match rest.as_bytes().first() {
            None | Some(b'?' | b'#') => Some(rest),
            Some(b'/') => Some(&rest[1..]),
            Some(_) => None,
        }
    }

    /// The gateway path of `tail` below this site for the session whose
    /// own path is `session` (`/s/{sid}`, or `/w/{id}/s/{sid}` in a world).
    pub fn path(&self, session: &str, via: Via, tail: &str) -> String {
        let mut path = String::with_capacity(8 + session.len() + self.site.len() + tail.len());
        self.write_path(&mut path, session, via, tail);
        path
    }

    /// `path`, written at the end of `out` (built by hand: this runs for
    /// every link of every page).
    pub fn write_path(&self, out: &mut String, session: &str, via: Via, tail: &str) {
        // The serial-number consent exists for http sites only: over https
        // the centre only relayed.
        let kind = match via {
            Via::Consent if self.base.scheme() == "http" => 'u',
            Via::GetForm => 'f',
            _ => 'g',
        };
        out.push_str(session);
        out.push('/');
        out.push(kind);
        out.push('/');
        out.push_str(&self.site);
        out.push('/');
        out.push_str(tail);
    }
}

/// Whether the path, query and fragment of the absolute http(s) URL `url`
/// are written as the URL parser writes them: only characters that need no
/// escaping, no dot segments (plain or percent-encoded) and no empty path
/// segments. Its scheme, host and port are then compared as text with a
/// route's parsed (so normalised) base by `Route::plain_tail`: a URL whose
/// origin is written any other way simply finds no route that way.
pub fn plain_url(url: &str) -> bool {
    let Some(after) = url
        .strip_prefix("http://")
        .or_else(|| url.strip_prefix("https://"))
    else {
        return false;
    };
    let b = after.as_bytes();
    if !b.iter().all(|&c| URL_SAFE[c as usize]) {
        return false;
    }
    // No percent-encoded dot anywhere (`%2e`, `%2E`).
    if memchr::memchr_iter(b'%', b)
        .any(|i| b.get(i + 1) == Some(&b'2') && matches!(b.get(i + 2), Some(b'e' | b'E')))
    {
        return false;
    }
    let end = memchr::memchr2(b'?', b'#', b).unwrap_or(b.len());
    // The authority, then a path of segments that are neither `.` nor `..`
    // and not empty (but the last).
    let Some(slash) = memchr::memchr(b'/', &b[..end]) else {
        return false;
    };
    let path = &b[slash + 1..end];
    let mut segments = path.split(|&c| c == b'/').peekable();
    while let Some(seg) = segments.next() {
        let last = segments.peek().is_none();
        if seg == b"." || seg == b".." || (seg.is_empty() && !last) {
            return false;
        }
    }
    true
}

/// The bytes a URL in the URL parser's own form may hold after its scheme:
/// unreserved and sub-delimiter characters, `:@/?#` and `%`.
static URL_SAFE: [bool; 256] = {
    let mut table = [false; 256];
    let mut c = 0;
    while c < 256 {
        let b = c as u8;
        table[c] = b.is_ascii_alphanumeric()
            || matches!(
                b,
                b'-' | b'.'
                    | b'_'
                    | b'~'
                    | b'!'
                    | b'$'
                    | b'&'
                    | b'('
                    | b')'
                    | b'*'
                    | b'+'
                    | b','
                    | b';'
                    | b'='
                    | b':'
                    | b'@'
                    | b'/'
                    | b'?'
                    | b'#'
                    | b'%'
            );
        c += 1;
    }
    table
};

/// How a link is to be followed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Via {
    Link,
    /// A GET form (its query is form data).
    GetForm,
    /// A link or form marked `utn`: the carrier asks before sending the serial number.
    Consent,
}

/// Where a URL in a page (or a redirect) leads the handset of the session
/// whose path is `session`: into the gateway path of the configured site it belongs to, or to
/// garake's "not a configured site" page (`elsewhere`).
pub fn gateway_target(
    url: &Url,
    routes: &[Route],
    session: &str,
    via: Via,
    elsewhere: &str,
) -> String {
    for route in routes {
        if let Some(tail) = route.tail(url) {
            return route.path(session, via, &tail);
        }
    }
    format!("{elsewhere}{}", percent_encode(url.as_str()))
}

/// `gateway_target` for a URL that passes `plain_url`, by text, written at
/// the end of `out`; `false` (nothing written) when no route takes it (the
/// caller then parses it).
pub fn write_plain_target(
    url: &str,
    routes: &[Route],
    session: &str,
    via: Via,
    out: &mut String,
) -> bool {
    for route in routes {
        if let Some(tail) = route.plain_tail(url) {
            route.write_path(out, session, via, tail);
            return true;
        }
    }
    false
}

/// Percent-encodes a URL for use as a query value.
pub fn percent_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len() * 3 / 2);
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                out.push(b as char)
            }
            _ => {
                const HEX: &[u8; 16] = b"0123456789ABCDEF";
                out.push('%');
                out.push(HEX[usize::from(b >> 4)] as char);
                out.push(HEX[usize::from(b & 15)] as char);
            }
        }
    }
    out
}

/// What a content provider answered, as the gateway treats it. The
/// handset never gets the provider's own `Content-Type`: each kind is sent
/// with one media type garake chose.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Answer {
    /// HTML in this encoding (from a byte-order mark, the Content-Type, a
    /// `<meta>`, or Shift_JIS): sanitized, then sent in the handset's charset.
    Html(&'static encoding_rs::Encoding),
    /// Plain text in this encoding: passed through as it is, sent as
    /// `text/plain` with this charset's name.
    Text(&'static encoding_rs::Encoding),
    /// An image the handset can show, by its type in lower case: passed
    /// through as it is, sent as this type.
    Image(&'static str),
    /// Anything else, and any Content-Type that is not exactly one media
    /// type: refused with a clear page.
    Refused,
}

/// Whether `bytes` are valid text in `encoding` (checked through a small
/// buffer: the decoded text is not kept).
pub fn decodes(encoding: &'static encoding_rs::Encoding, bytes: &[u8]) -> bool {
    if encoding == encoding_rs::UTF_8 {
        return std::str::from_utf8(bytes).is_ok();
    }
    if encoding == encoding_rs::SHIFT_JIS {
        return shift_jis_valid(bytes);
    }
    decodes_by_decoding(encoding, bytes)
}

/// `decodes` by running encoding_rs's decoder (any encoding).
fn decodes_by_decoding(encoding: &'static encoding_rs::Encoding, bytes: &[u8]) -> bool {
    use encoding_rs::DecoderResult;
    let mut decoder = encoding.new_decoder_without_bom_handling();
    let mut buffer = [0u8; 1024];
    let mut rest = bytes;
    loop {
        let (result, read, _) = decoder.decode_to_utf8_without_replacement(rest, &mut buffer, true);
        rest = &rest[read..];
        match result {
            DecoderResult::InputEmpty => return true,
            DecoderResult::OutputFull => continue,
            DecoderResult::Malformed(..) => return false,
        }
    }
}

/// Which Shift_JIS bytes and byte pairs decode, read once from encoding_rs
/// itself (every single byte, every lead byte with every second byte), so
/// the check below agrees with the decoder by construction.
struct ShiftJisTable {
    /// What each byte is where a character starts: `SINGLE` (a character
    /// on its own), `LEAD` (the first of two) or neither (never valid there).
    class: [u8; 256],
    /// Bit `lead * 256 + trail`: the pair is a character (8 KiB, so the
    /// check stays in the first-level cache).
    pair: Box<[u64; 1024]>,
}

const SINGLE: u8 = 1;
const LEAD: u8 = 2;

fn shift_jis_table() -> &'static ShiftJisTable {
    static TABLE: std::sync::OnceLock<ShiftJisTable> = std::sync::OnceLock::new();
    TABLE.get_or_init(|| {
        let decodes = |b: &[u8]| {
            encoding_rs::SHIFT_JIS
                .decode_without_bom_handling_and_without_replacement(b)
                .is_some()
        };
        let mut table = ShiftJisTable {
            class: [0; 256],
            pair: Box::new([0; 1024]),
        };
        for first in 0..=255u8 {
            if decodes(&[first]) {
                table.class[first as usize] = SINGLE;
                continue;
            }
            for second in 0..=255u8 {
                if decodes(&[first, second]) {
                    table.class[first as usize] = LEAD;
                    let bit = first as usize * 256 + second as usize;
                    table.pair[bit / 64] |= 1 << (bit % 64);
                }
            }
        }
        table
    })
}

/// Whether `bytes` is Shift_JIS that decodes without a replacement: one
/// pass of table look-ups, no output written (a page is checked on every
/// gateway answer).
fn shift_jis_valid(bytes: &[u8]) -> bool {
    let table = shift_jis_table();
    let (class, pair) = (&table.class, &*table.pair);
    let n = bytes.len();
    let mut i = 0;
    while i < n {
        let b = bytes[i];
        if b.is_ascii() {
            i += 1;
            // Then eight ASCII bytes at a time (tried only after ASCII, so
            // a run of Japanese text is not slowed by it).
            while let Some(word) = bytes.get(i..i + 8) {
                let word = u64::from_le_bytes(word.try_into().expect("eight bytes"));
                if word & 0x8080_8080_8080_8080 != 0 {
                    break;
                }
                i += 8;
            }
            continue;
        }
        match class[b as usize] {
            SINGLE => i += 1,
            LEAD if i + 1 < n => {
                let bit = (b as usize) << 8 | bytes[i + 1] as usize;
                if pair[bit >> 6] & (1 << (bit & 63)) == 0 {
                    return false;
                }
                i += 2;
            }
            _ => return false,
        }
    }
    true
}

/// Classifies an answer by its `Content-Type` lines (the type in any letter
/// case) and finds the encoding its text is in. No line at all reads as
/// HTML; several lines, or one that is not exactly one media type, are
/// refused. `images` are the image types (lower case) the handset can show.
pub fn classify<'a>(
    content_type: impl IntoIterator<Item = &'a [u8]>,
    body: &[u8],
    images: &[&'static str],
) -> Answer {
    let mut lines = content_type.into_iter();
    let media = match (lines.next(), lines.next()) {
        (None, _) => None,
        (Some(line), None) => match MediaType::parse(line) {
            Some(media) => Some(media),
            None => return Answer::Refused,
        },
        // Several lines name no one type.
        (Some(_), Some(_)) => return Answer::Refused,
    };
    let is = |m: &str| media.map_or(m == "text/html", |t| t.is(m));
    let charset = media.and_then(|t| t.param("charset"));
    if is("text/html") || is("application/xhtml+xml") {
        Answer::Html(encoding_of(charset.as_deref(), body, true))
    } else if is("text/plain") {
        Answer::Text(encoding_of(charset.as_deref(), body, false))
    } else if let Some(image) = images.iter().find(|m| is(m)) {
        Answer::Image(image)
    } else {
        Answer::Refused
    }
}

/// The encoding a body is read in, as a browser reads it: the one its
/// byte-order mark (UTF-8, UTF-16LE or UTF-16BE) names, whatever the
/// page declares; else the declared `charset`; for HTML without one, its
/// `<meta>`'s; else Shift_JIS. Labels are matched in any case (encoding_rs
/// follows the WHATWG list). Without a mark, HTML is read only in an
/// ASCII-compatible encoding (the tokenizer reads bytes).
fn encoding_of(declared: Option<&[u8]>, body: &[u8], html: bool) -> &'static encoding_rs::Encoding {
    if let Some((marked, _)) = encoding_rs::Encoding::for_bom(body) {
        return marked;
    }
    let for_label = encoding_rs::Encoding::for_label_no_replacement;
    let found = match declared {
        Some(label) => for_label(label),
        None if html => meta_charset(body).and_then(|l| for_label(l.as_bytes())),
        None => None,
    };
    found
        .filter(|e| !html || e.is_ascii_compatible())
        .unwrap_or(encoding_rs::SHIFT_JIS)
}

/// A page's bytes as the sanitizer reads them: without the byte-order mark
/// `encoding` was read from, and in an ASCII-compatible encoding (a page
/// in UTF-16, which only a mark can name, is transcoded to UTF-8 first), so
/// that the tokenizer's bytes are the characters the browser will see.
/// `None` when the page does not decode in its encoding, or starts with a
/// mark of another one.
pub fn readable<'b>(
    body: &'b [u8],
    encoding: &'static encoding_rs::Encoding,
) -> Option<(std::borrow::Cow<'b, [u8]>, &'static encoding_rs::Encoding)> {
    let body = match encoding_rs::Encoding::for_bom(body) {
        Some((marked, len)) if marked == encoding => &body[len..],
        Some(_) => return None,
        None => body,
    };
    if encoding.is_ascii_compatible() {
        return decodes(encoding, body).then_some((std::borrow::Cow::Borrowed(body), encoding));
    }
    let text = encoding.decode_without_bom_handling_and_without_replacement(body)?;
    Some((
        std::borrow::Cow::Owned(text.into_owned().into_bytes()),
        encoding_rs::UTF_8,
    ))
}

/// A page for the handset without a byte-order mark at its start: one that
/// the sanitizer uncovered (by removing what stood before it) would make
/// the browser read the page by the mark rather than by the charset garake
/// names.
pub fn without_marks(mut page: Vec<u8>) -> Vec<u8> {
    let mut start = 0;
    while let Some((_, len)) = encoding_rs::Encoding::for_bom(&page[start..]) {
        start += len;
    }
    page.drain(..start);
    page
}

/// A `charset=` in the first kilobyte (a `<meta>`), if any.
fn meta_charset(body: &[u8]) -> Option<String> {
    let head = String::from_utf8_lossy(&body[..body.len().min(1024)]).to_ascii_lowercase();
    let at = head.find("charset=")? + 8;
    let label: String = head[at..]
        .trim_start_matches(['"', '\''])
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
        .collect();
    (!label.is_empty()).then_some(label)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(n: u8) -> [u8; 32] {
        [n; 32]
    }

    fn id() -> Identity {
        Identity::of(&Msisdn::parse("09012340001").unwrap(), &key(1))
    }

    #[test]
    fn identifiers_are_stable_per_line_and_key_and_have_their_forms() {
        let a = id();
        assert_eq!(a, id());
        assert_eq!(
            (
                a.guid.len(),
                a.uid.len(),
                a.ser.len(),
                a.ser_foma.len(),
                a.icc.len()
            ),
            (7, 12, 11, 15, 20)
        );
        assert!(a.guid.bytes().all(|b| b.is_ascii_alphanumeric()));
        assert!(a
            .ser_foma
            .bytes()
            .chain(a.icc.bytes())
            .all(|b| b.is_ascii_digit()));
        let other_line = Identity::of(&Msisdn::parse("09012340002").unwrap(), &key(1));
        assert_ne!(a.guid, other_line.guid);
        let other_key = Identity::of(&Msisdn::parse("09012340001").unwrap(), &key(2));
        assert_ne!(a.guid, other_key.guid, "another secret, other identifiers");
        assert_ne!(a.uid, other_key.uid);
    }

    #[test]
    fn an_unkeyed_hash_of_the_number_does_not_give_the_identifiers() {
        // What anyone could compute from the number alone.
        use sha2::Digest;
        let unkeyed: String = sha2::Sha256::digest(b"garake:guid:09012340001")
            .iter()
            .take(7)
            .map(|b| ALNUM[*b as usize % 36] as char)
            .collect();
        assert_ne!(id().guid, unkeyed);
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
                id.ser_foma, id.icc
            )
        );
        assert_eq!(with_serial("Mozilla/5.0", &id), "Mozilla/5.0");
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
    fn the_uid_placeholder_is_replaced_byte_for_byte_and_guid_on_is_noticed() {
        let q = upstream_url(
            "http://h/",
            "x",
            Some("a=1&uid=NULLGWDOCOMO&b=2"),
            Some(&id()),
        )
        .unwrap();
        assert_eq!(q, format!("http://h/x?a=1&uid={}&b=2", id().uid));
        let left = upstream_url("http://h/", "x", Some("uid=NULLGWDOCOMO"), None).unwrap();
        assert_eq!(left, "http://h/x?uid=NULLGWDOCOMO");
        // Shift_JIS bytes around it stay exactly as they were.
        let body = b"name=%82%A0\x82\xa0&uid=NULLGWDOCOMO&z=\x83e";
        let out = replace_uid(body, &id());
        assert_eq!(
            out,
            [
                &b"name=%82%A0\x82\xa0&uid="[..],
                id().uid.as_bytes(),
                b"&z=\x83e"
            ]
            .concat()
        );
        assert!(wants_guid(Some("x=1&guid=ON")));
        assert!(!wants_guid(Some("guid=on")) && !wants_guid(None));
    }

    #[test]
    fn urls_under_a_site_map_into_its_gateway_path_and_others_to_the_not_configured_page() {
        let routes = [
            Route::new("http://127.0.0.1:9000/cp/", "news").unwrap(),
            Route::new("https://other.example/", "sec").unwrap(),
        ];
        let go = |u: &str, via| {
            gateway_target(
                &Url::parse(u).unwrap(),
                &routes,
                "/s/SID",
                via,
                "/s/SID/url?u=",
            )
        };
        assert_eq!(
            go("http://127.0.0.1:9000/cp/a.html?x=1#t", Via::Link),
            "/s/SID/g/news/a.html?x=1#t"
        );
        assert_eq!(go("http://127.0.0.1:9000/cp", Via::Link), "/s/SID/g/news/");
        assert_eq!(
            go("HTTP://127.0.0.1:9000/cp/b", Via::Consent),
            "/s/SID/u/news/b"
        );
        assert_eq!(
            go("http://127.0.0.1:9000/cp/f", Via::GetForm),
            "/s/SID/f/news/f"
        );
        assert_eq!(
            go("https://other.example/x", Via::Consent),
            "/s/SID/g/sec/x",
            "no consent over https"
        );
        assert_eq!(
            go("http://127.0.0.1:9000/secret", Via::Link),
            "/s/SID/url?u=http%3A%2F%2F127.0.0.1%3A9000%2Fsecret"
        );
        assert_eq!(
            go("http://127.0.0.1:9001/cp/", Via::Link),
            "/s/SID/url?u=http%3A%2F%2F127.0.0.1%3A9001%2Fcp%2F"
        );
    }

    #[test]
    fn a_url_counts_as_plain_only_in_the_parsers_own_form() {
        for url in [
            "http://cp.example/",
            "http://cp.example/a/b.html",
            "https://cp.example:8443/a/",
            "http://cp.example/a?x=/../y",
            "http://cp.example/a#..",
            "http://cp.example/?q",
            "http://cp.example/a/%41",
        ] {
            assert!(plain_url(url), "{url} is plain");
            let parsed = Url::parse(url).unwrap();
            assert_eq!(parsed.as_str(), url, "and the parser writes it so");
        }
        for url in [
            "http://cp.example",
            "http://cp.example?q",
            "http://cp.example/a/../b",
            "http://cp.example/./a",
            "http://cp.example/a/..",
            "http://cp.example/a/.?q",
            "http://cp.example//a",
            "http://cp.example/a//b",
            "http://cp.example/a%2eb",
            "http://cp.example/?a=%2E",
            "http://cp.example/a b",
            "http://cp.example/\u{3042}",
            "ftp://cp.example/",
            "cp.example/a",
        ] {
            assert!(!plain_url(url), "{url} is not plain");
        }
    }

    #[test]
    fn the_shift_jis_check_agrees_with_the_decoder() {
        let slow = |b: &[u8]| decodes_by_decoding(encoding_rs::SHIFT_JIS, b);
        // Every byte, every pair, and each of those before and after ASCII.
        for first in 0..=255u8 {
            for second in 0..=255u8 {
                for bytes in [[first, second].to_vec(), vec![b'a', first, second, b'z']] {
                    assert_eq!(shift_jis_valid(&bytes), slow(&bytes), "{bytes:02x?}");
                }
            }
        }
        // Random runs of bytes, mostly from the double-byte ranges.
        let mut seed = 0x2545_f491_4f6c_dd1d_u64;
        for _ in 0..20_000 {
            let bytes: Vec<u8> = (0..12)
                .map(|_| {
                    seed ^= seed << 13;
                    seed ^= seed >> 7;
                    seed ^= seed << 17;
                    [0x41u8, 0x82, 0xa0, 0xe0, 0xf8, 0x9f, 0x40, 0xfc, 0x80, 0xfd]
                        [(seed % 10) as usize]
                        .wrapping_add((seed >> 8) as u8 % 3)
                })
                .collect();
            assert_eq!(shift_jis_valid(&bytes), slow(&bytes), "{bytes:02x?}");
        }
    }

    #[test]
    fn pages_are_checked_to_decode_in_their_charset() {
        let long = "天気".repeat(2000);
        let (sjis, _, _) = encoding_rs::SHIFT_JIS.encode(&long);
        assert!(decodes(encoding_rs::SHIFT_JIS, &sjis));
        let mut broken = sjis.to_vec();
        broken.push(0x82);
        assert!(
            !decodes(encoding_rs::SHIFT_JIS, &broken),
            "a lead byte at the end"
        );
        broken.pop();
        broken.insert(3000, 0xFF);
        assert!(
            !decodes(encoding_rs::SHIFT_JIS, &broken),
            "a byte no charset has"
        );
        assert!(decodes(encoding_rs::UTF_8, long.as_bytes()));
        assert!(!decodes(encoding_rs::UTF_8, &sjis));
    }

    /// `classify` of an answer with one Content-Type line.
    fn classify_one(content_type: &str, body: &[u8], images: &[&'static str]) -> Answer {
        classify([content_type.as_bytes()], body, images)
    }

    #[test]
    fn answers_are_classified_by_type_in_any_case_and_html_by_charset() {
        let images = ["image/gif"];
        let classify = classify_one;
        assert_eq!(
            classify("TEXT/HTML; Charset=UTF-8", b"", &images),
            Answer::Html(encoding_rs::UTF_8)
        );
        assert_eq!(
            classify("text/html", b"", &images),
            Answer::Html(encoding_rs::SHIFT_JIS)
        );
        let meta = b"<meta http-equiv=\"Content-Type\" content=\"text/html; charset=euc-jp\">";
        assert_eq!(
            classify("text/html", meta, &images),
            Answer::Html(encoding_rs::EUC_JP)
        );
        assert_eq!(
            classify("text/plain", b"", &images),
            Answer::Text(encoding_rs::SHIFT_JIS)
        );
        assert_eq!(
            classify("IMAGE/GIF", b"", &images),
            Answer::Image("image/gif")
        );
        assert_eq!(classify("image/png", b"", &images), Answer::Refused);
        assert_eq!(
            classify("application/javascript", b"", &images),
            Answer::Refused
        );
        assert_eq!(
            classify("text/html; charset=utf-16", b"", &images),
            Answer::Html(encoding_rs::SHIFT_JIS)
        );
    }

    #[test]
    fn only_one_content_type_of_exactly_one_media_type_is_read() {
        let images = ["image/gif"];
        assert_eq!(
            classify([], b"<p>", &images),
            Answer::Html(encoding_rs::SHIFT_JIS),
            "no Content-Type reads as HTML"
        );
        assert_eq!(
            classify([&b"text/plain"[..], b"text/html"], b"", &images),
            Answer::Refused,
            "two lines name no one type"
        );
        for bad in [
            "text/plain;,text/html",
            "text/html, text/plain",
            "text/",
            "",
        ] {
            assert_eq!(classify_one(bad, b"", &images), Answer::Refused, "{bad:?}");
        }
        assert_eq!(
            classify_one("Text/Plain; Charset=\"EUC-JP\"", b"", &images),
            Answer::Text(encoding_rs::EUC_JP)
        );
        assert_eq!(
            classify_one("image/gif; name=\"x.gif\"", b"", &images),
            Answer::Image("image/gif")
        );
    }

    #[test]
    fn a_byte_order_mark_names_the_encoding_whatever_the_page_declares() {
        let images = [];
        let meta = "<meta charset=windows-1252><script>";
        for (declared, body, marked) in [
            (
                "text/html; charset=windows-1252",
                &b"\xff\xfe<\0"[..],
                encoding_rs::UTF_16LE,
            ),
            (
                "text/html; charset=windows-1252",
                b"\xfe\xff\0<",
                encoding_rs::UTF_16BE,
            ),
            (
                "text/html; charset=Shift_JIS",
                b"\xef\xbb\xbf<p>",
                encoding_rs::UTF_8,
            ),
            (
                "text/html",
                &[b"\xef\xbb\xbf", meta.as_bytes()].concat(),
                encoding_rs::UTF_8,
            ),
        ] {
            assert_eq!(
                classify_one(declared, body, &images),
                Answer::Html(marked),
                "{declared} {body:02x?}"
            );
        }
        assert_eq!(
            classify_one("text/plain; charset=windows-1252", b"\xff\xfea\0", &images),
            Answer::Text(encoding_rs::UTF_16LE)
        );
    }

    #[test]
    fn a_page_is_read_without_its_mark_and_utf_16_as_utf_8() {
        let utf16le: Vec<u8> = "\u{feff}<a href=x>天気</a>"
            .encode_utf16()
            .flat_map(u16::to_le_bytes)
            .collect();
        let (text, encoding) = readable(&utf16le, encoding_rs::UTF_16LE).unwrap();
        assert_eq!(encoding, encoding_rs::UTF_8);
        assert_eq!(&*text, "<a href=x>天気</a>".as_bytes());
        let utf16be: Vec<u8> = "\u{feff}<p>"
            .encode_utf16()
            .flat_map(u16::to_be_bytes)
            .collect();
        let (text, _) = readable(&utf16be, encoding_rs::UTF_16BE).unwrap();
        assert_eq!(&*text, b"<p>");
        let (text, encoding) = readable(b"\xef\xbb\xbf<p>", encoding_rs::UTF_8).unwrap();
        assert_eq!((&*text, encoding), (&b"<p>"[..], encoding_rs::UTF_8));
        // Only the one mark goes: a second is the page's text.
        let (text, _) = readable(b"\xef\xbb\xbf\xef\xbb\xbf<p>", encoding_rs::UTF_8).unwrap();
        assert_eq!(&*text, b"\xef\xbb\xbf<p>");
        let (text, _) = readable(b"<p>\x93\x56", encoding_rs::SHIFT_JIS).unwrap();
        assert!(matches!(text, std::borrow::Cow::Borrowed(_)));
        // Half a UTF-16 character, a lone surrogate, bytes the charset lacks,
        // a mark of another encoding: none of them is read.
        assert!(readable(b"\xff\xfe<", encoding_rs::UTF_16LE).is_none());
        assert!(readable(b"\xff\xfe\x00\xd8", encoding_rs::UTF_16LE).is_none());
        assert!(readable(b"\x82", encoding_rs::SHIFT_JIS).is_none());
        assert!(readable(b"\xff\xfe<\0", encoding_rs::WINDOWS_1252).is_none());
    }

    #[test]
    fn a_page_for_the_handset_never_starts_with_a_mark() {
        assert_eq!(
            without_marks(b"\xef\xbb\xbf\xef\xbb\xbf<p>".to_vec()),
            b"<p>"
        );
        assert_eq!(without_marks(b"\xff\xfe<\0".to_vec()), b"<\0");
        assert_eq!(
            without_marks(b"<p>\xef\xbb\xbf".to_vec()),
            b"<p>\xef\xbb\xbf"
        );
        assert_eq!(without_marks(Vec::new()), b"");
    }
}
