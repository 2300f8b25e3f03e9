"""Snapshots of every section at 80x24 and 120x40 (pytest-textual-snapshot).

Fixed fake runs (fixed times, no locks), relative paths, no cursor blink. The
Training, Runs and Report sections show a realistic sweep: 8 trials whose labels
differ only in their last value (tests.support.tui.DEPTH_SWEEP).
Update after an intended change with: pytest tests/test_tui_snapshots.py --snapshot-update
"""

from __future__ import annotations

import pytest

from tests.support.tui import DEPTH_SWEEP, make_depth_run, make_runs, wait_for

from sweepdeck.tui.app import SweepdeckApp
from sweepdeck.tui.screens.modals import HelpScreen

SIZES = [pytest.param((80, 24), id="80x24"), pytest.param((120, 40), id="120x40")]


@pytest.fixture
def runs(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("NO_COLOR", raising=False)
    made = make_runs(tmp_path / "runs")
    made["depth"] = make_depth_run(tmp_path / "runs")
    return made


def app_for(**kw) -> SweepdeckApp:
    return SweepdeckApp(runs_dir="runs", cursor_blink=False, **kw)


async def open_runs_sized(pilot, app: SweepdeckApp) -> None:
    """Open Runs and wait until its table has sized its columns to the rows: it does so on a later
    refresh, and under load a snapshot taken at once showed every column at its header's width
    ("interr", "2026")."""
    await pilot.press("f4")
    await wait_for(pilot, lambda: app.current_mode == "runs" and app.screen.loaded)
    await app.workers.wait_for_complete()  # the listing that the screen's first resume starts, too
    await pilot.pause()
    table = app.screen.query_one("#runs")
    await wait_for(pilot, lambda: all(c.content_width >= max((len(str(v)) for v in table.get_column(k)), default=0)
                                      for k, c in table.columns.items()))


@pytest.mark.parametrize("size", SIZES)
def test_params_snapshot(snap_compare, runs, size):
    app = app_for()

    async def ready(pilot):
        await wait_for(pilot, lambda: app.current_mode == "params" and getattr(app.screen, "ready", False))
        app.screen.set_field("lr", "0.1, 0.01")
        app.screen.set_field("n_epochs", "-3")  # shows an error next to the field
        await pilot.pause()
        await app.workers.wait_for_complete()
        await pilot.pause()

    assert snap_compare(app, terminal_size=size, run_before=ready)


@pytest.mark.parametrize("size", SIZES)
def test_training_snapshot(snap_compare, runs, size):
    app = app_for(attach=runs["depth"])

    async def ready(pilot):
        await wait_for(pilot, lambda: app.current_mode == "training")
        scr = app.screen
        await wait_for(pilot, lambda: scr.state is not None and scr.state.status == "completed"
                       and scr.query_one("#trials").row_count == 8 and scr.redraws > 0 and not scr._dirty)
        await pilot.pause(0.6)  # a tick after the first layout: labels fitted to the column
        log = scr.query_one("#log")
        await wait_for(pilot, lambda: not scr._dirty and log.scroll_y == log.max_scroll_y)  # the log scrolled to its end
        await pilot.pause()

    assert snap_compare(app, terminal_size=size, run_before=ready)


@pytest.mark.parametrize("size", SIZES)
def test_runs_snapshot(snap_compare, runs, size):
    app = app_for()

    async def ready(pilot):
        await open_runs_sized(pilot, app)
        await pilot.pause()

    assert snap_compare(app, terminal_size=size, run_before=ready)


@pytest.mark.parametrize("size,section", [pytest.param((80, 24), "Results of all trials", id="80x24-table"),
                                          pytest.param((80, 24), "Charts", id="80x24-charts"),
                                          pytest.param((120, 40), "Results of all trials", id="120x40-table")])
def test_report_snapshot(snap_compare, runs, size, section):
    """The real offline report of a synthetic sweep: its 12-column table narrowed to the
    pane, its charts drawn at the pane's width."""
    from pathlib import Path

    from tests.support.tui import make_report_run

    app = app_for(attach=make_report_run(Path("runs")))

    async def ready(pilot):
        await wait_for(pilot, lambda: app.current_mode == "training")
        await pilot.press("f5")
        scr = app.screen
        await wait_for(pilot, lambda: app.current_mode == "report" and scr.text and scr.settled, timeout=20)
        heading = next(h for h in scr.query("MarkdownH2") if section in str(h._content))
        scr.query_one("#report-scroll").scroll_to_widget(heading, animate=False, top=True)
        await pilot.pause()

    assert snap_compare(app, terminal_size=size, run_before=ready)


def test_help_snapshot(snap_compare, runs):
    app = app_for()

    async def ready(pilot):
        await open_runs_sized(pilot, app)
        await pilot.press("question_mark")
        # under CI load one pause was not always enough for the modal's first paint
        await wait_for(pilot, lambda: isinstance(app.screen, HelpScreen) and app.screen.query_one("#help-text").size.height > 0)
        await pilot.pause()

    assert snap_compare(app, terminal_size=(80, 24), run_before=ready)


@pytest.mark.parametrize("size", SIZES)
def test_training_pool_snapshot(snap_compare, runs, size):
    """A pool of 3 workers mid-sweep: every running trial with its epochs, ETA and worker."""
    from sweepdeck.engine.store import acquire_lock
    from tests.support.fake_runner import write_running_parallel_run
    from tests.support.tui import T0

    run_dir = write_running_parallel_run(runs["alpha"].parent, "20260103-120000-pool", 8, 10, T0 + 2 * 86400,
                                         ["cuda:0", "cuda:1", "cuda:0"], [3, 2, 1], extra=DEPTH_SWEEP)
    lock = acquire_lock(run_dir)  # live, as while its runner runs
    app = app_for(attach=run_dir)

    async def ready(pilot):
        await wait_for(pilot, lambda: app.current_mode == "training")
        scr = app.screen
        await wait_for(pilot, lambda: scr.live and scr.query_one("#trials").row_count == 8 and scr.selected == "t002"
                       and scr.redraws > 0 and not scr._dirty)
        await pilot.pause(0.6)  # a tick after the first layout: labels fitted to the column
        log = scr.query_one("#log")
        await wait_for(pilot, lambda: not scr._dirty and log.scroll_y == log.max_scroll_y)  # the log scrolled to its end
        await pilot.pause()

    try:
        assert snap_compare(app, terminal_size=size, run_before=ready)
    finally:
        lock.release()
