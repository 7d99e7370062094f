"""Property tests for the crons.ts reader.

Generated files: random valid cron jobs written out in several layouts must read back
exactly. Mutated files: truncation, random edits and deep nesting must never raise.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from crongate.errors import ManifestError
from crongate.manifest.crons import CronsReading, read_crons_file, read_crons_source

HEADER = 'import { cronJobs } from "convex/server";\nimport { internal, api } from "./_generated/api";\n'
PRINTABLE_ASCII = "".join(chr(code) for code in range(0x20, 0x7F))
IDENTIFIER_START = "abcdefghijklmnopqrstuvwxyz"
IDENTIFIER_REST = IDENTIFIER_START + "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_"
DAYS = ["sunday", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday"]
CRON_EXPRESSIONS = ["*/5 * * * *", "0 0 * * *", "15 3 * * 1-5", "0 12 1 * *", "30 6 * * SUN",
                    "0 */2 * * *", "5,35 * * * *", "0 0 1 JAN *"]

# No deadline, because CI machines vary in speed. No example database, so that each run
# draws the same examples.
COMMON_SETTINGS: dict[str, Any] = {"deadline": None, "database": None,
                                   "suppress_health_check": [HealthCheck.too_slow]}


@dataclass(frozen=True)
class GeneratedJob:
    name: str
    kind: str
    schedule: Any
    module: tuple[str, ...]
    export: str
    args: dict[str, Any]
    reference_style: str  # "internal", "api", "bracket", "string", "alias"
    layout: str  # "inline", "multiline", "chained", "commented"
    name_style: str  # "literal", "constant", "template"
    schedule_style: str  # "literal", "constant", "spread"

    @property
    def path(self) -> str:
        module = "/".join(self.module)
        return module if self.export == "default" else f"{module}:{self.export}"


identifiers = st.builds(
    lambda first, rest: first + rest,
    st.sampled_from(IDENTIFIER_START),
    st.text(alphabet=IDENTIFIER_REST, max_size=8),
).filter(lambda name: name not in {"default", "crons", "internal", "api", "let", "var",
                                   "in", "do", "if", "for", "new", "try"})

json_scalars = st.one_of(
    st.integers(min_value=-10_000, max_value=10_000),
    st.booleans(),
    st.none(),
    st.text(alphabet=PRINTABLE_ASCII, max_size=12),
)
json_values = st.recursive(
    json_scalars,
    lambda children: st.one_of(st.lists(children, max_size=3),
                               st.dictionaries(identifiers, children, max_size=3)),
    max_leaves=6,
)


def _minute(schedule: dict[str, Any], draw: st.DrawFn) -> dict[str, Any]:
    if draw(st.booleans()):
        schedule["minuteUTC"] = draw(st.integers(0, 59))
    return schedule


@st.composite
def schedules(draw: st.DrawFn) -> tuple[str, Any]:
    kind = draw(st.sampled_from(["interval", "cron", "hourly", "daily", "weekly", "monthly"]))
    if kind == "interval":
        unit = draw(st.sampled_from(["seconds", "minutes", "hours"]))
        return kind, {unit: draw(st.integers(1, 1000))}
    if kind == "cron":
        return kind, draw(st.sampled_from(CRON_EXPRESSIONS))
    if kind == "hourly":
        if draw(st.booleans()):
            return kind, None
        return kind, _minute({}, draw)
    if kind == "daily":
        return kind, _minute({"hourUTC": draw(st.integers(0, 23))}, draw)
    if kind == "weekly":
        return kind, _minute({"dayOfWeek": draw(st.sampled_from(DAYS)),
                              "hourUTC": draw(st.integers(0, 23))}, draw)
    return kind, _minute({"day": draw(st.integers(1, 28)), "hourUTC": draw(st.integers(0, 23))},
                         draw)


@st.composite
def jobs(draw: st.DrawFn, name: str) -> GeneratedJob:
    kind, schedule = draw(schedules())
    schedule_styles = ["literal"]
    if isinstance(schedule, dict):
        schedule_styles += ["constant", "spread"]
    return GeneratedJob(
        name=name,
        kind=kind,
        schedule=schedule,
        module=tuple(draw(st.lists(identifiers, min_size=1, max_size=3))),
        export=draw(st.one_of(identifiers, st.just("default"))),
        args=draw(st.dictionaries(identifiers, json_values, max_size=3)),
        reference_style=draw(st.sampled_from(["internal", "api", "bracket", "string", "alias"])),
        layout=draw(st.sampled_from(["inline", "multiline", "chained", "commented"])),
        name_style=draw(st.sampled_from(["literal", "constant", "template"])),
        schedule_style=draw(st.sampled_from(schedule_styles)),
    )


@st.composite
def crons_files(draw: st.DrawFn) -> tuple[str, list[GeneratedJob], list[int]]:
    """Return (source, jobs, line of each registration)."""
    names = draw(st.lists(st.text(alphabet=PRINTABLE_ASCII, min_size=1, max_size=24),
                          min_size=1, max_size=6, unique=True))
    generated = [draw(jobs(name)) for name in names]
    variable = draw(st.sampled_from(["crons", "schedule", "jobs", "registry"]))

    lines = HEADER.splitlines()
    lines.append(f"const {variable} = cronJobs();")
    registration_lines = []
    for index, job in enumerate(generated):
        lines.append("")
        name = _name_expression(job, index, lines)
        schedule = _schedule_expression(job, index, lines)
        reference = _reference_expression(job, index, lines)
        arguments = [name] + ([schedule] if schedule is not None else []) + [reference]
        if job.args or draw(st.booleans()):
            arguments.append(_js(job.args))

        if job.layout == "commented":
            lines.append(f"// registers {job.kind} job number {index}")
        registration_lines.append(len(lines) + 1)
        if job.layout == "inline":
            lines.append(f"{variable}.{job.kind}({', '.join(arguments)});")
        elif job.layout == "chained":
            lines.append(variable)
            lines.append(f"  .{job.kind}({', '.join(arguments)});")
        else:
            lines.append(f"{variable}.{job.kind}(")
            for argument in arguments:
                lines.append(f"  {argument}, /* argument */")
            lines.append(");")
    lines.append("")
    lines.append(f"export default {variable};")
    return "\n".join(lines) + "\n", generated, registration_lines


def _js(value: Any) -> str:
    """Write a JSON value as a TypeScript expression: JSON is valid TypeScript."""
    return json.dumps(value)


def _name_expression(job: GeneratedJob, index: int, lines: list[str]) -> str:
    if job.name_style == "constant":
        lines.append(f"const NAME_{index} = {_js(job.name)};")
        return f"NAME_{index}"
    if job.name_style == "template":
        escaped = job.name.replace("\\", "\\\\").replace("`", "\\`").replace("${", "\\${")
        return f"`{escaped}`"
    return _js(job.name)


def _schedule_expression(job: GeneratedJob, index: int, lines: list[str]) -> str | None:
    if job.kind == "hourly" and job.schedule is None:
        return None
    if job.schedule_style == "constant":
        lines.append(f"const SCHEDULE_{index} = {_js(job.schedule)} as const;")
        return f"SCHEDULE_{index}"
    if job.schedule_style == "spread":
        lines.append(f"const BASE_{index} = {_js(job.schedule)};")
        return f"{{ ...BASE_{index} }}"
    return _js(job.schedule)


def _reference_expression(job: GeneratedJob, index: int, lines: list[str]) -> str:
    parts = (*job.module, job.export)
    if job.reference_style == "string":
        return _js(job.path)
    if job.reference_style == "bracket":
        return "internal" + "".join(f"[{_js(part)}]" for part in parts)
    root = "api" if job.reference_style == "api" else "internal"
    reference = ".".join((root, *parts))
    if job.reference_style == "alias":
        lines.append(f"const TARGET_{index} = {reference};")
        return f"TARGET_{index}"
    return reference


def _expected_case(job: GeneratedJob, line: int) -> dict[str, Any]:
    return {"name": job.name, "kind": job.kind, "schedule": job.schedule, "function": job.path,
            "args": job.args, "line": line}


def _assert_well_formed(reading: CronsReading) -> None:
    assert isinstance(reading, CronsReading)
    for job in reading.jobs:
        assert isinstance(job.name, str)
        assert isinstance(job.function, str)
        json.dumps(job.to_case())
    for finding in reading.findings:
        assert finding.message


@settings(derandomize=True, max_examples=600, **COMMON_SETTINGS)
@given(crons_files())
def test_generated_files_read_back(generated: tuple[str, list[GeneratedJob], list[int]]) -> None:
    source, expected_jobs, lines = generated
    reading = read_crons_source(source, "convex/crons.ts")

    assert [job.to_case() for job in reading.jobs] == [
        _expected_case(job, line) for job, line in zip(expected_jobs, lines)]
    assert reading.findings == ()
    assert reading.has_default_export


@settings(derandomize=True, max_examples=400, **COMMON_SETTINGS)
@given(crons_files(), st.data())
def test_truncated_files_never_raise(generated: tuple[str, list[GeneratedJob], list[int]],
                                     data: st.DataObject) -> None:
    source = generated[0]
    cut = data.draw(st.integers(0, len(source)))
    _assert_well_formed(read_crons_source(source[:cut], "convex/crons.ts"))


EDIT_CHARACTERS = st.sampled_from(list("{}()[]`'\"\\/*,;.:!?$ \n") + ["${", "//", "/*", "=>",
                                                                    "\u2028", "\ud7ff", "é"])


@settings(derandomize=True, max_examples=800, **COMMON_SETTINGS)
@given(crons_files(), st.lists(st.tuples(st.floats(0, 1), st.integers(0, 3), EDIT_CHARACTERS),
                               min_size=1, max_size=8))
def test_edited_files_never_raise(generated: tuple[str, list[GeneratedJob], list[int]],
                                  edits: list[tuple[float, int, str]]) -> None:
    source = generated[0]
    for position, removed, inserted in edits:
        index = int(position * len(source))
        source = source[:index] + inserted + source[index + removed:]
    _assert_well_formed(read_crons_source(source, "convex/crons.ts"))


NESTING = [("(", ")"), ("[", "]"), ("{ a: ", " }"), ("{ ", " }"), ("-", ""), ("!", ""),
           ("f(", ")"), ("`${", "}`"), ("if (x) { ", " }"), ("() => { ", " }"),
           ("x + (", ")"), ("for (const y of [1]) { ", " }")]


@settings(derandomize=True, max_examples=30, **COMMON_SETTINGS)
@given(st.sampled_from(NESTING), st.integers(50, 3000),
       st.sampled_from(["name", "schedule", "args", "statement"]))
def test_deep_nesting_never_raises(wrapper: tuple[str, str], depth: int, place: str) -> None:
    opening, closing = wrapper
    nested = opening * depth + "1" + closing * depth
    if place == "statement":
        body = opening * depth + 'crons.interval("n", { minutes: 1 }, internal.a.b);' + closing * depth
    elif place == "name":
        body = f'crons.interval({nested}, {{ minutes: 1 }}, internal.a.b);'
    elif place == "schedule":
        body = f'crons.interval("n", {{ minutes: {nested} }}, internal.a.b);'
    else:
        body = f'crons.interval("n", {{ minutes: 1 }}, internal.a.b, {{ deep: {nested} }});'
    source = HEADER + "const crons = cronJobs();\n" + body + "\nexport default crons;\n"

    reading = read_crons_source(source, "convex/crons.ts")

    _assert_well_formed(reading)
    # The registration is either read or reported, never lost.
    assert len(reading.jobs) + len(reading.findings) >= 1


@settings(derandomize=True, max_examples=200, **COMMON_SETTINGS)
@given(st.binary(max_size=400))
def test_random_bytes_raise_only_manifest_error(tmp_path_factory: pytest.TempPathFactory,
                                                content: bytes) -> None:
    folder = tmp_path_factory.mktemp("bytes")
    path = folder / "crons.ts"
    path.write_bytes(content)
    try:
        reading = read_crons_file(path, folder)
    except ManifestError as error:
        assert str(path) in error.message
    else:
        _assert_well_formed(reading)


def test_missing_file_raises_manifest_error(tmp_path: Path) -> None:
    with pytest.raises(ManifestError, match="does not exist"):
        read_crons_file(tmp_path / "crons.ts", tmp_path)


def test_oversized_file_raises_manifest_error(tmp_path: Path) -> None:
    path = tmp_path / "crons.ts"
    path.write_bytes(b" " * (5 * 1024 * 1024 + 1))
    with pytest.raises(ManifestError, match="more than the limit"):
        read_crons_file(path, tmp_path)


def test_binary_file_raises_manifest_error(tmp_path: Path) -> None:
    path = tmp_path / "crons.ts"
    path.write_bytes(b"const a = 1;\0\1\2")
    with pytest.raises(ManifestError, match="binary"):
        read_crons_file(path, tmp_path)


def test_non_utf8_file_raises_manifest_error(tmp_path: Path) -> None:
    path = tmp_path / "crons.ts"
    path.write_bytes(b'const name = "caf\xe9";')
    with pytest.raises(ManifestError, match="not valid UTF-8"):
        read_crons_file(path, tmp_path)


def test_directory_raises_manifest_error(tmp_path: Path) -> None:
    with pytest.raises(ManifestError, match="not a regular file"):
        read_crons_file(tmp_path, tmp_path)
