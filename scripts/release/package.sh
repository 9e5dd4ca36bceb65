#!/usr/bin/env bash
# Packs a release deterministically: the same binaries and the same commit give the same bytes.
#
#   scripts/release/package.sh VERSION BIN_DIR OUT_DIR
#
# Writes OUT_DIR/sigil-VERSION-linux-x86_64.tar.gz (the binaries and a VERSION file) and
# OUT_DIR/sigil-VERSION-source.tar.gz (`git archive` of HEAD, the source it was built from).
# Member order, times, owners and the gzip header are fixed: times are SOURCE_DATE_EPOCH,
# defaulting to the commit's time.
set -euo pipefail

if [ "$#" -ne 3 ]; then
    echo "usage: $0 VERSION BIN_DIR OUT_DIR" >&2
    exit 2
fi
version="$1" bin_dir="$2" out_dir="$3"
case "$version" in
    [0-9]*.[0-9]*.[0-9]*) ;;
    *) echo "the version '$version' is not semver (MAJOR.MINOR.PATCH): tag releases as vMAJOR.MINOR.PATCH" >&2; exit 2 ;;
esac
repo="$(cd "$(dirname "$0")/../.." && pwd)"
epoch="${SOURCE_DATE_EPOCH:-$(git -C "$repo" log -1 --format=%ct)}"

mkdir -p "$out_dir"
stage="$(mktemp -d)"
trap 'rm -rf "$stage"' EXIT
name="sigil-$version-linux-x86_64"
mkdir "$stage/$name"
for bin in sigil-updater sigil-signer sigil-audit; do
    if [ ! -f "$bin_dir/$bin" ]; then
        echo "$bin_dir/$bin is missing: build the release first (scripts/release/build.sh)" >&2
        exit 2
    fi
    install -m 0755 "$bin_dir/$bin" "$stage/$name/$bin"
done
printf '%s\n' "$version" > "$stage/$name/VERSION"
chmod 0644 "$stage/$name/VERSION"

tar_flags=(--sort=name --mtime="@$epoch" --owner=0 --group=0 --numeric-owner
    "--pax-option=exthdr.name=%d/PaxHeaders/%f,delete=atime,delete=ctime" --format=posix)
# Members by name, without a "./" entry: the updater refuses an empty member name.
tar "${tar_flags[@]}" -C "$stage/$name" -cf - VERSION sigil-audit sigil-signer sigil-updater |
    gzip -n > "$out_dir/$name.tar.gz"
git -C "$repo" archive --format=tar --prefix="sigil-$version/" HEAD | gzip -n > "$out_dir/sigil-$version-source.tar.gz"
echo "packed $out_dir/$name.tar.gz and $out_dir/sigil-$version-source.tar.gz"
