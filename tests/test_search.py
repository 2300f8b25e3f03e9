"""Sampled search (TPE, random over ranges): ranges in the config, SPEC §2's types,
proposals that are a pure function of (config, k, trials 0..k-B), and a TPE sweep
that resumes after a stop with exactly the proposals and numbers of an uninterrupted one."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from conftest import events_of, sweep_into, tiny_raw
from sweepdeck.engine import store
from sweepdeck.engine.cli import main
from sweepdeck.engine.config import validate_config
from sweepdeck.engine.errors import ConfigError
from sweepdeck.engine.events import TrialFinished, TrialStarted

RANGES = {"lr": {"low": 1e-4, "high": 0.1, "log": True}, "l2_sum_lambda": {"low": 1e-5, "high": 1e-2, "log": True}}


def _cfg(**over):
    raw = {**RANGES, "search": {"method": "tpe", "n_trials": 40, "seed": 0}, **over}
    return validate_config(raw)


def _objective(p) -> float:
    """A known optimum at lr = 1e-2, λ_sum = 1e-3 (Summation)."""
    penalty = (math.log10(p.l2_sum_lambda) + 3) ** 2 if p.exp_type == "Summation" else 1.0
    return -((math.log10(p.lr) + 2) ** 2) - penalty


def _drive(cfg, n: int, lag: int, objective=_objective, records=None):
    """Propose n trials as the runner would (each sees trials 0..k-lag), scoring them at once."""
    from sweepdeck.engine.search import Proposer, Record

    proposer = Proposer(cfg, lag)
    records = {} if records is None else records
    out = []
    for k in range(n):
        logged = records[k].params if k in records else None
        params = proposer.propose(k, records, logged=logged)
        out.append(params)
        if k not in records:
            v = objective(params)
            records[k] = Record(index=k, status="completed", params=params.model_dump(mode="json"),
                                curve={1: {"test_acc": v / 2}, 2: {"test_acc": v}})
    return out, records


# --- config ------------------------------------------------------------------------------------

def test_a_range_is_accepted_for_tpe_and_random_and_keeps_its_shape():
    cfg = _cfg()
    assert cfg.lr.low == 1e-4 and cfg.lr.log and cfg.l2_sum_lambda.high == 1e-2
    rnd = validate_config({"batchsize": {"low": 16, "high": 128, "step": 16},
                           "search": {"method": "random", "n_trials": 3}})
    assert rnd.batchsize.step == 16 and isinstance(rnd.batchsize.low, int)
    # lists stay lists (a grid axis, or a categorical for tpe)
    assert validate_config({"lr": 0.1}).lr == [0.1]


@pytest.mark.parametrize("change, words", [
    ({"lr": {"low": 0.1, "high": 0.01}}, "lr: {\"low\": 0.1, \"high\": 0.01} is invalid: low (0.1) is above high (0.01): swap them"),
    ({"l2_sum_lambda": {"low": 0, "high": 1, "log": True}}, "log range needs low > 0"),
    ({"search": {"method": "grid"}}, 'needs "search": {"method": "random" or "tpe"'),
    ({"search": {"method": "bayes", "n_trials": 3}}, "search.method"),
    ({"search": {"method": "tpe"}}, "needs search.n_trials"),
    ({"early_stop": {"method": "wandb"}}, "early_stop.method"),
    ({"early_stop": {"method": "asha", "metric": "val_acc"}}, "early_stop.metric"),
    ({"search": {"method": "tpe", "n_trials": 3, "metric": "accuracy"}}, "search.metric"),
    ({"eval_train_set": False, "early_stop": {"method": "median", "metric": "train_acc"}}, "eval_train_set"),
    ({"n_epochs": 3, "early_stop": {"method": "asha", "min_epochs": 3}}, "early_stop.min_epochs"),
    ({"lr": {"low": 1e-3, "high": 0.1, "lo": 3}}, "lr.lo: unknown key"),
])
def test_bad_search_settings_are_one_line_exit_2(tiny_config_file, capsys, change, words):
    raw = {**RANGES, "search": {"method": "tpe", "n_trials": 3}, **change}
    path = tiny_config_file(**raw)
    assert main(["run", str(path), "--dry-run"]) == 2
    err = capsys.readouterr().err
    assert words in err, err
    assert len(err.strip().splitlines()) == 1, err


def test_dry_run_describes_the_search_and_the_pruner(tiny_config_file, capsys):
    path = tiny_config_file(**RANGES, n_epochs=5, search={"method": "tpe", "n_trials": 40, "seed": 0},
                            early_stop={"method": "asha", "metric": "test_acc", "min_epochs": 3})
    assert main(["run", str(path), "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "40 TPE trials over exp_type (Summation, No_Regularization), lr (log 0.0001..0.1)" in out
    assert "l2_sum_lambda (log 1e-05..0.01)" in out and "ASHA early stopping on test_acc from epoch 3" in out


def test_a_range_can_be_set_from_the_command_line(tiny_config_file, capsys):
    path = tiny_config_file(search={"method": "random", "n_trials": 4})
    assert main(["run", str(path), "--dry-run", "--set", 'lr={"low": 0.001, "high": 0.1, "log": true}']) == 0
    assert "4 random trials over lr (log 0.001..0.1)" in capsys.readouterr().out


def test_optuna_is_not_imported_to_validate_or_describe():
    import subprocess
    import sys

    code = ("import sys; from sweepdeck.engine.config import validate_config; from sweepdeck.engine import search; "
            f"search.describe(validate_config({dict(RANGES, search={'method': 'tpe', 'n_trials': 4})!r})); "
            "print('optuna' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


# --- proposals ---------------------------------------------------------------------------------

def test_a_search_over_both_penalties_samples_the_type_then_only_its_weight():
    cfg = _cfg(l2_mul_lambda={"low": 1e-4, "high": 1e-1, "log": True}, search={"method": "random", "n_trials": 60})
    params, _ = _drive(cfg, 60, lag=1, objective=lambda p: 0.0)
    types = {p.exp_type for p in params}
    assert types == {"Summation", "Multiplication"}  # no zero in either: no No_Regularization (SPEC §2)
    for p in params:
        assert (p.l2_sum_lambda > 0) == (p.exp_type == "Summation")
        assert (p.l2_mul_lambda > 0) == (p.exp_type == "Multiplication")
        assert 1e-4 <= p.lr <= 0.1


def test_a_zero_in_a_list_adds_no_regularisation_as_the_grid_rule_does():
    cfg = _cfg(l2_mul_lambda=[0.0, 0.01], search={"method": "random", "n_trials": 40})
    params, _ = _drive(cfg, 40, lag=1, objective=lambda p: 0.0)
    assert {p.exp_type for p in params} == {"Summation", "Multiplication", "No_Regularization"}
    assert {p.l2_mul_lambda for p in params if p.exp_type == "Multiplication"} == {0.01}


def test_proposals_are_a_function_of_the_visible_trials_only():
    cfg = _cfg(search={"method": "tpe", "n_trials": 30, "seed": 3})
    first, records = _drive(cfg, 20, lag=3)
    again, _ = _drive(cfg, 20, lag=3)
    assert first == again
    # trial 19 sees trials 0..16: a different result for 17 or 18 must not change it
    from sweepdeck.engine.search import Proposer, Record

    changed = dict(records)
    for k in (17, 18):
        changed[k] = Record(index=k, status="completed", params=records[k].params, curve={2: {"test_acc": 99.0}})
    proposer = Proposer(cfg, 3)
    for k in range(20):
        p = proposer.propose(k, changed, logged=changed[k].params if k < 19 else None)
    assert p == first[19]
    # ... while different results for trials 0..16 do: TPE learns from them
    reversed_ = {k: Record(index=k, status="completed", params=r.params, curve={2: {"test_acc": -r.final("test_acc")}})
                 for k, r in records.items()}
    proposer = Proposer(cfg, 3)
    for k in range(20):
        q = proposer.propose(k, reversed_, logged=reversed_[k].params if k < 19 else None)
    assert q != first[19]


def test_a_study_replayed_from_logged_proposals_proposes_what_the_first_one_would():
    cfg = _cfg(search={"method": "tpe", "n_trials": 30, "seed": 5})
    uninterrupted, records = _drive(cfg, 25, lag=2)
    replayed, _ = _drive(cfg, 25, lag=2, records={k: records[k] for k in range(18)})
    assert replayed == uninterrupted


def test_tpe_learns_where_the_optimum_is():
    cfg = _cfg(search={"method": "tpe", "n_trials": 40, "seed": 0})
    params, records = _drive(cfg, 40, lag=1)
    late = [records[k].final("test_acc") for k in range(30, 40)]
    early = [records[k].final("test_acc") for k in range(0, 10)]
    assert sorted(late)[5] > sorted(early)[5]  # the median got better


# --- a sweep ---------------------------------------------------------------------------------------

SEARCH = tiny_raw(n_epochs=2, lr={"low": 1e-3, "high": 0.05, "log": True}, l2_mul_lambda={"low": 1e-4, "high": 1e-2, "log": True},
                  bias=[True], batch_norm=[True], search={"method": "tpe", "n_trials": 5, "seed": 2})


@pytest.fixture(scope="module")
def search_run(tmp_path_factory) -> Path:
    run_dir = tmp_path_factory.mktemp("tpe") / "run"
    assert sweep_into(run_dir, SEARCH).status == "completed"
    return run_dir


def _stopped_at(run_dir: Path, raw: dict, trial: str) -> Path:
    """Run `raw` and stop it (as Ctrl+C would) after `trial`'s first epoch."""
    from sweepdeck.engine.events import EpochMetrics
    from sweepdeck.engine.train import StopFlags

    flags = StopFlags()

    def stop(event):
        if isinstance(event, EpochMetrics) and event.trial_id == trial:
            flags.stop = True

    assert sweep_into(run_dir, raw, listeners=[stop], flags=flags).status == "interrupted"
    return run_dir


def _proposals(run_dir: Path) -> dict[str, dict]:
    return {e.trial_id: e.params for e in events_of(run_dir, TrialStarted)}


def test_a_tpe_sweep_records_each_proposal_before_it_starts_and_keeps_trial_order(search_run):
    started = events_of(search_run, TrialStarted)
    assert [e.trial_id for e in started] == ["t000", "t001", "t002", "t003", "t004"]
    assert all(1e-3 <= e.params["lr"] <= 0.05 for e in started)
    assert {e.exp_type for e in started} <= {"Multiplication", "No_Regularization"}
    rows = store.trial_rows(store.read_events(search_run / store.EVENTS), store.read_resolved(search_run))
    assert [r["trial_id"] for r in rows] == ["t000", "t001", "t002", "t003", "t004"]
    assert store.read_resolved(search_run)["search"] == {"lag": 1}  # one worker: the recorded lag


def test_a_stopped_tpe_sweep_resumes_with_the_same_proposals_and_numbers(tmp_path, search_run):
    from sweepdeck.engine.runner import run_sweep
    from sweepdeck.engine.trials import build_trials

    run_dir = _stopped_at(tmp_path / "run", SEARCH, "t003")  # t002 and t003 were TPE's, not random
    assert [e.status for e in events_of(run_dir, TrialFinished)] == ["completed"] * 3 + ["interrupted"]
    cfg = validate_config(SEARCH)
    assert run_sweep(cfg, SEARCH, build_trials(cfg), run_dir, resume=True).status == "completed"
    assert _proposals(run_dir) == _proposals(search_run)
    assert store.comparable_metrics(run_dir) == store.comparable_metrics(search_run)


def test_a_resume_on_more_workers_keeps_the_recorded_lag(tmp_path, search_run):
    """The lag is the number of workers at the first start: a second worker on resume
    must not let a trial see more finished ones than it did."""
    from sweepdeck.engine.runner import run_sweep
    from sweepdeck.engine.trials import build_trials

    run_dir = _stopped_at(tmp_path / "run", SEARCH, "t001")
    raw = {**SEARCH, "parallel": {"per_device": 2, "threads": 1}}
    cfg = validate_config(raw)
    assert run_sweep(cfg, raw, build_trials(cfg), run_dir, resume=True).status == "completed"
    assert _proposals(run_dir) == _proposals(search_run)


def test_the_report_of_a_tpe_sweep_has_its_trials_and_importances_and_checks_out(search_run):
    from sweepdeck.engine.analysis.facts import build_facts
    from sweepdeck.engine.analysis.offline import offline_body
    from sweepdeck.engine.analysis.verify import verify

    fs = build_facts(search_run)
    assert list(fs.trials.index) == ["t000", "t001", "t002", "t003", "t004"]  # from the log: resolved.json has none
    assert "lr" in fs.varied and fs.facts["run.n_completed"].value == 5
    assert fs.importances and set(fs.importances) <= {"lr", "l2_mul_lambda", "exp_type"}
    assert abs(sum(fs.importances.values()) - 1) < 1e-6
    body = offline_body(fs)
    assert "Parameter importance in this tpe search" in body
    assert verify(body, fs).ok, verify(body, fs).mismatches


# --- the Params form's range field --------------------------------------------------------------------

def test_the_params_form_reads_and_writes_ranges():
    from sweepdeck.tui import form

    lr, bs = form.BY_KEY["lr"], form.BY_KEY["batchsize"]
    assert form.from_text(lr, "1e-4..0.1 log") == {"low": 1e-4, "high": 0.1, "log": True}
    assert form.from_text(bs, "16..128 step 16") == {"low": 16, "high": 128, "step": 16}
    assert form.from_text(lr, "0.1, 0.01") == [0.1, 0.01]  # lists stay lists
    assert form.to_text(lr, {"low": 1e-4, "high": 0.1, "log": True}) == "0.0001..0.1 log"
    raw = {"lr": form.from_text(lr, "0.1..0.01"), "search": {"method": "tpe", "n_trials": 4}}
    cfg, errors = form.check(raw)
    assert cfg is None and "above high" in errors["lr"][0]  # marked on the lr field
    cfg, errors = form.check({"lr": form.from_text(lr, "1e-4..0.1 log")})
    assert cfg is None and "needs \"search\"" in errors["lr"][0]


def test_the_report_charts_a_sampled_search_over_its_trials(search_run):
    from sweepdeck.engine.analysis.charts import make_charts
    from sweepdeck.engine.analysis.facts import build_facts

    charts = make_charts(build_facts(search_run))
    chart = charts.text["Best test accuracy (%) per trial, in the order proposed"]
    assert "best so far" in chart and "trial number" in chart
