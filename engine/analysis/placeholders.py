"""Placeholders: the LLM names facts (`{{best.test_acc_best}}`) and sweepdeck writes their values.

`fill_placeholders` replaces each name with the fact's value as reports show it
(89.15%); unknown names become a visible marker and are listed, never left raw.
`StreamFiller` does the same on a streamed answer, chunk by chunk.

A comparison is a placeholder too, so that the LLM never orders two groups itself:
`{{compare:type.Summation:type.Multiplication}}` or `{{compare:sens.lr.0.01:sens.lr.0.003}}`
(two groups: an experiment type or a parameter value) becomes "Summation (88.07%) did
better than Multiplication (87.05%) by mean best test accuracy", or says that they are
level, by verdicts.Judge's rule (a tie at the precision shown, or within the seed noise).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Optional

from sweepdeck.engine.analysis.facts import FactSheet, format_value
from sweepdeck.engine.analysis.verdicts import Judge

PLACEHOLDER = re.compile(r"\{\{\s*([^{}\n]{1,120}?)\s*\}\}(\s?%|\s?pp\b)?")
# a single-brace slip, {best.test_acc_best}: filled too, when the prefix is a fact family
SINGLE = re.compile(r"(?<!\{)\{\s*((?:best_train|best|top|trial|type|sens|run|rule)\.[^{}\s]{1,100}?)\s*\}(?!\})(\s?%|\s?pp\b)?")
UNKNOWN_MARK = "[unknown fact: {name}]"


@dataclass
class FillResult:
    text: str
    n_filled: int = 0
    unknown: list[str] = field(default_factory=list)


def fill_placeholders(text: str, fs: FactSheet) -> FillResult:
    res = FillResult(text="")

    def repl(m: re.Match[str]) -> str:
        name = m.group(1).strip()
        unit = m.group(2) or ""
        if name.startswith("compare:"):
            said = compare_groups(fs, name)
            if said is not None:
                res.n_filled += 1
                return said + unit
        fact = fs.fact(name)
        if fact is None:
            res.unknown.append(name)
            return UNKNOWN_MARK.format(name=_safe(name)) + unit
        res.n_filled += 1
        shown = fact.display()
        if unit and shown.endswith(unit.strip()):
            unit = ""  # "{{best.test_acc_best}}%" would read 89.15%%
        return shown + unit

    out = PLACEHOLDER.sub(repl, text)
    out = SINGLE.sub(repl, out)
    # a brace pair that is not a well-formed placeholder is never left raw either
    def stray(m: re.Match[str]) -> str:
        res.unknown.append(m.group(0))
        return UNKNOWN_MARK.format(name=_safe(m.group(0).strip("{} ")))

    out = re.sub(r"\{\{[^\n]{0,120}?(?:\}\}?|$)|\{\{", stray, out, flags=re.M)
    res.text = out
    return res


_PARAM_SHOWN = {"lr": "lr", "batchsize": "batch size", "wn": "wn", "seed": "seed",
                "l2_sum_lambda": "Summation λ", "l2_mul_lambda": "Multiplication λ"}


def _group(fs: FactSheet, ref: str) -> Optional[tuple[str, float]]:
    """("Summation", its mean best test accuracy) for "type.Summation"; ("lr = 0.01", ...) for "sens.lr.0.01"."""
    fact = fs.fact(f"{ref}.test_acc_best_mean")
    if fact is None or not isinstance(fact.value, (int, float)):
        return None
    parts = ref.split(".", 2)
    if parts[0] == "type" and len(parts) == 2:
        return parts[1].replace("_", " "), float(fact.value)
    if parts[0] == "sens" and len(parts) == 3 and parts[1] in _PARAM_SHOWN:
        return f"{_PARAM_SHOWN[parts[1]]} = {parts[2]}", float(fact.value)
    return None


def compare_groups(fs: FactSheet, name: str) -> Optional[str]:
    """The sentence for {{compare:A:B}}, from the facts by verdicts.Judge's rule; None if A or B is unknown."""
    refs = name.split(":")[1:]
    if len(refs) != 2:
        return None
    a, b = _group(fs, refs[0].strip()), _group(fs, refs[1].strip())
    if a is None or b is None or a[0] == b[0]:
        return None
    judge = Judge(fs)
    shown = {n: format_value(v, "acc") for n, v in (a, b)}
    if judge.level(a[1], b[1]):
        return (f"{a[0]} ({shown[a[0]]}) and {b[0]} ({shown[b[0]]}) are level by mean best test accuracy "
                f"({judge.why_level(a[1], b[1])})")
    win, lose = (a, b) if judge.ahead(a[1], b[1]) else (b, a)
    return f"{win[0]} ({shown[win[0]]}) did better than {lose[0]} ({shown[lose[0]]}) by mean best test accuracy"


def _safe(name: str) -> str:
    return re.sub(r"[^\w.\-:|]", "", name)[:80] or "?"


class StreamFiller:
    """Fills placeholders in a stream of chunks: text is passed on as soon as no
    unfinished `{{...` could still be open in it."""

    def __init__(self, fs: FactSheet):
        self.fs = fs
        self.buf = ""
        self.n_filled = 0
        self.unknown: list[str] = []

    def feed(self, chunk: str) -> str:
        self.buf += chunk
        cut = self._safe_cut()
        out, self.buf = self.buf[:cut], self.buf[cut:]
        return self._fill(out)

    def finish(self) -> str:
        out, self.buf = self.buf, ""
        return self._fill(out)

    def _safe_cut(self) -> int:
        """How much of the buffer can be filled and passed on now."""
        b = self.buf
        i = b.rfind("{{")
        if i >= 0 and "}}" not in b[i:] and len(b) - i <= 130:
            return i  # an unfinished {{placeholder
        j = b.rfind("{")
        if j >= 0 and "}" not in b[j:] and len(b) - j <= 130:
            return j  # maybe the start of one
        m = re.search(r"\{\{[^{}\n]{1,120}\}\}\s?$|\{[^{}\s]{1,100}\}\s?$", b)
        if m:
            return m.start()  # a "%" may follow a finished placeholder
        return len(b)

    def _fill(self, text: str) -> str:
        if not text:
            return ""
        r = fill_placeholders(text, self.fs)
        self.n_filled += r.n_filled
        self.unknown += r.unknown
        return r.text
