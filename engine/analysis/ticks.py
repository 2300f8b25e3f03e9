"""Axis ticks for the text charts, the report's and the TUI's: whole epochs, round values.

plotext's own ticks split the data's range into equal parts, so a chart of one
epoch reads `0.65956 / 0.65920` and epochs come out as `1.0 3.8 6.5` or
`1 3 5 6 8`. Ticks here are multiples of a round step (1, 2, 2.5, 5 times a power
of ten), epochs are whole and evenly spaced, and a flat curve gets a minimum span.

Standard library only: the TUI imports it without pandas.
"""

from __future__ import annotations

import math
from typing import NamedTuple, Optional, Sequence

_NICE = (1.0, 2.0, 2.5, 5.0, 10.0)
MIN_SPAN_FRACTION = 0.1  # a flat curve is shown over ±5% of its value: its ticks stay round


class Axis(NamedTuple):
    """An axis' range and its ticks with their labels."""

    lo: float
    hi: float
    ticks: list[float]
    labels: list[str]


def epoch_ticks(last: int, max_ticks: int = 6) -> list[int]:
    """Evenly spaced whole epochs up to `last`: every epoch, or every 2nd, 4th, 5th, 10th,
    20th, 25th, 50th...; at most `max_ticks` of them, but two at least."""
    if last <= 1:
        return [1]
    previous = 1
    for step in _epoch_steps():
        if last // step <= max(max_ticks, 1):
            break
        previous = step
    if last // step < 2:
        step = previous
    return list(range(1, last + 1)) if step == 1 else list(range(step, last + 1, step))


def _epoch_steps():
    """1, 2, 4, 5, 10, 20, 25, 50, 100, 200, 250, 500...: each at most twice the one before."""
    yield from (1, 2, 4, 5)
    base = 10
    while True:
        yield from (base, 2 * base, 5 * base // 2, 5 * base)
        base *= 10


def epoch_axis(last: int, plot_width: int) -> tuple[tuple[float, float], list[int]]:
    """The x range and whole-epoch ticks for curves over epochs 1..`last` in `plot_width` columns.

    One epoch gets a range around it, so its point is not drawn on a degenerate axis."""
    ticks = epoch_ticks(last, max(2, plot_width // 6))  # a label and room around it
    lo, hi = (0.0, 2.0) if last <= 1 else (1.0, float(last))
    return (lo, hi), ticks


def value_axis(values: Sequence[float], max_ticks: int = 5, bounds: Optional[tuple[float, float]] = None,
               min_span: Optional[float] = None) -> Optional[Axis]:
    """A range covering `values`, widened to whole steps, with round ticks and labels of equal decimals.

    `bounds` keeps the range inside what the value can be (0-100 for an accuracy in %);
    `min_span` (default a tenth of the largest magnitude) keeps a flat curve from
    getting ticks that differ in their fifth decimal. None without finite values."""
    finite = [float(v) for v in values if v is not None and math.isfinite(v)]
    if not finite:
        return None
    lo, hi = min(finite), max(finite)
    floor = min_span if min_span is not None else MIN_SPAN_FRACTION * max(abs(lo), abs(hi))
    if floor <= 0:
        floor = 1.0
    if bounds is None and lo >= 0:
        bounds = (0.0, math.inf)  # a loss, a rate, a norm: a flat curve's range stays above zero
    if hi - lo < floor:
        mid = (lo + hi) / 2
        lo, hi = mid - floor / 2, mid + floor / 2
        if bounds is not None:
            shift = max(bounds[0] - lo, 0.0) - max(hi - bounds[1], 0.0)
            lo, hi = lo + shift, hi + shift
    step, decimals = _nice_step((hi - lo) / max(max_ticks - 1, 1))
    k_lo, k_hi = math.floor(lo / step + 1e-9), math.ceil(hi / step - 1e-9)
    if bounds is not None:  # the widened range stays inside too (no 105% tick)
        if math.isfinite(bounds[0]):
            k_lo = max(k_lo, math.ceil(bounds[0] / step - 1e-9))
        if math.isfinite(bounds[1]):
            k_hi = min(k_hi, math.floor(bounds[1] / step + 1e-9))
    if k_hi <= k_lo:
        k_hi = k_lo + 1
    ticks = [round(k * step, decimals + 2) for k in range(k_lo, k_hi + 1)]
    return Axis(ticks[0], ticks[-1], ticks, tick_labels(ticks, decimals))


def _nice_step(raw: float) -> tuple[float, int]:
    """The round step at least `raw`, and the decimals its multiples need."""
    exp = math.floor(math.log10(raw)) if raw > 0 else 0
    base = 10.0 ** exp
    nice = next(n for n in _NICE if n * base >= raw * (1 - 1e-9))
    step = nice * base
    decimals = max(0, -exp + (1 if nice == 2.5 else 0)) if nice < 10 else max(0, -exp - 1)
    return step, decimals


def tick_labels(ticks: Sequence[float], decimals: int) -> list[str]:
    """Ticks written with the axis' decimals; very small steps in scientific notation
    with the mantissa digits that tell the ticks apart."""
    if decimals <= 4:
        return [f"{t:.{decimals}f}" for t in ticks]
    top = max(abs(t) for t in ticks) or 1.0
    digits = max(0, decimals + math.floor(math.log10(top)))
    return [f"{t:.{digits}e}" if t else "0" for t in ticks]
