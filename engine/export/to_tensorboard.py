"""A run exported as TensorBoard event files, with the HParams dashboard's summaries.

    DIR/<run id>/                          the HParams experiment (its columns and metrics)
    DIR/<run id>/<t003 sum=0.001 lr=0.01>/ one TensorBoard run per trial: every per-epoch
                                           scalar (step = epoch), its parameters, its end
    DIR/<run id>/.sweepdeck-export.json    what was exported: per trial, the last epoch and
                                           the size of its event file

Written with TensorBoard's own record writer and protos (no TensorFlow, no torch).
Re-exporting appends only the epochs not written yet, so it can be repeated, and
followed while the sweep runs, without duplicating a point. A trial file longer than
its recorded size (an export killed mid-write) is cut back to that size first; one
that is shorter, or has no record, is written again from its start.

TensorBoard keeps the first metadata it sees for a tag, so a trial's end (its
status) is written only once it is final: completed, diverged, failed, skipped.
An interrupted trial may still resume.
"""

from __future__ import annotations

import errno
import os
from pathlib import Path
from typing import Any, Iterable, Optional

from pydantic import BaseModel, ValidationError

from sweepdeck.engine import store
from sweepdeck.engine.errors import SweepdeckError
from sweepdeck.engine.events import DONE_STATUSES, EpochMetrics, Event, RunStarted, TrialFinished, TrialStarted
from sweepdeck.engine.export.source import (BEST_TEST_ACC, BestSoFar, RunInfo, TrialInfo, as_kind, hparam_kinds,
                                            safe_name, scalars)

STATE = ".sweepdeck-export.json"
EVENT_FILE = "events.out.tfevents.0.sweepdeck"  # TensorBoard reads any file with "tfevents" in its name
# The HParams table's metric columns: the last value of each scalar in a trial's run.
HPARAM_METRICS = {BEST_TEST_ACC: "best test accuracy", "test/acc": "final test accuracy",
                  "train/acc": "final train accuracy"}


class ExportError(SweepdeckError, OSError):
    """The export folder cannot be written (one line for the user)."""


def _tensorboard() -> Any:
    try:
        from tensorboard.compat.proto import event_pb2, summary_pb2
        from tensorboard.plugins.hparams import api_pb2, metadata, plugin_data_pb2, summary_v2
        from tensorboard.summary.writer.record_writer import RecordWriter
    except ImportError:
        raise ExportError("--tensorboard needs the tensorboard package: pip install 'sweepdeck[tensorboard]'") from None
    import types

    return types.SimpleNamespace(event_pb2=event_pb2, summary_pb2=summary_pb2, api_pb2=api_pb2, metadata=metadata,
                                 plugin_data_pb2=plugin_data_pb2, hp=summary_v2, RecordWriter=RecordWriter)


class _TrialState(BaseModel):
    folder: str
    epoch: int = 0     # the last epoch written
    bytes: int = 0     # the event file's size after it
    ended: bool = False


class _State(BaseModel):
    format: int = 1
    trials: dict[str, _TrialState] = {}


class TensorBoardExport:
    """Feed it a run's events (all of them, any number of times, or as they come); `flush`
    puts what it was given on disk and records how far it got."""

    def __init__(self, out_dir: Path, run: RunInfo):
        self.tb = _tensorboard()
        self.run = run
        self.dir = _make_dir(Path(out_dir) / run.name)
        self.state = _read_state(self.dir / STATE)
        self.best = BestSoFar()
        self.created = 0.0
        self.n_points = 0  # epochs written by this export
        self._files: dict[str, _TrialFile] = {}

    # -- events ----------------------------------------------------------------------
    def add(self, events: Iterable[Event]) -> None:
        for ev in events:
            if isinstance(ev, EpochMetrics):
                self._epoch(ev)
            elif isinstance(ev, TrialStarted):
                info = self.run.learn(ev)
                if info is not None:
                    self._file(info, ev.time)
            elif isinstance(ev, TrialFinished):
                self._finished(ev)
            elif isinstance(ev, RunStarted) and not self.created:
                self.created = ev.time

    def _epoch(self, ev: EpochMetrics) -> None:
        best = self.best.update(ev)
        info = self.run.trial(ev.trial_id)
        if info is None:
            return
        f = self._file(info, ev.time)
        if ev.epoch <= f.state.epoch:
            return  # written by an earlier export (or a resumed trial repeating an epoch)
        f.write(self._scalars_event(ev, best))
        f.state.epoch = ev.epoch
        self.n_points += 1

    def _finished(self, ev: TrialFinished) -> None:
        info = self.run.trial(ev.trial_id)
        if info is None or ev.status not in DONE_STATUSES:
            return
        f = self._file(info, ev.time)
        if not f.state.ended:
            f.write(self._session_end(ev, f.state.epoch))
            f.state.ended = True

    # -- files -----------------------------------------------------------------------
    def _file(self, info: TrialInfo, start_time: float) -> "_TrialFile":
        f = self._files.get(info.trial_id)
        if f is None:
            st = self.state.trials.get(info.trial_id)
            if st is None or st.folder != safe_name(st.folder):  # the state file is a file like any other
                st = self.state.trials[info.trial_id] = _TrialState(folder=info.folder)
            f = self._files[info.trial_id] = _TrialFile(self.dir / st.folder, st, self.tb)
            if f.state.bytes == 0:
                f.write(self._header(start_time))
                f.write(self._session_start(info, start_time))
        return f

    def flush(self, run_state: Optional[str] = None) -> None:
        """Everything given so far on disk, and the state file saying so. (`run_state`:
        TensorBoard has no place for the run's own status.)"""
        for f in self._files.values():
            f.flush()
        self._write_experiment()
        try:
            store.write_text_atomic(self.dir / STATE, self.state.model_dump_json(indent=1) + "\n")
        except OSError as exc:
            raise ExportError(f"cannot write {self.dir / STATE}: {exc.strerror or exc}") from None

    def close(self) -> None:
        try:
            self.flush()
        finally:
            for f in self._files.values():
                f.close()
            self._files.clear()

    def describe(self) -> str:
        n = len(self.state.trials)
        return (f"tensorboard: {n} trial{'s' if n != 1 else ''}, {self.n_points} new epoch{'s' if self.n_points != 1 else ''} "
                f"in {self.dir} (view: tensorboard --logdir {self.dir.parent})")

    # -- TensorBoard records -----------------------------------------------------------
    def _header(self, wall_time: float) -> bytes:
        return self.tb.event_pb2.Event(wall_time=wall_time, file_version="brain.Event:2").SerializeToString()

    def _summary_event(self, summary: Any, wall_time: float, step: int) -> bytes:
        return self.tb.event_pb2.Event(wall_time=wall_time, step=step, summary=summary).SerializeToString()

    def _scalars_event(self, ev: EpochMetrics, best: float) -> bytes:
        Value = self.tb.summary_pb2.Summary.Value
        values = [Value(tag=tag, simple_value=v) for tag, v in scalars(ev).items()]
        values.append(Value(tag=BEST_TEST_ACC, simple_value=best))
        return self._summary_event(self.tb.summary_pb2.Summary(value=values), ev.time, ev.epoch)

    def _kinds(self) -> dict[str, type]:
        return hparam_kinds(list(self.run.trials.values()))

    def _session_start(self, info: TrialInfo, start_time: float) -> bytes:
        kinds = self._kinds()
        hparams = {k: as_kind(v, kinds[k]) for k, v in info.params.items() if k in kinds}
        # the group names a row of the HParams table: the run's id keeps two runs' t000 apart
        pb = self.tb.hp.hparams_pb(hparams, trial_id=f"{self.run.name}/{info.trial_id}", start_time_secs=start_time)
        return self._summary_event(pb, start_time, 0)

    def _session_end(self, ev: TrialFinished, step: int) -> bytes:
        api, md, pd = self.tb.api_pb2, self.tb.metadata, self.tb.plugin_data_pb2
        # HParams knows success and failure only: a skipped trial did not succeed
        status = api.STATUS_SUCCESS if ev.status == "completed" else api.STATUS_FAILURE
        data = pd.HParamsPluginData(session_end_info=pd.SessionEndInfo(status=status, end_time_secs=ev.time))
        summary = self.tb.summary_pb2.Summary()
        summary.value.add(tag=md.SESSION_END_INFO_TAG, metadata=md.create_summary_metadata(data), tensor=md.NULL_TENSOR)
        return self._summary_event(summary, ev.time, step)

    def _write_experiment(self) -> None:
        """The HParams experiment (columns, their values, the metric columns) in the run's
        own folder; rewritten only when it changed (a trial that resolved.json lacked)."""
        hp = self.tb.hp
        columns = []
        for key, kind in self._kinds().items():
            values = sorted({as_kind(t.params[key], kind) for t in self.run.trials.values() if key in t.params})
            columns.append(hp.HParam(key, hp.Discrete(values)))
        metrics = [hp.Metric(tag, display_name=name) for tag, name in HPARAM_METRICS.items()]
        pb = hp.hparams_config_pb(columns, metrics, time_created_secs=self.created)
        data = _records([self._header(self.created), self._summary_event(pb, self.created, 0)], self.tb)
        path = self.dir / EVENT_FILE
        try:
            if path.is_file() and not path.is_symlink() and path.read_bytes() == data:
                return
            store.write_bytes_atomic(path, data)
        except OSError as exc:
            raise ExportError(f"cannot write {path}: {exc.strerror or exc}") from None


class _TrialFile:
    """One trial's event file, appended to; cut back to its recorded size first."""

    def __init__(self, folder: Path, state: _TrialState, tb: Any):
        self.state = state
        path = _make_dir(folder) / EVENT_FILE
        try:
            fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW, 0o644)
        except OSError as exc:
            raise _unwritable(path, exc) from None
        self.fh = os.fdopen(fd, "r+b")
        size = self.fh.seek(0, os.SEEK_END)
        if size < state.bytes or state.bytes == 0:
            # shorter than recorded (changed behind our back) or never recorded: from the start
            state.epoch, state.bytes, state.ended = 0, 0, False
        self.fh.truncate(state.bytes)
        self.fh.seek(state.bytes)
        self.writer = tb.RecordWriter(self.fh)

    def write(self, record: bytes) -> None:
        try:
            self.writer.write(record)
        except OSError as exc:
            raise _unwritable(Path(self.fh.name if isinstance(self.fh.name, str) else "event file"), exc) from None

    def flush(self) -> None:
        self.fh.flush()
        os.fsync(self.fh.fileno())
        self.state.bytes = self.fh.tell()

    def close(self) -> None:
        self.fh.close()


def _records(records: list[bytes], tb: Any) -> bytes:
    import io

    buf = io.BytesIO()
    w = tb.RecordWriter(buf)
    for r in records:
        w.write(r)
    return buf.getvalue()


def _make_dir(path: Path) -> Path:
    if path.is_symlink():
        raise ExportError(f"{path} is a symbolic link: sweepdeck does not export through links")
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise _unwritable(path, exc) from None
    if not path.is_dir():
        raise ExportError(f"{path} is not a folder: choose another export folder")
    return path


def _unwritable(path: Path, exc: OSError) -> ExportError:
    if exc.errno == errno.ELOOP:
        return ExportError(f"{path} is a symbolic link: sweepdeck does not export through links")
    return ExportError(f"cannot write {path}: {exc.strerror or exc}")


def _read_state(path: Path) -> _State:
    """The record of an earlier export; a missing or damaged one means: write everything again."""
    data = store.read_json(path)
    try:
        return _State.model_validate(data) if data is not None else _State()
    except ValidationError:
        return _State()


def export_tensorboard(run_dir: Path, out_dir: Path, events: list[Event]) -> TensorBoardExport:
    """Export `events` of the run in `run_dir` into `out_dir` once; returns the finished export."""
    export = TensorBoardExport(out_dir, RunInfo.read(run_dir))
    try:
        export.add(events)
    finally:
        export.close()
    return export

