"""Property tests: whatever a user or a broken GUI writes, the loader answers with a
valid config or a ConfigError, never another exception."""

import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sweepdeck.engine.config import SweepConfig, ConfigError, apply_overrides, read_config_file, validate_config

KEYS = list(SweepConfig.model_fields) + ["unknown", "dataset.name", "dataset.n_train", "search.method", "llm.timeout_s"]
scalars = st.one_of(
    st.none(), st.booleans(), st.integers(-10**6, 10**6), st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=12), st.sampled_from(["True", "False", "None", "default", "f_out", "adamw", "sgd", "auto", "cuda:1", "shapes", "random"]),
)
json_values = st.recursive(scalars, lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=8), inner, max_size=3)), max_leaves=8)


def _check(raw) -> None:
    try:
        cfg = validate_config(raw)
    except ConfigError as exc:
        assert exc.problems and all(isinstance(p, str) and "\n" not in p and p for p in exc.problems)
        return
    # A valid config always serialises as standard JSON (no Infinity/NaN), so no
    # run folder file written from it can hold them.
    json.dumps(cfg.model_dump(mode="python"), allow_nan=False)


@settings(max_examples=1500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.dictionaries(st.sampled_from(list(SweepConfig.model_fields) + ["unknown"]), json_values, max_size=6))
def test_any_json_object_is_valid_or_a_clean_error(raw):
    _check(raw)


@settings(max_examples=500, deadline=None)
@given(json_values)
def test_any_json_value_is_valid_or_a_clean_error(value):
    _check(value)


@settings(max_examples=1500, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(KEYS + ["", "a..b", "lr.x", "1x"]), st.text(max_size=20)), max_size=4))
def test_any_set_overrides_are_valid_or_a_clean_error(pairs):
    items = [f"{k}={v}" for k, v in pairs]
    try:
        raw = apply_overrides({"lr": [0.1]}, items)
    except ConfigError as exc:
        assert all("\n" not in p for p in exc.problems)
        return
    _check(raw)


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=200))
def test_any_file_bytes_are_valid_or_a_clean_error(tmp_path_factory, data):
    path = tmp_path_factory.mktemp("cfg") / "c.json"
    path.write_bytes(data)
    try:
        _check(read_config_file(path))
    except ConfigError as exc:
        assert exc.problems


FLOAT_KEYS = ["lr", "l2_sum_lambda", "l2_mul_lambda", "wn", "mislabel_percentage", "lr_min",
              "llm.temperature", "llm.timeout_s", "dataset.n_train", "search.n_trials"]
any_float = st.floats(allow_nan=True, allow_infinity=True)


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(st.sampled_from(FLOAT_KEYS), st.one_of(any_float, st.lists(any_float, max_size=3)), max_size=3))
def test_numbers_anywhere_are_finite_or_a_clean_error(pairs):
    raw: dict = {}
    for key, value in pairs.items():
        node = raw
        *parents, last = key.split(".")
        for part in parents:
            node = node.setdefault(part, {})
        node[last] = value
    _check(raw)
