//! OCPP-J frames: see `fuzz_support::check_frame` for what is checked.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    // WebSocket text frames are UTF-8 (tungstenite refuses others before the parser).
    if let Ok(text) = std::str::from_utf8(data) {
        fuzz_support::check_frame(text);
    }
});
