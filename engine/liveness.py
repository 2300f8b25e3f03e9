"""Is the process that wrote a run's lock still running? Standard library only:
the TUI asks this before its first paint.

`runner.lock` is read here, once for everyone: as plain JSON for this check, and
into store.LockInfo (pydantic) by those who need the whole record.

A pid alone is not enough: after a reboot, or on a busy machine, the pid of a dead
runner is soon given to some other process. So the lock also records which boot
it belongs to and when (in ticks since boot) its owner started, and both are
checked where Linux's /proc can tell.
"""

from __future__ import annotations

import json
import os
import socket
from pathlib import Path
from typing import Any, Optional

from sweepdeck.engine.safe_files import read_regular_file

PROC = Path("/proc")
LOCK = "runner.lock"
LOCK_LIMIT = 4096  # a lock is a hundred bytes; more is not one


def read_lock_json(run_dir: Path) -> Optional[dict[str, Any]]:
    """The JSON object in `run_dir`'s runner.lock, or None (no lock, unreadable, a
    link or a FIFO planted in a shared folder, not a JSON object)."""
    try:
        data = json.loads(read_regular_file(Path(run_dir) / LOCK, LOCK_LIMIT))
    except (OSError, ValueError, RecursionError):
        return None
    return data if isinstance(data, dict) else None


def run_is_live(run_dir: Path) -> bool:
    """True when the runner named in `run_dir`'s lock may still be writing it."""
    info = read_lock_json(run_dir)
    if info is None:
        return False
    try:
        owner = (int(info["pid"]), str(info["host"]), info.get("boot_id"), info.get("start_ticks"))
    except (KeyError, TypeError, ValueError):
        return False
    return owner_is_live(*owner)


def boot_id() -> Optional[str]:
    """This boot's id on Linux, else None."""
    try:
        return (PROC / "sys/kernel/random/boot_id").read_text().strip() or None
    except OSError:
        return None


def process_start_ticks(pid: int) -> Optional[int]:
    """When `pid` started, in clock ticks since boot (Linux), else None.

    Ticks since boot rather than wall time: a clock stepped by NTP after the
    runner started must not make a live runner look like a different process."""
    try:
        # The command name (field 2) may hold spaces and parentheses: split after it.
        fields = (PROC / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()
        return int(fields[19])  # field 22 of proc_pid_stat(5)
    except (OSError, ValueError, IndexError):
        return None


def pid_exists(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process: it exists
        return True
    return True


def owner_is_live(pid: int, host: str, owner_boot_id: Optional[str] = None,
                  owner_start_ticks: Optional[int] = None) -> bool:
    """True when the lock's owner may still be running.

    A lock from another host cannot be checked, so it counts as live. On this
    host the owner is gone when the machine has rebooted since, when its pid is
    free, or when the pid now belongs to a process that started at another time
    (the pid was reused). Locks without boot id or start ticks (older ones, or
    written outside Linux) are judged by the pid alone."""
    if host != socket.gethostname():
        return True
    if owner_boot_id is not None and boot_id() not in (None, owner_boot_id):
        return False
    if not pid_exists(pid):
        return False
    if owner_start_ticks is None:
        return True
    current = process_start_ticks(pid)
    return current is None or current == owner_start_ticks
