"""Chart axes (engine/analysis/ticks.py) and the report's text charts at a given width:
whole, evenly spaced epochs; round y ticks over a minimum span; the best curve on top;
the legend under the plot with whole labels. No app needed."""

from __future__ import annotations

import re

import pytest

from sweepdeck.engine.analysis.ticks import epoch_axis, epoch_ticks, value_axis


@pytest.mark.parametrize("last", [1, 2, 3, 5, 8, 12, 25, 99, 100, 250, 1000])
@pytest.mark.parametrize("max_ticks", [3, 6])
def test_epoch_ticks_are_whole_evenly_spaced_and_few(last, max_ticks):
    ticks = epoch_ticks(last, max_ticks)
    assert all(isinstance(t, int) and 1 <= t <= last for t in ticks)
    steps = {b - a for a, b in zip(ticks, ticks[1:])}
    assert len(steps) <= 1  # the issue's `1 3 5 6 8`: uneven
    assert len(ticks) <= max_ticks or steps == {1} and len(ticks) <= 2 * max_ticks
    if last > 1:
        step = steps.pop()
        assert len(ticks) >= 2 and last - ticks[-1] < step and ticks[0] == step  # up to the end, from the start


def test_epoch_ticks_known_values():
    assert epoch_ticks(1) == [1]
    assert epoch_ticks(2) == [1, 2]  # not `1.00 1.50 2.00`
    assert epoch_ticks(8) == [2, 4, 6, 8]  # not `1 3 5 6 8`
    assert epoch_ticks(12) == [2, 4, 6, 8, 10, 12]
    assert epoch_ticks(100, 4) == [25, 50, 75, 100]
    # one epoch: a range around it, not a degenerate axis
    assert epoch_axis(1, 60) == ((0.0, 2.0), [1])


def test_a_flat_curve_gets_round_ticks_over_a_minimum_span():
    axis = value_axis([0.65956, 0.65920])  # the one-epoch chart: `0.65956 / 0.65920`
    assert axis.labels == ["0.62", "0.64", "0.66", "0.68", "0.70"]
    assert axis.lo <= 0.6592 and axis.hi >= 0.65956


@pytest.mark.parametrize("values,bounds", [
    ([64.3, 87.5], (0.0, 100.0)), ([100.0, 100.0], (0.0, 100.0)), ([0.998, 0.999], (0.0, 1.0)),
    ([0.16, 0.77], None), ([0.0], None), ([0.0001], None), ([1e-5, 3e-5], None), ([-0.3, 0.2], None),
    ([3e-11, 2e-5], None), ([1234.5, 1290.0], None), ([87.51], (0.0, 100.0)),
])
def test_value_ticks_cover_the_data_are_round_distinct_and_in_bounds(values, bounds):
    axis = value_axis(values, bounds=bounds)
    assert axis.lo <= min(values) and axis.hi >= max(values)
    assert axis.ticks[0] == axis.lo and axis.ticks[-1] == axis.hi and 2 <= len(axis.ticks) <= 6
    steps = [round(b - a, 12) for a, b in zip(axis.ticks, axis.ticks[1:])]
    assert max(steps) - min(steps) <= 1e-9 * max(abs(axis.hi), 1)  # evenly spaced
    assert len(set(axis.labels)) == len(axis.labels)  # no two ticks read alike
    assert len({len(lab.lstrip("-")) for lab in axis.labels if lab != "0"}) <= 2  # same decimals
    if bounds:
        assert bounds[0] <= axis.lo and axis.hi <= bounds[1]  # no 105% tick
    if min(values) >= 0:
        assert axis.lo >= 0  # a loss's flat curve does not get a negative tick


def test_value_axis_without_finite_values():
    assert value_axis([]) is None and value_axis([float("nan")]) is None


# --- the report's text charts ------------------------------------------------------------------

@pytest.fixture(scope="module")
def facts(tmp_path_factory):
    from sweepdeck.engine.analysis.facts import build_facts
    from tests.support.synthetic import make_run
    from tests.support.tui import DEPTH_SWEEP

    run = make_run(tmp_path_factory.mktemp("charts") / "run", {
        "batchsize": 64, "n_epochs": 12, "seed": [42], "opt_name": "adamw", **DEPTH_SWEEP})
    return build_facts(run)


def x_tick_labels(chart: str) -> list[str]:
    lines = chart.splitlines()
    axis = next(i for i, line in enumerate(lines) if line.lstrip().startswith("└"))
    return lines[axis + 1].split()


@pytest.mark.parametrize("width", [40, 66, 78, 110])
def test_report_chart_fits_its_width_with_whole_epochs_and_a_legend_below(facts, width):
    from sweepdeck.engine.analysis.charts import MARKERS, chart_trials, text_charts

    charts = text_charts(facts, width=width, height=14)
    assert list(charts) == ["Test accuracy (%) per epoch", "Test loss per epoch", "Train loss (data term) per epoch"]
    for chart in charts.values():
        assert max(len(line) for line in chart.splitlines()) <= width
        ticks = x_tick_labels(chart)
        assert all(t.isdigit() for t in ticks) and ticks[-1] == "12"  # not `1.0 3.8 6.5`
        assert len({int(b) - int(a) for a, b in zip(ticks, ticks[1:])}) == 1
        legend = " ".join(re.split(r"^ *epoch$", chart, flags=re.M)[1].split())
        assert legend == " ".join(f"{m} {tid} {facts.trials.loc[tid, 'label']}"  # whole labels, not `...dept`
                                  for m, tid in zip(MARKERS, chart_trials(facts)))
    acc = charts["Test accuracy (%) per epoch"]
    y_labels = [m.group(1) for m in re.finditer(r"^\s*(\d+(?:\.\d+)?)┤", acc, re.M)]
    assert y_labels and all(float(v) <= 100 for v in y_labels)
    steps = {round(float(b) - float(a), 6) for a, b in zip(y_labels[1:], y_labels)}  # top to bottom
    assert len(steps) == 1


def test_the_best_trial_is_drawn_over_curves_that_coincide(tmp_path):
    """Trials with the same curve: the best one's mark is the one seen."""
    from sweepdeck.engine.analysis.charts import MARKERS, text_chart
    from sweepdeck.engine.analysis.facts import build_facts
    from tests.support.synthetic import make_run

    def same(params, epoch, n_epochs, rng):
        return {"test_acc": 0.5 + 0.04 * epoch, "train_acc": 0.6, "train_loss": 0.5, "test_loss": 0.6}

    fs = build_facts(make_run(tmp_path / "run", {"batchsize": 64, "n_epochs": 5, "lr": [0.1, 0.01], "seed": [42],
                                                   "opt_name": "adamw"}, curve=same))
    chart = text_chart(fs, "test_acc", "acc", scale=100.0, width=50, height=12)
    plot = "".join(line for line in chart.splitlines() if "│" in line or "┤" in line)
    assert MARKERS[0] in plot and not set(MARKERS[1:]) & set(plot)
