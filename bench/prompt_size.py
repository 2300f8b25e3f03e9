"""Prompt size (tokens ≈ characters / 4) for 6, 36 and 216 trials at 25 and 250 epochs,
and how long the offline report takes to write for each.

    .venv/bin/python bench/prompt_size.py
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the checkout: engine/ and tests/support/

from sweepdeck.engine.analysis.facts import build_facts  # noqa: E402
from sweepdeck.engine.analysis.prompt import build_prompt  # noqa: E402
from sweepdeck.engine.report import ReportSettings, generate_report  # noqa: E402
from tests.support.synthetic import make_run, paper_config  # noqa: E402

SHAPES = {6: dict(), 36: dict(n_lr=3, n_seeds=2), 216: dict(n_lr=6, n_seeds=3, n_wn=2)}


def main() -> int:
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for n, shape in SHAPES.items():
            for epochs in (25, 250):
                run = make_run(Path(tmp) / f"r{n}_{epochs}", paper_config(n_epochs=epochs, **shape), seed=n + epochs)
                t0 = time.perf_counter()
                fs = build_facts(run)
                t_facts = time.perf_counter() - t0
                assert len(fs.trials) == n, (n, len(fs.trials))
                system, user, _ = build_prompt(fs)
                chars = len(system) + len(user)
                t0 = time.perf_counter()
                generate_report(run, ReportSettings(offline=True))
                t_report = time.perf_counter() - t0
                rows.append((n, epochs, chars, chars / 4, t_facts, t_report))
    print(f"{'trials':>6} {'epochs':>6} {'prompt chars':>12} {'≈ tokens':>9} {'facts s':>8} {'offline report s':>17}")
    for n, e, c, tok, tf, tr in rows:
        print(f"{n:>6} {e:>6} {c:>12} {tok:>9.0f} {tf:>8.2f} {tr:>17.2f}")
    ok = all(tok < 8000 for n, e, c, tok, *_ in rows if n <= 36)
    print("PASS" if ok else "FAIL", "(target: 36 trials × 250 epochs under 8k tokens)")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
