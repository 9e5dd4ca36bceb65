#!/usr/bin/env bash
# Makes the toolchain that rust-toolchain.toml pins available to rustup without a download:
# where it is not installed but the machine's stable toolchain is that very release, the
# pinned name is linked to it. Any other mismatch is an error: the pin, not the machine, says
# which compiler builds sigil.
set -euo pipefail
cd "$(dirname "$0")/.."

pinned="$(sed -n 's/^channel *= *"\(.*\)"/\1/p' rust-toolchain.toml)"
if [ -z "$pinned" ]; then
    echo "rust-toolchain.toml names no channel" >&2
    exit 2
fi
if rustup toolchain list | grep -q "^$pinned"; then
    exit 0
fi
stable="$(rustc +stable -V 2>/dev/null || true)"
case "$stable" in
    "rustc $pinned "*)
        rustup toolchain link "$pinned" "$(rustc +stable --print sysroot)"
        echo "linked toolchain $pinned to this machine's stable ($stable)"
        ;;
    *)
        echo "rust-toolchain.toml pins Rust $pinned, which is not installed, and stable is '${stable:-missing}':" >&2
        echo "install $pinned with 'rustup toolchain install $pinned', or change the pin in a commit of its own" >&2
        exit 2
        ;;
esac
