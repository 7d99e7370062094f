"""Registry rows from export ZIPs, JSON and JSON Lines files."""

from __future__ import annotations

import base64
import json
import math
import struct
import zipfile
from datetime import datetime, timezone
from pathlib import Path

import pytest

from crongate.errors import EXIT_USAGE, SnapshotError
from crongate.registry import snapshot
from crongate.registry.interface import FieldMap
from crongate.registry.snapshot import SnapshotRegistry, decode_value

# 2026-12-01T12:00:00Z in milliseconds.
NOON_MS = 1_796_126_400_000

DOCUMENTS = [
    {
        "_id": "k17aaa",
        "_creationTime": 1_790_000_000_000.25,
        "jobKey": "traffic-sync",
        "name": "Traffic sync",
        "interval": {"type": "minutes", "value": 5},
        "enabled": True,
        "totalRuns": 120,
        "successCount": 118,
        "errorCount": 2,
        "lastRunAt": float(NOON_MS),
        "lastStatus": "success",
        "createdAt": 1_790_000_000_000.0,
        "updatedAt": float(NOON_MS - 60_000),
    },
    {
        "_id": "k17bbb",
        "_creationTime": 1_790_000_000_100.5,
        "jobKey": "cleanup",
        "name": "Cleanup",
        "interval": {"type": "hours", "value": 1},
        "enabled": False,
        "errorRate": {"$float": base64.b64encode(struct.pack("<d", math.nan)).decode()},
        "token": {"$bytes": base64.b64encode(b"\x00\x01").decode()},
    },
]


def jsonl(documents: list[dict]) -> str:
    return "".join(json.dumps(document) + "\n" for document in documents)


def write_export(path: Path, members: dict[str, str]) -> Path:
    """Write a ZIP laid out as `npx convex export` writes it."""
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("README.md", "This is a Convex snapshot export.\n")
        for name, text in members.items():
            archive.writestr(name, text)
    return path


def standard_members(table: str = "systemJobs", prefix: str = "") -> dict[str, str]:
    return {
        f"{prefix}_tables/documents.jsonl": jsonl([{"name": table, "id": 10001}, {"name": "users", "id": 10002}]),
        f"{prefix}{table}/documents.jsonl": jsonl(DOCUMENTS),
        f"{prefix}{table}/generated_schema.jsonl": '"uniform"\n',
        f"{prefix}users/documents.jsonl": jsonl([{"_id": "u1", "name": "Ada"}]),
    }


# -- ZIP exports --


def test_zip_reads_rows(tmp_path):
    path = write_export(tmp_path / "export.zip", standard_members())
    rows = SnapshotRegistry(path).read_rows()
    assert [row.key for row in rows] == ["traffic-sync", "cleanup"]
    assert rows[0].total_runs == 120
    assert rows[0].schedule == {"type": "minutes", "value": 5}
    assert rows[0].doc_id == "k17aaa"
    assert rows[1].enabled is False


def test_zip_export_values(tmp_path):
    path = write_export(tmp_path / "export.zip", standard_members())
    rows = SnapshotRegistry(path).read_rows()
    assert isinstance(rows[0].raw["totalRuns"], int)
    assert isinstance(rows[0].raw["createdAt"], float)
    assert math.isnan(rows[1].raw["errorRate"])
    assert rows[1].raw["token"] == b"\x00\x01"


def test_zip_component(tmp_path):
    path = write_export(tmp_path / "export.zip", standard_members(prefix="_components/jobs/"))
    rows = SnapshotRegistry(path, component="jobs").read_rows()
    assert len(rows) == 2


def test_zip_nested_component(tmp_path):
    members = standard_members(prefix="_components/outer/_components/inner/")
    path = write_export(tmp_path / "export.zip", members)
    rows = SnapshotRegistry(path, component="outer/inner").read_rows()
    assert rows[0].key == "traffic-sync"


def test_zip_custom_table(tmp_path):
    path = write_export(tmp_path / "export.zip", standard_members(table="jobRegistry"))
    rows = SnapshotRegistry(path, table="jobRegistry").read_rows()
    assert len(rows) == 2


def test_zip_missing_table(tmp_path):
    path = write_export(tmp_path / "export.zip", standard_members(table="jobRegistry"))
    with pytest.raises(SnapshotError) as caught:
        SnapshotRegistry(path).read_rows()
    assert "has no systemJobs/documents.jsonl" in caught.value.message
    assert "tables in it: jobRegistry, users" in caught.value.message
    assert "registry.table" in caught.value.hint


def test_zip_missing_table_names_components(tmp_path):
    path = write_export(tmp_path / "export.zip", standard_members(prefix="_components/jobs/"))
    with pytest.raises(SnapshotError) as caught:
        SnapshotRegistry(path).read_rows()
    assert "registry.component to one of: jobs" in caught.value.hint


def test_zip_bad_line(tmp_path):
    text = jsonl(DOCUMENTS[:1]) + "{not json\n"
    path = write_export(tmp_path / "export.zip", {"systemJobs/documents.jsonl": text})
    with pytest.raises(SnapshotError, match=r"export.zip!systemJobs/documents.jsonl: line 2 is not valid JSON"):
        SnapshotRegistry(path).read_rows()


def test_zip_corrupt(tmp_path):
    path = tmp_path / "export.zip"
    path.write_bytes(b"PK\x03\x04 this is not a zip")
    with pytest.raises(SnapshotError, match="not a valid ZIP file"):
        SnapshotRegistry(path).read_rows()


def test_zip_truncated(tmp_path):
    good = write_export(tmp_path / "good.zip", standard_members())
    path = tmp_path / "export.zip"
    path.write_bytes(good.read_bytes()[:200])
    with pytest.raises(SnapshotError):
        SnapshotRegistry(path).read_rows()


def test_zip_crc_mismatch(tmp_path):
    path = tmp_path / "export.zip"
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_STORED) as archive:
        archive.writestr("systemJobs/documents.jsonl", jsonl(DOCUMENTS))
    data = bytearray(path.read_bytes())
    data[data.index(b"traffic-sync")] = ord("T")
    path.write_bytes(bytes(data))
    with pytest.raises(SnapshotError, match="corrupt ZIP"):
        SnapshotRegistry(path).read_rows()


def test_corrupt_error_exit_code(tmp_path):
    path = tmp_path / "export.zip"
    path.write_bytes(b"garbage")
    with pytest.raises(SnapshotError) as caught:
        SnapshotRegistry(path).read_rows()
    assert caught.value.exit_code == EXIT_USAGE


# -- taken_at --


def test_taken_at_from_name(tmp_path):
    nanoseconds = 1_796_126_400_000_000_000
    path = write_export(tmp_path / f"snapshot_{nanoseconds}.zip", standard_members())
    assert SnapshotRegistry(path).taken_at == datetime(2026, 12, 1, 12, 0, tzinfo=timezone.utc)


def test_taken_at_from_rows(tmp_path):
    path = write_export(tmp_path / "export.zip", standard_members())
    assert SnapshotRegistry(path).taken_at == datetime(2026, 12, 1, 12, 0, tzinfo=timezone.utc)


def test_taken_at_from_creation_time(tmp_path):
    path = tmp_path / "rows.json"
    path.write_text(json.dumps([{"jobKey": "a", "_creationTime": float(NOON_MS)}]))
    assert SnapshotRegistry(path).taken_at == datetime(2026, 12, 1, 12, 0, tzinfo=timezone.utc)


def test_taken_at_unknown(tmp_path):
    path = tmp_path / "rows.json"
    path.write_text(json.dumps([{"jobKey": "a"}]))
    assert SnapshotRegistry(path).taken_at is None


# -- JSON and JSON Lines --


@pytest.mark.parametrize(
    "payload",
    [DOCUMENTS, {"value": DOCUMENTS}, {"status": "success", "value": DOCUMENTS, "logLines": []}],
    ids=["list", "value", "reply"],
)
def test_json_shapes(tmp_path, payload):
    path = tmp_path / "rows.json"
    path.write_text(json.dumps(payload))
    rows = SnapshotRegistry(path).read_rows()
    assert [row.key for row in rows] == ["traffic-sync", "cleanup"]


def test_json_clean_int64(tmp_path):
    path = tmp_path / "rows.json"
    path.write_text(json.dumps([{"jobKey": "a", "totalRuns": "42"}]))
    assert SnapshotRegistry(path).read_rows()[0].total_runs == 42


def test_json_error_reply(tmp_path):
    path = tmp_path / "rows.json"
    path.write_text(json.dumps({"status": "error", "errorMessage": "Uncaught Error: boom"}))
    with pytest.raises(SnapshotError, match="failed function call: Uncaught Error: boom"):
        SnapshotRegistry(path).read_rows()


def test_json_no_list(tmp_path):
    path = tmp_path / "rows.json"
    path.write_text(json.dumps({"rows": 3}))
    with pytest.raises(SnapshotError, match="contains no list of rows"):
        SnapshotRegistry(path).read_rows()


def test_json_invalid(tmp_path):
    path = tmp_path / "rows.json"
    path.write_text('[\n  {"jobKey": "a"},\n  {oops}\n]')
    with pytest.raises(SnapshotError, match="not valid JSON: .* at line 3"):
        SnapshotRegistry(path).read_rows()


def test_json_not_utf8(tmp_path):
    path = tmp_path / "rows.json"
    path.write_bytes(b'[{"jobKey": "\xff"}]')
    with pytest.raises(SnapshotError, match="not UTF-8"):
        SnapshotRegistry(path).read_rows()


def test_jsonl_rows(tmp_path):
    path = tmp_path / "rows.jsonl"
    path.write_text(jsonl(DOCUMENTS) + "\n")
    rows = SnapshotRegistry(path).read_rows()
    assert len(rows) == 2


def test_jsonl_bad_line(tmp_path):
    path = tmp_path / "rows.jsonl"
    path.write_text(jsonl(DOCUMENTS) + '{"jobKey": \n')
    with pytest.raises(SnapshotError) as caught:
        SnapshotRegistry(path).read_rows()
    assert f"{path}: line 3 is not valid JSON" in caught.value.message


def test_document_not_object(tmp_path):
    path = tmp_path / "rows.jsonl"
    path.write_text(jsonl(DOCUMENTS) + "[1, 2]\n")
    with pytest.raises(SnapshotError, match="line 3 is not a JSON object"):
        SnapshotRegistry(path).read_rows()


def test_document_without_key(tmp_path):
    path = tmp_path / "rows.json"
    path.write_text(json.dumps([{"jobKey": "a"}, {"name": "b"}]))
    with pytest.raises(SnapshotError) as caught:
        SnapshotRegistry(path).read_rows()
    assert "document 1 has no 'jobKey' field" in caught.value.message
    assert "registry.fields.key" in caught.value.hint


def test_document_wrong_type(tmp_path):
    path = tmp_path / "rows.json"
    path.write_text(json.dumps([{"jobKey": "a", "enabled": "yes"}]))
    with pytest.raises(SnapshotError, match="document 0: field 'enabled'"):
        SnapshotRegistry(path).read_rows()


def test_custom_fields(tmp_path):
    path = tmp_path / "rows.json"
    path.write_text(json.dumps([{"key": "a", "active": True}]))
    rows = SnapshotRegistry(path, fields=FieldMap(key="key", enabled="active")).read_rows()
    assert rows[0].enabled is True


def test_missing_file(tmp_path):
    with pytest.raises(SnapshotError, match="does not exist"):
        SnapshotRegistry(tmp_path / "nope.zip").read_rows()


def test_unknown_suffix(tmp_path):
    path = tmp_path / "rows.csv"
    path.write_text("jobKey\na\n")
    with pytest.raises(SnapshotError, match="unknown type '.csv'"):
        SnapshotRegistry(path).read_rows()


def test_label_is_path(tmp_path):
    path = tmp_path / "rows.json"
    assert SnapshotRegistry(path).label == str(path)


# -- value decoding --


def test_decode_integer():
    encoded = base64.b64encode((-5).to_bytes(8, "little", signed=True)).decode()
    assert decode_value({"$integer": encoded}) == -5


def test_decode_infinity():
    encoded = base64.b64encode(struct.pack("<d", math.inf)).decode()
    assert decode_value([{"$float": encoded}]) == [math.inf]


def test_decode_bad_base64():
    with pytest.raises(ValueError, match="not valid base64"):
        decode_value({"$bytes": "***"})


def test_decode_plain_object():
    assert decode_value({"a": 1, "b": 2.0}) == {"a": 1, "b": 2.0}


def test_bad_encoding_is_snapshot_error(tmp_path):
    path = tmp_path / "rows.json"
    path.write_text(json.dumps([{"jobKey": "a", "x": {"$float": "AAAA"}}]))
    with pytest.raises(SnapshotError, match="expected 8"):
        SnapshotRegistry(path).read_rows()


# -- hostile files --


@pytest.mark.parametrize("value", ("NaN", "Infinity", "1e20", "1.79e308", "-5", "1" + "0" * 400))
def test_taken_at_ignores_bad_creation_time(tmp_path, value):
    path = tmp_path / "rows.json"
    path.write_text(f'[{{"jobKey": "a", "_creationTime": {value}}}, {{"jobKey": "b", "_creationTime": {NOON_MS}}}]')
    assert SnapshotRegistry(path).taken_at == datetime(2026, 12, 1, 12, 0, tzinfo=timezone.utc)


@pytest.mark.parametrize("value", ("1e20", "1.79e308"))
def test_taken_at_ignores_far_future_row_time(tmp_path, value):
    path = tmp_path / "rows.json"
    path.write_text(f'[{{"jobKey": "a", "lastRunAt": {value}}}]')
    assert SnapshotRegistry(path).taken_at is None


@pytest.mark.parametrize("value", ("NaN", "Infinity"))
def test_non_finite_row_time_rejected(tmp_path, value):
    path = tmp_path / "rows.json"
    path.write_text(f'[{{"jobKey": "a", "lastRunAt": {value}}}]')
    with pytest.raises(SnapshotError) as caught:
        SnapshotRegistry(path).read_rows()
    assert "document 0: field 'lastRunAt'" in caught.value.message
    assert "expected a time in milliseconds" in caught.value.message


def test_non_finite_count_rejected(tmp_path):
    path = tmp_path / "rows.json"
    path.write_text('[{"jobKey": "a", "totalRuns": Infinity}]')
    with pytest.raises(SnapshotError, match="field 'totalRuns' is inf, expected a whole number"):
        SnapshotRegistry(path).read_rows()


def test_json_nested_too_deeply(tmp_path):
    path = tmp_path / "rows.json"
    path.write_text("[" * 100_000 + "]" * 100_000)
    with pytest.raises(SnapshotError) as caught:
        SnapshotRegistry(path).read_rows()
    assert f"{path} is nested too deeply" in caught.value.message


def test_zip_line_nested_too_deeply(tmp_path):
    members = {"systemJobs/documents.jsonl": jsonl(DOCUMENTS) + "[" * 100_000 + "]" * 100_000 + "\n"}
    path = write_export(tmp_path / "export.zip", members)
    with pytest.raises(SnapshotError) as caught:
        SnapshotRegistry(path).read_rows()
    assert "documents.jsonl: line 3 is nested too deeply" in caught.value.message
    assert caught.value.exit_code == EXIT_USAGE


def _patch_member_header(path: Path, name: str, local_offset: int, central_offset: int, value: int) -> None:
    """Overwrite a 2-byte field of a member's local header and of its central directory entry."""
    with zipfile.ZipFile(path) as archive:
        info = archive.getinfo(name)
    data = bytearray(path.read_bytes())
    data[info.header_offset + local_offset:info.header_offset + local_offset + 2] = value.to_bytes(2, "little")
    offset = data.find(b"PK\x01\x02")
    while offset != -1:
        name_length = int.from_bytes(data[offset + 28:offset + 30], "little")
        if data[offset + 46:offset + 46 + name_length] == name.encode():
            data[offset + central_offset:offset + central_offset + 2] = value.to_bytes(2, "little")
        offset = data.find(b"PK\x01\x02", offset + 4)
    path.write_bytes(bytes(data))


def test_zip_encrypted_member(tmp_path):
    path = write_export(tmp_path / "export.zip", {"systemJobs/documents.jsonl": jsonl(DOCUMENTS)})
    # Bit 0 of the general purpose flags marks an encrypted member.
    _patch_member_header(path, "systemJobs/documents.jsonl", 6, 8, 0x1)
    with pytest.raises(SnapshotError) as caught:
        SnapshotRegistry(path).read_rows()
    assert "encrypted" in caught.value.message
    assert "decrypt the archive" in caught.value.hint


def test_zip_unsupported_compression(tmp_path):
    path = write_export(tmp_path / "export.zip", {"systemJobs/documents.jsonl": jsonl(DOCUMENTS)})
    # Compression method 99 is AES encryption, which Python's zipfile does not implement.
    _patch_member_header(path, "systemJobs/documents.jsonl", 8, 10, 99)
    with pytest.raises(SnapshotError) as caught:
        SnapshotRegistry(path).read_rows()
    assert "compression method" in caught.value.message
    assert "npx convex export" in caught.value.hint


def test_zip_member_over_size_limit(tmp_path, monkeypatch):
    monkeypatch.setattr(snapshot, "MAX_SNAPSHOT_BYTES", 1000)
    path = write_export(tmp_path / "export.zip", {"systemJobs/documents.jsonl": jsonl(DOCUMENTS) + " " * 2000})
    with pytest.raises(SnapshotError) as caught:
        SnapshotRegistry(path).read_rows()
    assert "documents.jsonl is" in caught.value.message
    assert "over the 1000 byte limit" in caught.value.message


def test_zip_long_line_rejected(tmp_path, monkeypatch):
    monkeypatch.setattr(snapshot, "MAX_LINE_BYTES", 1000)
    long_row = json.dumps({"jobKey": "a", "padding": "x" * 5000})
    path = write_export(tmp_path / "export.zip", {"systemJobs/documents.jsonl": jsonl(DOCUMENTS) + long_row + "\n"})
    with pytest.raises(SnapshotError) as caught:
        SnapshotRegistry(path).read_rows()
    assert "documents.jsonl: line 3 is longer than the 1000 byte limit" in caught.value.message


def test_jsonl_file_long_line_rejected(tmp_path, monkeypatch):
    monkeypatch.setattr(snapshot, "MAX_LINE_BYTES", 1000)
    path = tmp_path / "rows.jsonl"
    path.write_text(json.dumps({"jobKey": "a", "padding": "x" * 5000}) + "\n")
    with pytest.raises(SnapshotError, match="line 1 is longer than the 1000 byte limit"):
        SnapshotRegistry(path).read_rows()


def test_json_file_over_size_limit(tmp_path, monkeypatch):
    monkeypatch.setattr(snapshot, "MAX_SNAPSHOT_BYTES", 10)
    path = tmp_path / "rows.json"
    path.write_text(json.dumps(DOCUMENTS))
    with pytest.raises(SnapshotError, match="over the 10 byte limit"):
        SnapshotRegistry(path).read_rows()


@pytest.mark.parametrize("suffix", (".jsonl", ".json"))
def test_byte_order_mark_accepted(tmp_path, suffix):
    path = tmp_path / f"rows{suffix}"
    text = jsonl(DOCUMENTS) if suffix == ".jsonl" else json.dumps(DOCUMENTS)
    path.write_bytes(b"\xef\xbb\xbf" + text.encode())
    rows = SnapshotRegistry(path).read_rows()
    assert [row.key for row in rows] == ["traffic-sync", "cleanup"]


def test_jsonl_crlf_lines(tmp_path):
    path = tmp_path / "rows.jsonl"
    path.write_bytes(jsonl(DOCUMENTS).replace("\n", "\r\n").encode())
    assert len(SnapshotRegistry(path).read_rows()) == 2


def test_jsonl_not_utf8_line(tmp_path):
    path = tmp_path / "rows.jsonl"
    path.write_bytes(jsonl(DOCUMENTS).encode() + b'{"jobKey": "\xff"}\n')
    with pytest.raises(SnapshotError, match="line 3 is not UTF-8"):
        SnapshotRegistry(path).read_rows()
