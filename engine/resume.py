"""`sweepdeck resume`: continue an interrupted or crashed sweep in its own folder.

Finished trials (completed, diverged, failed, skipped) are kept; the trial that
was running continues from its last checkpoint; the rest run. Refuses when the
config or the training code changed since the run was recorded (--force overrides).
"""

from __future__ import annotations

import argparse
import json

from engine import store
from engine.config import ConfigError, validate_config
from engine.events import read_events
from engine.trials import build_trials


class ResumeRefused(ConfigError):
    pass


def cmd_resume(args: argparse.Namespace) -> int:
    from engine.cli import train_and_report
    from engine.runner import code_version, config_hash

    run_dir = store.resolve_run(args.run)
    raw = store.read_json(run_dir / store.CONFIG)
    env = store.read_json(run_dir / store.ENV) or {}
    resolved = store.read_json(run_dir / store.RESOLVED)
    if raw is None or resolved is None:
        raise ResumeRefused([f"{run_dir}: config.json or resolved.json is missing or damaged; this run cannot be resumed (start it again with `sweepdeck run`)"])
    owner = store.read_lock(run_dir)
    if store.lock_is_live(owner):
        raise ResumeRefused([f"{run_dir} is still being written by pid {owner.pid} on {owner.host}; attach to it with `sweepdeck attach {run_dir}`"])

    if store.summarize_run(run_dir).status == "completed":
        print(f"{run_dir} is already complete: nothing to resume")
        return 0
    cfg = validate_config(raw)
    trials = build_trials(cfg)
    problems = []
    if env.get("config_hash") not in (None, config_hash(raw)):
        problems.append(f"{run_dir / store.CONFIG} changed since the run started")
    if env.get("code_version") not in (None, code_version()):
        problems.append(f"the training code changed since the run started (code version {env.get('code_version')}, now {code_version()})")
    recorded = [(t["id"], json.dumps(t["params"], sort_keys=True)) for t in resolved.get("trials", [])]
    if recorded != [(t.id, json.dumps(t.params.model_dump(mode="json"), sort_keys=True)) for t in trials]:
        problems.append("the trials built from config.json differ from resolved.json")
    if problems and not args.force:
        raise ResumeRefused([f"cannot resume: {p}; use --force to resume anyway" for p in problems])

    log = read_events(run_dir / store.EVENTS)
    if log.damage and "last line" not in log.damage:
        raise ResumeRefused([f"cannot resume: {log.damage}; the log is damaged before its end"])
    repaired = store.repair_log(run_dir)
    if repaired:
        print(f"repaired: {repaired}")
    store.remove_stale_temp_files(run_dir)
    _drop_spare_checkpoints(run_dir)
    return train_and_report(args, raw, cfg, trials, run_dir=run_dir, resume=True)


def _drop_spare_checkpoints(run_dir) -> None:
    """A trial that finished but was killed before deleting its checkpoint."""
    from engine.events import TrialFinished
    from engine.runner import DONE_STATUSES

    for ev in read_events(run_dir / store.EVENTS).events:
        if isinstance(ev, TrialFinished) and ev.status in DONE_STATUSES:
            (run_dir / store.TRIALS_DIR / ev.trial_id / "checkpoint.pt").unlink(missing_ok=True)
