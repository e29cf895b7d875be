#!/usr/bin/env bash
# Fuzzes the bundle reader and the stub's start-up reads with libFuzzer, on the stable
# toolchain: libfuzzer-sys brings libFuzzer, and the coverage instrumentation cargo-fuzz
# would ask of a nightly compiler is asked of stable rustc's own LLVM passes (no
# sanitizer: the reader is safe Rust, and debug assertions and overflow checks are on).
#
#   archive/fuzz/run.sh [SECONDS] [BUNDLE...]
#
# Runs each target (`bundle`, `startup`) for SECONDS (default 600), seeded with every
# BUNDLE given (real bundles, cut down by `seed` to their index), and keeps the corpus in
# target/fuzz/corpus/. Exits non-zero, naming the input saved, if a target crashes.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
seconds="${1:-600}"
shift || true

target_dir="${CARGO_TARGET_DIR:-$root/target}/fuzz"
triple="$(rustc -vV | sed -n 's/^host: //p')"
# The seed maker is a plain program.
RUSTFLAGS="" cargo build --quiet --release --manifest-path "$here/Cargo.toml" \
    --target-dir "$target_dir" --bin seed
seed="$target_dir/release/seed"
# --target keeps the coverage flags off build scripts, which do not link libFuzzer.
RUSTFLAGS="--cfg fuzzing -Cpasses=sancov-module -Cllvm-args=-sanitizer-coverage-level=4 \
-Cllvm-args=-sanitizer-coverage-inline-8bit-counters -Cllvm-args=-sanitizer-coverage-pc-table \
-Cllvm-args=-sanitizer-coverage-trace-compares -Cdebug-assertions -Coverflow-checks" \
    cargo build --quiet --release --manifest-path "$here/Cargo.toml" \
    --target "$triple" --target-dir "$target_dir" --bin bundle --bin startup
bin="$target_dir/$triple/release"

for target in bundle startup; do
    corpus="$target_dir/corpus/$target"
    mkdir -p "$corpus"
    for bundle in "$@"; do
        "$seed" "$bundle" "$corpus/seed-$(basename "$bundle")"
    done
    echo "fuzzing $target for ${seconds}s ($(ls "$corpus" | wc -l) inputs in $corpus)"
    # Inputs up to 256 KiB: a seed holds a real bundle's whole index.
    (cd "$target_dir" && "$bin/$target" "$corpus" -max_total_time="$seconds" \
        -max_len=262144 -print_final_stats=1 -artifact_prefix="$target_dir/$target-")
done
