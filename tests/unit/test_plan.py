"""The plan stage: actions from findings, row digests, and plan files."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

from crongate.apply import effect_in_place
from crongate.config import Config, RegistrySettings
from crongate.errors import EXIT_GATE_FAILED, EXIT_USAGE
from crongate.model import (
    CheckResult,
    CronJob,
    Finding,
    JobStatus,
    Location,
    Manifest,
    Migration,
    RegistryRow,
    Severity,
)
from crongate.plan import (
    Action,
    InvalidPlanFile,
    StalePlan,
    build_plan,
    ensure_current,
    load_plan,
    registry_changes,
    row_digests,
    save_plan,
)


def job(name: str, minutes: int = 5) -> CronJob:
    return CronJob(name=name, kind="interval", schedule={"minutes": minutes}, function=f"jobs:{name}", args={},
                   location=Location("convex/crons.ts", 3))


def row(key: str, *, enabled: bool = True, minutes: int = 5, runs: int = 10, doc_id: str | None = None) -> RegistryRow:
    document = {"_id": doc_id or f"id-{key}", "jobKey": key, "name": key.title(), "enabled": enabled,
                "interval": {"type": "minutes", "value": float(minutes)}, "totalRuns": runs, "lastRunAt": 1000.0 * runs}
    return RegistryRow(key=key, name=key.title(), enabled=enabled, schedule=document["interval"], total_runs=runs,
                       doc_id=document["_id"], raw=document)


def finding(rule: str, name: str, severity: Severity = Severity.ERROR) -> Finding:
    return Finding(rule=rule, severity=severity, message=f"{rule} on {name}", job=name)


def migration(key: str) -> Migration:
    return Migration(function=f"systemJobs:add{key.title().replace('-', '')}Job", job_key=key,
                     location=Location("convex/systemJobs.ts", 20))


def drift_result() -> CheckResult:
    """Missing row with a migration, a disabled row, a missing row without one, an orphan."""
    missing, disabled, unmigrated = job("sync-a"), job("sync-b"), job("sync-c")
    orphan = row("old-job")
    findings = (
        finding("missing-job", "sync-a"),
        finding("job-disabled", "sync-b"),
        finding("missing-job", "sync-c"),
        finding("orphaned-job", "old-job", Severity.WARNING),
    )
    manifest = Manifest(root=".", crons_file="convex/crons.ts", jobs=(missing, disabled, unmigrated),
                        migrations=(migration("sync-a"),))
    statuses = (
        JobStatus(missing, None, (findings[0],)),
        JobStatus(disabled, row("sync-b", enabled=False), (findings[1],)),
        JobStatus(unmigrated, None, (findings[2],)),
    )
    return CheckResult(manifest=manifest, findings=findings, jobs=statuses, orphans=(orphan,),
                       registry_source="http://127.0.0.1:1")


def test_plan_orders_kinds() -> None:
    plan = build_plan(drift_result(), Config())

    assert [action.kind for action in plan.actions] == ["call-migration", "enable", "manual", "manual"]


def test_plan_migration_action() -> None:
    first = build_plan(drift_result(), Config()).actions[0]

    assert first.function == "systemJobs:addSyncAJob"
    assert first.key == "sync-a"
    assert first.id == "call-migration:sync-a"


def test_plan_missing_without_migration_blocks() -> None:
    manual = [a for a in build_plan(drift_result(), Config()).actions if a.finding_rule == "missing-job" and a.kind == "manual"]

    assert len(manual) == 1
    assert manual[0].blocking is True
    assert "no migration" in manual[0].reason


def test_plan_orphan_kept_without_prune() -> None:
    orphan = build_plan(drift_result(), Config()).actions[-1]

    assert orphan.kind == "manual"
    assert orphan.blocking is False
    assert "--prune" in orphan.reason


def test_plan_prune_needs_delete_function() -> None:
    orphan = build_plan(drift_result(), Config(), prune=True).actions[-1]

    assert orphan.kind == "manual"
    assert "delete_function" in orphan.reason


def test_plan_prune_deletes_orphan() -> None:
    config = Config(registry=RegistrySettings(delete_function="systemJobs:remove"))

    plan = build_plan(drift_result(), config, prune=True)

    deletes = [action for action in plan.actions if action.kind == "delete"]
    assert [action.args for action in deletes] == [{"jobKey": "old-job"}]
    assert plan.actions.index(deletes[0]) < len(plan.actions) - 1  # before the manual items


def test_plan_keep_disabled_skips_enable() -> None:
    config = Config(keep_disabled={"sync-b": "switched off until the vendor is back"})

    plan = build_plan(drift_result(), config)

    assert "enable" not in [action.kind for action in plan.actions]


def test_plan_without_enable_function_is_manual() -> None:
    config = Config(registry=RegistrySettings(enable_function=""))

    plan = build_plan(drift_result(), config)

    assert [a.id for a in plan.actions if a.finding_rule == "job-disabled"] == ["manual:job-disabled:sync-b"]


def test_plan_depends_on_absent_key() -> None:
    plan = build_plan(drift_result(), Config())

    assert plan.depends_on["sync-a"] is None
    assert plan.depends_on["sync-b"] is not None


def test_digest_ignores_run_counters() -> None:
    before = row_digests([row("a", runs=10)], ["a"])
    after = row_digests([row("a", runs=11)], ["a"])

    assert before == after


def test_digest_sees_enabled() -> None:
    before = row_digests([row("a", enabled=False)], ["a"])
    after = row_digests([row("a", enabled=True)], ["a"])

    assert before != after


def test_digest_float_equals_int() -> None:
    as_float = row("a")
    as_int = replace(as_float, raw={**as_float.raw, "interval": {"type": "minutes", "value": 5}})

    assert row_digests([as_float], ["a"]) == row_digests([as_int], ["a"])


def test_registry_changes_by_kind() -> None:
    plan = build_plan(drift_result(), Config())
    rows = [row("sync-a"), row("sync-b", enabled=True)]

    changes = registry_changes(plan, rows)

    assert changes.added == ("sync-a",)
    assert changes.changed == ("sync-b",)
    assert changes.removed == ()


def test_ensure_current_raises_stale() -> None:
    plan = build_plan(drift_result(), Config())

    with pytest.raises(StalePlan) as raised:
        ensure_current(plan, [], source="plan.json")

    assert "removed: sync-b" in str(raised.value)
    assert raised.value.exit_code == EXIT_GATE_FAILED


def test_plan_file_round_trip(tmp_path: Path) -> None:
    plan = build_plan(drift_result(), Config(), target_label="http://127.0.0.1:1")
    path = tmp_path / "plan.json"

    save_plan(plan, path)

    assert load_plan(path) == plan


@pytest.mark.parametrize(("change", "fragment"), [
    (lambda doc: doc.update(version=2), "version 2 is not supported"),
    (lambda doc: doc.update(fingerprint="sha256:" + "0" * 64), "fingerprint does not match"),
    (lambda doc: doc["actions"][0].update(kind="drop-table"), "kind 'drop-table'"),
    (lambda doc: doc["actions"][0].pop("function"), "no function to call"),
    (lambda doc: doc["actions"].append(dict(doc["actions"][0])), "more than once"),
    (lambda doc: doc.pop("depends_on"), "no 'depends_on'"),
])
def test_load_plan_rejects_edits(tmp_path: Path, change, fragment: str) -> None:
    path = tmp_path / "plan.json"
    save_plan(build_plan(drift_result(), Config()), path)
    document = json.loads(path.read_text())
    change(document)
    path.write_text(json.dumps(document))

    with pytest.raises(InvalidPlanFile) as raised:
        load_plan(path)

    assert fragment in str(raised.value)
    assert str(path) in str(raised.value)


def test_load_plan_not_json(tmp_path: Path) -> None:
    path = tmp_path / "plan.json"
    path.write_text("{not json")

    with pytest.raises(InvalidPlanFile) as raised:
        load_plan(path)

    assert "not valid JSON (line 1)" in str(raised.value)
    assert raised.value.exit_code == EXIT_USAGE


def test_load_plan_missing_file(tmp_path: Path) -> None:
    with pytest.raises(InvalidPlanFile, match="does not exist"):
        load_plan(tmp_path / "nowhere.json")


@pytest.mark.parametrize(("kind", "rows", "expected"), [
    ("call-migration", [], False),
    ("call-migration", [row("k")], True),
    ("enable", [row("k", enabled=False)], False),
    ("enable", [row("k", enabled=True)], True),
    ("delete", [row("k")], False),
    ("delete", [], True),
])
def test_effect_in_place(kind: str, rows: list[RegistryRow], expected: bool) -> None:
    action = Action(id="x", kind=kind, job="k", function="f:g", args={}, reason="", finding_rule=None, key="k")

    assert effect_in_place(action, rows) is expected
