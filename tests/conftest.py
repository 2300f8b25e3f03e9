"""Shared fixtures: tiny sweeps on the embedded `shapes` data that train in seconds."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
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
