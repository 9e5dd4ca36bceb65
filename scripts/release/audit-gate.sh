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
"$auditor" check --policy audit/sigil-policy.toml --format sarif --output "$report_dir/audit.sarif" Cargo.lock
"$auditor" check --policy audit/sigil-policy.toml Cargo.lock
# Advisories: sigil-audit does not read an advisory database (OSV) yet, so no advisory is
# checked here; the gate covers licenses, sources, integrity and install scripts.
echo "advisories: not checked (sigil-audit has no OSV support yet)"
