#!/usr/bin/env bash
# Releases come only from a commit on main whose CI passed:
#
#   scripts/release/ci-passed.sh COMMIT
#
# Needs a full clone (origin/main) and GH_TOKEN with actions: read. Exit code 1 when the commit
# is not on main or no successful CI run of it exists.
set -euo pipefail

if [ "$#" -ne 1 ]; then
    echo "usage: $0 COMMIT" >&2
    exit 2
fi
commit="$1"
: "${GITHUB_REPOSITORY:?GITHUB_REPOSITORY is not set: run this in GitHub Actions, or set it to OWNER/NAME}"

if ! git merge-base --is-ancestor "$commit" origin/main; then
    echo "$commit is not on main: release tags go on commits of main only" >&2
    exit 1
fi
passed="$(gh api "repos/$GITHUB_REPOSITORY/actions/workflows/ci.yml/runs?head_sha=$commit&status=success&per_page=1" \
    --jq '.total_count')"
if [ "${passed:-0}" -lt 1 ]; then
    echo "no successful CI run (ci.yml) of $commit: wait for CI to pass on it, or fix it and tag a later commit" >&2
    exit 1
fi
echo "$commit is on main and CI passed on it"
