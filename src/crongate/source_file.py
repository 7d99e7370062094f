"""Bounded reads of the app's source files.

A path in the functions directory may name a FIFO, a socket or a device (``convex/zero.ts ->
/dev/zero``), and then its ``st_size`` does not bound what a read returns. Reading a FIFO
blocks until a writer appears, and reading ``/dev/zero`` never ends. Every source file is
therefore read through ``read_source_file``, which accepts only regular files and never reads
more than its limit plus one byte.
"""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path

_KINDS = (
    (stat.S_ISDIR, "a directory"),
    (stat.S_ISFIFO, "a FIFO"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
)


class NotRegularFileError(OSError):
    """The path names a directory, FIFO, socket or device instead of a regular file.

    It is an ``OSError`` with ``strerror`` "not a regular file (it is a FIFO)", so a caller
    that already reports ``OSError.strerror`` needs no new branch.
    """

    def __init__(self, path: Path, kind: str) -> None:
        super().__init__(errno.EINVAL, f"not a regular file (it is {kind})", str(path))
        self.kind = kind


def file_kind(mode: int) -> str:
    """Return what a ``st_mode`` describes, as a noun phrase such as "a FIFO"."""
    if stat.S_ISREG(mode):
        return "a regular file"
    for test, kind in _KINDS:
        if test(mode):
            return kind
    return "a special file"


def read_source_file(path: Path, limit: int) -> bytes:
    """Read at most ``limit + 1`` bytes of the regular file at ``path``, following symlinks.

    A result longer than ``limit`` means the file is over the limit; the caller decides
    whether that is an error. Raises NotRegularFileError for anything but a regular file,
    and OSError (FileNotFoundError, PermissionError, ...) when the file cannot be opened.
    """
    kind = file_kind(os.stat(path).st_mode)
    if kind != "a regular file":
        raise NotRegularFileError(path, kind)

    # O_NONBLOCK keeps open() from waiting for a writer if the path was swapped for a FIFO
    # after the stat above, and the fstat below catches that swap.
    descriptor = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0))
    with os.fdopen(descriptor, "rb") as stream:
        kind = file_kind(os.fstat(stream.fileno()).st_mode)
        if kind != "a regular file":
            raise NotRegularFileError(path, kind)
        return stream.read(limit + 1)
