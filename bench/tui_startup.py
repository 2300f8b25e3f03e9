"""Time from starting the TUI to its first painted screen (target: under 0.5 s).

Two measurements, both in a real terminal (tmux, 80x24, TERM=screen-256color),
both from the moment the bench launches the process (interpreter start-up and
imports included):

1. Textual's own timing: a child process records when the app first writes a
   frame to the terminal (App._display), then exits.
2. tmux capture: the bench polls capture-pane until the section bar is visible
   (coarser: polling costs CPU and adds up to one poll interval).

    python bench/tui_startup.py [--runs 10]
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def child() -> None:
    """Run the app; on the first frame written, record the time and exit."""
    t0 = float(os.environ["TUI_BENCH_T0"])
    out = os.environ["TUI_BENCH_OUT"]
    sys.path.insert(0, str(ROOT))
    from sweepdeck.tui.app import SweepdeckApp

    class Timed(SweepdeckApp):
        _done = False

        def _display(self, screen, renderable):  # type: ignore[override]
            result = super()._display(screen, renderable)
            if not self._done and renderable is not None:
                self._done = True
                tmp = Path(out + ".tmp")
                tmp.write_text(json.dumps({"first_frame_s": time.time() - t0}))
                os.replace(tmp, out)
                self.call_later(self.exit)
            return result

    Timed(runs_dir="runs").run()


_N = [0]


def new_sock() -> str:
    """A fresh tmux socket per measurement: reusing one right after kill-server races."""
    _N[0] += 1
    return f"tui-startup-{os.getpid()}-{_N[0]}"


def tmux(sock: str, *args: str) -> str:
    r = subprocess.run(["tmux", "-L", sock, *args], capture_output=True, text=True)
    if r.stderr and os.environ.get("TUI_BENCH_DEBUG"):
        print("tmux:", r.stderr, file=sys.stderr)
    return r.stdout


def measure_own(cwd: Path, sock: str) -> float:
    out = cwd / "t.json"
    out.unlink(missing_ok=True)
    cmd = (f"cd {shlex.quote(str(cwd))} && TERM=screen-256color TUI_BENCH_OUT={out} TUI_BENCH_T0={{t0}} "
           f"exec {shlex.quote(sys.executable)} {shlex.quote(str(Path(__file__).resolve()))} --child")
    t0 = time.time()
    full = cmd.format(t0=repr(t0))
    tmux(sock, "-f", "/dev/null", "new-session", "-d", "-s", "b", "-x", "80", "-y", "24", full)
    deadline = time.time() + 20
    while not out.exists() and time.time() < deadline:
        time.sleep(0.02)
    tmux(sock, "kill-server")
    return json.loads(out.read_text())["first_frame_s"]


def measure_capture(cwd: Path, sock: str, poll_s: float = 0.02) -> float:
    cmd = (f"cd {shlex.quote(str(cwd))} && TERM=screen-256color PYTHONPATH={shlex.quote(str(ROOT))} "
           f"exec {shlex.quote(sys.executable)} -c 'from sweepdeck.tui.app import run_app; run_app()'")
    t0 = time.time()
    tmux(sock, "-f", "/dev/null", "new-session", "-d", "-s", "b", "-x", "80", "-y", "24", cmd)
    while "F2 Params" not in tmux(sock, "capture-pane", "-p", "-t", "b"):
        if time.time() - t0 > 20:
            raise RuntimeError("the TUI did not paint within 20 s")
        time.sleep(poll_s)
    elapsed = time.time() - t0
    tmux(sock, "kill-server")
    return elapsed


def main() -> None:
    if "--child" in sys.argv:
        child()
        return
    p = argparse.ArgumentParser()
    p.add_argument("--runs", type=int, default=10)
    a = p.parse_args()
    with tempfile.TemporaryDirectory() as d:
        cwd = Path(d)
        measure_own(cwd, new_sock())  # warm the file cache once
        own = [measure_own(cwd, new_sock()) for _ in range(a.runs)]
        cap = [measure_capture(cwd, new_sock()) for _ in range(a.runs)]
    for name, xs in (("first frame (Textual's own timing)", own), ("visible in tmux capture-pane", cap)):
        print(f"{name}: median {statistics.median(xs):.3f} s  min {min(xs):.3f}  max {max(xs):.3f}  (n={len(xs)})")
    print(f"load average during the bench: {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs")


if __name__ == "__main__":
    main()
