"""The one format of durations and accuracies (CLI, progress, TUI)."""

import pytest

from sweepdeck.engine.formatting import fmt_acc, fmt_duration


@pytest.mark.parametrize("seconds, shown", [
    (None, "-"), (-3, "0s"), (0, "0s"), (44.6, "45s"), (59.4, "59s"), (59.6, "1m 00s"),
    (185, "3m 05s"), (3599, "59m 59s"), (3600, "1h 00m"), (3720, "1h 02m"), (100 * 3600, "100h 00m"),
])
def test_durations(seconds, shown):
    assert fmt_duration(seconds) == shown


@pytest.mark.parametrize("seconds, shown", [(44.6, "45s"), (845, "14m"), (3599, "59m"), (11100, "3h05")])
def test_short_durations_fit_a_narrow_column(seconds, shown):
    assert fmt_duration(seconds, short=True) == shown


def test_accuracies():
    assert fmt_acc(None) == "-"
    assert fmt_acc(0.857) == "85.70%"
    assert fmt_acc(1.0) == "100.00%"
