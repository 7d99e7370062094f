"""`crongate check` on the bundled example app, run as a subprocess against its snapshot."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import junitparser
import pytest

from tests.cli_runner import EXAMPLE, run_crongate

EXPECTED_DRIFT = {
    ("missing-job", "proxy-session-renewal"),
    ("job-disabled", "device-screenshot-capture"),
    ("orphaned-job", "legacy-metrics-rollup"),
}


def findings_of(report: dict) -> set[tuple[str, str]]:
    return {(finding["rule"], finding["job"]) for finding in report["findings"]}


def test_example_check_fails_on_drift() -> None:
    process = run_crongate("check", EXAMPLE)
    assert process.returncode == 1, process.stderr
    assert "proxy-session-renewal" in process.stdout
    assert "missing-job" in process.stdout
    assert "job-disabled" in process.stdout
    assert "orphaned-job" in process.stdout
    assert "Traceback" not in process.stderr


def test_example_json_lists_exactly_drift() -> None:
    process = run_crongate("check", EXAMPLE, "--format", "json")
    assert process.returncode == 1, process.stderr
    report = json.loads(process.stdout)
    assert findings_of(report) == EXPECTED_DRIFT
    assert report["result"] == "drift"
    assert report["missing_jobs"] == 1
    assert report["registry"]["rows"] == 5


def test_example_junit_has_testcase_per_job(tmp_path: Path) -> None:
    junit_path = tmp_path / "out.xml"
    process = run_crongate("check", EXAMPLE, "--junit", junit_path)
    assert process.returncode == 1, process.stderr

    cases = [case for suite in junitparser.JUnitXml.fromfile(str(junit_path)) for case in suite]
    by_name = {case.name: case for case in cases}
    jobs = {"ai-proxy-orchestrator", "device-screenshot-capture", "traffic-sync", "proxy-session-renewal", "daily-report"}
    assert jobs <= set(by_name)
    failed = {case.name for case in cases if any(isinstance(r, junitparser.Failure) for r in case.result)}
    assert failed == {"device-screenshot-capture", "proxy-session-renewal"}


def test_fail_on_warning_fails_orphan_too(tmp_path: Path) -> None:
    junit_path = tmp_path / "out.xml"
    process = run_crongate("check", EXAMPLE, "--fail-on", "warning", "--junit", junit_path)
    assert process.returncode == 1
    cases = [case for suite in junitparser.JUnitXml.fromfile(str(junit_path)) for case in suite]
    failed = {case.name for case in cases if any(isinstance(r, junitparser.Failure) for r in case.result)}
    assert "legacy-metrics-rollup" in failed


def test_fail_on_never_passes() -> None:
    process = run_crongate("check", EXAMPLE, "--fail-on", "never")
    assert process.returncode == 0, process.stderr


def test_pre_deploy_makes_fixable_drift_pending() -> None:
    process = run_crongate("check", EXAMPLE, "--pre-deploy", "--format", "json")
    report = json.loads(process.stdout)
    pending = {(f["rule"], f["job"]) for f in report["findings"] if f["pending"]}
    assert pending == {("missing-job", "proxy-session-renewal"), ("job-disabled", "device-screenshot-capture")}
    assert process.returncode == 0, process.stdout


def test_offline_runs_static_rules_only() -> None:
    process = run_crongate("check", EXAMPLE, "--offline", "--format", "json")
    assert process.returncode == 0, process.stderr
    report = json.loads(process.stdout)
    assert report["registry"]["source"] is None
    assert "no registry read" in process.stderr


def test_manifest_command_prints_case_shape() -> None:
    process = run_crongate("manifest", EXAMPLE / "convex" / "crons.ts", "--format", "json")
    assert process.returncode == 0, process.stderr
    reading = json.loads(process.stdout)
    assert [job["name"] for job in reading["jobs"]] == [
        "ai-proxy-orchestrator", "device-screenshot-capture", "traffic-sync", "proxy-session-renewal", "daily-report",
    ]
    assert set(reading["jobs"][0]) == {"name", "kind", "schedule", "function", "args", "line"}


def test_snapshot_flag_overrides_config(tmp_path: Path) -> None:
    rows = tmp_path / "rows.json"
    rows.write_text("[]", encoding="utf-8")
    process = run_crongate("check", EXAMPLE, "--snapshot", rows, "--format", "json")
    report = json.loads(process.stdout)
    assert {rule for rule, _ in findings_of(report)} == {"missing-job"}
    assert report["missing_jobs"] == 5


def test_missing_project_exits_2(tmp_path: Path) -> None:
    process = run_crongate("check", tmp_path / "nowhere")
    assert process.returncode == 2
    assert "does not exist" in process.stderr


def test_missing_crons_file_exits_2(tmp_path: Path) -> None:
    process = run_crongate("check", tmp_path)
    assert process.returncode == 2
    assert "crons.ts" in process.stderr
    assert "Traceback" not in process.stderr


def test_bad_config_exits_2_with_line(tmp_path: Path) -> None:
    project = tmp_path / "app"
    shutil.copytree(EXAMPLE / "convex", project / "convex")
    (project / "crongate.yml").write_text("fail_on: error\nregistery: {}\n", encoding="utf-8")
    process = run_crongate("check", project)
    assert process.returncode == 2
    assert "crongate.yml:2: unknown key 'registery'" in process.stderr


@pytest.mark.parametrize("flags", [("--url", "ftp://example"), ("--url", "http://127.0.0.1:1", "--offline")])
def test_bad_target_flags_exit_2(flags: tuple[str, ...]) -> None:
    process = run_crongate("check", EXAMPLE, *flags)
    assert process.returncode == 2
    assert "Traceback" not in process.stderr
