//! Only the Node addon needs napi's link setup; the engine's own tests do not.
fn main() {
    // Without this, cargo re-runs the script (and rebuilds the crate) when any
    // file of the package changes, the JavaScript tests included.
    println!("cargo:rerun-if-changed=build.rs");
    if std::env::var_os("CARGO_FEATURE_NODE").is_some() {
        napi_build::setup();
    }
}
