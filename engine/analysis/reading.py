"""How the checker reads Markdown: prose without its markup, text cut into bounded
spans, and the numbers in it that make a claim (not t007, CIFAR-10 or 12:30).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Iterable, Optional

from sweepdeck.engine.analysis.vocabulary import NUMBER

_LINK = re.compile(r"!?\[([^\]]*)\]\([^)]*\)")
_CODE = re.compile(r"`([^`]*)`")


def prose_text(line: str) -> str:
    """A Markdown line as the words a reader sees: link texts, code spans without
    backticks, no list marker, no emphasis."""
    line = _LINK.sub(r"\1", line)
    line = _CODE.sub(r"\1", line)
    line = re.sub(r"^\s*(?:[-*+]|\d+[.)])\s+", " ", line)      # list markers
    line = re.sub(r"(?<!\w)[*_]{1,3}(?=\S)|(?<=\S)[*_]{1,3}(?!\w)", "", line)  # emphasis (keeps snake_case)
    return line


MAX_SPAN = 400  # characters: every number's context is sought within its span, so a bound keeps checking linear


def sentences(text: str) -> list[str]:
    """`text` cut into sentences and clauses set off by ";" or a dash, each bounded."""
    parts = re.split(r"(?<=[.!?])\s+(?=[A-Z(\"'*])|;\s+|\s+[—–]\s+", text)
    return [q for p in parts if p.strip() for q in bounded(p)]


def bounded(text: str, limit: int = MAX_SPAN) -> list[str]:
    """`text` in pieces of at most `limit` characters, cut at spaces where there are some.
    No real sentence or table cell is that long; an LLM answer of one endless line is."""
    out = []
    while len(text) > limit:
        cut = text.rfind(" ", limit // 2, limit)
        cut = cut if cut > 0 else limit
        out.append(text[:cut])
        text = text[cut:]
    out.append(text)
    return out


def numbers(text: str) -> Iterable[re.Match[str]]:
    """The numbers in `text` that may carry a claim (NUMBER matches), without those
    inside names, dates, times and ratios."""
    for m in NUMBER.finditer(text):
        s = m.start()
        before = text[max(0, s - 1):s]
        after = text[m.end("num"):m.end("num") + 1] if not m.group("unit") else ""
        if before and (before.isalpha() or before in "_./\\" or (before == "-" and s >= 2 and text[s - 2].isalnum())):
            continue  # t007, CIFAR-10, v1.2, 3/4
        if m.group("sign") and s >= 1 and (text[s - 1].isalnum()):
            continue
        if after and (after.isalpha() and not text[m.end("num"):].lower().startswith(("st ", "nd ", "rd ", "th ")) or after in "_"):
            continue  # 3x3, 2nd handled as ranks
        if after == "-" and text[m.end("num") + 1:m.end("num") + 2].isalnum():
            continue  # 20260101-120000
        if re.match(r"(st|nd|rd|th)\b", text[m.end("num"):]):
            continue
        if re.match(r"\s*[:/]\s*\d", text[m.end():]) or (s >= 1 and text[s - 1] == ":"):
            continue  # times and ratios 12:30, 3/4
        yield m


@dataclass
class Quoted:
    """A number as a report wrote it, and how closely a fact must match it."""

    raw: str    # as written, sign and unit included: "87.08%", "−3.1 pp"
    x: float    # its value, signed
    dec: int    # decimals written (0 in exponent form)
    unit: str   # as written, lower case: "%", "pp", "percentage points", "min", "epochs/s"... or ""
    tol: float = field(init=False)   # half a unit of the last decimal written: 87.1 stands for 87.05 to 87.15
    pct: bool = field(init=False)
    pp: bool = field(init=False)

    def __post_init__(self) -> None:
        self.tol = 0.5 * 10 ** (-self.dec) * (1 + 1e-6) + 1e-12
        self.pct = self.unit == "%"
        self.pp = self.unit == "pp" or self.unit.startswith("percentage")

    @classmethod
    def read(cls, m: re.Match[str]) -> Optional["Quoted"]:
        """The number a NUMBER match wrote (None if it does not read as one)."""
        num = m.group("num").replace(",", "")
        try:
            x = float(num)
        except ValueError:
            return None
        if m.group("sign") in ("-", "−"):
            x = -x
        dec = len(num.split(".")[1]) if "." in num and "e" not in num.lower() else 0
        return cls(m.group(0).strip(), x, dec, (m.group("unit") or "").strip().lower())

    @property
    def shown(self) -> str:
        """The value without the writer's formatting: 87.08%, 0.8708."""
        return f"{self.x:g}%" if self.pct else f"{self.x:g}"


def value_of(v: Any) -> Any:
    """A value as written (0.001, True, f_out) as Python: a float, a bool, else as it was."""
    try:
        return float(v)
    except (TypeError, ValueError):
        if isinstance(v, str) and v.lower() in ("true", "false"):
            return v.lower() == "true"
        return v
