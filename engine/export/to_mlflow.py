"""A run exported to MLflow: a parent run for the sweep, a child run per trial.

Through MLflow's own client (`mlflow-skinny`), to any tracking URI it knows:
`sqlite:///mlflow.db` (MLflow's default store), `http://host:5000`, ... Each run is
tagged with the sweepdeck run id (and trial id), so exporting again finds the runs it
made and adds only what is new: the metric batches carry the last epoch they hold
as a tag in the same call, so a killed export never writes an epoch twice either.

    parent  tags sweepdeck.run_id, sweepdeck.kind=sweep, sweepdeck.status; metric
            test_acc_best; artifacts config.json, report.md (when there is one)
    child   tags mlflow.parentRunId, sweepdeck.trial_id, sweepdeck.kind=trial,
            sweepdeck.status, sweepdeck.last_epoch; params (the trial's parameters);
            every per-epoch scalar with step = epoch and the epoch's own time

`mlflow` is imported here only: `sweepdeck[mlflow]` installs it.
"""

from __future__ import annotations

import logging
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Optional

from sweepdeck.engine import store
from sweepdeck.engine.errors import SweepdeckError, first_line
from sweepdeck.engine.events import EpochMetrics, Event, RunFinished, RunStarted, TrialFinished, TrialStarted
from sweepdeck.engine.export.source import BEST_TEST_ACC, BestSoFar, RunInfo, TrialInfo, scalars
from sweepdeck.engine.safe_files import read_regular_file
from sweepdeck.engine.safe_text import strip_control

KIND, RUN_ID, TRIAL_ID, STATUS, LAST_EPOCH = ("sweepdeck.kind", "sweepdeck.run_id", "sweepdeck.trial_id",
                                              "sweepdeck.status", "sweepdeck.last_epoch")
PARENT = "mlflow.parentRunId"
MAX_ENTITIES = 1000  # MLflow's limit on metrics + params + tags in one log_batch
ARTIFACTS = (store.CONFIG, "report.md")
ARTIFACT_LIMIT = 16 * 2**20
# the sweepdeck status → MLflow's run status
RUN_STATUS = {"completed": "FINISHED", "diverged": "FAILED", "failed": "FAILED", "skipped": "KILLED",
              "interrupted": "KILLED", "crashed": "FAILED", "running": "RUNNING"}


class MlflowExportError(SweepdeckError, RuntimeError):
    """MLflow refused the export, or cannot be reached (one line for the user)."""


def _mlflow() -> Any:
    try:
        from mlflow.entities import Metric, Param, RunTag
        from mlflow.tracking import MlflowClient
    except ImportError:
        raise MlflowExportError("--mlflow needs the mlflow-skinny package: pip install 'sweepdeck[mlflow]'") from None
    import types

    return types.SimpleNamespace(Client=MlflowClient, Metric=Metric, Param=Param, RunTag=RunTag)


@dataclass
class _Trial:
    info: TrialInfo
    run_id: Optional[str] = None
    last_epoch: int = 0                 # the last epoch MLflow holds
    status: str = ""                    # the status MLflow's tag holds
    start_ms: int = 0
    end_ms: Optional[int] = None
    state: str = "running"              # what the log says now
    pending: list[tuple[EpochMetrics, float]] = field(default_factory=list)  # with the best test acc so far


class MlflowExport:
    """Feed it a run's events (all of them, any number of times, or as they come); `flush`
    sends what is new."""

    def __init__(self, uri: str, run: RunInfo, experiment: Optional[str] = None):
        self.ml = _mlflow()
        _quiet_mlflow()
        self.uri = uri
        self.run = run
        self.client = self._call("connect", self.ml.Client, tracking_uri=uri)
        self.experiment = experiment or run.sweep_name or "sweepdeck"
        self.best = BestSoFar()
        self.n_points = 0
        self.run_state = "running"
        self.run_start_ms = 0
        self._trials: dict[str, _Trial] = {}
        self._call("open the experiment", self._open)

    def _call(self, what: str, fn: Any, *args: Any, **kw: Any) -> Any:
        """`fn(*args, **kw)`, with anything MLflow raises as one line."""
        try:
            return fn(*args, **kw)
        except SweepdeckError:
            raise
        except Exception as exc:  # MlflowException, requests' errors, sqlalchemy's...
            raise MlflowExportError(f"MLflow at {_safe_uri(self.uri)}: cannot {what}: "
                                    f"{strip_control(first_line(exc, 240))}") from None

    def _open(self) -> None:
        exp = self.client.get_experiment_by_name(self.experiment)
        self.experiment_id = exp.experiment_id if exp else self.client.create_experiment(self.experiment)
        mine = f"tags.`{RUN_ID}` = '{self.run.name}'"  # run.name is safe_name's: no quotes
        self.parent = None
        for r in self._search(f"{mine} and tags.`{KIND}` = 'sweep'"):
            self.parent = r
        self.parent_status = self.parent.info.status if self.parent else None
        self._existing = {r.data.tags.get(TRIAL_ID): r for r in self._search(f"{mine} and tags.`{KIND}` = 'trial'")}

    def _search(self, filter_string: str) -> list[Any]:
        out, token = [], None
        while True:
            page = self.client.search_runs([self.experiment_id], filter_string, max_results=1000, page_token=token)
            out.extend(page)
            token = page.token
            if not token:
                return out

    # -- events ----------------------------------------------------------------------
    def add(self, events: Iterable[Event]) -> None:
        for ev in events:
            if isinstance(ev, EpochMetrics):
                best = self.best.update(ev)
                t = self._trial(ev.trial_id, ev.time)
                if t is not None and ev.epoch > max(t.last_epoch, t.pending[-1][0].epoch if t.pending else 0):
                    t.pending.append((ev, best))
            elif isinstance(ev, TrialStarted):
                info = self.run.learn(ev)
                t = self._trial(ev.trial_id, ev.time) if info else None
                if t is not None:
                    t.state, t.end_ms = "running", None
            elif isinstance(ev, TrialFinished):
                t = self._trial(ev.trial_id, ev.time)
                if t is not None:
                    t.state, t.end_ms = ev.status, _ms(ev.time)
            elif isinstance(ev, RunStarted):
                self.run_state = "running"
                self.run_start_ms = self.run_start_ms or _ms(ev.time)
            elif isinstance(ev, RunFinished):
                self.run_state = ev.status

    def _trial(self, trial_id: str, time: float) -> Optional[_Trial]:
        info = self.run.trial(trial_id)
        if info is None:
            return None
        t = self._trials.get(info.trial_id)
        if t is None:
            t = self._trials[info.trial_id] = _Trial(info, start_ms=_ms(time))
            known = self._existing.get(info.trial_id)
            if known is not None:
                t.run_id = known.info.run_id
                t.status = known.data.tags.get(STATUS, "")
                t.last_epoch = _int(known.data.tags.get(LAST_EPOCH))
        return t

    # -- sending ---------------------------------------------------------------------
    def flush(self, run_state: Optional[str] = None) -> None:
        """Send what is new. `run_state` overrides the log's view of the run (a run that
        started and never finished, and whose runner is gone, has crashed)."""
        state = run_state or self.run_state
        self._call("write the sweep's run", self._send_parent, state)
        for t in self._trials.values():
            self._call(f"write trial {t.info.trial_id}", self._send_trial, t)

    def _send_parent(self, state: str) -> None:
        c, ml = self.client, self.ml
        if self.parent is None:
            self.parent = c.create_run(self.experiment_id, start_time=self.run_start_ms or None, run_name=self.run.name,
                                       tags={RUN_ID: self.run.name, KIND: "sweep"})
            self.parent_status = self.parent.info.status
        pid = self.parent.info.run_id
        tags = [ml.RunTag(STATUS, state)]
        metrics = []
        best = self.best.overall()
        if best is not None:
            metrics.append(ml.Metric(BEST_TEST_ACC, best, self.run_start_ms, 0))
        c.log_batch(pid, metrics=metrics, tags=tags)
        self.parent_status = self._set_status(pid, self.parent_status, state, None)

    def close(self) -> None:
        """The sweep's files as the parent run's artifacts: sent once, at the end (report.md
        is written after the runner is done)."""
        if self.parent is not None:
            self._call("upload config.json and report.md", self._artifacts, self.parent.info.run_id)

    def describe(self) -> str:
        n = sum(1 for t in self._trials.values() if t.run_id)
        return (f"mlflow: experiment {self.experiment!r}, sweep run {self.parent.info.run_id if self.parent else '-'} "
                f"with {n} trial run{'s' if n != 1 else ''}, {self.n_points} new epoch{'s' if self.n_points != 1 else ''} "
                f"at {_safe_uri(self.uri)}")

    def _artifacts(self, run_id: str) -> None:
        """config.json and report.md, copied out of the run folder without following links."""
        with tempfile.TemporaryDirectory(prefix="sweepdeck-mlflow-") as tmp:
            for name in ARTIFACTS:
                try:
                    data = read_regular_file(self.run.run_dir / name, ARTIFACT_LIMIT)
                except OSError:
                    continue  # missing (no report yet), a link, not a regular file
                (Path(tmp) / name).write_bytes(data)
                self.client.log_artifact(run_id, str(Path(tmp) / name))

    def _send_trial(self, t: _Trial) -> None:
        c, ml = self.client, self.ml
        if t.run_id is None:
            run = c.create_run(self.experiment_id, start_time=t.start_ms, run_name=t.info.folder,
                               tags={RUN_ID: self.run.name, KIND: "trial", TRIAL_ID: t.info.trial_id,
                                     PARENT: self.parent.info.run_id, "sweepdeck.label": t.info.label[:500]})
            t.run_id = run.info.run_id
            params = [ml.Param(k, str(v)) for k, v in t.info.params.items()]
            c.log_batch(t.run_id, params=params)
            t.status = "running"
        for batch in self._batches(t):
            c.log_batch(t.run_id, metrics=batch[0], tags=[ml.RunTag(LAST_EPOCH, str(batch[1]))])
            t.last_epoch = batch[1]
        t.pending.clear()
        if t.state != t.status:
            c.set_tag(t.run_id, STATUS, t.state)
            self._set_status(t.run_id, None, t.state, t.end_ms)
            t.status = t.state

    def _batches(self, t: _Trial) -> Iterable[tuple[list[Any], int]]:
        """The pending epochs as log_batch calls of whole epochs (each under MLflow's limit)."""
        batch: list[Any] = []
        last = 0
        for ev, best in t.pending:
            points = [self.ml.Metric(tag, v, _ms(ev.time), ev.epoch) for tag, v in scalars(ev).items()]
            points.append(self.ml.Metric(BEST_TEST_ACC, best, _ms(ev.time), ev.epoch))
            if batch and len(batch) + len(points) >= MAX_ENTITIES:
                yield batch, last
                batch = []
            batch += points
            last = ev.epoch
            self.n_points += 1
        if batch:
            yield batch, last

    def _set_status(self, run_id: str, current: Optional[str], state: str, end_ms: Optional[int]) -> str:
        """MLflow's status for `state`, set unless it is `current`; returns it."""
        status = RUN_STATUS.get(state, "FAILED")
        if status == current:
            return status
        if status == "RUNNING":
            self.client.update_run(run_id, status="RUNNING")
        else:
            self.client.set_terminated(run_id, status, end_time=end_ms)
        return status


def _ms(t: float) -> int:
    return int(round(t * 1000))


def _int(text: Optional[str]) -> int:
    try:
        return max(0, int(text or 0))
    except ValueError:
        return 0


def _safe_uri(uri: str) -> str:
    """The URI for messages: no user:password@, no query."""
    from sweepdeck.engine.llm import safe_url

    return safe_url(uri) if "://" in uri and not uri.startswith(("sqlite:", "file:")) else strip_control(uri)


def _quiet_mlflow() -> None:
    """MLflow logs its database migrations at INFO on stderr: the export's own lines say what happened."""
    for name in ("mlflow", "alembic"):
        logging.getLogger(name).setLevel(logging.WARNING)
    # a tracking server that is down would otherwise be retried for minutes (7 tries, backoff 2)
    os.environ.setdefault("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "2")
    os.environ.setdefault("MLFLOW_HTTP_REQUEST_TIMEOUT", "30")

