//! SOAP requests: see `fuzz_support::check_soap` for what is checked.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    // The server refuses bodies that are not UTF-8 before parsing.
    if let Ok(text) = std::str::from_utf8(data) {
        fuzz_support::check_soap(text);
    }
});
