"""Registry rows from a file: an ``npx convex export`` ZIP, a JSON list, or JSON Lines.

A snapshot is a view of the past, so its source also reports when it was taken
(``taken_at``), and the compare stage judges stale and never-run jobs at that time.
"""

from __future__ import annotations

import base64
import binascii
import io
import json
import logging
import re
import struct
import zipfile
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, BinaryIO

from crongate.errors import SnapshotError
from crongate.model import RegistryRow
from crongate.registry.interface import FieldMap, RegistrySource, row_from_document

logger = logging.getLogger(__name__)

# `npx convex export` names its file snapshot_<Unix time in nanoseconds>.zip.
_SNAPSHOT_NAME = re.compile(r"snapshot_(\d{1,20})\.zip$", re.IGNORECASE)

_EXPORT_HINT = "export the registry again with `npx convex export --path <file>.zip`"

#: Largest table in a ZIP, or .json/.jsonl file, that is read, as its uncompressed size. A
#: registry has one row per cron job, so even a large one is a few megabytes, and the bound
#: keeps a small ZIP that inflates to gigabytes from exhausting memory.
MAX_SNAPSHOT_BYTES = 512 * 1024 * 1024

#: Longest JSON Lines line that is read. A registry row is a few hundred bytes, so the bound
#: only keeps one huge line from exhausting memory.
MAX_LINE_BYTES = 16 * 1024 * 1024

#: Newest time a snapshot may claim: later values are corrupt, not a clock in the future.
_LATEST_TIME = datetime(9999, 12, 31, tzinfo=timezone.utc).timestamp()


def decode_value(value: Any) -> Any:
    """Decode Convex's JSON encodings of special values inside a document.

    ``{"$float": b64}`` (NaN, infinities, -0) becomes a float, ``{"$bytes": b64}`` bytes,
    and ``{"$integer": b64}`` an int. For numbers the base64 contains 8 little-endian bytes.
    Plain JSON numbers are kept as ``json`` parsed them: the export writes Int64 as an
    integer and Float64 with a decimal point, and Python keeps that difference.
    Raises ValueError for a malformed encoding.
    """
    if isinstance(value, list):
        return [decode_value(item) for item in value]
    if not isinstance(value, dict):
        return value

    # Convex forbids field names that start with "$", so a one-key object with such a
    # name can only be an encoded value.
    if len(value) == 1:
        (name, payload), = value.items()
        if name in ("$float", "$bytes", "$integer"):
            if not isinstance(payload, str):
                raise ValueError(f"invalid {name} value {payload!r}, expected a base64 string")
            try:
                raw = base64.b64decode(payload, validate=True)
            except binascii.Error:
                raise ValueError(f"invalid {name} value {payload!r}: not valid base64") from None
            if name == "$bytes":
                return raw
            if len(raw) != 8:
                raise ValueError(f"invalid {name} value: {len(raw)} bytes, expected 8")
            if name == "$float":
                return struct.unpack("<d", raw)[0]
            return int.from_bytes(raw, "little", signed=True)

    return {key: decode_value(item) for key, item in value.items()}


def _in_time_range(milliseconds: float) -> bool:
    """Tell whether a row's time in milliseconds can be the time a snapshot was taken.

    NaN, infinities, negative times and times after year 9999 are corrupt values, and
    datetime cannot hold most of them.
    """
    try:
        seconds = milliseconds / 1000
    except OverflowError:  # an integer too large for a float
        return False
    return 0 <= seconds <= _LATEST_TIME


class SnapshotRegistry(RegistrySource):
    """Registry rows read from a local file.

    ``path`` may be:

    * the ZIP that ``npx convex export`` writes, read from ``<table>/documents.jsonl``, or
      ``_components/<name>/<table>/documents.jsonl`` when ``component`` is set (a nested
      component is written ``parent/child``);
    * a ``.json`` file with a list of documents, or an object with the list in ``value``
      (as the HTTP API returns it, with or without ``"status": "success"``);
    * a ``.jsonl`` file with one document per line.
    """

    def __init__(
        self,
        path: str | Path,
        table: str = "systemJobs",
        fields: FieldMap = FieldMap(),
        component: str | None = None,
    ) -> None:
        self.path = Path(path)
        self.table = table
        self.fields = fields
        self.component = component.strip("/") if component else None
        self.label = str(self.path)
        self._rows: list[RegistryRow] | None = None

    @property  # type: ignore[override]
    def taken_at(self) -> datetime | None:
        """The time the snapshot was taken, in UTC, or None when the file records no time.

        The export's file name carries the time in nanoseconds. Without it, the newest
        ``_creationTime``, created, updated or last-run time in the rows is the best bound:
        the snapshot cannot be older than a write it contains. Reading the time may read
        the rows, and raises SnapshotError as ``read_rows`` does.
        """
        match = _SNAPSHOT_NAME.search(self.path.name)
        if match:
            # At most 20 digits, so the time is before year 5200 and datetime can hold it.
            return datetime.fromtimestamp(int(match.group(1)) / 1e9, tz=timezone.utc)

        newest: float | None = None
        for row in self.read_rows():
            creation_time = row.raw.get("_creationTime")
            candidates = [row.created_at, row.updated_at, row.last_run_at]
            if isinstance(creation_time, (int, float)) and not isinstance(creation_time, bool):
                candidates.append(creation_time)
            for milliseconds in candidates:
                if milliseconds is None or not _in_time_range(milliseconds):
                    continue
                if newest is None or milliseconds > newest:
                    newest = milliseconds

        # NOTE: a file with no timestamps at all gets None, so it is judged at the
        # current time like a live deployment.
        if newest is None:
            return None
        return datetime.fromtimestamp(newest / 1000, tz=timezone.utc)

    def read_rows(self) -> list[RegistryRow]:
        if self._rows is None:
            documents = list(self._documents())
            self._rows = [self._row(document, where) for where, document in documents]
            logger.debug("read %d registry rows from %s", len(self._rows), self.label)
        return list(self._rows)

    def _documents(self) -> Iterator[tuple[str, Any]]:
        """Yield ``(where, document)`` pairs, ``where`` naming the line or index for errors."""
        if not self.path.is_file():
            raise SnapshotError(
                f"registry snapshot {self.path} does not exist or is not a file",
                hint="check the path given to --snapshot or registry.snapshot",
            )

        if zipfile.is_zipfile(self.path):
            yield from self._zip_documents()
            return

        suffix = self.path.suffix.lower()
        if suffix in (".jsonl", ".ndjson"):
            self._check_size(self.path.stat().st_size, str(self.path))
            with self._open_binary() as stream:
                yield from self._jsonl_documents(stream, str(self.path))
        elif suffix == ".json":
            self._check_size(self.path.stat().st_size, str(self.path))
            yield from self._json_documents()
        elif suffix == ".zip":
            raise SnapshotError(
                f"registry snapshot {self.path} is not a valid ZIP file (corrupt or truncated)",
                hint=_EXPORT_HINT,
            )
        else:
            raise SnapshotError(
                f"registry snapshot {self.path} has an unknown type {suffix or '(no suffix)'!r}",
                hint="pass an `npx convex export` .zip, a .json list of rows, or a .jsonl file",
            )

    def _check_size(self, size: int, name: str) -> None:
        if size > MAX_SNAPSHOT_BYTES:
            raise SnapshotError(
                f"registry snapshot {name} is {size} bytes, over the {MAX_SNAPSHOT_BYTES} byte limit",
                hint="a registry has one row per cron job; check that the file is an export of the registry table",
            )

    def _open_binary(self) -> io.BufferedReader:
        try:
            return open(self.path, "rb")
        except OSError as error:
            raise SnapshotError(
                f"cannot read registry snapshot {self.path}: {error.strerror}",
                hint="check the file's path and permissions",
            ) from None

    def _open_text(self) -> io.TextIOWrapper:
        # utf-8-sig drops a byte-order mark, which some editors write at the start of a file.
        try:
            return open(self.path, encoding="utf-8-sig")
        except OSError as error:
            raise SnapshotError(
                f"cannot read registry snapshot {self.path}: {error.strerror}",
                hint="check the file's path and permissions",
            ) from None

    def _json_documents(self) -> Iterator[tuple[str, Any]]:
        with self._open_text() as stream:
            try:
                payload = json.load(stream)
            except RecursionError:
                raise SnapshotError(
                    f"registry snapshot {self.path} is nested too deeply to read",
                    hint="a registry row nests a few levels; check that the file is an export of the registry table",
                ) from None
            except UnicodeDecodeError:
                raise SnapshotError(
                    f"registry snapshot {self.path} is not UTF-8 text",
                    hint="save the rows as UTF-8 JSON",
                ) from None
            except json.JSONDecodeError as error:
                raise SnapshotError(
                    f"registry snapshot {self.path} is not valid JSON: {error.msg} at line "
                    f"{error.lineno}, column {error.colno}",
                    hint="fix the file, or save the rows again from the HTTP API with format json",
                ) from None

        documents = self._unwrap(payload)
        for index, document in enumerate(documents):
            yield f"{self.path}: document {index}", document

    def _unwrap(self, payload: Any) -> list[Any]:
        """Return the list of rows from a .json file's top-level value."""
        if isinstance(payload, list):
            return payload
        if isinstance(payload, dict):
            if payload.get("status") == "error":
                raise SnapshotError(
                    f"registry snapshot {self.path} contains a failed function call: "
                    f"{payload.get('errorMessage', '(no errorMessage)')}",
                    hint="save the reply of a call that succeeded",
                )
            for key in ("value", "page"):
                if isinstance(payload.get(key), list):
                    return payload[key]
        raise SnapshotError(
            f"registry snapshot {self.path} contains no list of rows",
            hint='expected a JSON list of documents, or an object with the list in "value"',
        )

    def _jsonl_documents(self, stream: BinaryIO, name: str) -> Iterator[tuple[str, Any]]:
        """Yield the documents of a binary JSON Lines stream, reading one bounded line at a time."""
        line_number = 0
        while True:
            data = stream.readline(MAX_LINE_BYTES + 1)
            if not data:
                return
            line_number += 1
            if len(data) > MAX_LINE_BYTES:
                raise SnapshotError(
                    f"{name}: line {line_number} is longer than the {MAX_LINE_BYTES} byte limit",
                    hint="each line must hold one registry row; check that the file is an export of the registry table",
                )
            if line_number == 1:
                data = data.removeprefix(b"\xef\xbb\xbf")  # a UTF-8 byte-order mark
            try:
                line = data.decode("utf-8")
            except UnicodeDecodeError:
                raise SnapshotError(f"{name}: line {line_number} is not UTF-8 text", hint=_EXPORT_HINT) from None
            if not line.strip():
                continue
            try:
                document = json.loads(line)
            except json.JSONDecodeError as error:
                raise SnapshotError(
                    f"{name}: line {line_number} is not valid JSON: {error.msg} at column {error.colno}",
                    hint="each line must hold one JSON document; fix or remove the line",
                ) from None
            except RecursionError:
                raise SnapshotError(
                    f"{name}: line {line_number} is nested too deeply to read",
                    hint="a registry row nests a few levels; fix or remove the line",
                ) from None
            yield f"{name}: line {line_number}", document

    def _member_name(self) -> str:
        prefix = "".join(f"_components/{part}/" for part in self.component.split("/")) if self.component else ""
        return f"{prefix}{self.table}/documents.jsonl"

    def _zip_documents(self) -> Iterator[tuple[str, Any]]:
        member = self._member_name()
        try:
            with zipfile.ZipFile(self.path) as archive:
                names = archive.namelist()
                if member not in names:
                    raise self._missing_table(member, names)
                # The reader stops at the declared size, so checking it bounds what is inflated.
                self._check_size(archive.getinfo(member).file_size, f"{self.path}!{member}")
                with archive.open(member) as raw:
                    yield from self._jsonl_documents(raw, f"{self.path}!{member}")
        except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, OSError) as error:
            # A CRC mismatch or a cut-off member surfaces here, while the member is read.
            raise SnapshotError(
                f"registry snapshot {self.path} is a corrupt ZIP file: {error}",
                hint=_EXPORT_HINT,
            ) from None
        except NotImplementedError as error:
            raise SnapshotError(
                f"registry snapshot {self.path}: {member} uses a compression method that Python cannot read ({error})",
                hint=f"{_EXPORT_HINT}, or repack the ZIP with deflate compression",
            ) from None
        except RuntimeError as error:
            # zipfile raises RuntimeError for an encrypted member read without a password.
            raise SnapshotError(
                f"registry snapshot {self.path}: {member} cannot be read ({error})",
                hint=f"decrypt the archive, or {_EXPORT_HINT}",
            ) from None

    def _missing_table(self, member: str, names: list[str]) -> SnapshotError:
        prefix = "".join(f"_components/{part}/" for part in self.component.split("/")) if self.component else ""
        tables = sorted(
            name[len(prefix):-len("/documents.jsonl")]
            for name in names
            if name.startswith(prefix)
            and name.endswith("/documents.jsonl")
            and "/" not in name[len(prefix):-len("/documents.jsonl")]
            and not name[len(prefix):].startswith("_")
        )
        components = sorted({name.split("/")[1] for name in names if name.startswith("_components/")})
        listed = ", ".join(tables) if tables else "none"
        hint = "set registry.table to the registry's table"
        if components and not self.component:
            hint += f", or registry.component to one of: {', '.join(components)}"
        return SnapshotError(
            f"the ZIP {self.path} has no {member}; tables in it: {listed}", hint=hint
        )

    def _row(self, document: Any, where: str) -> RegistryRow:
        if not isinstance(document, dict):
            raise SnapshotError(
                f"{where} is not a JSON object",
                hint="each row must be one document, a JSON object",
            )
        try:
            row = row_from_document(decode_value(document), self.fields)
        except ValueError as error:
            raise SnapshotError(
                f"{where}: {error}",
                hint="fix the value, or map the field with registry.fields in crongate.yml",
            ) from None
        except RecursionError:
            raise SnapshotError(
                f"{where} is nested too deeply to read",
                hint="a registry row nests a few levels; fix or remove the row",
            ) from None
        if row.key is None:
            raise SnapshotError(
                f"{where} has no {self.fields.key!r} field",
                hint="set registry.fields.key in crongate.yml to the field that holds the job key, "
                "or registry.table to the registry's table",
            )
        return row
