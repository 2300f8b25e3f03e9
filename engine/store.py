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
import errno
import fcntl
import hashlib
import io
import json
import os
import re
import shutil
import socket
import stat
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import IO, Any, Iterable, Iterator, Optional

from pydantic import BaseModel

from sweepdeck.engine.errors import SweepdeckError
from sweepdeck.engine.events import (
    EpochMetrics, EventLog, RunFinished, RunStarted, RunStatusSeen, TrialFinished, TrialStarted, read_events,
)
from sweepdeck.engine.safe_files import read_regular_file
from sweepdeck.engine.liveness import LOCK, boot_id, owner_is_live, process_start_ticks, read_lock_json, run_is_live

CONFIG = "config.json"
RESOLVED = "resolved.json"
ENV = "env.json"
EVENTS = "events.jsonl"
METRICS = "metrics.csv"
TRIALS = "trials.csv"
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
    "test_loss_final", "train_loss_final", "margin", "duration_s", "device", "error",
]


# The modules whose change would change a trial's numbers (env.json's code_version).
# space.py, search.py and schedule.py decide a sampled search's trials and which ones a pruner stops.
TRAINING_MODULES = ("config.py", "space.py", "trials.py", "search.py", "schedule.py", "data.py", "models.py",
                    "penalties.py", "train.py")


def code_version() -> str:
    """A hash of the training code: resume refuses when it changed mid-sweep."""
    h = hashlib.sha1()
    for name in TRAINING_MODULES:
        h.update(name.encode())
        h.update((Path(__file__).parent / name).read_bytes())
    return h.hexdigest()[:12]


# Keys that say where trials run, not what they compute: resume may change them.
PLACEMENT_KEYS = ("parallel",)


def config_hash(raw: dict[str, Any]) -> str:
    """env.json's hash of config.json without its placement keys: resume refuses
    when the config changed in anything that changes the trials' numbers."""
    what = {k: v for k, v in raw.items() if k not in PLACEMENT_KEYS}
    return hashlib.sha1(json.dumps(what, sort_keys=True).encode()).hexdigest()[:12]


class RunPathError(SweepdeckError, ValueError):
    """A run id or path that does not name a run folder."""


class StorageError(SweepdeckError, OSError):
    """Writing the run folder failed (disk full, read-only filesystem, I/O error).
    What was written before is intact, so the run can be resumed once it is fixed."""

    exit_code = 1  # the input was fine; the machine was not

    def __init__(self, path: Path, exc: OSError):
        super().__init__(exc.errno, exc.strerror or str(exc), str(path))
        if exc.errno == errno.ENOSPC:
            self.message = f"disk full while writing {path}"
        elif exc.errno == errno.EROFS:
            self.message = f"cannot write {path}: the filesystem is read-only"
        else:
            self.message = f"cannot write {path}: {exc.strerror or exc}"

    def __str__(self) -> str:
        return self.message


# --- atomic writes ----------------------------------------------------------------------

def write_bytes_atomic(path: Path, data: bytes) -> None:
    """Write via a temp file and rename, so readers see the old file or the new one.
    Raises StorageError when the write fails; no temp file is left behind."""
    tmp = path.with_name(f".{path.name}.tmp{os.getpid()}")
    try:
        tmp.unlink(missing_ok=True)
        # O_EXCL | O_NOFOLLOW: a planted symlink at the temp name is never written through.
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o644)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException as exc:
        # A full disk must not leave temp files behind; the old file stays intact.
        try:
            tmp.unlink(missing_ok=True)
        except OSError:
            pass
        if isinstance(exc, OSError) and not isinstance(exc, StorageError):
            raise StorageError(path, exc) from None
        raise


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

def run_id_candidates(name: str, tries: int = 1000) -> Iterator[str]:
    """A new run's id, `<UTC timestamp>-<name>`, then the same with -1, -2... for
    when a run started in the same second took it. The CLI and the TUI (which names
    the folder of a run it starts) both name runs this way."""
    base = f"{datetime.now(timezone.utc):%Y%m%d-%H%M%S}-{name}"
    yield base
    for n in range(1, tries):
        yield f"{base}-{n}"


def new_run_dir(runs_dir: str | Path, name: str) -> Path:
    """`runs/<UTC timestamp>-<name>/`, created; a suffix keeps two same-second runs apart."""
    runs_dir = Path(runs_dir)
    if runs_dir.exists() and not runs_dir.is_dir():
        raise RunPathError(f"runs_dir {runs_dir} is a file: set runs_dir to a folder")
    try:
        runs_dir.mkdir(parents=True, exist_ok=True)
        for run_id in run_id_candidates(name):
            path = runs_dir / run_id
            try:
                path.mkdir()
                return path
            except FileExistsError:
                continue
    except OSError as exc:
        raise StorageError(runs_dir, exc) from None
    raise RunPathError(f"could not create a run folder under {runs_dir}")


def create_run_files(run_dir: Path, files: dict[str, Any]) -> None:
    """Give the new, empty folder `run_dir` its first files (name → JSON) and an
    empty log, all at once.

    They are written into a hidden staging folder beside it, which then replaces
    the empty folder in one rename. A kill or a full disk at any moment leaves an
    empty folder, which every command ignores, or a complete one that `resume` can
    continue: never a config.json without its resolved.json."""
    staging = run_dir.with_name(f".{run_dir.name}.staging{os.getpid()}")
    try:
        staging.mkdir()
        for name, obj in files.items():
            write_json_atomic(staging / name, obj)
        (staging / EVENTS).touch()
        os.rename(staging, run_dir)  # replaces the empty folder atomically
    except BaseException as exc:
        shutil.rmtree(staging, ignore_errors=True)
        if isinstance(exc, OSError):  # named by the run folder: the staging folder is gone
            raise StorageError(run_dir, exc) from None
        raise


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


class RunLockedError(SweepdeckError, RuntimeError):
    pass


def read_lock(run_dir: Path) -> Optional[LockInfo]:
    data = read_lock_json(run_dir)
    try:
        return None if data is None else LockInfo.model_validate(data)
    except ValueError:
        return None


def lock_is_live(info: Optional[LockInfo]) -> bool:
    """True when the lock's owner may still be running (see sweepdeck.engine.liveness)."""
    return info is not None and owner_is_live(info.pid, info.host, info.boot_id, info.start_ticks)


class RunLock:
    """The runner's hold on a run folder, kept for the runner's whole life.

    Taking it is one atomic step: an exclusive `flock` on the folder itself, which
    the kernel grants to exactly one process and drops when that process dies,
    however it dies. `runner.lock` then says who holds it (pid, host, start) for
    those who only read: the TUI, `show`, `resume`'s message. A `runner.lock` whose
    writer is dead is simply overwritten. Where the filesystem has no flock (some
    network filesystems), the liveness of `runner.lock`'s owner is all there is.
    """

    def __init__(self, run_dir: Path, fd: Optional[int], info: LockInfo):
        self.run_dir = run_dir
        self.info = info
        self._fd = fd
        self._released = False

    @classmethod
    def acquire(cls, run_dir: Path) -> "RunLock":
        fd = os.open(run_dir, os.O_RDONLY | os.O_DIRECTORY)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise RunLockedError(_locked_message(run_dir, read_lock(run_dir))) from None
        except OSError:  # no flock here: fall back to the lock file's liveness alone
            os.close(fd)
            fd = None
        owner = read_lock(run_dir)
        if lock_is_live(owner) and not _is_this_process(owner):
            # A runner of an older version, or on another host: it holds no flock we can see.
            if fd is not None:
                os.close(fd)
            raise RunLockedError(_locked_message(run_dir, owner))
        pid = os.getpid()
        info = LockInfo(pid=pid, host=socket.gethostname(), started=time.time(),
                        boot_id=boot_id(), start_ticks=process_start_ticks(pid))
        try:
            write_text_atomic(run_dir / LOCK, info.model_dump_json())
        except BaseException:
            if fd is not None:
                os.close(fd)
            raise
        return cls(run_dir, fd, info)

    def release(self) -> None:
        """Remove `runner.lock` (if still ours), then let go of the folder."""
        if self._released:
            return
        self._released = True
        if read_lock(self.run_dir) == self.info:
            (self.run_dir / LOCK).unlink(missing_ok=True)
        if self._fd is not None:
            os.close(self._fd)  # closing drops the flock
            self._fd = None


def acquire_lock(run_dir: Path) -> RunLock:
    """Become the run folder's only writer (RunLockedError when another is)."""
    return RunLock.acquire(Path(run_dir))


def _is_this_process(owner: Optional[LockInfo]) -> bool:
    return owner is not None and owner.pid == os.getpid() and owner.host == socket.gethostname()


def _locked_message(run_dir: Path, owner: Optional[LockInfo]) -> str:
    if owner is None:
        return f"{run_dir} is being written by another runner; stop it first, or attach to it with `sweepdeck attach`"
    return (f"{run_dir} is being written by pid {owner.pid} on {owner.host} "
            f"(since {datetime.fromtimestamp(owner.started):%Y-%m-%d %H:%M}); "
            "stop that runner first, or attach to it with `sweepdeck attach`")


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
            if ev.device:  # where it ran last (a trial can continue on another worker)
                row["device"] = ev.device
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
    resolved = read_resolved(run_dir)
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


def open_log_for_append(run_dir: Path) -> IO[str]:
    """The event log, opened for appending; never through a symbolic link."""
    path = run_dir / EVENTS
    try:
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_NOFOLLOW | os.O_NONBLOCK, 0o644)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise RunPathError(f"{path} is a symbolic link: sweepdeck does not write through links in a run folder") from None
        raise StorageError(path, exc) from None
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        raise RunPathError(f"{path} is not a regular file")
    return os.fdopen(fd, "a", encoding="utf-8")


JSON_LIMIT = 64 * 2**20  # config, resolved and env files are kilobytes; more is not ours


def read_json(path: Path) -> Optional[dict[str, Any]]:
    try:
        data = json.loads(read_regular_file(path, JSON_LIMIT))
    except (OSError, ValueError, RecursionError):
        return None
    return data if isinstance(data, dict) else None


class _ResolvedTrial(BaseModel):
    id: str
    index: int
    label: str
    params: dict[str, Any]


class _Resolved(BaseModel):
    config: dict[str, Any] = {}
    trials: list[_ResolvedTrial]


def read_resolved(run_dir: Path) -> Optional[dict[str, Any]]:
    """resolved.json when it has the shape the runner writes, else None (missing or
    damaged), so no reader trips over `"trials": 5`."""
    data = read_json(Path(run_dir) / RESOLVED)
    try:
        _Resolved.model_validate(data)
    except ValueError:
        return None
    return data


# --- summaries for `sweepdeck runs` / `show` and the TUI ------------------------------------

class RunSummary(BaseModel):
    run_id: str
    path: str
    name: str
    created: float
    status: RunStatusSeen  # running, crashed or empty, or as the run finished
    n_trials: int
    n_finished: int
    best_test_acc: Optional[float] = None
    best_trial: Optional[str] = None
    best_status: Optional[str] = None  # e.g. "pruned": a best reached in fewer epochs says so
    duration_s: Optional[float] = None
    damage: Optional[str] = None

    def best_label(self) -> str:
        """The best trial's id, with a word when it did not run to the end."""
        if self.best_status == "pruned":
            return f"{self.best_trial}, a pruned trial: stopped early by the pruner"
        return str(self.best_trial)


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
    status: RunStatusSeen
    if run_is_live(run_dir):
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
        best_status=next((e.status for e in reversed(log.events)
                          if best and isinstance(e, TrialFinished) and e.trial_id == best.trial_id), None),
        duration_s=(max(times) - min(times)) if times else None,
        damage=log.damage,
    )


def list_runs(runs_dir: str | Path) -> list[RunSummary]:
    """Every run folder under `runs_dir`, newest first."""
    runs_dir = Path(runs_dir)
    if not runs_dir.is_dir():
        return []
    out = [summarize_run(p) for p in runs_dir.iterdir()
           if p.is_dir() and not p.name.startswith(".") and ((p / EVENTS).exists() or (p / CONFIG).exists())]
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
    """trials/<id>/, created; never a symbolic link (writes would land elsewhere)."""
    path = run_dir / TRIALS_DIR / trial_id
    for part in (path.parent, path):
        if part.is_symlink():
            raise RunPathError(f"{part} is a symbolic link: sweepdeck does not write through links in a run folder")
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise StorageError(path, exc) from None
    return path
