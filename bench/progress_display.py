"""The terminal progress display's cost in the runner (issue 15): Rich's live display against
the hand-drawn bar it replaced, per message, as a ratio, and as a share of one core at the
rate workers send (one BatchProgress per worker every worker.BATCH_PROGRESS_S).

    python bench/progress_display.py [n_messages]
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sweepdeck.engine.events import EpochMetrics, RunStarted, TrialStarted  # noqa: E402
from sweepdeck.engine.progress import MIN_REDRAW_S, Progress  # noqa: E402
from sweepdeck.engine.worker import BATCH_PROGRESS_S, BatchProgress  # noqa: E402


class HandDrawnBar:
    """The bar engine/progress.py drew before issue 15 (per epoch only), kept here as the baseline."""

    def __init__(self, out, total: int):
        self.out, self.total, self.done, self.best = out, total, 0, 0.0

    def __call__(self, ev) -> None:
        if isinstance(ev, (EpochMetrics, BatchProgress)):
            self.done += 1
            self.best = max(self.best, getattr(ev, "test_acc", 0.0))
            frac = self.done / self.total
            filled = int(frac * 24)
            self.out.write(f"\r[{'#' * filled}{'-' * (24 - filled)}] {frac:6.1%} {ev.trial_id} ep 1/3 "
                           f"test_acc 0.900 best {self.best:.3f}  ETA 1m 05s ")
            self.out.flush()


def messages(n: int, workers: int = 4) -> list[object]:
    out: list[object] = []
    for i in range(n):
        tid = f"t{i % workers:03d}"
        out.append(BatchProgress(tid, 1 + i // 100, i % 100 + 1, 100) if i % 10 else EpochMetrics(
            trial_id=tid, epoch=1 + i // 100, train_loss=0.5, penalty_sum=0, penalty_mul=0, test_loss=0.4,
            test_acc=0.9, test_f1=0.9, test_confusion=[[1, 0], [0, 1]], lr=0.01, epoch_time_s=1.0, rho=1.0,
            layer_norms=[1.0]))
    return out


def cpu_per_message(listener, msgs: list[object]) -> float:
    t0 = time.process_time()
    for m in msgs:
        listener(m)
    return (time.process_time() - t0) / len(msgs)


def main(n: int = 3000) -> None:
    msgs = messages(n)
    with open(os.devnull, "w") as sink:
        old = cpu_per_message(HandDrawnBar(sink, n), msgs)
        p = Progress(n // 100, 100, out=sink, tty=True, width=100, min_redraw_s=0)  # every message drawn

        p(RunStarted(run_id="r", name="n", n_trials=n // 100, trial_ids=[], device="cpu", pid=1, host="h"))
        for w in range(4):
            p(TrialStarted(trial_id=f"t{w:03d}", index=w, label=f"sum=0.001 lr=0.0{w + 1}", exp_type="Summation",
                           params={}, n_epochs=100))
        new = cpu_per_message(p, msgs)
        p.close()
        throttled = Progress(n // 100, 100, out=sink, tty=True, width=100)
        throttled(RunStarted(run_id="r", name="n", n_trials=n // 100, trial_ids=[], device="cpu", pid=1, host="h"))
        t0 = time.process_time()
        for i, m in enumerate(msgs[:400]):  # 8 workers' rate for 12.5 s of simulated time, drawn as shipped
            throttled(m)
            time.sleep(1 / 32)
        shipped = (time.process_time() - t0) / 12.5
        throttled.close()
    rate = 8 / BATCH_PROGRESS_S  # eight workers at their most frequent
    print(f"per message: hand-drawn {old * 1e6:.0f} µs, Rich {new * 1e6:.0f} µs (ratio {new / old:.1f}x)")
    print(f"Rich drawing every message at {rate:.0f}/s (8 workers): {new * rate * 100:.2f}% of one core in the runner")
    print(f"as shipped (at most {1 / MIN_REDRAW_S:.0f} frames/s): {shipped * 100:.2f}% of one core")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 3000)
