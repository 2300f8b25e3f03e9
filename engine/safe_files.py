"""Reading a file of a run folder that someone else may have prepared.

Run folders are shared (copied from a colleague, a cluster's scratch, a paper's
supplement), so a file in one may be a symbolic link to anywhere, or a FIFO or a
device that blocks or never ends. Standard library only: the TUI reads logs too.
"""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path
from typing import Optional


def read_regular_file(path: Path, limit: Optional[int] = None) -> bytes:
    """The file's bytes (at most `limit`), without following a symbolic link and only
    if it is a regular file; OSError otherwise (ELOOP for a link)."""
    fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    with os.fdopen(fd, "rb") as fh:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise OSError(errno.EINVAL, "not a regular file", str(path))
        return fh.read() if limit is None else fh.read(limit)


def describe_unreadable(path: Path, exc: OSError) -> str:
    """One line saying why a run file was not read."""
    if exc.errno == errno.ELOOP:
        return f"{path.name} is a symbolic link (not followed)"
    if exc.errno == errno.EINVAL:
        return f"{path.name} is not a regular file"
    return f"{path.name} cannot be read ({exc.strerror or exc})"
