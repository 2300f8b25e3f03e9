"""How durations and accuracies read wherever sweepdeck shows them: `sweepdeck
runs` and `show`, the progress of `sweepdeck run`, and the TUI.

Standard library only: the TUI imports this before its first paint.
"""

from __future__ import annotations

from typing import Optional


def fmt_duration(seconds: Optional[float], short: bool = False) -> str:
    """45s, 3m 05s or 1h 02m; "-" when unknown. Seconds are rounded; a negative
    span (a clock stepped back) reads as 0s. `short`: 45s, 14m or 3h05, for an
    80-column table."""
    if seconds is None:
        return "-"
    s = max(int(round(seconds)), 0)
    if s < 60:
        return f"{s}s"
    if s < 3600:
        return f"{s // 60}m" if short else f"{s // 60}m {s % 60:02d}s"
    return f"{s // 3600}h{s % 3600 // 60:02d}" if short else f"{s // 3600}h {s % 3600 // 60:02d}m"


def fmt_acc(value: Optional[float]) -> str:
    """An accuracy (a fraction) as a percentage with two decimals: 85.70%; "-" when unknown."""
    return "-" if value is None else f"{value * 100:.2f}%"
