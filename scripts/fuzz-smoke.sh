#!/usr/bin/env bash
# A bounded fuzzing pass over every cargo-fuzz target (fuzz/ and audit/fuzz/), each seeded with
# its committed inputs (fuzz/seeds/TARGET, audit/fuzz/seeds/TARGET: well-formed files, attacks,
# and every input that once found a bug), then the shipped binaries run over the regression
# seeds of the aborts they once had.
#
#   scripts/fuzz-smoke.sh [SECONDS_PER_TARGET]     (default: 15)
#
# The targets are built in the dev profile (overflow checks and debug assertions on, quick to
# compile) without a sanitizer: sigil forbids unsafe code, and this pass hunts panics, hangs and
# writes outside a staging directory. Longer runs: see fuzz/README.md.
# Fuzzing needs nightly (`cargo +nightly`); without a nightly toolchain it runs on the pinned
# one with RUSTC_BOOTSTRAP=1. cargo-fuzz is installed from crates.io when missing. New inputs
# go to target/fuzz-smoke/, never into the committed seeds. A crash fails the run and its input
# is kept under target/fuzz-smoke/artifacts/TARGET/: add it to the seeds, named after the bug.
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
seconds="${1:-15}"
work="$repo/target/fuzz-smoke"
mkdir -p "$work"

if ! command -v cargo-fuzz >/dev/null 2>&1; then
    cargo install --locked cargo-fuzz --version 0.13.2
fi
if rustup toolchain list | grep -q '^nightly'; then
    fuzz=(cargo +nightly fuzz)
else
    echo "no nightly toolchain: fuzzing on the pinned toolchain with RUSTC_BOOTSTRAP=1"
    export RUSTC_BOOTSTRAP=1
    fuzz=(cargo fuzz)
fi

failed=()
for crate in fuzz audit/fuzz; do
    echo "== build the fuzz targets of $crate"
    (cd "$repo/$crate" && nice -n 10 "${fuzz[@]}" build --dev -s none)
    mapfile -t targets < <(cd "$repo/$crate" && "${fuzz[@]}" list)
    for target in "${targets[@]}"; do
        corpus="$work/corpus/$target" artifacts="$work/artifacts/$target/"
        mkdir -p "$corpus" "$artifacts"
        seeds=()
        [ -d "$repo/$crate/seeds/$target" ] && seeds=("$repo/$crate/seeds/$target")
        echo "== fuzz $target for ${seconds}s (seeds: ${seeds[*]:-none})"
        if ! (cd "$repo/$crate" && nice -n 10 "${fuzz[@]}" run --dev -s none "$target" "$corpus" "${seeds[@]}" -- \
            -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -artifact_prefix="$artifacts" \
            -print_final_stats=0 > "$work/$target.log" 2>&1); then
            tail -n 40 "$work/$target.log" >&2
            failed+=("$target")
        else
            grep '^Done' "$work/$target.log" | tail -n1 || true
        fi
    done
done

echo "== the shipped binaries on the seeds of their old aborts"
audit="${SIGIL_AUDIT:-$repo/target/debug/sigil-audit}"
[ -x "$audit" ] || (cd "$repo" && cargo build --locked -q -p sigil-audit --bin sigil-audit)
run_binary() {
    local what="$1"
    shift
    local code=0
    "$@" > "$work/binary.out" 2>&1 || code=$?
    if [ "$code" -gt 2 ] || grep -q 'panicked' "$work/binary.out"; then
        echo "$what: exit code $code (a panic or an abort, not a clear error):" >&2
        cat "$work/binary.out" >&2
        failed+=("$what")
    fi
}
for seed in "$repo"/audit/fuzz/seeds/lockfile_cargo/*; do
    mkdir -p "$work/lockfile"
    cp "$seed" "$work/lockfile/Cargo.lock"
    run_binary "sigil-audit check $(basename "$seed")" "$audit" check --no-manifests "$work/lockfile/Cargo.lock"
done
for seed in "$repo"/fuzz/seeds/custody_log/*; do
    log="$work/log"
    rm -rf "$log"
    mkdir -p "$log"
    python3 - "$seed" "$log" <<'PY'
import pathlib, sys
data = pathlib.Path(sys.argv[1]).read_bytes()
log = pathlib.Path(sys.argv[2])
if b"\0" in data:
    checkpoint, data = data.split(b"\0", 1)
    (log / "checkpoint").write_bytes(checkpoint)
(log / "entries.jsonl").write_bytes(data)
PY
    run_binary "sigil-audit log show $(basename "$seed")" "$audit" log show --log "$log"
    run_binary "sigil-audit log verify $(basename "$seed")" "$audit" log verify --log "$log"
done

if [ "${#failed[@]}" -gt 0 ]; then
    echo "fuzz smoke FAILED: ${failed[*]}" >&2
    exit 1
fi
echo "fuzz smoke passed: every target ran ${seconds}s without a crash; the binaries ran their regression seeds"
