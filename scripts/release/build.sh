#!/usr/bin/env bash
# The release build: sigil-updater, sigil-signer and sigil-audit for linux-x86_64, with every
# absolute path of the build machine (source checkout, cargo home, target directory) remapped, so
# that any checkout of the same commit with the pinned toolchain gives the same bytes.
#
#   scripts/release/build.sh VERSION OUT_DIR
#
# Run it only after the audit gate (scripts/release/audit-gate.sh): building runs the build
# scripts of the dependencies. CARGO_TARGET_DIR picks the target directory (default: target/).
set -euo pipefail

if [ "$#" -ne 2 ]; then
    echo "usage: $0 VERSION OUT_DIR" >&2
    exit 2
fi
version="$1" out_dir="$2"
repo="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$repo"
declared="$(sed -n '/^\[workspace.package\]/,/^\[/s/^version *= *"\(.*\)"/\1/p' Cargo.toml)"
if [ "$version" != "$declared" ]; then
    echo "release $version, but Cargo.toml's workspace version is $declared: the binaries would report $declared; bump it in a commit and tag that" >&2
    exit 2
fi
cargo_home="$(cd "${CARGO_HOME:-$HOME/.cargo}" && pwd)"
target_dir="${CARGO_TARGET_DIR:-$repo/target}"
mkdir -p "$target_dir"
target_dir="$(cd "$target_dir" && pwd)"

# When several prefixes match, rustc applies the last: the target directory may lie inside the
# checkout, so it comes after it.
sep=$'\x1f'
flags="--remap-path-prefix=$repo=/sigil${sep}--remap-path-prefix=$cargo_home=/cargo${sep}--remap-path-prefix=$target_dir=/target"
CARGO_ENCODED_RUSTFLAGS="$flags" CARGO_TARGET_DIR="$target_dir" \
    cargo build --locked --release \
    -p sigil-updater --bin sigil-updater -p sigil-signer --bin sigil-signer -p sigil-audit --bin sigil-audit

"$repo/scripts/release/package.sh" "$version" "$target_dir/release" "$out_dir"
(cd "$out_dir" && sha256sum "sigil-$version-linux-x86_64.tar.gz" "sigil-$version-source.tar.gz")
