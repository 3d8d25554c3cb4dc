//! See `unified/mod.rs`; filled in by issue 21's work.
