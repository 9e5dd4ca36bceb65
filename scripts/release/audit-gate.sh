#!/usr/bin/env bash
# The release's audit gate: audits the lockfile before anything is built. `cargo fetch` only
# downloads and unpacks the locked crates (checking their checksums); no build script runs.
#
#   scripts/release/audit-gate.sh AUDITOR REPORT_DIR
#
# AUDITOR is a sigil-audit binary that was not built from the lockfile under audit: the
# previous release's, verified by scripts/release/fetch-tools.sh (or, for the very first
# release only, one built beforehand; see docs/src/guides/how-sigil-is-released.md).
# Exit code: 0 passed, 1 the policy failed, 2 could not run.
set -euo pipefail

if [ "$#" -ne 2 ]; then
    echo "usage: $0 AUDITOR REPORT_DIR" >&2
    exit 2
fi
auditor="$1" report_dir="$2"
repo="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$repo"
if [ ! -x "$auditor" ]; then
    echo "the auditor $auditor is not an executable file" >&2
    exit 2
fi
mkdir -p "$report_dir"
cargo fetch --locked -q
# Advisories (OSV): SIGIL_ADVISORIES names a database (a folder or zip of OSV files); with
# SIGIL_FETCH_ADVISORIES=1 the auditor downloads osv.dev's crates.io database for this run (and
# asks crates.io which locked versions are yanked). Without either, none is checked.
advisories=()
if [ -n "${SIGIL_ADVISORIES:-}" ]; then
    advisories=(--advisories "$SIGIL_ADVISORIES")
elif [ "${SIGIL_FETCH_ADVISORIES:-}" = 1 ]; then
    advisories=(--online --fetch-advisories)
else
    echo "advisories: not checked (set SIGIL_ADVISORIES or SIGIL_FETCH_ADVISORIES=1)"
fi
"$auditor" check --policy audit/sigil-policy.toml "${advisories[@]}" \
    --format sarif --output "$report_dir/audit.sarif" Cargo.lock
"$auditor" check --policy audit/sigil-policy.toml "${advisories[@]}" Cargo.lock
