"""The runner's side of its worker processes: start them, hand out trials, hear back.

One `WorkerHandle` per slot of the WorkerPlan. `WorkerPool.poll` waits on every
worker's pipe and process at once and returns what happened, in order per worker:
its messages (engine/worker.py) and, last, its death. The runner decides what
each means; this module only moves messages and processes.

Workers start with the forkserver method where the platform has it: a clean
process like spawn (no CUDA context or threads inherited from the runner), but
forked from a server that has already imported torch, so a worker (or its
replacement after a crash) is ready in a fraction of a second instead of the
seconds an import of torch takes.
"""

from __future__ import annotations

import multiprocessing
import signal
import sys
import time
from dataclasses import dataclass, field
from multiprocessing.connection import Connection, wait
from typing import TYPE_CHECKING, Any, Callable, Optional, Protocol

if TYPE_CHECKING:  # torch is imported when the first worker starts, not with this module (see start_server_early)
    from sweepdeck.engine.placement import Slot
    from sweepdeck.engine.trials import Trial

WORKER_MODULE = "sweepdeck.engine.worker"
STOP_GRACE_S = 30.0  # after this, workers that have not finished their batch are killed


@dataclass
class Died:
    """A worker's process ended while the runner still needed it."""

    how: str  # "was killed by SIGKILL (the out-of-memory killer?)", "exited with code 3", ...


@dataclass
class WorkerState:
    """What the runner knows of one worker, whatever runs it (a process here, a Ray
    actor in engine/ray_pool.py)."""

    slot: "Slot"
    pid: Optional[int] = None  # set once the worker said it is ready
    trial: Optional["Trial"] = None  # what it trains now
    trial_started: float = 0.0
    broken: Optional[str] = None  # what the worker said before exiting on purpose
    gone: bool = False

    @property
    def ready(self) -> bool:
        return self.pid is not None and not self.gone

    @property
    def idle(self) -> bool:
        return self.ready and self.trial is None

    def name(self) -> str:
        pid = f", pid {self.pid}" if self.pid else ""
        return f"worker {self.slot.index} ({self.slot.device}{pid})"


@dataclass(kw_only=True)
class WorkerHandle(WorkerState):
    process: multiprocessing.process.BaseProcess
    conn: Connection

    def name(self) -> str:
        pid = f", pid {self.pid or self.process.pid}"
        return f"worker {self.slot.index} ({self.slot.device}{pid})"


class Pool(Protocol):
    """What runner.Sweep needs of an executor: WorkerPool here, RayPool in engine/ray_pool.py."""

    workers: dict[int, Any]  # slot index -> its WorkerState

    def start(self, slot: "Slot") -> Any: ...
    def assign(self, worker: Any, trial: "Trial", checkpoint: Optional[bytes],
               verdict_epochs: tuple[int, ...] = ()) -> None: ...
    def verdict(self, worker: Any, trial_id: str, epoch: int, prune: bool) -> None: ...
    def skip(self, worker: Any, trial_id: str) -> None: ...
    def stop_all(self) -> None: ...
    def live(self) -> list[Any]: ...
    def busy(self) -> list[Any]: ...
    def poll(self, timeout: float) -> list[tuple[Any, object]]: ...
    def close(self) -> None: ...


@dataclass
class WorkerPool:
    make_setup: Callable[["Slot"], object]  # -> WorkerSetup
    workers: dict[int, WorkerHandle] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._ctx = _context()

    def start(self, slot: "Slot") -> WorkerHandle:
        """Start (or restart) the worker of `slot`."""
        import torch.multiprocessing  # noqa: F401  (registers how tensors travel: through shared memory)

        from sweepdeck.engine.worker import serve

        ours, theirs = self._ctx.Pipe(duplex=True)
        process = self._ctx.Process(target=serve, args=(self.make_setup(slot), theirs),
                                    name=f"sweepdeck-worker-{slot.index}")
        process.start()
        theirs.close()  # only the worker holds its end: our copy would hide the worker's exit
        handle = WorkerHandle(slot=slot, process=process, conn=ours)
        self.workers[slot.index] = handle
        return handle

    def assign(self, worker: WorkerHandle, trial: "Trial", checkpoint: Optional[bytes],
               verdict_epochs: tuple[int, ...] = ()) -> None:
        from sweepdeck.engine.worker import Assign

        worker.trial = trial
        worker.trial_started = time.perf_counter()
        self._send(worker, Assign(trial=trial, checkpoint=checkpoint, verdict_epochs=verdict_epochs))

    def skip(self, worker: WorkerHandle, trial_id: str) -> None:
        from sweepdeck.engine.worker import Skip

        self._send(worker, Skip(trial_id))

    def verdict(self, worker, trial_id: str, epoch: int, prune: bool) -> None:
        from sweepdeck.engine.worker import Verdict

        self._send(worker, Verdict(trial_id, epoch, prune))

    def stop_all(self) -> None:
        from sweepdeck.engine.worker import Stop

        for worker in self.live():
            self._send(worker, Stop())

    def live(self) -> list[WorkerHandle]:
        return [w for w in self.workers.values() if not w.gone]

    def busy(self) -> list[WorkerHandle]:
        return [w for w in self.live() if w.trial is not None]

    def poll(self, timeout: float) -> list[tuple[WorkerHandle, object]]:
        """What the workers sent or did within `timeout` seconds (messages first, a
        death after the messages sent before it)."""
        live = self.live()
        waitables = [w.conn for w in live] + [w.process.sentinel for w in live]
        if not waitables:
            time.sleep(timeout)
            return []
        ready = set(wait(waitables, timeout))
        out: list[tuple[WorkerHandle, object]] = []
        for worker in live:
            if worker.conn in ready or worker.process.sentinel in ready:
                out.extend((worker, msg) for msg in self._drain(worker))
        return out

    def _drain(self, worker: WorkerHandle) -> list[object]:
        from sweepdeck.engine.worker import Broken, Ready

        msgs: list[object] = []
        try:
            while worker.conn.poll():
                msg = worker.conn.recv()
                if isinstance(msg, Ready):
                    worker.pid = msg.pid
                elif isinstance(msg, Broken):
                    worker.broken = msg.message
                msgs.append(msg)
        except (EOFError, OSError):
            pass  # the worker is gone; what it sent before is in msgs
        if not worker.process.is_alive():
            worker.process.join(timeout=1)
            worker.gone = True
            worker.conn.close()
            msgs.append(Died(worker.broken or describe_exit(worker.process.exitcode)))
        return msgs

    def _send(self, worker: WorkerHandle, msg: object) -> None:
        try:
            worker.conn.send(msg)
        except (OSError, EOFError):
            pass  # it died: poll() reports that

    def close(self) -> None:
        """End every worker: ask politely, then make sure (no orphan keeps a GPU)."""
        for worker in self.live():
            self._send(worker, None)
        deadline = time.monotonic() + 5
        for worker in self.workers.values():
            worker.process.join(timeout=max(0.0, deadline - time.monotonic()))
            if worker.process.is_alive():
                worker.process.kill()
                worker.process.join(timeout=5)
            worker.conn.close()


def describe_exit(code: Optional[int]) -> str:
    """How a worker process ended, in words."""
    if code is None:
        return "stopped answering"
    if code < 0:
        try:
            name = signal.Signals(-code).name
        except ValueError:
            name = f"signal {-code}"
        if name == "SIGKILL":
            return "was killed by SIGKILL (the out-of-memory killer, or kill -9)"
        if name == "SIGSEGV":
            return "crashed with SIGSEGV (a segmentation fault in native code)"
        return f"was killed by {name}"
    return f"exited with code {code}"


def start_server_early() -> None:
    """Start the forkserver now: it imports torch (seconds on a small machine) while
    the runner imports torch and loads the data, on another core, rather than after.
    Call it before importing torch: this module does not."""
    if _context().get_start_method() == "forkserver":
        from multiprocessing import forkserver

        forkserver.ensure_running()


def _context() -> multiprocessing.context.BaseContext:
    if sys.platform != "win32" and "forkserver" in multiprocessing.get_all_start_methods():
        ctx = multiprocessing.get_context("forkserver")
        ctx.set_forkserver_preload([WORKER_MODULE])
        return ctx
    return multiprocessing.get_context("spawn")
