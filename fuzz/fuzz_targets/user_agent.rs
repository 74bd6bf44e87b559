//! Any User-Agent gives a profile with a sane budget, never a panic.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let ua = String::from_utf8_lossy(data);
    let p = garake::handset::Profile::from_user_agent(&ua);
    assert!(p.budget >= 1024 && p.budget <= 10 * 1024 * 1024);
    assert!(p.page_target() <= p.budget);
    assert!(p.name.len() <= 16 || p.name == "PC" || p.name == "DoCoMo");
});
