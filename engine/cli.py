"""The `sweepdeck` command. With no arguments it opens the TUI.

Every failure a user can cause (a bad config, a missing dataset, a wrong run id)
ends with one line on stderr naming the problem and exit code 2, never a traceback.
Heavy modules (torch, pandas) are imported only by the commands that need them.
"""

from __future__ import annotations

import argparse
import errno
import json
import sys
from pathlib import Path
from typing import Optional

from engine.config import config_schema, load_config
from engine.errors import SweepdeckError
from engine.formatting import fmt_acc, fmt_duration
from engine.safe_text import strip_control
from engine.store import StorageError

class UsageError(SweepdeckError):
    """Bad input that only the command line can tell (a device this machine lacks, a taken --run-dir)."""


def _parser() -> argparse.ArgumentParser:
    from engine.report import add_report_options

    p = argparse.ArgumentParser(prog="sweepdeck", description="Hyperparameter sweeps for PyTorch, from JSON configs.")
    sub = p.add_subparsers(dest="command", metavar="COMMAND")

    run = sub.add_parser("run", help="run a sweep from a JSON config")
    run.add_argument("config", help="path to the JSON config (see configs/)")
    run.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE[,VALUE]",
                     help="override a config key, dotted for sections: --set lr=0.1,0.01 --set dataset.n_train=2000")
    run.add_argument("--dry-run", action="store_true", help="print the trials and exit without training")
    run.add_argument("--run-dir", help="write the run into exactly this (new) folder")
    run.add_argument("--no-report", action="store_true", help="do not write report.md at the end")
    add_report_options(run)

    resume = sub.add_parser("resume", help="continue an interrupted or crashed sweep")
    resume.add_argument("run", help="runs/<id> or <id>")
    resume.add_argument("--force", action="store_true", help="resume even if the config or code changed")
    resume.add_argument("--no-report", action="store_true", help="do not write report.md at the end")
    add_report_options(resume)

    runs = sub.add_parser("runs", help="table of past runs")
    runs.add_argument("--runs-dir", default="runs")

    show = sub.add_parser("show", help="a run's trials, status and metrics")
    show.add_argument("run", help="runs/<id> or <id>")

    sub.add_parser("schema", help="print the config's JSON Schema")

    report = sub.add_parser("report", help="write report.md for a finished run")
    report.add_argument("run", help="runs/<id> or <id>")
    add_report_options(report)

    attach = sub.add_parser("attach", help="open the TUI on a run (running or finished)")
    attach.add_argument("run", help="runs/<id> or <id>")

    tui = sub.add_parser("tui", help="open the TUI (the same as no command)")
    tui.add_argument("--runs-dir", default="runs")
    return p


def main(argv: Optional[list[str]] = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    args = _parser().parse_args(argv)
    try:
        return _dispatch(args)
    except SweepdeckError as exc:
        for line in str(exc).splitlines() or ["error"]:
            print(f"sweepdeck: {strip_control(line)}", file=sys.stderr)
        return exc.exit_code
    except PermissionError as exc:
        print(f"sweepdeck: permission denied: {exc.filename or exc}: choose a folder you can write to", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("sweepdeck: interrupted", file=sys.stderr)
        return 130


def _dispatch(args: argparse.Namespace) -> int:
    command = args.command or "tui"
    if command == "run":
        return cmd_run(args)
    if command == "resume":
        from engine.resume import cmd_resume

        return cmd_resume(args)
    if command == "runs":
        return cmd_runs(args)
    if command == "show":
        return cmd_show(args)
    if command == "schema":
        print(json.dumps(config_schema(), indent=2))
        return 0
    if command == "report":
        from engine.report import report_command
        from engine.store import resolve_run

        return report_command(resolve_run(args.run), args)
    if command == "attach":
        from engine.store import resolve_run
        from tui.app import run_app

        return run_app(attach=resolve_run(args.run))
    from tui.app import run_app

    return run_app(runs_dir=getattr(args, "runs_dir", "runs"))


# --- run ---------------------------------------------------------------------------------

def cmd_run(args: argparse.Namespace) -> int:
    from engine.trials import build_trials
    from engine.usercode import find_model_code

    raw, cfg = load_config(args.config, args.overrides)
    trials = build_trials(cfg)
    # Custom model code runs once the sweep starts: name its file first, and
    # refuse one that is not there before loading any data.
    code = find_model_code(cfg.model.name)
    if code is not None and code.problem:
        raise UsageError(f"model.name {cfg.model.name!r}: {code.problem}")
    if code is not None:
        print(code.line(), flush=True)
    if args.dry_run:
        print_trials(trials)
        return 0
    return train_and_report(args, raw, cfg, trials, run_dir=None)


def print_trials(trials) -> None:
    width = max((len(t.label) for t in trials), default=5)
    print(f"{'id':<5} {'type':<18} {'label':<{width}}")
    for t in trials:
        print(f"{t.id:<5} {t.params.exp_type:<18} {t.label:<{width}}")
    print(f"{len(trials)} trials")


def train_and_report(args: argparse.Namespace, raw: dict, cfg, trials, run_dir: Optional[Path], resume: bool = False) -> int:
    """Shared by run and resume: load data, train into the run folder, write the report."""
    from engine import store
    from engine.data import load_dataset
    from engine.progress import Progress
    from engine.report import check_report_options
    from engine.runner import preflight, run_sweep

    if not args.no_report:
        check_report_options(args)
    device = _available_device(cfg.device)
    data = load_dataset(cfg.dataset, device)
    preflight(cfg, trials, data)
    if run_dir is None:
        run_dir = _new_run_dir(args, cfg)
    print(f"run folder: {run_dir}", flush=True)
    try:
        result = run_sweep(cfg, raw, trials, run_dir, listeners=[Progress(len(trials), cfg.n_epochs)], data=data, resume=resume)
    except store.StorageError as exc:
        exc.message = f"{exc.message}; {_after_storage_failure(run_dir)}"
        raise
    summary = store.summarize_run(run_dir)
    if summary.best_test_acc is not None:
        print(f"best test accuracy: {fmt_acc(summary.best_test_acc)} ({summary.best_trial})")
    if result.status == "interrupted":
        print(f"interrupted: continue with `sweepdeck resume {run_dir}`")
        return 0
    if not args.no_report:
        from engine.report import report_command

        report_command(run_dir, args)
    print(f"results: {run_dir}")
    return 0


def _after_storage_failure(run_dir: Path) -> str:
    """What to do after the run folder could not be written (disk full, read-only)."""
    from engine import store

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

    from engine.train import pick_device

    device = pick_device(name)
    if device.type == "cuda" and not torch.cuda.is_available():
        raise UsageError(f"device {name!r}: CUDA is not available here; use \"device\": \"auto\" or \"cpu\"")
    if device.type == "cuda" and device.index is not None and device.index >= torch.cuda.device_count():
        raise UsageError(f"device {name!r}: only {torch.cuda.device_count()} CUDA device(s) here")
    if device.type == "mps" and not (getattr(torch.backends, "mps", None) and torch.backends.mps.is_available()):
        raise UsageError(f"device {name!r}: MPS is not available here; use \"device\": \"auto\" or \"cpu\"")
    return device


def _new_run_dir(args: argparse.Namespace, cfg) -> Path:
    from engine import store

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


# --- runs / show ---------------------------------------------------------------------------
# Everything printed here comes from run folders, which people share: it is printed
# through `_say`, which drops terminal escape sequences.

def _say(text: str) -> None:
    print(strip_control(text))


def cmd_runs(args: argparse.Namespace) -> int:
    from datetime import datetime

    from engine.store import list_runs

    runs = list_runs(args.runs_dir)
    if not runs:
        print(f"no runs in {args.runs_dir}/ (start one with `sweepdeck run configs/quick.json`)")
        return 0
    rows = [("run", "date", "status", "trials", "best test acc", "duration")]
    for r in runs:
        rows.append((r.run_id, datetime.fromtimestamp(r.created).strftime("%Y-%m-%d %H:%M"), r.status + (" (damaged)" if r.damage else ""),
                     f"{r.n_finished}/{r.n_trials}", fmt_acc(r.best_test_acc), fmt_duration(r.duration_s)))
    _print_table(rows)
    return 0


def cmd_show(args: argparse.Namespace) -> int:
    from engine import store
    from engine.events import read_events

    run_dir = store.resolve_run(args.run)
    log = read_events(run_dir / store.EVENTS)
    summary = store.summarize_run(run_dir, log)
    resolved = store.read_resolved(run_dir)
    _say(f"run {summary.run_id}: {summary.status}, {summary.n_finished}/{summary.n_trials} trials finished, duration {fmt_duration(summary.duration_s)}")
    if resolved:
        _say(f"data: {resolved.get('dataset', '?')}; model: {resolved.get('model', '?')}")
    if summary.damage:
        _say(f"damaged: {summary.damage}")
    trials = store.trial_rows(log, resolved)
    rows = [("trial", "status", "epochs", "test acc final", "test acc best (epoch)", "train acc final", "label")]
    for r in trials:
        best = f"{fmt_acc(r.get('test_acc_best'))} ({r['test_acc_best_epoch']})" if r.get("test_acc_best") is not None else "-"
        rows.append((r["trial_id"], r.get("status", "?"), str(r.get("epochs_done", 0)), fmt_acc(r.get("test_acc_final")),
                     best, fmt_acc(r.get("train_acc_final")), r.get("label", "")))
    _print_table(rows)
    if summary.best_test_acc is not None:
        _say(f"best test accuracy: {fmt_acc(summary.best_test_acc)} ({summary.best_trial})")
    for r in trials:
        if r.get("error"):
            _say(f"{r['trial_id']}: {r['error']}")
    return 0


def _print_table(rows: list[tuple[str, ...]]) -> None:
    rows = [tuple(strip_control(str(cell)) for cell in row) for row in rows]
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    for row in rows:
        print("  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip())


if __name__ == "__main__":
    from engine.usercode import drop_implicit_cwd

    drop_implicit_cwd()
    sys.exit(main())
