"""The app shell: what loads at start-up, re-attaching to a running sweep, the
runner it starts, the key list and command palette."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

import pytest

from tests.support.tui import FAKE_RUNNER, ROOT, kill_quietly, make_app, wait_for

from sweepdeck.tui.app import running_runs

pytestmark = pytest.mark.anyio


def test_tui_never_imports_torch():
    code = ("import sys; import sweepdeck.tui.app, sweepdeck.tui.screens.params, sweepdeck.tui.screens.training, sweepdeck.tui.screens.runs, "
            "sweepdeck.tui.screens.report; print('torch' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True,
                         env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert out.stdout.strip() == "False", out.stderr


def test_run_ids_are_named_like_the_clis_and_skip_taken_ones(tmp_path, monkeypatch):
    """The TUI names the folder of a run it starts as `sweepdeck run` would, and
    also skips an id whose start it has written (.tui/<id>.json) but not begun."""
    from datetime import datetime

    from sweepdeck.engine import store
    from sweepdeck.tui.runner_process import TUI_DIR, new_run_id

    class Fixed(datetime):
        @classmethod
        def now(cls, tz=None):
            return datetime(2026, 1, 2, 3, 4, 5, tzinfo=tz)

    monkeypatch.setattr(store, "datetime", Fixed)
    assert store.new_run_dir(tmp_path, "x").name == "20260102-030405-x"
    (tmp_path / TUI_DIR).mkdir()
    (tmp_path / TUI_DIR / "20260102-030405-x-1.json").write_text("{}")
    assert new_run_id("x", tmp_path) == "20260102-030405-x-2"


def test_the_runner_the_tui_starts_never_imports_from_the_current_folder(tmp_path, monkeypatch):
    """`python -m` puts the current folder first on the import path: a module next
    to a downloaded config, or one shadowing the standard library, would run."""
    from sweepdeck.tui.runner_process import launch_run

    monkeypatch.chdir(tmp_path)
    for name in ("evil", "json", "argparse"):
        (tmp_path / f"{name}.py").write_text(f"open({str(tmp_path / ('ran-' + name))!r}, 'w').close()\n"
                                             "def make(**kw):\n    raise SystemExit('evil')\n")
    raw = {"name": "t", "model": "evil:make", "device": "cpu", "n_epochs": 1,
           "dataset": {"name": "shapes", "n_train": 64, "n_test": 32}}
    launch = launch_run(raw, tmp_path / "runs", "t")
    assert launch.proc.wait(timeout=120) == 2
    assert not list(tmp_path.glob("ran-*"))
    assert "evil" in launch.log_path.read_text() and "not found" in launch.log_path.read_text()
    assert not launch.run_dir.exists()


def test_hostile_locks_neither_hang_nor_crash_the_start(tmp_path):
    """The TUI reads every runner.lock under runs/ before its first paint; runs/
    may be shared, so a lock may be a FIFO, a link, or JSON nested past the
    recursion limit. None of them is a live run."""
    runs_dir = tmp_path / "runs"
    for name in ("fifo", "link", "deep", "ok-but-dead"):
        (runs_dir / name).mkdir(parents=True)
    os.mkfifo(runs_dir / "fifo" / "runner.lock")
    (runs_dir / "link" / "runner.lock").symlink_to(tmp_path / "elsewhere.json")
    (tmp_path / "elsewhere.json").write_text(json.dumps({"pid": os.getpid(), "host": os.uname().nodename}))
    (runs_dir / "deep" / "runner.lock").write_text("[" * 4000)
    (runs_dir / "ok-but-dead" / "runner.lock").write_text(json.dumps({"pid": 2**22 + 7, "host": os.uname().nodename,
                                                                        "started": 0}))
    assert running_runs(runs_dir) == []


async def test_reattach_to_a_running_sweep(runs, tmp_path, monkeypatch):
    runs_dir, _ = runs
    cfg = tmp_path / "c.json"
    cfg.write_text(json.dumps({"name": "bg", "lr": [0.1], "n_epochs": 500}))
    monkeypatch.setenv("FAKE_EPOCH_S", "0.05")
    run_dir = runs_dir / "20260103-000000-bg"
    proc = subprocess.Popen([*FAKE_RUNNER, "run", str(cfg), "--run-dir", str(run_dir)], stdout=subprocess.DEVNULL,
                            start_new_session=True)
    try:
        deadline = time.monotonic() + 10
        while not running_runs(runs_dir) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert running_runs(runs_dir) == [run_dir]
        app = make_app(runs_dir)
        async with app.run_test(size=(80, 24)) as pilot:
            await wait_for(pilot, lambda: app.current_mode == "training")
            assert app.run_dir == run_dir
            tr = app.screen
            await wait_for(pilot, lambda: tr.state.trials.get("t000") is not None
                           and tr.state.trials["t000"].epochs_done > 0, timeout=10)
            await pilot.press("ctrl+q")
            await pilot.pause()
            await pilot.press("s")  # stop it and quit
            await pilot.pause()

        assert proc.wait(timeout=10) == 0
    finally:
        kill_quietly(proc.pid)


async def test_help_and_command_palette_list_every_action(runs):
    runs_dir, _ = runs

    app = make_app(runs_dir)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("f4")
        await pilot.pause()
        await pilot.press("question_mark")
        await pilot.pause()
        from sweepdeck.tui.screens.modals import HelpScreen
        assert isinstance(app.screen, HelpScreen)
        grid = app.screen.query_one("#help-text").content  # the key list's grid
        text = " ".join(str(cell) for column in grid.columns for cell in column.cells)
        for word in ("Stop", "Skip", "Regenerate", "Compare", "Delete", "Save JSON", "Run"):
            assert word in text
        await pilot.press("escape")
        await pilot.pause()
        titles = [c.title for c in app.get_system_commands(app.screen)]
        for word in ("Sort", "Compare", "Delete", "Resume", "Params", "Report"):
            assert any(t.startswith(word) for t in titles), word


def test_key_list_columns_stay_apart_and_wrapped_lines_stay_in_theirs():
    import io

    from rich.console import Console

    from sweepdeck.tui.app import SweepdeckApp
    from sweepdeck.tui.screens.modals import key_grid

    console = Console(width=66, file=io.StringIO(), color_system=None, record=True)  # the dialog at 80 columns
    console.print(key_grid(SweepdeckApp().key_groups()))
    lines = console.export_text().splitlines()
    back = next(line for line in lines if "escape/q/backspace" in line)
    assert "escape/q/backspace  Back" in back, back
    column = lines[[i for i, line in enumerate(lines) if "ctrl+q" in line][0]].index("Quit")
    wrapped = [line for line in lines if line.strip() and not line.startswith(" " * column) and line[:column].strip() == ""]
    assert not wrapped, wrapped  # every continuation starts under its description
    quit_at = next(i for i, line in enumerate(lines) if "ctrl+q" in line)
    assert lines[quit_at + 1].startswith(" " * column) and lines[quit_at + 1].strip()  # ctrl+q's help wraps at 66


async def test_footers_keep_their_keys_and_quit_at_80_columns(runs):
    from tests.support.tui import runs_table, screen_text

    runs_dir, made = runs
    app = make_app(runs_dir, attach=made["alpha"])
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: app.current_mode == "training" and app.screen.redraws > 0)
        footer = screen_text(app).splitlines()[-1]
        assert "r Report" in footer and "^q Quit" in footer, footer
        await runs_table(pilot, app)
        footer = screen_text(app).splitlines()[-1]
        assert "Open" in footer and "R Resume" in footer and "^q Quit" in footer, footer
