"""Section 1: the parameters form, validated as you type, with a live preview."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any, Optional, Union, cast

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.css.query import NoMatches
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.suggester import SuggestFromList
from textual.widget import Widget
from textual.widgets import DataTable, Footer, Input, Label, Static

from sweepdeck.engine.formatting import fmt_duration
from sweepdeck.tui import form
from sweepdeck.tui.labels import fit_labels_with_header
from sweepdeck.tui.screens.base import SectionScreen
from sweepdeck.tui.screens.modals import ConfirmScreen, LoadScreen, SaveRequest, SaveScreen
from sweepdeck.tui.widgets.choice import Choice, Toggle
from sweepdeck.tui.widgets.section_bar import SectionBar

if TYPE_CHECKING:
    from sweepdeck.engine.config import SweepConfig
    from sweepdeck.engine.placement import WorkerPlan
    from sweepdeck.tui.estimate import PastTiming

# engine (pydantic) and sweepdeck.tui.estimate are imported after the first paint: start-up time.

PREVIEW_ROWS = 8
BUILD_LIMIT = 2_000  # above this many trials the preview table is skipped (it is rebuilt per keystroke)
CONFIRM_TRIALS = 8  # a sweep this large (or longer than CONFIRM_SECONDS) asks first
CONFIRM_SECONDS = 600

SUGGEST = {
    "model.name": ["underparameterized", "overparameterized", "tiny", "resnet18", "vit_b_16"],
    "device": ["auto", "cpu", "cuda", "cuda:0", "cuda:1", "mps"],
    "opt_name": ["adamw", "adam", "sgd"],
    "wn": ["None", "default"],
    "parallel.devices": ["auto", "cpu", "cuda:0", "cuda:0, cuda:1", "mps"],
    "parallel.per_device": ["auto"],
    "parallel.threads": ["auto"],
}


FieldWidget = Union[Input, Choice, Toggle]  # what a form field is edited in (form.Field.kind)


class ParamsScreen(SectionScreen):
    AUTO_FOCUS = "#f-name"
    BINDINGS = [
        Binding("ctrl+r", "run", "Run", tooltip="Run the sweep (asks first when it is large)"),
        Binding("ctrl+s", "save", "Save JSON", tooltip="Save the config as JSON"),
        Binding("ctrl+o", "load", "Load", tooltip="Load a preset from configs/ or a past run's config"),
        Binding("ctrl+n", "reset", "Defaults", tooltip="Reset the form to the defaults"),
        Binding("down", "app.focus_next", "Next field", show=False, priority=True),
        Binding("up", "app.focus_previous", "Prev field", show=False, priority=True),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.extra: dict[str, Any] = {}
        self.errors: dict[str, list[str]] = {}
        self.config: Optional["SweepConfig"] = None
        self.n_trials = 0
        self.estimate_s: Optional[float] = None
        self.plan: Optional["WorkerPlan"] = None  # the workers the sweep would get here
        self.timings: list["PastTiming"] = []
        self.loaded_from: Optional[Path] = None
        self.loaded_raw: Optional[dict[str, Any]] = None  # as written in that file
        self.ready = False  # the whole form is mounted and filled (after the first paint)

    # --- layout -------------------------------------------------------------------
    def compose(self) -> ComposeResult:
        yield SectionBar("params")
        with Horizontal(id="params-body"):
            scroll = VerticalScroll(id="form")
            scroll.can_focus = False  # Tab and up/down go field to field
            with scroll:
                # Only the first section before the first paint (it fills an
                # 80x24 screen); the rest is mounted right after (start-up time).
                yield from self._rows(form.SECTIONS[:1])
            with Vertical(id="preview"):
                start_error = Static("", id="start-error")
                start_error.display = False
                yield start_error
                yield Static("", id="preview-count")
                workers = Static("", id="preview-workers")
                workers.display = False
                yield workers
                yield Static("", id="preview-estimate")
                model_code = Static("", id="preview-model")
                model_code.display = False
                yield model_code
                preview = DataTable(id="preview-trials", cursor_type="none", show_cursor=False, zebra_stripes=False)
                preview.can_focus = False
                yield preview
                yield Static("", id="field-help")
        yield Footer()

    def _rows(self, sections) -> list[Widget]:
        out: list[Widget] = []
        for title, fields in sections:
            out.append(Static(title, classes="form-section"))
            for f in fields:
                out.append(Horizontal(Label(f.label, classes="field-label"), self._widget(f), classes="field-row"))
                out.append(Static("", id=f.widget_id + "-err", classes="field-error"))
        return out

    def _widget(self, f: form.Field) -> Widget:
        if f.kind == "switch":
            return Toggle(id=f.widget_id)
        if f.kind == "select":
            return Choice(f.options, id=f.widget_id)
        suggester = SuggestFromList(SUGGEST[f.key], case_sensitive=False) if f.key in SUGGEST else None
        return Input(placeholder=f.hint, id=f.widget_id, compact=True, suggester=suggester)

    def _field_widget(self, f: form.Field) -> FieldWidget:
        return cast(FieldWidget, self.query_one("#" + f.widget_id))

    def on_mount(self) -> None:
        table = self.query_one("#preview-trials", DataTable)
        table.add_column("trial", key="trial")
        table.add_column("label", key="label")  # the label names the penalty type (sum=, mul=, no-reg)
        self.app.after_first_paint(self._fill_form)

    async def _fill_form(self) -> None:
        try:
            await self.query_one("#form").mount_all(self._rows(form.SECTIONS[1:]))
        except NoMatches:
            return  # the app quit before the form was filled
        if not self.app.cursor_blink:
            for inp in self.query(Input):
                inp.cursor_blink = False
        start = form.defaults()
        start["runs_dir"] = str(self.app.runs_dir)
        try:
            self.set_raw(start)
        except NoMatches:
            return  # the app quit before the form was filled
        self.ready = True
        self.load_timings()

    @work(thread=True, group="estimate", exclusive=True)
    def load_timings(self) -> None:
        from sweepdeck.tui.estimate import past_timings

        timings = past_timings(self.app.runs_dir)
        try:
            self.app.call_from_thread(self._set_timings, timings)
        except RuntimeError:
            pass  # the app is closing

    def _set_timings(self, timings: list["PastTiming"]) -> None:
        self.timings = timings
        self.revalidate()

    def on_screen_resume(self) -> None:
        if self.is_mounted:
            self._show_start_error()
        if self.is_mounted and self.ready:
            self.load_timings()

    def _show_start_error(self) -> None:
        """Why the last sweep started from here did not start (the runner's one line)."""
        run_dir = self.app.run_dir
        reason = self.app.failed_starts.get(run_dir) if run_dir is not None else None
        shown = self.query_one("#start-error", Static)
        shown.display = reason is not None
        if reason is not None:
            shown.update(Text(f"The last run did not start: {reason}"))

    # --- values --------------------------------------------------------------------
    def values(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for f in form.FIELDS:
            out[f.key] = self._field_widget(f).value
        return out

    def raw(self) -> dict[str, Any]:
        return form.to_raw(self.values(), self.extra)

    def set_raw(self, raw: dict[str, Any]) -> None:
        self.extra = form.extra_keys(raw)
        values = form.form_values(raw)
        with self.prevent(Input.Changed, Choice.Changed, Toggle.Changed):
            for f in form.FIELDS:
                w = self._field_widget(f)
                value = values[f.key]
                if isinstance(w, Choice):
                    known = [v for _, v in f.options]
                    if value not in known:
                        w.set_options([*f.options, (value, value)])
                    w.value = value
                elif isinstance(w, Toggle):
                    w.value = bool(value)
                else:
                    w.value = str(value)
        self.revalidate()

    def set_field(self, key: str, value: Any) -> None:
        """Set one field as a user would (used by tests and presets)."""
        self._field_widget(form.BY_KEY[key]).value = value

    # --- validation as you type -------------------------------------------------------
    @on(Input.Changed)
    @on(Choice.Changed)
    @on(Toggle.Changed)
    def _changed(self) -> None:
        self.revalidate()

    def revalidate(self) -> None:
        from sweepdeck.engine.space import count_trials, is_sampled
        from sweepdeck.engine.trials import build_trials
        from sweepdeck.tui.estimate import estimate_seconds, local_plan

        raw = self.raw()
        cfg, errors = form.check(raw)
        self.config, self.errors = cfg, errors
        self._show_model_code(raw, errors)
        for f in form.FIELDS:
            lines = errors.get(f.key, [])
            err = self.query_one("#" + f.widget_id + "-err", Static)
            err.update("\n".join(lines))
            err.set_class(bool(lines), "-shown")
            self.query_one("#" + f.widget_id).set_class(bool(lines), "-invalid")
        count = self.query_one("#preview-count", Static)
        estimate = self.query_one("#preview-estimate", Static)
        table = self.query_one("#preview-trials", DataTable)
        table.clear()
        table.display = cfg is not None
        workers = self.query_one("#preview-workers", Static)
        workers.display = cfg is not None
        if cfg is None:
            n = sum(len(v) for v in errors.values())
            count.update(f"{n} problem{'s' if n != 1 else ''}: fix the fields marked in red")
            estimate.update("")
            self.n_trials, self.estimate_s, self.plan = 0, None, None
            return
        self.n_trials = count_trials(cfg)
        count.update(f"{self.n_trials} trial{'s' if self.n_trials != 1 else ''} x {cfg.n_epochs} epochs")
        # The runner starts on this machine: its GPUs and cores decide the workers.
        self.plan, problem = local_plan(cfg, self.n_trials)
        workers.update(self.plan.describe() if self.plan else problem)
        workers.set_class(self.plan is None, "-problem")
        n_workers = self.plan.workers if self.plan else 1
        est, n_runs = estimate_seconds(self.timings, cfg.dataset.name, cfg.model.name, cfg.dataset.n_train,
                                       cfg.n_epochs, self.n_trials, n_workers)
        self.estimate_s = est
        if est is None:
            estimate.update(f"duration: no past runs of {cfg.dataset.name}/{cfg.model.name} to estimate from")
        else:
            on = f" on {n_workers} worker{'s' if n_workers != 1 else ''}" if self.plan else ""
            estimate.update(f"about {fmt_duration(est)}{on} (from {n_runs} past run{'s' if n_runs != 1 else ''})")
        if is_sampled(cfg):  # no list up front: each trial is proposed when it starts
            table.add_row("...", f"{self.n_trials} trials, proposed as the sweep runs")
        elif self.n_trials <= BUILD_LIMIT:
            shown = build_trials(cfg)[:PREVIEW_ROWS]
            # The preview pane's width less the id column and the cells' padding.
            room = max((self.query_one("#preview").content_region.width or 34) - max(len(shown[-1].id), 5) - 4, 8)
            labels, keys = fit_labels_with_header([t.label for t in shown], room)
            table.columns["label"].label = Text(f"label ({keys})" if keys else "label")  # type: ignore[index]
            for t, label in zip(shown, labels):
                table.add_row(t.id, label)
            if self.n_trials > PREVIEW_ROWS:
                table.add_row("...", f"{self.n_trials - PREVIEW_ROWS} more")
        else:
            table.add_row("...", f"{self.n_trials} trials: too many to list")

    def _show_model_code(self, raw: dict[str, Any], errors: dict[str, list[str]]) -> None:
        """Name the file a custom model's code would come from, before it runs.
        Looked up without importing: the TUI never runs a config's code."""
        from sweepdeck.engine.usercode import find_model_code

        name = raw.get("model", {}).get("name") if isinstance(raw.get("model"), dict) else None
        code = find_model_code(name) if isinstance(name, str) and "model.name" not in errors else None
        shown = self.query_one("#preview-model", Static)
        shown.display = code is not None
        if code is not None:
            shown.update(code.line())
            shown.set_class(bool(code.problem), "-problem")

    def on_descendant_focus(self, event) -> None:
        wid = getattr(event.widget, "id", None) or ""
        for f in form.FIELDS:
            if f.widget_id == wid:
                self.query_one("#field-help", Static).update(f"{f.key}: {f.help}" if f.help else f.key)
                break

    # --- actions ---------------------------------------------------------------------
    def action_reset(self) -> None:
        start = form.defaults()
        start["runs_dir"] = str(self.app.runs_dir)
        self.set_raw(start)
        self.loaded_from, self.loaded_raw = None, None
        self.notify("Form reset to the defaults")

    def action_save(self) -> None:
        name = self.values().get("name") or "sweep"
        folder = Path("configs") if Path("configs").is_dir() else Path(".")
        default = str(self.loaded_from) if self.loaded_from and self.loaded_from.parent == folder else str(folder / f"{name}.json")
        self.app.push_screen(SaveScreen(default, cursor_blink=self.app.cursor_blink), self._save_to)

    def _save_to(self, request: Optional[SaveRequest]) -> None:
        if request is None:
            return
        target = Path(request.path)
        if target.exists():  # the loaded preset too: it may be the only copy of someone's settings
            loaded = " (the file loaded into the form)" if target == self.loaded_from else ""
            self.app.push_screen(ConfirmScreen(f"Overwrite {target}?",
                                               f"It exists{loaded}. The form's keys replace its contents."),
                                 lambda yes: self.save(target, request.every_key) if yes else None)
            return
        self.save(target, request.every_key)

    def save(self, path: Path, every_key: bool = False) -> bool:
        start = {**form.defaults(), "runs_dir": str(self.app.runs_dir)}  # what the form starts from
        # By default the user's keys, no defaults filled in: a later release's defaults still apply.
        raw = self.raw() if every_key else form.as_written(self.raw(), self.loaded_raw, start)
        if self.config is None:
            self.notify("Saved, but the config has problems: see the red fields", severity="warning")
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps(raw, indent=2) + "\n", encoding="utf-8")
        except OSError as exc:
            self.notify(f"Could not save {path}: {exc}", severity="error")
            return False
        self.loaded_from, self.loaded_raw = path, raw
        self.notify(f"Saved {path}")
        return True

    def action_load(self) -> None:
        items: list[tuple[str, Path]] = []
        configs = Path("configs")
        if configs.is_dir():
            items += [(f"preset  {p}", p) for p in sorted(configs.glob("*.json"))]
        runs = self.app.runs_dir
        if runs.is_dir():
            past = sorted((p for p in runs.iterdir() if (p / "config.json").is_file()), key=lambda p: p.name, reverse=True)
            items += [(f"run     {p.name}", p / "config.json") for p in past[:40]]
        self.app.push_screen(LoadScreen(items), self._load_from)

    def _load_from(self, path: Optional[Path]) -> None:
        if path is not None:
            self.load(path)

    def load(self, path: Path) -> bool:
        from sweepdeck.engine.config import ConfigError, read_config_file

        try:
            raw = read_config_file(path)
        except ConfigError as err:
            self.notify("\n".join(err.problems), severity="error")
            return False
        written = raw
        if "runs_dir" not in raw:
            raw = {**raw, "runs_dir": str(self.app.runs_dir)}
        self.set_raw(raw)
        self.loaded_from, self.loaded_raw = path, written
        self.notify(f"Loaded {path}")
        return True

    def action_run(self) -> None:
        self.revalidate()
        if self.config is None:
            first = next(iter(self.errors.values()))[0]
            self.notify(f"Cannot run: {first}", severity="error")
            key = next(iter(self.errors))
            self.query_one("#" + form.BY_KEY[key].widget_id).focus()
            return
        raw = self.raw()
        n, est = self.n_trials, self.estimate_s
        big = n >= CONFIRM_TRIALS or (est is not None and est >= CONFIRM_SECONDS)
        if big:
            about = f"about {fmt_duration(est)}" if est is not None else "duration unknown"
            self.app.push_screen(
                ConfirmScreen(f"{n} trials, {about} - run?",
                              f"{self.config.name}: {n} trials x {self.config.n_epochs} epochs on {self.config.dataset.name}"),
                lambda yes: self._start(raw) if yes else None,
            )
        else:
            self._start(raw)

    def _start(self, raw: dict[str, Any]) -> None:
        self.app.start_sweep(raw)
