"""One training session, shared by `run` and `resume`: pick the device, load the
data, check the model, make the run folder, train into it, write the report.

The CLI parses arguments and prints errors; this module does the work between.
"""

from __future__ import annotations

import argparse
import errno
import signal
from pathlib import Path
from typing import Any, Optional

from sweepdeck.engine import store
from sweepdeck.engine.config import SweepConfig
from sweepdeck.engine.errors import UsageError
from sweepdeck.engine.space import is_sampled
from sweepdeck.engine.formatting import fmt_acc
from sweepdeck.engine.store import StorageError
from sweepdeck.engine.trials import Trial


def train_and_report(args: argparse.Namespace, raw: dict[str, Any], cfg: SweepConfig, trials: list[Trial],
                     run_dir: Optional[Path], resume: bool = False) -> int:
    """Load data, train into the run folder (a new one when `run_dir` is None), write the report."""
    from sweepdeck.engine.pool import start_server_early

    if cfg.parallel.backend == "ray":
        from sweepdeck.engine.ray_pool import require_ray

        require_ray()  # one line, before anything is loaded
    else:
        start_server_early()  # its import of torch overlaps ours (below) on another core
    from sweepdeck.engine.data import load_dataset
    from sweepdeck.engine.progress import Progress
    from sweepdeck.engine.report import check_report_options
    from sweepdeck.engine.runner import plan_for, preflight, run_sweep
    from sweepdeck.engine.train import StopFlags

    if not args.no_report:
        check_report_options(args)
    if cfg.parallel.backend == "local":  # on Ray, the cluster's devices count (plan_for), not this machine's
        _available_device(cfg.device)
    plan_for(cfg, len(trials))  # a device the machine (or cluster) lacks is refused before any loading
    # On the CPU: workers share this one copy (engine/runner.py) and move it to their device.
    data = load_dataset(cfg.dataset, "cpu")
    preflight(cfg, trials, data)
    if run_dir is None:
        run_dir = _new_run_dir(args, cfg)
    print(f"run folder: {run_dir}", flush=True)
    progress: Optional[Progress] = None
    try:
        # A sampled search has no trial list up front: it will have search.n_trials.
        n_trials = cfg.search.n_trials if is_sampled(cfg) else len(trials)
        progress = Progress(n_trials, cfg.n_epochs, finished=_finished_trials(run_dir) if resume else 0)
        flags = StopFlags()
        result = run_sweep(cfg, raw, trials, run_dir, listeners=[progress], data=data, resume=resume, flags=flags)
    except store.StorageError as exc:
        exc.message = f"{exc.message}; {_after_storage_failure(run_dir)}"
        raise
    finally:
        if progress is not None:
            progress.close()  # a live display left running would keep the terminal's cursor hidden
    summary = store.summarize_run(run_dir)
    if summary.best_test_acc is not None:
        print(f"best test accuracy: {fmt_acc(summary.best_test_acc)} ({summary.best_label()})")
    if result.status == "interrupted":
        print(f"interrupted: continue with `sweepdeck resume {run_dir}`")
        # 130 after Ctrl+C (SIGINT), 143 after SIGTERM: what shells and schedulers expect of a stopped job
        return 128 + (flags.signal or signal.SIGINT)
    if not args.no_report:
        from sweepdeck.engine.report import report_command

        report_command(run_dir, args)
    print(f"results: {run_dir}")
    return 0


def _finished_trials(run_dir: Path) -> int:
    from sweepdeck.engine.events import DONE_STATUSES, TrialFinished, read_events

    return len({ev.trial_id for ev in read_events(run_dir / store.EVENTS).events
                if isinstance(ev, TrialFinished) and ev.status in DONE_STATUSES})


def _after_storage_failure(run_dir: Path) -> str:
    """What to do after the run folder could not be written (disk full, read-only)."""
    if not (run_dir / store.CONFIG).exists():  # still the empty placeholder: nothing was recorded
        try:
            run_dir.rmdir()
        except OSError:
            pass
        return "nothing was recorded: free space (or make the folder writable) and run again"
    return f"what was recorded is intact: free space (or make the folder writable), then `sweepdeck resume {run_dir}`"


def _available_device(name: str):
    """The torch device for `name`, or a UsageError when this machine lacks it."""
    import torch

    from sweepdeck.engine.train import pick_device

    device = pick_device(name)
    if device.type == "cuda" and not torch.cuda.is_available():
        raise UsageError(f"device {name!r}: CUDA is not available here; use \"device\": \"auto\" or \"cpu\"")
    if device.type == "cuda" and device.index is not None and device.index >= torch.cuda.device_count():
        raise UsageError(f"device {name!r}: only {torch.cuda.device_count()} CUDA device(s) here")
    if device.type == "mps" and not (getattr(torch.backends, "mps", None) and torch.backends.mps.is_available()):
        raise UsageError(f"device {name!r}: MPS is not available here; use \"device\": \"auto\" or \"cpu\"")
    return device


def _new_run_dir(args: argparse.Namespace, cfg: SweepConfig) -> Path:
    where = f"--run-dir {args.run_dir}" if args.run_dir else f"runs_dir {cfg.runs_dir}"
    try:
        if args.run_dir:
            path = Path(args.run_dir)
            if path.exists() and (not path.is_dir() or any(path.iterdir())):
                raise UsageError(f"--run-dir {path}: exists and is not an empty folder; choose a new path")
            path.mkdir(parents=True, exist_ok=True)
            return path
        return store.new_run_dir(cfg.runs_dir, cfg.name)
    except (OSError, ValueError) as exc:  # /proc, a read-only mount, a name the file system refuses, a NUL
        if isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EIO, errno.EDQUOT):
            raise StorageError(Path(args.run_dir or cfg.runs_dir), exc) from None  # the place is fine, the disk is not
        reason = getattr(exc, "strerror", None) or str(exc)
        raise UsageError(f"{where}: cannot create the run folder there ({reason}): choose a folder you can write to") from None
