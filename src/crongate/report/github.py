"""GitHub Actions workflow commands: one annotation per finding, then a full plain listing.

Annotations use the ``::error file=F,line=L,col=C,title=T::MESSAGE`` form, escaped the way
the @actions/core toolkit escapes them (``escapeData`` and ``escapeProperty`` in
``packages/core/src/command.ts``), so no value can end the command or start a new one.

GitHub shows at most 10 error and 10 warning annotations per step, so the reporter emits at
most ``max_annotations_per_severity`` of each level. When a level has more, the last slot
goes to one annotation that gives the number not shown and points to the step summary.

After the annotations comes a listing of every finding in plain text. It is written
between ``::stop-commands::<token>`` and ``::<token>::`` with a random token, so that
text from the deployment or the manifest that looks like a workflow command stays text.
The annotations themselves must stay outside that block, since the runner ignores every
command while commands are stopped. The CLI wraps its text report on stdout the same way
with ``stop_commands``, because the runner reads commands from every line of a step's
output, after leading whitespace.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from typing import TextIO

from crongate.model import CheckResult, CronJob, Finding, Severity
from crongate.report.common import (
    PENDING_LABEL,
    all_findings,
    clean_block,
    clean_line,
    finding_location,
    group_findings,
    plural,
    repo_path,
    verdict_text,
)
from crongate.report.interface import ReportContext, Reporter


def escape_data(value: str) -> str:
    """Escape a workflow command's message as @actions/core's ``escapeData`` does."""
    return value.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(value: str) -> str:
    """Escape a workflow command's property value as @actions/core's ``escapeProperty`` does."""
    return escape_data(value).replace(":", "%3A").replace(",", "%2C")


def stop_commands(text: str) -> str:
    """Return ``text`` between ``::stop-commands::<token>`` and ``::<token>::``, so the runner runs no command in it.

    The token is random, so the text cannot end the block early by guessing it.
    """
    token = secrets.token_hex(16)
    if text and not text.endswith("\n"):
        text += "\n"
    return f"::stop-commands::{token}\n{text}::{token}::\n"


def workflow_command(command: str, properties: Mapping[str, str | int | None], message: str) -> str:
    """Return one workflow command line, leaving out properties whose value is None."""
    rendered = ",".join(
        f"{key}={escape_property(str(value))}" for key, value in properties.items() if value is not None
    )
    if rendered:
        return f"::{command} {rendered}::{escape_data(message)}"
    return f"::{command}::{escape_data(message)}"


class GitHubReporter(Reporter):
    name = "github"

    def write(self, result: CheckResult, stream: TextIO, context: ReportContext) -> None:
        findings = list(all_findings(group_findings(result)))
        levels: dict[str, list[tuple[Finding, CronJob | None]]] = {"error": [], "warning": [], "notice": []}
        for finding, job in findings:
            levels[_level(finding)].append((finding, job))

        limit = max(context.max_annotations_per_severity, 1)
        for level, entries in levels.items():
            shown = entries if len(entries) <= limit else entries[: limit - 1]
            for finding, job in shown:
                stream.write(_annotation(level, finding, job, result, context) + "\n")
            if len(entries) > len(shown):
                stream.write(_overflow(level, len(entries) - len(shown), result, context) + "\n")

        stream.write("::group::crongate findings\n")
        stream.write(stop_commands("".join(line + "\n" for line in _listing(result, findings))))
        stream.write("::endgroup::\n")


def _level(finding: Finding) -> str:
    if finding.pending:
        return "notice"
    return "error" if finding.severity is Severity.ERROR else "warning"


def _annotation(level: str, finding: Finding, job: CronJob | None, result: CheckResult, context: ReportContext) -> str:
    location = finding_location(finding, job)
    file = location.file if location is not None else result.manifest.crons_file

    title = f"{finding.rule}: {finding.job}" if finding.job else finding.rule
    message = clean_block(finding.message)
    if finding.pending:
        message = f"{PENDING_LABEL}. {message}"
    if finding.hint:
        message += f"\nhint: {clean_block(finding.hint)}"

    properties = {
        "file": repo_path(context, file),
        "line": location.line if location is not None else None,
        "col": location.column if location is not None else None,
        "title": clean_line(title),
    }
    return workflow_command(level, properties, message)


def _overflow(level: str, hidden: int, result: CheckResult, context: ReportContext) -> str:
    noun = {"error": "error", "warning": "warning", "notice": "pending finding"}[level]
    message = (
        f"{plural(hidden, noun)} more than GitHub shows as annotations. "
        "The step summary and this step's log list every finding."
    )
    properties = {
        "file": repo_path(context, result.manifest.crons_file),
        "title": f"crongate: {plural(hidden, 'more ' + noun)}",
    }
    return workflow_command(level, properties, message)


def _listing(result: CheckResult, findings: list[tuple[Finding, CronJob | None]]) -> list[str]:
    lines = [f"crongate: {verdict_text(result)}"]
    for finding, job in findings:
        location = finding_location(finding, job)
        where = clean_line(str(location)) if location is not None else clean_line(result.manifest.crons_file)
        label = PENDING_LABEL if finding.pending else finding.severity.value
        subject = f" [{clean_line(finding.job)}]" if finding.job else ""
        lines.append(f"{where}: {label} {finding.rule}{subject}: {clean_line(finding.message)}")
        if finding.hint:
            lines.append(f"  hint: {clean_line(finding.hint)}")
    return lines
