"""Which trial runs next, and what a search and a pruner know when it does.

The runner (engine/runner.py) asks this module for the next trial whenever a
worker is idle. Plain grids and random samples of a grid hand their trials out in
order, at once. A TPE search, and any sweep with early stopping, follows the
determinism rule of engine/search.py: trial k starts only once trials 0..k-B have
finished (B: the lag), and its proposal and its pruner see exactly those. A
sampled search's trials are proposed here, one at a time, when they may start.

Everything is rebuilt from the event log on resume: the finished trials with their
curves, the proposals already made (replayed, so the study is the one the first
run had), the pruner's notes on each finished trial.
"""

from __future__ import annotations

from collections import deque
from typing import TYPE_CHECKING, Any, Optional

from sweepdeck.engine.config import SweepConfig
from sweepdeck.engine.errors import SweepdeckError
from sweepdeck.engine.events import DONE_STATUSES, EpochMetrics, TrialFinished, TrialStarted
from sweepdeck.engine.space import is_sampled
from sweepdeck.engine.trials import Trial, TrialParams, sampled_trial, sampled_varied_keys, trial_id

if TYPE_CHECKING:
    from sweepdeck.engine.search import PruneJudge, Proposer, Record


def uses_lag(cfg: SweepConfig) -> bool:
    """Whether trials wait for earlier ones: TPE learns from them, pruners compare with them."""
    return cfg.search.method == "tpe" or cfg.early_stop.method != "none"


def _metrics(ev: EpochMetrics) -> dict[str, Any]:
    return {k: getattr(ev, k) for k in ("test_acc", "test_loss", "test_f1", "train_loss", "train_acc",
                                        "train_eval_loss", "train_f1")}


class Schedule:
    def __init__(self, cfg: SweepConfig, trials: list[Trial], lag: Optional[int], events: list = (),
                 done: frozenset[str] | set[str] = frozenset()):
        """`trials`: all of a run's trials (none for a sampled search); `events`: its log
        so far (resume); `done`: the ids of its trials that have finished."""
        self.cfg = cfg
        self.sampled = is_sampled(cfg)
        self.lag = lag if uses_lag(cfg) else None
        n = cfg.search.n_trials if self.sampled else 0
        self.indices = list(range(n)) if self.sampled else sorted({t.index for t in trials})
        self.frontier = 0  # position in `indices` of the first unfinished trial
        self.finished: dict[int, str] = {}
        self.curves: dict[str, dict[int, dict[str, Any]]] = {}
        self.started: dict[str, TrialStarted] = {}
        self.ids: dict[int, str] = {}
        self.judges: dict[str, "PruneJudge"] = {}
        self.notes: dict[int, dict[str, Any]] = {}
        self.pruning = cfg.early_stop.method != "none"
        for ev in events:
            if isinstance(ev, TrialStarted):
                self.started_trial(ev)
            elif isinstance(ev, EpochMetrics):
                self.curves.setdefault(ev.trial_id, {})[ev.epoch] = _metrics(ev)
            elif isinstance(ev, TrialFinished) and ev.status in DONE_STATUSES and ev.trial_id in self.started:
                self.finished[self.started[ev.trial_id].index] = ev.status
        if self.pruning:
            self._replay_notes()
        self.queue: deque[Trial] = deque()
        self.proposer: Optional["Proposer"] = None
        self.next_proposal = 0
        if self.sampled:
            self._replay_proposals()
        else:
            self.queue.extend(t for t in trials if t.id not in done)

    # --- the records the search and the pruners read ---------------------------------------------

    def record(self, index: int) -> Optional["Record"]:
        from sweepdeck.engine.search import Record

        status = self.finished.get(index)
        tid = self._id_of(index)
        if status is None or tid is None:
            return None
        started = self.started.get(tid)
        return Record(index=index, status=status, params=started.params if started else None,
                      curve=self.curves.get(tid, {}), prune_attrs=self.notes.get(index))

    def records(self, upto: int) -> dict[int, "Record"]:
        out = {}
        for i in self.indices:
            if i > upto:
                break
            rec = self.record(i)
            if rec is not None:
                out[i] = rec
        return out

    def _id_of(self, index: int) -> Optional[str]:
        return trial_id(index) if self.sampled else self.ids.get(index)

    def _replay_notes(self) -> None:
        """The pruner's notes on each finished trial, as the live run made them."""
        from sweepdeck.engine.search import PruneJudge, replay

        for index in sorted(self.finished):
            tid = self._id_of(index)
            if tid is None:
                continue
            judge = PruneJudge(self.cfg, index, self._lag(), self.records(index - self._lag()))
            replay(judge, self.curves.get(tid, {}))
            self.notes[index] = judge.notes()

    def _lag(self) -> int:
        return self.lag if self.lag is not None else len(self.indices) + 1

    def _replay_proposals(self) -> None:
        """Ask the study again for every trial the log has, with the logged values,
        so later proposals come from the same study as in an uninterrupted run."""
        from sweepdeck.engine.search import Proposer

        self.proposer = Proposer(self.cfg, self._lag())
        self.varied = sampled_varied_keys(self.cfg)
        logged = sorted((ev.index, ev) for ev in self.started.values())
        for index, ev in logged:
            if index != self.next_proposal:
                break  # not a log this runner wrote: propose afresh from here
            unfinished = [i for i in range(index - self._lag() + 1) if i not in self.finished]
            if unfinished:  # the log breaks the rule it was written under (another lag, or edited)
                raise SweepdeckError(
                    f"the log has trial {trial_id(index)} started before {trial_id(unfinished[0])} finished, which its "
                    f"search lag ({self._lag()}) forbids: this run cannot be resumed identically; start it again with `sweepdeck run`")
            self.proposer.propose(index, self.records(index - self._lag()), logged=ev.params)
            self.next_proposal += 1
            if index not in self.finished:
                self.queue.append(Trial(index=index, id=ev.trial_id, label=ev.label,
                                        params=TrialParams.model_validate(ev.params)))

    # --- what the runner asks ---------------------------------------------------------------------

    def remaining(self) -> int:
        """Trials still to hand out (queued, or not proposed yet)."""
        later = len(self.indices) - self.next_proposal if self.sampled else 0
        return len(self.queue) + later

    def pending(self) -> list[Trial]:
        """The trials waiting whose parameters are known (a skip can name them)."""
        return list(self.queue)

    def ready(self, index: int) -> bool:
        """Trials 0..index-lag have all finished."""
        if self.lag is None:
            return True
        while self.frontier < len(self.indices) and self.indices[self.frontier] in self.finished:
            self.frontier += 1
        return self.frontier >= len(self.indices) or self.indices[self.frontier] > index - self.lag

    def next_ready(self) -> Optional[Trial]:
        """The next trial, if it may start now (proposed here for a sampled search)."""
        if self.queue:
            return self.queue.popleft() if self.ready(self.queue[0].index) else None
        if not self.sampled or self.next_proposal >= len(self.indices):
            return None
        index = self.next_proposal
        if not self.ready(index):
            return None
        params = self.proposer.propose(index, self.records(index - self._lag()))
        self.next_proposal += 1
        return sampled_trial(index, params, self.varied)

    def put_back(self, trial: Trial) -> None:
        self.queue.appendleft(trial)

    def drop(self, trial: Trial) -> None:
        self.queue.remove(trial)

    # --- what happens to a trial ------------------------------------------------------------------

    def started_trial(self, ev: TrialStarted) -> None:
        self.started[ev.trial_id] = ev
        self.ids[ev.index] = ev.trial_id

    @property
    def verdict_epochs(self) -> tuple[int, ...]:
        from sweepdeck.engine.search import decision_epochs

        return decision_epochs(self.cfg) if self.pruning else ()

    def start_judge(self, trial: Trial, start_epoch: int) -> Optional[int]:
        """Set up the pruner's view of a starting trial. A resumed trial replays its
        logged epochs; returns the epoch where that replay stops it, else None."""
        if not self.pruning:
            return None
        from sweepdeck.engine.search import PruneJudge, replay

        judge = PruneJudge(self.cfg, trial.index, self._lag(), self.records(trial.index - self._lag()))
        self.judges[trial.id] = judge
        return replay(judge, self.curves.get(trial.id, {}), before=start_epoch)

    def epoch(self, ev: EpochMetrics) -> Optional[bool]:
        """Note an epoch; with early stopping, the verdict on it (True: stop the trial)."""
        metrics = _metrics(ev)
        self.curves.setdefault(ev.trial_id, {})[ev.epoch] = metrics
        judge = self.judges.get(ev.trial_id)
        if judge is None:
            return None
        stop = judge.judge(ev.epoch, metrics)  # every epoch is reported: the pruners read the whole curve
        return stop if ev.epoch in judge.epochs else None

    def finish(self, trial: Trial, status: str) -> None:
        if status not in DONE_STATUSES:
            self.judges.pop(trial.id, None)
            return
        self.finished[trial.index] = status
        judge = self.judges.pop(trial.id, None)
        if judge is not None:
            self.notes[trial.index] = judge.notes()
