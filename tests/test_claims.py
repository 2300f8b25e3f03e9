"""Issue 14: claims in a researcher's words, with and without numbers.

The sentences are written the way chat models write about a sweep, from the known
answers of tests/test_facts.py's hand-built run, not from the checker's patterns:

    t000 sum=0.01  Summation       test 70/80/78%  train 72/82/84%  margin 0.10   rank 3
    t001 sum=0.001 Summation       test 75/83/86%  train 76/85/88%  margin 0.30   rank 1
    t002 mul=0.01  Multiplication  test 72/81/79%  train 80/95/99%  margin 0.20   rank 2
    t003 mul=0.001 Multiplication  test 55/58/60%  train 56/59/60%  margin 0.05   rank 4

Summation's mean best test accuracy is 83.00%, Multiplication's 70.50%.
"""

from __future__ import annotations

import time

import pytest

from sweepdeck.engine.analysis.facts import build_facts
from sweepdeck.engine.analysis.sections import fact_check_llm
from sweepdeck.engine.analysis.verify import verify
from test_facts import hand_built


@pytest.fixture(scope="module")
def fs(tmp_path_factory):
    return build_facts(hand_built(tmp_path_factory.mktemp("c") / "run"))


@pytest.fixture(scope="module")
def fs25(tmp_path_factory):
    """The paper's 6 trials over 25 epochs: sum=0.001 (t001) settles at epoch 16 (best 89.15% at 25)."""
    from tests.support.synthetic import make_run

    fs = build_facts(make_run(tmp_path_factory.mktemp("c25") / "r"))
    assert fs.facts["best.test_acc_best"].display() == "89.15%"
    return fs


def flags(text, fs):
    return verify(text, fs).mismatches


# --- numbers: values that held at some epoch -------------------------------------------------------

@pytest.mark.parametrize("text", [
    "t000 started at 70% and was at 80.00% after epoch 2.",
    "sum=0.001 (t001) went from 75% in the first epoch to 86% at the end.",
    "t002 was at 81.00% at epoch 2 before it slipped to 79%.",
])
def test_values_on_the_curve_are_true(fs, text):
    assert flags(text, fs) == []


def test_a_value_pinned_to_the_wrong_epoch_says_which_epoch_holds_it(fs):
    ms = flags("t002 started at 81% in epoch 1.", fs)
    assert len(ms) == 1
    assert "epoch 1" in ms[0].data_says and "72.00%" in ms[0].data_says  # what it was
    assert "epoch 2" in ms[0].data_says                                  # where 81% is


# --- numbers: approximations, limits, ranges ---------------------------------------------------------

@pytest.mark.parametrize("text,bad", [
    ("t001 peaked at ~86% test accuracy.", False),
    ("t001 peaked at roughly 0.86 test accuracy.", False),
    ("t001 peaked at about 86.3% test accuracy.", True),   # one decimal: about means 86.2-86.4
    ("t001 peaked at ≈ 85.8% test accuracy.", True),
])
def test_approximations_get_a_tolerance_from_their_digits(fs, text, bad):
    assert bool(flags(text, fs)) == bad


@pytest.mark.parametrize("text,bad", [
    ("Every trial reached a best test accuracy above 75%.", True),          # mul=0.001 peaked at 60%
    ("All Summation trials ended above 75% test accuracy.", False),
    ("At least one trial exceeded 85% test accuracy.", False),
    ("The margins of all trials are at least 0.1.", True),                   # mul=0.001: 0.05
    ("Best test accuracies ranged from 60.00% to 86.00%.", False),
    ("Best test accuracies ranged from 60.00% to 88.00%.", True),            # 88% is a train accuracy
    ("After the first epoch every trial sat between 55% and 75% test accuracy.", False),
    ("After the first epoch every trial sat between 65% and 75% test accuracy.", True),
])
def test_limits_and_ranges_are_inequalities(fs, text, bad):
    assert bool(flags(text, fs)) == bad, flags(text, fs)


def test_convergence_follows_the_documented_rule(fs25):
    assert flags("The Summation λ = 0.001 run converged within 10 epochs.", fs25)
    assert flags("t001 plateaued after about epoch 16.", fs25) == []
    ms = flags("Most trials had plateaued by epoch 8.", fs25)
    assert len(ms) == 1 and "settled at epoch" in ms[0].data_says


# --- numbers: tables the other way round, and parameter values ---------------------------------------

def test_a_table_with_metrics_as_rows_and_types_as_columns(fs):
    table = ("| | Summation | Multiplication |\n|---|---|---|\n"
             "| Mean best test accuracy | 83.00% | {mul} |\n| Best trial | t001 | t002 |\n")
    assert flags(table.format(mul="70.50%"), fs) == []
    ms = flags(table.format(mul="72.50%"), fs)
    assert [m.number for m in ms] == ["72.50%"]


@pytest.mark.parametrize("text,bad", [
    ("All trials were trained with wn=False.", True),
    ("No trial used wn=False, so weight normalization was always on.", False),
    ("## Recommendations for the next sweep\n\n- Try wn=False to see whether the gain matters.", False),
    ("The learning rate was 0.03 throughout.", True),
    ("The learning rate was 0.01 throughout.", False),
])
def test_parameter_values_stated_as_used_must_have_been_used(fs, text, bad):
    assert bool(flags(text, fs)) == bad


# --- claims without numbers ----------------------------------------------------------------------------

@pytest.mark.parametrize("text,bad", [
    ("The runner-up is the Multiplication run with mul=0.01.", False),
    ("The runner-up is the Summation run with sum=0.01.", True),       # that is third
    ("Summation with sum=0.01 comes third.", False),
    ("In second place: t000.", True),
    ("The highest test accuracy was achieved by mul=0.01.", True),
])
def test_ranks_said_in_words(fs, text, bad):
    assert bool(flags(text, fs)) == bad, flags(text, fs)


def test_a_top_list_by_parameters_with_a_trial_out_of_place(fs):
    text = "## Top trials\n\n1. Summation, sum=0.001\n2. Summation, sum=0.01\n3. Multiplication, mul=0.01\n"
    ms = flags(text, fs)
    assert {m.line for m in ms} == {4, 5}
    assert "sum=0.01 (t000) is placed at rank 2" in {m.reason for m in ms}


def test_a_trial_listed_twice_in_a_top_3(fs):
    assert flags("Top 3: t001, t002, t001.", fs)


@pytest.mark.parametrize("text,bad", [
    ("Summation performed better than Multiplication on average.", False),
    ("Multiplication outperformed Summation.", True),
    ("t002 beat t000, if narrowly.", False),
    ("t000 beat t002.", True),
    ("Summation with sum=0.01 did better than Multiplication with mul=0.01.", True),
])
def test_comparisons(fs, text, bad):
    assert bool(flags(text, fs)) == bad, flags(text, fs)


@pytest.mark.parametrize("text,bad", [
    ("Higher margins go with higher test accuracy.", False),   # Spearman rho = +1 over the four trials
    ("Higher margins go with lower test accuracy.", True),
    ("There is a negative correlation between margin and test accuracy.", True),
])
def test_trends(fs, text, bad):
    assert bool(flags(text, fs)) == bad


# --- no false alarms on sound text ---------------------------------------------------------------------

def test_section_numbers_dates_and_verbs_are_not_claims(fs):
    text = ("# Report of 27 November 2026\n\n## 1. Overview\n\nOn 2026-11-27 we ran 4 trials.\n\n"
            "**3. Next steps**\n\n1. Test finer increments of λ (0.0005, 0.002).\n2. Use batch size 128 next time.\n")
    assert flags(text, fs) == []


# --- explanations --------------------------------------------------------------------------------------

def test_a_flag_names_the_trial_by_its_label_and_lists_no_rule_as_data(fs):
    ms = flags("t000 reached a best test accuracy of 99.00%.", fs)
    assert len(ms) == 1
    m = ms[0]
    assert "sum=0.01 (t000)" in m.reason
    assert "rule" not in m.data_says and "trial." not in m.data_says and "_acc_" not in m.data_says
    assert "the final train accuracy of mul=0.01 (t002)" in m.data_says


def test_repeats_of_one_wrong_claim_are_one_entry(fs):
    text = "t000 reached a best test accuracy of 99.00%.\n\nAgain: t000 reached a best test accuracy of 99.00%.\n"
    ms = flags(text, fs)
    assert len(ms) == 2  # both places are marked in the text
    section = fact_check_llm(0, 2, ms, [])
    assert section.count("99.00%**") == 1 and "1, 2." in section and "lines 1, 3" in section


# --- a pathological answer --------------------------------------------------------------------------

def test_a_5_mb_answer_is_cut_and_checked_in_seconds(fs):
    text = "t001 beat t000 and Summation was better than Multiplication above 80% between 70 and 90% " * 60000
    t0 = time.perf_counter()
    res = verify(text, fs)
    assert time.perf_counter() - t0 < 15   # a few seconds even on a loaded machine; it once took minutes
    assert res.truncated


# --- what the second held-out set (bench/claims_corpus/x*) showed -------------------------------------

@pytest.mark.parametrize("text,bad", [
    ("t002 lost 2.00 pp from its peak by the end.", False),     # 81% best, 79% final
    ("t002 lost 3.00 pp from its peak by the end.", True),
    ("Ranking: 1. Summation sum=0.001 (86.00%), 2. Summation sum=0.01 (80.00%), 3. Multiplication mul=0.01 (81.00%).", True),
    ("Ranking: 1. Summation sum=0.001 (86.00%), 2. Multiplication mul=0.01 (81.00%), 3. Summation sum=0.01 (80.00%).", False),
    ("Within Summation the order is λ = 0.01 > λ = 0.001.", True),
    ("Lower λ goes with a larger train–test gap.", True),         # both types: the smaller weight has the smaller gap
    ("Margin and test accuracy are positively correlated (Spearman ρ = 1.00).", False),
    ("t001 reached 83% at epoch 2, then stayed between 83% and 86%.", False),
    ("t001 reached 83% at epoch 2, then stayed between 87% and 90%.", True),   # epoch 3: 86%
])
def test_held_out_shapes(fs, text, bad):
    assert bool(flags(text, fs)) == bad, flags(text, fs)


def test_a_filled_ranking_placeholder_passes_and_a_reordered_one_does_not(fs):
    from sweepdeck.engine.analysis.placeholders import fill_placeholders

    text = fill_placeholders("By best test accuracy: {{run.ranking}}.", fs).text
    assert flags(text, fs) == []
    assert flags("By best test accuracy: t002 > t001 > t000.", fs)


# --- what the third held-out set (bench/claims_corpus/y*) showed -------------------------------------

@pytest.mark.parametrize("text,bad", [
    ("Summation and Multiplication average 83.00% and 70.50%.", False),            # a pair answers the names in order
    ("Summation outperformed Multiplication (83.00% vs 70.50%).", False),
    ("At sum=0.01 and mul=0.01 the Summation runs average 80.00%.", False),         # a type at a value: no fact, a crossing
    ("The second-best run reached 80.00% best test accuracy.", True),              # rank 2 is mul=0.01 at 81.00%
    ("The second-best run reached 81.00% best test accuracy.", False),
    ("Third: Summation, sum=0.01 (80.00%)", False),
    ("Second: Summation, sum=0.01 (80.00%)", True),
    ("Every Summation run beat every Multiplication run.", True),                   # sum=0.01 80% < mul=0.01 81%
    ("t002 diverged at epoch 3 after reaching 81.00%.", False),                     # (it did not, but epoch 3 is its last)
])
def test_third_held_out_shapes(fs, text, bad):
    assert bool(flags(text, fs)) == bad, flags(text, fs)


# --- what the fourth held-out set (bench/claims_corpus/z*) showed: each in other words ---------------

@pytest.mark.parametrize("text,bad", [
    # "between A and B" (and "within") puts every value inside, wherever the lowest and highest fall
    ("In the first epoch the four runs all landed between 54% and 75.5% test accuracy.", False),
    ("In the first epoch the four runs all landed between 56% and 75.5% test accuracy.", True),   # mul=0.001: 55%
    # the epoch after the range is said of both ends; a lead label does not hide an opening "At epoch N,"
    ("Every run sat between 54% and 75.5% test accuracy after the first epoch.", False),
    ("Early epochs: At epoch 1, every Multiplication run was under 73%.", False),                 # 72% and 55%
    ("Early epochs: At epoch 1, every Multiplication run was under 71%.", True),
    # of two types in one sentence, a number's own clause says which
    ("Each Summation run finishes with a gap below 6.5 pp, unlike Multiplication.", False),        # 6 and 2 pp
    # a negated limit is said of every trial meant
    ("No trial ends with a train–test gap above 25 pp.", False),
    ("No trial ends with a train–test gap above 15 pp.", True),                                     # mul=0.01: 20 pp
])
def test_fourth_held_out_limits(fs, text, bad):
    assert bool(flags(text, fs)) == bad, flags(text, fs)


_BY_TYPE = "| Measure | Summation | Multiplication |\n|---|---|---|\n{rows}"


@pytest.mark.parametrize("row,bad", [
    ("| Average final gap | 4.00 pp | 10.00 pp |", False),     # (6 + 2) / 2 and (20 + 0) / 2: no fact holds these means
    ("| Average final gap | 4.00 pp | 12.00 pp |", True),
    ("| Average epoch of the best | 2.5 | 2.5 |", False),      # best at epochs 2, 3 and 2, 3
    ("| Average epoch of the best | 2.5 | 3.5 |", True),
    ("| Accuracy at epoch 1 | 70–75% | 55–72% |", False),       # the epoch in the row label pins the cells
    ("| Accuracy at epoch 1 | 70–75% | 58–72% |", True),
    ("| Lowest-scoring run | t000 | t003 |", False),
    ("| Lowest-scoring run | t001 | t003 |", True),             # Summation's weaker run is t000 (80% vs 86%)
    ("| Strongest run | t001 | t003 |", True),                 # Multiplication's best is t002
])
def test_fourth_held_out_tables_by_column_group(fs, row, bad):
    assert bool(flags(_BY_TYPE.format(rows=row + "\n"), fs)) == bad, flags(_BY_TYPE.format(rows=row + "\n"), fs)


@pytest.mark.parametrize("text,bad", [
    # a peak word in another clause does not make "at epoch 2" a best epoch; the value after it is checked there
    ("t001 led at epoch 2 with 83%, while t000 reached 80% there too.", False),
    ("t001 led at epoch 2 with 85%, while t000 reached 80% there too.", True),     # it was at 83%
    # a "vs" pair holds the two sides' values: "it" (t001) first, then t000
    ("t001 is the best run. By the end, it finished ahead of t000 (86% vs 78%).", False),
    ("t001 is the best run. By the end, it finished ahead of t000 (86% vs 74%).", True),
])
def test_fourth_held_out_epochs_and_pairs(fs, text, bad):
    assert bool(flags(text, fs)) == bad, flags(text, fs)


@pytest.mark.parametrize("text,bad", [
    # "Y moves as X moves", and "the Xer the X, the Yer the Y" (a monotone relation)
    ("Within Summation, accuracy declines as λ rises.", False),                        # 86% at 0.001, 80% at 0.01
    ("Accuracy falls as λ increases, for both types.", True),                           # Multiplication rises
    ("The stronger the Multiplication penalty, the higher the accuracy.", False),      # 60% → 81%
    ("The stronger the Summation penalty, the higher the accuracy.", True),
    ("Runs with bigger margins tended to score higher test accuracy.", False),          # Spearman ρ = +1
    ("Runs with bigger margins tended to have lower test accuracy.", True),
    # one trial against a quantified group: each of its trials
    ("The strongest Summation run beats both Multiplication runs.", False),            # 86% vs 81%, 60%
    ("Even the weakest Summation run beats both Multiplication runs.", True),           # 80% < 81%
    # a comparison on another measure; "consistently" asks it of every pair
    ("The Multiplication runs have larger gaps than the Summation runs.", False),      # means 10 vs 4 pp
    ("The Multiplication runs have consistently larger gaps than the Summation runs.", True),   # mul=0.001: 0 pp
    # where one type's edge over the other is largest
    ("Summation's lead is biggest at λ = 0.001.", False),                               # +26 pp there, −1 pp at 0.01
    ("Summation's lead is biggest at λ = 0.01.", True),
    # which parameters the sweep varied
    ("The batch size was kept constant.", False),
    ("The trials also varied in learning rate.", True),
    # an order of bare values: the one varied parameter that used them all
    ("For Multiplication the ordering is 0.01 > 0.001.", False),
    ("For Multiplication the ordering is 0.001 > 0.01.", True),
])
def test_fourth_held_out_claims_without_numbers(fs, text, bad):
    assert bool(flags(text, fs)) == bad, flags(text, fs)


def test_still_improving_at_the_end_means_a_best_in_the_last_two_epochs(fs25):
    assert flags("sum=0.001 (t001) was still improving when training ended.", fs25) == []   # best at 25 of 25
    ms = flags("sum=0.01 (t000) was still improving when training ended.", fs25)           # best at 20
    assert len(ms) == 1 and "epoch 20 of 25" in ms[0].data_says


@pytest.fixture(scope="module")
def fs_lr(tmp_path_factory):
    """Two learning rates × the paper's 6 penalties (bench/claims_runs.py's lr12): lr = 0.01 settles
    earlier (mean epoch 15.7 vs 20.8) and starts higher (about 58% vs 56% after epoch 1)."""
    from tests.support.synthetic import make_run, paper_config

    return build_facts(make_run(tmp_path_factory.mktemp("clr") / "r", paper_config(n_lr=2), seed=3, diverge={"t011": 8}))


@pytest.mark.parametrize("text,bad", [
    ("The higher learning rate converged earlier.", False),
    ("The lower learning rate converged earlier.", True),
    ("The lr = 0.01 runs got off to the fastest start.", False),
    ("The lr = 0.003 runs got off to the fastest start.", True),
    ("lr = 0.01 is the better choice.", False),
    ("lr = 0.003 is the better choice overall.", True),
])
def test_a_parameter_value_against_the_others(fs_lr, text, bad):
    assert bool(flags(text, fs_lr)) == bad, flags(text, fs_lr)


@pytest.mark.parametrize("text,bad", [
    # medals rank: gold, silver, bronze
    ("## Podium\n\n- 🥇 t001 (86%)\n- 🥈 t002 (81%)\n- 🥉 t000 (80%)\n", False),
    ("## Podium\n\n- 🥇 t001 (86%)\n- 🥈 t000 (80%)\n", True),
    # a peak epoch said of every trial of a group
    ("Both Summation runs hit their best at epoch 3.", True),          # sum=0.01 peaked at epoch 2
    ("Both Summation runs hit their best by the end, at epoch 2 or 3.", False),
    # a difference between the types: their best or mean accuracies, not any two headline numbers
    ("The two types differ a lot: the difference between the types' means is about 12.5 pp.", False),   # 83.00 vs 70.50
    ("The two types are close: the difference between the types' means is about 9 pp.", True),   # best: 5 pp
])
def test_fourth_held_out_ranks_peaks_and_differences(fs, text, bad):
    assert bool(flags(text, fs)) == bad, flags(text, fs)


def test_a_peak_verb_with_the_trial_named_by_its_parameters(fs25):
    assert flags("Summation with λ = 0.01 maxed out at 87.37% around epoch 12.", fs25)      # its best came at epoch 20
    assert flags("Summation with λ = 0.01 maxed out at 87.37% in epoch 20.", fs25) == []


def test_an_opening_pronoun_is_the_subject_until_another_trial_is_named(fs):
    # "Its" is t001 (86% at epoch 3); t000 is named only later in the sentence
    assert flags("t001 won. Its peak came at epoch 3, while t000 had already peaked at epoch 2.", fs) == []
    assert flags("t001 won. Its peak came at epoch 2, while t000 had already peaked at epoch 2.", fs)


def test_a_comparison_placeholder_is_rendered_from_the_facts_and_passes_the_check(fs):
    from sweepdeck.engine.analysis.placeholders import fill_placeholders

    # the order the model asks in does not matter: the winner is written first, with both means
    out = fill_placeholders("Between the penalties, {{compare:type.Multiplication:type.Summation}}.", fs)
    assert out.n_filled == 1 and not out.unknown
    assert "Summation (83.00%) did better than Multiplication (70.50%)" in out.text
    assert flags(out.text, fs) == []
    by_value = fill_placeholders("{{compare:sens.l2_sum_lambda.0.01:sens.l2_sum_lambda.0.001}}.", fs).text
    assert by_value.startswith("Summation λ = 0.001 (86.00%) did better than Summation λ = 0.01 (80.00%)")
    assert flags(by_value, fs) == []
    bad = fill_placeholders("{{compare:type.Summation:type.Nonexistent}}", fs)
    assert bad.unknown and "did better" not in bad.text


# --- what the fifth held-out set (bench/claims_corpus/w*) and plain probes showed: in other words -------

@pytest.mark.parametrize("text,bad", [
    # a trial called the best or the worst, in the words models use
    ("Overall winner: t001.", False),
    ("mul=0.01 (t002) was the strongest run overall.", True),
    ("t000 came out on top.", True),
    ("t003 finished dead last.", False),
    ("The weakest configuration was t002.", True),
    ("t002 had the highest final test accuracy.", True),                 # its final is 79%, t001's 86%
    ("Among the Multiplication runs, the strongest was t003.", True),     # t002: 81% against 60%
    ("Among the Multiplication runs, the strongest was t002.", False),
    # not a claim that it was the best
    ("t002 was not the best run.", False),
    ("t002 was one of the best runs.", False),
    ("t002 was the second-best run.", False),
    ("t000 was the best-generalising run.", False),                       # another measure: left alone
])
def test_fifth_held_out_superlatives(fs, text, bad):
    assert bool(flags(text, fs)) == bad, flags(text, fs)


@pytest.mark.parametrize("text,bad", [
    ("t000 was outperformed by t001.", False),                # the passive: t001 did better
    ("t001 was outperformed by t000.", True),
    ("Summation was beaten by Multiplication.", True),
    ("t002 scored higher than t001.", True),
    ("t003 lagged behind t000.", False),
    ("Summation was more accurate than Multiplication.", False),
    ("t000 surpassed t001.", True),
    ("t003 had a slightly lower test loss than t000.", True),   # 0.88 against 0.45
    ("t001 kept a much smaller gap than t002.", False),         # 2 pp against 20 pp
    ("t001 overfit the least.", True),                          # t003's gap is 0 pp
    ("t003 overfit the least.", False),
    ("Test loss sorts them too: t003, not t002, ends with the highest test loss.", False),
    ("Test loss sorts them too: t002, not t003, ends with the highest test loss.", True),
])
def test_fifth_held_out_comparisons(fs, text, bad):
    assert bool(flags(text, fs)) == bad, flags(text, fs)


@pytest.mark.parametrize("text,bad", [
    ("The top two were t001 and t001.", True),
    ("The top two were Summation sum=0.001 and Multiplication mul=0.01.", False),
    ("The top three are Summation sum=0.001, Summation sum=0.01 and Multiplication mul=0.01.", True),   # out of order
    ("Summation took the top two spots.", True),               # t002 (Multiplication) is second
    ("The two best runs were both Summation.", True),
    ("Lowering the Summation λ raised test accuracy.", False),                # 80% at 0.01, 86% at 0.001
    ("Raising the Multiplication λ hurt test accuracy.", True),               # 60% at 0.001, 81% at 0.01
    ("As the Summation λ grows, the gap widens.", False),                     # 2 pp at 0.001, 6 pp at 0.01
    ("As the Multiplication λ grows, the gap shrinks.", True),                # 0 pp, then 20 pp
    ("Summation beats Multiplication in 1 of the 2 matched pairs.", False),   # λ = 0.001 yes, λ = 0.01 no (80% vs 81%)
    ("Summation beats Multiplication in both matched pairs.", True),
])
def test_fifth_held_out_lists_trends_and_pairs(fs, text, bad):
    assert bool(flags(text, fs)) == bad, flags(text, fs)


@pytest.mark.parametrize("text,bad", [
    ("No run used a learning rate of 0.03.", False),
    ("No run used a learning rate of 0.01.", True),
    ("A learning rate of 0.05 was not part of this sweep.", False),
    ("The sweep crossed two penalty weights for each type: λ ∈ {0.01, 0.001}.", False),
    ("The sweep crossed two penalty weights for each type: λ ∈ {0.01, 0.005}.", True),
    ("t001 is still rising: its best came at the very last epoch (3).", False),
    ("t001 is still rising: its best came at the very last epoch (2).", True),
    ("4 of the 4 trials completed.", False),
    ("3 of the 4 trials completed.", True),
    ("The Summation runs averaged 83% best test accuracy over both penalty strengths.", False),
    ("The Summation runs averaged 86% best test accuracy over both strengths.", True),   # its best run, not the mean
    ("Summation is the safer choice. Its mean best test accuracy is 83.00%, against 70.50% for Multiplication.", False),
    ("Summation is the safer choice. Its mean best test accuracy is 70.50%, against 83.00% for Multiplication.", True),
    ("t000 peaked at 80% and then gave back about 2 pp by the final epoch.", False),
    ("The top two are separated by less than 6 pp.", False),                   # 86% and 81%
    ("The top two are separated by less than 4 pp.", True),
    ("Switching the penalty type changes best test accuracy by at most 30 pp.", False),   # a difference, not the gap
    ("Three trials finished above 79% best test accuracy.", False),
    ("Two trials finished above 79% best test accuracy.", True),
    ("Two of the four runs hit their best at the final epoch.", False),        # t001 and t003, at epoch 3
    ("Three of the four runs hit their best at the final epoch.", True),
    ("t002's best test accuracy was 79%.", True),                              # 79% is its final; the best is 81%
    ("Early training: after the first epoch the Summation runs were between 70% and 75% test accuracy.", False),
    ("After one epoch every Summation run was already above 69%, whereas no Multiplication run had yet reached 73%.",
     False),
    ("After one epoch every Summation run was already above 69%, whereas no Multiplication run had yet reached 71%.",
     True),                                                                     # mul=0.01 was at 72%
])
def test_fifth_held_out_numbers(fs, text, bad):
    assert bool(flags(text, fs)) == bad, flags(text, fs)


@pytest.mark.parametrize("text,bad", [
    ("Multiplication with λ = 0.0001 was the worst configuration at both learning rates.", True),   # at lr = 0.01: λ = 0.01
    ("Summation with λ = 0.001 was the best configuration at both learning rates.", False),
    ("lr = 0.01 is the best learning rate.", False),
    ("lr = 0.003 is the best learning rate.", True),
    ("The larger learning rate of 0.01 did better than 0.003.", False),
    ("The learning rate of 0.003 did better than 0.01.", True),
    ("At lr = 0.01, Summation did better with λ = 0.01 than with λ = 0.001.", True),     # 87.57% against 89.20%
    ("At lr = 0.01, Summation did better with λ = 0.001 than with λ = 0.01.", False),
    ("The lr = 0.01 runs converged faster than the lr = 0.003 runs.", False),
    ("The lr = 0.003 runs converged faster than the lr = 0.01 runs.", True),
    ("The lr = 0.003 runs had not converged by epoch 25 — two of them hit their best in the last two epochs.", False),
    ("The lr = 0.003 runs had not converged by epoch 25 — three of them hit their best in the last two epochs.", True),
])
def test_fifth_held_out_shapes_on_two_learning_rates(fs_lr, text, bad):
    assert bool(flags(text, fs_lr)) == bad, flags(text, fs_lr)


def test_seeds_said_to_differ_by_the_mean_spread_between_seeds(tmp_path_factory):
    from tests.support.synthetic import make_run, paper_config

    fs2 = build_facts(make_run(tmp_path_factory.mktemp("cs") / "r", paper_config(n_seeds=2), seed=1))
    spread = fs2.facts["run.seed_spread_test_acc_best"].value * 100
    assert flags(f"Seeds matter little: a configuration's two seeds differ by about {spread:.1f} pp.", fs2) == []
    ms = flags(f"Seeds matter little: a configuration's two seeds differ by about {spread + 1.5:.1f} pp.", fs2)
    assert len(ms) == 1 and "differ only in seed" in ms[0].data_says


def test_a_superlative_flag_says_what_the_data_holds_by_label(fs):
    ms = flags("The strongest run overall was mul=0.01.", fs)
    assert len(ms) == 1
    assert "mul=0.01 (t002)" in ms[0].reason and "sum=0.001 (t001) (86.00%)" in ms[0].data_says


@pytest.mark.parametrize("text,bad", [
    # probes in plain model phrasing, before the sixth held-out set was measured
    ("Higher margins do not go with higher test accuracy.", True),          # Spearman ρ = +1: they do
    ("There is no clear relationship between margin and test accuracy.", True),
    ("A larger penalty generally means a wider gap for Multiplication.", False),   # 0 pp at 0.001, 20 pp at 0.01
    ("A larger penalty generally means a narrower gap for Multiplication.", True),
    ("t002 is the clear winner of this sweep.", True),
    ("The standout configuration is t001.", False),
    ("t002 is the runner-up.", False),
    ("t000 is the runner-up.", True),
    ("Multiplication wins overall.", True),
    ("Overall, Summation looks like the stronger penalty.", False),
    ("Multiplication holds a clear edge over Summation.", True),
    ("The best run also has the highest margin.", False),                   # t001: 0.3
    ("The best run also has the lowest test loss.", False),                 # t001: 0.36
    ("The worst run also has the largest gap.", True),                      # t003: 0 pp; t002 has 20 pp
    ("t000 and t002 are essentially tied.", True),                          # 80% and 81%: 1 pp, beyond 0.5 pp
    ("t001 and t002 are neck and neck.", True),                             # 86% and 81%
    ("On the best trial Summation and Multiplication are level.", True),     # 86% against 81%
])
def test_plain_probes_before_the_sixth_held_out_set(fs, text, bad):
    assert bool(flags(text, fs)) == bad, flags(text, fs)


# --- what the sixth held-out set (v32-v36, measured first, then fixed for) showed: in other words ----------

@pytest.mark.parametrize("text,bad", [
    # an epoch that opens the number's clause pins it
    ("After 2 epochs, the Summation runs were both between 80% and 84%.", False),       # 80% and 83% at epoch 2
    ("After 2 epochs, the Summation runs were both between 84% and 88%.", True),
    ("Epoch 1: Summation at 70–75%, Multiplication at 55–72%.", False),
    ("The Summation runs start well: after the first epoch they sit between 70% and 75%.", False),
    ("The Summation runs start well: after the first epoch they sit between 76% and 80%.", True),
    ("t002 was at 81.00% at epoch 2 before it slipped to 79%.", False),                  # not pinned across "to"
    # a drop from the peak, a mean without a trial, a pair that answers two names
    ("t002 ended at 79%, only 2 pp below its peak.", False),
    ("t002 ended at 79%, only 3 pp below its peak.", True),
    ("Excluding t003, Multiplication averages 81% best test accuracy.", False),
    ("Excluding t003, Multiplication averages 75% best test accuracy.", True),
    ("t000 and t002 are close (80.00% and 81.00%).", False),
    ("t000 and t002 are close (81.00% and 80.00%).", True),
    ("Summation sits at 83% on average against Multiplication's just under 71%.", False),   # 70.5%
    ("Summation sits at 83% on average against Multiplication's just under 75%.", True),
    ("Final train accuracy for those two: both above 83%.", False),                      # a group the words do not name
])
def test_sixth_held_out_numbers(fs, text, bad):
    assert bool(flags(text, fs)) == bad, flags(text, fs)


_SPREAD_TABLE = "| Penalty | λ = 0.01 | λ = 0.001 | Spread (pp) |\n|---|---|---|---|\n| Summation | 80.00 | 86.00 | {s} |\n"


def test_a_spread_column_is_the_rows_highest_minus_lowest_value(fs):
    assert flags(_SPREAD_TABLE.format(s="6.00"), fs) == []
    ms = flags(_SPREAD_TABLE.format(s="4.00"), fs)
    assert len(ms) == 1 and "differ by 6.00 pp" in ms[0].data_says


@pytest.mark.parametrize("text,bad", [
    ("t003 is 26 pp behind, the weakest run.", False),             # an appositive, not "t003 is behind the weakest run"
    ("Multiplication never beat Summation at the same λ.", True),    # λ = 0.01: 81% vs 80%: it did
    ("Multiplication did not beat Summation on average.", False),    # 70.5% vs 83%
    ("Summation did not beat Multiplication on average.", True),
    ("t003 did not outperform t000.", False),
    ("t001 did not outperform t000.", True),
    ("t002 finished higher than t000.", False),                     # final test accuracy: 79% vs 78%
    ("t000 finished higher than t002.", True),
    ("t001 clearly outperformed t002.", False),                      # 86% vs 81%
    ("t002 narrowly beat t000.", False),                             # 81% vs 80%
    ("t000 peaked higher than t002.", True),
    ("t000 beat its Multiplication counterpart.", True),             # mul=0.01 (t002): 81% vs 80%
    ("t001 beat its Multiplication counterpart.", False),            # mul=0.001 (t003): 86% vs 60%
    ("λ = 0.001 won 1 of the 2 head-to-head pairs.", False),          # Summation yes (86 vs 80), Multiplication no (60 vs 81)
    ("λ = 0.001 won 2 of the 2 head-to-head pairs.", True),
    ("λ = 0.01 gave the best Multiplication run.", False),
    ("λ = 0.001 gave the best Multiplication run.", True),
    ("The weakest completed run was t003.", False),
    ("None of the Summation runs peaked before epoch 2.", False),     # epochs 2 and 3
    ("None of the Summation runs peaked before epoch 3.", True),
    ("Every run reached its best before the final epoch.", True),     # t001 and t003 peaked at epoch 3
])
def test_sixth_held_out_claims(fs, text, bad):
    assert bool(flags(text, fs)) == bad, flags(text, fs)


def test_findings_in_a_conclusion_and_next_steps_section_are_checked_until_the_proposals(fs):
    text = ("## Conclusion and Next Steps\n\nt002 was the best run. Next steps:\n\n"
            "- lr = 0.003 and batch size 256.\n")
    ms = flags(text, fs)
    assert [m.line for m in ms] == [3]


# --- what the seventh and eighth held-out sets (u37-u41, s42-s46) showed: in other words -------------------

@pytest.mark.parametrize("text,bad", [
    # counts of trials meeting a limit, written as "N of the M", "N/M"; "of the M" is the whole, not a value
    ("3 of the 4 runs exceeded 79% best test accuracy, and two of the 4 finished above 79% final test accuracy.", False),
    ("3 of the 4 runs exceeded 79% best test accuracy, and three of the 4 finished above 79% final test accuracy.", True),
    ("Only 1/2 Multiplication runs broke 80% best test acc.", False),                  # mul=0.01: 81%
    ("Only 2/2 Multiplication runs broke 80% best test acc.", True),
    ("No Multiplication run got past 82% best test accuracy.", False),
    ("No Multiplication run got past 80% best test accuracy.", True),
    ("Multiplication's λ spanned 0.001 to 0.01, a 10× range.", False),                  # a ratio, not a value
    ("Summation beats Multiplication at λ = 0.001 (86 vs 60).", False),                 # results in brackets, not λ values
    ("The two Summation runs averaged 75% best test accuracy.", True),                  # 83%
    ("The two Summation runs averaged 83% best test accuracy.", False),
    ("t002 did not cross 80% until epoch 2.", False),
    ("t002 did not cross 80% until epoch 3.", True),                                    # it passed 80% at epoch 2
    ("t000 and t002 (the λ = 0.01 pair) both peaked at epoch 2.", False),
    ("t001 and t003 both peaked in epoch 2.", True),                                    # both peaked at epoch 3
    ("The two Multiplication runs peaked at epochs 2 and 3.", False),
    ("The two Multiplication runs peaked at epochs 1 and 3.", True),
    ("Both Summation runs peaked between epochs 2 and 3.", False),
    ("Both Summation runs peaked between epochs 1 and 2.", True),                       # t001 peaked at epoch 3
    ("t000 vs. t002 (λ = 0.01): 80.00% vs. 81.00%.", False),                            # "vs." ends no sentence
    ("Even with t003 excluded, the Multiplication mean is 81% best test accuracy.", False),
    ("Every Summation run (the strongest being t001 at 86%) beat t003.", False),        # the best of that group
    ("The group means differ by about 12 pp (83.00% versus 70.50%).", False),
])
def test_seventh_and_eighth_held_out_numbers(fs, text, bad):
    assert bool(flags(text, fs)) == bad, flags(text, fs)


@pytest.mark.parametrize("text,bad", [
    ("At epoch 1, t002 was ahead of t000.", False),                   # 72% vs 70% at epoch 1
    ("At epoch 1, t000 was ahead of t002.", True),
    ("t002 peaked later than t001.", True),                           # epoch 2 against 3
    ("t001 comes in second.", True),
    ("t002 comes in second.", False),
    ("The two Multiplication runs are the two weakest in the sweep.", True),    # t003 and t000 are
    ("Larger margins accompany higher test accuracy.", False),        # Spearman ρ = +1
    ("The final test loss shows little relationship with accuracy.", True),     # loss and accuracy: ρ = -1
    ("Overall, a higher test loss goes with a higher best test accuracy.", True),
    ("Overall, a lower test loss goes with a higher best test accuracy.", False),
    ("Fastest start: λ = 0.001.", False),                              # (a label: the value against the others)
])
def test_seventh_and_eighth_held_out_claims(fs, text, bad):
    assert bool(flags(text, fs)) == bad, flags(text, fs)


def test_a_numbered_finding_after_a_ranked_sublist_is_not_a_rank(fs):
    text = ("## Overview\n\n1. **Top two** (by best test accuracy):\n   - t001: 86%\n   - t002: 81%\n"
            "2. **Spread:** the best and the weakest run differ by 26 pp (86% vs 60% for t003).\n")
    assert flags(text, fs) == []


@pytest.mark.parametrize("text,bad", [
    ("t001 had already levelled off by the end.", True),              # best at epoch 25 of 25: still climbing
    ("t000 had already levelled off by the end.", False),             # best at epoch 20 of 25
    ("Several of the Summation runs were still improving at the end.", True),   # only t001 (t002 peaked at 22)
    ("Some of the Summation runs were still improving at the end.", False),
])
def test_levelled_off_and_several_still_improving(fs25, text, bad):
    assert bool(flags(text, fs25)) == bad, flags(text, fs25)


# --- ninth held-out set (q47-q51) and the misses left from the earlier sets ---------------------------

@pytest.mark.parametrize("text,bad", [
    ("Within Summation, the weaker penalty generalised better.", False),   # sum=0.001: 86% against 83%
    ("For Multiplication, smaller λ performed better.", True),           # mul=0.001: 60% against 81%
    ("Larger λ = better results for Multiplication!", False),
    ("Lower lr = 0.003 runs did fine.", False),                          # "=" names a value here, no trend
])
def test_trends_said_with_a_bare_better(fs, text, bad):
    assert bool(flags(text, fs)) == bad, flags(text, fs)


@pytest.mark.parametrize("text,bad", [
    ("Summation had the lower final test loss at every λ.", False),     # 0.45 vs 0.60, 0.36 vs 0.88
    ("Summation had the smaller train–test gap at every λ.", True),     # at λ = 0.001: 2 pp against 0 pp
    ("Multiplication ended with larger gaps than Summation at each λ.", True),
    ("Summation beat Multiplication at every λ.", True),                # λ = 0.01: 80% against 81%
    ("Summation had a smaller gap.", False),                            # "a", no other side: not a comparison
])
def test_a_measure_compared_within_every_part(fs, text, bad):
    assert bool(flags(text, fs)) == bad, flags(text, fs)


def test_a_part_that_breaks_the_comparison_is_named_with_its_trials(fs):
    (m,) = flags("Summation had the smaller train–test gap at every λ.", fs)
    assert "than Multiplication" in m.reason
    assert "sum=0.001 (t001): 2.00 pp; mul=0.001 (t003): 0.00 pp" in m.data_says


@pytest.mark.parametrize("text,bad", [
    ("On average, Multiplication trails Summation by roughly 12.5 pp.", False),   # means 83% and 70.5%
    ("Multiplication's best run sits 5 pp behind Summation's.", False),          # 86% against 81%
    ("Multiplication sits about 8 pp behind Summation on average.", True),
    ("Summation's lead over Multiplication is 3 pp.", True),
])
def test_a_distance_between_two_types(fs, text, bad):
    assert bool(flags(text, fs)) == bad, flags(text, fs)


def test_a_train_test_gap_above_another_type_is_not_a_lead_in_accuracy(fs):
    ms = flags("Multiplication overfit more: its train–test gap is 11 pp above Summation's.", fs)
    assert ms and not any("difference between" in m.reason for m in ms)


@pytest.mark.parametrize("text,bad", [
    ("Both lr = 0.05 runs kept improving, which hints that the lower rate needs more epochs.", True),  # no trial used 0.05
    ("Lower the learning rate to 0.05 next time.", False),                                         # a proposal
    ("A lower rate than 0.05 is worth a try.", False),
])
def test_an_adjective_lower_does_not_make_a_sentence_a_proposal(fs, text, bad):
    assert bool(flags(text, fs)) == bad, flags(text, fs)


@pytest.mark.parametrize("text,bad", [
    # each number is one type's own mean: Summation's gaps 6 and 2 pp, Multiplication's 20 and 0 pp
    ("Summation's train–test gap averages 4 pp, against 10 pp for Multiplication.", False),
    ("Summation's train–test gap averages 4 pp, against 15 pp for Multiplication.", True),
    # "no run at λ = 0.01 had ..." is about the runs at that λ, not a claim that no run used it
    ("No run at λ = 0.01 had a best test accuracy below 79%.", False),
    ("No run at λ = 0.01 had a best test accuracy below 80.5%.", True),
    ("t000 peaked at 80% and then slid, finishing at 78%.", False),
    ("t000 peaked at 80% and then slid, finishing at 80%.", True),                # 78% is its final
    ("t002 peaked at epoch 2 and then stayed between 78% and 80% for the rest of training.", False),
    ("t001 finished less than 7 pp ahead of t000, and t000 less than 2 pp behind t002.", False),
    ("t001 finished more than 7 pp ahead of t000.", True),                        # 86% against 80%
    ("t000 finished less than 0.5 pp behind t002.", True),                       # 80% against 81%
    ("Every run ended within 2.5 pp of its own best.", False),                   # the largest drop: 2 pp
    ("Every run ended within 1 pp of its own peak.", True),
])
def test_ninth_held_out_numbers(fs, text, bad):
    assert bool(flags(text, fs)) == bad, flags(text, fs)


@pytest.mark.parametrize("text,bad", [
    ("**l2_mul_lambda**\nOrder: 0.01 > 0.001.\n", False),               # Multiplication: 81% against 60%
    ("**l2_sum_lambda**\nOrder: 0.01 > 0.001.\n", True),                # Summation: 80% against 86%
    ("**l2_sum_lambda**\nRanking: 0.001 (86%), then 0.01.\n", False),
    ("**l2_sum_lambda**\nRanking: 0.01 first, then 0.001.\n", True),
])
def test_a_chain_of_lambda_values_under_a_lead_line_is_that_types(fs, text, bad):
    assert bool(flags(text, fs)) == bad, flags(text, fs)


@pytest.mark.parametrize("text,bad", [
    ("The learning rate has a clear effect (over 3 pp between its means).", False),   # 3.66 pp
    ("The learning rate has only a small effect (under 2 pp).", True),
])
def test_the_effect_of_a_parameter_is_the_spread_of_its_means(fs_lr, text, bad):
    assert bool(flags(text, fs_lr)) == bad, flags(text, fs_lr)


@pytest.mark.parametrize("text,bad", [
    ("Apart from the diverged run, no configuration finished with a final test accuracy below 84%.", False),  # t009: 84.18%
    ("Apart from the diverged run, no configuration finished with a final test accuracy below 85%.", True),
])
def test_a_negated_limit_that_leaves_the_diverged_run_out(fs_lr, text, bad):
    assert bool(flags(text, fs_lr)) == bad, flags(text, fs_lr)


@pytest.mark.parametrize("text,bad", [
    ("lr = 0.01 gave the strongest start, ahead of every other learning rate.", False),   # 58.3% against 55.9% after epoch 1
    ("lr = 0.003 had the fastest start, well ahead of the rest.", True),
    ("For Multiplication, lr = 0.01 did better at every λ.", False),
    ("For Multiplication, lr = 0.003 did better at every λ.", True),
    ("At lr = 0.01, none of the six runs reached its best test accuracy only in the final epoch.", False),
    ("At lr = 0.003, four of the six runs reached their best test accuracy only in the final epoch.", True),   # one did
    ("By final test accuracy the order is: t001, then t007, then t000.", False),          # 89.03%, 87.42%, 86.62%
    ("By final test accuracy the order is: t001, then t000, then t007.", True),
])
def test_ninth_held_out_claims_on_two_learning_rates(fs_lr, text, bad):
    assert bool(flags(text, fs_lr)) == bad, flags(text, fs_lr)


@pytest.mark.parametrize("text,bad", [
    ("Larger train–test gaps went hand in hand with higher final train accuracy.", False),   # Spearman ρ = +0.8
    ("Larger train–test gaps went hand in hand with lower final train accuracy.", True),
])
def test_a_trend_whose_measure_is_written_with_an_en_dash(fs, text, bad):
    assert bool(flags(text, fs)) == bad, flags(text, fs)


def test_a_trials_named_train_test_gap_is_not_read_as_a_difference_of_accuracies(fs):
    # 5 pp is the distance between the two best runs (86% and 81%), not t001's gap (2 pp)
    assert flags("t001's train–test gap is 5 pp.", fs)
    assert not flags("t001's train–test gap is 2 pp.", fs)


def test_a_best_epoch_column_in_the_usual_layout(fs):
    text = "| Run | Best test acc | Best Epoch |\n|---|---|---|\n| t002 | 81% | 2 |\n| t001 | 86% | 2 |\n"
    assert [m.line for m in flags(text, fs)] == [4]                  # t001 peaked at epoch 3


@pytest.mark.parametrize("text,bad", [
    ("If we exclude t003, Multiplication with λ = 0.01 or 0.001 averages 81%.", False),    # t002 alone
    ("Once we drop t003, the Multiplication runs average 81% best test accuracy.", False),
    ("Once we drop t003, the Multiplication runs average 75% best test accuracy.", True),                   # 81%; with t003, 70.5%
])
def test_a_mean_with_a_trial_left_out_by_a_verb(fs, text, bad):
    assert bool(flags(text, fs)) == bad, flags(text, fs)


# --- tenth blind set (p52-p56) ------------------------------------------------------------------------

def test_proposals_under_a_what_to_try_next_heading_are_not_claims(fs):
    text = "## 🛠️ What I'd try next\n\n- Zoom in on λ: test 0.0005 and 0.002 for both types.\n- Train for 40 epochs.\n"
    assert flags(text, fs) == []


@pytest.mark.parametrize("text,bad", [
    ("The best Summation run finished 5 points ahead of the best Multiplication run.", False),   # 86% against 81%
    ("The best Summation run finished 8 points ahead of the best Multiplication run.", True),
    ("t002 versus t000 (81% and 80%) is within noise.", False),                                  # respectively
    ("t002 versus t000 (80% and 81%) is within noise.", True),
    ("Epoch-1 test accuracy: 70–75% for all runs.", True),                                      # t003: 55%
    ("Epoch 1 test accuracy: 55–75% for all runs.", False),
    ("The weaker runs were slow from the start: after the first epoch every run sat between 55% and 75%.", False),
    ("The weaker runs were slow from the start: after the first epoch every run sat between 65% and 75%.", True),
    ("Both Summation runs set their best test accuracy in epoch 2 or later.", False),             # epochs 2 and 3
    ("Both Summation runs set their best test accuracy in epoch 3 or later.", True),
    ("t002 peaked at epoch 2 and stayed between 79% and 81% from epoch 2 onward.", False),
    ("t002 peaked at epoch 2 and stayed between 80% and 81% from epoch 2 onward.", True),        # 79% at epoch 3
])
def test_tenth_held_out_numbers(fs, text, bad):
    assert bool(flags(text, fs)) == bad, flags(text, fs)


def test_a_top_result_under_a_types_heading_is_the_best_of_that_type(fs):
    assert flags("**2.2 Multiplication**\n\n**Top result:** t002 at 81%, second overall.\n", fs) == []
    assert flags("**2.2 Multiplication**\n\n**Top result:** t003 at 60%.\n", fs)


def test_a_flagged_comparison_quotes_its_own_clause(fs):
    (m,) = flags("Every Multiplication run beat both Summation runs, and t001 beat t000.", fs)
    assert m.number.startswith("Every Multiplication run beat") and "t001" not in m.number


@pytest.mark.parametrize("text,bad", [
    # Summation against Multiplication at each λ (matched pairs): 87.37 − 86.79, 89.15 − 88.12, 87.68 − 86.25
    ("Summation's edge grows as λ decreases: 0.58 → 1.03 → 1.43 pp.", False),
    ("Summation's edge grows as λ decreases: 0.58 → 1.23 → 1.43 pp.", True),
])
def test_the_edge_of_one_type_in_each_matched_pair(fs25, text, bad):
    assert bool(flags(text, fs25)) == bad, flags(text, fs25)


@pytest.mark.parametrize("text,bad", [
    ("Across the six matched pairs, lr = 0.01 gave the higher best test accuracy in 6 of the 6.", False),
    ("Across the six matched pairs, lr = 0.01 gave the higher best test accuracy in 5 of the 6.", True),
    ("lr = 0.003 had the better best test accuracy in 4 of the 6 pairs.", True),                 # in none
])
def test_pairs_won_by_a_value_against_the_other(fs_lr, text, bad):
    assert bool(flags(text, fs_lr)) == bad, flags(text, fs_lr)


@pytest.mark.parametrize("text,bad", [
    ("3 of the 4 runs reached 80% or better.", False),                          # 86, 81, 80; 60
    ("All 4 of the 4 runs reached 80% or better.", True),
    ("Runs with larger margins generally reached higher test accuracy.", False),  # Spearman ρ = +1
    ("Runs with larger margins generally reached lower test accuracy.", True),
    ("For Summation, results got steadily better as λ went down.", False),       # 80% → 86%
    ("For Multiplication, results got steadily better as λ went down.", True),   # 81% → 60%
])
def test_tenth_held_out_shapes(fs, text, bad):
    assert bool(flags(text, fs)) == bad, flags(text, fs)


@pytest.mark.parametrize("text,bad", [
    ("The lr = 0.01 runs got off the line fastest.", False),                    # epoch 1: 58.3% against 55.9%
    ("The lr = 0.003 runs got off the line fastest.", True),
    ("The lr = 0.01 runs plateaued before the lr = 0.003 runs did.", False),    # settled at 15.7 against 20.8
    ("The lr = 0.003 runs plateaued before the lr = 0.01 runs did.", True),
])
def test_tenth_held_out_speed_claims(fs_lr, text, bad):
    assert bool(flags(text, fs_lr)) == bad, flags(text, fs_lr)


def test_converged_by_the_midpoint_is_the_settle_rule(fs25):
    assert flags("t001 had effectively converged by the midpoint of training.", fs25)   # settled at epoch 16 of 25


def test_a_ranked_list_indented_under_a_bullet_that_introduces_it(fs):
    text = ("* **Top 3 configurations:**\n\t1. t001 — Summation\n\t2. t000 — Summation\n\t3. t002 — Multiplication\n"
            "* **Weakest configuration:** t003\n")
    assert [m.line for m in flags(text, fs)] == [3, 4]            # t002 is second, t000 third; the sibling is no rank


def test_a_rank_written_after_a_hash(fs):
    text = "- **#1 — t001** (Summation): 86%.\n- **#2 — t000** (Summation): 80%.\n"
    assert [m.line for m in flags(text, fs)] == [2]


def test_a_top_n_by_final_accuracy_is_explained_by_final_accuracy(fs):
    (m,) = flags("Top-2 by final test accuracy: t001, t000.", fs)       # t002 ends at 79%, t000 at 78%
    assert "by final test accuracy" in m.data_says and "mul=0.01 (t002)" in m.data_says


# --- eleventh blind set (o57-o61) -----------------------------------------------------------------------

def test_items_after_a_recommended_next_steps_lead_are_proposals(fs):
    text = ("## 4. Conclusion\n\nSummation did better.\n\nRecommended next steps:\n\n"
            "1. Refine the penalty, e.g. λ ∈ {0.0005, 0.002}.\n2. Extend training to 40 epochs for the runs still improving.\n")
    assert flags(text, fs) == []


@pytest.mark.parametrize("text,bad", [
    ("Summation leads: all 2 of its runs reached their best at epoch 2 or later.", False),   # a count, not 2%
    ("None of the runs crosses 82% before epoch 3.", True),                                  # t001: 83% at epoch 2
    ("None of the runs crosses 87% before epoch 3.", False),
    ("The two Summation trials with λ = 0.01 or 0.001 had passed 75% by epoch 2.", False),   # 80% and 83%
    ("t002 sits at 81% vs 60% for t003, and t000 trails t002 by more than 0.5 pp.", False),  # 80 against 81
    ("t000 trails t002 by more than 2 pp.", True),
    ("The top Multiplication run is within 5 pp of the top Summation run.", False),          # 81% against 86%
    ("The top Multiplication run is within 4 pp of the top Summation run.", True),
    ("The Summation and Multiplication means are within 13 pp of each other.", False),       # 83% and 70.5%
    ("The Summation and Multiplication means are within 10 pp of each other.", True),
    ("Summation wins on average: 83.00% vs 70.50% mean best test accuracy.", False),
    ("Without t003, Multiplication averages 81%, about 2 pp behind Summation.", False),       # 83% against 81%
    ("Without t003, Multiplication averages 81%, about 7 pp behind Summation.", True),
    ("t002 started slowly: it only got to 80% by epoch 2.", False),                          # 81%: at least 80
    ("t002 started slowly: it only got to 82% by epoch 2.", True),
])
def test_eleventh_held_out_numbers(fs, text, bad):
    assert bool(flags(text, fs)) == bad, flags(text, fs)


def test_excluding_it_is_the_trial_of_the_sentence_before(fs):
    assert not flags("t003 collapsed. Excluding it, Multiplication averages 81% best test accuracy.", fs)
    assert flags("t003 collapsed. Excluding it, Multiplication averages 85% best test accuracy.", fs)


@pytest.mark.parametrize("text,bad", [
    ("**Mean best test accuracy by λ:** 80.5% (0.01), 73.0% (0.001).", False),   # (80 + 81) / 2, (86 + 60) / 2
    ("**Mean best test accuracy by λ:** 80.5% (0.01), 75.0% (0.001).", True),
])
def test_means_by_lambda_pool_both_types(fs, text, bad):
    assert bool(flags(text, fs)) == bad, flags(text, fs)


@pytest.mark.parametrize("text,bad", [
    ("t002 had passed 80.5% by epoch 3.", False),       # 81% at epoch 2, 79% at epoch 3: by epoch 3 it had
    ("t002 had passed 81.5% by epoch 3.", True),
])
def test_a_limit_by_an_epoch_admits_any_epoch_up_to_it(fs, text, bad):
    assert bool(flags(text, fs)) == bad, flags(text, fs)
