"""What `sweepdeck run` prints while it trains: on a terminal, Rich's live progress display
(the sweep with ETA and the sweep's best test accuracy, one row per running trial with its
epoch and batch, shown from the first batch); plain lines when the output is a file or a
pipe (batch jobs, the TUI's log pane), one per epoch, as scripts read them."""

from __future__ import annotations

import sys
import time
from typing import Optional, TextIO

from sweepdeck.engine.events import EpochMetrics, LogLine, RunFinished, RunStarted, TrialFinished, TrialStarted
from sweepdeck.engine.formatting import fmt_acc, fmt_duration
from sweepdeck.engine.safe_text import strip_control
from sweepdeck.engine.worker import BatchProgress


MIN_REDRAW_S = 0.25  # the display's frame rate at most, as often as one worker sends (worker.BATCH_PROGRESS_S)


class Progress:
    """An event listener that renders the sweep's progress."""

    def __init__(self, n_trials: int, n_epochs: int, out: TextIO | None = None, tty: bool | None = None,
                 finished: int = 0, width: Optional[int] = None, min_redraw_s: float = MIN_REDRAW_S):
        self.out = out or sys.stderr
        self.tty = self.out.isatty() if tty is None else tty
        self.total = n_trials * n_epochs
        self.n_epochs = n_epochs
        self.n_trials = n_trials
        self.finished_before = finished * n_epochs  # trials a resumed run had finished
        self.trials_finished = finished
        self.epochs_of: dict[str, int] = {}  # per trial seen: epochs accounted for (trials run side by side)
        self.in_epoch: dict[str, float] = {}  # running trials: the fraction of their current epoch done
        self.started = time.monotonic()
        self.best: float | None = None
        self._epochs_this_session = 0.0
        self._display = _LiveDisplay(self.out, width) if self.tty else None
        self.min_redraw_s = min_redraw_s
        self._drawn = float("-inf")

    @property
    def done(self) -> float:
        """Epochs done, counting the running trials' current epochs in part."""
        return self.finished_before + sum(self.epochs_of.values()) + sum(self.in_epoch.values())

    def __call__(self, event: object) -> None:
        if isinstance(event, RunStarted):
            workers = f" ({event.workers} workers, {event.threads} thread{'s' if event.threads != 1 else ''} each)" if event.workers > 1 else ""
            self._line(f"run {event.run_id}: {event.n_trials} trials on {event.device}{workers}" + (" (resumed)" if event.resumed else ""))
            self._show()
        elif isinstance(event, TrialStarted):
            self.epochs_of[event.trial_id] = max(self.epochs_of.get(event.trial_id, 0), event.start_epoch - 1)
            if self._display is not None:
                self._display.trial_started(event.trial_id, f"{event.trial_id} {strip_control(event.label)}")
                self._display.trial(event.trial_id, f"epoch {event.start_epoch}/{self.n_epochs}", 0, 1)
                self._show()
            else:
                where = f" on worker {event.worker} ({event.device})" if event.worker is not None else ""
                self._line(f"{event.trial_id} started{where}: {event.label}" + (f" (from epoch {event.start_epoch})" if event.start_epoch > 1 else ""))
        elif isinstance(event, BatchProgress):
            if self._display is None or event.trial_id not in self._display.rows:
                return  # plain output has one line per epoch; a late message for an ended trial is dropped
            before = self.in_epoch.get(event.trial_id, 0.0)
            self.in_epoch[event.trial_id] = event.batch / max(event.n_batches, 1)
            self._epochs_this_session += max(self.in_epoch[event.trial_id] - before, 0.0)
            self._display.trial(event.trial_id, f"epoch {event.epoch}/{self.n_epochs}  batch {event.batch}/{event.n_batches}"
                                + self._trial_acc(event.trial_id), event.batch, event.n_batches)
            self._show(force=False)
        elif isinstance(event, EpochMetrics):
            self._epochs_this_session += 1 - self.in_epoch.pop(event.trial_id, 0.0)
            self.epochs_of[event.trial_id] = event.epoch
            self.best = max(self.best or 0.0, event.test_acc)
            if self._display is not None:
                self._display.last_acc[event.trial_id] = event.test_acc
                nxt = min(event.epoch + 1, self.n_epochs)  # its bar shows the epoch in progress, so the next one
                self._display.trial(event.trial_id, f"epoch {nxt}/{self.n_epochs}" + self._trial_acc(event.trial_id), 0, 1)
                self._show(force=False)
            else:
                train = f" train_acc={event.train_acc:.4f}" if event.train_acc is not None else ""
                self._line(f"{event.trial_id} epoch {event.epoch}/{self.n_epochs} loss={event.train_loss:.4f}{train} test_acc={event.test_acc:.4f} ({self._eta()} left)")
        elif isinstance(event, TrialFinished):
            self.in_epoch.pop(event.trial_id, None)
            if event.status != "interrupted":  # one that ended early counts as done
                self.epochs_of[event.trial_id] = self.n_epochs
                self.trials_finished += 1
            if self._display is not None:
                self._display.trial_ended(event.trial_id)
            extra = f": {event.error}" if event.error else ""
            self._line(f"{event.trial_id} {event.status} after {event.epochs_done} epochs{extra}")
            self._show()
        elif isinstance(event, LogLine):
            self._line(f"{event.level}: {event.message}")
        elif isinstance(event, RunFinished):
            self.close()
            self._line(f"run {event.status} in {fmt_duration(time.monotonic() - self.started)}" + (f": {event.message}" if event.message else ""))

    def close(self) -> None:
        """End the live display (the cursor comes back); plain lines from here on. Safe to call twice."""
        if self._display is not None:
            self._display.stop()
            self._display = None

    def _trial_acc(self, trial_id: str) -> str:
        acc = self._display.last_acc.get(trial_id) if self._display is not None else None
        return f"  test acc {fmt_acc(acc)}" if acc is not None else ""

    def _eta(self) -> str:
        if not self._epochs_this_session:
            return "?"
        per_epoch = (time.monotonic() - self.started) / self._epochs_this_session
        return fmt_duration(per_epoch * max(self.total - self.done, 0))

    def _show(self, force: bool = True) -> None:
        """Redraw: at once when trials start or end, else at most every `min_redraw_s` (a
        frame costs Rich about a millisecond; workers together may send dozens a second)."""
        if self._display is None:
            return
        now = time.monotonic()
        if not force and now - self._drawn < self.min_redraw_s:
            return
        self._drawn = now
        best = f"  sweep best {fmt_acc(self.best)}" if self.best is not None else ""
        self._display.sweep(f"{self.done / max(self.total, 1):6.1%}  {self.trials_finished}/{self.n_trials} trials{best}  "
                            f"ETA {self._eta()}", self.done, self.total)

    def _line(self, text: str) -> None:
        if self._display is not None:
            self._display.print(strip_control(text))
            return
        self.out.write(text + "\n")
        self.out.flush()


class _LiveDisplay:
    """Rich's progress display: a row for the sweep, one per running trial. Rich is imported
    here only (it comes with Textual), so plain output costs nothing."""

    def __init__(self, out: TextIO, width: Optional[int]):
        from rich.console import Console
        from rich.progress import BarColumn, TextColumn
        from rich.progress import Progress as RichProgress

        # markup=False: trial labels come from configs, and "[...]" in them is text, not Rich markup
        self.rich = RichProgress(
            TextColumn("{task.description}", markup=False), BarColumn(bar_width=24),
            TextColumn("{task.fields[detail]}", markup=False),
            console=Console(file=out, force_terminal=True, width=width, highlight=False),
            auto_refresh=False, redirect_stdout=False, redirect_stderr=False,
        )
        self.sweep_task = self.rich.add_task("sweep", total=1, detail="starting")
        self.rows: dict[str, int] = {}
        self.last_acc: dict[str, float] = {}
        self.rich.start()

    def sweep(self, detail: str, done: float, total: int) -> None:
        self.rich.update(self.sweep_task, completed=done, total=max(total, 1), detail=detail)
        # drawn on each update, on this thread: the workers' messages come a few times a second
        # (worker.BATCH_PROGRESS_S), and no refresh thread runs while nothing changes
        self.rich.refresh()

    def trial_started(self, trial_id: str, name: str) -> None:
        if trial_id not in self.rows:
            self.rows[trial_id] = self.rich.add_task(name, total=1, detail="")

    def trial(self, trial_id: str, detail: str, done: int, total: int) -> None:
        if trial_id in self.rows:
            self.rich.update(self.rows[trial_id], completed=done, total=max(total, 1), detail=detail)

    def trial_ended(self, trial_id: str) -> None:
        task = self.rows.pop(trial_id, None)
        if task is not None:
            self.rich.remove_task(task)
        self.last_acc.pop(trial_id, None)

    def print(self, text: str) -> None:
        self.rich.console.print(text, markup=False, highlight=False, soft_wrap=True)

    def stop(self) -> None:
        self.rich.stop()
