"""Peak memory of a 6-trial sweep on CIFAR-size data (10k×3×32×32) against one trial:
the data is held once per run, so six trials must cost little more than one.

    python bench/memory.py
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def child(n_trials: int) -> None:
    sys.path.insert(0, str(ROOT))
    from sweepdeck.engine.config import validate_config
    from sweepdeck.engine.runner import run_sweep
    from sweepdeck.engine.trials import build_trials

    raw = {"dataset": {"name": "shapes", "n_train": 10_000, "n_test": 2_000}, "model": "underparameterized",
           "n_epochs": 1, "batchsize": 256, "lr": [0.01 / (i + 1) for i in range(n_trials)], "device": "cpu",
           "eval_train_set": True}
    cfg = validate_config(raw)
    run_dir = Path(tempfile.mkdtemp()) / "run"
    run_dir.mkdir()
    run_sweep(cfg, raw, build_trials(cfg), run_dir)
    print(json.dumps({"maxrss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))


def main() -> None:
    peaks = {}
    for n in (1, 6):
        out = subprocess.run([sys.executable, __file__, "--child", str(n)], capture_output=True, text=True, check=True,
                             env={**os.environ, "PYTHONPATH": str(ROOT)})
        peaks[n] = json.loads(out.stdout.strip().splitlines()[-1])["maxrss_mib"]
        print(f"{n} trial(s): peak RSS {peaks[n]:.0f} MiB")
    print(f"6 trials / 1 trial: {peaks[6] / peaks[1]:.2f}  (target <= 1.5)")


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--child":
        child(int(sys.argv[2]))
    else:
        main()
