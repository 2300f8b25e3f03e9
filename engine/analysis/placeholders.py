"""Placeholders: the LLM names facts (`{{best.test_acc_best}}`) and sweepdeck writes their values.

`fill_placeholders` replaces each name with the fact's value as reports show it
(89.15%); unknown names become a visible marker and are listed, never left raw.
`StreamFiller` does the same on a streamed answer, chunk by chunk.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from sweepdeck.engine.analysis.facts import FactSheet

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
