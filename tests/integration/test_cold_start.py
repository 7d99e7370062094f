"""What crongate imports at start: ``--version`` needs no CLI framework, and a static
check needs neither the HTTP client nor the report formats it does not write."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest

from cli_runner import EXAMPLE, REPO, crongate_env
from crongate.cli import run
from crongate.report.interface import get_reporter, reporter_names


def imported_modules(*args: str) -> tuple[set[str], subprocess.CompletedProcess[str]]:
    """Run ``python -X importtime -m crongate ARGS`` and return the modules it imported."""
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "crongate", *args],
        cwd=REPO, env=crongate_env(), capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL,
    )
    pattern = re.compile(r"import time:\s+\d+ \|\s+\d+ \|\s*(\S+)$")
    modules = {match.group(1) for match in map(pattern.match, done.stderr.splitlines()) if match}
    return modules, done


def test_version_output_matches_click(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["--version"]) == 0
    from_click = capsys.readouterr().out

    modules, done = imported_modules("--version")

    assert done.returncode == 0
    assert done.stdout == from_click


def test_version_imports_no_click() -> None:
    modules, done = imported_modules("--version")

    assert done.returncode == 0
    assert "click" not in modules
    assert "crongate.cli" not in modules


def test_static_check_imports_no_http_client() -> None:
    modules, done = imported_modules("check", str(EXAMPLE), "--offline")

    assert done.returncode in (0, 1), done.stderr[-2000:]
    assert "crongate.check" in modules  # the check ran, so the list is complete
    assert "httpx" not in modules
    assert "junit_xml" not in modules
    assert "crongate.report.github" not in modules


def test_format_names_match_reporters() -> None:
    for name in reporter_names():
        assert get_reporter(name).name == name
