"""The typed events of a run's append-only log, `events.jsonl`.

One JSON object per line, each with a `type`. The runner writes them; `sweepdeck
show`, the report, resume and the TUI only ever read them. A line that does not
parse (the last one after a crash mid-write, or bytes a disk fault left) is
skipped and reported; the events after it still count.

No torch, no pandas here: the TUI imports this module.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated, Any, Literal, Optional, Union

from pydantic import BaseModel, Field, TypeAdapter, ValidationError, model_validator

from sweepdeck.engine.safe_files import TailReader, describe_unreadable, read_regular_file
from sweepdeck.engine.safe_text import strip_control

# Status words. The runner writes these two into the log:
# (`pruned`: stopped early by the sweep's early_stop pruner; it keeps the epochs it trained)
TrialStatus = Literal["completed", "diverged", "failed", "interrupted", "skipped", "pruned"]
# A trial that ended with one of these is finished for good; `interrupted` resumes.
DONE_STATUSES: frozenset[str] = frozenset({"completed", "diverged", "failed", "skipped", "pruned"})
RunStatus = Literal["completed", "interrupted", "failed"]

# A reader of the log (show, runs, the TUI) knows a few more states, which no
# event names. A trial is `pending` (not started yet) or `running` (started, not
# finished). A run is
#   running   its runner holds the folder;
#   crashed   it started and never finished, and no runner holds it (runs, show);
#   stopped   the same, seen by the TUI while it follows the run;
#   empty     no run_started event at all;
#   waiting   the TUI follows a folder whose runner has not started yet.
TrialStatusSeen = Literal[TrialStatus, "pending", "running"]
RunStatusSeen = Literal[RunStatus, "running", "crashed", "stopped", "empty", "waiting"]


def now() -> float:
    return time.time()


class _Event(BaseModel):
    time: float = Field(default_factory=now)

    @model_validator(mode="before")
    @classmethod
    def _no_control_sequences(cls, data: Any) -> Any:
        # Logs come from shared run folders: no text in an event (a label, an error,
        # a run name) may drive the terminal that shows it.
        return _without_control(data)


def _without_control(value: Any) -> Any:
    if isinstance(value, str):
        return strip_control(value)
    if isinstance(value, dict):
        return {_without_control(k): _without_control(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_without_control(v) for v in value]
    return value


class RunStarted(_Event):
    type: Literal["run_started"] = "run_started"
    run_id: str
    name: str
    n_trials: int
    trial_ids: list[str]
    device: str
    pid: int
    host: str
    resumed: bool = False
    # Parallel trials (issue 11); logs written before it ran one trial at a time.
    workers: int = 1
    devices: Optional[list[str]] = None
    threads: Optional[int] = None


class TrialStarted(_Event):
    type: Literal["trial_started"] = "trial_started"
    trial_id: str
    index: int
    label: str
    exp_type: str
    params: dict[str, Any]
    n_epochs: int
    start_epoch: int = 1  # > 1 when a resumed trial continues from a checkpoint
    worker: Optional[int] = None  # the worker slot (0-based) that runs it, and where
    device: Optional[str] = None
    worker_pid: Optional[int] = None


class EpochMetrics(_Event):
    """SPEC §7's per-epoch record. Accuracies are fractions in [0, 1]."""

    type: Literal["epoch"] = "epoch"
    trial_id: str
    epoch: int  # 1-based
    train_loss: float  # mean data term (MSE or CE) over the epoch's batches, train mode
    penalty_sum: float  # mean additive penalty term (λ·S) over the epoch
    penalty_mul: float  # mean multiplicative penalty term (λ·P) over the epoch
    train_eval_loss: Optional[float] = None  # whole training set, eval mode (eval_train_set)
    train_acc: Optional[float] = None
    train_f1: Optional[float] = None
    train_confusion: Optional[list[list[int]]] = None
    test_loss: float
    test_acc: float
    test_f1: float
    test_confusion: list[list[int]]
    lr: float  # learning rate used during this epoch
    epoch_time_s: float
    rho: float  # √P: product of the layer norms
    layer_norms: list[float]


class TrialFinished(_Event):
    type: Literal["trial_finished"] = "trial_finished"
    trial_id: str
    status: TrialStatus
    epochs_done: int
    duration_s: float
    error: Optional[str] = None  # one line; the full traceback is in trials/<id>/error.txt
    margin: Optional[float] = None  # mean y·f(x) on the train set with unit layer norms
    ranks: Optional[list[int]] = None  # numerical rank of each weight matrix
    test_misclassified: Optional[list[int]] = None


class RunFinished(_Event):
    type: Literal["run_finished"] = "run_finished"
    status: RunStatus
    message: Optional[str] = None


class LogLine(_Event):
    type: Literal["log"] = "log"
    level: Literal["info", "warning", "error"] = "info"
    message: str


Event = Annotated[
    Union[RunStarted, TrialStarted, EpochMetrics, TrialFinished, RunFinished, LogLine],
    Field(discriminator="type"),
]
_EVENT = TypeAdapter(Event)


def parse_event(line: str) -> Event:
    """One log line → its event; raises ValueError on anything else."""
    try:
        return _EVENT.validate_json(line)
    except ValidationError as exc:
        first = exc.errors(include_url=False)[0]
        where = ".".join(str(p) for p in first["loc"])
        raise ValueError(f"{where + ': ' if where else ''}{first['msg']}") from None


def dump_event(event: _Event) -> str:
    return event.model_dump_json(exclude_none=True)


class EventLog(BaseModel):
    """What a log file held: the valid events, and where (if anywhere) it is damaged."""

    events: list[Event] = []
    damage: Optional[str] = None


def read_events(path: str | Path) -> EventLog:
    """Every valid event of a log. A damaged line (a partial write cut by a crash,
    bytes a disk fault left) is skipped and reported in `damage`; the events after
    it still count."""
    path = Path(path)
    log = EventLog()
    try:
        data = read_regular_file(path)
    except FileNotFoundError:
        log.damage = f"{path.name} is missing"
        return log
    except OSError as exc:
        log.damage = describe_unreadable(path, exc)
        return log
    lines = data.split(b"\n")
    last_lineno = max((i for i, raw in enumerate(lines, start=1) if raw.strip()), default=0)
    damaged: list[str] = []
    for lineno, raw in enumerate(lines, start=1):
        if not raw.strip():
            continue
        try:
            log.events.append(parse_event(raw.decode("utf-8")))
        except (ValueError, UnicodeDecodeError) as exc:
            where = "the last line" if lineno == last_lineno else f"line {lineno}"
            damaged.append(f"{where} ({exc})")
    if damaged:
        more = f" and {len(damaged) - 1} more" if len(damaged) > 1 else ""
        log.damage = f"{path.name}: skipped a damaged line: {damaged[0]}{more}"
    return log


class EventFollower:
    """Reads a growing log incrementally: each `poll()` returns the new complete events.

    A partial last line (the writer is mid-write) is left for the next poll.
    """

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self._tail = TailReader(self.path)
        self.damage: Optional[str] = None

    def poll(self) -> list[Event]:
        try:
            lines = self._tail.poll()
        except OSError as exc:
            self.damage = describe_unreadable(self.path, exc)
            return []
        out: list[Event] = []
        for raw in lines:
            if not raw.strip():
                continue
            try:
                out.append(parse_event(raw.decode("utf-8")))
            except (ValueError, UnicodeDecodeError) as exc:
                self.damage = f"{self.path.name}: skipped a damaged line ({exc})"
        return out


def append_event(fh: Any, event: _Event) -> None:
    """Write one event as one line and flush it, so followers see it at once."""
    fh.write(dump_event(event) + "\n")
    fh.flush()
