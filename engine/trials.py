"""From one config to the list of trials (SPEC §2), grid or random.

A sampled search (TPE, or random over ranges: space.is_sampled) has no list up
front: engine/search.py proposes its trials one at a time, and they are made here
with `sampled_trial`.

The two penalties are never combined in one trial: each non-zero additive weight
gives a Summation trial, each non-zero multiplicative weight a Multiplication
trial, and any zero (or no weights at all) one No_Regularization trial.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import math
import random
import sys
from typing import Literal, Union

from pydantic import BaseModel

from sweepdeck.engine.config import SweepConfig
from sweepdeck.engine.space import SWEPT_KEYS, ExpType, axes, check_size, is_range, is_sampled, penalty_types, unique

_SHORT = {
    "lr": "lr",
    "batchsize": "bs",
    "opt_name": "opt",
    "l2_sum_lambda": "sum",
    "l2_mul_lambda": "mul",
    "wn": "wn",
    "seed": "seed",
    "depth_normalization": "depth_norm",
    "features_normalization": "feat_norm",
    "batch_norm": "bn",
    "bias": "bias",
}


class TrialParams(BaseModel):
    """Everything that can differ between two trials of one sweep."""

    exp_type: ExpType
    lr: float
    batchsize: int
    opt_name: str
    l2_sum_lambda: float
    l2_mul_lambda: float
    wn: Union[float, Literal["default"], None]
    seed: int
    depth_normalization: bool
    features_normalization: Union[Literal["f_out"], None]
    batch_norm: bool
    bias: bool


class Trial(BaseModel):
    index: int
    id: str
    label: str
    params: TrialParams

    @property
    def key(self) -> str:
        """A hash of the parameters: the same trial in any sweep has the same key."""
        blob = json.dumps(self.params.model_dump(), sort_keys=True)
        return hashlib.sha1(blob.encode()).hexdigest()[:8]


def _params(combo: tuple) -> TrialParams:
    values = dict(zip(SWEPT_KEYS, combo))
    exp_type, s, m = values.pop("penalty")
    return TrialParams(exp_type=exp_type, l2_sum_lambda=s, l2_mul_lambda=m, **values)


def _combo_at(axes: list[list], index: int) -> tuple:
    """The `index`-th combination of itertools.product(*axes), without building the
    product: `index` read as a mixed-radix number whose last digit varies fastest."""
    digits = []
    for axis in reversed(axes):
        index, d = divmod(index, len(axis))
        digits.append(axis[d])
    return tuple(reversed(digits))


def _sample_indices(rng: random.Random, n_all: int, k: int) -> list[int]:
    """`k` distinct indices below `n_all`. Below a machine word this is exactly the
    sample random search has always drawn (`rng.sample(range(n))`, which never
    materialises the range), so existing configs keep their trials; above it,
    where range() has no len(), rejection sampling (k is at most MAX_TRIALS, tiny
    next to such an n_all, so repeats are rare)."""
    if n_all <= sys.maxsize:
        return rng.sample(range(n_all), k)
    picked: dict[int, None] = {}
    while len(picked) < k:
        picked[rng.randrange(n_all)] = None
    return list(picked)


def varied_keys(params: list[TrialParams]) -> list[str]:
    """The parameters that take more than one value across the sweep."""
    if not params:
        return []
    fields = [f for f in TrialParams.model_fields if f != "exp_type"]
    return [f for f in fields if len({json.dumps(getattr(p, f)) for p in params}) > 1]


def _fmt(value: object) -> str:
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def make_label(p: TrialParams, varied: list[str]) -> str:
    """A short human label naming only what varies, e.g. `sum=0.001 lr=0.01 wn=0.9`."""
    parts: list[str] = []
    if p.exp_type == "Summation":
        parts.append(f"sum={_fmt(p.l2_sum_lambda)}")
    elif p.exp_type == "Multiplication":
        parts.append(f"mul={_fmt(p.l2_mul_lambda)}")
    elif {"l2_sum_lambda", "l2_mul_lambda"} & set(varied):
        parts.append("no-reg")
    for key in varied:
        if key not in ("l2_sum_lambda", "l2_mul_lambda"):
            parts.append(f"{_SHORT[key]}={_fmt(getattr(p, key))}")
    return " ".join(parts) or "single trial"


def trial_id(index: int) -> str:
    return f"t{index:03d}"


def sampled_trial(index: int, params: TrialParams, varied: list[str]) -> Trial:
    """Trial `index` of a sampled search, with the parameters proposed for it."""
    return Trial(index=index, id=trial_id(index), label=make_label(params, varied), params=params)


def sampled_varied_keys(cfg: SweepConfig) -> list[str]:
    """The keys a sampled search varies (ranges and lists of several values), for labels."""
    out = []
    for key in TrialParams.model_fields:
        if key == "exp_type":
            continue
        value = getattr(cfg, key)
        if is_range(value) or len(unique(value)) > 1:
            out.append(key)
    return out


def representative_trials(cfg: SweepConfig) -> list[Trial]:
    """One trial per distinct model shape (bias, batch_norm, weight norm) a sampled
    search can propose, for the runner's preflight; these keys are always lists."""
    low = {k: (getattr(cfg, k).low if is_range(getattr(cfg, k)) else getattr(cfg, k)[0])
           for k in ("lr", "batchsize")}
    out = []
    for combo in itertools.product(unique(cfg.bias), unique(cfg.batch_norm), unique(cfg.wn)):
        params = TrialParams(
            exp_type=penalty_types(cfg)[0], lr=low["lr"], batchsize=int(low["batchsize"]), opt_name=cfg.opt_name[0],
            l2_sum_lambda=0.0, l2_mul_lambda=0.0, wn=combo[2], seed=cfg.seed[0],
            depth_normalization=cfg.depth_normalization[0], features_normalization=cfg.features_normalization[0],
            batch_norm=combo[1], bias=combo[0],
        )
        out.append(Trial(index=len(out), id=trial_id(len(out)), label="preflight", params=params))
    return out


def build_trials(cfg: SweepConfig) -> list[Trial]:
    """The sweep's trials in a stable order; ids are `t000`, `t001`, ... A sampled
    search has none up front (engine/search.py proposes them as the sweep runs)."""
    if is_sampled(cfg):
        return []
    grid = axes(cfg)
    n_all = math.prod(len(axis) for axis in grid)
    check_size(cfg, n_all)
    if cfg.search.method == "random":
        k = min(cfg.search.n_trials or n_all, n_all)
        picked = sorted(_sample_indices(random.Random(cfg.search.seed), n_all, k))
        params = [_params(_combo_at(grid, i)) for i in picked]
    else:
        params = [_params(combo) for combo in itertools.product(*grid)]
    varied = varied_keys(params)
    return [
        Trial(index=i, id=f"t{i:03d}", label=make_label(p, varied), params=p)
        for i, p in enumerate(params)
    ]
