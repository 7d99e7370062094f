"""The data that flows between crongate's stages.

Every stage takes and returns these frozen dataclasses, so a stage can be tested
with values built by hand. None of them does I/O.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


class Severity(str, enum.Enum):
    """How much a finding matters. The gate fails on findings at or above ``--fail-on``."""

    WARNING = "warning"
    ERROR = "error"

    @property
    def rank(self) -> int:
        return 2 if self is Severity.ERROR else 1


@dataclass(frozen=True)
class Location:
    """A place in the app's source: a path relative to the project root, 1-based line and column."""

    file: str
    line: int | None = None
    column: int | None = None

    def __str__(self) -> str:
        if self.line is None:
            return self.file
        return f"{self.file}:{self.line}"


@dataclass(frozen=True)
class CronJob:
    """One registration in ``crons.ts``, as Convex would see it when the code is pushed.

    ``schedule`` is the schedule argument exactly as written once constants are resolved:
    an object, the cron string for ``crons.cron``, or None when the call has no schedule
    argument (``crons.hourly(name, fn)``).
    """

    name: str
    kind: str  # interval, cron, hourly, daily, weekly or monthly
    schedule: Any
    function: str  # Convex path form: "dir/file:export", or "file" for a default export
    args: Mapping[str, Any]
    location: Location
    condition: str | None = None  # source text of an enclosing `if` condition
    description: str | None = None  # the comment directly above the registration

    def to_case(self) -> dict[str, Any]:
        """Return the job in the shape of the manifest cases (``crongate manifest --format json``)."""
        case: dict[str, Any] = {
            "name": self.name,
            "kind": self.kind,
            "schedule": self.schedule,
            "function": self.function,
            "args": dict(self.args),
            "line": self.location.line,
        }
        if self.condition is not None:
            case["condition"] = self.condition
        return case


@dataclass(frozen=True)
class Migration:
    """An exported mutation in ``systemJobs.ts`` that creates the row for one job key."""

    function: str  # Convex path form, e.g. "systemJobs:addTrafficSyncJob"
    job_key: str
    location: Location
    values: Mapping[str, Any] = field(default_factory=dict)  # literal fields it would insert


@dataclass(frozen=True)
class Finding:
    """One problem found by a rule.

    ``job`` is the cron name or the row's job key the finding is about, or None for a
    finding about a whole file. ``pending`` marks drift that a planned action fixes after
    the deploy; ``check --pre-deploy`` reports it without failing on it.
    """

    rule: str
    severity: Severity
    message: str
    job: str | None = None
    location: Location | None = None
    hint: str | None = None
    pending: bool = False


@dataclass(frozen=True)
class Manifest:
    """The static pass's reading of the app's code: cron jobs, migrations and findings."""

    root: str  # project root, as given by the user
    crons_file: str  # path of crons.ts relative to root
    jobs: tuple[CronJob, ...]
    findings: tuple[Finding, ...] = ()
    migrations: tuple[Migration, ...] = ()
    migrations_file: str | None = None  # None when no systemJobs.ts was found


@dataclass(frozen=True)
class RegistryRow:
    """One document of the job registry table, with the configured field names mapped.

    Fields that the row lacks are None. ``schedule`` is the registry's schedule field as
    stored (for the common shape, ``{"type": "minutes", "value": 5}``). Timestamps are
    milliseconds since the Unix epoch, as Convex apps store ``Date.now()``.
    """

    key: str | None
    name: str | None = None
    description: str | None = None
    category: str | None = None
    schedule: Any = None
    enabled: bool | None = None
    total_runs: int | None = None
    success_count: int | None = None
    error_count: int | None = None
    last_run_at: float | None = None
    last_status: str | None = None
    created_at: float | None = None
    updated_at: float | None = None
    doc_id: str | None = None
    raw: Mapping[str, Any] = field(default_factory=dict, compare=False, repr=False)


@dataclass(frozen=True)
class JobStatus:
    """The verdict for one cron job: the row it matched, if any, and its findings."""

    job: CronJob
    row: RegistryRow | None
    findings: tuple[Finding, ...] = ()

    @property
    def worst(self) -> Severity | None:
        counted = [f.severity for f in self.findings if not f.pending]
        return max(counted, key=lambda s: s.rank) if counted else None


@dataclass(frozen=True)
class CheckResult:
    """Everything a reporter needs: the manifest, the registry, and the findings on both."""

    manifest: Manifest
    findings: tuple[Finding, ...]
    jobs: tuple[JobStatus, ...]
    orphans: tuple[RegistryRow, ...] = ()
    registry_source: str | None = None  # URL or snapshot path; None when no registry was read
    rows_read: int | None = None
    fail_on: Severity | None = Severity.ERROR  # None means --fail-on never
    pre_deploy: bool = False
    judged_at: datetime | None = None  # when stale and never-run were judged: now, or a snapshot's time
    ignored: int = 0  # findings left out by crongate.yml (ignore entries, rules turned off)

    @property
    def gate_findings(self) -> tuple[Finding, ...]:
        """Return the findings that count toward the verdict (pending ones do not)."""
        if self.fail_on is None:
            return ()
        return tuple(
            f for f in self.findings if not f.pending and f.severity.rank >= self.fail_on.rank
        )

    @property
    def failed(self) -> bool:
        return bool(self.gate_findings)

    def count(self, severity: Severity) -> int:
        return sum(1 for f in self.findings if f.severity is severity and not f.pending)
