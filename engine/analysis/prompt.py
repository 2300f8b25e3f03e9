"""The prompt: editable templates in prompts/ filled with the compact fact sheet.

Templates use `string.Template` ($name fields), so `{{placeholders}}` in them are
plain text. They are looked up in $SWEEPDECK_PROMPTS_DIR, then ./prompts, then the
prompts/ folder of the sweepdeck checkout; the same text is embedded here as the
fallback for installs without the folder.

The fact sheet in the prompt has one line per trial and one per parameter value:
its size grows with the number of trials, never with epochs or batches.
"""

from __future__ import annotations

import os
import string
from pathlib import Path
from typing import Optional

from engine.analysis.facts import FactSheet, format_param, params_text, plain_value
from engine.analysis.sections import LLM_SECTIONS, heading

SYSTEM_FILE = "report_system.md"
USER_FILE = "report_user.md"


def prompts_dirs() -> list[Path]:
    out = []
    env = os.environ.get("SWEEPDECK_PROMPTS_DIR")
    if env:
        out.append(Path(env))
    out.append(Path.cwd() / "prompts")
    out.append(Path(__file__).resolve().parents[2] / "prompts")
    return out


def load_template(name: str) -> tuple[str, str]:
    """(template text, where it came from)."""
    for d in prompts_dirs():
        p = d / name
        try:
            return p.read_text(encoding="utf-8"), str(p)
        except OSError:
            continue
    return DEFAULTS[name], "built-in default"


def _pct(v: float) -> str:
    return "" if plain_value(v) is None else f"{v * 100:.2f}"


def _num(v: float, fmt: str) -> str:
    return "" if plain_value(v) is None else format(v, fmt)


def fact_sheet_text(fs: FactSheet) -> str:
    """The compact fact sheet the LLM reads."""
    t = fs.trials
    lines = ["## Run"]
    counts = ", ".join(f"{int((t['status'] == s).sum())} {s}" for s in
                       ("completed", "diverged", "failed", "interrupted", "skipped", "pending", "running") if (t["status"] == s).any())
    lines.append(f"name: {fs.name}; dataset: {fs.dataset}; model: {fs.model}; device: {fs.device}")
    lines.append(f"trials: {len(t)} ({counts}); epochs per trial: {fs.n_epochs}")
    for name in ("run.n_trials", "run.n_completed", "run.n_diverged", "run.n_failed", "run.n_epochs", "run.duration_s",
                 "run.epochs_per_s_mean", "run.test_acc_best_mean", "run.test_acc_best_min", "run.test_acc_best_range",
                 "run.seed_spread_test_acc_best"):
        f = fs.facts.get(name)
        if f is not None:
            lines.append(f"{name} = {f.display()}")
    lines.append("")
    lines.append("## What varied and what did not")
    for k in fs.varied:
        vals = sorted({format_param(v) for v in t[k]}, key=str)
        lines.append(f"varied: {k} ∈ {{{', '.join(vals)}}}")
    fixed = ", ".join(f"{k}={format_param(v)}" for k, v in fs.not_varied.items() if k not in ("dataset", "model"))
    lines.append(f"not varied (no conclusion possible): {fixed}")
    lines.append("")
    shown = [k for k in fs.varied if k != "exp_type"]
    cols = ["id", "rank", "type", *shown, "status", "test_acc_best", "test_acc_best_epoch", "test_acc_final",
            "train_acc_final", "train_test_gap_final", "train_loss_change_last", "test_loss_change_last", "margin", "flags"]
    lines.append("## Trials (placeholders: trial.<id>.<column>; accuracies and gap in %, loss changes in % over the last epochs)")
    lines.append("|".join(cols))
    flags: dict[str, list[str]] = {}
    for fl in fs.flags:
        flags.setdefault(fl.trial_id, []).append(fl.kind)
    order = list(fs.ranked.index) + [i for i in t.index if i not in set(fs.ranked.index)]
    for tid in order:
        r = t.loc[tid]
        rank = _num(r["rank_test_acc_best"], ".0f")
        row = [tid, rank, str(r["exp_type"]), *[format_param(r[k]) for k in shown], str(r["status"]),
               _pct(r["test_acc_best"]), _num(r["test_acc_best_epoch"], ".0f"), _pct(r["test_acc_final"]),
               _pct(r["train_acc_final"]), _pct(r["train_test_gap_final"]),
               _num(r["train_loss_change_last"] * 100, "+.1f"),
               _num(r["test_loss_change_last"] * 100, "+.1f"),
               _num(r["margin"], ".3f"), ",".join(flags.get(tid, []))]
        lines.append("|".join(row))
    lines.append("")
    if fs.top:
        lines.append("## Best trials (all parameters)")
        for i, tid in enumerate(fs.top, start=1):
            lines.append(f"top.{i} = {tid}: {params_text(t.loc[tid])}")
        for typ, tid in fs.best_per_type.items():
            lines.append(f"type.{typ} = {tid} (type.{typ}.test_acc_best_mean = {fs.facts[f'type.{typ}.test_acc_best_mean'].display()}, "
                         f"type.{typ}.n_trials = {fs.facts[f'type.{typ}.n_trials'].display()})")
        bt = fs.facts.get("best_train.trial_id")
        if bt is not None:
            lines.append(f"best_train = {bt.value} (highest final train accuracy; its test rank is "
                         f"{fs.facts['best_train.rank_test_acc_best'].display()})")
        lines.append("")
    if fs.sensitivity:
        lines.append("## Sensitivity (per value: sens.<param>.<value>.<field>; accuracies in %)")
        for key, df in fs.sensitivity.items():
            rng = fs.facts.get(f"sens.{key}.test_acc_best_mean_range")
            lines.append(f"{key}: sens.{key}.test_acc_best_mean_range = {rng.display() if rng else 'n/a'}")
            for _, row in df.iterrows():
                lines.append(f"  sens.{key}.{row['value']}: n_trials={int(row['n_trials'])} test_acc_best_mean={_pct(row['test_acc_best_mean'])} "
                             f"test_acc_best_max={_pct(row['test_acc_best_max'])} best_trial={row['best_trial']}"
                             + (f" n_diverged={int(row['n_diverged'])}" if row["n_diverged"] else ""))
        lines.append("")
    lines.append("## Flags (rule that raised each)")
    if fs.flags:
        for fl in fs.flags:
            lines.append(f"{fl.trial_id} {fl.kind}: {fl.rule}")
    else:
        lines.append("none")
    rules = ", ".join(f"{n} = {f.display().lstrip('+')}" for n, f in fs.facts.items() if n.startswith("rule."))
    lines.append(f"rules: {rules}")
    for w in fs.warnings:
        lines.append(f"warning: {w}")
    return "\n".join(lines)


def build_prompt(fs: FactSheet) -> tuple[str, str, list[str]]:
    """(system message, user message, template sources)."""
    system_t, src1 = load_template(SYSTEM_FILE)
    user_t, src2 = load_template(USER_FILE)
    sections = "\n".join(heading(k) for k in LLM_SECTIONS)
    values = {"sections": sections, "run_id": fs.run_id, "name": fs.name, "fact_sheet": fact_sheet_text(fs)}
    system = string.Template(system_t).safe_substitute(values)
    user = string.Template(user_t).safe_substitute(values)
    return system, user, [src1, src2]


def prompt_file_text(system: str, user: str, model: Optional[str], sources: list[str]) -> str:
    """What is saved as report_prompt.md: exactly the messages sent (never any key)."""
    return (f"<!-- the exact messages sent to the model {model or '?'}; templates: {', '.join(sources)} -->\n\n"
            f"# System message\n\n{system}\n\n# User message\n\n{user}\n")


# The shipped templates (identical to prompts/*.md; tests/test_report_prompt.py checks that).
DEFAULT_SYSTEM = """You are an experienced machine-learning researcher. You write the analysis of a
finished hyperparameter sweep for the colleague who ran it: what happened, which
parameters won and why, and what to run next. Be concrete and brief; no filler.

Rules for numbers (they are checked):
1. Do not type any result number yourself. Write every accuracy, loss, gap,
   margin, epoch, duration and count as a placeholder that names a fact from the
   fact sheet, e.g. {{best.test_acc_best}} or {{trial.t007.train_acc_final}};
   sweepdeck replaces it with the exact value and its unit (89.15%, 3.12 pp,
   0.2363): do not add a % sign. Do not compute differences, ratios or
   averages: quote the facts that exist.
2. Placeholders: {{trial.<id>.<field>}}, {{best.<field>}} (the best trial by
   test_acc_best), {{top.<1|2|3>.<field>}}, {{type.<Summation|Multiplication|No_Regularization>.<field>}}
   (the best trial of that experiment type, plus type.<T>.test_acc_best_mean and
   type.<T>.n_trials), {{best_train.<field>}} (the trial with the highest final
   train accuracy), {{sens.<param>.<value>.<test_acc_best_mean|test_acc_best_max|n_trials|best_trial>}},
   {{sens.<param>.test_acc_best_mean_range}}, and the run.* and rule.* names listed
   in the fact sheet. Trial fields: test_acc_best, test_acc_best_epoch,
   test_acc_final, train_acc_final, train_test_gap_final, test_loss_final,
   train_loss_final, train_loss_change_last, test_loss_change_last, margin,
   epochs_per_s, duration_s, epochs_done, rank_test_acc_best, params (all
   parameters of the trial), label, status, trial_id, and each parameter name.
3. Parameter values (lr = 0.01, l2_sum_lambda = 0.001) may be written as plain
   numbers; in the Recommendations you may propose new values.
4. Always name the split: "test accuracy" or "train accuracy", never a bare
   "accuracy". Trials are ranked by best test accuracy (test_acc_best). A high
   train accuracy is not a result: never present it as the best result.
5. When you name a best or top trial, state all of its parameters ({{best.params}}).
6. Nothing can be concluded about a parameter that was not varied: say so
   instead of guessing.

Write Markdown with exactly these sections, in this order:
$sections
Do not write a table of all trials, charts or a fact check: sweepdeck appends
them after your text.
"""

DEFAULT_USER = """Here is the fact sheet of sweep `$run_id` ($name). Accuracies are in percent;
`rank` is by best test accuracy; flags come with the rule that raised them.

$fact_sheet

Write the report now: overall performance and signs of over- or underfitting; the
best parameters (all parameters of the best trials); which experiment type did
best; the top 3 trials and the best of each type; notable trends per parameter;
and recommendations for the next sweep as concrete config changes (for example
"lr ∈ [0.005, 0.02]"). Use placeholders for every number from the results.
"""

DEFAULTS = {SYSTEM_FILE: DEFAULT_SYSTEM, USER_FILE: DEFAULT_USER}
