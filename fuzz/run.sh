#!/usr/bin/env bash
# Fuzzes each target for SECONDS (default 300) with cargo-fuzz (libFuzzer +
# AddressSanitizer) on stable Rust. Usage: bash fuzz/run.sh [SECONDS] [TARGET...]
# A crash stops the run (non-zero exit) and leaves its input in
# fuzz/artifacts/<target>/; see docs/FUZZING.md for what to do with it.
set -euo pipefail
cd "$(dirname "$0")"
secs="${1:-300}"
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(ocppj_frame soap_codec schema_validate)
command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz --locked
# cargo-fuzz passes nightly-only flags (-Zsanitizer=address, -Cpasses=sancov-module);
# a stable toolchain accepts them with RUSTC_BOOTSTRAP=1.
export RUSTC_BOOTSTRAP=1
for target in "${targets[@]}"; do
  mkdir -p "corpus/$target"
  nice -n 10 cargo fuzz run -O "$target" "corpus/$target" "seeds/$target" -- \
    -dict="dict/$target.dict" -max_total_time="$secs" -max_len=8192 -print_final_stats=1
done
