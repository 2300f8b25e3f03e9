"""`sweepdeck export RUN --tensorboard DIR --mlflow URI [--follow]`.

A finished run is read once and exported; with `--follow`, a running one is read as
it grows (the same incremental reader as the TUI's) and each poll's new epochs are
exported, until its runner is gone. The exporters (to_tensorboard, to_mlflow) are
imported only when asked for, and say in one line which extra they need.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path
from typing import Callable, Optional, Protocol, Sequence

from sweepdeck.engine import store
from sweepdeck.engine.errors import UsageError
from sweepdeck.engine.events import Event, EventFollower, read_events
from sweepdeck.engine.liveness import run_is_live
from sweepdeck.engine.safe_text import strip_control

POLL_S = 0.25  # as the TUI follows a live run (tui/run_tail.py)


class Exporter(Protocol):
    n_points: int

    def add(self, events: Sequence[Event]) -> None: ...

    def flush(self, run_state: Optional[str] = None) -> None: ...

    def close(self) -> None: ...

    def describe(self) -> str: ...


def add_export_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("export", help="export a run to TensorBoard and/or MLflow")
    p.add_argument("run", help="runs/<id> or <id>")
    p.add_argument("--tensorboard", metavar="DIR", help="write TensorBoard event files under DIR/<run id>/ "
                   "(then: tensorboard --logdir DIR); needs sweepdeck[tensorboard]")
    p.add_argument("--mlflow", metavar="URI", help="tracking URI, e.g. sqlite:///mlflow.db or http://localhost:5000; "
                   "needs sweepdeck[mlflow]")
    p.add_argument("--experiment", metavar="NAME", help="MLflow experiment (default: the sweep's name)")
    p.add_argument("--follow", action="store_true", help="keep exporting a running sweep's new epochs until it ends")


def export_command(args: argparse.Namespace) -> int:
    if not args.tensorboard and not args.mlflow:
        raise UsageError("export needs a destination: --tensorboard DIR and/or --mlflow URI")
    if args.experiment is not None and not args.mlflow:
        raise UsageError("--experiment names an MLflow experiment: give --mlflow URI too")
    run_dir = store.resolve_run(args.run)
    exporters = open_exporters(run_dir, args.tensorboard, args.mlflow, args.experiment)
    if args.follow and not run_is_live(run_dir):
        print(f"{strip_control(run_dir.name)} is not running: exporting what it holds", flush=True)
    if args.follow:
        follow(run_dir, list(exporters.values()), on_poll=_progress)
    else:
        export_once(run_dir, list(exporters.values()))
    # not on Ctrl+C: what each poll exported is recorded already, and a later export goes on from there
    for ex in exporters.values():
        ex.close()
    for ex in exporters.values():
        print(strip_control(ex.describe()))
    return 0


def open_exporters(run_dir: Path, tensorboard: Optional[str], mlflow: Optional[str],
                   experiment: Optional[str] = None) -> dict[str, Exporter]:
    from sweepdeck.engine.export.source import RunInfo

    info = RunInfo.read(run_dir)
    out: dict[str, Exporter] = {}
    if tensorboard:
        from sweepdeck.engine.export.to_tensorboard import TensorBoardExport

        out["tensorboard"] = TensorBoardExport(Path(tensorboard), info)
    if mlflow:
        from sweepdeck.engine.export.to_mlflow import MlflowExport

        out["mlflow"] = MlflowExport(mlflow, info, experiment)
    return out


def run_state(run_dir: Path) -> str:
    """The run's status as `show` sees it (running, completed, interrupted, failed, crashed, empty)."""
    return store.summarize_run(run_dir).status


def export_once(run_dir: Path, exporters: Sequence[Exporter]) -> None:
    events = read_events(run_dir / store.EVENTS).events
    state = run_state(run_dir)
    for ex in exporters:
        ex.add(events)
        ex.flush(run_state=state)


def follow(run_dir: Path, exporters: Sequence[Exporter], poll_s: float = POLL_S,
           on_poll: Optional[Callable[[int], None]] = None, sleep: Callable[[float], None] = time.sleep) -> None:
    """Export the run's events as they come, until its runner is gone; then once more,
    with the run's final state. `on_poll` gets the number of new events of each poll."""
    reader = EventFollower(run_dir / store.EVENTS)
    while True:
        # liveness first: the runner writes its last event before it lets go of the
        # folder, so the poll after "not live" reads everything
        live = run_is_live(run_dir)
        events = reader.poll()
        if events or not live:
            state = "running" if live else run_state(run_dir)
            for ex in exporters:
                ex.add(events)
                ex.flush(run_state=state)
            if on_poll is not None and events:
                on_poll(len(events))
        if not live:
            return
        sleep(poll_s)


def _progress(n_events: int) -> None:
    print(f"exported {n_events} new event{'s' if n_events != 1 else ''}", flush=True)
