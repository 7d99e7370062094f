"""Checks that the example app and its snapshot still hold the drift the docs describe."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

APP = Path(__file__).resolve().parents[2] / "examples" / "convex-app"
SNAPSHOT_DIR = APP / "snapshot"

# Each declared cron job's key and its period in seconds, as written in crons.ts.
DECLARED = {
    "ai-proxy-orchestrator": 300,
    "device-screenshot-capture": 30,
    "traffic-sync": 900,
    "proxy-session-renewal": 600,
    "daily-report": 86_400,
}
MIGRATIONS = {
    "ai-proxy-orchestrator": "addAIProxyOrchestratorJob",
    "device-screenshot-capture": "addDeviceScreenshotCaptureJob",
    "traffic-sync": "addTrafficSyncJob",
    "proxy-session-renewal": "addProxySessionRenewalJob",
    "daily-report": "addDailyReportJob",
}
UNIT_SECONDS = {"seconds": 1, "minutes": 60, "hours": 3600, "days": 86_400}


def snapshot_zip() -> Path:
    (path,) = SNAPSHOT_DIR.glob("snapshot_*.zip")
    return path


def snapshot_time_ms() -> float:
    nanoseconds = int(snapshot_zip().stem.removeprefix("snapshot_"))
    return nanoseconds / 1_000_000


def snapshot_rows() -> dict[str, dict]:
    with zipfile.ZipFile(snapshot_zip()) as archive:
        lines = archive.read("systemJobs/documents.jsonl").decode().splitlines()
    rows = [json.loads(line) for line in lines]
    return {row["jobKey"]: row for row in rows}


def test_snapshot_rebuilds_identically():
    completed = subprocess.run(
        [sys.executable, str(SNAPSHOT_DIR / "build_snapshot.py"), "--check"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert completed.returncode == 0, completed.stderr


def test_snapshot_layout():
    with zipfile.ZipFile(snapshot_zip()) as archive:
        names = archive.namelist()
        schema = archive.read("systemJobs/generated_schema.jsonl").decode()
        tables = [json.loads(line) for line in archive.read("_tables/documents.jsonl").decode().splitlines()]

    assert names == sorted(names)
    assert "README.md" in names
    assert schema == '"uniform"\n'
    assert {"name": "systemJobs", "id": 10003} in tables


def test_snapshot_time_in_december_2026():
    assert 1_796_083_200_000 <= snapshot_time_ms() < 1_798_761_600_000


def test_missing_row():
    assert "proxy-session-renewal" not in snapshot_rows()


def test_disabled_row():
    assert snapshot_rows()["device-screenshot-capture"]["enabled"] is False


def test_orphaned_row():
    assert set(snapshot_rows()) - set(DECLARED) == {"legacy-metrics-rollup"}


@pytest.mark.parametrize("key", ["ai-proxy-orchestrator", "device-screenshot-capture", "traffic-sync", "daily-report"])
def test_declared_row_is_healthy(key):
    row = snapshot_rows()[key]
    now = snapshot_time_ms()
    period_ms = DECLARED[key] * 1000

    interval = row["interval"]
    assert interval["value"] * UNIT_SECONDS[interval["type"]] == DECLARED[key]
    assert 0 < now - row["lastRunAt"] <= period_ms
    assert row["lastStatus"] == "success"
    assert now - row["createdAt"] >= 14 * 86_400_000
    assert row["totalRuns"] == row["successCount"] + row["errorCount"]
    assert row["errorCount"] / row["totalRuns"] < 0.01


def test_numbers_export_as_floats():
    for row in snapshot_rows().values():
        for field in ("totalRuns", "successCount", "errorCount", "lastRunAt", "createdAt", "updatedAt", "_creationTime"):
            assert isinstance(row[field], float), (row["jobKey"], field)


@pytest.mark.parametrize("key", DECLARED)
def test_cron_and_migration_declared(key):
    crons = (APP / "convex" / "crons.ts").read_text()
    migrations = (APP / "convex" / "systemJobs.ts").read_text()

    assert f'"{key}"' in crons
    assert f"export const {MIGRATIONS[key]} = internalMutation(" in migrations
    assert f'q.eq("jobKey", "{key}")' in migrations


@pytest.mark.npm
def test_example_type_checks():
    tsc = APP / "node_modules" / ".bin" / "tsc"
    if shutil.which("node") is None or not tsc.exists():
        pytest.skip("needs node and examples/convex-app/node_modules (npm ci in examples/convex-app)")

    completed = subprocess.run(
        [str(tsc), "--noEmit", "-p", "convex"],
        cwd=APP,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )

    assert completed.returncode == 0, completed.stdout + completed.stderr
