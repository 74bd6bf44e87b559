//! A handset as the server renders for it: its browser, charset, pictograms,
//! cache and key labels.

use super::charset::Charset;
use super::html::HtmlVersion;
use super::pictograms::Pictograms;

/// Which browser generation the handset has; i-mode browser 1.0 has no cookies.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Browser {
    IMode1,
    IMode2,
    Pc,
}

/// Everything the server needs to know to render for one handset.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Profile {
    /// Profile name as shown in pickers and the API (`P501i`, `P-07B`, `PC`, or the UA's model).
    pub name: String,
    /// The User-Agent this handset sends (and the gateway forwards).
    pub user_agent: String,
    /// Cache size: the largest page the handset can hold, in bytes.
    pub budget: usize,
    /// Screen size in half-width characters and lines.
    pub width: u16,
    pub height: u16,
    pub browser: Browser,
    pub charset: Charset,
    pub pictograms: Pictograms,
    /// The i-mode HTML version (none for a PC or a model the catalogue does not know).
    pub html: Option<HtmlVersion>,
    /// Whether the browser has the `utn` attribute (HTML 3.0 and later).
    pub utn: bool,
    /// The link the model browsed over and its packet fee (none for a PC or a
    /// model the catalogue does not know).
    pub bearer: Option<Bearer>,
}

/// Budget when a DoCoMo User-Agent names no cache size (the 501i generation).
pub const DEFAULT_DOCOMO_BUDGET: usize = 5 * 1024;
/// Built-in pages for 5 KB handsets are kept to DoCoMo's advised 2 KB.
pub const SMALL_PAGE_TARGET: usize = 2048;
pub(crate) const PC_BUDGET: usize = 1024 * 1024;

impl Profile {
    /// Whether the browser keeps cookies (i-mode browser 1.0 does not).
    pub fn cookies(&self) -> bool {
        self.browser != Browser::IMode1
    }

    /// The size garake keeps its own pages under: DoCoMo's advised 2 KB on 5 KB
    /// handsets, otherwise the cache size.
    pub fn page_target(&self) -> usize {
        if self.budget <= DEFAULT_DOCOMO_BUDGET {
            // Never more than the cache itself (a c1 handset holds 1 KB).
            SMALL_PAGE_TARGET.min(self.budget)
        } else {
            self.budget
        }
    }

    pub fn is_handset(&self) -> bool {
        self.browser != Browser::Pc
    }

    /// The label printed before a link with this access key: the docomo keycap
    /// pictogram on a handset, else `[n]`.
    pub fn key_label(&self, key: char) -> String {
        if self.pictograms != Pictograms::None {
            if let Some(p) = keycap(key) {
                return p.to_string();
            }
        }
        format!("[{key}]")
    }
}

/// docomo keycap pictograms. Their Unicode values (U+E6E2…U+E6EB) are the
/// Shift_JIS user-defined area F987…F990 as decoded by the WHATWG Shift_JIS
/// table, so encoding_rs writes exactly the bytes docomo handsets expect.
fn keycap(key: char) -> Option<char> {
    let code = match key {
        '1'..='9' => 0xE6E2 + (key as u32 - '1' as u32),
        '0' => 0xE6EB,
        _ => return None,
    };
    char::from_u32(code)
}

/// The link a model browsed over and the packet fee of its network: what
/// turns a page's bytes into the yen and seconds a user of the time felt.
#[derive(Clone, Debug, PartialEq)]
pub struct Bearer {
    pub id: String,
    /// As the meter names it, e.g. `mova PDC-P`.
    pub name: String,
    /// Peak downlink rate in kilobits (1,000 bits) a second.
    pub kbps: f64,
    /// Yen a packet of 128 bytes, before tax.
    pub yen_per_packet: f64,
}

// Both numbers are checked to be finite when the catalogue loads, so equality
// is an equivalence.
impl Eq for Bearer {}

/// An i-mode packet: 128 bytes.
pub const PACKET_BYTES: usize = 128;

impl Bearer {
    /// The packets a body of `bytes` took (a part packet counts whole).
    pub fn packets(bytes: usize) -> usize {
        bytes.div_ceil(PACKET_BYTES)
    }

    /// What `bytes` cost in yen.
    pub fn yen(&self, bytes: usize) -> f64 {
        Bearer::packets(bytes) as f64 * self.yen_per_packet
    }

    /// Seconds `bytes` took at the bearer's peak rate.
    pub fn seconds(&self, bytes: usize) -> f64 {
        (bytes * 8) as f64 / (self.kbps * 1000.0)
    }
}
