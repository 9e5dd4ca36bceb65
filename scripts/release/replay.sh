#!/usr/bin/env bash
# Replays .github/workflows/release.yml step by step on this machine, so that the workflow cannot
# rot: a key ceremony, then two consecutive releases into the same TUF repository and custody log,
# each kept between releases in a git repository standing in for the release-state branch, and
# published into one standing in for gh-pages, served over loopback HTTP. Then it checks what a
# user relies on:
#
#  - an app running the updater of the first release takes the second;
#  - the second release's custody log extends the first's checkpoint (consistency proof), and a
#    log restarted at entry 0 is refused against it;
#  - SHA256SUMS and every release file are TUF targets, and the release traces back to the
#    audit of its lockfile and to its commit (the source tarball) through its SLSA provenance;
#  - the second release's audit gate and signing run the first release's tools, fetched and
#    verified against the release key; a tampered tools tarball is refused.
#
#   scripts/release/replay.sh [WORK_DIR]     (default: target/release-replay)
#
# SIGIL_TOOLS (default target/debug) holds the tools of the very first release (the bootstrap);
# SIGIL_RELEASE_BIN (default: SIGIL_TOOLS's, without debug info) the binaries packed into both
# replayed releases.
# The release build itself (scripts/release/build.sh) is what scripts/reproducible-build.sh runs.
set -euo pipefail
repo="$(cd "$(dirname "$0")/../.." && pwd)"
work="${1:-$repo/target/release-replay}"
tools="$(cd "${SIGIL_TOOLS:-$repo/target/debug}" && pwd)"
rm -rf "$work"
mkdir -p "$work"
work="$(cd "$work" && pwd)"
if [ -n "${SIGIL_RELEASE_BIN:-}" ]; then
    release_bin="$(cd "$SIGIL_RELEASE_BIN" && pwd)"
else
    # Debug builds without their debug info: the same programs at a tenth of the size.
    release_bin="$work/bin"
    mkdir -p "$release_bin"
    for bin in sigil-updater sigil-signer sigil-audit; do
        strip --strip-debug -o "$release_bin/$bin" "$tools/$bin"
    done
fi
scripts="$repo/scripts/release"

fail() { echo "replay FAILED: $*" >&2; exit 1; }
step() { printf '\n== %s\n' "$*"; }
git_quiet() { git -c init.defaultBranch=main -c user.name=release -c user.email=release@localhost "$@" -q; }

# The secrets of the repository settings. In the build job none of them is set.
export SIGIL_REPO_PASSWORD="replay online keys password"
export SIGIL_RELEASE_KEY_PASSWORD="replay release key password"
secrets=(SIGIL_REPO_PASSWORD SIGIL_RELEASE_KEY_PASSWORD SIGIL_RELEASE_KEY SIGIL_ONLINE_KEYS_TAR_B64)

server_pid=""
cleanup() { if [ -n "$server_pid" ]; then kill "$server_pid" 2>/dev/null || true; fi; }
trap cleanup EXIT

step "the publication: a loopback web server for the site"
mkdir -p "$work/www"
python3 -u -m http.server --bind 127.0.0.1 --directory "$work/www" 0 > "$work/http.log" 2>&1 &
server_pid=$!
for _ in $(seq 50); do
    port="$(sed -n 's/.* port \([0-9]*\) .*/\1/p' "$work/http.log" | head -n1)"
    [ -n "$port" ] && break
    sleep 0.1
done
[ -n "${port:-}" ] || fail "the web server did not start: $(cat "$work/http.log")"
url="http://127.0.0.1:$port/"
echo "serving $work/www at $url"

step "key ceremony (offline, once): release key, TUF repository, root key kept offline"
ceremony="$work/ceremony"
state="$work/ceremony-state"
mkdir -p "$ceremony" "$state/keys"
"$tools/sigil-signer" keygen --secret-key "$ceremony/release.key" --public-key "$state/keys/release.pub" \
    --password-env SIGIL_RELEASE_KEY_PASSWORD --log "$state/custody"
"$tools/sigil-signer" repo init --dir "$state/tuf-repo" --keys-dir "$ceremony/keys" \
    --password-env SIGIL_REPO_PASSWORD --expires root=365d,targets=90d,snapshot=7d,timestamp=1d
mkdir -p "$ceremony/offline"
for key in "$ceremony"/keys/root-*.pem; do
    case "$key" in *.pub.pem) ;; *) mv "$key" "$ceremony/offline/" ;; esac
done
cp "$ceremony"/keys/*.pub.pem "$state/keys/"
# The repository secrets: the online keys, tar'ed and base64-encoded, and the release key's text.
SIGIL_ONLINE_KEYS_TAR_B64="$(tar -C "$ceremony/keys" -cf - . | base64 -w0)"
SIGIL_RELEASE_KEY="$(cat "$ceremony/release.key")"
export SIGIL_ONLINE_KEYS_TAR_B64 SIGIL_RELEASE_KEY
if tar -tf <(printf '%s' "$SIGIL_ONLINE_KEYS_TAR_B64" | base64 -d) | grep -q 'root-[0-9a-f]*\.pem$'; then
    fail "the online keys hold a root secret key"
fi
git_quiet init --bare "$work/release-state.git"
git_quiet init --bare "$work/gh-pages.git"
(
    cd "$state"
    git_quiet init
    git_quiet checkout -b release-state
    git add -A
    git_quiet commit -m "release state: ceremony"
    git_quiet push "$work/release-state.git" release-state
)
# The app ships with version 1 of root and the release public key.
cp "$state/tuf-repo/metadata/1.root.json" "$work/shipped-root.json"

# One release, as the workflow runs it: VERSION, then the directory of the tools to use.
release() {
    local version="$1" tools_dir="$2" run="$work/release-$1"
    mkdir -p "$run"

    step "release $version, build job (no secrets): audit gate, then build"
    (
        for var in "${secrets[@]}"; do unset "$var"; done
        "$scripts/audit-gate.sh" "$tools_dir/sigil-audit" "$run/dist"
        # The build: the replay packs prebuilt binaries; scripts/release/build.sh is checked by
        # scripts/reproducible-build.sh.
        "$scripts/package.sh" "$version" "$release_bin" "$run/dist"
        (cd "$run/dist" && sha256sum "sigil-$version-linux-x86_64.tar.gz" "sigil-$version-source.tar.gz" > SHA256SUMS)
    ) || fail "the build job of $version"
    # The artifact handed to the publish job.
    cp -R "$run/dist" "$run/artifact"

    step "release $version, publish job (protected environment): restore state, sign, publish, keep state"
    git_quiet clone -b release-state "$work/release-state.git" "$run/state"
    if git --git-dir="$work/gh-pages.git" rev-parse -q --verify gh-pages >/dev/null; then
        git_quiet clone -b gh-pages "$work/gh-pages.git" "$run/site"
    else
        mkdir -p "$run/site"
        (cd "$run/site" && git_quiet init && git_quiet checkout -b gh-pages)
    fi
    local keys
    keys="$(mktemp -d)"
    (
        trap 'rm -rf "$keys"' EXIT
        printf '%s' "$SIGIL_ONLINE_KEYS_TAR_B64" | base64 -d | tar -x -C "$keys"
        SIGIL_TOOLS="$tools_dir" SIGIL_ONLINE_KEYS="$keys" SIGIL_REPOSITORY_URL="$url" \
            SIGIL_BUILDER_ID="https://replay.invalid/sigil/actions/runs/$version" \
            "$scripts/publish.sh" "$version" "$run/artifact" "$run/state" "$run/site"
    ) || fail "the publish job of $version"
    [ ! -e "$keys" ] || fail "the online keys are still on disk after the publish job"
    (
        cd "$run/state" && git add -A && git_quiet commit -m "release state: $version" && git_quiet push origin release-state
        cd "$run/site" && git add -A && git_quiet commit -m "release $version" && git_quiet push "$work/gh-pages.git" gh-pages
    )
    git --git-dir="$work/gh-pages.git" --work-tree="$work/www" checkout -q -f gh-pages -- .
}

release 0.1.0 "$tools"
cp "$work/www/custody/checkpoint" "$work/checkpoint-after-0.1.0"

step "an app installs 0.1.0 with the updater"
app="$work/app"
mkdir -p "$app"
cp "$work/shipped-root.json" "$app/root.json"
cp "$work/release-0.1.0/state/keys/release.pub" "$app/release.pub"
cat > "$app/sigil-updater.toml" <<TOML
metadata_url = "${url}metadata/"
target_urls  = ["${url}targets/"]
root         = "root.json"
release_key  = "release.pub"
data_dir     = "data"
install_root = "install"
version      = "0.0.1"
channel      = "stable"
platform     = "linux"
arch         = "x86_64"
TOML
"$tools/sigil-updater" --config "$app/sigil-updater.toml" install
"$app/install/current/sigil-updater" --config "$app/sigil-updater.toml" launched
"$app/install/current/sigil-updater" --config "$app/sigil-updater.toml" confirm
[ "$(cat "$app/install/current/VERSION")" = 0.1.0 ] || fail "the app does not run 0.1.0"

step "the first release's tools, fetched and verified, run the second release; a tampered copy is refused"
fetched="$("$scripts/fetch-tools.sh" "$url" "$work/release-0.1.0/state/keys/release.pub" "$work/fetched")"
mkdir -p "$work/www/tampered"
cp -R "$work/www/releases" "$work/www/tampered/"
tampered="$work/www/tampered/releases/0.1.0/sigil-0.1.0-linux-x86_64.tar.gz"
printf 'x' | dd of="$tampered" bs=1 seek=100 conv=notrunc status=none
if "$scripts/fetch-tools.sh" "${url}tampered" "$work/release-0.1.0/state/keys/release.pub" "$work/fetched-tampered" 2> "$work/tampered.err"; then
    fail "a tampered tools tarball was accepted"
fi
grep -q "does not verify with the release key" "$work/tampered.err" || fail "wrong refusal: $(cat "$work/tampered.err")"
echo "refused: $(tail -n1 "$work/tampered.err")"
rm -rf "$work/www/tampered"

release 0.1.1 "$fetched"

step "the updater of 0.1.0 takes 0.1.1"
"$app/install/current/sigil-updater" --config "$app/sigil-updater.toml" install
"$app/install/current/sigil-updater" --config "$app/sigil-updater.toml" launched
[ "$(cat "$app/install/current/VERSION")" = 0.1.1 ] || fail "the app does not run 0.1.1"
echo "the app runs $(cat "$app/install/current/VERSION")"

step "the published custody log extends the first release's checkpoint"
keys_dir="$work/release-0.1.1/state/keys"
trusted=(--trusted-key "$keys_dir/release.pub")
for key in "$keys_dir"/timestamp-*.pub.pem; do trusted+=(--trusted-key "$key"); done
"$tools/sigil-audit" log verify --log "$work/www/custody" "${trusted[@]}" --previous "$work/checkpoint-after-0.1.0"

step "attack: a log restarted at entry 0 (as every release used to) is refused against that checkpoint"
restarted="$work/attack-log-restarted-at-entry-0"
mkdir -p "$restarted"
cp "$work/release-0.1.1/dist/SHA256SUMS" "$restarted/SHA256SUMS"
"$tools/sigil-signer" sign --secret-key "$ceremony/release.key" --password-env SIGIL_RELEASE_KEY_PASSWORD \
    --log "$restarted/custody" "$restarted/SHA256SUMS" > /dev/null
set +e
"$tools/sigil-audit" log verify --log "$restarted/custody" "${trusted[@]}" --previous "$work/checkpoint-after-0.1.0" > "$restarted/verify.out" 2>&1
code=$?
set -e
[ "$code" = 1 ] || fail "a restarted log gave exit code $code against the earlier checkpoint: $(cat "$restarted/verify.out")"
echo "refused:"
cat "$restarted/verify.out"

step "SHA256SUMS and every release file are TUF targets"
python3 - "$work/www/metadata" <<'PY'
import json, pathlib, sys
metadata = pathlib.Path(sys.argv[1])
timestamp = json.loads((metadata / "timestamp.json").read_text())
snap_version = timestamp["signed"]["meta"]["snapshot.json"]["version"]
snapshot = json.loads((metadata / f"{snap_version}.snapshot.json").read_text())
targets_version = snapshot["signed"]["meta"]["targets.json"]["version"]
targets = json.loads((metadata / f"{targets_version}.targets.json").read_text())["signed"]["targets"]
for version in ("0.1.0", "0.1.1"):
    tarball = f"sigil-{version}-linux-x86_64.tar.gz"
    wanted = [tarball] + [f"{version}/{name}" for name in (
        f"{tarball}.minisig", "SHA256SUMS", "SHA256SUMS.minisig",
        f"sigil-{version}-source.tar.gz", f"sigil-{version}-source.tar.gz.minisig", "audit.sarif")]
    missing = [name for name in wanted if name not in targets]
    if missing:
        sys.exit(f"not TUF targets of targets v{targets_version}: {missing}")
    if targets[tarball]["custom"]["sigil"]["version"] != version:
        sys.exit(f"{tarball} carries no release metadata for {version}")
print(f"targets v{targets_version} lists both releases, their signatures, SHA256SUMS, sources and audits")
PY

step "the provenance's source tarball names the commit it was made from"
# git reads only the first header: gunzip's broken pipe after it is not a failure.
named="$(git get-tar-commit-id < <(gunzip -c "$work/release-0.1.1/dist/sigil-0.1.1-source.tar.gz" 2>/dev/null))"
[ "$named" = "$(git -C "$repo" rev-parse HEAD)" ] || fail "the source tarball names commit '$named', not HEAD"
echo "sigil-0.1.1-source.tar.gz: commit $named"

step "the second release traces back to the audit of its lockfile"
"$tools/sigil-audit" log trace --log "$work/www/custody" "${trusted[@]}" \
    --file "$work/release-0.1.1/dist/sigil-0.1.1-linux-x86_64.tar.gz" > "$work/trace.out"
cat "$work/trace.out"
for kind in dependency-audit provenance signature publication; do
    grep -qi "$kind" "$work/trace.out" || fail "the trace of 0.1.1 has no $kind step"
done

step "the scheduled refresh between releases: nothing is due, the published repository still verifies"
refresh="$work/refresh"
git_quiet clone -b release-state "$work/release-state.git" "$refresh/state"
git_quiet clone -b gh-pages "$work/gh-pages.git" "$refresh/site"
(
    keys="$(mktemp -d)"
    trap 'rm -rf "$keys"' EXIT
    printf '%s' "$SIGIL_ONLINE_KEYS_TAR_B64" | base64 -d | tar -x -C "$keys"
    unset SIGIL_RELEASE_KEY SIGIL_RELEASE_KEY_PASSWORD
    SIGIL_TOOLS="$fetched" SIGIL_ONLINE_KEYS="$keys" SIGIL_REPOSITORY_URL="$url" \
        "$scripts/refresh.sh" "$refresh/state" "$refresh/site"
) || fail "the refresh"
"$tools/sigil-audit" log verify --log "$refresh/site/custody" "${trusted[@]}" --previous "$work/checkpoint-after-0.1.0"

printf '\nrelease replay passed: 2 releases, 1 repository, 1 custody log\n'
