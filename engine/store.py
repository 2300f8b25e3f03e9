"""The run folder: where a sweep's results live, and how they are read back.

    runs/<UTC timestamp>-<name>/
      config.json      the config exactly as given (after --set)
      resolved.json    every trial's full parameters
      env.json         versions, device, host, command line, git commit
      events.jsonl     append-only typed event log (engine/events.py): the source of truth
      metrics.csv      one row per trial × epoch   (derived from the log, rewritten atomically)
      trials.csv       one row per trial            (derived from the log, rewritten atomically)
      trials/<id>/     weights.pt, error.txt, checkpoint.pt
      runner.lock      held while a runner writes the folder

No torch, no pandas here: the TUI imports this module.
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
import socket
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterable, Optional

from pydantic import BaseModel

from engine.events import EpochMetrics, EventLog, RunFinished, RunStarted, TrialFinished, TrialStarted, read_events
from engine.liveness import boot_id, owner_is_live, process_start_ticks

CONFIG = "config.json"
RESOLVED = "resolved.json"
ENV = "env.json"
EVENTS = "events.jsonl"
METRICS = "metrics.csv"
TRIALS = "trials.csv"
LOCK = "runner.lock"
TRIALS_DIR = "trials"

# metrics.csv: timing columns are the only ones allowed to differ between two
# identical CPU runs.
METRIC_COLUMNS = [
    "trial_id", "epoch", "train_loss", "penalty_sum", "penalty_mul",
    "train_eval_loss", "train_acc", "train_f1", "test_loss", "test_acc", "test_f1",
    "lr", "rho", "epoch_time_s", "train_confusion", "test_confusion",
]
TIMING_COLUMNS = ("epoch_time_s",)
PARAM_COLUMNS = [
    "exp_type", "lr", "batchsize", "opt_name", "l2_sum_lambda", "l2_mul_lambda", "wn", "seed",
    "depth_normalization", "features_normalization", "batch_norm", "bias",
]
TRIAL_COLUMNS = [
    "trial_id", "index", "label", *PARAM_COLUMNS, "status", "epochs_done",
    "test_acc_final", "test_acc_best", "test_acc_best_epoch", "train_acc_final",
    "test_loss_final", "train_loss_final", "margin", "duration_s", "error",
]


class RunPathError(ValueError):
    """A run id or path that does not name a run folder."""


# --- atomic writes ----------------------------------------------------------------------

def write_bytes_atomic(path: Path, data: bytes) -> None:
    """Write via a temp file and rename, so readers see the old file or the new one."""
    tmp = path.with_name(f".{path.name}.tmp{os.getpid()}")
    with tmp.open("wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


def write_text_atomic(path: Path, text: str) -> None:
    write_bytes_atomic(path, text.encode("utf-8"))


def write_json_atomic(path: Path, obj: Any) -> None:
    write_text_atomic(path, json.dumps(obj, indent=2) + "\n")


def write_csv_atomic(path: Path, columns: list[str], rows: Iterable[dict[str, Any]]) -> None:
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=columns, extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: _cell(v) for k, v in row.items()})
    write_text_atomic(path, buf.getvalue())


def _cell(value: Any) -> Any:
    if isinstance(value, (list, dict)):
        return json.dumps(value, separators=(",", ":"))
    if value is None:
        return ""
    return value


# --- creating and locating runs ---------------------------------------------------------

def new_run_dir(runs_dir: str | Path, name: str) -> Path:
    """`runs/<UTC timestamp>-<name>/`, created; a suffix keeps two same-second runs apart."""
    runs_dir = Path(runs_dir)
    if runs_dir.exists() and not runs_dir.is_dir():
        raise RunPathError(f"runs_dir {runs_dir} is a file: set runs_dir to a folder")
    runs_dir.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(timezone.utc).strftime("%Y%m%d-%H%M%S")
    base = f"{stamp}-{name}"
    for n in range(1000):
        path = runs_dir / (base if n == 0 else f"{base}-{n}")
        try:
            path.mkdir()
            return path
        except FileExistsError:
            continue
    raise RunPathError(f"could not create a run folder under {runs_dir}")


_RUN_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")


def resolve_run(arg: str, runs_dir: str | Path = "runs") -> Path:
    """A run given as a path (`runs/<id>`) or a bare id; raises RunPathError."""
    path = Path(arg)
    if not path.exists() and path.name == arg:
        if not _RUN_ID.fullmatch(arg) or ".." in arg:
            raise RunPathError(f"{arg!r} is not a run id (ids look like 20260101-120000-quick)")
        path = Path(runs_dir) / arg
    if not path.is_dir():
        raise RunPathError(f"{arg}: no such run folder (see `sweepdeck runs`)")
    if not (path / EVENTS).exists() and not (path / CONFIG).exists():
        raise RunPathError(f"{arg}: not a sweepdeck run folder (no {EVENTS} or {CONFIG})")
    return path


# --- the runner's lock ----------------------------------------------------------------

class LockInfo(BaseModel):
    pid: int
    host: str
    started: float
    # Both absent in locks written before they were recorded, and outside Linux.
    boot_id: Optional[str] = None
    start_ticks: Optional[int] = None  # the owner's start, in clock ticks since boot


class RunLockedError(RuntimeError):
    pass


def read_lock(run_dir: Path) -> Optional[LockInfo]:
    try:
        return LockInfo.model_validate_json((run_dir / LOCK).read_text())
    except (OSError, ValueError):
        return None


def lock_is_live(info: Optional[LockInfo]) -> bool:
    """True when the lock's owner may still be running (see engine.liveness)."""
    return info is not None and owner_is_live(info.pid, info.host, info.boot_id, info.start_ticks)


def acquire_lock(run_dir: Path) -> LockInfo:
    """Become the run folder's only writer; a dead owner's lock is taken over."""
    path = run_dir / LOCK
    pid = os.getpid()
    mine = LockInfo(pid=pid, host=socket.gethostname(), started=time.time(),
                    boot_id=boot_id(), start_ticks=process_start_ticks(pid))
    for _ in range(2):
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        except FileExistsError:
            owner = read_lock(run_dir)
            if lock_is_live(owner):
                assert owner is not None
                raise RunLockedError(
                    f"{run_dir} is being written by pid {owner.pid} on {owner.host} "
                    f"(since {datetime.fromtimestamp(owner.started):%Y-%m-%d %H:%M}); "
                    "stop that runner first, or attach to it with `sweepdeck attach`"
                ) from None
            path.unlink(missing_ok=True)  # stale: its owner is gone
            continue
        with os.fdopen(fd, "w") as fh:
            fh.write(mine.model_dump_json())
        return mine
    raise RunLockedError(f"{run_dir}: could not take the lock {path}")


def release_lock(run_dir: Path) -> None:
    owner = read_lock(run_dir)
    if owner is not None and owner.pid == os.getpid() and owner.host == socket.gethostname():
        (run_dir / LOCK).unlink(missing_ok=True)


# --- derived tables -------------------------------------------------------------------

def metric_rows(log: EventLog) -> list[dict[str, Any]]:
    """metrics.csv rows. A resumed trial may repeat epochs; the last record wins."""
    rows: dict[tuple[str, int], dict[str, Any]] = {}
    for ev in log.events:
        if isinstance(ev, EpochMetrics):
            rows[(ev.trial_id, ev.epoch)] = ev.model_dump(exclude={"type", "time", "layer_norms"}) | {
                f"norm_{i}": v for i, v in enumerate(ev.layer_norms)
            }
    return [rows[k] for k in sorted(rows)]


def metric_columns(rows: list[dict[str, Any]]) -> list[str]:
    n_norms = max((sum(1 for k in r if k.startswith("norm_")) for r in rows), default=0)
    return METRIC_COLUMNS + [f"norm_{i}" for i in range(n_norms)]


def trial_rows(log: EventLog, resolved: Optional[dict[str, Any]] = None) -> list[dict[str, Any]]:
    """trials.csv rows: parameters, status, final and best metrics per trial."""
    rows: dict[str, dict[str, Any]] = {}
    for t in (resolved or {}).get("trials", []):
        rows[t["id"]] = {"trial_id": t["id"], "index": t["index"], "label": t["label"],
                         **t["params"], "status": "pending", "epochs_done": 0}
    epochs: dict[str, dict[int, EpochMetrics]] = {}
    for ev in log.events:
        if isinstance(ev, TrialStarted):
            row = rows.setdefault(ev.trial_id, {"trial_id": ev.trial_id})
            row.update(index=ev.index, label=ev.label, **ev.params, status="running")
        elif isinstance(ev, EpochMetrics):
            epochs.setdefault(ev.trial_id, {})[ev.epoch] = ev
            rows.setdefault(ev.trial_id, {"trial_id": ev.trial_id})["epochs_done"] = ev.epoch
        elif isinstance(ev, TrialFinished):
            row = rows.setdefault(ev.trial_id, {"trial_id": ev.trial_id})
            row.update(status=ev.status, epochs_done=ev.epochs_done, margin=ev.margin,
                       duration_s=round(ev.duration_s, 3), error=ev.error)
    for tid, by_epoch in epochs.items():
        row = rows[tid]
        last = by_epoch[max(by_epoch)]
        best = max(by_epoch.values(), key=lambda e: (e.test_acc, -e.epoch))
        row.update(
            test_acc_final=last.test_acc, test_acc_best=best.test_acc, test_acc_best_epoch=best.epoch,
            train_acc_final=last.train_acc, test_loss_final=last.test_loss, train_loss_final=last.train_loss,
        )
    return sorted(rows.values(), key=lambda r: r.get("index", 0))


def write_tables(run_dir: Path, log: Optional[EventLog] = None) -> None:
    """Rewrite metrics.csv and trials.csv from the event log."""
    log = log or read_events(run_dir / EVENTS)
    resolved = read_json(run_dir / RESOLVED)
    rows = metric_rows(log)
    write_csv_atomic(run_dir / METRICS, metric_columns(rows), rows)
    write_csv_atomic(run_dir / TRIALS, TRIAL_COLUMNS, trial_rows(log, resolved))


def comparable_metrics(run_dir: Path) -> list[dict[str, str]]:
    """metrics.csv without its timing columns: what must be identical between two
    CPU runs of one config, interrupted or not."""
    with (run_dir / METRICS).open(newline="") as fh:
        rows = list(csv.DictReader(fh))
    for row in rows:
        for col in TIMING_COLUMNS:
            row.pop(col, None)
    return rows


def read_json(path: Path) -> Optional[dict[str, Any]]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


# --- summaries for `sweepdeck runs` / `show` and the TUI ------------------------------------

class RunSummary(BaseModel):
    run_id: str
    path: str
    name: str
    created: float
    status: str  # running | completed | interrupted | failed | crashed
    n_trials: int
    n_finished: int
    best_test_acc: Optional[float] = None
    best_trial: Optional[str] = None
    duration_s: Optional[float] = None
    damage: Optional[str] = None


def summarize_run(run_dir: Path, log: Optional[EventLog] = None) -> RunSummary:
    log = log or read_events(run_dir / EVENTS)
    started = next((e for e in log.events if isinstance(e, RunStarted)), None)
    finished = [e for e in log.events if isinstance(e, RunFinished)]
    trials_done = {e.trial_id for e in log.events if isinstance(e, TrialFinished)}
    epochs = [e for e in log.events if isinstance(e, EpochMetrics)]
    best = max(epochs, key=lambda e: e.test_acc, default=None)
    # Only the latest runner session counts: a resumed run that was interrupted
    # before and crashed now is crashed, not interrupted.
    last_start = max((i for i, e in enumerate(log.events) if isinstance(e, RunStarted)), default=-1)
    last_finish = max((i for i, e in enumerate(log.events) if isinstance(e, RunFinished)), default=-1)
    if lock_is_live(read_lock(run_dir)):
        status = "running"
    elif last_finish > last_start:
        status = finished[-1].status
    else:
        status = "crashed" if started else "empty"
    times = [e.time for e in log.events]
    return RunSummary(
        run_id=run_dir.name,
        path=str(run_dir),
        name=started.name if started else run_dir.name,
        created=started.time if started else run_dir.stat().st_mtime,
        status=status,
        n_trials=started.n_trials if started else 0,
        n_finished=len(trials_done),
        best_test_acc=best.test_acc if best else None,
        best_trial=best.trial_id if best else None,
        duration_s=(max(times) - min(times)) if times else None,
        damage=log.damage,
    )


def list_runs(runs_dir: str | Path) -> list[RunSummary]:
    """Every run folder under `runs_dir`, newest first."""
    runs_dir = Path(runs_dir)
    if not runs_dir.is_dir():
        return []
    out = [summarize_run(p) for p in runs_dir.iterdir() if p.is_dir() and ((p / EVENTS).exists() or (p / CONFIG).exists())]
    return sorted(out, key=lambda s: s.created, reverse=True)


def repair_log(run_dir: Path) -> Optional[str]:
    """Make the log appendable again after a crash mid-write: a partial last line
    is moved to `events.damaged-tail` (kept, not deleted) and cut from the log.
    Returns what was done, or None when the log was intact."""
    path = run_dir / EVENTS
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return None
    if not data or data.endswith(b"\n"):
        return None
    cut = data.rfind(b"\n") + 1
    with (run_dir / "events.damaged-tail").open("ab") as fh:
        fh.write(data[cut:] + b"\n")
    with path.open("r+b") as fh:
        fh.truncate(cut)
    return f"cut a partial last line of {len(data) - cut} bytes from {EVENTS} (kept in events.damaged-tail)"


def remove_stale_temp_files(run_dir: Path) -> int:
    """Temp files of atomic writes that a killed process left behind."""
    n = 0
    for tmp in run_dir.rglob(".*.tmp*"):
        tmp.unlink(missing_ok=True)
        n += 1
    return n


def trial_dir(run_dir: Path, trial_id: str) -> Path:
    path = run_dir / TRIALS_DIR / trial_id
    path.mkdir(parents=True, exist_ok=True)
    return path
