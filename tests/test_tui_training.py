"""Training: a run's state from its events and the plots' downsampling (no app),
and the live screen following, skipping and stopping sweeps of the fake and the real runner."""

from __future__ import annotations

import os

import pytest

from tests.support.tui import ROOT, kill_quietly, make_app, params_form, press_and_confirm, wait_for

from sweepdeck.engine.events import EpochMetrics
from sweepdeck.tui.app import SweepdeckApp
from sweepdeck.tui.downsample import downsample
from sweepdeck.tui.run_state import RunState

pytestmark = pytest.mark.anyio


def test_run_state_progress_eta_and_resumed_epochs(tmp_path):
    st = RunState(tmp_path)

    def ep(tid, n, acc):
        return EpochMetrics(trial_id=tid, epoch=n, train_loss=1, penalty_sum=0, penalty_mul=0, test_loss=1,
                            test_acc=acc, test_f1=acc, test_confusion=[[1]], lr=0.1, epoch_time_s=2.0, rho=1,
                            layer_norms=[1.0])

    from sweepdeck.engine.events import RunStarted, TrialStarted
    st.apply([RunStarted(run_id="r", name="r", n_trials=2, trial_ids=["t000", "t001"], device="cpu", pid=1, host="h"),
              TrialStarted(trial_id="t000", index=0, label="a", exp_type="x", params={}, n_epochs=4)])
    st.default_epochs = 4
    changed = st.apply([ep("t000", 1, 0.5), ep("t000", 2, 0.7), ep("t000", 3, 0.6)])
    assert changed == {"t000"}
    assert st.trials["t000"].best_test_acc == 0.7
    assert st.epoch_totals() == (3, 8)
    assert st.eta_s() == pytest.approx(5 * 2.0)
    st.apply([ep("t000", 2, 0.55)])  # a resumed trial repeats epoch 2: it replaces 2 and 3
    assert st.trials["t000"].epochs == [1, 2]
    assert st.trials["t000"].best_test_acc == 0.55
    # the words the screen shows: no runner holds a running run any more -> stopped
    assert st.summary_line(live=True).startswith("running  trials 0/2  epochs 2/8")
    assert st.summary_line(live=False).startswith("stopped  trials 0/2")
    assert RunState(tmp_path / "not-yet").summary_line(live=False).startswith("waiting for the runner  trials 0/0")


def test_downsample_keeps_ends_and_bounds_points():
    xs = list(range(1, 10_001))
    ys = [float(x) for x in xs]
    dx, dy = downsample(xs, ys, 160)
    assert len(dx) == 160 and dx[0] == 1 and dx[-1] == 10_000
    assert downsample([1, 2, 3], [1.0, None, 3.0], 10) == ([1, 3], [1.0, 3.0])


def test_run_tail_reads_what_is_new_and_warns_of_problems_once(tmp_path):
    from sweepdeck.engine.events import LogLine, dump_event
    from sweepdeck.tui.run_tail import OUTPUT_TAIL_BYTES, RunTail

    run_dir = tmp_path / "runs" / "r"
    run_dir.mkdir(parents=True)
    events = run_dir / "events.jsonl"
    output = tmp_path / "runs" / ".tui" / "r.log"
    output.parent.mkdir()
    output.write_bytes(b"x" * (2 * OUTPUT_TAIL_BYTES) + b"\nold line\n")
    line = dump_event(LogLine(message="hello", time=1.0))
    events.write_text(line + "\n" + line[:10])  # the second event is mid-write
    now = [0.0]
    tail = RunTail(run_dir, clock=lambda: now[0])

    news = tail.poll()
    assert [e.message for e in news.events] == ["hello"] and not news.live
    assert news.log_lines[-1] == "old line" and len("".join(news.log_lines)) <= OUTPUT_TAIL_BYTES
    assert tail.poll() is None  # nothing new
    with events.open("a") as fh:
        fh.write(line[10:] + "\n{broken\n")
    with output.open("ab") as fh:
        fh.write(b"new\r\npart")
    news = tail.poll()
    assert [e.message for e in news.events] == ["hello"]
    assert news.log_lines[0] == "new" and news.log_lines[1].startswith("warning: events.jsonl: skipped a damaged line")
    assert tail.poll() is None  # the same damage is not repeated
    assert tail.next_poll_s() == 0.25  # a runner may still be starting
    now[0] = 60.0
    assert tail.next_poll_s() == 1.0  # a finished run, nothing new
    output.unlink()
    os.mkfifo(output)  # a shared runs folder may hold anything: it is not read, and nothing hangs
    news = tail.poll()
    assert news.log_lines == ["warning: r.log is not a regular file"]


async def test_start_follow_and_stop_a_sweep(runs, monkeypatch):
    runs_dir, _ = runs
    monkeypatch.setenv("FAKE_EPOCH_S", "0.08")

    app = make_app(runs_dir)
    async with app.run_test(size=(100, 30)) as pilot:
        scr = await params_form(pilot, app)
        scr.set_field("name", "live")
        scr.set_field("lr", "0.1, 0.01")
        scr.set_field("n_epochs", "40")
        scr.set_field("dataset.name", "shapes")
        await pilot.pause()
        await pilot.press("ctrl+r")
        await wait_for(pilot, lambda: app.current_mode == "training")
        run_dir = app.run_dir
        assert run_dir is not None and run_dir.parent == runs_dir
        launch = app.launched[run_dir]
        try:
            tr = app.screen
            table = tr.query_one("#trials")
            # epochs arrive in the table and in the chart's data
            await wait_for(pilot, lambda: tr.state is not None and tr.state.trials.get("t000") is not None
                           and tr.state.trials["t000"].epochs_done >= 3, timeout=15)
            await wait_for(pilot, lambda: "t000" in table.rows and
                           str(table.get_cell("t000", "ep")).split("/")[0] not in ("0", ""), timeout=5)
            chart = tr.query_one("#chart-trial")
            await wait_for(pilot, lambda: len(chart.plotted.get("test_acc", ([], []))[1]) >= 3, timeout=5)
            assert tr.query_one("#chart-all").plotted["t000"][1]
            assert "running" in str(tr.query_one("#progress").render())
            # the runner's output reaches the log pane
            await wait_for(pilot, lambda: any("epoch" in str(line.text) for line in tr.query_one("#log").lines),
                           timeout=5)
            # stop: confirmation, SIGTERM, run marked interrupted
            await pilot.press("s")
            await pilot.pause()
            await pilot.press("y")
            await wait_for(pilot, lambda: launch.proc.poll() is not None, timeout=10)
            assert launch.proc.returncode == 0
            await wait_for(pilot, lambda: tr.state.status == "interrupted", timeout=5)
            await wait_for(pilot, lambda: "interrupted" in str(tr.query_one("#progress").render()), timeout=5)
            # quitting with no live sweep just quits
            await pilot.press("ctrl+q")
            await pilot.pause()
        finally:
            kill_quietly(launch.proc.pid)


async def test_skip_trial_and_quit_leaves_sweep_running(runs, monkeypatch):
    runs_dir, _ = runs
    monkeypatch.setenv("FAKE_EPOCH_S", "0.1")

    app = make_app(runs_dir)
    async with app.run_test(size=(80, 24)) as pilot:
        scr = await params_form(pilot, app)
        scr.set_field("lr", "0.1, 0.01")
        scr.set_field("n_epochs", "200")
        await pilot.pause()
        app.start_sweep(scr.raw())
        await wait_for(pilot, lambda: app.current_mode == "training")
        launch = app.launched[app.run_dir]
        try:
            tr = app.screen
            await wait_for(pilot, lambda: tr.live and tr.state.current == "t000", timeout=15)
            await press_and_confirm(pilot, "x")
            await wait_for(pilot, lambda: tr.state.trials["t000"].status == "skipped", timeout=10)
            await wait_for(pilot, lambda: tr.state.current == "t001", timeout=10)
            await pilot.press("ctrl+q")
            await pilot.pause()
            from sweepdeck.tui.screens.modals import ChoiceScreen
            assert isinstance(app.screen, ChoiceScreen)
            await pilot.press("l")
            await pilot.pause()
            assert launch.proc.poll() is None  # left running
        finally:
            kill_quietly(launch.proc.pid)


async def test_real_trainer_on_shapes_follow_skip_and_stop(runs):
    """The same as above with the real runner (`python -m sweepdeck.engine.cli run`)."""
    if not (ROOT / "engine" / "cli.py").exists():
        pytest.skip("the trainer CLI is not there yet")
    runs_dir, _ = runs

    # Far more epochs than the test lasts: a trial that finished before the skip
    # arrived (a tiny epoch takes ~50 ms) would make the skip land on the next one.
    n_epochs = 100_000

    app = SweepdeckApp(runs_dir=runs_dir, cursor_blink=False)  # the default runner: python -m sweepdeck.engine.cli
    async with app.run_test(size=(80, 24)) as pilot:
        scr = await params_form(pilot, app)
        for key, value in {"name": "real", "lr": "0.01, 0.02", "n_epochs": str(n_epochs), "dataset.name": "shapes",
                           "dataset.n_train": "256", "dataset.n_test": "128", "model.name": "tiny",
                           "device": "cpu"}.items():
            scr.set_field(key, value)
        await pilot.pause()
        assert scr.n_trials == 2
        # The past shapes/tiny runs make this sweep look long, so it asks first.
        await wait_for(pilot, lambda: scr.estimate_s is not None and scr.estimate_s > 600)
        await press_and_confirm(pilot, "ctrl+r")
        await wait_for(pilot, lambda: app.current_mode == "training")
        launch = app.launched[app.run_dir]
        try:
            tr = app.screen
            await wait_for(pilot, lambda: tr.live and tr.state.trials.get("t000") is not None
                           and tr.state.trials["t000"].epochs_done >= 1, timeout=60)
            await wait_for(pilot, lambda: len(tr.query_one("#chart-trial").plotted.get("test_acc", ([], []))[1]) >= 1,
                           timeout=5)
            await press_and_confirm(pilot, "x")  # skip t000 (SIGUSR1)
            await wait_for(pilot, lambda: tr.state.trials["t000"].status == "skipped", timeout=30)
            await wait_for(pilot, lambda: tr.state.trials.get("t001") is not None
                           and tr.state.trials["t001"].epochs_done >= 1, timeout=30)
            await press_and_confirm(pilot, "s")  # stop the sweep (SIGTERM)
            await wait_for(pilot, lambda: launch.proc.poll() is not None, timeout=30)
            assert launch.proc.returncode == 0
            await wait_for(pilot, lambda: tr.state.status == "interrupted", timeout=5)
            assert 1 <= tr.state.trials["t000"].epochs_done < n_epochs
            assert tr.state.trials["t001"].status == "interrupted"
        finally:
            kill_quietly(launch.proc.pid)
