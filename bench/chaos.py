"""Kill -9 a sweep again and again (at random moments, many of them mid-write),
resume it each time, and check that the result equals an uninterrupted run.

    python bench/chaos.py [--kills 20] [--seed 0] [--workers 2]

Prints N kills, kills survived, metric mismatches (must be 0) and damaged files.
With --workers N the sweep runs N trials at a time and is compared with a
reference run by one worker; after every kill the runner's workers must be gone
within 10 s (orphans, must be 0).
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sweepdeck.engine import store  # noqa: E402
from sweepdeck.engine.events import TrialStarted, read_events  # noqa: E402

ENV = {**os.environ, "PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1"}
CONFIG = {
    "name": "chaos", "dataset": {"name": "shapes", "n_train": 512, "n_test": 256}, "model": "tiny",
    "n_epochs": 6, "batchsize": 32, "lr": [0.01, 0.02], "l2_mul_lambda": [0.001], "wn": [0.9],
    "mislabel_percentage": 0.05, "device": "cpu",
}


def cli(*args: str) -> list[str]:
    return [sys.executable, "-m", "sweepdeck.engine.cli", *args]


def damaged_files(run_dir: Path) -> list[str]:
    """Files that no longer parse (the log may end in one partial line: resume repairs it)."""
    bad = []
    for name in (store.CONFIG, store.RESOLVED, store.ENV):
        if (run_dir / name).exists() and store.read_json(run_dir / name) is None:
            bad.append(name)
    log = read_events(run_dir / store.EVENTS)
    if log.damage and "last line" not in log.damage:
        bad.append(store.EVENTS)
    for name in (store.METRICS, store.TRIALS):
        try:
            with (run_dir / name).open() as fh:
                list(csv.DictReader(fh))
        except FileNotFoundError:
            pass
        except Exception:
            bad.append(name)
    return bad


def worker_pids(run_dir: Path) -> set[int]:
    return {e.worker_pid for e in read_events(run_dir / store.EVENTS).events
            if isinstance(e, TrialStarted) and e.worker_pid}


def alive(pid: int) -> bool:
    """A live (not zombie) worker process: forked by multiprocessing, so a pid
    reused by an unrelated process is not mistaken for one."""
    try:
        with open(f"/proc/{pid}/stat") as fh:
            if fh.read().rsplit(")", 1)[1].split()[0] == "Z":
                return False
        with open(f"/proc/{pid}/cmdline", "rb") as fh:
            return b"multiprocessing" in fh.read()
    except OSError:
        return False


def orphans_after_kill(pids: set[int], wait_s: float = 10.0) -> list[int]:
    deadline = time.monotonic() + wait_s
    while time.monotonic() < deadline and any(alive(p) for p in pids):
        time.sleep(0.05)
    return [p for p in pids if alive(p)]


def lines(path: Path) -> int:
    return path.read_bytes().count(b"\n") if path.exists() else 0


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--kills", type=int, default=20)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--workers", type=int, default=1)
    args = ap.parse_args()
    rng = random.Random(args.seed)
    tmp = Path(tempfile.mkdtemp(prefix="chaos-"))
    cfg = tmp / "chaos.json"
    cfg.write_text(json.dumps({**CONFIG, "parallel": {"per_device": args.workers, "threads": 1}}))
    ref_cfg = tmp / "reference.json"
    ref_cfg.write_text(json.dumps({**CONFIG, "parallel": {"per_device": 1, "threads": 1}}))

    ref = tmp / "reference"
    subprocess.run(cli("run", str(ref_cfg), "--run-dir", str(ref), "--no-report"), env=ENV, check=True,
                   capture_output=True, stdin=subprocess.DEVNULL)
    expected = store.comparable_metrics(ref)

    run = tmp / "chaos"
    kills = survived = 0
    damaged: list[str] = []
    orphans: list[int] = []
    command = cli("run", str(cfg), "--run-dir", str(run), "--no-report")
    t0 = time.monotonic()
    while True:
        proc = subprocess.Popen(command, env=ENV, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        if kills < args.kills:
            start = lines(run / store.EVENTS)
            target = start + rng.randint(1, 3)
            while proc.poll() is None and lines(run / store.EVENTS) < target:
                time.sleep(0.002)
            time.sleep(rng.uniform(0, 0.05))  # land anywhere: mid-batch, mid-checkpoint, mid-CSV
            if proc.poll() is None:
                proc.send_signal(signal.SIGKILL)
                proc.wait()
                kills += 1
                orphans += orphans_after_kill(worker_pids(run))
                bad = damaged_files(run)
                damaged += bad
                survived += not bad
                command = cli("resume", str(run), "--no-report")
                continue
        proc.wait()
        if proc.returncode != 0:
            print(proc.stderr.read().decode()[-2000:])
            raise SystemExit(f"runner exited {proc.returncode}")
        if store.summarize_run(run).status == "completed":
            break
        command = cli("resume", str(run), "--no-report")

    got = store.comparable_metrics(run)
    mismatches = sum(1 for a, b in zip(got, expected) if a != b) + abs(len(got) - len(expected))
    statuses = {r["trial_id"]: r["status"] for r in csv.DictReader((run / store.TRIALS).open())}
    print(f"workers: {args.workers}  kills: {kills}  survived: {survived}  damaged files: {damaged or 'none'}  "
          f"orphaned workers: {len(orphans)}")
    print(f"trials: {statuses}")
    print(f"metric rows: {len(got)} (reference {len(expected)}), mismatches: {mismatches}")
    print(f"wall time: {time.monotonic() - t0:.0f} s")
    if mismatches or damaged or orphans or set(statuses.values()) != {"completed"}:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
