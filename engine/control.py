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


def request_skip(run_dir: Path, trial_id: str) -> None:
    """Leave a skip request for the runner of `run_dir` (OSError when the folder
    cannot be written; ValueError for something that is not a trial id)."""
    if not _TRIAL_ID.fullmatch(trial_id):
        raise ValueError(f"{trial_id!r} is not a trial id (like t003)")
    inbox = Path(run_dir) / REQUESTS_DIR
    inbox.mkdir(exist_ok=True)
    # O_NOFOLLOW: a planted link at this name is never written through.
    fd = os.open(inbox / f"{_SKIP}{trial_id}", os.O_WRONLY | os.O_CREAT | os.O_NOFOLLOW, 0o644)
    os.close(fd)


def take_skip_requests(run_dir: Path) -> list[str]:
    """The trial ids asked to be skipped since the last call, in name order; their
    request files are deleted. Names that are not skip requests are removed too."""
    inbox = Path(run_dir) / REQUESTS_DIR
    try:
        names = sorted(os.listdir(inbox))
    except OSError:
        return []
    wanted = []
    for name in names:
        try:
            os.unlink(inbox / name)
        except OSError:
            continue  # a folder, or already gone: never act on what cannot be consumed
        trial_id = name[len(_SKIP):] if name.startswith(_SKIP) else ""
        if _TRIAL_ID.fullmatch(trial_id):
            wanted.append(trial_id)
    return wanted


def clear_requests(run_dir: Path) -> None:
    """Forget every request: called by the runner before it starts."""
    take_skip_requests(run_dir)
