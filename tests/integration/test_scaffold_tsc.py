"""`crongate scaffold --write` on the example app with one migration deleted.

The generated migration must be recognised by crongate's own reader, leave every other line
of systemJobs.ts as it was, and type-check with tsc against the convex npm package.
"""

from __future__ import annotations

import difflib
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from cli_runner import EXAMPLE, REPO, crongate_env
from crongate.config import Config
from crongate.check import build_manifest

NODE_MODULES = EXAMPLE / "node_modules"
TSC = NODE_MODULES / ".bin" / "tsc"
PRETTIER = NODE_MODULES / ".bin" / "prettier"
DELETED = "addProxySessionRenewalJob"
DELETED_KEY = "proxy-session-renewal"

pytestmark = pytest.mark.npm


def crongate(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "crongate", *map(str, args)],
        cwd=REPO, env=crongate_env(), capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL,
    )


def without_function(text: str, name: str) -> tuple[str, str]:
    """Return ``text`` without the exported function ``name`` (and the blank line before it), and that function."""
    start = text.index(f"export const {name} = ")
    end = text.find("\nexport const ", start)
    end = len(text) if end == -1 else end + 1
    removed = text[start:end]
    before = text[:start]
    if before.endswith("\n\n"):
        before = before[:-1]
    rest = text[end:]
    if not rest:
        before = before.rstrip("\n") + "\n"
    return before + rest, removed.rstrip("\n") + "\n"


def only_insertions(before: str, after: str) -> bool:
    matcher = difflib.SequenceMatcher(a=before.splitlines(), b=after.splitlines(), autojunk=False)
    return all(tag in ("equal", "insert") for tag, *_ in matcher.get_opcodes())


@pytest.fixture
def app(tmp_path: Path) -> Path:
    if shutil.which("node") is None:
        pytest.skip("node is not installed, so tsc cannot run")
    if not TSC.exists():
        pytest.skip(f"{TSC} is missing; run `npm ci` in {EXAMPLE}")
    root = tmp_path / "convex-app"
    shutil.copytree(EXAMPLE / "convex", root / "convex")
    shutil.copy(EXAMPLE / "package.json", root / "package.json")
    os.symlink(NODE_MODULES, root / "node_modules", target_is_directory=True)
    return root


def test_scaffold_write_typechecks(app: Path) -> None:
    systemjobs = app / "convex" / "systemJobs.ts"
    edited, _removed = without_function(systemjobs.read_text(encoding="utf-8"), DELETED)
    systemjobs.write_text(edited, encoding="utf-8")

    run = crongate("scaffold", app, "--write")
    assert run.returncode == 0, run.stderr
    after = systemjobs.read_text(encoding="utf-8")

    manifest = build_manifest(app, Config())
    keys = {migration.job_key: migration.function for migration in manifest.migrations}
    assert keys.get(DELETED_KEY) == f"systemJobs:{DELETED}"
    assert not [f for f in manifest.findings if f.rule == "missing-migration"]
    assert only_insertions(edited, after)
    assert after.startswith(edited)

    tsc = subprocess.run([str(TSC), "--noEmit", "-p", "convex"], cwd=app, capture_output=True, text=True, timeout=300)
    assert tsc.returncode == 0, tsc.stdout + tsc.stderr


def test_scaffold_second_run_adds_nothing(app: Path) -> None:
    systemjobs = app / "convex" / "systemJobs.ts"
    systemjobs.write_text(without_function(systemjobs.read_text(encoding="utf-8"), DELETED)[0], encoding="utf-8")
    assert crongate("scaffold", app, "--write").returncode == 0
    written = systemjobs.read_text(encoding="utf-8")

    again = crongate("scaffold", app, "--write")
    assert again.returncode == 0, again.stderr
    assert again.stdout == ""
    assert systemjobs.read_text(encoding="utf-8") == written


def test_scaffold_dry_run_prints_diff(app: Path) -> None:
    systemjobs = app / "convex" / "systemJobs.ts"
    edited = without_function(systemjobs.read_text(encoding="utf-8"), DELETED)[0]
    systemjobs.write_text(edited, encoding="utf-8")

    run = crongate("scaffold", app)
    assert run.returncode == 0, run.stderr
    assert f"+export const {DELETED} = internalMutation({{" in run.stdout
    assert systemjobs.read_text(encoding="utf-8") == edited


def test_init_then_scaffold_restores_migration(app: Path) -> None:
    """With the categories that `init` learns, the regenerated migration is the deleted one."""
    assert crongate("init", app).returncode == 0
    systemjobs = app / "convex" / "systemJobs.ts"
    edited, removed = without_function(systemjobs.read_text(encoding="utf-8"), DELETED)
    systemjobs.write_text(edited, encoding="utf-8")

    run = crongate("scaffold", app, "--write")
    assert run.returncode == 0, run.stderr
    assert systemjobs.read_text(encoding="utf-8") == edited + "\n" + removed


def test_scaffold_output_is_prettier_formatted(app: Path) -> None:
    if not PRETTIER.exists():
        pytest.skip(f"{PRETTIER} is missing; run `npm ci` in {EXAMPLE}")
    systemjobs = app / "convex" / "systemJobs.ts"
    systemjobs.write_text(without_function(systemjobs.read_text(encoding="utf-8"), "addDailyReportJob")[0],
                          encoding="utf-8")
    assert crongate("scaffold", app, "--write").returncode == 0

    check = subprocess.run([str(PRETTIER), "--check", "convex/systemJobs.ts"], cwd=app, capture_output=True,
                           text=True, timeout=120)
    assert check.returncode == 0, check.stdout + check.stderr
