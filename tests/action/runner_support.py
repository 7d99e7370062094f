"""Helpers for the action tests: a step's output read as the GitHub runner reads it, and the example's registry.

``parse_output`` follows the runner's rules for workflow commands: a line is a command
when it starts with ``::`` after leading whitespace, ``::stop-commands::<token>`` turns
command processing off until a line ``::<token>::``, and ``::add-mask::`` values are
hidden from the log. The escapes are those of @actions/core's ``escapeData`` and
``escapeProperty``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from example_deployment import example_rows as example_rows  # re-exported for the action tests

REPO_ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = REPO_ROOT / "examples" / "convex-app"
SHARED_SCHEMAS = REPO_ROOT / ".." / "shared" / "schemas"


# A canary in the shape of a Convex deploy key. Neither it nor its secret part may appear
# in any output.
CANARY_SECRET = "CANARYZGVwbG95LWtleS1jYW5hcnktOTg3NjU0MzIx"
CANARY_KEY = f"prod:canary-deployment|{CANARY_SECRET}"

ANNOTATION_LEVELS = ("error", "warning", "notice")


@dataclass(frozen=True)
class WorkflowCommand:
    name: str
    properties: dict[str, str]
    message: str


@dataclass
class StepLog:
    """A step's output as the runner reads it.

    ``commands`` are the commands it runs, ``text`` the other lines outside stop-commands
    blocks (where the legacy ``##[...]`` form would still be read), and ``stopped`` the
    lines inside those blocks.
    """

    commands: list[WorkflowCommand] = field(default_factory=list)
    text: list[str] = field(default_factory=list)
    stopped: list[str] = field(default_factory=list)
    masks: list[str] = field(default_factory=list)

    def annotations(self, level: str | None = None) -> list[WorkflowCommand]:
        levels = ANNOTATION_LEVELS if level is None else (level,)
        return [command for command in self.commands if command.name in levels]


def unescape_data(value: str) -> str:
    return value.replace("%0D", "\r").replace("%0A", "\n").replace("%25", "%")


def unescape_property(value: str) -> str:
    return unescape_data(value.replace("%3A", ":").replace("%2C", ","))


def parse_command(line: str) -> WorkflowCommand | None:
    """Return the command on ``line``, or None when the runner would show the line as text."""
    stripped = line.lstrip()
    if not stripped.startswith("::"):
        return None
    header, separator, message = stripped[2:].partition("::")
    if not separator or not header:
        return None

    name, _, rendered = header.partition(" ")
    properties = {}
    for item in filter(None, rendered.split(",")):
        key, _, value = item.partition("=")
        properties[key] = unescape_property(value)
    return WorkflowCommand(name, properties, unescape_data(message))


def parse_output(output: str) -> StepLog:
    """Read ``output`` as the runner does, honouring ``::stop-commands::`` blocks."""
    log = StepLog()
    stop_token: str | None = None
    for line in output.splitlines():
        if stop_token is not None:
            if line.strip() == f"::{stop_token}::":
                stop_token = None
            else:
                log.stopped.append(line)
            continue

        command = parse_command(line)
        if command is None:
            log.text.append(line)
        elif command.name == "stop-commands":
            stop_token = command.message
        elif command.name == "add-mask":
            log.masks.append(command.message)
        else:
            log.commands.append(command)

    assert stop_token is None, "a ::stop-commands:: block was never closed"
    return log



_CRONS_HEADER = (
    'import { cronJobs } from "convex/server";',
    'import { internal } from "./_generated/api";',
    "",
    "const crons = cronJobs();",
)


def generated_crons(count: int) -> str:
    """Return a crons.ts that registers ``count`` interval jobs named job-01, job-02, ..."""
    lines = list(_CRONS_HEADER)
    for index in range(1, count + 1):
        lines.append(f'crons.interval("job-{index:02d}", {{ minutes: 5 }}, internal.jobs.run{index:02d});')
    lines += ["", "export default crons;", ""]
    return "\n".join(lines)


def generated_job_line(index: int) -> int:
    """Return the line of job ``index``'s registration in ``generated_crons``, counting from 1."""
    return len(_CRONS_HEADER) + index
