"""``crongate check`` on GitHub Actions (GITHUB_ACTIONS=true), run as a subprocess and read as the runner reads it.

GitHub shows at most 10 error, 10 warning and 10 notice annotations per step, so crongate
writes at most 9 of a level and then one annotation with the number not shown. Text from
the deployment or the manifest must not run as a workflow command, wherever it is printed.
The second half reads the example app's drift from the fake deployment with a canary
deploy key and checks every report file.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from pathlib import Path

import jsonschema
import pytest
import xmlschema
from junitparser import Failure, JUnitXml

from cli_runner import run_crongate
from fake_convex import FakeDeployment
from runner_support import (
    CANARY_KEY,
    CANARY_SECRET,
    EXAMPLE,
    SHARED_SCHEMAS,
    example_rows,
    generated_crons,
    generated_job_line,
    parse_output,
)

JOB_COUNT = 25
ORPHAN_COUNT = 12

# Registry text that tries to run workflow commands: after a line break, after leading
# whitespace, and in the legacy ##[...] form.
HOSTILE_ROW = {
    "_id": "hostile1",
    "jobKey": "::error file=x::pwned-key",
    "name": "Hostile\n::add-mask::pwned-mask\n  ::set-output name=result::pwned-output",
    "interval": {"type": "minutes", "value": 5},
    "enabled": True,
    "lastRunAt": 1_700_000_000_000,
    "lastStatus": "##[error]pwned-legacy\n::warning::pwned-status",
}

ALLOWED_COMMANDS = {"error", "warning", "notice", "group", "endgroup"}


@pytest.fixture(scope="module")
def flood_project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A project with 25 cron jobs and a registry of 12 rows that match none of them."""
    project = tmp_path_factory.mktemp("flood") / "app"
    (project / "convex").mkdir(parents=True)
    (project / "convex" / "crons.ts").write_text(generated_crons(JOB_COUNT))

    rows = [HOSTILE_ROW] + [
        {"_id": f"orphan{index}", "jobKey": f"old-job-{index}", "name": f"Old job {index}",
         "interval": {"type": "minutes", "value": 5}, "enabled": True}
        for index in range(1, ORPHAN_COUNT)
    ]
    (project / "rows.jsonl").write_text("".join(json.dumps(row) + "\n" for row in rows))
    return project


@pytest.fixture(scope="module")
def flood(flood_project: Path) -> subprocess.CompletedProcess[str]:
    """The output of one check of the flood project on GitHub, with -v so that stderr has logs too."""
    return run_crongate("-v", "check", flood_project, "--snapshot", "rows.jsonl", cwd=flood_project,
                        GITHUB_ACTIONS="true")


def check_on_github(project: Path, *args: str, **env: str):
    return run_crongate("check", project, *args, cwd=project, GITHUB_ACTIONS="true", **env)


# Annotation limits


def test_errors_capped_at_ten(flood):
    errors = parse_output(flood.stdout).annotations("error")
    assert flood.returncode == 1, flood.stderr
    assert len(errors) == 10
    assert [int(error.properties["line"]) for error in errors[:9]] == [generated_job_line(i) for i in range(1, 10)]
    assert errors[0].properties["title"] == "missing-job: job-01"
    assert errors[9].properties["title"] == "crongate: 16 more errors"
    assert errors[9].message.startswith("16 errors more than GitHub shows as annotations.")
    assert "step summary" in errors[9].message


def test_warnings_capped_at_ten(flood):
    warnings = parse_output(flood.stdout).annotations("warning")
    assert len(warnings) == 10
    assert all(warning.properties["title"].startswith("orphaned-job: ") for warning in warnings[:9])
    assert warnings[9].properties["title"] == "crongate: 3 more warnings"


def test_annotations_name_file(flood):
    for annotation in parse_output(flood.stdout).annotations():
        assert annotation.properties["file"] == "convex/crons.ts"


def test_ten_errors_not_capped(tmp_path):
    project = tmp_path / "app"
    (project / "convex").mkdir(parents=True)
    (project / "convex" / "crons.ts").write_text(generated_crons(10))
    (project / "rows.jsonl").write_text("")

    completed = check_on_github(project, "--snapshot", "rows.jsonl")

    titles = [error.properties["title"] for error in parse_output(completed.stdout).annotations("error")]
    assert titles == [f"missing-job: job-{index:02d}" for index in range(1, 11)]


def test_every_finding_listed(flood):
    text = "\n".join(parse_output(flood.stdout).stopped)
    for index in range(1, JOB_COUNT + 1):
        assert f"[job-{index:02d}]" in text
    for index in range(1, ORPHAN_COUNT):
        assert f"[old-job-{index}]" in text


# Workflow command injection


def test_hostile_text_runs_no_command(flood):
    log = parse_output(flood.stdout)
    injected = [command for command in log.commands if command.message.startswith("pwned")]
    assert {command.name for command in log.commands} <= ALLOWED_COMMANDS
    assert log.masks == []
    assert injected == []


def test_hostile_text_shown_as_text(flood):
    text = "\n".join(parse_output(flood.stdout).stopped)
    assert "pwned-key" in text
    assert "pwned-mask" in text


def test_hostile_text_stays_in_annotation(flood):
    hostile = [warning for warning in parse_output(flood.stdout).annotations("warning")
               if "pwned-key" in warning.properties["title"]]
    assert len(hostile) == 1
    assert "::add-mask::pwned-mask" in hostile[0].message


def test_no_legacy_command_outside_blocks(flood):
    log = parse_output(flood.stdout)
    assert "pwned-legacy" in "\n".join(log.stopped)
    assert [line for line in log.text if "##[" in line] == []


def test_stderr_runs_no_command(flood):
    log = parse_output(flood.stderr)
    assert log.commands == []
    assert log.masks == []


def test_deployment_error_runs_no_command():
    hostile = "Uncaught Error: boom\n::warning::pwned-warning\n  ::add-mask::pwned-mask"
    with FakeDeployment.with_system_jobs([], admin_key=CANARY_KEY, internal=True) as deployment:
        deployment.inject("systemJobs:listAll", "error", message=hostile)
        completed = check_on_github(EXAMPLE, "--url", deployment.url, CONVEX_DEPLOY_KEY=CANARY_KEY)

    log = parse_output(completed.stderr)
    assert completed.returncode == 3
    assert log.commands == []
    assert log.masks == []
    assert "::warning::pwned-warning" in log.stopped


def test_text_report_unwrapped_off_github(flood_project):
    completed = run_crongate("check", flood_project, "--snapshot", "rows.jsonl", cwd=flood_project)

    assert not completed.stdout.startswith("::stop-commands::")
    assert "::error file=convex/crons.ts" not in completed.stdout


# Reports from the fake deployment, with a canary deploy key


@pytest.fixture(scope="module")
def deployment() -> Iterator[FakeDeployment]:
    with FakeDeployment.with_system_jobs(example_rows(), admin_key=CANARY_KEY, internal=True) as fake:
        yield fake


@pytest.fixture(scope="module")
def reports(deployment, tmp_path_factory) -> dict:
    """Run check on the example app against the fake deployment and return every output."""
    directory = tmp_path_factory.mktemp("reports")
    paths = {name: directory / name for name in ("junit.xml", "strict.xml", "report.json", "report.sarif", "summary.md")}
    completed = check_on_github(
        EXAMPLE, "--url", deployment.url,
        "--junit", str(paths["junit.xml"]), "--json", str(paths["report.json"]),
        "--sarif", str(paths["report.sarif"]), "--summary", str(paths["summary.md"]),
        CONVEX_DEPLOY_KEY=CANARY_KEY,
    )
    strict = check_on_github(EXAMPLE, "--url", deployment.url, "--junit", str(paths["strict.xml"]), "--junit-strict",
                             CONVEX_DEPLOY_KEY=CANARY_KEY)
    return {"completed": completed, "strict": strict, "paths": paths}


def test_example_drift_annotations(reports):
    completed = reports["completed"]

    log = parse_output(completed.stdout)
    errors = {(error.properties["title"], error.properties["line"]) for error in log.annotations("error")}
    assert completed.returncode == 1, completed.stderr
    assert errors == {("job-disabled: device-screenshot-capture", "16"), ("missing-job: proxy-session-renewal", "26")}
    assert [warning.properties["title"] for warning in log.annotations("warning")] == [
        "orphaned-job: legacy-metrics-rollup"
    ]


def test_junit_testcases(reports):
    suite = next(iter(JUnitXml.fromfile(str(reports["paths"]["junit.xml"]))))

    cases = {case.name: case for case in suite}
    failed = {name for name, case in cases.items() if any(isinstance(item, Failure) for item in case.result)}
    assert {"ai-proxy-orchestrator", "device-screenshot-capture", "traffic-sync", "proxy-session-renewal",
            "daily-report", "legacy-metrics-rollup"} <= set(cases)
    assert failed == {"device-screenshot-capture", "proxy-session-renewal"}
    assert cases["proxy-session-renewal"].result[0].type == "missing-job"


def test_junit_strict_validates(reports):
    schema_path = SHARED_SCHEMAS / "junit-10.xsd"
    if not schema_path.is_file():
        pytest.skip(f"junit-10.xsd not found in {schema_path.parent.resolve()}; the schemas live outside the repository")

    schema = xmlschema.XMLSchema(str(schema_path))

    assert reports["strict"].returncode == 1, reports["strict"].stderr
    schema.validate(str(reports["paths"]["strict.xml"]))


def test_sarif_validates(reports):
    schema_path = SHARED_SCHEMAS / "sarif-schema-2.1.0.json"
    if not schema_path.is_file():
        pytest.skip(f"sarif-schema-2.1.0.json not found in {schema_path.parent.resolve()}; "
                    "the schemas live outside the repository")

    schema = json.loads(schema_path.read_text(encoding="utf-8"))
    document = json.loads(reports["paths"]["report.sarif"].read_text(encoding="utf-8"))

    jsonschema.validate(document, schema, cls=jsonschema.Draft4Validator)
    assert {result["ruleId"] for result in document["runs"][0]["results"]} == {
        "job-disabled", "missing-job", "orphaned-job",
    }


def test_canary_in_no_report(reports):
    outputs = {
        "stdout": reports["completed"].stdout,
        "stderr": reports["completed"].stderr,
        "strict stdout": reports["strict"].stdout,
        "strict stderr": reports["strict"].stderr,
    }
    for name, path in reports["paths"].items():
        outputs[name] = path.read_text(encoding="utf-8")

    for name, text in outputs.items():
        assert CANARY_SECRET not in text, name
