"""Tests for the report formats, on CheckResults built by hand."""

from __future__ import annotations

import io
import json
import re
import xml.etree.ElementTree as ElementTree
from importlib import resources
from pathlib import Path

import jsonschema
import pytest
from junitparser import Failure, JUnitXml, Skipped

from crongate.errors import UsageError
from crongate.model import (
    CheckResult,
    CronJob,
    Finding,
    JobStatus,
    Location,
    Manifest,
    RegistryRow,
    Severity,
)
from crongate.report.github import escape_data, escape_property
from crongate.report.interface import ReportContext, get_reporter, reporter_names
from crongate.report.summary import SummaryReporter, escape_cell

SHARED_SCHEMAS = Path(__file__).resolve().parents[2] / ".." / "shared" / "schemas"
CRONS = "convex/crons.ts"
HOUR_MS = 3_600_000
NOW_MS = 1_800_000_000_000.0
HOSTILE = "evil%job::error::pwned\r\n::warning::x|`code`<script>alert(1)</script>,a:b"


def location(line: int, file: str = CRONS) -> Location:
    return Location(file, line, 3)


def cron_job(name: str, line: int) -> CronJob:
    return CronJob(name, "interval", {"minutes": 5}, "jobs:run", {}, location(line))


def row(key: str, **fields) -> RegistryRow:
    values = {"enabled": True, "schedule": {"type": "minutes", "value": 5}, "last_run_at": NOW_MS - 2 * HOUR_MS}
    values.update(fields)
    return RegistryRow(key, **values)


def missing(job: CronJob, *, pending: bool = False, message: str = "cron job has no registry row") -> Finding:
    return Finding(
        "missing-job",
        Severity.ERROR,
        message,
        job=job.name,
        location=job.location,
        hint="add a migration in convex/systemJobs.ts, then run crongate migrate",
        pending=pending,
    )


def build_result(
    statuses: list[JobStatus],
    *,
    orphans: tuple[RegistryRow, ...] = (),
    extra: tuple[Finding, ...] = (),
    registry: str | None = "https://happy-animal-123.convex.cloud",
    fail_on: Severity | None = Severity.ERROR,
    pre_deploy: bool = False,
) -> CheckResult:
    findings = tuple(f for status in statuses for f in status.findings) + extra
    manifest = Manifest(
        root=".",
        crons_file=CRONS,
        jobs=tuple(status.job for status in statuses),
        migrations_file="convex/systemJobs.ts",
    )
    return CheckResult(
        manifest=manifest,
        findings=findings,
        jobs=tuple(statuses),
        orphans=orphans,
        registry_source=registry,
        rows_read=None if registry is None else len(statuses) + len(orphans),
        fail_on=fail_on,
        pre_deploy=pre_deploy,
    )


def drifted_result() -> CheckResult:
    """Three jobs: one in sync, one missing its row, one pending; an orphan; a file finding."""
    synced = cron_job("traffic-sync", 4)
    lost = cron_job("cleanup", 9)
    added = cron_job("digest", 14)
    old = row("old-report", enabled=False)
    orphaned = Finding("orphaned-job", Severity.WARNING, "row has no cron job", job="old-report")
    mismatch = Finding(
        "migration-mismatch",
        Severity.WARNING,
        "migration inserts a different interval",
        location=location(40, "convex/systemJobs.ts"),
    )
    return build_result(
        [
            JobStatus(synced, row("traffic-sync")),
            JobStatus(lost, None, (missing(lost),)),
            JobStatus(added, None, (missing(added, pending=True),)),
        ],
        orphans=(old,),
        extra=(orphaned, mismatch),
        pre_deploy=True,
    )


def hostile_result() -> CheckResult:
    job = cron_job(HOSTILE, 7)
    finding = missing(job, message=HOSTILE)
    deployed = row("hostile", last_status="\x1b[31mfailed\x1b[0m", description=HOSTILE)
    return build_result([JobStatus(job, deployed, (finding,))])


def render(name: str, result: CheckResult, context: ReportContext | None = None) -> str:
    stream = io.StringIO()
    get_reporter(name).write(result, stream, context or ReportContext(now=NOW_MS))
    return stream.getvalue()


def validator_for_file(path: Path) -> jsonschema.protocols.Validator:
    if not path.is_file():
        pytest.skip(f"schema {path.name} not found at {path.parent}; it lives outside the repository")
    schema = json.loads(path.read_text(encoding="utf-8"))
    return jsonschema.validators.validator_for(schema)(schema)


def report_schema_validator() -> jsonschema.protocols.Validator:
    text = resources.files("crongate").joinpath("schemas/report-v1.schema.json").read_text(encoding="utf-8")
    schema = json.loads(text)
    return jsonschema.Draft202012Validator(schema)


# -- interface -------------------------------------------------------------------------


def test_get_reporter_unknown_name():
    with pytest.raises(UsageError) as caught:
        get_reporter("yaml")
    assert "yaml" in caught.value.message
    assert "junit" in (caught.value.hint or "")


@pytest.mark.parametrize("name", ["text", "json", "junit", "github", "summary", "sarif"])
def test_get_reporter_known_name(name):
    assert get_reporter(name).name == name


def test_reporter_names_complete():
    assert set(reporter_names()) == {"text", "json", "junit", "github", "summary", "sarif"}


# -- text ------------------------------------------------------------------------------


def test_text_colour_off_by_default():
    assert "\x1b" not in render("text", drifted_result())


def test_text_colour_on_request():
    output = render("text", drifted_result(), ReportContext(color=True, now=NOW_MS))
    assert "\x1b[" in output


def test_text_lists_every_job():
    output = render("text", drifted_result())
    for name in ("traffic-sync", "cleanup", "digest"):
        assert name in output


def test_text_row_state_relative():
    output = render("text", drifted_result())
    assert "enabled, last run 2 hours ago" in output


def test_text_finding_with_location_and_hint():
    output = render("text", drifted_result())
    assert f"{CRONS}:9  error  missing-job  cron job has no registry row" in output
    assert "      hint: add a migration" in output


def test_text_pending_label():
    output = render("text", drifted_result())
    assert f"{CRONS}:14  pending: fixed by migrate after deploy  missing-job" in output


def test_text_orphan_section():
    output = render("text", drifted_result())
    assert "Orphaned rows (1)" in output
    assert "old-report" in output


def test_text_verdict_failed():
    last = render("text", drifted_result()).rstrip("\n").splitlines()[-1]
    assert last.startswith("1 error, 2 warnings — gate failed (--fail-on error)")


def test_text_verdict_in_sync():
    job = cron_job("traffic-sync", 4)
    last = render("text", build_result([JobStatus(job, row("traffic-sync"))])).rstrip("\n").splitlines()[-1]
    assert last == "in sync"


def test_text_without_registry():
    job = cron_job("traffic-sync", 4)
    output = render("text", build_result([JobStatus(job, None)], registry=None))
    assert "no registry read: static checks only" in output


def test_text_escapes_control_characters():
    output = render("text", hostile_result())
    assert "\x1b" not in output
    assert "\\x1b[31mfailed" in output


def test_text_hostile_name_stays_on_one_line():
    output = render("text", hostile_result())
    assert not any(line.startswith("::warning") for line in output.splitlines())


# -- json ------------------------------------------------------------------------------


def test_json_validates_against_schema():
    report = json.loads(render("json", drifted_result()))
    errors = list(report_schema_validator().iter_errors(report))
    assert errors == []


def test_json_without_registry_validates():
    job = cron_job("traffic-sync", 4)
    report = json.loads(render("json", build_result([JobStatus(job, None)], registry=None)))
    errors = list(report_schema_validator().iter_errors(report))
    assert errors == []
    assert report["registry"]["source"] is None


def test_json_hostile_text_validates():
    report = json.loads(render("json", hostile_result()))
    assert list(report_schema_validator().iter_errors(report)) == []
    assert report["jobs"][0]["name"] == HOSTILE


def test_json_top_level_fields():
    report = json.loads(render("json", drifted_result()))
    assert report["version"] == 1
    assert report["tool"]["name"] == "crongate"
    assert report["result"] == "drift"
    assert report["gate"] == "failed"
    assert report["fail_on"] == "error"
    assert report["pre_deploy"] is True


def test_json_counts_exclude_pending():
    report = json.loads(render("json", drifted_result()))
    assert report["counts"] == {"error": 1, "warning": 2, "pending": 1, "ignored": 0}
    assert report["missing_jobs"] == 1


def test_json_only_pending_is_in_sync():
    job = cron_job("digest", 14)
    report = json.loads(render("json", build_result([JobStatus(job, None, (missing(job, pending=True),))])))
    assert report["result"] == "in-sync"
    assert report["gate"] == "passed"


def test_json_job_entries():
    report = json.loads(render("json", drifted_result()))
    statuses = {job["name"]: job["status"] for job in report["jobs"]}
    assert statuses == {"traffic-sync": "ok", "cleanup": "error", "digest": "pending"}
    assert report["jobs"][0]["row"]["key"] == "traffic-sync"
    assert report["jobs"][1]["row"] is None


def test_json_every_finding_once():
    report = json.loads(render("json", drifted_result()))
    rules = sorted(f["rule"] for f in report["findings"])
    assert rules == ["migration-mismatch", "missing-job", "missing-job", "orphaned-job"]


def test_json_fail_on_never():
    result = build_result([JobStatus(cron_job("cleanup", 9), None)], fail_on=None)
    assert json.loads(render("json", result))["fail_on"] == "never"


# -- junit -----------------------------------------------------------------------------


def parse_junit(text: str) -> JUnitXml:
    return JUnitXml.fromstring(text.encode("utf-8"))


def junit_cases(text: str) -> dict[tuple[str, str], object]:
    xml = parse_junit(text)
    return {(case.classname, case.name): case for suite in xml for case in suite}


def junit_element(text: str, name: str) -> ElementTree.Element:
    root = ElementTree.fromstring(text.encode("utf-8"))
    return next(case for case in root.iter("testcase") if case.get("name") == name)


def test_junit_one_case_per_job():
    cases = junit_cases(render("junit", drifted_result()))
    job_cases = {name for classname, name in cases if classname == "crongate.crons" and name != "manifest"}
    assert job_cases == {"traffic-sync", "cleanup", "digest"}


def test_junit_failures_only_for_drifted_jobs():
    cases = junit_cases(render("junit", drifted_result()))
    failed = {
        name
        for (classname, name), case in cases.items()
        if any(isinstance(entry, Failure) for entry in case.result)
    }
    assert failed == {"cleanup"}


def test_junit_failure_text_starts_with_location():
    cases = junit_cases(render("junit", drifted_result()))
    failure = cases[("crongate.crons", "cleanup")].result[0]
    assert failure.type == "missing-job"
    assert failure.message == "missing-job: cron job has no registry row"
    assert failure.text.startswith(f"{CRONS}:9\n")


def test_junit_pending_job_skipped():
    cases = junit_cases(render("junit", drifted_result()))
    results = cases[("crongate.crons", "digest")].result
    assert len(results) == 1
    assert isinstance(results[0], Skipped)


def test_junit_warning_in_system_out():
    cases = junit_cases(render("junit", drifted_result()))
    orphan = cases[("crongate.registry", "old-report")]
    assert orphan.result == []
    assert "orphaned-job" in orphan.system_out


def test_junit_manifest_case_per_file():
    cases = junit_cases(render("junit", drifted_result()))
    assert ("crongate.crons", "manifest") in cases
    assert "migration-mismatch" in cases[("crongate.systemJobs", "manifest")].system_out


def test_junit_file_and_line_attributes():
    output = render("junit", drifted_result(), ReportContext(workdir_prefix="apps/web/", now=NOW_MS))
    case = junit_element(output, "cleanup")
    assert case.get("file") == "apps/web/convex/crons.ts"
    assert case.get("line") == "9"


def test_junit_properties():
    output = render("junit", drifted_result(), ReportContext(commit="0123abc", now=NOW_MS))
    suite = next(iter(parse_junit(output)))
    properties = {prop.name: prop.value for prop in suite.properties()}
    assert properties["registry"] == "https://happy-animal-123.convex.cloud"
    assert properties["commit"] == "0123abc"


def test_junit_hostile_name_round_trips():
    cases = junit_cases(render("junit", hostile_result()))
    names = {name for _classname, name in cases}
    assert HOSTILE.replace("\r\n", " ") in names


def test_junit_strict_drops_extensions():
    output = render("junit", drifted_result(), ReportContext(junit_strict=True, now=NOW_MS))
    case = junit_element(output, "cleanup")
    assert case.get("file") is None
    assert case.get("line") is None
    assert "disabled=" not in output


@pytest.mark.parametrize("result_factory", [drifted_result, hostile_result])
def test_junit_strict_validates(result_factory):
    xmlschema = pytest.importorskip("xmlschema")
    path = SHARED_SCHEMAS / "junit-10.xsd"
    if not path.is_file():
        pytest.skip(f"junit-10.xsd not found at {path.parent}; it lives outside the repository")
    schema = xmlschema.XMLSchema(str(path))
    output = render("junit", result_factory(), ReportContext(junit_strict=True, commit="abc", now=NOW_MS))
    errors = list(schema.iter_errors(output))
    assert errors == []


def test_junit_default_not_strict():
    xmlschema = pytest.importorskip("xmlschema")
    path = SHARED_SCHEMAS / "junit-10.xsd"
    if not path.is_file():
        pytest.skip(f"junit-10.xsd not found at {path.parent}; it lives outside the repository")
    schema = xmlschema.XMLSchema(str(path))
    assert not schema.is_valid(render("junit", drifted_result()))


# -- github ----------------------------------------------------------------------------


def test_escape_data_toolkit_rules():
    assert escape_data("100%\r\nnext:a,b") == "100%25%0D%0Anext:a,b"


def test_escape_property_toolkit_rules():
    assert escape_property("100%\r\nnext:a,b") == "100%25%0D%0Anext%3Aa%2Cb"


def test_github_error_annotation():
    output = render("github", drifted_result(), ReportContext(workdir_prefix="apps/web", now=NOW_MS))
    assert (
        "::error file=apps/web/convex/crons.ts,line=9,col=3,title=missing-job%3A cleanup::"
        "cron job has no registry row%0Ahint: add a migration"
    ) in output


def test_github_pending_is_notice():
    lines = render("github", drifted_result()).splitlines()
    notices = [line for line in lines if line.startswith("::notice ")]
    assert len(notices) == 1
    assert "title=missing-job%3A digest" in notices[0]


def test_github_migration_finding_on_its_file():
    output = render("github", drifted_result())
    assert "::warning file=convex/systemJobs.ts,line=40,col=3,title=migration-mismatch::" in output


def test_github_hostile_text_cannot_inject():
    lines = render("github", hostile_result()).splitlines()
    token_line = next(line for line in lines if line.startswith("::stop-commands::"))
    token = token_line.split("::")[2]
    stop = lines.index(token_line)
    resume = lines.index(f"::{token}::")

    # Outside the stop-commands block every line is one of crongate's own commands.
    outside = lines[:stop] + lines[resume + 1 :]
    for line in outside:
        assert re.match(r"^::(error|warning|notice|group|endgroup)[ :]", line), line


def test_github_hostile_title_escaped():
    output = render("github", hostile_result())
    annotation = next(line for line in output.splitlines() if line.startswith("::error "))
    properties, _message = annotation[len("::error ") :].split("::", 1)
    assert "\r" not in annotation
    assert properties.count(",") == 3
    assert "%3A%3Aerror%3A%3Apwned" in properties


def test_github_listing_inside_stop_commands():
    lines = render("github", drifted_result()).splitlines()
    token = next(line for line in lines if line.startswith("::stop-commands::")).split("::")[2]
    assert len(token) >= 32
    start = lines.index(f"::stop-commands::{token}")
    end = lines.index(f"::{token}::")
    listing = "\n".join(lines[start + 1 : end])
    assert "cleanup" in listing
    assert "old-report" in listing


def test_github_token_random():
    first = render("github", drifted_result())
    second = render("github", drifted_result())
    assert first != second


def test_github_overflow_annotations():
    jobs = [cron_job(f"job-{number:02d}", number + 1) for number in range(25)]
    result = build_result([JobStatus(job, None, (missing(job),)) for job in jobs])
    lines = render("github", result).splitlines()
    errors = [line for line in lines if line.startswith("::error ")]
    assert len(errors) == 10
    assert "16 more errors" in errors[-1]
    assert "step summary" in errors[-1]


def test_github_overflow_limit_configurable():
    jobs = [cron_job(f"job-{number:02d}", number + 1) for number in range(25)]
    result = build_result([JobStatus(job, None, (missing(job),)) for job in jobs])
    output = render("github", result, ReportContext(max_annotations_per_severity=25, now=NOW_MS))
    errors = [line for line in output.splitlines() if line.startswith("::error ")]
    assert len(errors) == 25
    assert not any("more errors" in line for line in errors)


# -- summary ---------------------------------------------------------------------------


def test_escape_cell_markdown_and_html():
    cell = escape_cell("a|b `c` <script>\nnext")
    assert cell == "a\\|b \\`c\\` &lt;script&gt;<br>next"


def test_summary_hostile_text_escaped():
    output = render("summary", hostile_result())
    assert "<script>" not in output
    assert "&lt;script&gt;" in output
    assert "evil%job::error::pwned" in output


def test_summary_table_rows_intact():
    output = render("summary", hostile_result())
    job_rows = [line for line in output.splitlines() if line.startswith("| ❌")]
    assert len(job_rows) == 1
    unescaped_pipes = re.findall(r"(?<!\\)\|", job_rows[0])
    assert len(unescaped_pipes) == 6


def test_summary_links_with_repository_and_commit():
    context = ReportContext(
        repository_url="https://github.com/acme/app", commit="0123abc", workdir_prefix="web", now=NOW_MS
    )
    output = render("summary", drifted_result(), context)
    assert "[cleanup](https://github.com/acme/app/blob/0123abc/web/convex/crons.ts#L9)" in output


def test_summary_no_links_without_commit():
    context = ReportContext(repository_url="https://github.com/acme/app", now=NOW_MS)
    output = render("summary", drifted_result(), context)
    assert "/blob/" not in output


def test_summary_verdict_and_sections():
    output = render("summary", drifted_result())
    assert "gate failed" in output
    assert "### Orphaned rows (1)" in output
    assert "### Findings (4)" in output


def test_summary_plan_section():
    stream = io.StringIO()
    SummaryReporter(plan_section="1. call `systemJobs:addDigestJob`").write(
        drifted_result(), stream, ReportContext(now=NOW_MS)
    )
    output = stream.getvalue()
    assert "### Plan\n\n1. call `systemJobs:addDigestJob`" in output
    assert output.index("### Plan") < output.index("### Cron jobs")


def test_summary_truncated_to_max_bytes():
    jobs = [cron_job(f"job-{number:04d}", number + 1) for number in range(400)]
    result = build_result([JobStatus(job, None, (missing(job, message="x" * 200),)) for job in jobs])
    stream = io.StringIO()
    SummaryReporter(max_bytes=20_000).write(result, stream, ReportContext(now=NOW_MS))
    output = stream.getvalue()
    assert len(output.encode("utf-8")) <= 20_000
    assert "This summary was cut" in output


def test_summary_default_limit_under_one_mib():
    jobs = [cron_job(f"job-{number:05d}", number + 1) for number in range(3000)]
    result = build_result([JobStatus(job, None, (missing(job, message="é" * 300),)) for job in jobs])
    output = render("summary", result)
    assert len(output.encode("utf-8")) <= 1_000_000
    assert "This summary was cut" in output


def test_summary_small_report_not_cut():
    assert "This summary was cut" not in render("summary", drifted_result())


# -- sarif -----------------------------------------------------------------------------


@pytest.mark.parametrize("result_factory", [drifted_result, hostile_result])
def test_sarif_validates_against_schema(result_factory):
    validator = validator_for_file(SHARED_SCHEMAS / "sarif-schema-2.1.0.json")
    context = ReportContext(repository_url="https://github.com/acme/app", commit="0123abc", now=NOW_MS)
    log = json.loads(render("sarif", result_factory(), context))
    errors = list(validator.iter_errors(log))
    assert errors == []


def test_sarif_driver_and_rules():
    log = json.loads(render("sarif", drifted_result()))
    driver = log["runs"][0]["tool"]["driver"]
    rules = {rule["id"]: rule for rule in driver["rules"]}
    assert log["version"] == "2.1.0"
    assert driver["name"] == "crongate"
    assert rules["missing-job"]["defaultConfiguration"]["level"] == "error"
    assert rules["orphaned-job"]["defaultConfiguration"]["level"] == "warning"


def test_sarif_results():
    log = json.loads(render("sarif", drifted_result(), ReportContext(workdir_prefix="web", now=NOW_MS)))
    run = log["runs"][0]
    results = run["results"]
    failing = next(r for r in results if r["level"] == "error")
    physical = failing["locations"][0]["physicalLocation"]
    assert failing["ruleId"] == "missing-job"
    assert run["tool"]["driver"]["rules"][failing["ruleIndex"]]["id"] == "missing-job"
    assert physical["artifactLocation"]["uri"] == "web/convex/crons.ts"
    assert physical["region"]["startLine"] == 9


def test_sarif_pending_is_note():
    results = json.loads(render("sarif", drifted_result()))["runs"][0]["results"]
    notes = [r for r in results if r["level"] == "note"]
    assert len(notes) == 1


def test_sarif_fingerprint_stable_when_line_moves():
    def fingerprint(line: int) -> dict:
        job = cron_job("cleanup", line)
        log = json.loads(render("sarif", build_result([JobStatus(job, None, (missing(job),))])))
        return log["runs"][0]["results"][0]["partialFingerprints"]

    assert fingerprint(9) == fingerprint(30)


def test_sarif_fingerprint_differs_per_job():
    log = json.loads(render("sarif", drifted_result()))
    prints = [json.dumps(r["partialFingerprints"]) for r in log["runs"][0]["results"] if r["ruleId"] == "missing-job"]
    assert len(set(prints)) == 2


def test_sarif_uri_percent_encoded():
    job = CronJob("spaced", "interval", {"minutes": 5}, "jobs:run", {}, Location("convex app/crons.ts", 2))
    log = json.loads(render("sarif", build_result([JobStatus(job, None, (missing(job),))])))
    uri = log["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
    assert uri == "convex%20app/crons.ts"


def test_text_schedule_in_words():
    output = render("text", drifted_result())
    assert "every 5 minutes" in output


def test_json_invalid_schedule_falls_back():
    job = CronJob("broken", "interval", {"minutes": 0}, "jobs:run", {}, location(3))
    report = json.loads(render("json", build_result([JobStatus(job, None)])))
    assert report["jobs"][0]["schedule_text"] == 'interval {"minutes":0}'


def test_json_row_schedule_in_words():
    report = json.loads(render("json", drifted_result()))
    assert report["jobs"][0]["row"]["schedule_text"] == "every 5 minutes"
