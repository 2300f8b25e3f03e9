"""plotext charts of a run: one trial's curves, and all trials' test accuracy.

PlotextPlot rebuilds the whole chart on every render (about 8 us per point), so
data is downsampled to about twice the plot width before plotting, and the
screen redraws on a timer, only when visible.
"""

from __future__ import annotations

from typing import Optional

from textual_plotext import PlotextPlot

from sweepdeck.engine.analysis.ticks import epoch_axis, value_axis
from sweepdeck.engine.formatting import fmt_acc
from sweepdeck.tui.downsample import downsample
from sweepdeck.tui.labels import fit_label
from sweepdeck.tui.run_state import METRIC_GROUPS, RunState, TrialState

MAX_OVERLAY_POINTS = 2000  # all trials together
# Without colour (NO_COLOR) braille series differ only in shade: each gets a mark
# of its own, as in the report's charts.
PLAIN_MARKERS = ["*", "+", "x", "o", "#", "@", "%", "="]


def marker(widget: PlotextPlot, i: int) -> str:
    return PLAIN_MARKERS[i % len(PLAIN_MARKERS)] if getattr(widget.app, "no_color", False) else "braille"


# accuracies and F1 are fractions: a flat curve's range stays inside 0-1
BOUNDED = {"train_acc", "test_acc", "train_f1", "test_f1"}
Y_LABEL_WIDTH = 8  # plotext's y tick labels and the frame: what the plot area is narrower by


def set_axes(plt, series: list[tuple[list[float], list[float]]], width: int, height: int,
             bounded: bool = False) -> None:
    """Whole-epoch x ticks, evenly spaced; round y ticks over a minimum span (engine/analysis/ticks.py)."""
    last = int(max(xs[-1] for xs, _ in series))
    (x_lo, x_hi), x_ticks = epoch_axis(last, width - Y_LABEL_WIDTH)
    plt.xlim(x_lo, x_hi)
    plt.xticks(x_ticks, [str(t) for t in x_ticks])
    y_axis = value_axis([v for _, ys in series for v in ys], max_ticks=max(2, min(5, (height - 4) // 2)),
                        bounds=(0.0, 1.0) if bounded else None)
    if y_axis is not None:
        plt.ylim(y_axis.lo, y_axis.hi)
        plt.yticks(y_axis.ticks, y_axis.labels)


class TrialChart(PlotextPlot):
    """The selected trial's curves of one metric group (train vs test)."""

    def __init__(self, **kw) -> None:
        super().__init__(**kw)
        self.plotted: dict[str, tuple[list[float], list[float]]] = {}
        self._shown: Optional[tuple[Optional[TrialState], str]] = None

    def on_resize(self) -> None:
        if self._shown is not None:  # the title is fitted to the width
            self.show(*self._shown)

    def show(self, trial: Optional[TrialState], group: str) -> None:
        self._shown = (trial, group)
        plt = self.plt
        plt.clear_data()
        plt.clear_figure()
        self.plotted = {}
        width = max(self.size.width, 40)
        if trial is None:
            plt.title("no trial selected")
        else:
            head = f"{trial.trial_id} {group}  "
            # plotext drops a title wider than the plot: fit the label, never the id
            plt.title(head + fit_label(trial.label, max((self.size.width or width) - 8 - len(head), 6)))
            metrics = METRIC_GROUPS[group]
            for i, metric in enumerate(metrics):
                xs, ys = downsample(trial.epochs, trial.series[metric], 2 * width)
                if ys:
                    self.plotted[metric] = (xs, ys)
                    plt.plot(xs, ys, label=metric, marker=marker(self, i))
            if self.plotted:
                set_axes(plt, list(self.plotted.values()), width, self.size.height,
                         bounded=all(m in BOUNDED for m in metrics))
            plt.xlabel("epoch")
        self.refresh()


class AllTrialsChart(PlotextPlot):
    """Every trial's test accuracy over epochs, overlaid."""

    metric = "test_acc"

    def __init__(self, **kw) -> None:
        super().__init__(**kw)
        self.plotted: dict[str, tuple[list[float], list[float]]] = {}

    def show(self, state: Optional[RunState], selected: Optional[str] = None) -> None:
        plt = self.plt
        plt.clear_data()
        plt.clear_figure()
        self.plotted = {}
        width = max(self.size.width, 40)
        trials = [t for t in state.ordered() if t.epochs] if state else []
        best = state.best() if state else None
        title = "test acc, all trials"
        if best is not None:
            # a pruned trial ran fewer epochs: it is never the best without saying so
            title += f"  best {best.trial_id}{' (pruned)' if best.status == 'pruned' else ''} {fmt_acc(best.best_test_acc)}"
        plt.title(title[: max(width - 8, 10)])
        if trials:
            per = max(20, min(2 * width, MAX_OVERLAY_POINTS // len(trials)))
            # the selected trial last: drawn over the others, whose curves would hide it
            order = sorted(enumerate(trials), key=lambda it: it[1].trial_id == selected)
            for i, t in order:
                xs, ys = downsample(t.epochs, t.series[self.metric], per)
                if ys:
                    self.plotted[t.trial_id] = (xs, ys)
                    label = t.trial_id if len(trials) <= 6 or t.trial_id == selected else None
                    plt.plot(xs, ys, label=label, marker=marker(self, i))
            if self.plotted:
                set_axes(plt, list(self.plotted.values()), width, self.size.height, bounded=True)
            plt.xlabel("epoch")
        self.refresh()
