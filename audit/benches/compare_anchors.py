#!/usr/bin/env python3
"""sigil-audit next to the tools it replaces, on the same trees in one run: license-checker
(npm) on an installed npm project, and cargo-deny (`check licenses`) on a Cargo workspace.

Run from the repository root after `cargo build --release -p sigil-audit`, with
`license-checker` (npm) and `cargo-deny` (`cargo install cargo-deny`) installed:

    python3 audit/benches/compare_anchors.py --npm-project DIR [--cargo-workspace .] \
        [--binary target/release/sigil-audit] [--license-checker PATH] [--runs 7]

DIR is a project installed with its lockfile (`npm ci --ignore-scripts`). Each tool runs
`--runs` times, alternating with sigil-audit; the script prints each side's median wall time
and peak RSS (`/usr/bin/time -v`) and the median of the paired time ratios (anchor/sigil).
Both sides read licenses from the installed manifests and write a JSON report.
"""

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

DENY_TOML = """[graph]
all-features = true

[licenses]
allow = ["0BSD", "Apache-2.0", "Apache-2.0 WITH LLVM-exception", "BSD-2-Clause",
         "BSD-3-Clause", "CC0-1.0", "CDLA-Permissive-2.0", "ISC", "MIT", "Unicode-3.0",
         "Unlicense", "Zlib"]
confidence-threshold = 0.8
"""


def timed(cmd, cwd=None):
    """Runs `cmd` under /usr/bin/time -v: (wall seconds, peak RSS MiB, exit code, stderr). The
    wall time is measured here, to the microsecond (time -v rounds to 10 ms)."""
    start = time.perf_counter()
    run = subprocess.run(["/usr/bin/time", "-v", *cmd], cwd=cwd, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    err = run.stderr
    if "Maximum resident set size" not in err:
        sys.exit(f"cannot measure {cmd}: {err[-2000:]}")
    rss = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", err).group(1)) / 1024
    return seconds, rss, run.returncode, err


def compare(label, sigil_cmd, anchor_name, anchor_cmd, runs, cwd=None):
    if shutil.which(anchor_cmd[0]) is None:
        print(f"{label}\n  {anchor_name} not found ({anchor_cmd[0]}): skipped")
        return
    pairs = []
    for _ in range(runs):
        s = timed(sigil_cmd, cwd)
        a = timed(anchor_cmd, cwd)
        if s[2] not in (0, 1):
            sys.exit(f"sigil-audit failed on {label}: {s[3][-2000:]}")
        if a[2] != 0:
            sys.exit(f"{anchor_name} failed on {label}: {a[3][-2000:]}")
        pairs.append((s, a))
    med = lambda xs: statistics.median(xs)
    st = med([p[0][0] for p in pairs])
    at = med([p[1][0] for p in pairs])
    sr = med([p[0][1] for p in pairs])
    ar = med([p[1][1] for p in pairs])
    ratio = med([p[1][0] / max(p[0][0], 1e-3) for p in pairs])
    print(f"{label}")
    print(f"  sigil-audit     {st * 1000:9.0f} ms  {sr:7.1f} MiB   {' '.join(sigil_cmd)}")
    print(f"  {anchor_name:<15} {at * 1000:9.0f} ms  {ar:7.1f} MiB   {' '.join(anchor_cmd)}")
    print(f"  median ratio of {runs} paired runs ({anchor_name} / sigil-audit): {ratio:.1f}x time, "
          f"{ar / max(sr, 0.1):.1f}x peak RSS")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--binary", default="target/release/sigil-audit")
    ap.add_argument("--npm-project", required=True)
    ap.add_argument("--cargo-workspace", default=".")
    ap.add_argument("--license-checker", default=shutil.which("license-checker") or "license-checker")
    ap.add_argument("--cargo-deny", default=shutil.which("cargo-deny") or "cargo-deny")
    ap.add_argument("--runs", type=int, default=7)
    args = ap.parse_args()
    binary = os.path.abspath(args.binary)
    with tempfile.TemporaryDirectory() as tmp:
        npm = os.path.abspath(args.npm_project)
        lock = os.path.join(npm, "package-lock.json")
        compare(
            f"npm: {npm} ({sum(1 for _ in open(lock))} lockfile lines)",
            [binary, "check", "--date", "2026-11-25", "--format", "json",
             "--output", os.path.join(tmp, "sigil-npm.json"), lock],
            "license-checker",
            [args.license_checker, "--json", "--out", os.path.join(tmp, "lc.json"), "--start", npm],
            args.runs,
        )
        ws = os.path.abspath(args.cargo_workspace)
        deny = os.path.join(tmp, "deny.toml")
        with open(deny, "w") as f:
            f.write(DENY_TOML)
        compare(
            f"cargo: {ws}/Cargo.lock",
            [binary, "check", "--date", "2026-11-25", "--format", "json",
             "--output", os.path.join(tmp, "sigil-cargo.json"), os.path.join(ws, "Cargo.lock")],
            "cargo-deny",
            [args.cargo_deny, "--offline", "--manifest-path", os.path.join(ws, "Cargo.toml"),
             "--workspace", "--config", deny, "--format", "json", "check", "licenses"],
            args.runs,
        )


if __name__ == "__main__":
    main()
