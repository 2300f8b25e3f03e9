from pathlib import Path

from engine.config import load_config, validate_config
from engine.trials import build_trials, count_trials, penalty_settings

CONFIGS = Path(__file__).resolve().parents[1] / "configs"


def test_paper_s1_2_is_six_trials_sums_then_muls():
    _, cfg = load_config(CONFIGS / "paper_s1_2.json")
    trials = build_trials(cfg)
    assert len(trials) == 6 == count_trials(cfg)
    assert [t.params.exp_type for t in trials] == ["Summation"] * 3 + ["Multiplication"] * 3
    assert all(t.params.l2_mul_lambda == 0 for t in trials[:3])
    assert all(t.params.l2_sum_lambda == 0 for t in trials[3:])
    assert [t.label for t in trials[:2]] == ["sum=0.01", "sum=0.001"]


def test_paper_3_1_is_sixteen_trials():
    _, cfg = load_config(CONFIGS / "paper_3_1.json")
    trials = build_trials(cfg)
    assert len(trials) == 16 == count_trials(cfg)
    assert len({t.id for t in trials}) == 16
    assert len({t.key for t in trials}) == 16
    assert trials[0].label == "sum=0.01 lr=0.1 wn=0.9"


def test_zero_gives_one_unregularised_trial_not_one_per_list():
    cfg = validate_config({"l2_sum_lambda": [0, 0.1], "l2_mul_lambda": [0, 0.2]})
    assert [s[0] for s in penalty_settings(cfg)] == ["Summation", "Multiplication", "No_Regularization"]
    assert len(build_trials(cfg)) == 3


def test_empty_or_all_zero_penalties_give_no_regularization():
    for raw in ({"l2_sum_lambda": [], "l2_mul_lambda": []}, {"l2_sum_lambda": [0.0], "l2_mul_lambda": [0]}):
        trials = build_trials(validate_config(raw))
        assert [t.params.exp_type for t in trials] == ["No_Regularization"]
        assert trials[0].label == "single trial"


def test_ids_are_stable_across_builds():
    _, cfg = load_config(CONFIGS / "paper_3_1.json")
    assert [t.model_dump() for t in build_trials(cfg)] == [t.model_dump() for t in build_trials(cfg)]


def test_random_search_samples_the_grid_reproducibly():
    raw = {"lr": [0.1, 0.01, 0.001], "seed": [1, 2, 3, 4], "search": {"method": "random", "n_trials": 5, "seed": 7}}
    a = build_trials(validate_config(raw))
    b = build_trials(validate_config(raw))
    assert len(a) == 5 == count_trials(validate_config(raw))
    assert [t.params for t in a] == [t.params for t in b]
    assert len({t.key for t in a}) == 5
    other = build_trials(validate_config({**raw, "search": {"method": "random", "n_trials": 5, "seed": 8}}))
    assert [t.params for t in other] != [t.params for t in a]
