"""Shared fixtures: tiny sweeps on the embedded `shapes` data that train in seconds."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
# Two cores are shared by the test process and the sweeps it starts.
os.environ.setdefault("OMP_NUM_THREADS", "1")


def pytest_collection_modifyitems(config, items):
    """`@pytest.mark.cuda` tests run only where torch sees a CUDA device."""
    marked = [item for item in items if "cuda" in item.keywords]
    if not marked:
        return
    import torch

    if not torch.cuda.is_available():
        skip = pytest.mark.skip(reason="needs a CUDA device")
        for item in marked:
            item.add_marker(skip)


def tiny_raw(**overrides) -> dict:
    """A config that trains in about a second: the tiny CNN on 256 shapes images."""
    raw = {
        "name": "tiny",
        "dataset": {"name": "shapes", "n_train": 256, "n_test": 128},
        "model": "tiny",
        "n_epochs": 2,
        "batchsize": 64,
        "lr": [0.01],
        "device": "cpu",
        # One worker with one thread, on any machine: the numbers and the order of
        # events do not depend on its cores. Parallel tests ask for more.
        "parallel": {"per_device": 1, "threads": 1},
    }
    raw.update(overrides)
    return raw


@pytest.fixture
def tiny_config_file(tmp_path: Path):
    """Writes a tiny config (with overrides) and returns its path."""
    import json

    def make(**overrides) -> Path:
        raw = tiny_raw(runs_dir=str(tmp_path / "runs"), **overrides)
        path = tmp_path / f"cfg{len(list(tmp_path.glob('cfg*.json')))}.json"
        path.write_text(json.dumps(raw))
        return path

    return make


# A sweep of 4 short trials that learns a little: the numbers every interrupted,
# damaged or resumed copy of it must reproduce exactly.
FOUR_TRIALS = tiny_raw(n_epochs=3, lr=[0.01, 0.02], l2_mul_lambda=[0.001], bias=[True], batch_norm=[True])


def sweep_into(run_dir: Path, raw: dict, **kw):
    """Run the sweep of `raw` into a new `run_dir` in this process (test_parallel, test_ray)."""
    from sweepdeck.engine.config import validate_config
    from sweepdeck.engine.runner import run_sweep
    from sweepdeck.engine.trials import build_trials

    run_dir.mkdir(parents=True)
    cfg = validate_config(raw)
    return run_sweep(cfg, raw, build_trials(cfg), run_dir, **kw)


def events_of(run_dir: Path, kind: type) -> list:
    """The events of one kind in a run's log."""
    from sweepdeck.engine import store
    from sweepdeck.engine.events import read_events

    return [e for e in read_events(run_dir / store.EVENTS).events if isinstance(e, kind)]


@pytest.fixture(scope="session")
def finished_run(tmp_path_factory) -> Path:
    from sweepdeck.engine.config import validate_config
    from sweepdeck.engine.runner import run_sweep
    from sweepdeck.engine.trials import build_trials

    run_dir = tmp_path_factory.mktemp("finished") / "run"
    run_dir.mkdir()
    cfg = validate_config(FOUR_TRIALS)
    run_sweep(cfg, FOUR_TRIALS, build_trials(cfg), run_dir)
    return run_dir


def interrupted_copy(finished: Path, dest: Path, n_epoch_events: int = 1) -> Path:
    """A copy of a finished run as a kill would have left it: the log cut after
    `n_epoch_events` epochs of its first trial, which was still running."""
    import shutil

    run_dir = dest / "run"
    shutil.copytree(finished, run_dir)
    kept, epochs = [], 0
    for line in (finished / "events.jsonl").read_bytes().splitlines(keepends=True):
        kept.append(line)
        if b'"type":"epoch"' in line:
            epochs += 1
            if epochs == n_epoch_events:
                break
    (run_dir / "events.jsonl").write_bytes(b"".join(kept))
    for name in ("metrics.csv", "trials.csv"):
        (run_dir / name).unlink()
    return run_dir


@pytest.fixture
def anyio_backend() -> str:
    """Async tests (`pytestmark = pytest.mark.anyio`) run on asyncio, Textual's loop,
    with a fresh loop per test; anyio would also try trio where it is installed."""
    return "asyncio"


@pytest.fixture
def runs(tmp_path: Path, monkeypatch) -> tuple[Path, dict[str, Path]]:
    """The TUI tests' working folder: the paper presets in configs/ and two finished
    fake runs in runs/ (see tests.support.tui.make_runs). Returns (runs_dir, runs)."""
    from tests.support.tui import make_runs

    monkeypatch.chdir(tmp_path)
    (tmp_path / "configs").mkdir()
    for p in (ROOT / "configs").glob("paper_*.json"):
        (tmp_path / "configs" / p.name).write_text(p.read_text())
    runs_dir = tmp_path / "runs"
    return runs_dir, make_runs(runs_dir)


def interrupted_run(run_dir: Path, raw: dict, after_epoch: int = 1) -> Path:
    """Run `raw` into `run_dir` and stop it (as Ctrl+C would) once its first trial
    has finished `after_epoch` epochs: an interrupted run with a checkpoint."""
    import sweepdeck.engine.runner as runner
    from sweepdeck.engine.config import validate_config
    from sweepdeck.engine.events import EpochMetrics
    from sweepdeck.engine.train import StopFlags
    from sweepdeck.engine.trials import build_trials

    flags = StopFlags()

    def stop_after(event):  # as a signal would: the worker stops after its current batch
        if isinstance(event, EpochMetrics) and event.epoch >= after_epoch:
            flags.stop = True

    run_dir.mkdir()
    cfg = validate_config(raw)
    assert runner.run_sweep(cfg, raw, build_trials(cfg), run_dir, listeners=[stop_after], flags=flags).status == "interrupted"
    return run_dir
