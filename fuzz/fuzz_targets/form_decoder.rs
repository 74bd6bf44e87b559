//! Any request body decodes to fields or a clean error in both charsets.
#![no_main]
use garake::handset::{Charset, FormData};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    for charset in [Charset::ShiftJis, Charset::Utf8] {
        if let Ok(form) = FormData::parse(data, charset) {
            let _ = form.get("pin");
            let _ = form.text("ft");
        }
    }
});
