"""Checks on action.yml, the workflows and the pre-commit hook that need no GitHub runner.

actionlint (test_actionlint.py) checks syntax and expressions. These tests check the
project's own rules: pinned actions, inputs only through env, and the settings that each
workflow must keep.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

REPO_ROOT = Path(__file__).resolve().parents[2]
ACTION = REPO_ROOT / "action.yml"
CI = REPO_ROOT / ".github" / "workflows" / "ci.yml"
SELF_TEST = REPO_ROOT / ".github" / "workflows" / "self-test.yml"
EXAMPLE = REPO_ROOT / "examples" / "workflows" / "crongate.yml"
HOOKS = REPO_ROOT / ".pre-commit-hooks.yaml"

FILES = [ACTION, CI, SELF_TEST, EXAMPLE]

# A remote action pinned to a full commit SHA, with the version in a trailing comment.
PINNED_USES = re.compile(r"uses:\s*[\w.-]+/[\w./-]+@[0-9a-f]{40} # v\d+(\.\d+)*\s*$")

# The example workflow refers to crongate itself by a release the user fills in.
PLACEHOLDER_USES = re.compile(r"uses:\s*your-org/crongate@")


def load(path: Path) -> dict:
    # PyYAML reads the bare key `on` as True; map it back so the tests can use its name.
    document = yaml.safe_load(path.read_text())
    if True in document:
        document["on"] = document.pop(True)
    return document


def steps_of(document: dict) -> list[dict]:
    if "runs" in document:
        return document["runs"]["steps"]
    return [step for job in document["jobs"].values() for step in job.get("steps", [])]


@pytest.mark.parametrize("path", FILES, ids=lambda path: path.name)
def test_remote_actions_pinned(path):
    for line in path.read_text().splitlines():
        stripped = line.strip().removeprefix("- ")
        if not stripped.startswith("uses:") or "uses: ./" in stripped:
            continue
        if path == EXAMPLE and PLACEHOLDER_USES.match(stripped):
            continue
        assert PINNED_USES.match(stripped), line


@pytest.mark.parametrize("path", FILES, ids=lambda path: path.name)
def test_run_text_has_no_expressions(path):
    for step in steps_of(load(path)):
        assert "${{" not in step.get("run", ""), step.get("name")


@pytest.mark.parametrize("path", [CI, SELF_TEST, EXAMPLE], ids=lambda path: path.name)
def test_permissions_read_only(path):
    assert load(path)["permissions"] == {"contents": "read"}


def test_mask_step_runs_first():
    first = load(ACTION)["runs"]["steps"][0]

    assert "::add-mask::" in first["run"]
    assert first["env"] == {"CRONGATE_DEPLOY_KEY": "${{ inputs.deploy-key }}"}


def test_every_input_reaches_run_step():
    action = load(ACTION)
    run_step = next(step for step in action["runs"]["steps"] if step.get("id") == "crongate")

    passed = {name.removeprefix("CRONGATE_INPUT_") for name in run_step["env"] if name.startswith("CRONGATE_INPUT_")}
    # python-version is for setup-python, and the GitHub token goes to the comment step only.
    expected = {name.upper().replace("-", "_") for name in action["inputs"]} - {"PYTHON_VERSION", "GITHUB_TOKEN"}
    assert passed == expected


def test_token_only_in_comment_step():
    steps = load(ACTION)["runs"]["steps"]

    with_token = [step["name"] for step in steps if "inputs.github-token" in str(step.get("env", {}))]
    assert with_token == ["Comment on the pull request"]


def test_comment_step_condition():
    steps = load(ACTION)["runs"]["steps"]
    comment = next(step for step in steps if step["name"] == "Comment on the pull request")

    # The step must run after a failed gate, and only where it can post.
    assert "!cancelled()" in comment["if"]
    assert "inputs.comment == 'true'" in comment["if"]
    assert "github.event_name == 'pull_request'" in comment["if"]
    assert comment["env"]["CRONGATE_SUMMARY_PATH"] == "${{ steps.crongate.outputs.summary-path }}"


def test_setup_python_caches_on_pyproject():
    steps = load(ACTION)["runs"]["steps"]
    cache = next(step for step in steps if step.get("uses", "").startswith("actions/cache@"))

    assert "steps.prepare.outputs.pyproject-hash" in cache["with"]["key"]
    assert "pyproject.toml" in next(step for step in steps if step.get("id") == "prepare")["run"]


def test_ci_runs_ci_script():
    runs = [step.get("run") for step in steps_of(load(CI))]

    assert "bash .ci/run" in runs


def test_ci_triggers():
    assert set(load(CI)["on"]) == {"push", "pull_request"}


def test_self_test_uses_local_action():
    uses = [step.get("uses") for step in steps_of(load(SELF_TEST))]

    assert uses.count("./") == 3


def test_example_dispatch_choice():
    mode = load(EXAMPLE)["on"]["workflow_dispatch"]["inputs"]["mode"]

    assert mode["type"] == "choice"
    assert mode["options"] == ["dry-run", "apply"]
    assert mode["default"] == "dry-run"


def test_example_apply_protected():
    jobs = load(EXAMPLE)["jobs"]

    assert jobs["apply"]["environment"] == "convex-production"
    assert "inputs.mode == 'apply'" in jobs["apply"]["if"]
    assert "environment" not in jobs["plan"]


def test_example_concurrency_per_deployment():
    jobs = load(EXAMPLE)["jobs"]

    for name in ("plan", "apply"):
        assert jobs[name]["concurrency"]["group"] == "crongate-migrate-${{ vars.CONVEX_URL }}"
        assert jobs[name]["concurrency"]["cancel-in-progress"] is False


def test_example_key_from_secrets():
    for step in steps_of(load(EXAMPLE)):
        if "deploy-key" in step.get("with", {}):
            assert step["with"]["deploy-key"] == "${{ secrets.CONVEX_DEPLOY_KEY }}"


def test_hook_definition():
    (hook,) = yaml.safe_load(HOOKS.read_text())

    assert hook["id"] == "crongate-static"
    assert hook["entry"] == "crongate check --offline"
    assert hook["pass_filenames"] is False


@pytest.mark.parametrize(
    ("path", "matches"),
    [
        ("convex/crons.ts", True),
        ("convex/systemJobs.ts", True),
        ("apps/web/convex/crons.ts", True),
        ("crons.ts", True),
        ("convex/mycrons.ts", False),
        ("convex/crons.tsx", False),
        ("convex/crons.ts.bak", False),
        ("convex/systemJobsHelpers.ts", False),
    ],
)
def test_hook_files_regex(path, matches):
    (hook,) = yaml.safe_load(HOOKS.read_text())

    # pre-commit applies `files` with re.search.
    assert bool(re.search(hook["files"], path)) is matches
