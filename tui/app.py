"""The sweepdeck TUI: four sections (Textual MODES), keyboard only.

    sweepdeck                  -> run_app()                  Params, or a running sweep re-attached
    sweepdeck attach RUN       -> run_app(attach=RUN)        Training screen of that run

Sweeps run in a separate process in its own session (`sweepdeck run CFG
--run-dir DIR`), so they survive the TUI exiting and a dropped SSH connection;
the TUI only follows the run folder's events.jsonl. No torch is imported here.
"""

from __future__ import annotations

import os
import shlex
import subprocess
import time
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterable, Optional

from textual import work
from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.reactive import var
from textual.screen import Screen
from textual.worker import get_current_worker

from sweepdeck.engine.safe_text import strip_control  # standard library only: no start-up cost
from sweepdeck.tui.messages import RunnerExited

if TYPE_CHECKING:
    from sweepdeck.tui.runner_process import Launch

# engine.* and sweepdeck.tui.runner_process (pydantic) load after the first paint: start-up time.


def running_runs(runs_dir: Path) -> list[Path]:
    """Run folders whose runner is alive, newest first."""
    from sweepdeck.engine.liveness import run_is_live  # standard library only: asked before the first paint

    try:
        entries = list(runs_dir.iterdir())
    except OSError:
        return []
    return sorted((p for p in entries if run_is_live(p)), key=lambda p: p.name, reverse=True)


def _params() -> Screen:
    from sweepdeck.tui.screens.params import ParamsScreen

    return ParamsScreen()


def _training() -> Screen:
    from sweepdeck.tui.screens.training import TrainingScreen  # plotext is imported only here

    return TrainingScreen()


def _runs() -> Screen:
    from sweepdeck.tui.screens.runs import RunsScreen

    return RunsScreen()


def _report() -> Screen:
    from sweepdeck.tui.screens.report import ReportScreen

    return ReportScreen()


SECTION_NAMES = {"params": "Params", "training": "Training", "runs": "Runs", "report": "Report"}


class SweepdeckApp(App[int]):
    CSS_PATH = str(Path(__file__).with_name("sweepdeck.tcss"))
    TITLE = "sweepdeck"
    # Screens get -narrow below 100 columns (80x24 over SSH), -medium below 140: the
    # stylesheet gives the room there to what matters most (the trials' labels).
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (100, "-medium"), (140, "-wide")]
    MODES = {"params": _params, "training": _training, "runs": _runs, "report": _report}
    BINDINGS = [
        # The section keys and F1 are shown in the bar on top of every screen.
        Binding("f1", "help", "Keys", priority=True, show=False, tooltip="List every key"),
        Binding("question_mark", "help", "Keys", show=False, tooltip="List every key"),
        Binding("f2", "section('params')", "Params", priority=True, show=False, tooltip="The parameters form"),
        Binding("f3", "section('training')", "Training", priority=True, show=False, tooltip="The live training screen"),
        Binding("f4", "section('runs')", "Runs", priority=True, show=False, tooltip="Browse past runs"),
        Binding("f5", "section('report')", "Report", priority=True, show=False, tooltip="The run's report"),
        Binding("ctrl+q", "quit", "Quit", priority=True, tooltip="Quit (asks what to do with a running sweep)"),
    ]

    # The run the Training and Report sections show; they watch it.
    run_dir: var[Optional[Path]] = var(None, init=False)

    def __init__(self, runs_dir: str | Path = "runs", attach: Optional[Path] = None,
                 runner_cmd: Optional[list[str]] = None, cursor_blink: bool = True) -> None:
        super().__init__()
        self.runs_dir = Path(runs_dir)
        self.attach = Path(attach) if attach is not None else None
        self.runner_cmd = runner_cmd
        self.cursor_blink = cursor_blink
        self.launched: dict[Path, "Launch"] = {}
        # runs whose runner exited before writing an event: why, in its one line (Training
        # shows it instead of waiting for the runner; Params shows the latest)
        self.failed_starts: dict[Path, str] = {}
        self.first_paint: Optional[float] = None
        self._after_paint: list[Any] = []

    # --- start ----------------------------------------------------------------------
    def on_mount(self) -> None:
        if self.attach is not None:
            self.run_dir = self.attach
            self.switch_mode("training")
            return
        running = running_runs(self.runs_dir)
        if running:
            self.run_dir = running[0]
            self.switch_mode("training")
            more = f" ({len(running) - 1} more running: see Runs, F4)" if len(running) > 1 else ""
            self.notify(f"Re-attached to the running sweep {running[0].name}{more}. F2 starts a new one.")
        else:
            self.switch_mode("params")
        self.set_timer(1.0, self._painted)  # in case no frame is ever written

    # --- start-up: heavy work waits until the first frame is on the terminal ---------------
    def after_first_paint(self, callback: Any) -> None:
        if self.first_paint is not None:
            self.call_later(callback)
        else:
            self._after_paint.append(callback)

    def _painted(self) -> None:
        if self.first_paint is None:
            self.first_paint = time.perf_counter()
        callbacks, self._after_paint = self._after_paint, []
        for cb in callbacks:
            self.call_later(cb)

    def _display(self, screen: Screen, renderable: Any) -> None:
        super()._display(screen, renderable)
        if self.first_paint is None and renderable is not None and not self._batch_count:
            self._painted()

    # --- sections ---------------------------------------------------------------------
    def action_section(self, name: str) -> None:
        if self.current_mode != name:
            self.switch_mode(name)

    def open_run(self, run_dir: Path, section: str = "training") -> None:
        """Make `run_dir` the current run and show it in `section`."""
        self.run_dir = Path(run_dir)
        if self.current_mode != section:
            self.switch_mode(section)

    # --- running sweeps ----------------------------------------------------------------
    def start_sweep(self, raw: dict[str, Any]) -> Optional[Path]:
        name = str(raw.get("name") or "sweep")
        runs_dir = Path(raw.get("runs_dir") or self.runs_dir)
        from sweepdeck.tui.runner_process import launch_run

        try:
            launch = launch_run(raw, runs_dir, name, self.runner_cmd)
        except OSError as exc:
            self.notify(f"Could not start the runner: {exc}", severity="error")
            return None
        self._started(launch)
        self.notify(f"Started {launch.run_dir.name} (pid {launch.proc.pid}); output in {launch.log_path}")
        return launch.run_dir

    def resume_sweep(self, run_dir: Path) -> None:
        from sweepdeck.tui.runner_process import launch_resume

        try:
            launch = launch_resume(run_dir, self.runner_cmd)
        except OSError as exc:
            self.notify(f"Could not resume: {exc}", severity="error")
            return
        self._started(launch)
        self.notify(f"Resuming {run_dir.name} (pid {launch.proc.pid})")

    def _started(self, launch: "Launch") -> None:
        self.launched[launch.run_dir] = launch
        self._watch_runner(launch)
        self.open_run(launch.run_dir, "training")

    @work(thread=True, group="runner")
    def _watch_runner(self, launch: "Launch") -> None:
        """Waits for a runner this TUI started, to tell the user how it ended."""
        worker = get_current_worker()
        while not worker.is_cancelled:
            try:
                code = launch.proc.wait(timeout=0.5)
            except subprocess.TimeoutExpired:
                continue
            tail = ""
            try:
                tail = launch.log_path.read_text(encoding="utf-8", errors="replace")[-2000:]
            except OSError:
                pass
            self.post_message(RunnerExited(launch.run_dir, code, tail))
            return

    def on_runner_exited(self, msg: RunnerExited) -> None:
        from sweepdeck.tui.runner_process import never_started, runner_error

        if msg.returncode != 0 and never_started(msg.run_dir):
            reason = runner_error(msg.log_tail)
            self.failed_starts[msg.run_dir] = reason
            self.notify(f"The sweep did not start: {reason}", severity="error", timeout=15)
            if self.run_dir == msg.run_dir and self.current_mode == "training":
                self.switch_mode("params")  # where it is fixed; Training says the same if shown
            return
        if msg.returncode == 0:
            self.notify(f"{msg.run_dir.name}: runner finished")
        elif msg.returncode in (130, 143):  # stopped by SIGINT/SIGTERM (the Stop key sends SIGTERM): resumable
            self.notify(f"{strip_control(msg.run_dir.name)}: runner stopped; resume it from Runs")
        else:
            last = [strip_control(line) for line in msg.log_tail.splitlines() if line.strip()][-3:]
            self.notify(f"{strip_control(msg.run_dir.name)}: runner exited with code {msg.returncode}\n" + "\n".join(last),
                        severity="error", timeout=15)

    def live_runs(self) -> list[Path]:
        from sweepdeck.engine.liveness import run_is_live

        dirs = list(self.launched)
        if self.run_dir is not None and self.run_dir not in dirs:
            dirs.append(self.run_dir)
        return [d for d in dirs if run_is_live(d)]

    async def action_quit(self) -> None:
        live = self.live_runs()
        if not live:
            self.exit(0)
            return
        from sweepdeck.tui.screens.modals import ChoiceScreen

        names = ", ".join(d.name for d in live)
        self.push_screen(
            ChoiceScreen(f"A sweep is running: {names}",
                         [("l", "leave it running and quit (attach again later)", "leave"),
                          ("s", "stop it and quit", "stop"),
                          ("c", "cancel", "cancel")],
                         "It runs in its own session, so it survives quitting and a dropped SSH connection."),
            partial(self._quit_choice, live),
        )

    def _quit_choice(self, live: list[Path], choice: Optional[str]) -> None:
        if choice == "stop":
            from sweepdeck.tui.runner_process import stop_run

            for d in live:
                stop_run(d)
            self.exit(0)
        elif choice == "leave":
            self.exit(0)

    # --- external programs ($EDITOR, $PAGER) ------------------------------------------------
    def run_external(self, argv: list[str]) -> int:
        from textual.app import SuspendNotSupported

        try:
            with self.suspend():
                return subprocess.run(argv).returncode
        except SuspendNotSupported:
            self.notify("Cannot suspend this terminal to run " + argv[0], severity="error")
        except OSError as exc:
            self.notify(f"Could not run {argv[0]}: {exc}", severity="error")
        return -1

    # --- keys: help screen and command palette ------------------------------------------------
    def key_groups(self) -> list[tuple[str, list[tuple[str, str]]]]:
        from sweepdeck.tui.screens.modals import ConfirmScreen
        from sweepdeck.tui.screens.params import ParamsScreen
        from sweepdeck.tui.screens.report import ReportScreen
        from sweepdeck.tui.screens.runs import CompareScreen, RunsScreen
        from sweepdeck.tui.screens.training import TrainingScreen

        def rows(bindings: Iterable[Any]) -> list[tuple[str, str]]:
            out = []
            for b in bindings:
                if isinstance(b, Binding):
                    keys = "/".join(self._key_name(k) for k in b.key.split(","))
                    desc = b.description or b.action
                    out.append((keys, f"{desc}: {b.tooltip}" if b.tooltip else desc))
            return out

        return [
            ("Everywhere", rows(self.BINDINGS) + [("ctrl+p", "command palette (every action by name)")]),
            ("Params (F2)", rows(ParamsScreen.BINDINGS) + [("tab/shift+tab", "next / previous field")]),
            ("Training (F3)", rows(TrainingScreen.BINDINGS) + [("up/down", "select a trial in the table")]),
            ("Runs (F4)", rows(RunsScreen.BINDINGS)),
            ("Compare", rows(CompareScreen.BINDINGS)),
            ("Report (F5)", rows(ReportScreen.BINDINGS)),
            ("Confirmations", rows(ConfirmScreen.BINDINGS)),
        ]

    @staticmethod
    def _key_name(key: str) -> str:
        return {"question_mark": "?", "space": "space"}.get(key, key)

    def action_help(self) -> None:
        from sweepdeck.tui.screens.modals import HelpScreen

        if isinstance(self.screen, HelpScreen):
            self.screen.dismiss(None)
            return
        self.push_screen(HelpScreen(self.key_groups()))

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        seen: set[str] = set()
        for key, active in screen.active_bindings.items():
            b = active.binding
            if not b.description or b.action in seen:
                continue
            seen.add(b.action)
            yield SystemCommand(f"{b.description} ({self._key_name(key)})", b.tooltip or b.description,
                                partial(self.call_later, self.run_action, b.action, active.node))
        yield from super().get_system_commands(screen)


def run_app(attach: Path | None = None, runs_dir: str | Path = "runs") -> int:
    """Run the TUI until the user quits; returns the exit status."""
    runner = os.environ.get("SWEEPDECK_TUI_RUNNER")  # tests/benchmarks: a stand-in runner command
    app = SweepdeckApp(runs_dir=runs_dir, attach=attach, runner_cmd=shlex.split(runner) if runner else None)
    code = app.run()
    return int(code or 0) if app.return_code in (None, 0) else int(app.return_code)
