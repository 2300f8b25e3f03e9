"""The prompt: editable templates in prompts/ filled with the compact fact sheet.

Templates use `string.Template` ($name fields), so `{{placeholders}}` in them are
plain text. They are looked up in $SWEEPDECK_PROMPTS_DIR, then ./prompts, then the
ones sweepdeck ships (the repository's prompts/, installed as sweepdeck/prompts/):
the text exists once, in those files.

The fact sheet in the prompt has one line per trial and one per parameter value:
its size grows with the number of trials, never with epochs or batches.
"""

from __future__ import annotations

import os
import string
from pathlib import Path
from typing import Optional

from sweepdeck.engine.analysis.facts import FactSheet, format_param, params_text, plain_value
from sweepdeck.engine.analysis.sections import LLM_SECTIONS, heading

SYSTEM_FILE = "report_system.md"
USER_FILE = "report_user.md"
# prompts/ beside engine/ in a checkout, sweepdeck/prompts/ beside sweepdeck/engine/ installed.
SHIPPED = Path(__file__).resolve().parents[2] / "prompts"


def prompts_dirs() -> list[Path]:
    out = []
    env = os.environ.get("SWEEPDECK_PROMPTS_DIR")
    if env:
        out.append(Path(env))
    out.append(Path.cwd() / "prompts")
    out.append(SHIPPED)
    return out


def load_template(name: str) -> tuple[str, str]:
    """(template text, where it came from)."""
    for d in prompts_dirs():
        p = d / name
        try:
            return p.read_text(encoding="utf-8"), str(p)
        except OSError:
            continue
    raise FileNotFoundError(f"no prompt template {name} in {', '.join(map(str, prompts_dirs()))}: "
                            "reinstall sweepdeck, or set SWEEPDECK_PROMPTS_DIR to a folder that has it")


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
    if "run.ranking" in fs.facts:
        lines.append(f"run.ranking = {fs.facts['run.ranking'].display()}")
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
