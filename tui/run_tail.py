"""A run folder read as it grows, for the Training screen's follow thread: the
new events, the runner's new output lines, and whether the runner still lives.

No Textual here: the screen's worker polls a RunTail and posts what it returns.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Optional

from sweepdeck.engine.events import Event, EventFollower
from sweepdeck.engine.liveness import run_is_live
from sweepdeck.engine.safe_files import TailReader, describe_unreadable
from sweepdeck.engine.store import EVENTS
from sweepdeck.tui.runner_process import log_path_for

OUTPUT_TAIL_BYTES = 64 * 1024  # of a long runner output, only its end is shown
POLL_LIVE_S = 0.25
POLL_IDLE_S = 1.0
STARTING_S = 30.0  # a new runner takes a while to start: poll fast meanwhile


@dataclass
class RunNews:
    """What changed in a run folder since the last poll."""

    events: list[Event] = field(default_factory=list)
    log_lines: list[str] = field(default_factory=list)  # as the runner wrote them: not yet stripped of control sequences
    live: bool = False


class RunTail:
    """Polls a run folder: its events.jsonl, the runner's output file (.tui/<id>.log)
    and its lock. A damaged log or an unreadable output file becomes a warning line
    when the problem is new."""

    def __init__(self, run_dir: Path, clock: Callable[[], float] = time.monotonic):
        self.run_dir = Path(run_dir)
        self._events = EventFollower(self.run_dir / EVENTS)
        self._output = TailReader(log_path_for(self.run_dir), start_back=OUTPUT_TAIL_BYTES)
        self._clock = clock
        self._started = clock()
        self._live: Optional[bool] = None
        self._busy = True
        self._reported: dict[str, str] = {}  # the last problem warned about, per file

    def poll(self) -> Optional[RunNews]:
        """What is new, or None when nothing is (no events, no output, same liveness)."""
        events = self._events.poll()
        lines: list[str] = []
        try:
            lines = [raw.decode("utf-8", "replace").rstrip("\r") for raw in self._output.poll()]
        except OSError as exc:
            self._warn("output", describe_unreadable(self._output.path, exc), lines)
        if self._events.damage:
            self._warn("events", self._events.damage, lines)
        live = run_is_live(self.run_dir)
        self._busy = bool(live or events)
        if not events and not lines and live == self._live:
            return None
        self._live = live
        return RunNews(events, lines, live)

    def _warn(self, source: str, problem: str, lines: list[str]) -> None:
        if self._reported.get(source) != problem:
            self._reported[source] = problem
            lines.append(f"warning: {problem}")

    def next_poll_s(self) -> float:
        """How long to wait before the next poll: short while the runner lives, sends
        events or may still be starting; longer for a finished run."""
        fast = self._busy or self._clock() - self._started < STARTING_S
        return POLL_LIVE_S if fast else POLL_IDLE_S
