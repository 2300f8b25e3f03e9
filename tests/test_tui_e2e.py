"""End to end in a real terminal: tmux runs `python -m sweepdeck.engine.cli` (the bare
`sweepdeck`), keys fill the form and start a short sweep of the real trainer,
capture-pane shows the training screen; the TUI is killed mid-sweep, started
again, re-attaches to the still-running run and finally shows the report."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import time
from pathlib import Path

import pytest

from tests.support.tui import ROOT

from sweepdeck.tui import form

pytestmark = pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed")


class Tmux:
    _n = 0

    def __init__(self, cwd: Path, size=(100, 30)):
        Tmux._n += 1  # a fresh socket each time: reusing one right after kill-server races
        self.sock = f"sweepdeck-e2e-{os.getpid()}-{Tmux._n}"
        self.cwd = cwd
        self.size = size

    def tmux(self, *args: str) -> str:
        out = subprocess.run(["tmux", "-L", self.sock, *args], capture_output=True, text=True, timeout=10)
        return out.stdout

    def start(self) -> None:
        env = f"cd {self.cwd} && TERM=screen-256color PYTHONPATH={ROOT} exec {ROOT}/.venv/bin/python -m sweepdeck.engine.cli"
        if not (ROOT / ".venv/bin/python").exists():
            import sys
            env = f"cd {self.cwd} && TERM=screen-256color PYTHONPATH={ROOT} exec {sys.executable} -m sweepdeck.engine.cli"
        self.tmux("-f", "/dev/null", "new-session", "-d", "-s", "tui", "-x", str(self.size[0]), "-y",
                  str(self.size[1]), env)

    def keys(self, *keys: str) -> None:
        self.tmux("send-keys", "-t", "tui", *keys)
        time.sleep(0.15)

    def type(self, text: str) -> None:
        self.tmux("send-keys", "-t", "tui", "-l", text)
        time.sleep(0.15)

    def screen(self) -> str:
        return self.tmux("capture-pane", "-p", "-t", "tui")

    def wait(self, needle: str, timeout: float = 60) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            text = self.screen()
            if needle in text:
                return text
            time.sleep(0.2)
        raise AssertionError(f"{needle!r} never appeared; screen:\n{self.screen()}")

    def wait_re(self, pattern: str, timeout: float = 20) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            text = self.screen()
            if re.search(pattern, text):
                return text
            time.sleep(0.2)
        raise AssertionError(f"{pattern!r} never matched; screen:\n{self.screen()}")

    def kill(self) -> None:
        subprocess.run(["tmux", "-L", self.sock, "kill-server"], capture_output=True)


def test_tui_in_tmux_runs_a_sweep_survives_restart_and_shows_report(tmp_path):
    if not (ROOT / "engine" / "cli.py").exists() or not (ROOT / "configs" / "quick.json").exists():
        pytest.skip("the trainer CLI (engine/cli.py) or configs/quick.json is not there yet")
    (tmp_path / "configs").mkdir()
    shutil.copy(ROOT / "configs" / "quick.json", tmp_path / "configs" / "quick.json")
    t = Tmux(tmp_path)
    t.start()
    try:
        t.wait("F2 Params", 15)
        # load the preset configs/quick.json (the only one)
        t.keys("C-o")
        t.wait("Load a config")
        t.keys("Enter")
        t.wait("Loaded configs/quick.json")
        # fill the form: focus starts on `name`; Down moves field to field
        order = [f.key for f in form.FIELDS]
        pos = 0
        for key, value in [("lr", "0.01"), ("n_epochs", "40"), ("dataset.n_train", "256"), ("model.name", "tiny")]:
            for _ in range(order.index(key) - pos):
                t.keys("Down")
            pos = order.index(key)
            t.keys("C-a")
            t.keys("C-k")
            t.type(value)
            t.wait_re(rf"\b{form.BY_KEY[key].label}\s+{re.escape(value)}\s")
        t.wait("2 trials x 40 epochs")
        t.wait("shapes/tiny")  # the estimate line names dataset/model
        t.keys("C-r")
        screen = t.wait("[F3 Training]", 15)
        assert "quick" in screen
        # the training screen progresses: the first epochs arrive
        t.wait_re(r"t000\s+\S.*?\s(running|run)\s+[1-9]", 90)  # after the label; `run` below 100 columns
        runs = [p for p in (tmp_path / "runs").iterdir() if p.is_dir() and p.name != ".tui"]
        assert len(runs) == 1
        run_dir = runs[0]
        # kill the TUI (and its terminal) mid-sweep: the sweep goes on in its own session
        t.kill()
        was_running = "run_finished" not in (run_dir / "events.jsonl").read_text()
        # start again: it re-attaches to the running sweep (or, on a very fast
        # machine, the run has finished: open it from the runs browser)
        t = Tmux(tmp_path)
        t.start()
        screen = t.wait_re(r"Re-attached|\[F2 Params\]", 15)
        if "Re-attached" in screen:
            assert "[F3 Training]" in screen
        else:
            t.keys("F4")
            t.wait("1 run in runs")
            t.keys("Enter")
            t.wait("[F3 Training]")
        t.wait("completed  trials 2/2", 120)
        events = (run_dir / "events.jsonl").read_text()
        assert '"status":"completed"' in events.splitlines()[-1]
        assert was_running or "Re-attached" not in screen
        print("e2e: killed mid-run" if was_running else "e2e: run had finished", "| re-attached" if "Re-attached" in screen else "")
        # the runner writes the report at the end; r shows it
        deadline = time.monotonic() + 60
        while not (run_dir / "report.md").exists() and time.monotonic() < deadline:
            time.sleep(0.2)
        t.keys("r")
        t.wait("[F5 Report]", 10)
        t.wait("Fact check", 15)
        # quit: nothing running any more, so no question
        t.keys("C-q")
        deadline = time.monotonic() + 10
        while "F5 Report" in t.screen() and time.monotonic() < deadline:
            time.sleep(0.2)
    finally:
        t.kill()
        lock = tmp_path / "runs"
        for p in lock.glob("*/runner.lock"):
            try:
                import json
                os.kill(json.loads(p.read_text())["pid"], 15)
            except Exception:
                pass
