//! Splitting a list into pages that fit the handset's budget: never cut, paged.

use std::ops::Range;

/// Items per page: the access keys 1–8 (9 goes back to the page above, 0 to
/// iMenu, `*` and `#` page through the list).
pub const MAX_PER_PAGE: usize = 8;
/// The keys items take.
pub const ITEM_KEYS: &str = "12345678";

/// Splits `n` items into consecutive ranges. `size(range, has_prev, has_next)`
/// returns the encoded size of the page showing `range`; a page takes as many
/// items as fit under `target` (at least one, so nothing is ever dropped).
pub fn paginate(
    n: usize,
    target: usize,
    size: impl Fn(Range<usize>, bool, bool) -> usize,
) -> Vec<Range<usize>> {
    if n == 0 || (n <= MAX_PER_PAGE && size(0..n, false, false) <= target) {
        return std::iter::once(0..n).collect();
    }
    let mut pages = Vec::new();
    let mut start = 0;
    while start < n {
        let mut end = start + 1;
        // Measure with both navigation links present: the worst case for this page.
        while end < n && end - start < MAX_PER_PAGE && size(start..end + 1, true, true) <= target {
            end += 1;
        }
        pages.push(start..end);
        start = end;
    }
    pages
}

/// Assigns access keys to the items of one page: keys written in the menu file
/// stay; the others take the free keys 1–8 in order.
pub fn assign_keys(fixed: &[Option<char>]) -> Vec<char> {
    let mut free = ITEM_KEYS.chars().filter(|k| !fixed.contains(&Some(*k)));
    fixed
        .iter()
        .map(|k| k.or_else(|| free.next()).unwrap_or('8'))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_list_that_fits_is_one_page() {
        let pages = paginate(5, 1000, |r, _, _| r.len() * 100);
        assert_eq!((pages.len(), &pages[0]), (1, &(0..5)));
    }

    #[test]
    fn a_long_list_is_split_without_losing_items() {
        let pages = paginate(25, 1000, |r, _, _| 200 + r.len() * 100);
        assert_eq!(pages, [0..8, 8..16, 16..24, 24..25]);
    }

    #[test]
    fn more_than_eight_items_always_paginate_for_the_keys() {
        let pages = paginate(12, usize::MAX, |r, _, _| r.len());
        assert_eq!(pages, [0..8, 8..12]);
    }

    #[test]
    fn an_item_too_big_alone_still_gets_its_page() {
        assert_eq!(paginate(2, 10, |r, _, _| r.len() * 100), [0..1, 1..2]);
    }

    #[test]
    fn fixed_keys_stay_and_free_keys_fill_in() {
        assert_eq!(assign_keys(&[None, Some('1'), None]), vec!['2', '1', '3']);
        assert_eq!(
            assign_keys(&[None; 8]),
            "12345678".chars().collect::<Vec<_>>()
        );
    }
}
