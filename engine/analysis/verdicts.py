"""The offline report's verdicts: what the facts support saying, by the rules in docs/report.md.

The offline report states ties, winners and directions ("extend the range upwards").
Each of those claims is decided here, from the fact sheet, by one rule, so that no
two sentences of the report can disagree and none claims more than the data shows:

- two values are *tied* when they read the same at the precision the report shows
  (accuracies to 0.01 pp); one is *ahead* of another when it is higher, not tied, and,
  when seeds were varied, higher by at least the mean seed spread (smaller gaps are
  noise); otherwise the two are *level*;
- an experiment type *did best* when it is ahead of every other type on its best trial
  or on its mean, and behind none on either;
- a numeric parameter *points* one way when its best value is ahead of every other
  value and sits at an edge of the range (no trial at it diverged): beyond that edge.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Optional

import pandas as pd

from sweepdeck.engine.analysis.facts import FactSheet, format_value

PENALTY_TYPES = {"l2_sum_lambda": "Summation", "l2_mul_lambda": "Multiplication"}


def shown_equal(a: float, b: float, metric: str = "acc") -> bool:
    """A tie: both values read the same at the precision the report writes them."""
    return format_value(a, metric) == format_value(b, metric)


class Judge:
    """Compares mean or best test accuracies the way the report words them."""

    def __init__(self, fs: FactSheet):
        spread = fs.fact("run.seed_spread_test_acc_best")
        self.noise: float = float(spread.value) if spread is not None else 0.0
        self.noise_text: Optional[str] = spread.display() if spread is not None else None

    def ahead(self, a: float, b: float) -> bool:
        return a > b and not shown_equal(a, b) and a - b >= self.noise

    def level(self, a: float, b: float) -> bool:
        return not self.ahead(a, b) and not self.ahead(b, a)

    def why_level(self, a: float, b: float) -> str:
        """Why two level values are not called a win: "tie" or "within the seed noise"."""
        return "tie" if shown_equal(a, b) else f"within the seed noise ({self.noise_text})"


# --- experiment types --------------------------------------------------------------------------

@dataclass
class TypeStanding:
    name: str
    best: float  # the best test accuracy of its best trial
    mean: float  # the mean best test accuracy of its trials


def type_standings(fs: FactSheet) -> list[TypeStanding]:
    """Every experiment type with results, best trial first (ties: the results table's order)."""
    out = []
    for typ, tid in fs.best_per_type.items():
        out.append(TypeStanding(typ, float(fs.trials.loc[tid, "test_acc_best"]),
                                float(fs.fact(f"type.{typ}.test_acc_best_mean").value)))
    return sorted(out, key=lambda s: -s.best)


def type_winner(fs: FactSheet, judge: Judge) -> Optional[str]:
    """The type that did best: ahead of every other on its best trial or its mean, behind none on either."""
    st = type_standings(fs)
    for a in st:
        others = [b for b in st if b is not a]
        if not others:
            return None
        if any(judge.ahead(b.best, a.best) or judge.ahead(b.mean, a.mean) for b in others):
            continue
        if all(judge.ahead(a.best, b.best) or judge.ahead(a.mean, b.mean) for b in others):
            return a.name
    return None


# --- parameters --------------------------------------------------------------------------------

@dataclass
class Verdict:
    """What a numeric parameter's means say about where to look next."""

    key: str
    values: list[float]
    means: list[float]
    best: Optional[float]          # the value ahead of every other one; None when others are level with it
    level_with_best: list[float]   # the values level with the highest mean (that one included)
    move: Optional[int]            # +1 beyond the largest value, -1 below the smallest, 0 refine inside, None: no advice
    steps: list[int]               # per neighbouring pair: +1 the larger value ahead, -1 the smaller, 0 level
    diverged_at_best: bool


def compared_rows(fs: FactSheet, key: str) -> pd.DataFrame:
    """The per-value rows of `key` that a direction compares: for a penalty weight only its
    non-zero values (λ = 0 is the unregularised baseline, not a point on the range)."""
    df = fs.sensitivity.get(key)
    if df is None or df.empty:
        return pd.DataFrame()
    if key in PENALTY_TYPES:
        df = df[[_positive(v) for v in df["raw"]]]
    return df


def numeric(df: pd.DataFrame) -> Optional[list[float]]:
    try:
        vals = [float(v) for v in df["raw"]]
    except (TypeError, ValueError):
        return None
    return vals if all(math.isfinite(v) for v in vals) and len(vals) == len(set(vals)) else None


def direction(fs: FactSheet, key: str, judge: Judge) -> Optional[Verdict]:
    """Where `key` points, or None when it is not numeric or has fewer than two values."""
    df = compared_rows(fs, key)
    vals = numeric(df) if len(df) else None
    if vals is None or len(vals) < 2:
        return None
    rows = sorted(zip(vals, df["test_acc_best_mean"].astype(float), df["n_diverged"].astype(int)))
    values = [v for v, _, _ in rows]
    means = [m for _, m, _ in rows]
    top = max(range(len(means)), key=lambda i: means[i])
    level = [values[i] for i in range(len(values)) if i == top or judge.level(means[i], means[top])]
    sole = len(level) == 1
    steps = [1 if judge.ahead(b, a) else -1 if judge.ahead(a, b) else 0 for a, b in zip(means, means[1:])]
    diverged = rows[top][2] > 0
    move: Optional[int] = None
    if sole and not diverged:
        move = 1 if top == len(values) - 1 else -1 if top == 0 else 0
    return Verdict(key, values, means, values[top] if sole else None, level, move, steps, diverged)


def _positive(v: Any) -> bool:
    try:
        return float(v) > 0
    except (TypeError, ValueError):
        return False
