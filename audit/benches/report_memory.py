#!/usr/bin/env python3
"""Peak memory of `sigil-audit check` on a generated 60 MB package-lock.json, per output format.

Run from the repository root after `cargo build --release -p sigil-audit`:

    python3 audit/benches/report_memory.py [--binary target/release/sigil-audit] [--mib 60]

Each format runs once under `/usr/bin/time -v`; the script prints its maximum resident set size
and wall time, and fails (exit 1) if any format peaks at 300 MiB or more. A last row adds a
generated OSV advisory zip of `--advisories N` records (default 200,000, the size of the public
npm database) to the JSON run.
"""
import random
import zipfile

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


def write_advisories(path, records, packages):
    """An OSV zip of `records` npm advisories, each about one of the generated packages or a
    package not locked, fixed in a random minor version."""
    rng = random.Random(1)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for i in range(records):
            name = f"pkg-{rng.randrange(2 * packages)}"
            record = {
                "id": f"GHSA-bench-{i}", "modified": "2026-01-01T00:00:00Z",
                "aliases": [f"CVE-2026-{i}"], "summary": "generated advisory",
                "database_specific": {"severity": "HIGH"},
                "affected": [{"package": {"ecosystem": "npm", "name": name}, "ranges": [
                    {"type": "ECOSYSTEM",
                     "events": [{"introduced": "0"}, {"fixed": f"1.{rng.randrange(50)}.0"}]}]}],
            }
            z.writestr(f"GHSA-bench-{i}.json", json.dumps(record))


def peak(binary, lockfile, fmt, extra=()):
    cmd = ["/usr/bin/time", "-v", binary, "check", "--no-manifests", "--date", "2026-11-25",
           "--format", fmt, "--output", lockfile + f".{fmt}.out", *extra, lockfile]
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
    ap.add_argument("--advisories", type=int, default=200_000)
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
        db = os.path.join(d, "all.zip")
        write_advisories(db, args.advisories, count)
        rss, wall, out = peak(args.binary, lockfile, "json", ["--advisories", db])
        worst = max(worst, rss)
        print(f"{'json+osv':<10} {rss:>7.0f} MiB {wall:>9} {out / 1024 / 1024:>6.1f} MiB"
              f"   ({args.advisories} advisory records, {os.path.getsize(db) / 1024 / 1024:.0f} MiB zip)")
        print(f"worst peak: {worst:.0f} MiB (target: under {LIMIT_MIB} MiB)")
        sys.exit(0 if worst < LIMIT_MIB else 1)


if __name__ == "__main__":
    main()
