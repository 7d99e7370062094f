"""Details of the crons.ts reader that the case files do not show: locations, messages, severities."""

from __future__ import annotations

from pathlib import Path

from crongate.manifest.crons import read_crons_file, read_crons_source
from crongate.model import Severity

HEADER = ('import { cronJobs } from "convex/server";\n'
          'import { internal } from "./_generated/api";\n'
          "const crons = cronJobs();\n")


def read_body(body: str, footer: str = "export default crons;\n"):
    return read_crons_source(HEADER + body + footer, "convex/crons.ts")


def test_location_counts_characters() -> None:
    reading = read_body('/* é */ crons.interval("a", { minutes: 1 }, internal.a.b);\n')
    location = reading.jobs[0].location
    assert location.file == "convex/crons.ts"
    assert location.line == 4
    assert location.column == 9


def test_duplicate_message_quotes_convex() -> None:
    reading = read_body('crons.hourly("x", internal.a.b);\ncrons.hourly("x", internal.a.c);\n')
    finding = reading.findings[0]
    assert finding.rule == "duplicate-name"
    assert finding.message == "Cron identifier registered twice: x"
    assert finding.severity is Severity.ERROR
    assert finding.job == "x"
    assert finding.hint


def test_dynamic_finding_is_warning_with_reason() -> None:
    reading = read_body("crons.hourly(process.env.NAME!, internal.a.b);\n")
    finding = reading.findings[0]
    assert finding.rule == "dynamic-registration"
    assert finding.severity is Severity.WARNING
    assert "process.env.NAME" in finding.message
    assert finding.location.line == 4
    assert reading.jobs == ()


def test_missing_default_export_has_no_line() -> None:
    reading = read_body('crons.hourly("x", internal.a.b);\n', footer="")
    finding = reading.findings[0]
    assert finding.rule == "missing-default-export"
    assert finding.location.line is None
    assert reading.has_default_export is False


def test_default_export_detected() -> None:
    reading = read_body('crons.hourly("x", internal.a.b);\n')
    assert reading.has_default_export is True


def test_schedule_problems_become_findings() -> None:
    reading = read_body('crons.daily("x", { hourUTC: 25 }, internal.a.b);\n')
    rules = [finding.rule for finding in reading.findings]
    assert rules == ["invalid-schedule"]
    assert reading.findings[0].job == "x"


def test_condition_of_else_if_chain() -> None:
    reading = read_body('if (a) {} else if (b) crons.hourly("x", internal.a.b);\n')
    assert reading.jobs[0].condition == "!(a) && b"


def test_description_read_from_comment() -> None:
    reading = read_body('// Rotates the logs.\ncrons.hourly("x", internal.a.b);\n')
    assert reading.jobs[0].description == "Rotates the logs."


def test_recursive_helper_registers_once() -> None:
    reading = read_body('function again() { again(); crons.hourly("x", internal.a.b); }\nagain();\n')
    assert len(reading.jobs) == 1


def test_file_location_relative_to_root(tmp_path: Path) -> None:
    functions = tmp_path / "convex"
    functions.mkdir()
    path = functions / "crons.ts"
    path.write_text(HEADER + 'crons.hourly("x", internal.a.b);\nexport default crons;\n',
                    encoding="utf-8")
    reading = read_crons_file(path, tmp_path)
    assert reading.jobs[0].location.file == "convex/crons.ts"


def test_byte_order_mark_is_ignored(tmp_path: Path) -> None:
    path = tmp_path / "crons.ts"
    path.write_bytes(b"\xef\xbb\xbf" + (HEADER + 'crons.hourly("x", internal.a.b);\n'
                                        "export default crons;\n").encode())
    reading = read_crons_file(path, tmp_path)
    assert reading.jobs[0].location.line == 4
    assert reading.findings == ()
