"""The offline report: the sections an LLM writes otherwise, written from the facts by code.

Deterministic and network-free. Every number it prints comes from the fact sheet
(through `FactText`, which refuses names that are not facts), so the verifier finds no
mismatch in it; the proposals in "Recommendations" are new parameter values.
"""

from __future__ import annotations

import json
import math
from typing import Any, Optional

import pandas as pd

from sweepdeck.engine.analysis.facts import FactSheet, format_param, params_text, plain_value
from sweepdeck.engine.analysis.sections import FactText, heading, results_table

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
    varied = [k for k in fs.varied]
    if varied:
        parts = []
        for k in varied:
            vals = sorted({format_param(v) for v in t[k]}, key=_sort_key)
            parts.append(f"{k} ∈ {{{', '.join(vals)}}}")
        lines.append(f"- **Varied:** {'; '.join(parts)}")
    else:
        lines.append("- **Varied:** nothing: every trial used the same parameters")
    fixed = {k: v for k, v in fs.not_varied.items() if k not in ("dataset", "model")}
    if fixed:
        lines.append("- **Not varied** (the same in every trial, so this sweep says nothing about them): "
                     + ", ".join(f"{k}={format_param(v)}" for k, v in fixed.items()))
    dur = f.get("run.duration_s")
    eps = f.get("run.epochs_per_s_mean")
    lines.append(f"- **Device:** {fs.device}" + (f"; wall time {dur}" if dur else "")
                 + (f"; mean throughput {eps} per trial" if eps else ""))
    if fs.top:
        b = fs.top[0]
        lines.append("")
        lines.append(
            f"**Headline:** the best trial is **{b}** ({fs.trials.loc[b, 'label']}) with a best test accuracy of "
            f"**{f('best.test_acc_best')}** at epoch {f('best.test_acc_best_epoch')}"
            + (f" (final test accuracy {f('best.test_acc_final')})" if f.get("best.test_acc_final") else "")
            # a pruned trial ran fewer epochs: never the best without saying so
            + (" — a pruned trial, stopped early by the sweep's pruner" if fs.trials.loc[b, "status"] == "pruned" else "")
            + (f". Across all trials with results the mean best test accuracy is {f('run.test_acc_best_mean')}"
               f" and the worst is {f('run.test_acc_best_min')}." if len(fs.ranked) > 1 else ".")
        )
    else:
        lines.append("")
        lines.append("**No trial has recorded an epoch yet**, so there are no results to analyse.")
    for w in fs.warnings:
        if not w.startswith("no trial has recorded"):
            lines.append(f"\n> Note: {w}")
    return "\n".join(lines)


def top_trials(fs: FactSheet) -> str:
    f = FactText(fs)
    lines = [heading("top"), ""]
    if not fs.top:
        lines.append("No results yet.")
        return "\n".join(lines)
    lines.append(f"Top {len(fs.top)} by best test accuracy (all parameters listed):")
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
        order = sorted(fs.best_per_type, key=lambda k: -fs.trials.loc[fs.best_per_type[k], "test_acc_best"])
        if len(order) > 1:
            a, b = order[0], order[1]
            lines += ["", f"**{a}** did best: its best trial reached {f(f'type.{a}.test_acc_best')} against "
                          f"{f(f'type.{b}.test_acc_best')} for {b}, and its trials average {f(f'type.{a}.test_acc_best_mean')} "
                          f"against {f(f'type.{b}.test_acc_best_mean')}."]
    bt = fs.fact("best_train.trial_id")
    if bt is not None and bt.value != fs.top[0]:
        x = bt.value
        lines += ["", f"Note: the highest final *train* accuracy belongs to **{x}** ({f('best_train.train_acc_final')}), "
                      f"not to the best trial on the test set: {x} reached a best test accuracy of "
                      f"{f('best_train.test_acc_best')} (rank {f('best_train.rank_test_acc_best')}). "
                      "Fitting the training set more closely did not generalise better."]
    return "\n".join(lines)


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
        best, worst = df.iloc[0], df.iloc[-1]
        lines.append("")
        bv, wv = best["value"], worst["value"]
        if k == "seed":
            lines.append(f"The seed is not a design choice: the gap between seed {bv} (mean "
                         f"{f(f'sens.{k}.{bv}.test_acc_best_mean')}) and seed {wv} (mean "
                         f"{f(f'sens.{k}.{wv}.test_acc_best_mean')}) measures run-to-run noise.")
            continue
        lines.append(f"Best value: {k} = {bv} (mean {f(f'sens.{k}.{bv}.test_acc_best_mean')}); "
                     f"worst: {k} = {wv} (mean {f(f'sens.{k}.{wv}.test_acc_best_mean')})." + _trend(k, df))
    return "\n".join(lines)


def _trend(key: str, df: pd.DataFrame) -> str:
    """How the mean best test accuracy moves along a numeric parameter, in words."""
    if key in ("seed",) or len(df) < 2:
        return ""
    if key in ("l2_sum_lambda", "l2_mul_lambda"):
        df = df[[_is_pos(v) for v in df["raw"]]]
    vals = _numeric_values(df)
    if vals is None or len(vals) < 2:
        return ""
    means = [m for _, m in sorted(zip(vals, df["test_acc_best_mean"]))]
    name = key
    if all(b > a for a, b in zip(means, means[1:])):
        return f" The mean rises with {name} over the values tried, so larger values may be worth a look."
    if all(b < a for a, b in zip(means, means[1:])):
        return f" The mean falls as {name} grows, so smaller values may be worth a look."
    best_i = means.index(max(means))
    if 0 < best_i < len(means) - 1:
        return f" The mean peaks inside the range tried, at {name} = {format_param(sorted(vals)[best_i])}."
    return " No monotonic trend: the effect is not consistent across the values tried."


def _is_pos(v) -> bool:
    try:
        return float(v) > 0
    except (TypeError, ValueError):
        return False


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
        lines.append(f"Margins (mean y·f(x) on the train set with unit layer norms) range from {f(f'trial.{lo}.margin')} ({lo}) "
                     f"to {f(f'trial.{hi}.margin')} ({hi})" + (f"; the best trial's is {f(f'best.margin')}." if f.get('best.margin') else "."))
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


def _numeric_values(df: pd.DataFrame) -> Optional[list[float]]:
    try:
        vals = [float(v) for v in df["raw"]]
    except (TypeError, ValueError):
        return None
    return vals if all(math.isfinite(v) for v in vals) else None


def recommend(fs: FactSheet) -> tuple[list[str], dict[str, Any]]:
    """Concrete config changes for the next sweep, and the config keys they change."""
    f = FactText(fs)
    recs: list[str] = []
    changes: dict[str, Any] = {}
    if fs.ranked.empty:
        return ["Run the sweep to completion first: no trial has results yet."], {}
    for key in fs.varied:
        if key in ("seed", "exp_type") or key not in fs.sensitivity or len(fs.sensitivity[key]) < 2:
            continue
        df = fs.sensitivity[key]
        best = df.iloc[0]
        all_div = df[df["n_diverged"] == df["n_trials"]]
        vals = _numeric_values(df)
        if key in ("l2_sum_lambda", "l2_mul_lambda") and vals is not None:
            df = df[[float(v) > 0 for v in df["raw"]]]
            vals = _numeric_values(df)
            if len(df) < 2:
                continue
            best = df.iloc[0]
        bv = best["value"]
        if vals is not None and key != "batchsize" and all(v > 0 for v in vals):
            tried = sorted(vals)
            b = float(best["raw"])
            i = tried.index(b)
            if i == len(tried) - 1:
                lo, hi = b, _nice(b * (tried[-1] / tried[-2] if len(tried) > 1 else 3))
                why = "the best mean result came from the largest value tried: extend the range upwards"
            elif i == 0:
                lo, hi = _nice(b / (tried[1] / tried[0] if len(tried) > 1 else 3)), b
                why = "the best mean result came from the smallest value tried: extend the range downwards"
            else:
                lo, hi = _nice(math.sqrt(tried[i - 1] * b)), _nice(math.sqrt(b * tried[i + 1]))
                why = "the best value lies inside the range: refine around it"
            mid = _nice(math.sqrt(lo * hi))
            grid = sorted({lo, mid, hi, b} if mid not in (lo, hi) else {lo, b, hi})
            changes[key] = grid
            recs.append(f"`{key}` ∈ [{lo:g}, {hi:g}], e.g. `\"{key}\": {json.dumps(grid)}` — {why} "
                        f"(best mean at {key} = {bv}: {f(f'sens.{key}.{bv}.test_acc_best_mean')}).")
        elif key == "batchsize" and vals is not None:
            b = int(float(best["raw"]))
            tried = sorted(int(v) for v in vals)
            grid = sorted({b // 2, b, b * 2} if b in (tried[0], tried[-1]) else {b})
            changes[key] = grid
            recs.append(f"`batchsize`: best mean at {b} ({f(f'sens.batchsize.{bv}.test_acc_best_mean')}); "
                        f"next try `\"batchsize\": {json.dumps(grid)}`.")
        else:
            rng = fs.facts.get(f"sens.{key}.test_acc_best_mean_range")
            if rng is not None and rng.value >= 0.01:
                raw = best["raw"]
                changes[key] = [raw.item() if hasattr(raw, "item") else raw]
                recs.append(f"Fix `{key}` = {bv}: its trials average {f(f'sens.{key}.{bv}.test_acc_best_mean')}, "
                            f"ahead of the other values (spread {rng.display()}).")
            elif rng is not None:
                recs.append(f"`{key}` made little difference (spread {rng.display()}): drop it from the sweep and spend the "
                            "trials elsewhere.")
        if len(all_div):
            bad = ", ".join(str(v) for v in all_div["value"])
            recs.append(f"Drop {key} = {bad}: every trial with it diverged.")
    if "exp_type" in fs.varied and len(fs.best_per_type) > 1:
        order = sorted(fs.best_per_type, key=lambda k: -fs.trials.loc[fs.best_per_type[k], "test_acc_best"])
        a = order[0]
        recs.append(f"Focus on **{a}** trials (best {f(f'type.{a}.test_acc_best')}, mean {f(f'type.{a}.test_acc_best_mean')}); "
                    + ("keep one unregularised trial as a baseline." if "No_Regularization" in fs.best_per_type and a != "No_Regularization"
                       else "add `0` to the penalty lists to get an unregularised baseline." if "No_Regularization" not in fs.best_per_type
                       else "regularisation did not beat the unregularised baseline here."))
    elif "No_Regularization" not in fs.best_per_type:
        recs.append("Add `0` to `l2_sum_lambda` to get an unregularised baseline to compare against.")
    flags = {fl.trial_id for fl in fs.flags if fl.kind == "not_converged"}
    n_done = int((fs.trials["status"] == "completed").sum())
    if n_done and len(flags) * 2 >= n_done:
        changes["n_epochs"] = fs.n_epochs * 2
        recs.append(f"Raise `n_epochs` from {fs.n_epochs} to {fs.n_epochs * 2}: {len(flags)} of {n_done} completed trials were still "
                    "improving at the last epoch.")
    elif fs.top and fs.n_epochs >= 20:
        last_best = int(max(fs.trials.loc[t, "test_acc_best_epoch"] for t in fs.top))
        if last_best <= fs.n_epochs // 2:
            changes["n_epochs"] = max(last_best + last_best // 2, 5)
            recs.append(f"`n_epochs` can be lowered to about {changes['n_epochs']}: the top trials all peaked by epoch "
                        f"{last_best} of {fs.n_epochs}.")
    over = {fl.trial_id for fl in fs.flags if fl.kind == "overfitting"}
    if over and len(over) * 2 >= len(fs.ranked):
        recs.append("Most trials overfit: try stronger penalties (larger `l2_sum_lambda` / `l2_mul_lambda`) or "
                    "`\"mislabel_percentage\"` left at 0 with more training data (`dataset.n_train`).")
    under = {fl.trial_id for fl in fs.flags if fl.kind == "underfitting"}
    if under and len(under) * 2 >= len(fs.ranked):
        recs.append("Most trials underfit: try a larger model (`\"model\": \"overparameterized\"`), more epochs or a higher `lr`.")
    if "seed" not in fs.varied:
        seed = fs.not_varied.get("seed", 42)
        try:
            seeds = [int(seed) + i for i in range(3)]
        except (TypeError, ValueError):
            seeds = [42, 43, 44]
        changes["seed"] = seeds
        recs.append(f"Repeat the best configurations with `\"seed\": {json.dumps(seeds)}`: with one seed per configuration "
                    "the ranking of close trials is not reliable.")
    return recs, changes


def recommendations(fs: FactSheet) -> str:
    recs, changes = recommend(fs)
    lines = [heading("recommendations"), ""]
    lines += [f"{i}. {r}" for i, r in enumerate(recs, start=1)]
    if changes:
        base = {k: v for k, v in fs.config.items() if k in ("batchsize", "lr", "n_epochs", "l2_sum_lambda", "l2_mul_lambda",
                                                              "wn", "seed", "opt_name")}
        base.update(changes)
        if fs.top:
            b = fs.trials.loc[fs.top[0]]
            for k in ("lr", "batchsize", "opt_name", "wn"):
                if k not in changes and k in fs.varied:
                    base[k] = [plain_value(b[k])]
        lines += ["", "A starting point for the next config (the changed keys; everything else as in this sweep's `config.json`):",
                  "", "```json", "{\n" + ",\n".join(f'  "{k}": {json.dumps(v, default=str)}' for k, v in base.items()) + "\n}", "```"]
    return "\n".join(lines)


def _sort_key(v: Any) -> tuple:
    try:
        return (0, float(v), "")
    except (TypeError, ValueError):
        return (1, 0.0, str(v))


def offline_body(fs: FactSheet) -> str:
    """Every section but the title, charts and fact check (those are added by report.py)."""
    return "\n\n".join([overview(fs), results_table(fs), top_trials(fs), parameter_impact(fs), dynamics(fs), recommendations(fs)])
