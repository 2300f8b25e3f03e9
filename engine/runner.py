"""A whole sweep: load the data once, train every trial in worker processes, record everything.

The runner is the only writer of a run folder (it holds `runner.lock`). It starts
the workers of the WorkerPlan (engine/placement.py, the `parallel` section),
hands each a trial, and appends what they send back to `events.jsonl`; it writes
their checkpoints and weights itself. Each trial's failure is contained:
divergence, out-of-memory and exceptions end that trial with a status; a worker
that dies is replaced and its trial continues from its last checkpoint, once.
SIGINT/SIGTERM stop every running trial after its current batch (resumable);
`sweepdeck skip` (engine/control.py) skips one trial, and SIGUSR1 skips the
trial that runs when only one does.
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
from collections import Counter
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterator, Optional

import torch

from sweepdeck.engine import control, store
from sweepdeck.engine.checkpoint import FILE as CHECKPOINT, CheckpointError, parse_checkpoint, read_checkpoint_file, reject
from sweepdeck.engine.config import SweepConfig
from sweepdeck.engine.data import DataBundle, load_dataset
from sweepdeck.engine.errors import SweepdeckError, first_line
from sweepdeck.engine.events import (
    DONE_STATUSES, EpochMetrics, LogLine, RunFinished, RunStarted, RunStatus, TrialFinished, TrialStarted,
    append_event, read_events,
)
from sweepdeck.engine.placement import WorkerPlan, plan_workers, usable_cores
from sweepdeck.engine.pool import Died, Pool, WorkerPool, WorkerState
from sweepdeck.engine.schedule import Schedule, uses_lag
from sweepdeck.engine.space import is_sampled
from sweepdeck.engine.train import StopFlags
from sweepdeck.engine.trials import Trial, representative_trials, trial_id
from sweepdeck.engine.worker import BatchProgress, CheckpointReady, Done, Emitted, Ready, WorkerSetup

Listener = Callable[[object], None]
POLL_S = 0.25  # how often the runner looks at signals and skip requests while it waits
MAX_START_FAILURES = 2  # a slot whose worker cannot start twice in a row is given up


class WorkersFailed(SweepdeckError):
    """No worker could be started: nothing can train."""

    exit_code = 1


def environment(plan: WorkerPlan, raw: dict, cluster: Optional[dict] = None) -> dict:
    """env.json: enough to reproduce or explain a run. `cluster`: the Ray cluster
    the workers ran on (engine/ray_pool.py), whose GPUs this machine may not have."""
    env = {
        "python": platform.python_version(),
        "torch": torch.__version__,
        "cuda": torch.version.cuda,
        "device": ", ".join(plan.devices),
        "device_name": (f"Ray cluster: {cluster['nodes']} node(s), {cluster['cpus']} CPUs, {cluster['gpus']} GPUs"
                        if cluster else ", ".join(_device_name(torch.device(d)) for d in plan.devices)),
        "hostname": socket.gethostname(),
        "platform": platform.platform(),
        "command": sys.argv,
        "cwd": os.getcwd(),
        "code_version": store.code_version(),
        "config_hash": store.config_hash(raw),
        "torch_threads": plan.threads,
        "parallel": plan.as_json(),
        "cpu_cores": usable_cores(),
    }
    if cluster:
        env["ray"] = cluster
    env.update(_git_state())
    return env


def _device_name(device: torch.device) -> str:
    if device.type == "cuda":
        return torch.cuda.get_device_name(device)
    return platform.processor() or platform.machine()


def plan_for(cfg: SweepConfig, n_trials: int) -> WorkerPlan:
    """The workers for this sweep on this machine (UsageError for a device it lacks).
    Planned for all of the run's trials, also on resume, so `threads` comes out
    the same and so do the numbers. With the Ray backend: the cluster's, not this machine's."""
    if is_sampled(cfg):  # its trials are proposed as it runs: there are n_trials of them
        n_trials = cfg.search.n_trials
    if cfg.parallel.backend == "ray":
        from sweepdeck.engine.ray_pool import plan_on_cluster

        return plan_on_cluster(cfg, n_trials)
    mps = bool(getattr(torch.backends, "mps", None) and torch.backends.mps.is_available())
    return plan_workers(cfg.parallel, cfg.device, n_trials, torch.cuda.device_count(), usable_cores(), mps)


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
    """SIGINT/SIGTERM → stop after this batch; SIGUSR1 → skip the one running trial."""
    def stop(signum, frame):
        flags.signal = signum
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


def write_run_files(run_dir: Path, raw: dict, cfg: SweepConfig, trials: list[Trial], data: DataBundle,
                    plan: WorkerPlan, lag: Optional[int] = None) -> None:
    """A new run's config.json, resolved.json, env.json and empty log, all at once."""
    cluster = None
    if cfg.parallel.backend == "ray":
        from sweepdeck.engine.ray_pool import describe_cluster

        cluster = describe_cluster()
    store.create_run_files(run_dir, {
        store.CONFIG: raw,
        store.RESOLVED: resolved_run(run_dir, cfg, trials, data, lag),
        store.ENV: environment(plan, raw, cluster),
    })


def resolved_run(run_dir: Path, cfg: SweepConfig, trials: list[Trial], data: DataBundle,
                 lag: Optional[int] = None) -> dict:
    """resolved.json. A sampled search's trials are not known yet: they are in the log
    as they start. `search.lag` is the determinism rule's B, kept for resume."""
    out = {
        "run_id": run_dir.name,
        "config": cfg.model_dump(mode="json"),
        "trials": [t.model_dump(mode="json") for t in trials],
        "dataset": data.description,
        "model": cfg.model.name,
    }
    if lag is not None:
        out["search"] = {"lag": lag}
    return out


def search_lag(cfg: SweepConfig, plan: WorkerPlan, run_dir: Path, resume: bool) -> Optional[int]:
    """B of the determinism rule: search.batch, else the workers at the run's first
    start; on resume, what resolved.json recorded (a resume on more or fewer workers
    must not change which trials a proposal sees)."""
    if not uses_lag(cfg):
        return None
    if resume:
        recorded = ((store.read_resolved(run_dir) or {}).get("search") or {}).get("lag")
        if isinstance(recorded, int) and not isinstance(recorded, bool) and recorded >= 1:
            return recorded
    return cfg.search.batch or plan.workers


def run_sweep(
    cfg: SweepConfig,
    raw: dict,
    trials: list[Trial],
    run_dir: Path,
    listeners: Optional[list[Listener]] = None,
    data: Optional[DataBundle] = None,
    resume: bool = False,
    flags: Optional[StopFlags] = None,
) -> SweepResult:
    """Run (or, with `resume`, continue) every trial into `run_dir`. `data` is on
    the CPU (loaded here when not given); `flags` lets a caller stop the sweep as
    a signal would."""
    plan = plan_for(cfg, len(trials))
    data = data or load_dataset(cfg.dataset, "cpu")
    lag = search_lag(cfg, plan, run_dir, resume)
    if not resume:
        write_run_files(run_dir, raw, cfg, trials, data, plan, lag)
    lock = store.acquire_lock(run_dir)
    try:
        record = Recorder(run_dir, listeners or [])
    except BaseException:
        lock.release()
        raise
    flags = flags or StopFlags()
    done: dict[str, str] = {}
    logged = read_events(run_dir / store.EVENTS).events if resume else []
    for ev in logged:
        if isinstance(ev, TrialFinished) and ev.status in DONE_STATUSES:
            done[ev.trial_id] = ev.status
    ids = [trial_id(i) for i in range(cfg.search.n_trials)] if is_sampled(cfg) else [t.id for t in trials]
    control.clear_requests(run_dir)
    status: RunStatus = "completed"
    pool: Optional[Pool] = None
    try:
        with signal_flags(flags):
            record(RunStarted(
                run_id=run_dir.name, name=cfg.name, n_trials=len(ids), trial_ids=ids,
                device=", ".join(plan.devices), pid=os.getpid(), host=socket.gethostname(), resumed=resume,
                workers=plan.workers, devices=plan.devices, threads=plan.threads,
            ))
            if any(t.params.wn is not None and t.params.batch_norm for t in trials or representative_trials(cfg)):
                record(LogLine(level="warning", message="batch_norm is switched off in trials with weight normalisation (wn), as in the original implementation"))
            pool = _pool(cfg, data, plan, record)
            schedule = Schedule(cfg, trials, lag, logged, done=set(done))
            sweep = Sweep(cfg, run_dir, record, pool, plan, flags, schedule, done)
            status = sweep.run()
            record(RunFinished(status=status))
    except (store.StorageError, WorkersFailed) as exc:
        try:
            record(RunFinished(status="failed", message=str(exc)))
        except store.StorageError:
            pass
        raise
    finally:
        if pool is not None:
            pool.close()
        record.close()
        try:
            store.write_tables(run_dir)
        except OSError:
            pass  # a full disk: the log itself is intact, tables are rebuilt on resume
        lock.release()
    return SweepResult(run_dir=run_dir, status=status, trial_status=done)


def _pool(cfg: SweepConfig, data: DataBundle, plan: WorkerPlan, record: Recorder) -> Pool:
    """The executor `parallel.backend` names: processes here, or actors on a Ray cluster."""
    if cfg.parallel.backend == "ray":
        from sweepdeck.engine.ray_pool import RayPool

        return RayPool(cfg, data, plan)
    return WorkerPool(make_setup=_setup_maker(cfg, data, plan, record))


def _setup_maker(cfg: SweepConfig, data: DataBundle, plan: WorkerPlan, record: Recorder) -> Callable:
    """Slot → WorkerSetup. The data goes to the workers once, through shared memory;
    where that cannot hold it (a container's small /dev/shm), each worker loads its own."""
    shared: Optional[DataBundle] = data
    try:
        data.share_memory_()
    except RuntimeError as exc:
        shared = None
        first = first_line(exc)
        record(LogLine(level="warning", message=(
            f"the dataset does not fit in shared memory ({first}): each worker loads its own copy; "
            "give /dev/shm more room (docker run --shm-size=...) to share one")))

    def make(slot) -> WorkerSetup:
        return WorkerSetup(slot=slot, cfg=cfg, data=shared, dataset=cfg.dataset, sys_path=list(sys.path),
                           n_workers=plan.workers)
    return make


class Sweep:
    """The runner's loop: hand trials to idle workers, record what comes back,
    act on stop and skip, replace workers that die."""

    def __init__(self, cfg: SweepConfig, run_dir: Path, record: Recorder, pool: Pool, plan: WorkerPlan,
                 flags: StopFlags, schedule: Schedule, done: dict[str, str]):
        self.cfg, self.run_dir, self.record, self.pool, self.flags = cfg, run_dir, record, pool, flags
        self.plan = plan
        self.schedule = schedule  # which trial next (and when), proposals, pruning verdicts
        self.done = done
        self.pruned: dict[str, int] = {}  # trial → the epoch after which the pruner stopped it
        self.stopping = False
        self.deaths: Counter[str] = Counter()  # per trial: how often its worker died under it
        self.start_failures: Counter[int] = Counter()  # per slot, in a row
        self.last_epoch: dict[str, int] = {}

    def run(self) -> RunStatus:
        for slot in self.plan.slots[:self.schedule.remaining()]:
            self.pool.start(slot)
        while self.schedule.remaining() or self.pool.busy():
            if self.flags.stop and not self.stopping:
                self._stop()
            self._skip_requested()
            if not self.stopping:
                self._hand_out()
            elif not self.pool.busy():
                break
            if not self.pool.live():
                self._no_workers_left()
            for worker, msg in self.pool.poll(POLL_S):
                self._handle(worker, msg)
                if self.flags.stop and not self.stopping:  # at once: a listener may have asked for it
                    self._stop()
        return ("interrupted" if self.stopping and (self.schedule.remaining() or "interrupted" in self.done.values())
                else "completed")

    # --- handing out -------------------------------------------------------------------

    def _hand_out(self) -> None:
        for worker in self.pool.live():
            if worker.idle:
                # Waits (None) until the trials it may learn from have finished: the determinism rule.
                trial = self.schedule.next_ready()
                if trial is None:
                    return
                self._assign(worker, trial)

    def _assign(self, worker: WorkerState, trial: Trial) -> None:
        checkpoint, start_epoch = self._checkpoint(trial)
        stopped_at = self.schedule.start_judge(trial, start_epoch)
        self.record(self._started(trial, start_epoch=start_epoch, worker=worker.slot.index,
                                  device=worker.slot.device, worker_pid=worker.pid))
        if stopped_at is not None:  # a resumed trial that its pruner had stopped before the kill
            self._prune_note(trial.id, stopped_at)
            self._keep_last_weights(trial)
            self._end_without_worker(trial, "pruned", epochs_done=stopped_at)
            (store.trial_dir(self.run_dir, trial.id) / CHECKPOINT).unlink(missing_ok=True)  # as any finished trial
            return
        self.pool.assign(worker, trial, checkpoint, verdict_epochs=self.schedule.verdict_epochs)

    def _started(self, trial: Trial, **where) -> TrialStarted:
        event = TrialStarted(
            trial_id=trial.id, index=trial.index, label=trial.label, exp_type=trial.params.exp_type,
            params=trial.params.model_dump(mode="json"), n_epochs=self.cfg.n_epochs, **where,
        )
        self.schedule.started_trial(event)
        return event

    def _checkpoint(self, trial: Trial) -> tuple[Optional[bytes], int]:
        """The trial's checkpoint (checked here, in the writer) and the epoch it continues from."""
        path = store.trial_dir(self.run_dir, trial.id) / CHECKPOINT
        try:
            data = read_checkpoint_file(path)
            if data is None:
                return None, 1
            return data, parse_checkpoint(data, trial.key, path).epoch + 1
        except CheckpointError as exc:
            reject(path)
            self.record(LogLine(level="warning", message=f"{exc}: moved aside, trial {trial.id} reruns from epoch 1"))
            return None, 1

    # --- what workers send ---------------------------------------------------------------

    def _handle(self, worker: WorkerState, msg: object) -> None:
        if isinstance(msg, Emitted):
            self.record(msg.event)
            if isinstance(msg.event, EpochMetrics):
                self.last_epoch[msg.event.trial_id] = msg.event.epoch
                self._verdict(worker, msg.event)
        elif isinstance(msg, BatchProgress):  # for the progress display only: not an event, not logged
            for listen in self.record.listeners:
                listen(msg)
        elif isinstance(msg, CheckpointReady):
            store.write_bytes_atomic(store.trial_dir(self.run_dir, msg.trial_id) / CHECKPOINT, msg.data)
        elif isinstance(msg, Done):
            self._finished(worker, msg)
        elif isinstance(msg, Died):
            self._lost(worker, msg.how)
        elif isinstance(msg, Ready):
            self.start_failures[worker.slot.index] = 0  # this slot can start workers
            if msg.data_from:
                self.record(LogLine(message=f"worker {worker.slot.index} has the dataset from {msg.data_from}"))

    def _verdict(self, worker: WorkerState, ev: EpochMetrics) -> None:
        """Early stopping: the pruner's decision on this epoch, which the worker waits for."""
        stop = self.schedule.epoch(ev)
        if stop is None:
            return
        if stop:
            self.pruned[ev.trial_id] = ev.epoch
            self._prune_note(ev.trial_id, ev.epoch)
        self.pool.verdict(worker, ev.trial_id, ev.epoch, stop)

    def _prune_note(self, trial_id: str, epoch: int) -> None:
        es = self.cfg.early_stop
        self.record(LogLine(message=f"{trial_id} pruned after epoch {epoch} ({es.method} on {es.metric})"))

    def _keep_last_weights(self, trial: Trial) -> None:
        """A pruned trial's weights.pt: its model as of its last epoch, from its checkpoint."""
        path = store.trial_dir(self.run_dir, trial.id) / CHECKPOINT
        try:
            data = read_checkpoint_file(path)
            if data is None:
                return
            buf = io.BytesIO()
            torch.save(parse_checkpoint(data, trial.key, path).model, buf)
        except CheckpointError:
            return  # no weights is honest; the epochs are in the log
        store.write_bytes_atomic(path.with_name("weights.pt"), buf.getvalue())

    def _finished(self, worker: WorkerState, msg: Done) -> None:
        trial = worker.trial
        worker.trial = None
        if msg.status == "skipped" and msg.trial_id in self.pruned:  # stopped by the pruner, not by a user
            msg.status = "pruned"
            if trial is not None:
                self._keep_last_weights(trial)
        tdir = store.trial_dir(self.run_dir, msg.trial_id)
        if msg.traceback:
            store.write_text_atomic(tdir / "error.txt", msg.traceback)
        if msg.disk_full:  # the trial's own code hit it; the run folder is next
            raise store.StorageError(tdir, OSError(errno.ENOSPC, "No space left on device"))
        if msg.weights is not None:
            store.write_bytes_atomic(tdir / "weights.pt", msg.weights)
        self.record(TrialFinished(
            trial_id=msg.trial_id, status=msg.status, epochs_done=msg.epochs_done,
            duration_s=time.perf_counter() - worker.trial_started, error=msg.error, margin=msg.margin,
            ranks=msg.ranks, test_misclassified=msg.test_misclassified,
        ))
        if msg.status != "interrupted":
            # Only after the event: a crash in between leaves a finished trial with a
            # spare checkpoint (cleaned up on resume), never an unfinished one without.
            (tdir / CHECKPOINT).unlink(missing_ok=True)
        self.done[msg.trial_id] = msg.status
        if trial is not None:
            self.schedule.finish(trial, msg.status)
        store.write_tables(self.run_dir)

    def _lost(self, worker: WorkerState, how: str) -> None:
        """A worker died. Its trial continues from its last checkpoint on a new
        worker, once; the second death fails it. The slot gets a new worker."""
        trial, worker.trial = worker.trial, None
        slot = worker.slot
        if worker.pid is None:
            self.start_failures[slot.index] += 1
        where = f" while training {trial.id}" if trial else ""
        self.record(LogLine(level="warning", message=f"{worker.name()} {how}{where}"))
        if trial is not None:
            self._after_death(trial, how)
        if (self.schedule.remaining() and not self.stopping and self.start_failures[slot.index] < MAX_START_FAILURES):
            self.pool.start(slot)

    def _after_death(self, trial: Trial, how: str) -> None:
        epochs = self.last_epoch.get(trial.id, 0)
        if self.stopping:  # killed along with the runner's own stop: resumable as any stop
            self._end_without_worker(trial, "interrupted", epochs_done=epochs)
            return
        self.deaths[trial.id] += 1
        if self.deaths[trial.id] == 1:
            self.schedule.put_back(trial)
            self.record(LogLine(level="warning", message=f"{trial.id} continues from its last checkpoint on a new worker"))
        else:
            self._end_without_worker(trial, "failed", epochs_done=epochs,
                                     error=f"its worker {how}, twice (the second time on a fresh worker)")

    def _end_without_worker(self, trial: Trial, status: str, epochs_done: int = 0,
                            error: Optional[str] = None) -> None:
        """Record the end of a trial that no worker runs now (lost with its worker,
        or skipped while it waited)."""
        self.record(TrialFinished(trial_id=trial.id, status=status, epochs_done=epochs_done, duration_s=0.0, error=error))
        self.done[trial.id] = status
        self.schedule.finish(trial, status)
        store.write_tables(self.run_dir)

    def _no_workers_left(self) -> None:
        reasons = {w.broken for w in self.pool.workers.values() if w.broken}
        why = f": {sorted(reasons)[0]}" if reasons else ""
        raise WorkersFailed(f"no worker could start{why}; nothing was lost: fix that, then `sweepdeck resume {self.run_dir}`")

    # --- stop and skip ----------------------------------------------------------------------

    def _stop(self) -> None:
        self.stopping = True
        running = [w.trial.id for w in self.pool.busy()]
        self.pool.stop_all()
        if running:
            self.record(LogLine(message=f"stopping: {', '.join(running)} stop after their current batch"))

    def _skip_requested(self) -> None:
        for trial_id in control.take_skip_requests(self.run_dir):
            self._skip(trial_id)
        if self.flags.skip:  # SIGUSR1, which names no trial
            self.flags.skip = False
            busy = self.pool.busy()
            if len(busy) == 1:
                self._skip(busy[0].trial.id)
            elif busy:
                self.record(LogLine(level="warning", message=(
                    f"SIGUSR1 skips a trial only when one runs; {len(busy)} are running: "
                    f"use `sweepdeck skip {self.run_dir} TRIAL`")))

    def _skip(self, trial_id: str) -> None:
        running = [w for w in self.pool.busy() if w.trial.id == trial_id]
        if running:
            self.pool.skip(running[0], trial_id)
            self.record(LogLine(message=f"skipping {trial_id} ({running[0].name()}) after its current batch"))
            return
        pending = [t for t in self.schedule.pending() if t.id == trial_id]
        if pending:
            self.schedule.drop(pending[0])
            self.record(LogLine(message=f"skipping {trial_id} before it starts"))
            self.record(self._started(pending[0]))  # readers expect a start before every end
            self._end_without_worker(pending[0], "skipped")
            return
        self.record(LogLine(level="warning", message=f"skip {trial_id}: it is not running or waiting to run"))


def preflight(cfg: SweepConfig, trials: list[Trial], data: DataBundle) -> None:
    """Build each distinct model once before any folder is created, so a bad model
    name or import path is refused up front (raises ModelError)."""
    from sweepdeck.engine.train import build_trial_model

    seen = set()
    for trial in trials or representative_trials(cfg):
        key = (trial.params.bias, trial.params.batch_norm, trial.params.wn is None)
        if key not in seen:
            seen.add(key)
            build_trial_model(cfg, trial, data)
