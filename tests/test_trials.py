from pathlib import Path

import pytest

from sweepdeck.engine.config import ConfigError, load_config, validate_config
from sweepdeck.engine.space import count_trials, penalty_settings
from sweepdeck.engine.trials import build_trials

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


def _old_random_pick(cfg) -> list:
    """The sampler before random search stopped building the grid: every config
    written before must keep picking exactly these trials."""
    import itertools
    import random

    from sweepdeck.engine.space import SWEPT_KEYS
    from sweepdeck.engine.trials import TrialParams

    def uniq(values):
        seen = []
        for v in values:
            if v not in seen:
                seen.append(v)
        return seen

    axes = {k: uniq(getattr(cfg, k)) for k in SWEPT_KEYS if k != "penalty"}
    axes["penalty"] = penalty_settings(cfg)
    grid = []
    for combo in itertools.product(*(axes[k] for k in SWEPT_KEYS)):
        values = dict(zip(SWEPT_KEYS, combo))
        exp_type, s, m = values.pop("penalty")
        grid.append(TrialParams(exp_type=exp_type, l2_sum_lambda=s, l2_mul_lambda=m, **values))
    rng = random.Random(cfg.search.seed)
    n = min(cfg.search.n_trials, len(grid))
    return [grid[i] for i in sorted(rng.sample(range(len(grid)), n))]


@pytest.mark.parametrize("raw", [
    {"lr": [0.1, 0.01, 0.001], "seed": [1, 2, 3, 4], "search": {"method": "random", "n_trials": 5, "seed": 7}},
    {"lr": [0.1, 0.01], "l2_sum_lambda": [0, 0.01, 0.001], "l2_mul_lambda": [0.1, 0], "wn": [None, 0.9, "default"],
     "bias": [True, False], "opt_name": ["sgd", "adam"], "search": {"method": "random", "n_trials": 17, "seed": 3}},
    {"batchsize": [32, 64, 32], "lr": [0.1, 0.1, 0.2], "search": {"method": "random", "n_trials": 50, "seed": 0}},
    {"seed": list(range(40)), "lr": [1, 1.0, 0.5], "search": {"method": "random", "n_trials": 30, "seed": 11}},
])
def test_random_search_picks_the_same_trials_as_before(raw):
    cfg = validate_config(raw)
    assert [t.params for t in build_trials(cfg)] == _old_random_pick(cfg)


def test_random_search_over_a_huge_grid_samples_without_building_it():
    import tracemalloc

    raw = {"lr": [0.001 * (i + 1) for i in range(300)], "batchsize": list(range(1, 301)), "seed": list(range(300)),
           "search": {"method": "random", "n_trials": 20, "seed": 1}}
    tracemalloc.start()
    try:
        cfg = validate_config(raw)
        trials = build_trials(cfg)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert len(trials) == 20 == count_trials(cfg)
    assert len({t.key for t in trials}) == 20
    assert peak < 20 * 2**20  # the 27M-trial grid would need gigabytes
    assert all(t.params.lr in raw["lr"] and t.params.batchsize in raw["batchsize"] for t in trials)


def test_random_search_over_more_trials_than_an_index_holds():
    # About 10^20 combinations: more than a machine word, so not a plain range sample.
    many = [0.001 * (i + 1) for i in range(10_000)]
    raw = {"lr": many, "wn": many, "l2_sum_lambda": many, "batchsize": list(range(1, 10_001)), "seed": list(range(10_000)),
           "search": {"method": "random", "n_trials": 10, "seed": 5}}
    trials = build_trials(validate_config(raw))
    assert len({t.key for t in trials}) == 10
    assert trials == build_trials(validate_config(raw))


def test_long_lists_are_deduplicated_in_linear_time():
    # 200k distinct values took minutes with the quadratic de-duplication.
    raw = {"lr": [1 + i for i in range(200_000)] + [1.0, 2], "search": {"method": "random", "n_trials": 3}}
    cfg = validate_config(raw)
    assert count_trials(cfg) == 3
    assert len(build_trials(cfg)) == 3


def test_a_grid_over_the_limit_is_one_clear_line():
    with pytest.raises(ConfigError) as info:
        validate_config({"lr": [0.001 * (i + 1) for i in range(1000)], "seed": list(range(101))})
    assert len(info.value.problems) == 1
    line = info.value.problems[0]
    assert "101,000 trials" in line and "100,000" in line and "lr" in line and '"random"' in line
    validate_config({"lr": [0.001 * (i + 1) for i in range(1000)], "seed": list(range(100))})  # exactly the limit


def test_random_n_trials_over_the_limit_is_refused():
    with pytest.raises(ConfigError, match=r"search.n_trials: 100001 is invalid"):
        validate_config({"search": {"method": "random", "n_trials": 100_001}})
