"""The `sweepdeck` command. With no arguments it opens the TUI.

Every failure a user can cause (a bad config, a missing dataset, a wrong run id)
ends with one line on stderr naming the problem and exit code 2, never a traceback.
Heavy modules (torch, pandas) are imported only by the commands that need them.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
from typing import Optional

from sweepdeck.engine.config import config_schema, load_config
from sweepdeck.engine.errors import SweepdeckError, UsageError
from sweepdeck.engine.formatting import fmt_acc, fmt_duration
from sweepdeck.engine.safe_text import strip_control

def _parser() -> argparse.ArgumentParser:
    from sweepdeck.engine.report import add_report_options

    p = argparse.ArgumentParser(prog="sweepdeck", description="Hyperparameter sweeps for PyTorch, from JSON configs.")
    sub = p.add_subparsers(dest="command", metavar="COMMAND")

    run = sub.add_parser("run", help="run a sweep from a JSON config")
    run.add_argument("config", help="path to the JSON config (see configs/)")
    run.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE[,VALUE]",
                     help="override a config key, dotted for sections: --set lr=0.1,0.01 --set dataset.n_train=2000")
    run.add_argument("--dry-run", action="store_true",
                     help="print the trials (a sampled search: what it searches, how, and what stops early) and exit without training")
    run.add_argument("--run-dir", help="write the run into exactly this (new) folder")
    run.add_argument("--no-report", action="store_true", help="do not write report.md at the end")
    add_report_options(run)

    resume = sub.add_parser("resume", help="continue an interrupted or crashed sweep")
    resume.add_argument("run", help="runs/<id> or <id>")
    resume.add_argument("--force", action="store_true", help="resume even if the config or code changed")
    resume.add_argument("--set", dest="overrides", action="append", default=[], metavar="parallel.KEY=VALUE",
                        help="run on other workers than before: --set parallel.per_device=4 (only parallel.* keys)")
    resume.add_argument("--no-report", action="store_true", help="do not write report.md at the end")
    add_report_options(resume)

    skip = sub.add_parser("skip", help="skip one trial of a running sweep (running or waiting to run)")
    skip.add_argument("run", help="runs/<id> or <id>")
    skip.add_argument("trial", help="the trial's id, e.g. t003 (`sweepdeck show RUN` lists them)")

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
    _add_export_and_ask(sub)
    return p


def _add_export_and_ask(sub: argparse._SubParsersAction) -> None:
    """Issue 16's commands, whose parsers live with them."""
    from sweepdeck.engine.ask import add_ask_parser
    from sweepdeck.engine.export.command import add_export_parser

    add_export_parser(sub)
    add_ask_parser(sub)


def main(argv: Optional[list[str]] = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    args = _parser().parse_args(argv)
    try:
        code = _dispatch(args)
        sys.stdout.flush()  # here, not at exit: a reader that went away (`| head`) is handled below
        return code
    except BrokenPipeError:
        return _reader_gone()
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


def _reader_gone() -> int:
    """stdout's reader closed the pipe (`sweepdeck show RUN | head -2`): stop quietly. As the
    Python docs advise, point stdout at devnull so the flush at exit cannot raise again."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass
    return 128 + signal.SIGPIPE if hasattr(signal, "SIGPIPE") else 1  # 141, as `yes | head` gives


def _dispatch(args: argparse.Namespace) -> int:
    command = args.command or "tui"
    if command == "run":
        return cmd_run(args)
    if command == "resume":
        from sweepdeck.engine.resume import cmd_resume

        return cmd_resume(args)
    if command == "skip":
        return cmd_skip(args)
    if command == "runs":
        return cmd_runs(args)
    if command == "show":
        return cmd_show(args)
    if command == "schema":
        print(json.dumps(config_schema(), indent=2))
        return 0
    if command == "report":
        from sweepdeck.engine.report import report_command
        from sweepdeck.engine.store import resolve_run

        return report_command(resolve_run(args.run), args)
    if command == "export":
        from sweepdeck.engine.export.command import export_command

        return export_command(args)
    if command == "ask":
        from sweepdeck.engine.ask import ask_command

        return ask_command(args)
    if command == "attach":
        from sweepdeck.engine.store import resolve_run
        from sweepdeck.tui.app import run_app

        return run_app(attach=resolve_run(args.run))
    from sweepdeck.tui.app import run_app

    return run_app(runs_dir=getattr(args, "runs_dir", "runs"))


# --- run ---------------------------------------------------------------------------------

def cmd_run(args: argparse.Namespace) -> int:
    from sweepdeck.engine.trials import build_trials
    from sweepdeck.engine.usercode import find_model_code

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
        from sweepdeck.engine.space import count_trials

        print(f"parallel: {_planned_workers(cfg, count_trials(cfg))}")
        if cfg.search.method != "grid" or cfg.early_stop.method != "none":
            from sweepdeck.engine.search import describe  # no Optuna import: it only reads the config

            print(f"search: {describe(cfg)}")
        if trials:  # a sampled search has none up front: they are proposed as it runs
            print_trials(trials)
        return 0
    from sweepdeck.engine.session import train_and_report

    return train_and_report(args, raw, cfg, trials, run_dir=None)


def print_trials(trials) -> None:
    width = max((len(t.label) for t in trials), default=5)
    print(f"{'id':<5} {'type':<18} {'label':<{width}}")
    for t in trials:
        print(f"{t.id:<5} {t.params.exp_type:<18} {t.label:<{width}}")
    print(f"{len(trials)} trials")


def _planned_workers(cfg, n_trials: int) -> str:
    """The dry run's worker line, without importing torch (so GPUs are counted from the driver).
    On Ray the plan is the cluster's: the dry run connects, as the sweep would."""
    from sweepdeck.engine.placement import plan_workers, usable_cores, visible_cuda_count_hint

    if cfg.parallel.backend == "ray":
        from sweepdeck.engine.ray_pool import plan_on_cluster

        return plan_on_cluster(cfg, n_trials).describe() + " on the Ray cluster"

    return plan_workers(cfg.parallel, cfg.device, n_trials, visible_cuda_count_hint(), usable_cores()).describe()


# --- skip --------------------------------------------------------------------------------

def cmd_skip(args: argparse.Namespace) -> int:
    from sweepdeck.engine import store
    from sweepdeck.engine.control import request_skip
    from sweepdeck.engine.events import DONE_STATUSES, read_events

    run_dir = store.resolve_run(args.run)
    if not store.lock_is_live(store.read_lock(run_dir)):
        status = store.summarize_run(run_dir).status
        hint = "" if status == "completed" else f" (continue it with `sweepdeck resume {run_dir}`)"
        raise UsageError(f"{run_dir} is not running ({status}): nothing to skip{hint}")
    rows = {r["trial_id"]: r for r in store.trial_rows(read_events(run_dir / store.EVENTS), store.read_resolved(run_dir))}
    row = rows.get(args.trial)
    if row is None:
        known = ", ".join(sorted(rows)[:3]) + (", ..." if len(rows) > 3 else "")
        raise UsageError(f"{args.trial!r}: no such trial in {run_dir.name} (its trials: {known}; `sweepdeck show {run_dir}` lists them)")
    if row.get("status") in DONE_STATUSES:
        raise UsageError(f"{args.trial} has already finished ({row['status']}): nothing to skip")
    try:
        request_skip(run_dir, args.trial)
    except OSError as exc:
        raise UsageError(f"{run_dir}: cannot leave the skip request there ({exc.strerror or exc})") from None
    when = "after its current batch" if row.get("status") == "running" else "before it starts"
    print(f"asked the runner to skip {args.trial} {when}")
    return 0


# --- runs / show ---------------------------------------------------------------------------
# Everything printed here comes from run folders, which people share: it is printed
# through `_say`, which drops terminal escape sequences.

def _say(text: str) -> None:
    print(strip_control(text))


def cmd_runs(args: argparse.Namespace) -> int:
    from datetime import datetime

    from sweepdeck.engine.store import list_runs

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
    from sweepdeck.engine import store
    from sweepdeck.engine.events import read_events

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
        _say(f"best test accuracy: {fmt_acc(summary.best_test_acc)} ({summary.best_label()})")
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
    from sweepdeck.engine.usercode import drop_implicit_cwd

    drop_implicit_cwd()
    sys.exit(main())
