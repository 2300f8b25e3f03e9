"""Real (tiny) training runs on the embedded shapes data."""

import csv
import json
from pathlib import Path

import pytest
import torch

from conftest import interrupted_run, tiny_raw
from sweepdeck.engine import store
from sweepdeck.engine.config import validate_config
from sweepdeck.engine.events import EpochMetrics, TrialFinished, read_events
from sweepdeck.engine.runner import run_sweep
from sweepdeck.engine.trials import build_trials


def _run(tmp_path: Path, name="run", **overrides):
    raw = tiny_raw(**overrides)
    cfg = validate_config(raw)
    run_dir = tmp_path / name
    run_dir.mkdir()
    result = run_sweep(cfg, raw, build_trials(cfg), run_dir)
    return run_dir, result


def _csv(path: Path) -> list[dict]:
    with path.open() as fh:
        return list(csv.DictReader(fh))


def test_run_folder_has_every_file_and_column(tmp_path):
    run_dir, result = _run(tmp_path, lr=[0.01, 0.02], n_epochs=2)
    assert result.status == "completed"
    for name in ["config.json", "resolved.json", "env.json", "events.jsonl", "metrics.csv", "trials.csv"]:
        assert (run_dir / name).is_file(), name
    assert not (run_dir / "runner.lock").exists()
    env = json.loads((run_dir / "env.json").read_text())
    for key in ["python", "torch", "device", "hostname", "command", "git_commit", "git_dirty", "code_version"]:
        assert key in env
    metrics = _csv(run_dir / "metrics.csv")
    assert len(metrics) == 4  # 2 trials × 2 epochs
    for col in store.METRIC_COLUMNS + ["norm_0", "norm_3"]:
        assert col in metrics[0], col
    trials = _csv(run_dir / "trials.csv")
    assert [t["trial_id"] for t in trials] == ["t000", "t001"]
    assert list(trials[0]) == store.TRIAL_COLUMNS
    assert {t["status"] for t in trials} == {"completed"}
    for t in trials:
        assert (run_dir / "trials" / t["trial_id"] / "weights.pt").is_file()
        assert not (run_dir / "trials" / t["trial_id"] / "checkpoint.pt").exists()
    finished = [e for e in read_events(run_dir / "events.jsonl").events if isinstance(e, TrialFinished)]
    assert all(len(f.ranks) == 4 and f.margin is not None and f.test_misclassified is not None for f in finished)


def test_epoch_metrics_are_consistent(tmp_path):
    run_dir, _ = _run(tmp_path, n_epochs=3, l2_sum_lambda=[0.01], l2_mul_lambda=[])
    epochs = [e for e in read_events(run_dir / "events.jsonl").events if isinstance(e, EpochMetrics)]
    assert [e.epoch for e in epochs] == [1, 2, 3]
    for e in epochs:
        assert sum(map(sum, e.test_confusion)) == 128
        assert sum(map(sum, e.train_confusion)) == 256
        assert e.test_acc == pytest.approx((e.test_confusion[0][0] + e.test_confusion[1][1]) / 128)
        assert e.penalty_sum > 0 and e.penalty_mul == 0
        assert e.rho > 0 and len(e.layer_norms) == 4
    # cosine annealing: the learning rate falls from lr towards lr_min
    assert epochs[0].lr == pytest.approx(0.01) and epochs[2].lr < epochs[1].lr < epochs[0].lr


def test_training_learns_shapes(tmp_path):
    raw_overrides = dict(model="underparameterized", n_epochs=4, lr=[0.003], bias=[True], batch_norm=[True],
                         dataset={"name": "shapes", "n_train": 1024, "n_test": 256})
    run_dir, _ = _run(tmp_path, **raw_overrides)
    best = store.summarize_run(run_dir).best_test_acc
    assert best > 0.85


def test_huge_lr_diverges_and_the_sweep_goes_on(tmp_path):
    run_dir, result = _run(tmp_path, lr=[1e30, 0.01], opt_name="sgd", bias=[True], n_epochs=2)
    assert result.trial_status == {"t000": "diverged", "t001": "completed"}
    rows = {r["trial_id"]: r for r in _csv(run_dir / "trials.csv")}
    assert rows["t000"]["status"] == "diverged" and "loss became" in rows["t000"]["error"]


def test_exception_in_a_trial_is_contained(tmp_path, monkeypatch):
    (tmp_path / "badmodel.py").write_text(
        "from torch import nn\n"
        "class Boom(nn.Module):\n"
        "    def __init__(self):\n"
        "        super().__init__(); self.lin = nn.Linear(1, 1)\n"
        "    def forward(self, x):\n"
        "        raise RuntimeError('boom in forward')\n"
        "def make():\n"
        "    return Boom()\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    run_dir, result = _run(tmp_path, model="badmodel:make", lr=[0.1, 0.01])
    assert set(result.trial_status.values()) == {"failed"}
    assert result.status == "completed"
    assert "boom in forward" in (run_dir / "trials" / "t000" / "error.txt").read_text()
    assert "RuntimeError: boom in forward" in _csv(run_dir / "trials.csv")[0]["error"]


def test_out_of_memory_names_the_batch_size(tmp_path, monkeypatch):
    (tmp_path / "oommodel.py").write_text(
        "import torch\nfrom torch import nn\n"
        "class Hungry(nn.Module):\n"
        "    def __init__(self):\n"
        "        super().__init__(); self.lin = nn.Linear(1, 1)\n"
        "    def forward(self, x):\n"
        "        raise torch.OutOfMemoryError('CUDA out of memory. Tried to allocate 2.00 GiB')\n"
        "def make():\n"
        "    return Hungry()\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    run_dir, result = _run(tmp_path, model="oommodel:make")
    assert result.trial_status == {"t000": "failed"}
    assert _csv(run_dir / "trials.csv")[0]["error"] == "out of memory at batch size 64: try a smaller batchsize"


def test_out_of_memory_with_trials_sharing_a_gpu_suggests_fewer_per_device():
    from sweepdeck.engine.config import validate_config
    from sweepdeck.engine.placement import Slot
    from sweepdeck.engine.trials import build_trials
    from sweepdeck.engine.worker import WorkerSetup, failure_message

    cfg = validate_config(tiny_raw(batchsize=[128]))
    setup = WorkerSetup(slot=Slot(index=1, device="cuda:0", threads=1), cfg=cfg, data=None, dataset=cfg.dataset,
                        sys_path=[], n_workers=4)
    message = failure_message(torch.OutOfMemoryError("CUDA out of memory"), build_trials(cfg)[0], setup)
    assert "parallel.per_device" in message and "cuda:0" in message and "128" in message


def test_same_config_gives_identical_metrics(tmp_path):
    overrides = dict(lr=[0.01, 0.003], wn=[0.9], l2_mul_lambda=[0.001], mislabel_percentage=0.1)
    a, _ = _run(tmp_path, "a", **overrides)
    b, _ = _run(tmp_path, "b", **overrides)
    assert store.comparable_metrics(a) == store.comparable_metrics(b)
    assert len(_csv(a / "metrics.csv")) == 8  # 2 lr × (mul, no-reg) × 2 epochs


def test_stop_flag_interrupts_and_keeps_a_checkpoint(tmp_path):
    run_dir = interrupted_run(tmp_path / "run", tiny_raw(n_epochs=4, lr=[0.01, 0.02]))
    assert {r["trial_id"]: r["status"] for r in _csv(run_dir / "trials.csv")} == {"t000": "interrupted", "t001": "pending"}
    assert (run_dir / "trials" / "t000" / "checkpoint.pt").is_file()
    assert store.summarize_run(run_dir).status == "interrupted"


def test_disk_full_stops_with_a_clear_message_and_keeps_the_log(tmp_path, monkeypatch, capsys):
    import errno

    import sweepdeck.engine.runner as runner
    from sweepdeck.engine.cli import main

    real = runner.append_event
    written = []

    def fill_up(fh, event):
        if len(written) >= 4:
            raise OSError(errno.ENOSPC, "No space left on device")
        written.append(event)
        real(fh, event)

    monkeypatch.setattr(runner, "append_event", fill_up)
    cfg = tmp_path / "c.json"
    cfg.write_text(json.dumps(tiny_raw(runs_dir=str(tmp_path / "runs"), n_epochs=3)))
    assert main(["run", str(cfg), "--no-report"]) == 1
    err = capsys.readouterr().err
    assert "disk full" in err and "sweepdeck resume" in err
    run_dir = next((tmp_path / "runs").iterdir())
    assert len(read_events(run_dir / "events.jsonl").events) == 4  # nothing written is damaged
    assert read_events(run_dir / "events.jsonl").damage is None
    assert not (run_dir / "runner.lock").exists()


def test_multiclass_mode_uses_cross_entropy_and_learns(tmp_path):
    run_dir, result = _run(tmp_path, dataset={"name": "shapes", "classes": "all", "n_train": 512, "n_test": 256},
                           model="underparameterized", bias=[True], batch_norm=[True], lr=[0.003], n_epochs=3,
                           mislabel_percentage=0.1)
    assert result.trial_status == {"t000": "completed"}
    epochs = [e for e in read_events(run_dir / "events.jsonl").events if isinstance(e, EpochMetrics)]
    assert len(epochs[-1].test_confusion) == 4
    assert epochs[-1].test_acc > 0.4  # well above the 25% of chance for four classes
    finished = next(e for e in read_events(run_dir / "events.jsonl").events if isinstance(e, TrialFinished))
    assert finished.margin is not None
