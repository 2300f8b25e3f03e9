"""`sweepdeck export` on a 36-trial × 250-epoch run, and `--follow`'s lag.

1. Export time: a synthetic run folder (tests/support/synthetic.py, the paper's sweep ×
   6 learning rates = 36 trials × 250 epochs = 9,000 epoch events) exported to
   TensorBoard and to MLflow (SQLite in a temp folder); then again, when nothing is new.
2. Lag: a writer thread appends that run's events to a growing events.jsonl at
   `--rate` events per second while the run counts as live; `follow` exports it. For each
   epoch event: the time from its line being written to the end of the export's flush that
   put its scalar on disk (the TensorBoard file fsynced and recorded).

    python bench/export.py [--rate 50] [--follow-seconds 10] [--skip-mlflow]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sweepdeck.engine import store  # noqa: E402
from sweepdeck.engine.events import read_events  # noqa: E402
from sweepdeck.engine.export import command  # noqa: E402
from tests.support.synthetic import make_run, paper_config  # noqa: E402


def timed(fn) -> float:
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def export_times(run_dir: Path, tmp: Path, skip_mlflow: bool) -> None:
    n = sum(1 for e in read_events(run_dir / store.EVENTS).events if e.type == "epoch")
    print(f"run: {run_dir.name}, {n} epoch events, events.jsonl {(run_dir / store.EVENTS).stat().st_size / 1e6:.1f} MB")

    def once(tb=None, ml=None) -> None:
        exporters = command.open_exporters(run_dir, tb, ml, "bench")
        command.export_once(run_dir, list(exporters.values()))
        for ex in exporters.values():
            ex.close()

    t_read = timed(lambda: read_events(run_dir / store.EVENTS))
    print(f"reading the log alone: {t_read:.2f} s")
    tb = str(tmp / "tb")
    print(f"tensorboard, first export: {timed(lambda: once(tb=tb)):.2f} s")
    print(f"tensorboard, nothing new:  {timed(lambda: once(tb=tb)):.2f} s")
    if not skip_mlflow:
        uri = f"sqlite:///{tmp / 'mlflow.db'}"
        import os

        os.chdir(tmp)  # a SQLite store's artifacts go to ./mlruns
        from mlflow.tracking import MlflowClient

        print(f"mlflow, creating the SQLite store: {timed(lambda: MlflowClient(uri).search_experiments()):.2f} s")
        print(f"mlflow, first export: {timed(lambda: once(ml=uri)):.2f} s")
        print(f"mlflow, nothing new:  {timed(lambda: once(ml=uri)):.2f} s")


def follow_lag(full: Path, tmp: Path, rate: float, seconds: float) -> None:
    lines = (full / store.EVENTS).read_bytes().splitlines(keepends=True)
    n_lines = min(len(lines), int(rate * seconds))
    run = tmp / "growing" / full.name
    run.mkdir(parents=True)
    for name in (store.CONFIG, store.RESOLVED, store.ENV):
        (run / name).write_bytes((full / name).read_bytes())
    (run / store.EVENTS).write_bytes(b"")
    written: dict[int, float] = {}  # line index → when it was written
    done = threading.Event()

    def writer() -> None:
        with (run / store.EVENTS).open("ab") as fh:
            t0 = time.monotonic()
            for i in range(n_lines):
                time.sleep(max(0.0, t0 + i / rate - time.monotonic()))
                fh.write(lines[i])
                fh.flush()
                written[i] = time.monotonic()
        done.set()

    exporters = command.open_exporters(run, str(tmp / "tb-follow"), None)
    tb = exporters["tensorboard"]
    lags: list[float] = []
    seen = [0]
    flush = tb.flush

    def timed_flush(run_state=None) -> None:
        flush(run_state)
        now = time.monotonic()
        new = tb.n_points - seen[0]
        seen[0] = tb.n_points
        # the epoch lines flushed now: the newest `new` epoch lines written so far
        epoch_lines = [i for i in sorted(written) if b'"type":"epoch"' in lines[i]]
        lags.extend(now - written[i] for i in epoch_lines[len(epoch_lines) - new:] if new)

    tb.flush = timed_flush
    command.run_is_live = lambda _d: not done.is_set()
    thread = threading.Thread(target=writer)
    thread.start()
    command.follow(run, [tb])
    thread.join()
    tb.close()
    lags.sort()
    print(f"follow: {len(lags)} epochs at {rate:g} events/s, poll every {command.POLL_S} s; lag from the line "
          f"written to its scalar on disk: median {statistics.median(lags) * 1000:.0f} ms, "
          f"p95 {lags[int(len(lags) * 0.95)] * 1000:.0f} ms, max {lags[-1] * 1000:.0f} ms")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rate", type=float, default=50.0)
    ap.add_argument("--follow-seconds", type=float, default=10.0)
    ap.add_argument("--skip-mlflow", action="store_true")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        t = time.perf_counter()
        run = make_run(tmp / "runs" / "20260101-000000-bench", paper_config(n_lr=6, n_epochs=250))
        print(f"synthetic run written in {time.perf_counter() - t:.1f} s")
        export_times(run, tmp, args.skip_mlflow)
        follow_lag(run, tmp, args.rate, args.follow_seconds)


if __name__ == "__main__":
    main()
