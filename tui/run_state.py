"""What the training screen knows about a run, built only from its events: each
trial's status and metric histories, where it runs, the run's progress and ETA.

Several trials may run at once (issue 11: a pool of workers); their events
interleave in events.jsonl, so nothing here assumes one running trial.
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
from sweepdeck.engine.store import CONFIG, RESOLVED, read_json

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
# Below 100 columns the status is a low-value column next to the label: it shrinks first.
NARROW_STATUS: dict[str, str] = {"completed": "done", "interrupted": "stop", "running": "run", "pending": "wait",
                                 "skipped": "skip", "failed": "fail", "diverged": "div"}


def short_status(status: str, narrow: bool = False) -> str:
    """The status word shown; a status this TUI does not know shows as it is."""
    return (NARROW_STATUS if narrow else SHORT_STATUS).get(status, status)


def short_device(device: str) -> str:
    """cuda:1 -> c1 for an 80-column table; cpu and mps stay as they are."""
    return "c" + device.partition(":")[2] if device.startswith("cuda:") else device


def sweep_eta(busy_s: list[float], workers: int, pending: int, per_trial_s: float) -> float:
    """Seconds until a sweep ends: `busy_s` are the running trials' times left,
    `pending` trials of `per_trial_s` each wait for the first free of `workers`.

    Whole trials, not a fluid share: 3 trials on 2 workers take two trial-times,
    not one and a half. The last pending trial starts at the pending-th earliest
    slot of the workers' queues (worker i can start one at f_i, f_i + d, ...);
    that slot is found by bisection rather than by simulating every trial, because
    a grid may have 100,000 pending trials and this runs twice a second."""
    free = sorted(busy_s) + [0.0] * max(workers - len(busy_s), 0)
    end = max(free, default=0.0)
    d = per_trial_s
    if pending <= 0 or d <= 0 or not free:
        return end

    def starts_by(t: float) -> int:  # slots at or before t; the epsilon absorbs rounding of f + k*d
        return sum(int((t - f) / d + 1e-9) + 1 for f in free if f <= t + 1e-9)

    lo, hi = -d, end + d * -(-pending // len(free))  # by hi every worker could have started its share
    while hi - lo > d / 2:  # then each worker has at most one slot in (lo, hi]
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if starts_by(mid) < pending else (lo, mid)
    slots = sorted(f + max(0, int((lo - f) // d) + 1) * d for f in free)
    last_start = next((t for t in slots if starts_by(t) >= pending), hi)
    return max(end, last_start + d)


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
    worker: Optional[int] = None  # the worker slot and device that run it (None in logs before issue 11)
    device: Optional[str] = None
    starts: int = 0  # TrialStarted events seen: more than one after a resume or a dead worker

    @property
    def epochs_done(self) -> int:
        return self.epochs[-1] if self.epochs else 0

    @property
    def planned(self) -> int:
        return max(self.n_epochs, self.epochs_done)

    def mean_epoch_time(self, recent: int = 5) -> Optional[float]:
        """This trial's own recent epoch time: trials sharing a device, or with other
        batch sizes, run at speeds of their own."""
        times = [v for v in self.series["epoch_time_s"][-recent:] if v is not None]
        return sum(times) / len(times) if times else None

    def where(self, short: bool = False, device: bool = True) -> str:
        """The worker and device running it: "w1 cuda:0" (short: "w1 c0"; without
        the device, for a run on one device: "w1")."""
        parts = [] if self.worker is None else [f"w{self.worker}"]
        if self.device and (device or not parts):
            parts.append(short_device(self.device) if short else self.device)
        return " ".join(parts)

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
        self.running_ids: list[str] = []  # the running trials, in the order they (last) started
        self.status: RunStatusSeen = "waiting"  # as the events say; see seen_status for what the screen says
        self.message: Optional[str] = None
        self.started: Optional[float] = None
        self.last_time: Optional[float] = None
        self.pid: Optional[int] = None
        self.device = ""
        self.workers = 1  # RunStarted's; logs before issue 11 ran one trial at a time
        # The devices of the workers: None from a runner before issue 11, which knows
        # only SIGUSR1 for skipping (the screen asks it that way).
        self.devices: Optional[list[str]] = None
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
        self._read_labels()

    def _read_labels(self) -> None:
        """Pending trials' labels from resolved.json: a trial waiting to run is
        told apart by its swept values too (a skip question names them)."""
        resolved = read_json(self.run_dir / RESOLVED)
        trials = resolved.get("trials") if isinstance(resolved, dict) else None
        for i, tr in enumerate(trials if isinstance(trials, list) else []):
            if not isinstance(tr, dict) or not isinstance(tr.get("id"), str) or not isinstance(tr.get("label"), str):
                continue
            t = self._trial(strip_control(tr["id"]))
            if not t.label:
                t.label = strip_control(tr["label"])

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
                    self._set_running(t)
                changed.add(ev.trial_id)
            elif isinstance(ev, TrialStarted):
                self._started(ev)
                changed.add(ev.trial_id)
            elif isinstance(ev, TrialFinished):
                t = self._trial(ev.trial_id)
                t.status, t.error = ev.status, strip_control(ev.error) if ev.error else ev.error
                if ev.trial_id in self.running_ids:
                    self.running_ids.remove(ev.trial_id)
                changed.add(ev.trial_id)
                self._log(f"{_clock(ev.time)} {ev.trial_id} {ev.status} after {ev.epochs_done} epochs"
                                 + (f": {ev.error}" if ev.error else ""))
            elif isinstance(ev, RunStarted):
                if not self.default_epochs or not any(t.label for t in self.trials.values()):
                    self._read_config()  # a run that did not exist yet when we began following
                self.name, self.n_trials, self.pid, self.device = strip_control(ev.name), ev.n_trials, ev.pid, strip_control(ev.device)
                self.workers = max(1, ev.workers)
                self.devices = [strip_control(d) for d in ev.devices] if ev.devices is not None else None
                if self.started is None:
                    self.started = ev.time
                for i, tid in enumerate(ev.trial_ids):
                    t = self._trial(tid)
                    if not t.index:
                        t.index = i
                    changed.add(tid)
                # Trials still running when a runner died run again (TrialStarted) or not at all.
                for tid in self.running_ids:
                    self.trials[tid].status = "interrupted"
                self.running_ids = []
                self.status = "running"
                where = ", ".join(self.devices) if self.devices else self.device
                workers = f", {self.workers} workers" if self.workers > 1 else ""
                threads = f", {ev.threads} thread{'s' if ev.threads != 1 else ''} each" if ev.threads else ""
                self._log(f"{_clock(ev.time)} run {'resumed' if ev.resumed else 'started'}: "
                          f"{ev.n_trials} trials on {where}{workers}{threads}")
            elif isinstance(ev, RunFinished):
                self.status = ev.status
                self.message = ev.message
                self._log(f"{_clock(ev.time)} run {ev.status}" + (f": {ev.message}" if ev.message else ""))
            elif isinstance(ev, LogLine):
                self._log(f"{_clock(ev.time)} {ev.level}: {ev.message}")
        return changed

    def _started(self, ev: TrialStarted) -> None:
        t = self._trial(ev.trial_id)
        # labels, errors and names are shown: events.jsonl may come from anyone
        t.index, t.label, t.exp_type, t.n_epochs = ev.index, strip_control(ev.label), ev.exp_type, ev.n_epochs
        t.worker, t.device = ev.worker, strip_control(ev.device) if ev.device else None
        t.starts += 1
        self._set_running(t)
        # A second start of a trial is a resume or a replaced worker: worth a line
        # even from an old runner. A first start is, when the log can say where.
        if t.starts > 1 or ev.start_epoch > 1:
            self._log(f"{_clock(ev.time)} {ev.trial_id} continues from epoch {ev.start_epoch}"
                      + (f" on {t.where()}" if t.where() else ""))
        elif t.where():
            self._log(f"{_clock(ev.time)} {ev.trial_id} started on {t.where()}"
                      + (f" (pid {ev.worker_pid})" if ev.worker_pid else ""))

    def _set_running(self, t: TrialState) -> None:
        t.status = "running"
        if t.trial_id in self.running_ids:
            self.running_ids.remove(t.trial_id)
        self.running_ids.append(t.trial_id)

    @property
    def current(self) -> Optional[str]:
        """The trial the screen follows until the user picks one: the most recently started of the running ones."""
        return self.running_ids[-1] if self.running_ids else None

    def running(self) -> list[TrialState]:
        return [self.trials[tid] for tid in self.running_ids]

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

    def trial_eta_s(self, t: TrialState) -> Optional[float]:
        """Time left of a running trial, at its own recent pace (the run's before its first epoch)."""
        if t.status != "running" or self.status != "running":
            return None
        mean = t.mean_epoch_time() or self.mean_epoch_time()
        return None if mean is None else max(t.planned - t.epochs_done, 0) * mean

    def eta_s(self) -> Optional[float]:
        """Time left of the sweep: the running trials' own ETAs, then the pending
        trials shared among the workers, whole trials each."""
        if self.status != "running":
            return None
        mean = self.mean_epoch_time()
        if mean is None:
            return None
        busy = [eta for eta in map(self.trial_eta_s, self.running()) if eta is not None]
        # Still to run: pending trials, and in a resumed run the interrupted ones
        # (resume continues them), each counted with the epochs it has left.
        left = [max((t.n_epochs or self.default_epochs) - t.epochs_done, 0)
                for t in self.trials.values() if t.status in ("pending", "interrupted")]
        per_trial = mean * sum(left) / len(left) if left else 0.0
        return sweep_eta(busy, max(self.workers, len(busy)), len(left), per_trial)

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

    def summary_line(self, live: bool, width: int = 30, max_len: Optional[int] = None) -> str:
        """One line of progress; its bar (`width` wide) shrinks, then goes, to keep
        the line within `max_len`: the ETA at its end matters more than the bar."""
        done, total = self.epoch_totals()
        frac = done / total if total else 0.0
        status = self.seen_status(live)
        shown = "waiting for the runner" if status == "waiting" and not live else status
        running = len(self.running_ids)
        trials = f"trials {self.n_finished()}/{self.n_trials or len(self.trials)}"
        head = [shown, trials + (f" ({running} running)" if running > 1 else ""), f"epochs {done}/{total}"]
        tail = [f"{frac * 100:3.0f}%"]
        eta = self.eta_s()
        if eta is not None:
            tail.append(f"ETA {fmt_duration(eta)}")
        if max_len is not None:
            room = max_len - len("  ".join(head + tail)) - 4  # the bar's brackets and its two separators
            width = min(width, room) if room >= 5 else 0
        if width <= 0:
            return "  ".join(head + tail)
        fill = int(round(frac * width))
        return "  ".join(head + ["[" + "#" * fill + "." * (width - fill) + "]"] + tail)


def _clock(t: float) -> str:
    return datetime.fromtimestamp(t, timezone.utc).strftime("%H:%M:%S")
