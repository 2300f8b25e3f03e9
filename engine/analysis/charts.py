"""Charts for the report: text charts (plotext, no colours) and PNGs when matplotlib is installed.

Text charts go into the report in fenced code blocks, so they read the same in a
terminal, in the TUI and in any Markdown viewer. With many trials only the best
few are drawn (the rest are in metrics.csv).
"""

from __future__ import annotations

import re
import textwrap
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

from sweepdeck.engine.analysis.facts import FactSheet

MARKERS = ["*", "+", "x", "o", "#", "@", "%", "="]
MAX_LINES = 6
_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
_LOCK = threading.Lock()


@dataclass
class Charts:
    text: dict[str, str] = field(default_factory=dict)   # title → chart text
    png: list[str] = field(default_factory=list)         # paths relative to the run folder
    shown_trials: list[str] = field(default_factory=list)
    png_note: Optional[str] = None


def chart_trials(fs: FactSheet, limit: int = MAX_LINES) -> list[str]:
    """The trials drawn: the best by test accuracy, plus the worst one for contrast."""
    ranked = list(fs.ranked.index)
    if len(ranked) <= limit:
        return ranked
    return ranked[: limit - 1] + [ranked[-1]]


def _series(fs: FactSheet, tid: str, column: str) -> tuple[list[float], list[float]]:
    m = fs.metrics
    if column not in m.columns or not len(m):
        return [], []
    g = m[m["trial_id"].astype(str) == tid].sort_values("epoch")
    g = g[g[column].notna()]
    return [float(e) for e in g["epoch"]], [float(v) for v in g[column]]


# (metrics.csv column, title, scale): the text charts of a report, in its order
TEXT_CHARTS = [
    ("test_acc", "Test accuracy (%) per epoch", 100.0),
    ("test_loss", "Test loss per epoch", 1.0),
    ("train_loss", "Train loss (data term) per epoch", 1.0),
]
CHART_WIDTH = 78   # report.md: fits a terminal of 80 and GitHub's code blocks
CHART_HEIGHT = 20
MIN_WIDTH = 30


def text_chart(fs: FactSheet, column: str, title: str, scale: float = 1.0,
               width: int = CHART_WIDTH, height: int = CHART_HEIGHT) -> Optional[str]:
    """One metric of the charted trials over epochs, `width` columns wide (the legend
    below the plot included), `height` rows for the plot.

    The legend goes under the plot, one trial a line with its whole label, instead of
    over the curves; the best trial is drawn last so that no other curve hides it;
    x ticks are whole epochs, y ticks round values (analysis/ticks.py)."""
    from plotext._figure import _figure_class  # a private figure: safe next to the TUI's plots

    from sweepdeck.engine.analysis.ticks import epoch_axis, value_axis

    trials = chart_trials(fs)
    lines = [(i, tid, *_series(fs, tid, column)) for i, tid in enumerate(trials)]
    lines = [(i, tid, x, [v * scale for v in y]) for i, tid, x, y in lines if x]
    if not lines:
        return None
    width = max(width, MIN_WIDTH)
    last = int(max(x[-1] for _, _, x, _ in lines))
    y_axis = value_axis([v for *_, y in lines for v in y], bounds=(0.0, 100.0) if scale == 100.0 else None)
    with _LOCK:
        fig = _figure_class()
        fig.theme("clear")
        fig.plot_size(width, max(height, 8))
        for i, tid, x, y in reversed(lines):  # the best last: drawn on top
            fig.plot(x, y, marker=MARKERS[i % len(MARKERS)])
        (x_lo, x_hi), x_ticks = epoch_axis(last, width - 8)
        fig.xlim(x_lo, x_hi)
        fig.xticks(x_ticks, [str(t) for t in x_ticks])
        if y_axis is not None:
            fig.ylim(y_axis.lo, y_axis.hi)
            fig.yticks(y_axis.ticks, y_axis.labels)
        fig.title(title)
        fig.xlabel("epoch")
        out = fig.build()
    out = _ANSI.sub("", out)
    chart = [line.rstrip() for line in out.splitlines()]
    legend = []
    for i, tid, _, _ in lines:  # a label too long for the width wraps under itself: it is never cut
        head = f"{MARKERS[i % len(MARKERS)]} {tid} "
        legend += textwrap.wrap(head + str(fs.trials.loc[tid, "label"]), width, subsequent_indent=" " * len(head),
                                break_long_words=False, break_on_hyphens=False)
    return "\n".join(chart + legend)


def text_charts(fs: FactSheet, width: int = CHART_WIDTH, height: int = CHART_HEIGHT) -> dict[str, str]:
    """The report's text charts, title → chart, at a given size (the TUI draws them at its pane's)."""
    out = {}
    for column, title, scale in TEXT_CHARTS:
        chart = text_chart(fs, column, title, scale=scale, width=width, height=height)
        if chart:
            out[title] = chart
    if (fs.config.get("search") or {}).get("method") in ("random", "tpe"):
        search = search_chart(fs, width=width, height=height)
        if search:
            out["Best test accuracy (%) per trial, in the order proposed"] = search
    return out


def make_charts(fs: FactSheet, run_dir: Optional[Path] = None) -> Charts:
    charts = Charts(shown_trials=chart_trials(fs), text=text_charts(fs))
    if run_dir is not None:
        charts.png, charts.png_note = write_pngs(fs, Path(run_dir))
    return charts


def search_chart(fs: FactSheet, width: int = 78, height: int = 16) -> Optional[str]:
    """A sampled search's progress: each trial's best test accuracy by trial number,
    and the best so far (is TPE still finding better trials?)."""
    from plotext._figure import _figure_class

    done = fs.trials[fs.trials["test_acc_best"].notna()].sort_values("index")
    if len(done) < 2:
        return None
    xs = [float(i) for i in done["index"]]
    ys = [float(v) * 100 for v in done["test_acc_best"]]
    so_far = [max(ys[: i + 1]) for i in range(len(ys))]
    with _LOCK:
        fig = _figure_class()
        fig.theme("clear")
        fig.plot_size(width, height)
        fig.scatter(xs, ys, marker="*", label="each trial")
        fig.plot(xs, so_far, marker="-", label="best so far")
        fig.title("Best test accuracy (%) per trial")
        fig.xlabel("trial number")
        out = fig.build()
    out = _ANSI.sub("", out)
    return "\n".join(line.rstrip() for line in out.splitlines())


def write_pngs(fs: FactSheet, run_dir: Path) -> tuple[list[str], Optional[str]]:
    """charts/test_acc.png and charts/loss.png with every trial, when matplotlib is installed."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except Exception:  # not installed, or no usable backend
        return [], "PNG charts are written when matplotlib is installed (pip install matplotlib)."
    from sweepdeck.engine.store import write_bytes_atomic
    import io

    out_dir = run_dir / "charts"
    out_dir.mkdir(exist_ok=True)
    paths = []
    ranked = list(fs.ranked.index)
    for name, specs in (("test_acc", [("test_acc", "test accuracy (%)", 100.0)]),
                        ("loss", [("train_loss", "train loss", 1.0), ("test_loss", "test loss", 1.0)])):
        fig, axes = plt.subplots(1, len(specs), figsize=(6 * len(specs), 4), squeeze=False)
        for ax, (col, label, scale) in zip(axes[0], specs):
            for tid in ranked:
                x, y = _series(fs, tid, col)
                if x:
                    ax.plot(x, [v * scale for v in y], label=f"{tid} {fs.trials.loc[tid, 'label']}", linewidth=1)
            ax.set_xlabel("epoch")
            ax.set_ylabel(label)
            ax.grid(alpha=0.3)
        if len(ranked) <= 12:
            axes[0][-1].legend(fontsize=7)
        fig.tight_layout()
        buf = io.BytesIO()
        fig.savefig(buf, format="png", dpi=110)
        plt.close(fig)
        write_bytes_atomic(out_dir / f"{name}.png", buf.getvalue())
        paths.append(f"charts/{name}.png")
    return paths, None
