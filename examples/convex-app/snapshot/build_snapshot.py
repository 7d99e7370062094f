"""Build the example registry snapshot, laid out as `npx convex export` writes its ZIP.

    python build_snapshot.py           write snapshot_<ns>.zip next to this script
    python build_snapshot.py --check   exit 1 if the committed ZIP differs from a fresh build

The rows come from systemJobs.jsonl beside this script, one document per line, already
in ConvexExportJSON: the app's schema declares every number as v.number() (float64), so
each number is written with a decimal point, and int64 values would be plain integers.

The output is reproducible byte for byte: entries are sorted by name, every entry gets
the snapshot time as its timestamp and fixed permissions, and entries are stored
uncompressed, because deflate output can differ between zlib builds.
"""

from __future__ import annotations

import argparse
import json
import sys
from io import BytesIO
import zipfile
from datetime import datetime, timezone
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROWS_FILE = HERE / "systemJobs.jsonl"

# The moment the export was taken. crongate reads it from the file name and judges
# staleness at this time, so the rows' lastRunAt values are set relative to it.
SNAPSHOT_TIME = datetime(2026, 12, 3, 14, 20, 0, tzinfo=timezone.utc)

# Every user table of the example app, with the table numbers a fresh deployment would
# give them. Only systemJobs has documents; the export still lists the empty tables.
TABLES = {"devices": 10001, "proxySessions": 10002, "systemJobs": 10003, "trafficSamples": 10004}

# Fields that the app's schema declares as v.number(), so an export writes them as floats.
FLOAT_FIELDS = ("totalRuns", "successCount", "errorCount", "lastRunAt", "createdAt", "updatedAt")

EXPORT_README = """\
# Convex export: crongate example app

This ZIP has the layout of `npx convex export`:

- `_tables/documents.jsonl` lists every table, one `{"name", "id"}` object per line.
- `<table>/documents.jsonl` holds that table's documents, one per line.
- `<table>/generated_schema.jsonl` holds the string "uniform": values use the uniform
  export encoding (int64 as JSON integers, float64 with a decimal point).

It was built by examples/convex-app/snapshot/build_snapshot.py from systemJobs.jsonl,
not exported from a real deployment.
"""


def snapshot_path() -> Path:
    """Return the ZIP's path: `snapshot_<Unix time in nanoseconds>.zip`, as the CLI names it."""
    nanoseconds = int(SNAPSHOT_TIME.timestamp()) * 1_000_000_000
    return HERE / f"snapshot_{nanoseconds}.zip"


def read_rows(path: Path) -> list[dict]:
    """Read and validate the rows, raising ValueError with the line number of a bad row."""
    rows = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue

        try:
            row = json.loads(line)
        except json.JSONDecodeError as error:
            raise ValueError(f"{path.name}:{number}: invalid JSON: {error}") from error
        if not isinstance(row, dict):
            raise ValueError(f"{path.name}:{number}: expected a JSON object, got {line[:40]!r}")

        if not isinstance(row.get("_id"), str) or not isinstance(row.get("jobKey"), str):
            raise ValueError(f"{path.name}:{number}: _id and jobKey must be strings")
        if not isinstance(row.get("_creationTime"), float):
            raise ValueError(f"{path.name}:{number}: _creationTime must be a float, e.g. 1718000000000.5")
        for field in FLOAT_FIELDS + ("interval",):
            value = row.get(field)
            if field == "interval":
                value = value.get("value") if isinstance(value, dict) else None
            if value is not None and not isinstance(value, float):
                raise ValueError(
                    f"{path.name}:{number}: {field} is {value!r}; v.number() fields export "
                    f"with a decimal point, write {float(value)!r}"
                )

        rows.append(row)
    return rows


def export_line(document: dict) -> str:
    """Serialize one document as one compact JSON line with sorted keys, so the bytes are stable."""
    return json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False) + "\n"


def snapshot_entries(rows: list[dict]) -> dict[str, str]:
    """Return the ZIP's entries by name."""
    entries = {"README.md": EXPORT_README}

    tables = sorted(TABLES.items(), key=lambda item: item[1])
    entries["_tables/documents.jsonl"] = "".join(
        export_line({"name": name, "id": table_number}) for name, table_number in tables
    )

    for name in TABLES:
        documents = rows if name == "systemJobs" else []
        entries[f"{name}/documents.jsonl"] = "".join(export_line(doc) for doc in documents)
        entries[f"{name}/generated_schema.jsonl"] = json.dumps("uniform") + "\n"

    return entries


def build_zip(entries: dict[str, str]) -> bytes:
    """Pack the entries into ZIP bytes that depend only on the entries and SNAPSHOT_TIME."""
    buffer = BytesIO()
    date_time = SNAPSHOT_TIME.timetuple()[:6]
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_STORED) as archive:
        for name in sorted(entries):
            info = zipfile.ZipInfo(name, date_time=date_time)
            info.compress_type = zipfile.ZIP_STORED
            info.create_system = 3  # Unix, so external_attr below means rw-r--r--
            info.external_attr = 0o100644 << 16
            archive.writestr(info, entries[name].encode("utf-8"))
    return buffer.getvalue()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--check", action="store_true", help="compare a fresh build with the committed ZIP and write nothing"
    )
    options = parser.parse_args(argv)

    try:
        rows = read_rows(ROWS_FILE)
    except (OSError, ValueError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2

    data = build_zip(snapshot_entries(rows))
    target = snapshot_path()

    if options.check:
        if not target.is_file() or target.read_bytes() != data:
            print(f"{target.name} is missing or out of date; run build_snapshot.py and commit it", file=sys.stderr)
            return 1
        print(f"{target.name} is up to date ({len(rows)} rows)", file=sys.stderr)
        return 0

    target.write_bytes(data)
    print(f"wrote {target.name} ({len(rows)} rows, {len(data)} bytes)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
