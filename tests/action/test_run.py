"""Tests for action/run.py, the script behind the GitHub Action.

The end-to-end tests run the script as the action does, in a subprocess, against a
stub ``crongate`` executable that each test writes to its own bin directory on PATH.
The stub records the arguments and environment it got, writes the JSON report it is
given, and exits with the code it is given.
"""

from __future__ import annotations

import importlib.util
import json
import os
import stat
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
RUN_SCRIPT = REPO_ROOT / "action" / "run.py"

DEPLOY_KEY = "prod:happy-otter-123|eyJ2MiI6ImFiY2RlZjAxMjM0NTY3ODkifQ=="
SECRET_PART = "eyJ2MiI6ImFiY2RlZjAxMjM0NTY3ODkifQ=="

DRIFT_REPORT = {
    "version": 1,
    "result": "drift",
    "gate": "failed",
    "counts": {"error": 2, "warning": 1, "pending": 0},
    "missing_jobs": 1,
}

STUB_SOURCE = """\
#!{python}
import json
import os
import sys
from pathlib import Path

here = Path(__file__).resolve().parent
behaviour = json.loads((here / "behaviour.json").read_text())
arguments = sys.argv[1:]

with (here / "calls.jsonl").open("a") as calls:
    recorded_env = {{k: v for k, v in os.environ.items() if k.startswith(("CONVEX_", "CRONGATE_"))}}
    calls.write(json.dumps({{"argv": arguments, "env": recorded_env}}) + "\\n")

report_option = "--json" if "--json" in arguments else "--output"
if behaviour.get("report") is not None and report_option in arguments:
    Path(arguments[arguments.index(report_option) + 1]).write_text(json.dumps(behaviour["report"]))
if behaviour.get("junit") and "--junit" in arguments:
    Path(arguments[arguments.index("--junit") + 1]).write_text("<testsuites/>")
if behaviour.get("summary") is not None and "--summary" in arguments:
    with Path(arguments[arguments.index("--summary") + 1]).open("a") as summary:
        summary.write(behaviour["summary"])

print("stub crongate ran")
sys.exit(behaviour["exit_code"])
"""


def load_run_module():
    spec = importlib.util.spec_from_file_location("crongate_action_run", RUN_SCRIPT)
    module = importlib.util.module_from_spec(spec)
    # dataclasses look the module up by name while the class body runs.
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


run = load_run_module()


class Stub:
    """A stub crongate in ``bin_dir``, and what it recorded."""

    def __init__(self, bin_dir: Path) -> None:
        self.bin_dir = bin_dir

    def behave(self, exit_code: int, report: dict | None = None, junit: bool = False,
               summary: str | None = None) -> None:
        behaviour = {"exit_code": exit_code, "report": report, "junit": junit, "summary": summary}
        (self.bin_dir / "behaviour.json").write_text(json.dumps(behaviour))

    def calls(self) -> list[dict]:
        path = self.bin_dir / "calls.jsonl"
        if not path.exists():
            return []
        return [json.loads(line) for line in path.read_text().splitlines()]


@pytest.fixture
def stub(tmp_path: Path) -> Stub:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    executable = bin_dir / "crongate"
    executable.write_text(STUB_SOURCE.format(python=sys.executable))
    executable.chmod(executable.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    result = Stub(bin_dir)
    result.behave(exit_code=0, report={**DRIFT_REPORT, "result": "in-sync", "gate": "passed",
                                       "counts": {"error": 0, "warning": 0, "pending": 0},
                                       "missing_jobs": 0})
    return result


def action_env(tmp_path: Path, stub: Stub | None, **inputs: str) -> dict[str, str]:
    """Return the environment the action's run step would have, with the given inputs."""
    output_file = tmp_path / "github_output"
    output_file.touch()
    runner_temp = tmp_path / "runner_temp"
    runner_temp.mkdir(exist_ok=True)

    env = {
        "PATH": str(stub.bin_dir) if stub else str(tmp_path / "empty-bin"),
        "GITHUB_OUTPUT": str(output_file),
        "RUNNER_TEMP": str(runner_temp),
    }
    for name, value in inputs.items():
        env["CRONGATE_INPUT_" + name.upper()] = value
    return env


def run_action(tmp_path: Path, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(RUN_SCRIPT)],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def read_outputs(tmp_path: Path) -> dict[str, str]:
    """Parse $GITHUB_OUTPUT as the runner does: name<<DELIMITER, value lines, DELIMITER."""
    lines = (tmp_path / "github_output").read_text().splitlines()
    outputs = {}
    index = 0
    while index < len(lines):
        name, _, delimiter = lines[index].partition("<<")
        end = lines.index(delimiter, index + 1)
        outputs[name] = "\n".join(lines[index + 1:end])
        index = end + 1
    return outputs


# Import and argument building


def test_import_has_no_side_effects(capsys):
    load_run_module()

    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err == ""


def test_check_defaults_to_pre_deploy():
    inputs = run.parse_inputs({})

    arguments = run.build_arguments(inputs, {}, "/tmp/report.json")

    assert arguments == ["check", ".", "--pre-deploy", "--json", "/tmp/report.json"]


def test_post_deploy_drops_pre_deploy():
    inputs = run.parse_inputs({"CRONGATE_INPUT_STAGE": "post-deploy"})

    arguments = run.build_arguments(inputs, {}, "r.json")

    assert "--pre-deploy" not in arguments


def test_check_passes_every_option():
    inputs = run.parse_inputs({
        "CRONGATE_INPUT_WORKING_DIRECTORY": "examples/convex-app",
        "CRONGATE_INPUT_CONFIG": "ci/crongate.yml",
        "CRONGATE_INPUT_URL": "https://happy-otter-123.convex.cloud",
        "CRONGATE_INPUT_FAIL_ON": "warning",
        "CRONGATE_INPUT_JUNIT_PATH": "reports/crongate.xml",
    })

    arguments = run.build_arguments(inputs, {}, "r.json")

    assert arguments == [
        "check", "examples/convex-app",
        "--config", "ci/crongate.yml",
        "--url", "https://happy-otter-123.convex.cloud",
        "--fail-on", "warning",
        "--pre-deploy",
        "--json", "r.json",
        "--junit", "reports/crongate.xml",
    ]


def test_migrate_apply_with_plan():
    inputs = run.parse_inputs({
        "CRONGATE_INPUT_COMMAND": "migrate",
        "CRONGATE_INPUT_APPLY": "True",
        "CRONGATE_INPUT_PLAN": "plan.json",
    })

    arguments = run.build_arguments(inputs, {}, "r.json")

    assert arguments == ["migrate", ".", "--apply", "--plan", "plan.json", "--format", "json", "--output", "r.json"]


def test_migrate_dry_run_saves_plan():
    inputs = run.parse_inputs({"CRONGATE_INPUT_COMMAND": "migrate", "CRONGATE_INPUT_PLAN": "plan.json"})

    arguments = run.build_arguments(inputs, {}, "r.json")

    assert arguments == ["migrate", ".", "--plan-out", "plan.json", "--format", "json", "--output", "r.json"]


def test_check_plan_saves_plan():
    inputs = run.parse_inputs({"CRONGATE_INPUT_PLAN": "plan.json"})

    arguments = run.build_arguments(inputs, {}, "r.json")

    assert arguments[arguments.index("--plan-out") + 1] == "plan.json"


def test_migrate_gets_no_annotations():
    inputs = run.parse_inputs({"CRONGATE_INPUT_COMMAND": "migrate"})

    arguments = run.build_arguments(inputs, {"GITHUB_ACTIONS": "true"}, "r.json")

    assert "--annotations" not in arguments


def test_migrate_junit_rejected():
    with pytest.raises(run.InputError) as raised:
        run.parse_inputs({"CRONGATE_INPUT_COMMAND": "migrate", "CRONGATE_INPUT_JUNIT_PATH": "j.xml"})

    assert "command: check" in str(raised.value)


def test_migrate_ignores_stage():
    inputs = run.parse_inputs({"CRONGATE_INPUT_COMMAND": "migrate", "CRONGATE_INPUT_STAGE": "pre-deploy"})

    arguments = run.build_arguments(inputs, {}, "r.json")

    assert "--pre-deploy" not in arguments


def test_github_environment_adds_summary_and_annotations():
    inputs = run.parse_inputs({})
    environ = {"GITHUB_ACTIONS": "true", "GITHUB_STEP_SUMMARY": "/runner/summary.md"}

    arguments = run.build_arguments(inputs, environ, "r.json")

    assert arguments[-3:] == ["--summary", "/runner/summary.md", "--annotations"]


def test_deploy_key_never_in_arguments():
    inputs = run.parse_inputs({"CRONGATE_INPUT_DEPLOY_KEY": DEPLOY_KEY})

    arguments = run.build_arguments(inputs, {}, "r.json")

    assert not any(SECRET_PART in argument for argument in arguments)


@pytest.mark.parametrize(
    ("variable", "value", "fragment"),
    [
        ("CRONGATE_INPUT_COMMAND", "deploy", "input command is 'deploy'"),
        ("CRONGATE_INPUT_STAGE", "during-deploy", "input stage is 'during-deploy'"),
        ("CRONGATE_INPUT_FAIL_ON", "fatal", "input fail-on is 'fatal'"),
        ("CRONGATE_INPUT_APPLY", "yes", "input apply is 'yes'"),
        ("CRONGATE_INPUT_COMMENT", "1", "input comment is '1'"),
    ],
)
def test_invalid_input_rejected(variable, value, fragment):
    with pytest.raises(run.InputError) as raised:
        run.parse_inputs({variable: value})

    assert fragment in str(raised.value)


def test_apply_on_check_rejected():
    with pytest.raises(run.InputError) as raised:
        run.parse_inputs({"CRONGATE_INPUT_APPLY": "true"})

    assert "command: migrate" in str(raised.value)


def test_child_environment_moves_key():
    inputs = run.parse_inputs({"CRONGATE_INPUT_DEPLOY_KEY": DEPLOY_KEY})
    environ = {"CRONGATE_INPUT_DEPLOY_KEY": DEPLOY_KEY, "HOME": "/home/runner"}

    environment = run.child_environment(inputs, environ)

    assert environment == {"CONVEX_DEPLOY_KEY": DEPLOY_KEY, "HOME": "/home/runner"}


def test_child_environment_keeps_job_key():
    inputs = run.parse_inputs({})

    environment = run.child_environment(inputs, {"CONVEX_DEPLOY_KEY": "dev:from-job|secret"})

    assert environment["CONVEX_DEPLOY_KEY"] == "dev:from-job|secret"


# Masking


def test_mask_key_and_secret_part():
    assert run.mask_commands(DEPLOY_KEY) == [f"::add-mask::{DEPLOY_KEY}", f"::add-mask::{SECRET_PART}"]


def test_mask_key_without_separator():
    assert run.mask_commands("bold-hyena-681") == ["::add-mask::bold-hyena-681"]


def test_mask_nothing_without_key():
    assert run.mask_commands("") == []


def test_mask_escapes_command_data():
    assert run.mask_commands("a%b\nc") == ["::add-mask::a%25b%0Ac"]


def test_masking_comes_first(tmp_path, stub):
    env = action_env(tmp_path, stub, deploy_key=DEPLOY_KEY)

    completed = run_action(tmp_path, env)

    lines = completed.stdout.splitlines()
    assert lines[:2] == [f"::add-mask::{DEPLOY_KEY}", f"::add-mask::{SECRET_PART}"]


def test_key_appears_only_in_masks(tmp_path, stub):
    env = action_env(tmp_path, stub, deploy_key=DEPLOY_KEY)

    completed = run_action(tmp_path, env)

    other_lines = [line for line in completed.stdout.splitlines() if not line.startswith("::add-mask::")]
    assert not any(SECRET_PART in line for line in other_lines)
    assert SECRET_PART not in completed.stderr
    assert SECRET_PART not in (tmp_path / "github_output").read_text()


def test_masking_precedes_input_errors(tmp_path, stub):
    env = action_env(tmp_path, stub, deploy_key=DEPLOY_KEY, command="deploy")

    completed = run_action(tmp_path, env)

    assert completed.stdout.splitlines()[0] == f"::add-mask::{DEPLOY_KEY}"


def test_key_reaches_crongate_once(tmp_path, stub):
    env = action_env(tmp_path, stub, deploy_key=f"  {DEPLOY_KEY}\n")

    run_action(tmp_path, env)

    recorded_env = stub.calls()[0]["env"]
    assert recorded_env == {"CONVEX_DEPLOY_KEY": DEPLOY_KEY}


# Outputs and exit codes, end to end


@pytest.mark.parametrize("exit_code", [0, 1, 2, 3])
def test_exit_code_passes_through(tmp_path, stub, exit_code):
    stub.behave(exit_code=exit_code, report=DRIFT_REPORT)
    env = action_env(tmp_path, stub)

    completed = run_action(tmp_path, env)

    assert completed.returncode == exit_code


def test_drift_outputs(tmp_path, stub):
    stub.behave(exit_code=1, report=DRIFT_REPORT)
    env = action_env(tmp_path, stub, working_directory="examples/convex-app")

    run_action(tmp_path, env)

    outputs = read_outputs(tmp_path)
    assert outputs["result"] == "drift"
    assert outputs["errors"] == "2"
    assert outputs["warnings"] == "1"
    assert outputs["pending"] == "0"
    assert outputs["missing-jobs"] == "1"
    assert outputs["json-path"] == str(tmp_path / "runner_temp" / "crongate-report.json")
    assert outputs["junit-path"] == ""


def test_in_sync_outputs(tmp_path, stub):
    env = action_env(tmp_path, stub)

    completed = run_action(tmp_path, env)

    outputs = read_outputs(tmp_path)
    assert completed.returncode == 0
    assert outputs["result"] == "in-sync"
    assert outputs["errors"] == "0"


def test_output_names_match_action_yml():
    import yaml

    action = yaml.safe_load((REPO_ROOT / "action.yml").read_text())

    assert set(action["outputs"]) == set(run.OUTPUT_NAMES)


def test_report_paths_from_inputs(tmp_path, stub):
    stub.behave(exit_code=0, report=DRIFT_REPORT, junit=True)
    env = action_env(tmp_path, stub, json_path="out/report.json", junit_path="out/junit.xml")
    (tmp_path / "out").mkdir()

    run_action(tmp_path, env)

    outputs = read_outputs(tmp_path)
    argv = stub.calls()[0]["argv"]
    assert argv[argv.index("--json") + 1] == "out/report.json"
    assert outputs["json-path"] == "out/report.json"
    assert outputs["junit-path"] == "out/junit.xml"


def test_target_error_outputs(tmp_path, stub):
    stub.behave(exit_code=3, report=None)
    env = action_env(tmp_path, stub)

    run_action(tmp_path, env)

    outputs = read_outputs(tmp_path)
    assert outputs["result"] == "error"
    assert outputs["errors"] == ""
    assert outputs["missing-jobs"] == ""
    assert outputs["json-path"] == ""


def test_stale_report_not_reused(tmp_path, stub):
    stub.behave(exit_code=1, report=None)
    env = action_env(tmp_path, stub, json_path="report.json")
    (tmp_path / "report.json").write_text(json.dumps({**DRIFT_REPORT, "result": "in-sync"}))

    run_action(tmp_path, env)

    assert read_outputs(tmp_path)["result"] == "error"


def test_unreadable_report_is_error(tmp_path, stub):
    stub.behave(exit_code=1, report={"result": "drift"})
    env = action_env(tmp_path, stub)

    completed = run_action(tmp_path, env)

    assert read_outputs(tmp_path)["result"] == "error"
    assert "could not be read" in completed.stdout


def test_invalid_input_exits_2(tmp_path, stub):
    env = action_env(tmp_path, stub, fail_on="fatal")

    completed = run_action(tmp_path, env)

    assert completed.returncode == 2
    assert stub.calls() == []
    assert read_outputs(tmp_path) == {"result": "error"}
    assert "::error::input fail-on is 'fatal'" in completed.stdout


def test_missing_crongate_exits_2(tmp_path):
    env = action_env(tmp_path, None)

    completed = run_action(tmp_path, env)

    assert completed.returncode == 2
    assert read_outputs(tmp_path)["result"] == "error"
    assert "crongate was not found on PATH" in completed.stdout


def test_summary_file_argument():
    inputs = run.parse_inputs({})
    environ = {"GITHUB_ACTIONS": "true", "GITHUB_STEP_SUMMARY": "/runner/summary.md"}

    arguments = run.build_arguments(inputs, environ, "r.json", "/runner/temp/crongate-summary.md")

    assert arguments[arguments.index("--summary") + 1] == "/runner/temp/crongate-summary.md"
    assert "/runner/summary.md" not in arguments


def test_summary_reaches_step_summary(tmp_path, stub):
    stub.behave(exit_code=1, report=DRIFT_REPORT, summary="## crongate\n")
    env = action_env(tmp_path, stub)
    step_summary = tmp_path / "step_summary.md"
    step_summary.write_text("earlier step\n")
    env["GITHUB_STEP_SUMMARY"] = str(step_summary)

    run_action(tmp_path, env)

    summary_path = tmp_path / "runner_temp" / "crongate-summary.md"
    assert read_outputs(tmp_path)["summary-path"] == str(summary_path)
    assert summary_path.read_text() == "## crongate\n"
    assert step_summary.read_text() == "earlier step\n## crongate\n"


def test_stale_summary_removed(tmp_path, stub):
    stub.behave(exit_code=3, report=None)
    env = action_env(tmp_path, stub)
    (tmp_path / "runner_temp" / "crongate-summary.md").write_text("## from an earlier run\n")

    run_action(tmp_path, env)

    assert read_outputs(tmp_path)["summary-path"] == ""
    assert not (tmp_path / "runner_temp" / "crongate-summary.md").exists()


def test_comment_input_prints_nothing(tmp_path, stub):
    env = action_env(tmp_path, stub, comment="true")

    completed = run_action(tmp_path, env)

    assert completed.returncode == 0
    assert "::notice::" not in completed.stdout


def test_outside_actions_writes_no_outputs(tmp_path, stub):
    env = action_env(tmp_path, stub)
    del env["GITHUB_OUTPUT"]

    completed = run_action(tmp_path, env)

    assert completed.returncode == 0
    assert (tmp_path / "github_output").read_text() == ""


@pytest.mark.skipif(os.name != "posix", reason="signals are POSIX only")
def test_signal_maps_to_shell_code(tmp_path, stub):
    (stub.bin_dir / "crongate").write_text(textwrap.dedent(f"""\
        #!{sys.executable}
        import os, signal
        os.kill(os.getpid(), signal.SIGTERM)
        """))
    env = action_env(tmp_path, stub)

    completed = run_action(tmp_path, env)

    assert completed.returncode == 128 + 15


MIGRATE_DRY_RUN = {"mode": "dry-run", "plan": {"actions": [{"id": "a1"}]}, "apply": None}
MIGRATE_APPLIED = {"mode": "apply", "plan": {"actions": [{"id": "a1"}]}, "apply": {"complete": True}}
MIGRATE_EMPTY = {"mode": "dry-run", "plan": {"actions": []}, "apply": None}
MIGRATE_LEFT_WORK = {"mode": "apply", "plan": {"actions": [{"id": "a1"}]}, "apply": {"complete": False}}


@pytest.mark.parametrize(
    ("report", "exit_code", "result"),
    [
        (MIGRATE_DRY_RUN, 0, "drift"),
        (MIGRATE_EMPTY, 0, "in-sync"),
        (MIGRATE_APPLIED, 0, "in-sync"),
        (MIGRATE_LEFT_WORK, 1, "drift"),
        ({"mode": "dry-run"}, 0, "error"),
    ],
)
def test_migrate_result(tmp_path, stub, report, exit_code, result):
    stub.behave(exit_code=exit_code, report=report)
    env = action_env(tmp_path, stub, command="migrate")

    run_action(tmp_path, env)

    outputs = read_outputs(tmp_path)
    assert outputs["result"] == result
    assert outputs["errors"] == ""


# The real crongate on the example app, through a wrapper that runs it from src/.


@pytest.fixture
def real_crongate(tmp_path: Path) -> Stub:
    bin_dir = tmp_path / "real-bin"
    bin_dir.mkdir()
    wrapper = bin_dir / "crongate"
    wrapper.write_text(textwrap.dedent(f"""\
        #!{sys.executable}
        import sys
        sys.path.insert(0, {str(REPO_ROOT / "src")!r})
        from crongate.cli import main
        main()
        """))
    wrapper.chmod(wrapper.stat().st_mode | stat.S_IXUSR)
    return Stub(bin_dir)


def test_example_app_post_deploy(tmp_path, real_crongate):
    env = action_env(tmp_path, real_crongate, stage="post-deploy",
                     working_directory=str(REPO_ROOT / "examples" / "convex-app"))

    completed = run_action(tmp_path, env)

    outputs = read_outputs(tmp_path)
    assert completed.returncode == 1, completed.stderr
    assert outputs["result"] == "drift"
    assert outputs["errors"] == "2"
    assert outputs["warnings"] == "1"
    assert outputs["missing-jobs"] == "1"


def test_example_app_pre_deploy(tmp_path, real_crongate):
    env = action_env(tmp_path, real_crongate, working_directory=str(REPO_ROOT / "examples" / "convex-app"))

    completed = run_action(tmp_path, env)

    outputs = read_outputs(tmp_path)
    assert completed.returncode == 0, completed.stderr
    assert outputs["result"] == "drift"
    assert outputs["missing-jobs"] == "0"
    assert int(outputs["pending"]) >= 1
