"""The trainer's speed for each setting of `precision` (fp32, tf32, bf16), eager
and compiled (`compile`): seconds per epoch, training images per second, and the
one-off compile time, which the trainer reports apart from the epochs.

    python bench/gpu.py                       # CUDA when there is one: the paper's CNN, 10,000 / 2,000 images
    python bench/gpu.py --device cpu          # the small CPU version: tiny CNN, 512 / 128 images, seconds
    python bench/gpu.py --no-compile --epochs 2 --settings fp32,bf16 --rounds 3 --threads 1
    python bench/gpu.py --only parallel --per-device 1,2,4,8   # issue 11: trials sharing a GPU

An epoch is issue 9's work (weight normalisation g0 = 0.9, additive penalty,
AdamW, batch 64, evaluation of the whole training and test sets); its time is
steady state (end of epoch 1 to end of the last), so cuDNN's autotuning in the
first epoch is outside it. Settings run in turn in one process, `--rounds`
times (medians): compiled settings of the same model shape reuse one
compilation (as in a sweep), so the compile time of the first is the one that
counts.

Parallel trials (issue 11): a 16-trial grid of the paper's CNN on CIFAR-shaped
data (32x32x3) run as a whole sweep (runner, workers, event log) with
`parallel.per_device` = 1, 2, 4, 8 on one GPU, and with every GPU when there
are several: wall time and grid throughput (training images per second over
the sweep) and its ratio to per_device=1. On the CPU: the tiny CNN, 1 and 2
one-thread workers.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import torch  # noqa: E402

from sweepdeck.engine.config import validate_config  # noqa: E402
from sweepdeck.engine.data import load_dataset  # noqa: E402
from sweepdeck.engine.events import EpochMetrics, LogLine  # noqa: E402
from sweepdeck.engine.train import StopFlags, train_trial  # noqa: E402
from sweepdeck.engine.trials import build_trials  # noqa: E402

PRECISIONS = ("fp32", "tf32", "bf16")


def measure(raw: dict, data, device: torch.device) -> dict:
    """One trial of `raw`: steady-state s/epoch, compile seconds, and how it went."""
    cfg = validate_config(raw)
    trial = build_trials(cfg)[0]
    marks, notes, compile_s = [], [], None
    epochs: list[EpochMetrics] = []

    def emit(event) -> None:
        nonlocal compile_s
        if isinstance(event, EpochMetrics):
            marks.append(time.perf_counter())
            epochs.append(event)
        elif isinstance(event, LogLine):
            notes.append(event.message)
            found = re.match(r"compile: ([\d.]+) s", event.message)
            if found:
                compile_s = float(found.group(1))

    out = train_trial(trial, cfg, data, device, emit, StopFlags())
    if len(marks) >= 2:
        per_epoch = (marks[-1] - marks[0]) / (len(marks) - 1)
    else:
        per_epoch = epochs[0].epoch_time_s if epochs else float("nan")
    return {"status": out.status, "s_per_epoch": per_epoch, "compile_s": compile_s,
            "test_acc": epochs[-1].test_acc if epochs else None, "notes": notes}


def parallel_sweeps(device: torch.device, model: str, n_train: int, epochs: int, per_device: list[int]) -> list[dict]:
    """Wall time and grid throughput of one sweep per `per_device` (and all GPUs)."""
    import tempfile

    from sweepdeck.engine.runner import run_sweep

    on_gpu = device.type == "cuda"
    base = {"name": "gpu-parallel", "dataset": {"name": "shapes", "n_train": n_train, "n_test": n_train // 5},
            "model": model, "n_epochs": epochs, "batchsize": 64, "lr": [0.01, 0.003, 0.001, 0.0003],
            "l2_sum_lambda": [0.001, 0.0001], "l2_mul_lambda": [0.001, 0.0001], "device": str(device)}
    cfg0 = validate_config(base)
    n_trials = len(build_trials(cfg0))
    data = load_dataset(cfg0.dataset, "cpu")
    plans = [({"devices": [f"cuda:{device.index or 0}"] if on_gpu else ["cpu"], "per_device": n,
               **({} if on_gpu else {"threads": 1})}, f"per_device={n}") for n in per_device]
    if on_gpu and torch.cuda.device_count() > 1:
        plans += [({"devices": "auto", "per_device": n}, f"{torch.cuda.device_count()} GPUs, per_device={n}")
                  for n in per_device]
    print(f"\nparallel trials: {n_trials} trials x {epochs} epochs, model={model}, n_train={n_train}")
    print(f"{'workers':28s} {'wall s':>8s} {'images/s':>9s} {'vs 1':>6s}  statuses")
    rows = []
    for parallel, name in plans:
        raw = {**base, "parallel": parallel}
        cfg = validate_config(raw)
        with tempfile.TemporaryDirectory() as tmp:
            run_dir = Path(tmp) / "run"
            run_dir.mkdir()
            t0 = time.perf_counter()
            result = run_sweep(cfg, raw, build_trials(cfg), run_dir, data=data)
            wall = time.perf_counter() - t0
        images = n_trials * epochs * n_train
        row = {"workers": name, "wall_s": wall, "images_per_s": images / wall,
               "statuses": sorted(set(result.trial_status.values()))}
        row["vs_1"] = row["images_per_s"] / rows[0]["images_per_s"] if rows else 1.0
        rows.append(row)
        print(f"{name:28s} {wall:8.1f} {row['images_per_s']:9.0f} {row['vs_1']:5.2f}x  {','.join(row['statuses'])}", flush=True)
    return rows


def main(argv: list[str] | None = None) -> list[dict]:
    cuda = torch.cuda.is_available()
    ap = argparse.ArgumentParser()
    ap.add_argument("--device", default="cuda" if cuda else "cpu")
    ap.add_argument("--model", default=None, help="default: underparameterized on CUDA, tiny on CPU")
    ap.add_argument("--n-train", type=int, default=None, help="default: 10000 on CUDA, 512 on CPU")
    ap.add_argument("--epochs", type=int, default=3)
    ap.add_argument("--settings", default=",".join(PRECISIONS), help="precisions to run, comma-separated")
    ap.add_argument("--no-compile", action="store_true", help="eager only")
    ap.add_argument("--rounds", type=int, default=1, help="run every setting this many times, in turn (medians)")
    ap.add_argument("--threads", type=int, default=0, help="torch threads (0: torch's default)")
    ap.add_argument("--only", choices=["precision", "parallel"], help="one part only (default: both)")
    ap.add_argument("--per-device", default=None, help="parallel part: trials per device (default 1,2,4,8 on CUDA, 1,2 on CPU)")
    ap.add_argument("--parallel-epochs", type=int, default=2)
    args = ap.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    device = torch.device(args.device)
    on_gpu = device.type == "cuda"
    model = args.model or ("underparameterized" if on_gpu else "tiny")
    n_train = args.n_train or (10_000 if on_gpu else 512)

    torch.set_flush_denormal(True)  # as the runner does
    base = {"dataset": {"name": "shapes", "n_train": n_train, "n_test": n_train // 5}, "model": model,
            "n_epochs": args.epochs, "lr": [0.003], "batchsize": 64, "wn": [0.9], "l2_sum_lambda": [0.001],
            "l2_mul_lambda": [0], "device": str(device)}
    if args.only == "parallel":
        per_device = [int(n) for n in (args.per_device or ("1,2,4,8" if on_gpu else "1,2")).split(",")]
        return parallel_sweeps(device, model, n_train, args.parallel_epochs, per_device)
    data = load_dataset(validate_config(base).dataset, device)
    name = torch.cuda.get_device_name(device) if on_gpu else f"CPU, {os.cpu_count()} cores, {torch.get_num_threads()} threads"
    print(f"device={device} ({name}) torch={torch.__version__} model={model} n_train={n_train} "
          f"n_test={n_train // 5} epochs={args.epochs} rounds={args.rounds} load={os.getloadavg()[0]:.2f}")
    print(f"{'precision':9s} {'compile':7s} {'s/epoch':>8s} {'images/s':>9s} {'compile s':>9s} {'test acc':>8s}  status")
    settings = [(p, c) for p in args.settings.split(",") for c in ((False,) if args.no_compile else (False, True))]
    runs: dict[tuple, list[dict]] = {s: [] for s in settings}
    for _ in range(args.rounds):
        for precision, compiled in settings:
            runs[(precision, compiled)].append(measure({**base, "precision": precision, "compile": compiled}, data, device))
    rows = []
    for (precision, compiled), results in runs.items():
        r = {**results[0], "s_per_epoch": statistics.median(x["s_per_epoch"] for x in results)}
        r.update(precision=precision, compile=compiled, images_per_s=n_train / r["s_per_epoch"])
        rows.append(r)
        comp = f"{r['compile_s']:9.1f}" if r["compile_s"] is not None else f"{'-':>9s}"
        acc = f"{r['test_acc']:8.3f}" if r["test_acc"] is not None else f"{'-':>8s}"
        print(f"{precision:9s} {'yes' if compiled else 'no':7s} {r['s_per_epoch']:8.3f} {r['images_per_s']:9.0f} "
              f"{comp} {acc}  {r['status']}")
        for note in r["notes"]:
            if "unavailable" in note:
                print(f"          {note}")
    if args.only is None:
        per_device = [int(n) for n in (args.per_device or ("1,2,4,8" if on_gpu else "1,2")).split(",")]
        rows += parallel_sweeps(device, model, n_train, args.parallel_epochs, per_device)
    return rows


if __name__ == "__main__":
    main()
