"""`make test` does its own set-up: the browser dependencies step and what CI calls."""

import os
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "scripts" / "browser-deps.sh"


def run_script(**env):
    return subprocess.run(
        ["sh", str(SCRIPT)],
        env=os.environ | env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_missing_chromium_without_root_stops_with_the_install_line():
    done = run_script(CHROMIUM="/nonexistent/chromium", BROWSER_DEPS_NO_INSTALL="1")
    assert done.returncode == 1
    lines = done.stderr.strip().splitlines()
    assert lines == [
        "the browser tests need Chromium and CJK fonts: "
        "sudo apt-get install chromium fonts-noto-cjk"
    ]


def test_present_dependencies_pass_quietly():
    # the browser tests of this very run need them, so they are there by now
    done = run_script(BROWSER_DEPS_NO_INSTALL="1")
    assert done.returncode == 0, done.stderr
    assert done.stdout == "" and done.stderr == ""


def test_make_test_runs_the_browser_deps_step_and_ci_calls_make_test():
    dry = subprocess.run(
        ["make", "-n", "test"], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert "scripts/browser-deps.sh" in dry.stdout
    ci = (ROOT / ".ci" / "run").read_text()
    commands = [
        line.strip()
        for line in ci.splitlines()
        if line.strip() and not line.lstrip().startswith("#")
    ]
    assert commands[-1] == "make test"
    assert "apt-get" not in ci  # the set-up lives in `make test`, not in CI
