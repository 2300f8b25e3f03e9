"""A synthetic runner for the TUI's tests and benchmarks: no torch, no data.

It keeps the runner's contract (`run CFG --run-dir DIR`, `resume DIR`):
writes config.json, resolved.json, runner.lock, events.jsonl flushed per event,
metrics.csv/trials.csv; SIGTERM finishes the run as interrupted and exits 0;
a skip request (requests/skip.<id>) skips that trial, SIGUSR1 the one running
trial. `parallel.per_device` trials run at once, their events interleaved, as in
the real runner's pool. Epochs take FAKE_EPOCH_S seconds (default 0.05).
At the end it writes a small report.md (unless --no-report).

    python tests/support/fake_runner.py run CFG.json --run-dir runs/x
"""

from __future__ import annotations

import argparse
import json
import math
import os
import signal
import socket
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # run as a script: find engine/

from sweepdeck.engine.config import load_config  # noqa: E402
from sweepdeck.engine.events import (  # noqa: E402
    EpochMetrics, LogLine, RunFinished, RunStarted, TrialFinished, TrialStarted, append_event, dump_event,
)
from sweepdeck.engine.control import clear_requests, take_skip_requests  # noqa: E402
from sweepdeck.engine.placement import plan_workers  # noqa: E402
from sweepdeck.engine.store import CONFIG, EVENTS, RESOLVED, acquire_lock, write_json_atomic, write_tables  # noqa: E402
from sweepdeck.engine.trials import build_trials  # noqa: E402


def fake_epoch(trial_index: int, trial_id: str, epoch: int, n_epochs: int, lr: float = 0.01,
               epoch_time_s: float = 0.5, t: float | None = None) -> EpochMetrics:
    """A plausible, deterministic epoch record."""
    k = 0.15 + 0.05 * (trial_index % 4)
    acc_cap = 0.70 + 0.05 * (trial_index % 5)
    frac = 1 - math.exp(-k * epoch)
    train_acc = min(0.5 + (acc_cap + 0.1 - 0.5) * frac, 1.0)
    test_acc = 0.5 + (acc_cap - 0.5) * frac + 0.01 * math.sin(epoch + trial_index)
    train_loss = 1.0 * math.exp(-k * epoch) + 0.1
    kw = {} if t is None else {"time": t}
    return EpochMetrics(
        trial_id=trial_id, epoch=epoch, train_loss=train_loss, penalty_sum=0.001, penalty_mul=0.0,
        train_eval_loss=train_loss * 0.95, train_acc=train_acc, train_f1=train_acc,
        train_confusion=[[1, 0], [0, 1]], test_loss=train_loss * 1.1, test_acc=round(test_acc, 4),
        test_f1=round(test_acc, 4), test_confusion=[[1, 0], [0, 1]],
        lr=lr * (0.5 + 0.5 * math.cos(math.pi * (epoch - 1) / max(n_epochs, 1))),
        epoch_time_s=epoch_time_s, rho=1.0 + 0.01 * epoch, layer_norms=[1.0, 1.1, 0.9], **kw,
    )


REPORT = """# Sweep report: {name}

## Overview
{n} trials of the shapes dataset.

## Results
| trial | test_acc_best |
| --- | --- |
{rows}

## Fact check
Checked {n} numbers; all match the recorded results.
"""


def write_report(run_dir: Path, name: str, best: dict[str, float]) -> None:
    rows = "\n".join(f"| {tid} | {acc * 100:.2f}% |" for tid, acc in best.items())
    (run_dir / "report.md").write_text(REPORT.format(name=name, n=len(best), rows=rows), encoding="utf-8")


class Flags:
    stop = False
    skip = False


def resolved(cfg, trials) -> dict:
    """resolved.json as the real runner writes it (the config with defaults applied)."""
    return {"config": cfg.model_dump(mode="json"), "trials": [t.model_dump(mode="json") for t in trials]}


def run(cfg_path: Path | None, run_dir: Path, report: bool, resume: bool = False) -> int:
    epoch_s = float(os.environ.get("FAKE_EPOCH_S", "0.05"))
    if resume:
        raw = json.loads((run_dir / CONFIG).read_text())
        from sweepdeck.engine.config import validate_config
        cfg = validate_config(raw)
    else:
        raw, cfg = load_config(cfg_path)
        run_dir.mkdir(parents=True, exist_ok=False)
        write_json_atomic(run_dir / CONFIG, raw)
    trials = build_trials(cfg)
    write_json_atomic(run_dir / RESOLVED, resolved(cfg, trials))
    lock = acquire_lock(run_dir)
    clear_requests(run_dir)
    flags = Flags()
    signal.signal(signal.SIGTERM, lambda *_: setattr(flags, "stop", True))
    signal.signal(signal.SIGUSR1, lambda *_: setattr(flags, "skip", True))
    done: set[str] = set()
    if resume:
        from sweepdeck.engine.events import read_events
        done = {e.trial_id for e in read_events(run_dir / EVENTS).events
                if isinstance(e, TrialFinished) and e.status != "interrupted"}
    best: dict[str, float] = {}
    print(f"fake runner: {len(trials)} trials, {cfg.n_epochs} epochs, {epoch_s}s per epoch", flush=True)
    # The real placement rule with one core: `parallel.per_device` fake workers, all "cpu".
    plan = plan_workers(cfg.parallel, cfg.device, len(trials), cuda_count=0, cores=1)
    with (run_dir / EVENTS).open("a", encoding="utf-8") as fh:
        append_event(fh, RunStarted(run_id=run_dir.name, name=cfg.name, n_trials=len(trials),
                                    trial_ids=[t.id for t in trials], device="cpu", pid=os.getpid(),
                                    host=socket.gethostname(), resumed=resume, workers=plan.workers,
                                    devices=plan.devices, threads=plan.threads))
        status = "completed"
        queue = [t for t in trials if t.id not in done]
        free = list(plan.slots)
        active: dict[str, list] = {}  # trial id -> [trial, slot, epochs done, start time]

        def finish(tid: str, tstatus: str) -> None:
            t, slot, ep, start = active.pop(tid)
            append_event(fh, TrialFinished(trial_id=tid, status=tstatus, epochs_done=ep, duration_s=time.time() - start))
            free.append(slot)
            write_tables(run_dir)

        # Every worker trains one epoch per round, so the running trials' events interleave.
        while (queue or active) and not flags.stop:
            while queue and free:
                t, slot = queue.pop(0), free.pop(0)
                append_event(fh, TrialStarted(trial_id=t.id, index=t.index, label=t.label, exp_type=t.params.exp_type,
                                              params=t.params.model_dump(), n_epochs=cfg.n_epochs,
                                              worker=slot.index, device=slot.device, worker_pid=os.getpid()))
                active[t.id] = [t, slot, 0, time.time()]
            time.sleep(epoch_s)
            skips = set(take_skip_requests(run_dir))
            if flags.skip:  # SIGUSR1 names no trial: like the real runner, it skips only a lone running one
                flags.skip = False
                skips |= set(active) if len(active) == 1 else set()
            for tid, entry in list(active.items()):
                t, ep = entry[0], entry[2] + 1
                entry[2] = ep
                ev = fake_epoch(t.index, t.id, ep, cfg.n_epochs, t.params.lr, epoch_time_s=epoch_s)
                append_event(fh, ev)
                best[t.id] = max(best.get(t.id, 0.0), ev.test_acc)
                print(f"{t.id} epoch {ep}/{cfg.n_epochs} test_acc {ev.test_acc:.4f}", flush=True)
                if flags.stop:
                    finish(tid, "interrupted")
                elif tid in skips:
                    finish(tid, "skipped")
                elif ep == cfg.n_epochs:
                    finish(tid, "completed")
            for t in [t for t in queue if t.id in skips]:  # a pending trial asked to be skipped never starts
                queue.remove(t)
                append_event(fh, TrialFinished(trial_id=t.id, status="skipped", epochs_done=0, duration_s=0.0))
        for tid in list(active):  # stopped between two rounds
            finish(tid, "interrupted")
        if flags.stop:
            status = "interrupted"
            append_event(fh, LogLine(level="warning", message="stopped by SIGTERM"))
        append_event(fh, RunFinished(status=status))
    write_tables(run_dir)
    if report and status == "completed":
        write_report(run_dir, cfg.name, best)
    lock.release()
    print(f"fake runner: {status}", flush=True)
    return 0


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser()
    sub = p.add_subparsers(dest="cmd", required=True)
    r = sub.add_parser("run")
    r.add_argument("config")
    r.add_argument("--run-dir", required=True)
    r.add_argument("--no-report", action="store_true")
    r.add_argument("--set", action="append", default=[])
    s = sub.add_parser("resume")
    s.add_argument("run")
    s.add_argument("--no-report", action="store_true")
    a = p.parse_args(argv)
    if a.cmd == "run":
        return run(Path(a.config), Path(a.run_dir), not a.no_report)
    return run(None, Path(a.run), not a.no_report, resume=True)


def _run_folder(runs_dir: Path, run_id: str, name: str, n_trials: int, n_epochs: int,
                lr: list[float] | None = None, parallel: dict | None = None,
                extra: dict | None = None) -> tuple[Path, list]:
    """A new run folder with its config.json and resolved.json; its trials.
    `extra` config keys sweep more than lr (then the sweep decides the trial count)."""
    from sweepdeck.engine.config import validate_config

    lr = lr or [0.1, 0.05, 0.02, 0.01, 0.005, 0.002][:n_trials]
    raw = {"name": name, "lr": lr, "n_epochs": n_epochs, "dataset": {"name": "shapes", "n_train": 256},
           "model": "tiny", **({"parallel": parallel} if parallel else {}), **(extra or {})}
    cfg = validate_config(raw)
    trials = build_trials(cfg)
    run_dir = runs_dir / run_id
    run_dir.mkdir(parents=True)
    write_json_atomic(run_dir / CONFIG, raw)
    write_json_atomic(run_dir / RESOLVED, resolved(cfg, trials))
    return run_dir, trials


def write_running_parallel_run(runs_dir: Path, run_id: str, n_trials: int, n_epochs: int, t0: float,
                               devices: list[str], epochs: list[int], extra: dict | None = None) -> Path:
    """A run folder as a pool of `len(devices)` workers leaves it mid-sweep:
    trial i runs on worker i (device devices[i]) and has done epochs[i] epochs,
    the later trials are pending. The epochs interleave, newest trial first in each
    round, as workers finishing in any order would write them. No lock: a test that
    needs the run live holds one."""
    run_dir, trials = _run_folder(runs_dir, run_id, "pool", n_trials, n_epochs,
                                  parallel={"devices": sorted(set(devices))}, extra=extra)
    events: list = [RunStarted(run_id=run_id, name="pool", n_trials=len(trials), trial_ids=[x.id for x in trials],
                               device=devices[0], pid=1, host="fixture", workers=len(devices),
                               devices=sorted(set(devices)), threads=1, time=t0)]
    running = trials[:len(devices)]
    for i, tr in enumerate(running):
        events.append(TrialStarted(trial_id=tr.id, index=tr.index, label=tr.label, exp_type=tr.params.exp_type,
                                   params=tr.params.model_dump(), n_epochs=n_epochs, worker=i, device=devices[i],
                                   worker_pid=1000 + i, time=t0 + i))
    t = t0 + len(devices)
    for ep in range(1, max(epochs) + 1):
        for i in reversed(range(len(running))):
            if ep <= epochs[i]:
                t += 1
                events.append(fake_epoch(i, running[i].id, ep, n_epochs, running[i].params.lr,
                                         epoch_time_s=2.0 * (i + 1), t=t))
    (run_dir / EVENTS).write_text("".join(dump_event(e) + "\n" for e in events), encoding="utf-8")
    return run_dir


def write_finished_run(runs_dir: Path, run_id: str, name: str, n_trials: int, n_epochs: int,
                       t0: float, status: str = "completed", report: bool = True, lr: list[float] | None = None,
                       extra: dict | None = None) -> Path:
    """A finished run folder with fixed times (deterministic for snapshots)."""
    run_dir, trials = _run_folder(runs_dir, run_id, name, n_trials, n_epochs, lr, extra=extra)
    t = t0
    lines = [RunStarted(run_id=run_id, name=name, n_trials=len(trials), trial_ids=[x.id for x in trials],
                        device="cpu", pid=1, host="fixture", time=t)]
    best = {}
    for i, tr in enumerate(trials):
        last = i == len(trials) - 1
        t += 1
        lines.append(TrialStarted(trial_id=tr.id, index=tr.index, label=tr.label, exp_type=tr.params.exp_type,
                                  params=tr.params.model_dump(), n_epochs=n_epochs, time=t))
        n = n_epochs if not (last and status == "interrupted") else n_epochs // 2
        for ep in range(1, n + 1):
            t += 0.5
            ev = fake_epoch(tr.index, tr.id, ep, n_epochs, tr.params.lr, epoch_time_s=0.5, t=t)
            best[tr.id] = max(best.get(tr.id, 0.0), ev.test_acc)
            lines.append(ev)
        lines.append(TrialFinished(trial_id=tr.id, status="interrupted" if (last and status == "interrupted") else "completed",
                                   epochs_done=n, duration_s=0.5 * n, time=t))
    lines.append(RunFinished(status=status, time=t + 1))
    (run_dir / EVENTS).write_text("".join(dump_event(e) + "\n" for e in lines), encoding="utf-8")
    write_tables(run_dir)
    if report:
        write_report(run_dir, name, best)
    return run_dir


if __name__ == "__main__":
    sys.exit(main())
