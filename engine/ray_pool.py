"""The Ray backend: the runner's workers as Ray actors, anywhere on a Ray cluster.

`RayPool` has WorkerPool's interface (engine/pool.py) and hands the runner the same
messages (engine/worker.py), so runner.Sweep stays the only writer of the run
folder and decides what a death or a skip means. One actor per slot runs
`worker.run_worker`, the loop a local worker runs, in a thread of its own; what
it sends goes back, in order, in batches: the runner keeps one `take` call
pending per actor, which returns what the actor has sent since the last one
(epoch events, checkpoints and final weights as bytes, so no file system is
shared). Plain calls rather than a streaming generator, because Ray Client
(`ray://` addresses) cannot stream a generator's items. An actor that is lost,
or the node under it, fails its pending call: the pool reports that as `Died`, and the runner continues the
trial from its last checkpoint on a new actor, wherever Ray places it.

The data: the driver puts its CPU copy into Ray's object store once; an actor
loads the dataset itself when `dataset.root` exists on its node (files on disk are
cheaper than the network), otherwise it takes that copy.

Ray is optional (`pip install 'sweepdeck[ray]'`) and is imported only here, only
when `parallel.backend` is "ray".
"""

from __future__ import annotations

import dataclasses
import importlib.util
import logging
import os
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from queue import Empty, SimpleQueue
from typing import TYPE_CHECKING, Any, Optional

from sweepdeck.engine.errors import UsageError, first_line
from sweepdeck.engine.pool import Died, WorkerState

if TYPE_CHECKING:
    from sweepdeck.engine.config import SweepConfig
    from sweepdeck.engine.data import DataBundle
    from sweepdeck.engine.placement import Slot, WorkerPlan
    from sweepdeck.engine.trials import Trial

INSTALL = "pip install 'sweepdeck[ray]'"
# An actor that Ray cannot place in this long (no node has the CPUs or GPU share it
# asks for) counts as a worker that could not start; an autoscaler needs minutes.
PLACE_TIMEOUT_S = 300.0
ACTOR_CONCURRENCY = 4  # a pending take() holds one thread; deliver() needs others
TAKE_WAIT_S = 1.0  # how long one take() call waits for a first message before it returns none
_END = "end"  # what the training thread puts last in the outbox


def require_ray() -> None:
    """UsageError (one line) when Ray is not installed."""
    if importlib.util.find_spec("ray") is None:
        raise UsageError(f"parallel.backend \"ray\" needs Ray, which is not installed: {INSTALL}")


@dataclass(frozen=True)
class ClusterSize:
    cpus: int
    gpus: int
    nodes: int


CLIENT_ATTEMPTS = 3  # ray:// only: see connect()
CLIENT_RETRY_S = 2.0


def _cannot_connect(address: Optional[str], exc: BaseException) -> UsageError:
    where = f"parallel.address {address}" if address else "parallel.backend \"ray\""
    # Ray Client's server-side failures come as a heading line, then the server's traceback:
    # its last line says what went wrong.
    lines = [ln.strip() for ln in str(exc).splitlines() if ln.strip()]
    said = first_line(exc) if len(lines) < 2 else f"{lines[0]} {lines[-1]}"[:300]
    return UsageError(f"{where}: cannot connect to Ray ({said}): start the cluster with `ray start`, "
                      "or check the address and that this machine has the cluster's token")


def connect(address: Optional[str]) -> ClusterSize:
    """Join the Ray cluster at `address` ("auto", "ray://...", "host:port"; None
    starts a Ray instance for this process) unless this process is connected
    already, and say how big it is. Ray's token authentication stays as Ray
    sets it up: the token is read from where Ray reads it, never printed here."""
    require_ray()
    import ray

    if not ray.is_initialized():
        # A Ray of its own needs no dashboard (its web server costs seconds of start-up).
        extra = {"include_dashboard": False} if address is None else {}
        for attempt in range(CLIENT_ATTEMPTS if (address or "").startswith("ray://") else 1):
            try:
                ray.init(address=address, logging_level=logging.WARNING, **extra)
                break
            except ConnectionAbortedError as exc:
                # Ray Client's head starts a server process per client; on a busy head that
                # start sometimes fails at once ("Initialization failure from server"), and a
                # second try gets a fresh one.
                if attempt + 1 < CLIENT_ATTEMPTS:
                    ray.shutdown()  # drop what the failed attempt set up
                    time.sleep(CLIENT_RETRY_S)
                    continue
                raise _cannot_connect(address, exc) from None
            except Exception as exc:  # ConnectionError, an authentication failure, a bad address...
                raise _cannot_connect(address, exc) from None
    resources = ray.cluster_resources()
    nodes = sum(1 for n in ray.nodes() if n.get("Alive"))
    return ClusterSize(cpus=int(resources.get("CPU", 0)), gpus=int(resources.get("GPU", 0)), nodes=nodes)


def plan_on_cluster(cfg: "SweepConfig", n_trials: int) -> "WorkerPlan":
    """The worker slots for a sweep on the cluster: `parallel` resolved against the
    cluster's CPUs and GPUs instead of this machine's (UsageError for a GPU it lacks)."""
    from sweepdeck.engine.placement import plan_workers

    size = connect(cfg.parallel.address)
    wants_cuda = cfg.device.startswith("cuda") or (
        cfg.parallel.devices != "auto" and any(d.startswith("cuda") for d in cfg.parallel.devices))
    if wants_cuda and size.gpus == 0:
        raise UsageError(f"device {cfg.device!r}: the Ray cluster has no GPU ({size.cpus} CPUs on {size.nodes} "
                         "node(s)): use \"device\": \"cpu\", or add nodes with GPUs")
    if cfg.device == "mps" or (cfg.parallel.devices != "auto" and "mps" in cfg.parallel.devices):
        raise UsageError("device mps: Ray schedules CPUs and CUDA GPUs only; use \"device\": \"cpu\" or \"cuda\"")
    return plan_workers(cfg.parallel, cfg.device, n_trials, size.gpus, max(1, size.cpus))


def describe_cluster() -> dict:
    """For env.json: which Ray, and how big the cluster was when the sweep started."""
    import ray

    size = connect(None)  # connected already (plan_on_cluster): this only measures
    return {"version": ray.__version__, "nodes": size.nodes, "cpus": size.cpus, "gpus": size.gpus}


@dataclass(kw_only=True)
class RayWorkerHandle(WorkerState):
    actor: Any  # ray.actor.ActorHandle
    pending: Any  # the ObjectRef of its take() call in flight
    placed_by: float  # monotonic deadline for Ray to start it


class RayPool:
    """WorkerPool's interface over Ray actors (see the module doc)."""

    def __init__(self, cfg: "SweepConfig", data: "DataBundle", plan: "WorkerPlan") -> None:
        import ray

        self.workers: dict[int, RayWorkerHandle] = {}
        self._cfg, self._plan = cfg, plan
        self._data = ray.put(data)  # once: every actor reads this one copy
        self._actor_class = ray.remote(_Actor)

    def start(self, slot: "Slot") -> RayWorkerHandle:
        from sweepdeck.engine.worker import WorkerSetup

        options: dict[str, Any] = {"num_cpus": slot.threads, "max_restarts": 0, "max_concurrency": ACTOR_CONCURRENCY}
        if slot.device.startswith("cuda"):
            options["num_gpus"] = 1 / self._plan.per_device
        dataset = self._cfg.dataset.model_copy(update={"root": str(Path(self._cfg.dataset.root).resolve())})
        # Ray puts the driver's current folder on every worker's import path; sweepdeck
        # keeps it off (engine/usercode.py), or a module lying next to a shared config
        # would run on the cluster. An entry the user put on PYTHONPATH stays.
        cwd = os.path.abspath(os.curdir)
        setup = WorkerSetup(slot=slot, cfg=self._cfg, data=None, dataset=dataset, sys_path=[],
                            n_workers=self._plan.workers, remote=True,
                            drop_from_path=() if cwd in sys.path else (cwd,))
        # In a list, so Ray hands the actor the reference, not the data: it may load its own.
        actor = self._actor_class.options(**options).remote(setup, [self._data])
        handle = RayWorkerHandle(slot=slot, actor=actor, pending=actor.take.remote(TAKE_WAIT_S),
                                 placed_by=time.monotonic() + PLACE_TIMEOUT_S)
        self.workers[slot.index] = handle
        return handle

    def assign(self, worker: RayWorkerHandle, trial: "Trial", checkpoint: Optional[bytes],
               verdict_epochs: tuple[int, ...] = ()) -> None:
        from sweepdeck.engine.worker import Assign

        worker.trial = trial
        worker.trial_started = time.perf_counter()
        worker.actor.deliver.remote(Assign(trial=trial, checkpoint=checkpoint, verdict_epochs=verdict_epochs))

    def skip(self, worker: RayWorkerHandle, trial_id: str) -> None:
        from sweepdeck.engine.worker import Skip

        worker.actor.deliver.remote(Skip(trial_id))

    def verdict(self, worker, trial_id: str, epoch: int, prune: bool) -> None:
        from sweepdeck.engine.worker import Verdict

        worker.actor.deliver.remote(Verdict(trial_id, epoch, prune))

    def stop_all(self) -> None:
        from sweepdeck.engine.worker import Stop

        for worker in self.live():
            worker.actor.deliver.remote(Stop())

    def live(self) -> list[RayWorkerHandle]:
        return [w for w in self.workers.values() if not w.gone]

    def busy(self) -> list[RayWorkerHandle]:
        return [w for w in self.live() if w.trial is not None]

    def poll(self, timeout: float) -> list[tuple[RayWorkerHandle, object]]:
        """What the actors sent or did within `timeout` seconds, in order per actor,
        a death after the messages sent before it."""
        import ray

        live = self.live()
        if not live:
            time.sleep(timeout)
            return []
        ray.wait([w.pending for w in live], num_returns=1, timeout=timeout)
        out: list[tuple[RayWorkerHandle, object]] = []
        for worker in live:
            out.extend((worker, msg) for msg in self._drain(worker))
        return out

    def _drain(self, worker: RayWorkerHandle) -> list[object]:
        import ray

        from sweepdeck.engine.worker import Broken, Ready

        msgs: list[object] = []
        if ray.wait([worker.pending], timeout=0)[0]:
            try:
                batch = ray.get(worker.pending)
            except Exception as exc:  # ray.exceptions.RayActorError and kin: the actor or its node is lost
                return [self._gone(worker, describe_loss(exc))]
            for msg in batch:
                if msg == _END:  # its loop ended: it broke (or was closed)
                    msgs.append(self._gone(worker, worker.broken or "ended"))
                    return msgs
                if isinstance(msg, Ready):
                    worker.pid = msg.pid
                elif isinstance(msg, Broken):
                    worker.broken = msg.message
                msgs.append(msg)
            worker.pending = worker.actor.take.remote(TAKE_WAIT_S)
        if worker.pid is None and not worker.gone and time.monotonic() > worker.placed_by:
            msgs.append(self._gone(worker, (
                f"could not be placed on the Ray cluster in {PLACE_TIMEOUT_S:.0f} s (it asks for "
                f"{worker.slot.threads} CPU{'s' if worker.slot.threads != 1 else ''}"
                f"{' and a GPU share' if worker.slot.device.startswith('cuda') else ''})")))
        return msgs

    def _gone(self, worker: RayWorkerHandle, how: str) -> Died:
        import ray

        worker.gone = True
        ray.kill(worker.actor, no_restart=True)  # a broken one holds a GPU share until it is killed
        return Died(how)

    def close(self) -> None:
        """End every actor. The runner has ended every trial by now, and nothing an
        actor still sends would be recorded, so there is nothing to wait for."""
        import ray

        for worker in self.workers.values():
            try:
                ray.kill(worker.actor, no_restart=True)
            except Exception:
                pass  # already gone with its node
        self.workers.clear()


def describe_loss(exc: BaseException) -> str:
    """How an actor was lost, in one short line (Ray's own message is many lines,
    with ids that mean nothing to a user)."""
    text = str(exc).lower()
    if "node" in text and ("died" in text or "dead" in text):
        return "was lost with its Ray node"
    if type(exc).__name__ in ("ActorDiedError", "ActorUnavailableError", "RayActorError"):
        return f"was lost: its Ray actor's process or node is gone ({type(exc).__name__})"
    first = first_line(exc)
    return f"was lost ({type(exc).__name__}: {first})"


class _Actor:
    """One worker on the cluster (made a Ray actor by RayPool): worker.run_worker in
    a thread, its messages out through take(), the runner's in through deliver()."""

    def __init__(self, setup: Any, data: list) -> None:
        from sweepdeck.engine.worker import Mailbox

        self.setup, self.data = setup, data
        self.mailbox = Mailbox()
        self.outbox: SimpleQueue = SimpleQueue()
        threading.Thread(target=self._run, daemon=True, name="sweepdeck-worker").start()

    def take(self, wait_s: float) -> list:
        """What the worker sent since the last call, in order (waits up to `wait_s`
        for the first message; empty if none came). _END comes last, once."""
        try:
            batch = [self.outbox.get(timeout=wait_s)]
        except Empty:
            return []
        while batch[-1] != _END:
            try:
                batch.append(self.outbox.get_nowait())
            except Empty:
                break
        return batch

    def deliver(self, msg: object) -> None:
        self.mailbox.deliver(msg)

    def _run(self) -> None:
        from sweepdeck.engine.worker import Broken, run_worker

        try:
            setup = self._setup_here()
        except Exception as exc:
            self.outbox.put(Broken(f"could not get the data on this node: {type(exc).__name__}: {exc}"[:300]))
        else:
            run_worker(setup, self.mailbox, self.outbox.put)
        self.outbox.put(_END)

    def _setup_here(self) -> Any:
        import ray

        setup = self.setup
        sys.path[:] = [p for p in sys.path if p not in setup.drop_from_path]
        if setup.slot.device.startswith("cuda"):
            # Ray shows an actor only the GPU it was given, as device 0.
            setup = dataclasses.replace(setup, slot=dataclasses.replace(setup.slot, device="cuda:0"))
        if setup.dataset.name != "shapes" and Path(setup.dataset.root).is_dir():
            # the files are here: load them (run_worker does, as data is None)
            return dataclasses.replace(setup, data_from=f"its node's files at {setup.dataset.root}")
        return dataclasses.replace(setup, data=ray.get(self.data[0]), data_from="the driver (Ray's object store)")
