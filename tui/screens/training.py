"""Section 2: a run, live. It only ever reads the run's events (and the runner's
output file): a thread follows events.jsonl and posts what is new; the screen
applies it to a RunState and redraws on a timer, only while visible.

Several trials may run at once (a pool of workers): the table shows each one's
progress, ETA and worker, the chart follows the most recently started trial
until the user selects one, and the skip key acts on the selected trial."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Optional

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.widgets import DataTable, Footer, RichLog, Static
from textual.worker import get_current_worker

from sweepdeck.engine.formatting import fmt_acc, fmt_duration
from sweepdeck.engine.liveness import run_is_live
from sweepdeck.engine.safe_text import strip_control
from sweepdeck.tui.labels import fit_labels_with_header, short_keys, values_only
from sweepdeck.tui.log_lines import LogMerge
from sweepdeck.tui.messages import RunUpdate
from sweepdeck.tui.run_state import METRIC_GROUPS, RunState, TrialState, short_status
from sweepdeck.tui.run_tail import RunTail
from sweepdeck.tui.runner_process import skip_running_trial, skip_trial, stop_run
from sweepdeck.tui.screens.base import SectionScreen
from sweepdeck.tui.screens.modals import ConfirmScreen
from sweepdeck.tui.widgets.charts import AllTrialsChart, TrialChart
from sweepdeck.tui.widgets.section_bar import SectionBar

REDRAW_S = 0.5  # table and progress: at most two redraws a second, whatever the event rate
CHART_S = 1.0  # charts (the costly part): at most one redraw a second unless you press a key
NARROW = 100  # below this many columns the table uses short forms (w1 c0, not w1 cuda:0)
SKIPPABLE = ("running", "pending")
CURSOR_KEYS = ("up", "down", "pageup", "pagedown", "home", "end", "ctrl+home", "ctrl+end")


class TrainingScreen(SectionScreen):
    BINDINGS = [
        Binding("m", "metric", "Metric", tooltip="Show the next metric in the trial chart"),
        Binding("n", "next_trial", "Next", tooltip="Select the next trial"),
        Binding("p", "prev_trial", "Prev", tooltip="Select the previous trial"),
        Binding("f", "follow_current", "Follow", tooltip="Follow the most recently started trial"),
        Binding("s", "stop", "Stop", tooltip="Stop the sweep (asks first)"),
        Binding("x", "skip", "Skip", tooltip="Skip the selected trial, running or pending (asks first)"),
        Binding("l", "toggle_log", "Log", tooltip="Show or hide the log pane"),
        Binding("r", "report", "Report", tooltip="This run's report"),
        Binding("q", "app.quit", "Quit", show=False),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.run_dir: Optional[Path] = None
        self.state: Optional[RunState] = None
        self.live = False
        self.metric_group = "accuracy"
        self.selected: Optional[str] = None
        self.auto_follow = True
        self._dirty = False
        self._dirty_trials: set[str] = set()
        self._pending_log: list[str] = []
        self._log_merge = LogMerge()
        self._user_moved = False  # the next highlight comes from the user's key or click
        self.redraws = 0
        self._failed_shown: Optional[str] = None  # the failed start on the progress line
        self._last_chart = 0.0
        self._force_chart = False
        self._columns: list[str] = []  # the table's column keys, chosen once the run's first events are in
        self._widths: dict[str, int] = {}  # the widest cell so far per column (the label's room is what is left)
        self._labels: dict[str, str] = {}  # each trial's label fitted to the label column
        self._labels_for: tuple = ()  # the width and labels that _labels were fitted for

    def compose(self) -> ComposeResult:
        yield SectionBar("training")
        yield Static("", id="run-title")
        yield Static("", id="progress")
        with Horizontal(id="train-top"):
            yield DataTable(id="trials", cursor_type="row", zebra_stripes=False)
            yield TrialChart(id="chart-trial")
        with Horizontal(id="train-bottom"):
            yield AllTrialsChart(id="chart-all")
            # Wrapped: a cut line hides how it ends (which trial, what status, what error).
            # min_width: RichLog wraps at 78 columns at least, wider than this pane at 80x24.
            yield RichLog(id="log", max_lines=500, wrap=True, min_width=20, markup=False, highlight=False)
        yield Footer()

    def on_mount(self) -> None:
        self.set_interval(REDRAW_S, self._tick)
        self.watch(self.app, "run_dir", self._run_changed, init=False)
        self._show_empty()
        self.sync_run()

    def on_screen_resume(self) -> None:
        if self.is_mounted:
            self.sync_run()
            self._dirty = True
            self.redraw(force_chart=True)

    def _run_changed(self) -> None:
        if self.is_current:  # hidden, it catches up when shown (on_screen_resume)
            self.on_screen_resume()

    def sync_run(self) -> None:
        run_dir = self.app.run_dir
        if run_dir is not None and run_dir != self.run_dir:
            self.follow(run_dir)

    def _show_empty(self) -> None:
        if self.run_dir is None:
            self.query_one("#run-title", Static).update("No run selected: start one in Params (F2) or open one in Runs (F4).")

    # --- following ------------------------------------------------------------------
    def follow(self, run_dir: Path) -> None:
        self.run_dir = run_dir
        self.state = RunState(run_dir)
        self.live = False
        self.selected = None
        self.auto_follow = True
        self._dirty_trials = set()
        self._pending_log = []
        self._log_merge = LogMerge()
        self._columns = []
        self._widths, self._labels, self._labels_for = {}, {}, ()
        self.query_one("#trials", DataTable).clear(columns=True)
        self.query_one("#log", RichLog).clear()
        self.query_one("#run-title", Static).update(Text(f"run {run_dir.name}", style="bold"))
        self._dirty = True
        self._follow_worker(run_dir)

    @work(thread=True, exclusive=True, group="follow")
    def _follow_worker(self, run_dir: Path) -> None:
        worker = get_current_worker()
        tail = RunTail(run_dir)
        while not worker.is_cancelled:
            news = tail.poll()
            if news is not None:
                self.post_message(RunUpdate(run_dir, news.events, news.log_lines, news.live))
            deadline = time.monotonic() + tail.next_poll_s()
            while time.monotonic() < deadline and not worker.is_cancelled:  # a thread worker cannot be killed
                time.sleep(0.05)

    def on_run_update(self, msg: RunUpdate) -> None:
        if self.state is None or msg.run_dir != self.run_dir:
            return
        self._dirty_trials |= self.state.apply(msg.events)
        # Events first: the runner prints an event after writing it, so its line repeats one already shown.
        self._pending_log += self._log_merge.from_events(self.state.new_logs)
        self.state.new_logs = []
        # the runner prints labels and errors
        self._pending_log += self._log_merge.from_runner([strip_control(line) for line in msg.log_lines])
        self.live = msg.live
        self._dirty = True

    # --- drawing --------------------------------------------------------------------
    def _tick(self) -> None:
        failed = self.app.failed_starts.get(self.run_dir) if self.run_dir else None
        if failed != self._failed_shown:
            self._dirty = True
        # A new width (the terminal resized, or the first layout) fits the labels again.
        if self._labels_for and self._labels_for[0] != self._label_width(self.query_one("#trials", DataTable)):
            self._dirty = self._force_chart = True
        self.redraw()

    def redraw(self, force_chart: bool = False) -> None:
        if not self._dirty or not self.is_current or self.state is None:
            return
        now = time.monotonic()
        charts_due = force_chart or self._force_chart or now - self._last_chart >= CHART_S - 0.05
        self._dirty = not charts_due  # come back for the charts on a later tick
        self.redraws += 1
        state = self.state
        progress = self.query_one("#progress", Static)
        failed = self.app.failed_starts.get(self.run_dir) if self.run_dir and not state.n_events else None
        self._failed_shown = failed
        if failed is not None:  # not "waiting for the runner" for good
            progress.update(Text.assemble(("the sweep did not start: ", "bold"), failed, "\n",
                                          "F2: back to Params to fix it, then ctrl+r to run again", style="red"))
        else:
            progress.update(state.summary_line(self.live, width=20, max_len=progress.content_region.width or None))
        self._update_table()
        if self.auto_follow and state.current and state.current != self.selected:
            self._select(state.current)
        if self.selected is None and state.trials:
            self._select(state.ordered()[0].trial_id, move=True)
        if charts_due:
            self._last_chart = now
            self._force_chart = False
            self.query_one("#chart-trial", TrialChart).show(state.trials.get(self.selected or ""), self.metric_group)
            self.query_one("#chart-all", AllTrialsChart).show(state, self.selected)
        if self._pending_log:
            log = self.query_one("#log", RichLog)
            for line in self._pending_log[-500:]:
                log.write(Text(line))
            self._pending_log = []

    def _set_columns(self, table: DataTable) -> None:
        """Chosen once, before the first row (a column added or removed later would
        move the cursor, and the user's selection with it): ETAs only for a run
        still running when first seen, workers only for a run whose events name them
        (not runs from before issue 11). The label is what tells trials apart, so
        where it would not fit (values alone) the low-value columns go first:
        the worker (the log says where each trial runs), then the trial's ETA
        (the progress line has the sweep's), then, in a finished run, the epochs."""
        assert self.state is not None
        state = self.state
        # One worker runs everything on one device: the log says which, a column would repeat it.
        where = state.workers > 1 or any(t.worker for t in state.trials.values())
        narrow = self.app.size.width < NARROW  # the status words are 4 letters there: so is its header
        columns = [("trial", "trial"), ("label", "label"), ("st" if narrow else "status", "status"), ("ep", "ep")]
        columns += [("ETA", "eta")] if state.status == "running" else []
        columns += [("on", "where")] if where else []
        columns += [("best", "best")]
        self._columns = [key for _, key in columns]
        self._widths = {key: len(label) for label, key in columns}
        cells = [self._cells(t) for t in state.trials.values()]
        for row in cells:
            for key, value in row.items():
                self._widths[key] = max(self._widths[key], len(value))
        need = max((len(values_only(short_keys(t.label))[0]) for t in state.trials.values()), default=0)
        # A finished run's epochs are the same for nearly every trial: that column goes too.
        for optional in ("where", "eta") + (("ep",) if state.status != "running" else ()):
            room = self._label_width(table)
            if room is None or room >= need:
                break
            if optional in self._columns:
                self._columns.remove(optional)
                del self._widths[optional]
        for label, key in columns:
            if key in self._columns:
                table.add_column(label, key=key)

    def _cells(self, t: TrialState) -> dict[str, str]:
        assert self.state is not None
        narrow = self.app.size.width < NARROW
        eta = self.state.trial_eta_s(t)
        cells = {"trial": strip_control(t.trial_id), "status": short_status(t.status, narrow),
                 # x/y while it may still run or if it ended early; a completed trial did all its epochs
                 "ep": str(t.epochs_done) if t.status == "completed" or not t.planned else f"{t.epochs_done}/{t.planned}",
                 "eta": "" if eta is None else fmt_duration(eta, short=narrow),
                 "where": t.where(short=narrow, device=not narrow or len(self.state.devices or []) != 1),
                 "best": fmt_acc(t.best_test_acc), "label": self._labels.get(t.trial_id, t.label)}
        return {key: cells[key] for key in self._columns or cells}

    def _label_width(self, table: DataTable) -> Optional[int]:
        """The room the label column has once the other columns have theirs
        (their widest cell so far), or None before the table is laid out."""
        if not table.size.width:
            return None
        others = sum(w + 2 for key, w in self._widths.items() if key != "label")
        return max(table.size.width - others - 2 - 1, 8)  # its own padding, the vertical scrollbar

    def _fit_labels(self, table: DataTable) -> bool:
        """Fits every label to the label column, all in one form; True when they changed."""
        assert self.state is not None
        width = self._label_width(table)
        ordered = self.state.ordered()
        key = (width, tuple(t.label for t in ordered))
        if key == self._labels_for:
            return False
        self._labels_for = key
        labels = [t.label for t in ordered]
        fitted, keys = (labels, "") if width is None else fit_labels_with_header(labels, width)
        self._labels = {t.trial_id: label for t, label in zip(ordered, fitted)}
        if "label" in table.columns:
            table.columns["label"].label = Text(f"label ({keys})" if keys else "label")  # type: ignore[index]
        return True

    def _update_table(self) -> None:
        assert self.state is not None
        state = self.state
        table = self.query_one("#trials", DataTable)
        if not self._columns:
            if not state.n_events:
                return
            self._set_columns(table)
            self._dirty_trials = set(state.trials)
        # ETAs change with every epoch of any trial: the running rows are redrawn each time.
        dirty = sorted(self._dirty_trials | set(state.running_ids), key=lambda k: state.trials[k].index)
        rows = {tid: self._cells(state.trials[tid]) for tid in dirty}
        for cells in rows.values():
            for key, value in cells.items():
                self._widths[key] = max(self._widths.get(key, 0), len(value))
        if self._fit_labels(table):  # a new width or new labels: every row's label again
            rows = {tid: self._cells(state.trials[tid]) for tid in sorted(state.trials, key=lambda k: state.trials[k].index)}
        for tid, cells in rows.items():
            if tid in table.rows:
                for key, value in cells.items():
                    table.update_cell(tid, key, value, update_width=True)
            else:
                table.add_row(*cells.values(), key=tid)
        self._dirty_trials = set()

    def _select(self, tid: str, move: bool = True) -> None:
        self.selected = tid
        table = self.query_one("#trials", DataTable)
        if move and tid in table.rows:
            row = table.get_row_index(tid)
            if table.cursor_row != row:
                table.move_cursor(row=row)
        self._dirty = True

    @on(DataTable.RowHighlighted, "#trials")
    def _highlighted(self, event: DataTable.RowHighlighted) -> None:
        """Follow stays on until the user moves the cursor: a highlight this
        screen caused (the first row added, following the running trial) is no
        choice of the user's, whatever order the events arrive in."""
        tid = event.row_key.value
        user = self._user_moved
        self._user_moved = False
        if tid is None or tid == self.selected or event.cursor_row != event.data_table.cursor_row:
            return  # stale: the cursor moved on since
        if not user:
            if self.auto_follow:
                self._select(self.selected or tid)  # back where following put it
            return
        self.selected = tid
        if self.state is not None:
            self.auto_follow = tid == self.state.current
        self._dirty = True
        self.redraw(force_chart=True)

    def on_key(self, event) -> None:
        # The table's own cursor keys and a click are the user's moves; n/p go through _step.
        if event.key in CURSOR_KEYS and self.focused is self.query_one("#trials", DataTable):
            self._user_moved = True

    def on_click(self) -> None:
        self._user_moved = True

    # --- actions --------------------------------------------------------------------
    def action_metric(self) -> None:
        groups = list(METRIC_GROUPS)
        self.metric_group = groups[(groups.index(self.metric_group) + 1) % len(groups)]
        self.notify(f"Chart: {self.metric_group}", timeout=1.5)
        self._dirty = True
        self.redraw(force_chart=True)

    def _step(self, delta: int) -> None:
        if self.state is None or not self.state.trials:
            return
        order = [t.trial_id for t in self.state.ordered()]
        i = order.index(self.selected) if self.selected in order else 0
        tid = order[(i + delta) % len(order)]
        self.auto_follow = tid == self.state.current
        self._select(tid)
        self.redraw(force_chart=True)

    def action_next_trial(self) -> None:
        self._step(1)

    def action_prev_trial(self) -> None:
        self._step(-1)

    def action_follow_current(self) -> None:
        self.auto_follow = True
        if self.state is not None and self.state.current:
            self._select(self.state.current)
            self.redraw()
        self.notify("Following the running trial", timeout=1.5)

    def action_toggle_log(self) -> None:
        log = self.query_one("#log", RichLog)
        log.display = not log.display

    def action_report(self) -> None:
        self.app.switch_mode("report")

    def action_stop(self) -> None:
        if self.run_dir is None or not run_is_live(self.run_dir):
            self.notify("No sweep is running here", severity="warning")
            return
        run_dir = self.run_dir
        self.app.push_screen(
            ConfirmScreen(f"Stop the sweep {run_dir.name}?",
                          "The runner finishes the current batch, marks the run interrupted and exits. "
                          "`sweepdeck resume` (R in Runs) continues it later."),
            lambda yes: self._stop(run_dir) if yes else None,
        )

    def action_skip(self) -> None:
        if self.run_dir is None or self.state is None or not run_is_live(self.run_dir):
            self.notify("No sweep is running here", severity="warning")
            return
        run_dir, state = self.run_dir, self.state
        # Following, the user means the followed trial, which the table may show only at the next redraw.
        tid = state.current if self.auto_follow and state.current else self.selected
        t = state.trials.get(tid or "")
        if t is None or t.status not in SKIPPABLE:
            shown = f"{t.trial_id} has ended ({t.status})" if t else "No trial is selected"
            self.notify(f"{shown}: select a running or pending trial to skip (up/down, n/p)", severity="warning")
            return
        # A runner from before issue 11 names no devices and reads no skip requests:
        # SIGUSR1 skips its one running trial, and nothing can skip a pending one.
        by_signal = state.devices is None
        if by_signal and t.trial_id != state.current:
            self.notify(f"This runner can skip only its running trial ({state.current or 'none now'})",
                        severity="warning")
            return
        tid = t.trial_id
        label = f" ({t.label})" if t.label else ""
        detail = ("It ends now with status 'skipped'; the other trials go on." if t.status == "running"
                  else "It will not run: it is marked 'skipped' and the sweep goes on without it.")
        self.app.push_screen(
            ConfirmScreen(f"Skip {t.status} trial {tid}{label}?", detail),
            lambda yes: self._skip(run_dir, tid, by_signal) if yes else None,
        )

    def _skip(self, run_dir: Path, tid: str, by_signal: bool) -> None:
        problem = skip_running_trial(run_dir) if by_signal else skip_trial(run_dir, tid)
        if problem:
            self.notify(problem, severity="warning")
        else:
            self.notify(f"Skipping {tid}...")

    def _stop(self, run_dir: Path) -> None:
        problem = stop_run(run_dir)
        if problem:
            self.notify(problem, severity="warning")
        else:
            self.notify("Stopping the sweep...")
