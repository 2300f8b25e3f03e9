"""ASHA against the full sweep: epochs saved, and what the best trial loses.

    python bench/early_stop.py [--epochs 10] [--method asha] [--metric test_loss] [--min-epochs 3] [--workers 1]

A 16-trial grid (4 learning rates × 4 additive penalties, SPEC §2) of the tiny CNN
on shapes, run twice in this process: in full, and with early stopping. Prints the
epochs each trained, the share saved, and the best test accuracy of each sweep
(best epoch of the best trial, as `show` and the report call it), with the
difference in points. Timing is printed but not the point: the machine is shared.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sweepdeck.engine import store  # noqa: E402
from sweepdeck.engine.config import validate_config  # noqa: E402
from sweepdeck.engine.events import TrialFinished, read_events  # noqa: E402
from sweepdeck.engine.runner import run_sweep  # noqa: E402
from sweepdeck.engine.trials import build_trials  # noqa: E402


def config(epochs: int, workers: int) -> dict:
    return {
        "name": "early-stop-bench", "dataset": {"name": "shapes", "n_train": 512, "n_test": 256}, "model": "tiny",
        "n_epochs": epochs, "batchsize": 32, "lr": [0.001, 0.003, 0.01, 0.03],
        "l2_sum_lambda": [0.0, 0.0001, 0.001, 0.01], "bias": [True], "batch_norm": [True], "device": "cpu",
        "parallel": {"per_device": workers, "threads": 1},
    }


def sweep(raw: dict, where: Path) -> tuple[int, float, str, dict[str, int], float, float]:
    where.mkdir(parents=True)
    cfg = validate_config(raw)
    t0 = time.perf_counter()
    run_sweep(cfg, raw, build_trials(cfg), where)
    wall = time.perf_counter() - t0
    log = read_events(where / store.EVENTS)
    statuses: dict[str, int] = {}
    epochs = 0
    for ev in log.events:
        if isinstance(ev, TrialFinished):
            statuses[ev.status] = statuses.get(ev.status, 0) + 1
            epochs += ev.epochs_done
    summary = store.summarize_run(where, log)
    completed = [r["test_acc_best"] for r in store.trial_rows(log, store.read_resolved(where)) if r["status"] == "completed"]
    return epochs, summary.best_test_acc, summary.best_label(), statuses, wall, max(completed, default=float("nan"))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--epochs", type=int, default=10)
    ap.add_argument("--method", default="asha")
    ap.add_argument("--metric", default="test_loss")
    ap.add_argument("--min-epochs", type=int, default=3)
    ap.add_argument("--workers", type=int, default=1)
    args = ap.parse_args()
    base = config(args.epochs, args.workers)
    pruned = {**base, "early_stop": {"method": args.method, "metric": args.metric, "min_epochs": args.min_epochs}}
    with tempfile.TemporaryDirectory() as tmp:
        full = sweep(base, Path(tmp) / "full")
        early = sweep(pruned, Path(tmp) / "early")
    for name, (epochs, best, who, statuses, wall, done) in (("full", full), (args.method, early)):
        print(f"{name:>9}: {epochs} epochs, best test accuracy {best * 100:.2f}% ({who}); "
              f"best of the trials that ran to the end {done * 100:.2f}%; {statuses}, {wall:.0f} s")
    saved = 1 - early[0] / full[0]
    print(f"epochs saved: {saved * 100:.1f}% (target >= 40%); best test accuracy {(early[1] - full[1]) * 100:+.2f} points "
          f"(target within 0.5)")


if __name__ == "__main__":
    main()
