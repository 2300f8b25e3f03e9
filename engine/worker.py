"""A worker process: trains the trials the runner sends it, one at a time, on one device.

The runner (engine/runner.py) starts one worker per slot of the WorkerPlan and
stays the only writer of the run folder: a worker writes nothing, it sends
everything back over its pipe, in order: the epoch events, each epoch's
checkpoint (as bytes), and the trial's outcome with its final weights. A trial's
numbers do not depend on the worker that trains it: each trial seeds every RNG
from its own seed (or restores them from its checkpoint), and every worker of a
run uses the same number of torch threads.

A worker ignores Ctrl+C (the terminal sends it to the whole process group; the
runner decides what stopping means) and exits as soon as its pipe to the runner
closes, so a runner killed with kill -9 leaves no worker holding a GPU.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
import time
import traceback
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from queue import Empty, SimpleQueue
from typing import Callable, Optional, Union

import torch

from sweepdeck.engine.checkpoint import parse_checkpoint
from sweepdeck.engine.config import DatasetConfig, SweepConfig
from sweepdeck.engine.data import DataBundle, load_dataset
from sweepdeck.engine.errors import first_line
from sweepdeck.engine.events import EpochMetrics, LogLine, TrialStatus
from sweepdeck.engine.placement import Slot
from sweepdeck.engine.train import StopFlags, TrialOutcome, train_trial
from sweepdeck.engine.trials import Trial


# --- what the runner sends ---------------------------------------------------------------

@dataclass
class Assign:
    trial: Trial
    checkpoint: Optional[bytes] = None  # already checked by the runner; the trial continues after its epoch
    # Early stopping: after these epochs the worker waits for the runner's Verdict before
    # training on, so where a pruned trial stops never depends on how fast the pipe is.
    verdict_epochs: tuple[int, ...] = ()


@dataclass
class Verdict:
    """The runner's early-stopping decision on one epoch of the running trial."""

    trial_id: str
    epoch: int
    prune: bool  # stop the trial now (it ends as `skipped`; the runner records it as `pruned`)


@dataclass
class Stop:
    """Stop the running trial after its current batch (resumable); the sweep is ending."""


@dataclass
class Skip:
    trial_id: str  # ignored unless that trial is (or is about to be) the one running


# --- what a worker sends back ----------------------------------------------------------

@dataclass
class Ready:
    pid: int
    data_from: str = ""  # where a remote worker got the dataset (logged by the runner), "" locally


@dataclass
class Emitted:
    event: Union[EpochMetrics, LogLine]


@dataclass
class BatchProgress:
    """How far the running trial is inside its epoch, for the terminal's progress display:
    at most one per BATCH_PROGRESS_S, and never written to events.jsonl."""

    trial_id: str
    epoch: int
    batch: int  # batches done in this epoch
    n_batches: int


BATCH_PROGRESS_S = 0.25  # a display refreshed 4 times a second needs no more


@dataclass
class CheckpointReady:
    trial_id: str
    epoch: int
    data: bytes


@dataclass
class Done:
    trial_id: str
    status: TrialStatus
    epochs_done: int
    error: Optional[str] = None
    margin: Optional[float] = None
    ranks: Optional[list[int]] = None
    test_misclassified: Optional[list[int]] = None
    weights: Optional[bytes] = field(default=None, repr=False)  # the final state_dict, serialised
    traceback: Optional[str] = None  # for trials/<id>/error.txt
    disk_full: bool = False  # the trial's own code hit a full disk: the runner stops the sweep


@dataclass
class Broken:
    """This worker cannot train any more (its CUDA context is poisoned, or it could
    not start); it exits right after sending this."""

    message: str  # says what happened to the worker: "could not start on cuda:1: ..."


@dataclass
class WorkerSetup:
    slot: Slot
    cfg: SweepConfig
    data: Optional[DataBundle]  # CPU tensors in shared memory; None: load `dataset` here
    dataset: DatasetConfig
    sys_path: list[str]  # the runner's import path, for a model factory named by the config (local workers)
    n_workers: int  # for the out-of-memory advice
    remote: bool = False  # on another machine (Ray): a model factory must be installed there
    data_from: str = ""  # set by a remote backend: where this worker's copy of the dataset comes from
    drop_from_path: tuple[str, ...] = ()  # remote: entries Ray put on the node's import path that must go


# --- the process ------------------------------------------------------------------------

def serve(setup: WorkerSetup, conn: Connection) -> None:
    """The worker process's main function (the local backend: engine/pool.py)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    sys.path[:] = setup.sys_path
    mailbox = Mailbox()
    threading.Thread(target=_listen, args=(conn, mailbox), daemon=True, name="runner-pipe").start()
    if not run_worker(setup, mailbox, lambda msg: _send(conn, msg)):
        os._exit(3)  # a fresh process is the only cure for a poisoned CUDA context
    conn.close()


def run_worker(setup: WorkerSetup, mailbox: "Mailbox", send: Callable[[object], None]) -> bool:
    """The loop every backend's worker runs: get ready on the slot's device, then
    train each assigned trial until the mailbox says None. Everything goes back
    through `send`, in order. False when the worker broke: its process must end."""
    try:
        device = torch.device(setup.slot.device)
        torch.set_num_threads(setup.slot.threads)
        # A dying network's activations go denormal, which slows CPU kernels by 10x or more.
        torch.set_flush_denormal(True)
        if device.type == "cuda":
            torch.cuda.set_device(device)
        data = setup.data.to(device) if setup.data is not None else load_dataset(setup.dataset, device)
    except Exception as exc:
        send(Broken(f"could not start on {setup.slot.device}: {first_line(exc, 300, with_type=True)}"))
        return False
    send(Ready(pid=os.getpid(), data_from=setup.data_from))
    while True:
        job = mailbox.jobs.get()
        if job is None:
            return True
        done = _train(job, setup, data, device, send, mailbox.control)
        send(done)
        if isinstance(done, Broken):
            return False


class _Control:
    """What the runner's messages tell the training loop: the flags it polls per batch."""

    def __init__(self) -> None:
        self.flags = StopFlags()
        self.current: Optional[str] = None
        self.skip_ids: set[str] = set()
        self.verdicts: SimpleQueue = SimpleQueue()

    def begin(self, trial_id: str) -> None:
        # Set `current` before reading `skip_ids`, while skip() adds before reading
        # `current`: a skip that arrives as the trial starts is seen by one of them.
        self.current = trial_id
        self.flags.skip = trial_id in self.skip_ids

    def skip(self, trial_id: str) -> None:
        self.skip_ids.add(trial_id)
        if self.current == trial_id:
            self.flags.skip = True

    def await_verdict(self, trial_id: str, epoch: int) -> None:
        """Block until the runner decides on this epoch (or stops or skips the trial);
        a verdict to prune skips the trial before its next batch."""
        while not (self.flags.stop or self.flags.skip):
            try:
                verdict = self.verdicts.get(timeout=0.05)
            except Empty:
                continue
            if (verdict.trial_id, verdict.epoch) == (trial_id, epoch):  # older ones: a trial that ended
                if verdict.prune:
                    self.flags.skip = True
                return


class Mailbox:
    """What the runner sent, as the training loop sees it: trials in order, stop and
    skip at once (they act during a trial). Fed from another thread: the pipe's
    reader here, actor method calls in engine/ray_pool.py."""

    def __init__(self) -> None:
        self.jobs: SimpleQueue = SimpleQueue()
        self.control = _Control()

    def deliver(self, msg: object) -> None:
        if isinstance(msg, Assign):
            self.jobs.put(msg)
        elif isinstance(msg, Stop):
            self.control.flags.stop = True
        elif isinstance(msg, Skip):
            self.control.skip(msg.trial_id)
        elif isinstance(msg, Verdict):
            self.control.verdicts.put(msg)
        elif msg is None:
            self.jobs.put(None)


def _listen(conn: Connection, mailbox: Mailbox) -> None:
    while True:
        try:
            msg = conn.recv()
        except (EOFError, OSError):
            os._exit(0)  # the runner is gone (or closed the pipe): nobody would record what we train
        mailbox.deliver(msg)
        if msg is None:
            return


def _send(conn: Connection, msg: object) -> None:
    try:
        conn.send(msg)
    except (OSError, EOFError):
        os._exit(0)


def _train(job: Assign, setup: WorkerSetup, data: DataBundle, device: torch.device,
           send: Callable[[object], None], control: _Control) -> Union[Done, Broken]:
    trial = job.trial
    control.begin(trial.id)

    def emit(event: object) -> None:
        send(Emitted(event))
        if isinstance(event, EpochMetrics) and event.epoch in job.verdict_epochs:
            control.await_verdict(trial.id, event.epoch)

    try:
        checkpoint = parse_checkpoint(job.checkpoint, trial.key, "checkpoint") if job.checkpoint else None
        outcome = train_trial(
            trial, setup.cfg, data, device,
            emit=emit,
            flags=control.flags,
            save_checkpoint=lambda epoch, blob: send(CheckpointReady(trial.id, epoch, blob)),
            resume_from=checkpoint,
            on_batch=_throttled_progress(trial.id, send),
        )
    except Exception as exc:  # contained: the trial fails, the worker goes on
        if poisons_cuda(exc):
            return Broken(f"stopped after a CUDA error, which leaves its process unusable ({first_line(exc, 300, with_type=True)})")
        return Done(trial_id=trial.id, status="failed", epochs_done=0, error=failure_message(exc, trial, setup),
                    traceback=traceback.format_exc(), disk_full=is_disk_full(exc))
    finally:
        control.current = None
    return Done(
        trial_id=trial.id, status=outcome.status, epochs_done=outcome.epochs_done, error=outcome.error,
        margin=outcome.margin, ranks=outcome.ranks, test_misclassified=outcome.test_misclassified,
        weights=_state_bytes(outcome),
    )


def _throttled_progress(trial_id: str, send: Callable[[object], None]) -> Callable[[int, int, int], None]:
    """The trial's `on_batch`: its first batch at once (the display shows from there), then at
    most one BatchProgress per BATCH_PROGRESS_S, so a fast loop sends a few a second, not thousands."""
    last = [float("-inf")]

    def on_batch(epoch: int, batch: int, n_batches: int) -> None:
        now = time.monotonic()
        if now - last[0] >= BATCH_PROGRESS_S:
            last[0] = now
            send(BatchProgress(trial_id, epoch, batch, n_batches))

    return on_batch


def _state_bytes(outcome: TrialOutcome) -> Optional[bytes]:
    if outcome.model is None:
        return None
    import io

    buf = io.BytesIO()
    torch.save(outcome.model.state_dict(), buf)
    return buf.getvalue()


# --- naming what went wrong -----------------------------------------------------------------

def failure_message(exc: BaseException, trial: Trial, setup: WorkerSetup) -> str:
    """One line for a failed trial's `error`."""
    if is_oom(exc):
        sharing = setup.n_workers > 1 and setup.slot.device != "cpu"
        where = setup.slot.device
        if sharing:
            return (f"out of memory on {where} with parallel trials sharing it: lower parallel.per_device "
                    f"(or the batchsize, {trial.params.batchsize})")
        return f"out of memory at batch size {trial.params.batchsize}: try a smaller batchsize"
    if setup.remote and "cannot import" in str(exc):
        return (f"{first_line(exc, 300, with_type=True)}; on a Ray cluster a model factory must be importable on every node "
                "(install its package there)")
    return f"{type(exc).__name__}: {exc}".splitlines()[0][:300]


def is_oom(exc: BaseException) -> bool:
    if isinstance(exc, (MemoryError, getattr(torch, "OutOfMemoryError", MemoryError))):
        return True
    text = str(exc).lower()
    return isinstance(exc, RuntimeError) and ("out of memory" in text or "can't allocate memory" in text)


def is_disk_full(exc: BaseException) -> bool:
    # torch.save to a file reports a full disk as a RuntimeError from its stream writer.
    import errno

    return (isinstance(exc, OSError) and exc.errno == errno.ENOSPC) or "No space left on device" in str(exc)


def poisons_cuda(exc: BaseException) -> bool:
    """A CUDA error after which this process's context is unusable (an illegal
    address, a device-side assert): every later kernel would fail too."""
    if is_oom(exc):
        return False
    accelerator_error = getattr(torch, "AcceleratorError", None)
    if accelerator_error is not None and isinstance(exc, accelerator_error):
        return True
    text = str(exc)
    return isinstance(exc, RuntimeError) and ("CUDA error" in text or "device-side assert" in text)
