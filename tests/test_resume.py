"""Runs that survive: kill -9 and SIGTERM mid-sweep, resume, and get the same numbers."""

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import tiny_raw
from sweepdeck.engine import store

ROOT = Path(__file__).resolve().parents[1]
ENV = {**os.environ, "PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1"}


def _cli(*args: str) -> list[str]:
    return [sys.executable, "-m", "sweepdeck.engine.cli", *args]


def _write_config(tmp_path: Path) -> Path:
    raw = tiny_raw(n_epochs=4, lr=[0.01, 0.02], l2_mul_lambda=[0.001], wn=[0.9], mislabel_percentage=0.05)
    path = tmp_path / "sweep.json"
    path.write_text(json.dumps(raw))
    return path


@pytest.fixture(scope="module")
def reference(tmp_path_factory) -> tuple[Path, list[dict]]:
    tmp = tmp_path_factory.mktemp("ref")
    cfg = _write_config(tmp)
    run_dir = tmp / "run"
    subprocess.run(_cli("run", str(cfg), "--run-dir", str(run_dir), "--no-report"), env=ENV, check=True,
                   capture_output=True, timeout=300, stdin=subprocess.DEVNULL)
    return cfg, store.comparable_metrics(run_dir)


def _start(cfg: Path, run_dir: Path) -> subprocess.Popen:
    return subprocess.Popen(_cli("run", str(cfg), "--run-dir", str(run_dir), "--no-report"), env=ENV,
                            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def _wait_for_lines(path: Path, n: int, proc: subprocess.Popen, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and proc.poll() is None:
        if path.exists() and path.read_bytes().count(b"\n") >= n:
            return
        time.sleep(0.005)


def _resume(run_dir: Path, *extra: str) -> subprocess.CompletedProcess:
    return subprocess.run(_cli("resume", str(run_dir), "--no-report", *extra), env=ENV, capture_output=True,
                          text=True, timeout=300, stdin=subprocess.DEVNULL)


@pytest.mark.parametrize("seed", [1, 2])
def test_kill_9_at_a_random_point_then_resume_gives_identical_metrics(tmp_path, reference, seed):
    cfg, expected = reference
    run_dir = tmp_path / "run"
    proc = _start(cfg, run_dir)
    # 16 epochs + trial/run events: somewhere in the middle of the sweep
    _wait_for_lines(run_dir / "events.jsonl", random.Random(seed).randint(3, 18), proc)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert store.summarize_run(run_dir).status in ("crashed", "completed")
    done = _resume(run_dir)
    assert done.returncode == 0, done.stderr
    assert store.comparable_metrics(run_dir) == expected
    assert store.summarize_run(run_dir).status == "completed"


def test_resume_after_a_kill_during_writes(tmp_path, reference):
    """What a kill in the middle of a checkpoint or log write leaves behind: a
    half-written temp checkpoint, a corrupt checkpoint and a partial log line."""
    cfg, expected = reference
    run_dir = tmp_path / "run"
    proc = _start(cfg, run_dir)
    _wait_for_lines(run_dir / "events.jsonl", 5, proc)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    events = run_dir / "events.jsonl"
    with events.open("ab") as fh:
        fh.write(b'{"type": "epoch", "trial_id": "t0')  # the write the kill cut short
    running = [p for p in (run_dir / "trials").iterdir() if (p / "checkpoint.pt").exists()]
    for tdir in running:
        data = (tdir / "checkpoint.pt").read_bytes()
        (tdir / ".checkpoint.pt.tmp999").write_bytes(data[: len(data) // 2])
        (tdir / "checkpoint.pt").write_bytes(data[: len(data) // 3])  # not even atomic rename saved it
    shown = subprocess.run(_cli("show", str(run_dir)), env=ENV, capture_output=True, text=True, timeout=60)
    assert shown.returncode == 0 and "damaged" in shown.stdout
    done = _resume(run_dir)
    assert done.returncode == 0, done.stderr
    assert "repaired" in done.stdout
    assert (run_dir / "events.damaged-tail").read_bytes().startswith(b'{"type": "epoch"')
    assert not list(run_dir.rglob(".*.tmp*"))
    assert store.comparable_metrics(run_dir) == expected


def test_sigterm_stops_cleanly_and_resume_finishes(tmp_path, reference):
    cfg, expected = reference
    run_dir = tmp_path / "run"
    proc = _start(cfg, run_dir)
    _wait_for_lines(run_dir / "events.jsonl", 4, proc)
    t0 = time.monotonic()
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=30) == 143  # 128 + SIGTERM, as shells expect of a stopped job
    assert time.monotonic() - t0 < 10
    summary = store.summarize_run(run_dir)
    assert summary.status == "interrupted"
    assert not (run_dir / "runner.lock").exists()
    assert _resume(run_dir).returncode == 0
    assert store.comparable_metrics(run_dir) == expected


def test_resume_refuses_changed_config_unless_forced(tmp_path, reference):
    cfg, _ = reference
    run_dir = tmp_path / "run"
    proc = _start(cfg, run_dir)
    _wait_for_lines(run_dir / "events.jsonl", 4, proc)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    raw = json.loads((run_dir / "config.json").read_text())
    raw["n_epochs"] = 5
    (run_dir / "config.json").write_text(json.dumps(raw))
    refused = _resume(run_dir)
    assert refused.returncode == 2
    assert "config.json changed" in refused.stderr and "--force" in refused.stderr
    assert "Traceback" not in refused.stderr
    assert _resume(run_dir, "--force").returncode == 0


def test_live_lock_is_refused_and_dead_lock_taken_over(tmp_path):
    run_dir = tmp_path / "run"
    run_dir.mkdir()
    owner = store.acquire_lock(run_dir)
    assert owner.info.pid == os.getpid()
    with pytest.raises(store.RunLockedError, match=f"pid {os.getpid()}"):
        store.acquire_lock(run_dir)
    owner.release()
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    (run_dir / "runner.lock").write_text(store.LockInfo(pid=dead.pid, host=owner.info.host, started=0).model_dump_json())
    taken = store.acquire_lock(run_dir)
    assert taken.info.pid == os.getpid()
    taken.release()
    assert not (run_dir / "runner.lock").exists()


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="process start times come from Linux's /proc")
def test_a_lock_whose_pid_was_reused_or_from_before_a_reboot_is_taken_over(tmp_path):
    run_dir = tmp_path / "run"
    run_dir.mkdir()
    lock = store.acquire_lock(run_dir)
    here = lock.info
    assert here.start_ticks is not None and store.lock_is_live(here)
    lock.release()
    # Our pid, alive, but recorded by a process that started at another time:
    # the pid has been given to someone else since.
    reused = here.model_copy(update={"start_ticks": here.start_ticks - 100})
    assert not store.lock_is_live(reused)
    # The same process, but the lock says another boot: the machine rebooted since.
    if here.boot_id is not None:
        assert not store.lock_is_live(here.model_copy(update={"boot_id": "an-earlier-boot"}))
    # Locks written before these were recorded are judged by the pid alone.
    assert store.lock_is_live(here.model_copy(update={"boot_id": None, "start_ticks": None}))
    (run_dir / "runner.lock").write_text(reused.model_dump_json())
    lock = store.acquire_lock(run_dir)
    assert lock.info.start_ticks == here.start_ticks
    lock.release()


def test_resume_of_a_running_sweep_is_refused(tmp_path, reference):
    cfg, _ = reference
    run_dir = tmp_path / "run"
    proc = _start(cfg, run_dir)
    try:
        _wait_for_lines(run_dir / "events.jsonl", 2, proc)
        refused = _resume(run_dir)
        assert refused.returncode == 2 and "still being written" in refused.stderr
    finally:
        proc.kill()
        proc.wait()


def test_status_follows_the_latest_runner_session(tmp_path):
    from sweepdeck.engine.events import RunFinished, RunStarted, append_event

    run_dir = tmp_path / "run"
    run_dir.mkdir()
    started = dict(run_id="run", name="x", n_trials=1, trial_ids=["t000"], device="cpu", pid=1, host="h")
    with (run_dir / "events.jsonl").open("a") as fh:
        append_event(fh, RunStarted(**started))
        append_event(fh, RunFinished(status="interrupted"))
        assert store.summarize_run(run_dir).status == "interrupted"
        append_event(fh, RunStarted(**started, resumed=True))  # resumed, then killed
        assert store.summarize_run(run_dir).status == "crashed"
        append_event(fh, RunFinished(status="completed"))
        assert store.summarize_run(run_dir).status == "completed"
