"""Pilot tests of the TUI's four sections, and unit tests of its non-UI helpers."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import threading
import time
import types
from pathlib import Path

import pytest

from test_safe_text import PAYLOAD, control_chars
from tests.support.tui import FAKE_RUNNER, ROOT, kill_quietly, make_runs, press_and_confirm, wait_for

from engine.config import SweepConfig, read_config_file, validate_config
from engine.events import EpochMetrics
from tui import form as F
from tui.app import SweepdeckApp, running_runs
from tui.follow import RunState, downsample, estimate_seconds, past_timings


def run(coro):
    return asyncio.run(coro)


@pytest.fixture
def runs(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "configs").mkdir()
    for p in (ROOT / "configs").glob("paper_*.json"):
        (tmp_path / "configs" / p.name).write_text(p.read_text())
    runs_dir = tmp_path / "runs"
    made = make_runs(runs_dir)
    return runs_dir, made


def make_app(runs_dir, **kw):
    return SweepdeckApp(runs_dir=runs_dir, runner_cmd=FAKE_RUNNER, cursor_blink=False, **kw)


async def runs_table(pilot, app):
    """The Runs section's table, once it has loaded."""
    await pilot.press("f4")
    rs = app.screen
    await wait_for(pilot, lambda: rs.loaded)
    return rs.query_one("#runs")


# --- non-UI helpers ---------------------------------------------------------------------

def test_form_covers_every_config_key():
    keys = set()
    for name, info in SweepConfig.model_fields.items():
        sub = info.annotation
        if isinstance(sub, type) and hasattr(sub, "model_fields"):
            keys |= {f"{name}.{k}" for k in sub.model_fields}
        else:
            keys.add(name)
    assert keys == set(F.BY_KEY), keys ^ set(F.BY_KEY)


@pytest.mark.parametrize("name", ["paper_3_1.json", "paper_s1_2.json"])
def test_form_round_trips_the_paper_configs(name):
    raw = read_config_file(ROOT / "configs" / name)
    values = F.form_values(raw)
    again = F.to_raw(values)
    assert validate_config(again) == validate_config(raw)
    assert F.form_values(again) == values


def test_problems_land_on_their_field():
    values = F.form_values({})
    values.update({"lr": "0.1, -1", "dataset.n_train": "abc", "search.method": "random", "wn": "0.9, huge"})
    cfg, errors = F.check(F.to_raw(values))
    assert cfg is None
    assert set(errors) == {"lr", "dataset.n_train", "search.n_trials", "wn"}
    assert errors["lr"][0].startswith("lr[1]: -1 is invalid")


@pytest.mark.parametrize("field, text, fragment", [
    ("lr", "Infinity", "finite"),
    ("lr", "0.1, NaN", "finite"),
    ("lr", "1e999", "finite"),
    ("llm.timeout_s", "Infinity", "finite"),
    ("lr", "[" * 100_000, "lr[0]"),
    ("runs_dir", "runs/" + "x" * 300, "255"),
    ("runs_dir", "ru\0ns", "NUL"),
    ("dataset.n_train", "1000000000", "1,000,000"),
    ("seed", ", ".join(str(i) for i in range(100_001)), "100,000"),
])
def test_hostile_values_are_marked_on_their_field(field, text, fragment):
    values = F.form_values({})
    values[field] = text
    cfg, errors = F.check(F.to_raw(values))
    assert cfg is None
    where = "search.n_trials" if field == "seed" else field  # the trial count is the search section's
    assert list(errors) == [where] and fragment in errors[where][0], errors


def test_the_runner_the_tui_starts_never_imports_from_the_current_folder(tmp_path, monkeypatch):
    """`python -m` puts the current folder first on the import path: a module next
    to a downloaded config, or one shadowing the standard library, would run."""
    from tui.follow import launch_run

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


def test_params_preview_shows_custom_model_code_and_survives_hostile_values(runs, monkeypatch, tmp_path):
    runs_dir, _ = runs
    lib = tmp_path / "lib"
    (lib / "mypkg").mkdir(parents=True)
    (lib / "mypkg" / "__init__.py").write_text(f"open({str(tmp_path / 'ran')!r}, 'w').close()\n")
    (lib / "mypkg" / "nets.py").write_text("def make():\n    pass\n")
    monkeypatch.syspath_prepend(str(lib))

    async def go():
        app = make_app(runs_dir)
        async with app.run_test(size=(80, 24)) as pilot:
            await wait_for(pilot, lambda: app.current_mode == "params" and app.screen.ready)
            scr = app.screen
            shown = scr.query_one("#preview-model")
            assert not shown.display  # a built-in model is no code of the user's
            scr.set_field("model.name", "mypkg.nets:make")
            await pilot.pause()
            assert shown.display and str(lib / "mypkg" / "nets.py") in str(shown.render())
            assert "runs when the sweep starts" in str(shown.render())
            scr.set_field("model.name", "nowhere_xyz:make")
            await pilot.pause()
            assert "not found" in str(shown.render())
            for key, value in {"lr": "Infinity", "runs_dir": "a\0b", "dataset.n_train": "1000000000",
                               "seed": "[" * 50_000}.items():
                scr.set_field(key, value)
            await pilot.pause()
            assert set(scr.errors) == {"lr", "runs_dir", "dataset.n_train", "seed"}
            assert "4 problems" in str(scr.query_one("#preview-count").render())
            assert not (tmp_path / "ran").exists()  # looking the file up ran nothing

    run(go())


def test_run_state_progress_eta_and_resumed_epochs(tmp_path):
    st = RunState(tmp_path)

    def ep(tid, n, acc):
        return EpochMetrics(trial_id=tid, epoch=n, train_loss=1, penalty_sum=0, penalty_mul=0, test_loss=1,
                            test_acc=acc, test_f1=acc, test_confusion=[[1]], lr=0.1, epoch_time_s=2.0, rho=1,
                            layer_norms=[1.0])

    from engine.events import RunStarted, TrialStarted
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


def test_downsample_keeps_ends_and_bounds_points():
    xs = list(range(1, 10_001))
    ys = [float(x) for x in xs]
    dx, dy = downsample(xs, ys, 160)
    assert len(dx) == 160 and dx[0] == 1 and dx[-1] == 10_000
    assert downsample([1, 2, 3], [1.0, None, 3.0], 10) == ([1, 3], [1.0, 3.0])


def test_estimate_from_past_runs(runs):
    runs_dir, _ = runs
    timings = past_timings(runs_dir)
    assert len(timings) == 2 and timings[0].dataset == "shapes"
    est, n = estimate_seconds(timings, "shapes", "tiny", 512, 10, 3)
    assert n == 2 and est == pytest.approx(0.5 * 2 * 10 * 3)
    assert estimate_seconds(timings, "cifar10", "tiny", 512, 10, 3) == (None, 0)


def test_tui_never_imports_torch():
    code = ("import sys; import tui.app, tui.screens.params, tui.screens.training, tui.screens.runs, "
            "tui.screens.report; print('torch' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True,
                         env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert out.stdout.strip() == "False", out.stderr


# --- Params ---------------------------------------------------------------------------------

def test_params_form_validates_as_you_type(runs):
    runs_dir, _ = runs

    async def go():
        app = make_app(runs_dir)
        async with app.run_test(size=(80, 24)) as pilot:
            await wait_for(pilot, lambda: app.current_mode == "params" and app.screen.ready)
            scr = app.screen
            # type into the lr field as a user would
            scr.query_one("#f-lr").focus()
            scr.query_one("#f-lr").value = ""
            await pilot.press(*"0.1,-1")
            await pilot.pause()
            err = scr.query_one("#f-lr-err")
            assert "lr[1]: -1 is invalid" in str(err.render())
            assert err.has_class("-shown") and scr.query_one("#f-lr").has_class("-invalid")
            assert not scr.query_one("#f-n-epochs-err").has_class("-shown")
            assert "1 problem" in str(scr.query_one("#preview-count").render())
            scr.set_field("dataset.n_train", "many")
            await pilot.pause()
            assert "dataset.n_train" in str(scr.query_one("#f-dataset-n-train-err").render())
            # fix both: the errors go and the preview counts trials
            scr.set_field("lr", "0.1, 0.01")
            scr.set_field("dataset.n_train", "256")
            scr.set_field("l2_sum_lambda", "0, 0.01")
            await pilot.pause()
            assert not scr.errors
            assert not scr.query_one("#f-lr-err").has_class("-shown")
            assert str(scr.query_one("#preview-count").render()).startswith("4 trials")
            assert scr.query_one("#preview-trials").row_count == 4
            # the estimate uses past runs of the same dataset/model
            scr.set_field("dataset.name", "shapes")
            scr.set_field("model.name", "tiny")
            await wait_for(pilot, lambda: "past run" in str(scr.query_one("#preview-estimate").render()))
            # a huge sweep is counted, not listed
            scr.set_field("seed", ", ".join(str(i) for i in range(1100)))
            await pilot.pause()
            assert str(scr.query_one("#preview-count").render()).startswith("4400 trials")
            assert scr.query_one("#preview-trials").row_count == 1

    run(go())


def test_params_save_and_load_back_equal(runs, tmp_path):
    runs_dir, _ = runs

    async def go():
        app = make_app(runs_dir)
        async with app.run_test(size=(80, 24)) as pilot:
            await wait_for(pilot, lambda: app.current_mode == "params" and app.screen.ready)
            scr = app.screen
            scr.set_field("name", "mysweep")
            scr.set_field("lr", "0.05, 0.005")
            scr.set_field("wn", "0.9, default, None")
            scr.set_field("bias", "False, True")
            scr.set_field("dataset.classes", "1, 2")
            scr.set_field("eval_train_set", False)
            await pilot.pause()
            saved = scr.raw()
            await pilot.press("ctrl+s")
            await pilot.pause()
            path_input = app.screen.query_one("#save-path")
            assert path_input.value == "configs/mysweep.json"
            await pilot.press("enter")
            await pilot.pause()
            on_disk = json.loads((tmp_path / "configs" / "mysweep.json").read_text())
            assert on_disk == saved
            await pilot.press("ctrl+n")  # back to defaults
            await pilot.pause()
            assert scr.raw() != saved
            # load it back through the load dialog
            await pilot.press("ctrl+o")
            await pilot.pause()
            options = app.screen.items
            idx = [str(p) for _, p in options].index("configs/mysweep.json")
            app.screen.query_one("#load-list").highlighted = idx
            await pilot.press("enter")
            await pilot.pause()
            assert scr.raw() == saved
            assert validate_config(scr.raw()).wn == [0.9, "default", None]
            # and a past run's config
            assert scr.load(runs_dir / "20260101-120000-alpha" / "config.json")
            assert scr.n_trials == 4

    run(go())


def test_large_sweep_asks_first(runs, monkeypatch):
    runs_dir, _ = runs
    started = []

    async def go():
        app = make_app(runs_dir)
        monkeypatch.setattr(app, "start_sweep", lambda raw: started.append(raw))
        async with app.run_test(size=(80, 24)) as pilot:
            await wait_for(pilot, lambda: app.current_mode == "params" and app.screen.ready)
            scr = app.screen
            assert scr.load(Path("configs/paper_3_1.json"))
            await pilot.press("ctrl+r")
            await pilot.pause()
            from tui.screens.modals import ConfirmScreen
            assert isinstance(app.screen, ConfirmScreen)
            assert app.screen.question.startswith("16 trials, ")
            await pilot.press("n")
            await pilot.pause()
            assert started == []
            await pilot.press("ctrl+r", "y")
            await pilot.pause()
            assert len(started) == 1 and started[0]["lr"] == [0.1, 0.01]
            # an invalid form does not run
            scr.set_field("n_epochs", "0")
            await pilot.pause()
            await pilot.press("ctrl+r")
            await pilot.pause()
            assert len(started) == 1

    run(go())


# --- Training: a live sweep -------------------------------------------------------------------

def test_start_follow_and_stop_a_sweep(runs, monkeypatch):
    runs_dir, _ = runs
    monkeypatch.setenv("FAKE_EPOCH_S", "0.08")

    async def go():
        app = make_app(runs_dir)
        async with app.run_test(size=(100, 30)) as pilot:
            await wait_for(pilot, lambda: app.current_mode == "params" and app.screen.ready)
            scr = app.screen
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

    run(go())


def test_skip_trial_and_quit_leaves_sweep_running(runs, monkeypatch):
    runs_dir, _ = runs
    monkeypatch.setenv("FAKE_EPOCH_S", "0.1")

    async def go():
        app = make_app(runs_dir)
        async with app.run_test(size=(80, 24)) as pilot:
            await wait_for(pilot, lambda: app.current_mode == "params" and app.screen.ready)
            scr = app.screen
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
                from tui.screens.modals import ChoiceScreen
                assert isinstance(app.screen, ChoiceScreen)
                await pilot.press("l")
                await pilot.pause()
                assert launch.proc.poll() is None  # left running
            finally:
                kill_quietly(launch.proc.pid)

    run(go())


def test_reattach_to_a_running_sweep(runs, tmp_path, monkeypatch):
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

        async def go():
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
            return app

        run(go())
        assert proc.wait(timeout=10) == 0
    finally:
        kill_quietly(proc.pid)


# --- Runs browser, compare, delete ----------------------------------------------------------

def test_runs_open_finished_run_compare_delete(runs):
    runs_dir, made = runs

    async def go():
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

    run(go())


# --- Report --------------------------------------------------------------------------------

def test_report_opens_shows_fact_check_and_regenerates_streaming(runs, monkeypatch):
    runs_dir, made = runs
    chunks = ["# Sweep report: alpha\n\n", "Best trial t003 with ", "test accuracy 85.70%.\n\n",
              "## Fact check\nChecked 1 number; none differ.\n"]

    class ReportSettings:
        def __init__(self, offline, model=None, base_url=None, temperature=0.2, timeout_s=60.0, max_retries=2,
                     api_key_file=None):
            self.offline = offline

    calls = []

    def generate_report(run_dir, settings, on_text=None):
        calls.append(settings.offline)
        for c in chunks:
            on_text(c)
            time.sleep(0.05)
        (Path(run_dir) / "report.md").write_text("".join(chunks))
        return types.SimpleNamespace(path=Path(run_dir) / "report.md")

    fake = types.ModuleType("engine.report")
    fake.ReportSettings = ReportSettings
    fake.generate_report = generate_report
    monkeypatch.setitem(sys.modules, "engine.report", fake)

    async def go():
        app = make_app(runs_dir)
        async with app.run_test(size=(80, 24)) as pilot:
            await pilot.press("f4")
            rs = app.screen
            await wait_for(pilot, lambda: rs.loaded)
            table = rs.query_one("#runs")
            table.move_cursor(row=table.get_row_index("20260101-120000-alpha"))
            await pilot.press("r")
            await wait_for(pilot, lambda: app.current_mode == "report")
            rep = app.screen
            await wait_for(pilot, lambda: "Checked 4 numbers" in str(rep.query_one("#factcheck").render()))
            assert "Sweep report: alpha" in rep.text
            # regenerate offline: streams in, then the file is reloaded
            await pilot.press("g")
            await pilot.pause()
            await pilot.press("o")
            await wait_for(pilot, lambda: calls == [True] and not rep.streaming)
            await wait_for(pilot, lambda: "none differ" in str(rep.query_one("#factcheck").render()))
            assert rep.text == "".join(chunks)
            # $PAGER runs through app.suspend (stubbed here)
            seen = []
            monkeypatch.setattr(app, "run_external", lambda argv: seen.append(argv) or 0)
            monkeypatch.setenv("PAGER", "less -R")
            await pilot.press("v")
            assert seen == [["less", "-R", str(made["alpha"] / "report.md")]]

    run(go())


def test_report_without_file_and_failing_generator(runs, monkeypatch):
    runs_dir, made = runs
    fake = types.ModuleType("engine.report")

    class ReportSettings:
        def __init__(self, **kw):
            pass

    def generate_report(run_dir, settings, on_text=None):
        raise RuntimeError("LLM unreachable")

    fake.ReportSettings, fake.generate_report = ReportSettings, generate_report
    monkeypatch.setitem(sys.modules, "engine.report", fake)

    async def go():
        app = make_app(runs_dir, attach=made["beta"])
        async with app.run_test(size=(80, 24)) as pilot:
            await wait_for(pilot, lambda: app.current_mode == "training")
            await pilot.press("r")
            await wait_for(pilot, lambda: app.current_mode == "report")
            rep = app.screen
            assert "no report.md yet" in str(rep.query_one("#report-title").render())
            await pilot.press("g", "l")
            await wait_for(pilot, lambda: "report failed" in str(rep.query_one("#report-title").render()))
            assert not rep.streaming
            # a report.md written meanwhile (by the runner) is picked up
            (made["beta"] / "report.md").write_text("# Late report\n\n## Fact check\nChecked 0 numbers.\n")
            await wait_for(pilot, lambda: "Late report" in rep.text, timeout=5)
            await wait_for(pilot, lambda: "Checked 0 numbers" in str(rep.query_one("#factcheck").render()))

    run(go())


# --- keys ------------------------------------------------------------------------------------

def test_help_and_command_palette_list_every_action(runs):
    runs_dir, _ = runs

    async def go():
        app = make_app(runs_dir)
        async with app.run_test(size=(80, 24)) as pilot:
            await pilot.press("f4")
            await pilot.pause()
            await pilot.press("question_mark")
            await pilot.pause()
            from tui.screens.modals import HelpScreen
            assert isinstance(app.screen, HelpScreen)
            text = str(app.screen.query_one("#help-text").render())
            for word in ("Stop", "Skip", "Regenerate", "Compare", "Delete", "Save JSON", "Run"):
                assert word in text
            await pilot.press("escape")
            await pilot.pause()
            titles = [c.title for c in app.get_system_commands(app.screen)]
            for word in ("Sort", "Compare", "Delete", "Resume", "Params", "Report"):
                assert any(t.startswith(word) for t in titles), word

    run(go())


def test_report_regenerate_offline_with_the_real_engine(runs):
    runs_dir, made = runs
    pytest.importorskip("engine.report").generate_report  # noqa: B018

    async def go():
        app = make_app(runs_dir, attach=made["beta"])  # beta has no report yet
        async with app.run_test(size=(80, 24)) as pilot:
            await wait_for(pilot, lambda: app.current_mode == "training")
            await pilot.press("f5")
            await wait_for(pilot, lambda: app.current_mode == "report")
            rep = app.screen
            await pilot.press("g", "o")
            await wait_for(pilot, lambda: (made["beta"] / "report.md").exists() and not rep.streaming, timeout=20)
            await wait_for(pilot, lambda: rep.shown_text == rep.text and "Fact check" in rep.text)
            assert "numbers" in str(rep.query_one("#factcheck").render())

    run(go())


def test_resume_an_interrupted_run_from_the_browser(runs, monkeypatch):
    runs_dir, made = runs
    monkeypatch.setenv("FAKE_EPOCH_S", "0.02")

    async def go():
        app = make_app(runs_dir)
        async with app.run_test(size=(80, 24)) as pilot:
            await pilot.press("f4")
            rs = app.screen
            await wait_for(pilot, lambda: rs.loaded)
            table = rs.query_one("#runs")
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

    run(go())


def test_fact_check_section_and_result_note():
    from tui.screens.report import fact_check_section, result_note

    md = "# R\n\n## Results\nx\n\n## Fact check\nChecked 3 numbers.\n### Details\n1. bad\n\n## After\ny\n"
    assert fact_check_section(md) == "Checked 3 numbers.\n### Details\n1. bad"
    assert fact_check_section("# R\nno section") is None
    res = types.SimpleNamespace(used_llm=False, fallback_reason="no LLM configured", n_numbers_checked=12,
                                mismatches=[{}], model=None)
    assert result_note(res) == "offline (no LLM configured); fact check: 12 numbers, 1 mismatch"


def test_real_trainer_on_shapes_follow_skip_and_stop(runs):
    """The same as above with the real runner (`python -m engine.cli run`)."""
    if not (ROOT / "engine" / "cli.py").exists():
        pytest.skip("the trainer CLI is not there yet")
    runs_dir, _ = runs

    # Far more epochs than the test lasts: a trial that finished before the skip
    # arrived (a tiny epoch takes ~50 ms) would make the skip land on the next one.
    n_epochs = 100_000

    async def go():
        app = SweepdeckApp(runs_dir=runs_dir, cursor_blink=False)  # the default runner: python -m engine.cli
        async with app.run_test(size=(80, 24)) as pilot:
            await wait_for(pilot, lambda: app.current_mode == "params" and app.screen.ready)
            scr = app.screen
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

    run(go())


def test_choice_and_toggle_fields_by_keyboard(runs):
    runs_dir, _ = runs

    async def go():
        app = make_app(runs_dir)
        async with app.run_test(size=(80, 24)) as pilot:
            await wait_for(pilot, lambda: app.current_mode == "params" and app.screen.ready)
            scr = app.screen
            scr.query_one("#f-bias").focus()
            await pilot.press("enter")
            assert scr.values()["bias"] == "True"
            await pilot.press("right")
            assert scr.values()["bias"] == "False, True"
            await pilot.pause()
            assert scr.n_trials == 2 and scr.raw()["bias"] == [False, True]
            await pilot.press("left", "left")
            assert scr.values()["bias"] == "False"
            scr.query_one("#f-eval-train-set").focus()
            await pilot.press("space")
            await pilot.pause()
            assert scr.raw()["eval_train_set"] is False
            # down moves to the next field, also from these widgets
            await pilot.press("down")
            assert app.focused.id == "f-runs-dir"

    run(go())


def test_report_section_shows_no_escape_sequences_and_opens_only_web_links(runs, monkeypatch):
    """report.md comes from a shared run folder and the streamed text from an LLM."""
    runs_dir, made = runs
    payload = PAYLOAD
    (made["alpha"] / "report.md").write_text(f"# Report {payload}\n\n## Fact check\nChecked {payload} 2 numbers.\n")

    class ReportSettings:
        def __init__(self, **kw):
            pass

    proceed = threading.Event()

    def generate_report(run_dir, settings, on_text=None):
        text = f"# Streamed {payload} text\n"
        for i in range(0, len(text), 3):  # every sequence split across messages
            on_text(text[i:i + 3])
        proceed.wait(10)  # until the test has seen the streamed text: failing reloads report.md
        raise RuntimeError(f"server said {payload}")

    fake = types.ModuleType("engine.report")
    fake.ReportSettings, fake.generate_report = ReportSettings, generate_report
    monkeypatch.setitem(sys.modules, "engine.report", fake)

    async def go():
        app = make_app(runs_dir, attach=made["alpha"])
        opened, notes = [], []
        monkeypatch.setattr(app, "open_url", lambda url, **kw: opened.append(url))
        monkeypatch.setattr(app, "notify", lambda message, **kw: notes.append(message))
        async with app.run_test(size=(80, 24)) as pilot:
            await wait_for(pilot, lambda: app.current_mode == "training")
            await pilot.press("f5")
            await wait_for(pilot, lambda: app.current_mode == "report")
            rep = app.screen
            await wait_for(pilot, lambda: rep.shown_text is not None and "Report" in rep.shown_text)
            assert rep.shown_text.startswith("# Report link") and not control_chars(rep.shown_text)
            assert not control_chars(rep.query_one("#factcheck").render())
            await pilot.press("g", "l")
            await wait_for(pilot, lambda: rep.shown_text is not None and "Streamed" in rep.shown_text)
            assert not control_chars(rep.shown_text) and "Streamed link text" in rep.shown_text
            proceed.set()
            await wait_for(pilot, lambda: any("Report failed" in n for n in notes))
            assert "server said link" in notes[-1] and not control_chars(notes[-1])
            md = rep.query_one("#report-md")
            for href in ("javascript:alert(1)", "file:///etc/passwd", "https://example.com/x"):
                rep.post_message(md.LinkClicked(md, href))
            await pilot.pause()
            await wait_for(pilot, lambda: opened)
            assert opened == ["https://example.com/x"]

    run(go())


def test_runs_and_training_show_no_escape_sequences_from_a_shared_run_folder(runs):
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

    async def go():
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

    run(go())
