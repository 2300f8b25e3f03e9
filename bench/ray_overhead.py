"""What the Ray backend costs (issue 12): the same 8-trial tiny sweep on the local
backend (2 worker processes, 1 thread each) and on a Ray cluster of two 1-CPU
"nodes" in this machine (ray.cluster_utils.Cluster; 2 actors, 1 thread each).

    python bench/ray_overhead.py [--rounds 3]

The cluster is started once, before the rounds ("once the cluster is up": a real
cluster outlives its sweeps); every sweep, local or Ray, starts its own workers,
as `sweepdeck run` does. Rounds alternate local and Ray so that load on the
machine hits both alike. Prints each wall time, the Ray sweep's extra seconds per
trial ((ray - local) / trials) and the ratio of wall times (the throughput of the
2 Ray nodes against the 2 local workers). Needs `pip install 'sweepdeck[ray]'`.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

TINY8 = {  # the tests' tiny sweep (tests/conftest.py tiny_raw), 8 trials of 3 epochs
    "name": "bench", "dataset": {"name": "shapes", "n_train": 256, "n_test": 128}, "model": "tiny",
    "n_epochs": 3, "batchsize": [32, 64], "lr": [0.01, 0.02], "seed": [1, 2], "device": "cpu",
}
LOCAL = {"per_device": 2, "threads": 1}
ON_RAY = {"backend": "ray", "per_device": 2, "threads": 1}


def sweep_seconds(raw: dict) -> tuple[float, int]:
    from sweepdeck.engine.config import validate_config
    from sweepdeck.engine.runner import run_sweep
    from sweepdeck.engine.trials import build_trials

    cfg = validate_config(raw)
    trials = build_trials(cfg)
    with tempfile.TemporaryDirectory() as tmp:
        run_dir = Path(tmp) / "run"
        run_dir.mkdir()
        t0 = time.perf_counter()
        result = run_sweep(cfg, raw, trials, run_dir)
        seconds = time.perf_counter() - t0
    assert result.status == "completed", result
    return seconds, len(trials)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()

    import ray
    from ray.cluster_utils import Cluster

    t0 = time.perf_counter()
    cluster = Cluster(initialize_head=True, head_node_args={"num_cpus": 0, "include_dashboard": False})
    for _ in range(2):
        cluster.add_node(num_cpus=1)
    cluster.wait_for_nodes()
    ray.init(address=cluster.address)
    print(f"cluster of 2 x 1 CPU up in {time.perf_counter() - t0:.1f} s", flush=True)
    try:
        local, on_ray = [], []
        n = 0
        for i in range(args.rounds):
            seconds, n = sweep_seconds({**TINY8, "parallel": LOCAL})
            local.append(seconds)
            seconds, n = sweep_seconds({**TINY8, "parallel": ON_RAY})
            on_ray.append(seconds)
            print(f"round {i + 1}: local {local[-1]:.2f} s, ray {on_ray[-1]:.2f} s ({n} trials)", flush=True)
    finally:
        ray.shutdown()
        cluster.shutdown()
    med_local, med_ray = statistics.median(local), statistics.median(on_ray)
    print(f"median: local {med_local:.2f} s, ray {med_ray:.2f} s; ray - local = {(med_ray - med_local) / n:.2f} s "
          f"per trial; ray / local = {med_ray / med_local:.2f}x wall time")


if __name__ == "__main__":
    main()
