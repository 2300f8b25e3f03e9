"""Learning curves for the checker: what each trial's metric was at every epoch, and
when its test accuracy settled.

A report may quote a value that held at some epoch without being the trial's best
or final one ("started at 58.9%", "was at 78.9% at epoch 8"); such a number is true
when the curve holds it, and the checker can say at which epoch. Nothing here goes
into the prompt: the curves are read from the fact sheet's `metrics` table.

"Converged" and "plateaued" mean the same here, and one rule decides both:

    a trial's test accuracy has converged at epoch E when, from E on, it is within
    SETTLE_REACH (1 pp) of the trial's best test accuracy at E, and never again more
    than SETTLE_DIP (2 pp) below that best.

"converged within / by / after N epochs", "plateaued after epoch N" then hold when
E ≤ N + SETTLE_SLACK (1 epoch; 2 when the writer says "about" or "~").
"""

from __future__ import annotations

import re
from typing import Optional

import pandas as pd

from sweepdeck.engine.analysis.facts import FactSheet

SETTLE_REACH = 0.01   # within 1 pp of the best: the curve has arrived
SETTLE_DIP = 0.02     # and never more than 2 pp below the best afterwards
SETTLE_SLACK = 1      # epochs of slack on a stated convergence epoch

# the per-epoch columns a quoted number may come from: (metric, split) → column
CURVE_COLUMNS = {("acc", "test"): "test_acc", ("acc", "train"): "train_acc",
                 ("loss", "test"): "test_loss", ("loss", "train"): "train_loss"}


class Curves:
    """Per-trial, per-epoch values (plain lists, so a lookup costs no pandas call)."""

    def __init__(self, fs: FactSheet):
        self.values: dict[str, dict[str, list[tuple[int, float]]]] = {}
        m = fs.metrics
        if m is None or not len(m) or "epoch" not in m.columns:
            return
        m = m.assign(trial_id=m["trial_id"].astype(str)).sort_values(["trial_id", "epoch"])
        # one pass over plain arrays: a pandas groupby per trial cost more than the whole check of a report
        tids = m["trial_id"].tolist()
        epochs = [int(e) for e in m["epoch"].tolist()]
        for col in CURVE_COLUMNS.values():
            if col not in m.columns:
                continue
            for tid, e, v in zip(tids, epochs, pd.to_numeric(m[col], errors="coerce").tolist()):
                cols = self.values.setdefault(tid, {})
                if v == v:
                    cols.setdefault(col, []).append((e, float(v)))

    def curve(self, tid: str, col: str) -> list[tuple[int, float]]:
        return self.values.get(tid, {}).get(col, [])

    def at(self, tid: str, col: str, epoch: int) -> Optional[float]:
        return next((v for e, v in self.curve(tid, col) if e == epoch), None)

    def converged_epoch(self, tid: str) -> Optional[int]:
        """The first epoch from which the test accuracy stayed settled (the module's rule)."""
        c = self.curve(tid, "test_acc")
        if not c:
            return None
        best = max(v for _, v in c)
        for i, (e, v) in enumerate(c):
            if v >= best - SETTLE_REACH - 1e-9 and all(w >= best - SETTLE_DIP - 1e-9 for _, w in c[i:]):
                return e
        return c[-1][0]


# "at epoch 8", "in epoch 1", "by epoch 5", "after the first epoch": the epoch a number is pinned to
# the epoch must be in the number's own clause: in "peaked at 88.9% and then lost 1 pp by the final epoch" it is not
_EPOCH_RIGHT = re.compile(r"^(?:(?!\b(?:and|then|but|before|while)\b|\d)[^.;:]){0,30}?\b(?:at|in|by|after|on|around)\s+(?:the\s+)?"
                          r"(?:epoch\s*#?\s*(\d+)|(first|last|final)\s+epoch)\b", re.I)
_EPOCH_LEFT = re.compile(r"\b(?:at|in|by|after|on)\s+(?:the\s+)?(?:epoch\s*#?\s*(\d+)|(first|last|final)\s+epoch)\s*[,(:]?\s*"
                         r"(?:with\s+|against\s+|vs\.?\s+|versus\s+|compared (?:to|with)\s+)?~?$",
                         re.I)
_WORD_EPOCH = {"one": 1, "first": 1, "single": 1, "two": 2, "three": 3, "five": 5, "ten": 10}
_EPOCH_WORDS = re.compile(r"\b(?:at|in|by|after|on)\s+(?:the\s+)?(?:(one|first|single|two|three|five|ten)\s+epochs?|"
                          r"epoch\s+(one|two|three|five|ten))\b", re.I)
_OPENING = re.compile(r"^\W*(?:[A-Z][\w ]{0,40}:\s*)?(?:(?:at|by|after|in)\s+(?:the\s+end\s+of\s+)?(?:epoch\s*#?\s*(\d+)\b|"
                      r"the\s+(first)\s+epoch\b|(one)\s+epoch\b|(\d+)\s+epochs\b)|epoch[\s-]+(\d+)\s*(?:[:—–]|(?:test|train)\w*\s+acc\w*\.?\s*(?:\([^)]*\)\s*)?:)|"
                      r"(?:after|by)\s+the\s+(first)\s+"
                      r"(\d+|two|three|five|ten)\s+epochs\b)", re.I)
# "after 5 epochs", "after the first 5 epochs": an epoch count that pins like "at epoch 5"
_EPOCHS_DONE = re.compile(r"\b(?:after|by)\s+(?:the\s+first\s+)?(\d+|two|three|five|ten)\s+epochs\b", re.I)
_ABOUT_EPOCH = re.compile(r"\b(?:around|about|roughly|approximately|~)\s*(?:the\s+)?epoch", re.I)
_STARTED = re.compile(r"\b(?:start(?:s|ed|ing)?|open(?:s|ed)?|beg[ai]n)\s+(?:out\s+)?(?:at|from|around|near|with|between|in the)\s*~?$",
                      re.I)
_BY = re.compile(r"\bby\s+(?:the\s+)?epoch", re.I)


def pinned_epoch(left: str, right: str, n_epochs: int, sentence: str = "") -> tuple[Optional[int], bool]:
    """(the epoch the words next to a number pin it to, whether it is "by" that epoch, or
    "around" it: then the epoch after counts too). A sentence opening "At epoch 10, ..."
    pins all its numbers that name no epoch of their own."""
    before = re.match(r"\s*(?:%|pp)?\s*(?:\w+\s+){0,2}?before\s+epoch\s+(\d+)\b", right, re.I)
    if before and int(before.group(1)) > 1:  # "none crosses 80% before epoch 9": by epoch 8
        return int(before.group(1)) - 1, True
    for rx, text in ((_EPOCH_LEFT, left), (_EPOCH_RIGHT, right)):
        m = rx.search(text)
        if m:
            e = int(m.group(1)) if m.group(1) else (1 if m.group(2).lower() == "first" else n_epochs)
            if _ABOUT_EPOCH.search(text[max(0, m.start() - 2):m.end()]):
                return min(e + 1, n_epochs), True  # "around epoch 7": by epoch 8
            return e, bool(_BY.search(m.group(0)))
    for text, at_end in ((right[:40], False), (left[-40:], True)):
        w = _EPOCH_WORDS.search(text)
        if w and (not at_end or re.fullmatch(r"[\s,(:~]*(?:(?:versus|vs\.?|against|compared (?:to|with)|while)\s*)?",
                                             text[w.end():], re.I)):  # "... after one epoch versus 55-57%"
            return _WORD_EPOCH[(w.group(1) or w.group(2)).lower()], False
    if _STARTED.search(left):
        return 1, False
    o = _OPENING.match(sentence)
    if o:
        if o.group(7):  # "After the first 5 epochs, ..."
            w = o.group(7)
            return (int(w) if w.isdigit() else _WORD_EPOCH[w.lower()]), False
        n = o.group(1) or o.group(4) or o.group(5)
        return (int(n) if n else 1), False
    # ("from 75% in the first epoch to 86%", "at epoch 3 after reaching 81%": the epoch is another number's)
    clause = re.split(r"[;:,()]|\b(?:while|whereas|but|and|then|with|to)\b|\b(?:after|before)\s+(?!(?:the\s+)?(?:first|last|final|"
                      r"epoch|\d+|one|two|three|five|ten)\b)", left)[-1]
    named = re.search(r"\b(?:final|last|best|peak|highest|max\w*)\b", clause[-40:], re.I)  # "final test accuracy 88.67%"
    own = [] if named else [m for rx in (_EPOCH_ANY, _EPOCH_WORDS, _EPOCHS_DONE) for m in rx.finditer(clause)]
    if own:
        # "after the first epoch they sit between 62% and 65%", ", at epoch 1 they are around 59-61%": an epoch
        # that opens the number's own clause pins it
        m = max(own, key=lambda x: x.start())
        if m.re is _EPOCH_WORDS:
            return _WORD_EPOCH[(m.group(1) or m.group(2)).lower()], False
        if m.re is _EPOCHS_DONE:
            return (int(m.group(1)) if m.group(1).isdigit() else _WORD_EPOCH[m.group(1).lower()]), False
        return (int(m.group(1)) if m.group(1) else 1 if m.group(2).lower() == "first" else n_epochs), bool(_BY.search(m.group(0)))
    i = sentence.find(left[-20:]) if left.strip() else -1
    if i >= 0 and _SAME_TIME.search(left[-40:] + right[:15]):
        # "after one epoch every lr = 0.03 run was above 62%, whereas no lr = 0.003 run had yet reached 57%": the
        # same moment as the epoch named earlier in the sentence
        earlier = [m for rx in (_EPOCH_ANY, _EPOCH_WORDS) for m in rx.finditer(sentence[:i + len(left[-20:])])]
        if earlier:
            m = max(earlier, key=lambda x: x.start())
            if m.re is _EPOCH_WORDS:
                return _WORD_EPOCH[(m.group(1) or m.group(2)).lower()], False
            return (int(m.group(1)) if m.group(1) else 1 if m.group(2).lower() == "first" else n_epochs), False
    return None, False


_SAME_TIME = re.compile(r"\b(?:yet|already|still|by then|at that point|at that stage|at the same point)\b", re.I)
_EPOCH_ANY = re.compile(r"\b(?:at|in|by|after|on)\s+(?:the\s+)?(?:epoch\s*#?\s*(\d+)|(first|last|final)\s+epoch)\b", re.I)
