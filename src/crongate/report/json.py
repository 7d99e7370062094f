"""The JSON report, version 1, described by ``crongate/schemas/report-v1.schema.json``.

The GitHub Action reads ``result``, ``gate``, ``counts`` and ``missing_jobs`` from it, so
those names are a public interface. Add fields freely; renaming or removing one needs a
new ``version``. File paths are relative to the project root, as crongate was given it.
"""

from __future__ import annotations

import json
from typing import Any, TextIO

from crongate import __version__
from crongate.model import CheckResult, CronJob, Finding, RegistryRow
from crongate.report.common import (
    counts,
    describe_job_schedule,
    describe_row_schedule,
    fail_on_label,
    finding_location,
    group_findings,
    job_status,
)
from crongate.report.interface import ReportContext, Reporter

REPORT_VERSION = 1


class JsonReporter(Reporter):
    name = "json"

    def write(self, result: CheckResult, stream: TextIO, context: ReportContext) -> None:
        json.dump(build_report(result), stream, indent=2, default=str)
        stream.write("\n")


def build_report(result: CheckResult) -> dict[str, Any]:
    """Return the version 1 report as plain JSON values."""
    groups = group_findings(result)
    tally = counts(result)
    manifest = result.manifest

    # "in-sync" ignores pending findings: migrate fixes them after the deploy.
    drift = any(not f.pending for f in result.findings)
    missing_jobs = sum(1 for f in result.findings if f.rule == "missing-job" and not f.pending)

    ordered: list[dict[str, Any]] = []
    for status, found in groups.by_job:
        ordered += [_finding(f, status.job) for f in found]
    for _orphan, found in groups.by_orphan:
        ordered += [_finding(f, None) for f in found]
    ordered += [_finding(f, None) for f in groups.other]

    return {
        "version": REPORT_VERSION,
        "tool": {"name": "crongate", "version": __version__},
        "result": "drift" if drift else "in-sync",
        "gate": "failed" if result.failed else "passed",
        "fail_on": fail_on_label(result),
        "pre_deploy": result.pre_deploy,
        "counts": {**tally, "ignored": result.ignored},
        "missing_jobs": missing_jobs,
        "registry": {"source": result.registry_source, "rows": result.rows_read},
        "manifest": {"crons_file": manifest.crons_file, "migrations_file": manifest.migrations_file},
        "jobs": [
            {
                **_job(status.job),
                "row": _row(status.row) if status.row is not None else None,
                "status": job_status(status),
                "findings": [_finding(f, status.job) for f in found],
            }
            for status, found in groups.by_job
        ],
        "orphans": [
            {**_row(row), "findings": [_finding(f, None) for f in found]}
            for row, found in groups.by_orphan
        ],
        "findings": ordered,
    }


def _job(job: CronJob) -> dict[str, Any]:
    return {
        "name": job.name,
        "kind": job.kind,
        "schedule": job.schedule,
        "schedule_text": describe_job_schedule(job),
        "function": job.function,
        "file": job.location.file,
        "line": job.location.line,
        "condition": job.condition,
        "description": job.description,
    }


def _row(row: RegistryRow) -> dict[str, Any]:
    return {
        "key": row.key,
        "name": row.name,
        "description": row.description,
        "category": row.category,
        "schedule": row.schedule,
        "schedule_text": describe_row_schedule(row),
        "enabled": row.enabled,
        "total_runs": row.total_runs,
        "success_count": row.success_count,
        "error_count": row.error_count,
        "last_run_at": row.last_run_at,
        "last_status": row.last_status,
        "created_at": row.created_at,
        "updated_at": row.updated_at,
        "doc_id": row.doc_id,
    }


def _finding(finding: Finding, job: CronJob | None) -> dict[str, Any]:
    location = finding_location(finding, job)
    return {
        "rule": finding.rule,
        "severity": finding.severity.value,
        "message": finding.message,
        "job": finding.job,
        "file": location.file if location is not None else None,
        "line": location.line if location is not None else None,
        "column": location.column if location is not None else None,
        "hint": finding.hint,
        "pending": finding.pending,
    }
