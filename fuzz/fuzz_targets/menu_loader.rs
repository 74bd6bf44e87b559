//! Any menu file text validates to a menu or a list of file:line:col problems.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    match garake::menu::Menu::from_sources(&[("fuzz.toml", &text)], &garake::web::KNOWN) {
        Ok(menu) => assert!(menu.node(&menu.root).is_some()),
        Err(problems) => {
            for p in problems {
                assert!(p.line >= 1 && p.col >= 1);
                assert!(p.to_string().starts_with("fuzz.toml:"));
            }
        }
    }
});
