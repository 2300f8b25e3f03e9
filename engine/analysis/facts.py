"""The fact sheet: everything a report may say about a sweep, computed in code.

From a run folder's `metrics.csv` and `trials.csv` (or, when those are missing,
the event log they are derived from) this builds, with pandas:

- per trial: final and best test accuracy (with the epoch of the best), final
  train accuracy, the final train–test gap, loss trend over the last epochs,
  divergence, margin, epochs per second (`FactSheet.trials`);
- the top 3 trials, the best trial of each experiment type;
- for every hyperparameter that varied: mean and best test accuracy per value;
- over/underfitting flags, each with the rule that raised it;
- what was not varied (so nobody concludes anything about it);
- a flat registry of named facts (`FactSheet.facts`), e.g. `best.test_acc_best`
  or `trial.t007.train_acc_final`: the names the LLM may use as placeholders,
  and the values the verifier checks every quoted number against.

Column and fact names always say split and statistic: `test_acc_best`, never `acc`.
Accuracies are fractions in [0, 1]; they are shown as percentages.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Optional

import pandas as pd

from sweepdeck.engine import store
from sweepdeck.engine.errors import SweepdeckError
from sweepdeck.engine.events import RunFinished, RunStarted, TrialFinished, TrialStarted, read_events

# --- the rules behind the flags (shown in reports next to every flag) -------------------

OVERFIT_GAP = 0.05          # final train accuracy − final test accuracy above 5 pp
OVERFIT_LOSS_RISE = 0.10    # test loss ends 10% above its minimum while train loss kept falling
UNDERFIT_TRAIN_ACC = 0.75   # final train accuracy below 75%
PEAK_DROP = 0.02            # final test accuracy 2 pp or more below the trial's best
CONVERGE_WINDOW = 5         # epochs over which the loss trend is measured
STILL_FALLING = 0.02        # train loss fell by more than 2% over the window
FLAT = 0.01                 # |relative change| below 1%: flat

PARAM_KEYS = [c for c in store.PARAM_COLUMNS if c != "exp_type"]
EXP_TYPES = ["Summation", "Multiplication", "No_Regularization"]


class RunDataError(SweepdeckError, ValueError):
    """A run folder that cannot be analysed (one line for the user)."""


@dataclass
class Fact:
    """One named value. `metric` is acc | loss | gap | margin | eps | epoch | duration |
    count | change | text | param; `split` train | test | None; `stat` best | final | mean | ..."""

    name: str
    value: Any
    metric: str
    split: Optional[str] = None
    stat: Optional[str] = None
    trial: Optional[str] = None

    def display(self) -> str:
        return format_value(self.value, self.metric)


def format_value(value: Any, metric: str) -> str:
    """How a fact is written in a report (the verifier knows these forms)."""
    if plain_value(value) is None:
        return "n/a"
    if metric == "acc":
        return f"{value * 100:.2f}%"
    if metric == "gap":
        return f"{value * 100:.2f} pp"
    if metric == "change":
        return f"{value * 100:+.1f}%"
    if metric in ("loss", "margin"):
        # margins of a tiny-weight model are 1e-11..1e-5 (losses of a perfect fit too): fixed
        # decimals would show them all as 0.0000, so below 0.001 two significant digits
        return f"{value:.4f}" if abs(value) >= 1e-3 or value == 0 else f"{value:.2g}"
    if metric == "eps":
        return f"{value:.2f} epochs/s"
    if metric == "duration":
        return format_duration(value)
    if metric in ("epoch", "count"):
        return str(int(value))
    if metric == "param":
        return format_param(value)
    if metric == "share":  # a parameter's importance: its share of the explained variance
        return f"{value:.2f}"
    return str(value)


def format_duration(seconds: float) -> str:
    if seconds >= 7200:
        return f"{seconds / 3600:.1f} h"
    if seconds >= 120:
        return f"{seconds / 60:.1f} min"
    return f"{seconds:.1f} s"


def format_param(value: Any) -> str:
    """A parameter value as trials.py labels write it (0.001, True, None, f_out)."""
    value = plain_value(value)
    if isinstance(value, bool) or value is None:
        return str(value)
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def plain_value(v: Any) -> Any:
    """A pandas or numpy scalar as plain Python, NaN as None: pandas reads a missing
    value (a parameter a trial does not have, a metric not logged) as NaN."""
    if hasattr(v, "item") and not isinstance(v, str):
        v = v.item()
    return None if isinstance(v, float) and math.isnan(v) else v


@dataclass
class Flag:
    trial_id: str
    kind: str  # overfitting | underfitting | diverged | failed | not_converged | peaked_early
    rule: str  # the rule that raised it, with the trial's numbers


@dataclass
class FactSheet:
    run_id: str
    name: str
    dataset: str
    model: str
    device: str
    n_epochs: int
    duration_s: Optional[float]
    config: dict[str, Any]
    env: dict[str, Any]
    trials: pd.DataFrame            # one row per trial (see TRIAL_FACT_COLUMNS)
    metrics: pd.DataFrame           # one row per trial × epoch (metrics.csv)
    varied: list[str]               # parameter keys that took more than one value
    not_varied: dict[str, Any]      # key → the single value every trial used
    top: list[str]                  # trial ids, best first (by test_acc_best), at most 3
    best_per_type: dict[str, str]   # experiment type → trial id
    sensitivity: dict[str, pd.DataFrame]
    flags: list[Flag]
    facts: dict[str, Fact] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    # a sampled search's parameter importances (Optuna's PED-ANOVA), largest first; {} otherwise
    importances: dict[str, float] = field(default_factory=dict)

    # -- lookups ---------------------------------------------------------------------
    def trial(self, trial_id: str) -> pd.Series:
        return self.trials.loc[trial_id]

    def fact(self, name: str) -> Optional[Fact]:
        return self.facts.get(normalize_name(name, self))

    @property
    def ranked(self) -> pd.DataFrame:
        """Trials with results, best test accuracy first."""
        df = self.trials[self.trials["test_acc_best"].notna()]
        return df.sort_values(["test_acc_best", "index"], ascending=[False, True])

    @property
    def has_train_acc(self) -> bool:
        return bool(self.trials["train_acc_final"].notna().any())

    def to_json(self) -> dict[str, Any]:
        """The fact sheet as plain JSON (saved as facts.json next to the report)."""
        return {
            "run_id": self.run_id, "name": self.name, "dataset": self.dataset, "model": self.model,
            "device": self.device, "n_epochs": self.n_epochs, "duration_s": self.duration_s,
            "varied": self.varied, "not_varied": self.not_varied, "top": self.top,
            "best_per_type": self.best_per_type,
            "flags": [f.__dict__ for f in self.flags],
            "facts": {k: plain_value(f.value) for k, f in self.facts.items()},
            "warnings": self.warnings,
        }


TRIAL_FACT_COLUMNS = [
    "trial_id", "index", "label", *store.PARAM_COLUMNS, "status", "epochs_done",
    "test_acc_final", "test_acc_best", "test_acc_best_epoch", "train_acc_final", "train_acc_best",
    "train_test_gap_final", "test_loss_final", "test_loss_min", "train_loss_final",
    "train_loss_change_last", "test_loss_change_last", "test_acc_change_last",
    "diverged", "margin", "epochs_per_s", "duration_s", "rank_test_acc_best", "error",
]

# The per-trial fields a placeholder may name, with their kind (metric, split, stat).
TRIAL_FIELDS: dict[str, tuple[str, Optional[str], Optional[str]]] = {
    "test_acc_final": ("acc", "test", "final"),
    "test_acc_best": ("acc", "test", "best"),
    "test_acc_best_epoch": ("epoch", "test", "best"),
    "train_acc_final": ("acc", "train", "final"),
    "train_acc_best": ("acc", "train", "best"),
    "train_test_gap_final": ("gap", None, "final"),
    "test_loss_final": ("loss", "test", "final"),
    "test_loss_min": ("loss", "test", "best"),
    "train_loss_final": ("loss", "train", "final"),
    "train_loss_change_last": ("change", "train", "trend"),
    "test_loss_change_last": ("change", "test", "trend"),
    "margin": ("margin", "train", "final"),
    "epochs_per_s": ("eps", None, "mean"),
    "duration_s": ("duration", None, None),
    "epochs_done": ("count", None, None),
    "rank_test_acc_best": ("count", "test", "rank"),
}
TEXT_FIELDS = ["trial_id", "label", "status", "params", *store.PARAM_COLUMNS]


# --- loading ------------------------------------------------------------------------------

@dataclass
class RunData:
    run_dir: Path
    resolved: dict[str, Any]
    env: dict[str, Any]
    metrics: pd.DataFrame
    trials: pd.DataFrame
    margins: dict[str, Optional[float]]
    started: Optional[float]
    ended: Optional[float]
    device: str
    damage: Optional[str]


def load_run(run_dir: Path) -> RunData:
    """Read a run folder. Raises RunDataError (one line) when it cannot be analysed."""
    run_dir = Path(run_dir)
    if not run_dir.is_dir():
        raise RunDataError(f"{run_dir}: no such run folder")
    resolved = store.read_resolved(run_dir)
    if resolved is None or not isinstance(resolved.get("trials"), list):
        raise RunDataError(f"{run_dir}: no readable {store.RESOLVED} (is this a sweepdeck run folder?)")
    env = store.read_json(run_dir / store.ENV) or {}
    log = read_events(run_dir / store.EVENTS)
    if not resolved["trials"]:  # a sampled search (TPE, random over ranges): its trials are in the log
        started = {e.trial_id: e for e in log.events if isinstance(e, TrialStarted)}
        resolved = {**resolved, "trials": [{"id": e.trial_id, "index": e.index, "label": e.label, "params": e.params}
                                           for e in sorted(started.values(), key=lambda e: e.index)]}
    metrics_path, trials_path = run_dir / store.METRICS, run_dir / store.TRIALS
    metrics = _read_csv(metrics_path) if metrics_path.exists() else None
    trials = _read_csv(trials_path) if trials_path.exists() else None
    if metrics is None:
        rows = store.metric_rows(log)
        metrics = pd.DataFrame(rows, columns=store.metric_columns(rows))
    if trials is None:
        trials = pd.DataFrame(store.trial_rows(log, resolved), columns=store.TRIAL_COLUMNS)
    margins = {e.trial_id: e.margin for e in log.events if isinstance(e, TrialFinished)}
    started = next((e for e in log.events if isinstance(e, RunStarted)), None)
    finished = [e for e in log.events if isinstance(e, RunFinished)]
    times = [e.time for e in log.events]
    ended = finished[-1].time if finished else (max(times) if times else None)
    device = env.get("device_name") or env.get("device") or (started.device if started else "unknown")
    if env.get("device") and env.get("device_name") and env["device_name"] != env["device"]:
        device = f"{env['device']} ({env['device_name']})"
    parallel = env.get("parallel")
    if isinstance(parallel, dict) and isinstance(parallel.get("workers"), int):
        threads = parallel.get("threads")
        device = f"{device}; {parallel['workers']} worker{'s' if parallel['workers'] != 1 else ''}" + (
            f", {threads} thread{'s' if threads != 1 else ''} each" if isinstance(threads, int) else "")
    return RunData(run_dir=run_dir, resolved=resolved, env=env, metrics=metrics, trials=trials,
                   margins=margins, started=started.time if started else (min(times) if times else None),
                   ended=ended, device=str(device), damage=log.damage)


def _read_csv(path: Path) -> Optional[pd.DataFrame]:
    try:
        return pd.read_csv(path, keep_default_na=True)
    except pd.errors.EmptyDataError:
        return None
    except (OSError, ValueError, pd.errors.ParserError) as exc:
        raise RunDataError(f"{path}: cannot be read ({str(exc).splitlines()[0]})") from None


# --- building the fact sheet -------------------------------------------------------------------

def build_facts(run: RunData | Path) -> FactSheet:
    if not isinstance(run, RunData):
        run = load_run(run)
    cfg = run.resolved.get("config") or {}
    n_epochs = int(cfg.get("n_epochs") or 0)
    params = _param_table(run)
    trials = _trial_table(run, params)
    varied, not_varied = _varied(params, cfg, run)
    ranked = trials[trials["test_acc_best"].notna()].sort_values(["test_acc_best", "index"], ascending=[False, True])
    trials["rank_test_acc_best"] = pd.Series(range(1, len(ranked) + 1), index=ranked.index, dtype="float64")
    top = list(ranked.index[:3])
    best_per_type = {}
    for t in EXP_TYPES:
        sub = ranked[ranked["exp_type"] == t]
        if len(sub):
            best_per_type[t] = sub.index[0]
    sens = {key: _sensitivity(ranked, key) for key in varied}
    flags = _flags(trials)
    duration = (run.ended - run.started) if run.started is not None and run.ended is not None else None
    fs = FactSheet(
        run_id=str(run.resolved.get("run_id") or run.run_dir.name), name=str(cfg.get("name") or run.run_dir.name),
        dataset=str(run.resolved.get("dataset") or (cfg.get("dataset") or {}).get("name") or "unknown"),
        model=str(run.resolved.get("model") or (cfg.get("model") or {}).get("name") or "unknown"),
        device=run.device, n_epochs=n_epochs, duration_s=duration, config=cfg, env=run.env,
        trials=trials, metrics=run.metrics, varied=varied, not_varied=not_varied, top=top,
        best_per_type=best_per_type, sensitivity=sens, flags=flags,
    )
    if run.damage:
        fs.warnings.append(run.damage)
    if ranked.empty:
        fs.warnings.append("no trial has recorded an epoch yet: there are no results to analyse")
    fs.importances = _importances(run, trials)
    _register(fs)
    return fs


def _importances(run: RunData, trials: pd.DataFrame) -> dict[str, float]:
    """Parameter importances of a random or TPE search (engine/search.py), from the
    parameters the log recorded and each trial's per-epoch metric."""
    cfg = run.resolved.get("config") or {}
    if (cfg.get("search") or {}).get("method") not in ("random", "tpe"):
        return {}
    from sweepdeck.engine.config import SweepConfig
    from sweepdeck.engine.search import Record, importances

    try:
        config = SweepConfig.model_validate(cfg)
    except ValueError:
        return {}  # a config this version cannot read: no importances rather than wrong ones
    metric = config.search.metric
    curves: dict[str, dict[int, dict[str, float]]] = {}
    if metric in run.metrics.columns:
        for row in run.metrics[["trial_id", "epoch", metric]].itertuples(index=False):
            curves.setdefault(str(row[0]), {})[int(row[1])] = {metric: float(row[2])}
    records = [Record(index=int(t.get("index", 0)), status=str(trials.loc[t["id"], "status"]) if t["id"] in trials.index else "pending",
                      params=t.get("params"), curve=curves.get(t["id"], {})) for t in run.resolved.get("trials", [])]
    try:
        found = importances(config, records)
    except (ValueError, TypeError, KeyError):
        return {}
    return dict(sorted(found.items(), key=lambda kv: -kv[1]))


def _param_table(run: RunData) -> pd.DataFrame:
    rows = []
    for t in run.resolved.get("trials", []):
        p = dict(t.get("params") or {})
        rows.append({"trial_id": t["id"], "index": t.get("index", len(rows)), "label": t.get("label", t["id"]), **p})
    df = pd.DataFrame(rows)
    for c in ["trial_id", "index", "label", *store.PARAM_COLUMNS]:
        if c not in df.columns:
            df[c] = None
    return df.set_index("trial_id", drop=False)


def _trial_table(run: RunData, params: pd.DataFrame) -> pd.DataFrame:
    tr = run.trials.copy()
    tr["trial_id"] = tr["trial_id"].astype(str)
    tr = tr.set_index("trial_id", drop=False)
    out = params.copy()
    for c in ["status", "epochs_done", "duration_s", "error"]:
        out[c] = tr[c].reindex(out.index) if c in tr.columns else None
    out["status"] = out["status"].fillna("pending").astype(object)
    m = run.metrics.copy()
    if len(m):
        m["trial_id"] = m["trial_id"].astype(str)
        m = m.sort_values(["trial_id", "epoch"])
    per = {}
    for tid, g in (m.groupby("trial_id", sort=False) if len(m) else []):
        per[tid] = _trial_metrics(g)
    per_df = pd.DataFrame.from_dict(per, orient="index")
    for c in ["test_acc_final", "test_acc_best", "test_acc_best_epoch", "train_acc_final", "train_acc_best",
              "test_loss_final", "test_loss_min", "train_loss_final", "train_loss_change_last",
              "test_loss_change_last", "test_acc_change_last", "epochs_per_s", "epochs_logged", "nan_loss"]:
        out[c] = per_df[c].reindex(out.index).astype("float64") if c in per_df.columns else float("nan")
    out["epochs_done"] = pd.to_numeric(out["epochs_done"], errors="coerce").fillna(out["epochs_logged"]).fillna(0).astype(int)
    out["train_test_gap_final"] = out["train_acc_final"] - out["test_acc_final"]
    out["diverged"] = (out["status"] == "diverged") | (out["nan_loss"] > 0)
    out["margin"] = pd.Series({k: v for k, v in run.margins.items()}, dtype="float64").reindex(out.index)
    out["duration_s"] = pd.to_numeric(out["duration_s"], errors="coerce")
    out["error"] = out["error"].where(out["error"].notna(), None)
    out = out.drop(columns=["epochs_logged", "nan_loss"])
    out["rank_test_acc_best"] = float("nan")
    return out[[c for c in TRIAL_FACT_COLUMNS if c in out.columns]]


def _trial_metrics(g: pd.DataFrame) -> dict[str, float]:
    g = g.reset_index(drop=True)
    test_acc = pd.to_numeric(g["test_acc"], errors="coerce")
    train_acc = pd.to_numeric(g.get("train_acc"), errors="coerce") if "train_acc" in g else pd.Series(dtype=float)
    best_i = test_acc.idxmax() if test_acc.notna().any() else None
    out: dict[str, float] = {
        "test_acc_final": test_acc.iloc[-1],
        "test_acc_best": test_acc.max(),
        "test_acc_best_epoch": float(g.loc[best_i, "epoch"]) if best_i is not None else float("nan"),
        "train_acc_final": train_acc.iloc[-1] if len(train_acc) else float("nan"),
        "train_acc_best": train_acc.max() if len(train_acc) else float("nan"),
        "test_loss_final": pd.to_numeric(g["test_loss"], errors="coerce").iloc[-1],
        "test_loss_min": pd.to_numeric(g["test_loss"], errors="coerce").min(),
        "train_loss_final": pd.to_numeric(g["train_loss"], errors="coerce").iloc[-1],
        "train_loss_change_last": _rel_change(g["train_loss"]),
        "test_loss_change_last": _rel_change(g["test_loss"]),
        "test_acc_change_last": _abs_change(test_acc),
        "epochs_logged": float(g["epoch"].max()),
        "nan_loss": float(pd.to_numeric(g["train_loss"], errors="coerce").isna().sum()),
    }
    secs = pd.to_numeric(g["epoch_time_s"], errors="coerce").sum()
    out["epochs_per_s"] = len(g) / secs if secs > 0 else float("nan")
    return out


def window(n_epochs: int) -> int:
    """The epochs over which trends are measured: CONVERGE_WINDOW, fewer in short runs."""
    return max(1, min(CONVERGE_WINDOW, n_epochs - 1))


def _rel_change(series: pd.Series) -> float:
    s = pd.to_numeric(series, errors="coerce").dropna()
    if len(s) < 2:
        return float("nan")
    k = min(CONVERGE_WINDOW, len(s) - 1)
    before, after = s.iloc[-1 - k], s.iloc[-1]
    return (after - before) / abs(before) if before else float("nan")


def _abs_change(series: pd.Series) -> float:
    s = series.dropna()
    if len(s) < 2:
        return float("nan")
    k = min(CONVERGE_WINDOW, len(s) - 1)
    return s.iloc[-1] - s.iloc[-1 - k]


def _varied(params: pd.DataFrame, cfg: dict[str, Any], run: RunData) -> tuple[list[str], dict[str, Any]]:
    varied, fixed = [], {}
    keys = ["exp_type", *PARAM_KEYS]
    for key in keys:
        values = params[key].map(format_param).unique() if len(params) else []
        if len(values) > 1:
            varied.append(key)
        elif len(values) == 1:
            fixed[key] = params[key].iloc[0]
    for key in ("n_epochs", "mislabel_percentage", "lr_min"):
        if key in cfg:
            fixed[key] = cfg[key]
    fixed["dataset"] = run.resolved.get("dataset") or (cfg.get("dataset") or {}).get("name")
    fixed["model"] = run.resolved.get("model") or (cfg.get("model") or {}).get("name")
    return varied, {k: plain_value(v) for k, v in fixed.items()}


def _sensitivity(ranked: pd.DataFrame, key: str) -> pd.DataFrame:
    """Mean and best test accuracy per value of `key`. For a penalty weight, only the
    trials of its own type and the unregularised ones (λ = 0) are compared."""
    df = ranked
    if key == "l2_sum_lambda":
        df = df[df["exp_type"].isin(["Summation", "No_Regularization"])]
    elif key == "l2_mul_lambda":
        df = df[df["exp_type"].isin(["Multiplication", "No_Regularization"])]
    rows = []
    for value, g in df.groupby(df[key].map(format_param), sort=False):
        g = g.sort_values(["test_acc_best", "index"], ascending=[False, True])
        rows.append({"value": value, "raw": g[key].iloc[0], "n_trials": len(g),
                     "test_acc_best_mean": g["test_acc_best"].mean(),
                     "test_acc_best_max": g["test_acc_best"].max(), "best_trial": g.index[0],
                     "train_acc_final_mean": g["train_acc_final"].mean(),
                     "n_diverged": int(g["diverged"].sum())})
    out = pd.DataFrame(rows)
    if len(out):
        out = out.sort_values("test_acc_best_mean", ascending=False).reset_index(drop=True)
    return out


def _pp(x: float) -> str:
    return f"{x * 100:.2f} pp"


def _pct(x: float) -> str:
    return f"{x * 100:.2f}%"


def _flags(trials: pd.DataFrame) -> list[Flag]:
    flags: list[Flag] = []
    for tid, r in trials.iterrows():
        if r["status"] == "failed":
            flags.append(Flag(tid, "failed", f"the trial failed: {r['error'] or 'no error recorded'}"))
        if r["diverged"]:
            flags.append(Flag(tid, "diverged", f"status diverged: the loss became NaN/inf after epoch {int(r['epochs_done'])}"))
            continue
        if pd.isna(r["test_acc_best"]):
            continue
        gap = r["train_test_gap_final"]
        if pd.notna(gap) and gap > OVERFIT_GAP:
            flags.append(Flag(tid, "overfitting",
                              f"final train − test accuracy gap {_pp(gap)} > {_pp(OVERFIT_GAP)} "
                              f"(train {_pct(r['train_acc_final'])}, test {_pct(r['test_acc_final'])})"))
        elif (pd.notna(r["test_loss_min"]) and r["test_loss_min"] > 0
              and r["test_loss_final"] > (1 + OVERFIT_LOSS_RISE) * r["test_loss_min"]
              and pd.notna(r["train_loss_change_last"]) and r["train_loss_change_last"] < 0):
            flags.append(Flag(tid, "overfitting",
                              f"final test loss {format_value(r['test_loss_final'], 'loss')} is more than {OVERFIT_LOSS_RISE:.0%} "
                              f"above its minimum {format_value(r['test_loss_min'], 'loss')} while the train loss kept falling"))
        if pd.notna(r["train_acc_final"]):
            if r["train_acc_final"] < UNDERFIT_TRAIN_ACC:
                flags.append(Flag(tid, "underfitting",
                                  f"final train accuracy {_pct(r['train_acc_final'])} < {_pct(UNDERFIT_TRAIN_ACC)}"))
        elif r["test_acc_best"] < UNDERFIT_TRAIN_ACC:
            flags.append(Flag(tid, "underfitting",
                              f"best test accuracy {_pct(r['test_acc_best'])} < {_pct(UNDERFIT_TRAIN_ACC)} "
                              "(no train accuracy recorded)"))
        if r["test_acc_best"] - r["test_acc_final"] >= PEAK_DROP:
            flags.append(Flag(tid, "peaked_early",
                              f"final test accuracy {_pct(r['test_acc_final'])} is {_pp(r['test_acc_best'] - r['test_acc_final'])} "
                              f"below its best {_pct(r['test_acc_best'])} (epoch {int(r['test_acc_best_epoch'])})"))
        if (r["status"] == "completed" and r["test_acc_best_epoch"] >= r["epochs_done"] - 1
                and pd.notna(r["train_loss_change_last"]) and r["train_loss_change_last"] < -STILL_FALLING):
            flags.append(Flag(tid, "not_converged",
                              f"best test accuracy at epoch {int(r['test_acc_best_epoch'])} of {int(r['epochs_done'])} and train loss "
                              f"still falling ({r['train_loss_change_last'] * 100:+.1f}% over the last {min(CONVERGE_WINDOW, int(r['epochs_done']) - 1)} epochs)"))
    return flags


# --- the registry of named facts ----------------------------------------------------------------

def _add(fs: FactSheet, name: str, value: Any, metric: str, split: Optional[str] = None,
         stat: Optional[str] = None, trial: Optional[str] = None) -> None:
    value = plain_value(value)
    if value is None:
        return
    fs.facts[name] = Fact(name, value, metric, split, stat, trial)


def _add_trial(fs: FactSheet, prefix: str, tid: str) -> None:
    r = fs.trials.loc[tid]
    _add(fs, f"{prefix}.trial_id", tid, "text", trial=tid)
    _add(fs, f"{prefix}.label", r["label"], "text", trial=tid)
    _add(fs, f"{prefix}.status", r["status"], "text", trial=tid)
    _add(fs, f"{prefix}.params", params_text(r), "text", trial=tid)
    for key in store.PARAM_COLUMNS:
        _add(fs, f"{prefix}.{key}", r[key] if key == "exp_type" else format_param(r[key]), "param", trial=tid)
    for fld, (metric, split, stat) in TRIAL_FIELDS.items():
        _add(fs, f"{prefix}.{fld}", _float(r[fld]), metric, split, stat, tid)


def _float(v: Any) -> Optional[float]:
    try:
        return plain_value(float(v))
    except (TypeError, ValueError):
        return None


def params_text(r: pd.Series) -> str:
    """All parameters of a trial, as the paper's labels listed them."""
    parts = [f"type={r['exp_type']}"] + [f"{k}={format_param(r[k])}" for k in PARAM_KEYS]
    return ", ".join(parts)


def _register(fs: FactSheet) -> None:
    t = fs.trials
    ranked = fs.ranked
    # the thresholds of the flag rules, so a report may quote them
    _add(fs, "rule.overfit_gap", OVERFIT_GAP, "gap")
    _add(fs, "rule.overfit_loss_rise", OVERFIT_LOSS_RISE, "change")
    _add(fs, "rule.underfit_train_acc", UNDERFIT_TRAIN_ACC, "acc")
    _add(fs, "rule.peak_drop", PEAK_DROP, "gap")
    _add(fs, "rule.still_falling", STILL_FALLING, "change")
    _add(fs, "rule.window", window(fs.n_epochs), "count")
    _add(fs, "run.n_trials", len(t), "count")
    for status in ("completed", "pruned", "diverged", "failed", "interrupted", "skipped", "pending"):
        _add(fs, f"run.n_{status}", int((t["status"] == status).sum()), "count")
    _add(fs, "run.n_epochs", fs.n_epochs, "count")
    _add(fs, "run.duration_s", fs.duration_s, "duration")
    _add(fs, "run.name", fs.name, "text")
    _add(fs, "run.dataset", fs.dataset, "text")
    _add(fs, "run.model", fs.model, "text")
    _add(fs, "run.device", fs.device, "text")
    _add(fs, "run.epochs_per_s_mean", _float(t["epochs_per_s"].mean()), "eps", stat="mean")
    if len(ranked):
        _add(fs, "run.test_acc_best_mean", _float(ranked["test_acc_best"].mean()), "acc", "test", "mean")
        _add(fs, "run.test_acc_best_min", _float(ranked["test_acc_best"].min()), "acc", "test", "min")
        _add(fs, "run.test_acc_best_range", _float(ranked["test_acc_best"].max() - ranked["test_acc_best"].min()), "gap", "test", "range")
        _add(fs, "run.n_flagged_overfitting", len({f.trial_id for f in fs.flags if f.kind == "overfitting"}), "count")
        _add(fs, "run.n_flagged_underfitting", len({f.trial_id for f in fs.flags if f.kind == "underfitting"}), "count")
        _add(fs, "run.n_not_converged", len({f.trial_id for f in fs.flags if f.kind == "not_converged"}), "count")
    if len(ranked):
        # the order itself as one fact, so a report can state a ranking it cannot get wrong
        _add(fs, "run.ranking", " > ".join(f"{ranked.loc[x, 'label']} ({x})" for x in ranked.index[:5]), "text")
    for tid in t.index:
        _add_trial(fs, f"trial.{tid}", tid)
    if fs.top:
        _add_trial(fs, "best", fs.top[0])
    for i, tid in enumerate(fs.top, start=1):
        _add_trial(fs, f"top.{i}", tid)
    if fs.has_train_acc:
        bt = t[t["train_acc_final"].notna()].sort_values(["train_acc_final", "index"], ascending=[False, True]).index[0]
        _add_trial(fs, "best_train", bt)
    for typ, tid in fs.best_per_type.items():
        _add_trial(fs, f"type.{typ}", tid)
        sub = ranked[ranked["exp_type"] == typ]
        _add(fs, f"type.{typ}.n_trials", len(sub), "count")
        _add(fs, f"type.{typ}.test_acc_best_mean", _float(sub["test_acc_best"].mean()), "acc", "test", "mean")
    for key, value in fs.importances.items():
        _add(fs, f"importance.{key}", value, "share")
    for key, df in fs.sensitivity.items():
        if df.empty:
            continue
        _add(fs, f"sens.{key}.test_acc_best_mean_range",
             _float(df["test_acc_best_mean"].max() - df["test_acc_best_mean"].min()), "gap", "test", "range")
        _add(fs, f"sens.{key}.best_value", df["value"].iloc[0], "param")
        for _, row in df.iterrows():
            p = f"sens.{key}.{row['value']}"
            _add(fs, f"{p}.n_trials", int(row["n_trials"]), "count")
            _add(fs, f"{p}.test_acc_best_mean", _float(row["test_acc_best_mean"]), "acc", "test", "mean")
            _add(fs, f"{p}.test_acc_best_max", _float(row["test_acc_best_max"]), "acc", "test", "best", row["best_trial"])
            _add(fs, f"{p}.train_acc_final_mean", _float(row["train_acc_final_mean"]), "acc", "train", "mean")
            _add(fs, f"{p}.best_trial", row["best_trial"], "text", trial=row["best_trial"])
            _add(fs, f"{p}.n_diverged", int(row["n_diverged"]), "count")
    if "seed" in fs.varied and len(ranked):
        others = [k for k in fs.varied if k != "seed"]
        groups = ranked.groupby([ranked[k].map(format_param) for k in others]) if others else [((), ranked)]
        spreads = [g["test_acc_best"].max() - g["test_acc_best"].min() for _, g in groups if len(g) > 1]
        if spreads:
            _add(fs, "run.seed_spread_test_acc_best", float(sum(spreads) / len(spreads)), "gap", "test", "seed_spread")


def normalize_name(name: str, fs: Optional[FactSheet] = None) -> str:
    """`trial.7.x` → `trial.t007.x`; whitespace removed."""
    name = name.strip().replace(" ", "")
    parts = name.split(".")
    if len(parts) >= 3 and parts[0] == "trial" and parts[1].isdigit():
        parts[1] = f"t{int(parts[1]):03d}"
        name = ".".join(parts)
    if fs is not None and name.startswith("trial.") and name not in fs.facts:
        # an id given by index without zero padding, e.g. trial.t7.test_acc_best
        p = name.split(".")
        if len(p) >= 3 and p[1][:1] == "t" and p[1][1:].isdigit():
            p[1] = f"t{int(p[1][1:]):03d}"
            name = ".".join(p)
    return name


def facts_json(fs: FactSheet) -> str:
    return json.dumps(fs.to_json(), indent=2, default=str)
