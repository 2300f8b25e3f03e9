"""What the training screen knows about a run, built only from its events.

No Textual here: this module turns events into per-trial histories, progress
and ETA, starts and signals the runner process, and finds running sweeps. It is
tested without running the app.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
from collections import deque
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterable, Optional, Sequence

from engine.events import DONE_STATUSES, EpochMetrics, LogLine, RunFinished, RunStarted, TrialFinished, TrialStarted
from engine.formatting import fmt_duration
from engine.safe_text import strip_control
from engine.store import CONFIG, RESOLVED, lock_is_live, read_json, read_lock, run_id_candidates

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

TUI_DIR = ".tui"  # <runs_dir>/.tui/<run_id>.json and .log: the config the TUI started, the runner's output


@dataclass
class TrialState:
    trial_id: str
    index: int = 0
    label: str = ""
    exp_type: str = ""
    n_epochs: int = 0
    status: str = "pending"  # pending | running | completed | diverged | failed | interrupted | skipped
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
        self.status = "waiting"  # waiting | running | completed | interrupted | failed | stopped
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

    def summary_line(self, width: int = 30) -> str:
        done, total = self.epoch_totals()
        frac = done / total if total else 0.0
        fill = int(round(frac * width))
        bar = "[" + "#" * fill + "." * (width - fill) + "]"
        parts = [f"{self.status}", f"trials {self.n_finished()}/{self.n_trials or len(self.trials)}",
                 f"epochs {done}/{total}", bar, f"{frac * 100:3.0f}%"]
        eta = self.eta_s()
        if eta is not None:
            parts.append(f"ETA {fmt_duration(eta)}")
        return "  ".join(parts)


def _clock(t: float) -> str:
    return datetime.fromtimestamp(t, timezone.utc).strftime("%H:%M:%S")


# --- plotting helpers --------------------------------------------------------------

def downsample(xs: Sequence[float], ys: Sequence[Optional[float]], max_points: int) -> tuple[list[float], list[float]]:
    """At most `max_points` (x, y) pairs, evenly spaced, last point kept; None dropped."""
    pairs = [(x, y) for x, y in zip(xs, ys) if y is not None and y == y]
    n = len(pairs)
    if n > max_points > 1:
        step = (n - 1) / (max_points - 1)
        pairs = [pairs[round(i * step)] for i in range(max_points)]
    return [p[0] for p in pairs], [p[1] for p in pairs]  # type: ignore[misc]


# --- the runner process ------------------------------------------------------------

def default_runner_cmd() -> list[str]:
    # -P: `python -m` would put the TUI's current folder first on the runner's
    # import path, so a module next to a downloaded config (a model factory, or a
    # json.py shadowing the standard library) would run. _child_env puts the
    # engine's own folder on PYTHONPATH instead. Python 3.10 lacks -P; there the
    # CLI drops the folder itself before any model is imported.
    if sys.version_info >= (3, 11):
        return [sys.executable, "-P", "-m", "engine.cli"]
    return [sys.executable, "-m", "engine.cli"]


def new_run_id(name: str, runs_dir: Path) -> str:
    for rid in run_id_candidates(name):
        if not (runs_dir / rid).exists() and not (runs_dir / TUI_DIR / f"{rid}.json").exists():
            return rid
    raise RuntimeError(f"no free run id under {runs_dir}")


@dataclass
class Launch:
    run_dir: Path
    config_path: Path
    log_path: Path
    argv: list[str]
    proc: subprocess.Popen


def launch_run(raw_config: dict[str, Any], runs_dir: Path, name: str,
               runner_cmd: Optional[list[str]] = None) -> Launch:
    """Write the config to `<runs_dir>/.tui/<id>.json` and start
    `<runner> run CFG --run-dir <runs_dir>/<id>` in its own session (it survives
    the TUI and a dropped SSH connection), output to `<runs_dir>/.tui/<id>.log`."""
    runs_dir = Path(runs_dir)
    side = runs_dir / TUI_DIR
    side.mkdir(parents=True, exist_ok=True)
    rid = new_run_id(name, runs_dir)
    cfg_path = side / f"{rid}.json"
    cfg_path.write_text(json.dumps(raw_config, indent=2) + "\n", encoding="utf-8")
    log_path = side / f"{rid}.log"
    run_dir = runs_dir / rid
    argv = [*(runner_cmd or default_runner_cmd()), "run", str(cfg_path), "--run-dir", str(run_dir)]
    return Launch(run_dir, cfg_path, log_path, argv, _spawn(argv, log_path))


def launch_resume(run_dir: Path, runner_cmd: Optional[list[str]] = None) -> Launch:
    run_dir = Path(run_dir)
    side = run_dir.parent / TUI_DIR
    side.mkdir(parents=True, exist_ok=True)
    log_path = side / f"{run_dir.name}.log"
    argv = [*(runner_cmd or default_runner_cmd()), "resume", str(run_dir)]
    return Launch(run_dir, run_dir / CONFIG, log_path, argv, _spawn(argv, log_path))


def _child_env() -> dict[str, str]:
    """The TUI's environment, plus the folder its `engine` package came from on
    PYTHONPATH: the runner then uses the same engine, installed or not."""
    import engine

    root = str(Path(engine.__file__).resolve().parents[1])
    paths = [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]
    if root not in paths:
        paths.insert(0, root)
    return {**os.environ, "PYTHONUNBUFFERED": "1", "PYTHONPATH": os.pathsep.join(paths)}


def _spawn(argv: list[str], log_path: Path) -> subprocess.Popen:
    # Popen, not asyncio: an asyncio subprocess transport kills its child when
    # the loop closes, and the sweep must outlive the TUI.
    with log_path.open("ab") as log:
        return subprocess.Popen(
            argv, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
            start_new_session=True, close_fds=True, env=_child_env(),
        )


def log_path_for(run_dir: Path) -> Path:
    return Path(run_dir).parent / TUI_DIR / f"{Path(run_dir).name}.log"


def signal_runner(run_dir: Path, sig: int) -> str:
    """Send `sig` to the run's runner; returns what happened, for the user."""
    info = read_lock(Path(run_dir))
    if info is None or not lock_is_live(info):
        return "no runner is writing this run"
    if info.host != socket.gethostname():
        return f"the runner is on {info.host}: stop it there"
    try:
        os.kill(info.pid, sig)
    except ProcessLookupError:
        return "the runner has already exited"
    except PermissionError:
        return f"not allowed to signal pid {info.pid}"
    return ""


def stop_run(run_dir: Path) -> str:
    return signal_runner(run_dir, signal.SIGTERM)


def skip_trial(run_dir: Path) -> str:
    return signal_runner(run_dir, signal.SIGUSR1)


# --- duration estimates from past runs -------------------------------------------------

@dataclass
class PastTiming:
    dataset: str
    model: str
    n_train: Optional[int]
    epoch_time_s: float  # mean over the run's epochs


def past_timings(runs_dir: Path, limit: int = 50) -> list[PastTiming]:
    """Mean epoch time of past runs, from their config.json and metrics.csv."""
    import csv

    runs_dir = Path(runs_dir)
    out: list[PastTiming] = []
    if not runs_dir.is_dir():
        return out
    dirs = sorted((p for p in runs_dir.iterdir() if p.is_dir()), key=lambda p: p.name, reverse=True)[:limit]
    for p in dirs:
        # resolved.json holds the config with every default applied
        cfg = (read_json(p / RESOLVED) or {}).get("config")
        if not isinstance(cfg, dict):
            continue
        times: list[float] = []
        try:
            with (p / "metrics.csv").open(newline="", encoding="utf-8") as fh:
                for row in csv.DictReader(fh):
                    try:
                        times.append(float(row["epoch_time_s"]))
                    except (KeyError, TypeError, ValueError):
                        pass
        except OSError:
            continue
        if not times:
            continue
        out.append(PastTiming(
            dataset=str(cfg["dataset"]["name"]), model=str(cfg["model"]["name"]), n_train=cfg["dataset"]["n_train"],
            epoch_time_s=sum(times) / len(times),
        ))
    return out


def estimate_seconds(timings: list[PastTiming], dataset: str, model: str, n_train: Optional[int],
                     n_epochs: int, n_trials: int) -> tuple[Optional[float], int]:
    """(estimated sweep seconds, number of past runs it is based on), from past
    runs of the same dataset and model, scaled by training-set size."""
    same = [t for t in timings if t.dataset == dataset and t.model == model]
    if not same:
        return None, 0
    per_epoch = []
    for t in same:
        scale = (n_train / t.n_train) if (n_train and t.n_train) else 1.0
        per_epoch.append(t.epoch_time_s * scale)
    mean = sum(per_epoch) / len(per_epoch)
    return mean * n_epochs * n_trials, len(same)
