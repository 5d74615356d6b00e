"""`make test` on a machine without Chromium: the browser tests are skipped with the command that
installs it, and fail under REQUIRE_SERVICES=1 (CI). Runs pytest itself on one browser test
module, pointed at a Chromium that does not exist; no browser is started."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
MISSING = "/nonexistent/chromium"
PYTEST = [sys.executable, "-m", "pytest", "tests/browser/test_live_update.py", "-q", "-rsE"]
PYTEST_OPTIONS = ["-p", "no:xdist", "-p", "no:cacheprovider"]


def run_browser_tests(*, require_services: bool) -> subprocess.CompletedProcess[str]:
    environment = {key: value for key, value in os.environ.items() if key != "REQUIRE_SERVICES"}
    # Placeholders for the services: a skipped or failed setup never connects to them, and
    # without them the tests would be skipped for want of services instead.
    environment.update(
        PORTAL_TESTING="1",
        DATABASE_URL="postgres://nobody@127.0.0.1:1/unused",
        REDIS_URL="redis://127.0.0.1:1/0",
        PORTAL_CHROMIUM=MISSING,
    )
    if require_services:
        environment["REQUIRE_SERVICES"] = "1"
    return subprocess.run(
        [*PYTEST, *PYTEST_OPTIONS],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_without_chromium_the_browser_tests_are_skipped_with_the_install_command():
    result = run_browser_tests(require_services=False)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "2 skipped" in output, output
    assert f"no Chromium at {MISSING}: install it with `sudo apt-get install chromium`" in output


def test_without_chromium_the_browser_tests_fail_when_services_are_required():
    result = run_browser_tests(require_services=True)
    output = result.stdout + result.stderr
    assert result.returncode == 1, output
    assert "2 error" in output, output
    assert "skipped" not in output, output
    assert f"REQUIRE_SERVICES=1 but no Chromium at {MISSING}" in output
