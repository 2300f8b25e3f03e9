"""Training: a run's state from its events and the plots' downsampling (no app),
and the live screen following, skipping and stopping sweeps of the fake and the real runner."""

from __future__ import annotations

import heapq
import os
import random

import pytest

from tests.support.fake_runner import write_running_parallel_run
from tests.support.tui import (
    T0, ROOT, kill_quietly, make_app, params_form, press_and_confirm, start_from_form, wait_for,
)

from sweepdeck.engine.events import EpochMetrics
from sweepdeck.tui.app import SweepdeckApp
from sweepdeck.tui.downsample import downsample
from sweepdeck.tui.run_state import RunState, sweep_eta

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


def test_sweep_eta_shares_whole_trials_among_workers():
    # 3 pending trials of 10 s: one worker takes 30 s, two take 20 s (not the fluid 15 s)
    assert sweep_eta([], 1, 3, 10.0) == 30.0
    assert sweep_eta([], 2, 3, 10.0) == 20.0
    # a worker busy for 25 s more: the other takes every pending trial it can
    assert sweep_eta([25.0], 2, 2, 10.0) == 25.0
    assert sweep_eta([25.0], 2, 3, 10.0) == 30.0
    assert sweep_eta([25.0], 2, 4, 10.0) == 35.0  # the fourth waits for the busy one
    assert sweep_eta([4.0, 6.0], 2, 0, 10.0) == 6.0
    # the same as handing each pending trial to the first free worker, one by one
    rng = random.Random(0)
    for _ in range(2000):
        workers = rng.randint(1, 5)
        busy = [rng.choice([0.0, 0.5, 3.0, rng.uniform(0, 40)]) for _ in range(rng.randint(0, workers))]
        pending, per_trial = rng.randint(0, 30), rng.choice([0.05, 1.0, 7.0, 33.3])
        free = busy + [0.0] * (workers - len(busy))
        end = max(free)
        heapq.heapify(free)
        for _ in range(pending):
            start = heapq.heappop(free)
            heapq.heappush(free, start + per_trial)
            end = max(end, start + per_trial)
        assert sweep_eta(busy, workers, pending, per_trial) == pytest.approx(end), (busy, workers, pending, per_trial)


def test_run_state_follows_several_interleaved_trials(tmp_path):
    from sweepdeck.engine.events import LogLine, RunStarted, TrialFinished, TrialStarted, read_events

    # 3 workers (two on cuda:0), trials t000-t002 running with 3, 2 and 1 epochs of
    # 2, 4 and 6 s each, epochs interleaved newest first; t003 and t004 pending.
    run_dir = write_running_parallel_run(tmp_path, "pool", 5, 10, T0, ["cuda:0", "cuda:1", "cuda:0"], [3, 2, 1])
    st = RunState(run_dir)
    st.apply(read_events(run_dir / "events.jsonl").events)
    assert st.running_ids == ["t000", "t001", "t002"] and st.current == "t002"  # the most recently started
    assert [st.trials[t].epochs for t in st.running_ids] == [[1, 2, 3], [1, 2], [1]]
    assert [st.trials[t].status for t in ("t003", "t004")] == ["pending", "pending"]
    assert st.trials["t001"].where() == "w1 cuda:1" and st.trials["t001"].where(short=True) == "w1 c1"
    # each at its own pace: 7 x 2 s, 8 x 4 s, 9 x 6 s left
    assert [st.trial_eta_s(t) for t in st.running()] == [14.0, 32.0, 54.0]
    # the pending trials (10 epochs at the run's mean 20/6 s) go to the first free
    # workers, at 14 s and 32 s: the sweep ends at 32 + 33.3 s, not after the 146.7 s
    # that one worker would take for the 44 epochs left
    assert st.eta_s() == pytest.approx(32 + 100 / 3)
    assert "trials 0/5 (3 running)" in st.summary_line(live=True)
    # 80 columns: the bar shrinks, then goes, so that the sweep's ETA stays on the line
    for max_len in (78, 66):
        line = st.summary_line(live=True, width=20, max_len=max_len)
        assert len(line) <= max_len and line.endswith("12%  ETA 1m 05s"), line
    assert "[" in st.summary_line(live=True, width=20, max_len=78) and "[" not in line
    logs = "\n".join(st.logs)
    assert "run started: 5 trials on cuda:0, cuda:1, 3 workers, 1 thread each" in logs
    assert "t000 started on w0 cuda:0 (pid 1000)" in logs and "t002 started on w2 cuda:0 (pid 1002)" in logs

    # t002 is skipped: the chart's default goes back to the latest still running
    st.apply([TrialFinished(trial_id="t002", status="skipped", epochs_done=1, duration_s=6.0)])
    assert st.current == "t001" and st.trial_eta_s(st.trials["t002"]) is None
    # t000's worker dies: the runner says so and starts it again elsewhere from its checkpoint
    st.apply([LogLine(level="warning", message="worker 0 (pid 1000) died: SIGKILL; t000 continues"),
              TrialStarted(trial_id="t000", index=0, label="lr=0.1", exp_type="No_Regularization", params={},
                           n_epochs=10, start_epoch=3, worker=2, device="cuda:0", worker_pid=1003),
              ep_event("t000", 3, 0.9)])
    assert st.current == "t000" and st.trials["t000"].where() == "w2 cuda:0"
    assert st.trials["t000"].epochs == [1, 2, 3] and st.trials["t000"].best_test_acc == 0.9
    assert st.logs[-1].endswith("t000 continues from epoch 3 on w2 cuda:0")
    # the runner was killed; a resume starts again: what ran is no longer running
    st.apply([RunStarted(run_id="pool", name="pool", n_trials=5, trial_ids=[f"t00{i}" for i in range(5)],
                         device="cuda:0", pid=2, host="h", resumed=True, workers=3, devices=["cuda:0", "cuda:1"])])
    assert st.current is None and st.trials["t001"].status == "interrupted"


def ep_event(tid: str, n: int, acc: float, epoch_time_s: float = 2.0) -> EpochMetrics:
    return EpochMetrics(trial_id=tid, epoch=n, train_loss=1, penalty_sum=0, penalty_mul=0, test_loss=1,
                        test_acc=acc, test_f1=acc, test_confusion=[[1]], lr=0.1, epoch_time_s=epoch_time_s, rho=1,
                        layer_norms=[1.0])


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
            # (the all-trials chart is redrawn on its own throttle, not with the trial chart: wait for it too)
            chart_all = tr.query_one("#chart-all")
            await wait_for(pilot, lambda: bool(chart_all.plotted.get("t000", ([], []))[1]), timeout=5)
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
        launch = await start_from_form(pilot, app, {"lr": "0.1, 0.01", "n_epochs": "200"})
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
    """The same as above with the real runner (`python -m sweepdeck.engine.cli run`)
    and two workers: both trials run at once; skip one, stop the other."""
    runs_dir, _ = runs

    # Far more epochs than the test lasts: a trial must still be running when the skip arrives.
    n_epochs = 100_000

    app = SweepdeckApp(runs_dir=runs_dir, cursor_blink=False)  # the default runner: python -m sweepdeck.engine.cli
    async with app.run_test(size=(80, 24)) as pilot:
        scr = await params_form(pilot, app)
        for key, value in {"name": "real", "lr": "0.01, 0.02", "n_epochs": str(n_epochs), "dataset.name": "shapes",
                           "dataset.n_train": "256", "dataset.n_test": "128", "model.name": "tiny",
                           "device": "cpu", "parallel.per_device": "2", "parallel.threads": "1"}.items():
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
            await wait_for(pilot, lambda: tr.live and all(
                tr.state.trials.get(t) is not None and tr.state.trials[t].epochs_done >= 1 for t in ("t000", "t001")),
                timeout=60)
            await wait_for(pilot, lambda: len(tr.query_one("#chart-trial").plotted.get("test_acc", ([], []))[1]) >= 1,
                           timeout=5)
            for _ in range(5):  # the chart follows the newest trial; pick the other one
                if tr.selected == "t000":
                    break
                await pilot.press("up")
                await pilot.pause()
            assert tr.selected == "t000"
            await press_and_confirm(pilot, "x")  # skip t000 (a request file the runner reads)
            await wait_for(pilot, lambda: tr.state.trials["t000"].status == "skipped", timeout=30)
            assert tr.state.trials["t001"].status == "running"
            await press_and_confirm(pilot, "s")  # stop the sweep (SIGTERM)
            await wait_for(pilot, lambda: launch.proc.poll() is not None, timeout=30)
            assert launch.proc.returncode == 143  # 128 + SIGTERM: stopped as asked, results kept
            await wait_for(pilot, lambda: tr.state.status == "interrupted", timeout=5)
            assert 1 <= tr.state.trials["t000"].epochs_done < n_epochs
            assert tr.state.trials["t001"].status == "interrupted"
        finally:
            kill_quietly(launch.proc.pid)


@pytest.mark.parametrize("size, where, running, pending", [((80, 24), "w1 c1", "run", "wait"),
                                                           ((120, 40), "w1 cuda:1", "running", "pending")])
async def test_several_running_trials_follow_select_and_skip(runs, size, where, running, pending):
    """A pool's run mid-sweep (synthetic, interleaved, kept live by a lock this
    test holds): every running trial in the table, the chart following the newest
    until the user selects, skip requests for the selected trial."""
    from sweepdeck.engine.events import TrialFinished, TrialStarted, append_event
    from sweepdeck.engine.store import acquire_lock
    from sweepdeck.tui.screens.modals import ConfirmScreen

    runs_dir, _ = runs
    run_dir = write_running_parallel_run(runs_dir, "20260103-120000-pool", 5, 10, T0,
                                         ["cuda:0", "cuda:1", "cuda:0"], [3, 2, 1])
    lock = acquire_lock(run_dir)
    try:
        app = make_app(runs_dir, attach=run_dir)
        async with app.run_test(size=size) as pilot:
            tr = app.screen
            table = tr.query_one("#trials")
            await wait_for(pilot, lambda: tr.live and table.row_count == 5 and tr.selected == "t002")

            def row(tid):
                return {key.value: str(table.get_cell(tid, key)) for key in table.columns}

            assert row("t001") == {"trial": "t001", "status": running, "ep": "2/10", "eta": "32s", "best": row("t001")["best"],
                                   "where": where, "label": "lr=0.05"}
            assert row("t004")["status"] == pending and row("t004")["ep"] == "0/10" and row("t004")["eta"] == ""
            assert "trials 0/5 (3 running)" in str(tr.query_one("#progress").render())
            # the chart follows the most recently started trial
            await wait_for(pilot, lambda: len(tr.query_one("#chart-trial").plotted.get("test_acc", ([], []))[1]) == 1)
            assert any("t001 started on w1 cuda:1" in str(line.text) for line in tr.query_one("#log").lines)

            with (run_dir / "events.jsonl").open("a", encoding="utf-8") as fh:
                append_event(fh, TrialFinished(trial_id="t002", status="completed", epochs_done=1, duration_s=6.0))
                append_event(fh, TrialStarted(trial_id="t003", index=3, label="lr=0.01", exp_type="No_Regularization",
                                              params={}, n_epochs=10, worker=2, device="cuda:0"))
            await wait_for(pilot, lambda: tr.selected == "t003" and table.cursor_row == 3)
            # the user picks t001: the chart stays there when another trial starts
            await pilot.press("up", "up")
            await wait_for(pilot, lambda: tr.selected == "t001" and not tr.auto_follow)
            with (run_dir / "events.jsonl").open("a", encoding="utf-8") as fh:
                append_event(fh, TrialStarted(trial_id="t004", index=4, label="lr=0.005", exp_type="No_Regularization",
                                              params={}, n_epochs=10, worker=0, device="cuda:0"))
            await wait_for(pilot, lambda: tr.state.current == "t004")
            await pilot.pause(0.6)  # a redraw or two
            assert tr.selected == "t001"
            assert len(tr.query_one("#chart-trial").plotted["test_acc"][1]) == 2  # t001's two epochs

            # x asks, naming the selected trial, and leaves requests/skip.t001 for the runner
            await pilot.press("x")
            await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen))
            assert app.screen.question == "Skip running trial t001 (lr=0.05)?"
            await pilot.press("n")
            await pilot.pause()
            assert not (run_dir / "requests" / "skip.t001").exists()  # no means no
            await press_and_confirm(pilot, "x")
            await wait_for(pilot, lambda: (run_dir / "requests" / "skip.t001").exists())
            # a finished trial cannot be skipped: no question, no request
            await pilot.press("down")
            await wait_for(pilot, lambda: tr.selected == "t002")
            await pilot.press("x")
            await pilot.pause()
            assert not isinstance(app.screen, ConfirmScreen)
            assert not (run_dir / "requests" / "skip.t002").exists()
            assert any(n.message.startswith("t002 has ended (completed): select a running or pending trial")
                       for n in app._notifications)
    finally:
        lock.release()


async def test_skip_one_of_two_running_trials_of_the_fake_pool(runs, monkeypatch):
    """The fake runner with 2 workers: the skip key on a running trial that is not
    the followed one skips just that trial; the other goes on, the next one starts."""
    runs_dir, _ = runs
    monkeypatch.setenv("FAKE_EPOCH_S", "0.1")

    app = make_app(runs_dir)
    async with app.run_test(size=(80, 24)) as pilot:
        launch = await start_from_form(pilot, app, {"lr": "0.1, 0.01, 0.001", "n_epochs": "200",
                                                    "parallel.per_device": "2"})
        try:
            tr = app.screen
            await wait_for(pilot, lambda: tr.live and tr.state.running_ids == ["t000", "t001"]
                           and tr.selected == "t001", timeout=15)
            assert tr.state.workers == 2
            await pilot.press("up")
            await wait_for(pilot, lambda: tr.selected == "t000")
            await press_and_confirm(pilot, "x")
            await wait_for(pilot, lambda: tr.state.trials["t000"].status == "skipped", timeout=10)
            await wait_for(pilot, lambda: tr.state.running_ids == ["t001", "t002"], timeout=10)
            assert tr.state.trials["t001"].status == "running"
            await press_and_confirm(pilot, "s")
            await wait_for(pilot, lambda: launch.proc.poll() is not None, timeout=10)
            await wait_for(pilot, lambda: tr.state.status == "interrupted", timeout=5)
            assert {tr.state.trials[t].status for t in ("t001", "t002")} == {"interrupted"}
        finally:
            kill_quietly(launch.proc.pid)


def test_fit_labels_keeps_values_and_tells_trials_apart():
    from sweepdeck.tui.labels import fit_labels, fit_labels_with_header

    labels = ["sum=0.0001 lr=0.1 depth_norm=False", "sum=0.0001 lr=0.1 depth_norm=True", "no-reg lr=0.1 depth_norm=True"]
    assert fit_labels(labels, 40) == labels
    # keys shrink, values never do; the whole column takes the same form
    assert fit_labels(labels, 30) == ["sum=0.0001 lr=0.1 dn=False", "sum=0.0001 lr=0.1 dn=True", "no-reg lr=0.1 dn=True"]
    # no room even so: what changes from trial to trial comes first, the cut falls on what they share
    narrow = fit_labels(labels, 14)
    assert narrow[:2] == ["dn=False lr=0…", "dn=True lr=0.…"] and all(len(x) <= 14 for x in narrow)
    assert fit_labels(["single trial"], 8) == ["single…"]
    # a table's column: the keys can go to its header, the values stay
    labels = ["sum=0.0001 lr=0.1 depth_norm=False", "mul=0.0001 lr=0.1 depth_norm=False", "no-reg lr=0.1 depth_norm=True"]
    assert fit_labels_with_header(labels, 19) == (["s=0.0001 0.1 False", "m=0.0001 0.1 False", "no-reg 0.1 True"], "lr dn")
    tight, header = fit_labels_with_header(labels, 16)
    assert header == "dn lr pen" and tight[:2] == ["False 0.1 s=0.0…", "False 0.1 m=0.0…"]  # the type still shows


@pytest.mark.parametrize("size", [(80, 24), (120, 40)])
async def test_training_table_shows_what_tells_trials_apart(runs, size):
    """Labels that differ only in their last value read differently at any width;
    with room, the whole label (short keys) is on screen."""
    from tests.support.tui import make_depth_run, screen_text

    runs_dir, _ = runs
    run_dir = make_depth_run(runs_dir)
    app = make_app(runs_dir, attach=run_dir)
    async with app.run_test(size=size) as pilot:
        tr = app.screen
        table = tr.query_one("#trials")
        await wait_for(pilot, lambda: table.row_count == 8 and tr.redraws > 0 and not tr._dirty)
        await pilot.pause(0.6)  # a tick after the first layout: the labels fitted to the column
        shown = [str(table.get_cell(f"t00{i}", "label")) for i in range(8)]
        assert len(set(shown)) == 8, shown  # no two trials read alike
        room = table.size.width - sum(c.get_render_width(table) for k, c in table.columns.items() if k.value != "label")
        assert all(len(label) + 2 <= room for label in shown), (shown, room)  # nothing is cut by the table itself
        text = screen_text(app)
        for label in shown:
            assert label in text
        if size[0] >= 120:
            assert "sum=0.0001 lr=0.1 depth_norm=False" in text and "mul=0.0001 lr=0.01 depth_norm=True" in text
        # the trial chart's title names the trial and as much of its label as fits
        assert "t000 accuracy  " in text


async def test_log_pane_says_each_thing_once(runs):
    """The runner prints the events it writes: the pane shows each once, whichever comes first."""
    from sweepdeck.engine.events import RunFinished, TrialFinished
    from sweepdeck.tui.messages import RunUpdate

    runs_dir, made = runs
    app = make_app(runs_dir, attach=made["alpha"])
    async with app.run_test(size=(120, 40)) as pilot:
        tr = app.screen
        await wait_for(pilot, lambda: tr.state is not None and tr.state.status == "completed" and not tr._dirty)
        log = tr.query_one("#log")
        before = len(log.lines)
        run_dir = made["alpha"]
        tr.post_message(RunUpdate(run_dir, [TrialFinished(trial_id="t003", status="completed", epochs_done=3, duration_s=1.0)],
                                  ["t003 epoch 3/3 test_acc 0.9", "t003 completed after 3 epochs"], False))
        # the runner's line may come before the event it repeats
        tr.post_message(RunUpdate(run_dir, [], ["run completed in 5s"], False))
        tr.post_message(RunUpdate(run_dir, [RunFinished(status="completed")], [], False))
        await wait_for(pilot, lambda: not tr._pending_log and len(log.lines) > before)
        await pilot.pause(0.6)
        new = [str(line.text) for line in log.lines[before:]]
        assert sum("t003 completed after 3 epochs" in line for line in new) == 1, new
        assert sum("run completed" in line for line in new) == 1, new
        assert any("t003 epoch 3/3" in line for line in new)


async def test_follow_stays_on_until_the_user_moves_the_cursor(runs):
    """Re-attached to a running sweep (plain `sweepdeck`): a highlight the screen
    did not get from the user (here: the program moving the cursor) leaves follow
    on, so the chart moves on to each trial as it starts; the user's key turns it off."""
    from sweepdeck.engine.events import TrialFinished, TrialStarted, append_event
    from sweepdeck.engine.store import acquire_lock

    runs_dir, _ = runs
    run_dir = write_running_parallel_run(runs_dir, "20260103-120000-pool", 4, 10, T0, ["cpu"], [3])
    lock = acquire_lock(run_dir)
    try:
        app = make_app(runs_dir)  # no attach: it finds the live run
        async with app.run_test(size=(100, 30)) as pilot:
            await wait_for(pilot, lambda: app.current_mode == "training")
            tr = app.screen
            table = tr.query_one("#trials")
            await wait_for(pilot, lambda: tr.live and table.row_count == 4 and tr.selected == "t000")
            table.move_cursor(row=2)  # not a key of the user's
            await pilot.pause(0.1)
            assert tr.auto_follow
            with (run_dir / "events.jsonl").open("a", encoding="utf-8") as fh:
                append_event(fh, TrialFinished(trial_id="t000", status="completed", epochs_done=10, duration_s=6.0))
                append_event(fh, TrialStarted(trial_id="t001", index=1, label="lr=0.05", exp_type="No_Regularization",
                                              params={}, n_epochs=10, worker=0, device="cpu"))
            await wait_for(pilot, lambda: tr.selected == "t001" and table.cursor_row == 1)
            await pilot.press("down")
            await wait_for(pilot, lambda: tr.selected == "t002")
            assert not tr.auto_follow
    finally:
        lock.release()


async def test_no_color_charts_mark_each_series_its_own_way(runs, monkeypatch):
    from tests.support.tui import screen_text

    monkeypatch.setenv("NO_COLOR", "1")
    runs_dir, made = runs
    app = make_app(runs_dir, attach=made["alpha"])
    async with app.run_test(size=(120, 40)) as pilot:
        tr = app.screen
        await wait_for(pilot, lambda: tr.state is not None and tr.state.status == "completed" and not tr._dirty)
        await pilot.pause(0.3)
        text = screen_text(app)
        # the legends: one mark per series, none shared
        assert "* train_acc" in text and "+ test_acc" in text
        assert "* t000" in text and "+ t001" in text and "x t002" in text and "o t003" in text


async def test_a_sweep_that_does_not_start_says_why_and_goes_back_to_params(tmp_path):
    """The form's default (cifar10, not on disk): the runner's one line, not `waiting for the runner` for good."""
    import sys

    from sweepdeck.tui.app import SweepdeckApp
    from tests.support.tui import params_form, screen_text

    why = ("CIFAR-10 not found in data/cifar10: download it with \"dataset.download\": true (needs internet) "
           "or copy the files there")
    failing = [sys.executable, "-c", f"import sys; print('loading data...'); "
                                     f"print({('sweepdeck: ' + why)!r}, file=sys.stderr); sys.exit(2)"]
    app = SweepdeckApp(runs_dir=tmp_path / "runs", runner_cmd=failing, cursor_blink=False)
    async with app.run_test(size=(80, 24)) as pilot:
        scr = await params_form(pilot, app)
        app.start_sweep(scr.raw())
        run_dir = app.run_dir
        await wait_for(pilot, lambda: app.failed_starts.get(run_dir) == why)
        await wait_for(pilot, lambda: app.current_mode == "params")
        await pilot.pause()
        note = app.screen.query_one("#start-error")
        assert note.display and str(note.render()) == f"The last run did not start: {why}"
        assert "The last run did not start" in screen_text(app)  # on screen, beside the form
        await pilot.press("f3")  # Training says the same, and what to do
        await wait_for(pilot, lambda: app.current_mode == "training")
        tr = app.screen
        await wait_for(pilot, lambda: "did not start" in str(tr.query_one("#progress").render()))
        progress = str(tr.query_one("#progress").render())
        assert why in progress.replace("\n", " ") and "F2" in progress and "waiting for the runner" not in progress
