"""A trial's checkpoint: everything `resume` needs to continue it bit-identically.

Run folders are shared between people, so a checkpoint is untrusted input. It is
read with `torch.load(weights_only=True)`, which rebuilds only tensors and plain
containers and never runs code; that is why the RNG states are stored as tensors
and ints rather than as numpy objects. A file that does not have exactly the
structure written here is refused with one line (CheckpointError), and the caller
reruns that trial from its first epoch.
"""

from __future__ import annotations

import io
import random
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Optional

import numpy as np
import torch
from torch import nn

from sweepdeck.engine.errors import SweepdeckError, first_line

FILE = "checkpoint.pt"
REJECTED = "checkpoint.rejected"


class CheckpointError(SweepdeckError, ValueError):
    """A checkpoint that cannot be used; the message is one line for the user."""


@dataclass
class Checkpoint:
    epoch: int  # the last finished epoch
    trial_key: str  # Trial.key: a checkpoint never continues another trial
    model: dict[str, torch.Tensor]
    optimizer: dict[str, Any]
    scheduler: dict[str, Any]
    rng: dict[str, Any]


def capture_rng(device: torch.device) -> dict[str, Any]:
    version, state, gauss = random.getstate()
    name, keys, pos, has_gauss, cached = np.random.get_state()
    return {
        "python": [version, list(state), gauss],
        "numpy": {"keys": torch.from_numpy(keys.astype(np.int64)), "pos": int(pos),
                  "has_gauss": int(has_gauss), "cached_gaussian": float(cached)},
        "torch": torch.get_rng_state(),
        # Only the trial's own GPU: a trial may continue on another GPU of the box.
        "cuda": torch.cuda.get_rng_state(device) if device.type == "cuda" else None,
    }


def restore_rng(rng: dict[str, Any], device: torch.device) -> None:
    version, state, gauss = rng["python"]
    random.setstate((version, tuple(state), gauss))
    n = rng["numpy"]
    np.random.set_state(("MT19937", n["keys"].numpy().astype(np.uint32), n["pos"], n["has_gauss"], n["cached_gaussian"]))
    torch.set_rng_state(rng["torch"])
    cuda = rng.get("cuda")
    if isinstance(cuda, torch.Tensor) and device.type == "cuda":
        torch.cuda.set_rng_state(cuda, device)


def checkpoint_bytes(epoch: int, trial_key: str, model: nn.Module, opt: torch.optim.Optimizer, sched: Any) -> bytes:
    """A trial's checkpoint, serialised. The worker that trains the trial makes it;
    the runner, the run folder's only writer, stores it (`store.write_bytes_atomic`)."""
    device = next(model.parameters()).device
    buf = io.BytesIO()
    torch.save({
        "epoch": epoch, "trial_key": trial_key, "model": model.state_dict(),
        "optimizer": opt.state_dict(), "scheduler": sched.state_dict(), "rng": capture_rng(device),
    }, buf)
    return buf.getvalue()


def read_checkpoint_file(path: Path) -> Optional[bytes]:
    """The bytes of the checkpoint at `path`, None when there is none;
    CheckpointError when something other than a regular file is there."""
    if not path.exists() and not path.is_symlink():
        return None
    if path.is_symlink() or not path.is_file():
        raise CheckpointError(f"{path} is not a regular file")
    try:
        return path.read_bytes()
    except OSError as exc:
        raise CheckpointError(f"{path} cannot be read ({exc.strerror or exc})") from None


def parse_checkpoint(data: bytes, trial_key: str, where: Path | str) -> Checkpoint:
    """`data` as this trial's checkpoint (CheckpointError otherwise, naming `where`)."""
    try:
        raw = torch.load(io.BytesIO(data), map_location="cpu", weights_only=True)
    except Exception as exc:  # truncated, corrupt, or holding objects that are not plain data
        raise CheckpointError(f"{where} cannot be read as a checkpoint ({first_line(exc, 160)})") from None
    ckpt = _validated(raw, where)
    if ckpt.trial_key != trial_key:
        raise CheckpointError(f"{where} belongs to another trial (parameters differ)")
    return ckpt


def reject(path: Path) -> Path:
    """Move an unusable checkpoint aside (kept for inspection, never loaded again)."""
    aside = path.with_name(REJECTED)
    path.replace(aside)
    return aside


def _validated(raw: Any, path: Path | str) -> Checkpoint:
    def need(ok: bool, what: str) -> None:
        if not ok:
            raise CheckpointError(f"{path} is not a sweepdeck checkpoint: {what}")

    need(isinstance(raw, dict), "not a dictionary")
    need(isinstance(raw.get("epoch"), int) and raw["epoch"] >= 1, "no valid epoch")
    need(isinstance(raw.get("trial_key"), str), "no trial key (written by an older version)")
    model = raw.get("model")
    need(isinstance(model, dict) and all(isinstance(k, str) and isinstance(v, torch.Tensor) for k, v in model.items()),
         "the model state is not a dictionary of tensors")
    opt = raw.get("optimizer")
    need(isinstance(opt, dict) and isinstance(opt.get("state"), dict) and isinstance(opt.get("param_groups"), list),
         "no optimizer state")
    need(isinstance(raw.get("scheduler"), dict), "no scheduler state")
    rng = raw.get("rng")
    need(isinstance(rng, dict), "no RNG state")
    py = rng.get("python")
    need(isinstance(py, (list, tuple)) and len(py) == 3 and isinstance(py[1], (list, tuple))
         and all(isinstance(v, int) for v in py[1]), "bad Python RNG state")
    n = rng.get("numpy")
    need(isinstance(n, dict) and isinstance(n.get("keys"), torch.Tensor) and n["keys"].numel() == 624
         and isinstance(n.get("pos"), int), "bad numpy RNG state")
    t = rng.get("torch")
    need(isinstance(t, torch.Tensor) and t.dtype == torch.uint8, "bad torch RNG state")
    return Checkpoint(epoch=raw["epoch"], trial_key=raw["trial_key"], model=model, optimizer=opt,
                      scheduler=raw["scheduler"], rng=rng)
