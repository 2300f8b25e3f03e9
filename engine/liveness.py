"""Is the process that wrote a run's lock still running? Standard library only:
the TUI asks this before its first paint.

A pid alone is not enough: after a reboot, or on a busy machine, the pid of a dead
runner is soon given to some other process. So the lock also records when its
owner started and which boot it belongs to, and both are checked where Linux's
/proc can tell.
"""

from __future__ import annotations

import os
import socket
from pathlib import Path
from typing import Optional

PROC = Path("/proc")
# /proc reports start times in whole clock ticks and the boot time in whole
# seconds, so an owner's start can look up to about a second late.
START_SLACK_S = 2.0


def boot_id() -> Optional[str]:
    """This boot's id on Linux, else None."""
    try:
        return (PROC / "sys/kernel/random/boot_id").read_text().strip() or None
    except OSError:
        return None


def process_start_time(pid: int) -> Optional[float]:
    """When `pid` started, in seconds since the epoch (Linux), else None."""
    try:
        # The command name (field 2) may hold spaces and parentheses: split after it.
        fields = (PROC / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()
        ticks = int(fields[19])  # field 22 of stat(5): start time in ticks since boot
        btime = next(int(line.split()[1]) for line in (PROC / "stat").read_text().splitlines()
                     if line.startswith("btime "))
        return btime + ticks / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError, StopIteration):
        return None


def pid_exists(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process: it exists
        return True
    return True


def owner_is_live(pid: int, host: str, started: float, owner_boot_id: Optional[str] = None) -> bool:
    """True when the lock's owner may still be running.

    A lock from another host cannot be checked, so it counts as live. On this
    host the owner is gone when the machine has rebooted since, when its pid is
    free, or when the pid now belongs to a process that started after the lock
    was written (the pid was reused)."""
    if host != socket.gethostname():
        return True
    if owner_boot_id is not None and boot_id() not in (None, owner_boot_id):
        return False
    if not pid_exists(pid):
        return False
    current_start = process_start_time(pid)
    return current_start is None or current_start <= started + START_SLACK_S
