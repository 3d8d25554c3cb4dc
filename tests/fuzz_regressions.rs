//! Replays every input the fuzzers found worth keeping (`fuzz/regressions/`)
//! and every seed (`fuzz/seeds/`) through the fuzz targets' checks, so a
//! crash once found stays fixed. The checks live in `fuzz/src/lib.rs` and are
//! included here by path: the fuzz crate is not a dependency of this one.
//!
//! See docs/FUZZING.md for how the inputs were found.
//!
//! Run it with `cargo test --release --no-default-features --test fuzz_regressions`.
//! With the default `node` feature an integration test cannot link (the napi_*
//! symbols exist only inside Node), so the file is empty then.
#![cfg(not(feature = "node"))]

#[path = "../fuzz/src/lib.rs"]
#[allow(dead_code)]
mod fuzz_support;

use std::path::{Path, PathBuf};

fn inputs(target: &str) -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz");
    let mut files = Vec::new();
    for dir in ["regressions", "seeds"] {
        let Ok(entries) = std::fs::read_dir(root.join(dir).join(target)) else { continue };
        files.extend(entries.filter_map(|e| e.ok()).map(|e| e.path()).filter(|p| p.is_file()));
    }
    files.sort();
    files
}

/// Runs `check` on each input, as the fuzz target does, and reports every
/// failing file at once.
fn replay(target: &str, check: fn(&[u8])) {
    let files = inputs(target);
    assert!(!files.is_empty(), "no inputs for {target}");
    let mut failures = Vec::new();
    for file in &files {
        let bytes = std::fs::read(file).unwrap();
        if let Err(panic) = std::panic::catch_unwind(|| check(&bytes)) {
            let why = panic
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_default();
            failures.push(format!("{}: {why}", file.display()));
        }
    }
    assert!(failures.is_empty(), "{} of {} inputs fail:\n{}", failures.len(), files.len(), failures.join("\n"));
}

// The targets skip input that is not UTF-8 (tungstenite and the SOAP server
// refuse it before parsing); so does the replay.
#[test]
fn ocppj_frame_regressions() {
    replay("ocppj_frame", |data| {
        if let Ok(text) = std::str::from_utf8(data) {
            fuzz_support::check_frame(text)
        }
    });
}

#[test]
fn soap_codec_regressions() {
    replay("soap_codec", |data| {
        if let Ok(text) = std::str::from_utf8(data) {
            fuzz_support::check_soap(text)
        }
    });
}

#[test]
fn schema_validate_regressions() {
    replay("schema_validate", fuzz_support::check_schema);
}
