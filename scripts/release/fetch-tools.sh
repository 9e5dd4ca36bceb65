#!/usr/bin/env bash
# Fetches the latest published release of sigil and verifies it with the minisign CLI against
# the release public key: the audit gate and the signing step run these tools, built from an
# earlier, audited lockfile, never the build under release. Prints the directory holding its
# sigil-audit and sigil-signer.
#
#   scripts/release/fetch-tools.sh SITE_URL RELEASE_PUB OUT_DIR
#
# SITE_URL is where the release site is served (it has releases/latest and
# releases/VERSION/...). Exit code 2 when anything is missing or does not verify.
set -euo pipefail

if [ "$#" -ne 3 ]; then
    echo "usage: $0 SITE_URL RELEASE_PUB OUT_DIR" >&2
    exit 2
fi
site="${1%/}" release_pub="$2" out="$3"
command -v minisign >/dev/null || { echo "minisign is not installed: apt-get install minisign" >&2; exit 2; }
mkdir -p "$out"
get() {
    if ! curl -fsS --proto '=https,http' --max-time 120 -o "$2" "$1"; then
        echo "could not fetch $1: is a release published at $site?" >&2
        exit 2
    fi
}

get "$site/releases/latest" "$out/latest"
version="$(head -n1 "$out/latest")"
case "$version" in
    [0-9]*.[0-9]*.[0-9]*) ;;
    *) echo "$site/releases/latest does not name a version (found '$version')" >&2; exit 2 ;;
esac
name="sigil-$version-linux-x86_64.tar.gz"
get "$site/releases/$version/$name" "$out/$name"
get "$site/releases/$version/$name.minisig" "$out/$name.minisig"
if ! minisign -Vq -p "$release_pub" -m "$out/$name" -x "$out/$name.minisig"; then
    echo "$name from $site does not verify with the release key $release_pub: refusing to run it" >&2
    exit 2
fi
rm -rf "$out/sigil-$version"
mkdir -p "$out/sigil-$version"
tar -xzf "$out/$name" -C "$out/sigil-$version" sigil-audit sigil-signer
echo "$out/sigil-$version"
