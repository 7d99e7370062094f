"""Bad local input through the CLI: each case exits 2 with one message naming the file, the line and the fix.

Input that is odd but valid (a byte-order mark, CRLF line endings, deeply nested expressions)
is read like any other file, with the same line numbers, and never crashes the reader.
"""

from __future__ import annotations

import json
import os
import shutil
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from cli_runner import EXAMPLE, run_crongate

CRONS = Path("convex") / "crons.ts"
CONFIG = Path("crongate.yml")
SNAPSHOT = Path("snapshot") / "snapshot_1796307600000000000.zip"


@pytest.fixture
def project(tmp_path: Path) -> Path:
    copy = tmp_path / "app"
    shutil.copytree(EXAMPLE, copy, ignore=shutil.ignore_patterns("node_modules"))
    return copy


@dataclass(frozen=True)
class BadInput:
    """One bad file: how to break the project, which command reads it, what the message names."""

    id: str
    breaks: Callable[[Path], None]
    file: Path  # the file the message must name, relative to the project
    expected: tuple[str, ...]  # further text the message must contain: the line, the cause
    args: tuple[str, ...] = ("--offline",)


def _write(relative: Path, content: bytes | str) -> Callable[[Path], None]:
    def breaks(project: Path) -> None:
        path = project / relative
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")

    return breaks


def _replace_in(relative: Path, old: bytes, new: bytes) -> Callable[[Path], None]:
    def breaks(project: Path) -> None:
        path = project / relative
        data = path.read_bytes()
        assert old in data
        path.write_bytes(data.replace(old, new, 1))

    return breaks


def _remove(relative: Path) -> Callable[[Path], None]:
    def breaks(project: Path) -> None:
        (project / relative).unlink()

    return breaks


def _replace_with_folder(relative: Path) -> Callable[[Path], None]:
    def breaks(project: Path) -> None:
        (project / relative).unlink()
        (project / relative).mkdir()

    return breaks


def _replace_with_fifo(relative: Path) -> Callable[[Path], None]:
    def breaks(project: Path) -> None:
        (project / relative).unlink()
        os.mkfifo(project / relative)

    return breaks


def _replace_with_symlink(relative: Path, target: str) -> Callable[[Path], None]:
    def breaks(project: Path) -> None:
        (project / relative).unlink()
        (project / relative).symlink_to(target)

    return breaks


def _zip_with_table(text: str) -> Callable[[Path], None]:
    def breaks(project: Path) -> None:
        path = project / SNAPSHOT
        path.unlink()
        with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            archive.writestr("systemJobs/documents.jsonl", text)

    return breaks


def _zip_encrypted(project: Path) -> None:
    # Set bit 0 of the general purpose flags (encrypted) in the local header and the central
    # directory entry of the registry table, as an archiver with a password would.
    path = project / SNAPSHOT
    name = "systemJobs/documents.jsonl"
    with zipfile.ZipFile(path) as archive:
        info = archive.getinfo(name)
    data = bytearray(path.read_bytes())
    data[info.header_offset + 6] |= 0x1
    central = data.find(b"PK\x01\x02")
    while central != -1:
        name_length = int.from_bytes(data[central + 28:central + 30], "little")
        if data[central + 46:central + 46 + name_length] == name.encode():
            data[central + 8] |= 0x1
        central = data.find(b"PK\x01\x02", central + 4)
    path.write_bytes(bytes(data))


def _zip_without_table(project: Path) -> None:
    path = project / SNAPSHOT
    path.unlink()
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("otherTable/documents.jsonl", '{"_id": "1"}\n')
        archive.writestr("_tables/documents.jsonl", '{"name": "otherTable"}\n')


def _truncated_zip(project: Path) -> None:
    path = project / SNAPSHOT
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])


def _zip_bad_crc(project: Path) -> None:
    # Flip one byte inside the stored table, so the ZIP's directory is intact but the CRC fails.
    path = project / SNAPSHOT
    with zipfile.ZipFile(path) as archive:
        info = archive.getinfo("systemJobs/documents.jsonl")
    data = bytearray(path.read_bytes())
    offset = info.header_offset + 30 + len(info.filename) + len(info.extra) + 10
    data[offset] ^= 0xFF
    path.write_bytes(bytes(data))


def _jsonl_snapshot(project: Path) -> None:
    rows = (EXAMPLE / "snapshot" / "systemJobs.jsonl").read_text(encoding="utf-8").splitlines()
    rows.insert(2, '{"jobKey": "broken", ')
    (project / "rows.jsonl").write_text("\n".join(rows) + "\n", encoding="utf-8")


TEN_MB = 10 * 1024 * 1024

BAD_INPUTS = (
    BadInput("yaml-syntax", _write(CONFIG, "registry:\n  table: [systemJobs\nfail_on: error\n"), CONFIG,
             ("crongate.yml:3:", "fix the YAML syntax")),
    BadInput("yaml-wrong-type", _write(CONFIG, "fail_on: error\nregistry:\n  timeout: ten\n"), CONFIG,
             ("crongate.yml:3:", "registry.timeout", "'ten'", "write a plain number")),
    BadInput("yaml-list-not-mapping", _write(CONFIG, "ignore:\n  job: a\n"), CONFIG,
             ("crongate.yml:2:", "ignore must be a list")),
    BadInput("yaml-unknown-key", _write(CONFIG, "fail_on: error\nregistyr:\n  table: x\n"), CONFIG,
             ("crongate.yml:2:", "unknown key 'registyr'", "known keys")),
    BadInput("yaml-unknown-nested-key", _write(CONFIG, "registry:\n  tabel: x\n"), CONFIG,
             ("crongate.yml:2:", "unknown key 'tabel' in registry")),
    BadInput("yaml-not-utf8", _write(CONFIG, b"fail_on: error\nmanifest: \xff\xfe.ts\n"), CONFIG,
             ("crongate.yml:2:", "not UTF-8", "save the file as UTF-8")),
    BadInput("yaml-binary", _write(CONFIG, bytes(range(256)) * 4), CONFIG, ("crongate.yml",)),
    BadInput("yaml-secret-key", _write(CONFIG, "registry:\n  deploy_key: prod:x|abcdefgh\n"), CONFIG,
             ("crongate.yml:2:", "deploy_key", "CONVEX_DEPLOY_KEY")),
    BadInput("crons-binary", _write(CRONS, bytes(range(256)) * 64), CRONS, ("binary file",)),
    BadInput("crons-10mb", _write(CRONS, "// padding\n" * (TEN_MB // 11 + 1)), CRONS, ("bytes", "limit")),
    BadInput("crons-not-utf8", _replace_in(CRONS, b"Rebalances", b"Reb\xffalances"), CRONS,
             ("line 8", "not valid UTF-8", "Save crons.ts as UTF-8")),
    BadInput("crons-missing", _remove(CRONS), CRONS, ("not found", "--manifest")),
    BadInput("crons-folder", _replace_with_folder(CRONS), CRONS, ("is not a regular file (it is a directory)",)),
    BadInput("crons-fifo", _replace_with_fifo(CRONS), CRONS, ("is not a regular file (it is a FIFO)",)),
    BadInput("config-dangling-symlink", _replace_with_symlink(CONFIG, "absent.yml"), CONFIG,
             ("exists but cannot be read", "does not resolve to a file", "--config")),
    BadInput("config-folder", _replace_with_folder(CONFIG), CONFIG, ("exists but cannot be read", "a directory")),
    BadInput("config-fifo", _replace_with_fifo(CONFIG), CONFIG, ("exists but cannot be read", "a FIFO")),
    BadInput("migrations-fifo", _replace_with_fifo(Path("convex") / "systemJobs.ts"),
             Path("convex") / "systemJobs.ts", ("not a regular file (it is a FIFO)",)),
    BadInput("migrations-not-utf8", _replace_in(Path("convex") / "systemJobs.ts", b"registry", b"regis\xfftry"),
             Path("convex") / "systemJobs.ts", ("not UTF-8",)),
    BadInput("zip-without-table", _zip_without_table, SNAPSHOT,
             ("no systemJobs/documents.jsonl", "otherTable", "registry.table"), args=()),
    BadInput("zip-truncated", _truncated_zip, SNAPSHOT, ("not a valid ZIP", "npx convex export"), args=()),
    BadInput("zip-bad-crc", _zip_bad_crc, SNAPSHOT, ("corrupt ZIP", "npx convex export"), args=()),
    BadInput("jsonl-bad-line", _jsonl_snapshot, Path("rows.jsonl"), ("line 3", "not valid JSON"),
             args=("--snapshot", "{project}/rows.jsonl")),
    BadInput("snapshot-missing", lambda project: None, Path("nothing.zip"), ("does not exist", "--snapshot"),
             args=("--snapshot", "nothing.zip")),
    BadInput("json-nested-deeply", _write(Path("rows.json"), "[" * 100_000 + "]" * 100_000), Path("rows.json"),
             ("nested too deeply",), args=("--snapshot", "{project}/rows.json")),
    BadInput("zip-line-nested-deeply", _zip_with_table("[" * 100_000 + "]" * 100_000 + "\n"), SNAPSHOT,
             ("line 1 is nested too deeply",), args=()),
    BadInput("zip-encrypted", _zip_encrypted, SNAPSHOT, ("is encrypted", "decrypt the archive"), args=()),
    BadInput("json-nan-times", _write(Path("rows.json"), '[{"jobKey": "a", "lastRunAt": NaN, "createdAt": NaN}]'),
             Path("rows.json"), ("document 0", "lastRunAt", "expected a time in milliseconds"),
             args=("--snapshot", "{project}/rows.json")),
)


@pytest.mark.parametrize("case", BAD_INPUTS, ids=lambda case: case.id)
def test_bad_input_exit_2(case: BadInput, project: Path) -> None:
    case.breaks(project)
    # --snapshot is relative to the working directory, so cases name files in the project.
    args = [argument.replace("{project}", str(project)) for argument in case.args]
    process = run_crongate("check", project, *args)

    errors = [line for line in process.stderr.splitlines() if line.startswith("crongate: error:")]
    assert process.returncode == 2, process.stderr
    assert "Traceback" not in process.stderr
    assert len(errors) == 1, process.stderr
    assert case.file.as_posix() in errors[0] or str(project / case.file) in errors[0], errors[0]
    for text in case.expected:
        assert text in process.stderr, process.stderr
    assert "hint:" in process.stderr


def test_missing_config_flag(project: Path) -> None:
    process = run_crongate("check", project, "--offline", "--config", project / "absent.yml")

    assert process.returncode == 2
    assert "absent.yml does not exist" in process.stderr
    assert "hint:" in process.stderr


def test_missing_project_folder(tmp_path: Path) -> None:
    process = run_crongate("check", tmp_path / "absent", "--offline")

    assert process.returncode == 2
    assert "absent does not exist" in process.stderr
    assert "Traceback" not in process.stderr


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads a file whatever its mode")
@pytest.mark.parametrize("relative", (CRONS, CONFIG), ids=("crons", "config"))
def test_unreadable_file(project: Path, relative: Path) -> None:
    (project / relative).chmod(0)
    process = run_crongate("check", project, "--offline")

    assert process.returncode == 2
    assert "Permission denied" in process.stderr
    assert relative.name in process.stderr


def test_manifest_command_bad_file(project: Path) -> None:
    (project / CRONS).write_bytes(b"const a = 1;\n\xc3\x28\n")
    process = run_crongate("manifest", project / CRONS)

    assert process.returncode == 2
    assert "line 2" in process.stderr
    assert "Traceback" not in process.stderr


# -- odd but valid input: read like any other --------------------------------------------------------


def _manifest_json(path: Path) -> dict:
    process = run_crongate("manifest", path, "--format", "json")
    assert process.returncode == 0, process.stderr
    return json.loads(process.stdout)


@pytest.mark.parametrize("transform", ("bom", "crlf", "bom-crlf"))
def test_crons_encoding_variants(project: Path, transform: str) -> None:
    path = project / CRONS
    expected = _manifest_json(path)
    data = path.read_bytes()
    if "crlf" in transform:
        data = data.replace(b"\n", b"\r\n")
    if "bom" in transform:
        data = b"\xef\xbb\xbf" + data
    path.write_bytes(data)

    assert _manifest_json(path) == expected


@pytest.mark.parametrize("transform", ("bom", "crlf"))
def test_config_encoding_variants(project: Path, transform: str) -> None:
    path = project / CONFIG
    data = path.read_bytes()
    path.write_bytes(b"\xef\xbb\xbf" + data if transform == "bom" else data.replace(b"\n", b"\r\n"))
    process = run_crongate("check", project)

    # The example's snapshot has drift, so a config that was read fails the gate with 1.
    assert process.returncode == 1, process.stderr
    assert "missing-job" in process.stdout


def test_crlf_config_error_line(project: Path) -> None:
    (project / CONFIG).write_bytes(b"fail_on: error\r\n\r\nregistry:\r\n  tabel: x\r\n")
    process = run_crongate("check", project, "--offline")

    assert process.returncode == 2
    assert "crongate.yml:4:" in process.stderr


def test_deep_nesting_read(project: Path) -> None:
    depth = 20_000
    path = project / CRONS
    nested_schedule = "(" * depth + "7" + ")" * depth
    nested_args = "{ a: " * 300 + "1" + " }" * 300
    text = path.read_text(encoding="utf-8").replace("export default crons;", (
        f'crons.interval("nested", {{ minutes: {nested_schedule} }}, internal.traffic.sync);\n'
        f'crons.interval("deep-args", {{ minutes: 3 }}, internal.traffic.sync, {nested_args});\n'
        f'const deep = {"[" * depth}{"]" * depth};\n'
        "export default crons;"
    ))
    path.write_text(text, encoding="utf-8")
    reading = _manifest_json(path)

    nested = [job for job in reading["jobs"] if job["name"] == "nested"]
    assert nested[0]["schedule"] == {"minutes": 7}
    deep_args = [f for f in reading["findings"] if f["rule"] == "dynamic-registration"]
    assert [f["line"] for f in deep_args] == [40]


# -- hostile files: never a hang, never an internal error ---------------------------------------------


@pytest.mark.parametrize("special", ("fifo", "device"))
@pytest.mark.parametrize("command", (("check", "--offline"), ("init", "--stdout"), ("scaffold",)),
                         ids=lambda command: command[0])
def test_special_file_in_functions_dir(project: Path, special: str, command: tuple[str, ...]) -> None:
    path = project / "convex" / f"{special}.ts"
    if special == "fifo":
        os.mkfifo(path)
    else:
        path.symlink_to("/dev/zero")
    process = run_crongate(command[0], project, *command[1:], timeout=60)

    assert process.returncode in (0, 1), process.stderr
    assert f"{special}.ts: not a regular file" in process.stderr


@pytest.mark.parametrize("setting", ("/", "..", "convex/../.."))
def test_functions_dir_outside_project(project: Path, setting: str) -> None:
    process = run_crongate("check", project, "--offline", "--functions-dir", setting, timeout=60)

    assert process.returncode == 2, process.stderr
    assert "outside the project root" in process.stderr
    assert "hint:" in process.stderr


def test_manifest_outside_project(project: Path, tmp_path: Path) -> None:
    outside = tmp_path / "crons.ts"
    shutil.copy(project / CRONS, outside)
    process = run_crongate("check", project, "--offline", "--manifest", outside)

    assert process.returncode == 2, process.stderr
    assert f"crons file {str(outside)!r}" in process.stderr
    assert "outside the project root" in process.stderr


def test_doubled_constant_name(project: Path) -> None:
    path = project / CRONS
    lines = ['const s0 = "ab";'] + [f"const s{i} = s{i - 1} + s{i - 1};" for i in range(1, 41)]
    text = path.read_text(encoding="utf-8").replace("export default crons;", "\n".join(lines) + (
        '\ncrons.interval(s22, { minutes: 5 }, internal.traffic.sync);'
        '\ncrons.interval(s40, { minutes: 5 }, internal.traffic.sync);\nexport default crons;'
    ))
    path.write_text(text, encoding="utf-8")
    line = text.splitlines().index("crons.interval(s22, { minutes: 5 }, internal.traffic.sync);") + 1
    reading = _manifest_json(path)

    dynamic = [f for f in reading["findings"] if f["rule"] == "dynamic-registration"]
    assert [f["line"] for f in dynamic] == [line, line + 1]
    assert "more than the limit of 65536" in dynamic[0]["message"]


def test_infinite_interval_fails_gate(project: Path) -> None:
    path = project / CRONS
    text = path.read_text(encoding="utf-8").replace(
        "export default crons;",
        'crons.interval("overflow", { minutes: 1e309 }, internal.traffic.sync);\nexport default crons;',
    )
    path.write_text(text, encoding="utf-8")
    process = run_crongate("check", project, "--offline")

    assert process.returncode == 1, process.stderr
    assert "invalid-schedule" in process.stdout
    assert "minutes is Infinity" in process.stdout


@pytest.mark.parametrize("value", ("1e20", "1.79e308"))
def test_snapshot_far_future_times(project: Path, value: str) -> None:
    rows = (EXAMPLE / "snapshot" / "systemJobs.jsonl").read_text(encoding="utf-8").splitlines()
    documents = [json.loads(row) for row in rows]
    for document in documents:
        document["_creationTime"] = float(value)
    (project / "rows.json").write_text(json.dumps(documents), encoding="utf-8")
    process = run_crongate("check", project, "--snapshot", project / "rows.json")

    assert process.returncode in (0, 1), process.stderr
    assert "internal error" not in process.stderr


def test_snapshot_jsonl_byte_order_mark(project: Path) -> None:
    data = (EXAMPLE / "snapshot" / "systemJobs.jsonl").read_bytes()
    (project / "rows.jsonl").write_bytes(b"\xef\xbb\xbf" + data)
    with_mark = run_crongate("check", project, "--snapshot", project / "rows.jsonl")
    (project / "rows.jsonl").write_bytes(data)
    without_mark = run_crongate("check", project, "--snapshot", project / "rows.jsonl")

    assert with_mark.returncode == without_mark.returncode, with_mark.stderr
    assert with_mark.stdout == without_mark.stdout


def test_config_nested_too_deeply(project: Path) -> None:
    (project / CONFIG).write_text("ignore: " + "[" * 10_000 + "]" * 10_000 + "\n", encoding="utf-8")
    process = run_crongate("check", project, "--offline")

    assert process.returncode == 2, process.stderr
    assert "nested too deeply" in process.stderr
