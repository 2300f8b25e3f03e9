"""The runner process the TUI starts, and what it asks of a running sweep (stop, skip).

A sweep runs as `sweepdeck run CFG --run-dir DIR` in its own session, so it outlives
the TUI and a dropped SSH connection. The TUI writes the config it starts to
`<runs_dir>/.tui/<run_id>.json` and the runner's output goes to `.tui/<run_id>.log`.
No Textual here.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Optional

from sweepdeck.engine.control import request_skip
from sweepdeck.engine.safe_text import strip_control
from sweepdeck.engine.store import CONFIG, EVENTS, lock_is_live, read_lock, run_id_candidates

TUI_DIR = ".tui"  # <runs_dir>/.tui/<run_id>.json and .log: the config the TUI started, the runner's output


def default_runner_cmd() -> list[str]:
    # -P: `python -m` would put the TUI's current folder first on the runner's
    # import path, so a module next to a downloaded config (a model factory, or a
    # json.py shadowing the standard library) would run; sweepdeck itself comes from
    # where it is installed. Python 3.10 lacks -P; there the
    # CLI drops the folder itself before any model is imported.
    if sys.version_info >= (3, 11):
        return [sys.executable, "-P", "-m", "sweepdeck.engine.cli"]
    return [sys.executable, "-m", "sweepdeck.engine.cli"]


def new_run_id(name: str, runs_dir: Path) -> str:
    for rid in run_id_candidates(name):
        if not (runs_dir / rid).exists() and not (runs_dir / TUI_DIR / f"{rid}.json").exists():
            return rid
    raise RuntimeError(f"no free run id under {runs_dir}")


@dataclass
class Launch:
    run_dir: Path
    config_path: Path
    log_path: Path
    argv: list[str]
    proc: subprocess.Popen


def launch_run(raw_config: dict[str, Any], runs_dir: Path, name: str,
               runner_cmd: Optional[list[str]] = None) -> Launch:
    """Write the config to `<runs_dir>/.tui/<id>.json` and start
    `<runner> run CFG --run-dir <runs_dir>/<id>` in its own session (it survives
    the TUI and a dropped SSH connection), output to `<runs_dir>/.tui/<id>.log`."""
    runs_dir = Path(runs_dir)
    side = runs_dir / TUI_DIR
    side.mkdir(parents=True, exist_ok=True)
    rid = new_run_id(name, runs_dir)
    cfg_path = side / f"{rid}.json"
    cfg_path.write_text(json.dumps(raw_config, indent=2) + "\n", encoding="utf-8")
    log_path = side / f"{rid}.log"
    run_dir = runs_dir / rid
    argv = [*(runner_cmd or default_runner_cmd()), "run", str(cfg_path), "--run-dir", str(run_dir)]
    return Launch(run_dir, cfg_path, log_path, argv, _spawn(argv, log_path))


def launch_resume(run_dir: Path, runner_cmd: Optional[list[str]] = None) -> Launch:
    run_dir = Path(run_dir)
    side = run_dir.parent / TUI_DIR
    side.mkdir(parents=True, exist_ok=True)
    log_path = side / f"{run_dir.name}.log"
    argv = [*(runner_cmd or default_runner_cmd()), "resume", str(run_dir)]
    return Launch(run_dir, run_dir / CONFIG, log_path, argv, _spawn(argv, log_path))


def _child_env() -> dict[str, str]:
    """The TUI's environment; unbuffered, so the runner's log is live."""
    return {**os.environ, "PYTHONUNBUFFERED": "1"}


def _spawn(argv: list[str], log_path: Path) -> subprocess.Popen:
    # Popen, not asyncio: an asyncio subprocess transport kills its child when
    # the loop closes, and the sweep must outlive the TUI.
    with log_path.open("ab") as log:
        return subprocess.Popen(
            argv, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
            start_new_session=True, close_fds=True, env=_child_env(),
        )


def log_path_for(run_dir: Path) -> Path:
    return Path(run_dir).parent / TUI_DIR / f"{Path(run_dir).name}.log"


def signal_runner(run_dir: Path, sig: int) -> str:
    """Send `sig` to the run's runner; returns what happened, for the user."""
    info = read_lock(Path(run_dir))
    if info is None or not lock_is_live(info):
        return "no runner is writing this run"
    if info.host != socket.gethostname():
        return f"the runner is on {info.host}: stop it there"
    try:
        os.kill(info.pid, sig)
    except ProcessLookupError:
        return "the runner has already exited"
    except PermissionError:
        return f"not allowed to signal pid {info.pid}"
    return ""


def stop_run(run_dir: Path) -> str:
    return signal_runner(run_dir, signal.SIGTERM)


def skip_trial(run_dir: Path, trial_id: str) -> str:
    """Ask the run's runner to skip one trial, running or pending; returns what
    went wrong, for the user. A request file, not a signal: a signal cannot name
    one of several running trials, and a file reaches a runner on another host."""
    if not lock_is_live(read_lock(Path(run_dir))):
        return "no runner is writing this run"
    try:
        request_skip(Path(run_dir), trial_id)
    except ValueError as exc:
        return str(exc)
    except OSError as exc:
        return f"could not leave the skip request: {exc.strerror or exc}"
    return ""


def skip_running_trial(run_dir: Path) -> str:
    """SIGUSR1: how a runner from before issue 11 (one trial at a time) is asked
    to skip its running trial; it reads no request files."""
    return signal_runner(run_dir, signal.SIGUSR1)


def runner_error(log_tail: str) -> str:
    """The one line a runner that failed said about why: `cli.main` prints a user's
    error as `sweepdeck: <what is wrong and how to fix it>`; else its last line."""
    lines = [strip_control(line).strip() for line in log_tail.splitlines() if line.strip()]
    said = [line[len("sweepdeck: "):] for line in lines if line.startswith("sweepdeck: ")]
    line = said[-1] if said else (lines[-1] if lines else "no output")
    return line if len(line) <= 400 else line[:399] + "…"


def never_started(run_dir: Path) -> bool:
    """No event written: the runner stopped before its sweep began (a bad config, no data)."""
    try:
        return (Path(run_dir) / EVENTS).stat().st_size == 0
    except OSError:
        return True
