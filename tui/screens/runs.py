"""Section 3: every run in runs_dir, sortable; open, compare, delete, resume."""

from __future__ import annotations

import shutil
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable, Optional

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Static

from sweepdeck.engine.events import read_events
from sweepdeck.engine.formatting import fmt_acc, fmt_duration
from sweepdeck.engine.liveness import run_is_live
from sweepdeck.engine.safe_text import strip_control
from sweepdeck.engine.store import EVENTS, RunSummary, list_runs
from sweepdeck.tui.run_state import RunState
from sweepdeck.tui.runner_process import TUI_DIR
from sweepdeck.tui.screens.base import SectionScreen
from sweepdeck.tui.screens.modals import ConfirmScreen
from sweepdeck.tui.widgets.section_bar import SectionBar

SORTS: list[tuple[str, str, Callable[[RunSummary], Any]]] = [
    ("date", "date", lambda s: s.created),
    ("name", "name", lambda s: s.name.lower()),
    ("trials", "trials", lambda s: s.n_trials),
    ("status", "status", lambda s: s.status),
    ("best", "best test", lambda s: s.best_test_acc if s.best_test_acc is not None else -1.0),
    ("duration", "duration", lambda s: s.duration_s or 0.0),
]


NARROW = 100  # below this many columns the id replaces the date and name columns


def fmt_date(t: float) -> str:
    return datetime.fromtimestamp(t, timezone.utc).strftime("%Y-%m-%d %H:%M")


class RunsScreen(SectionScreen):
    BINDINGS = [
        # priority: the table's own enter binding (not shown) would hide this one from the footer
        Binding("enter", "open", "Open", priority=True, tooltip="Open the run in the training screen"),
        Binding("s", "sort", "Sort", tooltip="Sort by the next column"),
        Binding("S", "reverse", "Reverse", show=False, tooltip="Reverse the sort order"),
        Binding("space", "mark", "Mark", tooltip="Mark a run to compare"),
        Binding("c", "compare", "Compare", tooltip="Compare two runs trial by trial"),
        Binding("d", "delete", "Delete", tooltip="Delete the run (asks first)"),
        Binding("r", "report", "Report", tooltip="The run's report"),
        Binding("R", "resume", "Resume", tooltip="Resume an interrupted run"),
        # in the key list (F1), not the footer: 80 columns must keep Open and Quit
        Binding("u", "refresh", "Refresh", show=False, tooltip="Read the runs folder again"),
        Binding("q", "app.quit", "Quit", show=False),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.summaries: list[RunSummary] = []
        self.sort_index = 0
        self.descending = True
        self.marked: list[str] = []
        self.loaded = False
        self._shown: tuple[list, list] = ([], [])  # (columns, rows) the table holds

    def compose(self) -> ComposeResult:
        yield SectionBar("runs")
        yield Static("", id="runs-title")
        yield DataTable(id="runs", cursor_type="row", zebra_stripes=False)
        yield Footer()

    def on_mount(self) -> None:
        self.refresh_runs()

    def _columns(self) -> list[tuple[str, str]]:
        """(label, key) of the table's columns. Below 100 columns the id (which
        begins with the date and time and ends with the name) comes second, in
        place of the date and name columns, so that it is never cut."""
        narrow = self.app.size.width < NARROW
        sorts = [(label, key) for key, label, _ in SORTS if not (narrow and key in ("date", "name"))]
        return [(" ", "mark")] + ([("id", "id")] + sorts if narrow else sorts + [("id", "id")])

    def on_resize(self) -> None:
        if self.loaded:
            self._fill()

    def on_screen_resume(self) -> None:
        if self.is_mounted:
            self.refresh_runs()

    @work(thread=True, exclusive=True, group="runs")
    def refresh_runs(self) -> None:
        summaries = list_runs(self.app.runs_dir)
        try:
            self.app.call_from_thread(self._set, summaries)
        except RuntimeError:
            pass  # the app is closing

    def _set(self, summaries: list[RunSummary]) -> None:
        self.summaries = summaries
        self.marked = [m for m in self.marked if any(s.run_id == m for s in summaries)]
        self.loaded = True
        self._fill()

    def _fill(self) -> None:
        table = self.query_one("#runs", DataTable)
        keep = self.current_id()
        key, label, fn = SORTS[self.sort_index]
        rows = sorted(self.summaries, key=fn, reverse=self.descending)
        columns = self._columns()
        shown = [(s.run_id, tuple(cells[k] for _, k in columns)) for s in rows for cells in [self._cells(s)]]
        # a refresh that finds what is shown (the screen's first resume follows its mount) leaves the table be:
        # rebuilding it would reset its column widths and move nothing
        if (columns, shown) != self._shown:
            self._shown = (columns, shown)
            if [c.value for c in table.columns] != [k for _, k in columns]:
                table.clear(columns=True)
                for text, k in columns:
                    table.add_column(text, key=k)
            table.clear()
            for run_id, cells in shown:
                table.add_row(*cells, key=run_id)
            if keep and keep in table.rows:
                table.move_cursor(row=table.get_row_index(keep))
        arrow = "down" if self.descending else "up"
        n = len(rows)
        self.query_one("#runs-title", Static).update(
            f"{n} run{'s' if n != 1 else ''} in {self.app.runs_dir}  sorted by {label} ({arrow})"
            + (f"  marked: {', '.join(self.marked)}" if self.marked else ""))

    def _cells(self, s: RunSummary) -> dict[str, str]:
        # from run folders, which are shared
        return {"mark": "*" if s.run_id in self.marked else " ", "date": fmt_date(s.created),
                "name": strip_control(s.name), "trials": f"{s.n_finished}/{s.n_trials}",
                "status": strip_control(s.status), "best": fmt_acc(s.best_test_acc),
                "duration": fmt_duration(s.duration_s), "id": strip_control(s.run_id)}

    def current_id(self) -> Optional[str]:
        table = self.query_one("#runs", DataTable)
        if not table.row_count:
            return None
        try:
            return table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        except Exception:
            return None

    def current_path(self) -> Optional[Path]:
        rid = self.current_id()
        return self.app.runs_dir / rid if rid else None

    # --- actions --------------------------------------------------------------------
    @on(DataTable.RowSelected, "#runs")
    def _selected(self, event: DataTable.RowSelected) -> None:
        self.action_open()

    def action_open(self) -> None:
        path = self.current_path()
        if path is not None:
            self.app.open_run(path, "training")

    def action_report(self) -> None:
        path = self.current_path()
        if path is not None:
            self.app.open_run(path, "report")

    def action_sort(self) -> None:
        self.sort_index = (self.sort_index + 1) % len(SORTS)
        self._fill()

    def action_reverse(self) -> None:
        self.descending = not self.descending
        self._fill()

    def action_refresh(self) -> None:
        self.refresh_runs()

    def action_mark(self) -> None:
        rid = self.current_id()
        if rid is None:
            return
        if rid in self.marked:
            self.marked.remove(rid)
        else:
            self.marked = (self.marked + [rid])[-2:]
        self._fill()

    def action_compare(self) -> None:
        ids = list(self.marked)
        cur = self.current_id()
        if len(ids) < 2 and cur and cur not in ids:
            ids.append(cur)
        if len(ids) < 2:
            self.notify("Mark a run with space, then press c on another (or mark two)", severity="warning")
            return
        runs = self.app.runs_dir
        self.app.push_screen(CompareScreen(runs / ids[0], runs / ids[1]))

    def action_delete(self) -> None:
        path = self.current_path()
        if path is None:
            return
        if run_is_live(path):
            self.notify(f"{path.name} is running: stop it first", severity="warning")
            return
        self.app.push_screen(
            ConfirmScreen(f"Delete run {path.name}?", f"This removes the folder {path} and everything in it."),
            lambda yes: self._delete(path) if yes else None,
        )

    def _delete(self, path: Path) -> None:
        shutil.rmtree(path, ignore_errors=True)
        for suffix in (".json", ".log"):
            (path.parent / TUI_DIR / f"{path.name}{suffix}").unlink(missing_ok=True)
        if self.app.run_dir == path:
            self.app.run_dir = None
        self.notify(f"Deleted {path.name}")
        self.refresh_runs()

    def action_resume(self) -> None:
        path = self.current_path()
        if path is None:
            return
        if run_is_live(path):
            self.notify(f"{path.name} is already running", severity="warning")
            return
        self.app.push_screen(
            ConfirmScreen(f"Resume run {path.name}?", "Starts `sweepdeck resume` in the background and follows it."),
            lambda yes: self.app.resume_sweep(path) if yes else None,
        )


class CompareScreen(Screen):
    """Two runs' trials side by side, matched by their label."""

    BINDINGS = [Binding("escape,q,backspace", "close", "Back")]

    def __init__(self, a: Path, b: Path) -> None:
        super().__init__()
        self.a, self.b = a, b

    def compose(self) -> ComposeResult:
        yield SectionBar("runs")
        yield Static(f"A = {self.a.name}\nB = {self.b.name}", id="compare-title")
        yield DataTable(id="compare", cursor_type="row", zebra_stripes=False)
        yield Footer()

    def on_mount(self) -> None:
        states = []
        for path in (self.a, self.b):
            st = RunState(path)
            st.apply(read_events(path / EVENTS).events)
            states.append(st)
        table = self.query_one("#compare", DataTable)
        table.add_columns("label", "A status", "A best", "B status", "B best", "B - A")
        labels: list[str] = []
        by_label: list[dict[str, Any]] = []
        for st in states:
            d = {}
            for t in st.ordered():
                lab = t.label or t.trial_id
                d[lab] = t
                if lab not in labels:
                    labels.append(lab)
            by_label.append(d)
        for lab in labels:
            ta, tb = by_label[0].get(lab), by_label[1].get(lab)
            diff = "-"
            if ta is not None and tb is not None and ta.best_test_acc is not None and tb.best_test_acc is not None:
                diff = f"{(tb.best_test_acc - ta.best_test_acc) * 100:+.2f}"
            table.add_row(lab, ta.status if ta else "-", fmt_acc(ta.best_test_acc) if ta else "-",
                          tb.status if tb else "-", fmt_acc(tb.best_test_acc) if tb else "-", diff)

    def action_close(self) -> None:
        self.app.pop_screen()
