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

def penalty_settings(cfg: SweepConfig) -> list[tuple[ExpType, float, float]]:
    """(type, sum weight, mul weight) per penalty setting, SPEC §2's rule."""
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
    n = grid_size(cfg)
    if cfg.search.method == "random":
        n = min(n, cfg.search.n_trials or n)
    return n


def check_size(cfg: SweepConfig, n: int | None = None) -> None:
    """Refuse a grid too large to build (ConfigError naming the count and the fix);
    `n` is grid_size(cfg) when the caller has it. Random search may sample from a
    larger grid: it never builds it, and search.n_trials has the same limit."""
    n = grid_size(cfg) if n is None else n
    if cfg.search.method == "grid" and n > MAX_TRIALS:
        keys = [k for k in SWEPT_KEYS if k != "penalty"] + ["l2_sum_lambda", "l2_mul_lambda"]
        longest = max(keys, key=lambda k: len(getattr(cfg, k)))
        raise ConfigError([
            f"search: the grid has {n:,} trials, more than the {MAX_TRIALS:,} a sweep may have: shorten the lists "
            f"(the longest is {longest}, {len(getattr(cfg, longest)):,} values) or sample it with "
            f'"search": {{"method": "random", "n_trials": N}}'
        ])


