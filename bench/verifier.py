"""How well does the number checker catch planted errors, and how often does it cry wolf?

Builds synthetic sweeps (tests/support/synthetic.py) of several shapes, writes
reports about them from many phrasings (prose, lists, tables; percent and fraction
forms; 0-3 decimals), and checks them with engine/analysis/verify.py:

- clean reports: every number is true (rounded as shown) → fraction of numbers flagged;
- planted reports: exactly one claim is wrong: wrong split (a train accuracy given
  as a test accuracy), wrong trial (another trial's value), off value (shifted
  beyond the rounding shown), swapped ranks (two trials exchanged in a top-3
  table or list) → fraction of planted errors flagged.

    .venv/bin/python bench/verifier.py [--reports 250] [--seed 0]
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the checkout: engine/ and tests/support/

from sweepdeck.engine.analysis.facts import FactSheet, build_facts  # noqa: E402
from sweepdeck.engine.analysis.verify import Verifier  # noqa: E402
from tests.support.synthetic import make_run, paper_config  # noqa: E402


def configs() -> list[dict]:
    out = [paper_config(), paper_config(n_lr=2), paper_config(n_lr=3, n_seeds=2), paper_config(n_lr=2, n_wn=2)]
    c = paper_config(n_lr=2)
    c["l2_sum_lambda"] = [0, 0.001, 0.01]
    out.append(c)
    out.append({"lr": [0.1, 0.03, 0.01], "batchsize": [32, 128], "n_epochs": 20, "l2_sum_lambda": [0.001], "seed": [1]})
    return out


# --- formatting a value the way a writer might ---------------------------------------------------------

def fmt_acc(v: float, rng: random.Random) -> str:
    form = rng.choice(["pct2", "pct2", "pct2", "pct1", "pct1", "frac3", "frac4", "pct0"])
    if form == "pct2":
        return f"{v * 100:.2f}%"
    if form == "pct1":
        return f"{v * 100:.1f}%"
    if form == "pct0":
        return f"{v * 100:.0f}%"
    if form == "frac3":
        return f"{v:.3f}"
    return f"{v:.4f}"


def same_as_shown(shown: str, v: float) -> bool:
    """Would `shown` pass as value v at its own rounding?"""
    pct = shown.endswith("%")
    num = shown.rstrip("%").strip().replace(" pp", "")
    dec = len(num.split(".")[1]) if "." in num else 0
    x = float(num)
    target = v * 100 if pct else v
    return abs(x - target) <= 0.5 * 10 ** -dec + 1e-9


def reformat_like(shown: str, v: float) -> str:
    pct = shown.endswith("%")
    num = shown.rstrip("%")
    dec = len(num.split(".")[1]) if "." in num else 0
    return f"{v * 100:.{dec}f}%" if pct else f"{v:.{dec}f}"


# --- claims ----------------------------------------------------------------------------------------------

class Claim:
    """One sentence or table about the facts; `values` are the (shown text, kind, trial) it quotes."""

    def __init__(self, kind: str, trial: str, render, value: float, extra: dict | None = None):
        self.kind, self.trial, self.render, self.value, self.extra = kind, trial, render, value, extra or {}


BEST_T = [
    "The best trial is {t} with a best test accuracy of {v}.",
    "{t} achieved the highest test accuracy of the sweep ({v}).",
    "Top result: {v} test accuracy, by {t}.",
    "With a best test accuracy of {v}, {t} is the best-performing configuration.",
    "Overall, the best test accuracy ({v}) came from {t}.",
]
TEST_BEST_T = [
    "{t} peaked at {v} test accuracy.",
    "For {t}, the best test accuracy was {v}.",
    "{t} reached a best test accuracy of {v} at epoch {e}.",
    "{t} scored {v} on the test set at its best epoch.",
]
TEST_FINAL_T = [
    "{t} ended with a final test accuracy of {v}.",
    "At the last epoch, {t} scored {v} test accuracy.",
    "The final test accuracy of {t} is {v}.",
]
TRAIN_T = [
    "{t} fits the training data with a final train accuracy of {v}.",
    "The final train accuracy of {t} is {v}.",
    "{t} ends at {v} training accuracy.",
]
GAP_T = ["The final train–test gap of {t} is {v}.", "{t} shows a generalization gap of {v} at the end."]
TYPE_T = ["The best {T} trial, {t}, reached {v} test accuracy.", "Among {T} experiments, {t} did best with a test accuracy of {v}."]
LOSS_T = ["{t}'s final test loss is {v}.", "The test loss of {t} ends at {v}."]
MARGIN_T = ["{t} has a margin of {v}.", "The margin of {t} is {v}."]
SENS_T = ["With {p} = {x}, the mean best test accuracy is {v}.", "Trials with {p} = {x} average {v} best test accuracy."]


def make_claims(fs: FactSheet, rng: random.Random) -> list[Claim]:
    ranked = list(fs.ranked.index)
    t = fs.trials
    claims: list[Claim] = []
    best = ranked[0]
    claims.append(Claim("best", best, rng.choice(BEST_T), t.loc[best, "test_acc_best"]))
    for tid in rng.sample(ranked, min(4, len(ranked))):
        claims.append(Claim("test_best", tid, rng.choice(TEST_BEST_T), t.loc[tid, "test_acc_best"],
                            {"e": int(t.loc[tid, "test_acc_best_epoch"])}))
        claims.append(Claim("test_final", tid, rng.choice(TEST_FINAL_T), t.loc[tid, "test_acc_final"]))
        if fs.has_train_acc:
            claims.append(Claim("train", tid, rng.choice(TRAIN_T), t.loc[tid, "train_acc_final"]))
    tid = rng.choice(ranked)
    if fs.has_train_acc:
        claims.append(Claim("gap", tid, rng.choice(GAP_T), t.loc[tid, "train_test_gap_final"]))
    for typ, tid in fs.best_per_type.items():
        if len(fs.best_per_type) > 1:
            claims.append(Claim("type", tid, rng.choice(TYPE_T), t.loc[tid, "test_acc_best"], {"T": typ}))
    tid = rng.choice(ranked)
    claims.append(Claim("loss", tid, rng.choice(LOSS_T), t.loc[tid, "test_loss_final"]))
    if t.loc[tid, "margin"] == t.loc[tid, "margin"]:
        claims.append(Claim("margin", tid, rng.choice(MARGIN_T), t.loc[tid, "margin"]))
    for key in [k for k in fs.varied if k in ("lr", "batchsize", "wn")][:1]:
        df = fs.sensitivity[key]
        row = df.iloc[rng.randrange(len(df))]
        claims.append(Claim("sens", "", rng.choice(SENS_T), row["test_acc_best_mean"], {"p": key, "x": row["value"]}))
    claims.append(Claim("top3", "", "table" if rng.random() < 0.5 else "list", 0.0, {"ids": ranked[:3]}))
    # compound sentences, as models write them (clean only: several numbers, parentheses, contrasts)
    for _ in range(3):
        claims.append(Claim("compound", rng.choice(ranked), "", 0.0))
    rng.shuffle(claims)
    return claims


def render(c: Claim, fs: FactSheet, rng: random.Random, plant: str | None = None) -> tuple[str, str | None]:
    """(markdown, the planted number as written, if any)."""
    t = fs.trials
    if c.kind == "top3":
        ids = list(c.extra["ids"])
        planted = None
        if plant == "swap" and len(ids) >= 2:
            i, j = rng.sample(range(len(ids)), 2)
            ids[i], ids[j] = ids[j], ids[i]
            planted = "swap"
        vals = [fmt_acc(t.loc[x, "test_acc_best"], rng) for x in ids]
        if planted and rng.random() < 0.5:  # keep the values in rank order, only the trials swapped
            vals = [fmt_acc(t.loc[x, "test_acc_best"], rng) for x in c.extra["ids"]]
        if c.render == "table":
            rows = "\n".join(f"| {k} | {x} | {v} |" for k, (x, v) in enumerate(zip(ids, vals), start=1))
            return f"| Rank | Trial | Best test accuracy |\n|---|---|---|\n{rows}\n", planted
        lines = "\n".join(f"{k}. {x} — best test accuracy {v}" for k, (x, v) in enumerate(zip(ids, vals), start=1))
        return "Top 3 trials:\n\n" + lines + "\n", planted
    if c.kind == "compound":
        return compound(c.trial, fs, rng), None
    value = float(c.value)
    metric = {"loss": "loss", "margin": "margin", "gap": "gap"}.get(c.kind, "acc")
    if metric == "acc":
        shown = fmt_acc(value, rng)
    elif metric == "gap":
        shown = f"{value * 100:.{rng.choice([1, 2])}f} pp"
    elif metric == "loss":
        shown = f"{value:.4f}"
    else:
        shown = f"{value:.3f}"
    tid = c.trial
    planted = None
    if plant:
        shown, tid = corrupt(c, fs, shown, rng, plant)
        planted = shown if shown is not None else None
        if shown is None:
            return "", None
    text = c.render.format(t=tid, v=shown, e=c.extra.get("e", ""), T=c.extra.get("T", ""), p=c.extra.get("p", ""),
                           x=c.extra.get("x", ""))
    return text, planted


def compound(tid: str, fs: FactSheet, rng: random.Random) -> str:
    t = fs.trials
    ranked = list(fs.ranked.index)
    a = lambda x, col: fmt_acc(float(t.loc[x, col]), rng)  # noqa: E731
    other = rng.choice([x for x in ranked if x != tid] or [tid])
    first, second = (tid, other) if t.loc[tid, "test_acc_best"] >= t.loc[other, "test_acc_best"] else (other, tid)
    opts = [
        f"{first} ({a(first, 'test_acc_best')}) edges out {second} ({a(second, 'test_acc_best')}) on best test accuracy.",
        f"In terms of test loss, {tid} finishes at {float(t.loc[tid, 'test_loss_final']):.4f}, while its test accuracy "
        f"settles at {a(tid, 'test_acc_final')}.",
        f"{tid} (lr = {t.loc[tid, 'lr']:g}) reached its peak test accuracy of {a(tid, 'test_acc_best')} in epoch "
        f"{int(t.loc[tid, 'test_acc_best_epoch'])} and ended at {a(tid, 'test_acc_final')}.",
        f"Compared with {second}, which peaks at {a(second, 'test_acc_best')}, {first} reaches {a(first, 'test_acc_best')} "
        "best test accuracy.",
        f"Looking at {tid}: best test accuracy {a(tid, 'test_acc_best')}, final {a(tid, 'test_acc_final')}.",
    ]
    if fs.has_train_acc:
        gap = float(t.loc[tid, "train_test_gap_final"]) * 100
        opts.append(f"{tid} trains to {a(tid, 'train_acc_final')} but tests at {a(tid, 'test_acc_final')} at the end, "
                    f"a gap of {gap:.1f} percentage points.")
        opts.append(f"Train accuracy climbs to {a(tid, 'train_acc_final')} for {tid}; on held-out data it reaches "
                    f"{a(tid, 'test_acc_best')} at best.")
    if len(fs.best_per_type) > 1:
        (t1, _), (t2, _) = list(fs.best_per_type.items())[:2]
        m1 = fs.facts[f"type.{t1}.test_acc_best_mean"].value
        m2 = fs.facts[f"type.{t2}.test_acc_best_mean"].value
        opts.append(f"On average, {t1} trials reach {fmt_acc(m1, rng)} best test accuracy versus {fmt_acc(m2, rng)} "
                    f"for {t2}.")
    if fs.flags:
        fl = rng.choice(fs.flags)
        opts.append(f"{fl.trial_id} is flagged as {fl.kind.replace('_', ' ')} ({fl.rule}).")
    return rng.choice(opts)


def corrupt(c: Claim, fs: FactSheet, shown: str, rng: random.Random, plant: str) -> tuple[str | None, str]:
    """A wrong value for claim c, or None when this claim cannot carry this error."""
    t = fs.trials
    tid = c.trial
    metric = {"loss": "loss", "margin": "margin", "gap": "gap"}.get(c.kind, "acc")
    truth = float(c.value)
    if plant == "split":
        if c.kind not in ("best", "test_best", "test_final", "type") or not fs.has_train_acc:
            return None, tid
        v = float(t.loc[tid, "train_acc_final"])
        if any(same_as_shown(reformat_like(shown, v), float(t.loc[tid, col])) for col in ("test_acc_best", "test_acc_final")):
            return None, tid
        return reformat_like(shown, v), tid
    if plant == "trial":
        if metric != "acc" or c.kind in ("sens", "best"):
            return None, tid
        col = {"test_best": "test_acc_best", "test_final": "test_acc_final", "train": "train_acc_final", "type": "test_acc_best"}[c.kind]
        others = [x for x in fs.ranked.index if x != tid]
        rng.shuffle(others)
        for o in others:
            v = float(t.loc[o, col])
            new = reformat_like(shown, v)
            own = [float(t.loc[tid, k]) for k in ("test_acc_best", "test_acc_final", "train_acc_final") if t.loc[tid, k] == t.loc[tid, k]]
            if not any(same_as_shown(new, x) for x in own):
                return new, tid
        return None, tid
    if plant == "off":
        for _ in range(20):
            if metric in ("acc", "gap"):
                delta = rng.uniform(0.004, 0.04) * rng.choice([-1, 1])
            else:
                delta = truth * rng.uniform(0.05, 0.3) * rng.choice([-1, 1])
            v = truth + delta
            if metric == "acc" and not 0 < v < 1:
                continue
            if metric == "gap":
                new = f"{v * 100:.{len(shown.split(' ')[0].split('.')[1]) if '.' in shown else 0}f} pp"
                if abs(float(new.split(" ")[0]) - truth * 100) > 0.5 * 10 ** -2 * 10:
                    return new, tid
                continue
            if metric == "acc":
                new = reformat_like(shown, v)
                if not same_as_shown(new, truth):
                    return new, tid
            else:
                dec = len(shown.split(".")[1])
                new = f"{v:.{dec}f}"
                if abs(float(new) - truth) > 0.5 * 10 ** -dec:
                    return new, tid
        return None, tid
    return None, tid


def make_report(fs: FactSheet, rng: random.Random, plant: str | None) -> tuple[str, str | None, int]:
    """(markdown, planted marker, line of the planted claim)."""
    claims = make_claims(fs, rng)
    blocks = ["## Overview", "", f"The sweep ran {len(fs.trials)} trials for {fs.n_epochs} epochs each.", ""]
    planted, planted_line = None, -1
    order = list(range(len(claims)))
    target = None
    if plant:
        cands = [i for i, c in enumerate(claims) if (plant == "swap") == (c.kind == "top3")]
        rng.shuffle(cands)
        for i in cands:
            text, p = render(claims[i], fs, random.Random(rng.random()), plant)
            if p:
                target = (i, text, p)
                break
        if target is None:
            return "", None, -1
    for i in order:
        if target and i == target[0]:
            text, p = target[1], target[2]
            planted = p
            planted_line = len("\n".join(blocks).split("\n")) + 1
        else:
            text, _ = render(claims[i], fs, rng)
        if not text:
            continue
        if "\n" in text:
            blocks += ["", *text.rstrip("\n").split("\n"), ""]
            if target and i == target[0]:
                planted_line = len(blocks) - text.rstrip("\n").count("\n") - 1
        else:
            blocks.append(text)
    blocks += ["", "## Recommendations for the next sweep", "", "1. Try lr ∈ [0.005, 0.02] and `\"seed\": [42, 43, 44]`."]
    return "\n".join(blocks), planted, planted_line


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--reports", type=int, default=250, help="reports of each kind (clean, planted)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("-v", "--verbose", action="store_true", help="print every miss and false alarm")
    args = ap.parse_args()
    rng = random.Random(args.seed)
    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        sheets = []
        for i, cfg in enumerate(configs()):
            for s in range(3):
                run = make_run(Path(tmp) / f"r{i}_{s}", cfg, seed=100 * i + s, eval_train_set=(s != 2),
                               diverge={"t002": 5} if s == 1 else None)
                fs = build_facts(run)
                sheets.append((fs, Verifier(fs)))
    t_build = time.perf_counter() - t0
    checked = flagged = 0
    n_clean = 0
    t1 = time.perf_counter()
    while n_clean < args.reports:
        fs, ver = rng.choice(sheets)
        md, _, _ = make_report(fs, rng, None)
        r = ver.verify(md)
        checked += r.n_checked
        flagged += len(r.mismatches)
        n_clean += 1
        if args.verbose:
            for m in r.mismatches:
                print("FALSE ALARM:", m.quote, "|", m.reason)
    kinds = ["split", "trial", "off", "swap"]
    caught = {k: 0 for k in kinds}
    total = {k: 0 for k in kinds}
    n_planted = 0
    while n_planted < args.reports:
        fs, ver = rng.choice(sheets)
        kind = kinds[n_planted % len(kinds)]
        md, planted, line = make_report(fs, rng, kind)
        if planted is None:
            continue
        n_planted += 1
        total[kind] += 1
        r = ver.verify(md)
        lines = md.split("\n")
        if kind == "swap":
            hit = any(abs(m.line - line) <= 4 for m in r.mismatches)
        else:
            hit = any(m.number.replace(" ", "") == planted.replace(" ", "") or m.line == line for m in r.mismatches)
        caught[kind] += hit
        if args.verbose and not hit:
            print(f"MISSED ({kind}): {planted!r} line {line}: {lines[line - 1] if 0 < line <= len(lines) else '?'}")
    t_check = time.perf_counter() - t1
    n_caught = sum(caught.values())
    from sweepdeck.engine.analysis.offline import offline_body
    off_checked = off_flagged = 0
    for fs, ver in sheets:
        r = ver.verify(offline_body(fs))
        off_checked += r.n_checked
        off_flagged += len(r.mismatches)
        if args.verbose:
            for m in r.mismatches:
                print("OFFLINE FALSE ALARM:", m.quote, "|", m.reason)
    print(f"sweeps: {len(sheets)} synthetic run folders ({t_build:.1f} s to build)")
    print(f"clean reports:   {n_clean}, numbers checked: {checked}, correct numbers flagged: {flagged} "
          f"({100 * flagged / max(checked, 1):.2f}%)")
    print(f"planted reports: {n_planted}, planted errors flagged: {n_caught} ({100 * n_caught / n_planted:.1f}%)")
    for k in kinds:
        print(f"  {k:6s} {caught[k]:4d} / {total[k]:4d}  ({100 * caught[k] / max(total[k], 1):.1f}%)")
    print(f"offline reports of those sweeps: {len(sheets)}, numbers checked: {off_checked}, flagged: {off_flagged}")
    print(f"checking time: {1000 * t_check / (n_clean + n_planted):.1f} ms per report")
    ok = n_caught / n_planted >= 0.95 and (flagged + off_flagged) / max(checked + off_checked, 1) <= 0.02
    print("PASS" if ok else "FAIL", "(targets: ≥ 95% of planted errors flagged, ≤ 2% of correct numbers flagged)")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
