"""Messages that cross widgets and threads."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from textual.message import Message


class RunUpdate(Message):
    """New events (and runner output lines) of the followed run, from the follow thread."""

    def __init__(self, run_dir: Path, events: list[Any], log_lines: list[str], live: bool) -> None:
        super().__init__()
        self.run_dir = run_dir
        self.events = events
        self.log_lines = log_lines
        self.live = live


class ReportChunk(Message):
    """A streamed piece of Markdown of a report being written."""

    def __init__(self, run_dir: Path, text: str) -> None:
        super().__init__()
        self.run_dir = run_dir
        self.text = text


class ReportDone(Message):
    def __init__(self, run_dir: Path, ok: bool, message: str = "") -> None:
        super().__init__()
        self.run_dir = run_dir
        self.ok = ok
        self.message = message


class RunnerExited(Message):
    """A runner process this TUI started has exited."""

    def __init__(self, run_dir: Path, returncode: int, log_tail: str) -> None:
        super().__init__()
        self.run_dir = run_dir
        self.returncode = returncode
        self.log_tail = log_tail


class ChartsDrawn(Message):
    """A report's text charts drawn again at the Report pane's size (title → chart text)."""

    def __init__(self, run_dir: Path, size: tuple[int, int], charts: dict[str, str]) -> None:
        super().__init__()
        self.run_dir = run_dir
        self.size = size
        self.charts = charts


class AskChunk(Message):
    """A streamed piece of an answer to a question about a run."""

    def __init__(self, run_dir: Path, text: str) -> None:
        super().__init__()
        self.run_dir = run_dir
        self.text = text


class AskDone(Message):
    """An answer checked and saved (`answer`, with its ⚠[i] markers), or why there is none (`error`)."""

    def __init__(self, run_dir: Path, answer: str = "", facts: str = "", error: str = "") -> None:
        super().__init__()
        self.run_dir = run_dir
        self.answer = answer
        self.facts = facts
        self.error = error
