"""A whole sweep: load the data once, run every trial, record everything.

The runner is the only writer of a run folder (it holds `runner.lock`). Each
trial's failure is contained: divergence, out-of-memory and exceptions end that
trial with a status, and the sweep goes on. SIGINT/SIGTERM stop the sweep after
the current batch (resumable); SIGUSR1 skips the current trial.
"""

from __future__ import annotations

import errno
import io
import os
import platform
import signal
import socket
import subprocess
import sys
import time
import traceback
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterator, Optional

import torch

from sweepdeck.engine import store
from sweepdeck.engine.config import SweepConfig
from sweepdeck.engine.data import DataBundle, load_dataset
from sweepdeck.engine.events import (
    DONE_STATUSES, LogLine, RunFinished, RunStarted, RunStatus, TrialFinished, TrialStarted,
    append_event, read_events,
)
from sweepdeck.engine.checkpoint import FILE as CHECKPOINT, CheckpointError, load_checkpoint, reject
from sweepdeck.engine.train import StopFlags, TrialOutcome, pick_device, train_trial
from sweepdeck.engine.trials import Trial

Listener = Callable[[object], None]


def environment(device: torch.device, raw: dict) -> dict:
    """env.json: enough to reproduce or explain a run."""
    env = {
        "python": platform.python_version(),
        "torch": torch.__version__,
        "cuda": torch.version.cuda,
        "device": str(device),
        "device_name": torch.cuda.get_device_name(device) if device.type == "cuda" else platform.processor() or platform.machine(),
        "hostname": socket.gethostname(),
        "platform": platform.platform(),
        "command": sys.argv,
        "cwd": os.getcwd(),
        "code_version": store.code_version(),
        "config_hash": store.config_hash(raw),
        "torch_threads": torch.get_num_threads(),
    }
    env.update(_git_state())
    return env


def _git_state() -> dict:
    def git(*args: str) -> Optional[str]:
        try:
            out = subprocess.run(["git", *args], capture_output=True, text=True, timeout=5, stdin=subprocess.DEVNULL)
        except (OSError, subprocess.TimeoutExpired):
            return None
        return out.stdout.strip() if out.returncode == 0 else None

    commit = git("rev-parse", "HEAD")
    if commit is None:
        return {"git_commit": None, "git_dirty": None}
    return {"git_commit": commit, "git_dirty": bool(git("status", "--porcelain"))}


@contextmanager
def signal_flags(flags: StopFlags) -> Iterator[None]:
    """SIGINT/SIGTERM → stop after this batch; SIGUSR1 → skip this trial."""
    def stop(signum, frame):
        flags.stop = True

    def skip(signum, frame):
        flags.skip = True

    wanted = {signal.SIGINT: stop, signal.SIGTERM: stop}
    if hasattr(signal, "SIGUSR1"):
        wanted[signal.SIGUSR1] = skip
    previous = {}
    try:
        for sig, handler in wanted.items():
            previous[sig] = signal.signal(sig, handler)
    except ValueError:  # not the main thread (tests drive the runner from threads)
        previous = {}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


@dataclass
class SweepResult:
    run_dir: Path
    status: RunStatus
    trial_status: dict[str, str]


class Recorder:
    """Appends events to the log and tells the listeners (the progress display)."""

    def __init__(self, run_dir: Path, listeners: list[Listener]):
        self.run_dir = run_dir
        self.listeners = listeners
        self._fh = store.open_log_for_append(run_dir)

    def __call__(self, event) -> None:
        try:
            append_event(self._fh, event)
        except OSError as exc:
            raise store.StorageError(self.run_dir / store.EVENTS, exc) from None
        for listen in self.listeners:
            listen(event)

    def close(self) -> None:
        try:
            self._fh.close()
        except OSError:
            pass  # the failed write was reported already; what reached the disk is intact


def write_run_files(run_dir: Path, raw: dict, cfg: SweepConfig, trials: list[Trial], data: DataBundle, device: torch.device) -> None:
    """A new run's config.json, resolved.json, env.json and empty log, all at once."""
    store.create_run_files(run_dir, {
        store.CONFIG: raw,
        store.RESOLVED: resolved_run(run_dir, cfg, trials, data),
        store.ENV: environment(device, raw),
    })


def resolved_run(run_dir: Path, cfg: SweepConfig, trials: list[Trial], data: DataBundle) -> dict:
    return {
        "run_id": run_dir.name,
        "config": cfg.model_dump(mode="json"),
        "trials": [t.model_dump(mode="json") for t in trials],
        "dataset": data.description,
        "model": cfg.model.name,
    }


def run_sweep(
    cfg: SweepConfig,
    raw: dict,
    trials: list[Trial],
    run_dir: Path,
    listeners: Optional[list[Listener]] = None,
    data: Optional[DataBundle] = None,
    resume: bool = False,
) -> SweepResult:
    """Run (or, with `resume`, continue) every trial into `run_dir`."""
    device = pick_device(cfg.device)
    # A dying network's activations go denormal, which slows CPU kernels by 10x or more.
    torch.set_flush_denormal(True)
    data = data or load_dataset(cfg.dataset, device)
    if not resume:
        write_run_files(run_dir, raw, cfg, trials, data, device)
    lock = store.acquire_lock(run_dir)
    try:
        record = Recorder(run_dir, listeners or [])
    except BaseException:
        lock.release()
        raise
    flags = StopFlags()
    done: dict[str, str] = {}
    if resume:
        for ev in read_events(run_dir / store.EVENTS).events:
            if isinstance(ev, TrialFinished) and ev.status in DONE_STATUSES:
                done[ev.trial_id] = ev.status
    status = "completed"
    try:
        with signal_flags(flags):
            record(RunStarted(
                run_id=run_dir.name, name=cfg.name, n_trials=len(trials), trial_ids=[t.id for t in trials],
                device=str(device), pid=os.getpid(), host=socket.gethostname(), resumed=resume,
            ))
            if any(t.params.wn is not None and t.params.batch_norm for t in trials):
                record(LogLine(level="warning", message="batch_norm is switched off in trials with weight normalisation (wn), as in the original implementation"))
            for trial in trials:
                if trial.id in done:
                    continue
                done[trial.id] = run_one(trial, cfg, data, device, run_dir, record, flags)
                store.write_tables(run_dir)
                if flags.stop:
                    status = "interrupted"
                    break
            record(RunFinished(status=status))
    except store.StorageError as exc:
        try:
            record(RunFinished(status="failed", message=str(exc)))
        except store.StorageError:
            pass
        raise
    finally:
        record.close()
        try:
            store.write_tables(run_dir)
        except OSError:
            pass  # a full disk: the log itself is intact, tables are rebuilt on resume
        lock.release()
    return SweepResult(run_dir=run_dir, status=status, trial_status=done)


def run_one(trial: Trial, cfg: SweepConfig, data: DataBundle, device: torch.device,
            run_dir: Path, record: Recorder, flags: StopFlags) -> str:
    """One trial with its faults contained; returns its status."""
    tdir = store.trial_dir(run_dir, trial.id)
    ckpt_path = tdir / CHECKPOINT
    try:
        checkpoint = load_checkpoint(ckpt_path, trial.key)
    except CheckpointError as exc:
        reject(ckpt_path)
        record(LogLine(level="warning", message=f"{exc}: moved aside, trial {trial.id} reruns from epoch 1"))
        checkpoint = None
    start_epoch = checkpoint.epoch + 1 if checkpoint else 1
    record(TrialStarted(
        trial_id=trial.id, index=trial.index, label=trial.label, exp_type=trial.params.exp_type,
        params=trial.params.model_dump(mode="json"), n_epochs=cfg.n_epochs, start_epoch=start_epoch,
    ))
    t0 = time.perf_counter()
    flags.skip = False
    try:
        outcome = train_trial(trial, cfg, data, device, record, flags, ckpt_path, checkpoint)
    except store.StorageError:
        raise  # the run folder cannot be written: no use going on with other trials
    except Exception as exc:  # contained: the sweep goes on
        outcome = _failure(exc, trial, tdir)
    if outcome.model is not None:
        store.write_bytes_atomic(tdir / "weights.pt", _state_bytes(outcome.model))
    record(TrialFinished(
        trial_id=trial.id, status=outcome.status, epochs_done=outcome.epochs_done,
        duration_s=time.perf_counter() - t0, error=outcome.error, margin=outcome.margin,
        ranks=outcome.ranks, test_misclassified=outcome.test_misclassified,
    ))
    if outcome.status != "interrupted":
        # Only after the event: a crash in between leaves a finished trial with a
        # spare checkpoint (cleaned up on resume), never an unfinished one without.
        ckpt_path.unlink(missing_ok=True)
    return outcome.status


def _state_bytes(model: torch.nn.Module) -> bytes:
    buf = io.BytesIO()
    torch.save(model.state_dict(), buf)
    return buf.getvalue()


def _failure(exc: BaseException, trial: Trial, tdir: Path) -> TrialOutcome:
    if is_disk_full(exc):  # torch's own writers (a user's model saving files) report it oddly
        raise store.StorageError(tdir, OSError(errno.ENOSPC, "No space left on device")) from None
    store.write_text_atomic(tdir / "error.txt", traceback.format_exc())
    if _is_oom(exc):
        message = f"out of memory at batch size {trial.params.batchsize}: try a smaller batchsize"
    else:
        message = f"{type(exc).__name__}: {exc}".splitlines()[0][:300]
    return TrialOutcome(status="failed", epochs_done=0, error=message)


def is_disk_full(exc: BaseException) -> bool:
    # torch.save to a file reports a full disk as a RuntimeError from its stream writer.
    return (isinstance(exc, OSError) and exc.errno == errno.ENOSPC) or "No space left on device" in str(exc)


def _is_oom(exc: BaseException) -> bool:
    if isinstance(exc, (MemoryError, getattr(torch, "OutOfMemoryError", MemoryError))):
        return True
    text = str(exc).lower()
    return isinstance(exc, RuntimeError) and ("out of memory" in text or "can't allocate memory" in text)


def preflight(cfg: SweepConfig, trials: list[Trial], data: DataBundle) -> None:
    """Build each distinct model once before any folder is created, so a bad model
    name or import path is refused up front (raises ModelError)."""
    from sweepdeck.engine.train import build_trial_model

    seen = set()
    for trial in trials:
        key = (trial.params.bias, trial.params.batch_norm, trial.params.wn is None)
        if key not in seen:
            seen.add(key)
            build_trial_model(cfg, trial, data)
