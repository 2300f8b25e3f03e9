"""Synthetic run folders for the report's tests and benchmarks (kept out of the shipped package).

A run folder written here has exactly the layout the trainer writes
(config.json, resolved.json, env.json, events.jsonl, metrics.csv, trials.csv),
with learning curves drawn from a simple seeded model: accuracy rises towards a
ceiling that depends on the parameters, train accuracy overshoots test accuracy
for weakly regularised trials, and very high learning rates may diverge.
No torch needed.
"""

from __future__ import annotations

import json
import math
import random
from pathlib import Path
from typing import Any, Callable, Optional

from sweepdeck.engine import store
from sweepdeck.engine.config import validate_config
from sweepdeck.engine.events import EpochMetrics, RunFinished, RunStarted, TrialFinished, TrialStarted, append_event
from sweepdeck.engine.trials import build_trials

Curve = Callable[[dict[str, Any], int, int, random.Random], dict[str, float]]


def default_curve(params: dict[str, Any], epoch: int, n_epochs: int, rng: random.Random) -> dict[str, float]:
    """One epoch's metrics for `params` (fractions for accuracies)."""
    lam = params["l2_sum_lambda"] or params["l2_mul_lambda"]
    lr = params["lr"]
    # ceiling: best near lr=0.01 and lambda=0.001
    ceiling = 0.88 - 0.03 * abs(math.log10(lr / 0.01)) - 0.02 * abs(math.log10(max(lam, 1e-5) / 1e-3))
    ceiling += 0.005 * (params["seed"] % 3) + (0.01 if params["exp_type"] == "Summation" else 0.0)
    speed = 0.15 + 0.1 * min(lr / 0.01, 3.0)
    progress = 1 - math.exp(-speed * epoch * 25 / n_epochs)
    test_acc = 0.5 + (ceiling - 0.5) * progress + rng.gauss(0, 0.004)
    overfit = (0.06 if lam < 5e-4 else 0.015) * progress
    train_acc = min(0.999, test_acc + overfit + rng.gauss(0, 0.003))
    train_loss = 1.0 - 0.8 * progress * (train_acc / 0.9) + rng.gauss(0, 0.005)
    test_loss = train_loss + 2.5 * overfit * progress + rng.gauss(0, 0.005)
    return {"test_acc": min(max(test_acc, 0.0), 1.0), "train_acc": max(train_acc, 0.0),
            "train_loss": max(train_loss, 0.01), "test_loss": max(test_loss, 0.01)}


def make_run(
    run_dir: Path,
    config: Optional[dict[str, Any]] = None,
    *,
    seed: int = 0,
    curve: Curve = default_curve,
    diverge: Optional[dict[str, int]] = None,
    statuses: Optional[dict[str, str]] = None,
    eval_train_set: bool = True,
    device: str = "cpu",
) -> Path:
    """Write a complete run folder for `config` (the paper's §S1.2 sweep by default).

    `diverge` maps trial ids to the epoch at which their loss becomes NaN;
    `statuses` forces a final status (e.g. "failed", "interrupted", "pending").
    """
    raw = dict(config or {
        "batchsize": 64, "lr": [0.01], "n_epochs": 25,
        "l2_sum_lambda": [0.01, 0.001, 0.0001], "l2_mul_lambda": [0.01, 0.001, 0.0001],
        "wn": [0.9], "seed": [42], "opt_name": "adamw",
    })
    raw.setdefault("eval_train_set", eval_train_set)
    cfg = validate_config(raw)
    trials = build_trials(cfg)
    run_dir = Path(run_dir)
    run_dir.mkdir(parents=True, exist_ok=True)
    rng = random.Random(seed)
    diverge = diverge or {}
    statuses = statuses or {}
    store.write_json_atomic(run_dir / store.CONFIG, raw)
    store.write_json_atomic(run_dir / store.RESOLVED, {
        "run_id": run_dir.name,
        "config": cfg.model_dump(mode="json"),
        "trials": [t.model_dump(mode="json") for t in trials],
        "dataset": "CIFAR-10 cat (3) vs deer (4), 10000 train / 2000 test, labels ±1, MSE loss",
        "model": cfg.model.name,
    })
    store.write_json_atomic(run_dir / store.ENV, {
        "python": "3.11.9", "torch": "2.5.1", "cuda": None, "device": device, "device_name": "CPU",
        "hostname": "testhost", "command": "sweepdeck run config.json", "git_commit": "0" * 40, "git_dirty": False,
    })
    t0 = 1_790_000_000.0
    clock = [t0]

    def tick(dt: float) -> float:
        clock[0] += dt
        return clock[0]

    with (run_dir / store.EVENTS).open("w", encoding="utf-8") as fh:
        append_event(fh, RunStarted(time=tick(0), run_id=run_dir.name, name=cfg.name, n_trials=len(trials),
                                    trial_ids=[t.id for t in trials], device=device, pid=1, host="testhost"))
        for t in trials:
            forced = statuses.get(t.id)
            if forced in ("pending", "skipped"):
                if forced == "skipped":
                    append_event(fh, TrialFinished(time=tick(0.1), trial_id=t.id, status="skipped", epochs_done=0, duration_s=0.0))
                continue
            params = t.params.model_dump(mode="json")
            append_event(fh, TrialStarted(time=tick(0.5), trial_id=t.id, index=t.index, label=t.label,
                                          exp_type=t.params.exp_type, params=params, n_epochs=cfg.n_epochs))
            start = clock[0]
            done = 0
            status = "completed"
            last_epoch = cfg.n_epochs if forced not in ("interrupted", "failed") else max(1, cfg.n_epochs // 2)
            for epoch in range(1, last_epoch + 1):
                m = curve(params, epoch, cfg.n_epochs, rng)
                if t.id in diverge and epoch >= diverge[t.id]:
                    # the trainer stops before logging a NaN epoch (engine/train.py)
                    status = "diverged"
                    break
                dt = 0.8 + 0.2 * rng.random() + 64 / params["batchsize"] * 0.1
                ev = EpochMetrics(
                    time=tick(dt), trial_id=t.id, epoch=epoch,
                    train_loss=round(m["train_loss"], 6),
                    penalty_sum=0.01 * params["l2_sum_lambda"], penalty_mul=0.01 * params["l2_mul_lambda"],
                    train_eval_loss=round(m["train_loss"] * 0.97, 6) if cfg.eval_train_set else None,
                    train_acc=round(m["train_acc"], 4) if cfg.eval_train_set else None,
                    train_f1=round(m["train_acc"], 4) if cfg.eval_train_set else None,
                    test_loss=round(m["test_loss"], 6),
                    test_acc=round(m["test_acc"], 4),
                    test_f1=round(m["test_acc"], 4), test_confusion=[[900, 100], [150, 850]],
                    lr=params["lr"], epoch_time_s=round(dt, 4), rho=1.5, layer_norms=[1.0, 1.1, 0.9],
                )
                append_event(fh, ev)
                done = epoch
            if forced in ("interrupted", "failed"):
                status = forced
            append_event(fh, TrialFinished(
                time=tick(0.2), trial_id=t.id, status=status, epochs_done=done, duration_s=clock[0] - start,
                error={"failed": "RuntimeError: CUDA out of memory",
                       "diverged": f"loss became nan in epoch {done + 1}"}.get(status),
                margin=None if status != "completed" else round(0.2 + rng.random() * 0.3, 4),
                ranks=[3, 8, 16, 2] if status == "completed" else None,
            ))
        append_event(fh, RunFinished(time=tick(0.3), status="completed"))
    store.write_tables(run_dir)
    return run_dir


def paper_config(n_lr: int = 1, n_seeds: int = 1, n_epochs: int = 25, n_wn: int = 1) -> dict[str, Any]:
    """The §S1.2 sweep (6 trials) widened: × n_lr learning rates × n_seeds × n_wn."""
    lrs = [0.01, 0.003, 0.03, 0.001, 0.1, 0.0003][:n_lr]
    return {
        "batchsize": 64, "lr": lrs, "n_epochs": n_epochs,
        "l2_sum_lambda": [0.01, 0.001, 0.0001], "l2_mul_lambda": [0.01, 0.001, 0.0001],
        "wn": [0.9, 1.2, "default"][:n_wn], "seed": [42 + i for i in range(n_seeds)], "opt_name": "adamw",
    }


def dump(obj: Any) -> str:
    return json.dumps(obj, indent=2)
