"""How long a sweep will take, from the epoch times of past runs of the same
dataset and model (the Params screen's estimate). No Textual here."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Optional

from sweepdeck.engine.store import METRICS, RESOLVED, read_json


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


def estimate_seconds(timings: list[PastTiming], dataset: str, model: str, n_train: Optional[int],
                     n_epochs: int, n_trials: int) -> tuple[Optional[float], int]:
    """(estimated sweep seconds, number of past runs it is based on), from past
    runs of the same dataset and model, scaled by training-set size."""
    same = [t for t in timings if t.dataset == dataset and t.model == model]
    if not same:
        return None, 0
    per_epoch = []
    for t in same:
        scale = (n_train / t.n_train) if (n_train and t.n_train) else 1.0
        per_epoch.append(t.epoch_time_s * scale)
    mean = sum(per_epoch) / len(per_epoch)
    return mean * n_epochs * n_trials, len(same)
