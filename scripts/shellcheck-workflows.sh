#!/usr/bin/env bash
# Runs shellcheck on every `run:` step of the workflows, as GitHub runs it (bash -e), with each
# `${{ ... }}` expression replaced by a plain word.
#
#   PYTHON=python-with-pyyaml SHELLCHECK=shellcheck scripts/shellcheck-workflows.sh [WORKFLOW_DIR]
set -euo pipefail
dir="${1:-$(cd "$(dirname "$0")/.." && pwd)/.github/workflows}"
python="${PYTHON:-python3}"
shellcheck="${SHELLCHECK:-shellcheck}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

"$python" - "$dir" "$work" <<'PY'
import pathlib, re, sys
import yaml

out = pathlib.Path(sys.argv[2])
count = 0
for path in sorted(pathlib.Path(sys.argv[1]).glob("*.y*ml")):
    workflow = yaml.safe_load(path.read_text())
    for job_name, job in (workflow.get("jobs") or {}).items():
        for number, step in enumerate(job.get("steps") or [], 1):
            if "run" not in step:
                continue
            script = re.sub(r"\$\{\{.*?\}\}", "EXPRESSION", step["run"])
            name = f"{path.stem}.{job_name}.{number}.sh"
            (out / name).write_text("#!/usr/bin/env bash\nset -e\n" + script)
            count += 1
print(f"{count} run steps extracted", file=sys.stderr)
PY
"$shellcheck" -s bash "$work"/*.sh
echo "shellcheck: no findings in the run steps of $dir"
