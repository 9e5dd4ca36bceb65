#!/usr/bin/env bash
# Commits and pushes the release state (to release-state) and then the site (to gh-pages):
#
#   scripts/release/push-state.sh STATE SITE MESSAGE
#
# State first: if the site push then fails, the next run still starts from the newest TUF
# metadata and custody log (and republishes the site), never from older ones whose version
# numbers it would reuse. A directory with no change is not committed. Needs GH_TOKEN with
# contents: write, and GITHUB_REPOSITORY.
set -euo pipefail

if [ "$#" -ne 3 ]; then
    echo "usage: $0 STATE SITE MESSAGE" >&2
    exit 2
fi
state="$1" site="$2" message="$3"
: "${GH_TOKEN:?GH_TOKEN is not set}" "${GITHUB_REPOSITORY:?GITHUB_REPOSITORY is not set}"
remote="${GITHUB_SERVER_URL:-https://github.com}/$GITHUB_REPOSITORY.git"
auth="AUTHORIZATION: basic $(printf 'x-access-token:%s' "$GH_TOKEN" | base64 -w0)"

push() {
    local dir="$1" branch="$2"
    git -C "$dir" add -A
    if git -C "$dir" diff --cached --quiet; then
        echo "$branch: nothing changed"
        return 0
    fi
    git -C "$dir" -c user.name="sigil release" -c user.email="release@users.noreply.github.com" \
        commit -q -m "$message"
    git -C "$dir" -c http.extraheader="$auth" push -q "$remote" "HEAD:$branch"
    echo "$branch: pushed"
}
push "$state" release-state
push "$site" gh-pages
