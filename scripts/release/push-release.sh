#!/usr/bin/env bash
# After scripts/release/publish.sh: keeps the state and publishes the site
# (scripts/release/push-state.sh), then makes the GitHub release with every release file.
#
#   scripts/release/push-release.sh VERSION DIST STATE SITE
set -euo pipefail

if [ "$#" -ne 4 ]; then
    echo "usage: $0 VERSION DIST STATE SITE" >&2
    exit 2
fi
version="$1" dist="$2" state="$3" site="$4"
"$(dirname "$0")/push-state.sh" "$state" "$site" "release $version"

tarball="sigil-$version-linux-x86_64.tar.gz"
source_tarball="sigil-$version-source.tar.gz"
gh release create "v$version" --verify-tag --title "sigil $version" \
    --notes "Verify before use: docs/src/guides/verify-a-release.md. SHA256SUMS is signed (SHA256SUMS.minisig); every file is a TUF target and in the custody log." \
    "$dist/$tarball" "$dist/$tarball.minisig" "$dist/$source_tarball" "$dist/$source_tarball.minisig" \
    "$dist/SHA256SUMS" "$dist/SHA256SUMS.minisig" "$dist/audit.sarif"
