"""Helpers that every report format shares: schedules in words, row states, text hygiene.

Free text in a report can come from the deployment (a row's name, description or last
status) or from the app's code (cron names, comments). Every format passes it through
``clean_line`` or ``clean_block``, so a control character cannot move a terminal's cursor
or break a line-based format. Formats with their own syntax escape on top of that.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from crongate.model import CheckResult, CronJob, Finding, JobStatus, Location, RegistryRow, Severity
from crongate.report.interface import ReportContext
from crongate.schedule import InvalidSchedule, schedule_from_job, schedule_from_registry

PENDING_LABEL = "pending: fixed by migrate after deploy"
NO_REGISTRY_LABEL = "no registry read: static checks only"

# C0 controls other than tab and newline, DEL, and C1 controls. ESC (0x1b) is the one that
# matters most: it starts ANSI sequences that rewrite a terminal.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_LINE_BREAK = re.compile(r"\r\n|[\r\n\t\u2028\u2029\x85]")


def clean_block(text: str) -> str:
    """Return ``text`` with control characters shown as ``\\xNN``, keeping newlines and tabs."""
    return _CONTROL.sub(lambda match: f"\\x{ord(match.group()):02x}", text.replace("\r\n", "\n"))


def clean_line(text: str) -> str:
    """Return ``text`` on one line: line breaks and tabs become spaces, other controls ``\\xNN``."""
    return clean_block(_LINE_BREAK.sub(" ", text))


def compact_json(value: Any) -> str:
    """Return ``value`` as one line of JSON, the fallback when a schedule cannot be described."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), default=str)


def describe_job_schedule(job: CronJob) -> str:
    """Return the cron job's schedule in words, or its kind and raw schedule when that fails."""
    try:
        return clean_line(schedule_from_job(job.kind, job.schedule).describe())
    except InvalidSchedule:
        return f"{job.kind} {compact_json(job.schedule)}"


def describe_row_schedule(row: RegistryRow) -> str:
    """Return the row's schedule in words, or its stored value as JSON when that fails."""
    if row.schedule is None:
        return "no schedule"

    try:
        return clean_line(schedule_from_registry(row.schedule).describe())
    except InvalidSchedule:
        return compact_json(row.schedule)


def now_ms(context: ReportContext) -> float:
    return context.now if context.now is not None else time.time() * 1000


def relative_time(timestamp_ms: float, now: float) -> str:
    """Return ``timestamp_ms`` relative to ``now`` in the largest whole unit: "3 hours ago"."""
    seconds = (now - timestamp_ms) / 1000
    future = seconds < 0
    seconds = abs(seconds)

    if seconds < 60:
        return "just now" if not future else "in under a minute"

    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds >= size:
            amount = int(seconds // size)
            phrase = f"{amount} {unit}{'' if amount == 1 else 's'}"
            return f"in {phrase}" if future else f"{phrase} ago"
    raise AssertionError("unreachable: seconds >= 60 matches the minute unit")


def last_run_text(row: RegistryRow | None, now: float) -> str:
    """Return when the row's job last ran and how it ended, e.g. "3 hours ago (success)"."""
    if row is None:
        return "no row"
    if row.last_run_at is None:
        return "never run"

    text = relative_time(row.last_run_at, now)
    if row.last_status:
        text += f" ({clean_line(row.last_status)})"
    return text


def row_state_text(row: RegistryRow | None, now: float) -> str:
    """Return the row's state in words: "enabled, last run 5 minutes ago (success)"."""
    if row is None:
        return "no row"

    if row.enabled is None:
        state = "enabled state unknown"
    else:
        state = "enabled" if row.enabled else "disabled"

    if row.last_run_at is None:
        return f"{state}, never run"
    return f"{state}, last run {last_run_text(row, now)}"


def row_label(row: RegistryRow) -> str:
    """Return what names a row for a reader: its job key, else its name, else its document id."""
    return clean_line(row.key or row.name or row.doc_id or "(row without a key)")


def job_status(status: JobStatus) -> str:
    """Return ``"error"``, ``"warning"``, ``"pending"`` or ``"ok"`` for one cron job."""
    worst = status.worst
    if worst is not None:
        return worst.value
    if any(f.pending for f in status.findings):
        return "pending"
    return "ok"


def finding_location(finding: Finding, job: CronJob | None = None) -> Location | None:
    """Return where a finding points: its own location, else the cron job's registration."""
    if finding.location is not None:
        return finding.location
    if job is not None:
        return job.location
    return None


def repo_path(context: ReportContext, file: str) -> str:
    """Return ``file`` (relative to the project) as a path relative to the repository root."""
    prefix = context.workdir_prefix.strip().replace("\\", "/").strip("/")
    file = file.replace("\\", "/")
    if file.startswith("./"):
        file = file[2:]
    if prefix in ("", "."):
        return file
    return f"{prefix}/{file}"


def is_gate_finding(result: CheckResult, finding: Finding) -> bool:
    """Return True when ``finding`` counts toward the verdict (at or above ``--fail-on``)."""
    if finding.pending or result.fail_on is None:
        return False
    return finding.severity.rank >= result.fail_on.rank


def fail_on_label(result: CheckResult) -> str:
    return result.fail_on.value if result.fail_on is not None else "never"


@dataclass(frozen=True)
class FindingGroups:
    """The result's findings split by what they are about.

    ``by_job`` follows the order of ``result.jobs`` and ``by_orphan`` that of
    ``result.orphans``. ``other`` contains findings about a whole file or about a job key
    that neither side has, in the order of ``result.findings``.
    """

    by_job: tuple[tuple[JobStatus, tuple[Finding, ...]], ...]
    by_orphan: tuple[tuple[RegistryRow, tuple[Finding, ...]], ...]
    other: tuple[Finding, ...]


def group_findings(result: CheckResult) -> FindingGroups:
    """Split ``result.findings`` into per-job, per-orphan and whole-file groups.

    A job's findings are the union of ``JobStatus.findings`` and any finding in
    ``result.findings`` that names the job, so a finding appears exactly once.
    """
    by_name: dict[str | None, list[Finding]] = {}
    for finding in result.findings:
        by_name.setdefault(finding.job, []).append(finding)

    # Findings are frozen and hashable, so a set finds repeats in linear time.
    seen: set[Finding] = set()

    by_job = []
    for status in result.jobs:
        found = [f for f in dict.fromkeys(status.findings) if f not in seen]
        found += [f for f in by_name.get(status.job.name, ()) if f not in status.findings and f not in seen]
        seen.update(found)
        by_job.append((status, tuple(found)))

    by_orphan = []
    for row in result.orphans:
        keys = dict.fromkeys(value for value in (row.key, row.name) if value is not None)
        found = []
        for key in keys:
            found += [f for f in by_name.get(key, ()) if f not in seen and f not in found]
        seen.update(found)
        by_orphan.append((row, tuple(found)))

    other = tuple(f for f in result.findings if f not in seen)
    return FindingGroups(tuple(by_job), tuple(by_orphan), other)


def all_findings(groups: FindingGroups) -> Iterable[tuple[Finding, CronJob | None]]:
    """Yield every finding once with the cron job it belongs to, jobs first, then orphans and files."""
    for status, found in groups.by_job:
        for finding in found:
            yield finding, status.job
    for _row, found in groups.by_orphan:
        for finding in found:
            yield finding, None
    for finding in groups.other:
        yield finding, None


def counts(result: CheckResult) -> dict[str, int]:
    """Return the number of errors, warnings (pending excluded) and pending findings."""
    return {
        "error": result.count(Severity.ERROR),
        "warning": result.count(Severity.WARNING),
        "pending": sum(1 for f in result.findings if f.pending),
    }


def plural(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


def verdict_text(result: CheckResult) -> str:
    """Return the one-line verdict: "in sync" or "2 errors, 1 warning — gate failed (--fail-on error)"."""
    tally = counts(result)
    pending = f" ({tally['pending']} {PENDING_LABEL})" if tally["pending"] else ""
    if result.ignored:
        # Ignored findings leave no other trace, so the verdict shows at least how many there were.
        pending += f" ({plural(result.ignored, 'finding')} ignored by crongate.yml)"

    if tally["error"] == 0 and tally["warning"] == 0:
        if result.registry_source is None:
            # Without a registry only the code was checked; "in sync" would claim more.
            return f"no findings in the static checks; no registry read{pending}"
        return f"in sync{pending}"

    outcome = "gate failed" if result.failed else "gate passed"
    found = f"{plural(tally['error'], 'error')}, {plural(tally['warning'], 'warning')}"
    return f"{found} — {outcome} (--fail-on {fail_on_label(result)}){pending}"
