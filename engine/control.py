"""Asking a running sweep to skip a trial: `sweepdeck skip RUN TRIAL` and the TUI.

A request is an empty file `requests/skip.<trial id>` in the run folder; the
runner looks there between its other work (several times a second), acts on each
request, logs it and deletes the file. A file rather than a signal because a
signal cannot say which of several running trials is meant, and a file also
reaches a runner on another host that shares the folder. The runner empties the
folder when it starts, so requests left in a shared or copied folder never act.

Standard library only: the TUI imports this module.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

REQUESTS_DIR = "requests"
_SKIP = "skip."
_TRIAL_ID = re.compile(r"t\d{3,}")


def _open_inbox(run_dir: Path, create: bool) -> int | None:
    """A descriptor of the run folder's `requests/`, never through a symlink: a
    shared folder whose `requests` points elsewhere must not make the runner
    delete files there. None when there is none (or it is not a real folder)."""
    inbox = Path(run_dir) / REQUESTS_DIR
    if create:
        try:
            inbox.mkdir()
        except FileExistsError:
            pass
    try:
        return os.open(inbox, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW)
    except OSError:
        return None


def request_skip(run_dir: Path, trial_id: str) -> None:
    """Leave a skip request for the runner of `run_dir` (OSError when the folder
    cannot be written; ValueError for something that is not a trial id)."""
    if not _TRIAL_ID.fullmatch(trial_id):
        raise ValueError(f"{trial_id!r} is not a trial id (like t003)")
    inbox = _open_inbox(run_dir, create=True)
    if inbox is None:
        raise OSError(f"{Path(run_dir) / REQUESTS_DIR} is not a folder")
    try:
        # O_NOFOLLOW: a planted link at this name is never written through.
        fd = os.open(f"{_SKIP}{trial_id}", os.O_WRONLY | os.O_CREAT | os.O_NOFOLLOW, 0o644, dir_fd=inbox)
        os.close(fd)
    finally:
        os.close(inbox)


def take_skip_requests(run_dir: Path) -> list[str]:
    """The trial ids asked to be skipped since the last call, in name order; their
    request files are deleted. Names that are not skip requests are removed too."""
    inbox = _open_inbox(run_dir, create=False)
    if inbox is None:
        return []
    wanted = []
    try:
        for name in sorted(os.listdir(inbox)):
            try:
                os.unlink(name, dir_fd=inbox)  # a link itself, never what it points to
            except OSError:
                continue  # a folder, or already gone: never act on what cannot be consumed
            trial_id = name[len(_SKIP):] if name.startswith(_SKIP) else ""
            if _TRIAL_ID.fullmatch(trial_id):
                wanted.append(trial_id)
    finally:
        os.close(inbox)
    return wanted


def clear_requests(run_dir: Path) -> None:
    """Forget every request: called by the runner before it starts."""
    take_skip_requests(run_dir)
