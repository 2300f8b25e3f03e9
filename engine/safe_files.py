"""Reading a file of a run folder that someone else may have prepared.

Run folders are shared (copied from a colleague, a cluster's scratch, a paper's
supplement), so a file in one may be a symbolic link to anywhere, or a FIFO or a
device that blocks or never ends. Standard library only: the TUI reads logs too,
and follows them as they grow (TailReader).
"""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path
from typing import BinaryIO, Optional


def open_regular_file(path: Path) -> BinaryIO:
    """`path` opened for reading, without following a symbolic link and only if it
    is a regular file; OSError otherwise (ELOOP for a link, EINVAL for a FIFO)."""
    fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    fh = os.fdopen(fd, "rb")
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        fh.close()
        raise OSError(errno.EINVAL, "not a regular file", str(path))
    return fh


def read_regular_file(path: Path, limit: Optional[int] = None) -> bytes:
    """The file's bytes (at most `limit`), read as `open_regular_file` opens it."""
    with open_regular_file(path) as fh:
        return fh.read() if limit is None else fh.read(limit)


class TailReader:
    """The complete lines a growing file gained since the last `poll()`.

    A partial last line (its writer is mid-write) waits for the next poll. With
    `start_back`, the first poll begins that many bytes before the end, so a long
    file is not read whole; the first line returned may then be cut.
    """

    def __init__(self, path: Path, start_back: Optional[int] = None):
        self.path = Path(path)
        self._offset: Optional[int] = 0 if start_back is None else None
        self._start_back = start_back or 0
        self._pending = b""

    def poll(self) -> list[bytes]:
        """The new complete lines, without their newline; [] while the file does not
        exist. OSError when it cannot be read (see `open_regular_file`)."""
        try:
            fh = open_regular_file(self.path)
        except FileNotFoundError:
            return []
        with fh:
            if self._offset is None:
                self._offset = max(0, fh.seek(0, os.SEEK_END) - self._start_back)
            fh.seek(self._offset)
            chunk = fh.read()
        self._offset += len(chunk)
        lines = (self._pending + chunk).split(b"\n")
        self._pending = lines.pop()  # b"" when the data ended with a newline
        return lines


def describe_unreadable(path: Path, exc: OSError) -> str:
    """One line saying why a run file was not read."""
    if exc.errno == errno.ELOOP:
        return f"{path.name} is a symbolic link (not followed)"
    if exc.errno == errno.EINVAL:
        return f"{path.name} is not a regular file"
    return f"{path.name} cannot be read ({exc.strerror or exc})"
