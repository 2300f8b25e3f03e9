"""The Training screen's log pane draws on two sources that say some things
twice: the run's events (`12:00:11 t003 completed after 3 epochs`) and the
runner's own output, which prints the same events as they happen
(`t003 completed after 3 epochs`, `run completed in 5s`). A line from one source
that repeats a recent line of the other is shown once. No Textual here.
"""

from __future__ import annotations

import re
from collections import deque

_CLOCK = re.compile(r"^\d\d:\d\d:\d\d ")
RECENT = 200  # lines remembered per source: the two sources are never far apart


def _same(a: str, b: str) -> bool:
    """`b` says what `a` says (it may add to its end: `run completed` / `run completed in 5s`)."""
    return bool(a) and (b == a or b.startswith(a + " ") or b.startswith(a + ":"))


class LogMerge:
    def __init__(self) -> None:
        self._events: deque[str] = deque(maxlen=RECENT)
        self._runner: deque[str] = deque(maxlen=RECENT)

    def from_events(self, lines: list[str]) -> list[str]:
        """The event lines to show: those the runner's output has not said already."""
        out = []
        for line in lines:
            text = _CLOCK.sub("", line)
            if any(_same(text, r) for r in self._runner):
                continue
            self._events.append(text)
            out.append(line)
        return out

    def from_runner(self, lines: list[str]) -> list[str]:
        """The runner's lines to show: those no recent event line has said already."""
        out = []
        for line in lines:
            if any(_same(e, line) for e in self._events):
                continue
            self._runner.append(line)
            out.append(line)
        return out
