"""The compare stage: match cron jobs to registry rows and apply the live rules.

Pure functions, no I/O. The result is data for the plan and report stages: one
``JobStatus`` per cron job, the orphaned rows, and every finding, static and live, with
config severities and ignores applied.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone

from crongate import schedule as schedules
from crongate.keys import keys_for_cron_name, new_row_key
from crongate.model import CronJob, Finding, JobStatus, Manifest, Migration, RegistryRow, Severity
from crongate.rules import RULES

logger = logging.getLogger(__name__)

FAILED_STATUSES = frozenset({"error", "failed", "failure"})


@dataclass(frozen=True)
class CompareOptions:
    now: datetime
    key_map: Mapping[str, str] = field(default_factory=dict)
    keep_disabled: Mapping[str, str] = field(default_factory=dict)
    stale_periods: float = 3.0
    never_run_periods: float = 2.0
    failing_error_rate: float = 0.5
    failing_min_runs: int = 4
    pre_deploy: bool = False
    # Whether planned actions exist that fix drift after the deploy (for --pre-deploy).
    enable_function: str | None = "systemJobs:enable"
    upsert_function: str | None = None


@dataclass(frozen=True)
class Comparison:
    jobs: tuple[JobStatus, ...]
    orphans: tuple[RegistryRow, ...]
    findings: tuple[Finding, ...]


def match_rows(
    jobs: Sequence[CronJob], rows: Sequence[RegistryRow], key_map: Mapping[str, str]
) -> tuple[list[list[RegistryRow]], list[RegistryRow]]:
    """Return, per cron job, the rows that match it, and the rows that match no job.

    An explicit ``key_map`` entry whose row exists is the only match for that job, so
    config can settle an ambiguity. Otherwise a row matches when its key is the cron name
    or the cron name slugified, or its name is the cron name.
    """
    by_key: dict[str, list[RegistryRow]] = {}
    by_name: dict[str, list[RegistryRow]] = {}
    for row in rows:
        if row.key is not None:
            by_key.setdefault(row.key, []).append(row)
        if row.name is not None:
            by_name.setdefault(row.name, []).append(row)

    matches: list[list[RegistryRow]] = []
    matched_ids: set[int] = set()
    for job in jobs:
        mapped = key_map.get(job.name)
        if mapped is not None and mapped in by_key:
            candidates = list(by_key[mapped])
        else:
            candidates = []
            for key in keys_for_cron_name(job.name, key_map):
                candidates.extend(by_key.get(key, ()))
            candidates.extend(by_name.get(job.name, ()))
            candidates = list({id(row): row for row in candidates}.values())
        matches.append(candidates)
        matched_ids.update(id(row) for row in candidates)

    orphans = [row for row in rows if id(row) not in matched_ids]
    return matches, orphans


def migration_for(job: CronJob, migrations: Sequence[Migration], key_map: Mapping[str, str]) -> Migration | None:
    """Return the migration that creates the row of ``job``, if the app has one."""
    keys = keys_for_cron_name(job.name, key_map)
    for key in keys:
        for migration in migrations:
            if migration.job_key == key:
                return migration
    return None


def compare(manifest: Manifest, rows: Sequence[RegistryRow] | None, options: CompareOptions) -> Comparison:
    """Compare the manifest with the registry; ``rows=None`` means no registry was read."""
    if rows is None:
        statuses = tuple(
            JobStatus(job=job, row=None, findings=tuple(f for f in manifest.findings if f.job == job.name))
            for job in manifest.jobs
        )
        return Comparison(jobs=statuses, orphans=(), findings=tuple(manifest.findings))

    matches, orphans = match_rows(manifest.jobs, rows, options.key_map)
    dynamic_count = sum(1 for f in manifest.findings if f.rule == "dynamic-registration")

    live: list[Finding] = []
    missing_names: set[str] = set()
    for job, candidates in zip(manifest.jobs, matches):
        if len(candidates) > 1:
            live.append(_ambiguous(job, candidates))
        elif not candidates:
            missing_names.add(job.name)
            live.append(_missing(job, manifest, options))
        else:
            live.extend(_row_findings(job, candidates[0], options))

    for row in orphans:
        live.append(_orphaned(row, dynamic_count))

    # With a registry read, a missing migration only matters for rows that exist today,
    # and a missing-job finding already reports that nothing would create the row.
    static: list[Finding] = []
    for finding in manifest.findings:
        if finding.rule == "missing-migration":
            if finding.job in missing_names:
                continue
            finding = replace(finding, severity=Severity.WARNING)
        static.append(finding)

    findings = tuple(static + live)
    statuses = []
    for job, candidates in zip(manifest.jobs, matches):
        row = candidates[0] if len(candidates) == 1 else None
        statuses.append(JobStatus(job=job, row=row, findings=tuple(f for f in findings if f.job == job.name)))
    return Comparison(jobs=tuple(statuses), orphans=tuple(orphans), findings=findings)


def apply_policy(
    findings: Sequence[Finding],
    severities: Mapping[str, Severity | None],
    ignore: Sequence[object],
) -> tuple[list[Finding], int]:
    """Apply config severities and ignore entries; return the kept findings and how many were ignored."""
    kept: list[Finding] = []
    ignored = 0
    for finding in findings:
        if finding.rule in severities:
            severity = severities[finding.rule]
            if severity is None:
                ignored += 1
                continue
            finding = replace(finding, severity=severity)
        if any(entry.covers(finding.rule, finding.job) for entry in ignore):  # type: ignore[attr-defined]
            logger.info("ignored %s on %s, as crongate.yml says", finding.rule, finding.job or "the manifest")
            ignored += 1
            continue
        kept.append(finding)
    return kept, ignored


def _severity(rule: str) -> Severity:
    return RULES[rule].severity


def _ambiguous(job: CronJob, candidates: Sequence[RegistryRow]) -> Finding:
    described = ", ".join(_describe_row(row) for row in candidates)
    return Finding(
        rule="ambiguous-match",
        severity=_severity("ambiguous-match"),
        message=f"cron job {job.name!r} matches {len(candidates)} registry rows: {described}",
        job=job.name,
        location=job.location,
        hint="map the cron name to one row key under match.keys in crongate.yml, or delete the duplicate row",
    )


def _missing(job: CronJob, manifest: Manifest, options: CompareOptions) -> Finding:
    migration = migration_for(job, manifest.migrations, options.key_map)
    expected_key = new_row_key(job.name, options.key_map)
    if migration is not None:
        hint = (f"run `crongate migrate --apply` after the deploy; it calls {migration.function} "
                f"({migration.location})")
        pending = options.pre_deploy
    else:
        hint = (f"nothing would create the row: add a migration that inserts jobKey {expected_key!r} "
                f"to {manifest.migrations_file or 'convex/systemJobs.ts'} (`crongate scaffold --write` generates it), "
                f"deploy, then run `crongate migrate --apply`")
        pending = False
    return Finding(
        rule="missing-job",
        severity=_severity("missing-job"),
        message=f"cron job {job.name!r} has no registry row, so dashboards show it as paused or never run",
        job=job.name,
        location=job.location,
        hint=hint,
        pending=pending,
    )


def _orphaned(row: RegistryRow, dynamic_count: int) -> Finding:
    message = f"registry row {_describe_row(row)} matches no cron job in crons.ts"
    if dynamic_count:
        message += (f"; crons.ts has {dynamic_count} registration(s) that could not be read statically, "
                    "and this row may belong to one")
    return Finding(
        rule="orphaned-job",
        severity=_severity("orphaned-job"),
        message=message,
        job=row.key or row.name,
        hint="if the job was removed, delete the row (`crongate migrate --prune` does it once registry.delete_function "
             "names a delete mutation), or map it to its cron name under match.keys",
    )


def _row_findings(job: CronJob, row: RegistryRow, options: CompareOptions) -> list[Finding]:
    findings: list[Finding] = []

    def add(rule: str, message: str, hint: str, *, pending: bool = False) -> None:
        findings.append(Finding(rule=rule, severity=_severity(rule), message=message, job=job.name,
                                location=job.location, hint=hint, pending=pending))

    declared = _schedule_of_job(job)
    stored = _schedule_of_row(row)
    if declared is not None:
        if stored is None:
            add("schedule-mismatch",
                f"cron job {job.name!r} runs {declared.describe()}, but its row stores no readable schedule "
                f"({row.schedule!r})",
                "set the row's interval field, or name the field under registry.fields in crongate.yml",
                pending=options.pre_deploy and options.upsert_function is not None)
        elif not declared.same_times(stored):
            add("schedule-mismatch",
                f"cron job {job.name!r} runs {declared.describe()} in crons.ts, but its row says {stored.describe()}",
                "update the row (or crons.ts) so both say the same; an upsert_function in crongate.yml lets migrate do it",
                pending=options.pre_deploy and options.upsert_function is not None)

    kept_reason = options.keep_disabled.get(job.name) or (row.key and options.keep_disabled.get(row.key))
    if row.enabled is False:
        if kept_reason:
            logger.info("job %s is disabled and kept so: %s", job.name, kept_reason)
        else:
            add("job-disabled",
                f"cron job {job.name!r} is declared in crons.ts, but its row is disabled",
                f"run `crongate migrate --apply` (calls {options.enable_function or 'the enable function'}), or list "
                "the job under keep_disabled in crongate.yml with a reason",
                pending=options.pre_deploy and options.enable_function is not None)
        return findings

    if declared is None:
        return findings
    now_ms = options.now.timestamp() * 1000
    gap_ms = declared.max_gap_seconds() * 1000

    never_ran = row.last_run_at is None and not row.total_runs
    if never_ran:
        if row.created_at is not None and now_ms - row.created_at > options.never_run_periods * gap_ms:
            add("never-run",
                f"cron job {job.name!r} was registered {_ago(now_ms - row.created_at)} ago and its row records no run",
                "check the deployment's logs for the function; the job may be failing before it records a run")
    elif row.last_run_at is not None and now_ms - row.last_run_at > options.stale_periods * gap_ms:
        add("stale",
            f"cron job {job.name!r} last ran {_ago(now_ms - row.last_run_at)} ago, but it runs "
            f"{declared.describe()} (allowed: {options.stale_periods:g} periods)",
            "check that the job still runs and records its runs; raise rules.stale.periods if it may lag")

    if row.last_status and row.last_status.lower() in FAILED_STATUSES:
        add("failing", f"cron job {job.name!r} failed on its last run",
            "read the function's logs on the deployment")
    elif row.total_runs and row.error_count is not None and row.total_runs >= options.failing_min_runs:
        rate = row.error_count / row.total_runs
        if rate > options.failing_error_rate:
            add("failing",
                f"cron job {job.name!r} failed {row.error_count} of {row.total_runs} runs ({rate:.0%})",
                "read the function's logs on the deployment; rules.failing.error_rate sets the threshold")
    return findings


def _schedule_of_job(job: CronJob) -> schedules.Schedule | None:
    try:
        return schedules.schedule_from_job(job.kind, job.schedule)
    except schedules.InvalidSchedule:
        return None  # already an invalid-schedule finding


def _schedule_of_row(row: RegistryRow) -> schedules.Schedule | None:
    if row.schedule is None:
        return None
    try:
        return schedules.schedule_from_registry(row.schedule)
    except schedules.InvalidSchedule:
        return None


def _describe_row(row: RegistryRow) -> str:
    parts = []
    if row.key is not None:
        parts.append(f"jobKey {row.key!r}")
    if row.name is not None and row.name != row.key:
        parts.append(f"name {row.name!r}")
    if row.doc_id is not None:
        parts.append(f"_id {row.doc_id}")
    return "(" + ", ".join(parts or ["no key"]) + ")"


def _ago(milliseconds: float) -> str:
    seconds = max(0, int(milliseconds / 1000))
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds >= size:
            count = seconds // size
            return f"{count} {unit}{'s' if count != 1 else ''}"
    return f"{seconds} seconds"


def utc_now() -> datetime:
    return datetime.now(timezone.utc)
