"""The number checker on planted errors, and placeholder filling.

Known facts (tests/test_facts.py's hand-built run): t001 is the best trial (best and
final test accuracy 86.00%, final train 88.00%); t002 has the highest train accuracy
(99.00%) but only 81.00% best / 79.00% final test accuracy; t000: 80.00% best test.
"""

from __future__ import annotations

import pytest

from sweepdeck.engine.analysis.facts import build_facts
from sweepdeck.engine.analysis.offline import offline_body
from sweepdeck.engine.analysis.placeholders import StreamFiller, fill_placeholders
from sweepdeck.engine.analysis.verify import verify
from test_facts import hand_built


@pytest.fixture(scope="module")
def fs(tmp_path_factory):
    return build_facts(hand_built(tmp_path_factory.mktemp("v") / "run"))


def flagged(text, fs):
    return verify(text, fs).mismatches


# --- planted errors -------------------------------------------------------------------------------

def test_train_accuracy_quoted_as_test_accuracy(fs):
    ms = flagged("The best test accuracy was 99.00%, reached by t002.", fs)
    assert len(ms) == 1
    assert "final train accuracy of mul=0.01 (t002)" in ms[0].data_says  # named by its label, not a fact key
    assert "86.00%" in ms[0].data_says  # what the best test accuracy really is


def test_the_papers_error_train_accuracy_as_best_test_accuracy_by_parameters(fs):
    # like the paper's §S1.2: the trial is named by its parameters, not its id
    text = "The Multiplication experiment with l2_mul_lambda = 0.01 achieved slightly higher test accuracy (best: 99%)."
    assert flagged(text, fs)


def test_wrong_top_1(fs):
    ms = flagged("The best trial is t000 with a best test accuracy of 80.00%.", fs)
    assert len(ms) == 1 and "t001" in ms[0].data_says


def test_swapped_ranks_in_a_table(fs):
    table = ("| Rank | Trial | Best test acc |\n|---|---|---|\n"
             "| 1 | t001 | 86.00% |\n| 2 | t000 | 80.00% |\n| 3 | t002 | 81.00% |\n")
    ms = flagged(table, fs)
    assert {m.number for m in ms} == {"2", "3"}


def test_value_of_another_trial(fs):
    assert flagged("t000 reached a best test accuracy of 86.00%.", fs)


def test_number_that_appears_nowhere(fs):
    ms = flagged("Overall the sweep improved by 37.41 over the baseline.", fs)
    assert len(ms) == 1 and "nowhere" in ms[0].reason


def test_off_value(fs):
    assert flagged("t001 reached a best test accuracy of 86.75%.", fs)


def test_parameter_value_that_no_trial_used(fs):
    assert flagged("With lr = 0.05 every trial converged.", fs)


# --- correct numbers pass ---------------------------------------------------------------------------

@pytest.mark.parametrize("text", [
    "The best test accuracy was 86.00% (t001).",
    "The best test accuracy was 86% (t001).",             # rounded correctly
    "The best test accuracy was 86.0% (t001).",
    "The best test accuracy was 0.86 (t001).",            # fraction instead of percent
    "t001 reached a best test accuracy of 0.860.",
    "t002 fits the training set best: its final train accuracy is 99.00%, but its test accuracy peaked at 81.00%.",
    "t002 reached 99% train accuracy but only 79% test accuracy at the end.",
    "The highest final train accuracy, 99.00%, belongs to t002.",
    "Summation trials average 83.00% best test accuracy against 70.50% for Multiplication.",
    "t001 is ahead of t000 by 6.00 pp in best test accuracy.",
    "The sweep ran 4 trials for 3 epochs each.",
    "t000 peaked at epoch 2 with 80.00% test accuracy.",
    "The Summation experiment with l2_sum_lambda = 0.001 achieved the best test accuracy, 86.00%.",
    "t001 ranks first; t002 is second with 81.00% best test accuracy.",
])
def test_correct_statements_pass(fs, text):
    assert flagged(text, fs) == []


def test_recommendations_may_propose_new_values(fs):
    text = "## Recommendations for the next sweep\n\n1. Try lr ∈ [0.005, 0.02], e.g. `\"lr\": [0.005, 0.01, 0.02]`."
    assert flagged(text, fs) == []


def test_code_blocks_and_identifiers_are_not_checked(fs):
    text = "Data: CIFAR-10, trial t003, run 20260101-120000-x.\n\n```text\n12.3456 99.99\n```\n"
    r = verify(text, fs)
    assert r.mismatches == [] and r.n_checked == 0


def test_the_offline_report_passes_its_own_check(fs):
    r = verify(offline_body(fs), fs)
    assert r.mismatches == [], [m.__dict__ for m in r.mismatches]
    assert r.n_checked > 30


# --- placeholders -----------------------------------------------------------------------------------

def test_placeholders_are_filled(fs):
    r = fill_placeholders("Best: {{best.trial_id}} with {{ best.test_acc_best }}; t002 train {{trial.2.train_acc_final}}.", fs)
    assert r.text == "Best: t001 with 86.00%; t002 train 99.00%."
    assert r.n_filled == 3 and r.unknown == []


def test_unknown_placeholders_are_flagged_never_left_raw(fs):
    r = fill_placeholders("A {{best.test_acc_median}} and {{trial.t099.test_acc_best}} and {{broken", fs)
    assert "{{" not in r.text and "}}" not in r.text
    assert r.unknown[:2] == ["best.test_acc_median", "trial.t099.test_acc_best"]
    assert "[unknown fact: best.test_acc_median]" in r.text


def test_a_placeholder_filled_into_the_wrong_split_is_caught(fs):
    r = fill_placeholders("The best test accuracy is {{best_train.train_acc_final}}.", fs)
    assert flagged(r.text, fs)


def test_stream_filler_handles_placeholders_split_across_chunks(fs):
    text = "Best {{best.test_acc_best}}% by {{best.trial_id}}; {x} stays, {best.test_acc_final} too."
    for size in (1, 2, 3, 5, 8, 100):
        f = StreamFiller(fs)
        out = "".join(f.feed(text[i:i + size]) for i in range(0, len(text), size)) + f.finish()
        assert out == "Best 86.00% by t001; {x} stays, 86.00% too."


def test_placeholder_slips_are_forgiven(fs):
    r = fill_placeholders("{{best.test_acc_best}} % and {best.train_acc_final} and {{ trial.t002.train_test_gap_final }} pp; "
                          '{"lr": 0.01} stays', fs)
    assert r.text == '86.00% and 88.00% and 20.00 pp; {"lr": 0.01} stays'
    assert r.unknown == []


def test_a_paper_style_report_only_its_planted_error_is_flagged(tmp_path):
    """The shape of the paper's §S1.2 report, with true numbers except the famous one."""
    from tests.support.synthetic import make_run, paper_config

    fs = build_facts(make_run(tmp_path / "r", paper_config()))
    t = fs.trials
    b = fs.top[0]
    s2 = fs.top[1]
    pct = lambda x: f"{x * 100:.2f}"  # noqa: E731
    text = f"""## Overview

Models show improvement in training and test accuracy over epochs. The sweep ran {len(t)} trials for {fs.n_epochs} epochs.

- Slight overfitting signs observed with small regularization terms (e.g., $l2_sum_lambda = 0.0001$) in the **Summation** experiments.

## Top trials and best per experiment type

| Rank | Experiment Type | Trial | Learning Rate (lr) | Weight Norm (wn) | Best test accuracy (%) |
|---|---|---|---|---|---|
| 1 | {t.loc[b, 'exp_type']} | {b} | 0.01 | 0.9 | {pct(t.loc[b, 'test_acc_best'])} |
| 2 | {t.loc[s2, 'exp_type']} | {s2} | 0.01 | 0.9 | {pct(t.loc[s2, 'test_acc_best'])} |

The **{t.loc[b, 'exp_type']}** experiments achieve slightly higher test accuracy (best: **{pct(t.loc[b, 'train_acc_final'])}**%).
{b} ends with a train accuracy of {pct(t.loc[b, 'train_acc_final'])}% and a final test loss of {t.loc[b, 'test_loss_final']:.4f}.

## Recommendations for the next sweep

1. Prioritize $l2_sum_lambda \\in [0.0001, 0.001]$ for **Summation** and $l2_mul_lambda \\in [0.001, 0.01]$.
2. Explore additional learning rates (e.g., lr = 0.005) and `"n_epochs": 50`.
"""
    ms = verify(text, fs).mismatches
    assert len(ms) == 1, [m.__dict__ for m in ms]
    assert "final train accuracy" in ms[0].data_says


# --- a hand-written report in the style of a chat model, on a synthetic run ----------------------------

MODEL_STYLE = """## Overview

This sweep trained 6 configurations of the underparameterized CNN for 25 epochs on CIFAR-10 (cat vs deer). Four trials completed, t003 diverged after 9 epochs and t005 failed with an out-of-memory error.
Overall, best test accuracies ranged from 82.61% to 89.15%, with a mean of 86.56%.

## Top trials and best per experiment type

**Best configuration**: t001 — Summation, l2_sum_lambda = 0.001, lr = 0.01, wn = 0.9, batch size 64, AdamW, seed 42. It reached 89.15% test accuracy at epoch 25 (final: 89.15%), with a train accuracy of 90.47%.

t001 (89.15%), t004 (88.38%) and t002 (87.68%) form the top 3. The best Multiplication run is t004 at 88.38%.

| Type | Best trial | Test acc (best) | Mean |
|------|-----------|-----------------|------|
| Summation | t001 | 89.15% | 88.07% |
| Multiplication | t004 | 88.38% | 85.06% |

## Parameter impact

- **l2_mul_lambda** matters most: 0.001 gives 88.38% while 0.01 drops to 82.61% (and diverged).
- For Summation, l2_sum_lambda = 0.001 (89.15%) beats 0.0001 (87.68%) and 0.01 (87.37%).
- Summation averages 88.07% vs. 85.06% for Multiplication, a 3.00 pp difference.

## Training dynamics and over/underfitting

t002 shows overfitting: its train accuracy reaches 93.02% while test accuracy ends at 86.95% (gap 6.07 pp > 5 pp threshold). t001 was still improving at epoch 25 — its train loss fell 4.7% over the last 5 epochs. Test loss for t001 ended at 0.2363. The margin of t004 (0.3911) is the largest.

## Recommendations for the next sweep

1. Narrow l2_sum_lambda to [0.0005, 0.002] and l2_mul_lambda to [0.0005, 0.002].
2. Increase n_epochs to 50 since t001 had not converged.
3. Add seeds 43 and 44 to quantify noise (differences below ~1 pp may be noise).
"""

PLANTED = [
 ("with a mean of 86.56%", "with a mean of 87.56%"),
 ("It reached 89.15% test accuracy at epoch 25", "It reached 90.47% test accuracy at epoch 25"),
 ("It reached 89.15% test accuracy at epoch 25", "It reached 89.15% test accuracy at epoch 20"),
 ("The best Multiplication run is t004 at 88.38%", "The best Multiplication run is t005 at 84.20%"),
 ("| Summation | t001 | 89.15% | 88.07% |", "| Summation | t001 | 89.15% | 89.07% |"),
 ("t001 (89.15%), t004 (88.38%) and t002 (87.68%) form the top 3", "t001 (89.15%), t002 (87.68%) and t004 (88.38%) form the top 3"),
 ("t001 (89.15%), t004 (88.38%)", "t001 (89.15%), t004 (87.48%)"),
 ("while test accuracy ends at 86.95%", "while test accuracy ends at 93.02%"),
 ("0.001 gives 88.38% while 0.01 drops to 82.61%", "0.001 gives 88.38% while 0.01 drops to 80.61%"),
 ("Test loss for t001 ended at 0.2363", "Test loss for t001 ended at 0.1988"),
 ("The margin of t004 (0.3911)", "The margin of t004 (0.3675)"),
 ("ranged from 82.61% to 89.15%", "ranged from 82.61% to 90.47%"),
 ("train accuracy of 90.47%", "train accuracy of 89.15%"),
]


@pytest.fixture(scope="module")
def fs_model_style(tmp_path_factory):
    from tests.support.synthetic import make_run

    run = make_run(tmp_path_factory.mktemp("m") / "r", diverge={"t003": 10}, statuses={"t005": "failed"})
    fs = build_facts(run)
    # the text below quotes this run's numbers: the generator must not have changed
    assert fs.facts["best.test_acc_best"].display() == "89.15%" and fs.facts["trial.t002.train_acc_final"].display() == "93.02%"
    return fs


def test_model_style_report_passes(fs_model_style):
    r = verify(MODEL_STYLE, fs_model_style)
    assert r.mismatches == [] and r.n_checked > 40


@pytest.mark.parametrize("true,wrong", PLANTED)
def test_model_style_report_planted_errors(fs_model_style, true, wrong):
    assert true in MODEL_STYLE
    assert verify(MODEL_STYLE.replace(true, wrong), fs_model_style).mismatches


MODEL_STYLE_36 = """# Analysis

## Overview
A 36-trial grid over learning rate (0.003, 0.01, 0.03), penalty type and strength, and two seeds (42, 43). One trial (t010) diverged after 4 epochs; everything else completed.

## Top trials and best per experiment type
The winner is **t003** (Summation, l2_sum_lambda=0.001, lr=0.01, seed 43): 90.06% best test accuracy at epoch 24, ending at 89.11% with 90.50% on the training set.
Runner-up t009 (Multiplication, l2_mul_lambda=0.001) peaks at 89.34%, and t002 — the seed-42 twin of the winner — reaches 89.29%.
Best Multiplication trial: t009 (89.34%).

## Parameter impact
* Learning rate barely matters: the mean best test accuracy is 85.84% at lr=0.003, 86.72% at lr=0.01 and 86.82% at lr=0.03, a spread of only 0.98 pp.
* Seeds move results by 1.31 pp on average (seed 42: 85.82% vs seed 43: 87.10% mean), so differences under that are noise.
* The weakest trial overall reached only 72.68%.

## Training dynamics and over/underfitting
The smallest additive penalty (l2_sum_lambda = 0.0001) overfits: its trials average 91.94% final train accuracy but only 86.63% mean best test accuracy. t005 has the highest train accuracy (93.57%) but is not among the top 3.

## Recommendations for the next sweep
- Keep lr = 0.01 and add 0.02; drop 0.003.
- Use l2_sum_lambda ∈ {0.0005, 0.001, 0.002}; run 3 seeds (42, 43, 44).
"""

PLANTED_36 = [
 ("90.06% best test accuracy at epoch 24", "90.50% best test accuracy at epoch 24"),
 ("90.06% best test accuracy at epoch 24", "90.06% best test accuracy at epoch 21"),
 ("ending at 89.11%", "ending at 90.06%"),
 ("peaks at 89.34%", "peaks at 89.29%"),
 ("85.84% at lr=0.003, 86.72% at lr=0.01", "86.72% at lr=0.003, 85.84% at lr=0.01"),
 ("a spread of only 0.98 pp", "a spread of only 1.98 pp"),
 ("seed 42: 85.82% vs seed 43: 87.10% mean", "seed 42: 87.10% vs seed 43: 85.82% mean"),
 ("The weakest trial overall reached only 72.68%", "The weakest trial overall reached only 74.68%"),
 ("its trials average 91.94% final train accuracy", "its trials average 86.63% final train accuracy"),
 ("t005 has the highest train accuracy (93.57%)", "t005 has the highest train accuracy (92.57%)"),
 ("Best Multiplication trial: t009 (89.34%)", "Best Multiplication trial: t008 (88.12%)"),
 ("The winner is **t003**", "The winner is **t002**"),
]


@pytest.fixture(scope="module")
def fs_36(tmp_path_factory):
    """36 trials: 3 learning rates × 6 penalties × 2 seeds, one diverged."""
    from tests.support.synthetic import make_run, paper_config

    fs = build_facts(make_run(tmp_path_factory.mktemp("m36") / "r", paper_config(n_lr=3, n_seeds=2), seed=1,
                              diverge={"t010": 5}))
    assert fs.facts["best.test_acc_best"].display() == "90.06%" and fs.facts["run.seed_spread_test_acc_best"].display() == "1.31 pp"
    return fs


def test_model_style_report_36_trials_passes(fs_36):
    r = verify(MODEL_STYLE_36, fs_36)
    assert r.mismatches == [] and r.n_checked > 30


@pytest.mark.parametrize("true,wrong", PLANTED_36)
def test_model_style_report_36_trials_planted_errors(fs_36, true, wrong):
    assert true in MODEL_STYLE_36
    assert verify(MODEL_STYLE_36.replace(true, wrong), fs_36).mismatches


@pytest.mark.parametrize("text,bad", [
    ("t000 improved fastest in the first 2 epochs, reaching 80.00% best test accuracy.", False),
    ("The sweep trained for 250 epochs.", True),                    # it ran 3
    ("t000 peaked at epoch 3.", True),                               # its best was at epoch 2
    ("t000 peaked at epoch 2 of 3.", False),
    ("t002 is second with 81.00% best test accuracy.", False),
    ("t000 is second with 80.00% best test accuracy.", True),        # t000 ranks 3rd
    ("At first, t000 learned slowly; it reached 80.00% best test accuracy.", False),
])
def test_epochs_and_ranks_in_prose(fs, text, bad):
    assert bool(flagged(text, fs)) == bad


# --- an answer of one endless line ------------------------------------------------------------------

@pytest.mark.parametrize("shape", ["prose", "table cell", "table row"])
def test_context_is_sought_in_bounded_spans_so_checking_stays_linear(fs, monkeypatch, shape):
    """A 5 MB answer once took 496 s to check: every number's context was sought in its
    whole "sentence", here the whole line. The span each number is read in is now bounded."""
    from sweepdeck.engine.analysis import verify as V
    from sweepdeck.engine.analysis.context import ContextReader

    seen = []
    context, check = ContextReader.context, V.Verifier._check

    def spy_context(self, sent, *a):
        seen.append(len(sent))
        return context(self, sent, *a)

    def spy_check(self, m, ctx, quote, *a, **kw):
        seen.append(len(quote))  # searched again for every number
        return check(self, m, ctx, quote, *a, **kw)

    monkeypatch.setattr(ContextReader, "context", spy_context)
    monkeypatch.setattr(V.Verifier, "_check", spy_check)
    filler = "t001 reached a best test accuracy of 86.00% " * 300
    planted = "t002 reached a best test accuracy of 99.00% "
    line = filler + planted + filler
    text = {"prose": line,
            "table cell": "| note | x |\n| --- | --- |\n| " + line + " | 1 |",
            "table row": "| " + " | ".join(["t001 best test accuracy 86.00%"] * 300 + [planted] + ["a"] * 300) + " |"}[shape]
    res = verify(text, fs)
    assert max(seen) <= 400 + 4
    assert len(res.mismatches) == 1 and res.mismatches[0].number == "99.00%"
    assert len(res.mismatches[0].quote) <= 220
