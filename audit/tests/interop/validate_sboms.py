#!/usr/bin/env python3
"""Validates sigil-audit's SBOMs with the reference tools of each format.

CycloneDX 1.6 JSON is checked against the official JSON schema (cyclonedx-python-lib's strict
validator); SPDX 2.3 JSON is parsed and validated by spdx-tools, the SPDX project's own library.

Usage: validate_sboms.py PATH/TO/sigil-audit
Install: pip install -r audit/tests/interop/requirements.txt
Exit code 0 when every SBOM is valid, 1 otherwise.
"""

import pathlib
import subprocess
import sys
import tempfile

from cyclonedx.schema import SchemaVersion
from cyclonedx.validation.json import JsonStrictValidator
from spdx_tools.spdx.parser.error import SPDXParsingError
from spdx_tools.spdx.parser.parse_anything import parse_file
from spdx_tools.spdx.validation.document_validator import validate_full_spdx_document

FIXTURES = pathlib.Path(__file__).resolve().parent.parent / "fixtures"
LOCKFILES = [
    "cargo-v3/Cargo.lock",
    "npm-v3/package-lock.json",
    "yarn-classic/yarn.lock",
    "yarn-berry/yarn.lock",
    "pnpm-v9/pnpm-lock.yaml",
]


def render(binary: str, fmt: str, out: pathlib.Path) -> None:
    args = [
        binary, "check", "--no-manifests", "--date", "2026-11-25",
        "--policy", str(FIXTURES / "policies/npm-app.toml"),
        "--format", fmt, "--output", str(out),
        *[str(FIXTURES / l) for l in LOCKFILES],
    ]
    # Exit code 1 (policy failed) still writes the report; 2 means it could not run.
    result = subprocess.run(args, capture_output=True, text=True)
    if result.returncode not in (0, 1):
        sys.exit(f"sigil-audit failed: {result.stderr}")


def main() -> int:
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    binary = sys.argv[1]
    failures = 0
    with tempfile.TemporaryDirectory() as tmp:
        cdx = pathlib.Path(tmp) / "bom.cdx.json"
        render(binary, "cyclonedx", cdx)
        error = JsonStrictValidator(SchemaVersion.V1_6).validate_str(cdx.read_text())
        if error:
            print(f"CycloneDX 1.6: INVALID: {error}")
            failures += 1
        else:
            print("CycloneDX 1.6: valid")

        spdx = pathlib.Path(tmp) / "bom.spdx.json"
        render(binary, "spdx", spdx)
        try:
            messages = [
                m.validation_message
                for m in validate_full_spdx_document(parse_file(str(spdx)), "SPDX-2.3")
            ]
        except SPDXParsingError as e:
            messages = e.get_messages()
        if messages:
            for m in messages:
                print(f"SPDX 2.3: INVALID: {m}")
            failures += 1
        else:
            print("SPDX 2.3: valid")
    print(f"{2 - failures} passed, {failures} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
