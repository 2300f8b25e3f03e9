"""Epoch time of this checkout's trainer against an earlier commit's, on issue 9's
configuration (see engine_vs_plain.py), in interleaved rounds.

Each version runs in its own worker process (its own `engine` package on
sys.path, its own data load); the parent tells them in turn to train one trial
and collects the steady-state seconds per epoch, so both see the same machine.

    python bench/engine_vs_previous.py [--base b806931] [--n-train 4000] [--epochs 3] [--rounds 5] [--threads N]
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parents[1]


def worker(root: str, raw: dict, threads: int) -> None:
    """Train one trial per line read from stdin; print its seconds per epoch."""
    sys.path.insert(0, root)
    import torch

    if threads:
        torch.set_num_threads(threads)

    # Checkouts since the package rename import as sweepdeck.engine (the installed
    # package); earlier ones as a top-level `engine` from their own tree.
    pkg = "sweepdeck.engine" if (Path(root) / "package").is_dir() else "engine"
    validate_config = importlib.import_module(f"{pkg}.config").validate_config
    load_dataset = importlib.import_module(f"{pkg}.data").load_dataset
    train = importlib.import_module(f"{pkg}.train")
    StopFlags, train_trial = train.StopFlags, train.train_trial
    build_trials = importlib.import_module(f"{pkg}.trials").build_trials

    torch.set_flush_denormal(True)  # as the runner does
    cfg = validate_config(raw)
    trial = build_trials(cfg)[0]
    data = load_dataset(cfg.dataset, "cpu")
    for _ in sys.stdin:
        marks: list[float] = []
        train_trial(trial, cfg, data, torch.device("cpu"), lambda e: marks.append(time.perf_counter()), StopFlags())
        print(json.dumps({"s_per_epoch": (marks[-1] - marks[0]) / (len(marks) - 1)}), flush=True)


def checkout(rev: str) -> Path:
    """The tree of `rev` in a temporary folder (git archive: no worktree registered)."""
    dest = Path(tempfile.mkdtemp(prefix=f"sweepdeck-{rev}-"))
    archive = subprocess.run(["git", "-C", str(HERE), "archive", rev], check=True, capture_output=True).stdout
    tar = dest / "tree.tar"
    tar.write_bytes(archive)
    with tarfile.open(tar) as tf:
        tf.extractall(dest, filter="data")
    return dest


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--base", default="b806931", help="the earlier commit")
    ap.add_argument("--n-train", type=int, default=4000)
    ap.add_argument("--epochs", type=int, default=3)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--threads", type=int, default=0, help="torch threads in each worker (0: torch's default)")
    ap.add_argument("--worker", nargs=2, metavar=("ROOT", "CONFIG_JSON"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.worker:
        return worker(args.worker[0], json.loads(args.worker[1]), args.threads)

    sys.path.insert(0, str(HERE))
    from bench.engine_vs_plain import issue9_config

    raw = json.dumps(issue9_config(args.n_train, args.epochs))
    roots = {args.base: checkout(args.base), "this checkout": HERE}
    procs = {name: subprocess.Popen([sys.executable, __file__, "--worker", str(root), raw, "--threads", str(args.threads)], cwd=root,
                                    stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
             for name, root in roots.items()}

    def run(name: str) -> float:
        proc = procs[name]
        proc.stdin.write("go\n")
        proc.stdin.flush()
        return json.loads(proc.stdout.readline())["s_per_epoch"]

    times: dict[str, list[float]] = {name: [] for name in procs}
    for name in procs:  # warm-up
        run(name)
    for _ in range(args.rounds):
        for name in procs:
            times[name].append(run(name))
    for proc in procs.values():
        proc.stdin.close()
        proc.wait()
    speedup = statistics.median(old / new for old, new in zip(times[args.base], times["this checkout"]))
    print(f"cores={os.cpu_count()} threads={args.threads or 'default'} n_train={args.n_train} n_test={args.n_train // 4} epochs={args.epochs} "
          f"rounds={args.rounds} load={os.getloadavg()[0]:.2f}")
    for name, v in times.items():
        print(f"{name:14s} {statistics.median(v):7.3f} s/epoch (median)  all: {[round(t, 3) for t in v]}")
    print(f"this checkout is {speedup:.2f}x as fast as {args.base} (median of per-round ratios; target >= 1.6)")


if __name__ == "__main__":
    main()
