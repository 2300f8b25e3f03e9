"""The sweep space of a config: which keys are its axes, their values, and its size.

Counting needs no trials, so the config's own validation (a grid too large to build
is an invalid config, marked as you type in the TUI) and trial formation
(engine/trials.py) both stand on this module. Light: no torch, no pandas.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Literal

from sweepdeck.engine.errors import ConfigError

if TYPE_CHECKING:  # sweepdeck.engine.config imports this module to validate
    from sweepdeck.engine.config import SweepConfig

ExpType = Literal["Summation", "Multiplication", "No_Regularization"]

# The most trials one sweep may have: a grid is built in full (and every trial
# becomes a line of the log, a row of the tables and of the TUI's preview).
MAX_TRIALS = 100_000

# Keys that vary per trial, in the order they nest (last varies fastest).
SWEPT_KEYS = (
    "lr",
    "batchsize",
    "opt_name",
    "penalty",
    "wn",
    "seed",
    "depth_normalization",
    "features_normalization",
    "batch_norm",
    "bias",
)

# Keys that may be a range {"low", "high", "log", "step"} in a sampled search.
RANGE_KEYS = ("lr", "batchsize", "l2_sum_lambda", "l2_mul_lambda")


def is_range(value: object) -> bool:
    """A range rather than a list of values (config.FloatRange, checked by shape so
    this module need not import config, which imports it)."""
    return hasattr(value, "low") and hasattr(value, "high")


def range_keys(cfg: SweepConfig) -> list[str]:
    return [k for k in RANGE_KEYS if is_range(getattr(cfg, k))]


def is_sampled(cfg: SweepConfig) -> bool:
    """Trials proposed one at a time (engine/search.py) rather than formed up front:
    TPE, and random search over ranges. Random search over lists samples the grid
    up front, as it always has."""
    return cfg.search.method == "tpe" or (cfg.search.method == "random" and bool(range_keys(cfg)))


def penalty_types(cfg: SweepConfig) -> list[ExpType]:
    """The experiment types a sweep has, SPEC §2's rule; a range counts as non-zero weights."""
    def on(values) -> bool:
        return is_range(values) or any(v != 0 for v in values)

    def has_zero(values) -> bool:
        return not is_range(values) and 0 in values

    out: list[ExpType] = []
    if on(cfg.l2_sum_lambda):
        out.append("Summation")
    if on(cfg.l2_mul_lambda):
        out.append("Multiplication")
    if has_zero(cfg.l2_sum_lambda) or has_zero(cfg.l2_mul_lambda) or not out:
        out.append("No_Regularization")
    return out


def penalty_settings(cfg: SweepConfig) -> list[tuple[ExpType, float, float]]:
    """(type, sum weight, mul weight) per penalty setting, SPEC §2's rule (lists only)."""
    out: list[tuple[ExpType, float, float]] = []
    out += [("Summation", v, 0.0) for v in unique(cfg.l2_sum_lambda) if v != 0]
    out += [("Multiplication", 0.0, v) for v in unique(cfg.l2_mul_lambda) if v != 0]
    wants_none = 0 in cfg.l2_sum_lambda or 0 in cfg.l2_mul_lambda or not out
    if wants_none:
        out.append(("No_Regularization", 0.0, 0.0))
    return out


def unique(values: list) -> list:
    # A dict keeps first occurrences in order and compares like `in` on a list
    # (1 == 1.0 == True), in linear time: a 2M-value list must not take minutes.
    return list(dict.fromkeys(values))


def axes(cfg: SweepConfig) -> list[list]:
    """The values of each key of SWEPT_KEYS, in that order, duplicates dropped."""
    return [penalty_settings(cfg) if k == "penalty" else unique(getattr(cfg, k)) for k in SWEPT_KEYS]


def grid_size(cfg: SweepConfig) -> int:
    """Trials of the full grid (before any random sampling); never builds them."""
    return math.prod(len(axis) for axis in axes(cfg))


def count_trials(cfg: SweepConfig) -> int:
    """Number of trials without building them (the TUI's live preview)."""
    if is_sampled(cfg):
        return cfg.search.n_trials or 0
    n = grid_size(cfg)
    if cfg.search.method == "random":
        n = min(n, cfg.search.n_trials or n)
    return n


def check_size(cfg: SweepConfig, n: int | None = None) -> None:
    """Refuse a grid too large to build (ConfigError naming the count and the fix);
    `n` is grid_size(cfg) when the caller has it. Random search may sample from a
    larger grid: it never builds it, and search.n_trials has the same limit."""
    if is_sampled(cfg):
        return  # no grid: search.n_trials has the same limit
    n = grid_size(cfg) if n is None else n
    if cfg.search.method == "grid" and n > MAX_TRIALS:
        keys = [k for k in SWEPT_KEYS if k != "penalty"] + ["l2_sum_lambda", "l2_mul_lambda"]
        longest = max(keys, key=lambda k: len(getattr(cfg, k)))
        raise ConfigError([
            f"search: the grid has {n:,} trials, more than the {MAX_TRIALS:,} a sweep may have: shorten the lists "
            f"(the longest is {longest}, {len(getattr(cfg, longest)):,} values) or sample it with "
            f'"search": {{"method": "random", "n_trials": N}}'
        ])




def check_search(cfg: SweepConfig) -> None:
    """What a config's field validators cannot see alone: ranges need a sampled
    search, metrics need to be measured, a pruner needs epochs to decide between.
    ConfigError, one line per problem."""
    problems: list[str] = []
    ranged = range_keys(cfg)
    if ranged and cfg.search.method == "grid":
        problems.append(f"{ranged[0]}: a range {{low, high}} needs \"search\": {{\"method\": \"random\" or \"tpe\", "
                        f"\"n_trials\": N}}; a grid sweep takes a list of values such as [0.1, 0.01]")
    for where, metric in (("search.metric", cfg.search.metric), ("early_stop.metric", cfg.early_stop.metric)):
        if metric.startswith("train_") and metric != "train_loss" and not cfg.eval_train_set:
            problems.append(f"{where}: {metric} is not measured when eval_train_set is false: "
                            "set eval_train_set to true or watch a test_* metric (or train_loss)")
    es = cfg.early_stop
    if es.method != "none" and es.min_epochs >= cfg.n_epochs:
        problems.append(f"early_stop.min_epochs: {es.min_epochs} leaves no epoch to stop at (n_epochs is {cfg.n_epochs}): "
                        "choose a number below n_epochs, or \"method\": \"none\"")
    if problems:
        raise ConfigError(problems)
