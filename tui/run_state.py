"""What the training screen knows about a run, built only from its events: each
trial's status and metric histories, the run's progress and ETA.

No Textual here: it is tested without running the app.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterable, Optional

from sweepdeck.engine.events import (
    DONE_STATUSES, EpochMetrics, LogLine, RunFinished, RunStarted, RunStatusSeen, TrialFinished, TrialStarted,
    TrialStatusSeen,
)
from sweepdeck.engine.formatting import fmt_duration
from sweepdeck.engine.safe_text import strip_control
from sweepdeck.engine.store import CONFIG, read_json

# The metric groups the charts can show; `m` cycles through them.
METRIC_GROUPS: dict[str, tuple[str, ...]] = {
    "accuracy": ("train_acc", "test_acc"),
    "loss": ("train_loss", "train_eval_loss", "test_loss"),
    "f1": ("train_f1", "test_f1"),
    "penalty": ("penalty_sum", "penalty_mul"),
    "rho": ("rho",),
    "lr": ("lr",),
}
TRACKED = sorted({m for group in METRIC_GROUPS.values() for m in group} | {"epoch_time_s"})

# The TUI's short forms of status words, where an 80-column table has no room for
# the full ones (sweepdeck.engine.events lists them all); every other status shows as it is.
SHORT_STATUS: dict[str, str] = {"completed": "done", "interrupted": "stopped"}


def short_status(status: str) -> str:
    return SHORT_STATUS.get(status, status)


@dataclass
class TrialState:
    trial_id: str
    index: int = 0
    label: str = ""
    exp_type: str = ""
    n_epochs: int = 0
    status: TrialStatusSeen = "pending"
    epochs: list[int] = field(default_factory=list)
    series: dict[str, list[Optional[float]]] = field(default_factory=lambda: {m: [] for m in TRACKED})
    best_test_acc: Optional[float] = None
    error: Optional[str] = None

    @property
    def epochs_done(self) -> int:
        return self.epochs[-1] if self.epochs else 0

    def add_epoch(self, ev: EpochMetrics) -> None:
        if self.epochs and ev.epoch <= self.epochs[-1]:
            # A resumed trial repeats epochs: the newer record wins.
            cut = next(i for i, e in enumerate(self.epochs) if e >= ev.epoch)
            del self.epochs[cut:]
            for values in self.series.values():
                del values[cut:]
            self.best_test_acc = max((v for v in self.series["test_acc"] if v is not None), default=None)
        self.epochs.append(ev.epoch)
        for m in TRACKED:
            self.series[m].append(getattr(ev, m))
        if self.best_test_acc is None or ev.test_acc > self.best_test_acc:
            self.best_test_acc = ev.test_acc


class RunState:
    """A run as its events describe it. `apply()` returns the trial ids it changed."""

    def __init__(self, run_dir: Path):
        self.run_dir = Path(run_dir)
        self.run_id = self.run_dir.name
        self.name = self.run_id
        self.n_trials = 0
        self.trials: dict[str, TrialState] = {}
        self.current: Optional[str] = None
        self.status: RunStatusSeen = "waiting"  # as the events say; see seen_status for what the screen says
        self.message: Optional[str] = None
        self.started: Optional[float] = None
        self.last_time: Optional[float] = None
        self.pid: Optional[int] = None
        self.device = ""
        self.logs: deque[str] = deque(maxlen=500)
        self.new_logs: list[str] = []  # drained by the UI
        self.n_events = 0
        self.default_epochs = 0
        self._read_config()

    def _read_config(self) -> None:
        """Epochs per trial from config.json (pending trials count with it)."""
        cfg = read_json(self.run_dir / CONFIG)
        if cfg is not None:
            n = cfg.get("n_epochs", 0)
            try:
                self.default_epochs = int(n[0] if isinstance(n, list) else n)
            except (TypeError, ValueError, IndexError):
                pass

    # --- events ---------------------------------------------------------------
    def apply(self, events: Iterable[Any]) -> set[str]:
        changed: set[str] = set()
        for ev in events:
            self.n_events += 1
            self.last_time = ev.time
            if isinstance(ev, EpochMetrics):
                t = self._trial(ev.trial_id)
                t.add_epoch(ev)
                if t.status == "pending":
                    t.status = "running"
                changed.add(ev.trial_id)
            elif isinstance(ev, TrialStarted):
                t = self._trial(ev.trial_id)
                # labels, errors and names are shown: events.jsonl may come from anyone
                t.index, t.label, t.exp_type, t.n_epochs = ev.index, strip_control(ev.label), ev.exp_type, ev.n_epochs
                t.status = "running"
                self.current = ev.trial_id
                changed.add(ev.trial_id)
            elif isinstance(ev, TrialFinished):
                t = self._trial(ev.trial_id)
                t.status, t.error = ev.status, strip_control(ev.error) if ev.error else ev.error
                if self.current == ev.trial_id:
                    self.current = None
                changed.add(ev.trial_id)
                self._log(f"{_clock(ev.time)} {ev.trial_id} {ev.status} after {ev.epochs_done} epochs"
                                 + (f": {ev.error}" if ev.error else ""))
            elif isinstance(ev, RunStarted):
                if not self.default_epochs:  # a run that did not exist yet when we began following
                    self._read_config()
                self.name, self.n_trials, self.pid, self.device = strip_control(ev.name), ev.n_trials, ev.pid, strip_control(ev.device)
                if self.started is None:
                    self.started = ev.time
                for i, tid in enumerate(ev.trial_ids):
                    t = self._trial(tid)
                    if not t.index:
                        t.index = i
                self.status = "running"
                self._log(f"{_clock(ev.time)} run {'resumed' if ev.resumed else 'started'}: "
                                 f"{ev.n_trials} trials on {ev.device}")
            elif isinstance(ev, RunFinished):
                self.status = ev.status
                self.message = ev.message
                self._log(f"{_clock(ev.time)} run {ev.status}" + (f": {ev.message}" if ev.message else ""))
            elif isinstance(ev, LogLine):
                self._log(f"{_clock(ev.time)} {ev.level}: {ev.message}")
        return changed

    def _log(self, line: str) -> None:
        line = strip_control(line)
        self.logs.append(line)
        self.new_logs.append(line)

    def _trial(self, tid: str) -> TrialState:
        t = self.trials.get(tid)
        if t is None:
            t = self.trials[tid] = TrialState(trial_id=tid, index=len(self.trials), n_epochs=self.default_epochs)
        return t

    def ordered(self) -> list[TrialState]:
        return sorted(self.trials.values(), key=lambda t: t.index)

    # --- progress -----------------------------------------------------------------
    def epoch_totals(self) -> tuple[int, int]:
        """(epochs done, epochs planned) over all trials; a skipped or failed
        trial counts as done at the epoch where it stopped."""
        done = total = 0
        for t in self.trials.values():
            planned = t.n_epochs or self.default_epochs
            if t.status in DONE_STATUSES:
                done += planned
                total += planned
            else:
                done += t.epochs_done
                total += max(planned, t.epochs_done)
        return done, total

    def mean_epoch_time(self) -> Optional[float]:
        times = [v for t in self.trials.values() for v in t.series["epoch_time_s"] if v is not None]
        recent = times[-50:]
        return sum(recent) / len(recent) if recent else None

    def eta_s(self) -> Optional[float]:
        if self.status != "running":
            return None
        mean = self.mean_epoch_time()
        if mean is None:
            return None
        done, total = self.epoch_totals()
        return max(total - done, 0) * mean

    def n_finished(self) -> int:
        return sum(t.status not in ("pending", "running") for t in self.trials.values())

    def best(self) -> Optional[TrialState]:
        scored = [t for t in self.trials.values() if t.best_test_acc is not None]
        return max(scored, key=lambda t: t.best_test_acc, default=None)  # type: ignore[arg-type,return-value]

    def seen_status(self, live: bool) -> RunStatusSeen:
        """The run's status given whether its runner lives: the events may say
        running while no runner holds the folder any more (killed, or its machine
        went down): that is `stopped`."""
        if self.status == "running" and not live and self.n_events:
            return "stopped"
        return self.status

    def summary_line(self, live: bool, width: int = 30) -> str:
        done, total = self.epoch_totals()
        frac = done / total if total else 0.0
        fill = int(round(frac * width))
        bar = "[" + "#" * fill + "." * (width - fill) + "]"
        status = self.seen_status(live)
        shown = "waiting for the runner" if status == "waiting" and not live else status
        parts = [shown, f"trials {self.n_finished()}/{self.n_trials or len(self.trials)}",
                 f"epochs {done}/{total}", bar, f"{frac * 100:3.0f}%"]
        eta = self.eta_s()
        if eta is not None:
            parts.append(f"ETA {fmt_duration(eta)}")
        return "  ".join(parts)


def _clock(t: float) -> str:
    return datetime.fromtimestamp(t, timezone.utc).strftime("%H:%M:%S")
