//! Any bytes as a content provider's page: the HTML tokenizer reads them
//! without a panic, its two readings (every token, markup only) agree, and
//! the sanitizer's output, read back with the same tokenizer, keeps the
//! sanitizer's promises (listed in `tests/support/sanitizer_promises.rs`,
//! which the property test in `tests/tokenizer.rs` checks too).
#![no_main]
use garake::html::{Lexer, Token};
use libfuzzer_sys::fuzz_target;

#[path = "../../tests/support/sanitizer_promises.rs"]
mod promises;

fuzz_target!(|data: &[u8]| {
    lexer_agrees_with_itself(data);
    promises::sanitize_and_check(data);
});

/// Both readings give the same markup at the same places, and every token
/// lies inside the page, after the one before it.
fn lexer_agrees_with_itself(data: &[u8]) {
    let mut all = Lexer::new(data);
    let mut markup = Lexer::markup(data);
    let mut at = 0;
    while let Some(token) = all.next() {
        assert_eq!(all.start(), at, "tokens tile the page");
        assert!(all.pos() <= data.len());
        at = all.pos();
        if matches!(token, Token::Text(_)) {
            continue;
        }
        let other = markup.next().expect("the same markup");
        assert_eq!(format!("{token:?}"), format!("{other:?}"));
        assert_eq!((all.start(), all.pos()), (markup.start(), markup.pos()));
        assert_eq!(all.attrs(), markup.attrs());
    }
    assert!(markup.next().is_none(), "no more markup");
    assert_eq!(all.read(), at, "what was read is what the tokens cover");
    assert_eq!(markup.read(), all.read());
}
