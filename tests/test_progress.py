"""What `sweepdeck run` prints while it trains: Rich's live display on a terminal, plain lines
otherwise; the workers' throttled batch progress that feeds the display (issue 15)."""

from __future__ import annotations

import io
import re
from pathlib import Path

from conftest import events_of, sweep_into, tiny_raw
from sweepdeck.engine import store
from sweepdeck.engine.events import EpochMetrics, LogLine, RunFinished, RunStarted, TrialFinished, TrialStarted
from sweepdeck.engine.progress import Progress
from sweepdeck.engine.worker import BATCH_PROGRESS_S, BatchProgress, _throttled_progress

ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


def epoch(trial_id: str, n: int, acc: float) -> EpochMetrics:
    return EpochMetrics(trial_id=trial_id, epoch=n, train_loss=0.5, penalty_sum=0, penalty_mul=0, train_acc=acc,
                        test_loss=0.4, test_acc=acc, test_f1=acc, test_confusion=[[1, 0], [0, 1]], lr=0.01,
                        epoch_time_s=1.0, rho=1.0, layer_norms=[1.0])


def started(trial_id: str, label: str) -> TrialStarted:
    return TrialStarted(trial_id=trial_id, index=0, label=label, exp_type="Summation", params={}, n_epochs=3, worker=0,
                        device="cpu")


def frames(text: str) -> list[str]:
    """The display's successive frames, escape sequences removed."""
    return [ANSI.sub("", f) for f in re.split(r"\r", text)]


def drive(p: Progress) -> None:
    p(RunStarted(run_id="r1", name="n", n_trials=2, trial_ids=["t000", "t001"], device="cpu", pid=1, host="h"))
    p(started("t000", "sum=0.01 lr=[bold]0.1"))
    p(BatchProgress("t000", 1, 1, 40))
    p(BatchProgress("t000", 1, 10, 40))
    p(epoch("t000", 1, 0.994))
    p(BatchProgress("t000", 2, 20, 40))
    p(LogLine(level="warning", message="a warning"))
    p(TrialFinished(trial_id="t000", status="completed", epochs_done=3, duration_s=3.0))
    p(RunFinished(status="completed"))


def test_a_terminal_gets_a_live_display_from_the_first_batch():
    out = io.StringIO()
    drive(Progress(2, 3, out=out, tty=True, width=120, min_redraw_s=0))  # every update drawn
    text = out.getvalue()
    shown = frames(text)
    first_batch = next(f for f in shown if "batch 1/40" in f)
    assert "t000 sum=0.01 lr=[bold]0.1" in first_batch  # a label's brackets are text, not Rich markup
    assert "epoch 1/3  batch 1/40" in first_batch and "0/2 trials" in first_batch
    assert "4.2%" in next(f for f in shown if "batch 10/40" in f)  # a quarter of one epoch of 6: inside an epoch
    after = next(f for f in shown if "batch 20/40" in f)
    assert "sweep best 99.40%" in after and "test acc 99.40%" in after and "epoch 2/3  batch 20/40" in after
    assert "warning: a warning\n" in ANSI.sub("", text) and "t000 completed after 3 epochs\n" in ANSI.sub("", text)
    assert text.rstrip().endswith("run completed in 0s") and "\x1b[?25h" in text  # the cursor comes back


def test_a_burst_of_batch_progress_is_drawn_a_few_times_a_second():
    out = io.StringIO()
    p = Progress(1, 1, out=out, tty=True, width=100)  # at most one frame per MIN_REDRAW_S for batch progress
    p(RunStarted(run_id="r", name="n", n_trials=1, trial_ids=["t000"], device="cpu", pid=1, host="h"))
    p(started("t000", "lr=0.1"))
    before = out.getvalue().count("\r")
    for b in range(1, 101):  # eight workers' worth arriving at once
        p(BatchProgress("t000", 1, b, 100))
    assert out.getvalue().count("\r") - before <= 1
    p(TrialFinished(trial_id="t000", status="completed", epochs_done=1, duration_s=1.0))  # drawn at once
    assert "1/1 trials" in frames(out.getvalue())[-1]
    p.close()


def test_plain_output_keeps_one_line_per_epoch_and_ignores_batches():
    out = io.StringIO()
    drive(Progress(2, 3, out=out, tty=False))
    lines = out.getvalue().splitlines()
    assert lines[0] == "run r1: 2 trials on cpu"
    assert lines[1] == "t000 started on worker 0 (cpu): sum=0.01 lr=[bold]0.1"
    assert re.fullmatch(r"t000 epoch 1/3 loss=0\.5000 train_acc=0\.9940 test_acc=0\.9940 \(\S+ left\)", lines[2])
    assert lines[3:5] == ["warning: a warning", "t000 completed after 3 epochs"]
    assert lines[5].startswith("run completed in ") and len(lines) == 6
    assert "\x1b[?25" not in out.getvalue() and "batch" not in out.getvalue()


def test_close_is_safe_twice_and_ends_the_display():
    out = io.StringIO()
    p = Progress(1, 1, out=out, tty=True, width=80)
    p(RunStarted(run_id="r", name="n", n_trials=1, trial_ids=["t000"], device="cpu", pid=1, host="h"))
    p.close()
    p.close()
    assert out.getvalue().count("\x1b[?25h") == 1
    p(LogLine(level="info", message="after"))
    assert out.getvalue().endswith("info: after\n")


def test_batch_progress_is_throttled_to_a_few_a_second(monkeypatch):
    import sweepdeck.engine.worker as worker

    now = [100.0]
    monkeypatch.setattr(worker.time, "monotonic", lambda: now[0])
    sent: list[BatchProgress] = []
    on_batch = _throttled_progress("t000", sent.append)
    for b in range(1, 1001):  # 1000 batches in one instant: only the first is sent
        on_batch(1, b, 1000)
    assert [(m.epoch, m.batch) for m in sent] == [(1, 1)]
    for b in range(1, 33):  # 32 batches over 2 s: one every BATCH_PROGRESS_S
        now[0] += 0.0625
        on_batch(2, b, 32)
    assert len(sent) == 1 + round(2 / BATCH_PROGRESS_S)
    assert all(0 < m.batch <= m.n_batches for m in sent)


def test_a_sweep_forwards_batch_progress_to_listeners_and_not_to_the_log(tmp_path: Path):
    seen: list[object] = []
    sweep_into(tmp_path / "run", tiny_raw(n_epochs=1), listeners=[seen.append])
    batches = [m for m in seen if isinstance(m, BatchProgress)]
    assert batches and (batches[0].trial_id, batches[0].epoch, batches[0].batch) == ("t000", 1, 1)  # from the first batch
    assert batches[0].n_batches == 4  # 256 images at batch size 64
    assert seen.index(batches[0]) < next(i for i, m in enumerate(seen) if isinstance(m, EpochMetrics))
    logged = (tmp_path / "run" / store.EVENTS).read_bytes().splitlines()
    assert len(logged) == len(seen) - len(batches)  # every other message is an event of the log; these are not
    assert len(events_of(tmp_path / "run", EpochMetrics)) == 1
