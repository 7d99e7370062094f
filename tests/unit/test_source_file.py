"""Bounded reads of source files: regular files only, never more than the limit plus one byte."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from crongate.source_file import NotRegularFileError, read_source_file


def test_reads_regular_file(tmp_path: Path) -> None:
    path = tmp_path / "crons.ts"
    path.write_bytes(b"export default 1;\n")

    assert read_source_file(path, 100) == b"export default 1;\n"


def test_reads_limit_plus_one(tmp_path: Path) -> None:
    path = tmp_path / "big.ts"
    path.write_bytes(b"x" * 1000)

    assert len(read_source_file(path, 10)) == 11


def test_follows_symlink_to_file(tmp_path: Path) -> None:
    (tmp_path / "real.ts").write_bytes(b"1;")
    (tmp_path / "link.ts").symlink_to(tmp_path / "real.ts")

    assert read_source_file(tmp_path / "link.ts", 10) == b"1;"


def test_fifo_rejected(tmp_path: Path) -> None:
    path = tmp_path / "pipe.ts"
    os.mkfifo(path)

    with pytest.raises(NotRegularFileError) as caught:
        read_source_file(path, 10)
    assert caught.value.kind == "a FIFO"
    assert "not a regular file" in caught.value.strerror


@pytest.mark.skipif(not Path("/dev/zero").exists(), reason="needs /dev/zero")
def test_device_symlink_rejected(tmp_path: Path) -> None:
    path = tmp_path / "zero.ts"
    path.symlink_to("/dev/zero")

    with pytest.raises(NotRegularFileError) as caught:
        read_source_file(path, 10)
    assert caught.value.kind == "a character device"


def test_directory_rejected(tmp_path: Path) -> None:
    with pytest.raises(NotRegularFileError) as caught:
        read_source_file(tmp_path, 10)
    assert caught.value.kind == "a directory"


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        read_source_file(tmp_path / "absent.ts", 10)


def test_error_is_os_error(tmp_path: Path) -> None:
    # Callers that already catch OSError must keep catching the new case.
    assert issubclass(NotRegularFileError, OSError)
