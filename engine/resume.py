"""`sweepdeck resume`: continue an interrupted or crashed sweep in its own folder.

Finished trials (completed, diverged, failed, skipped) are kept; the trial that
was running continues from its last checkpoint; the rest run. Refuses when the
config or the training code changed since the run was recorded, or when that
cannot be checked (--force overrides). Trials are matched by their parameters,
never by position: with --force and a changed trial list, a trial keeps its id and
its results only where its parameters are the same, and new trials get new ids.
"""

from __future__ import annotations

import argparse

from sweepdeck.engine import store
from sweepdeck.engine.config import SweepConfig, apply_overrides, parse_override, validate_config
from sweepdeck.engine.errors import SweepdeckError, UsageError
from sweepdeck.engine.events import DONE_STATUSES, TrialFinished, read_events
from sweepdeck.engine.session import train_and_report
from sweepdeck.engine.trials import Trial, build_trials


class ResumeRefused(SweepdeckError):
    """This run cannot be resumed as asked (one line per reason)."""

    def __init__(self, problems: list[str]):
        super().__init__("\n".join(problems))


def cmd_resume(args: argparse.Namespace) -> int:

    run_dir = store.resolve_run(args.run)
    raw = store.read_json(run_dir / store.CONFIG)
    env = store.read_json(run_dir / store.ENV)
    resolved = store.read_resolved(run_dir)
    if raw is None or resolved is None:
        raise ResumeRefused([f"{run_dir}: config.json or resolved.json is missing or damaged; this run cannot be resumed (start it again with `sweepdeck run`)"])
    recorded = _recorded_trials(run_dir, resolved)
    owner = store.read_lock(run_dir)
    if store.lock_is_live(owner):
        raise ResumeRefused([f"{run_dir} is still being written by pid {owner.pid} on {owner.host}; attach to it with `sweepdeck attach {run_dir}`"])

    if store.summarize_run(run_dir).status == "completed":
        print(f"{run_dir} is already complete: nothing to resume")
        return 0
    raw = _with_placement(raw, getattr(args, "overrides", []))
    cfg = _same_threads(validate_config(raw), env)
    current = build_trials(cfg)
    problems = []
    if env is None or "config_hash" not in env or "code_version" not in env:
        problems.append(f"{run_dir / store.ENV} is missing or damaged, so a change of config or training code cannot be ruled out")
    else:
        if env["config_hash"] != store.config_hash(raw):
            problems.append(f"{run_dir / store.CONFIG} changed since the run started")
        if env["code_version"] != store.code_version():
            problems.append(f"the training code changed since the run started (code version {env['code_version']}, now {store.code_version()})")
    trials, changes = match_trials(recorded, current)
    if changes:
        problems.append("the trials built from config.json differ from resolved.json")
    if problems and not args.force:
        raise ResumeRefused([f"cannot resume: {p}; use --force to resume anyway" for p in problems])
    if changes:
        print(f"--force: {changes}")
        resolved["trials"] = [t.model_dump(mode="json") for t in trials]
        store.write_json_atomic(run_dir / store.RESOLVED, resolved)

    repaired = store.repair_log(run_dir)
    if repaired:
        print(f"repaired: {repaired}")
    store.remove_stale_temp_files(run_dir)
    _drop_spare_checkpoints(run_dir)
    return train_and_report(args, raw, cfg, trials, run_dir=run_dir, resume=True)


def _with_placement(raw: dict, overrides: list[str]) -> dict:
    """The run's config with `--set parallel.*` applied: where trials run may change
    on resume (a box with more or fewer free GPUs), what they compute may not."""
    for item in overrides:
        path, _ = parse_override(item)
        if path[0] not in store.PLACEMENT_KEYS:
            raise UsageError(f"--set {item!r}: resume changes only {', '.join(k + '.*' for k in store.PLACEMENT_KEYS)} "
                             "(other keys would change the trials' numbers; start a new run with `sweepdeck run`)")
    return apply_overrides(raw, overrides)


def _same_threads(cfg: SweepConfig, env: dict | None) -> SweepConfig:
    """Keep the recorded number of torch threads unless `threads` is given: "auto"
    divides the cores among the workers, and on the CPU the thread count can change
    float rounding, so fewer or more workers must not change it."""
    recorded = ((env or {}).get("parallel") or {}).get("threads")
    if cfg.parallel.threads != "auto" or not isinstance(recorded, int) or recorded < 1:
        return cfg
    return cfg.model_copy(update={"parallel": cfg.parallel.model_copy(update={"threads": recorded})})


def _recorded_trials(run_dir, resolved: dict) -> list[Trial]:
    try:
        return [Trial.model_validate(t) for t in resolved["trials"]]
    except ValueError:
        raise ResumeRefused([f"{run_dir / store.RESOLVED}: its trials are not ones this version can read; "
                             "this run cannot be resumed (start it again with `sweepdeck run`)"]) from None


def match_trials(recorded: list[Trial], current: list[Trial]) -> tuple[list[Trial], str]:
    """The trials to run on resume, and what differs from the recorded list ("" when
    nothing does). A current trial whose parameters match a recorded one takes that
    trial's id and index, so its results and checkpoint stay its own; a new one gets
    the next free id. Recorded trials no longer in the config keep their results."""
    by_key = {t.key: t for t in recorded}
    next_index = max((t.index for t in recorded), default=-1) + 1
    trials, new = [], []
    for trial in current:
        same = by_key.pop(trial.key, None)
        if same is not None:
            trials.append(trial.model_copy(update={"id": same.id, "index": same.index}))
        else:
            trials.append(trial.model_copy(update={"id": f"t{next_index:03d}", "index": next_index}))
            new.append(trials[-1].id)
            next_index += 1
    trials.sort(key=lambda t: t.index)
    if not new and not by_key and [t.id for t in trials] == [t.id for t in recorded]:
        return trials, ""
    kept = len(trials) - len(new)
    parts = [f"kept {kept} trial{'s' if kept != 1 else ''} whose parameters are unchanged"]
    if new:
        parts.append("new: " + ", ".join(new))
    if by_key:
        parts.append("no longer in the config (their results stay in the run): " + ", ".join(sorted(t.id for t in by_key.values())))
    return trials, "; ".join(parts)


def _drop_spare_checkpoints(run_dir) -> None:
    """A trial that finished but was killed before deleting its checkpoint."""
    from sweepdeck.engine.checkpoint import FILE

    for ev in read_events(run_dir / store.EVENTS).events:
        if isinstance(ev, TrialFinished) and ev.status in DONE_STATUSES:
            (run_dir / store.TRIALS_DIR / ev.trial_id / FILE).unlink(missing_ok=True)
