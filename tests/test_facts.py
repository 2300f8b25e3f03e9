"""The fact sheet on hand-built results with known answers."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from sweepdeck.engine import store
from sweepdeck.engine.analysis.facts import RunDataError, build_facts
from tests.support.synthetic import make_run, paper_config
from sweepdeck.engine.config import validate_config
from sweepdeck.engine.events import EpochMetrics, RunFinished, RunStarted, TrialFinished, TrialStarted, append_event
from sweepdeck.engine.trials import build_trials

# test accuracy, train accuracy, train loss, test loss per epoch, per trial (3 epochs each)
CURVES = {
    # t000: Summation sum=0.01 — best test acc 0.80 at epoch 2, final 0.78
    "t000": [(0.70, 0.72, 0.50, 0.52), (0.80, 0.82, 0.40, 0.42), (0.78, 0.84, 0.35, 0.45)],
    # t001: Summation sum=0.001 — THE BEST on test: 0.86 at epoch 3
    "t001": [(0.75, 0.76, 0.45, 0.47), (0.83, 0.85, 0.38, 0.40), (0.86, 0.88, 0.33, 0.36)],
    # t002: Multiplication mul=0.01 — highest TRAIN accuracy (0.99), test only 0.81: overfits
    "t002": [(0.72, 0.80, 0.40, 0.45), (0.81, 0.95, 0.20, 0.50), (0.79, 0.99, 0.10, 0.60)],
    # t003: Multiplication mul=0.001 — underfits: train 0.60
    "t003": [(0.55, 0.56, 0.90, 0.91), (0.58, 0.59, 0.88, 0.89), (0.60, 0.60, 0.86, 0.88)],
}


def hand_built(run_dir: Path) -> Path:
    raw = {"lr": 0.01, "n_epochs": 3, "l2_sum_lambda": [0.01, 0.001], "l2_mul_lambda": [0.01, 0.001],
           "wn": [0.9], "seed": [42], "opt_name": "adamw"}
    cfg = validate_config(raw)
    trials = build_trials(cfg)
    run_dir.mkdir(parents=True)
    store.write_json_atomic(run_dir / store.CONFIG, raw)
    store.write_json_atomic(run_dir / store.RESOLVED, {
        "run_id": run_dir.name, "config": cfg.model_dump(mode="json"),
        "trials": [t.model_dump(mode="json") for t in trials], "dataset": "toy", "model": "tiny"})
    store.write_json_atomic(run_dir / store.ENV, {"device": "cpu", "device_name": "cpu"})
    t = 1000.0
    with (run_dir / store.EVENTS).open("w") as fh:
        append_event(fh, RunStarted(time=t, run_id=run_dir.name, name="toy", n_trials=4, trial_ids=[x.id for x in trials],
                                    device="cpu", pid=1, host="h"))
        for tr in trials:
            append_event(fh, TrialStarted(time=t, trial_id=tr.id, index=tr.index, label=tr.label, exp_type=tr.params.exp_type,
                                          params=tr.params.model_dump(mode="json"), n_epochs=3))
            for e, (te, tra, trl, tel) in enumerate(CURVES[tr.id], start=1):
                t += 2.0
                append_event(fh, EpochMetrics(time=t, trial_id=tr.id, epoch=e, train_loss=trl, penalty_sum=0, penalty_mul=0,
                                              train_acc=tra, train_eval_loss=trl, test_loss=tel, test_acc=te, test_f1=te,
                                              test_confusion=[[1, 0], [0, 1]], lr=0.01, epoch_time_s=2.0, rho=1.0,
                                              layer_norms=[1.0]))
            append_event(fh, TrialFinished(time=t, trial_id=tr.id, status="completed", epochs_done=3, duration_s=6.0,
                                           margin={"t000": 0.1, "t001": 0.3, "t002": 0.2, "t003": 0.05}[tr.id]))
        append_event(fh, RunFinished(time=t + 1, status="completed"))
    store.write_tables(run_dir)
    return run_dir


@pytest.fixture
def fs(tmp_path):
    return build_facts(hand_built(tmp_path / "run"))


def test_per_trial_facts(fs):
    t = fs.trials
    assert list(t.index) == ["t000", "t001", "t002", "t003"]
    assert t.loc["t000", "test_acc_best"] == pytest.approx(0.80)
    assert t.loc["t000", "test_acc_best_epoch"] == 2
    assert t.loc["t000", "test_acc_final"] == pytest.approx(0.78)
    assert t.loc["t002", "train_acc_final"] == pytest.approx(0.99)
    assert t.loc["t002", "train_test_gap_final"] == pytest.approx(0.20)
    assert t.loc["t001", "epochs_per_s"] == pytest.approx(0.5)
    assert t.loc["t001", "margin"] == pytest.approx(0.3)
    # loss trend over the last epochs (window shrinks to the 2 available steps)
    assert t.loc["t002", "test_loss_change_last"] == pytest.approx((0.60 - 0.45) / 0.45)
    assert t.loc["t001", "train_loss_change_last"] < 0
    assert not t["diverged"].any()
    # column names say split and statistic
    assert not any(c in ("acc", "accuracy", "loss") for c in t.columns)


def test_best_test_and_best_train_are_different_trials(fs):
    assert fs.top == ["t001", "t002", "t000"]
    assert fs.facts["best.trial_id"].value == "t001"
    assert fs.facts["best.test_acc_best"].value == pytest.approx(0.86)
    assert fs.facts["best_train.trial_id"].value == "t002"
    assert fs.facts["best_train.train_acc_final"].value == pytest.approx(0.99)
    assert fs.facts["best_train.rank_test_acc_best"].value == 2


def test_best_per_type_and_sensitivity(fs):
    assert fs.best_per_type == {"Summation": "t001", "Multiplication": "t002"}
    assert set(fs.varied) == {"exp_type", "l2_sum_lambda", "l2_mul_lambda"}
    s = fs.sensitivity["exp_type"].set_index("value")
    assert s.loc["Summation", "test_acc_best_mean"] == pytest.approx((0.80 + 0.86) / 2)
    assert s.loc["Multiplication", "test_acc_best_max"] == pytest.approx(0.81)
    mul = fs.sensitivity["l2_mul_lambda"].set_index("value")
    assert set(mul.index) == {"0.01", "0.001"}  # only Multiplication trials (no unregularised ones here)
    assert fs.facts["sens.l2_mul_lambda.0.001.test_acc_best_mean"].value == pytest.approx(0.60)
    assert fs.facts["sens.exp_type.test_acc_best_mean_range"].value == pytest.approx(0.83 - 0.705)


def test_not_varied_is_listed(fs):
    assert fs.not_varied["lr"] == 0.01
    assert fs.not_varied["opt_name"] == "adamw"
    assert fs.not_varied["n_epochs"] == 3
    assert "lr" not in fs.varied


def test_flags_carry_their_rule(fs):
    kinds = {(f.trial_id, f.kind) for f in fs.flags}
    assert ("t002", "overfitting") in kinds
    assert ("t003", "underfitting") in kinds
    assert ("t001", "overfitting") not in kinds
    rule = next(f.rule for f in fs.flags if f.trial_id == "t002" and f.kind == "overfitting")
    assert "20.00 pp" in rule and "5.00 pp" in rule


def test_placeholder_names_and_aliases(fs):
    assert fs.fact("trial.1.test_acc_best").value == pytest.approx(0.86)
    assert fs.fact("trial.t1.test_acc_best").value == pytest.approx(0.86)
    assert fs.fact(" trial.t001.train_acc_final ").display() == "88.00%"
    assert fs.fact("top.3.trial_id").value == "t000"
    assert fs.fact("type.Multiplication.trial_id").value == "t002"
    assert fs.fact("nope.nothing") is None
    json.dumps(fs.to_json())  # serialisable


def test_diverged_failed_and_pending_trials(tmp_path):
    run = make_run(tmp_path / "r", paper_config(), diverge={"t003": 4}, statuses={"t005": "pending", "t004": "failed"})
    fs = build_facts(run)
    t = fs.trials
    assert t.loc["t003", "status"] == "diverged" and t.loc["t003", "diverged"]
    assert t.loc["t003", "epochs_done"] == 3
    assert t.loc["t005", "status"] == "pending" and math.isnan(t.loc["t005", "test_acc_best"])
    assert "t005" not in fs.ranked.index
    assert {(f.trial_id, f.kind) for f in fs.flags} >= {("t003", "diverged"), ("t004", "failed")}
    assert fs.facts["run.n_diverged"].value == 1


def test_without_train_accuracy(tmp_path):
    fs = build_facts(make_run(tmp_path / "r", paper_config(), eval_train_set=False))
    assert not fs.has_train_acc
    assert fs.trials["train_test_gap_final"].isna().all()
    assert "best_train.trial_id" not in fs.facts


def test_not_a_run_folder(tmp_path):
    with pytest.raises(RunDataError):
        build_facts(tmp_path)


def test_csvs_missing_are_rebuilt_from_the_log(tmp_path):
    run = hand_built(tmp_path / "run")
    (run / "metrics.csv").unlink()
    (run / "trials.csv").unlink()
    fs = build_facts(run)
    assert fs.top[0] == "t001"


def test_the_ranking_fact_orders_trials_by_best_test_accuracy(fs):
    # t001 86%, t002 81%, t000 80%, t003 60%: a ranking a report can quote and cannot get wrong
    assert fs.facts["run.ranking"].value == "sum=0.001 (t001) > mul=0.01 (t002) > sum=0.01 (t000) > mul=0.001 (t003)"
