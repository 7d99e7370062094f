"""``crongate migrate`` against the fake deployment over real HTTP, run as a subprocess.

The fake contains the example app's registry as its snapshot records it (proxy-session-renewal
missing, device-screenshot-capture disabled, legacy-metrics-rollup orphaned), with every
time moved forward so that the rows are as fresh now as they were when the snapshot was
taken.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from cli_runner import EXAMPLE, REPO, crongate_env
from example_deployment import example_migrations, example_rows
from crongate.apply import DONE, FAILED, SKIPPED, apply_plan
from crongate.model import RegistryRow
from crongate.plan import Action, Plan, fingerprint_digests
from crongate.registry.convex_http import ConnectionSettings, ConvexClient, ConvexHttpRegistry
from crongate.registry.interface import RegistrySource
from fake_convex import FakeDeployment, FunctionContext

# A canary in the shape of a Convex deploy key: neither it nor its secret part may appear in any output.
CANARY_SECRET = "CANARYc2VjcmV0LWNhbmFyeS0xMjM0NTY3ODkw"
CANARY_KEY = f"prod:canary-deployment|{CANARY_SECRET}"

DECLARED_KEYS = ("ai-proxy-orchestrator", "device-screenshot-capture", "traffic-sync", "proxy-session-renewal",
                 "daily-report")


# The rows that the example's add<Name>Job migrations insert (convex/systemJobs.ts).
MIGRATIONS = example_migrations()


def _delete_function(fake: FakeDeployment) -> Any:
    def delete_by_key(ctx: FunctionContext, args: dict[str, Any]) -> Any:
        # The fake has no delete of its own; this runs under its mutation lock like any mutation.
        with fake._lock:
            rows = fake.tables.get("systemJobs", [])
            kept = [row for row in rows if row.get("jobKey") != args.get("jobKey")]
            removed = len(rows) - len(kept)
            fake.tables["systemJobs"] = kept
        return removed

    return delete_by_key


def _upsert_function(fake: FakeDeployment) -> Any:
    def upsert(ctx: FunctionContext, args: dict[str, Any]) -> Any:
        row = next((r for r in fake.rows("systemJobs") if r.get("jobKey") == args["jobKey"]), None)
        if row is None:
            return fake.insert("systemJobs", dict(args))
        fake.patch("systemJobs", row["_id"], {"interval": args["interval"], "name": args["name"]})
        return row["_id"]

    return upsert


@pytest.fixture
def deployment() -> Iterator[FakeDeployment]:
    fake = FakeDeployment.with_system_jobs(example_rows(), MIGRATIONS, admin_key=CANARY_KEY, internal=True)
    fake.register("systemJobs:deleteByKey", "mutation", _delete_function(fake), internal=True)
    fake.register("systemJobs:upsert", "mutation", _upsert_function(fake), internal=True)
    with fake:
        yield fake


def _command(*args: str | Path) -> list[str]:
    return [sys.executable, "-m", "crongate", *map(str, args)]


def crongate(*args: str | Path, key: str = CANARY_KEY, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(_command(*args), cwd=REPO, env=crongate_env(CONVEX_DEPLOY_KEY=key, **env),
                          capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL)


def rows_by_key(fake: FakeDeployment) -> dict[str, list[dict[str, Any]]]:
    grouped: dict[str, list[dict[str, Any]]] = {}
    for row in fake.rows("systemJobs"):
        grouped.setdefault(row["jobKey"], []).append(row)
    return grouped


def mutations(fake: FakeDeployment) -> list[str | None]:
    return [request.function for request in fake.requests_to("/api/mutation")]


def project_copy(tmp_path: Path, config: str) -> Path:
    """Copy the example's functions directory beside a crongate.yml written for one test."""
    project = tmp_path / "app"
    shutil.copytree(EXAMPLE / "convex", project / "convex", ignore=shutil.ignore_patterns("node_modules"))
    (project / "crongate.yml").write_text(config, encoding="utf-8")
    return project


# -- dry run, apply, partial failure, concurrent runs, stale plan -------------------------------


def test_dry_run_writes_nothing(deployment: FakeDeployment) -> None:
    before = json.dumps(deployment.rows("systemJobs"), sort_keys=True)

    done = crongate("migrate", EXAMPLE, "--url", deployment.url)

    assert done.returncode == 0, done.stderr
    assert "call-migration  proxy-session-renewal  systemJobs:addProxySessionRenewalJob" in done.stdout
    assert "enable          device-screenshot-capture  systemJobs:enable" in done.stdout
    assert "dry run" in done.stdout
    assert mutations(deployment) == []
    assert json.dumps(deployment.rows("systemJobs"), sort_keys=True) == before


def test_apply_fixes_drift_then_check_passes(deployment: FakeDeployment) -> None:
    applied = crongate("migrate", EXAMPLE, "--url", deployment.url, "--apply")

    assert applied.returncode == 0, applied.stdout + applied.stderr
    assert "done" in applied.stdout
    assert "Remaining: none" in applied.stdout
    rows = rows_by_key(deployment)
    assert len(rows["proxy-session-renewal"]) == 1
    assert rows["device-screenshot-capture"][0]["enabled"] is True
    assert "legacy-metrics-rollup" in rows  # never deleted without --prune

    checked = crongate("check", EXAMPLE, "--url", deployment.url)
    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_failure_midway_reports_and_rerun_completes(deployment: FakeDeployment) -> None:
    deployment.inject("systemJobs:addProxySessionRenewalJob", "error",
                      message="Uncaught Error: the proxies table is being migrated")

    first = crongate("migrate", EXAMPLE, "--url", deployment.url, "--apply", "--format", "json")

    assert first.returncode == 1, first.stderr
    outcome = json.loads(first.stdout)["apply"]
    by_id = {result["id"]: result for result in outcome["results"]}
    assert by_id["enable:device-screenshot-capture"]["outcome"] == "done"
    assert by_id["call-migration:proxy-session-renewal"]["outcome"] == "failed"
    assert "the proxies table is being migrated" in by_id["call-migration:proxy-session-renewal"]["message"]
    assert outcome["remaining"] == ["call-migration:proxy-session-renewal"]
    assert "proxy-session-renewal" not in rows_by_key(deployment)

    second = crongate("migrate", EXAMPLE, "--url", deployment.url, "--apply")

    assert second.returncode == 0, second.stdout + second.stderr
    assert len(rows_by_key(deployment)["proxy-session-renewal"]) == 1


def test_failure_text_names_done_and_remaining(deployment: FakeDeployment) -> None:
    deployment.inject("systemJobs:addProxySessionRenewalJob", "error", message="Uncaught Error: boom")

    first = crongate("migrate", EXAMPLE, "--url", deployment.url, "--apply")

    assert first.returncode == 1
    lines = first.stdout.splitlines()
    assert any(line.strip().startswith("done") and "device-screenshot-capture" in line for line in lines)
    assert any(line.strip().startswith("failed") and "Uncaught Error: boom" in line for line in lines)
    assert "Remaining (1):" in first.stdout
    assert "call-migration:proxy-session-renewal: failed" in first.stdout


def test_four_concurrent_applies_one_row_each(deployment: FakeDeployment) -> None:
    # Hold each migration call a moment so that all four runs send theirs before any commits.
    deployment.inject("systemJobs:addProxySessionRenewalJob", "delay", times=4, seconds=0.3)
    command = _command("migrate", EXAMPLE, "--url", deployment.url, "--apply")
    env = crongate_env(CONVEX_DEPLOY_KEY=CANARY_KEY)

    runs = [subprocess.Popen(command, cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                             stdin=subprocess.DEVNULL) for _ in range(4)]
    outputs = [run.communicate(timeout=120) for run in runs]

    codes = [run.returncode for run in runs]
    assert codes == [0, 0, 0, 0], outputs
    rows = rows_by_key(deployment)
    for key in DECLARED_KEYS:
        assert len(rows[key]) == 1, key
    assert all(row["enabled"] for row in rows["device-screenshot-capture"])


def test_stale_saved_plan_rejected(deployment: FakeDeployment, tmp_path: Path) -> None:
    plan = tmp_path / "plan.json"
    saved = crongate("check", EXAMPLE, "--url", deployment.url, "--plan-out", plan)
    assert plan.is_file(), saved.stderr

    # Someone fixes two rows by hand after the plan was reviewed.
    deployment.insert("systemJobs", {**MIGRATIONS["addProxySessionRenewalJob"], "createdAt": 1.0, "updatedAt": 1.0})
    device = rows_by_key(deployment)["device-screenshot-capture"][0]
    deployment.patch("systemJobs", device["_id"], {"enabled": True})

    applied = crongate("migrate", EXAMPLE, "--url", deployment.url, "--plan", plan, "--apply")

    assert applied.returncode == 1
    assert "the registry changed since" in applied.stderr
    assert "added: proxy-session-renewal" in applied.stderr
    assert "changed: device-screenshot-capture" in applied.stderr
    assert mutations(deployment) == []


@pytest.mark.parametrize(
    ("field", "value"),
    [("function", "systemJobs:dropEverything"), ("args", {"everything": True})],
)
def test_edited_saved_plan_rejected(deployment: FakeDeployment, tmp_path: Path, field: str, value: Any) -> None:
    plan = tmp_path / "plan.json"
    crongate("migrate", EXAMPLE, "--url", deployment.url, "--plan-out", plan)
    document = json.loads(plan.read_text(encoding="utf-8"))
    document["actions"][0][field] = value
    plan.write_text(json.dumps(document), encoding="utf-8")

    applied = crongate("migrate", EXAMPLE, "--url", deployment.url, "--plan", plan, "--apply")

    assert applied.returncode == 2
    assert "is not one that crongate would plan" in applied.stderr
    assert mutations(deployment) == []


# -- more behaviour ----------------------------------------------------------------------------


def test_second_apply_all_already_in_place(deployment: FakeDeployment) -> None:
    first = crongate("migrate", EXAMPLE, "--url", deployment.url, "--apply")
    assert first.returncode == 0, first.stdout + first.stderr
    calls_after_first = len(mutations(deployment))

    second = crongate("migrate", EXAMPLE, "--url", deployment.url, "--apply", "--format", "json")

    assert second.returncode == 0, second.stderr
    outcome = json.loads(second.stdout)
    executable = [r for r in outcome["apply"]["results"] if r["kind"] != "manual"]
    assert executable == []  # nothing left to plan: the check finds no drift to fix
    assert len(mutations(deployment)) == calls_after_first


def test_saved_plan_applied_twice(deployment: FakeDeployment, tmp_path: Path) -> None:
    plan = tmp_path / "plan.json"
    crongate("migrate", EXAMPLE, "--url", deployment.url, "--plan-out", plan)

    first = crongate("migrate", EXAMPLE, "--url", deployment.url, "--plan", plan, "--apply")
    assert first.returncode == 0, first.stdout + first.stderr
    assert rows_by_key(deployment)["device-screenshot-capture"][0]["enabled"] is True

    # The same plan again: the registry changed (the plan did it), so it is rejected.
    again = crongate("migrate", EXAMPLE, "--url", deployment.url, "--plan", plan, "--apply")
    assert again.returncode == 1
    assert "changed since" in again.stderr


def test_prune_off_by_default(deployment: FakeDeployment, tmp_path: Path) -> None:
    project = project_copy(tmp_path, "registry:\n  delete_function: systemJobs:deleteByKey\n")

    kept = crongate("migrate", project, "--url", deployment.url, "--apply")

    assert kept.returncode == 0, kept.stdout + kept.stderr
    assert "legacy-metrics-rollup" in rows_by_key(deployment)
    assert "systemJobs:deleteByKey" not in mutations(deployment)
    assert "deleted only with --prune" in kept.stdout


def test_prune_deletes_orphan(deployment: FakeDeployment, tmp_path: Path) -> None:
    project = project_copy(tmp_path, "registry:\n  delete_function: systemJobs:deleteByKey\n")

    pruned = crongate("migrate", project, "--url", deployment.url, "--apply", "--prune")

    assert pruned.returncode == 0, pruned.stdout + pruned.stderr
    assert "legacy-metrics-rollup" not in rows_by_key(deployment)


def test_keep_disabled_respected(deployment: FakeDeployment, tmp_path: Path) -> None:
    config = ("keep_disabled:\n"
              "  - job: device-screenshot-capture\n"
              "    reason: the live wall is switched off until the new screens arrive\n")
    project = project_copy(tmp_path, config)

    applied = crongate("migrate", project, "--url", deployment.url, "--apply")

    assert applied.returncode == 0, applied.stdout + applied.stderr
    assert "systemJobs:enable" not in mutations(deployment)
    assert rows_by_key(deployment)["device-screenshot-capture"][0]["enabled"] is False


def test_upsert_fixes_schedule(deployment: FakeDeployment, tmp_path: Path) -> None:
    traffic = rows_by_key(deployment)["traffic-sync"][0]
    deployment.patch("systemJobs", traffic["_id"], {"interval": {"type": "minutes", "value": 20}})
    project = project_copy(tmp_path, "registry:\n  upsert_function: systemJobs:upsert\n")

    applied = crongate("migrate", project, "--url", deployment.url, "--apply")

    assert applied.returncode == 0, applied.stdout + applied.stderr
    assert rows_by_key(deployment)["traffic-sync"][0]["interval"] == {"type": "minutes", "value": 15}


def test_schedule_mismatch_without_upsert_is_manual(deployment: FakeDeployment) -> None:
    traffic = rows_by_key(deployment)["traffic-sync"][0]
    deployment.patch("systemJobs", traffic["_id"], {"interval": {"type": "minutes", "value": 20}})

    applied = crongate("migrate", EXAMPLE, "--url", deployment.url, "--apply")

    assert applied.returncode == 1
    assert "manual:schedule-mismatch:traffic-sync" in applied.stdout
    assert "no upsert function is configured" in applied.stdout


def test_apply_needs_url() -> None:
    done = crongate("migrate", EXAMPLE, "--apply")

    assert done.returncode == 2
    assert "migrate --apply writes to a deployment; give --url" in done.stderr


def test_no_secret_in_any_output(deployment: FakeDeployment, tmp_path: Path) -> None:
    # The deployment echoes the key in an error, as a misbehaving proxy or function might.
    deployment.inject("systemJobs:enable", "error", message=f"Uncaught Error: bad key {CANARY_KEY}")
    plan = tmp_path / "plan.json"
    summary = tmp_path / "summary.md"

    runs = [
        crongate("-vv", "migrate", EXAMPLE, "--url", deployment.url, "--format", "json", "--plan-out", plan),
        crongate("-vv", "migrate", EXAMPLE, "--url", deployment.url, "--apply", "--summary", summary),
        crongate("-vv", "migrate", EXAMPLE, "--url", deployment.url, "--apply", "--format", "json"),
    ]

    texts = [run.stdout + run.stderr for run in runs] + [plan.read_text(), summary.read_text()]
    assert "bad key" in runs[1].stdout  # the echoed message is shown, redacted
    for text in texts:
        assert CANARY_SECRET not in text


# -- the apply stage in-process: lost replies and rejected keys ---------------------------------


def _plan(*actions: Action) -> Plan:
    return Plan(target=None, created_at="2026-12-04T00:00:00Z", actions=actions,
                fingerprint=fingerprint_digests({}), depends_on={})


MIGRATE_PROXY = Action(id="call-migration:proxy-session-renewal", kind="call-migration", job="proxy-session-renewal",
                       function="systemJobs:addProxySessionRenewalJob", args={}, reason="create the row",
                       finding_rule="missing-job", key="proxy-session-renewal")
ENABLE_DEVICE = Action(id="enable:device-screenshot-capture", kind="enable", job="device-screenshot-capture",
                       function="systemJobs:enable", args={"jobKey": "device-screenshot-capture"},
                       reason="enable the row", finding_rule="job-disabled", key="device-screenshot-capture")


class SlowSecondRead(RegistrySource):
    """Reads through ``inner``, pausing before every read after the first."""

    def __init__(self, inner: RegistrySource, pause: float) -> None:
        self.inner, self.pause, self.reads = inner, pause, 0
        self.label = inner.label

    def read_rows(self) -> list[RegistryRow]:
        self.reads += 1
        if self.reads > 1:
            time.sleep(self.pause)
        return self.inner.read_rows()


def test_lost_reply_not_retried_and_verified(deployment: FakeDeployment) -> None:
    # The migration commits 0.6 s after it is sent, but the client gives up after 0.3 s.
    deployment.inject("systemJobs:addProxySessionRenewalJob", "delay", seconds=0.6)
    with ConvexClient(ConnectionSettings(url=deployment.url, key=CANARY_KEY, timeout=0.3)) as client:
        registry = SlowSecondRead(ConvexHttpRegistry(client), pause=1.0)
        report = apply_plan(_plan(MIGRATE_PROXY), client, registry)

    result = report.results[0]
    assert result.outcome == DONE
    assert "outcome unknown" in result.message
    assert len(deployment.requests_to("systemJobs:addProxySessionRenewalJob")) == 1
    assert report.complete


def test_lost_reply_unverified_remains(deployment: FakeDeployment) -> None:
    deployment.inject("systemJobs:addProxySessionRenewalJob", "delay", seconds=1.0)
    with ConvexClient(ConnectionSettings(url=deployment.url, key=CANARY_KEY, timeout=0.3)) as client:
        report = apply_plan(_plan(MIGRATE_PROXY), client, ConvexHttpRegistry(client))

    assert report.results[0].outcome == FAILED
    assert [result.action.id for result in report.remaining] == [MIGRATE_PROXY.id]


def test_rejected_key_stops_further_calls(deployment: FakeDeployment) -> None:
    deployment.inject("/api/mutation", "status", status=401,
                      body={"code": "BadAdminKey", "message": "The provided admin key was invalid for this instance"})
    with ConvexClient(ConnectionSettings(url=deployment.url, key=CANARY_KEY)) as client:
        report = apply_plan(_plan(MIGRATE_PROXY, ENABLE_DEVICE), client, ConvexHttpRegistry(client), concurrency=1)

    assert [result.outcome for result in report.results] == [FAILED, SKIPPED]
    assert deployment.requests_to("systemJobs:enable") == []
    assert len(report.remaining) == 2


def test_retry_on_503_then_done(deployment: FakeDeployment) -> None:
    deployment.inject("systemJobs:enable", "status", status=503,
                      body={"code": "Overloaded", "message": "try again"}, headers={"Retry-After": "0"})
    with ConvexClient(ConnectionSettings(url=deployment.url, key=CANARY_KEY)) as client:
        report = apply_plan(_plan(ENABLE_DEVICE), client, ConvexHttpRegistry(client))

    assert report.results[0].outcome == DONE
    assert len(deployment.requests_to("systemJobs:enable")) == 2
