"""The JUnit XML report, in the Surefire shape that CI test reporters read.

One testsuite contains one testcase per cron job (classname ``crongate.<crons file stem>``),
one per orphaned row (classname ``crongate.registry``) and one ``manifest`` testcase per
file for findings that no job or row owns. Findings at or above ``--fail-on`` become
``failure`` elements. A testcase whose only findings are pending becomes ``skipped``.
Warnings below ``--fail-on`` and pending findings are listed in ``system-out``.

Each testcase carries ``file`` and ``line`` attributes, which mikepenz/action-junit-report
and EnricoMi/publish-unit-test-result-action use to place annotations. The Jenkins JUnit
schema has neither, so ``ReportContext.junit_strict`` removes every attribute that schema
does not declare.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Sequence
from pathlib import PurePosixPath
from typing import TextIO

from junit_xml import TestCase, TestSuite, to_xml_report_string

from crongate.model import CheckResult, CronJob, Finding
from crongate.report.common import (
    NO_REGISTRY_LABEL,
    PENDING_LABEL,
    clean_block,
    clean_line,
    fail_on_label,
    finding_location,
    group_findings,
    is_gate_finding,
    repo_path,
    row_label,
)
from crongate.report.interface import ReportContext, Reporter

SUITE_NAME = "crongate"

# Attributes that the Jenkins JUnit XML schema (the junit-10.xsd that pytest validates its
# own output against) declares, per element. Strict mode drops the rest, such as junit-xml's "disabled" and
# the "file" and "line" extensions.
_STRICT_ATTRIBUTES = {
    "testsuites": {"name", "time", "tests", "failures", "errors"},
    "testsuite": {
        "name", "tests", "failures", "errors", "group", "time", "skipped", "timestamp",
        "hostname", "id", "package", "file", "log", "url", "version",
    },
    "testcase": {"name", "time", "classname", "group"},
    "failure": {"type", "message"},
    "error": {"type", "message"},
    "skipped": {"type", "message"},
    "property": {"name", "value"},
}


class JUnitReporter(Reporter):
    name = "junit"

    def write(self, result: CheckResult, stream: TextIO, context: ReportContext) -> None:
        suite = TestSuite(
            SUITE_NAME,
            test_cases=build_test_cases(result, context),
            properties=_properties(result, context),
        )
        raw = to_xml_report_string([suite], prettyprint=False)

        # junit-xml cannot leave out its own attributes, so strict mode edits its tree.
        root = ET.fromstring(raw)
        if context.junit_strict:
            _strip_to_schema(root)
        ET.indent(root)
        stream.write('<?xml version="1.0" encoding="utf-8"?>\n')
        stream.write(ET.tostring(root, encoding="unicode"))
        stream.write("\n")


def build_test_cases(result: CheckResult, context: ReportContext) -> list[TestCase]:
    """Return the testcases: one per cron job, one per orphaned row, one per file with findings."""
    groups = group_findings(result)
    crons_file = result.manifest.crons_file
    job_classname = f"crongate.{PurePosixPath(crons_file.replace(chr(92), '/')).stem}"
    cases = []

    for status, found in groups.by_job:
        location = status.job.location
        case = TestCase(
            clean_line(status.job.name),
            classname=job_classname,
            file=repo_path(context, location.file),
            line=str(location.line) if location.line is not None else None,
            allow_multiple_subelements=True,
        )
        _add_findings(case, found, status.job, result, context)
        cases.append(case)

    for row, found in groups.by_orphan:
        # A row has no place in the code; its fix is in crons.ts, so the case points there.
        case = TestCase(
            row_label(row),
            classname="crongate.registry",
            file=repo_path(context, crons_file),
            allow_multiple_subelements=True,
        )
        _add_findings(case, found, None, result, context)
        cases.append(case)

    # The crons file always gets a manifest case, so a clean run shows the static checks passed.
    by_file: dict[str, list[Finding]] = {crons_file: []}
    for finding in groups.other:
        file = finding.location.file if finding.location is not None else crons_file
        by_file.setdefault(file, []).append(finding)

    for file, found in by_file.items():
        case = TestCase(
            "manifest",
            classname=f"crongate.{PurePosixPath(file.replace(chr(92), '/')).stem}",
            file=repo_path(context, file),
            allow_multiple_subelements=True,
        )
        _add_findings(case, found, None, result, context)
        cases.append(case)

    return cases


def _add_findings(
    case: TestCase,
    found: Sequence[Finding],
    job: CronJob | None,
    result: CheckResult,
    context: ReportContext,
) -> None:
    failing = [f for f in found if is_gate_finding(result, f)]
    pending = [f for f in found if f.pending]
    listed = [f for f in found if not is_gate_finding(result, f)]

    for finding in failing:
        case.add_failure_info(
            message=f"{finding.rule}: {clean_line(finding.message)}",
            output=_finding_text(finding, job, result, context),
            failure_type=finding.rule,
        )

    # A case that fails is not also skipped: readers would show it twice.
    if pending and not failing:
        rules = ", ".join(dict.fromkeys(f.rule for f in pending))
        case.add_skipped_info(message=f"{PENDING_LABEL}: {rules}")

    if listed:
        blocks = []
        for finding in listed:
            label = PENDING_LABEL if finding.pending else finding.severity.value
            blocks.append(f"[{label}] {finding.rule}: {_finding_text(finding, job, result, context)}")
        case.stdout = "\n\n".join(blocks)


def _finding_text(finding: Finding, job: CronJob | None, result: CheckResult, context: ReportContext) -> str:
    location = finding_location(finding, job)
    if location is None:
        where = repo_path(context, result.manifest.crons_file)
    else:
        where = repo_path(context, location.file)
        if location.line is not None:
            where += f":{location.line}"

    text = f"{where}\n{clean_block(finding.message)}"
    if finding.hint:
        text += f"\nhint: {clean_block(finding.hint)}"
    return text


def _properties(result: CheckResult, context: ReportContext) -> dict[str, str]:
    properties = {
        "registry": clean_line(result.registry_source) if result.registry_source else NO_REGISTRY_LABEL,
        "fail_on": fail_on_label(result),
        "pre_deploy": "true" if result.pre_deploy else "false",
    }
    if result.rows_read is not None:
        properties["rows_read"] = str(result.rows_read)
    if context.commit:
        properties["commit"] = clean_line(context.commit)
    return properties


def _strip_to_schema(root: ET.Element) -> None:
    for element in root.iter():
        allowed = _STRICT_ATTRIBUTES.get(element.tag)
        if allowed is None:
            continue
        for attribute in list(element.attrib):
            if attribute not in allowed:
                del element.attrib[attribute]
