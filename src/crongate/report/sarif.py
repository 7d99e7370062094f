"""SARIF 2.1.0, the format GitHub code scanning uploads (``github/codeql-action/upload-sarif``).

One run whose driver lists every rule of ``crongate.rules``, and one result per finding.
Pending findings get level ``note``. A result's ``partialFingerprints`` hash the rule and
the job (or the file, for a finding about a whole file), so code scanning keeps tracking
the same alert when the line moves.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any, TextIO
from urllib.parse import quote

from crongate import __version__
from crongate.model import CheckResult, CronJob, Finding
from crongate.report.common import all_findings, clean_block, finding_location, group_findings, repo_path
from crongate.report.interface import ReportContext, Reporter
from crongate.rules import RULES

SARIF_SCHEMA = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
# TODO: point at the project's home page once it has one; PyPI is where it is published.
INFORMATION_URI = "https://pypi.org/project/crongate/"
FINGERPRINT_KEY = "crongateFinding/v1"


class SarifReporter(Reporter):
    name = "sarif"

    def write(self, result: CheckResult, stream: TextIO, context: ReportContext) -> None:
        json.dump(build_sarif(result, context), stream, indent=2)
        stream.write("\n")


def build_sarif(result: CheckResult, context: ReportContext) -> dict[str, Any]:
    """Return the SARIF log for ``result`` as plain JSON values."""
    rule_ids = list(RULES)
    findings = list(all_findings(group_findings(result)))

    # A finding from a rule outside the catalogue (a newer compare stage) still needs a
    # rule entry, or its ruleIndex would point nowhere.
    for finding, _job in findings:
        if finding.rule not in rule_ids:
            rule_ids.append(finding.rule)

    run: dict[str, Any] = {
        "tool": {
            "driver": {
                "name": "crongate",
                "version": __version__,
                "informationUri": INFORMATION_URI,
                "rules": [_rule(rule_id) for rule_id in rule_ids],
            }
        },
        "results": [_result(f, job, rule_ids, result, context) for f, job in findings],
        "columnKind": "unicodeCodePoints",
    }
    if context.repository_url and context.commit:
        run["versionControlProvenance"] = [
            {"repositoryUri": context.repository_url, "revisionId": context.commit}
        ]

    return {"$schema": SARIF_SCHEMA, "version": "2.1.0", "runs": [run]}


def _rule(rule_id: str) -> dict[str, Any]:
    rule = RULES.get(rule_id)
    if rule is None:
        return {
            "id": rule_id,
            "shortDescription": {"text": rule_id},
            "defaultConfiguration": {"level": "warning"},
        }
    return {
        "id": rule.id,
        "shortDescription": {"text": rule.summary},
        "defaultConfiguration": {"level": rule.severity.value},
        "properties": {"kind": rule.kind},
    }


def _result(
    finding: Finding,
    job: CronJob | None,
    rule_ids: list[str],
    result: CheckResult,
    context: ReportContext,
) -> dict[str, Any]:
    location = finding_location(finding, job)
    file = location.file if location is not None else result.manifest.crons_file

    physical: dict[str, Any] = {"artifactLocation": {"uri": quote(repo_path(context, file), safe="/")}}
    if location is not None and location.line is not None:
        region: dict[str, Any] = {"startLine": location.line}
        if location.column is not None:
            region["startColumn"] = location.column
        physical["region"] = region

    text = clean_block(finding.message)
    if finding.hint:
        text += f"\nHint: {clean_block(finding.hint)}"

    subject = finding.job if finding.job is not None else f"file:{file}"
    fingerprint = hashlib.sha256(f"{finding.rule}\0{subject}".encode()).hexdigest()

    entry: dict[str, Any] = {
        "ruleId": finding.rule,
        "ruleIndex": rule_ids.index(finding.rule),
        "level": "note" if finding.pending else finding.severity.value,
        "message": {"text": text},
        "locations": [{"physicalLocation": physical}],
        "partialFingerprints": {FINGERPRINT_KEY: fingerprint},
    }
    if finding.pending:
        entry["properties"] = {"pending": True}
    return entry
