"""How long a sweep will take, from the epoch times of past runs of the same
dataset and model, on the workers this machine would give it (the Params
screen's estimate). No Textual here, and no torch: the workers come from
engine.placement's rule with its torch-free guesses of the GPUs and cores."""

from __future__ import annotations

import platform
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Optional

from sweepdeck.engine.errors import UsageError
from sweepdeck.engine.placement import WorkerPlan, plan_workers, usable_cores, visible_cuda_count_hint
from sweepdeck.engine.store import METRICS, RESOLVED, read_json

if TYPE_CHECKING:
    from sweepdeck.engine.config import SweepConfig


@dataclass
class PastTiming:
    dataset: str
    model: str
    n_train: Optional[int]
    epoch_time_s: float  # mean over the run's epochs


def past_timings(runs_dir: Path, limit: int = 50) -> list[PastTiming]:
    """Mean epoch time of past runs, from their resolved.json and metrics.csv."""
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
            with (p / METRICS).open(newline="", encoding="utf-8") as fh:
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


def local_plan(cfg: "SweepConfig", n_trials: int) -> tuple[Optional[WorkerPlan], str]:
    """The workers the runner would start here for `cfg`, or why it would refuse
    (a device that is not here: the runner exits 2 with the same words)."""
    mps = sys.platform == "darwin" and platform.machine() == "arm64"  # a guess, as for CUDA: no torch here
    try:
        return plan_workers(cfg.parallel, cfg.device, n_trials, visible_cuda_count_hint(), usable_cores(), mps=mps), ""
    except UsageError as err:
        return None, str(err)


def estimate_seconds(timings: list[PastTiming], dataset: str, model: str, n_train: Optional[int],
                     n_epochs: int, n_trials: int, workers: int = 1) -> tuple[Optional[float], int]:
    """(estimated sweep seconds, number of past runs it is based on), from past
    runs of the same dataset and model, scaled by training-set size.

    `workers` train at once, whole trials each: 3 trials on 2 workers take two
    trial-times. Each trial is taken to run at the pace past runs measured; trials
    sharing a GPU slow each other somewhat, so with per_device > 1 this is a floor."""
    same = [t for t in timings if t.dataset == dataset and t.model == model]
    if not same:
        return None, 0
    per_epoch = []
    for t in same:
        scale = (n_train / t.n_train) if (n_train and t.n_train) else 1.0
        per_epoch.append(t.epoch_time_s * scale)
    mean = sum(per_epoch) / len(per_epoch)
    rounds = -(-n_trials // max(workers, 1))
    return mean * n_epochs * rounds, len(same)
