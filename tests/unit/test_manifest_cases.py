"""Read every crons.ts case under tests/cases/crons and compare with its expected reading.

A case is either a pair ``NN-name.ts`` + ``NN-name.expected.json``, or a folder ``NN-name/``
holding ``crons.ts``, ``crons.expected.json`` and the modules that crons.ts imports. The
folder is then the project root and the functions directory.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from crongate.manifest.crons import read_crons_file

CASES = Path(__file__).resolve().parent.parent / "cases" / "crons"

# The rules a case's "findings" list covers; findings of other rules are not compared.
CASE_RULES = {
    "dynamic-registration", "invalid-schedule", "schedule-skips-months", "invalid-name",
    "duplicate-name", "missing-default-export", "invalid-target",
}


def _cases() -> list[tuple[str, Path, Path, Path]]:
    """Return (id, crons.ts, expected.json, root) for every case."""
    cases = []
    for source in sorted(CASES.glob("*.ts")):
        expected = source.with_name(source.stem + ".expected.json")
        cases.append((source.stem, source, expected, CASES))
    for folder in sorted(path for path in CASES.iterdir() if path.is_dir()):
        cases.append((folder.name, folder / "crons.ts", folder / "crons.expected.json", folder))
    return cases


@pytest.mark.parametrize(("source", "expected_file", "root"),
                         [case[1:] for case in _cases()], ids=[case[0] for case in _cases()])
def test_case_reads_as_expected(source: Path, expected_file: Path, root: Path) -> None:
    expected = json.loads(expected_file.read_text(encoding="utf-8"))
    reading = read_crons_file(source, root)

    jobs = []
    for job, expected_job in zip(reading.jobs, expected["jobs"]):
        case = job.to_case()
        if "description" in expected_job:
            case["description"] = job.description
        jobs.append(case)
    assert jobs == expected["jobs"][: len(jobs)]
    assert len(reading.jobs) == len(expected["jobs"])

    findings = {
        (finding.rule, finding.location.line if finding.location else None)
        for finding in reading.findings
        if finding.rule in CASE_RULES
    }
    expected_findings = {(finding["rule"], finding["line"]) for finding in expected["findings"]}
    assert findings == expected_findings


def test_cases_are_present() -> None:
    assert len(_cases()) >= 40


def test_case_files_are_paired() -> None:
    for _, source, expected, _ in _cases():
        assert source.is_file(), source
        assert expected.is_file(), expected
