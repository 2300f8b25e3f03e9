"""Parallel trials (issue 11): several workers, one writer, the same numbers.

A trial's metrics must not depend on which worker ran it, how many there were or
the order in which trials finished; a worker that dies costs its trial at most one
retry; a runner killed with kill -9 leaves no worker behind; skip acts on one
trial of several."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from conftest import FOUR_TRIALS, events_of, interrupted_run, sweep_into, tiny_raw
from sweepdeck.engine import store
from sweepdeck.engine.cli import main
from sweepdeck.engine.config import validate_config
from sweepdeck.engine.control import request_skip
from sweepdeck.engine.events import LogLine, TrialFinished, TrialStarted

ENV = {**os.environ, "OMP_NUM_THREADS": "1"}
TWO_WORKERS = {"per_device": 2, "threads": 1}


def _trial_csv(run_dir: Path) -> list[dict]:
    import csv

    with (run_dir / store.TRIALS).open() as fh:
        return list(csv.DictReader(fh))


def test_two_workers_give_the_numbers_of_one(tmp_path, finished_run):
    run_dir = tmp_path / "two"
    result = sweep_into(run_dir, {**FOUR_TRIALS, "parallel": TWO_WORKERS})
    assert result.status == "completed"
    started = events_of(run_dir, TrialStarted)
    assert {e.worker for e in started} == {0, 1}  # both workers trained
    assert all(e.device == "cpu" and e.worker_pid for e in started)
    assert store.comparable_metrics(run_dir) == store.comparable_metrics(finished_run)
    # tables stay in trial order whatever the order trials finished in
    assert [r["trial_id"] for r in _trial_csv(run_dir)] == ["t000", "t001", "t002", "t003"]
    assert {r["device"] for r in _trial_csv(run_dir)} == {"cpu"}
    env = json.loads((run_dir / store.ENV).read_text())
    assert env["parallel"] == {"devices": ["cpu"], "per_device": 2, "threads": 1, "workers": 2}
    from sweepdeck.engine.analysis.facts import load_run

    assert "2 workers, 1 thread each" in load_run(run_dir).device  # the report's device line


def test_stop_with_two_workers_interrupts_both_and_resume_matches(tmp_path, finished_run, capsys):
    run_dir = interrupted_run(tmp_path / "run", {**FOUR_TRIALS, "n_epochs": 3, "parallel": TWO_WORKERS})
    rows = _trial_csv(run_dir)
    interrupted = [r for r in rows if r["status"] == "interrupted"]
    assert interrupted, rows
    for row in interrupted:  # stopped after an epoch: its checkpoint; within the first: none to keep
        assert (run_dir / "trials" / row["trial_id"] / "checkpoint.pt").is_file() == (int(row["epochs_done"]) > 0)
    assert main(["resume", str(run_dir), "--no-report"]) == 0
    assert store.comparable_metrics(run_dir) == store.comparable_metrics(finished_run)


# --- workers that die -------------------------------------------------------------------------

DYING_MODEL = """
import ctypes, os, signal
import torch
from torch import nn

CALLS = 0

class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 4, 3)
        self.head = nn.Linear(4, 1)

    def forward(self, x):
        global CALLS
        CALLS += 1
        # {how}: 4 training batches and 2 evaluations per epoch, so call 8 is in the second epoch
        if self.training and CALLS >= {at} and {condition}:
            {action}
        return self.head(self.conv(x).mean((2, 3)))

def make():
    return Net()
"""


def _dying_model(tmp_path: Path, monkeypatch, name: str, at: int, condition: str, action: str) -> str:
    (tmp_path / f"{name}.py").write_text(DYING_MODEL.format(how=name, at=at, condition=condition, action=action))
    monkeypatch.syspath_prepend(str(tmp_path))
    return f"{name}:make"


def test_a_worker_killed_once_is_replaced_and_its_trial_continues_identically(tmp_path, monkeypatch):
    marker = tmp_path / "killed-once"
    model = _dying_model(tmp_path, monkeypatch, "oncekilled", 8, f"not os.path.exists({str(marker)!r})",
                         f"open({str(marker)!r}, 'w').close(); os.kill(os.getpid(), signal.SIGKILL)")
    raw = tiny_raw(model=model, n_epochs=3, parallel=TWO_WORKERS)
    result = sweep_into(tmp_path / "killed", raw)
    assert result.trial_status == {"t000": "completed"}
    warnings = [e.message for e in events_of(tmp_path / "killed", LogLine) if e.level == "warning"]
    assert any("SIGKILL" in w and "t000" in w for w in warnings), warnings
    restarts = [e for e in events_of(tmp_path / "killed", TrialStarted) if e.trial_id == "t000"]
    assert [e.start_epoch for e in restarts] == [1, 2]  # the second worker went on from the checkpoint
    # the same trial, never killed (the marker exists now), gives the same numbers
    assert sweep_into(tmp_path / "clean", raw).trial_status == {"t000": "completed"}
    assert store.comparable_metrics(tmp_path / "killed") == store.comparable_metrics(tmp_path / "clean")


def test_a_trial_whose_worker_segfaults_twice_fails_and_the_sweep_goes_on(tmp_path, monkeypatch):
    deaths = tmp_path / "deaths"
    deaths.mkdir()
    # One worker: t000 crashes it twice (both attempts, the second on a fresh worker); t001 then runs normally.
    model = _dying_model(tmp_path, monkeypatch, "segfaults", 2, f"len(os.listdir({str(deaths)!r})) < 2",
                         f"open(os.path.join({str(deaths)!r}, str(os.getpid())), 'w').close(); ctypes.string_at(0)")
    raw = tiny_raw(model=model, lr=[0.01, 0.02], n_epochs=2)
    result = sweep_into(tmp_path / "run", raw)
    assert result.status == "completed"
    rows = {r["trial_id"]: r for r in _trial_csv(tmp_path / "run")}
    assert rows["t001"]["status"] == "completed"
    assert rows["t000"]["status"] == "failed"
    assert "SIGSEGV" in rows["t000"]["error"] and "twice" in rows["t000"]["error"]


def test_a_cuda_error_ends_its_worker_and_the_trial_gets_one_fresh_one(tmp_path, monkeypatch):
    # An illegal address poisons a CUDA context for good: the worker must not train on.
    model = _dying_model(tmp_path, monkeypatch, "poisoned", 2, "True",
                         "raise RuntimeError('CUDA error: an illegal memory access was encountered')")
    result = sweep_into(tmp_path / "run", tiny_raw(model=model, n_epochs=2))
    assert result.trial_status == {"t000": "failed"}
    started = [e for e in events_of(tmp_path / "run", TrialStarted)]
    assert len(started) == 2 and started[0].worker_pid != started[1].worker_pid  # a fresh process
    error = _trial_csv(tmp_path / "run")[0]["error"]
    assert "CUDA error" in error and "illegal memory access" in error and "twice" in error


# --- a runner in its own process, as `sweepdeck run` starts it -------------------------------------

def _start_cli(tmp_path: Path, raw: dict) -> tuple[subprocess.Popen, Path]:
    tmp_path.mkdir(parents=True, exist_ok=True)
    cfg = tmp_path / "c.json"
    cfg.write_text(json.dumps(raw))
    run_dir = tmp_path / "run"
    proc = subprocess.Popen([sys.executable, "-m", "sweepdeck.engine.cli", "run", str(cfg), "--run-dir", str(run_dir),
                             "--no-report"], env=ENV, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    return proc, run_dir


def _wait_until(predicate, proc: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and proc.poll() is None:
        if predicate():
            return
        time.sleep(0.02)
    raise AssertionError("timed out")


# --- kill -9 of the runner ------------------------------------------------------------------------

def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().rsplit(")", 1)[1].split()[0] != "Z"  # a zombie holds nothing
    except OSError:
        return False


def test_kill_9_of_the_runner_leaves_no_worker_and_resume_matches(tmp_path, finished_run):
    raw = {**FOUR_TRIALS, "n_epochs": 3, "parallel": TWO_WORKERS,
           "dataset": {"name": "shapes", "n_train": 256, "n_test": 128}}
    proc, run_dir = _start_cli(tmp_path, raw)
    deadline = time.monotonic() + 120
    pids: set[int] = set()
    while time.monotonic() < deadline and len(pids) < 2 and proc.poll() is None:
        if (run_dir / store.EVENTS).exists():
            pids = {e.worker_pid for e in events_of(run_dir, TrialStarted) if e.worker_pid}
        time.sleep(0.01)
    assert len(pids) == 2, "the sweep ended before both workers started"
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and any(_alive(p) for p in pids):
        time.sleep(0.1)
    assert not [p for p in pids if _alive(p)], "a worker outlived its runner"
    assert main(["resume", str(run_dir), "--no-report"]) == 0
    assert store.comparable_metrics(run_dir) == store.comparable_metrics(finished_run)


# --- skip ----------------------------------------------------------------------------------------------

def test_skip_one_running_and_one_waiting_trial(tmp_path):
    raw = tiny_raw(n_epochs=60, lr=[0.01, 0.02, 0.03], parallel=TWO_WORKERS)
    run_dir = tmp_path / "run"
    done = {}
    sweeping = threading.Thread(target=lambda: done.update(result=sweep_into(run_dir, raw)))
    sweeping.start()
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not ((run_dir / store.EVENTS).exists() and
                                               {e.trial_id for e in events_of(run_dir, TrialStarted)} >= {"t000", "t001"}):
        time.sleep(0.01)
    assert main(["skip", str(run_dir), "t002"]) == 0  # waiting: skipped before it starts
    assert main(["skip", str(run_dir), "t001"]) == 0  # running: skipped after its current batch
    sweeping.join(timeout=120)
    statuses = {e.trial_id: (e.status, e.epochs_done) for e in events_of(run_dir, TrialFinished)}
    assert statuses["t000"] == ("completed", 60)
    assert statuses["t001"][0] == "skipped" and statuses["t001"][1] < 60
    assert statuses["t002"] == ("skipped", 0)
    assert done["result"].status == "completed"


def test_skip_refuses_what_it_cannot_skip(tmp_path, finished_run, capsys):
    assert main(["skip", str(finished_run), "t000"]) == 2
    assert "is not running (completed)" in capsys.readouterr().err


def test_skip_requests_left_in_a_copied_folder_do_not_act(tmp_path, finished_run):
    run_dir = interrupted_run(tmp_path / "run", tiny_raw(n_epochs=3, lr=[0.01, 0.02]))
    request_skip(run_dir, "t001")  # planted before the runner starts
    assert main(["resume", str(run_dir), "--no-report"]) == 0
    assert {e.trial_id: e.status for e in events_of(run_dir, TrialFinished) if e.status != "interrupted"} == {
        "t000": "completed", "t001": "completed"}


# --- when shared memory is too small ------------------------------------------------------------

def test_workers_load_their_own_data_when_shared_memory_is_full(tmp_path, monkeypatch, finished_run):
    from sweepdeck.engine.data import DataBundle

    def full(self):
        raise RuntimeError("unable to write to file </torch_123_456_0>: No space left on device (28)")

    monkeypatch.setattr(DataBundle, "share_memory_", full)
    result = sweep_into(tmp_path / "run", {**FOUR_TRIALS, "parallel": TWO_WORKERS})
    assert result.status == "completed"
    warnings = [e.message for e in events_of(tmp_path / "run", LogLine) if e.level == "warning"]
    assert any("shared memory" in w and "--shm-size" in w for w in warnings)
    assert store.comparable_metrics(tmp_path / "run") == store.comparable_metrics(finished_run)


# --- the plan: how "auto" resolves, and what is refused -----------------------------------------

def _plan(parallel: dict, device: str = "auto", n_trials: int = 8, cuda: int = 0, cores: int = 2):
    from sweepdeck.engine.placement import plan_workers

    return plan_workers(validate_config({"parallel": parallel}).parallel, device, n_trials, cuda, cores)


def test_auto_fills_every_gpu_once_and_every_cpu_core_with_a_one_thread_worker():
    gpus = _plan({}, cuda=4, cores=16)
    assert [s.device for s in gpus.slots] == ["cuda:0", "cuda:1", "cuda:2", "cuda:3"] and gpus.threads == 4
    cpu = _plan({}, cores=2)
    assert [s.device for s in cpu.slots] == ["cpu", "cpu"] and cpu.threads == 1
    assert _plan({}, n_trials=1, cores=2).workers == 1  # never more workers than trials
    assert _plan({}, device="cpu", cuda=2).devices == ["cpu"]  # `device: cpu` keeps the GPUs out
    assert _plan({}, device="cuda:1", cuda=2).devices == ["cuda:1"]


def test_per_device_spreads_round_robin_and_threads_split_the_cores():
    plan = _plan({"devices": ["cuda:0", "cuda:2"], "per_device": 2}, cuda=3, cores=8)
    assert [s.device for s in plan.slots] == ["cuda:0", "cuda:2", "cuda:0", "cuda:2"] and plan.threads == 2
    assert _plan({"per_device": 4, "threads": 3}, cores=2).threads == 3  # asked for: kept


@pytest.mark.parametrize("parallel, cuda, words", [
    ({"devices": ["cuda:2"]}, 2, "only 2 CUDA device(s)"),
    ({"devices": ["cuda:0"]}, 0, "CUDA is not available"),
    ({"devices": ["cuda", "cuda:0"]}, 1, "twice"),
])
def test_devices_this_machine_lacks_are_refused_in_one_line(parallel, cuda, words):
    from sweepdeck.engine.errors import UsageError

    with pytest.raises(UsageError) as err:
        _plan(parallel, cuda=cuda)
    assert words in str(err.value) and "\n" not in str(err.value)


def test_visible_gpu_hint_follows_cuda_visible_devices(monkeypatch):
    from sweepdeck.engine.placement import visible_cuda_count_hint

    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "2,3")
    assert visible_cuda_count_hint() == 2
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "")
    assert visible_cuda_count_hint() == 0


@pytest.mark.parametrize("setting, words", [
    ("parallel.per_device=0", 'parallel.per_device: 0 is invalid: must be "auto" or a whole number from 1 to 64'),
    ("parallel.threads=many", 'parallel.threads: "many" is invalid: must be "auto" or a whole number'),
    ("parallel.devices=tpu:0", "'tpu:0' is not a device"),
    ("parallel.workers=2", "parallel.workers: unknown key"),
])
def test_bad_parallel_settings_are_one_line_exit_2(tiny_config_file, capsys, setting, words):
    assert main(["run", str(tiny_config_file()), "--set", setting, "--dry-run"]) == 2
    err = capsys.readouterr().err
    assert words in err and len(err.strip().splitlines()) == 1


def test_dry_run_names_the_workers(tiny_config_file, capsys):
    assert main(["run", str(tiny_config_file(lr=[0.1, 0.01, 0.001])), "--set", "parallel.per_device=2", "--dry-run"]) == 0
    assert "parallel: 2 workers on cpu, 1 thread each" in capsys.readouterr().out


def test_sigusr1_skips_the_only_running_trial_and_warns_when_several_run(tmp_path):
    from sweepdeck.engine.events import EpochMetrics

    def epochs(run_dir: Path) -> set[str]:
        return {e.trial_id for e in events_of(run_dir, EpochMetrics)} if (run_dir / store.EVENTS).exists() else set()

    proc, run_dir = _start_cli(tmp_path / "one", tiny_raw(n_epochs=100_000))  # one worker
    try:
        _wait_until(lambda: "t000" in epochs(run_dir), proc)
        proc.send_signal(signal.SIGUSR1)
        assert proc.wait(timeout=60) == 0
    finally:
        proc.kill()  # a failed step must not leave a 100,000-epoch sweep running
    assert [(e.trial_id, e.status) for e in events_of(run_dir, TrialFinished)] == [("t000", "skipped")]

    proc, run_dir = _start_cli(tmp_path / "two", tiny_raw(n_epochs=100_000, lr=[0.01, 0.02], parallel=TWO_WORKERS))
    try:
        _wait_until(lambda: {"t000", "t001"} <= epochs(run_dir), proc)
        proc.send_signal(signal.SIGUSR1)
        _wait_until(lambda: any("SIGUSR1" in e.message for e in events_of(run_dir, LogLine)), proc, timeout=30)
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=60) == 143
    finally:
        proc.kill()
    assert {e.trial_id: e.status for e in events_of(run_dir, TrialFinished)} == {"t000": "interrupted", "t001": "interrupted"}


def test_resume_on_more_workers_keeps_threads_and_numbers(tmp_path, capsys):
    from sweepdeck.engine.events import RunStarted

    raw = {**FOUR_TRIALS, "parallel": {"per_device": 1}}  # threads: auto, all the cores for one worker
    reference = tmp_path / "reference"
    sweep_into(reference, raw)
    run_dir = interrupted_run(tmp_path / "run", raw)
    recorded = json.loads((run_dir / store.ENV).read_text())["parallel"]["threads"]
    assert main(["resume", str(run_dir), "--no-report", "--set", "lr=0.5"]) == 2
    assert "resume changes only parallel.*" in capsys.readouterr().err
    assert main(["resume", str(run_dir), "--no-report", "--set", "parallel.per_device=2"]) == 0
    resumed = events_of(run_dir, RunStarted)[-1]
    assert resumed.resumed and resumed.workers == 2 and resumed.threads == recorded  # "auto" would be cores / 2
    # (on this CPU, 1 and 2 threads round this sweep's sums differently: the count must stay)
    assert store.comparable_metrics(run_dir) == store.comparable_metrics(reference)
