"""Parallel trials on the CPU (issue 11): throughput, memory, and the cost of workers.

    python bench/parallel.py [throughput|memory|overhead|all] [--rounds 2]

bare: two training loops (4 epochs of the paper's CNN) in two 1-thread processes at
    once against one after the other in one 2-thread process, timed from after
    imports and data: what workers can gain on this machine without sweepdeck.
throughput: an 8-trial sweep of the paper's CNN, `per_device=2, threads=1`
    against `per_device=1, threads=2`, in interleaved rounds; each sweep is a
    whole `sweepdeck run` (process start, data, workers, training, tables).
    Prints the wall times and their ratio (the issue asks >= 1.5x on 2 cores).
memory: peak memory of a sweep on CIFAR-size data (50,000 + 10,000 images of
    3x32x32, 737 MB as float32) with 4 CPU workers against 1. Sampled every 0.1 s
    over the runner and all its descendants: the sum of PSS (each shared page
    divided among the processes that map it: the memory the sweep really takes)
    and, for comparison, the sum of RSS (which counts the shared dataset once per
    worker).
overhead: one worker against the sequential runner of an earlier commit
    (--base, the last one before workers), a whole `sweepdeck run` each, in
    interleaved rounds (the issue asks the new path >= 0.97x the old one).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ENV = {k: v for k, v in os.environ.items() if k != "OMP_NUM_THREADS"}

PAPER_SWEEP = {  # the paper's CNN on 2,000 images; 8 trials of 2 epochs
    "name": "bench", "dataset": {"name": "shapes", "n_train": 2000, "n_test": 500}, "model": "underparameterized",
    "n_epochs": 2, "batchsize": 64, "lr": [0.01, 0.003], "l2_sum_lambda": [0.001, 0.0001], "l2_mul_lambda": [0.001, 0.0001],
    "device": "cpu",
}


def sweep_seconds(raw: dict, cli: list[str], env: dict) -> float:
    """Wall time of one `run` of `raw` (without a report)."""
    with tempfile.TemporaryDirectory() as tmp:
        cfg = Path(tmp) / "c.json"
        cfg.write_text(json.dumps(raw))
        t0 = time.perf_counter()
        subprocess.run([*cli, "run", str(cfg), "--run-dir", str(Path(tmp) / "run"), "--no-report"], env=env,
                       check=True, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        return time.perf_counter() - t0


NEW_CLI = [sys.executable, "-P", "-m", "sweepdeck.engine.cli"]


def interleaved(rounds: int, sides: list[tuple[str, dict, list[str], dict]]) -> tuple[float, float, str]:
    """Two sides (name, config, cli, env) run in turn, the first one first in odd
    rounds: (median seconds of each, their per-round ratios second/first, sorted)."""
    times: dict[str, list[float]] = {name: [] for name, *_ in sides}
    for r in range(rounds):
        for name, raw, cli, env in sides[:: 1 if r % 2 == 0 else -1]:
            times[name].append(sweep_seconds(raw, cli, env))
            print(f"  round {r + 1}: {name}: {times[name][-1]:.1f} s", flush=True)
    a, b = (statistics.median(v) for v in times.values())
    ratios = sorted(y / x for x, y in zip(*times.values()))
    return a, b, f"per-round ratios {', '.join(f'{r:.2f}' for r in ratios)} (median {statistics.median(ratios):.2f}x)"


def throughput(rounds: int) -> None:
    n = len(PAPER_SWEEP["lr"]) * (len(PAPER_SWEEP["l2_sum_lambda"]) + len(PAPER_SWEEP["l2_mul_lambda"]))
    two = {**PAPER_SWEEP, "parallel": {"per_device": 2, "threads": 1}}
    one = {**PAPER_SWEEP, "parallel": {"per_device": 1, "threads": 2}}
    a, b, per_round = interleaved(rounds, [("2 workers x 1 thread", two, NEW_CLI, ENV),
                                           ("1 worker x 2 threads", one, NEW_CLI, ENV)])
    print(f"throughput ({n} trials): 2x1 {a:.1f} s, 1x2 {b:.1f} s (medians of {rounds}): ratio {b / a:.2f}x; {per_round}")


# --- the bound: bare training loops -------------------------------------------------------------

BARE_LOOP = """
import sys, time, torch
from sweepdeck.engine.config import validate_config
from sweepdeck.engine.data import load_dataset
from sweepdeck.engine.train import StopFlags, train_trial
from sweepdeck.engine.trials import build_trials
torch.set_num_threads(int(sys.argv[1])); torch.set_flush_denormal(True)
cfg = validate_config({"dataset": {"name": "shapes", "n_train": 2000, "n_test": 500}, "n_epochs": 4, "device": "cpu",
                       "l2_sum_lambda": [0.001], "model": "underparameterized"})
data = load_dataset(cfg.dataset, "cpu")
input()  # start together
t0 = time.perf_counter()
for _ in range(int(sys.argv[2])):
    train_trial(build_trials(cfg)[0], cfg, data, torch.device("cpu"), lambda e: None, StopFlags())
print(time.perf_counter() - t0)
"""


def bare(rounds: int) -> None:
    """Two trials' training loops without sweepdeck around them: in two 1-thread
    processes at once, against one after the other in one 2-thread process (the
    issue's 1.67x). Data and imports are ready before the clock starts."""
    def loops(threads: int, together: bool) -> float:
        procs = [subprocess.Popen([sys.executable, "-c", BARE_LOOP, str(threads), "1" if together else "2"], env=ENV,
                                  stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
                 for _ in range(2 if together else 1)]
        time.sleep(8)  # imports and data
        t0 = time.perf_counter()
        for p in procs:
            p.stdin.write("\n")
            p.stdin.flush()
        for p in procs:
            p.communicate()
        return time.perf_counter() - t0

    ratios = []
    for r in range(rounds):
        parallel = loops(1, together=True)
        sequential = loops(2, together=False)
        ratios.append(sequential / parallel)
        print(f"  round {r + 1}: two 1-thread loops at once {parallel:.1f} s, one after the other with 2 threads "
              f"{sequential:.1f} s: {ratios[-1]:.2f}x", flush=True)
    print(f"bare loops: {statistics.median(ratios):.2f}x (median of {rounds})")


# --- memory ---------------------------------------------------------------------------------

def _descendants(pid: int) -> list[tuple[int, int]]:
    """(pid, depth) of `pid` and every process below it."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as fh:
                    ppid = int(fh.read().rsplit(")", 1)[1].split()[1])
            except (OSError, ValueError, IndexError):
                continue
            children.setdefault(ppid, []).append(int(entry))
    out, todo = [], [(pid, 0)]
    while todo:
        p, depth = todo.pop()
        out.append((p, depth))
        todo.extend((c, depth + 1) for c in children.get(p, []))
    return out


def _rollup(pid: int) -> tuple[int, int]:
    """(RSS, PSS) of one process in KiB; zeros when it is gone."""
    rss = pss = 0
    try:
        with open(f"/proc/{pid}/smaps_rollup") as fh:
            for line in fh:
                if line.startswith("Rss:"):
                    rss = int(line.split()[1])
                elif line.startswith("Pss:"):
                    pss = int(line.split()[1])
    except OSError:
        pass
    return rss, pss


def peak_memory(raw: dict) -> dict[str, float]:
    """Peak sums of PSS and RSS (GiB) over a `sweepdeck run` and its descendants:
    over the whole run, and while training (once workers, the forkserver's
    children, exist; loading the data peaks before that)."""
    with tempfile.TemporaryDirectory() as tmp:
        cfg = Path(tmp) / "c.json"
        cfg.write_text(json.dumps(raw))
        proc = subprocess.Popen([*NEW_CLI, "run", str(cfg), "--run-dir", str(Path(tmp) / "run"), "--no-report"],
                                env=ENV, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        peak = {"pss": 0, "rss": 0, "training pss": 0, "training rss": 0}
        while proc.poll() is None:
            rss = pss = 0
            procs = _descendants(proc.pid)
            for pid, _ in procs:
                r, p = _rollup(pid)
                rss, pss = rss + r, pss + p
            peak["pss"], peak["rss"] = max(peak["pss"], pss), max(peak["rss"], rss)
            if any(depth >= 2 for _, depth in procs):  # runner -> forkserver -> workers
                peak["training pss"] = max(peak["training pss"], pss)
                peak["training rss"] = max(peak["training rss"], rss)
            time.sleep(0.1)
        if proc.returncode != 0:
            raise SystemExit(f"the sweep failed with exit code {proc.returncode}")
    return {k: v / 2**20 for k, v in peak.items()}


def memory() -> None:
    base = {"name": "mem", "dataset": {"name": "shapes", "n_train": 50_000, "n_test": 10_000}, "model": "tiny",
            "n_epochs": 1, "batchsize": 256, "lr": [0.01, 0.02, 0.03, 0.04], "device": "cpu", "eval_train_set": False}
    results = {}
    for workers in (1, 4):
        raw = {**base, "parallel": {"per_device": workers, "threads": 1}}
        results[workers] = peak_memory(raw)
        print(f"  {workers} worker(s): " + ", ".join(f"peak {k} {v:.2f} GiB" for k, v in results[workers].items()), flush=True)
    print("memory (CIFAR-size data, 4 trials): 4 workers / 1 worker: " +
          ", ".join(f"{k} {results[4][k] / results[1][k]:.2f}x" for k in results[1]))


# --- overhead ---------------------------------------------------------------------------------

OLD_RUNNER = """
import runpy, sys
# The installed (editable) sweepdeck points at this checkout; drop its finder so
# `sweepdeck` comes from the old tree first on sys.path.
sys.meta_path[:] = [f for f in sys.meta_path if not getattr(f, "__module__", "").startswith("__editable__")]
sys.argv[0] = "sweepdeck"
runpy.run_module("sweepdeck.engine.cli", run_name="__main__")
"""


def old_tree(rev: str) -> Path:
    """`rev`'s tree laid out as the installed package would be (sweepdeck/engine, ...)."""
    dest = Path(tempfile.mkdtemp(prefix=f"sweepdeck-{rev}-"))
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", rev], check=True, capture_output=True).stdout
    (dest / "tree.tar").write_bytes(archive)
    with tarfile.open(dest / "tree.tar") as tar:
        tar.extractall(dest / "tree", filter="data")
    pkg = dest / "site" / "sweepdeck"
    pkg.mkdir(parents=True)
    for name in ("__init__.py", "__main__.py"):
        (pkg / name).write_text((dest / "tree" / "package" / name).read_text())
    for part in ("engine", "tui", "prompts"):
        (pkg / part).symlink_to(dest / "tree" / part)
    return dest / "site"


def overhead(rounds: int, base: str) -> None:
    site = old_tree(base)
    old_cli = [sys.executable, "-P", "-c", OLD_RUNNER]
    old_env = {**ENV, "PYTHONPATH": str(site)}
    raw = {**PAPER_SWEEP, "lr": [0.01], "l2_mul_lambda": [0.001], "n_epochs": 3}  # 3 trials of 3 epochs
    new_raw = {**raw, "parallel": {"per_device": 1}}
    new, old, per_round = interleaved(rounds, [("new, 1 worker", new_raw, NEW_CLI, ENV),
                                               (f"old ({base})", raw, old_cli, old_env)])
    print(f"overhead: new {new:.1f} s, old {old:.1f} s (medians of {rounds}): new path {old / new:.2f}x the old one's speed; "
          f"{per_round}")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("what", nargs="?", default="all", choices=["throughput", "bare", "memory", "overhead", "all"])
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--base", default="a6d5e8c", help="the commit with the sequential runner (overhead)")
    args = ap.parse_args()
    print(f"cores: {len(os.sched_getaffinity(0))}, python {sys.version.split()[0]}", flush=True)
    if args.what in ("throughput", "all"):
        throughput(args.rounds)
    if args.what in ("bare", "all"):
        bare(args.rounds)
    if args.what in ("memory", "all"):
        memory()
    if args.what in ("overhead", "all"):
        overhead(args.rounds, args.base)


if __name__ == "__main__":
    main()
