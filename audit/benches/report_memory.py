#!/usr/bin/env python3
"""Peak memory of `sigil-audit check` on a generated 60 MB package-lock.json, per output format.

Run from the repository root after `cargo build --release -p sigil-audit`:

    python3 audit/benches/report_memory.py [--binary target/release/sigil-audit] [--mib 60]

Each format runs once under `/usr/bin/time -v`; the script prints its maximum resident set size
and wall time, and fails (exit 1) if any format peaks at 300 MiB or more.
"""

import argparse
import base64
import hashlib
import json
import os
import re
import subprocess
import sys
import tempfile

LIMIT_MIB = 300
FORMATS = ["human", "json", "sarif", "cyclonedx", "spdx"]
LICENSES = ["MIT", "ISC", "Apache-2.0", "BSD-3-Clause", "MIT OR Apache-2.0"]


def write_lockfile(path, target_bytes):
    """An npm v3 lockfile of distinct registry packages, each with a SHA-512 integrity, a
    license and a few dependencies, until it reaches `target_bytes`."""
    with open(path, "w") as out:
        out.write('{\n  "name": "big-app",\n  "version": "1.0.0",\n  "lockfileVersion": 3,\n')
        out.write('  "requires": true,\n  "packages": {\n')
        out.write('    "": {"name": "big-app", "version": "1.0.0", "dependencies": {"pkg-0": "^1.0.0"}}')
        i = 0
        while out.tell() < target_bytes:
            name = f"pkg-{i}"
            version = f"1.{i % 50}.{i % 7}"
            digest = base64.b64encode(hashlib.sha512(name.encode()).digest()).decode()
            deps = {f"pkg-{i + k}": "^1.0.0" for k in (1, 2, 3)}
            entry = {
                "version": version,
                "resolved": f"https://registry.npmjs.org/{name}/-/{name}-{version}.tgz",
                "integrity": f"sha512-{digest}",
                "license": LICENSES[i % len(LICENSES)],
                "dependencies": deps,
                "engines": {"node": ">=14"},
            }
            out.write(f',\n    "node_modules/{name}": ')
            out.write(json.dumps(entry, indent=None))
            i += 1
        out.write("\n  }\n}\n")
    return i


def peak(binary, lockfile, fmt):
    cmd = ["/usr/bin/time", "-v", binary, "check", "--no-manifests", "--date", "2026-11-25",
           "--format", fmt, "--output", lockfile + f".{fmt}.out", lockfile]
    run = subprocess.run(cmd, capture_output=True, text=True)
    if run.returncode not in (0, 1):
        sys.exit(f"{fmt}: sigil-audit failed ({run.returncode}):\n{run.stderr}")
    rss = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", run.stderr).group(1))
    wall = re.search(r"Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): (\S+)", run.stderr).group(1)
    size = os.path.getsize(lockfile + f".{fmt}.out")
    return rss / 1024, wall, size


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--binary", default="target/release/sigil-audit")
    ap.add_argument("--mib", type=float, default=60)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as d:
        lockfile = os.path.join(d, "package-lock.json")
        count = write_lockfile(lockfile, int(args.mib * 1024 * 1024))
        size = os.path.getsize(lockfile) / 1024 / 1024
        print(f"lockfile: {size:.1f} MiB, {count} packages; binary {args.binary}")
        print(f"{'format':<10} {'peak RSS':>10} {'wall':>9} {'report':>10}")
        worst = 0.0
        for fmt in FORMATS:
            rss, wall, out = peak(args.binary, lockfile, fmt)
            worst = max(worst, rss)
            print(f"{fmt:<10} {rss:>7.0f} MiB {wall:>9} {out / 1024 / 1024:>6.1f} MiB")
        print(f"worst peak: {worst:.0f} MiB (target: under {LIMIT_MIB} MiB)")
        sys.exit(0 if worst < LIMIT_MIB else 1)


if __name__ == "__main__":
    main()
