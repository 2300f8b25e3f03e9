"""A run folder read for export: its trials, their parameters, their per-epoch scalars.

Run folders are shared, so everything here is untrusted: a trial id becomes a
folder name only if it looks like one (`t003`), text goes through `strip_control`,
parameter values are plain bool/number/text, and names are cut to a length any
tracking store accepts. Both exporters (TensorBoard, MLflow) read through this
module, so they name and sanitise things the same way.

Standard library and pydantic only (the events and store readers).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Optional

from sweepdeck.engine import store
from sweepdeck.engine.events import EpochMetrics, TrialStarted
from sweepdeck.engine.safe_text import strip_control

# A trial id that can name a folder and a tracking run: what `build_trials` writes
# (t000, t001...) and nothing that could climb out of the export folder.
_TRIAL_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,63}")
_UNSAFE_NAME = re.compile(r"[^A-Za-z0-9 ._=,+-]")
MAX_NAME = 96     # a trial's folder or run name
MAX_VALUE = 500   # a parameter's text value (MLflow allows 6000; nobody reads more)

# Each per-epoch field, as the scalar tag both exporters write. Grouped by the part
# before "/" so TensorBoard shows train, test, penalty... as sections.
SCALAR_TAGS: dict[str, str] = {
    "train_loss": "train/loss",
    "train_eval_loss": "train/eval_loss",
    "train_acc": "train/acc",
    "train_f1": "train/f1",
    "test_loss": "test/loss",
    "test_acc": "test/acc",
    "test_f1": "test/f1",
    "penalty_sum": "penalty/sum",
    "penalty_mul": "penalty/mul",
    "lr": "optim/lr",
    "rho": "norm/rho",
    "epoch_time_s": "time/epoch_s",
}
BEST_TEST_ACC = "test/acc_best"  # the best test accuracy up to each epoch: its last value is the trial's best


def safe_trial_id(trial_id: str) -> Optional[str]:
    """`trial_id` when it may name a folder or a run, else None (the trial is skipped)."""
    return trial_id if _TRIAL_ID.fullmatch(trial_id) else None


def safe_name(text: str, limit: int = MAX_NAME) -> str:
    """`text` fit for a folder or run name: letters, digits and ` ._=,+-`, no leading dot."""
    name = _UNSAFE_NAME.sub("_", strip_control(text)).strip(" .")[:limit].strip(" .")
    return name or "_"


def run_name(run_dir: Path) -> str:
    """The run's id as the export names it (the run folder's own name, made safe)."""
    return safe_name(Path(run_dir).resolve().name)


def trial_folder(trial_id: str, label: str) -> str:
    """`t003 sum=0.001 lr=0.01`: a trial's folder (TensorBoard's run) and run name (MLflow),
    so both tools list trials by what varied, not only by id."""
    label = safe_name(label) if label.strip() else ""
    return f"{trial_id} {label}".strip() if label and label != "_" else trial_id


def param_value(value: Any) -> bool | int | float | str:
    """A parameter as a plain value: bool, a finite number, or text (None, lists... as text)."""
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float)) and math.isfinite(value):
        return value
    return strip_control(str(value))[:MAX_VALUE]


@dataclass
class TrialInfo:
    trial_id: str
    label: str = ""
    params: dict[str, Any] = field(default_factory=dict)

    @property
    def folder(self) -> str:
        return trial_folder(self.trial_id, self.label)


@dataclass
class RunInfo:
    """What an export needs before reading events: the run's name and its planned trials."""

    run_dir: Path
    name: str
    trials: dict[str, TrialInfo]
    sweep_name: str = ""

    @classmethod
    def read(cls, run_dir: Path) -> "RunInfo":
        run_dir = Path(run_dir)
        resolved = store.read_resolved(run_dir) or {}
        trials: dict[str, TrialInfo] = {}
        for t in resolved.get("trials", []):
            tid = safe_trial_id(t["id"])
            if tid:
                trials[tid] = TrialInfo(tid, strip_control(t["label"]), _plain_params(t["params"]))
        cfg = resolved.get("config") if isinstance(resolved.get("config"), dict) else {}
        sweep = cfg.get("name") if isinstance(cfg.get("name"), str) else ""
        return cls(run_dir, run_name(run_dir), trials, strip_control(sweep))

    def learn(self, ev: TrialStarted) -> Optional[TrialInfo]:
        """The trial an event names, added when resolved.json lacked it; None for an unusable id."""
        tid = safe_trial_id(ev.trial_id)
        if tid is None:
            return None
        info = self.trials.get(tid)
        if info is None:
            info = self.trials[tid] = TrialInfo(tid, ev.label, _plain_params(ev.params))
        return info

    def trial(self, trial_id: str) -> Optional[TrialInfo]:
        tid = safe_trial_id(trial_id)
        if tid is None:
            return None
        return self.trials.setdefault(tid, TrialInfo(tid))


def _plain_params(params: dict[str, Any]) -> dict[str, Any]:
    """The known parameters (store.PARAM_COLUMNS) as plain values; unknown keys are dropped."""
    return {k: param_value(params[k]) for k in store.PARAM_COLUMNS if k in params}


def scalars(ev: EpochMetrics) -> dict[str, float]:
    """One epoch's scalars by tag (accuracies as fractions, as the run folder holds them)."""
    out = {tag: float(getattr(ev, name)) for name, tag in SCALAR_TAGS.items() if getattr(ev, name) is not None}
    for i, v in enumerate(ev.layer_norms):
        out[f"norm/layer_{i}"] = float(v)
    return out


class BestSoFar:
    """Each trial's best test accuracy up to an epoch, for the `test/acc_best` scalar."""

    def __init__(self) -> None:
        self._best: dict[str, float] = {}

    def update(self, ev: EpochMetrics) -> float:
        best = max(self._best.get(ev.trial_id, -math.inf), ev.test_acc)
        self._best[ev.trial_id] = best
        return best

    def overall(self) -> Optional[float]:
        """The best test accuracy of any trial so far (None before the first epoch)."""
        return max(self._best.values(), default=None)


def hparam_kinds(trials: list[TrialInfo]) -> dict[str, type]:
    """Per parameter, the one type its values share across trials (bool, float or str): a
    tracking table needs one type per column, and `wn` may be 0.9 in one trial, "default" in
    another."""
    kinds: dict[str, type] = {}
    for key in store.PARAM_COLUMNS:
        values = [t.params[key] for t in trials if key in t.params]
        if not values:
            continue
        if all(isinstance(v, bool) for v in values):
            kinds[key] = bool
        elif all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values):
            kinds[key] = float
        else:
            kinds[key] = str
    return kinds


def as_kind(value: Any, kind: type) -> bool | float | str:
    if kind is bool:
        return bool(value)
    if kind is float:
        return float(value)
    return value if isinstance(value, str) else _text(value)


def _text(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)
