"""Shared pieces of the TUI tests: fixed fake runs, the fake runner, waiting."""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Callable

from tests.support import fake_runner
from tests.support.fake_runner import write_finished_run

if TYPE_CHECKING:
    from sweepdeck.tui.app import SweepdeckApp

ROOT = Path(__file__).resolve().parents[2]
FAKE_RUNNER = [sys.executable, fake_runner.__file__]
T0 = 1767268800.0  # 2026-01-01 12:00 UTC


def make_runs(runs_dir: Path) -> dict[str, Path]:
    """Two finished runs with fixed contents and times."""
    return {
        "alpha": write_finished_run(runs_dir, "20260101-120000-alpha", "alpha", 4, 20, T0),
        "beta": write_finished_run(runs_dir, "20260102-120000-beta", "beta", 4, 20, T0 + 86400,
                                   status="interrupted", report=False),
    }


# A realistic sweep: trials whose labels differ only in their last value
# (`sum=0.0001 lr=0.1 depth_norm=False` / `...=True`), the case a cut label hides.
DEPTH_SWEEP = {"lr": [0.1, 0.01], "l2_sum_lambda": [0.0001], "l2_mul_lambda": [0.0001],
               "depth_normalization": [False, True]}


def make_depth_run(runs_dir: Path, n_epochs: int = 12) -> Path:
    """A finished run of DEPTH_SWEEP's 8 trials, fixed times and contents."""
    return write_finished_run(runs_dir, "20261127-143012-depth_norm_sweep", "depth_norm_sweep", 8, n_epochs, T0,
                              extra=DEPTH_SWEEP)


def screen_text(app: "SweepdeckApp") -> str:
    """What the terminal shows, as plain text (what a test can read like a user)."""
    import io

    from rich.console import Console

    width, height = app.size
    console = Console(width=width, height=height, file=io.StringIO(), force_terminal=True, color_system=None,
                      record=True)
    console.print(app.screen._compositor.render_update(full=True, screen_stack=app._background_screens))
    return console.export_text()


def make_app(runs_dir: Path, **kw) -> "SweepdeckApp":
    """The app as the tests drive it: the fake runner, no cursor blink."""
    from sweepdeck.tui.app import SweepdeckApp

    return SweepdeckApp(runs_dir=runs_dir, runner_cmd=FAKE_RUNNER, cursor_blink=False, **kw)


def fake_report_engine(monkeypatch, settings_cls: type, generate_report: Callable) -> None:
    """The Report screen's worker calls `generate_report` (and builds its settings
    from `settings_cls`) instead of the real engine, for this test."""
    import sweepdeck.engine.report

    monkeypatch.setattr(sweepdeck.engine.report, "ReportSettings", settings_cls)
    monkeypatch.setattr(sweepdeck.engine.report, "generate_report", generate_report)


async def params_form(pilot, app):
    """The Params screen, once its whole form is mounted and filled."""
    await wait_for(pilot, lambda: app.current_mode == "params" and app.screen.ready)
    return app.screen


async def start_from_form(pilot, app, fields: dict[str, str]):
    """Fill the Params form, start its sweep without the size question, and
    return the runner's Launch once the Training section follows it."""
    scr = await params_form(pilot, app)
    for key, value in fields.items():
        scr.set_field(key, value)
    await pilot.pause()
    app.start_sweep(scr.raw())
    await wait_for(pilot, lambda: app.current_mode == "training")
    return app.launched[app.run_dir]


async def runs_table(pilot, app):
    """The Runs section's table, once it has loaded."""
    await pilot.press("f4")
    rs = app.screen
    await wait_for(pilot, lambda: rs.loaded)
    return rs.query_one("#runs")


async def wait_for(pilot, predicate: Callable[[], bool], timeout: float = 10.0, step: float = 0.05) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting for the app")
        await pilot.pause(step)


async def press_and_confirm(pilot, key: str) -> None:
    """Press `key`, wait until its yes/no question is on screen, answer yes.

    Pressing "y" straight after would race the modal's mount on a loaded machine
    and land on the screen underneath instead."""
    from sweepdeck.tui.screens.modals import ConfirmScreen

    await pilot.press(key)
    await wait_for(pilot, lambda: isinstance(pilot.app.screen, ConfirmScreen))
    await pilot.press("y")


def kill_quietly(pid: int) -> None:
    import os
    import signal

    try:
        os.killpg(pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def make_report_run(runs_dir: Path, run_id: str = "20261128-090000-depth_norm_sweep") -> Path:
    """A finished run of DEPTH_SWEEP (synthetic curves, fixed times) with the real
    offline report.md: its 12-column table and 78-column charts, dated at a fixed time."""
    import re

    from sweepdeck.engine.report import REPORT, ReportSettings, generate_report
    from tests.support.synthetic import make_run

    run_dir = make_run(Path(runs_dir) / run_id,
                       {"name": "depth_norm_sweep", "batchsize": 64, "n_epochs": 12, "seed": [42], "opt_name": "adamw",
                        **DEPTH_SWEEP})
    generate_report(run_dir, ReportSettings(offline=True))
    path = run_dir / REPORT
    path.write_text(re.sub(r"report of \d{4}-\d\d-\d\d \d\d:\d\d UTC", "report of 2026-11-27 15:00 UTC",
                           path.read_text(encoding="utf-8")), encoding="utf-8")
    return run_dir
