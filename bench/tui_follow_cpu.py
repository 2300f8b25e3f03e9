"""CPU of the TUI process while it follows a sweep emitting 20 epoch events per
second (target: under 10% of one core).

A synthetic writer (this file, --writer) appends epoch events to a run folder's
events.jsonl at the given rate (16 trials x 250 epochs, one flush per event) and
holds runner.lock, so the TUI treats the run as live. The TUI runs attached to
that run in a real terminal (tmux, TERM=screen-256color); its CPU time is read
from /proc/<pid>/stat over a window after a warm-up. For comparison the same is
measured with the TUI on the same run when no events arrive.

    python bench/tui_follow_cpu.py [--rate 20] [--seconds 20] [--size 120x40]
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

TICK = os.sysconf("SC_CLK_TCK")


def writer(run_dir: Path, rate: float, n_trials: int, n_epochs: int) -> None:
    from sweepdeck.engine.events import RunStarted, TrialFinished, TrialStarted, append_event
    from sweepdeck.engine.store import CONFIG, EVENTS, LOCK, write_json_atomic
    from tests.support.fake_runner import fake_epoch

    run_dir.mkdir(parents=True, exist_ok=True)
    write_json_atomic(run_dir / CONFIG, {"name": "cpu", "n_epochs": n_epochs, "lr": [0.01] * 1})
    (run_dir / LOCK).write_text(json.dumps({"pid": os.getpid(), "host": socket.gethostname(), "started": time.time()}))
    ids = [f"t{i:03d}" for i in range(n_trials)]
    period = 1.0 / rate
    next_t = time.monotonic()
    with (run_dir / EVENTS).open("a", encoding="utf-8") as fh:
        append_event(fh, RunStarted(run_id=run_dir.name, name="cpu", n_trials=n_trials, trial_ids=ids, device="cpu",
                                    pid=os.getpid(), host=socket.gethostname()))
        for i, tid in enumerate(ids):
            append_event(fh, TrialStarted(trial_id=tid, index=i, label=f"lr=0.01 seed={i}", exp_type="No_Regularization",
                                          params={}, n_epochs=n_epochs))
            for ep in range(1, n_epochs + 1):
                next_t += period
                delay = next_t - time.monotonic()
                if delay > 0:
                    time.sleep(delay)
                append_event(fh, fake_epoch(i, tid, ep, n_epochs, epoch_time_s=period))
            append_event(fh, TrialFinished(trial_id=tid, status="completed", epochs_done=n_epochs,
                                           duration_s=n_epochs * period))


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK  # utime + stime


def tmux(sock: str, *args: str) -> str:
    return subprocess.run(["tmux", "-L", sock, *args], capture_output=True, text=True).stdout


def start_tui(sock: str, run_dir: Path, size: tuple[int, int]) -> int:
    cmd = (f"cd {shlex.quote(str(run_dir.parent.parent))} && TERM=screen-256color PYTHONPATH={shlex.quote(str(ROOT))} "
           f"exec {shlex.quote(sys.executable)} -c "
           + shlex.quote(f"from pathlib import Path; from sweepdeck.tui.app import run_app; run_app(attach=Path({str(run_dir)!r}))"))
    tmux(sock, "-f", "/dev/null", "new-session", "-d", "-s", "b", "-x", str(size[0]), "-y", str(size[1]), cmd)
    deadline = time.time() + 20
    while "F3 Training" not in tmux(sock, "capture-pane", "-p", "-t", "b"):
        if time.time() > deadline:
            raise RuntimeError("the TUI did not start")
        time.sleep(0.1)
    return int(tmux(sock, "list-panes", "-t", "b", "-F", "#{pane_pid}").split()[0])


def window(pid: int, seconds: float) -> float:
    c0, t0 = cpu_seconds(pid), time.monotonic()
    time.sleep(seconds)
    return (cpu_seconds(pid) - c0) / (time.monotonic() - t0)


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--writer", help=argparse.SUPPRESS)
    p.add_argument("--rate", type=float, default=20.0)
    p.add_argument("--seconds", type=float, default=20.0)
    p.add_argument("--warmup", type=float, default=4.0)
    p.add_argument("--size", default="120x40")
    p.add_argument("--trials", type=int, default=16)
    p.add_argument("--epochs", type=int, default=250)
    a = p.parse_args()
    if a.writer:
        writer(Path(a.writer), a.rate, a.trials, a.epochs)
        return
    size = tuple(int(x) for x in a.size.split("x"))
    with tempfile.TemporaryDirectory() as d:
        run_dir = Path(d) / "runs" / "20260101-000000-cpu"
        w = subprocess.Popen([sys.executable, __file__, "--writer", str(run_dir), "--rate", str(a.rate),
                              "--trials", str(a.trials), "--epochs", str(a.epochs)], start_new_session=True)
        sock = f"tui-cpu-{os.getpid()}"
        try:
            while not (run_dir / "events.jsonl").exists():
                time.sleep(0.05)
            pid = start_tui(sock, run_dir, size)  # type: ignore[arg-type]
            time.sleep(a.warmup)
            n0 = sum(1 for _ in (run_dir / "events.jsonl").open())
            w_c0 = cpu_seconds(w.pid)
            following = window(pid, a.seconds)
            n1 = sum(1 for _ in (run_dir / "events.jsonl").open())
            w_cpu = (cpu_seconds(w.pid) - w_c0) / a.seconds
            w.kill()
            w.wait()
            time.sleep(1.5)
            idle = window(pid, min(a.seconds, 10))
            screen = tmux(sock, "capture-pane", "-p", "-t", "b")
        finally:
            tmux(sock, "kill-server")
            if w.poll() is None:
                w.kill()
    rate = (n1 - n0) / a.seconds
    print(f"terminal {a.size}, {a.trials} trials x {a.epochs} epochs, writer at {a.rate:g} events/s "
          f"(measured {rate:.1f} events/s over {a.seconds:g} s)")
    print(f"TUI CPU while following: {following * 100:.1f}% of one core")
    print(f"TUI CPU with no new events: {idle * 100:.1f}% of one core")
    print(f"(the synthetic writer itself: {w_cpu * 100:.1f}%)")
    print(f"load average: {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs")
    if os.environ.get("TUI_BENCH_SHOW"):
        print(screen)


if __name__ == "__main__":
    main()
