"""The compare stage: matching rows to cron jobs, and each live rule."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from crongate.compare import CompareOptions, apply_policy, compare, match_rows
from crongate.config import IgnoreEntry
from crongate.model import CronJob, Finding, Location, Manifest, Migration, RegistryRow, Severity

NOW = datetime(2026, 12, 4, 12, 0, tzinfo=timezone.utc)
NOW_MS = NOW.timestamp() * 1000
MINUTE_MS = 60_000
DAY_MS = 86_400_000


def job(name: str = "traffic-sync", kind: str = "interval", schedule: object = None, line: int = 5) -> CronJob:
    if schedule is None and kind == "interval":
        schedule = {"minutes": 15}
    return CronJob(name=name, kind=kind, schedule=schedule, function="traffic:sync", args={},
                   location=Location("convex/crons.ts", line, 1))


def row(key: str | None = "traffic-sync", **fields: object) -> RegistryRow:
    values: dict = {
        "name": "Traffic Sync",
        "schedule": {"type": "minutes", "value": 15},
        "enabled": True,
        "total_runs": 100,
        "success_count": 100,
        "error_count": 0,
        "last_run_at": NOW_MS - 5 * MINUTE_MS,
        "last_status": "success",
        "created_at": NOW_MS - 30 * DAY_MS,
    }
    values.update(fields)
    return RegistryRow(key=key, **values)


def manifest(*jobs: CronJob, migrations: tuple[Migration, ...] = (), findings: tuple[Finding, ...] = ()) -> Manifest:
    return Manifest(root=".", crons_file="convex/crons.ts", jobs=jobs, findings=findings, migrations=migrations,
                    migrations_file="convex/systemJobs.ts")


def rules(findings) -> list[str]:
    return sorted(f.rule for f in findings)


def options(**changes: object) -> CompareOptions:
    return CompareOptions(now=NOW, **changes)


def test_in_sync_has_no_findings() -> None:
    result = compare(manifest(job()), [row()], options())
    assert result.findings == ()
    assert result.jobs[0].row is not None


def test_offline_keeps_static_findings_only() -> None:
    static = Finding("duplicate-name", Severity.ERROR, "twice", job="traffic-sync")
    result = compare(manifest(job(), findings=(static,)), None, options())
    assert result.findings == (static,)
    assert result.jobs[0].findings == (static,)


@pytest.mark.parametrize(
    ("cron_name", "row_key", "row_name"),
    [
        ("traffic-sync", "traffic-sync", "Anything"),
        ("AI Proxy Orchestrator", "ai-proxy-orchestrator", "Anything"),
        ("nightly", "something-else", "nightly"),
    ],
)
def test_match_rules(cron_name: str, row_key: str, row_name: str) -> None:
    matches, orphans = match_rows([job(cron_name)], [row(row_key, name=row_name)], {})
    assert len(matches[0]) == 1
    assert orphans == []


def test_key_map_settles_ambiguity() -> None:
    rows = [row("traffic-sync"), row("other", name="traffic-sync"), row("mapped")]
    matches, orphans = match_rows([job()], rows, {"traffic-sync": "mapped"})
    assert [r.key for r in matches[0]] == ["mapped"]
    assert sorted(r.key for r in orphans) == ["other", "traffic-sync"]


def test_two_rows_are_ambiguous() -> None:
    result = compare(manifest(job()), [row("traffic-sync"), row("x", name="traffic-sync")], options())
    assert rules(result.findings) == ["ambiguous-match"]
    assert result.jobs[0].row is None


def test_missing_row_with_migration_is_pending_before_deploy() -> None:
    migration = Migration("systemJobs:addTrafficSyncJob", "traffic-sync", Location("convex/systemJobs.ts", 40))
    result = compare(manifest(job(), migrations=(migration,)), [], options(pre_deploy=True))
    finding = result.findings[0]
    assert finding.rule == "missing-job"
    assert finding.pending
    assert "systemJobs:addTrafficSyncJob" in finding.hint


def test_missing_row_without_migration_is_not_pending() -> None:
    result = compare(manifest(job()), [], options(pre_deploy=True))
    finding = result.findings[0]
    assert not finding.pending
    assert "nothing would create the row" in finding.hint


def test_missing_migration_dropped_for_missing_row() -> None:
    static = Finding("missing-migration", Severity.ERROR, "no migration", job="traffic-sync")
    result = compare(manifest(job(), findings=(static,)), [], options())
    assert rules(result.findings) == ["missing-job"]


def test_missing_migration_is_warning_with_registry() -> None:
    static = Finding("missing-migration", Severity.ERROR, "no migration", job="traffic-sync")
    result = compare(manifest(job(), findings=(static,)), [row()], options())
    assert [(f.rule, f.severity) for f in result.findings] == [("missing-migration", Severity.WARNING)]


def test_orphan_row_reported() -> None:
    result = compare(manifest(job()), [row(), row("legacy-metrics-rollup", name="Legacy")], options())
    assert rules(result.findings) == ["orphaned-job"]
    assert result.orphans[0].key == "legacy-metrics-rollup"


def test_orphan_mentions_dynamic_registrations() -> None:
    dynamic = Finding("dynamic-registration", Severity.WARNING, "computed name", location=Location("convex/crons.ts", 9))
    result = compare(manifest(job(), findings=(dynamic,)), [row(), row("tenant-7")], options())
    orphan = next(f for f in result.findings if f.rule == "orphaned-job")
    assert "could not be read statically" in orphan.message


def test_schedule_mismatch() -> None:
    result = compare(manifest(job()), [row(schedule={"type": "minutes", "value": 10})], options())
    assert rules(result.findings) == ["schedule-mismatch"]
    assert "every 15 minutes" in result.findings[0].message


def test_equivalent_units_match() -> None:
    result = compare(manifest(job()), [row(schedule={"type": "seconds", "value": 900})], options())
    assert result.findings == ()


def test_daily_job_matches_24_hour_row() -> None:
    daily = job("daily-report", kind="daily", schedule={"hourUTC": 6, "minuteUTC": 0})
    stored = row("daily-report", schedule={"type": "hours", "value": 24}, last_run_at=NOW_MS - 6 * 3600_000)
    assert compare(manifest(daily), [stored], options()).findings == ()


def test_unreadable_row_schedule_is_mismatch() -> None:
    result = compare(manifest(job()), [row(schedule=None)], options())
    assert rules(result.findings) == ["schedule-mismatch"]


def test_disabled_row() -> None:
    result = compare(manifest(job()), [row(enabled=False)], options())
    assert rules(result.findings) == ["job-disabled"]


def test_keep_disabled_silences_rule() -> None:
    result = compare(manifest(job()), [row(enabled=False)], options(keep_disabled={"traffic-sync": "paused"}))
    assert result.findings == ()


def test_never_run_after_two_periods() -> None:
    stored = row(last_run_at=None, total_runs=0, created_at=NOW_MS - 31 * MINUTE_MS)
    assert rules(compare(manifest(job()), [stored], options()).findings) == ["never-run"]


def test_never_run_not_before_two_periods() -> None:
    stored = row(last_run_at=None, total_runs=0, created_at=NOW_MS - 29 * MINUTE_MS)
    assert compare(manifest(job()), [stored], options()).findings == ()


def test_stale_after_three_periods() -> None:
    stored = row(last_run_at=NOW_MS - 46 * MINUTE_MS)
    result = compare(manifest(job()), [stored], options())
    assert rules(result.findings) == ["stale"]


def test_not_stale_within_periods() -> None:
    stored = row(last_run_at=NOW_MS - 44 * MINUTE_MS)
    assert compare(manifest(job()), [stored], options()).findings == ()


def test_stale_periods_configurable() -> None:
    stored = row(last_run_at=NOW_MS - 46 * MINUTE_MS)
    assert compare(manifest(job()), [stored], options(stale_periods=4)).findings == ()


def test_failing_last_status() -> None:
    result = compare(manifest(job()), [row(last_status="error")], options())
    assert rules(result.findings) == ["failing"]


def test_failing_error_rate() -> None:
    result = compare(manifest(job()), [row(total_runs=10, error_count=6, success_count=4)], options())
    assert rules(result.findings) == ["failing"]
    assert "60%" in result.findings[0].message


def test_error_rate_below_threshold() -> None:
    stored = row(total_runs=10, error_count=5, success_count=5)
    assert compare(manifest(job()), [stored], options()).findings == ()


def test_policy_changes_severity_and_ignores() -> None:
    findings = [
        Finding("orphaned-job", Severity.WARNING, "orphan", job="legacy"),
        Finding("never-run", Severity.WARNING, "never", job="new-job"),
        Finding("stale", Severity.ERROR, "stale", job="x"),
    ]
    kept, ignored = apply_policy(
        findings,
        {"orphaned-job": Severity.ERROR, "never-run": None},
        [IgnoreEntry(reason="known", job="x", rule="stale")],
    )
    assert [(f.rule, f.severity) for f in kept] == [("orphaned-job", Severity.ERROR)]
    assert ignored == 2
