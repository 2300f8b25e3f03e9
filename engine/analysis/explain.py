"""What a flag says about the data, in the words of a researcher who reads it once.

A trial is named by its label (`sum=0.001 lr=0.01`, with its id after it), a fact by
what it measures ("the best train accuracy of sum=0.001 lr=0.01 (t001), epoch 24"),
never by its key. The rule thresholds are not data and are never listed as such.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Optional

from sweepdeck.engine.analysis.facts import Fact

if TYPE_CHECKING:
    from sweepdeck.engine.analysis.verify import Verifier

FIELD_WORDS = {
    "test_acc_best": "best test accuracy", "test_acc_final": "final test accuracy",
    "train_acc_final": "final train accuracy", "train_acc_best": "best train accuracy",
    "train_test_gap_final": "final train − test gap", "test_loss_final": "final test loss",
    "test_loss_min": "lowest test loss", "train_loss_final": "final train loss",
    "train_loss_change_last": "train-loss change over the last epochs",
    "test_loss_change_last": "test-loss change over the last epochs", "margin": "margin",
    "epochs_per_s": "speed", "duration_s": "duration", "epochs_done": "number of epochs run",
    "rank_test_acc_best": "rank", "test_acc_best_epoch": "epoch of the best test accuracy",
    "test_acc_best_mean": "mean best test accuracy", "test_acc_best_max": "best test accuracy",
    "train_acc_final_mean": "mean final train accuracy", "test_acc_best_min": "lowest best test accuracy",
    "test_acc_best_range": "spread of best test accuracies", "seed_spread_test_acc_best": "spread between seeds",
    "test_acc_best_mean_range": "spread of the mean best test accuracies", "epochs_per_s_mean": "mean speed",
    "n_trials": "number of trials", "n_diverged": "number of diverged trials",
}


def describe(v: "Verifier", f: Fact) -> Optional[str]:
    """The fact in words, or None for a rule threshold (not data)."""
    parts = f.name.split(".")
    if parts[0] == "rule":
        return None
    fld = parts[-1]
    words = FIELD_WORDS.get(fld, fld.replace("_", " "))
    if f.trial is not None and parts[0] in ("trial", "best", "top", "type", "best_train"):
        epoch = _epoch_of(v, f)
        return f"the {words} of {v.who(f.trial)}" + (f" (epoch {epoch})" if epoch else "")
    if parts[0] == "sens" and len(parts) >= 4:
        value = ".".join(parts[2:-1])
        if parts[1] == "exp_type":  # "the No_Regularization trials", not "the exp_type = No_Regularization trials"
            return f"the {words} of the {value} trials"
        name = _PARAM_LABEL.get(parts[1], parts[1])
        return f"the {words} of the {name}={value} trials"
    if parts[0] == "type" and len(parts) >= 3:
        return f"the {words} of the {parts[1]} trials"
    if parts[0] == "run":
        return f"the {words} over the sweep"
    return f"the {words}"


# the trial labels' own short names (sum=0.001 lr=0.01): a group is named as its trials are
_PARAM_LABEL = {"l2_sum_lambda": "sum", "l2_mul_lambda": "mul", "batchsize": "bs"}


def _epoch_of(v: "Verifier", f: Fact) -> Optional[int]:
    fld = f.name.rsplit(".", 1)[-1]
    if fld == "test_acc_best":
        e = v.fs.facts.get(f"trial.{f.trial}.test_acc_best_epoch")
        return int(e.value) if e is not None else None
    if fld == "train_acc_best":
        curve = v.curves.curve(f.trial or "", "train_acc")
        return max(curve, key=lambda ev: ev[1])[0] if curve else None
    return None


def said(v: "Verifier", f: Fact) -> Optional[str]:
    """"the best test accuracy of sum=0.001 (t001) (epoch 25) is 89.15%"."""
    d = describe(v, f)
    return f"{d} is {f.display()}" if d else None
