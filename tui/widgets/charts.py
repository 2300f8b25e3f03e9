"""plotext charts of a run: one trial's curves, and all trials' test accuracy.

PlotextPlot rebuilds the whole chart on every render (about 8 us per point), so
data is downsampled to about twice the plot width before plotting, and the
screen redraws on a timer, only when visible.
"""

from __future__ import annotations

from typing import Optional

from textual_plotext import PlotextPlot

from sweepdeck.engine.formatting import fmt_acc
from sweepdeck.tui.downsample import downsample
from sweepdeck.tui.run_state import METRIC_GROUPS, RunState, TrialState

MAX_OVERLAY_POINTS = 2000  # all trials together


def epoch_ticks(last: int, n: int = 5) -> list[int]:
    """Whole-number epoch ticks from 1 to `last`."""
    if last <= 1:
        return [1]
    return sorted({1 + round(i * (last - 1) / (n - 1)) for i in range(n)})


class TrialChart(PlotextPlot):
    """The selected trial's curves of one metric group (train vs test)."""

    def __init__(self, **kw) -> None:
        super().__init__(**kw)
        self.plotted: dict[str, tuple[list[float], list[float]]] = {}

    def show(self, trial: Optional[TrialState], group: str) -> None:
        plt = self.plt
        plt.clear_data()
        plt.clear_figure()
        self.plotted = {}
        width = max(self.size.width, 40)
        if trial is None:
            plt.title("no trial selected")
        else:
            plt.title(f"{trial.trial_id} {group}  {trial.label}"[: max(width - 8, 10)])
            for metric in METRIC_GROUPS[group]:
                xs, ys = downsample(trial.epochs, trial.series[metric], 2 * width)
                if ys:
                    self.plotted[metric] = (xs, ys)
                    plt.plot(xs, ys, label=metric, marker="braille")
            if trial.epochs:
                plt.xticks(epoch_ticks(trial.epochs[-1]))
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
            for t in trials:
                xs, ys = downsample(t.epochs, t.series[self.metric], per)
                if ys:
                    self.plotted[t.trial_id] = (xs, ys)
                    label = t.trial_id if len(trials) <= 6 or t.trial_id == selected else None
                    plt.plot(xs, ys, label=label, marker="braille")
            plt.xticks(epoch_ticks(max(t.epochs[-1] for t in trials)))
            plt.xlabel("epoch")
        self.refresh()
