"""Markdown for ``GITHUB_STEP_SUMMARY``: the verdict, then tables of jobs, orphans and findings.

Every value from the deployment or the code goes through ``escape_cell``, so a cron name
cannot close a table cell, start a code span or inject HTML. The runner refuses a step
summary over 1024 KiB ("$GITHUB_STEP_SUMMARY upload aborted, supports content up to a
size of 1024k"), so the report stops adding lines before ``max_bytes`` and adds a note.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TextIO
from urllib.parse import quote

from crongate.model import CheckResult, CronJob, Finding, JobStatus
from crongate.report.common import (
    NO_REGISTRY_LABEL,
    PENDING_LABEL,
    clean_block,
    describe_job_schedule,
    describe_row_schedule,
    finding_location,
    group_findings,
    job_status,
    last_run_text,
    now_ms,
    repo_path,
    row_label,
    verdict_text,
)
from crongate.report.interface import ReportContext, Reporter

# GitHub's limit is 1 MiB (1,048,576 bytes). The margin leaves room for lines that other
# commands of the same step append to the summary file.
DEFAULT_MAX_BYTES = 1_000_000

_STATUS_ICONS = {"ok": "✅", "error": "❌", "warning": "⚠️", "pending": "⏳"}


def escape_cell(text: str) -> str:
    """Escape text for a Markdown table cell: no HTML, no code spans or links, one line."""
    text = clean_block(text)
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    for character in ("\\", "`", "*", "_", "[", "]", "|", "~"):
        text = text.replace(character, "\\" + character)
    # Escaped first, so this <br> is the only HTML in the cell.
    return "<br>".join(line.strip() for line in text.splitlines()) if "\n" in text else text


class SummaryReporter(Reporter):
    """The step summary.

    ``plan_section`` is the extension point for ``migrate``: Markdown for the plan that it
    will apply, placed under a "Plan" heading after the verdict. The caller escapes any
    free text in it with ``escape_cell``.
    """

    name = "summary"

    def __init__(self, plan_section: str | None = None, max_bytes: int = DEFAULT_MAX_BYTES) -> None:
        self.plan_section = plan_section
        self.max_bytes = max_bytes

    def write(self, result: CheckResult, stream: TextIO, context: ReportContext) -> None:
        stream.write(self.render(result, context))

    def render(self, result: CheckResult, context: ReportContext) -> str:
        """Return the summary as Markdown, cut to stay under ``max_bytes`` of UTF-8."""
        writer = _SummaryWriter(result, context)
        lines = writer.verdict()
        if self.plan_section is not None:
            lines += ["", "### Plan", "", self.plan_section.rstrip("\n")]
        lines += writer.jobs()
        lines += writer.orphans()
        lines += writer.findings()
        return _fit(lines, self.max_bytes)


class _SummaryWriter:
    def __init__(self, result: CheckResult, context: ReportContext) -> None:
        self.result = result
        self.context = context
        self.now = now_ms(context)
        self.groups = group_findings(result)

    def verdict(self) -> list[str]:
        icon = "❌" if self.result.failed else "✅"
        if self.result.registry_source is None:
            source = escape_cell(NO_REGISTRY_LABEL)
        else:
            rows = f" ({self.result.rows_read} rows)" if self.result.rows_read is not None else ""
            source = f"registry: {escape_cell(self.result.registry_source)}{rows}"

        lines = [
            "## crongate",
            "",
            f"{icon} **{escape_cell(verdict_text(self.result))}**",
            "",
            f"Cron jobs from {escape_cell(self.result.manifest.crons_file)}, {source}.",
        ]
        if self.result.pre_deploy:
            lines += ["", f"Pre-deploy check: ⏳ marks drift that is {PENDING_LABEL}."]
        return lines

    def jobs(self) -> list[str]:
        lines = ["", f"### Cron jobs ({len(self.result.jobs)})", ""]
        if not self.result.jobs:
            return lines + ["crons.ts registers no cron jobs."]

        lines += ["| Status | Job | Schedule | Last run | Finding |", "|---|---|---|---|---|"]
        for status, found in self.groups.by_job:
            state = job_status(status)
            cells = (
                f"{_STATUS_ICONS[state]} {state}",
                self.job_link(status.job),
                escape_cell(describe_job_schedule(status.job)),
                escape_cell(self.last_run(status)),
                self.finding_cell(found),
            )
            lines.append("| " + " | ".join(cells) + " |")
        return lines

    def orphans(self) -> list[str]:
        if not self.groups.by_orphan:
            return []

        lines = [
            "",
            f"### Orphaned rows ({len(self.groups.by_orphan)})",
            "",
            "Rows in the registry that no cron job in crons.ts matches.",
            "",
            "| Row | Schedule | Enabled | Last run |",
            "|---|---|---|---|",
        ]
        for row, _found in self.groups.by_orphan:
            enabled = {True: "yes", False: "no", None: "unknown"}[row.enabled]
            cells = (
                escape_cell(row_label(row)),
                escape_cell(describe_row_schedule(row)),
                enabled,
                escape_cell(last_run_text(row, self.now)),
            )
            lines.append("| " + " | ".join(cells) + " |")
        return lines

    def findings(self) -> list[str]:
        entries = [(f, status.job) for status, found in self.groups.by_job for f in found]
        entries += [(f, None) for _row, found in self.groups.by_orphan for f in found]
        entries += [(f, None) for f in self.groups.other]
        if not entries:
            return []

        lines = [
            "",
            f"### Findings ({len(entries)})",
            "",
            "| Severity | Rule | Job | Location | Message |",
            "|---|---|---|---|---|",
        ]
        for finding, job in entries:
            severity = f"⏳ {PENDING_LABEL}" if finding.pending else finding.severity.value
            message = escape_cell(finding.message)
            if finding.hint:
                message += f"<br>hint: {escape_cell(finding.hint)}"
            cells = (
                escape_cell(severity),
                f"`{finding.rule}`",
                escape_cell(finding.job) if finding.job else "",
                self.location_link(finding, job),
                message,
            )
            lines.append("| " + " | ".join(cells) + " |")
        return lines

    def last_run(self, status: JobStatus) -> str:
        if status.row is None and self.result.registry_source is None:
            return "registry not read"
        return last_run_text(status.row, self.now)

    def finding_cell(self, found: Iterable[Finding]) -> str:
        found = list(found)
        if not found:
            return ""
        first = found[0]
        text = f"`{first.rule}` {escape_cell(first.message)}"
        if len(found) > 1:
            text += f" (+{len(found) - 1} more)"
        return text

    def link(self, file: str, line: int | None) -> str | None:
        """Return a link to ``file`` at ``line`` in the commit, or None without a repository and commit."""
        if not self.context.repository_url or not self.context.commit:
            return None
        # Percent-encoding the path keeps spaces and parentheses from ending the link target.
        path = quote(f"{self.context.commit}/{repo_path(self.context, file)}", safe="/")
        url = f"{self.context.repository_url.rstrip('/')}/blob/{path}"
        if line is not None:
            url += f"#L{line}"
        return url

    def job_link(self, job: CronJob) -> str:
        name = escape_cell(job.name)
        url = self.link(job.location.file, job.location.line)
        return f"[{name}]({url})" if url else name

    def location_link(self, finding: Finding, job: CronJob | None) -> str:
        location = finding_location(finding, job)
        if location is None:
            return ""
        text = escape_cell(str(location))
        url = self.link(location.file, location.line)
        return f"[{text}]({url})" if url else text


def _fit(lines: list[str], max_bytes: int) -> str:
    """Join ``lines``, dropping the tail that would take the text past ``max_bytes`` of UTF-8."""
    note_template = (
        "\n\n> [!NOTE]\n> This summary was cut after {kept} of {total} lines to stay under "
        "GitHub's step-summary size limit. The JSON and text reports list everything.\n"
    )
    full = "\n".join(lines) + "\n"
    if len(full.encode("utf-8")) <= max_bytes:
        return full

    # The note's size depends on the numbers in it; the widest numbers give an upper bound.
    budget = max_bytes - len(note_template.format(kept=len(lines), total=len(lines)).encode("utf-8"))
    kept: list[str] = []
    size = 0
    for line in lines:
        line_size = len(line.encode("utf-8")) + 1
        if size + line_size > budget:
            break
        kept.append(line)
        size += line_size
    return "\n".join(kept) + note_template.format(kept=len(kept), total=len(lines))
