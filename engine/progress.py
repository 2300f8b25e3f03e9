"""What `sweepdeck run` prints while it trains: a bar with ETA on a terminal,
plain lines when the output is a file or a pipe (batch jobs, the TUI's log pane)."""

from __future__ import annotations

import sys
import time
from typing import TextIO

from sweepdeck.engine.events import EpochMetrics, LogLine, RunFinished, RunStarted, TrialFinished, TrialStarted
from sweepdeck.engine.formatting import fmt_duration


class Progress:
    """An event listener that renders the sweep's progress."""

    def __init__(self, n_trials: int, n_epochs: int, out: TextIO | None = None, tty: bool | None = None,
                 finished: int = 0):
        self.out = out or sys.stderr
        self.tty = self.out.isatty() if tty is None else tty
        self.total = n_trials * n_epochs
        self.n_epochs = n_epochs
        self.finished_before = finished * n_epochs  # trials a resumed run had finished
        self.epochs_of: dict[str, int] = {}  # per trial seen: epochs accounted for (trials run side by side)
        self.started = time.monotonic()
        self.best: float | None = None
        self._epochs_this_session = 0

    @property
    def done(self) -> int:
        return self.finished_before + sum(self.epochs_of.values())

    def __call__(self, event: object) -> None:
        if isinstance(event, RunStarted):
            workers = f" ({event.workers} workers, {event.threads} thread{'s' if event.threads != 1 else ''} each)" if event.workers > 1 else ""
            self._line(f"run {event.run_id}: {event.n_trials} trials on {event.device}{workers}" + (" (resumed)" if event.resumed else ""))
        elif isinstance(event, TrialStarted):
            self.epochs_of[event.trial_id] = max(self.epochs_of.get(event.trial_id, 0), event.start_epoch - 1)
            if not self.tty:
                where = f" on worker {event.worker} ({event.device})" if event.worker is not None else ""
                self._line(f"{event.trial_id} started{where}: {event.label}" + (f" (from epoch {event.start_epoch})" if event.start_epoch > 1 else ""))
        elif isinstance(event, EpochMetrics):
            self.epochs_of[event.trial_id] = event.epoch
            self._epochs_this_session += 1
            self.best = max(self.best or 0.0, event.test_acc)
            if self.tty:
                self._bar(event)
            else:
                train = f" train_acc={event.train_acc:.4f}" if event.train_acc is not None else ""
                self._line(f"{event.trial_id} epoch {event.epoch}/{self.n_epochs} loss={event.train_loss:.4f}{train} test_acc={event.test_acc:.4f} ({self._eta()} left)")
        elif isinstance(event, TrialFinished):
            if event.status != "interrupted":  # one that ended early counts as done
                self.epochs_of[event.trial_id] = self.n_epochs
            extra = f": {event.error}" if event.error else ""
            self._line(f"{event.trial_id} {event.status} after {event.epochs_done} epochs{extra}")
        elif isinstance(event, LogLine):
            self._line(f"{event.level}: {event.message}")
        elif isinstance(event, RunFinished):
            self._line(f"run {event.status} in {fmt_duration(time.monotonic() - self.started)}" + (f": {event.message}" if event.message else ""))

    def _eta(self) -> str:
        if not self._epochs_this_session:
            return "?"
        per_epoch = (time.monotonic() - self.started) / self._epochs_this_session
        return fmt_duration(per_epoch * (self.total - self.done))

    def _bar(self, ev: EpochMetrics) -> None:
        width = 24
        frac = self.done / max(self.total, 1)
        filled = int(frac * width)
        bar = "#" * filled + "-" * (width - filled)
        text = (f"\r[{bar}] {frac:6.1%} {ev.trial_id} ep {ev.epoch}/{self.n_epochs} "
                f"test_acc {ev.test_acc:.3f} best {self.best:.3f}  ETA {self._eta()} ")
        self.out.write(text)
        self.out.flush()

    def _line(self, text: str) -> None:
        if self.tty:
            text = "\r\x1b[K" + text
        self.out.write(text + "\n")
        self.out.flush()
