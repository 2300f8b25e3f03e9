"""The synthetic sweeps the hand-written claims corpus (bench/claims_corpus/) is about.

Each corpus report names one of these runs on its first line; the run folder is
rebuilt from tests/support/synthetic.py with the seed given here, so its facts are
the same every time. `python bench/claims_runs.py NAME` prints the digest the
reports were written from (per trial: parameters, best/final accuracies, the
test-accuracy curve), so a reader can check a label by eye.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the checkout: engine/ and tests/support/

from sweepdeck.engine.analysis.facts import FactSheet, build_facts  # noqa: E402
from tests.support.synthetic import make_run, paper_config  # noqa: E402


def _noreg() -> dict[str, Any]:
    c = paper_config(n_lr=2)
    c["l2_sum_lambda"] = [0, 0.001, 0.01]
    return c


# name → (config, make_run keyword arguments)
RUNS: dict[str, tuple[dict[str, Any], dict[str, Any]]] = {
    "paper6": (paper_config(), {"seed": 0}),
    "lr12": (paper_config(n_lr=2), {"seed": 3, "diverge": {"t011": 8}}),
    "grid36": (paper_config(n_lr=3, n_seeds=2), {"seed": 1, "diverge": {"t010": 5}}),
    "noreg": (_noreg(), {"seed": 7}),
    "wn12": (paper_config(n_wn=2), {"seed": 5, "statuses": {"t007": "failed"}}),
    "lrbs": ({"lr": [0.1, 0.03, 0.01], "batchsize": [32, 128], "n_epochs": 20, "l2_sum_lambda": [0.001], "seed": [1],
              "wn": [0.9]}, {"seed": 11}),
}


def build(name: str, root: Path) -> FactSheet:
    cfg, kw = RUNS[name]
    return build_facts(make_run(root / name, cfg, **kw))


def digest(fs: FactSheet) -> str:
    """What a report writer needs to know about the sweep, compactly."""
    t = fs.trials
    m = fs.metrics
    out = [f"{fs.run_id}: {len(t)} trials, {fs.n_epochs} epochs, varied {fs.varied}"]
    for tid, r in t.iterrows():
        g = m[m["trial_id"].astype(str) == tid].sort_values("epoch")
        curve = " ".join(f"{x * 100:.1f}" for x in g["test_acc"])
        tr = " ".join(f"{x * 100:.1f}" for x in g["train_acc"]) if g["train_acc"].notna().any() else ""
        out.append(f"{tid} [{r['label']}] {r['exp_type']} {r['status']} rank={r['rank_test_acc_best']:.0f} "
                   f"best={r['test_acc_best'] * 100:.2f}@{r['test_acc_best_epoch']:.0f} final={r['test_acc_final'] * 100:.2f} "
                   f"train_final={r['train_acc_final'] * 100:.2f} train_best={r['train_acc_best'] * 100:.2f} "
                   f"gap={r['train_test_gap_final'] * 100:.2f} loss_final={r['test_loss_final']:.4f} "
                   f"margin={r['margin']:.4f}")
        out.append(f"    test: {curve}")
        if tr:
            out.append(f"    train: {tr}")
        out.append(f"    test_loss: {' '.join(f'{x:.3f}' for x in g['test_loss'])}")
    for key, df in fs.sensitivity.items():
        out.append(f"sens {key}: " + "; ".join(f"{r['value']}: mean={r['test_acc_best_mean'] * 100:.2f} max={r['test_acc_best_max'] * 100:.2f} "
                                              f"({r['best_trial']}, n={r['n_trials']})" for _, r in df.iterrows()))
    for typ in fs.best_per_type:
        out.append(f"type {typ}: best {fs.best_per_type[typ]} mean={fs.facts[f'type.{typ}.test_acc_best_mean'].display()}")
    out.append("flags: " + "; ".join(f"{f.trial_id} {f.kind}" for f in fs.flags))
    return "\n".join(out)


if __name__ == "__main__":
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        for name in sys.argv[1:] or list(RUNS):
            print(digest(build(name, Path(tmp))))
            print()
