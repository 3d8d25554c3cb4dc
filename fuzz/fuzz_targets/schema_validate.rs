//! Strict mode's payload validator: see `fuzz_support::check_schema`.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| fuzz_support::check_schema(data));
