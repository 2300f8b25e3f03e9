"""Early stopping through Optuna's pruners: a pruned trial stops after exactly the
epoch its pruner decided on, keeps its epochs and weights, and is called pruned;
the decisions depend on the lag B, never on the number of workers or a resume."""

from __future__ import annotations

import csv

from pathlib import Path

import pytest

from conftest import events_of, sweep_into, tiny_raw
from sweepdeck.engine import store
from sweepdeck.engine.cli import main
from sweepdeck.engine.config import validate_config
from sweepdeck.engine.events import EpochMetrics, LogLine, TrialFinished

# test_loss, not test_acc: at this size the accuracy sits at 0.5 for the first epochs.
ASHA = tiny_raw(n_epochs=3, lr=[0.02, 0.0001, 0.01, 0.00003], bias=[True], batch_norm=[True],
                search={"batch": 2},
                early_stop={"method": "asha", "metric": "test_loss", "min_epochs": 1, "reduction_factor": 2})


@pytest.fixture(scope="module")
def asha_run(tmp_path_factory) -> Path:
    run_dir = tmp_path_factory.mktemp("asha") / "run"
    assert sweep_into(run_dir, ASHA).status == "completed"
    return run_dir


def _statuses(run_dir: Path) -> dict[str, tuple[str, int]]:
    return {e.trial_id: (e.status, e.epochs_done) for e in events_of(run_dir, TrialFinished)}


def test_a_pruned_trial_stops_after_its_epoch_and_keeps_its_epochs_and_weights(asha_run):
    statuses = _statuses(asha_run)
    pruned = [tid for tid, (status, _) in statuses.items() if status == "pruned"]
    assert pruned and "t000" not in pruned  # the first trial has nothing to be compared with
    epochs = {}
    for e in events_of(asha_run, EpochMetrics):
        epochs.setdefault(e.trial_id, []).append(e.epoch)
    for tid in pruned:
        done = statuses[tid][1]
        assert 1 <= done < 3 and epochs[tid] == list(range(1, done + 1))  # not one batch more was recorded
        assert (asha_run / "trials" / tid / "weights.pt").is_file()
        assert not (asha_run / "trials" / tid / "checkpoint.pt").exists()
        assert any(e.message.startswith(f"{tid} pruned after epoch {done}") for e in events_of(asha_run, LogLine))
    rows = {r["trial_id"]: r for r in store.trial_rows(store.read_events(asha_run / store.EVENTS), store.read_resolved(asha_run))}
    assert {tid for tid, r in rows.items() if r["status"] == "pruned"} == set(pruned)
    assert store.summarize_run(asha_run).status == "completed"


def test_show_names_pruned_trials(asha_run, capsys):
    assert main(["show", str(asha_run)]) == 0
    out = capsys.readouterr().out
    pruned = [tid for tid, (status, _) in _statuses(asha_run).items() if status == "pruned"]
    assert any(line.startswith(pruned[0]) and " pruned " in line for line in out.splitlines()), out


def test_two_workers_prune_the_same_trials_at_the_same_epochs(tmp_path, asha_run):
    """The lag (search.batch) decides what each verdict sees, not which worker was faster."""
    raw = {**ASHA, "parallel": {"per_device": 2, "threads": 1}}
    assert sweep_into(tmp_path / "run", raw).status == "completed"
    assert _statuses(tmp_path / "run") == _statuses(asha_run)
    assert store.comparable_metrics(tmp_path / "run") == store.comparable_metrics(asha_run)


def test_a_stopped_sweep_with_a_pruner_resumes_to_the_same_verdicts(tmp_path, asha_run):
    from sweepdeck.engine.runner import run_sweep
    from sweepdeck.engine.train import StopFlags
    from sweepdeck.engine.trials import build_trials

    flags = StopFlags()

    def stop(event):
        if isinstance(event, EpochMetrics) and event.trial_id == "t002":
            flags.stop = True

    run_dir = tmp_path / "run"
    assert sweep_into(run_dir, ASHA, listeners=[stop], flags=flags).status == "interrupted"
    cfg = validate_config(ASHA)
    assert run_sweep(cfg, ASHA, build_trials(cfg), run_dir, resume=True).status == "completed"
    final = {tid: s for tid, s in _statuses(run_dir).items()}
    assert final == _statuses(asha_run)
    assert store.comparable_metrics(run_dir) == store.comparable_metrics(asha_run)


# --- the pruner's view ------------------------------------------------------------------------------

def _finished(cfg, records: dict, index: int, losses: list[float], lag: int) -> None:
    """Add a completed trial to `records`, with the notes its pruner would have made."""
    from sweepdeck.engine.search import PruneJudge, Record, replay

    rec = Record(index=index, status="completed", curve={e + 1: {"test_loss": v} for e, v in enumerate(losses)})
    judge = PruneJudge(cfg, index, lag, records)
    replay(judge, rec.curve)
    rec.prune_attrs = judge.notes()
    records[index] = rec


def test_a_verdict_sees_only_the_trials_visible_to_it():
    from sweepdeck.engine.search import PruneJudge

    cfg = validate_config({**ASHA, "n_epochs": 4})
    records: dict = {}
    _finished(cfg, records, 0, [0.1, 0.1, 0.1, 0.1], lag=2)
    _finished(cfg, records, 1, [0.01, 0.01, 0.01, 0.01], lag=2)
    # with lag 2, trial 2 sees trial 0 only: better than it, it goes on, though trial 1 is far better
    assert PruneJudge(cfg, 2, 2, records).judge(1, {"test_loss": 0.05}) is False
    # with lag 1 it sees trial 1 too, and is stopped for being worse than it
    assert PruneJudge(cfg, 2, 1, records).judge(1, {"test_loss": 0.05}) is True


def test_no_verdict_before_min_epochs_or_after_the_last_epoch():
    from sweepdeck.engine.search import decision_epochs

    cfg = validate_config({**ASHA, "n_epochs": 6, "early_stop": {"method": "median", "min_epochs": 2}})
    assert decision_epochs(cfg) == (2, 3, 4, 5)
    assert decision_epochs(validate_config(tiny_raw())) == ()


def test_the_report_counts_pruned_trials_and_never_calls_one_best_silently(asha_run, tmp_path):
    import shutil

    from sweepdeck.engine.analysis.facts import build_facts
    from sweepdeck.engine.analysis.offline import offline_body
    from sweepdeck.engine.analysis.verify import verify

    fs = build_facts(asha_run)
    n_pruned = sum(1 for status, _ in _statuses(asha_run).values() if status == "pruned")
    assert fs.facts["run.n_pruned"].value == n_pruned and fs.facts["run.n_completed"].value == 4 - n_pruned
    body = offline_body(fs)
    assert f"{n_pruned} pruned" in body and verify(body, fs).ok
    # a copy whose best trial is a pruned one: the headline says so
    copy = tmp_path / "run"
    shutil.copytree(asha_run, copy)
    pruned = next(tid for tid, (status, _) in _statuses(asha_run).items() if status == "pruned")
    with (copy / "metrics.csv").open(newline="") as fh:
        rows = list(csv.DictReader(fh))
    for row in rows:
        if row["trial_id"] == pruned:
            row["test_acc"] = "0.99"
    with (copy / "metrics.csv").open("w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    fs = build_facts(copy)
    assert fs.top[0] == pruned and fs.facts["best.status"].value == "pruned"
    assert "a pruned trial, stopped early by the sweep's pruner" in offline_body(fs)


def test_the_best_trial_line_says_when_it_was_pruned():
    summary = store.RunSummary(run_id="r", path="r", name="r", created=0, status="completed", n_trials=2,
                               n_finished=2, best_test_acc=0.9, best_trial="t001", best_status="pruned")
    assert summary.best_label() == "t001, a pruned trial: stopped early by the pruner"
    assert summary.model_copy(update={"best_status": "completed"}).best_label() == "t001"


# --- kill -9 of a TPE sweep with a pruner, resumed from the command line ---------------------------

TPE_ASHA = tiny_raw(n_epochs=3, lr={"low": 1e-3, "high": 0.05, "log": True}, l2_mul_lambda={"low": 1e-4, "high": 1e-2, "log": True},
                    bias=[True], batch_norm=[True], search={"method": "tpe", "n_trials": 6, "seed": 4},
                    early_stop={"method": "asha", "metric": "test_loss", "min_epochs": 1, "reduction_factor": 2})


def test_kill_9_of_a_tpe_sweep_with_a_pruner_resumes_to_the_same_proposals_verdicts_and_numbers(tmp_path):
    import json
    import os
    import signal
    import subprocess
    import sys
    import time

    from sweepdeck.engine.events import TrialStarted

    reference = tmp_path / "reference"
    assert sweep_into(reference, TPE_ASHA).status == "completed"
    assert {"completed", "pruned"} <= {status for status, _ in _statuses(reference).values()}
    cfg = tmp_path / "c.json"
    cfg.write_text(json.dumps(TPE_ASHA))
    run_dir = tmp_path / "run"
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1]), "OMP_NUM_THREADS": "1"}
    proc = subprocess.Popen([sys.executable, "-m", "sweepdeck.engine.cli", "run", str(cfg), "--run-dir", str(run_dir),
                             "--no-report"], env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 120
        # after t003's first epoch: TPE has proposed, the pruner has judged, t003 runs
        while time.monotonic() < deadline and proc.poll() is None:
            if (run_dir / store.EVENTS).exists() and b'"trial_id":"t003","epoch":1' in (run_dir / store.EVENTS).read_bytes():
                break
            time.sleep(0.005)
        proc.send_signal(signal.SIGKILL)
    finally:
        proc.kill()
        proc.wait()
    assert store.summarize_run(run_dir).status == "crashed"
    assert main(["resume", str(run_dir), "--no-report"]) == 0
    proposals = lambda d: {e.trial_id: e.params for e in events_of(d, TrialStarted)}  # noqa: E731
    assert proposals(run_dir) == proposals(reference)
    assert _statuses(run_dir) == _statuses(reference)
    assert store.comparable_metrics(run_dir) == store.comparable_metrics(reference)
