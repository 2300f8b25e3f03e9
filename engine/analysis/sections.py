"""The report's sections: their titles, and the ones sweepdeck writes itself in every
report, LLM or offline (the table of all trials, the charts, the fact check).
"""

from __future__ import annotations

from typing import Optional

import pandas as pd

from sweepdeck.engine.analysis.charts import Charts
from sweepdeck.engine.analysis.facts import FactSheet, format_param
from sweepdeck.engine.analysis.verify import Mismatch, grouped

# Every report has these sections, in this order: the LLM (or the offline report) writes
# the prose ones; sweepdeck writes the others itself in both kinds of report.
SECTION_TITLES = {
    "overview": "Overview",
    "results": "Results of all trials",
    "top": "Top trials and best per experiment type",
    "impact": "Parameter impact",
    "dynamics": "Training dynamics and over/underfitting",
    "recommendations": "Recommendations for the next sweep",
    "charts": "Charts",
    "fact_check": "Fact check",
}
WRITTEN_BY_SWEEPDECK = ("results", "charts", "fact_check")
LLM_SECTIONS = [k for k in SECTION_TITLES if k not in WRITTEN_BY_SWEEPDECK]
MAX_LISTED = 100  # mismatches listed in the Fact check: an answer full of wrong numbers must not make it huge

LABEL_COLUMNS = {"lr": "lr", "batchsize": "bs", "opt_name": "opt", "l2_sum_lambda": "sum λ", "l2_mul_lambda": "mul λ",
                 "wn": "wn", "seed": "seed", "depth_normalization": "depth norm", "features_normalization": "feat norm",
                 "batch_norm": "bn", "bias": "bias", "exp_type": "type"}


class FactText:
    """Facts as a report writes them: `f(name)` for one that must exist, `f.get(name)` for one that may not."""

    def __init__(self, fs: FactSheet):
        self.fs = fs

    def __call__(self, name: str) -> str:
        fact = self.fs.fact(name)
        if fact is None:
            raise KeyError(f"a report section asked for an unknown fact {name!r}")
        return fact.display()

    def get(self, name: str) -> Optional[str]:
        fact = self.fs.fact(name)
        return fact.display() if fact is not None else None


def heading(key: str) -> str:
    """The Markdown heading of a section, by its key in SECTION_TITLES."""
    return f"## {SECTION_TITLES[key]}"


def results_table(fs: FactSheet) -> str:
    """The table of all trials, each with its rank by best test accuracy."""
    f = FactText(fs)
    t = fs.trials
    shown = [k for k in fs.varied if k != "exp_type"]
    show_type = "exp_type" in fs.varied
    head = ["Trial", "Rank"] + (["Type"] if show_type else []) + [LABEL_COLUMNS[k] for k in shown] + \
           ["Status", "Best test acc (epoch)", "Final test acc", "Final train acc", "Train−test gap"]
    lines = [heading("results"), "",
             "Ranked by best test accuracy; accuracies in %, the gap in percentage points (final train − final test).", "",
             "| " + " | ".join(head) + " |", "|" + "|".join("---" for _ in head) + "|"]
    for tid, r in t.iterrows():
        def g(name: str) -> str:
            return f.get(f"trial.{tid}.{name}") or "–"
        best = g("test_acc_best")
        if best != "–":
            best = f"{best} ({g('test_acc_best_epoch')})"
        rank = g("rank_test_acc_best")
        row = [tid, rank] + ([str(r["exp_type"])] if show_type else []) + \
              [format_param(r[k]) if not _is_penalty_na(r, k) else "–" for k in shown] + \
              [str(r["status"]), best, g("test_acc_final"), g("train_acc_final"), g("train_test_gap_final")]
        lines.append("| " + " | ".join(row) + " |")
    if not fs.has_train_acc and not fs.ranked.empty:
        lines.append("")
        lines.append("Train accuracy was not recorded (`eval_train_set` was off), so no train–test gap is available.")
    return "\n".join(lines)


def _is_penalty_na(r: pd.Series, k: str) -> bool:
    return (k == "l2_sum_lambda" and r["exp_type"] == "Multiplication") or \
           (k == "l2_mul_lambda" and r["exp_type"] == "Summation")


def charts_section(charts: Charts) -> str:
    """The text charts in code blocks, then the PNGs (or why there are none)."""
    lines = [heading("charts"), ""]
    if not charts.text:
        lines.append("No epochs recorded yet: nothing to plot.")
    else:
        n = len(charts.shown_trials)
        lines.append(f"Curves of {n} trial{'s' if n != 1 else ''} ({', '.join(charts.shown_trials)}); "
                     "every trial's numbers are in `metrics.csv`.")
        for title, text in charts.text.items():
            lines += ["", f"**{title}**", "", "```text", text, "```"]
    for p in charts.png:
        lines += ["", f"![{p}]({p})"]
    if charts.png_note:
        lines += ["", f"_{charts.png_note}_"]
    return "\n".join(lines)


def fact_check_llm(n_filled: int, n_checked: int, mismatches: list[Mismatch], unknown: list[str]) -> str:
    """What sweepdeck filled in and checked in the LLM's text, every mismatch with what the data says."""
    lines = [heading("fact_check"), ""]
    lines.append(f"sweepdeck filled in {n_filled} placeholder{'s' if n_filled != 1 else ''} from the fact sheet "
                 f"(`facts.json`) and checked {n_checked} number{'s' if n_checked != 1 else ''} in the text against it: "
                 + ("all match." if not mismatches else
                    f"**{len(mismatches)} did not match** (marked ⚠ in the text):"))
    if mismatches:
        lines.append("")
    groups = grouped(mismatches)
    for m, marks in groups[:MAX_LISTED]:
        lines.append(_entry(m, marks, mismatches))
    if len(groups) > MAX_LISTED:
        lines.append(f"\n…and {len(groups) - MAX_LISTED} more (marked ⚠ in the text).")
    if unknown:
        lines += ["", f"**{len(unknown)} unknown placeholder{'s' if len(unknown) != 1 else ''}** "
                      "(shown as [unknown fact: …]; no such fact exists): "
                      + ", ".join(f"`{u[:80]}`" for u in unknown[:20]) + ("…" if len(unknown) > 20 else "")]
    return "\n".join(lines)


def fact_check_offline(n_checked: int, mismatches: list[Mismatch]) -> str:
    """The checker's count on the offline report (whose numbers all come from the facts)."""
    lines = [heading("fact_check"), "",
             f"This report was written by code from the fact sheet (`facts.json`); the checker read {n_checked} "
             f"number{'s' if n_checked != 1 else ''} in it: " + ("all match." if not mismatches else f"{len(mismatches)} did not match:")]
    if mismatches:
        lines.append("")
    for m, marks in grouped(mismatches):
        lines.append(_entry(m, marks, mismatches))
    return "\n".join(lines)


def _entry(m: Mismatch, marks: list[int], mismatches: list[Mismatch]) -> str:
    """One wrong claim, with every place it occurs: "3, 7. “quote” — **n**: reason (lines 12, 40)."."""
    where = ""
    if len(marks) > 1:
        where = f" (lines {', '.join(str(mismatches[i - 1].line) for i in marks)})"
    return (f"{', '.join(map(str, marks))}. “{m.quote}” — **{m.number}**: {m.reason}{where}. "
            f"The data: {m.data_says or 'no value in the data matches'}.")
