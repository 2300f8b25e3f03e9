"""Where a sweep's trials run: the worker slots that `parallel` asks for.

A slot is one worker process: a device and a number of torch threads. Resolving
"auto" needs only the number of visible CUDA devices and of usable cores, which
the caller passes in, so the rule is tested without a GPU and the TUI can use it
for its estimate without importing torch.

The rule (README, "Parallel trials"):
- devices "auto": every visible CUDA device when `device` is auto or cuda, the one
  named by `device: cuda:N`, else `device` itself (cpu, or mps);
- per_device "auto": 1 on a GPU or MPS; on CPU one worker per core, because two
  1-thread processes train 1.5-1.7x faster than one 2-thread process
  (bench/parallel.py); never more workers than trials;
- threads "auto": the cores divided among the workers (at least 1).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from sweepdeck.engine.errors import UsageError

if TYPE_CHECKING:
    from sweepdeck.engine.config import ParallelConfig


@dataclass(frozen=True)
class Slot:
    index: int  # worker number, 0-based, stable for the run: the TUI and log name workers by it
    device: str  # "cpu", "cuda:1", "mps"
    threads: int


@dataclass(frozen=True)
class WorkerPlan:
    devices: list[str]
    per_device: int
    threads: int
    slots: list[Slot]

    @property
    def workers(self) -> int:
        return len(self.slots)

    def describe(self) -> str:
        """One line for the log, the dry run and the report."""
        per = f"{self.per_device} per device" if len(self.devices) > 1 else ""
        where = ", ".join(self.devices)
        parts = [f"{self.workers} worker{'s' if self.workers != 1 else ''} on {where}"]
        if per:
            parts.append(per)
        parts.append(f"{self.threads} thread{'s' if self.threads != 1 else ''} each")
        return ", ".join(parts)

    def as_json(self) -> dict:
        return {"devices": self.devices, "per_device": self.per_device, "threads": self.threads, "workers": self.workers}


def usable_cores() -> int:
    """Cores this process may run on (a container's or taskset's limit, not the host's)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


def visible_cuda_count_hint() -> int:
    """The number of CUDA devices, guessed without importing torch (for estimates
    only): CUDA_VISIBLE_DEVICES when set, else the driver's device list."""
    visible = os.environ.get("CUDA_VISIBLE_DEVICES")
    if visible is not None:
        ids = [v for v in visible.split(",") if v.strip()]
        return 0 if any(v.strip().startswith("-") for v in ids[:1]) else len(ids)
    try:
        return len(list(Path("/proc/driver/nvidia/gpus").iterdir()))
    except OSError:
        return 0


def plan_workers(parallel: "ParallelConfig", device: str, n_trials: int, cuda_count: int, cores: int,
                 mps: bool = False) -> WorkerPlan:
    """The worker slots for a sweep of `n_trials` trials (UsageError when a named
    device is not here). `device` is the config's `device` key."""
    devices = _devices(parallel.devices, device, cuda_count, mps)
    per_device = parallel.per_device
    if per_device == "auto":
        per_device = cores if devices == ["cpu"] else 1
    n_workers = max(1, min(len(devices) * per_device, n_trials))
    threads = parallel.threads if parallel.threads != "auto" else max(1, cores // n_workers)
    # Round-robin over devices, so a short sweep still spreads over every GPU.
    slots = [Slot(index=i, device=devices[i % len(devices)], threads=threads) for i in range(n_workers)]
    return WorkerPlan(devices=devices, per_device=per_device, threads=threads, slots=slots)


def _devices(asked: "str | list[str]", device: str, cuda_count: int, mps: bool) -> list[str]:
    if asked == "auto":
        if device in ("auto", "cuda") and cuda_count > 0:
            return [f"cuda:{i}" for i in range(cuda_count)]
        if device == "auto":
            return ["mps"] if mps else ["cpu"]
        asked = [device]
    out = []
    for name in asked:
        if name == "cuda":
            name = "cuda:0"
        if name.startswith("cuda"):
            index = int(name.partition(":")[2])
            if cuda_count == 0:
                raise UsageError(f"parallel.devices: {name}: CUDA is not available here; use \"auto\" or \"cpu\"")
            if index >= cuda_count:
                raise UsageError(f"parallel.devices: {name}: only {cuda_count} CUDA device(s) are visible here "
                                 f"(CUDA_VISIBLE_DEVICES counts from 0); use cuda:0..cuda:{cuda_count - 1}")
        if name == "mps" and not mps:
            raise UsageError("parallel.devices: mps: MPS is not available here; use \"auto\" or \"cpu\"")
        if name in out:
            raise UsageError(f"parallel.devices: lists {name} twice: use per_device for several trials on one device")
        out.append(name)
    return out
