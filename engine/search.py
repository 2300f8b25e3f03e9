"""Sampled search and early stopping, with Optuna's samplers and pruners.

Optuna is imported here only, and only when a sweep uses it (its import costs a
quarter of a second that `sweepdeck --help` and the TUI should not pay).

The determinism rule (README, "Sampled search and early stopping"): trial k's
proposal, and every pruner decision about trial k, is a pure function of the
config, k, and the finished trials 0..k-B (their full per-epoch curves), where B is
the sweep's lag (`search.batch`, by default the number of workers at the run's
start). The runner starts trial k only once trials 0..k-B have finished, so which
trials a decision sees never depends on timing; each proposal reseeds the sampler
from (seed, k), so it never depends on the sampler's random history either. A
resume replays the same steps from the event log and proposes exactly what an
uninterrupted run would.

Nothing of Optuna's storage reaches the disk: the studies live in memory and are
rebuilt from the log.
"""

from __future__ import annotations

import hashlib
import math
import warnings
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Optional

from sweepdeck.engine.config import FloatRange, IntRange, SweepConfig, maximises
from sweepdeck.engine.space import SWEPT_KEYS, is_range, penalty_types, unique
from sweepdeck.engine.trials import TrialParams

if TYPE_CHECKING:
    import optuna

# Optuna names the pruners' studies in a hash (Hyperband's brackets): fixed, so it is
# the same in every run and resume.
STUDY_NAME = "sweepdeck"
PRUNER_NAMES = {"median": "median", "asha": "ASHA", "hyperband": "Hyperband"}
METHOD_NAMES = {"tpe": "TPE", "random": "random", "grid": "grid"}
_LAMBDA = {"Summation": "l2_sum_lambda", "Multiplication": "l2_mul_lambda"}


def _optuna():
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)  # no "Trial 3 finished" lines on our stdout
    return optuna


# --- what a finished trial tells the search ------------------------------------------------

@dataclass
class Record:
    """A finished trial as the search and the pruners see it."""

    index: int
    status: str  # a DONE status of engine/events.py
    params: Optional[dict[str, Any]] = None  # TrialParams as JSON, where it started
    curve: dict[int, dict[str, float]] = field(default_factory=dict)  # epoch → metric → value
    prune_attrs: Optional[dict[str, Any]] = None  # what the pruner noted on it (ASHA's rungs)

    def values(self, metric: str) -> dict[int, float]:
        return {e: m[metric] for e, m in sorted(self.curve.items()) if m.get(metric) is not None}

    def final(self, metric: str) -> Optional[float]:
        vals = self.values(metric)
        return vals[max(vals)] if vals else None


def _state(status: str):
    from optuna.trial import TrialState

    return {"completed": TrialState.COMPLETE, "pruned": TrialState.PRUNED}.get(status, TrialState.FAIL)


def derived_seed(seed: int, index: int) -> int:
    """The sampler's seed for trial `index`: the same in every run, independent of other trials."""
    return int.from_bytes(hashlib.sha256(f"sweepdeck:{seed}:{index}".encode()).digest()[:4], "little")


# --- the search space ------------------------------------------------------------------------

@dataclass
class Space:
    """A sampled search's space: per key a range, a list of choices, or one value."""

    keys: dict[str, Any]  # key → FloatRange | list of values (one value: fixed)
    types: list[str]  # experiment types; their λ axes are in `keys`

    def varied(self) -> list[str]:
        return [k for k, v in self.keys.items() if is_range(v) or len(v) > 1]


def search_space(cfg: SweepConfig) -> Space:
    keys: dict[str, Any] = {}
    for key in SWEPT_KEYS:
        if key == "penalty":
            for lam in ("l2_sum_lambda", "l2_mul_lambda"):
                value = getattr(cfg, lam)
                keys[lam] = value if is_range(value) else [v for v in unique(value) if v != 0]
        else:
            value = getattr(cfg, key)
            keys[key] = value if is_range(value) else unique(value)
    return Space(keys=keys, types=list(penalty_types(cfg)))


def suggest(space: Space, trial: "optuna.Trial") -> TrialParams:
    """The trial's parameters, drawn key by key; the experiment type first, then only
    its own λ (SPEC §2: never both penalties in one trial)."""
    values: dict[str, Any] = {}
    for key in SWEPT_KEYS:
        if key == "penalty":
            exp_type = space.types[0] if len(space.types) == 1 else trial.suggest_categorical("exp_type", space.types)
            values.update(exp_type=exp_type, l2_sum_lambda=0.0, l2_mul_lambda=0.0)
            if exp_type in _LAMBDA:
                values[_LAMBDA[exp_type]] = _draw(trial, _LAMBDA[exp_type], space.keys[_LAMBDA[exp_type]])
        else:
            values[key] = _draw(trial, key, space.keys[key])
    return TrialParams(**values)


def _draw(trial: "optuna.Trial", key: str, axis: Any) -> Any:
    if isinstance(axis, IntRange):
        return trial.suggest_int(key, axis.low, axis.high, step=axis.step or 1, log=axis.log)
    if isinstance(axis, FloatRange):
        return trial.suggest_float(key, axis.low, axis.high, step=axis.step, log=axis.log)
    return axis[0] if len(axis) == 1 else trial.suggest_categorical(key, axis)


def _distribution(space: Space, key: str):
    from optuna.distributions import CategoricalDistribution, FloatDistribution, IntDistribution

    if key == "exp_type":
        return CategoricalDistribution(space.types)
    axis = space.keys[key]
    if isinstance(axis, IntRange):
        return IntDistribution(axis.low, axis.high, step=axis.step or 1, log=axis.log)
    if isinstance(axis, FloatRange):
        return FloatDistribution(axis.low, axis.high, step=axis.step, log=axis.log)
    return CategoricalDistribution(axis)


def drawn_params(space: Space, params: dict[str, Any]) -> dict[str, Any]:
    """The values of `params` that `suggest` would have drawn (for replaying a logged trial)."""
    out: dict[str, Any] = {}
    if len(space.types) > 1:
        out["exp_type"] = params["exp_type"]
    lam = _LAMBDA.get(params["exp_type"])
    for key, axis in space.keys.items():
        if key in _LAMBDA.values() and key != lam:
            continue
        if is_range(axis) or len(axis) > 1:
            out[key] = params[key]
    return out


def describe(cfg: SweepConfig) -> str:
    """One line for `run --dry-run`: what is searched and how, what stops early."""
    parts = []
    if cfg.search.method == "grid":
        head = "grid search"
    else:
        space = search_space(cfg)
        axes = []
        for key in space.varied():
            axis = space.keys[key]
            axes.append(f"{key} ({axis.describe()})" if is_range(axis) else f"{key} ({', '.join(map(_fmt, axis))})")
        if len(space.types) > 1:
            axes.insert(0, f"exp_type ({', '.join(space.types)})")
        over = ", ".join(axes) or "a single setting"
        goal = "maximising" if maximises(cfg.search.metric) else "minimising"
        head = (f"{cfg.search.n_trials} {METHOD_NAMES[cfg.search.method]} trials over {over}, seed {cfg.search.seed}"
                + (f", {goal} {cfg.search.metric}" if cfg.search.method == "tpe" else ""))
    parts.append(head)
    es = cfg.early_stop
    if es.method != "none":
        parts.append(f"{PRUNER_NAMES[es.method]} early stopping on {es.metric} from epoch {es.min_epochs}")
    if cfg.search.method == "tpe" or es.method != "none":
        lag = cfg.search.batch
        parts.append(f"trial k learns from trials 0..k-{lag}" if lag else "trial k learns from trials 0..k-W (W = workers)")
    return "; ".join(parts)


def _fmt(value: Any) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


# --- proposals ---------------------------------------------------------------------------------

def startup_trials(n_trials: int) -> int:
    """TPE's random trials before it models: Optuna's 10, but a fifth of a smaller
    budget (at least 2), so a 20-trial search is not half random."""
    return max(2, min(10, n_trials // 5))


def _sampler(cfg: SweepConfig, seed: int):
    optuna = _optuna()
    if cfg.search.method == "tpe":
        return optuna.samplers.TPESampler(seed=seed, n_startup_trials=startup_trials(cfg.search.n_trials or 0))
    return optuna.samplers.RandomSampler(seed=seed)


class Proposer:
    """Proposes the trials of a sampled search in index order, one study for the
    whole sweep. Trial k is asked for only after trials 0..k-lag are told (they
    must be finished); a trial is told when it becomes visible, never earlier, so
    what the sampler sees is the same however the workers' timing fell."""

    def __init__(self, cfg: SweepConfig, lag: int):
        optuna = _optuna()
        self.cfg, self.lag = cfg, lag
        self.space = search_space(cfg)
        self.metric = cfg.search.metric
        direction = "maximize" if maximises(self.metric) else "minimize"
        self.study = optuna.create_study(direction=direction, study_name=STUDY_NAME)
        self.asked: list[Any] = []  # optuna.Trial per index, in order
        self.told = 0

    def propose(self, index: int, records: dict[int, Record], logged: Optional[dict[str, Any]] = None) -> TrialParams:
        """Trial `index`'s parameters. `records` must hold every trial up to index-lag.
        `logged`: the parameters the log already has for it (a resume replaying the
        run): they are used as they are, so the study is the one the first run had."""
        if index != len(self.asked):
            raise ValueError(f"trials are proposed in order: asked for {index}, next is {len(self.asked)}")
        self._tell_visible(index - self.lag, records)
        self.study.sampler = _sampler(self.cfg, derived_seed(self.cfg.search.seed, index))
        if logged is not None:
            self.study.enqueue_trial(drawn_params(self.space, logged))
        trial = self.study.ask()
        self.asked.append(trial)
        return suggest(self.space, trial)

    def _tell_visible(self, upto: int, records: dict[int, Record]) -> None:
        while self.told <= upto:
            rec, trial = records[self.told], self.asked[self.told]
            for epoch, value in rec.values(self.metric).items():
                trial.report(value, epoch)
            state = _state(rec.status)
            final = rec.final(self.metric)
            if state.name == "COMPLETE" and (final is None or not math.isfinite(final)):
                state = _state("failed")
            self.study.tell(trial, final if state.name == "COMPLETE" else None, state=state)
            self.told += 1


# --- early stopping -----------------------------------------------------------------------------

def make_pruner(cfg: SweepConfig):
    optuna = _optuna()
    es = cfg.early_stop
    if es.method == "median":
        return optuna.pruners.MedianPruner(n_warmup_steps=es.min_epochs)
    if es.method == "asha":
        return optuna.pruners.SuccessiveHalvingPruner(min_resource=es.min_epochs, reduction_factor=es.reduction_factor)
    return optuna.pruners.HyperbandPruner(min_resource=es.min_epochs, max_resource=cfg.n_epochs,
                                          reduction_factor=es.reduction_factor)


def decision_epochs(cfg: SweepConfig) -> tuple[int, ...]:
    """After which epochs a pruner decides: from min_epochs, never after the last."""
    if cfg.early_stop.method == "none":
        return ()
    return tuple(range(cfg.early_stop.min_epochs, cfg.n_epochs))


class PruneJudge:
    """The pruner's view of one trial: a study holding the trials visible to it
    (0..index-lag, finished, with their whole curves and the pruner's notes on
    them), with placeholders in between so that the trial keeps its number."""

    def __init__(self, cfg: SweepConfig, index: int, lag: int, records: dict[int, Record]):
        optuna = _optuna()
        from optuna.trial import create_trial

        self.metric = cfg.early_stop.metric
        self.epochs = set(decision_epochs(cfg))
        direction = "maximize" if maximises(self.metric) else "minimize"
        self.study = optuna.create_study(direction=direction, pruner=make_pruner(cfg), study_name=STUDY_NAME)
        previous = []
        for j in range(index):
            rec = records.get(j) if j <= index - lag else None
            if rec is None:  # not visible to this trial (or not part of the run): a number, nothing more
                previous.append(create_trial(state=_state("failed")))
                continue
            state = _state(rec.status)
            values = {e: v for e, v in rec.values(self.metric).items() if math.isfinite(v)}
            final = rec.final(self.metric)
            if state.name == "COMPLETE" and (final is None or not math.isfinite(final)):
                state, values = _state("failed"), {}
            previous.append(create_trial(
                state=state, value=final if state.name == "COMPLETE" else None,
                intermediate_values=values if state.name != "FAIL" else {},
                system_attrs=dict(rec.prune_attrs or {}) if state.name != "FAIL" else {},
            ))
        self.study.add_trials(previous)
        self.trial = self.study.ask()

    def judge(self, epoch: int, metrics: dict[str, Any]) -> bool:
        """Report this epoch; True when the trial should stop here."""
        value = metrics.get(self.metric)
        if value is None:
            return False
        self.trial.report(float(value), epoch)
        return epoch in self.epochs and self.trial.should_prune()

    def notes(self) -> dict[str, Any]:
        """What the pruner noted on this trial (ASHA's rung values): later trials compare against them."""
        return dict(self.study._storage.get_trial(self.trial._trial_id).system_attrs)


def replay(judge: PruneJudge, curve: dict[int, dict[str, float]], before: Optional[int] = None) -> Optional[int]:
    """Feed a logged curve to a fresh judge, as the live run did; the epoch at which
    it said stop, or None."""
    for epoch in sorted(curve):
        if before is not None and epoch >= before:
            break
        if judge.judge(epoch, curve[epoch]):
            return epoch
    return None


# --- importances, for the report -------------------------------------------------------------------

def importances(cfg: SweepConfig, records: list[Record]) -> dict[str, float]:
    """Parameter importances for the search's metric (Optuna's default evaluator,
    PED-ANOVA, which needs no extra package), over the completed trials; {} when
    there are too few, or nothing varies."""
    optuna = _optuna()
    from optuna.trial import create_trial

    space = search_space(cfg)
    metric = cfg.search.metric
    trials = []
    for rec in records:
        final = rec.final(metric)
        if rec.status != "completed" or rec.params is None or final is None or not math.isfinite(final):
            continue
        params = drawn_params(space, rec.params)
        dists = {k: _distribution(space, k) for k in params}
        trials.append(create_trial(params=params, distributions=dists, value=final))
    if len(trials) < 4:
        return {}
    study = optuna.create_study(direction="maximize" if maximises(metric) else "minimize", study_name=STUDY_NAME)
    study.add_trials(trials)
    try:
        with warnings.catch_warnings():  # "fewer than 2 trials in a regime": the report says how many trials there were
            warnings.simplefilter("ignore")
            found = optuna.importance.get_param_importances(study)
    except (RuntimeError, ValueError):  # e.g. every trial has the same value
        return {}
    return {k: float(v) for k, v in found.items() if math.isfinite(v)}
