"""The offline report's claims follow from the facts (issue 15, docs/report.md "How the offline
report decides what it says"): ties are called ties, "did best" names a type that is ahead,
directions are given only when the evidence points one way, no two recommendations point
opposite ways, "most" means more than half. Checked on hand-made sweeps (ties, one trial, all
diverged, the issue's 2-lr sweep) and on generated ones, by re-deriving each claim from the
fact sheet here, independently of engine/analysis/verdicts.py.
"""

from __future__ import annotations

import math
import random
import re
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sweepdeck.engine.analysis.facts import FactSheet, build_facts, format_param
from sweepdeck.engine.analysis.offline import offline_body, recommend, snippet_changes
from sweepdeck.engine.analysis.verify import verify
from sweepdeck.engine.config import validate_config
from sweepdeck.engine.trials import build_trials
from tests.support.synthetic import make_run

# --- the rules, re-derived here -----------------------------------------------------------------


def pct(x: float) -> str:
    return f"{x * 100:.2f}%"


def noise(fs: FactSheet) -> float:
    f = fs.fact("run.seed_spread_test_acc_best")
    return float(f.value) if f is not None else 0.0


def ahead(fs: FactSheet, a: float, b: float) -> bool:
    return pct(a) != pct(b) and a - b >= max(noise(fs), 0.0) and a > b


def type_stats(fs: FactSheet) -> dict[str, tuple[float, float]]:
    r = fs.ranked
    return {t: (float(g["test_acc_best"].max()), float(g["test_acc_best"].mean())) for t, g in r.groupby("exp_type")}


def means_by_value(fs: FactSheet, key: str) -> dict[float, float]:
    """Mean best test accuracy per numeric value of `key` (penalties: their non-zero values)."""
    df = fs.sensitivity[key]
    out = {float(r): float(m) for r, m in zip(df["raw"], df["test_acc_best_mean"])}
    return {v: m for v, m in out.items() if v > 0 or key not in ("l2_sum_lambda", "l2_mul_lambda")}


def check_claims(fs: FactSheet, md: str) -> None:
    """Every claim of the offline report `md` holds for `fs`."""
    # the report passes its own fact check
    assert verify(md, fs).mismatches == []
    ranked = fs.ranked
    # ties are called ties: the headline names every trial tied for the best
    if len(ranked):
        top = pct(float(ranked["test_acc_best"].iloc[0]))
        tied = [t for t, v in ranked["test_acc_best"].items() if pct(float(v)) == top]
        if len(tied) > 1:
            assert f"{len(tied)} trials tie for the best test accuracy" in md
            assert "the best trial is" not in md
        else:
            assert f"the best trial is **{tied[0]}**" in md
    # "did best" names a type ahead on one count and behind on none
    stats = type_stats(fs)
    for winner in re.findall(r"\*\*(\w+)\*\* did best", md):
        wb, wm = stats[winner]
        for other, (ob, om) in stats.items():
            if other != winner:
                assert not ahead(fs, ob, wb) and not ahead(fs, om, wm), (winner, other)
                assert ahead(fs, wb, ob) or ahead(fs, wm, om), (winner, other)
    if len(stats) > 1:
        (a, (ab, am)), (b, (bb, bm)) = sorted(stats.items(), key=lambda kv: -kv[1][0])[:2]
        if pct(ab) == pct(bb) and pct(am) == pct(bm):
            assert "** did best" not in md and "Focus on" not in md
    for focus in re.findall(r"Focus on \*\*(\w+)\*\*", md):
        assert f"**{focus}** did best" in md
    # directions only where the best value is at that edge, ahead of every other value
    for key, way in re.findall(r"`(\w+)` ∈ \[[^\]]*\].*?extend the range (upwards|downwards)", md):
        means = means_by_value(fs, key)
        best = max(means, key=means.get)
        assert best == (max(means) if way == "upwards" else min(means)), (key, way, means)
        assert all(ahead(fs, means[best], m) for v, m in means.items() if v != best), (key, means)
    # no recommendation points the opposite way of another
    recs = recommend(fs)
    seen: dict[str, set[int]] = {}
    for r in recs:
        for k, m in r.moves.items():
            seen.setdefault(k, set()).add(m)
    assert not any({1, -1} <= ways for ways in seen.values()), seen
    rec_text = md[md.index("## Recommendations"):]
    assert not ("higher `lr`" in rec_text and re.search(r"`lr`[^\n]*downwards|`lr` below", rec_text))
    # "most" means more than half
    for kind in ("underfit", "overfit"):
        m = re.search(rf"Most trials {kind} \((\d+) of (\d+) with results\)", md)
        flagged = {f.trial_id for f in fs.flags if f.kind == kind + "ting"}
        if m:
            assert int(m.group(1)) == len(flagged) and int(m.group(2)) == len(ranked) and 2 * len(flagged) > len(ranked)
        else:
            assert f"Most trials {kind}" not in md
    # small margins are not written as 0.0000
    margins = fs.trials["margin"].dropna()
    if (margins.abs() > 0).all():
        assert "0.0000" not in " ".join(line for line in md.splitlines() if "argin" in line)
    # the snippet lists only keys whose value changes
    changes = snippet_changes(fs, recs)
    for k, v in changes.items():
        old = fs.config.get(k)
        assert (old if isinstance(old, list) else [old]) != (v if isinstance(v, list) else [v])
    snippet = re.search(r"```json\n(.*?)\n```", md, re.S)
    assert (snippet is None) == (not changes)
    if snippet:
        assert set(re.findall(r'^  "(\w+)":', snippet.group(1), re.M)) == set(changes)
    # the Varied line lists only penalty weights of each penalty's own type (no grid-rule 0)
    varied = next(line for line in md.splitlines() if line.startswith("- **Varied:**"))
    for key, typ in (("l2_sum_lambda", "Summation"), ("l2_mul_lambda", "Multiplication")):
        m = re.search(rf"{key} ∈ \{{([^}}]*)\}}", varied)
        if m:
            own = {format_param(v) for v in fs.trials.loc[fs.trials["exp_type"] == typ, key]}
            assert set(m.group(1).split(", ")) == own and "0" not in own


def report_of(run: Path) -> tuple[FactSheet, str]:
    fs = build_facts(run)
    return fs, offline_body(fs)


# --- hand-made sweeps ---------------------------------------------------------------------------


def flat(acc: dict[float, float] | float, train: float | None = None):
    """A curve that reaches `acc` (by lr, or one value) at the last epoch and stays there."""
    def curve(params, epoch, n_epochs, rng):
        a = acc[params["lr"]] if isinstance(acc, dict) else acc
        value = a if epoch >= n_epochs - 1 else a - 0.01 * (n_epochs - epoch)
        tr = train if train is not None else min(1.0, value + 0.005)
        return {"test_acc": value, "train_acc": tr, "train_loss": 0.5 - 0.01 * epoch, "test_loss": 0.55 - 0.01 * epoch}
    return curve


def test_every_trial_tied_at_100_percent_gives_no_winner_and_no_direction(tmp_path):
    run = make_run(tmp_path / "r", {"lr": [0.003, 0.01], "n_epochs": 3, "l2_sum_lambda": [0.0001],
                                    "l2_mul_lambda": [0.0001], "seed": [42]}, curve=flat(1.0))
    fs, md = report_of(run)
    check_claims(fs, md)
    assert "4 trials tie for the best test accuracy, **100.00%**" in md
    assert "No experiment type did best on both counts" in md and "are level" in md and "tie" in md
    assert "extend the range" not in md and "may be worth a look" not in md
    assert "so this sweep does not say which way to move it" in md
    assert "Keep every experiment type" in md
    assert "All values of lr are level" in md


def test_the_issues_demo_a_tie_on_the_best_trial_is_not_a_win(tmp_path):
    # Summation 100.00% / 99.40%, Multiplication 100.00% / 99.60%: Multiplication leads on the mean only
    accs = {("Summation", 0.003): 1.0, ("Summation", 0.01): 0.994, ("Multiplication", 0.003): 1.0,
            ("Multiplication", 0.01): 0.996}

    def curve(params, epoch, n_epochs, rng):
        a = accs[(params["exp_type"], params["lr"])]
        return {"test_acc": a if epoch == n_epochs else a - 0.05, "train_acc": a, "train_loss": 0.3, "test_loss": 0.3}

    run = make_run(tmp_path / "r", {"lr": [0.01, 0.003], "n_epochs": 3, "l2_sum_lambda": [0.0001],
                                    "l2_mul_lambda": [0.0001], "seed": [42]}, curve=curve)
    fs, md = report_of(run)
    check_claims(fs, md)
    assert "**Summation** did best" not in md and "Focus on **Summation**" not in md
    assert "**Multiplication** did best" in md and "Focus on **Multiplication**" in md
    assert "l2_sum_lambda ∈ {0.0001} (Summation trials)" in md and "{0, 0.0001}" not in md


def test_two_of_four_underfitting_is_not_most_and_lr_advice_agrees(tmp_path):
    # the issue's 2-lr sweep: both lr=0.1 trials underfit, lr=0.01 is better
    run = make_run(tmp_path / "r", {"lr": [0.01, 0.1], "n_epochs": 3, "l2_sum_lambda": [0.001],
                                    "l2_mul_lambda": [0.001], "seed": [42]},
                   curve=lambda p, e, n, rng: {"test_acc": 0.9 if p["lr"] == 0.01 else 0.6,
                                               "train_acc": 0.92 if p["lr"] == 0.01 else 0.6,
                                               "train_loss": 0.3, "test_loss": 0.3})
    fs, md = report_of(run)
    check_claims(fs, md)
    assert len({f.trial_id for f in fs.flags if f.kind == "underfitting"}) == 2
    assert "Most trials underfit" not in md and "higher `lr`" not in md
    assert "extend the range downwards" in md


def test_most_trials_underfitting_and_a_higher_lr_only_where_lr_points_up(tmp_path):
    accs = {0.001: 0.55, 0.003: 0.6, 0.01: 0.7}
    run = make_run(tmp_path / "r", {"lr": list(accs), "n_epochs": 3, "l2_sum_lambda": [0.001], "l2_mul_lambda": [], "seed": [42]},
                   curve=lambda p, e, n, rng: {"test_acc": accs[p["lr"]], "train_acc": accs[p["lr"]],
                                               "train_loss": 0.6, "test_loss": 0.6})
    fs, md = report_of(run)
    check_claims(fs, md)
    assert "Most trials underfit (3 of 3 with results)" in md and "a higher `lr`" in md
    assert "extend the range upwards" in md


def test_one_trial(tmp_path):
    run = make_run(tmp_path / "r", {"lr": 0.01, "n_epochs": 3, "l2_sum_lambda": [0.001], "l2_mul_lambda": [], "seed": [1]})
    fs, md = report_of(run)
    check_claims(fs, md)
    assert "the best trial is **t000**" in md and "** did best" not in md and "extend the range" not in md
    assert "Varied:** nothing" in md


def test_every_trial_diverged_before_an_epoch(tmp_path):
    run = make_run(tmp_path / "r", {"lr": [0.1, 1.0], "n_epochs": 3, "l2_sum_lambda": [0.001], "l2_mul_lambda": [], "seed": [1]},
                   diverge={"t000": 1, "t001": 1})
    fs, md = report_of(run)
    check_claims(fs, md)
    assert "Every trial diverged before recording an epoch: try an `lr` below the smallest tried (0.1)" in md
    assert "Run the sweep to completion" not in md


def test_no_direction_past_a_value_where_trials_diverged(tmp_path):
    # the best mean is at the largest lr, but a trial there diverged (after its best epochs)
    accs = {0.01: 0.8, 0.1: 0.9}
    run = make_run(tmp_path / "r", {"lr": list(accs), "n_epochs": 4, "l2_sum_lambda": [0.001, 0.01], "l2_mul_lambda": [], "seed": [1]},
                   curve=lambda p, e, n, rng: {"test_acc": accs[p["lr"]] - 0.001 * e, "train_acc": 0.95,
                                               "train_loss": 0.3, "test_loss": 0.3},
                   diverge={"t002": 3})
    fs, md = report_of(run)
    check_claims(fs, md)
    assert fs.trials.loc["t002", "lr"] == 0.1
    assert "extend the range upwards" not in md and "where a trial diverged" in md


def test_margins_too_small_for_fixed_decimals(tmp_path):
    run = make_run(tmp_path / "r", {"lr": [0.01, 0.003], "n_epochs": 2, "l2_sum_lambda": [0.001], "l2_mul_lambda": [], "seed": [1]})
    events = (run / "events.jsonl").read_text()
    events = re.sub(r'"margin":[0-9.]+', lambda m, it=iter(["3e-11", "2.1e-05"]): f'"margin":{next(it)}', events)
    (run / "events.jsonl").write_text(events)
    (run / "trials.csv").unlink()
    fs, md = report_of(run)
    check_claims(fs, md)
    assert "range from 3e-11 (t000) to 2.1e-05 (t001)" in md


# --- generated sweeps ------------------------------------------------------------------------------

LEVELS = [0.5, 0.6, 0.9, 0.95, 0.99, 1.0]  # few levels: ties are common


@st.composite
def sweeps(draw):
    raw = {
        "lr": draw(st.lists(st.sampled_from([0.001, 0.01, 0.1]), min_size=1, max_size=3, unique=True)),
        "l2_sum_lambda": draw(st.lists(st.sampled_from([0, 0.001, 0.01]), min_size=0, max_size=2, unique=True)),
        "l2_mul_lambda": draw(st.lists(st.sampled_from([0, 0.001]), min_size=0, max_size=2, unique=True)),
        "seed": draw(st.lists(st.sampled_from([1, 2]), min_size=1, max_size=2, unique=True)),
        "n_epochs": draw(st.integers(2, 4)),
        "batchsize": draw(st.sampled_from([64, [32, 64]])),
    }
    trials = build_trials(validate_config(raw))
    if len(trials) > 12:  # keep each example fast
        raw["seed"], raw["batchsize"] = [1], 64
        trials = build_trials(validate_config(raw))
    levels = {t.label: draw(st.sampled_from(LEVELS)) for t in trials}
    gaps = {t.label: draw(st.sampled_from([0.0, 0.02, 0.1])) for t in trials}
    diverge = {t.id: draw(st.integers(1, raw["n_epochs"])) for t in trials if draw(st.booleans()) and draw(st.booleans())}
    return raw, {t.label: t for t in trials}, levels, gaps, diverge, draw(st.booleans())


@settings(max_examples=25, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(sweeps())
def test_generated_sweeps_make_only_true_claims(tmp_path_factory, sweep):
    raw, trials, levels, gaps, diverge, eval_train = sweep
    labels = {tuple(sorted(t.params.model_dump(mode="json").items())): label for label, t in trials.items()}

    def curve(params, epoch, n_epochs, rng):
        label = labels[tuple(sorted(params.items()))]
        a = levels[label] - (0.02 * (n_epochs - epoch) if levels[label] < 1 else 0.0)
        return {"test_acc": a, "train_acc": min(1.0, a + gaps[label]), "train_loss": 0.5 - 0.05 * epoch,
                "test_loss": 0.5 - 0.04 * epoch + gaps[label]}

    run = make_run(tmp_path_factory.mktemp("gen") / "r", dict(raw), curve=curve, diverge=diverge,
                   eval_train_set=eval_train, seed=random.Random(str(raw)).randrange(1000))
    fs, md = report_of(run)
    check_claims(fs, md)


def test_losses_and_margins_below_a_thousandth_keep_their_digits():
    from sweepdeck.engine.analysis.facts import format_value

    assert [format_value(v, "loss") for v in (0.5, 0.0012, 0.00031, 3e-11, 0.0)] == ["0.5000", "0.0012", "0.00031", "3e-11", "0.0000"]
    assert format_value(-2.1e-05, "margin") == "-2.1e-05"


def test_one_penalty_value_and_the_baseline_give_no_advice_to_drop_the_baseline(tmp_path):
    accs = {0.0: 0.7, 0.001: 0.9}
    run = make_run(tmp_path / "r", {"lr": 0.01, "n_epochs": 3, "l2_sum_lambda": [0, 0.001], "l2_mul_lambda": [],
                                    "seed": [1]},
                   curve=lambda p, e, n, rng: {"test_acc": accs[p["l2_sum_lambda"]], "train_acc": 0.95,
                                               "train_loss": 0.3, "test_loss": 0.3})
    fs, md = report_of(run)
    check_claims(fs, md)
    assert "Fix `l2_sum_lambda`" not in md and "l2_sum_lambda" not in snippet_changes(fs, recommend(fs))
    assert "Focus on **Summation** trials" in md and "keep one unregularised trial as a baseline" in md
