"""The terminal report: cron jobs with their row state, findings grouped by job, the verdict."""

from __future__ import annotations

from typing import TextIO

from crongate.model import CheckResult, CronJob, Finding
from crongate.report.common import (
    NO_REGISTRY_LABEL,
    PENDING_LABEL,
    clean_block,
    clean_line,
    describe_job_schedule,
    describe_row_schedule,
    finding_location,
    group_findings,
    job_status,
    now_ms,
    row_label,
    row_state_text,
    verdict_text,
)
from crongate.report.interface import ReportContext, Reporter

_MARKS = {"ok": "✓", "error": "✗", "warning": "!", "pending": "~"}
_COLORS = {"ok": "32", "error": "31", "warning": "33", "pending": "36"}
_BOLD = "1"
_DIM = "2"


class TextReporter(Reporter):
    name = "text"

    def write(self, result: CheckResult, stream: TextIO, context: ReportContext) -> None:
        stream.write("\n".join(_TextWriter(result, context).lines()) + "\n")


class _TextWriter:
    def __init__(self, result: CheckResult, context: ReportContext) -> None:
        self.result = result
        self.context = context
        self.now = now_ms(context)
        self.groups = group_findings(result)

    def paint(self, text: str, code: str) -> str:
        if not self.context.color:
            return text
        return f"\x1b[{code}m{text}\x1b[0m"

    def lines(self) -> list[str]:
        lines = self.header()
        lines += self.job_lines()
        lines += self.finding_lines()
        lines += self.orphan_lines()
        lines.append("")
        lines.append(self.verdict_line())
        return lines

    def header(self) -> list[str]:
        manifest = self.result.manifest
        lines = [self.paint(f"crongate: {clean_line(manifest.crons_file)}", _BOLD)]

        if self.result.registry_source is None:
            lines.append(NO_REGISTRY_LABEL)
        else:
            rows = self.result.rows_read
            read = f" ({rows} rows)" if rows is not None else ""
            lines.append(f"registry: {clean_line(self.result.registry_source)}{read}")

        if self.result.pre_deploy:
            lines.append(f"pre-deploy: drift that migrate fixes is reported as {PENDING_LABEL}")
        return lines

    def job_lines(self) -> list[str]:
        lines = ["", self.paint(f"Cron jobs ({len(self.result.jobs)})", _BOLD)]
        if not self.result.jobs:
            lines.append("  (crons.ts registers no cron jobs)")
            return lines

        # Columns are padded to the widest cell so the row states line up.
        cells = []
        for status in self.result.jobs:
            state = job_status(status)
            row_text = row_state_text(status.row, self.now)
            if status.row is None and self.result.registry_source is None:
                row_text = "registry not read"
            cells.append((state, clean_line(status.job.name), describe_job_schedule(status.job), row_text))

        name_width = max(len(name) for _state, name, _schedule, _row in cells)
        schedule_width = max(len(schedule) for _state, _name, schedule, _row in cells)
        for state, name, schedule, row_text in cells:
            mark = self.paint(_MARKS[state], _COLORS[state])
            lines.append(f"  {mark} {name.ljust(name_width)}  {schedule.ljust(schedule_width)}  {row_text}")
        return lines

    def finding_lines(self) -> list[str]:
        grouped = [(status.job, found) for status, found in self.groups.by_job if found]
        if not grouped and not self.groups.other:
            return []

        lines = ["", self.paint("Findings", _BOLD)]
        for job, found in grouped:
            lines.append(f"  {clean_line(job.name)}")
            for finding in found:
                lines += self.finding(finding, job)

        if self.groups.other:
            lines.append("  (files)")
            for finding in self.groups.other:
                lines += self.finding(finding, None)
        return lines

    def orphan_lines(self) -> list[str]:
        if not self.groups.by_orphan:
            return []

        lines = ["", self.paint(f"Orphaned rows ({len(self.groups.by_orphan)})", _BOLD)]
        for row, found in self.groups.by_orphan:
            schedule = describe_row_schedule(row)
            lines.append(f"  {row_label(row)}  {schedule}  {row_state_text(row, self.now)}")
            for finding in found:
                lines += self.finding(finding, None, unplaced="registry")
        return lines

    def finding(self, finding: Finding, job: CronJob | None, unplaced: str | None = None) -> list[str]:
        """Return the lines for one finding; ``unplaced`` is shown when it has no location."""
        location = finding_location(finding, job)
        if location is not None:
            where = clean_line(str(location))
        else:
            where = unplaced or clean_line(self.result.manifest.crons_file)

        if finding.pending:
            level = self.paint(PENDING_LABEL, _COLORS["pending"])
        else:
            level = self.paint(finding.severity.value, _COLORS[finding.severity.value])

        lines = [f"    {where}  {level}  {finding.rule}  {clean_line(finding.message)}"]
        if finding.hint:
            hint_lines = clean_block(finding.hint).splitlines() or [""]
            lines.append(self.paint(f"      hint: {hint_lines[0]}", _DIM))
            lines += [self.paint(f"            {line}", _DIM) for line in hint_lines[1:]]
        return lines

    def verdict_line(self) -> str:
        text = verdict_text(self.result)
        if self.result.failed:
            return self.paint(text, f"{_BOLD};{_COLORS['error']}")
        return self.paint(text, f"{_BOLD};{_COLORS['ok']}")
