//! Only the Node addon needs napi's link setup; the engine's own tests do not.
fn main() {
    if std::env::var_os("CARGO_FEATURE_NODE").is_some() {
        napi_build::setup();
    }
}
