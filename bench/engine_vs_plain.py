"""Epoch throughput of sweepdeck's trainer against a *tuned* hand-written PyTorch
loop doing the same work, in one process, in interleaved rounds; also the cost of
the per-epoch checkpoint and of the once-per-trial work (SPEC §7's margin and
ranks, saving the weights).

The work (issue 9's configuration): the paper's CNN (underparameterized) with
weight normalisation g0 = 0.9 and the additive penalty (f_out), AdamW, batch 64,
cosine schedule, and per epoch a pass over the whole training set and the test
set in eval mode (loss, accuracy, confusion matrix), the layer norms and rho.
The reference loop does it the fastest way we know by hand: channels_last model
and data, evaluation in batches of 256 under inference_mode with each
weight-normalised weight computed once per pass, scalars read once per epoch.

    python bench/engine_vs_plain.py [--n-train 4000] [--epochs 3] [--rounds 5] [--threads N]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402
from torch.nn.utils import parametrize  # noqa: E402

from sweepdeck.engine.config import validate_config  # noqa: E402
from sweepdeck.engine.data import load_dataset  # noqa: E402
from sweepdeck.engine.models import layer_gain, weight_layers  # noqa: E402
from sweepdeck.engine.runner import _state_bytes  # noqa: E402
from sweepdeck.engine.store import write_bytes_atomic  # noqa: E402
from sweepdeck.engine.train import StopFlags, build_trial_model, numerical_ranks, seed_everything, train_trial, unit_norm_margin  # noqa: E402
from sweepdeck.engine.trials import build_trials  # noqa: E402

LAMBDA, LR, BATCH, G0 = 0.001, 0.003, 64, 0.9


def issue9_config(n_train: int, epochs: int) -> dict:
    return {"dataset": {"name": "shapes", "n_train": n_train, "n_test": n_train // 4}, "model": "underparameterized",
            "n_epochs": epochs, "lr": [LR], "batchsize": BATCH, "wn": [G0], "l2_sum_lambda": [LAMBDA],
            "l2_mul_lambda": [0], "features_normalization": ["f_out"], "device": "cpu"}


def tuned_loop(model, data, epochs: int, lr_min: float, epoch_done) -> None:
    """What a careful researcher writes by hand: the reference."""
    cl = torch.channels_last
    model = model.to(memory_format=cl)
    x_tr, x_te = data.x_train.contiguous(memory_format=cl), data.x_test.contiguous(memory_format=cl)
    y_tr, y_te = data.y_train, data.y_test
    layers = weight_layers(model)
    gains = [layer_gain(l) for l in layers]
    fan_out = torch.tensor([float(l.weight.shape[0]) for l in layers])
    opt = torch.optim.AdamW(model.parameters(), lr=LR)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=epochs, eta_min=min(lr_min, LR))
    n = len(x_tr)
    for epoch in range(epochs):
        model.train()
        perm = torch.randperm(n)
        sums = torch.zeros(2)
        for i in range(0, n, BATCH):
            idx = perm[i:i + BATCH]
            loss_data = F.mse_loss(model(x_tr[idx]).squeeze(1), y_tr[idx])
            penalty = LAMBDA * (torch.stack(gains).square() / fan_out).sum()
            opt.zero_grad(set_to_none=True)
            (loss_data + penalty).backward()
            opt.step()
            sums += torch.stack([loss_data.detach(), penalty.detach()])
        sched.step()
        model.eval()
        with torch.inference_mode(), parametrize.cached():
            for xs, ys in ((x_tr, y_tr), (x_te, y_te)):
                loss_sum, conf = torch.zeros(()), torch.zeros(4, dtype=torch.long)
                for i in range(0, len(xs), 256):
                    out, yb = model(xs[i:i + 256]).squeeze(1), ys[i:i + 256]
                    loss_sum += F.mse_loss(out, yb, reduction="sum")
                    conf.index_add_(0, (yb > 0).long() * 2 + (out > 0).long(), torch.ones(len(yb), dtype=torch.long))
                conf.tolist(), float(loss_sum)
            g = torch.stack(gains)
            g.abs().tolist(), float((g.square() / fan_out).prod().sqrt())  # layer norms, rho
        sums.tolist()
        epoch_done()


def per_epoch(marks: list[float]) -> float:
    """Steady-state epoch time: end of epoch 1 to end of the last, so model
    construction and the once-per-trial work are outside."""
    return (marks[-1] - marks[0]) / (len(marks) - 1)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n-train", type=int, default=4000)
    ap.add_argument("--epochs", type=int, default=3)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--threads", type=int, default=0, help="torch threads (0: torch's default)")
    args = ap.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)

    torch.set_flush_denormal(True)  # as the runner does
    raw = issue9_config(args.n_train, args.epochs)
    cfg = validate_config(raw)
    trial = build_trials(cfg)[0]
    device = torch.device("cpu")
    data = load_dataset(cfg.dataset, device)
    tmp = Path(tempfile.mkdtemp())
    last: dict = {}

    def engine(checkpoint: bool) -> float:
        marks: list[float] = []
        out = train_trial(trial, cfg, data, device, lambda e: marks.append(time.perf_counter()),
                          StopFlags(), tmp / "ck.pt" if checkpoint else None)
        last["model"] = out.model
        return per_epoch(marks)

    def tuned() -> float:
        seed_everything(trial.params.seed)
        model = build_trial_model(cfg, trial, data)
        marks: list[float] = []
        tuned_loop(model, data, args.epochs, cfg.lr_min, lambda: marks.append(time.perf_counter()))
        return per_epoch(marks)

    times: dict[str, list[float]] = {"tuned loop": [], "engine": [], "engine+ckpt": []}
    engine(False)  # warm-up
    for _ in range(args.rounds):
        times["tuned loop"].append(tuned())
        times["engine"].append(engine(False))
        times["engine+ckpt"].append(engine(True))
    med = {k: statistics.median(v) for k, v in times.items()}
    ratio = statistics.median(t / e for t, e in zip(times["tuned loop"], times["engine"]))
    ckpt = statistics.median(c / e for c, e in zip(times["engine+ckpt"], times["engine"]))

    # Once per trial: the margin, the ranks, the weights file (median of 5).
    model = last["model"]
    once = {"margin": [], "ranks": [], "weights.pt": []}
    for _ in range(5):
        t0 = time.perf_counter()
        unit_norm_margin(model, data.x_train, data.y_train, True)
        t1 = time.perf_counter()
        numerical_ranks(model)
        t2 = time.perf_counter()
        write_bytes_atomic(tmp / "weights.pt", _state_bytes(model))
        t3 = time.perf_counter()
        for k, v in zip(once, (t1 - t0, t2 - t1, t3 - t2)):
            once[k].append(v)
    once_med = {k: statistics.median(v) for k, v in once.items()}
    once_total = sum(once_med.values())

    print(f"device={device} threads={torch.get_num_threads()} torch={torch.__version__} n_train={args.n_train} "
          f"n_test={args.n_train // 4} epochs={args.epochs} rounds={args.rounds} load={os.getloadavg()[0]:.2f}")
    for k, v in med.items():
        print(f"{k:12s} {v:7.3f} s/epoch (median)  ({args.n_train / v:6.0f} train images/s)  all: {[round(t, 3) for t in times[k]]}")
    print(f"engine throughput / tuned loop: {ratio:.3f}  (median of per-round ratios; target >= 0.95)")
    print(f"checkpoint overhead per epoch: {ckpt - 1:+.1%}  (target <= 3%)")
    print("once per trial: " + ", ".join(f"{k} {v * 1000:.0f} ms" for k, v in once_med.items())
          + f"; total {once_total:.2f} s = {once_total / med['engine']:.2f} epochs "
          f"({once_total / (med['engine'] * 25):.1%} of a 25-epoch trial, {once_total / (med['engine'] * 250):.2%} of 250)")


if __name__ == "__main__":
    main()
