"""Run folders are shared between people: a crafted or damaged one must not run
code, write outside itself, or lose what was recorded (issue 8, items 1 and 6-10)."""

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch

from conftest import FOUR_TRIALS, interrupted_copy, interrupted_run, tiny_raw
from sweepdeck.engine import store
from sweepdeck.engine.cli import main
from sweepdeck.engine.events import EpochMetrics, TrialStarted, read_events

ROOT = Path(__file__).resolve().parents[1]
RAW = FOUR_TRIALS


@pytest.fixture
def finished(finished_run) -> Path:
    return finished_run


def resume(run_dir: Path, *extra: str) -> int:
    return main(["resume", str(run_dir), "--no-report", *extra])


def one_clean_line(err: str) -> str:
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert "Traceback" not in err
    assert len(lines) == 1, err
    return lines[0]


# --- item 1: checkpoints never run code ------------------------------------------------------

class _RunsCode:
    def __init__(self, marker: Path):
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


def test_a_crafted_checkpoint_runs_no_code_and_the_trial_reruns(finished, tmp_path, capsys):
    run_dir = interrupted_copy(finished, tmp_path)
    marker = tmp_path / "code-ran"
    ckpt = run_dir / "trials" / "t000" / "checkpoint.pt"
    torch.save({"epoch": 1, "model": _RunsCode(marker)}, ckpt)

    assert resume(run_dir) == 0
    assert not marker.exists()
    assert not ckpt.exists() and (ckpt.parent / "checkpoint.rejected").exists()
    assert store.comparable_metrics(run_dir) == store.comparable_metrics(finished)
    warnings = [e.message for e in read_events(run_dir / store.EVENTS).events if getattr(e, "level", "") == "warning"]
    assert any("checkpoint.pt" in w and "reruns from epoch 1" in w for w in warnings)
    assert "Traceback" not in capsys.readouterr().err


@pytest.mark.parametrize("plant", ["directory", "wrong structure", "another trial's"])
def test_an_unusable_checkpoint_is_set_aside_and_the_trial_reruns(finished, tmp_path, plant):
    run_dir = interrupted_copy(finished, tmp_path)
    ckpt = run_dir / "trials" / "t000" / "checkpoint.pt"
    if plant == "directory":
        ckpt.mkdir(parents=True)
    elif plant == "wrong structure":
        torch.save({"epoch": 1, "model": [1, 2, 3]}, ckpt)
    else:
        torch.save({"epoch": 1, "trial_key": "0123abcd", "model": {}, "optimizer": {"state": {}, "param_groups": []},
                    "scheduler": {}, "rng": {}}, ckpt)
    assert resume(run_dir) == 0
    assert (ckpt.parent / "checkpoint.rejected").exists()
    assert store.comparable_metrics(run_dir) == store.comparable_metrics(finished)


def test_a_checkpoint_continues_its_trial_identically(finished, tmp_path, monkeypatch):
    """weights_only checkpoints still restore everything: optimizer, scheduler, RNGs."""
    run_dir = interrupted_run(tmp_path / "run", RAW, after_epoch=2)
    assert (run_dir / "trials" / "t000" / "checkpoint.pt").is_file()
    assert resume(run_dir) == 0
    started = [e for e in read_events(run_dir / store.EVENTS).events if isinstance(e, TrialStarted)]
    assert started[1].trial_id == "t000" and started[1].start_epoch == 3
    assert store.comparable_metrics(run_dir) == store.comparable_metrics(finished)


# --- item 6: one writer, even when many start at once -------------------------------------------

_RACER = """
import os, sys, time
from pathlib import Path
sys.path.insert(0, {root!r})
from sweepdeck.engine.store import RunLockedError, acquire_lock
runs = Path({runs!r})
for r in range({rounds}):
    start = {go!r} + r * {gap!r}
    while time.time() < start:
        pass
    try:
        lock = acquire_lock(runs / str(r))
    except RunLockedError:
        lock = None
    (runs / "tried" / f"{{r}}-{{os.getpid()}}").touch()
    if lock is None:
        continue
    print(r, flush=True)
    # hold it until every racer has tried this round, however late the scheduler let it run
    deadline = time.time() + 30
    while len(list((runs / "tried").glob(f"{{r}}-*"))) < {racers} and time.time() < deadline:
        time.sleep(0.005)
    lock.release()
"""


@pytest.mark.parametrize("stale_lock", [False, True])
def test_of_many_runners_started_at_once_exactly_one_takes_the_folder(tmp_path, stale_lock):
    rounds, gap, racers = 10, 0.3, 8
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    (tmp_path / "tried").mkdir()
    for r in range(rounds):
        (tmp_path / str(r)).mkdir()
        if stale_lock:  # the case that raced worst: all of them take over a dead runner's lock
            stale = store.LockInfo(pid=dead.pid, host=os.uname().nodename, started=0)
            (tmp_path / str(r) / store.LOCK).write_text(stale.model_dump_json())
    go = time.time() + 3.0  # every racer is imported and spinning by then
    code = _RACER.format(root=str(ROOT), go=go, gap=gap, rounds=rounds, runs=str(tmp_path), racers=racers)
    procs = [subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True) for _ in range(racers)]
    wins = [int(line) for p in procs for line in p.communicate(timeout=90)[0].split()]
    assert sorted(wins) == list(range(rounds))  # each round: one winner, never two
    assert len(list((tmp_path / "tried").iterdir())) == rounds * racers
    assert not any((tmp_path / str(r) / store.LOCK).exists() for r in range(rounds))


# --- item 8: a damaged line hides nothing after it ---------------------------------------------

def test_a_damaged_line_is_skipped_and_resume_goes_on(finished, tmp_path, capsys):
    run_dir = interrupted_copy(finished, tmp_path, n_epoch_events=2)
    with (run_dir / store.EVENTS).open("ab") as fh:
        fh.write(b"\0\0\0\0\n")  # what a crash on some filesystems leaves
    assert resume(run_dir) == 0
    log = read_events(run_dir / store.EVENTS)
    assert "damaged" in log.damage and "skipped" in log.damage
    # 2 epochs before the damaged line, then t000 again from epoch 1 and the other three
    assert sum(isinstance(e, EpochMetrics) for e in log.events) == 2 + 4 * 3
    assert store.comparable_metrics(run_dir) == store.comparable_metrics(finished)
    assert store.summarize_run(run_dir).status == "completed"
    capsys.readouterr()
    assert main(["show", str(run_dir)]) == 0
    assert "skipped a damaged line" in capsys.readouterr().out


# --- item 9: resume --force matches trials by their parameters ---------------------------------

def test_force_with_a_changed_trial_list_keeps_matching_trials_and_runs_new_ones(finished, tmp_path, monkeypatch, capsys):
    run_dir = interrupted_run(tmp_path / "run", RAW)
    # A new lr in front: by position, every trial's id would now mean another trial.
    changed = {**RAW, "lr": [0.005, 0.01, 0.02]}
    (run_dir / store.CONFIG).write_text(json.dumps(changed))

    assert resume(run_dir) == 2
    assert "trials built from config.json differ" in capsys.readouterr().err
    assert resume(run_dir, "--force") == 0
    out = capsys.readouterr().out
    assert "kept 4 trials" in out and "new: t004, t005" in out
    metrics = store.comparable_metrics(run_dir)
    old = [r for r in metrics if r["trial_id"] in ("t000", "t001", "t002", "t003")]
    assert old == store.comparable_metrics(finished)  # t000 continued its own checkpoint
    assert {r["trial_id"] for r in metrics} == {f"t00{i}" for i in range(6)}
    resolved = store.read_resolved(run_dir)
    by_id = {t["id"]: t["params"]["lr"] for t in resolved["trials"]}
    assert by_id["t000"] == 0.01 and by_id["t004"] == 0.005 and by_id["t005"] == 0.005


def test_resume_without_env_json_does_not_skip_the_checks(finished, tmp_path, capsys):
    run_dir = interrupted_copy(finished, tmp_path)
    (run_dir / store.ENV).unlink()
    assert resume(run_dir) == 2
    assert "env.json is missing" in one_clean_line(capsys.readouterr().err)
    assert resume(run_dir, "--force") == 0
    assert store.comparable_metrics(run_dir) == store.comparable_metrics(finished)


# --- item 10: a folder is absent or resumable; links are not followed -------------------------

_KILLED_BETWEEN_FILES = """
import os, signal, sys
sys.path.insert(0, {root!r})
import sweepdeck.engine.store as store
real = store.write_json_atomic
def write_then_die(path, obj):
    real(path, obj)
    if path.name == "config.json":
        os.kill(os.getpid(), signal.SIGKILL)
store.write_json_atomic = write_then_die
from sweepdeck.engine.cli import main
main(["run", {cfg!r}, "--no-report"])
"""


def test_a_kill_between_config_and_resolved_leaves_no_run_behind(tmp_path):
    runs = tmp_path / "runs"
    cfg = tmp_path / "cfg.json"
    cfg.write_text(json.dumps(tiny_raw(runs_dir=str(runs))))
    proc = subprocess.run([sys.executable, "-c", _KILLED_BETWEEN_FILES.format(root=str(ROOT), cfg=str(cfg))],
                          capture_output=True, timeout=120)
    assert proc.returncode == -9
    assert store.list_runs(runs) == []  # not listed as an "empty" run
    for folder in runs.iterdir():
        assert folder.name.startswith(".") or not any(folder.iterdir())


def test_a_symlinked_log_is_not_written_through(finished, tmp_path, capsys):
    run_dir = interrupted_copy(finished, tmp_path)
    victim = tmp_path / "victim.txt"
    victim.write_text("precious\n")
    (run_dir / store.EVENTS).unlink()
    (run_dir / store.EVENTS).symlink_to(victim)
    assert resume(run_dir) == 2
    assert "symbolic link" in one_clean_line(capsys.readouterr().err)
    assert victim.read_text() == "precious\n"
    assert "symbolic link" in read_events(run_dir / store.EVENTS).damage


# --- item 13: damaged files are one line, not a traceback ----------------------------------------

def test_resolved_json_of_the_wrong_shape_is_one_line(finished, tmp_path, capsys):
    run_dir = interrupted_copy(finished, tmp_path)
    (run_dir / store.RESOLVED).write_text('{"trials": 5}')
    assert main(["show", str(run_dir)]) == 0
    capsys.readouterr()
    assert resume(run_dir) == 2
    assert "resolved.json" in one_clean_line(capsys.readouterr().err)


def test_no_text_read_from_a_log_can_drive_the_terminal():
    from sweepdeck.engine.events import parse_event

    line = json.dumps({"type": "trial_finished", "trial_id": "t000\x1b[2J", "status": "failed", "epochs_done": 0,
                       "duration_s": 1.0, "error": "boom \x1b]0;pwned\x07\x1b[?1049h", "time": 1.0})
    event = parse_event(line)
    assert event.trial_id == "t000" and event.error == "boom "


# --- issue 11: the skip inbox of a shared folder ------------------------------------------------------

def test_a_requests_link_in_a_shared_folder_never_deletes_elsewhere(tmp_path):
    from sweepdeck.engine.control import REQUESTS_DIR, clear_requests, request_skip, take_skip_requests

    precious = tmp_path / "precious"
    precious.mkdir()
    (precious / "skip.t001").write_text("mine")
    (precious / "thesis.tex").write_text("mine")
    run_dir = tmp_path / "run"
    run_dir.mkdir()
    (run_dir / REQUESTS_DIR).symlink_to(precious)
    clear_requests(run_dir)  # what a runner does when it starts
    assert take_skip_requests(run_dir) == []
    assert sorted(p.name for p in precious.iterdir()) == ["skip.t001", "thesis.tex"]
    with pytest.raises(OSError):
        request_skip(run_dir, "t002")  # and nothing is written through the link either
    assert not (precious / "skip.t002").exists()
