"""Where the engine's CPU choices come from (issue 9): memory layout (NCHW or
channels_last) for a training pass, and layout × batch size for an evaluation
pass, per CNN of SPEC §4, in interleaved rounds (median of each; ratios are to
the first row of each table).

    python bench/cpu_layouts.py [--models tiny,underparameterized,overparameterized] [--n 1024] [--rounds 5] [--threads N]

Training: batches of 64, AdamW, weight normalisation g0 = 0.9 (the setting whose
evaluation `parametrize.cached()` speeds up). Evaluation: inference_mode and
`parametrize.cached()`, and, as the previous engine did it, no_grad in batches of
1024 in NCHW.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402
from torch.nn.utils import parametrize  # noqa: E402

from sweepdeck.engine.models import build_model  # noqa: E402

CL, NCHW = torch.channels_last, torch.contiguous_format


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--models", default="tiny,underparameterized,overparameterized")
    ap.add_argument("--n", type=int, default=1024, help="images per pass")
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--threads", type=int, default=0, help="torch threads (0: torch's default)")
    args = ap.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    torch.set_flush_denormal(True)
    gen = torch.Generator().manual_seed(0)
    x = torch.randn(args.n, 3, 32, 32, generator=gen)
    y = torch.randn(args.n, generator=gen).sign()
    images = {NCHW: x, CL: x.contiguous(memory_format=CL)}
    print(f"threads={torch.get_num_threads()} torch={torch.__version__} n={args.n} rounds={args.rounds} "
          f"load={os.getloadavg()[0]:.2f}")

    for name in args.models.split(","):
        def model(layout):
            torch.manual_seed(0)
            m = build_model(name, in_channels=3, n_outputs=1, image_size=32, bias=False, batch_norm=False, wn=0.9)
            return m.to(memory_format=layout)

        def train_pass(layout):
            m, xs = model(layout), images[layout]
            opt = torch.optim.AdamW(m.parameters(), lr=0.003)
            t0 = time.perf_counter()
            for i in range(0, len(xs), 64):
                loss = F.mse_loss(m(xs[i:i + 64]).squeeze(1), y[i:i + 64])
                opt.zero_grad(set_to_none=True)
                loss.backward()
                opt.step()
            return time.perf_counter() - t0

        def eval_pass(layout, bs, tuned=True):
            m, xs = model(layout).eval(), images[layout]
            t0 = time.perf_counter()
            with (torch.inference_mode() if tuned else torch.no_grad()), (parametrize.cached() if tuned else torch.no_grad()):
                total = torch.zeros(())
                for i in range(0, len(xs), bs):
                    total += F.mse_loss(m(xs[i:i + bs]).squeeze(1), y[i:i + bs], reduction="sum")
                float(total)
            return time.perf_counter() - t0

        cases = {"train NCHW": lambda: train_pass(NCHW), "train channels_last": lambda: train_pass(CL),
                 "eval NCHW bs1024 no_grad (previous)": lambda: eval_pass(NCHW, 1024, tuned=False)}
        for layout, label in ((NCHW, "NCHW"), (CL, "channels_last")):
            for bs in (64, 256, 1024):
                cases[f"eval {label} bs{bs}"] = lambda layout=layout, bs=bs: eval_pass(layout, bs)
        times: dict[str, list[float]] = {k: [] for k in cases}
        for fn in cases.values():  # warm-up
            fn()
        for _ in range(args.rounds):
            for k, fn in cases.items():
                times[k].append(fn())
        med = {k: statistics.median(v) for k, v in times.items()}
        print(f"\n{name} (wn 0.9), {args.n} images:")
        for group in ("train", "eval"):
            keys = [k for k in cases if k.startswith(group)]
            for k in keys:
                print(f"  {k:38s} {med[k]:7.3f} s  x{med[k] / med[keys[0]]:.2f}")


if __name__ == "__main__":
    main()
