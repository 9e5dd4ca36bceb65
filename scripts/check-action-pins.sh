#!/usr/bin/env bash
# Every action a workflow uses is pinned by a full commit SHA with its version in a comment
# (`uses: owner/repo@<40 hex> # vX.Y.Z`), each action at one SHA across all workflows, and every
# other repository a workflow checks out is pinned the same way.
#
#   scripts/check-action-pins.sh [WORKFLOW_DIR]     (default: .github/workflows)
set -euo pipefail
dir="${1:-$(cd "$(dirname "$0")/.." && pwd)/.github/workflows}"

python3 - "$dir" <<'PY'
import pathlib, re, sys

problems, pins = [], {}
uses_re = re.compile(r"^\s*(?:-\s+)?uses:\s*(\S+)\s*(#.*)?$")
pinned_re = re.compile(r"^([A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+)(/[^@]*)?@([0-9a-f]{40})$")
ref_re = re.compile(r"^\s*ref:\s*(\S+)\s*(#.*)?$")
files = sorted(pathlib.Path(sys.argv[1]).glob("*.y*ml"))
if not files:
    sys.exit(f"no workflow files in {sys.argv[1]}")
for path in files:
    lines = path.read_text().splitlines()
    for number, line in enumerate(lines, 1):
        where = f"{path}:{number}"
        match = uses_re.match(line)
        if match:
            target, comment = match.group(1), match.group(2) or ""
            if target.startswith("./"):
                continue
            pinned = pinned_re.match(target)
            if not pinned:
                problems.append(f"{where}: {target} is not pinned by a full commit SHA")
                continue
            if not re.match(r"#\s*v\d", comment):
                problems.append(f"{where}: {target} has no '# vX.Y.Z' comment naming its version")
            action, sha = pinned.group(1), pinned.group(3)
            pins.setdefault(action, {}).setdefault(sha, []).append(f"{where} {comment.strip()}")
            continue
        match = ref_re.match(line)
        if match:
            # A checkout of another repository names a commit; this repository's own branches
            # (release-state, gh-pages) are read by name.
            block = "\n".join(lines[max(0, number - 6):number])
            if "repository:" in block and not re.fullmatch(r"[0-9a-f]{40}", match.group(1)):
                problems.append(f"{where}: another repository is checked out at {match.group(1)}, not a commit SHA")
for action, shas in sorted(pins.items()):
    if len(shas) > 1:
        listing = "; ".join(f"{sha[:12]} at {', '.join(places)}" for sha, places in shas.items())
        problems.append(f"{action} is pinned at {len(shas)} commits: {listing}")
for problem in problems:
    print(problem, file=sys.stderr)
if problems:
    sys.exit(f"{len(problems)} action pin problem(s): pin each action at one full commit SHA with a '# vX.Y.Z' comment")
total = sum(len(places) for shas in pins.values() for places in shas.values())
print(f"action pins: {total} uses of {len(pins)} actions in {len(files)} workflows, each at one commit SHA")
PY
