"""Training throughput with the TUI following the sweep vs the same sweep
headless (target: >= 0.97).

The same small sweep (configs/quick.json on shapes, overrides below) runs with
`python -m sweepdeck.engine.cli run --no-report`, alternately headless and with the TUI
attached to it in tmux (TERM=screen-256color, 120x40), `--pairs` times. The
throughput of a run is its number of epochs divided by the sum of its
`epoch_time_s` (the trainer's own per-epoch wall time, start-up excluded).

    python bench/tui_throughput.py [--pairs 3] [--set n_epochs=6 ...]
"""

from __future__ import annotations

import argparse
import csv
import os
import shlex
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_SETS = ["n_epochs=6", "dataset.n_train=2000", "model=tiny", "lr=0.01", "device=cpu"]


def throughput(run_dir: Path) -> float:
    with (run_dir / "metrics.csv").open(newline="") as fh:
        times = [float(r["epoch_time_s"]) for r in csv.DictReader(fh)]
    return len(times) / sum(times)


def tmux(sock: str, *args: str) -> None:
    subprocess.run(["tmux", "-L", sock, *args], capture_output=True)


def capture(sock: str) -> str:
    return subprocess.run(["tmux", "-L", sock, "capture-pane", "-p", "-t", "b"], capture_output=True, text=True).stdout


def one(work: Path, name: str, sets: list[str], with_tui: bool) -> float:
    run_dir = work / "runs" / name
    argv = [sys.executable, "-m", "sweepdeck.engine.cli", "run", str(ROOT / "configs" / "quick.json"), "--no-report",
            "--run-dir", str(run_dir)]
    for s in sets:
        argv += ["--set", s]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    sock = f"tui-tp-{os.getpid()}-{name}"
    proc = None
    try:
        if with_tui:
            # As in use: the TUI is up (here attached to the folder the run
            # will use) before the sweep starts, then follows it to the end.
            cmd = (f"cd {shlex.quote(str(work))} && TERM=screen-256color PYTHONPATH={shlex.quote(str(ROOT))} "
                   f"exec {shlex.quote(sys.executable)} -c "
                   + shlex.quote(f"from pathlib import Path; from sweepdeck.tui.app import run_app; run_app(attach=Path({str(run_dir)!r}))"))
            tmux(sock, "-f", "/dev/null", "new-session", "-d", "-s", "b", "-x", "120", "-y", "40", cmd)
            deadline = time.time() + 20
            while "F3 Training" not in capture(sock) and time.time() < deadline:
                time.sleep(0.1)
            time.sleep(1.0)  # let start-up work settle
        proc = subprocess.Popen(argv, cwd=work, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        if proc.wait() != 0:
            raise RuntimeError(f"the sweep failed: {' '.join(argv)}")
    finally:
        if with_tui:
            tmux(sock, "kill-server")
    return throughput(run_dir)


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--pairs", type=int, default=3)
    p.add_argument("--set", action="append", default=None)
    a = p.parse_args()
    sets = a.set or DEFAULT_SETS
    headless, tui = [], []
    with tempfile.TemporaryDirectory() as d:
        work = Path(d)
        for i in range(a.pairs):
            # alternate the order so that drift in machine load hits both sides
            order = [(False, headless), (True, tui)] if i % 2 == 0 else [(True, tui), (False, headless)]
            for with_tui, out in order:
                out.append(one(work, f"r{i}-{'tui' if with_tui else 'headless'}", sets, with_tui))
    h, t = statistics.median(headless), statistics.median(tui)
    print(f"sweep: configs/quick.json --set {' --set '.join(sets)}")
    print(f"headless: {h:.2f} epochs/s (runs: {', '.join(f'{x:.2f}' for x in headless)})")
    print(f"with TUI: {t:.2f} epochs/s (runs: {', '.join(f'{x:.2f}' for x in tui)})")
    print(f"ratio (TUI / headless, medians): {t / h:.3f}")
    print(f"load average: {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs")


if __name__ == "__main__":
    main()
