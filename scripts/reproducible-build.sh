#!/usr/bin/env bash
# Builds the release twice, from two clones of HEAD at different paths with two different cargo
# homes and target directories, and compares the results byte for byte. Prints both hashes of
# each artifact; exits 1 if they differ.
#
#   scripts/reproducible-build.sh [WORK_DIR]     (default: target/reproducible)
#
# Only committed work is built (each side is a clone of HEAD). The crates come from this
# machine's cargo home (copied, then unpacked anew in each home); with none there, from crates.io.
# Afterwards WORK_DIR/a/dist holds the first build's release files.
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
work="${1:-$repo/target/reproducible}"
mkdir -p "$work"
work="$(cd "$work" && pwd)"
version="$(sed -n '/^\[workspace.package\]/,/^\[/s/^version *= *"\(.*\)"/\1/p' "$repo/Cargo.toml")"
commit="$(git -C "$repo" rev-parse HEAD)"
home_src="${CARGO_HOME:-$HOME/.cargo}"

# Two sides whose paths differ in length too, so that nothing is compared by luck.
sides=(a b)
declare -A src=([a]="$work/a/sigil" [b]="$work/b/elsewhere/sigil-checkout")
declare -A home=([a]="$work/a/cargo-home" [b]="$work/b/another-cargo-home")
for side in "${sides[@]}"; do
    rm -rf "${work:?}/$side"
    mkdir -p "$(dirname "${src[$side]}")" "${home[$side]}/registry"
    git clone -q --no-hardlinks "$repo" "${src[$side]}"
    git -C "${src[$side]}" checkout -q --detach "$commit"
    for part in index cache; do
        if [ -d "$home_src/registry/$part" ]; then
            cp -R "$home_src/registry/$part" "${home[$side]}/registry/"
        fi
    done
    # A rust-toolchain.toml pin is read from the checkout; keep rustup's own home.
    (
        cd "${src[$side]}"
        CARGO_HOME="${home[$side]}" cargo fetch --locked --offline -q 2>/dev/null ||
            CARGO_HOME="${home[$side]}" cargo fetch --locked -q
    )
done

for side in "${sides[@]}"; do
    echo "== build $side: ${src[$side]} (cargo home ${home[$side]})"
    (
        cd "${src[$side]}"
        CARGO_HOME="${home[$side]}" CARGO_TARGET_DIR="${src[$side]}/target" \
            SOURCE_DATE_EPOCH="$(git log -1 --format=%ct)" \
            nice -n 10 scripts/release/build.sh "$version" "$work/$side/dist" >/dev/null
    )
done

status=0
echo "== reproducibility of $commit"
for file in "sigil-$version-linux-x86_64.tar.gz" "sigil-$version-source.tar.gz"; do
    a="$(sha256sum < "$work/a/dist/$file" | cut -d' ' -f1)"
    b="$(sha256sum < "$work/b/dist/$file" | cut -d' ' -f1)"
    echo "$file"
    echo "  build a: $a"
    echo "  build b: $b"
    if [ "$a" != "$b" ]; then
        status=1
        echo "  DIFFERENT" >&2
    fi
done
for bin in sigil-updater sigil-signer sigil-audit; do
    a="$(sha256sum < "${src[a]}/target/release/$bin" | cut -d' ' -f1)"
    b="$(sha256sum < "${src[b]}/target/release/$bin" | cut -d' ' -f1)"
    [ "$a" = "$b" ] || { status=1; echo "$bin differs: $a vs $b" >&2; }
    for side in "${sides[@]}"; do
        for path in "${src[$side]}" "${home[$side]}"; do
            if grep -qaF "$path" "${src[$side]}/target/release/$bin"; then
                status=1
                echo "$bin of build $side embeds the build path $path" >&2
            fi
        done
    done
done
if [ "$status" = 0 ]; then
    echo "bit-identical: both builds give the same release"
else
    echo "the two builds differ: the release is not reproducible" >&2
fi
exit "$status"
