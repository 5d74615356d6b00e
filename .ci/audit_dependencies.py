"""Audit the locked dependencies (constraints.txt) for known vulnerabilities with pip-audit.

Exit status: 1 when any locked dependency has a known vulnerability, or when pip-audit fails for
a reason other than an unreachable vulnerability service; 0 otherwise. When no service answers
for any dependency (the machines of this project reach PyPI's package index but not its
per-version JSON API, and not OSV), the audit is reported as NOT performed, loudly, and does not
fail the run for that reason alone: a CI that fails on every run regardless of the code teaches
people to ignore it. The report says how many dependencies each service could audit.

    python .ci/audit_dependencies.py [constraints.txt]
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path

SERVICES = ("pypi", "osv")
UNREACHABLE = (
    "ConnectionError",
    "NameResolutionError",
    "Max retries exceeded",
    "Temporary failure in name resolution",
    "timed out",
)


def audit(requirements: Path, service: str) -> tuple[list[dict], str]:
    """pip-audit's dependency records from `service`, or [] with the reason it gave none."""
    with tempfile.TemporaryDirectory() as folder:
        output = Path(folder) / "audit.json"
        command = [
            sys.executable, "-m", "pip_audit", "--requirement", str(requirements),
            "--disable-pip", "--no-deps", "--progress-spinner", "off",
            "--vulnerability-service", service, "--format", "json", "--output", str(output),
        ]  # fmt: skip
        run = subprocess.run(command, capture_output=True, text=True, check=False)  # noqa: S603 (ours)
        if output.exists() and output.read_text().strip():
            return json.loads(output.read_text())["dependencies"], ""
        if any(marker in run.stderr for marker in UNREACHABLE):
            return [], f"{service}: the vulnerability service is unreachable"
        sys.stderr.write(run.stderr[-3000:])
        raise SystemExit(f"audit: pip-audit failed (exit {run.returncode}) with {service}")


def main() -> int:
    requirements = Path(sys.argv[1] if len(sys.argv) > 1 else "constraints.txt")
    notes = []
    for service in SERVICES:
        dependencies, why = audit(requirements, service)
        if not dependencies:
            notes.append(why)
            continue
        vulnerable = [d for d in dependencies if d.get("vulns")]
        audited = [d for d in dependencies if "skip_reason" not in d]
        for dependency in vulnerable:
            for vuln in dependency["vulns"]:
                fixes = ", ".join(vuln.get("fix_versions", [])) or "no fixed version yet"
                print(
                    f"audit: {dependency['name']} {dependency['version']}: {vuln['id']} "
                    f"(fixed in {fixes})"
                )
        if vulnerable:
            print(
                f"audit: FAILED: {len(vulnerable)} locked dependencies have known vulnerabilities"
            )
            return 1
        if audited:
            skipped = len(dependencies) - len(audited)
            print(
                f"audit: {service}: no known vulnerabilities in {len(audited)} locked "
                f"dependencies ({skipped} could not be audited)"
            )
            return 0
        first = dependencies[0].get("skip_reason", "")
        notes.append(f"{service}: answered for none of {len(dependencies)} ({first})")
    print("audit: NOT PERFORMED: no vulnerability service could audit the locked dependencies.")
    for note in notes:
        print(f"audit:   {note}")
    print("audit: run `pip-audit -r constraints.txt --no-deps --disable-pip` where PyPI or OSV is")
    print("audit: reachable; this run does not fail for the missing service alone.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
