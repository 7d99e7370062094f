"""Run crongate for the GitHub Action and publish its verdict as step outputs.

action.yml passes every input through an environment variable named
``CRONGATE_INPUT_<NAME>`` (upper case, ``-`` as ``_``), so no input is ever pasted
into shell text. This script masks the deploy key, builds crongate's argument list,
runs ``crongate`` from PATH and writes the outputs to ``$GITHUB_OUTPUT``. crongate
writes its Markdown summary to a file under ``RUNNER_TEMP``, which this script appends
to ``$GITHUB_STEP_SUMMARY`` and which the comment step posts. It exits
with crongate's exit code: 0 in sync, 1 gate failed, 2 usage or configuration
error, 3 the deployment could not be read.

Standard library only, because it runs before anything else is installed, and it
does nothing at import time so that tests can import it.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

EXIT_USAGE = 2

COMMANDS = ("check", "migrate")
STAGES = ("pre-deploy", "post-deploy")
FAIL_ON = ("error", "warning", "never")

# The outputs declared in action.yml, in the order they are written.
OUTPUT_NAMES = ("result", "errors", "warnings", "pending", "missing-jobs", "junit-path", "json-path", "summary-path")


class InputError(Exception):
    """An action input with a value that crongate cannot take."""


@dataclass(frozen=True)
class ActionInputs:
    """The action's inputs, validated. Empty strings mean "not set"."""

    command: str = "check"
    stage: str = "pre-deploy"
    working_directory: str = "."
    config: str = ""
    url: str = ""
    deploy_key: str = ""
    fail_on: str = ""
    apply: bool = False
    plan: str = ""
    junit_path: str = ""
    json_path: str = ""
    comment: bool = False


def read_input(environ: Mapping[str, str], name: str) -> str:
    """Return the input ``name`` from ``CRONGATE_INPUT_<NAME>``, stripped of surrounding whitespace."""
    variable = "CRONGATE_INPUT_" + name.upper().replace("-", "_")
    return environ.get(variable, "").strip()


def parse_bool(name: str, value: str) -> bool:
    """Parse a boolean input the way GitHub writes them: "true" or "false", any case, or empty for false."""
    lowered = value.lower()
    if lowered in ("", "false"):
        return False
    if lowered == "true":
        return True
    raise InputError(f"input {name} is {value!r}; expected true or false")


def parse_choice(name: str, value: str, choices: Sequence[str], default: str) -> str:
    """Return ``value`` if it is one of ``choices``, ``default`` if it is empty."""
    if value == "":
        return default
    if value not in choices:
        raise InputError(f"input {name} is {value!r}; expected one of {', '.join(choices)}")
    return value


def parse_inputs(environ: Mapping[str, str]) -> ActionInputs:
    """Read and validate every input, raising InputError for the first invalid one."""
    command = parse_choice("command", read_input(environ, "command"), COMMANDS, "check")
    inputs = ActionInputs(
        command=command,
        stage=parse_choice("stage", read_input(environ, "stage"), STAGES, "pre-deploy"),
        working_directory=read_input(environ, "working-directory") or ".",
        config=read_input(environ, "config"),
        url=read_input(environ, "url"),
        deploy_key=read_input(environ, "deploy-key"),
        fail_on=parse_choice("fail-on", read_input(environ, "fail-on"), FAIL_ON, ""),
        apply=parse_bool("apply", read_input(environ, "apply")),
        plan=read_input(environ, "plan"),
        junit_path=read_input(environ, "junit-path"),
        json_path=read_input(environ, "json-path"),
        comment=parse_bool("comment", read_input(environ, "comment")),
    )

    # check never writes, so an apply on it is a mistake worth stopping for.
    if inputs.command == "check" and inputs.apply:
        raise InputError("input apply is true, but command is check; set command: migrate to apply a plan")
    if inputs.command == "migrate" and inputs.junit_path:
        raise InputError("input junit-path is set, but migrate writes no JUnit report; use it with command: check")

    return inputs


def escape_data(value: str) -> str:
    """Escape a workflow command's message as GitHub's @actions/core toolkit does."""
    return value.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def mask_commands(deploy_key: str) -> list[str]:
    """Return the ``::add-mask::`` commands that hide a deploy key in the job log.

    A Convex deploy key is ``<type>:<deployment>|<secret>``. The part after ``|`` is
    masked on its own as well, because that is the part that grants access, and a
    tool may print it without the prefix.
    """
    if not deploy_key:
        return []

    secrets = [deploy_key]
    _, separator, secret_part = deploy_key.partition("|")
    if separator and secret_part:
        secrets.append(secret_part)

    return [f"::add-mask::{escape_data(secret)}" for secret in secrets]


def default_json_path(environ: Mapping[str, str]) -> str:
    """Return where the JSON report goes when the json-path input is empty."""
    directory = environ.get("RUNNER_TEMP") or tempfile.gettempdir()
    return os.path.join(directory, "crongate-report.json")


def default_summary_path(environ: Mapping[str, str]) -> str:
    """Return where crongate writes its Markdown summary for the job summary and the pull request comment."""
    directory = environ.get("RUNNER_TEMP") or tempfile.gettempdir()
    return os.path.join(directory, "crongate-summary.md")


def build_arguments(inputs: ActionInputs, environ: Mapping[str, str], json_path: str, summary_path: str = "") -> list[str]:
    """Build crongate's argument list, without the program name.

    The plan input means "save the plan here" (``--plan-out``) unless migrate applies,
    where it means "apply this reviewed plan" (``--plan``).
    """
    arguments = [inputs.command, inputs.working_directory]

    if inputs.config:
        arguments += ["--config", inputs.config]
    if inputs.url:
        arguments += ["--url", inputs.url]
    if inputs.fail_on:
        arguments += ["--fail-on", inputs.fail_on]

    if inputs.command == "check" and inputs.stage == "pre-deploy":
        arguments.append("--pre-deploy")
    if inputs.command == "migrate" and inputs.apply:
        arguments.append("--apply")
    if inputs.plan:
        applies_plan = inputs.command == "migrate" and inputs.apply
        arguments += ["--plan" if applies_plan else "--plan-out", inputs.plan]

    # The JSON report is always written, because the step outputs are read from it.
    # migrate has no --json; its JSON report is its main output in JSON format.
    if inputs.command == "check":
        arguments += ["--json", json_path]
    else:
        arguments += ["--format", "json", "--output", json_path]
    if inputs.junit_path:
        arguments += ["--junit", inputs.junit_path]

    # An explicit --summary also keeps crongate from appending to $GITHUB_STEP_SUMMARY
    # itself, so the summary reaches the job summary once, through publish_summary.
    if summary_path:
        arguments += ["--summary", summary_path]
    elif environ.get("GITHUB_STEP_SUMMARY"):
        arguments += ["--summary", environ["GITHUB_STEP_SUMMARY"]]
    if inputs.command == "check" and environ.get("GITHUB_ACTIONS") == "true":
        arguments.append("--annotations")

    return arguments


def child_environment(inputs: ActionInputs, environ: Mapping[str, str]) -> dict[str, str]:
    """Return crongate's environment: the deploy key moves to CONVEX_DEPLOY_KEY, where crongate reads it.

    The action's own input variables are left out, so the key reaches crongate in one
    variable only. Without a deploy-key input, a CONVEX_DEPLOY_KEY set on the job is kept.
    """
    environment = {name: value for name, value in environ.items() if not name.startswith("CRONGATE_INPUT_")}
    if inputs.deploy_key:
        environment["CONVEX_DEPLOY_KEY"] = inputs.deploy_key
    return environment


def outputs_from_report(command: str, json_path: str, exit_code: int) -> dict[str, str]:
    """Return the result and count outputs, read from crongate's JSON report.

    The result is "error" when crongate could not judge (exit code 2 or 3, or any code
    other than 0 and 1), or when the report is missing or unreadable. The counts are then
    empty, because no count is known. They are always empty for migrate, whose
    report contains a plan rather than findings.
    """
    outputs = {"result": "error", "errors": "", "warnings": "", "pending": "", "missing-jobs": ""}
    if exit_code not in (0, 1):
        return outputs

    try:
        with open(json_path, encoding="utf-8") as stream:
            report = json.load(stream)
        if command == "check":
            counts = report["counts"]
            counted = {
                "errors": str(int(counts["error"])),
                "warnings": str(int(counts["warning"])),
                "pending": str(int(counts["pending"])),
                "missing-jobs": str(int(report["missing_jobs"])),
            }
            result = report["result"]
        else:
            counted = {}
            result = migrate_result(report)
    except (OSError, ValueError, KeyError, TypeError) as error:
        print(f"::warning::crongate's JSON report {escape_data(json_path)} could not be read: {escape_data(str(error))}")
        return outputs

    if result not in ("in-sync", "drift"):
        print(f"::warning::crongate's JSON report has an unknown result {escape_data(repr(result))}")
        return outputs

    outputs.update(counted)
    outputs["result"] = result
    return outputs


def migrate_result(report: Mapping[str, object]) -> str:
    """Return "in-sync" when migrate left nothing to do, else "drift".

    After an apply that is whether every action completed; after a dry run, whether the
    plan is empty.
    """
    applied = report["apply"]
    if applied is not None:
        return "in-sync" if applied["complete"] is True else "drift"
    return "in-sync" if not report["plan"]["actions"] else "drift"


def write_outputs(outputs: Mapping[str, str], environ: Mapping[str, str]) -> None:
    """Append the outputs to ``$GITHUB_OUTPUT`` in its multi-line form, or do nothing outside Actions.

    Each value is framed by a random delimiter, so a value can never end the frame early
    or add another output, whatever text it holds.
    """
    output_file = environ.get("GITHUB_OUTPUT")
    if not output_file:
        return

    with open(output_file, "a", encoding="utf-8") as stream:
        for name in OUTPUT_NAMES:
            if name not in outputs:
                continue
            delimiter = f"ghadelimiter_{uuid.uuid4()}"
            stream.write(f"{name}<<{delimiter}\n{outputs[name]}\n{delimiter}\n")


def publish_summary(summary_path: str, environ: Mapping[str, str]) -> None:
    """Append crongate's summary file to ``$GITHUB_STEP_SUMMARY``, if both exist."""
    step_summary = environ.get("GITHUB_STEP_SUMMARY")
    if not step_summary or not os.path.exists(summary_path):
        return

    with open(summary_path, encoding="utf-8") as source, open(step_summary, "a", encoding="utf-8") as target:
        shutil.copyfileobj(source, target)


def run_crongate(arguments: Sequence[str], environment: Mapping[str, str]) -> int:
    """Run crongate from PATH with its output passed straight through, and return its exit code."""
    executable = shutil.which("crongate", path=environment.get("PATH"))
    if executable is None:
        print("::error::crongate was not found on PATH; the action's install step did not run or failed")
        return EXIT_USAGE

    completed = subprocess.run([executable, *arguments], env=dict(environment), check=False)

    # A negative code means crongate was killed by a signal; report it as a shell would.
    if completed.returncode < 0:
        return 128 - completed.returncode
    return completed.returncode


def main(environ: Mapping[str, str] | None = None) -> int:
    """Mask the key, run crongate, publish the outputs, and return crongate's exit code."""
    environ = dict(os.environ if environ is None else environ)

    # Masking comes first, before any other line reaches the log.
    for command in mask_commands(read_input(environ, "deploy-key")):
        print(command, flush=True)

    try:
        inputs = parse_inputs(environ)
    except InputError as error:
        print(f"::error::{escape_data(str(error))}", flush=True)
        write_outputs({"result": "error"}, environ)
        return EXIT_USAGE

    json_path = inputs.json_path or default_json_path(environ)
    summary_path = default_summary_path(environ)

    # Reports left from an earlier run must not be mistaken for this run's, and crongate
    # appends to the summary file rather than replacing it.
    for stale in (json_path, summary_path):
        try:
            os.remove(stale)
        except FileNotFoundError:
            pass

    arguments = build_arguments(inputs, environ, json_path, summary_path)
    print(f"running: crongate {' '.join(arguments)}", flush=True)
    exit_code = run_crongate(arguments, child_environment(inputs, environ))
    publish_summary(summary_path, environ)

    outputs = outputs_from_report(inputs.command, json_path, exit_code)
    outputs["json-path"] = json_path if os.path.exists(json_path) else ""
    outputs["junit-path"] = inputs.junit_path if inputs.junit_path and os.path.exists(inputs.junit_path) else ""
    outputs["summary-path"] = summary_path if os.path.exists(summary_path) else ""
    write_outputs(outputs, environ)

    return exit_code


if __name__ == "__main__":
    sys.exit(main())
