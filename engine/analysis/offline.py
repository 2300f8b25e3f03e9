"""The offline report: the sections an LLM writes otherwise, written from the facts by code.

Deterministic and network-free. Every number it prints comes from the fact sheet
(through `FactText`, which refuses names that are not facts), so the verifier finds no
mismatch in it; the proposals in "Recommendations" are new parameter values. Every
claim (a tie, a winner, a direction to move a parameter) is decided in verdicts.py by
a rule that docs/report.md states, so no sentence contradicts another.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from typing import Any, Callable, Optional

import pandas as pd

from sweepdeck.engine.analysis.facts import FactSheet, format_param, params_text
from sweepdeck.engine.analysis.sections import FactText, heading, results_table
from sweepdeck.engine.analysis.verdicts import (PENALTY_TYPES, Judge, TypeStanding, compared_rows, direction, shown_equal,
                                                 type_standings, type_winner)

PARAM_NAMES = {
    "exp_type": "experiment type", "lr": "learning rate (lr)", "batchsize": "batch size",
    "opt_name": "optimizer", "l2_sum_lambda": "additive penalty weight (l2_sum_lambda)",
    "l2_mul_lambda": "multiplicative penalty weight (l2_mul_lambda)", "wn": "weight normalisation (wn)",
    "seed": "seed", "depth_normalization": "depth normalisation", "features_normalization": "features normalisation",
    "batch_norm": "batch norm", "bias": "bias",
}


# --- sections ---------------------------------------------------------------------------------------

def overview(fs: FactSheet) -> str:
    f = FactText(fs)
    t = fs.trials
    lines = [heading("overview"), ""]
    counts = [f"{int((t['status'] == s).sum())} {s}" for s in
              ("completed", "pruned", "diverged", "failed", "interrupted", "skipped", "pending", "running") if (t["status"] == s).any()]
    lines.append(f"- **Dataset:** {fs.dataset}")
    lines.append(f"- **Model:** {fs.model}")
    lines.append(f"- **Trials:** {f('run.n_trials')}" + (f" ({', '.join(counts)})" if counts else "")
                 + f", {f('run.n_epochs')} epochs each")
    lines.append(f"- **Varied:** {varied_text(fs)}")
    fixed = {k: v for k, v in fs.not_varied.items() if k not in ("dataset", "model")}
    if fixed:
        lines.append("- **Not varied** (the same in every trial, so this sweep says nothing about them): "
                     + ", ".join(f"{k}={format_param(v)}" for k, v in fixed.items()))
    dur = f.get("run.duration_s")
    eps = f.get("run.epochs_per_s_mean")
    lines.append(f"- **Device:** {fs.device}" + (f"; wall time {dur}" if dur else "")
                 + (f"; mean throughput {eps} per trial" if eps else ""))
    if fs.top:
        lines += ["", headline(fs)]
    else:
        lines.append("")
        lines.append("**No trial has recorded an epoch yet**, so there are no results to analyse.")
    for w in fs.warnings:
        if not w.startswith("no trial has recorded"):
            lines.append(f"\n> Note: {w}")
    return "\n".join(lines)


def varied_text(fs: FactSheet) -> str:
    """What the sweep varied, each value as the user could have listed it. A penalty weight's
    values are those of its own type's trials (λ = 0 in the others is the grid rule's, SPEC §2,
    not a value the user listed); the No_Regularization trials are named with the rule that made them."""
    t = fs.trials
    parts = []
    for k in fs.varied:
        if k in PENALTY_TYPES:
            own = PENALTY_TYPES[k]
            vals = sorted({format_param(v) for v in t.loc[t["exp_type"] == own, k]}, key=_sort_key)
            if vals:
                parts.append(f"{k} ∈ {{{', '.join(vals)}}} ({own} trials)")
            continue
        vals = sorted({format_param(v) for v in t[k]}, key=_sort_key)
        parts.append(f"{k} ∈ {{{', '.join(vals)}}}")
    n_none = int((t["exp_type"] == "No_Regularization").sum())
    if n_none and ("exp_type" in fs.varied or any(k in PENALTY_TYPES for k in fs.varied)):
        zeros = [k for k in PENALTY_TYPES if 0 in _listed(fs.config.get(k))]
        why = (f"a 0 in {' and '.join(f'`{k}`' for k in zeros)} (listed, or the default when the key is left out)"
               if zeros else "no non-zero penalty weight")
        parts.append(f"plus {n_none} No_Regularization trial{'s' if n_none != 1 else ''} (both λ = 0), which the grid "
                     f"rule (SPEC §2) adds for {why}")
    if not parts:
        return "nothing: every trial used the same parameters"
    return "; ".join(parts)


def _listed(value: Any) -> list[float]:
    values = value if isinstance(value, list) else [value]
    out = []
    for v in values:
        try:
            out.append(float(v))
        except (TypeError, ValueError):
            pass
    return out


def headline(fs: FactSheet) -> str:
    """The best trial, or the trials tied for best (ties: same value at the precision shown)."""
    f = FactText(fs)
    ranked = fs.ranked
    top = float(ranked["test_acc_best"].iloc[0])
    tied = [tid for tid, v in ranked["test_acc_best"].items() if shown_equal(float(v), top)]
    b = fs.top[0]
    if len(tied) > 1:
        names = ", ".join(f"**{x}**" for x in tied[:5]) + (f" and {len(tied) - 5} more" if len(tied) > 5 else "")
        text = (f"**Headline:** {len(tied)} trials tie for the best test accuracy, **{f('best.test_acc_best')}**: {names}. "
                f"The first in trial order, **{b}** ({fs.trials.loc[b, 'label']}), reached it at epoch "
                f"{f('best.test_acc_best_epoch')}")
    else:
        text = (f"**Headline:** the best trial is **{b}** ({fs.trials.loc[b, 'label']}) with a best test accuracy of "
                f"**{f('best.test_acc_best')}** at epoch {f('best.test_acc_best_epoch')}")
    text += f" (final test accuracy {f('best.test_acc_final')})" if f.get("best.test_acc_final") else ""
    if fs.trials.loc[b, "status"] == "pruned":  # it ran fewer epochs: never the best without saying so
        text += " — a pruned trial, stopped early by the sweep's pruner"
    if len(ranked) > 1:
        text += (f". Across all trials with results the mean best test accuracy is {f('run.test_acc_best_mean')}"
                 f" and the worst is {f('run.test_acc_best_min')}.")
    return text + ("" if text.endswith(".") else ".")


def top_trials(fs: FactSheet) -> str:
    f = FactText(fs)
    lines = [heading("top"), ""]
    if not fs.top:
        lines.append("No results yet.")
        return "\n".join(lines)
    vals = [float(fs.trials.loc[t, "test_acc_best"]) for t in fs.top]
    ties = [f"{a} and {b}" for (a, x), (b, y) in zip(zip(fs.top, vals), zip(fs.top[1:], vals[1:])) if shown_equal(x, y)]
    lines.append(f"Top {len(fs.top)} by best test accuracy (all parameters listed"
                 + (f"; {', '.join(ties)} tie, listed in trial order" if ties else "") + "):")
    lines.append("")
    for i, tid in enumerate(fs.top, start=1):
        r = fs.trials.loc[tid]
        extra = []
        if f.get(f"trial.{tid}.train_acc_final"):
            extra.append(f"final train accuracy {f(f'trial.{tid}.train_acc_final')}")
        if f.get(f"trial.{tid}.margin"):
            extra.append(f"margin {f(f'trial.{tid}.margin')}")
        lines.append(
            f"{i}. **{tid}** — best test accuracy {f(f'trial.{tid}.test_acc_best')} at epoch "
            f"{f(f'trial.{tid}.test_acc_best_epoch')}, final test accuracy {f(f'trial.{tid}.test_acc_final')}"
            + (f", {', '.join(extra)}" if extra else "") + f". Parameters: {params_text(r)}."
        )
    if len(fs.best_per_type) > 1 or ("exp_type" in fs.varied):
        lines += ["", "Best trial of each experiment type:", "",
                  "| Type | Best trial | Best test acc | Mean best test acc of the type | Trials |", "|---|---|---|---|---|"]
        for typ, tid in sorted(fs.best_per_type.items(), key=lambda kv: -fs.trials.loc[kv[1], "test_acc_best"]):
            lines.append(f"| {typ} | {tid} ({fs.trials.loc[tid, 'label']}) | {f(f'type.{typ}.test_acc_best')} | "
                         f"{f(f'type.{typ}.test_acc_best_mean')} | {f(f'type.{typ}.n_trials')} |")
        if len(fs.best_per_type) > 1:
            lines += ["", type_sentence(fs, Judge(fs))]
    note = best_train_note(fs)
    if note:
        lines += ["", note]
    return "\n".join(lines)


def type_sentence(fs: FactSheet, judge: Judge) -> str:
    """Which experiment type did best, by verdicts.type_winner; ties and splits said as such."""
    f = FactText(fs)
    st = type_standings(fs)
    winner = type_winner(fs, judge)

    def best(t: str) -> str:
        return f(f"type.{t}.test_acc_best")

    def mean(t: str) -> str:
        return f(f"type.{t}.test_acc_best_mean")

    if winner is not None:
        others = [x.name for x in st if x.name != winner]
        return (f"**{winner}** did best: its best trial reached {best(winner)} and its trials average {mean(winner)}, "
                + "; ".join(f"against {best(o)} and {mean(o)} for {o}" for o in others)
                + " (ahead on at least one count, behind on neither).")
    def leaders(count: str, leads: str, value: Callable[[TypeStanding], float], shown: Callable[[str], str]) -> str:
        """Who leads on one count (the best trial, the mean), or who is level there."""
        ranked = sorted(st, key=lambda x: -value(x))
        top = [x for x in ranked if judge.level(value(x), value(ranked[0]))]
        if len(top) == 1:
            return f"{top[0].name} has the {leads} ({shown(top[0].name)})"
        why = judge.why_level(value(top[0]), value(top[-1]))
        return (f"on the {count} {' and '.join(x.name for x in top)} are level "
                f"({', '.join(shown(x.name) for x in top)}: {why})")

    parts = [leaders("best trial", "best trial", lambda x: x.best, best),
             leaders("mean", "highest mean", lambda x: x.mean, mean)]
    return "No experiment type did best on both counts: " + "; ".join(parts) + "."


def best_train_note(fs: FactSheet) -> Optional[str]:
    """The trial that fit the training set best, when it is not the best on the test set:
    only when it is ahead on train accuracy and behind on test accuracy, both beyond a tie."""
    f = FactText(fs)
    bt = fs.fact("best_train.trial_id")
    if bt is None or not fs.top or bt.value == fs.top[0]:
        return None
    x, b = bt.value, fs.trials.loc[fs.top[0]]
    r = fs.trials.loc[x]
    if pd.isna(b["train_acc_final"]) or shown_equal(r["train_acc_final"], b["train_acc_final"]) \
            or shown_equal(r["test_acc_best"], b["test_acc_best"]):
        return None
    return (f"Note: the highest final *train* accuracy belongs to **{x}** ({f('best_train.train_acc_final')}), "
            f"not to the best trial on the test set: {x} reached a best test accuracy of "
            f"{f('best_train.test_acc_best')} (rank {f('best_train.rank_test_acc_best')}). "
            "Fitting the training set more closely did not generalise better.")


def parameter_impact(fs: FactSheet) -> str:
    f = FactText(fs)
    lines = [heading("impact"), ""]
    if fs.importances:  # a random or TPE search: Optuna's estimate of what mattered
        method = (fs.config.get("search") or {}).get("method", "")
        lines.append(f"Parameter importance in this {method} search (Optuna's PED-ANOVA, larger matters more): "
                     + ", ".join(f"{k} (importance {f(f'importance.{k}')})" for k in fs.importances) + ".")
        lines.append("")
    keys = [k for k in fs.varied if k in fs.sensitivity and len(fs.sensitivity[k]) > 1]
    if not keys:
        lines.append("No parameter took more than one value among trials with results, so there is no parameter effect to measure.")
        return "\n".join(lines)
    keys.sort(key=lambda k: -(fs.facts[f"sens.{k}.test_acc_best_mean_range"].value if f"sens.{k}.test_acc_best_mean_range" in fs.facts else 0))
    order = ", ".join(f"{k} ({f(f'sens.{k}.test_acc_best_mean_range')})" for k in keys)
    lines.append("Spread of the mean best test accuracy across each parameter's values, largest first: " + order + ".")
    noise = fs.facts.get("run.seed_spread_test_acc_best")
    if noise is not None:
        weak = [k for k in keys if k != "seed" and fs.facts[f"sens.{k}.test_acc_best_mean_range"].value < noise.value]
        if weak:
            lines.append(f"The spread of {', '.join(weak)} is smaller than the seed noise ({noise.display()}): "
                         "this sweep cannot tell whether {} matter{}.".format(
                             "they" if len(weak) > 1 else "it", "" if len(weak) > 1 else "s"))
    if "seed" not in fs.varied:
        lines.append("Each configuration ran with a single seed, so small differences may be seed noise rather than effects.")
    elif f.get("run.seed_spread_test_acc_best"):
        lines.append(f"Seeds were varied: the same configuration's best test accuracy moves by {f('run.seed_spread_test_acc_best')} "
                     "on average between its seeds, so differences smaller than that are noise.")
    judge = Judge(fs)
    for k in keys:
        df = fs.sensitivity[k]
        scope = ""
        if k == "l2_sum_lambda":
            scope = " (Summation and unregularised trials only)"
        elif k == "l2_mul_lambda":
            scope = " (Multiplication and unregularised trials only)"
        lines += ["", f"**{PARAM_NAMES.get(k, k)}**{scope}", "",
                  f"| {k} | Trials | Mean best test acc | Best test acc | Best trial |", "|---|---|---|---|---|"]
        for _, row in df.sort_values("raw", key=lambda s: s.map(_sort_key)).iterrows():
            p = f"sens.{k}.{row['value']}"
            div = f" ({f(p + '.n_diverged')} diverged)" if row["n_diverged"] else ""
            lines.append(f"| {row['value']} | {f(p + '.n_trials')}{div} | {f(p + '.test_acc_best_mean')} | "
                         f"{f(p + '.test_acc_best_max')} | {row['best_trial']} |")
        lines += ["", value_sentence(fs, k, judge)]
    return "\n".join(lines)


def value_sentence(fs: FactSheet, key: str, judge: Judge) -> str:
    """The best and worst value of a parameter, ties said as such, and its trend if it is numeric."""
    f = FactText(fs)
    df = fs.sensitivity[key]
    means = [float(m) for m in df["test_acc_best_mean"]]  # highest first

    def mean(v: str) -> str:
        return f(f"sens.{key}.{v}.test_acc_best_mean")

    top = [v for v, m in zip(df["value"], means) if judge.level(m, means[0])]
    bottom = [v for v, m in zip(df["value"], means) if judge.level(m, means[-1])]
    if key == "seed":
        if len(top) == len(df):
            return f"Every seed gives the same mean ({mean(df['value'].iloc[0])}, {judge.why_level(means[0], means[-1])})."
        bv, wv = df["value"].iloc[0], df["value"].iloc[-1]
        return (f"The seed is not a design choice: the gap between seed {bv} (mean {mean(bv)}) and seed {wv} "
                f"(mean {mean(wv)}) measures run-to-run noise.")
    if len(top) == len(df):
        return (f"All values of {key} are level (means {', '.join(mean(v) for v in df['value'])}: "
                f"{judge.why_level(means[0], means[-1])}): this sweep shows no effect of {key}.")
    if len(top) > 1:
        best = f"{key} = {' and '.join(top)} are level at the top (means {', '.join(mean(v) for v in top)})"
    else:
        best = f"Best value: {key} = {top[0]} (mean {mean(top[0])})"
    if len(bottom) > 1:
        worst = f"{' and '.join(bottom)} are level at the bottom (means {', '.join(mean(v) for v in bottom)})"
    else:
        worst = f"worst: {key} = {bottom[0]} (mean {mean(bottom[0])})"
    return f"{best}; {worst}." + _trend(fs, key, judge)


def _trend(fs: FactSheet, key: str, judge: Judge) -> str:
    """How the mean best test accuracy moves along a numeric parameter, in words: a step counts
    only when one side is ahead (verdicts.Judge); the advice follows verdicts.direction."""
    if key == "seed":
        return ""
    d = direction(fs, key, judge)
    if d is None:
        return ""
    if all(s == 1 for s in d.steps):
        return f" The mean rises with {key} over the values tried" + (
            ", so larger values may be worth a look." if d.move == 1 else ".")
    if all(s == -1 for s in d.steps):
        return f" The mean falls as {key} grows over the values tried" + (
            ", so smaller values may be worth a look." if d.move == -1 else ".")
    if d.move == 0 and d.best is not None:
        return f" The mean peaks inside the range tried, at {key} = {format_param(d.best)}."
    if all(s == 0 for s in d.steps):
        return ""
    return " No consistent trend: the effect is not the same across the values tried."


def dynamics(fs: FactSheet) -> str:
    f = FactText(fs)
    lines = [heading("dynamics"), ""]
    by_kind: dict[str, list] = {}
    for fl in fs.flags:
        by_kind.setdefault(fl.kind, []).append(fl)
    if fs.ranked.empty:
        lines.append("No results yet.")
        return "\n".join(lines)
    summary = []
    for kind, text in (("overfitting", "overfitting"), ("underfitting", "underfitting"), ("not_converged", "still improving at the end"),
                       ("peaked_early", "past their peak"), ("diverged", "diverged"), ("failed", "failed")):
        ids = sorted({fl.trial_id for fl in by_kind.get(kind, [])})
        if ids:
            summary.append(f"{text}: {', '.join(ids)}")
    if summary:
        lines.append("Flags (each with the rule that raised it below): " + "; ".join(summary) + ".")
    else:
        lines.append("No trial was flagged: no large train–test gap, no underfitting, no divergence, and no trial fell far below its peak.")
    lines.append("")
    lines.append(f"Rules: overfitting when the final train − test accuracy gap exceeds {f('rule.overfit_gap')}, or the test loss "
                 f"ends {f('rule.overfit_loss_rise').lstrip('+')} above its minimum while the train loss still falls; underfitting when the "
                 f"final train accuracy is below {f('rule.underfit_train_acc')}; past the peak when the final test accuracy is "
                 f"{f('rule.peak_drop')} or more below the trial's best; still improving when the best test accuracy came in the "
                 f"last epochs and the train loss fell by more than {f('rule.still_falling').lstrip('+')} over the last {f('rule.window')} epochs.")
    if fs.flags:
        lines.append("")
        for fl in fs.flags:
            lines.append(f"- **{fl.trial_id}** {fl.kind.replace('_', ' ')}: {fl.rule}")
    t = fs.ranked
    falling = t[t["train_loss_change_last"] < -0.02].index.tolist()
    rising = t[t["test_loss_change_last"] > 0.02].index.tolist()
    lines.append("")
    lines.append(f"Loss trends over the last {f('rule.window')} epochs: the train loss is still falling in "
                 f"{len(falling)} of {len(t)} trials" + (f" ({', '.join(falling[:8])}{'…' if len(falling) > 8 else ''})" if falling and len(falling) < len(t) else "")
                 + f"; the test loss is rising in {len(rising)} trial{'s' if len(rising) != 1 else ''}" + (f" ({', '.join(rising[:8])}{'…' if len(rising) > 8 else ''})" if rising else "") + ".")
    if fs.has_train_acc and fs.top:
        b = fs.top[0]
        lines.append(f"The best trial {b} ends with train accuracy {f(f'trial.{b}.train_acc_final')} and test accuracy "
                     f"{f(f'trial.{b}.test_acc_final')} (gap {f(f'trial.{b}.train_test_gap_final')}).")
    m = t["margin"].dropna()
    if len(m) > 1:
        hi, lo = m.idxmax(), m.idxmin()
        what = "Margins (mean y·f(x) on the train set with unit layer norms)"
        if f(f"trial.{lo}.margin") == f(f"trial.{hi}.margin"):
            lines.append(f"{what} are {f(f'trial.{lo}.margin')} in every trial that recorded one.")
        else:
            lines.append(f"{what} range from {f(f'trial.{lo}.margin')} ({lo}) to {f(f'trial.{hi}.margin')} ({hi})"
                         + (f"; the best trial's is {f(f'best.margin')}." if f.get('best.margin') else "."))
    return "\n".join(lines)


# --- recommendations --------------------------------------------------------------------------------

def _nice(x: float) -> float:
    if x <= 0 or not math.isfinite(x):
        return x
    exp = math.floor(math.log10(x))
    for m in (1, 2, 3, 5, 10):
        if x <= m * 10 ** exp * 1.12:
            return float(f"{m * 10 ** exp:.3g}")
    return float(f"{x:.2g}")


@dataclass
class Recommendation:
    """One proposal for the next sweep: its sentence, which way it moves each config key
    (+1 higher, -1 lower, 0 refine or fix in place), and the config values it proposes."""

    text: str
    moves: dict[str, int] = field(default_factory=dict)
    changes: dict[str, Any] = field(default_factory=dict)


def recommend(fs: FactSheet) -> list[Recommendation]:
    """Concrete config changes for the next sweep. Directions follow verdicts.direction; the
    generic advice for overfitting or underfitting names only moves no other proposal opposes."""
    if fs.ranked.empty:
        return [_no_results(fs)]
    judge = Judge(fs)
    recs: list[Recommendation] = []
    for key in fs.varied:
        if key in ("seed", "exp_type") or key not in fs.sensitivity or len(fs.sensitivity[key]) < 2:
            continue
        rec = _parameter_advice(fs, key, judge)
        if rec is not None:
            recs.append(rec)
        df = fs.sensitivity[key]
        all_div = df[df["n_diverged"] == df["n_trials"]]
        if len(all_div):
            bad = ", ".join(str(v) for v in all_div["value"])
            recs.append(Recommendation(f"Drop {key} = {bad}: every trial with it diverged."))
    if "exp_type" in fs.varied and len(fs.best_per_type) > 1:
        recs.append(_type_advice(fs, judge))
    elif "No_Regularization" not in fs.best_per_type:
        recs.append(Recommendation("Add `0` to `l2_sum_lambda` to get an unregularised baseline to compare against."))
    flags = {fl.trial_id for fl in fs.flags if fl.kind == "not_converged"}
    n_done = int((fs.trials["status"] == "completed").sum())
    if n_done and len(flags) * 2 >= n_done:
        recs.append(Recommendation(
            f"Raise `n_epochs` from {fs.n_epochs} to {fs.n_epochs * 2}: {len(flags)} of {n_done} completed trials were still "
            "improving at the last epoch.", {"n_epochs": 1}, {"n_epochs": fs.n_epochs * 2}))
    elif fs.top and fs.n_epochs >= 20:
        last_best = int(max(fs.trials.loc[t, "test_acc_best_epoch"] for t in fs.top))
        if last_best <= fs.n_epochs // 2:
            lower = max(last_best + last_best // 2, 5)
            recs.append(Recommendation(f"`n_epochs` can be lowered to about {lower}: the top trials all peaked by epoch "
                                       f"{last_best} of {fs.n_epochs}.", {"n_epochs": -1}, {"n_epochs": lower}))
    moves = _moves(recs)
    n = len(fs.ranked)
    over = {fl.trial_id for fl in fs.flags if fl.kind == "overfitting"}
    if len(over) * 2 > n:  # most: more than half of the trials with results
        stronger = [k for k in PENALTY_TYPES if moves.get(k, 0) >= 0]
        ways = ([f"stronger penalties (larger {' / '.join(f'`{k}`' for k in stronger)})"] if stronger else []) + \
            ["more training data (`dataset.n_train`)"]
        recs.append(Recommendation(f"Most trials overfit ({len(over)} of {n} with results): try {' or '.join(ways)}.",
                                   {k: 1 for k in stronger}))
    under = {fl.trial_id for fl in fs.flags if fl.kind == "underfitting"}
    if len(under) * 2 > n:
        ways, up = ["a larger model (`\"model\": \"overparameterized\"`)"], {}
        if moves.get("n_epochs", 0) >= 0:
            ways.append("more epochs")
            up["n_epochs"] = 1
        if moves.get("lr") == 1 or ("lr" not in fs.varied and "lr" not in moves):
            ways.append("a higher `lr`")
            up["lr"] = 1
        recs.append(Recommendation(f"Most trials underfit ({len(under)} of {n} with results): try "
                                   f"{', '.join(ways[:-1]) + ' or ' + ways[-1] if len(ways) > 1 else ways[0]}.", up))
    if "seed" not in fs.varied:
        seed = fs.not_varied.get("seed", 42)
        try:
            seeds = [int(seed) + i for i in range(3)]
        except (TypeError, ValueError):
            seeds = [42, 43, 44]
        recs.append(Recommendation(f"Repeat the best configurations with `\"seed\": {json.dumps(seeds)}`: with one seed per "
                                   "configuration the ranking of close trials is not reliable.", changes={"seed": seeds}))
    return recs


def _moves(recs: list[Recommendation]) -> dict[str, int]:
    out: dict[str, int] = {}
    for r in recs:
        out.update(r.moves)
    return out


def _no_results(fs: FactSheet) -> Recommendation:
    """Why there is nothing to analyse, and what to do about it."""
    status = fs.trials["status"]
    if len(status) and (status == "diverged").all():
        lrs = sorted(float(v) for v in fs.trials["lr"])
        return Recommendation(f"Every trial diverged before recording an epoch: try an `lr` below the smallest tried "
                              f"({format_param(lrs[0])}).", {"lr": -1})
    if len(status) and (status == "failed").all():
        return Recommendation("Every trial failed before recording an epoch: see each trial's error in `sweepdeck show`.")
    return Recommendation("Run the sweep to completion first (`sweepdeck resume`): no trial has results yet.")


def _parameter_advice(fs: FactSheet, key: str, judge: Judge) -> Optional[Recommendation]:
    """The next values of one parameter: beyond an edge, around an inside best, or fixed."""
    f = FactText(fs)
    d = direction(fs, key, judge)
    names = {float(r): v for r, v in zip(compared_rows(fs, key)["raw"], compared_rows(fs, key)["value"])} if d else {}
    if d is not None and key != "batchsize" and all(v > 0 for v in d.values):
        if d.move is None:
            level = [names[v] for v in d.level_with_best]
            if len(level) > 1:
                level_means = [d.means[d.values.index(v)] for v in d.level_with_best]
                return Recommendation(f"`{key}`: {' and '.join(f'{key} = {v}' for v in level)} are level at the top "
                                      f"(means {', '.join(f(f'sens.{key}.{v}.test_acc_best_mean') for v in level)}: "
                                      f"{judge.why_level(max(level_means), min(level_means))}), "
                                      "so this sweep does not say which way to move it.")
            bv = names[d.values[d.means.index(max(d.means))]]
            return Recommendation(f"`{key}`: the best mean came at {key} = {bv}, where a trial diverged, so this sweep "
                                  "does not say to go beyond it.")
        b, tried, i = d.best, d.values, d.values.index(d.best)
        bv = names[b]
        if d.move == 1:
            lo, hi = b, _nice(b * tried[-1] / tried[-2])
            why = "the best mean came from the largest value tried, ahead of every other: extend the range upwards"
        elif d.move == -1:
            lo, hi = _nice(b / (tried[1] / tried[0])), b
            why = "the best mean came from the smallest value tried, ahead of every other: extend the range downwards"
        else:
            lo, hi = _nice(math.sqrt(tried[i - 1] * b)), _nice(math.sqrt(b * tried[i + 1]))
            why = "the best value lies inside the range, ahead of every other: refine around it"
        mid = _nice(math.sqrt(lo * hi))
        grid = sorted({lo, mid, hi, b} if mid not in (lo, hi) else {lo, b, hi})
        return Recommendation(f"`{key}` ∈ [{lo:g}, {hi:g}], e.g. `\"{key}\": {json.dumps(grid)}` — {why} "
                              f"(best mean at {key} = {bv}: {f(f'sens.{key}.{bv}.test_acc_best_mean')}).",
                              {key: d.move}, {key: grid})
    if d is not None and key == "batchsize":
        if d.best is None:
            return None
        b = int(d.best)
        grid = sorted({b // 2, b, b * 2} if b in (int(d.values[0]), int(d.values[-1])) else {b})
        return Recommendation(f"`batchsize`: best mean at {b} ({f(f'sens.batchsize.{names[d.best]}.test_acc_best_mean')}), "
                              f"ahead of every other; next try `\"batchsize\": {json.dumps(grid)}`.", {key: 0}, {key: grid})
    df = fs.sensitivity[key]
    rng = fs.facts.get(f"sens.{key}.test_acc_best_mean_range")
    if rng is None or d is not None or key in PENALTY_TYPES:
        return None  # a penalty weight's 0 is the unregularised baseline: the type advice speaks for it
    means = [float(m) for m in df["test_acc_best_mean"]]
    if rng.value >= 0.01 and all(judge.ahead(means[0], m) for m in means[1:]):
        bv, raw = df["value"].iloc[0], df["raw"].iloc[0]
        return Recommendation(f"Fix `{key}` = {bv}: its trials average {f(f'sens.{key}.{bv}.test_acc_best_mean')}, "
                              f"ahead of every other value (spread {rng.display()}).", {key: 0},
                              {key: [raw.item() if hasattr(raw, "item") else raw]})
    if rng.value < 0.01:
        return Recommendation(f"`{key}` made little difference (spread {rng.display()}, under 1 pp): drop it from the "
                              "sweep and spend the trials elsewhere.")
    return None


def _type_advice(fs: FactSheet, judge: Judge) -> Recommendation:
    f = FactText(fs)
    a = type_winner(fs, judge)
    if a is None:
        return Recommendation("Keep every experiment type in the next sweep: none did best on both its best trial and its "
                              "mean (see *Top trials*).")
    tail = ("keep one unregularised trial as a baseline." if "No_Regularization" in fs.best_per_type and a != "No_Regularization"
            else "add `0` to the penalty lists to get an unregularised baseline." if "No_Regularization" not in fs.best_per_type
            else "regularisation did not beat the unregularised baseline here.")
    return Recommendation(f"Focus on **{a}** trials (best {f(f'type.{a}.test_acc_best')}, mean "
                          f"{f(f'type.{a}.test_acc_best_mean')}); {tail}")


def snippet_changes(fs: FactSheet, recs: list[Recommendation]) -> dict[str, Any]:
    """The config keys the recommendations change, only those whose new value differs from this sweep's."""
    out: dict[str, Any] = {}
    for r in recs:
        for k, v in r.changes.items():
            if not _same_setting(fs.config.get(k), v):
                out[k] = v
    return out


def _same_setting(old: Any, new: Any) -> bool:
    """A scalar and a one-element list are the same setting; numbers compare as numbers."""
    def norm(v: Any) -> list:
        vals = v if isinstance(v, list) else [v]
        out = []
        for x in vals:
            try:
                out.append(float(x) if not isinstance(x, bool) else x)
            except (TypeError, ValueError):
                out.append(x)
        return out
    return norm(old) == norm(new)


def recommendations(fs: FactSheet) -> str:
    recs = recommend(fs)
    lines = [heading("recommendations"), ""]
    lines += [f"{i}. {r.text}" for i, r in enumerate(recs, start=1)]
    changes = snippet_changes(fs, recs)
    if changes:
        lines += ["", "A starting point for the next config (only the keys that change; everything else as in this "
                      "sweep's `config.json`):",
                  "", "```json", "{\n" + ",\n".join(f'  "{k}": {json.dumps(v, default=str)}' for k, v in changes.items())
                  + "\n}", "```"]
    return "\n".join(lines)


def _sort_key(v: Any) -> tuple:
    try:
        return (0, float(v), "")
    except (TypeError, ValueError):
        return (1, 0.0, str(v))


def offline_body(fs: FactSheet) -> str:
    """Every section but the title, charts and fact check (those are added by report.py)."""
    return "\n\n".join([overview(fs), results_table(fs), top_trials(fs), parameter_impact(fs), dynamics(fs), recommendations(fs)])
