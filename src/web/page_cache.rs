//! Rendered menu pages, kept once per handset kind and language.
//!
//! A plain menu page (no panel) depends only on the node, the page number, the
//! language and three things of the profile: charset, pictograms and page
//! target. It is rendered once with a placeholder session id, encoded, and cut
//! at the placeholder; serving it is then joining the pieces with the session id.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use crate::domain::Lang;
use crate::handset::{encode_page_for, Charset, Pictograms, Profile};
use rustc_hash::FxBuildHasher;

/// Stands in for a session id while rendering: the same length (32), ASCII.
pub const SID_PLACEHOLDER: &str = "SIDSIDSIDSIDSIDSIDSIDSIDSIDSIDSI";

#[derive(Clone, PartialEq, Eq, Hash)]
struct Key {
    node: usize,
    page: usize,
    lang: Lang,
    charset: Charset,
    pictograms: Pictograms,
    target: usize,
    /// The length of the world's prefix the page was measured with.
    rebase: usize,
}

impl Key {
    fn new(node: usize, page: usize, lang: Lang, profile: &Profile, rebase: usize) -> Key {
        Key {
            rebase,
            node,
            page,
            lang,
            charset: profile.charset,
            pictograms: profile.pictograms,
            target: profile.page_target(),
        }
    }
}

/// Stands in for a world's prefix (`/w/` and its 20-character id) while
/// rendering a page for a world: the same length, ASCII.
pub const BASE_PLACEHOLDER: &str = "/w/BASEBASEBASEBASEBASE";

/// What goes between two pieces.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Hole {
    Sid,
    Base,
}

/// Encoded pieces of a page; the session id, or the world's prefix, goes
/// between each two.
pub struct Pieces {
    pieces: Vec<Vec<u8>>,
    holes: Vec<Hole>,
    /// The pieces' bytes in all, and how many holes of each kind: a page's
    /// length is known before it is joined.
    fixed: usize,
    sid_holes: usize,
}

impl Pieces {
    /// Cuts a rendered page at every placeholder and encodes each piece.
    /// (Shift_JIS is stateless, so encoding pieces equals encoding the whole.)
    /// A page for a world gets the prefix placeholder before each of its
    /// root-relative links first, so serving it needs no further pass.
    pub fn new(html: &str, charset: Charset, pictograms: Pictograms, in_world: bool) -> Pieces {
        let based;
        let html = if in_world {
            based = crate::views::rebase::rebase(html.as_bytes(), BASE_PLACEHOLDER);
            std::str::from_utf8(&based).unwrap_or(html)
        } else {
            html
        };
        let mut pieces = Vec::new();
        let mut holes = Vec::new();
        let mut rest = html;
        loop {
            let sid = rest
                .find(SID_PLACEHOLDER)
                .map(|i| (i, Hole::Sid, SID_PLACEHOLDER.len()));
            let base = rest
                .find(BASE_PLACEHOLDER)
                .map(|i| (i, Hole::Base, BASE_PLACEHOLDER.len()));
            let next = match (sid, base) {
                (Some(a), Some(b)) => Some(if a.0 <= b.0 { a } else { b }),
                (a, b) => a.or(b),
            };
            match next {
                Some((at, hole, len)) => {
                    pieces.push(encode_page_for(&rest[..at], charset, pictograms));
                    holes.push(hole);
                    rest = &rest[at + len..];
                }
                None => {
                    pieces.push(encode_page_for(rest, charset, pictograms));
                    break;
                }
            }
        }
        let fixed = pieces.iter().map(Vec::len).sum();
        let sid_holes = holes.iter().filter(|h| **h == Hole::Sid).count();
        Pieces {
            pieces,
            holes,
            fixed,
            sid_holes,
        }
    }

    /// The page for one session (in the default world: `base` is "").
    pub fn fill(&self, base: &str, sid: &str) -> Vec<u8> {
        let base_holes = self.holes.len() - self.sid_holes;
        let len = self.fixed + self.sid_holes * sid.len() + base_holes * base.len();
        let mut out = Vec::with_capacity(len);
        for (i, piece) in self.pieces.iter().enumerate() {
            if i > 0 {
                out.extend_from_slice(match self.holes[i - 1] {
                    Hole::Sid => sid.as_bytes(),
                    Hole::Base => base.as_bytes(),
                });
            }
            out.extend_from_slice(piece);
        }
        out
    }

    /// The page for one session of the default world.
    pub fn with_sid(&self, sid: &str) -> Vec<u8> {
        self.fill("", sid)
    }
}

/// The cache. Bounded by the menu's size times the handset kinds seen.
#[derive(Default)]
pub struct PageCache {
    map: RwLock<HashMap<Key, Arc<Pieces>, FxBuildHasher>>,
}

impl PageCache {
    /// The cached pieces, if this page was rendered for this kind of handset.
    pub fn get(
        &self,
        node: usize,
        page: usize,
        lang: Lang,
        profile: &Profile,
        rebase: usize,
    ) -> Option<Arc<Pieces>> {
        let key = Key::new(node, page, lang, profile, rebase);
        self.map
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .get(&key)
            .cloned()
    }

    /// `f` of the cached pieces, read under the lock (no reference count is
    /// touched: the pieces are shared by every session of a handset kind).
    pub fn with<R>(
        &self,
        node: usize,
        page: usize,
        lang: Lang,
        profile: &Profile,
        rebase: usize,
        f: impl FnOnce(&Pieces) -> R,
    ) -> Option<R> {
        let key = Key::new(node, page, lang, profile, rebase);
        self.map
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .get(&key)
            .map(|pieces| f(pieces))
    }

    /// The cached pieces, or `render()` them once. `None` if `render` says there
    /// is no such page.
    pub fn get_or_render(
        &self,
        node: usize,
        page: usize,
        lang: Lang,
        profile: &Profile,
        rebase: usize,
        render: impl FnOnce() -> Option<String>,
    ) -> Option<Arc<Pieces>> {
        if let Some(hit) = self.get(node, page, lang, profile, rebase) {
            return Some(hit);
        }
        let key = Key::new(node, page, lang, profile, rebase);
        let pieces = Arc::new(Pieces::new(
            &render()?,
            profile.charset,
            profile.pictograms,
            rebase > 0,
        ));
        let mut map = self.map.write().unwrap_or_else(|p| p.into_inner());
        // Unknown models could grow the map without end; past a bound, serve uncached.
        if map.len() < 10_000 {
            map.insert(key, pieces.clone());
        }
        Some(pieces)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pieces_join_to_the_page_with_the_session_id() {
        let html = format!("<a href=\"/s/{SID_PLACEHOLDER}/m/x\">メニュー</a><a href=\"/s/{SID_PLACEHOLDER}/m/y\">");
        let pieces = Pieces::new(&html, Charset::ShiftJis, Pictograms::Extended, false);
        let sid = "0123456789abcdef0123456789abcdef";
        assert_eq!(
            pieces.with_sid(sid),
            crate::handset::encode_page(&html.replace(SID_PLACEHOLDER, sid), Charset::ShiftJis)
        );
    }

    #[test]
    fn a_world_s_pieces_join_to_the_page_the_front_would_rebase() {
        let html = format!(
            "<a href=\"/s/{SID_PLACEHOLDER}/m/x\">メニュー</a><form action=\"/mydocomo\"><a href=\"//x/y\">"
        );
        let pieces = Pieces::new(&html, Charset::ShiftJis, Pictograms::Extended, true);
        let (base, sid) = (
            "/w/0123456789abcdef0123",
            "0123456789abcdef0123456789abcdef",
        );
        assert_eq!(base.len(), BASE_PLACEHOLDER.len());
        let whole = html.replace(SID_PLACEHOLDER, sid);
        let rebased = crate::views::rebase::rebase(whole.as_bytes(), base).into_owned();
        assert_eq!(
            pieces.fill(base, sid),
            crate::handset::encode_page(std::str::from_utf8(&rebased).unwrap(), Charset::ShiftJis)
        );
        // The default world's page from the same cache key kind is unchanged.
        let plain = Pieces::new(&html, Charset::ShiftJis, Pictograms::Extended, false);
        assert_eq!(
            plain.fill("", sid),
            crate::handset::encode_page(&whole, Charset::ShiftJis)
        );
    }

    #[test]
    fn a_page_is_rendered_once_per_kind() {
        let cache = PageCache::default();
        let profile = Profile::by_name("P501i").unwrap();
        let mut renders = 0;
        for _ in 0..3 {
            cache.get_or_render(0, 1, Lang::Ja, &profile, 0, || {
                renders += 1;
                Some("x".into())
            });
        }
        assert_eq!(renders, 1);
        let other = Profile::by_name("P503i").unwrap();
        cache.get_or_render(0, 1, Lang::Ja, &other, 0, || Some("y".into()));
        assert!(cache
            .get_or_render(9, 1, Lang::Ja, &profile, 0, || None)
            .is_none());
    }
}
