"""Fewer points for a plot: plotext redraws every point on the UI thread (about
8 us each), so curves are cut to about twice the plot's width first. No Textual here."""

from __future__ import annotations

from typing import Optional, Sequence


def downsample(xs: Sequence[float], ys: Sequence[Optional[float]], max_points: int) -> tuple[list[float], list[float]]:
    """At most `max_points` (x, y) pairs, evenly spaced, last point kept; None dropped."""
    pairs = [(x, y) for x, y in zip(xs, ys) if y is not None and y == y]
    n = len(pairs)
    if n > max_points > 1:
        step = (n - 1) / (max_points - 1)
        pairs = [pairs[round(i * step)] for i in range(max_points)]
    return [p[0] for p in pairs], [p[1] for p in pairs]  # type: ignore[misc]
