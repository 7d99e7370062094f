"""Run action.yml's steps as a GitHub runner would, against the fake deployment and a fake GitHub API.

``CompositeRunner`` reads action.yml with PyYAML and runs its steps in order:

* ``shell: bash`` steps run as ``bash --noprofile --norc -eo pipefail <script>``, the
  command GitHub uses for ``shell: bash``, with the step's ``env:`` mapping evaluated.
  Each step gets fresh ``GITHUB_OUTPUT``, ``GITHUB_ENV`` and ``GITHUB_STEP_SUMMARY`` files,
  read back after the step as the runner reads them.
* ``if:`` conditions and ``${{ }}`` expressions are evaluated for the small subset that
  action.yml uses: ``inputs.*``, ``github.action_path``, ``github.event_name``,
  ``github.token``, ``steps.<id>.outputs.*``, ``env.*``, ``runner.temp``, ``runner.os``, the
  status functions, ``==`` and ``!=`` against a quoted literal, and ``&&``. Anything else
  raises ``UnsupportedExpression``, so a new expression in action.yml fails here until
  this evaluator learns it.
* ``uses:`` steps get stand-ins. For actions/setup-python the stand-in is an interpreter
  shim around the Python that runs these tests. Its ``-m venv DIR`` makes DIR/bin/python
  (the shim again) and DIR/bin/crongate, which runs crongate from this checkout's src/.
  Its ``-m pip install`` only records the arguments, because the tests may not reach
  PyPI. Every other call goes to the real interpreter. actions/cache's stand-in does
  nothing.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import stat
import subprocess
import sys
import textwrap
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml

from fake_convex import FakeDeployment
from fake_github import FakeGitHub
from runner_support import (
    CANARY_KEY,
    CANARY_SECRET,
    EXAMPLE,
    REPO_ROOT,
    example_rows,
    generated_crons,
    parse_output,
)

ACTION = REPO_ROOT / "action.yml"

REPOSITORY = "acme/jobs-app"
PULL_REQUEST = 7
GITHUB_TOKEN = "ghs_CANARYZ2l0aHViLXRva2VuLWNhbmFyeQ"
COMMIT = "0123456789abcdef0123456789abcdef01234567"
BLOB_URL = f"https://github.com/{REPOSITORY}/blob/{COMMIT}"

EXPRESSION = re.compile(r"\$\{\{\s*(.*?)\s*\}\}")
REFERENCE = re.compile(r"[A-Za-z_][\w-]*(\.[\w-]+)*")
COMPARISON = re.compile(r"([A-Za-z_][\w.-]*)\s*(==|!=)\s*'([^']*)'")
STATUS_FUNCTIONS = {"success()", "failure()", "always()", "cancelled()", "!cancelled()"}

STAND_IN_PYTHON = '''\
#!{python}
"""Stand-in for the interpreter that actions/setup-python installs, described in test_composite.py."""
import json
import os
import shutil
import sys

REAL_PYTHON = {python!r}
SOURCE = {source!r}
INSTALL_LOG = {install_log!r}

arguments = sys.argv[1:]
if arguments[:2] == ["-m", "venv"] and len(arguments) == 3:
    bin_dir = os.path.join(arguments[2], "bin")
    os.makedirs(bin_dir, exist_ok=True)
    shutil.copy(__file__, os.path.join(bin_dir, "python"))
    with open(os.path.join(bin_dir, "crongate"), "w") as wrapper:
        wrapper.write(
            "#!" + REAL_PYTHON + "\\n"
            "import sys\\n"
            "sys.path.insert(0, " + repr(SOURCE) + ")\\n"
            "from crongate.cli import main\\n"
            "main()\\n"
        )
    for name in ("python", "crongate"):
        os.chmod(os.path.join(bin_dir, name), 0o755)
    sys.exit(0)

if arguments[:3] == ["-m", "pip", "install"]:
    with open(INSTALL_LOG, "a") as log:
        log.write(json.dumps(arguments) + "\\n")
    sys.exit(0)

os.execv(REAL_PYTHON, [REAL_PYTHON, *arguments])
'''


class UnsupportedExpression(AssertionError):
    """An expression in action.yml that this runner stand-in does not evaluate."""


@dataclass
class StepResult:
    name: str
    step_id: str | None
    outcome: str  # "success", "failure" or "skipped"
    stdout: str = ""
    stderr: str = ""
    outputs: dict[str, str] = field(default_factory=dict)
    output_file: str = ""


@dataclass
class Contexts:
    inputs: dict[str, str]
    github: dict[str, str]
    runner: dict[str, str]
    env: dict[str, str]
    steps: dict[str, StepResult] = field(default_factory=dict)


def resolve(reference: str, contexts: Contexts) -> str:
    """Return the value of a context reference such as ``inputs.deploy-key``."""
    if not REFERENCE.fullmatch(reference):
        raise UnsupportedExpression(f"unsupported expression {reference!r}")

    parts = reference.split(".")
    head, rest = parts[0], parts[1:]
    if head == "inputs" and len(rest) == 1:
        if rest[0] not in contexts.inputs:
            raise UnsupportedExpression(f"{reference} names an input that action.yml does not declare")
        return contexts.inputs[rest[0]]
    if head in ("github", "runner") and len(rest) == 1:
        table = getattr(contexts, head)
        if rest[0] not in table:
            raise UnsupportedExpression(f"{reference} is not supported by this runner stand-in")
        return table[rest[0]]
    if head == "env" and len(rest) == 1:
        return contexts.env.get(rest[0], "")
    if head == "steps" and len(rest) == 3 and rest[1] == "outputs":
        if rest[0] not in contexts.steps:
            raise UnsupportedExpression(f"{reference} names step {rest[0]!r}, which has not run before this step")
        return contexts.steps[rest[0]].outputs.get(rest[2], "")
    raise UnsupportedExpression(f"unsupported expression {reference!r}")


def substitute(text: str, contexts: Contexts) -> str:
    """Replace every ``${{ reference }}`` in ``text`` with its value."""
    return EXPRESSION.sub(lambda match: resolve(match.group(1), contexts), text)


def evaluate_condition(condition: str, contexts: Contexts, failed: bool) -> bool:
    """Evaluate an ``if:`` of terms joined by ``&&``. Without a status function, success() applies too."""
    match = EXPRESSION.fullmatch(condition.strip())
    expression = match.group(1) if match else condition.strip()

    terms = [term.strip() for term in expression.split("&&")]
    results = []
    for term in terms:
        if term in STATUS_FUNCTIONS:
            # The runner stand-in never cancels, so cancelled() is always false.
            results.append({"success()": not failed, "failure()": failed, "always()": True,
                            "cancelled()": False, "!cancelled()": True}[term])
            continue
        comparison = COMPARISON.fullmatch(term)
        if comparison is None:
            raise UnsupportedExpression(f"unsupported condition term {term!r}")
        # GitHub compares strings without regard to case.
        equal = resolve(comparison.group(1), contexts).casefold() == comparison.group(3).casefold()
        results.append(equal if comparison.group(2) == "==" else not equal)

    if not any(term in STATUS_FUNCTIONS for term in terms):
        results.append(not failed)
    return all(results)


def read_output_file(path: Path) -> dict[str, str]:
    """Parse a GITHUB_OUTPUT or GITHUB_ENV file: ``name=value`` lines and ``name<<DELIMITER`` blocks."""
    values = {}
    lines = path.read_text(encoding="utf-8").splitlines() if path.exists() else []
    index = 0
    while index < len(lines):
        line = lines[index]
        if "<<" in line and ("=" not in line or line.index("<<") < line.index("=")):
            name, delimiter = line.split("<<", 1)
            end = lines.index(delimiter, index + 1)
            values[name] = "\n".join(lines[index + 1:end])
            index = end + 1
            continue
        if line:
            name, _, value = line.partition("=")
            values[name] = value
        index += 1
    return values


class CompositeRunner:
    """Runs a composite action's steps in one job, keeping the files a runner keeps."""

    def __init__(self, action: Mapping[str, Any], inputs: Mapping[str, str], job_env: Mapping[str, str],
                 workspace: Path, runner_temp: Path, github: Mapping[str, str], stand_in_python: Path) -> None:
        self.action = action
        self.workspace = workspace
        self.runner_temp = runner_temp
        self.job_env = dict(job_env)
        self.stand_in_python = stand_in_python
        self.summaries: list[str] = []
        self.env_files: list[str] = []

        declared = action.get("inputs", {})
        unknown = set(inputs) - set(declared)
        assert not unknown, f"inputs {sorted(unknown)} are not declared in action.yml"

        self.contexts = Contexts(inputs={}, github=dict(github), runner={"temp": str(runner_temp), "os": "Linux"},
                                 env=self.job_env)
        for name, spec in declared.items():
            default = substitute(str(spec.get("default", "")), self.contexts)
            self.contexts.inputs[name] = str(inputs.get(name, default))

    def run(self) -> list[StepResult]:
        results = []
        failed = False
        for index, step in enumerate(self.action["runs"]["steps"]):
            name = step.get("name", f"step {index}")
            if not evaluate_condition(str(step.get("if", "success()")), self.contexts, failed):
                result = StepResult(name, step.get("id"), "skipped")
            elif "uses" in step:
                result = self.run_uses(step, name)
            else:
                result = self.run_script(step, name, index)

            if result.step_id:
                self.contexts.steps[result.step_id] = result
            failed = failed or result.outcome == "failure"
            results.append(result)
        return results

    def run_uses(self, step: Mapping[str, Any], name: str) -> StepResult:
        # The with: values are evaluated too, so a wrong reference in them fails here.
        for value in step.get("with", {}).values():
            substitute(str(value), self.contexts)

        action = step["uses"].split("@")[0]
        if action == "actions/setup-python":
            outputs = {
                "python-path": str(self.stand_in_python),
                "python-version": ".".join(map(str, sys.version_info[:3])),
                "cache-hit": "false",
            }
            return StepResult(name, step.get("id"), "success", outputs=outputs)
        if action == "actions/cache":
            return StepResult(name, step.get("id"), "success", outputs={"cache-hit": "false"})
        raise UnsupportedExpression(f"no stand-in for the action {step['uses']}")

    def run_script(self, step: Mapping[str, Any], name: str, index: int) -> StepResult:
        assert step.get("shell") == "bash", f"step {name!r} needs shell: bash"

        files = self.runner_temp / "_runner_file_commands"
        files.mkdir(exist_ok=True)
        output_file = files / f"set_output_{index}"
        env_file = files / f"set_env_{index}"
        summary_file = files / f"step_summary_{index}"
        for path in (output_file, env_file, summary_file):
            path.write_text("")
        script = files / f"script_{index}.sh"
        script.write_text(step["run"])

        env = dict(self.job_env)
        env.update({key: substitute(str(value), self.contexts) for key, value in step.get("env", {}).items()})
        env.update({
            "GITHUB_OUTPUT": str(output_file),
            "GITHUB_ENV": str(env_file),
            "GITHUB_STEP_SUMMARY": str(summary_file),
        })

        completed = subprocess.run(
            ["bash", "--noprofile", "--norc", "-eo", "pipefail", str(script)],
            cwd=self.workspace, env=env, capture_output=True, text=True, timeout=180, check=False,
        )

        self.job_env.update(read_output_file(env_file))
        self.env_files.append(env_file.read_text(encoding="utf-8"))
        self.summaries.append(summary_file.read_text(encoding="utf-8"))
        outcome = "success" if completed.returncode == 0 else "failure"
        return StepResult(name, step.get("id"), outcome, completed.stdout, completed.stderr,
                          read_output_file(output_file), output_file.read_text(encoding="utf-8"))


@dataclass
class ActionRun:
    """One job that used the action: its step results, files and the services it talked to."""

    steps: list[StepResult]
    runner: CompositeRunner
    workspace: Path
    install_log: Path
    github: FakeGitHub

    def step(self, name: str) -> StepResult:
        return next(result for result in self.steps if result.name == name)

    @property
    def outputs(self) -> dict[str, str]:
        """The action's outputs, evaluated from action.yml's outputs section."""
        return {name: substitute(spec["value"], self.runner.contexts)
                for name, spec in self.runner.action["outputs"].items()}

    @property
    def stdout(self) -> str:
        return "".join(result.stdout for result in self.steps)

    @property
    def summary(self) -> str:
        return "".join(self.runner.summaries)


def write_stand_in_python(directory: Path, install_log: Path) -> Path:
    directory.mkdir(parents=True)
    path = directory / "python"
    path.write_text(STAND_IN_PYTHON.format(python=sys.executable, source=str(REPO_ROOT / "src"),
                                           install_log=str(install_log)))
    path.chmod(path.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    return path


def run_action(tmp_path: Path, github: FakeGitHub, inputs: Mapping[str, str], *,
               event_name: str = "pull_request") -> ActionRun:
    """Run the action in a fresh job: workspace, RUNNER_TEMP, event file and environment."""
    workspace = tmp_path / "workspace"
    runner_temp = tmp_path / "runner-temp"
    runner_temp.mkdir()
    install_log = tmp_path / "pip-install.jsonl"
    stand_in = write_stand_in_python(tmp_path / "setup-python", install_log)

    event_path = tmp_path / "event.json"
    event_path.write_text(json.dumps({
        "number": PULL_REQUEST,
        "pull_request": {
            "number": PULL_REQUEST,
            "head": {"repo": {"full_name": REPOSITORY}},
            "base": {"repo": {"full_name": REPOSITORY}},
        },
    }))

    # A job's environment, built from scratch so that no CONVEX_* variable of the machine
    # running the tests reaches crongate.
    job_env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(tmp_path),
        "LANG": "C.UTF-8",
        "CI": "true",
        "GITHUB_ACTIONS": "true",
        "GITHUB_WORKSPACE": str(workspace),
        "GITHUB_ACTION_PATH": str(REPO_ROOT),
        "GITHUB_EVENT_NAME": event_name,
        "GITHUB_EVENT_PATH": str(event_path),
        "GITHUB_REPOSITORY": REPOSITORY,
        "GITHUB_SERVER_URL": "https://github.com",
        "GITHUB_SHA": COMMIT,
        "GITHUB_API_URL": github.url,
        "RUNNER_TEMP": str(runner_temp),
        "RUNNER_OS": "Linux",
    }
    github_context = {
        "action_path": str(REPO_ROOT),
        "event_name": event_name,
        "token": GITHUB_TOKEN,
    }

    action = yaml.safe_load(ACTION.read_text(encoding="utf-8"))
    runner = CompositeRunner(action, inputs, job_env, workspace, runner_temp, github_context, stand_in)
    steps = runner.run()
    return ActionRun(steps, runner, workspace, install_log, github)


def copy_example(workspace: Path) -> Path:
    """Copy the example app's sources (not node_modules or the snapshot) into the workspace."""
    project = workspace / "examples" / "convex-app"
    shutil.copytree(EXAMPLE / "convex", project / "convex")
    shutil.copy(EXAMPLE / "crongate.yml", project / "crongate.yml")
    return project


# The example's drift, post-deploy, with a pull request comment


@pytest.fixture(scope="module")
def drift_run(tmp_path_factory) -> Iterator[ActionRun]:
    tmp_path = tmp_path_factory.mktemp("drift")
    copy_example(tmp_path / "workspace")
    with FakeDeployment.with_system_jobs(example_rows(), admin_key=CANARY_KEY, internal=True) as deployment, \
            FakeGitHub(GITHUB_TOKEN) as github:
        yield run_action(tmp_path, github, {
            "command": "check",
            "stage": "post-deploy",
            "working-directory": "examples/convex-app",
            "url": deployment.url,
            "deploy-key": CANARY_KEY,
            "junit-path": "reports/crongate-junit.xml",
            "comment": "true",
        })


def test_steps_run_in_order(drift_run):
    outcomes = [(result.name, result.outcome) for result in drift_run.steps]

    assert outcomes == [
        ("Mask the deploy key", "success"),
        ("Set up Python", "success"),
        ("Prepare the crongate virtualenv", "success"),
        ("Cache pip downloads", "success"),
        ("Install crongate", "success"),
        ("Run crongate", "failure"),
        ("Comment on the pull request", "success"),
    ]


def test_install_from_action_path(drift_run):
    (arguments,) = [json.loads(line) for line in drift_run.install_log.read_text().splitlines()]

    assert arguments[:3] == ["-m", "pip", "install"]
    assert arguments[-1] == str(REPO_ROOT)


def test_drift_outputs(drift_run):
    outputs = drift_run.outputs

    assert outputs["result"] == "drift"
    assert outputs["errors"] == "2"
    assert outputs["warnings"] == "1"
    assert outputs["pending"] == "0"
    assert outputs["missing-jobs"] == "1"
    assert outputs["junit-path"] == "reports/crongate-junit.xml"
    assert outputs["json-path"] == str(drift_run.runner.runner_temp / "crongate-report.json")
    assert outputs["summary-path"] == str(drift_run.runner.runner_temp / "crongate-summary.md")


def test_drift_report_files(drift_run):
    report = json.loads(Path(drift_run.outputs["json-path"]).read_text(encoding="utf-8"))

    assert report["result"] == "drift"
    assert (drift_run.workspace / "reports" / "crongate-junit.xml").is_file()


def test_drift_summary_table(drift_run):
    summary = drift_run.summary

    assert summary.startswith("## crongate\n")
    assert "| Status | Job | Schedule | Last run | Finding |" in summary
    assert f"| ❌ error | [proxy-session-renewal]({BLOB_URL}/examples/convex-app/convex/crons.ts#L26) |" in summary
    assert f"| ❌ error | [device-screenshot-capture]({BLOB_URL}/examples/convex-app/convex/crons.ts#L16) |" in summary
    assert "### Orphaned rows (1)" in summary
    assert "| legacy-metrics-rollup | every hour | no |" in summary


def test_summary_written_once(drift_run):
    assert drift_run.summary.count("## crongate\n") == 1


def test_drift_annotations(drift_run):
    log = parse_output(drift_run.step("Run crongate").stdout)

    errors = sorted((a.properties["file"], a.properties["line"], a.properties["title"]) for a in log.annotations("error"))
    warnings = [(a.properties["file"], a.properties["title"]) for a in log.annotations("warning")]
    assert errors == [
        ("examples/convex-app/convex/crons.ts", "16", "job-disabled: device-screenshot-capture"),
        ("examples/convex-app/convex/crons.ts", "26", "missing-job: proxy-session-renewal"),
    ]
    assert warnings == [("examples/convex-app/convex/crons.ts", "orphaned-job: legacy-metrics-rollup")]


def test_key_masked_first(drift_run):
    first = parse_output(drift_run.step("Mask the deploy key").stdout)

    assert first.masks == [CANARY_KEY, CANARY_SECRET]


def test_comment_posted(drift_run):
    (posted,) = drift_run.github.comments_on(REPOSITORY, PULL_REQUEST)

    assert posted["body"].startswith("<!-- crongate-report -->\n## crongate\n")
    assert "| ❌ error | [proxy-session-renewal](" in posted["body"]
    assert f"created comment {posted['id']}" in drift_run.step("Comment on the pull request").stdout


def test_canary_in_no_output(drift_run):
    outputs = {"summary": drift_run.summary, "GITHUB_ENV": "".join(drift_run.runner.env_files)}
    for result in drift_run.steps:
        shown = [line for line in result.stdout.splitlines() if not line.startswith("::add-mask::")]
        outputs[f"{result.name} stdout"] = "\n".join(shown)
        outputs[f"{result.name} stderr"] = result.stderr
        outputs[f"{result.name} GITHUB_OUTPUT"] = result.output_file
    for name in ("crongate-report.json", "crongate-summary.md"):
        outputs[name] = (drift_run.runner.runner_temp / name).read_text(encoding="utf-8")
    outputs["JUnit"] = (drift_run.workspace / "reports" / "crongate-junit.xml").read_text(encoding="utf-8")
    for posted in drift_run.github.all_comments():
        outputs[f"comment {posted['id']}"] = posted["body"]
    for request in drift_run.github.requests:
        outputs[f"GitHub request {request.method} {request.path}"] = request.body.decode("utf-8")

    assert "JUnit" in outputs
    assert any(name.startswith("comment ") for name in outputs)
    for name, text in outputs.items():
        assert CANARY_SECRET not in text, name
        assert GITHUB_TOKEN not in text, name


# More findings than GitHub shows as annotations


@pytest.fixture(scope="module")
def flood_run(tmp_path_factory) -> Iterator[ActionRun]:
    tmp_path = tmp_path_factory.mktemp("flood")
    project = tmp_path / "workspace" / "app"
    (project / "convex").mkdir(parents=True)
    (project / "convex" / "crons.ts").write_text(generated_crons(25))
    with FakeDeployment.with_system_jobs([], admin_key=CANARY_KEY, internal=True) as deployment, \
            FakeGitHub(GITHUB_TOKEN) as github:
        yield run_action(tmp_path, github, {
            "stage": "post-deploy",
            "working-directory": "app",
            "url": deployment.url,
            "deploy-key": CANARY_KEY,
        }, event_name="push")


def test_flood_outputs(flood_run):
    outputs = flood_run.outputs

    assert outputs["result"] == "drift"
    assert outputs["errors"] == "25"
    assert outputs["missing-jobs"] == "25"


def test_flood_overflow_annotation(flood_run):
    errors = parse_output(flood_run.step("Run crongate").stdout).annotations("error")

    assert len(errors) == 10
    assert errors[0].properties == {"file": "app/convex/crons.ts", "line": "5", "col": "1",
                                    "title": "missing-job: job-01"}
    assert errors[9].properties == {"file": "app/convex/crons.ts", "title": "crongate: 16 more errors"}
    assert "step summary" in errors[9].message


def test_flood_summary_lists_all(flood_run):
    summary = flood_run.summary

    assert "### Findings (25)" in summary
    assert "| error | `missing-job` | job-25 |" in summary


def test_no_comment_on_push(flood_run):
    assert flood_run.step("Comment on the pull request").outcome == "skipped"
    assert flood_run.github.requests == []


def test_flood_canary_in_no_output(flood_run):
    for result in flood_run.steps:
        shown = [line for line in result.stdout.splitlines() if not line.startswith("::add-mask::")]
        assert CANARY_SECRET not in "\n".join(shown), result.name
        assert CANARY_SECRET not in result.stderr, result.name
    assert CANARY_SECRET not in flood_run.summary


# The runner stand-in itself


def test_unknown_expression_fails():
    contexts = Contexts(inputs={}, github={}, runner={}, env={})

    with pytest.raises(UnsupportedExpression):
        substitute("${{ secrets.CONVEX_DEPLOY_KEY }}", contexts)


def test_unknown_condition_fails():
    contexts = Contexts(inputs={"comment": "true"}, github={}, runner={}, env={})

    with pytest.raises(UnsupportedExpression):
        evaluate_condition("${{ contains(inputs.comment, 'true') }}", contexts, failed=False)


@pytest.mark.parametrize(
    ("condition", "failed", "expected"),
    [
        ("${{ inputs.comment == 'true' }}", False, True),
        ("${{ inputs.comment == 'true' }}", True, False),
        ("${{ !cancelled() && inputs.comment == 'TRUE' }}", True, True),
        ("${{ always() && inputs.comment != 'true' }}", False, False),
        ("failure()", True, True),
    ],
)
def test_condition_evaluation(condition, failed, expected):
    contexts = Contexts(inputs={"comment": "true"}, github={}, runner={}, env={})

    assert evaluate_condition(condition, contexts, failed) is expected


def test_output_file_parsing(tmp_path):
    path = tmp_path / "output"
    path.write_text(textwrap.dedent("""\
        bin=/tmp/venv/bin
        result<<ghadelimiter_1
        drift
        ghadelimiter_1
        note<<EOF
        a=b
        c
        EOF
        """))

    assert read_output_file(path) == {"bin": "/tmp/venv/bin", "result": "drift", "note": "a=b\nc"}
