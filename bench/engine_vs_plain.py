"""Epoch throughput of sweepdeck's trainer against a minimal hand-written PyTorch loop
doing the same work (same model, data, batch size, optimiser, schedule and
evaluation passes), in one process, interleaved so both see the same machine.
Also: the cost of the per-epoch checkpoint.

    python bench/engine_vs_plain.py [--n-train 4000] [--epochs 3] [--rounds 3]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402

from sweepdeck.engine.config import validate_config  # noqa: E402
from sweepdeck.engine.data import load_dataset  # noqa: E402
from sweepdeck.engine.train import StopFlags, build_trial_model, seed_everything, train_trial  # noqa: E402
from sweepdeck.engine.trials import build_trials  # noqa: E402


def plain_loop(model, data, epochs: int, bs: int, lr: float, lr_min: float, epoch_done) -> None:
    """What a researcher would write by hand: the reference."""
    opt = torch.optim.AdamW(model.parameters(), lr=lr)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=epochs, eta_min=lr_min)
    x, y, n = data.x_train, data.y_train, len(data.x_train)
    for epoch in range(epochs):
        model.train()
        perm = torch.randperm(n)
        for i in range(0, n, bs):
            idx = perm[i:i + bs]
            loss = F.mse_loss(model(x[idx]).squeeze(1), y[idx])
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
        sched.step()
        model.eval()
        with torch.no_grad():  # the same two evaluation passes the engine makes
            for xs, ys in ((data.x_train, data.y_train), (data.x_test, data.y_test)):
                for i in range(0, len(xs), 1024):
                    out = model(xs[i:i + 1024]).squeeze(1)
                    F.mse_loss(out, ys[i:i + 1024], reduction="sum").item()
                    ((out > 0).float() * 2 - 1 == ys[i:i + 1024]).sum().item()
        epoch_done()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n-train", type=int, default=4000)
    ap.add_argument("--epochs", type=int, default=3)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--model", default="underparameterized")
    ap.add_argument("--device", default="cpu")
    args = ap.parse_args()

    torch.set_flush_denormal(True)
    raw = {"dataset": {"name": "shapes", "n_train": args.n_train, "n_test": args.n_train // 5}, "model": args.model,
           "n_epochs": args.epochs, "lr": [0.003], "batchsize": 64, "wn": [None], "bias": [True], "batch_norm": [True],
           "device": args.device}
    cfg = validate_config(raw)
    trial = build_trials(cfg)[0]
    device = torch.device(args.device)
    data = load_dataset(cfg.dataset, device)
    tmp = Path(tempfile.mkdtemp())

    # Steady-state epoch time: from the end of the first epoch to the end of the
    # last, so model construction and the once-per-trial end work (margin, ranks:
    # SPEC work the plain loop lacks) are outside, and every counted engine epoch
    # includes its checkpoint when one is written.
    def per_epoch(marks: list[float]) -> float:
        return (marks[-1] - marks[0]) / (len(marks) - 1)

    def engine(checkpoint: bool) -> float:
        marks: list[float] = []
        train_trial(trial, cfg, data, device, lambda e: marks.append(time.perf_counter()),
                    StopFlags(), tmp / "ck.pt" if checkpoint else None)
        return per_epoch(marks)

    def plain() -> float:
        seed_everything(trial.params.seed)
        model = build_trial_model(cfg, trial, data).to(device)
        marks: list[float] = []
        plain_loop(model, data, args.epochs, 64, 0.003, cfg.lr_min, lambda: marks.append(time.perf_counter()))
        return per_epoch(marks)

    # On a shared machine other processes only ever add time: the minimum over
    # interleaved rounds is the least disturbed measurement of each.

    times: dict[str, list[float]] = {"plain": [], "engine": [], "engine+ckpt": []}
    engine(False)  # warm-up
    for _ in range(args.rounds):
        times["plain"].append(plain())
        times["engine"].append(engine(False))
        times["engine+ckpt"].append(engine(True))
    med = {k: min(v) for k, v in times.items()}
    print(f"device={device} threads={torch.get_num_threads()} torch={torch.__version__} model={args.model} "
          f"n_train={args.n_train} epochs={args.epochs} rounds={args.rounds}")
    for k, v in med.items():
        print(f"{k:12s} {v:7.3f} s/epoch (min)  ({args.n_train / v:6.0f} train images/s)  all: {[round(t, 3) for t in times[k]]}")
    print(f"engine throughput / plain loop: {med['plain'] / med['engine']:.3f}  (target >= 0.95)")
    print(f"checkpoint overhead per epoch: {med['engine+ckpt'] / med['engine'] - 1:+.1%}  (target <= 3%)")


if __name__ == "__main__":
    main()
