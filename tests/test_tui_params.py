"""Params: the form as data (no app), and the form screen: validation as you
type, save and load, the preview, the duration estimate, asking before a large sweep."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.support.tui import ROOT, make_app, params_form, wait_for

from sweepdeck.engine.config import SweepConfig, read_config_file, validate_config
from sweepdeck.tui import form
from sweepdeck.tui.estimate import estimate_seconds, past_timings

pytestmark = pytest.mark.anyio


def test_form_covers_every_config_key():
    keys = set()
    for name, info in SweepConfig.model_fields.items():
        sub = info.annotation
        if isinstance(sub, type) and hasattr(sub, "model_fields"):
            keys |= {f"{name}.{k}" for k in sub.model_fields}
        else:
            keys.add(name)
    assert keys == set(form.BY_KEY), keys ^ set(form.BY_KEY)


@pytest.mark.parametrize("name", ["paper_3_1.json", "paper_s1_2.json"])
def test_form_round_trips_the_paper_configs(name):
    raw = read_config_file(ROOT / "configs" / name)
    values = form.form_values(raw)
    again = form.to_raw(values)
    assert validate_config(again) == validate_config(raw)
    assert form.form_values(again) == values


def test_problems_land_on_their_field():
    values = form.form_values({})
    values.update({"lr": "0.1, -1", "dataset.n_train": "abc", "search.method": "random", "wn": "0.9, huge"})
    cfg, errors = form.check(form.to_raw(values))
    assert cfg is None
    assert set(errors) == {"lr", "dataset.n_train", "search.n_trials", "wn"}
    assert errors["lr"][0] == "lr[1]: -1 must be more than 0"


@pytest.mark.parametrize("key, text, said", [
    ("lr", "", "lr: needs a value, e.g. 0.1, 0.01 or 1e-4..0.1 log"),
    ("seed", "", "seed: needs a value, e.g. 42"),
    ("n_epochs", "", "n_epochs: needs a whole number, e.g. 25"),
    ("n_epochs", "-3", "n_epochs: -3 must be 1 or more"),
    ("batchsize", "0", "batchsize[0]: 0 must be 1 or more"),
    ("lr", "0.1, x", 'lr[1]: "x" must be a number'),
    ("opt_name", "sgd, foo", 'opt_name[1]: "foo" must be adam, adamw or sgd'),
    ("mislabel_percentage", "2", "mislabel_percentage: 2 must be 1 or less"),
    ("llm.temperature", "", "llm.temperature: needs a number, e.g. 0.2"),
])
def test_the_form_says_what_a_field_needs_not_pydantic(key, text, said):
    values = form.form_values({})
    values[key] = text
    _, errors = form.check(form.to_raw(values))
    assert errors[key] == [said]
    assert not any(w in said for w in ("Input should", "Value should", "after validation"))


def test_placeholders_read_as_examples_or_as_what_empty_means():
    hints = {f.key: f.hint for f in form.FIELDS}
    assert hints["lr"] == "e.g. 0.1, 0.01 or 1e-4..0.1 log" and hints["n_epochs"] == "e.g. 25"  # not a value that looks typed in
    assert hints["dataset.n_train"] == "(all)" and hints["parallel.threads"] == "(auto)"
    assert hints["llm.model"] == "(env)"
    # a field whose placeholder says what empty means really accepts empty
    for key, hint in hints.items():
        if hint.startswith("(") and form.BY_KEY[key].kind not in ("select", "switch"):
            values = form.form_values({})
            values[key] = ""
            assert key not in form.check(form.to_raw(values))[1], key


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
    values = form.form_values({})
    values[field] = text
    cfg, errors = form.check(form.to_raw(values))
    assert cfg is None
    where = "search.n_trials" if field == "seed" else field  # the trial count is the search section's
    assert list(errors) == [where] and fragment in errors[where][0], errors


def test_estimate_from_past_runs(runs):
    runs_dir, _ = runs
    timings = past_timings(runs_dir)
    assert len(timings) == 2 and timings[0].dataset == "shapes"
    est, n = estimate_seconds(timings, "shapes", "tiny", 512, 10, 3)
    assert n == 2 and est == pytest.approx(0.5 * 2 * 10 * 3)
    assert estimate_seconds(timings, "cifar10", "tiny", 512, 10, 3) == (None, 0)


def test_estimate_shares_whole_trials_among_workers(runs):
    timings = past_timings(runs[0])
    one, _ = estimate_seconds(timings, "shapes", "tiny", 256, 10, 3)
    assert one == pytest.approx(0.5 * 10 * 3)
    assert estimate_seconds(timings, "shapes", "tiny", 256, 10, 3, workers=2)[0] == pytest.approx(0.5 * 10 * 2)
    assert estimate_seconds(timings, "shapes", "tiny", 256, 10, 3, workers=8)[0] == pytest.approx(0.5 * 10)


def test_parallel_fields_as_text():
    values = form.form_values({})
    assert [values[k] for k in ("parallel.devices", "parallel.per_device", "parallel.threads")] == ["auto"] * 3
    values.update({"parallel.devices": " cuda:0 , cuda:2", "parallel.per_device": "4", "parallel.threads": ""})
    raw = form.to_raw(values)
    assert raw["parallel"] == {"devices": ["cuda:0", "cuda:2"], "per_device": 4, "threads": "auto",
                               "backend": "local", "address": None}
    assert validate_config(raw).parallel.devices == ["cuda:0", "cuda:2"]
    assert form.form_values(raw)["parallel.devices"] == "cuda:0, cuda:2"  # and back


async def test_parallel_fields_validate_as_you_type_and_the_estimate_counts_workers(runs, monkeypatch):
    runs_dir, _ = runs
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "")  # no GPU here, whatever the machine has

    app = make_app(runs_dir)
    async with app.run_test(size=(120, 40)) as pilot:
        scr = await params_form(pilot, app)
        devices = scr.query_one("#f-parallel-devices")
        devices.focus()
        devices.value = ""
        await pilot.press(*"cuda:0, gpu")
        await pilot.pause()
        err = scr.query_one("#f-parallel-devices-err")
        assert err.has_class("-shown") and "'gpu' is not a device: use cpu, cuda:N or mps" in str(err.render())
        assert devices.has_class("-invalid")
        scr.set_field("parallel.devices", "cuda:0, cuda:0")
        scr.set_field("parallel.per_device", "0")
        scr.set_field("parallel.threads", "many")
        await pilot.pause()
        assert "lists a device twice" in str(err.render())
        assert 'must be "auto" or a whole number from 1 to 64' in str(scr.query_one("#f-parallel-per-device-err").render())
        assert 'must be "auto" or a whole number from 1 to 1024' in str(scr.query_one("#f-parallel-threads-err").render())
        assert "3 problems" in str(scr.query_one("#preview-count").render())
        # 4 trials of 10 epochs at the past runs' 0.5 s: 2 workers take two rounds of 5 s
        for key, value in {"dataset.name": "shapes", "model.name": "tiny", "dataset.n_train": "256", "device": "cpu",
                           "lr": "0.1, 0.05, 0.02, 0.01", "n_epochs": "10", "parallel.devices": "auto",
                           "parallel.per_device": "2", "parallel.threads": "1"}.items():
            scr.set_field(key, value)
        await wait_for(pilot, lambda: "past run" in str(scr.query_one("#preview-estimate").render()))
        assert not scr.errors and scr.plan is not None and scr.plan.workers == 2
        assert str(scr.query_one("#preview-estimate").render()) == "about 10s on 2 workers (from 2 past runs)"
        assert str(scr.query_one("#preview-workers").render()) == "2 workers on cpu, 1 thread each"
        scr.set_field("parallel.per_device", "")  # empty is auto, as the placeholder says
        await pilot.pause()
        assert scr.raw()["parallel"]["per_device"] == "auto" and not scr.errors
        # a GPU this machine does not have: valid config, but the runner would refuse; said, not hidden
        scr.set_field("parallel.devices", "cuda:1")
        await pilot.pause()
        workers = scr.query_one("#preview-workers")
        assert "cuda:1: CUDA is not available here" in str(workers.render()) and workers.has_class("-problem")
        assert str(scr.query_one("#preview-estimate").render()) == "about 20s (from 2 past runs)"


async def test_params_preview_shows_custom_model_code_and_survives_hostile_values(runs, monkeypatch, tmp_path):
    runs_dir, _ = runs
    lib = tmp_path / "lib"
    (lib / "mypkg").mkdir(parents=True)
    (lib / "mypkg" / "__init__.py").write_text(f"open({str(tmp_path / 'ran')!r}, 'w').close()\n")
    (lib / "mypkg" / "nets.py").write_text("def make():\n    pass\n")
    monkeypatch.syspath_prepend(str(lib))

    app = make_app(runs_dir)
    async with app.run_test(size=(80, 24)) as pilot:
        scr = await params_form(pilot, app)
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


async def test_params_form_validates_as_you_type(runs):
    runs_dir, _ = runs

    app = make_app(runs_dir)
    async with app.run_test(size=(80, 24)) as pilot:
        scr = await params_form(pilot, app)
        # type into the lr field as a user would
        scr.query_one("#f-lr").focus()
        scr.query_one("#f-lr").value = ""
        await pilot.press(*"0.1,-1")
        await pilot.pause()
        err = scr.query_one("#f-lr-err")
        assert "lr[1]: -1 must be more than 0" in str(err.render())
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


async def test_params_save_and_load_back_equal(runs, tmp_path):
    runs_dir, _ = runs

    app = make_app(runs_dir)
    async with app.run_test(size=(80, 24)) as pilot:
        scr = await params_form(pilot, app)
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
        # the same config, in the keys the user set (no defaults filled in; the runs folder is the TUI's)
        assert validate_config({**on_disk, "runs_dir": saved["runs_dir"]}) == validate_config(saved)
        assert on_disk["lr"] == [0.05, 0.005] and "batchsize" not in on_disk and "llm" not in on_disk
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


async def test_params_save_with_every_key_when_asked(runs, tmp_path):
    runs_dir, _ = runs
    app = make_app(runs_dir)
    async with app.run_test(size=(80, 24)) as pilot:
        scr = await params_form(pilot, app)
        scr.set_field("name", "full")
        await pilot.pause()
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: app.screen.query("#save-every-key"))
        await pilot.press("tab", "space")  # to the checkbox, and tick it
        await pilot.pause()
        assert app.screen.query_one("#save-every-key").value
        app.screen.query_one("#save-path").focus()
        await pilot.press("enter")
        await wait_for(pilot, lambda: (tmp_path / "configs" / "full.json").is_file())
        on_disk = json.loads((tmp_path / "configs" / "full.json").read_text())
        assert on_disk == scr.raw() and "batchsize" in on_disk and "llm" in on_disk  # defaults filled in


async def test_large_sweep_asks_first(runs, monkeypatch):
    runs_dir, _ = runs
    started = []

    app = make_app(runs_dir)
    monkeypatch.setattr(app, "start_sweep", lambda raw: started.append(raw))
    async with app.run_test(size=(80, 24)) as pilot:
        scr = await params_form(pilot, app)
        assert scr.load(Path("configs/paper_3_1.json"))
        await pilot.press("ctrl+r")
        await pilot.pause()
        from sweepdeck.tui.screens.modals import ConfirmScreen
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


async def test_choice_and_toggle_fields_by_keyboard(runs):
    runs_dir, _ = runs

    app = make_app(runs_dir)
    async with app.run_test(size=(80, 24)) as pilot:
        scr = await params_form(pilot, app)
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


async def test_params_preview_tells_trials_apart_at_80_columns(runs):
    """Trials whose labels differ only in their last value read differently in the preview."""
    from tests.support.tui import screen_text

    runs_dir, _ = runs
    app = make_app(runs_dir)
    async with app.run_test(size=(80, 24)) as pilot:
        scr = await params_form(pilot, app)
        for key, value in {"lr": "0.1, 0.01", "l2_sum_lambda": "0.0001", "l2_mul_lambda": "0.0001",
                           "depth_normalization": "False, True"}.items():
            scr.set_field(key, value)
        await pilot.pause()
        table = scr.query_one("#preview-trials")
        shown = [str(table.get_row_at(i)[1]) for i in range(table.row_count)]
        assert len(set(shown)) == len(shown) == 8, shown
        text = screen_text(app)
        assert all(label in text for label in shown), (shown, text)


async def test_ctrl_s_asks_before_overwriting_and_keeps_the_users_keys(runs, tmp_path):
    """ctrl+s on a loaded preset: asks first, then writes the keys as the file had
    them (no defaults filled in), with the one the user changed."""
    from sweepdeck.tui.screens.modals import ConfirmScreen

    runs_dir, _ = runs
    preset = tmp_path / "configs" / "paper_3_1.json"
    preset.parent.mkdir(exist_ok=True)
    written = json.loads((ROOT / "configs" / "paper_3_1.json").read_text())
    preset.write_text(json.dumps(written, indent=4))
    app = make_app(runs_dir)
    async with app.run_test(size=(80, 24)) as pilot:
        scr = await params_form(pilot, app)
        assert scr.load(Path("configs/paper_3_1.json"))
        scr.set_field("n_epochs", "100")
        await pilot.pause()
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: app.screen.query("#save-path"))
        assert app.screen.query_one("#save-path").value == "configs/paper_3_1.json"
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        await pilot.press("n")
        await pilot.pause()
        assert json.loads(preset.read_text()) == written  # no means no
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: app.screen.query("#save-path"))
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        await pilot.press("y")
        await pilot.pause()
        saved = json.loads(preset.read_text())
        assert saved == {**written, "n_epochs": 100}, saved  # "False" strings and all, as written
        assert list(saved) == list(written)
