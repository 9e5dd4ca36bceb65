#!/usr/bin/env bash
# The sign-and-publish step of a release, run with the online keys and nothing else of the build:
#
#   scripts/release/publish.sh VERSION DIST STATE SITE
#
#   DIST   the build's release files: sigil-VERSION-linux-x86_64.tar.gz,
#          sigil-VERSION-source.tar.gz, SHA256SUMS (checked here), audit.sarif
#   STATE  the release state kept between releases (the release-state branch): tuf-repo/ (the TUF
#          repository's working copy, no keys), custody/ (the custody log), keys/ (public keys:
#          release.pub, the online roles' .pub.pem)
#   SITE   the published site (the gh-pages branch): TUF metadata/ and targets/, custody/ (a copy
#          of the log), releases/VERSION/ (plain copies for people and scripts), releases/latest
#
# Environment:
#   SIGIL_TOOLS                 directory of the sigil-signer and sigil-audit to run
#   SIGIL_ONLINE_KEYS           directory of the encrypted targets, snapshot and timestamp keys
#   SIGIL_REPO_PASSWORD         their password
#   SIGIL_RELEASE_KEY           the release key: minisign secret key file text, or it in base64
#   SIGIL_RELEASE_KEY_PASSWORD  its password
#   SIGIL_REPOSITORY_URL        where SITE is served (recorded in the custody log)
#   SIGIL_BUILDER_ID            the build that made DIST (recorded in its SLSA provenance)
#
# The release key is written to disk only as the encrypted key file, in a private directory that
# is removed on exit. Before anything is signed, the checkpoint already published is kept; after,
# the log must verify and extend it.
set -euo pipefail
umask 077

if [ "$#" -ne 4 ]; then
    echo "usage: $0 VERSION DIST STATE SITE" >&2
    exit 2
fi
version="$1" dist="$2" state="$3" site="$4"
repo="$(cd "$(dirname "$0")/../.." && pwd)"
for var in SIGIL_TOOLS SIGIL_ONLINE_KEYS SIGIL_REPO_PASSWORD SIGIL_RELEASE_KEY \
    SIGIL_RELEASE_KEY_PASSWORD SIGIL_REPOSITORY_URL SIGIL_BUILDER_ID; do
    if [ -z "${!var:-}" ]; then
        echo "$var is not set: see the header of $0" >&2
        exit 2
    fi
done
signer="$SIGIL_TOOLS/sigil-signer" auditor="$SIGIL_TOOLS/sigil-audit"
for dir in "$state/tuf-repo" "$state/keys"; do
    [ -d "$dir" ] || { echo "$dir is missing: STATE must be a checkout of the release-state branch" >&2; exit 2; }
done
tarball="sigil-$version-linux-x86_64.tar.gz"
source_tarball="sigil-$version-source.tar.gz"

private="$(mktemp -d)"
trap 'rm -rf "$private"' EXIT

echo "== the build's files are the ones it listed"
(cd "$dist" && sha256sum --strict -c SHA256SUMS)
for file in "$tarball" "$source_tarball"; do
    grep -q " [* ]*$file\$" "$dist/SHA256SUMS" || { echo "SHA256SUMS does not list $file" >&2; exit 2; }
done

previous=""
if [ -f "$site/custody/checkpoint" ]; then
    previous="$private/previous-checkpoint"
    cp "$site/custody/checkpoint" "$previous"
fi

echo "== the audit of the lockfile the release was built from, in the custody log"
"$auditor" check --policy "$repo/audit/sigil-policy.toml" --format json --output "$dist/audit.json" \
    --log "$state/custody" --log-key-env SIGIL_RELEASE_KEY --log-password-env SIGIL_RELEASE_KEY_PASSWORD \
    "$repo/Cargo.lock"

echo "== sign: the release with its build provenance, then the checksums and the source"
"$signer" sign --secret-key-env SIGIL_RELEASE_KEY --password-env SIGIL_RELEASE_KEY_PASSWORD \
    --trusted-comment "sigil $version linux-x86_64" --log "$state/custody" \
    --built-from "$repo/Cargo.lock" --built-from "$dist/$source_tarball" \
    --builder-id "$SIGIL_BUILDER_ID" "$dist/$tarball"
"$signer" sign --secret-key-env SIGIL_RELEASE_KEY --password-env SIGIL_RELEASE_KEY_PASSWORD \
    --trusted-comment "sigil $version" --log "$state/custody" \
    "$dist/SHA256SUMS" "$dist/$source_tarball"

echo "== add to the TUF repository"
# `repo add --release-key` reads a key file: the encrypted one, private, removed on exit.
release_key="$private/release.key"
case "$SIGIL_RELEASE_KEY" in
    "untrusted comment:"*) printf '%s\n' "$SIGIL_RELEASE_KEY" > "$release_key" ;;
    *) printf '%s' "$SIGIL_RELEASE_KEY" | base64 -d > "$release_key" ;;
esac
repo_args=(--dir "$state/tuf-repo" --keys-dir "$SIGIL_ONLINE_KEYS" --password-env SIGIL_REPO_PASSWORD)
"$signer" repo add "${repo_args[@]}" --version "$version" --channel stable --platform linux --arch x86_64 \
    --release-key "$release_key" --release-key-password-env SIGIL_RELEASE_KEY_PASSWORD "$dist/$tarball"
"$signer" repo add "${repo_args[@]}" --prefix "$version" \
    "$dist/$tarball.minisig" "$dist/SHA256SUMS" "$dist/SHA256SUMS.minisig" \
    "$dist/$source_tarball" "$dist/$source_tarball.minisig" "$dist/audit.sarif"
"$signer" repo publish "${repo_args[@]}" --out "$site" --log "$state/custody" \
    --repository-url "$SIGIL_REPOSITORY_URL"

echo "== the custody log beside the repository, and plain copies of the release"
mkdir -p "$site/custody" "$site/releases/$version"
cp "$state/custody/entries.jsonl" "$state/custody/checkpoint" "$site/custody/"
for file in "$tarball" "$tarball.minisig" SHA256SUMS SHA256SUMS.minisig \
    "$source_tarball" "$source_tarball.minisig" audit.sarif; do
    cp "$dist/$file" "$site/releases/$version/"
done
cp "$state/keys/release.pub" "$site/releases/release.pub"
printf '%s\n' "$version" > "$site/releases/latest"
chmod -R u+rwX,go+rX "$site"

echo "== the log verifies and extends the checkpoint published before"
trusted=(--trusted-key "$state/keys/release.pub")
for key in "$state"/keys/timestamp-*.pub.pem; do trusted+=(--trusted-key "$key"); done
if [ -n "$previous" ]; then
    "$auditor" log verify --log "$site/custody" "${trusted[@]}" --previous "$previous"
else
    "$auditor" log verify --log "$site/custody" "${trusted[@]}"
fi
