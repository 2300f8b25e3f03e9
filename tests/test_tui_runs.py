"""Runs: the browser of past runs: sort, compare, open, delete, resume, and what
it shows of a shared run folder."""

from __future__ import annotations

import json

import pytest

from test_safe_text import PAYLOAD, control_chars
from tests.support.tui import kill_quietly, make_app, press_and_confirm, runs_table, wait_for

pytestmark = pytest.mark.anyio


async def test_runs_open_finished_run_compare_delete(runs):
    runs_dir, made = runs

    app = make_app(runs_dir)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("f4")
        rs = app.screen
        await wait_for(pilot, lambda: getattr(rs, "loaded", False))
        table = rs.query_one("#runs")
        assert table.row_count == 2
        assert rs.current_id() == "20260102-120000-beta"  # newest first
        await pilot.press("s")  # sort by name
        assert rs.current_id() == "20260102-120000-beta"
        await pilot.press("S")
        assert [r.value for r in table.rows][0] == "20260101-120000-alpha"
        # compare: mark one, c on the other
        await pilot.press("space", "up", "c")
        await pilot.pause()
        cmp = app.screen
        assert cmp.query_one("#compare").row_count == 4
        await pilot.press("escape")
        await pilot.pause()
        # open alpha: a finished run shows its full curves
        table.move_cursor(row=table.get_row_index("20260101-120000-alpha"))
        await pilot.press("enter")
        await wait_for(pilot, lambda: app.current_mode == "training")
        tr = app.screen
        await wait_for(pilot, lambda: tr.state is not None and tr.state.status == "completed"
                       and tr.query_one("#trials").row_count == 4)
        await wait_for(pilot, lambda: len(tr.query_one("#chart-all").plotted) == 4)
        assert len(tr.query_one("#chart-trial").plotted["test_acc"][1]) == 20
        await pilot.press("n", "m")
        assert tr.selected == "t001" and tr.metric_group == "loss"
        await pilot.pause(0.6)
        assert set(tr.query_one("#chart-trial").plotted) == {"train_loss", "train_eval_loss", "test_loss"}
        # delete beta after confirmation
        await pilot.press("f4")
        await wait_for(pilot, lambda: rs.loaded and rs.query_one("#runs").row_count == 2)
        table.move_cursor(row=table.get_row_index("20260102-120000-beta"))
        await pilot.press("d")
        await pilot.pause()
        await pilot.press("n")
        assert made["beta"].exists()
        await press_and_confirm(pilot, "d")
        await wait_for(pilot, lambda: rs.query_one("#runs").row_count == 1)
        assert not made["beta"].exists()


async def test_resume_an_interrupted_run_from_the_browser(runs, monkeypatch):
    runs_dir, made = runs
    monkeypatch.setenv("FAKE_EPOCH_S", "0.02")

    app = make_app(runs_dir)
    async with app.run_test(size=(80, 24)) as pilot:
        table = await runs_table(pilot, app)
        table.move_cursor(row=table.get_row_index("20260102-120000-beta"))
        await pilot.press("R")
        await pilot.pause()
        await pilot.press("y")
        await wait_for(pilot, lambda: app.current_mode == "training" and app.run_dir == made["beta"])
        launch = app.launched[made["beta"]]
        try:
            tr = app.screen
            await wait_for(pilot, lambda: tr.state is not None and tr.state.status == "completed"
                           and launch.proc.poll() is not None, timeout=20)
            assert launch.argv[-2:] == ["resume", str(made["beta"])]
            assert tr.state.trials["t003"].status == "completed"
        finally:
            kill_quietly(launch.proc.pid)


async def test_runs_and_training_show_no_escape_sequences_from_a_shared_run_folder(runs):
    runs_dir, made = runs
    payload = PAYLOAD
    path = made["alpha"] / "events.jsonl"
    events = [json.loads(line) for line in path.read_text().splitlines()]
    for e in events:
        if e["type"] == "run_started":
            e["name"] = f"alpha {payload}"
        if e["type"] == "trial_started":
            e["label"] = f"label {payload}"
        if e["type"] == "trial_finished" and e["trial_id"] == "t000":
            e.update(status="failed", error=f"boom {payload}")
    path.write_text("".join(json.dumps(e) + "\n" for e in events))

    app = make_app(runs_dir)
    async with app.run_test(size=(120, 40)) as pilot:
        table = await runs_table(pilot, app)
        cells = [str(c) for row in range(table.row_count) for c in table.get_row_at(row)]
        assert "alpha link" in cells and not control_chars(" ".join(cells))
        table.move_cursor(row=table.get_row_index("20260101-120000-alpha"))
        await pilot.press("enter")
        await wait_for(pilot, lambda: app.current_mode == "training")
        tr = app.screen
        await wait_for(pilot, lambda: tr.state is not None and tr.state.trials.get("t000") is not None
                       and tr.state.trials["t000"].status == "failed")
        await pilot.pause(0.5)
        trials = tr.query_one("#trials")
        cells = [str(c) for row in range(trials.row_count) for c in trials.get_row_at(row)]
        logs = "\n".join(tr.state.logs)
        assert "label link" in cells and "boom link" in logs
        assert not control_chars(" ".join(cells)) and not control_chars(logs)


@pytest.mark.parametrize("size", [(80, 24), (120, 40)])
async def test_runs_show_whole_ids_at_any_width(runs, size):
    """An id is the one thing that names a run (its date, time and name): never cut."""
    from tests.support.tui import make_depth_run, screen_text

    runs_dir, _ = runs
    make_depth_run(runs_dir)
    app = make_app(runs_dir)
    async with app.run_test(size=size) as pilot:
        await runs_table(pilot, app)
        await pilot.pause()
        text = screen_text(app)
        for rid in ("20261127-143012-depth_norm_sweep", "20260101-120000-alpha", "20260102-120000-beta"):
            assert rid in text
