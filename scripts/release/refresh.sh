#!/usr/bin/env bash
# Keeps the published repository fresh between releases: re-signs snapshot and timestamp when
# they are due (the timestamp lives a day) and republishes; does nothing otherwise.
#
#   scripts/release/refresh.sh STATE SITE
#
# Environment: SIGIL_TOOLS, SIGIL_ONLINE_KEYS, SIGIL_REPO_PASSWORD, SIGIL_REPOSITORY_URL, as for
# scripts/release/publish.sh (the release key is not needed).
set -euo pipefail

if [ "$#" -ne 2 ]; then
    echo "usage: $0 STATE SITE" >&2
    exit 2
fi
state="$1" site="$2"
for var in SIGIL_TOOLS SIGIL_ONLINE_KEYS SIGIL_REPO_PASSWORD SIGIL_REPOSITORY_URL; do
    if [ -z "${!var:-}" ]; then
        echo "$var is not set: see the header of $0" >&2
        exit 2
    fi
done
repo_args=(--dir "$state/tuf-repo" --keys-dir "$SIGIL_ONLINE_KEYS" --password-env SIGIL_REPO_PASSWORD)
"$SIGIL_TOOLS/sigil-signer" repo refresh "${repo_args[@]}"
"$SIGIL_TOOLS/sigil-signer" repo publish "${repo_args[@]}" --out "$site" --log "$state/custody" \
    --repository-url "$SIGIL_REPOSITORY_URL"
mkdir -p "$site/custody"
cp "$state/custody/entries.jsonl" "$state/custody/checkpoint" "$site/custody/"
