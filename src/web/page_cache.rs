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

/// Encoded pieces of a page; the session id goes between each two.
pub struct Pieces(Vec<Vec<u8>>);

impl Pieces {
    /// Cuts a rendered page at every placeholder and encodes each piece.
    /// (Shift_JIS is stateless, so encoding pieces equals encoding the whole.)
    pub fn new(html: &str, charset: Charset, pictograms: Pictograms) -> Pieces {
        Pieces(
            html.split(SID_PLACEHOLDER)
                .map(|p| encode_page_for(p, charset, pictograms))
                .collect(),
        )
    }

    /// The page for one session.
    pub fn with_sid(&self, sid: &str) -> Vec<u8> {
        let len: usize = self.0.iter().map(Vec::len).sum::<usize>() + sid.len() * self.0.len();
        let mut out = Vec::with_capacity(len);
        for (i, piece) in self.0.iter().enumerate() {
            if i > 0 {
                out.extend_from_slice(sid.as_bytes());
            }
            out.extend_from_slice(piece);
        }
        out
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
        let pieces = Arc::new(Pieces::new(&render()?, profile.charset, profile.pictograms));
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
        let pieces = Pieces::new(&html, Charset::ShiftJis, Pictograms::Extended);
        let sid = "0123456789abcdef0123456789abcdef";
        assert_eq!(
            pieces.with_sid(sid),
            crate::handset::encode_page(&html.replace(SID_PLACEHOLDER, sid), Charset::ShiftJis)
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
