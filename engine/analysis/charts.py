"""Charts for the report: text charts (plotext, no colours) and PNGs when matplotlib is installed.

Text charts go into the report in fenced code blocks, so they read the same in a
terminal, in the TUI and in any Markdown viewer. With many trials only the best
few are drawn (the rest are in metrics.csv).
"""

from __future__ import annotations

import re
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


def text_chart(fs: FactSheet, column: str, title: str, scale: float = 1.0,
               width: int = 78, height: int = 20) -> Optional[str]:
    from plotext._figure import _figure_class  # a private figure: safe next to the TUI's plots

    trials = chart_trials(fs)
    lines = [(tid, *_series(fs, tid, column)) for tid in trials]
    lines = [(tid, x, y) for tid, x, y in lines if x]
    if not lines:
        return None
    with _LOCK:
        fig = _figure_class()
        fig.theme("clear")
        fig.plot_size(width, height)
        for i, (tid, x, y) in enumerate(lines):
            label = f"{tid} {fs.trials.loc[tid, 'label']}"[:28]
            fig.plot(x, [v * scale for v in y], marker=MARKERS[i % len(MARKERS)], label=label)
        fig.title(title)
        fig.xlabel("epoch")
        out = fig.build()
    out = _ANSI.sub("", out)
    return "\n".join(line.rstrip() for line in out.splitlines())


def make_charts(fs: FactSheet, run_dir: Optional[Path] = None) -> Charts:
    charts = Charts(shown_trials=chart_trials(fs))
    acc = text_chart(fs, "test_acc", "Test accuracy (%) per epoch", scale=100.0)
    if acc:
        charts.text["Test accuracy (%) per epoch"] = acc
    loss = text_chart(fs, "test_loss", "Test loss per epoch")
    if loss:
        charts.text["Test loss per epoch"] = loss
    train = text_chart(fs, "train_loss", "Train loss (data term) per epoch")
    if train:
        charts.text["Train loss (data term) per epoch"] = train
    if (fs.config.get("search") or {}).get("method") in ("random", "tpe"):
        search = search_chart(fs)
        if search:
            charts.text["Best test accuracy (%) per trial, in the order proposed"] = search
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
