"""TPE against the grid on an objective whose optimum is known, and what sampling costs.

    python bench/search_tpe.py [--seeds 11] [--overhead 100,1000] [--peak -2.5,-3.5]

The objective stands in for a sweep's final test accuracy: a smooth bowl in
log10(lr) and log10(λ) with its peak between grid points, and a lower plateau for
No_Regularization. The grid is the paper's way: 8 learning rates × (8 additive
weights + 0) = 72 trials. TPE (engine/search.py's Proposer, as the runner drives
it: trial k sees trials 0..k-1) searches the same box as ranges; the bench counts
the trials it needs to reach the grid's best value, per seed, and reports the
median. Then the time per proposal (tell + reseed + ask + suggest) at the 100th
and the 1000th trial.
"""

from __future__ import annotations

import argparse
import math
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sweepdeck.engine.config import validate_config  # noqa: E402
from sweepdeck.engine.search import Proposer, Record  # noqa: E402
from sweepdeck.engine.trials import build_trials  # noqa: E402

LR = [10 ** (-4 + i * 3 / 7) for i in range(8)]  # 1e-4 .. 1e-1
SUM = [10 ** (-5 + i * 3 / 7) for i in range(8)]  # 1e-5 .. 1e-2
PEAK_LR, PEAK_SUM = -2.5, -3.5  # log10: half-way between grid points in both, as a real optimum would be anywhere


def objective(p) -> float:
    lr_term = (math.log10(p.lr) - PEAK_LR) ** 2
    if p.exp_type == "Summation":
        return 0.95 - 0.05 * (lr_term + (math.log10(p.l2_sum_lambda) - PEAK_SUM) ** 2)
    return 0.85 - 0.05 * lr_term  # no penalty: a lower plateau


def grid_best() -> tuple[float, int]:
    cfg = validate_config({"lr": LR, "l2_sum_lambda": [0.0, *SUM]})
    trials = build_trials(cfg)
    return max(objective(t.params) for t in trials), len(trials)


def tpe_trials_to_reach(target: float, seed: int, budget: int) -> int:
    cfg = validate_config({"lr": {"low": LR[0], "high": LR[-1], "log": True},
                           "l2_sum_lambda": {"low": SUM[0], "high": SUM[-1], "log": True},
                           "search": {"method": "tpe", "n_trials": budget, "seed": seed}})
    proposer, records = Proposer(cfg, 1), {}
    for k in range(budget):
        params = proposer.propose(k, records)
        value = objective(params)
        if value >= target:
            return k + 1
        records[k] = Record(index=k, status="completed", params=params.model_dump(mode="json"),
                            curve={1: {"test_acc": value}})
    return budget + 1  # not reached within the budget


def overhead_ms(n: int, method: str = "tpe") -> tuple[float, float]:
    """Mean ms per proposal over the first 10% of n trials and over the last 10%."""
    cfg = validate_config({"lr": {"low": LR[0], "high": LR[-1], "log": True},
                           "l2_sum_lambda": {"low": SUM[0], "high": SUM[-1], "log": True},
                           "search": {"method": method, "n_trials": n, "seed": 0}})
    proposer, records, times = Proposer(cfg, 1), {}, []
    for k in range(n):
        t0 = time.perf_counter()
        params = proposer.propose(k, records)
        times.append(time.perf_counter() - t0)
        records[k] = Record(index=k, status="completed", params=params.model_dump(mode="json"),
                            curve={1: {"test_acc": objective(params)}})
    tenth = max(1, n // 10)
    return 1000 * statistics.mean(times[:tenth]), 1000 * statistics.mean(times[-tenth:])


def main() -> None:
    global PEAK_LR, PEAK_SUM
    ap = argparse.ArgumentParser()
    ap.add_argument("--seeds", type=int, default=11)
    ap.add_argument("--overhead", default="100,1000")
    ap.add_argument("--peak", default=f"{PEAK_LR},{PEAK_SUM}", help="log10 of the optimum's lr and λ (a grid point is lucky for the grid)")
    args = ap.parse_args()
    PEAK_LR, PEAK_SUM = (float(x) for x in args.peak.split(","))
    best, n_grid = grid_best()
    print(f"grid: {n_grid} trials, best value {best:.4f}")
    counts = [tpe_trials_to_reach(best, seed, n_grid) for seed in range(args.seeds)]
    median = statistics.median(counts)
    print(f"TPE trials to reach the grid's best, per seed: {counts}")
    print(f"median {median:g} trials: {n_grid / median:.1f}x fewer than the grid (target >= 3x)")
    for n in (int(x) for x in args.overhead.split(",") if x):
        t0 = time.perf_counter()
        first, last = overhead_ms(n)
        print(f"TPE, {n} trials: {first:.1f} ms per proposal over the first tenth, {last:.1f} ms over the last tenth "
              f"({time.perf_counter() - t0:.1f} s in all)")
    first, last = overhead_ms(100, "random")
    print(f"random, 100 trials: {first:.2f} / {last:.2f} ms per proposal")


if __name__ == "__main__":
    main()
