import json
from pathlib import Path

import pytest

from sweepdeck.engine.config import ConfigError, apply_overrides, config_schema, load_config, parse_override, validate_config

CONFIGS = Path(__file__).resolve().parents[1] / "configs"


@pytest.mark.parametrize("name", ["paper_3_1.json", "paper_s1_2.json"])
def test_paper_configs_load_unchanged(name):
    raw, cfg = load_config(CONFIGS / name)
    assert cfg.batchsize == [64]
    assert cfg.opt_name == ["adamw"]
    assert cfg.depth_normalization == [False]  # the string "False"
    assert cfg.bias == [False] and cfg.batch_norm == [False]
    assert cfg.features_normalization == ["f_out"]
    assert cfg.device == "auto"
    assert raw == json.loads((CONFIGS / name).read_text())


def test_every_shipped_config_is_valid():
    for path in CONFIGS.glob("*.json"):
        load_config(path)


def test_gui_spellings_of_none_and_booleans():
    cfg = validate_config({"wn": ["None", "default", 1.2, "0.9"], "features_normalization": ["None", "f_out"],
                           "bias": ["True", False], "mislabel_percentage": 0.1})
    assert cfg.wn == [None, "default", 1.2, 0.9]
    assert cfg.features_normalization == [None, "f_out"]
    assert cfg.bias == [True, False]


def _problems(raw) -> list[str]:
    with pytest.raises(ConfigError) as info:
        validate_config(raw)
    return info.value.problems


@pytest.mark.parametrize(
    "raw, key, hint",
    [
        ({"batchsize": "large"}, "batchsize[0]", "integer"),
        ({"lr": -0.1}, "lr[0]", "greater than 0"),
        ({"opt_name": "rmsprop"}, "opt_name[0]", "'adam', 'adamw' or 'sgd'"),
        ({"learning_rate": 0.1}, "learning_rate", "unknown key"),
        ({"lr": []}, "lr", "at least 1"),
        ({"wn": "abc"}, "wn[0]", "default"),
        ({"device": "gpu"}, "device", "cuda"),
        ({"name": "../escape"}, "name", "no '/'"),
        ({"dataset": {"name": "imagenet"}}, "dataset.name", "cifar10"),
        ({"mislabel_percentage": 1.5}, "mislabel_percentage", "less than or equal to 1"),
        ({"search": {"method": "random"}}, "search", "n_trials"),
    ],
)
def test_invalid_values_name_key_value_and_fix(raw, key, hint):
    problems = _problems(raw)
    assert len(problems) == 1
    assert problems[0].startswith(key + ":")
    assert hint in problems[0]


def test_several_problems_one_line_each():
    problems = _problems({"lr": [0.1, -1], "bias": "maybe", "foo": 1})
    assert len(problems) == 3
    assert {p.split(":")[0] for p in problems} == {"lr[1]", "bias[0]", "foo"}


def test_malformed_json_names_line_and_column(tmp_path):
    path = tmp_path / "bad.json"
    path.write_text('{"lr": [0.1,, 0.2]}')
    with pytest.raises(ConfigError) as info:
        load_config(path)
    assert "malformed JSON at line 1 column" in str(info.value)


def test_missing_file_is_a_config_error(tmp_path):
    with pytest.raises(ConfigError, match="no such config file"):
        load_config(tmp_path / "nope.json")


def test_set_overrides_lists_scalars_and_sections():
    raw = apply_overrides({"lr": 0.1, "model": "tiny"}, ["lr=0.1,0.01", "n_epochs=3", "dataset.n_train=2000",
                                                         "wn=None,default,0.9", "model.name=overparameterized"])
    assert raw["lr"] == [0.1, 0.01]
    assert raw["n_epochs"] == 3
    assert raw["dataset"] == {"n_train": 2000}
    assert raw["wn"] == ["None", "default", 0.9]
    assert raw["model"] == {"name": "overparameterized"}
    cfg = validate_config(raw)
    assert cfg.wn == [None, "default", 0.9]


@pytest.mark.parametrize("item", ["lr", "=3", "a b=1", "../x=1"])
def test_bad_set_syntax_is_refused(item):
    with pytest.raises(ConfigError, match="--set"):
        parse_override(item)


def test_schema_lists_paper_keys():
    schema = config_schema()
    for key in ["batchsize", "lr", "n_epochs", "l2_sum_lambda", "l2_mul_lambda", "wn", "seed", "depth_normalization",
                "features_normalization", "batch_norm", "bias", "device", "opt_name", "mislabel_percentage", "dataset", "search"]:
        assert key in schema["properties"]
    json.dumps(schema)


@pytest.mark.parametrize("raw, key", [
    ({"lr": float("inf")}, "lr[0]"),
    ({"lr": [0.1, float("nan")]}, "lr[1]"),
    ({"wn": [float("-inf")]}, "wn[0]"),
    ({"wn": ["inf"]}, "wn[0]"),
    ({"l2_sum_lambda": [float("inf")]}, "l2_sum_lambda[0]"),
    ({"lr_min": float("inf")}, "lr_min"),
    ({"llm": {"timeout_s": float("inf")}}, "llm.timeout_s"),
])
def test_non_finite_numbers_are_refused_everywhere(raw, key):
    problems = _problems(raw)
    assert len(problems) == 1
    assert problems[0].startswith(key + ":") and "finite" in problems[0]


def test_deeply_nested_configs_are_one_line(tmp_path):
    path = tmp_path / "deep.json"
    path.write_text('{"dataset": {"classes": ' + "[" * 100_000 + "]" * 100_000 + "}}")
    with pytest.raises(ConfigError) as info:
        load_config(path)
    assert len(info.value.problems) == 1 and "nested too deeply" in info.value.problems[0]
    deep: list = []
    for _ in range(5000):  # built in Python (the TUI, a script): no JSON parser stops it
        deep = [deep]
    problems = _problems({"dataset": {"classes": deep}})
    assert len(problems) == 1 and problems[0].startswith("dataset.classes") and "nested too deeply" in problems[0]


@pytest.mark.parametrize("raw, key, hint", [
    ({"runs_dir": "runs/a\0b"}, "runs_dir", "NUL"),
    ({"runs_dir": "runs/" + "x" * 300}, "runs_dir", "300 bytes"),
    ({"dataset": {"root": "d" * 256}}, "dataset.root", "256 bytes"),
    ({"llm": {"api_key_file": "key\0"}}, "llm.api_key_file", "NUL"),
    ({"runs_dir": "/".join(["a" * 200] * 30)}, "runs_dir", "4096"),
])
def test_paths_a_file_system_cannot_hold_are_refused(raw, key, hint):
    problems = _problems(raw)
    assert len(problems) == 1
    assert problems[0].startswith(key + ":") and hint in problems[0]


def test_dataset_sizes_have_a_documented_ceiling():
    assert validate_config({"dataset": {"n_train": 1_000_000, "n_test": 1_000_000}}).dataset.n_train == 1_000_000
    for key in ("n_train", "n_test"):
        problems = _problems({"dataset": {key: 10**9}})
        assert problems[0].startswith(f"dataset.{key}: 1000000000 is invalid") and "at most 1,000,000" in problems[0]
